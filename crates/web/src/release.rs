//! Testing and release over the API: a donation's tests and results, what stands
//! between a unit and release, and the signed release.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;

/// `GET /api/v1/donations/{din}/tests`: the donation's test orders and results.
pub async fn api_tests(State(s): State<AppState>, p: Principal, Path(din): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.donation_testing(&p.actor, &din).await?))
}

/// `POST /api/v1/donations/{din}/results` `{"test", "phase"?, "value"}`: 201 with what it did.
pub async fn api_result(
    State(s): State<AppState>,
    p: Principal,
    Path(din): Path<String>,
    ApiJson(input): ApiJson<app::testing::ResultInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.record_test_result(&p.actor, &din, &input).await?)))
}

/// `POST /api/v1/donations/{din}/tests` `{"test": "CMV"}`: a special test ordered on
/// request; 201 with the donation's tests.
pub async fn api_order_test(
    State(s): State<AppState>,
    p: Principal,
    Path(din): Path<String>,
    ApiJson(input): ApiJson<app::testing::SpecialTestInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.order_special_test(&p.actor, &din, &input).await?)))
}

#[derive(serde::Serialize)]
struct ReleaseCheck {
    releasable: bool,
    reasons: Vec<domain::release::Refusal>,
}

/// `GET /api/v1/components/{din}/{code}/release`: every reason the unit may not be
/// released now (the label scan aside).
pub async fn api_release_check(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let reasons = s.app.release_check(&p.actor, &din, &code).await?;
    Ok(Json(ReleaseCheck { releasable: reasons.is_empty(), reasons }))
}

/// `POST /api/v1/components/{din}/{code}/release` `{"scan", "password"}`: 201 with the
/// signed release; 409 with every reason (`reasons`) when the gate refuses.
pub async fn api_release(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    ApiJson(input): ApiJson<app::release::ReleaseInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.release_component(&p.actor, &din, &code, &input).await?)))
}

/// `POST /api/v1/components/{din}/{code}/emergency-release` `{"scan", "password",
/// "physician", "physician_password", "reason"}`: 201 with the release, marked emergency.
pub async fn api_emergency_release(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    ApiJson(input): ApiJson<app::release::EmergencyReleaseInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.emergency_release(&p.actor, &din, &code, &input).await?)))
}

#[derive(askama::Template)]
#[template(path = "results_import.html")]
pub struct ResultsPage {
    pub layout: crate::pages::Layout,
    pub file: String,
    pub report: Option<app::testing::ResultImportReport>,
    pub error: Option<String>,
}

/// `GET /lab/results`: paste an instrument export.
pub async fn results_page(p: Principal) -> crate::pages::PageResult {
    crate::pages::render(&ResultsPage { layout: crate::pages::Layout::new(&p, "results"), file: String::new(), report: None, error: None })
}

/// `POST /lab/results` (form: `file`): the import and its report, row by row.
pub async fn results_import(
    State(s): State<AppState>,
    p: Principal,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> crate::pages::PageResult {
    let file = form.iter().find(|(k, _)| k == "file").map(|(_, v)| v.clone()).unwrap_or_default();
    let mut page = ResultsPage { layout: crate::pages::Layout::new(&p, "results"), file, report: None, error: None };
    match s.app.import_results(&p.actor, page.file.as_bytes()).await {
        Ok(r) => {
            page.report = Some(r);
            crate::pages::render(&page)
        }
        Err(app::AppError::Invalid(e)) => {
            page.error = Some(e.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; "));
            crate::pages::render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/results/import` with the instrument export (CSV) as the body: the report.
pub async fn api_results_import(State(s): State<AppState>, p: Principal, body: axum::body::Bytes) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.import_results(&p.actor, &body).await?))
}
