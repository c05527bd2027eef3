//! The JSON API against the real server: what works, and every refusal with a
//! problem body that changes nothing.

use crate::common;

use common::{problem, TestApp};
use reqwest::StatusCode;
use serde_json::json;

fn site(code: &str) -> serde_json::Value {
    json!({"code": code, "name": "Northgate Donor Center", "kind": "fixed", "city": "Springfield", "time_zone": "America/Chicago"})
}

async fn healthz_reports_the_database_and_sets_a_request_id(t: TestApp) {
    let r = common::client().get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("x-request-id").is_some());
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["database"], "ok");
}

async fn sites_are_created_read_and_corrected_with_a_reason(t: TestApp) {
    let api = t.api();
    let r = api.post_json("/api/v1/sites", site("NORTH")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: serde_json::Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["version"], 1);

    let mut changed = site("NORTH");
    changed["name"] = json!("Northgate Center");
    let r = api.put_json(&format!("/api/v1/sites/{id}"), json!({"reason": "renamed", "site": changed})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let got: serde_json::Value = api.get(&format!("/api/v1/sites/{id}")).await.json().await.unwrap();
    assert_eq!(got["site"]["name"], "Northgate Center");
    assert_eq!(got["versions"].as_array().unwrap().len(), 2);
    assert_eq!(got["versions"][0]["reason"], "renamed");

    let audit: serde_json::Value = api.get(&format!("/api/v1/audit?entity_type=site&entity_id={id}")).await.json().await.unwrap();
    assert_eq!(audit["total"], 2);
    assert_eq!(audit["records"][0]["action"], "site.update");
    assert_eq!(audit["records"][0]["actor"], "admin");
}

async fn bad_input_gets_a_problem_and_changes_nothing(t: TestApp) {
    let api = t.api();
    let head = t.audit_head().await;
    let url = t.url("/api/v1/sites");
    let c = &api.client;

    // Malformed JSON: 400.
    let r = c.post(&url).bearer_auth(&api.token).header("content-type", "application/json").body("{\"code\": ").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    problem(r).await;
    // Not JSON at all: 415.
    let r = c.post(&url).bearer_auth(&api.token).body("code=X").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    problem(r).await;
    // Unknown field: 422, named.
    let mut s = site("UNK");
    s["colour"] = json!("red");
    let r = api.post_json("/api/v1/sites", s).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("colour"));
    // Unknown value: 422 with the field.
    let mut s = site("BOAT");
    s["kind"] = json!("boat");
    let r = api.post_json("/api/v1/sites", s).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(r).await;
    assert_eq!(p["errors"][0]["field"], "kind");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("boat"));
    // Oversized body: 413.
    let big = json!({"code": "BIG", "name": "x".repeat(300 * 1024), "kind": "fixed", "time_zone": "UTC"});
    let r = api.post_json("/api/v1/sites", big).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    problem(r).await;
    // Duplicate code: 409.
    let r = api.post_json("/api/v1/sites", site("MAIN")).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    problem(r).await;
    // Correction without a reason: 422; of an unknown id: 404.
    let r = api.put_json(&format!("/api/v1/sites/{}", t.site_id), json!({"reason": " ", "site": site("MAIN")})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = api.put_json("/api/v1/sites/not-an-id", json!({"reason": "x", "site": site("MAIN")})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    problem(r).await;
    // Bad audit filter: 422.
    let r = api.get("/api/v1/audit?from=2026-13-40").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "from");

    assert_eq!(t.audit_head().await, head, "a refused request wrote to the audit trail");
    assert_eq!(t.app.store.list_sites().await.unwrap().len(), 1);
}

