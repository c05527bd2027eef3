//! The web front door of hemaflow: server-rendered pages (askama + htmx) for people
//! and a JSON API under `/api/v1` for systems. Handlers translate HTTP to use-case
//! calls and back; they never touch SQL and hold no business rules.

mod apheresis;
mod apheresis_records;
mod api;
mod appointments;
mod assets;
pub mod auth;
mod consignees;
mod donations;
mod donors;
mod error;
pub mod fmt;
mod follow_up;
mod inventory;
mod invoices;
mod labels;
mod outbox;
mod pages;
mod quality;
mod recruitment;
mod registry;
mod release;
mod returns;
pub mod routes;
mod rules;
mod sales;
mod screening;
mod standing;
mod supply;
pub mod words;
mod worklists;

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
    /// Reverse proxies whose `X-Forwarded-For` is believed (their socket address is
    /// not the client's). Empty: the socket peer is the client.
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
}

impl AppState {
    pub fn new(app: App, secure_cookies: bool) -> Self {
        let access = routes::specs().into_iter().map(|s| ((s.method, s.path.to_string()), s.access)).collect();
        Self { app, secure_cookies, access: Arc::new(access), trusted_proxies: Arc::new(Vec::new()) }
    }

    /// Believe `X-Forwarded-For` from these proxy addresses.
    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> Self {
        self.trusted_proxies = Arc::new(proxies);
        self
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
        .layer(middleware::map_response(security_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", id = %id, method = %req.method(), path = %redact_path(req.uri().path()))
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// What pages may load: scripts only from this server (no inline script, no
/// `eval`), styles from this server plus inline `style` attributes (charts), images
/// from this server or `data:` URLs (barcodes), no plug-ins, forms post only here,
/// and no other site may frame a page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Headers on every response. Pages and API answers show donor and patient data, so
/// nothing is cached unless the handler says otherwise (the static assets do).
async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The request path as it may be logged: the secret in a booking, cancel or
/// unsubscribe link, and any segment shaped like a hemaflow token (`hf?_` prefix or a
/// long hex string), become `***`. Whoever reads the logs cannot use the links.
pub fn redact_path(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let mut out = Vec::with_capacity(segments.len());
    for (i, seg) in segments.iter().enumerate() {
        let secret = !seg.is_empty() && (is_link_secret(&segments[..i], seg) || looks_like_token(seg));
        out.push(if secret { "***" } else { seg });
    }
    out.join("/")
}

/// The segment after `/book/`, `/book/cancel/` or `/unsubscribe/` is a donor's link secret.
fn is_link_secret(before: &[&str], seg: &str) -> bool {
    match before {
        ["", "book"] => seg != "cancel",
        ["", "book", "cancel"] | ["", "unsubscribe"] => true,
        _ => false,
    }
}

fn looks_like_token(segment: &str) -> bool {
    let b = segment.as_bytes();
    let prefixed = b.len() > 8 && b.starts_with(b"hf") && b[3] == b'_';
    let long_hex = segment.len() >= 32 && segment.bytes().all(|c| c.is_ascii_hexdigit());
    prefixed || long_hex
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
    axum::serve(listener, router(state).into_make_service_with_connect_info::<std::net::SocketAddr>()).with_graceful_shutdown(shutdown).await
}

#[cfg(test)]
mod tests {
    use super::redact_path;

    #[test]
    fn link_secrets_never_reach_the_log_line() {
        let tok = "hfb_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(redact_path(&format!("/book/{tok}")), "/book/***");
        assert_eq!(redact_path(&format!("/book/cancel/{tok}")), "/book/cancel/***");
        assert_eq!(redact_path("/unsubscribe/some-legacy-token"), "/unsubscribe/***");
        assert_eq!(redact_path("/book/plain-old-token/"), "/book/***/");
        // A token-shaped segment anywhere else is hidden too.
        assert_eq!(redact_path("/x/0123456789abcdef0123456789abcdef/y"), "/x/***/y");
        assert_eq!(redact_path(&format!("/other/{tok}")), "/other/***");
        for p in ["/book/abc", "/book/cancel/abc"] {
            assert!(!redact_path(p).contains("abc"), "{p}");
        }
    }

    #[test]
    fn ordinary_paths_are_logged_as_they_are() {
        for p in ["/", "/donors/D000123", "/book", "/book/", "/api/v1/sites/MAIN", "/appointments/018f0000-0000-7000-8000-000000000000/cancel"] {
            assert_eq!(redact_path(p), p);
        }
    }
}
