//! The collection record of a donation and donor reactions, over the API and the pages,
//! on SQLite and PostgreSQL.

use crate::common;

use common::{problem, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn record(collected_at: &str) -> Value {
    json!({
        "phlebotomist": "Demo Collector", "started_at": collected_at, "ended_at": collected_at,
        "volume_ml": 480, "outcome": "complete",
        "bag_set_lot": "BS2611-07", "bag_set_expires_on": "2099-06-30",
        "anticoagulant": "CPD", "anticoagulant_lot": "AC2610-11", "anticoagulant_expires_on": "2099-03-31",
        "additive_solution": "AS-1",
    })
}

async fn collected_at(t: &TestApp, din: &str) -> String {
    let api = t.api_as("collector").await;
    let d: Value = api.get(&format!("/api/v1/donations/{din}")).await.json().await.unwrap();
    assert!(d["record"].is_null(), "{d}");
    d["collected_at"].as_str().unwrap().to_string()
}

async fn a_collection_is_recorded_once_and_corrected_with_a_reason(t: TestApp) {
    let din = t.collected_unit("Record", "O", "neg", 2).await;
    let at = collected_at(&t, &din).await;
    let api = t.api_as("collector").await;
    let head = t.audit_head().await;

    // Bad input: every mistake named, nothing written.
    let mut bad = record(&at);
    bad["bag_set_expires_on"] = json!("2000-01-31");
    bad["volume_ml"] = json!("lots");
    bad["device_type"] = json!("Trima");
    let r = api.post_json(&format!("/api/v1/donations/{din}/collection"), bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(r).await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["volume_ml", "bag_set_expires_on", "device_type"], "{p}");
    assert!(p.to_string().contains("bag set lot BS2611-07 expired on 2000-01-31"), "{p}");
    let right = domain::labeling::parse_din("din", &din).unwrap().check_character();
    let wrong = if right == '0' { '1' } else { '0' };
    let r = api.post_json(&format!("/api/v1/donations/{din}{wrong}/collection"), record(&at)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a DIN with a wrong check character is refused");
    assert_eq!(problem(r).await["errors"][0]["field"], "din");
    let r = api.post_json("/api/v1/donations/A999926999999/collection", record(&at)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "a DIN without a donation");
    assert_eq!(t.audit_head().await, head);

    // Scanned with its check character, the DIN is the same donation.
    let r = api.post_json(&format!("/api/v1/donations/{din}{right}/collection"), record(&at)).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    assert_eq!(t.audit_head().await, head + 1);
    // A second record is a correction: it needs a reason and must change something.
    let r = api.post_json(&format!("/api/v1/donations/{din}/collection"), record(&at)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "reason");
    let mut same = record(&at);
    same["reason"] = json!("typo");
    assert_eq!(api.post_json(&format!("/api/v1/donations/{din}/collection"), same).await.status(), StatusCode::CONFLICT);
    let mut fix = record(&at);
    fix["volume_ml"] = json!(470);
    fix["reason"] = json!("scale read again");
    let r = api.post_json(&format!("/api/v1/donations/{din}/collection"), fix).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(t.audit_head().await, head + 2);
    let d: Value = api.get(&format!("/api/v1/donations/{din}")).await.json().await.unwrap();
    assert_eq!((d["record"]["version"].as_i64(), d["record"]["volume_ml"].as_i64()), (Some(2), Some(470)));
    assert_eq!(d["corrections"][0]["volume_ml"], 480, "the first version stays");

    // Lab may read it, not write it.
    let lab = t.api_as("lab").await;
    assert_eq!(lab.get(&format!("/api/v1/donations/{din}")).await.status(), StatusCode::OK);
    assert_eq!(lab.post_json(&format!("/api/v1/donations/{din}/collection"), record(&at)).await.status(), StatusCode::FORBIDDEN);
}

async fn two_first_records_at_once_make_one_record(t: TestApp) {
    let din = t.collected_unit("Race", "A", "pos", 2).await;
    let at = collected_at(&t, &din).await;
    let (a, b) = (t.api_as("collector").await, t.api_as("collector").await);
    let path = format!("/api/v1/donations/{din}/collection");
    let (ra, rb) = tokio::join!(a.post_json(&path, record(&at)), b.post_json(&path, record(&at)));
    let mut statuses = [ra.status(), rb.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY], "exactly one first record; the other is told to give a reason");
    let d: Value = a.get(&format!("/api/v1/donations/{din}")).await.json().await.unwrap();
    assert!(d["corrections"].as_array().unwrap().is_empty());
}

async fn a_severe_reaction_can_defer_the_donor(t: TestApp) {
    let din = t.collected_unit("Faint", "B", "pos", 2).await;
    let at = collected_at(&t, &din).await;
    let api = t.api_as("collector").await;
    let head = t.audit_head().await;
    let reaction = json!({"kind": "vasovagal", "severity": "severe", "onset": "after_at_site", "onset_at": at,
                          "treatment": "legs raised, fluids", "outcome": "recovered at the site"});
    let mut bad = reaction.clone();
    bad["severity"] = json!("awful");
    bad["deferral"] = json!({"kind": "temporary", "reason_code": "ADVERSE_REACTION", "reason": "faint"});
    let r = api.post_json(&format!("/api/v1/donations/{din}/reactions"), bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(r).await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["severity", "deferral.until"], "{p}");
    let mut unknown = reaction.clone();
    unknown["colour"] = json!("pale");
    assert_eq!(api.post_json(&format!("/api/v1/donations/{din}/reactions"), unknown).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.audit_head().await, head);

    let mut entry = reaction.clone();
    entry["deferral"] = json!({"kind": "temporary", "reason_code": "ADVERSE_REACTION", "reason": "severe faint", "until": "2099-01-01"});
    let r = api.post_json(&format!("/api/v1/donations/{din}/reactions"), entry).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["deferral"]["kind"], "temporary");
    assert_eq!(t.audit_head().await, head + 2, "the reaction and the register entry, in one transaction");
    let d: Value = api.get(&format!("/api/v1/donations/{din}")).await.json().await.unwrap();
    let number = d["donor_number"].as_str().unwrap().to_string();
    let donor: Value = api.get(&format!("/api/v1/donors/{number}")).await.json().await.unwrap();
    assert_eq!(donor["reactions"][0]["kind"], "vasovagal", "{donor}");
    assert!(donor["deferrals"].as_array().unwrap().iter().any(|x| x["reason_code"] == "ADVERSE_REACTION"));

    // The donor's page shows the reaction in words.
    let s = t.login_as("collector").await;
    let html = s.client.get(t.url(&format!("/donors/{number}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"reactions-table\"") && html.contains("Vasovagal reaction"), "donor page");
}

async fn the_donation_page_records_with_errors_by_field(t: TestApp) {
    let din = t.collected_unit("Page", "AB", "pos", 2).await;
    let at = collected_at(&t, &din).await;
    let s = t.login_as("collector").await;
    let html = s.client.get(t.url(&format!("/donations/{din}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"collection-form\"") && html.contains("Record the collection"));
    let local = html.split("name=\"started_at\" type=\"datetime-local\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let form = |expires: &str| {
        vec![
            ("_csrf", s.csrf.clone()),
            ("phlebotomist", "Demo Collector".to_string()),
            ("started_at", local.clone()),
            ("ended_at", local.clone()),
            ("volume_ml", "475".to_string()),
            ("outcome", "complete".to_string()),
            ("bag_set_lot", "BS1".to_string()),
            ("bag_set_expires_on", expires.to_string()),
            ("anticoagulant", "CPD".to_string()),
            ("anticoagulant_lot", "AC1".to_string()),
            ("anticoagulant_expires_on", "2099-01-01".to_string()),
            ("additive_solution", "AS-3".to_string()),
        ]
    };
    let r = s.client.post(t.url(&format!("/donations/{din}/collection"))).form(&form("2001-01-01")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-bag_set_expires_on\">bag set lot BS1 expired on 2001-01-01"), "the error sits by its field");
    assert!(html.contains("value=\"475\""), "entered values are kept");
    let r = s.client.post(t.url(&format!("/donations/{din}/collection"))).form(&form("2099-01-01")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "back to the page");
    let r = s.client.get(t.url(&format!("/donations/{din}"))).send().await.unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("475 mL") && html.contains("AS-3") && html.contains("Correct the record"), "{at}");
}

