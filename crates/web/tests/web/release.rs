//! Testing, the release gate and inventory over the API and the pages, on SQLite and
//! PostgreSQL.

use crate::common;

use common::units::{clear_tests, scan, separated};
use common::{problem, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const PASSWORD: &str = common::PASSWORD;

async fn a_unit_is_released_only_through_the_gate_with_a_signature(t: TestApp) {
    let (din, units) = separated(&t, "Gate").await;
    let lab = t.api_as("lab").await;
    let tests: Value = lab.get(&format!("/api/v1/donations/{din}/tests")).await.json().await.unwrap();
    let codes: Vec<&str> = tests["tests"].as_array().unwrap().iter().map(|x| x["code"].as_str().unwrap()).collect();
    for c in ["ABO_RH", "HIV_AB", "HIV_NAT", "HBSAG", "ANTI_HCV", "SYPHILIS", "WNV_NAT", "T_CRUZI"] {
        assert!(codes.contains(&c), "{c} ordered at collection: {codes:?}");
    }
    assert!(!codes.contains(&"BACTERIAL") && !codes.contains(&"BABESIA_NAT"), "whole blood in IL: {codes:?}");
    let red = units[0]["product_code"].as_str().unwrap().to_string();
    let path = format!("/api/v1/components/{din}/{red}/release");
    let check: Value = lab.get(&path).await.json().await.unwrap();
    assert_eq!(check["releasable"], false);
    let reasons: Vec<&str> = check["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert!(reasons.contains(&"test_pending") && reasons.contains(&"group_untested"), "{reasons:?}");

    // Refused before testing, with every reason; nothing changes.
    let head = t.audit_head().await;
    let r = lab.post_json(&path, json!({"scan": scan(&din, &red, "O-"), "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let p = problem(r).await;
    assert_eq!(p["type"], "/problems/not-releasable");
    assert!(p["reasons"].as_array().unwrap().len() > 5, "every reason: {p}");
    assert_eq!(t.audit_head().await, head);

    clear_tests(&lab, &din, "O-").await;
    let tests: Value = lab.get(&format!("/api/v1/donations/{din}/tests")).await.json().await.unwrap();
    assert_eq!((tests["complete"].as_bool(), tests["blood_group"].as_str()), (Some(true), Some("O-")), "{tests}");
    let check: Value = lab.get(&path).await.json().await.unwrap();
    assert_eq!(check["releasable"], true, "{check}");

    // The signature and the label scan are checked; each refusal changes nothing.
    let collector = t.api_as("collector").await;
    let head = t.audit_head().await;
    let r = lab.post_json(&path, json!({"scan": scan(&din, &red, "O-"), "password": "not-my-password"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "password");
    let r = lab.post_json(&path, json!({"scan": "", "password": PASSWORD})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "scan");
    let r = lab.post_json(&path, json!({"scan": scan(&din, &red, "A+"), "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem(r).await["reasons"][0]["code"], "label_mismatch");
    let ffp = units[1]["product_code"].as_str().unwrap();
    let r = lab.post_json(&path, json!({"scan": scan(&din, ffp, "O-"), "password": PASSWORD})).await;
    assert!(problem(r).await["reasons"].to_string().contains("product code"), "another unit's label");
    assert_eq!(collector.post_json(&path, json!({"scan": scan(&din, &red, "O-"), "password": PASSWORD})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);

    let r = lab.post_json(&path, json!({"scan": scan(&din, &red, "O-"), "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let rel: Value = r.json().await.unwrap();
    assert_eq!((rel["state"].as_str(), rel["signer"].as_str()), (Some("available"), Some("lab")));
    assert!(rel["meaning"].as_str().unwrap().contains("release requirement"));
    let g: Value = lab.get(&format!("/api/v1/components/{din}/{red}")).await.json().await.unwrap();
    assert_eq!(g["unit"]["state"], "available");
    let r = lab.post_json(&path, json!({"scan": scan(&din, &red, "O-"), "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("released already, by lab"));

    // A result entered after release: a test not ordered, a bad value, a wrong phase are
    // refused; nothing changes.
    let res = format!("/api/v1/donations/{din}/results");
    let head = t.audit_head().await;
    let r = lab.post_json(&res, json!({"test": "BABESIA_NAT", "value": "reactive"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "test");
    let r = lab.post_json(&res, json!({"test": "HIV_AB", "value": "maybe"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "value");
    let r = lab.post_json(&res, json!({"test": "HIV_AB", "phase": "repeat", "value": "reactive"})).await;
    assert!(problem(r).await.to_string().contains("final"), "a final test takes no repeat");
    let r = lab.post_json("/api/v1/donations/A999926999999/results", json!({"test": "HIV_AB", "value": "reactive"})).await;
    assert!(matches!(r.status(), StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY), "unknown DIN");
    let r = lab.post_json(&res, json!({"test": "ABO_RH", "value": "A+"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "the typing is final");
    assert_eq!(t.audit_head().await, head);
}

/// Two people releasing the same unit at once: one releases, the other is told.
async fn two_releases_of_one_unit_at_once_make_one(t: TestApp) {
    let (din, units) = separated(&t, "Race Release").await;
    let lab = t.api_as("lab").await;
    clear_tests(&lab, &din, "O-").await;
    let red = units[0]["product_code"].as_str().unwrap().to_string();
    let path = format!("/api/v1/components/{din}/{red}/release");
    let body = json!({"scan": scan(&din, &red, "O-"), "password": PASSWORD});
    let (a, b) = (t.api_as("lab").await, t.api_as("lab").await);
    let (ra, rb) = tokio::join!(a.post_json(&path, body.clone()), b.post_json(&path, body.clone()));
    let mut statuses = [ra.status(), rb.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let g: Value = lab.get(&format!("/api/v1/components/{din}/{red}")).await.json().await.unwrap();
    let releases = g["history"].as_array().unwrap().iter().filter(|h| h["state"] == "Available" || h["state"] == "available").count();
    assert_eq!(releases, 1, "{g}");
}

/// A repeat-reactive screening test: every unit of the donation into quarantine (a
/// released one too), the donor deferred, a notification task, a lookback case.
async fn a_repeat_reactive_result_quarantines_defers_and_looks_back(t: TestApp) {
    let (din, units) = separated(&t, "Reactive").await;
    let lab = t.api_as("lab").await;
    clear_tests(&lab, &din, "O-").await;
    let red = units[0]["product_code"].as_str().unwrap().to_string();
    let r = lab.post_json(&format!("/api/v1/components/{din}/{red}/release"), json!({"scan": scan(&din, &red, "O-"), "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (din2, units2) = separated(&t, "Reactive Two").await;
    let res = format!("/api/v1/donations/{din2}/results");
    let r = lab.post_json(&res, json!({"test": "ANTI_HCV", "value": "reactive"})).await;
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["status"], json!({"awaiting_repeat": {"done": 0}}), "{out}");
    assert!(out["quarantined"].as_array().unwrap().is_empty(), "an initial reactive holds nothing yet: {out}");
    let r = lab.post_json(&res, json!({"test": "ANTI_HCV", "phase": "repeat", "value": "non-reactive"})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], json!({"awaiting_repeat": {"done": 1}}));
    let r = lab.post_json(&res, json!({"test": "ANTI_HCV", "phase": "repeat", "value": "reactive"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["status"], "reactive");
    assert_eq!(out["quarantined"].as_array().unwrap().len(), units2.len(), "every unit of the donation: {out}");
    assert_eq!(out["deferred"], true);
    assert!(out["notification_due_on"].is_string());
    assert_eq!(out["testing"]["lookback_cases"][0]["test"], "ANTI_HCV", "{out}");
    let code = units2[0]["product_code"].as_str().unwrap();
    let check: Value = lab.get(&format!("/api/v1/components/{din2}/{code}/release")).await.json().await.unwrap();
    let reasons = check["reasons"].to_string();
    assert!(reasons.contains("reactive") && reasons.contains("deferred"), "{reasons}");
    // A confirmatory result is recorded and changes nothing.
    let r = lab.post_json(&res, json!({"test": "ANTI_HCV", "phase": "confirmatory", "value": "positive"})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "reactive");

    // The released unit of the first donation leaves stock when its donor is deferred
    // back to its collection day (post-donation information).
    let g: Value = lab.get(&format!("/api/v1/components/{din}/{red}")).await.json().await.unwrap();
    assert_eq!(g["unit"]["state"], "available");
    let number = g["donor_number"].as_str().unwrap().to_string();
    let quality = t.api_as("quality").await;
    // The collection day as the site (America/Chicago) counts it, not the UTC date.
    let today = chrono::Utc::now().with_timezone(&chrono_tz::America::Chicago).date_naive().to_string();
    let r = quality
        .post_json(
            &format!("/api/v1/donors/{number}/deferrals"),
            json!({"kind": "indefinite", "reason_code": "PDI", "reason": "post-donation information", "starts_on": today}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let g: Value = lab.get(&format!("/api/v1/components/{din}/{red}")).await.json().await.unwrap();
    assert_eq!(g["unit"]["state"], "quarantine", "a deferral reaching back takes the unit out of stock: {g}");
    assert!(g["history"].to_string().contains("post-donation information"), "{g}");

    // The follow-up: the donor's notification task and the lookback case, listed.
    let tasks: Value = quality.get("/api/v1/donor-notifications").await.json().await.unwrap();
    let task = tasks.as_array().unwrap().iter().find(|x| x["din"] == din2.as_str()).unwrap_or_else(|| panic!("{tasks}")).clone();
    assert!(task["done"].is_null() && task["overdue"] == false, "{task}");
    let cases: Value = lab.get("/api/v1/lookback-cases").await.json().await.unwrap();
    assert_eq!(cases[0]["din"], din2.as_str(), "{cases}");
    assert!(cases[0]["test"].as_str().unwrap().contains("HCV"), "the test in words: {cases}");
    let path = format!("/api/v1/donor-notifications/{}", task["id"].as_str().unwrap());
    let physician = t.api_as("physician").await;
    let s = t.login_as("quality").await;
    let head = t.audit_head().await;
    let r = quality.post_json(&path, json!({"method": "pigeon"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "method");
    let r = quality.post_json(&path, json!({"method": "phone"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "note");
    assert_eq!(lab.post_json(&path, json!({"method": "letter"})).await.status(), StatusCode::FORBIDDEN);
    let r = quality.post_json("/api/v1/donor-notifications/01939d6e-0000-7000-8000-000000000000", json!({"method": "letter"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = s
        .client
        .post(t.url(&format!("/quality/notifications/{}", task["id"].as_str().unwrap())))
        .form(&[("_csrf", s.csrf.as_str()), ("method", "in_person"), ("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("say who spoke with the donor"), "the error next to the note");
    assert_eq!(t.audit_head().await, head, "refusals change nothing");
    // Two people recording the same notification at once: one does, the other is told.
    let (ra, rb) = tokio::join!(
        quality.post_json(&path, json!({"method": "certified_letter", "note": "letter N-17"})),
        physician.post_json(&path, json!({"method": "phone", "note": "explained the result and the deferral"}))
    );
    let mut statuses = [ra.status(), rb.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let html = s.client.get(t.url("/quality/notifications")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Certified letter") || html.contains("Telephone call"), "the outcome in words");
    let html = s.client.get(t.url("/quality/lookback")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("/donations/{din2}")), "the case on its page");
}

async fn compatibility_answers_over_the_api(t: TestApp) {
    let api = t.api_as("lab").await;
    let r = api
        .post_json(
            "/api/v1/rules/compatible",
            json!({"component": "red_cells", "donor": {"abo": "A", "rhd": "neg"}, "recipient": {"abo": "O", "rhd": "neg"}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let d: serde_json::Value = r.json().await.unwrap();
    assert_eq!(d["compatible"], false, "{d}");
    assert!(d["reason"].as_str().unwrap().contains("O only"), "{d}");
    let r = api
        .post_json(
            "/api/v1/rules/compatible",
            json!({"component": "plasma", "donor": {"abo": "AB", "rhd": "pos"}, "recipient": {"abo": "O", "rhd": "neg"}}),
        )
        .await;
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["compatible"], true);
    let r = api.post_json("/api/v1/rules/compatible", json!({"component": "plasma", "donor": {"abo": "AB", "rhd": "pos"}})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(r).await.to_string().contains("recipient"));
    let r = api
        .post_json(
            "/api/v1/rules/compatible",
            json!({"component": "plasma", "donor": {"abo": "AB", "rhd": "+"}, "recipient": {"abo": "O", "rhd": "neg"}}),
        )
        .await;
    assert_eq!(problem(r).await["errors"][0]["field"], "donor.rhd");
}

/// The pages: results entered on the donation's page, the release signed on the unit's
/// page, each error next to its field.
async fn the_lab_tests_and_releases_on_the_pages(t: TestApp) {
    let (din, units) = separated(&t, "Pages").await;
    let s = t.login_as("lab").await;
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let mut form = form;
        form.push(("_csrf", s.csrf.clone()));
        let req = s.client.post(t.url(&path)).form(&form);
        async move { req.send().await.unwrap() }
    };
    let r = post(format!("/donations/{din}/results"), vec![("test", "HIV_AB".into()), ("phase", "initial".into()), ("value", "maybe".into())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-value\"") && html.contains("value=\"maybe\""), "the error next to the result, the value kept");
    let r = post(format!("/donations/{din}/results"), vec![("test", "HIV_AB".into()), ("phase", "initial".into()), ("value", "non-reactive".into())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = s.client.get(t.url(&format!("/donations/{din}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"tests-table\"") && html.contains("non-reactive"), "the result on the page");
    assert!(!html.contains("HIV_AB<") && !html.contains("nonreactive<"), "words, not codes");

    let lab = t.api_as("lab").await;
    clear_tests(&lab, &din, "O-").await;
    let red = units[0]["product_code"].as_str().unwrap().to_string();
    let page = format!("/components/{din}/{red}");
    let html = s.client.get(t.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Every release condition holds"), "{html}");
    let r = post(format!("{page}/release"), vec![("scan", scan(&din, &red, "O-")), ("password", "wrong".into())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-password\""), "the error next to the password");
    let r = post(format!("{page}/release"), vec![("scan", scan(&din, &red, "O-")), ("password", PASSWORD.into())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = s.client.get(t.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("available stock"), "released");
    let other = units[1]["product_code"].as_str().unwrap();
    let html = s.client.get(t.url(&format!("/components/{din}/{other}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Every release condition holds"), "the FFP too, once tested");

    // An emergency release on the page, before another donation's testing is complete:
    // each refusal next to its field, the passwords never echoed; then signed.
    let (din, units) = separated(&t, "Emergency Page").await;
    let red = units[0]["product_code"].as_str().unwrap().to_string();
    let page = format!("/components/{din}/{red}");
    let form = |physician_password: &str| {
        vec![
            ("scan", scan(&din, &red, "O-")),
            ("password", PASSWORD.to_string()),
            ("physician", "physician".to_string()),
            ("physician_password", physician_password.to_string()),
            ("reason", "ruptured aortic aneurysm, St Mary's OR 3".to_string()),
        ]
    };
    let head = t.audit_head().await;
    let r = post(format!("{page}/emergency-release"), form("not-it")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"e-emergency_physician_password\"") && html.contains("<details id=\"emergency\" open>"),
        "the error next to the field"
    );
    assert!(html.contains("St Mary&#39;s OR 3") && !html.contains("not-it"), "the reason kept, no password echoed");
    assert_eq!(t.audit_head().await, head);
    let r = post(format!("{page}/emergency-release"), form(PASSWORD)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = s.client.get(t.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("available stock") && html.contains("EMERGENCY"), "released in an emergency: {html}");
}

/// An instrument export: rows that match no order are reported, the rest applied; the
/// same file again changes nothing; a repeat-reactive row quarantines.
async fn an_instrument_file_applies_row_by_row_and_only_once(t: TestApp) {
    let (din, _) = separated(&t, "Import").await;
    let (din2, _) = separated(&t, "Import Two").await;
    let lab = t.api_as("lab").await;
    let tests: Value = lab.get(&format!("/api/v1/donations/{din}/tests")).await.json().await.unwrap();
    let mut csv = String::from("din,test,phase,result,instrument\n");
    for x in tests["tests"].as_array().unwrap() {
        let code = x["code"].as_str().unwrap();
        csv.push_str(&format!("{din},{code},initial,{},ANALYZER-1\n", if code == "ABO_RH" { "O-" } else { "NR" }));
    }
    let ordered = tests["tests"].as_array().unwrap().len();
    csv.push_str(&format!("{din},BABESIA_NAT,initial,NR,ANALYZER-1\n"));
    csv.push_str("A999926999999,HIV_AB,initial,NR,ANALYZER-1\n");
    csv.push_str(&format!("{din2},HIV_AB,sometimes,NR,ANALYZER-1\n"));
    csv.push_str(&format!("{din2},ANTI_HTLV,initial,R,ANALYZER-1\n{din2},ANTI_HTLV,repeat,R,ANALYZER-1\n"));
    let post = |body: String| {
        let req =
            lab.client.post(format!("{}/api/v1/results/import", lab.base)).bearer_auth(&lab.token).header("content-type", "text/csv").body(body);
        async move { req.send().await.unwrap() }
    };
    let r = post(csv.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let rep: Value = r.json().await.unwrap();
    assert_eq!(rep["applied"], ordered + 2, "{rep}");
    let lines: Vec<u64> = rep["rejected"].as_array().unwrap().iter().map(|x| x["line"].as_u64().unwrap()).collect();
    let first_bad = ordered as u64 + 2;
    assert_eq!(lines, vec![first_bad, first_bad + 1, first_bad + 2], "{rep}");
    assert!(rep["rejected"][0]["reasons"][0].as_str().unwrap().contains("not ordered"), "{rep}");
    assert_eq!(rep["quarantined"].as_array().unwrap().len(), 2, "a repeat-reactive anti-HTLV holds both units: {rep}");
    let done: Value = lab.get(&format!("/api/v1/donations/{din}/tests")).await.json().await.unwrap();
    assert_eq!(done["complete"], true);
    assert!(done["tests"][1]["results"][0]["source"].as_str().unwrap().contains("ANALYZER-1"));
    let g: Value = lab.get(&format!("/api/v1/donations/{din2}/tests")).await.json().await.unwrap();
    assert!(g["reactive"].to_string().contains("HTLV"), "{g}");

    let head = t.audit_head().await;
    let rep: Value = post(csv).await.json().await.unwrap();
    assert_eq!((rep["applied"].as_u64(), rep["already_imported"].as_u64()), (Some(0), Some(ordered as u64 + 2)), "{rep}");
    assert_eq!(t.audit_head().await, head, "the same file twice changes nothing");
    let r = post("din,colour\nx,y\n".into()).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "file");
}

/// Release before testing completes: the lab signs and a physician co-signs; every
/// other condition still holds; the label says so; a later reactive result takes the
/// unit out of stock and is recorded as an alert.
async fn an_emergency_release_needs_a_physicians_signature_and_follows_the_unit(t: TestApp) {
    let (din, units) = separated(&t, "Emergency").await;
    let lab = t.api_as("lab").await;
    let red = units[0]["product_code"].as_str().unwrap().to_string();
    let path = format!("/api/v1/components/{din}/{red}/emergency-release");
    let body = |physician: &str, pw: &str, reason: &str| json!({"scan": scan(&din, &red, "O-"), "password": PASSWORD, "physician": physician, "physician_password": pw, "reason": reason});
    let head = t.audit_head().await;
    for (b, field) in [
        (body("", PASSWORD, "trauma bay, St Mary's"), "physician"),
        (body("lab", PASSWORD, "trauma bay, St Mary's"), "physician"),
        (body("quality", PASSWORD, "trauma bay, St Mary's"), "physician"),
        (body("physician", "wrong", "trauma bay, St Mary's"), "physician_password"),
        (body("physician", PASSWORD, " "), "reason"),
    ] {
        let r = lab.post_json(&path, b).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(r).await["errors"][0]["field"], field);
    }
    assert_eq!(t.audit_head().await, head, "refusals change nothing");
    let r = lab.post_json(&path, body("physician", PASSWORD, "trauma bay, St Mary's")).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let rel: Value = r.json().await.unwrap();
    assert_eq!((rel["emergency"].as_bool(), rel["state"].as_str()), (Some(true), Some("available")));
    let zpl = lab.post_json(&format!("/api/v1/components/{din}/{red}/label?format=zpl"), json!(null)).await.text().await.unwrap();
    assert!(zpl.contains("EMERGENCY RELEASE"), "the label says so: {zpl}");
    let s = t.login_as("physician").await;
    let html = s.client.get(t.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("/lab/units?list=emergency"), "the physician's count links to the list");
    let html = s.client.get(t.url("/lab/units?list=emergency")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("/components/{din}/{red}")), "the emergency release is listed");
    // A reactive result after the emergency release takes the unit out of stock, with an alert.
    let r = lab.post_json(&format!("/api/v1/donations/{din}/results"), json!({"test": "HIV_NAT", "value": "reactive"})).await;
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["emergency_alerts"], json!([format!("{din} {red}")]), "{out}");
    let g: Value = lab.get(&format!("/api/v1/components/{din}/{red}")).await.json().await.unwrap();
    assert_eq!(g["unit"]["state"], "quarantine", "{g}");
    // A second unit of the donation cannot be released in an emergency now: reactive.
    let ffp = units[1]["product_code"].as_str().unwrap();
    let b = json!({"scan": scan(&din, ffp, "O-"), "password": PASSWORD, "physician": "physician", "physician_password": PASSWORD, "reason": "massive transfusion"});
    let r = lab.post_json(&format!("/api/v1/components/{din}/{ffp}/emergency-release"), b).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["reasons"].to_string().contains("reactive"));
}

/// A special test on request: ordered once, a negative result marks the donation's units;
/// a pending special test never holds a release.
async fn a_negative_special_test_marks_the_units(t: TestApp) {
    let (din, units) = separated(&t, "Special").await;
    let lab = t.api_as("lab").await;
    let path = format!("/api/v1/donations/{din}/tests");
    let collector = t.api_as("collector").await;
    let head = t.audit_head().await;
    let r = lab.post_json(&path, json!({"test": "HIV_AB"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "test", "a screening test is no special test");
    let r = lab.post_json("/api/v1/donations/A999926999999/tests", json!({"test": "CMV"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(collector.post_json(&path, json!({"test": "CMV"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);
    let r = lab.post_json(&path, json!({"test": "CMV"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let tests: Value = r.json().await.unwrap();
    assert!(tests["orderable"].to_string().contains("HBS") && !tests["orderable"].to_string().contains("CMV"), "{tests}");
    assert_eq!(lab.post_json(&path, json!({"test": "cmv antibody"})).await.status(), StatusCode::CONFLICT, "once per donation");
    assert_eq!(lab.post_json(&path, json!({"test": "HBS"})).await.status(), StatusCode::CREATED);
    // Every required test cleared; the special ones: CMV negative, HbS still pending.
    let required: Value = lab.get(&format!("/api/v1/donations/{din}/tests")).await.json().await.unwrap();
    for x in required["tests"].as_array().unwrap().iter().filter(|x| x["code"] != "HBS") {
        let code = x["code"].as_str().unwrap();
        let value = if code == "ABO_RH" { "O-" } else { "non-reactive" };
        let r = lab.post_json(&format!("/api/v1/donations/{din}/results"), json!({"test": code, "value": value})).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{code}");
    }
    let red = units[0]["product_code"].as_str().unwrap();
    let g: Value = lab.get(&format!("/api/v1/components/{din}/{red}")).await.json().await.unwrap();
    assert_eq!(g["special_attributes"], json!(["CMV-negative"]), "{g}");
    let check: Value = lab.get(&format!("/api/v1/components/{din}/{red}/release")).await.json().await.unwrap();
    assert_eq!(check["releasable"], true, "a pending HbS test holds nothing: {check}");
    let s = t.login_as("lab").await;
    let html = s.client.get(t.url(&format!("/components/{din}/{red}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"unit-special\">CMV-negative"), "on the unit page");
}

/// Two people entering the same result at once: one is recorded, the other is told the
/// test is final (the donation's row is locked).
async fn two_entries_of_one_result_at_once_make_one(t: TestApp) {
    let (din, _) = separated(&t, "Race Result").await;
    let (a, b) = (t.api_as("lab").await, t.api_as("lab").await);
    let path = format!("/api/v1/donations/{din}/results");
    let body = json!({"test": "HIV_AB", "value": "non-reactive"});
    let (ra, rb) = tokio::join!(a.post_json(&path, body.clone()), b.post_json(&path, body.clone()));
    let (won, lost) = if ra.status() == StatusCode::CREATED { (ra, rb) } else { (rb, ra) };
    assert_eq!(won.status(), StatusCode::CREATED);
    assert_eq!(lost.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(lost).await.to_string().contains("final"), "the second is told the test is final");
    let tests: Value = a.get(&format!("/api/v1/donations/{din}/tests")).await.json().await.unwrap();
    let hiv = tests["tests"].as_array().unwrap().iter().find(|x| x["code"] == "HIV_AB").unwrap().clone();
    assert_eq!(hiv["results"].as_array().unwrap().len(), 1, "{hiv}");
}

both_backends!(
    an_emergency_release_needs_a_physicians_signature_and_follows_the_unit,
    an_instrument_file_applies_row_by_row_and_only_once,
    the_lab_tests_and_releases_on_the_pages,
    compatibility_answers_over_the_api,
    a_unit_is_released_only_through_the_gate_with_a_signature,
    two_releases_of_one_unit_at_once_make_one,
    a_repeat_reactive_result_quarantines_defers_and_looks_back,
    a_negative_special_test_marks_the_units,
    two_entries_of_one_result_at_once_make_one,
);
