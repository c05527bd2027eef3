//! Testing, the release gate and inventory over the API and the pages, on SQLite and
//! PostgreSQL.

mod common;

use common::{problem, TestApp};
use reqwest::StatusCode;
use serde_json::json;

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

both_backends!(compatibility_answers_over_the_api);
