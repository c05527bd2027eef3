//! JSON API under `/api/v1`: thin translations between HTTP and use cases.

use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::{routes, AppState};
use app::users::NewUserInput;
use app::{AppError, AuditFilter, VersionInfo};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{FieldError, FieldErrors, HospitalInput, SiteInput};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

type ApiResult<T> = Result<T, ApiError>;

/// `Json<T>` whose refusals are problem documents: malformed JSON is 400, a wrong
/// content type 415, an unknown field or wrong value 422, an oversized body 413.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = Problem;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                let status = rejection.status();
                let slug = match status {
                    StatusCode::PAYLOAD_TOO_LARGE => "too-large",
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
                    StatusCode::UNPROCESSABLE_ENTITY => "invalid-body",
                    _ => "malformed-body",
                };
                Err(Problem::new(status, slug, rejection.body_text()))
            }
        }
    }
}

pub fn parse_id(kind: &str, raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound(format!("no {kind} has the id '{raw}'")))
}

#[derive(Serialize)]
pub struct VersionView {
    pub version: i64,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub reason: Option<String>,
}

pub fn versions(v: Vec<VersionInfo>) -> Vec<VersionView> {
    v.into_iter().map(|v| VersionView { version: v.version, recorded_at: v.recorded_at, recorded_by: v.recorded_by, reason: v.reason }).collect()
}

pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.app.store.backend().as_str();
    match state.app.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ok", "database": "ok", "backend": backend}))),
        Err(e) => {
            // The cause (host names, user names, driver text) goes to the log only.
            tracing::error!(error = %e, "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "error", "database": "unreachable", "backend": backend})))
        }
    }
}

pub async fn me(p: Principal) -> Json<Value> {
    Json(json!({
        "username": p.actor.username,
        "display_name": p.actor.display_name,
        "roles": p.actor.roles.as_slice(),
        "hospital_id": p.actor.hospital_id,
        "via": if p.session.is_some() { "session" } else { "token" },
    }))
}

pub async fn list_sites(State(s): State<AppState>, p: Principal) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.list_sites(&p.actor).await?))
}

pub async fn create_site(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<SiteInput>) -> ApiResult<impl IntoResponse> {
    Ok((StatusCode::CREATED, Json(s.app.create_site(&p.actor, &input).await?)))
}

pub async fn get_site(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let (site, history) = s.app.site(&p.actor, parse_id("site", &id)?).await?;
    Ok(Json(json!({"site": site, "versions": versions(history)})))
}

/// A correction: the whole new version and why it is made.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change<T> {
    pub reason: String,
    #[serde(alias = "site", alias = "hospital")]
    pub record: T,
}

pub async fn update_site(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<Change<SiteInput>>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.update_site(&p.actor, parse_id("site", &id)?, &change.record, Some(change.reason)).await?))
}

pub async fn list_hospitals(State(s): State<AppState>, p: Principal) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.list_hospitals(&p.actor).await?))
}

pub async fn create_hospital(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<HospitalInput>) -> ApiResult<impl IntoResponse> {
    Ok((StatusCode::CREATED, Json(s.app.create_hospital(&p.actor, &input).await?)))
}

pub async fn get_hospital(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let (h, history) = s.app.hospital(&p.actor, parse_id("hospital account", &id)?).await?;
    Ok(Json(json!({"hospital": h, "versions": versions(history)})))
}

pub async fn update_hospital(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<Change<HospitalInput>>,
) -> ApiResult<impl IntoResponse> {
    let id = parse_id("hospital account", &id)?;
    Ok(Json(s.app.update_hospital(&p.actor, id, &change.record, Some(change.reason)).await?))
}

pub async fn list_users(State(s): State<AppState>, p: Principal) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.list_users(&p.actor).await?))
}

pub async fn create_user(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<NewUserInput>) -> ApiResult<impl IntoResponse> {
    Ok((StatusCode::CREATED, Json(s.app.create_user(&p.actor, &input).await?)))
}

pub async fn get_user(State(s): State<AppState>, p: Principal, Path(username): Path<String>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.user(&p.actor, &username).await?))
}

