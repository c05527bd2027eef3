//! Security behaviour over HTTP: rate limits per client address, security headers,
//! the login redirect, and errors that do not leak internals.

use crate::common;

use common::{client, spawn_app_with, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;

fn retry_after(r: &reqwest::Response) -> i64 {
    r.headers().get("retry-after").expect("Retry-After on a 429").to_str().unwrap().parse().expect("seconds")
}

/// The acceptance probe: failed sign-ins for names that do not exist, all from one
/// address, are refused with 429 and `Retry-After` before 40 attempts.
async fn many_failed_logins_from_one_address_get_429(t: TestApp) {
    let c = client();
    let mut first_429 = None;
    for i in 0..40 {
        let r = c.post(t.url("/login")).form(&[("username", format!("nobody{i}").as_str()), ("password", "wrong-password")]).send().await.unwrap();
        match r.status() {
            StatusCode::UNAUTHORIZED => assert!(first_429.is_none(), "attempt {i} allowed again after a 429"),
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(retry_after(&r) > 0);
                let html = r.text().await.unwrap();
                assert!(html.contains("too many attempts from your address"), "{html}");
                first_429.get_or_insert(i);
            }
            s => panic!("attempt {i}: unexpected {s}"),
        }
    }
    let first = first_429.expect("40 failed logins from one address were never refused");
    assert_eq!(first, 30, "the default allows 30 attempts per address per 15 minutes");
    // A real user at the same address is refused too (the address is over its limit) …
    let r = c.post(t.url("/login")).form(&[("username", "lab"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // … and the counters are in the database, where every server sees them.
    let c2 = client();
    let r = c2.post(t.url("/login")).form(&[("username", "nobody99"), ("password", "x")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// Guessing a name from one address locks that name from that address only; a name
/// that does not exist is treated exactly like one that does.
async fn guessing_admin_elsewhere_does_not_lock_the_real_admin_out(t: TestApp) {
    let attacker = "198.51.100.66";
    let mut outcomes = Vec::new();
    for name in ["admin", "no-such-user"] {
        let mut seen = Vec::new();
        for _ in 0..6 {
            seen.push(match t.app.login_from(name, "guess-guess-guess", attacker).await {
                Err(app::AppError::Unauthenticated(m)) => m,
                Err(e @ app::AppError::LockedOut { .. }) => e.to_string().split(';').next().unwrap().to_string(),
                other => panic!("{other:?}"),
            });
        }
        outcomes.push(seen);
    }
    assert_eq!(outcomes[0], outcomes[1], "an existing and a missing name must answer alike");
    assert!(outcomes[0][4].starts_with("too many attempts"), "{:?}", outcomes[0]);
    // The attacker's address stays locked for admin, even with the right password …
    assert!(matches!(t.app.login_from("admin", PASSWORD, attacker).await, Err(app::AppError::LockedOut { .. })));
    // … while the real administrator signs in from their own address.
    t.app.login_from("admin", PASSWORD, "203.0.113.10").await.expect("admin from another address");
    // Over HTTP (address 127.0.0.1) too.
    t.login_as("admin").await;
}

async fn security_headers_are_on_every_response(t: TestApp) {
    let s = t.login_as("quality").await;
    let anonymous = client();
    let responses = vec![
        ("login page", anonymous.get(t.url("/login")).send().await.unwrap()),
        ("dashboard", s.client.get(t.url("/")).send().await.unwrap()),
        ("audit page", s.client.get(t.url("/quality/audit")).send().await.unwrap()),
        ("api", t.api().get("/api/v1/sites").await),
        ("api problem", t.api().get("/api/v1/nothing-here").await),
        ("missing page", anonymous.get(t.url("/no/such/page")).send().await.unwrap()),
        ("redirect", anonymous.get(t.url("/donors")).send().await.unwrap()),
        ("healthz", anonymous.get(t.url("/healthz")).send().await.unwrap()),
    ];
    for (what, r) in &responses {
        let h = r.headers();
        let csp = h.get("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP")).to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{what}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(h["referrer-policy"], "same-origin", "{what}");
        assert_eq!(h["x-frame-options"], "DENY", "{what}");
        assert_eq!(h["cache-control"], "no-store", "{what}");
    }
    // Static assets may be cached (and still carry the other headers).
    let r = anonymous.get(t.url("/static/app.js")).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "public, max-age=3600");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}

/// No page carries inline script or inline event handlers (the CSP would block them).
#[test]
fn templates_have_no_inline_script() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("<script") {
            let tag = &rest[at..at + rest[at..].find('>').unwrap()];
            assert!(tag.contains(" src="), "{}: inline <script>", path.display());
            rest = &rest[at + 7..];
        }
        for handler in [" onclick=", " onload=", " onchange=", " onsubmit=", " oninput=", " onerror=", "javascript:", "hx-on"] {
            assert!(!text.contains(handler), "{}: inline handler {handler}", path.display());
        }
    }
}

async fn login_follows_only_paths_on_this_server(t: TestApp) {
    for (next, expected) in [
        ("/quality/audit", "/quality/audit"),
        ("/\t/evil.example", "/"),
        ("/\r\n/evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
    ] {
        let r = client().post(t.url("/login")).form(&[("username", "quality"), ("password", PASSWORD), ("next", next)]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.headers()["location"], expected, "{next:?}");
    }
}

async fn conflicts_do_not_show_database_names(t: TestApp) {
    let site = json!({"code": "MAIN", "name": "Again", "kind": "fixed", "time_zone": "UTC"});
    let r = t.api().post_json("/api/v1/sites", site).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let p = common::problem(r).await;
    let detail = p["detail"].as_str().unwrap();
    for internal in ["_key", "constraint", "UNIQUE", "sites.", "sqlx", "database error"] {
        assert!(!detail.contains(internal), "{detail}");
    }
}

async fn healthz_does_not_echo_database_errors(t: TestApp) {
    t.app.store.close().await;
    let r = client().get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["database"], "unreachable", "{v}");
    assert_eq!(v.as_object().unwrap().len(), 3, "{v}");
}

both_backends!(
    many_failed_logins_from_one_address_get_429,
    guessing_admin_elsewhere_does_not_lock_the_real_admin_out,
    security_headers_are_on_every_response,
    login_follows_only_paths_on_this_server,
    conflicts_do_not_show_database_names,
    healthz_does_not_echo_database_errors,
);

/// Public link pages (booking, cancel, unsubscribe) are limited per address, in the database.
async fn public_link_pages_are_rate_limited(t: TestApp) {
    for _ in 0..3 {
        let r = client().get(t.url("/book/hfb_0000")).send().await.unwrap();
        assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    for path in ["/book/hfb_0000", "/book/cancel/hfc_0000", "/unsubscribe/hfu_0000"] {
        let r = client().get(t.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert!(retry_after(&r) > 0 && retry_after(&r) <= 600);
    }
    // Other pages are not limited by it.
    assert_eq!(client().get(t.url("/login")).send().await.unwrap().status(), StatusCode::OK);
}

mod public_link_pages_are_rate_limited {
    fn low(s: &mut app::Settings) {
        s.link_requests_per_address = 3;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let t = super::spawn_app_with(store::Backend::Sqlite, low).await.unwrap();
        super::public_link_pages_are_rate_limited(t).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(t) = super::spawn_app_with(store::Backend::Postgres, low).await {
            super::public_link_pages_are_rate_limited(t).await;
        }
    }
}
