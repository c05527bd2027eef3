//! Lookback and recall to the consignee, on both back ends: a repeat-reactive result
//! whose donor's earlier unit was shipped reaches that hospital (email through a real
//! SMTP server, PDF letter), the hospital acknowledges per unit, the supplemental result
//! follows; a recall by quality quarantines stock and lists its consignees; the trace
//! from a donor to every hospital; and every refusal changes nothing.

use crate::common;

use common::smtp::SmtpSink;
use common::units::{released_red_cells, scan, separated};
use common::{problem, ApiClient, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use store::Backend;

async fn set_contact(t: &TestApp, id: uuid::Uuid, code: &str, name: &str, email: &str) {
    let admin = t.api_as("admin").await;
    let body = json!({"reason": "blood bank contact", "hospital": {"code": code, "name": name, "status": "active", "contact_email": email}});
    let r = admin.put_json(&format!("/api/v1/hospitals/{id}"), body).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

/// Ships the red cell unit to the hospital through an order entered by distribution.
async fn ship(t: &TestApp, hospital: &str, din: &str, red: &str) -> String {
    let dist = t.api_as("distribution").await;
    let r = dist
        .post_json(
            "/api/v1/orders",
            json!({"hospital": hospital, "priority": "routine", "lines": [{"product": "red_cells", "blood_group": "O-", "quantity": 1}]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let o: Value = r.json().await.unwrap();
    let number = o["number"].as_str().unwrap();
    let o: Value = dist.post_json(&format!("/api/v1/orders/{number}/allocate"), json!(null)).await.json().await.unwrap();
    assert_eq!(o["allocations"][0]["din"], din, "{o}");
    let s: Value = dist.post_json(&format!("/api/v1/orders/{number}/pack"), json!({"scan": scan(din, red, "O-")})).await.json().await.unwrap();
    let shipment = s["number"].as_str().unwrap().to_string();
    assert_eq!(dist.post_json(&format!("/api/v1/shipments/{shipment}/ship"), json!({"courier": "Van"})).await.status(), StatusCode::OK);
    shipment
}

async fn state_of(api: &ApiClient, din: &str, code: &str) -> Value {
    api.get(&format!("/api/v1/components/{din}/{code}")).await.json().await.unwrap()
}

fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn a_lookback_reaches_every_consignee(backend: Backend) {
    let Some(sink) = SmtpSink::start() else { return };
    let Some(t) = common::spawn_app_with(backend, |s| s.smtp_url = Some(sink.url.clone())).await else { return };
    set_contact(&t, t.own_hospital, "H-OWN", "Own Hospital", "bloodbank@own.example").await;
    set_contact(&t, t.other_hospital, "H-OTHER", "Other Hospital", "bloodbank@other.example").await;
    let lab = t.api_as("lab").await;
    let quality = t.api_as("quality").await;
    let quality2 = t.api_as("quality").await;
    let hospital = t.api_as("hospital").await;
    let hospital2 = t.api_as("hospital").await;

    // An earlier donation: its red cells shipped to H-OWN. A later donation of the same
    // person (a duplicate record, merged) turns repeat reactive for anti-HCV.
    let (din1, red1, _ffp1) = released_red_cells(&t, "Early").await;
    ship(&t, "H-OWN", &din1, &red1).await;
    let donor = state_of(&lab, &din1, &red1).await["donor_number"].as_str().unwrap().to_string();
    let (din2, units2) = separated(&t, "Early Dup").await;
    let code2 = units2[0]["product_code"].as_str().unwrap();
    let dup = state_of(&lab, &din2, code2).await["donor_number"].as_str().unwrap().to_string();
    let r = quality.post_json(&format!("/api/v1/donors/{donor}/merge"), json!({"duplicate": dup, "reason": "same person"})).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let res = format!("/api/v1/donations/{din2}/results");
    for (phase, value) in [(None, "reactive"), (Some("repeat"), "non-reactive"), (Some("repeat"), "reactive")] {
        let mut body = json!({"test": "ANTI_HCV", "value": value});
        if let Some(p) = phase {
            body["phase"] = json!(p);
        }
        assert_eq!(lab.post_json(&res, body).await.status(), StatusCode::CREATED);
    }
    let cases: Value = quality.get("/api/v1/lookback-cases").await.json().await.unwrap();
    let case = cases.as_array().unwrap().iter().find(|c| c["din"] == din2.as_str()).unwrap_or_else(|| panic!("{cases}"));
    let id = case["id"].as_str().unwrap().to_string();
    let case_url = format!("/api/v1/consignee-cases/{id}");

    // The case lists the earlier unit at the hospital, and the consignee with its deadline.
    let c: Value = quality.get(&case_url).await.json().await.unwrap();
    assert_eq!(c["kind"], "lookback", "{c}");
    assert_eq!(c["consignees"][0]["hospital_code"], "H-OWN", "{c}");
    assert_eq!(c["consignees"][0]["units"][0]["din"], din1.as_str());
    assert!(c["consignees"][0]["notice_status"].as_str().unwrap().starts_with("not sent; due"), "{c}");
    let unit = c["units"].as_array().unwrap().iter().find(|u| u["product_code"] == red1.as_str()).unwrap();
    assert!(unit["location"].as_str().unwrap().contains("Own Hospital"), "{unit}");
    assert_eq!(unit["disposition"], "not reported yet");

    // Refusals change nothing.
    let notices = format!("{case_url}/notices");
    let head = t.audit_head().await;
    let r = quality.post_json(&notices, json!({"hospital": "H-OTHER"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("received no unit"));
    assert_eq!(problem(quality.post_json(&notices, json!({"hospital": " "})).await).await["errors"][0]["field"], "hospital");
    assert_eq!(problem(quality.post_json(&notices, json!({"hospital": "H-NONE"})).await).await["errors"][0]["field"], "hospital");
    assert_eq!(problem(quality.post_json(&notices, json!({"hospital": "H-OWN", "kind": "fax"})).await).await["errors"][0]["field"], "kind");
    let r = quality.post_json(&notices, json!({"hospital": "H-OWN", "kind": "supplemental"})).await;
    assert!(problem(r).await["detail"].as_str().unwrap().contains("supplemental test result"), "result first");
    let r = quality.post_json("/api/v1/consignee-cases/01939d6e-0000-7000-8000-000000000000/notices", json!({"hospital": "H-OWN"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(lab.post_json(&notices, json!({"hospital": "H-OWN"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head, "refusals change nothing");
    assert!(sink.messages().is_empty());

    // Two people send the notice at once: one is recorded and emailed, the other refused.
    let (ra, rb) =
        tokio::join!(quality.post_json(&notices, json!({"hospital": "H-OWN"})), quality2.post_json(&notices, json!({"hospital": "h-own"})));
    let mut statuses = [ra.status(), rb.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    let s = t.login_as("quality").await;
    assert_eq!(got[0].to, vec!["bloodbank@own.example".to_string()]);
    assert!(got[0].body.contains(&din1) && got[0].body.contains(&red1), "{:?}", got[0].body);
    let head = t.audit_head().await;
    let r = quality.post_json(&notices, json!({"hospital": "H-OWN"})).await;
    assert!(problem(r).await["detail"].as_str().unwrap().contains("sent to H-OWN already"));
    let r = s
        .client
        .post(t.url(&format!("/quality/lookback/{id}/notices")))
        .form(&[("_csrf", s.csrf.as_str()), ("hospital", "H-OWN"), ("kind", "notice")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("sent to H-OWN already"), "the refusal on the case page");
    assert_eq!(t.audit_head().await, head);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "one email only");

    // The letter names the unit, for quality and for the hospital; not for another.
    let letter = format!("/quality/lookback/{id}/letters/H-OWN.pdf");
    let r = s.client.get(t.url(&letter)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let text = pdf_text(&r.bytes().await.unwrap());
    assert!(text.contains(&din1) && text.contains("Own Hospital"), "{text}");
    let hs = t.login_as("hospital").await;
    assert_eq!(hs.client.get(t.url(&letter)).send().await.unwrap().status(), StatusCode::OK);
    let other = format!("/quality/lookback/{id}/letters/H-OTHER.pdf");
    assert_eq!(hs.client.get(t.url(&other)).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // The hospital sees its notice and acknowledges it, per unit, once.
    let list: Value = hospital.get("/api/v1/consignee-notifications").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let nid = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(list[0]["acknowledged"], Value::Null);
    let ack = format!("/api/v1/consignee-notifications/{nid}/acknowledgement");
    let head = t.audit_head().await;
    let r = hospital.post_json(&ack, json!({"units": [{"din": din1, "product_code": red1, "action": "lost"}]})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "units[0].action");
    let r = hospital.post_json(&ack, json!({"units": [{"din": din1, "product_code": "E9999V00", "action": "quarantined"}]})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "units[0]");
    let r = hospital.post_json(&ack, json!({"units": []})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "units");
    assert_eq!(quality.post_json(&ack, json!({"units": []})).await.status(), StatusCode::FORBIDDEN);
    // The portal form: a unit left without an answer is named next to the units.
    let r = hs
        .client
        .post(t.url(&format!("/portal/notices/{nid}/acknowledgement")))
        .form(&[("_csrf", hs.csrf.as_str()), (format!("action-{din1}-{red1}").as_str(), ""), ("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("say what you did with the unit"), "the error on the portal page");
    assert_eq!(t.audit_head().await, head, "refusals change nothing");
    // Two answers at once (two of the hospital's systems): one is recorded, the other told.
    let body = json!({"units": [{"din": din1, "product_code": red1, "action": "quarantined"}], "note": "in our fridge 2"});
    let (ra, rb) = tokio::join!(hospital.post_json(&ack, body.clone()), hospital2.post_json(&ack, body.clone()));
    let mut statuses = [ra.status(), rb.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let n: Value = hospital.get(&format!("/api/v1/consignee-notifications/{nid}")).await.json().await.unwrap();
    assert_eq!(n["units"][0]["action_title"], "Quarantined", "{n}");
    let head = t.audit_head().await;
    let r = hospital.post_json(&ack, json!({"units": [{"din": din1, "product_code": red1, "action": "destroyed"}]})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(t.audit_head().await, head);
    let c: Value = quality.get(&case_url).await.json().await.unwrap();
    assert!(c["consignees"][0]["notice_status"].as_str().unwrap().contains("acknowledged"), "{c}");
    let unit = c["units"].as_array().unwrap().iter().find(|u| u["product_code"] == red1.as_str()).unwrap();
    assert!(unit["disposition"].as_str().unwrap().contains("Quarantined"), "{unit}");
    let html = s.client.get(t.url(&format!("/quality/lookback/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("acknowledged") && html.contains(&din1), "the case page");
    let html = hs.client.get(t.url("/portal/notices")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("in our fridge 2"), "the portal page");

    // The supplemental result: recorded once, then sent the same way.
    let result = format!("{case_url}/supplemental-result");
    let today = chrono::Utc::now().date_naive();
    let head = t.audit_head().await;
    let r = quality.post_json(&result, json!({"result": "maybe", "tested_on": "yesterday"})).await;
    let fields: Vec<String> = problem(r).await["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().into()).collect();
    assert_eq!(fields, ["result", "tested_on"]);
    let r = quality.post_json(&result, json!({"result": "negative", "tested_on": (today + chrono::Duration::days(2)).to_string()})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "tested_on");
    assert_eq!(t.audit_head().await, head);
    let r = quality.post_json(&result, json!({"result": "positive", "tested_on": today.to_string()})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    assert_eq!(quality.post_json(&result, json!({"result": "negative", "tested_on": today.to_string()})).await.status(), StatusCode::CONFLICT);
    let r = quality.post_json(&notices, json!({"hospital": "H-OWN", "kind": "supplemental"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let got = sink.wait_for(2, Duration::from_secs(10)).await;
    assert!(got[1].body.contains("Supplemental test result: Positive"), "{:?}", got[1].body);

    // The trace: from the donor to the hospital, and the unit back to its donor.
    let tr: Value = quality.get(&format!("/api/v1/donors/{donor}/trace")).await.json().await.unwrap();
    assert_eq!(tr["hospitals"], json!(["H-OWN"]), "{tr}");
    assert!(tr["donations"].as_array().unwrap().iter().any(|d| d["din"] == din2.as_str()), "the merged record's donation too: {tr}");
    let d = tr["donations"].as_array().unwrap().iter().find(|d| d["din"] == din1.as_str()).unwrap_or_else(|| panic!("{tr}"));
    let u = d["units"].as_array().unwrap().iter().find(|u| u["product_code"] == red1.as_str()).unwrap();
    assert_eq!(u["consignees"][0]["hospital_code"], "H-OWN");
    assert_eq!(state_of(&quality, &din1, &red1).await["donor_number"], donor.as_str());
    assert_eq!(hospital.get(&format!("/api/v1/donors/{donor}/trace")).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(quality.get("/api/v1/donors/D9999999/trace").await.status(), StatusCode::NOT_FOUND);
    let html = s.client.get(t.url(&format!("/quality/trace/{donor}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Own Hospital") && html.contains(&din1), "the trace page");
}

async fn a_recall_quarantines_stock_and_stays_with_its_hospital(t: TestApp) {
    set_contact(&t, t.other_hospital, "H-OTHER", "Other Hospital", "bloodbank@other.example").await;
    let lab = t.api_as("lab").await;
    let quality = t.api_as("quality").await;
    let hospital = t.api_as("hospital").await;
    let (din, red, ffp) = released_red_cells(&t, "Recall").await;
    ship(&t, "H-OTHER", &din, &red).await;
    let (din2, red2, _) = released_red_cells(&t, "Stock").await;
    assert_eq!(state_of(&lab, &din2, &red2).await["unit"]["state"], "available");

    let head = t.audit_head().await;
    let r = quality.post_json("/api/v1/recalls", json!({"kind": "oops", "reason": " ", "units": []})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = problem(r).await["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().into()).collect();
    assert_eq!(fields, ["kind", "reason", "units"]);
    let r = quality.post_json("/api/v1/recalls", json!({"kind": "recall", "reason": "bag lot defect", "units": ["A999926999999", "W12"]})).await;
    let errs = problem(r).await["errors"].clone();
    assert_eq!(errs[0]["field"], "units[1]", "{errs}");
    let r = quality.post_json("/api/v1/recalls", json!({"kind": "recall", "reason": "bag lot defect", "units": ["A999926999999"]})).await;
    assert!(problem(r).await["errors"][0]["message"].as_str().unwrap().contains("no unit"));
    assert_eq!(hospital.post_json("/api/v1/recalls", json!({"kind": "recall", "reason": "x", "units": [din]})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head, "refusals change nothing");

    let r = quality
        .post_json("/api/v1/recalls", json!({"kind": "withdrawal", "reason": "bag lot 7731 defect", "units": [din, format!("{din2} {red2}")]}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let c: Value = r.json().await.unwrap();
    assert!(c["number"].as_str().unwrap().starts_with("RC-"), "{c}");
    assert_eq!(c["consignees"][0]["hospital_code"], "H-OTHER", "{c}");
    assert_eq!(c["units"].as_array().unwrap().len(), 3, "the donation's two units and the named one: {c}");
    for (d, code) in [(&din2, &red2), (&din, &ffp)] {
        let g = state_of(&lab, d, code).await;
        assert_eq!(g["unit"]["state"], "quarantine", "in stock: held, {g}");
    }
    assert_eq!(state_of(&lab, &din, &red).await["unit"]["state"], "shipped");
    let id = c["id"].as_str().unwrap();

    let r = quality.post_json(&format!("/api/v1/consignee-cases/{id}/notices"), json!({"hospital": "H-OTHER"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let n: Value = r.json().await.unwrap();
    assert_eq!(n["email"]["status"], "captured", "no mail server here: kept for the outbox");
    let nid = n["notice"]["id"].as_str().unwrap();
    // Another hospital neither reads nor acknowledges it, nor gets its letter.
    let hs = t.login_as("hospital").await;
    let head = t.audit_head().await;
    assert_eq!(hospital.get(&format!("/api/v1/consignee-notifications/{nid}")).await.status(), StatusCode::NOT_FOUND);
    let r = hospital
        .post_json(
            &format!("/api/v1/consignee-notifications/{nid}/acknowledgement"),
            json!({"units": [{"din": din, "product_code": red, "action": "transfused"}]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let list: Value = hospital.get("/api/v1/consignee-notifications").await.json().await.unwrap();
    assert!(list.as_array().unwrap().is_empty(), "{list}");
    assert_eq!(hs.client.get(t.url(&format!("/quality/lookback/{id}/letters/H-OTHER.pdf"))).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(t.audit_head().await, head);
    let s = t.login_as("quality").await;
    let html = s.client.get(t.url("/quality/recalls")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(c["number"].as_str().unwrap()) && html.contains("H-OTHER"), "the recall list");
}

/// The recall form names its refused field on the page.
async fn the_recall_form_shows_its_errors(t: TestApp) {
    let s = t.login_as("quality").await;
    let head = t.audit_head().await;
    let r = s
        .client
        .post(t.url("/quality/recalls"))
        .form(&[("_csrf", s.csrf.as_str()), ("kind", "recall"), ("reason", ""), ("units", "A999926999999")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("say why the units are recalled") && html.contains("A999926999999"), "error next to the field, entry kept");
    assert_eq!(t.audit_head().await, head);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_lookback_reaches_every_consignee() {
    a_lookback_reaches_every_consignee(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_lookback_reaches_every_consignee() {
    a_lookback_reaches_every_consignee(Backend::Postgres).await;
}

both_backends!(a_recall_quarantines_stock_and_stays_with_its_hospital, the_recall_form_shows_its_errors);
