//! The HTML side: sign-in, lockout, sign-out, CSRF and forms with inline errors.

use crate::common;

use common::{client, csrf_of, TestApp, PASSWORD};
use reqwest::StatusCode;

async fn wrong_password_shows_a_message_then_locks_the_account(t: TestApp) {
    let c = client();
    for attempt in 1..=5 {
        let r = c.post(t.url("/login")).form(&[("username", "lab"), ("password", "wrong-password")]).send().await.unwrap();
        let status = r.status();
        let html = r.text().await.unwrap();
        assert!(html.contains("class=\"form-error\""), "attempt {attempt}: no message");
        if attempt < 5 {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert!(html.contains("wrong user name or password"));
        } else {
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
            assert!(html.contains("try again after"), "{html}");
        }
    }
    // Locked: the right password is refused too, and no session cookie is set.
    let r = c.post(t.url("/login")).form(&[("username", "lab"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("set-cookie").is_none());
    // An admin reactivation clears the lock.
    t.app.set_user_active(&app::Actor::operator(), "lab", true, None).await.unwrap();
    t.login_as("lab").await;
}

async fn session_cookie_is_http_only_and_logout_ends_the_session(t: TestApp) {
    let c = client();
    let r = c.post(t.url("/login")).form(&[("username", "quality"), ("password", PASSWORD), ("next", "/quality/audit")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/quality/audit");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let raw = cookie.split(';').next().unwrap().to_string();
    let html = c.get(t.url("/")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&html);
    let r = c.post(t.url("/logout")).form(&[("_csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The old cookie no longer opens anything, even if a browser kept it.
    let r = client().get(t.url("/")).header("cookie", raw).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/login"));
}

async fn login_next_never_leaves_the_site(t: TestApp) {
    let r = client().post(t.url("/login")).form(&[("username", "admin"), ("password", PASSWORD), ("next", "//evil.example/x")]).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/");
}

async fn state_changes_without_the_csrf_token_are_refused(t: TestApp) {
    let s = t.login_as("admin").await;
    let head = t.audit_head().await;
    let form = [("code", "NEW"), ("name", "New"), ("kind", "fixed"), ("time_zone", "UTC"), ("active", "on")];
    let r = s.client.post(t.url("/sites")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let mut with_bad = form.to_vec();
    with_bad.push(("_csrf", "forged"));
    let r = s.client.post(t.url("/sites")).form(&with_bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A cross-site origin is refused even with the right token.
    let mut good = form.to_vec();
    good.push(("_csrf", s.csrf.as_str()));
    let r = s.client.post(t.url("/sites")).header("origin", "http://evil.example").form(&good).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);
    // The same form with its token works.
    let r = s.client.post(t.url("/sites")).form(&good).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.app.store.list_sites().await.unwrap().len(), 2);
}

async fn site_form_shows_every_error_inline_and_writes_nothing(t: TestApp) {
    let s = t.login_as("admin").await;
    let head = t.audit_head().await;
    let form = [("_csrf", s.csrf.as_str()), ("code", "bad code!"), ("name", ""), ("kind", "fixed"), ("time_zone", "Mars/Base")];
    let r = s.client.post(t.url("/sites")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert_eq!(html.matches("class=\"field-error\"").count(), 3, "{html}");
    assert!(html.contains("value=\"bad code!\""), "typed values are kept");
    assert!(html.contains("Mars/Base"));
    assert_eq!(t.audit_head().await, head);

    // A correction needs a reason; with one it becomes version 2.
    let edit = |reason: &'static str| {
        vec![
            ("_csrf", s.csrf.clone()),
            ("code", "MAIN".into()),
            ("name", "Main Donor Centre".into()),
            ("kind", "fixed".into()),
            ("time_zone", "America/Chicago".into()),
            ("active", "on".into()),
            ("reason", reason.into()),
        ]
    };
    let url = t.url(&format!("/sites/{}", t.site_id));
    let r = s.client.post(&url).form(&edit("")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("say why"));
    let r = s.client.post(&url).form(&edit("spelling")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = s.client.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Main Donor Centre") && page.contains("spelling"));
}

async fn admin_creates_users_and_sees_a_token_secret_once(t: TestApp) {
    let s = t.login_as("admin").await;
    let r = s
        .client
        .post(t.url("/admin/users"))
        .form(&[("_csrf", s.csrf.as_str()), ("username", "lab2"), ("password", "lab2-password"), ("roles", "lab"), ("display_name", "Second Lab")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = s
        .client
        .post(t.url("/admin/users"))
        .form(&[("_csrf", s.csrf.as_str()), ("username", "lab2"), ("password", "lab2-password"), ("roles", "lab")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("already taken"));
    let r = s
        .client
        .post(t.url("/admin/tokens"))
        .form(&[("_csrf", s.csrf.as_str()), ("username", "lab2"), ("name", "Analyzer"), ("expires_in_days", "ten")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = s
        .client
        .post(t.url("/admin/tokens"))
        .form(&[("_csrf", s.csrf.as_str()), ("username", "lab2"), ("name", "Analyzer"), ("expires_in_days", "90")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let marker = "id=\"new-token-secret\">";
    let at = html.find(marker).unwrap() + marker.len();
    let secret = &html[at..at + 68];
    assert!(secret.starts_with("hft_"));
    let listed = s.client.get(t.url("/admin/users")).send().await.unwrap().text().await.unwrap();
    assert!(listed.contains("Analyzer") && !listed.contains(secret), "the secret is shown only once");
    let me: serde_json::Value = client().get(t.url("/api/v1/me")).bearer_auth(secret).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["username"], "lab2");
}

async fn audit_page_filters_and_rejects_bad_dates(t: TestApp) {
    let s = t.login_as("quality").await;
    let html = s.client.get(t.url("/quality/audit?actor=quality")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"audit-table\""));
    assert!(html.contains("<td class=\"actor\">quality</td>"));
    assert!(!html.contains("<td class=\"actor\">cli:"));
    // htmx asks for the results only.
    let part = s.client.get(t.url("/quality/audit?actor=quality")).header("hx-request", "true").send().await.unwrap().text().await.unwrap();
    assert!(part.contains("audit-table") && !part.contains("<html"));
    let r = s.client.get(t.url("/quality/audit?from=yesterday")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("is not a date"));
}

async fn assets_are_served_from_the_binary(t: TestApp) {
    for (file, needle) in [("htmx.min.js", "htmx"), ("app.css", "--brand")] {
        let r = client().get(t.url(&format!("/static/{file}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains(needle));
    }
    assert_eq!(client().get(t.url("/static/nope.js")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

async fn users_change_their_own_password_with_the_current_one(t: TestApp) {
    let s = t.login_as("recruiter").await;
    let html = s.client.get(t.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Change your password"));
    let r = s
        .client
        .post(t.url("/account/password"))
        .form(&[("_csrf", s.csrf.as_str()), ("current_password", "not-it-at-all"), ("password", "recruiter-new-pw")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("not your current password"));
    let r = s
        .client
        .post(t.url("/account/password"))
        .form(&[("_csrf", s.csrf.as_str()), ("current_password", PASSWORD), ("password", "recruiter-new-pw")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = client().post(t.url("/login")).form(&[("username", "recruiter"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = client().post(t.url("/login")).form(&[("username", "recruiter"), ("password", "recruiter-new-pw")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn admin_edits_roles_with_checkboxes(t: TestApp) {
    let s = t.login_as("admin").await;
    let html = s.client.get(t.url("/admin/users/collector")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("value=\"collector\" checked"));
    let body = format!("_csrf={}&display_name=Chris+Collector&roles=collector&roles=recruiter&hospital=&reason=drives+too", s.csrf);
    let r =
        s.client.post(t.url("/admin/users/collector")).header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let u = t.app.user(&app::Actor::operator(), "collector").await.unwrap();
    assert_eq!(u.roles, vec![domain::Role::Recruiter, domain::Role::Collector]);
    assert_eq!(u.display_name, "Chris Collector");
    let body = format!("_csrf={}&roles=collector&reason=", s.csrf);
    let r =
        s.client.post(t.url("/admin/users/collector")).header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("class=\"field-error\""));
}

async fn audit_trail_downloads_as_csv_with_its_filter(t: TestApp) {
    let s = t.login_as("quality").await;
    let r = s.client.get(t.url("/quality/audit.csv?action=user.create")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let body = r.text().await.unwrap();
    let mut lines = body.lines();
    assert!(lines.next().unwrap().starts_with("seq,id,at_utc,actor,action"));
    // one user.create record per role in the test centre
    assert_eq!(lines.filter(|l| l.contains(",user.create,")).count(), domain::Role::ALL.len(), "{body}");
    let r = s.client.get(t.url("/quality/audit.csv?to=soon")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = s.client.get(t.url("/quality/audit?actor=quality")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("/quality/audit.csv?actor=quality"));
}

async fn dashboard_draws_the_donor_pool_chart(t: TestApp) {
    let s = t.login_as("recruiter").await;
    let html = s.client.get(t.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("<svg"), "no donors, no chart");
    let mut tx = t.app.store.begin_write().await.unwrap();
    for (n, (abo, rhd)) in [("O", "pos"), ("O", "pos"), ("A", "neg")].into_iter().enumerate() {
        tx.insert_donor(&store::DonorRow {
            id: uuid::Uuid::now_v7(),
            donor_number: format!("D000000{n}"),
            first_name: "Pat".into(),
            last_name: "Doe".into(),
            birth_date: chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(),
            sex: domain::Sex::Female,
            group: store::GroupOnRecord(Some(domain::BloodGroup::from_columns(abo, rhd).unwrap())),
            email: None,
            phone: None,
            preferred_site: None,
            created_at: store::now(),
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let html = s.client.get(t.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<svg"));
    assert_eq!(html.matches("class=\"bar\"").count(), 2);
    assert!(html.contains(">O+<") && html.contains(">A-<"));
    assert!(html.contains("2 · 66.7%"));
}

both_backends!(
    audit_trail_downloads_as_csv_with_its_filter,
    dashboard_draws_the_donor_pool_chart,
    users_change_their_own_password_with_the_current_one,
    admin_edits_roles_with_checkboxes,
    wrong_password_shows_a_message_then_locks_the_account,
    session_cookie_is_http_only_and_logout_ends_the_session,
    login_next_never_leaves_the_site,
    state_changes_without_the_csrf_token_are_refused,
    site_form_shows_every_error_inline_and_writes_nothing,
    admin_creates_users_and_sees_a_token_secret_once,
    audit_page_filters_and_rejects_bad_dates,
    assets_are_served_from_the_binary,
);
