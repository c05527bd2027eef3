//! Who is calling, and may they: the session cookie or bearer token becomes a
//! [`Principal`]; the guard checks each route's access rule and, for state-changing
//! requests, the origin and the CSRF token.

use crate::error::{error_page, ApiError, Problem};
use crate::routes::Access;
use crate::AppState;
use app::{Actor, AppError};
use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

pub const SESSION_COOKIE: &str = "hf_session";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Forms are small; anything larger than this is not a form we serve.
const FORM_LIMIT: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub token: String,
    pub csrf: String,
}

/// The authenticated caller of this request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: Actor,
    /// Set for browser sessions; `None` for API tokens.
    pub session: Option<SessionInfo>,
    /// The facility's time zone, in which pages show instants.
    pub tz: chrono_tz::Tz,
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Principal>().cloned().ok_or_else(|| ApiError(AppError::Unauthenticated("sign in or send an API token".into())))
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Principal {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Principal>().cloned())
    }
}

/// The client's network address, as the rate limits count it: the socket peer, or,
/// when the peer is a trusted proxy, the last address that proxy put in
/// `X-Forwarded-For`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<ClientAddr>().cloned().unwrap_or_else(|| ClientAddr(app::auth::NO_ADDRESS.into())))
    }
}

pub fn client_addr(peer: Option<std::net::IpAddr>, headers: &HeaderMap, trusted: &[std::net::IpAddr]) -> ClientAddr {
    let Some(peer) = peer else { return ClientAddr(app::auth::NO_ADDRESS.into()) };
    if trusted.contains(&peer) {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
            .next_back();
        if let Some(ip) = forwarded {
            return ClientAddr(ip.to_string());
        }
    }
    ClientAddr(peer.to_string())
}

pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| cookie::Cookie::split_parse(v.to_string()).filter_map(Result::ok).collect::<Vec<_>>())
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

/// The pages a donor reaches through a personal link: rate-limited per address.
fn is_public_link(route: &str) -> bool {
    route.starts_with("/book/") || route.starts_with("/unsubscribe/")
}

pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Resolves the caller from `Authorization: Bearer` or the session cookie, and
/// notes the client's address.
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let client = client_addr(peer, req.headers(), &state.trusted_proxies);
    req.extensions_mut().insert(client);
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", "the Authorization header must be 'Bearer <token>'").into_response();
        };
        match state.app.token_actor(token).await {
            Ok(actor) => {
                req.extensions_mut().insert(Principal { actor, session: None, tz: state.app.settings.time_zone });
            }
            Err(e) => return ApiError(e).into_response(),
        }
    } else if let Some(token) = session_cookie(req.headers()) {
        match state.app.session_actor(&token).await {
            Ok(Some((actor, csrf))) => {
                req.extensions_mut().insert(Principal { actor, session: Some(SessionInfo { token, csrf }), tz: state.app.settings.time_zone });
            }
            Ok(None) => {}
            Err(e) => return ApiError(e).into_response(),
        }
    }
    next.run(req).await
}

fn refuse(api: bool, status: StatusCode, detail: &str) -> Response {
    if api {
        let slug = if status == StatusCode::UNAUTHORIZED { "unauthenticated" } else { "forbidden" };
        Problem::new(status, slug, detail).into_response()
    } else {
        error_page(status, detail)
    }
}

