//! Donor search and the donor record over HTTP.

use crate::common;

use common::{problem, TestApp};
use reqwest::StatusCode;

async fn donors_are_found_and_their_next_donation_dates_shown(t: TestApp) {
    let op = app::Actor::operator();
    let today = chrono::Utc::now().date_naive();
    let donors = "donor_number,first_name,last_name,birth_date,sex,blood_group,phone\nD0000001,Maria,Garcia,1980-03-04,F,O-,+1 217-555-0101\nD0000002,Mark,Garner,1975-01-02,M,A+,\n";
    t.app.import_donors(&op, "d.csv", donors.as_bytes(), today, |_, _| {}).await.unwrap();
    let last = today - chrono::Duration::days(30);
    let donations = format!("donor_number,procedure,collected_on\nD0000001,whole_blood,{last}\n");
    t.app.import_donations(&op, "x.csv", donations.as_bytes(), today, |_, _| {}).await.unwrap();

    let s = t.login_as("collector").await;
    let get = |path: String| s.client.get(t.url(&path)).send();
    let found: serde_json::Value = get("/api/v1/donors?q=gar".into()).await.unwrap().json().await.unwrap();
    assert_eq!(found.as_array().unwrap().len(), 2);
    let by_phone: serde_json::Value = get("/api/v1/donors?q=555-0101".into()).await.unwrap().json().await.unwrap();
    assert_eq!(by_phone[0]["donor_number"], "D0000001");
    assert_eq!(by_phone[0]["blood_group"], "O-");
    let r = get("/api/v1/donors?q=x".into()).await.unwrap();
    assert_eq!(problem(r).await["errors"][0]["field"], "q");

    let p: serde_json::Value = get("/api/v1/donors/D0000001".into()).await.unwrap().json().await.unwrap();
    assert_eq!(p["donations"].as_array().unwrap().len(), 1);
    let wb = p["outlook"].as_array().unwrap().iter().find(|o| o["procedure"] == "whole_blood").unwrap();
    assert_eq!(wb["next_eligible_date"], (last + chrono::Duration::days(56)).to_string(), "{wb}");
    assert_eq!(wb["reasons"][0]["code"], "INTERVAL_RBC_AFTER_WB");
    let platelets = p["outlook"].as_array().unwrap().iter().find(|o| o["procedure"] == "platelets").unwrap();
    assert_eq!(platelets["next_eligible_date"], today.to_string(), "no interval between whole blood and platelets");
    assert_eq!(get("/api/v1/donors/D9999999".into()).await.unwrap().status(), StatusCode::NOT_FOUND);

    let html = get("/donors?q=Garcia".into()).await.unwrap().text().await.unwrap();
    assert!(html.contains("href=\"/donors/D0000001\"") && !html.contains("D0000002"));
    let html = get("/donors/D0000001".into()).await.unwrap().text().await.unwrap();
    let message = wb["reasons"][0]["message"].as_str().unwrap();
    assert!(html.contains("id=\"outlook-table\"") && html.contains(&message.replace('\'', "&#39;")), "the reason in words");
    assert!(!html.contains("INTERVAL_RBC_AFTER_WB"), "no internal rule codes on the page");
}

