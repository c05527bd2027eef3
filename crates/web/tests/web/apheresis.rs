//! Therapeutic apheresis over HTTP: the plan's volumes for a worked example, impossible
//! patients refused naming the field, and only apheresis staff and physicians asking; a
//! red cell exchange planned from the targets of its order.

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

/// Worked by hand: the woman above at a hematocrit of 0.25 has a blood volume of
/// 3,768 mL; exchanged to a hematocrit of 0.30 the red cell volume is taken at 0.275,
/// 1,036 mL; HbS 0.90 → 0.30 leaves a third of her cells: 1,036.2 × ln 3 = 1,138 mL of
/// donor cells, 1,897 mL of units at 0.60.
async fn a_red_cell_exchange_is_planned_from_the_targets_of_its_order(t: TestApp) {
    let hospital = t.api_as("hospital").await;
    let order = json!({
        "mrn": "RK-1", "patient_name": "Sam Example", "birth_date": "2001-03-02", "sex": "F",
        "height_cm": 165, "weight_kg": 60, "hematocrit": 0.25,
        "hematocrit_target": 0.30, "hbs_initial": 0.90, "hbs_target": 0.30,
        "ordering_physician": "Dr. A. Haematology", "indication": "Sickle cell disease, acute stroke",
        "asfa_category": "I", "asfa_grade": "1C", "procedure": "red_cell_exchange",
        "treatments": 1, "every_days": 1, "urgency": "urgent",
        "location": "ICU bed 2", "vascular_access": "Central venous catheter"
    });
    let head = t.audit_head().await;
    for (change, fields) in [
        (json!({"hbs_initial": 90}), vec!["hbs_initial"]),
        (json!({"hbs_target": 0.95}), vec!["hbs_target"]),
        (json!({"hbs_target": null}), vec!["hbs_target"]),
        (json!({"procedure": "plasma_exchange"}), vec!["hematocrit_target", "hbs_initial", "hbs_target"]),
    ] {
        let mut bad = order.clone();
        for (k, v) in change.as_object().unwrap() {
            bad[k] = v.clone();
        }
        let r = hospital.post_json("/api/v1/apheresis/requests", bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{change}");
        let refused: Vec<String> = problem(r).await["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
        assert_eq!(refused, fields, "{change}");
    }
    assert_eq!(t.audit_head().await, head, "refused orders write nothing");

    let r = hospital.post_json("/api/v1/apheresis/requests", order).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let number = r.json::<serde_json::Value>().await.unwrap()["number"].as_str().unwrap().to_string();
    let d: serde_json::Value = hospital.get(&format!("/api/v1/apheresis/requests/{number}")).await.json().await.unwrap();
    let x = &d["plan"]["red_cell"];
    assert_eq!(
        (x["red_cell_volume_ml"].as_f64(), x["replacement_red_cells_ml"].as_f64(), x["replacement_volume_ml"].as_f64()),
        (Some(1036.0), Some(1138.0), Some(1897.0)),
        "{d}"
    );
    assert_eq!(d["request"]["red_cell_targets"]["hbs_target"].as_f64(), Some(0.30));
    let s = t.login_as("hospital").await;
    let html = s.client.get(t.url(&format!("/apheresis/{number}"))).send().await.unwrap().text().await.unwrap();
    for words in ["HbS from 90 % to 30 %", "Donor red cells to exchange", "1,138 mL of cells", "about 1,897 mL of units"] {
        assert!(html.contains(words), "{words} missing from the request page");
    }
    // Typed on the form as percentages: refused beside the field, nothing saved.
    let form = s.client.get(t.url("/apheresis/new")).send().await.unwrap().text().await.unwrap();
    let csrf = common::csrf_of(&form);
    let fields = [
        ("_csrf", csrf.as_str()),
        ("mrn", "RK-2"),
        ("patient_name", "Kim Example"),
        ("birth_date", "2010-01-01"),
        ("sex", "M"),
        ("height_cm", "140"),
        ("weight_kg", "32"),
        ("hematocrit", "0.26"),
        ("hematocrit_target", "0.30"),
        ("hbs_initial", "0.9"),
        ("hbs_target", "30"),
        ("ordering_physician", "Dr. B"),
        ("indication", "Sickle cell disease"),
        ("asfa_category", "I"),
        ("asfa_grade", "1A"),
        ("procedure", "red_cell_exchange"),
        ("treatments", "1"),
        ("every_days", "1"),
        ("urgency", "urgent"),
        ("location", "Day unit"),
        ("vascular_access", "Port"),
    ];
    let head = t.audit_head().await;
    let r = s.client.post(t.url("/apheresis")).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let at = html.find("id=\"f-hbs_target\"").expect("the HbS target field");
    assert!(html[at..].split("</div>").next().unwrap().contains("0.30"), "the error beside HbS wanted");
    assert_eq!(t.audit_head().await, head);
}

both_backends!(the_plan_of_a_worked_example_and_its_refusals);
both_backends!(a_red_cell_exchange_is_planned_from_the_targets_of_its_order);
