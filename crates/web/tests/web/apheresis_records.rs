//! Procedure records over HTTP: the booked nurse records, scans the plasma given (a unit
//! not released, not plasma or no longer in stock is refused), signs with the password;
//! a signed record is refused any edit and only amended with the reason; the physician
//! adds a note once; the plasma unit's consignee is the patient's hospital; the request
//! completes with its last signed treatment.

use crate::apheresis_service::{accepted, ok, service, ttp, user};
use crate::common;

use common::units::{released_red_cells, scan};
use common::{problem, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn a_procedure_is_recorded_signed_and_only_amended(t: TestApp) {
    let coord = service(&t).await;
    let hospital = t.api_as("hospital").await;
    let number = accepted(&hospital, &coord, ttp(1, 1)).await;
    let booked = ok(coord.post_json(&format!("/api/v1/apheresis/requests/{number}/schedule"), json!({})).await, "schedule").await;
    let id = booked["treatments"][0]["id"].as_str().unwrap().to_string();
    // Recorded as done three hours ago (the record holds when it really ran).
    let start = (chrono::Utc::now() - chrono::Duration::hours(3)).format("%Y-%m-%dT%H:%M").to_string();
    let base = format!("/api/v1/apheresis/treatments/{id}");
    let nurse = t.api_as("apheresis_nurse").await;
    let v = ok(nurse.get(&base).await, "read").await;
    assert_eq!(v["record"], Value::Null);
    assert_eq!(v["request"]["patient_name"], "Ada Example");

    let end = {
        let s = chrono::NaiveDateTime::parse_from_str(&start, "%Y-%m-%dT%H:%M").unwrap();
        (s + chrono::Duration::minutes(125)).format("%Y-%m-%dT%H:%M").to_string()
    };
    let record = json!({
        "started_at": start, "ended_at": end, "processed_ml": 6200, "removed_ml": 2300, "albumin_ml": 0, "saline_ml": 0,
        "vitals_before": "BP 124/78, pulse 80, SpO2 98 %", "vitals_after": "BP 118/74, pulse 76", "adverse_events": "", "note": ""
    });
    // Only the booked nurse keeps the record.
    assert_eq!(coord.post_json(&format!("{base}/record"), record.clone()).await.status(), StatusCode::FORBIDDEN);
    user(&t, "nurse2", "apheresis_nurse", None).await;
    let every_day = json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
    ok(coord.post_json("/api/v1/apheresis/nurses", json!({"username": "nurse2", "name": "Nurse Brook", "home_site": "MAIN", "weekdays": every_day, "day_start": "07:00", "day_end": "19:00"})).await, "nurse2").await;
    let other_nurse = t.api_as("nurse2").await;
    let r = other_nurse.post_json(&format!("{base}/record"), record.clone()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("only the nurse booked"));

    // Slips are refused field by field, nothing written.
    let head = t.audit_head().await;
    let mut bad = record.clone();
    bad["processed_ml"] = json!(62_000);
    bad["ended_at"] = json!(start.clone());
    bad["vitals_after"] = json!(" ");
    let r = nurse.post_json(&format!("{base}/record"), bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = problem(r).await["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert_eq!(fields, ["ended_at", "processed_ml", "vitals_after"]);
    let mut ahead = record.clone();
    ahead["started_at"] = json!((chrono::Utc::now() + chrono::Duration::hours(2)).format("%Y-%m-%dT%H:%M").to_string());
    ahead["ended_at"] = json!((chrono::Utc::now() + chrono::Duration::hours(4)).format("%Y-%m-%dT%H:%M").to_string());
    let r = nurse.post_json(&format!("{base}/record"), ahead).await;
    assert!(problem(r).await["errors"][0]["message"].as_str().unwrap().contains("in the future"), "a procedure not yet ended");
    let r = nurse.post_json(&format!("{base}/plasma"), json!({"scan": "anything"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a scan that is no unit");
    assert_eq!(t.audit_head().await, head);
    let v = ok(nurse.post_json(&format!("{base}/record"), record.clone()).await, "record").await;
    assert_eq!(v["record"]["processed_ml"], 6200);
    assert_eq!(v["record"]["signed_at"], Value::Null);

    // Plasma from our own stock: not released, not plasma, then given, then not in stock.
    let (din, red, ffp) = released_red_cells(&t, "Plasmagiver").await;
    let head = t.audit_head().await;
    for (code, words) in [(&ffp, "not released"), (&red, "not plasma")] {
        let r = nurse.post_json(&format!("{base}/plasma"), json!({"scan": scan(&din, code, "O-")})).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{code}");
        let p = problem(r).await;
        assert!(p["errors"][0]["message"].as_str().unwrap().contains(words), "{p}");
    }
    assert_eq!(t.audit_head().await, head, "refused scans write nothing");
    let lab = t.api_as("lab").await;
    let r = lab.post_json(&format!("/api/v1/components/{din}/{ffp}/release"), json!({"scan": scan(&din, &ffp, "O-"), "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let v = ok(nurse.post_json(&format!("{base}/plasma"), json!({"scan": scan(&din, &ffp, "O-")})).await, "plasma").await;
    assert_eq!(v["plasma"].as_array().unwrap().len(), 1);
    let r = nurse.post_json(&format!("{base}/plasma"), json!({"scan": scan(&din, &ffp, "O-")})).await;
    assert!(problem(r).await["errors"][0]["message"].as_str().unwrap().contains("not in stock"));
    // The unit is transfused, and its consignee is the patient's hospital under the request.
    let unit = t.app.store.component(&din, &ffp).await.unwrap().unwrap();
    assert_eq!(unit.state.as_str(), "transfused");
    let consignees = t.app.store.consignees_of(unit.id).await.unwrap();
    assert_eq!(consignees.len(), 1);
    assert_eq!((consignees[0].hospital_code.as_str(), consignees[0].shipment_number.as_str()), ("H-OWN", number.as_str()));

    // The signature: a wrong password refused beside it; then signed, the request complete.
    let r = nurse.post_json(&format!("{base}/sign"), json!({"password": "wrong"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "password");
    let v = ok(nurse.post_json(&format!("{base}/sign"), json!({"password": PASSWORD})).await, "sign").await;
    assert_eq!(v["record"]["signed_by"], "apheresis_nurse");
    assert_eq!(v["request"]["state"], "completed");
    // Signed: no edit, no unit added, no second signature.
    let head = t.audit_head().await;
    let mut changed = record.clone();
    changed["processed_ml"] = json!(6300);
    let r = nurse.post_json(&format!("{base}/record"), changed).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("only amended"));
    assert_eq!(nurse.post_json(&format!("{base}/sign"), json!({"password": PASSWORD})).await.status(), StatusCode::CONFLICT);
    let r = nurse.post_json(&format!("{base}/amend"), json!({"field": "processed_ml", "value": "6300", "reason": ""})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "reason");
    let r = nurse.post_json(&format!("{base}/amend"), json!({"field": "processed_ml", "value": "lots", "reason": "typo"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "value");
    assert_eq!(t.audit_head().await, head);
    // An amendment keeps the old value and the reason.
    let v = ok(
        nurse.post_json(&format!("{base}/amend"), json!({"field": "processed_ml", "value": "6300", "reason": "read off the device again"})).await,
        "amend",
    )
    .await;
    assert_eq!(v["record"]["processed_ml"], 6300);
    let a = &v["amendments"][0];
    assert_eq!((a["before"].as_str(), a["after"].as_str(), a["reason"].as_str()), (Some("6200"), Some("6300"), Some("read off the device again")));
    // The physician's note, once; the nurse may not write it.
    assert_eq!(nurse.post_json(&format!("{base}/physician-note"), json!({"note": "x"})).await.status(), StatusCode::FORBIDDEN);
    let physician = t.api_as("physician").await;
    let v = ok(physician.post_json(&format!("{base}/physician-note"), json!({"note": "Platelets recovering; continue daily."})).await, "note").await;
    assert_eq!(v["record"]["physician_note"], "Platelets recovering; continue daily.");
    assert_eq!(physician.post_json(&format!("{base}/physician-note"), json!({"note": "again"})).await.status(), StatusCode::CONFLICT);

    // The database itself refuses an edit of a signed record.
    let refused = t.app.store.execute_raw_for_tests("UPDATE apheresis_procedures SET processed_ml = 1").await;
    assert!(refused.is_err(), "a signed record changed under the database's eyes");

    // The charge: on the hospital's month invoice under its contract, once.
    let sales = t.api_as("sales").await;
    let list = json!({
        "currency": "USD", "products": [{"product": "plasma", "unit_cents": 6000}],
        "delivery_fee_cents": {"routine": 4500, "urgent": 15000}, "payment_terms_days": 30,
        "apheresis": [{"procedure": "plasma_exchange", "base_cents": 120000, "supplies_cents": 30000, "after_hours_cents": 25000, "emergency_cents": 50000}]
    });
    let month = start[..7].to_string();
    let invoices = format!("/api/v1/hospitals/{}/invoices", t.own_hospital);
    let r = sales.post_json(&invoices, json!({"month": month})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "no contract yet");
    let r = sales
        .post_json(&format!("/api/v1/hospitals/{}/contracts", t.own_hospital), json!({"effective_from": "2020-01-01", "price_list": list}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let inv = ok(sales.post_json(&invoices, json!({"month": month})).await, "invoice").await;
    let lines: Vec<&Value> = inv["lines"].as_array().unwrap().iter().filter(|l| l["kind"] == "apheresis").collect();
    let s0 = chrono::NaiveDateTime::parse_from_str(&start, "%Y-%m-%dT%H:%M").unwrap();
    let late = domain::pricing::apheresis::after_hours(s0, s0 + chrono::Duration::minutes(125));
    let expected: Vec<i64> = if late { vec![120000, 30000, 25000] } else { vec![120000, 30000] };
    assert_eq!(lines.iter().map(|l| l["amount_cents"].as_i64().unwrap()).collect::<Vec<_>>(), expected, "{inv}");
    assert!(lines.iter().all(|l| l["reference"] == format!("{number} treatment 1 of 1")));
    let r = sales.post_json(&invoices, json!({"month": month})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "a procedure is invoiced once");

    // The reports count it: its month and hospital, the nurse's time, the revenue.
    assert_eq!(nurse.get("/api/v1/apheresis/reports").await.status(), StatusCode::FORBIDDEN);
    let rep = ok(coord.get("/api/v1/apheresis/reports").await, "reports").await;
    let by_month = rep["procedures_by_month"].as_array().unwrap();
    assert_eq!((by_month.len(), by_month[0]["key"].as_str(), by_month[0]["count"].as_i64()), (1, Some(month.as_str()), Some(1)), "{rep}");
    assert_eq!(rep["procedures_by_hospital"][0]["key"], "H-OWN");
    let ames = rep["nurses_done"].as_array().unwrap().iter().find(|n| n["key"] == "Nurse Ames").unwrap();
    assert_eq!(ames["busy_minutes"], 125, "{ames}");
    assert!(ames["percent"].as_i64().unwrap() > 0);
    let net: i64 = expected.iter().sum();
    assert_eq!(rep["revenue"][0]["net_cents"], net, "{rep}");
    let s = t.login_as("apheresis").await;
    let html = s.client.get(t.url("/apheresis/reports")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Procedures per month") && html.contains("<svg"), "the reports page draws its charts");

    // The page at the bedside, in the nurse's words.
    let s = t.login_as("apheresis_nurse").await;
    let html = s.client.get(t.url(&format!("/apheresis/treatments/{id}"))).send().await.unwrap().text().await.unwrap();
    for words in ["Signed", "performed the procedure and recorded it", "6,300 mL", "read off the device again", "Platelets recovering"] {
        assert!(html.contains(words), "{words} missing from the procedure page");
    }
}

both_backends!(a_procedure_is_recorded_signed_and_only_amended);