pub async fn update_user(
    State(s): State<AppState>,
    p: Principal,
    Path(username): Path<String>,
    ApiJson(change): ApiJson<app::users::UserChange>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.update_user(&p.actor, &username, &change).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveChange {
    pub active: bool,
    #[serde(default)]
    pub reason: Option<String>,
}

pub async fn set_user_active(
    State(s): State<AppState>,
    p: Principal,
    Path(username): Path<String>,
    ApiJson(c): ApiJson<ActiveChange>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.set_user_active(&p.actor, &username, c.active, c.reason).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    pub password: String,
}

pub async fn reset_password(
    State(s): State<AppState>,
    p: Principal,
    Path(username): Path<String>,
    ApiJson(b): ApiJson<NewPassword>,
) -> ApiResult<impl IntoResponse> {
    s.app.reset_password(&p.actor, &username, &b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub username: String,
    pub name: String,
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

pub async fn list_tokens(State(s): State<AppState>, p: Principal) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.list_api_tokens(&p.actor).await?))
}

pub async fn create_token(State(s): State<AppState>, p: Principal, ApiJson(t): ApiJson<NewToken>) -> ApiResult<impl IntoResponse> {
    let (view, secret) = s.app.create_api_token(&p.actor, &t.username, &t.name, t.expires_in_days).await?;
    Ok((StatusCode::CREATED, Json(json!({"token": view, "secret": secret}))))
}

pub async fn revoke_token(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.revoke_api_token(&p.actor, parse_id("API token", &id)?, None).await?))
}

/// Audit search parameters, as typed in the filter form or the query string.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub entity_type: String,
    #[serde(default)]
    pub entity_id: String,
    /// Records concerning this donor, whatever the entity (donation, visit, deferral…).
    #[serde(default)]
    pub donor: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    /// First day, YYYY-MM-DD (UTC).
    #[serde(default)]
    pub from: String,
    /// Last day, inclusive.
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: Option<String>,
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn day(field: &'static str, s: &str) -> Result<Option<NaiveDate>, FieldError> {
    match opt(s) {
        None => Ok(None),
        Some(v) => domain::parse_day(field, &v).map(Some),
    }
}

impl AuditQuery {
    pub fn filter(&self) -> Result<(AuditFilter, i64), FieldErrors> {
        let mut e = FieldErrors::default();
        let from = e.take(day("from", &self.from)).flatten();
        let to = e.take(day("to", &self.to)).flatten();
        let page = match self.page.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            None => 1,
            Some(p) => match p.parse::<i64>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    e.0.push(FieldError::new("page", format!("'{p}' is not a page number")));
                    1
                }
            },
        };
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                e.0.push(FieldError::new("to", format!("{t} is before the first day, {f}; choose a last day on or after it")));
            }
        }
        if !e.is_empty() {
            return Err(e);
        }
        let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        Ok((
            AuditFilter {
                entity_type: opt(&self.entity_type),
                entity_id: opt(&self.entity_id),
                actor: opt(&self.actor),
                action: opt(&self.action),
                donor_number: opt(&self.donor).map(|n| n.to_uppercase()),
                from: from.map(midnight),
                to: to.and_then(|d| d.succ_opt()).map(midnight),
                max_seq: None,
            },
            page,
        ))
    }
}

pub const AUDIT_PER_PAGE: i64 = 50;

pub async fn audit(State(s): State<AppState>, p: Principal, Query(q): Query<AuditQuery>) -> ApiResult<impl IntoResponse> {
    let (filter, page) = q.filter()?;
    let result = s.app.audit_page(&p.actor, &filter, page, AUDIT_PER_PAGE).await?;
    Ok(Json(json!({
        "total": result.total,
        "page": page,
        "per_page": AUDIT_PER_PAGE,
        "records": result.records,
    })))
}

