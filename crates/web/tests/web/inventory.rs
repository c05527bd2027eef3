//! Inventory over the API and the pages, on SQLite and PostgreSQL: storage locations,
//! scanned moves (the wrong temperature class refused), temperature excursions that
//! hold units, discards, the expiry job and the stock views.

use crate::common;

use common::units::{released_red_cells, scan};
use common::{problem, ApiClient, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn add_locations(t: &TestApp) -> ApiClient {
    let quality = t.api_as("quality").await;
    for (code, name, class) in [
        ("FR-01", "Blood refrigerator 1", "refrigerator"),
        ("FR-02", "Blood refrigerator 2", "refrigerator"),
        ("FZ-01", "Plasma freezer 1", "freezer"),
        ("PA-01", "Platelet agitator 1", "platelet_agitator"),
    ] {
        let r = quality.post_json("/api/v1/storage-locations", json!({"code": code, "name": name, "temperature_class": class, "site": "MAIN"})).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    }
    quality
}

async fn state_of(api: &ApiClient, din: &str, code: &str) -> String {
    let g: Value = api.get(&format!("/api/v1/components/{din}/{code}")).await.json().await.unwrap();
    g["unit"]["state"].as_str().unwrap().to_string()
}

async fn units_are_put_away_only_into_storage_of_their_class(t: TestApp) {
    let quality = add_locations(&t).await;
    let collector = t.api_as("collector").await;
    // Bad locations are refused, each with its field; nothing changes.
    let head = t.audit_head().await;
    for (body, field) in [
        (json!({"code": "FR-01", "name": "again", "temperature_class": "refrigerator", "site": "MAIN"}), "code"),
        (json!({"code": "X 1", "name": "spaces", "temperature_class": "refrigerator", "site": "MAIN"}), "code"),
        (json!({"code": "FR-09", "name": "", "temperature_class": "refrigerator", "site": "MAIN"}), "name"),
        (json!({"code": "FR-09", "name": "warm", "temperature_class": "sauna", "site": "MAIN"}), "temperature_class"),
        (json!({"code": "FR-09", "name": "nowhere", "temperature_class": "freezer", "site": "NOPE"}), "site"),
    ] {
        let r = quality.post_json("/api/v1/storage-locations", body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(r).await["errors"][0]["field"], field);
    }
    let r =
        collector.post_json("/api/v1/storage-locations", json!({"code": "FR-09", "name": "x", "temperature_class": "freezer", "site": "MAIN"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);

    let (din, red, ffp) = released_red_cells(&t, "Storage").await;
    let lab = t.api_as("lab").await;
    let unit = scan(&din, &red, "O-");
    // The wrong class, an unknown location, a line that names no unit, an unknown unit:
    // refused with the reason, nothing recorded.
    let head = t.audit_head().await;
    let r = lab.post_json("/api/v1/inventory/moves", json!({"unit": unit, "location": "FZ-01"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(r).await;
    assert_eq!(p["errors"][0]["field"], "location");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("Red Blood Cells is stored at 1 to 6 °C"), "{p}");
    let r = lab.post_json("/api/v1/inventory/moves", json!({"unit": unit, "location": "NOWHERE"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "location");
    let r = lab.post_json("/api/v1/inventory/moves", json!({"unit": "A999926", "location": "FR-01"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "unit");
    let r = lab.post_json("/api/v1/inventory/moves", json!({"unit": "A999926999999 E0398V00", "location": "FR-01"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(t.audit_head().await, head);

    let r = lab.post_json("/api/v1/inventory/moves", json!({"unit": unit, "location": "fr-01"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let m: Value = r.json().await.unwrap();
    assert_eq!((m["from"].clone(), m["to"].as_str()), (Value::Null, Some("FR-01")));
    let r = lab.post_json("/api/v1/inventory/moves", json!({"unit": unit, "location": "FR-01"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "in FR-01 already");
    let r = lab.post_json("/api/v1/inventory/moves", json!({"unit": unit, "location": "FR-02"})).await;
    let m: Value = r.json().await.unwrap();
    assert_eq!((m["from"].as_str(), m["to"].as_str()), (Some("FR-01"), Some("FR-02")));
    let r = lab.post_json("/api/v1/inventory/moves", json!({"unit": format!("{din} {ffp}"), "location": "PA-01"})).await;
    assert!(problem(r).await.to_string().contains("−18 °C or colder"), "plasma is no platelet");
    let r = lab.post_json("/api/v1/inventory/moves", json!({"unit": format!("{din} {ffp}"), "location": "FZ-01"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // The stock views: the released unit by class and group, the locations' counts.
    let v: Value = lab.get("/api/v1/inventory").await.json().await.unwrap();
    let line = v["stock"].as_array().unwrap().iter().find(|l| l["class"] == "red_cells").unwrap_or_else(|| panic!("{v}"));
    assert_eq!((line["group"].as_str(), line["available"].as_i64()), (Some("O-"), Some(1)), "{v}");
    assert!(line["soonest_days"].as_f64().unwrap() > 20.0, "fresh red cells: {v}");
    assert_eq!(line["days_of_supply"], Value::Null, "nothing shipped yet: no demand to divide by");
    assert_eq!(v["not_put_away"].as_i64(), Some(0), "{v}");
    assert!(v["quarantine_by_reason"].to_string().contains("awaiting tests or release"), "the FFP waits: {v}");
    let locations: Value = lab.get("/api/v1/storage-locations").await.json().await.unwrap();
    let count = |code: &str| locations.as_array().unwrap().iter().find(|l| l["code"] == code).unwrap()["units"].as_u64();
    assert_eq!((count("FR-01"), count("FR-02"), count("FZ-01")), (Some(0), Some(1), Some(1)));

    // On the pages: the batch shows each unit's outcome; the wrong class is refused there too.
    let s = t.login_as("lab").await;
    let r = s
        .client
        .post(t.url("/inventory/move"))
        .form(&[("_csrf", s.csrf.as_str()), ("location", "PA-01"), ("units", &format!("{unit}\nnot a unit"))])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("0 of 2 put away") && html.contains("is a platelet agitator"), "{html}");
    let html = s.client.get(t.url("/inventory")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<svg") && html.contains("Red cells O-"), "a chart of the stock");
    let html = s.client.get(t.url(&format!("/components/{din}/{red}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Blood refrigerator 2") && html.contains("discard-form"), "the unit page shows where it is");
}

async fn an_excursion_holds_the_units_that_were_in_the_location(t: TestApp) {
    add_locations(&t).await;
    let (din, red, _) = released_red_cells(&t, "Excursion").await;
    let (din2, red2, _) = released_red_cells(&t, "Elsewhere").await;
    let lab = t.api_as("lab").await;
    for (d, c, at) in [(&din, &red, "FR-01"), (&din2, &red2, "FR-02")] {
        let r = lab.post_json("/api/v1/inventory/moves", json!({"unit": format!("{d} {c}"), "location": at})).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let now = chrono::Utc::now();
    let from = (now - chrono::Duration::minutes(30)).to_rfc3339();
    let until = now.to_rfc3339();
    let body = |loc: &str, f: &str, u: &str, lo: &str, hi: &str| json!({"location": loc, "started_at": f, "ended_at": u, "lowest_c": lo, "highest_c": hi, "note": "door ajar"});
    let head = t.audit_head().await;
    let later = (now + chrono::Duration::hours(2)).to_rfc3339();
    for (b, field) in [
        (body("FR-01", &from, &until, "2", "5.5"), "highest_c"),
        (body("FR-01", &until, &from, "2", "9"), "ended_at"),
        (body("FR-01", &from, &later, "2", "9"), "ended_at"),
        (body("FR-01", &from, &until, "warm", "9"), "lowest_c"),
        (body("FR-01", &from, &until, "9", "2"), "lowest_c"),
        (body("FR-01", &from, &until, "2", "900"), "highest_c"),
        (body("FR-77", &from, &until, "2", "9"), "location"),
        (body("FR-01", "", &until, "2", "9"), "started_at"),
    ] {
        let r = lab.post_json("/api/v1/excursions", b.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let p = problem(r).await;
        assert!(p["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{field}: {p}");
    }
    assert_eq!(t.audit_head().await, head, "refusals change nothing");

    let r = lab.post_json("/api/v1/excursions", body("FR-01", &from, &until, "2", "9.5")).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let x: Value = r.json().await.unwrap();
    assert_eq!(x["units_held"], json!([format!("{din} {red}")]), "only the unit that was in FR-01: {x}");
    assert!(x["what"].as_str().unwrap().contains("above 6 °C"), "{x}");
    assert_eq!(state_of(&lab, &din, &red).await, "quarantine");
    assert_eq!(state_of(&lab, &din2, &red2).await, "available");
    let check: Value = lab.get(&format!("/api/v1/components/{din}/{red}/release")).await.json().await.unwrap();
    assert!(check["reasons"].to_string().contains("temperature excursion"), "the gate sees the hold: {check}");
    let v: Value = lab.get("/api/v1/inventory").await.json().await.unwrap();
    assert!(v["quarantine_by_reason"].to_string().contains("temperature excursion"), "{v}");
    let html = t.login_as("quality").await;
    let page = html.client.get(t.url("/inventory/excursions")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("door ajar") && page.contains("1 units"), "{page}");
}

async fn units_are_discarded_with_a_reason_and_expire_at_their_minute(t: TestApp) {
    let (din, red, ffp) = released_red_cells(&t, "Discard").await;
    let lab = t.api_as("lab").await;
    let path = format!("/api/v1/components/{din}/{red}/discard");
    let collector = t.api_as("collector").await;
    let (a, b) = (t.api_as("lab").await, t.api_as("quality").await);
    let head = t.audit_head().await;
    let r = lab.post_json(&path, json!({"reason": "tired"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "reason");
    let r = lab.post_json(&path, json!({"reason": "broken"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "details");
    assert_eq!(collector.post_json(&path, json!({"reason": "expired"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);

    // Two people discarding one unit at once: one does, the other is told it has ended.
    let body = json!({"reason": "broken", "details": "leaking at the port"});
    let (ra, rb) = tokio::join!(a.post_json(&path, body.clone()), b.post_json(&path, body.clone()));
    let mut statuses = [ra.status(), rb.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    assert_eq!(state_of(&lab, &din, &red).await, "discarded");
    let g: Value = lab.get(&format!("/api/v1/components/{din}/{red}")).await.json().await.unwrap();
    let discards = g["history"].as_array().unwrap().iter().filter(|h| h["state"].as_str().unwrap().to_lowercase() == "discarded").count();
    assert_eq!(discards, 1, "{g}");

    // The expiry job: nothing before the minute, the FFP at it, once.
    let unit = t.app.store.component(&din, &ffp).await.unwrap().unwrap();
    assert_eq!(t.app.expire_due_units(unit.expires_at - chrono::Duration::minutes(1)).await.unwrap(), 0);
    assert_eq!(state_of(&lab, &din, &ffp).await, "in_processing");
    assert_eq!(t.app.expire_due_units(unit.expires_at).await.unwrap(), 1);
    assert_eq!(state_of(&lab, &din, &ffp).await, "discarded");
    assert_eq!(t.app.expire_due_units(unit.expires_at + chrono::Duration::days(1)).await.unwrap(), 0, "done once");
    let r = lab.post_json(&format!("/api/v1/components/{din}/{ffp}/discard"), json!({"reason": "expired"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "an expired unit is discarded already");
}

both_backends!(
    units_are_put_away_only_into_storage_of_their_class,
    an_excursion_holds_the_units_that_were_in_the_location,
    units_are_discarded_with_a_reason_and_expire_at_their_minute,
);
