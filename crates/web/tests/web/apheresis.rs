//! Therapeutic apheresis over HTTP: the plan's volumes for a worked example, impossible
//! patients refused naming the field, and only apheresis staff and physicians asking.

use crate::common;

use common::{problem, TestApp};
use reqwest::StatusCode;
use serde_json::json;

async fn the_plan_of_a_worked_example_and_its_refusals(t: TestApp) {
    let nurse = t.api_as("apheresis").await;
    let woman = json!({"sex": "F", "height_cm": 165, "weight_kg": 60, "hematocrit": 0.40, "plasma_volumes": 1.0});
    let r = nurse.post_json("/api/v1/rules/apheresis", woman.clone()).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let p: serde_json::Value = r.json().await.unwrap();
    // Nadler: 0.3561 × 1.65³ + 0.03308 × 60 + 0.1833 = 3.7677 L; PV × 0.60.
    assert_eq!((p["total_blood_volume_ml"].as_f64(), p["plasma_volume_ml"].as_f64()), (Some(3768.0), Some(2261.0)), "{p}");
    assert_eq!(p["fraction_removed"].as_f64(), Some(0.6321));
    assert_eq!(p["method"], "nadler");
    let head = t.audit_head().await;
    for (field, value) in [("hematocrit", json!(40)), ("weight_kg", json!(-3)), ("height_cm", json!(1.65)), ("sex", json!("W"))] {
        let mut bad = woman.clone();
        bad[field] = value;
        let r = nurse.post_json("/api/v1/rules/apheresis", bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(problem(r).await["errors"][0]["field"], field);
    }
    assert_eq!(t.audit_head().await, head, "a calculation writes nothing");
    let physician = t.api_as("physician").await;
    assert_eq!(physician.post_json("/api/v1/rules/apheresis", woman.clone()).await.status(), StatusCode::OK);
    let hospital = t.api_as("hospital").await;
    assert_eq!(hospital.post_json("/api/v1/rules/apheresis", woman).await.status(), StatusCode::FORBIDDEN);
}

both_backends!(the_plan_of_a_worked_example_and_its_refusals);