/// An OpenAPI 3.1 document generated from the route table, so it cannot drift
/// from what the server actually routes.
pub async fn openapi() -> Json<Value> {
    let mut paths = serde_json::Map::new();
    for spec in routes::specs().into_iter().filter(|s| s.path.starts_with("/api/v1/")) {
        let params: Vec<Value> = spec
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "summary": spec.summary,
            "parameters": params,
            "responses": {
                "200": {"description": "OK"},
                "401": {"description": "Not signed in", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                "403": {"description": "Not allowed for the caller's roles", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
            },
        });
        if matches!(spec.access, routes::Access::Public) {
            op["security"] = json!([]);
        }
        if spec.method != axum::http::Method::GET {
            op["responses"]["422"] = json!({"description": "Invalid input", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
        }
        let path = paths.entry(spec.path.to_string()).or_insert_with(|| json!({}));
        path[spec.method.as_str().to_lowercase()] = op;
    }
    Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "hemaflow API", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Problem": {
                "type": "object",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}
                }
            }}
        }
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignDinBody {
    /// Code of the collection site (its time zone decides the DIN year).
    pub site: String,
}

/// `POST /api/v1/rules/eligibility`: the case JSON of `hemaflow rules eligibility`,
/// answered with the decision. Unknown keys or values are refused (422).
pub async fn eligibility(
    State(s): State<AppState>,
    p: Principal,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<impl IntoResponse> {
    let text = case_text(&headers, &body)?;
    Ok(Json(s.app.evaluate_eligibility(&p.actor, text).await?))
}

/// The body of a rules case: JSON, UTF-8, or the refusal naming what is wrong.
fn case_text<'a>(headers: &axum::http::HeaderMap, body: &'a [u8]) -> Result<&'a str, AppError> {
    let json = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Err(AppError::Invalid(FieldErrors(vec![FieldError::new("content-type", "send the case as application/json")])));
    }
    std::str::from_utf8(body).map_err(|_| AppError::Invalid(FieldErrors(vec![FieldError::new("case", "the body is not UTF-8")])))
}

/// `POST /api/v1/rules/dating`: when a component expires (the case of `hemaflow rules dating`).
pub async fn dating(p: Principal, headers: axum::http::HeaderMap, body: axum::body::Bytes) -> ApiResult<impl IntoResponse> {
    p.actor.require(domain::Permission::ViewDonors)?;
    let text = case_text(&headers, &body)?;
    let invalid = |e: domain::dating::DatingError| match e {
        domain::dating::DatingError::Case { field, message } => AppError::Invalid(FieldErrors(vec![FieldError::new(field, message)])),
        other => AppError::Conflict(other.to_string()),
    };
    let case = domain::dating::case_from_json(text).map_err(invalid)?;
    Ok(Json(domain::dating::expiry(&domain::dating::DatingBook::defaults(), &case).map_err(invalid)?))
}

/// `POST /api/v1/rules/apheresis`: the volumes of a therapeutic apheresis plan (the case
/// of `hemaflow rules apheresis`).
pub async fn apheresis(p: Principal, headers: axum::http::HeaderMap, body: axum::body::Bytes) -> ApiResult<impl IntoResponse> {
    p.actor.require(domain::Permission::PlanApheresis)?;
    let text = case_text(&headers, &body)?;
    let case =
        domain::apheresis::case_from_json(text).map_err(|(field, message)| AppError::Invalid(FieldErrors(vec![FieldError::new(field, message)])))?;
    let plan = domain::apheresis::plan(&case).map_err(|e| AppError::Invalid(FieldErrors(vec![FieldError::new(e.field, e.message)])))?;
    Ok(Json(plan))
}

/// `POST /api/v1/rules/compatible`: ABO/RhD compatibility of a component for a recipient
/// (the case of `hemaflow rules compatible`).
pub async fn compatible(p: Principal, headers: axum::http::HeaderMap, body: axum::body::Bytes) -> ApiResult<impl IntoResponse> {
    p.actor.require(domain::Permission::ViewDonors)?;
    let text = case_text(&headers, &body)?;
    let case = domain::compatibility::case_from_json(text)
        .map_err(|(field, message)| AppError::Invalid(FieldErrors(vec![FieldError::new(field, message)])))?;
    Ok(Json(domain::compatibility::compatible(&case)))
}
