//! Quality records over the API and the pages, on SQLite and PostgreSQL: deviations
//! (opening with units on hold, investigation, report to FDA, closing), QC results that
//! fail a unit, and lifting holds with a signature.

use crate::common;

use common::{problem, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const PASSWORD: &str = common::PASSWORD;

fn scan(din: &str, code: &str) -> String {
    let din = isbt128::Din::parse_content(&format!("{din}00")).unwrap().encode();
    format!("{din} =<{code} =%9500")
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

/// A separated O- whole blood donation (red cells, FFP, platelets), tested clear: the
/// DIN and its units.
async fn tested(t: &TestApp, name: &str) -> (String, Vec<Value>) {
    let (din, at) = t.recorded_donation(name).await;
    let lab = t.api_as("lab").await;
    let r = lab.post_json(&format!("/api/v1/donations/{din}/separation"), json!({"plasma_frozen_at": at, "platelets_separated_at": at})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let units: Vec<Value> = r.json().await.unwrap();
    let tests: Value = lab.get(&format!("/api/v1/donations/{din}/tests")).await.json().await.unwrap();
    for t in tests["tests"].as_array().unwrap().iter().filter(|t| t["status"] == "pending") {
        let code = t["code"].as_str().unwrap();
        let value = if code == "ABO_RH" { "O-" } else { "non-reactive" };
        let r = lab.post_json(&format!("/api/v1/donations/{din}/results"), json!({"test": code, "value": value})).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{code}: {}", r.text().await.unwrap());
    }
    (din, units)
}

fn code_of(units: &[Value], kind: &str) -> String {
    units.iter().find(|u| u["kind"] == kind).unwrap_or_else(|| panic!("no {kind} in {units:?}"))["product_code"].as_str().unwrap().to_string()
}

async fn release(t: &TestApp, din: &str, code: &str) {
    let lab = t.api_as("lab").await;
    let r = lab.post_json(&format!("/api/v1/components/{din}/{code}/release"), json!({"scan": scan(din, code), "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
}

async fn state(api: &common::ApiClient, din: &str, code: &str) -> String {
    let g: Value = api.get(&format!("/api/v1/components/{din}/{code}")).await.json().await.unwrap();
    g["unit"]["state"].as_str().unwrap().to_string()
}

async fn reasons(api: &common::ApiClient, din: &str, code: &str) -> Vec<String> {
    let c: Value = api.get(&format!("/api/v1/components/{din}/{code}/release")).await.json().await.unwrap();
    c["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string()).collect()
}

fn fields(p: &Value) -> Vec<String> {
    p["errors"].as_array().map(|a| a.iter().map(|e| e["field"].as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

async fn a_deviation_holds_its_units_and_is_reported_before_it_closes(t: TestApp) {
    let (din, units) = tested(&t, "Deviation").await;
    let (red, ffp) = (code_of(&units, "red_cells"), code_of(&units, "ffp"));
    let v = t.api_as("lab").await;
    let lab = t.api_as("lab").await;
    release(&t, &din, &red).await;
    assert_eq!(state(&v, &din, &red).await, "available");
    let q = t.api_as("quality").await;
    let year = chrono::Utc::now().date_naive().format("%Y").to_string();
    let good = json!({"what_happened": "Units stored at 9 °C for 3 hours\nfridge R2 alarm", "discovered_on": day(-60), "acquired_on": day(-60),
        "units": format!("{din} {red}\n{}", scan(&din, &ffp).rsplit_once(' ').unwrap().0), "distributed": true, "reportable": true, "hold_units": true});

    // Every refusal names its field and changes nothing (not even the number counter).
    let head = t.audit_head().await;
    let refused = [
        (json!({"what_happened": " ", "discovered_on": day(0)}), "what_happened"),
        (json!({"what_happened": "x", "discovered_on": "yesterday"}), "discovered_on"),
        (json!({"what_happened": "x", "discovered_on": day(3)}), "discovered_on"),
        (json!({"what_happened": "x", "discovered_on": day(-2), "acquired_on": day(-5)}), "acquired_on"),
        (json!({"what_happened": "x", "discovered_on": day(0), "reportable": true}), "reportable"),
        (json!({"what_happened": "x", "discovered_on": day(0), "units": "not a unit"}), "units"),
        (json!({"what_happened": "x", "discovered_on": day(0), "units": format!("A999926999999 {red}")}), "units"),
        (json!({"what_happened": "x", "discovered_on": day(0), "hold_units": true}), "units"),
    ];
    for (body, field) in refused {
        let r = q.post_json("/api/v1/deviations", body.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(fields(&problem(r).await).contains(&field.to_string()), "{body} refused by {field}");
    }
    let r = q.post_json("/api/v1/deviations", json!({"what_happened": "x", "discovered_on": day(0), "severity": "high"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "unknown field");
    assert_eq!(lab.post_json("/api/v1/deviations", good.clone()).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);

    let r = q.post_json("/api/v1/deviations", good).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let d: Value = r.json().await.unwrap();
    let number = d["number"].as_str().unwrap().to_string();
    assert_eq!(number, format!("DEV-{year}-0001"), "the first number of the year, no gap after the refusals");
    assert_eq!(d["status"], "open");
    assert_eq!(d["deadline"], json!(day(-15)), "acquired + 45 calendar days");
    assert_eq!(d["overdue"], true);
    assert_eq!(d["units"].as_array().unwrap().len(), 2);
    // The units are held in the same transaction; the released one left stock.
    assert_eq!(state(&v, &din, &red).await, "quarantine");
    assert!(reasons(&v, &din, &ffp).await.contains(&"hold".to_string()));
    let uq: Value = q.get(&format!("/api/v1/components/{din}/{ffp}/quality")).await.json().await.unwrap();
    assert!(uq["holds"][0]["reason"].as_str().unwrap().contains(&number), "{uq}");
    assert_eq!(uq["holds"][0]["kind"], "deviation");

    // Lists: open, overdue, all; an unknown list is refused.
    let list = |show: &'static str| {
        let q = &q;
        async move { q.get(&format!("/api/v1/deviations?show={show}")).await }
    };
    let overdue: Value = list("overdue").await.json().await.unwrap();
    assert_eq!(overdue[0]["number"], json!(number));
    assert_eq!(list("nonsense").await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A second deviation, not reportable: the next number.
    let r = q.post_json("/api/v1/deviations", json!({"what_happened": "Label printer misaligned", "discovered_on": day(0)})).await;
    let second: Value = r.json().await.unwrap();
    assert_eq!(second["number"], json!(format!("DEV-{year}-0002")));
    assert_eq!((second["deadline"].clone(), second["overdue"].clone()), (Value::Null, json!(false)));
    let n2 = second["number"].as_str().unwrap();

    let path = format!("/api/v1/deviations/{number}");
    let head = t.audit_head().await;
    // Closing needs root cause, corrective action and the report; reporting needs a date
    // and a reference; a deviation that is not reportable is not reported.
    let r = q.post_json(&format!("{path}/close"), json!(null)).await;
    assert_eq!(fields(&problem(r).await), ["root_cause", "corrective_action", "reported_on"]);
    let r = q.post_json(&format!("{path}/report"), json!({"reported_on": day(2), "reference": ""})).await;
    assert_eq!(fields(&problem(r).await), ["reported_on", "reference"]);
    let r = q.post_json(&format!("{path}/report"), json!({"reported_on": day(-61), "reference": "BPDR-0"})).await;
    assert_eq!(fields(&problem(r).await), ["reported_on"], "reported before it was discovered");
    let r = q.post_json(&format!("/api/v1/deviations/{n2}/report"), json!({"reported_on": day(0), "reference": "BPDR-1"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = q.post_json(&format!("{path}/investigation"), json!({})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "nothing changed");
    let r = q.post_json(&format!("{path}/investigation"), json!({"reportable": true, "distributed": false})).await;
    assert_eq!(fields(&problem(r).await), ["reportable"]);
    assert_eq!(q.get("/api/v1/deviations/DEV-1999-0042").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(t.audit_head().await, head);

    let r =
        q.post_json(&format!("{path}/investigation"), json!({"investigation": "Alarm ignored overnight", "root_cause": "alarm not escalated"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let d: Value = r.json().await.unwrap();
    assert_eq!((d["status"].as_str(), d["version"].as_i64()), (Some("investigating"), Some(2)));
    let r = q.post_json(&format!("{path}/close"), json!(null)).await;
    assert_eq!(fields(&problem(r).await), ["corrective_action", "reported_on"]);
    let r = q.post_json(&format!("{path}/report"), json!({"reported_on": day(0), "reference": "BPDR 2026-1234"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let d: Value = r.json().await.unwrap();
    assert_eq!((d["overdue"].clone(), d["reported_on"].clone()), (json!(false), json!(day(0))));
    let r = q.post_json(&format!("{path}/report"), json!({"reported_on": day(0), "reference": "again"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "reported once");
    let r = q.post_json(&format!("{path}/investigation"), json!({"corrective_action": "Alarm escalation to on-call phone"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = q.post_json(&format!("{path}/close"), json!(null)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["status"], "closed");
    let changes: Vec<&str> = d["history"].as_array().unwrap().iter().map(|h| h["change"].as_str().unwrap()).collect();
    assert_eq!(changes.len(), 5, "{changes:?}");
    assert_eq!(changes[0], "opened");
    assert_eq!(changes[4], "closed");
    // Closed: no more changes; its holds stay until lifted.
    let head = t.audit_head().await;
    assert_eq!(q.post_json(&format!("{path}/investigation"), json!({"investigation": "more"})).await.status(), StatusCode::CONFLICT);
    assert_eq!(q.post_json(&format!("{path}/close"), json!(null)).await.status(), StatusCode::CONFLICT);
    assert_eq!(t.audit_head().await, head);
    assert!(reasons(&v, &din, &ffp).await.contains(&"hold".to_string()));
    let open: Value = list("open").await.json().await.unwrap();
    assert!(open.as_array().unwrap().iter().all(|x| x["number"] != json!(number)), "closed ones leave the open list");
    let all: Value = list("all").await.json().await.unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
}

async fn a_failed_qc_result_fails_the_unit_and_takes_it_out_of_stock(t: TestApp) {
    let (din, units) = tested(&t, "Qc").await;
    let (plt, red) = (code_of(&units, "platelets"), code_of(&units, "red_cells"));
    release(&t, &din, &plt).await;
    let lab = t.api_as("lab").await;
    let v = t.api_as("lab").await;
    let collector = t.api_as("collector").await;
    let q = t.api_as("quality").await;
    let uq: Value = lab.get(&format!("/api/v1/components/{din}/{plt}/quality")).await.json().await.unwrap();
    let checks: Vec<&str> = uq["checks"].as_array().unwrap().iter().map(|c| c["check"].as_str().unwrap()).collect();
    assert_eq!(checks, ["platelet_ph", "platelet_content"]);
    assert!(uq["checks"][1]["spec"].as_str().unwrap().contains("5.5"), "whole-blood-derived platelets: {uq}");

    let path = format!("/api/v1/components/{din}/{plt}/qc");
    let head = t.audit_head().await;
    for (body, field) in [
        (json!({"check": "residual_wbc", "value": "1e6"}), "check"),
        (json!({"check": "sterility", "value": "1"}), "check"),
        (json!({"check": "platelet_ph", "value": "-7"}), "value"),
        (json!({"check": "platelet_ph", "value": "seven"}), "value"),
        (json!({"check": "platelet_ph", "value": "70"}), "value"),
        (json!({"check": "platelet_content", "value": "3 x 10^40"}), "value"),
        (json!({"check": "platelet_content", "value": ""}), "value"),
    ] {
        let r = lab.post_json(&path, body.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(fields(&problem(r).await), [field], "{body}");
    }
    let r = lab.post_json(&format!("/api/v1/components/{din}/{red}/qc"), json!({"check": "residual_wbc", "value": "1e6"})).await;
    assert!(problem(r).await["errors"][0]["message"].as_str().unwrap().contains("no QC check"), "red cells not leukoreduced");
    assert_eq!(collector.post_json(&path, json!({"check": "platelet_ph", "value": "7"})).await.status(), StatusCode::FORBIDDEN);
    let r = lab.post_json(&format!("/api/v1/components/{din}/E9999V00/qc"), json!({"check": "platelet_ph", "value": "7"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(t.audit_head().await, head);

    let r = lab.post_json(&path, json!({"check": "platelet_ph", "value": "7.0"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let out: Value = r.json().await.unwrap();
    assert_eq!((out["result"]["passed"].clone(), out["left_stock"].clone(), out["state"].clone()), (json!(true), json!(false), json!("available")));
    // Quality staff enter QC too; a failed count takes the released unit out of stock.
    let r = q.post_json(&path, json!({"check": "platelet_content", "value": "4.1 x 10^10"})).await;
    let out: Value = r.json().await.unwrap();
    assert_eq!((out["result"]["passed"].clone(), out["left_stock"].clone()), (json!(false), json!(true)), "{out}");
    assert_eq!(state(&v, &din, &plt).await, "quarantine");
    assert!(reasons(&v, &din, &plt).await.contains(&"qc".to_string()));
    let r = lab.post_json(&format!("/api/v1/components/{din}/{plt}/release"), json!({"scan": scan(&din, &plt), "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem(r).await["reasons"][0]["code"], "qc");
    // The latest result of a check is the one the gate reads.
    let r = lab.post_json(&path, json!({"check": "platelet_content", "value": "6.2e10"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(!reasons(&v, &din, &plt).await.contains(&"qc".to_string()));
    release(&t, &din, &plt).await;
}

async fn a_hold_is_lifted_once_with_a_reason_and_a_signature(t: TestApp) {
    let (din, units) = tested(&t, "Lift").await;
    let ffp = code_of(&units, "ffp");
    let q = t.api_as("quality").await;
    let (v, lab) = (t.api_as("lab").await, t.api_as("lab").await);
    let r = q
        .post_json(
            "/api/v1/deviations",
            json!({"what_happened": "Freezer door ajar", "discovered_on": day(0), "units": format!("{din} {ffp}"), "hold_units": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let uq: Value = q.get(&format!("/api/v1/components/{din}/{ffp}/quality")).await.json().await.unwrap();
    let id = uq["holds"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/components/{din}/{ffp}/holds/{id}/lift");

    let head = t.audit_head().await;
    let r = q.post_json(&path, json!({"reason": "Temperature log reviewed", "password": "wrong"})).await;
    assert_eq!(fields(&problem(r).await), ["password"]);
    let r = q.post_json(&path, json!({"reason": "  ", "password": PASSWORD})).await;
    assert_eq!(fields(&problem(r).await), ["reason"]);
    assert_eq!(lab.post_json(&path, json!({"reason": "ok", "password": PASSWORD})).await.status(), StatusCode::FORBIDDEN);
    let other = format!("/api/v1/components/{din}/{ffp}/holds/{}/lift", uuid::Uuid::now_v7());
    assert_eq!(q.post_json(&other, json!({"reason": "ok", "password": PASSWORD})).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(t.audit_head().await, head);

    let before = state(&v, &din, &ffp).await;
    let r = q.post_json(&path, json!({"reason": "Temperature log reviewed: within limits", "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let h: Value = r.json().await.unwrap();
    assert_eq!((h["lifted_by"].as_str(), h["lift_reason"].as_str()), (Some("quality"), Some("Temperature log reviewed: within limits")));
    assert_eq!(state(&v, &din, &ffp).await, before, "lifting does not release");
    assert!(!reasons(&v, &din, &ffp).await.contains(&"hold".to_string()));
    let r = q.post_json(&path, json!({"reason": "again", "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("lifted already, by quality"));
    let audit = t.app.store.audit_head().await.unwrap().0;
    assert_eq!(audit, head + 1, "one audit record for the lift");
}

/// Two quality staff lifting the same hold at once: one lifts, the other is told.
async fn two_lifts_of_one_hold_at_once_make_one(t: TestApp) {
    let (din, units) = tested(&t, "Race Lift").await;
    let ffp = code_of(&units, "ffp");
    let q = t.api_as("quality").await;
    let r = q
        .post_json(
            "/api/v1/deviations",
            json!({"what_happened": "Seal broken", "discovered_on": day(0), "units": format!("{din} {ffp}"), "hold_units": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let uq: Value = q.get(&format!("/api/v1/components/{din}/{ffp}/quality")).await.json().await.unwrap();
    let id = uq["holds"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/components/{din}/{ffp}/holds/{id}/lift");
    let (a, b) = (t.api_as("quality").await, t.api_as("quality").await);
    let body = json!({"reason": "Seal checked: intact", "password": PASSWORD});
    let (ra, rb) = tokio::join!(a.post_json(&path, body.clone()), b.post_json(&path, body.clone()));
    let mut statuses = [ra.status(), rb.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let uq: Value = q.get(&format!("/api/v1/components/{din}/{ffp}/quality")).await.json().await.unwrap();
    assert_eq!(uq["holds"].as_array().unwrap().len(), 1);
    assert!(uq["holds"][0]["lifted_at"].is_string());
}

async fn quality_staff_work_deviations_qc_and_holds_on_the_pages(t: TestApp) {
    let (din, units) = tested(&t, "Pages").await;
    let (plt, ffp) = (code_of(&units, "platelets"), code_of(&units, "ffp"));
    let s = t.login_as("quality").await;
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let mut form = form;
        form.push(("_csrf", s.csrf.clone()));
        s.client.post(t.url(&path)).form(&form).send()
    };
    let html = s.client.get(t.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("href=\"/quality/deviations\""), "the Quality menu has Deviations");
    let r = post("/quality/deviations".into(), vec![("what_happened", "".into()), ("discovered_on", day(0)), ("units", "nonsense".into())])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-what_happened\"") && html.contains("id=\"e-units\""), "errors next to their fields");
    let r = post(
        "/quality/deviations".into(),
        vec![
            ("what_happened", "Platelet agitator stopped overnight".into()),
            ("discovered_on", day(-50)),
            ("units", format!("{din} {ffp}")),
            ("hold_units", "on".into()),
            ("distributed", "on".into()),
            ("reportable", "on".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/quality/deviations/DEV-"), "{to}");
    let html = s.client.get(t.url("/quality/deviations?show=overdue")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("OVERDUE") && html.contains("class=\"overdue\""), "the overdue one is said in words");
    let html = s.client.get(t.url(&to)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("/components/{din}/{ffp}")), "its units link to their pages");
    let r = post(format!("{to}/close"), vec![]).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("root cause"));
    let r = post(format!("{to}/report"), vec![("reported_on", "soon".into()), ("reference", "".into())]).await.unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-reported_on\"") && html.contains("id=\"e-reference\""));

    // The unit's page: the hold with its lift form; a wrong password is said next to it.
    let page = format!("/components/{din}/{ffp}");
    let html = s.client.get(t.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"holds\"") && html.contains("Sign and lift"));
    let uq: Value = t.api_as("quality").await.get(&format!("/api/v1/components/{din}/{ffp}/quality")).await.json().await.unwrap();
    let id = uq["holds"][0]["id"].as_str().unwrap().to_string();
    let r = post(format!("{page}/holds/{id}/lift"), vec![("reason", "reviewed".into()), ("password", "wrong".into())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("the password is not right"));
    let r =
        post(format!("{page}/holds/{id}/lift"), vec![("reason", "reviewed: agitator log fine".into()), ("password", PASSWORD.into())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = s.client.get(t.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("reviewed: agitator log fine") && html.contains("by quality"));

    // QC on the platelet unit's page: a bad value is said next to the field.
    let page = format!("/components/{din}/{plt}");
    let r = post(format!("{page}/qc"), vec![("check", "platelet_ph".into()), ("value", "-3".into())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"e-qc-value\""));
    let r = post(format!("{page}/qc"), vec![("check", "platelet_ph".into()), ("value", "6.0".into())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = s.client.get(t.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("FAILED") && html.contains("quality control failed"), "the failure and the gate's reason");
    // The lab sees no deviation pages.
    let lab = t.login_as("lab").await;
    assert_eq!(lab.client.get(t.url("/quality/deviations")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
}

both_backends!(
    a_deviation_holds_its_units_and_is_reported_before_it_closes,
    a_failed_qc_result_fails_the_unit_and_takes_it_out_of_stock,
    a_hold_is_lifted_once_with_a_reason_and_a_signature,
    two_lifts_of_one_hold_at_once_make_one,
    quality_staff_work_deviations_qc_and_holds_on_the_pages,
);

/// The demo centre has an open deviation with units on hold, an overdue reportable one,
/// a closed one, and a platelet unit that failed QC.
async fn the_demo_has_quality_records(backend: store::Backend) {
    let Some(db) = store::test_support::fresh(backend).await else { return };
    let settings = app::Settings { fin: Some("A9998".into()), time_zone: chrono_tz::America::Chicago, ..Default::default() };
    let app = app::App::new(db.store.clone(), settings);
    app.generate_demo(app::demo::DemoOptions { donors: 150, ..Default::default() }, |_, _| {}).await.unwrap();
    let quality = app::Actor { username: "quality".into(), ..app::Actor::operator() };
    let quality = app::Actor { roles: domain::Roles::new([domain::Role::Quality]).unwrap(), ..quality };
    let all = app.deviations(&quality, app::quality::DeviationFilter::All).await.unwrap();
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(all.iter().filter(|d| d.overdue).count(), 1);
    assert_eq!(all.iter().filter(|d| d.status == domain::quality::DeviationStatus::Closed).count(), 1);
    let open = all.iter().find(|d| !d.units.is_empty()).expect("a deviation with units");
    let mut failed_qc = 0;
    for d in app.store.donations_with_din_since(chrono::Utc::now() - chrono::Duration::hours(12), 50).await.unwrap() {
        for u in app.store.components_of_donation(d.id).await.unwrap() {
            failed_qc += app.store.qc_results_of(u.id).await.unwrap().iter().filter(|r| !r.passed).count();
            if open.units.iter().any(|x| x.din == u.din && x.product_code == u.product_code) {
                let holds = app.store.open_holds_of(u.id).await.unwrap();
                assert!(holds.iter().any(|h| h.kind == "deviation"), "held by the deviation: {holds:?}");
                assert_eq!(u.state, domain::component::ComponentState::Quarantine);
            }
        }
    }
    assert_eq!(failed_qc, 1, "one platelet unit failed QC");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_has_quality_records_sqlite() {
    the_demo_has_quality_records(store::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_has_quality_records_postgres() {
    the_demo_has_quality_records(store::Backend::Postgres).await;
}
