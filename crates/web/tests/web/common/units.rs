//! Units for the testing, release and inventory tests: a separated donation, its tests
//! cleared, a label scan, a released unit.

use super::{ApiClient, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The label of a unit as a scanner reads it: DIN, product code and ABO/RhD data.
pub fn scan(din: &str, code: &str, group: &str) -> String {
    let din = isbt128::Din::parse_content(&format!("{din}00")).unwrap().encode();
    // ISBT 128 blood group codes for the groups the tests use.
    let g = match group {
        "O-" => "95",
        "O+" => "51",
        "A+" => "62",
        other => panic!("no code for {other}"),
    };
    format!("{din} =<{code} =%{g}00")
}

/// A separated O- whole blood donation: the DIN and its units (red cells, FFP).
pub async fn separated(t: &TestApp, name: &str) -> (String, Vec<Value>) {
    separated_of(t, name, "O-").await
}

/// A separated whole blood donation of the group given ("O-", "A+"): the DIN and its units.
pub async fn separated_of(t: &TestApp, name: &str, group: &str) -> (String, Vec<Value>) {
    let (abo, rhd) = group.split_at(group.len() - 1);
    let (din, at) = t.recorded_donation_of(name, abo, if rhd == "+" { "pos" } else { "neg" }).await;
    let lab = t.api_as("lab").await;
    let r = lab.post_json(&format!("/api/v1/donations/{din}/separation"), json!({"plasma_frozen_at": at})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    (din, r.json().await.unwrap())
}

/// Every ordered test of the donation non-reactive, and its ABO/RhD typing.
pub async fn clear_tests(lab: &ApiClient, din: &str, group: &str) {
    let tests: Value = lab.get(&format!("/api/v1/donations/{din}/tests")).await.json().await.unwrap();
    for t in tests["tests"].as_array().unwrap().iter().filter(|t| t["status"] == "pending") {
        let code = t["code"].as_str().unwrap();
        let value = if code == "ABO_RH" { group } else { "non-reactive" };
        let r = lab.post_json(&format!("/api/v1/donations/{din}/results"), json!({"test": code, "value": value})).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{code}: {}", r.text().await.unwrap());
    }
}

/// A released O- red cell unit and its FFP (still in processing): the DIN and both product codes.
pub async fn released_red_cells(t: &TestApp, name: &str) -> (String, String, String) {
    released_red_cells_of(t, name, "O-").await
}

/// A released red cell unit of the group given and its FFP (still in processing).
pub async fn released_red_cells_of(t: &TestApp, name: &str, group: &str) -> (String, String, String) {
    let (din, units) = separated_of(t, name, group).await;
    let lab = t.api_as("lab").await;
    clear_tests(&lab, &din, group).await;
    let red = units[0]["product_code"].as_str().unwrap().to_string();
    let ffp = units[1]["product_code"].as_str().unwrap().to_string();
    let r = lab.post_json(&format!("/api/v1/components/{din}/{red}/release"), json!({"scan": scan(&din, &red, group), "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    (din, red, ffp)
}