async fn users_duplicate_names_and_unknown_roles_are_refused(t: TestApp) {
    let api = t.api();
    let r = api.post_json("/api/v1/users", json!({"username": "newlab", "password": "long-enough-pw", "roles": ["lab", "quality"]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["roles"], json!(["lab", "quality"]));
    assert!(v.get("password_hash").is_none());
    let head = t.audit_head().await;
    let r = api.post_json("/api/v1/users", json!({"username": "newlab", "password": "long-enough-pw", "roles": ["lab"]})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("newlab"));
    let r = api.post_json("/api/v1/users", json!({"username": "wiz", "password": "long-enough-pw", "roles": ["wizard"]})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = api.post_json("/api/v1/users", json!({"username": "short", "password": "short", "roles": ["lab"]})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "password");
    assert_eq!(t.audit_head().await, head);
}

async fn tokens_missing_malformed_revoked_and_expired_get_401(t: TestApp) {
    let c = common::client();
    let url = t.url("/api/v1/hospitals");
    assert_eq!(c.get(&url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let r = c.get(&url).header("authorization", "Basic abc").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("Bearer"));
    let r = c.get(&url).bearer_auth("hft_nonsense").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let api = t.api();
    let r = api.post_json("/api/v1/tokens", json!({"username": "sales", "name": "CRM", "expires_in_days": 30})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: serde_json::Value = r.json().await.unwrap();
    let secret = v["secret"].as_str().unwrap().to_string();
    let id = v["token"]["id"].as_str().unwrap().to_string();
    let r = c.get(&url).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap().as_array().unwrap().len(), 2);

    let r = api.post_json(&format!("/api/v1/tokens/{id}/revoke"), json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.get(&url).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("revoked"));
    let r = api.post_json(&format!("/api/v1/tokens/{id}/revoke"), json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // An expired token, written as if time had passed.
    let mut tx = t.app.store.begin_write().await.unwrap();
    let u = tx.user_by_username("lab").await.unwrap().unwrap();
    tx.insert_api_token(&store::ApiTokenRecord {
        id: uuid::Uuid::now_v7(),
        user_id: u.id,
        name: "old".into(),
        token_hash: app::auth::token_hash("hft_expired"),
        created_at: store::now() - chrono::Duration::days(31),
        created_by: "admin".into(),
        expires_at: Some(store::now() - chrono::Duration::days(1)),
        revoked_at: None,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = c.get(t.url("/api/v1/sites")).bearer_auth("hft_expired").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("expired"));
}

async fn hospitals_are_created_and_corrected_through_the_api(t: TestApp) {
    let api = t.api();
    let body = json!({"code": "H-NEW", "name": "New Hospital", "delivery_site": "MAIN", "contact_email": "bb@new.example.org"});
    let r = api.post_json("/api/v1/hospitals", body.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let h: serde_json::Value = r.json().await.unwrap();
    assert_eq!(h["status"], "active");
    let id = h["id"].as_str().unwrap();
    let mut changed = body.clone();
    changed["status"] = json!("on_hold");
    let r = api.put_json(&format!("/api/v1/hospitals/{id}"), json!({"reason": "credit hold", "hospital": changed})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let got: serde_json::Value = api.get(&format!("/api/v1/hospitals/{id}")).await.json().await.unwrap();
    assert_eq!(got["hospital"]["status"], "on_hold");
    assert_eq!(got["versions"].as_array().unwrap().len(), 2);
    let mut bad = body.clone();
    bad["code"] = json!("H-OTHER2");
    bad["delivery_site"] = json!("NOWHERE");
    let r = api.post_json("/api/v1/hospitals", bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "delivery_site");
}

async fn openapi_lists_every_api_route(t: TestApp) {
    let v: serde_json::Value = common::client().get(t.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["openapi"], "3.1.0");
    for spec in web::routes::specs().into_iter().filter(|s| s.path.starts_with("/api/v1/")) {
        let op = &v["paths"][spec.path][spec.method.as_str().to_lowercase()];
        assert!(op.is_object(), "{} {} missing from the OpenAPI document", spec.method, spec.path);
    }
}

async fn unknown_api_route_is_a_problem(t: TestApp) {
    let r = t.api().get("/api/v1/nothing-here").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    problem(r).await;
}

async fn roles_are_changed_with_a_reason_and_sessions_end(t: TestApp) {
    let api = t.api();
    let lab = t.login_as("lab").await;
    let head = t.audit_head().await;
    // Refusals first: no reason, hospital role without a hospital, unknown role, unknown user.
    let r = api.put_json("/api/v1/users/lab", json!({"roles": ["lab", "quality"], "reason": ""})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "reason");
    let r = api.put_json("/api/v1/users/lab", json!({"roles": ["hospital"], "reason": "portal"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "hospital");
    let r = api.put_json("/api/v1/users/lab", json!({"roles": ["alchemist"], "reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = api.put_json("/api/v1/users/ghost", json!({"roles": ["lab"], "reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // An admin cannot demote themselves.
    let r = api.put_json("/api/v1/users/admin", json!({"roles": ["quality"], "reason": "oops"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(t.audit_head().await, head);

    let r = api.put_json("/api/v1/users/lab", json!({"roles": ["lab", "quality"], "reason": "covers QA reviews"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let u: serde_json::Value = api.get("/api/v1/users/lab").await.json().await.unwrap();
    assert_eq!(u["roles"], json!(["lab", "quality"]));
    // The old session is gone; the new roles apply at the next sign-in.
    let r = lab.client.get(t.url("/quality/audit")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = t.login_as("lab").await;
    assert_eq!(again.client.get(t.url("/quality/audit")).send().await.unwrap().status(), StatusCode::OK);
    let audit: serde_json::Value = api.get("/api/v1/audit?action=user.update").await.json().await.unwrap();
    assert_eq!(audit["records"][0]["reason"], "covers QA reviews");
}

async fn deactivation_and_password_reset_through_the_api(t: TestApp) {
    let api = t.api();
    let r = api.post_json("/api/v1/users/sales/active", json!({"active": false, "reason": "left"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = common::client().post(t.url("/login")).form(&[("username", "sales"), ("password", common::PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    api.post_json("/api/v1/users/sales/active", json!({"active": true})).await;
    let r = api.post_json("/api/v1/users/sales/password", json!({"password": "short"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "password");
    let r = api.post_json("/api/v1/users/sales/password", json!({"password": "a-brand-new-password"})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = common::client().post(t.url("/login")).form(&[("username", "sales"), ("password", "a-brand-new-password")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let audit: serde_json::Value = api.get("/api/v1/audit?action=user.password_reset").await.json().await.unwrap();
    assert_eq!(audit["total"], 1);
    assert!(audit["records"][0]["after"].is_null(), "the audit trail never holds a password or its hash");
}

fn eligibility_case() -> serde_json::Value {
    json!({
        "date": "2026-11-25", "procedure": "whole_blood",
        "donor": {"sex": "M", "birth_date": "1985-04-02", "weight_kg": 82, "height_cm": 180},
        "screening": {"hemoglobin_g_dl": 14.1, "pulse_bpm": 64, "bp_systolic": 128, "bp_diastolic": 82, "temperature_c": 36.6},
        "history": [{"procedure": "whole_blood", "date": "2026-08-01"}],
        "medications": [{"name": "finasteride", "last_dose": "2026-11-10"}],
        "events": [], "deferrals": []
    })
}

async fn eligibility_is_decided_with_reasons_and_refuses_unknown_keys(t: TestApp) {
    let collector = t.login_as("collector").await;
    let post = |body: serde_json::Value| {
        collector.client.post(t.url("/api/v1/rules/eligibility")).header("x-csrf-token", &collector.csrf).json(&body).send()
    };
    let d: serde_json::Value = post(eligibility_case()).await.unwrap().json().await.unwrap();
    assert_eq!(d["eligible"], false);
    assert_eq!(d["reasons"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["reasons"][0]["code"], "MED_FINASTERIDE");
    assert_eq!(d["next_eligible_date"], "2026-12-10");
    let mut ok = eligibility_case();
    ok["medications"] = json!([]);
    let d: serde_json::Value = post(ok).await.unwrap().json().await.unwrap();
    assert_eq!(d["eligible"], true, "{d}");
    let mut unknown = eligibility_case();
    unknown["donor"]["shoe_size"] = json!(44);
    let r = post(unknown).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("shoe_size"));
    let mut impossible = eligibility_case();
    impossible["screening"]["pulse_bpm"] = json!(0);
    assert_eq!(post(impossible).await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut drug = eligibility_case();
    drug["medications"] = json!([{"name": "unobtainium", "last_dose": "2026-11-01"}]);
    assert_eq!(post(drug).await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
}

both_backends!(
    eligibility_is_decided_with_reasons_and_refuses_unknown_keys,
    roles_are_changed_with_a_reason_and_sessions_end,
    deactivation_and_password_reset_through_the_api,
    healthz_reports_the_database_and_sets_a_request_id,
    sites_are_created_read_and_corrected_with_a_reason,
    bad_input_gets_a_problem_and_changes_nothing,
    users_duplicate_names_and_unknown_roles_are_refused,
    tokens_missing_malformed_revoked_and_expired_get_401,
    hospitals_are_created_and_corrected_through_the_api,
    openapi_lists_every_api_route,
    unknown_api_route_is_a_problem,
);
