//! The one place where refusals become HTTP: JSON problem bodies (RFC 9457) for the
//! API, readable pages for people.

use crate::pages::ErrorPage;
use app::AppError;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) | AppError::Ineligible { .. } | AppError::NotReleasable { .. } => StatusCode::CONFLICT,
        AppError::Gone(_) => StatusCode::GONE,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::LockedOut { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A refusal in one sentence for the top of a form: every field's message, or the
/// refusal itself.
pub fn refusal_text(e: &AppError) -> String {
    match e {
        AppError::Invalid(errs) => errs.0.iter().map(|x| x.message.clone()).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

/// `Retry-After` (seconds) on a refusal that ends at a known time.
pub fn add_retry_after(e: &AppError, res: &mut Response) {
    if let AppError::LockedOut { until } = e {
        let secs = ((*until - chrono::Utc::now()).num_milliseconds() + 999).div_euclid(1000).max(1);
        res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    }
}

#[derive(Debug, Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// The release gate's reasons, each with its code.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<domain::release::Refusal>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            reasons: Vec::new(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, axum::Json(&self)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, "application/problem+json".parse().expect("static"));
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, "Bearer".parse().expect("static"));
        }
        res
    }
}

fn slug(e: &AppError) -> &'static str {
    match e {
        AppError::Unauthenticated(_) => "unauthenticated",
        AppError::Forbidden(_) => "forbidden",
        AppError::NotFound(_) => "not-found",
        AppError::Invalid(_) => "validation",
        AppError::Conflict(_) => "conflict",
        AppError::Ineligible { .. } => "ineligible",
        AppError::NotReleasable { .. } => "not-releasable",
        AppError::Gone(_) => "gone",
        AppError::Unavailable(_) => "unavailable",
        AppError::LockedOut { .. } => "locked-out",
        AppError::Store(_) => "internal",
    }
}

/// A refusal on an API route.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let detail = match &self.0 {
            AppError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                "the server could not complete the request; it has been logged".to_string()
            }
            e => e.to_string(),
        };
        let mut p = Problem::new(status, slug(&self.0), detail);
        if let AppError::Invalid(fields) = &self.0 {
            p.errors = fields.0.iter().map(|f| FieldProblem { field: f.field.to_string(), message: f.message.clone() }).collect();
        }
        if let AppError::NotReleasable { refusals, .. } = &self.0 {
            p.reasons = refusals.clone();
        }
        let mut res = p.into_response();
        add_retry_after(&self.0, &mut res);
        res
    }
}

/// A refusal on a page: a readable page, or the login page when not signed in.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let AppError::Unauthenticated(_) = self.0 {
            return Redirect::to("/login").into_response();
        }
        let status = status_of(&self.0);
        let message = match &self.0 {
            AppError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                "The server could not complete the request. The error has been logged.".to_string()
            }
            e => e.to_string(),
        };
        let mut res = error_page(status, &message);
        add_retry_after(&self.0, &mut res);
        res
    }
}

pub fn error_page(status: StatusCode, message: &str) -> Response {
    let page = ErrorPage { status: status.as_u16(), title: status.canonical_reason().unwrap_or("Error").to_string(), message: message.to_string() };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message.to_string()).into_response(),
    }
}