/// A request that says where it came from must come from this host.
fn cross_site(headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    origin == "null" || origin_host != host
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Enforces the route table: who may call, and for browser sessions that a
/// state-changing request carries the session's CSRF token.
pub async fn guard(State(state): State<AppState>, matched: MatchedPath, req: Request, next: Next) -> Response {
    let path = matched.as_str().to_string();
    let api = is_api(&path);
    let method = if req.method() == Method::HEAD { Method::GET } else { req.method().clone() };
    let Some(access) = state.access.get(&(method.clone(), path.clone())).copied() else {
        // Fail closed: a route missing from the table is reachable by nobody.
        return refuse(api, StatusCode::FORBIDDEN, "this route has no access rule");
    };
    let principal = req.extensions().get::<Principal>().cloned();
    let unsafe_method = !matches!(method, Method::GET | Method::OPTIONS);
    if unsafe_method && cross_site(req.headers()) {
        return refuse(api, StatusCode::FORBIDDEN, "cross-site request refused");
    }
    if is_public_link(&path) {
        let client = req.extensions().get::<ClientAddr>().cloned().unwrap_or_else(|| ClientAddr(app::auth::NO_ADDRESS.into()));
        if let Err(e) = state.app.throttle_link(&client.0).await {
            return crate::error::PageError(e).into_response();
        }
    }
    match (access, &principal) {
        (Access::Public, _) => {}
        (_, None) if api => return refuse(true, StatusCode::UNAUTHORIZED, "sign in or send an API token (Authorization: Bearer <token>)"),
        (_, None) => {
            let next_url = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let target = if method == Method::GET && next_url != "/" { format!("/login?next={}", urlencode(next_url)) } else { "/login".to_string() };
            return Redirect::to(&target).into_response();
        }
        (access, Some(p)) if !access.allows(&p.actor) => {
            return refuse(api, StatusCode::FORBIDDEN, &format!("your roles ({}) do not allow this", p.actor.roles.joined()));
        }
        _ => {}
    }
    // Public routes never act with the session's authority (a booking link's token is
    // its own proof, and the origin was checked above), so a signed-in visitor's
    // session token is not asked of them.
    let session = principal.as_ref().and_then(|p| p.session.as_ref()).filter(|_| access != Access::Public);
    let req = match (unsafe_method, session) {
        (true, Some(session)) => match check_csrf(req, &session.csrf).await {
            Ok(req) => req,
            Err(resp) => return resp,
        },
        _ => req,
    };
    next.run(req).await
}

async fn check_csrf(req: Request, expected: &str) -> Result<Request, Response> {
    let api = is_api(req.uri().path());
    let bad = || refuse(api, StatusCode::FORBIDDEN, "the form has expired or did not come from hemaflow; reload the page and try again");
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(h, expected) { Ok(req) } else { Err(bad()) };
    }
    let is_form =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(bad());
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| refuse(api, StatusCode::PAYLOAD_TOO_LARGE, "the form is larger than this server accepts"))?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let token = pairs.iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.as_str()).unwrap_or("");
    if !constant_time_eq(token, expected) {
        return Err(bad());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|v| v.trim_start_matches('=').to_string()).unwrap_or_default()
}

/// Only a path on this server is followed after login. Browsers drop tabs and line
/// breaks from URLs and read `\\` as `/`, so `/\t/evil.example` or `/\\evil.example`
/// would leave the site: any control character, white space or backslash refuses the
/// target, as does a second leading slash (a scheme-relative URL) or an absolute URL.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_string(),
        _ => "/".to_string(),
    }
}

fn is_local_path(n: &str) -> bool {
    n.len() <= 2048 && n.starts_with('/') && !n.starts_with("//") && !n.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_must_match_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(!cross_site(&h));
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(!cross_site(&h));
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(cross_site(&h));
    }

    #[test]
    fn next_url_stays_on_site() {
        assert_eq!(safe_next(Some("/sites")), "/sites");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some("/donors?q=ann&page=2")), "/donors?q=ann&page=2");
    }

    #[test]
    fn next_url_refuses_what_browsers_would_turn_into_another_host() {
        for evil in [
            "/\t/evil.example",
            "/\r/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "http:evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil:?} must not be followed");
        }
    }

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let peer: std::net::IpAddr = "10.0.0.5".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 198.51.100.7".parse().unwrap());
        assert_eq!(client_addr(Some(peer), &h, &[]).0, "10.0.0.5");
        assert_eq!(client_addr(Some(peer), &h, &[peer]).0, "198.51.100.7");
        assert_eq!(client_addr(Some(peer), &HeaderMap::new(), &[peer]).0, "10.0.0.5");
        assert_eq!(client_addr(None, &h, &[peer]).0, app::auth::NO_ADDRESS);
    }

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; hf_session=abc; b=2".parse().unwrap());
        assert_eq!(session_cookie(&h).as_deref(), Some("abc"));
    }
}