async fn deferrals_block_donation_until_they_end_or_the_donor_is_reentered(t: TestApp) {
    let op = app::Actor::operator();
    let today = chrono::Utc::now().date_naive();
    t.app
        .import_donors(&op, "d.csv", b"donor_number,first_name,last_name,birth_date,sex\nD0000001,Lee,Park,1970-01-01,M\n", today, |_, _| {})
        .await
        .unwrap();
    let collector = t.login_as("collector").await;
    let post =
        |s: &common::Session, path: &str, body: serde_json::Value| s.client.post(t.url(path)).header("x-csrf-token", &s.csrf).json(&body).send();
    let head = t.audit_head().await;
    // Refusals first: nothing is written.
    for bad in [
        serde_json::json!({"kind": "temporary", "reason_code": "TATTOO", "reason": "tattoo"}),
        serde_json::json!({"kind": "forever", "reason_code": "X1", "reason": "x"}),
        serde_json::json!({"kind": "indefinite", "reason_code": "low hb", "reason": "", "until": "2030-01-01"}),
    ] {
        let r = post(&collector, "/api/v1/donors/D0000001/deferrals", bad).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        post(&collector, "/api/v1/donors/D0000009/deferrals", serde_json::json!({"kind": "permanent", "reason_code": "CJD", "reason": "x"}))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.audit_head().await, head);

    let until = today + chrono::Duration::days(90);
    let r = post(
        &collector,
        "/api/v1/donors/D0000001/deferrals",
        serde_json::json!({"kind": "temporary", "reason_code": "TATTOO", "reason": "tattoo, unregulated parlour", "until": until.to_string()}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let outlook = |p: &serde_json::Value, proc_: &str| p["outlook"].as_array().unwrap().iter().find(|o| o["procedure"] == proc_).unwrap().clone();
    let p: serde_json::Value = collector.client.get(t.url("/api/v1/donors/D0000001")).send().await.unwrap().json().await.unwrap();
    assert_eq!(outlook(&p, "whole_blood")["next_eligible_date"], until.to_string());
    assert_eq!(p["deferrals"][0]["active"], true);

    let r: serde_json::Value = post(
        &collector,
        "/api/v1/donors/D0000001/deferrals",
        serde_json::json!({"kind": "indefinite", "reason_code": "HBV_REACTIVE", "reason": "anti-HBc reactive"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = r["id"].as_str().unwrap().to_string();
    let p: serde_json::Value = collector.client.get(t.url("/api/v1/donors/D0000001")).send().await.unwrap().json().await.unwrap();
    assert!(outlook(&p, "plasma")["next_eligible_date"].is_null(), "indefinitely deferred: no date");
    // Only quality or admin reenter; the collector is refused by the route table.
    assert_eq!(
        post(&collector, &format!("/api/v1/deferrals/{id}/reentry"), serde_json::json!({"reason": "x"})).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let quality = t.login_as("quality").await;
    assert_eq!(
        post(&quality, &format!("/api/v1/deferrals/{id}/reentry"), serde_json::json!({"reason": " "})).await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = post(&quality, &format!("/api/v1/deferrals/{id}/reentry"), serde_json::json!({"reason": "algorithm: negative retest"})).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        post(&quality, &format!("/api/v1/deferrals/{id}/reentry"), serde_json::json!({"reason": "again"})).await.unwrap().status(),
        StatusCode::CONFLICT
    );
    let p: serde_json::Value = quality.client.get(t.url("/api/v1/donors/D0000001")).send().await.unwrap().json().await.unwrap();
    assert_eq!(outlook(&p, "plasma")["next_eligible_date"], until.to_string(), "back to the temporary deferral");

    let r: serde_json::Value = post(
        &quality,
        "/api/v1/donors/D0000001/deferrals",
        serde_json::json!({"kind": "permanent", "reason_code": "CJD_RISK", "reason": "dura mater graft"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let perm = r["id"].as_str().unwrap().to_string();
    assert_eq!(
        post(&quality, &format!("/api/v1/deferrals/{perm}/reentry"), serde_json::json!({"reason": "x"})).await.unwrap().status(),
        StatusCode::CONFLICT
    );
    let html = quality.client.get(t.url("/donors/D0000001")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"deferrals-table\"") && html.contains("CJD_RISK") && html.contains("never"));
    let audit: serde_json::Value = t.api().get("/api/v1/audit?action=donor.defer").await.json().await.unwrap();
    assert_eq!(audit["total"], 3);
    // The page form shows its errors inline.
    let r = collector
        .client
        .post(t.url("/donors/D0000001/deferrals"))
        .form(&[("_csrf", collector.csrf.as_str()), ("kind", "temporary"), ("reason_code", "X"), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("class=\"field-error\""));
}

async fn registration_catches_possible_duplicates(t: TestApp) {
    let s = t.login_as("recruiter").await;
    let post = |body: serde_json::Value| s.client.post(t.url("/api/v1/donors")).header("x-csrf-token", &s.csrf).json(&body).send();
    let maria = serde_json::json!({"first_name": "Maria", "last_name": "Garcia", "birth_date": "1980-03-04", "sex": "F", "email": "maria@example.com", "consent": ["email", "sms"], "address": "1 Elm St, Springfield IL", "id_document": "IL licence G123"});
    let r = post(maria.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let d: serde_json::Value = r.json().await.unwrap();
    assert_eq!(d["donor_number"], "D0000001");
    let head = t.audit_head().await;
    // Same birth date and a similar name: refused with the candidate.
    let mut again = maria.clone();
    again["first_name"] = serde_json::json!("Mariana");
    again["email"] = serde_json::json!("");
    let r = post(again.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let p = problem(r).await;
    assert_eq!(p["duplicates"][0]["donor_number"], "D0000001");
    // The same email is a possible duplicate too.
    let other = serde_json::json!({"first_name": "Paul", "last_name": "Smith", "birth_date": "1990-01-01", "sex": "M", "email": "MARIA@example.com"});
    assert_eq!(post(other).await.unwrap().status(), StatusCode::CONFLICT);
    assert_eq!(t.audit_head().await, head);
    again["not_a_duplicate"] = serde_json::json!(true);
    let d: serde_json::Value = post(again).await.unwrap().json().await.unwrap();
    assert_eq!(d["donor_number"], "D0000002");
    let audit: serde_json::Value = t.api().get("/api/v1/audit?action=donor.register").await.json().await.unwrap();
    assert!(audit["records"][0]["reason"].as_str().unwrap().contains("D0000001"));
    // Bad input names each field.
    let bad = serde_json::json!({"first_name": "", "last_name": "X", "birth_date": "2990-01-01", "sex": "X", "consent": ["pigeon"]});
    let p = problem(post(bad).await.unwrap()).await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["first_name", "birth_date", "sex", "consent"] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }
    // The page: register, then land on the donor's record.
    let form = format!("_csrf={}&first_name=Ola&last_name=Nordmann&birth_date=1985-05-05&sex=M&consent=post", s.csrf);
    let r = s.client.post(t.url("/donors")).header("content-type", "application/x-www-form-urlencoded").body(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/donors/D0000003");
}

/// Every donation comes from a screening visit: the donor route takes the visit's id.
async fn the_collection_path_refuses_deferred_and_ineligible_donors(t: TestApp) {
    let op = app::Actor::operator();
    let today = chrono::Utc::now().date_naive();
    t.app
        .import_donors(
            &op,
            "d.csv",
            b"donor_number,first_name,last_name,birth_date,sex\nD0000001,Ann,Ok,1980-01-01,M\nD0000002,Bo,Deferred,1980-01-01,M\n",
            today,
            |_, _| {},
        )
        .await
        .unwrap();
    let s = t.login_as("collector").await;
    let post = |path: &str, body: serde_json::Value| s.client.post(t.url(path)).header("x-csrf-token", &s.csrf).json(&body).send();
    let q: serde_json::Value = s.client.get(t.url("/api/v1/questionnaire")).send().await.unwrap().json().await.unwrap();
    let answers: serde_json::Map<String, serde_json::Value> = q["questions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["sex"].is_null() || x["sex"] == "M")
        .map(|x| (x["id"].as_str().unwrap().to_string(), serde_json::json!(x["defer_on"] == "no")))
        .collect();
    let visit_body = serde_json::json!({"procedure": "whole_blood", "site": "MAIN", "weight_kg": 80, "answers": answers,
        "screening": {"hemoglobin_g_dl": 14.4, "pulse_bpm": 72, "bp_systolic": 118, "bp_diastolic": 76, "temperature_c": 36.6}});
    let visit = |number: &'static str| {
        let body = visit_body.clone();
        let post = &post;
        async move {
            let v: serde_json::Value = post(&format!("/api/v1/donors/{number}/screenings"), body).await.unwrap().json().await.unwrap();
            assert_eq!(v["decision"]["eligible"], true, "{v}");
            v["id"].as_str().unwrap().to_string()
        }
    };
    let (v1, v2) = (visit("D0000001").await, visit("D0000002").await);
    let r: serde_json::Value = post(
        "/api/v1/donors/D0000002/deferrals",
        serde_json::json!({"kind": "indefinite", "reason_code": "HBV_REACTIVE", "reason": "anti-HBc reactive"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let deferral = r["id"].as_str().unwrap().to_string();
    let head = t.audit_head().await;

    // Deferred after the visit: refused with the reason.
    let r = post("/api/v1/donors/D0000002/collections", serde_json::json!({"screening_id": v2})).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("HBV_REACTIVE"));
    // The old form (measurements without a visit) is gone; a bad id, another donor's visit.
    let old = serde_json::json!({"procedure": "whole_blood", "site": "MAIN", "screening": {}});
    assert_eq!(post("/api/v1/donors/D0000001/collections", old).await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(post("/api/v1/donors/D0000001/collections", serde_json::json!({"screening_id": "yesterday"})).await.unwrap()).await;
    assert_eq!(p["errors"][0]["field"], "screening_id");
    assert_eq!(post("/api/v1/donors/D0000001/collections", serde_json::json!({"screening_id": v2})).await.unwrap().status(), StatusCode::NOT_FOUND);
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        post("/api/v1/donors/D0000001/collections", serde_json::json!({"screening_id": unknown})).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.audit_head().await, head, "refusals write nothing");

    let r = post("/api/v1/donors/D0000001/collections", serde_json::json!({"screening_id": v1})).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: serde_json::Value = r.json().await.unwrap();
    assert!(c["din"]["din"].as_str().unwrap().starts_with("A9998"));
    assert_eq!(post("/api/v1/donors/D0000001/collections", serde_json::json!({"screening_id": v1})).await.unwrap().status(), StatusCode::CONFLICT);
    let p: serde_json::Value = s.client.get(t.url("/api/v1/donors/D0000001")).send().await.unwrap().json().await.unwrap();
    assert_eq!(p["donations"][0]["din"], c["din"]["din"]);
    // Filtering the audit trail by donor finds the visit and the donation.
    let audit: serde_json::Value = t.api().get("/api/v1/audit?donor=D0000001").await.json().await.unwrap();
    let actions: Vec<&str> = audit["records"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"donation.collect") && actions.contains(&"donor.screen"), "{actions:?}");

    // A deferral entered in error is corrected by a new record; the register keeps both.
    let quality = t.login_as("quality").await;
    let qpost = |path: String, body: serde_json::Value| quality.client.post(t.url(&path)).header("x-csrf-token", &quality.csrf).json(&body).send();
    let head = t.audit_head().await;
    assert_eq!(
        qpost(format!("/api/v1/deferrals/{deferral}/correction"), serde_json::json!({"reason": " "})).await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        qpost(format!("/api/v1/deferrals/{unknown}/correction"), serde_json::json!({"reason": "x"})).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(&format!("/api/v1/deferrals/{deferral}/correction"), serde_json::json!({"reason": "x"})).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.audit_head().await, head);
    let r =
        qpost(format!("/api/v1/deferrals/{deferral}/correction"), serde_json::json!({"reason": "result belonged to another donor"})).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let d: serde_json::Value = r.json().await.unwrap();
    assert_eq!(d["active"], false);
    assert_eq!(d["correction_reason"], "result belonged to another donor");
    assert_eq!(
        qpost(format!("/api/v1/deferrals/{deferral}/correction"), serde_json::json!({"reason": "again"})).await.unwrap().status(),
        StatusCode::CONFLICT
    );
    let p: serde_json::Value = s.client.get(t.url("/api/v1/donors/D0000002")).send().await.unwrap().json().await.unwrap();
    assert_eq!(p["deferrals"].as_array().unwrap().len(), 1, "the entry stays on the register");
    let html = quality.client.get(t.url("/donors/D0000002")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("entered in error"));
    let v3 = visit("D0000002").await;
    assert_eq!(post("/api/v1/donors/D0000002/collections", serde_json::json!({"screening_id": v3})).await.unwrap().status(), StatusCode::CREATED);
}

both_backends!(registration_catches_possible_duplicates, the_collection_path_refuses_deferred_and_ineligible_donors);
both_backends!(donors_are_found_and_their_next_donation_dates_shown, deferrals_block_donation_until_they_end_or_the_donor_is_reentered);