async fn a_preprinted_label_scanned_at_the_chair_becomes_the_donations_din(t: TestApp) {
    let lab = t.api_as("lab").await;
    let year = chrono::Utc::now().format("%Y").to_string().parse::<i64>().unwrap();
    let yy = year % 100;
    assert_eq!(lab.post_json("/api/v1/din-label-sets", json!({"year": year, "first": 500, "last": 599})).await.status(), StatusCode::CREATED);
    let (_, visit) = t.eligible_visit("Scan", "O", "pos", 2, "whole_blood").await;
    let api = t.api_as("collector").await;
    let path = format!("/api/v1/screenings/{visit}/collection");
    let head = t.audit_head().await;
    // Refused: a label outside any registered set, another facility's label, a bad check character.
    for (scan, status) in [
        (format!("=A9998{yy:02}00070000"), StatusCode::UNPROCESSABLE_ENTITY),
        (format!("=A1234{yy:02}00050000"), StatusCode::UNPROCESSABLE_ENTITY),
        (format!("A9998{yy:02}000501 X"), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let r = api.post_json(&path, json!({"din": scan})).await;
        assert_eq!(r.status(), status, "{scan}");
        assert_eq!(problem(r).await["errors"][0]["field"], "din");
    }
    assert_eq!(api.post_json(&path, json!({"dins": "x"})).await.status(), StatusCode::UNPROCESSABLE_ENTITY, "unknown keys");
    assert_eq!(t.audit_head().await, head, "refusals write nothing");
    let r = api.post_json(&path, json!({"din": format!("=A9998{yy:02}00050100")})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["din"]["din"], format!("A9998{yy:02}000501"));
    // The same label cannot be used for a second donation.
    let (_, other) = t.eligible_visit("Scan Two", "O", "pos", 2, "whole_blood").await;
    let r = api.post_json(&format!("/api/v1/screenings/{other}/collection"), json!({"din": format!("=A9998{yy:02}00050100")})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

async fn the_dating_rules_answer_over_the_api(t: TestApp) {
    let api = t.api_as("lab").await;
    let r = api
        .post_json(
            "/api/v1/rules/dating",
            json!({"component": "ffp", "anticoagulant": "CPD", "collected_at": "2026-03-02T10:00:00-06:00",
            "modifications": [{"kind": "thawed", "at": "2026-06-10T08:00:00-06:00"}]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let d: Value = r.json().await.unwrap();
    assert_eq!((d["expires_at"].as_str(), d["rule"].as_str()), (Some("2026-06-15T23:59:00-06:00"), Some("THAWED_PLASMA")), "{d}");
    let r = api.post_json("/api/v1/rules/dating", json!({"component": "red_cells", "anticoagulant": "AS-1", "collected_at": "2026-03-02T10:00:00-06:00", "bacterial_control": "rapid_test"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "bacterial_control");
    let r = api.post_json("/api/v1/rules/dating", json!({"component": "red_cells", "anticoagulant": "AS-1", "collected_at": "yesterday"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "collected_at");
}

both_backends!(
    the_dating_rules_answer_over_the_api,
    a_preprinted_label_scanned_at_the_chair_becomes_the_donations_din,
    a_collection_is_recorded_once_and_corrected_with_a_reason,
    two_first_records_at_once_make_one_record,
    a_severe_reaction_can_defer_the_donor,
    the_donation_page_records_with_errors_by_field,
);
