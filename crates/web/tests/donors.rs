//! Donor search and the donor record over HTTP.

mod common;

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
    assert!(html.contains("id=\"outlook-table\"") && html.contains("INTERVAL_RBC_AFTER_WB"));
}

both_backends!(donors_are_found_and_their_next_donation_dates_shown);
