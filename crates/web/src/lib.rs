//! The web front door of hemaflow: server-rendered pages (askama + htmx) for people
//! and a JSON API under `/api/v1` for systems. Handlers translate HTTP to use-case
//! calls and back; they never touch SQL and hold no business rules.

mod api;
mod appointments;
mod assets;
pub mod auth;
mod donors;
mod error;
mod labels;
mod pages;
mod recruitment;
mod registry;
pub mod routes;
mod screening;

use app::App;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Method, Request};
use axum::response::IntoResponse;
use axum::{middleware, Router};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use error::Problem;

/// Largest request body accepted anywhere (forms and JSON).
pub const BODY_LIMIT: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Mark cookies `Secure` (when served over HTTPS behind a proxy).
    pub secure_cookies: bool,
    access: Arc<HashMap<(Method, String), routes::Access>>,
}

impl AppState {
    pub fn new(app: App, secure_cookies: bool) -> Self {
        let access = routes::specs().into_iter().map(|s| ((s.method, s.path.to_string()), s.access)).collect();
        Self { app, secure_cookies, access: Arc::new(access) }
    }
}

pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let mut router = Router::new();
    for (spec, handler) in routes::table() {
        router = router.route(spec.path, handler);
    }
    router
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::guard))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), auth::resolve))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    let status = axum::http::StatusCode::NOT_FOUND;
    if auth::is_api(uri.path()) {
        Problem::new(status, "not-found", format!("no API route {}", uri.path())).into_response()
    } else {
        error::error_page(status, &format!("There is no page at {}.", uri.path()))
    }
}

/// Serves until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}
