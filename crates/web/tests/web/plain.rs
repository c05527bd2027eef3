//! Plain language on the screen: the audit trail reads as a list of changed fields,
//! its filters say what is wrong and find every record of a donor; the donor page
//! shows the blood group as staff expect it.

use crate::common;

use app::Actor;
use chrono::Utc;
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};
use store::Backend;

async fn post(s: &common::Session, t: &TestApp, path: &str, body: Value) -> reqwest::Response {
    s.client.post(t.url(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap()
}

async fn get_html(s: &common::Session, t: &TestApp, path: &str) -> (StatusCode, String) {
    let r = s.client.get(t.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// What a person sees: the page without tags, scripts and attribute values, with the
/// common entities decoded.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        out.push(' ');
        rest = &rest[lt..];
        // Scripts, styles and what is typed into a text box are not the page's words.
        let end = if rest.starts_with("<script") || rest.starts_with("<style") || rest.starts_with("<textarea") {
            let close = if rest.starts_with("<script") {
                "</script>"
            } else if rest.starts_with("<style") {
                "</style>"
            } else {
                "</textarea>"
            };
            rest.find(close).map(|i| i + close.len())
        } else {
            rest.find('>').map(|i| i + 1)
        };
        rest = &rest[end.unwrap_or(rest.len())..];
    }
    out.push_str(rest);
    out.replace("&quot;", "\"").replace("&#34;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// The raw JSON an audit record stores never reaches the screen.
fn assert_no_json(html: &str) {
    let text = visible_text(html);
    if let Some(at) = text.find("{\"") {
        panic!("raw JSON on the screen: …{}…", &text[at.saturating_sub(200)..(at + 200).min(text.len())]);
    }
}

async fn audit_changes_read_as_a_list_of_fields(t: TestApp) {
    let op = Actor::operator();
    let mut input = domain::SiteInput {
        code: "PLN1".into(),
        name: "Main Street".into(),
        kind: "fixed".into(),
        address: String::new(),
        city: String::new(),
        region: String::new(),
        time_zone: "UTC".into(),
        active: true,
    };
    let site = t.app.create_site(&op, &input).await.unwrap();
    let old_name = input.name.clone();
    input.name = "Main Street Donor Centre".into();
    t.app.update_site(&op, site.id, &input, Some("renamed".into())).await.unwrap();
    let q = t.login_as("quality").await;
    let (status, html) = get_html(&q, &t, "/quality/audit?action=site.update").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<td>Site changed</td>"), "the action in words");
    assert!(
        html.contains(&format!("<span class=\"change-field\">Name</span>: <del>{old_name}</del> → <ins>Main Street Donor Centre</ins>")),
        "before → after of the changed field"
    );
    assert!(!html.contains("<span class=\"change-field\">Code</span>"), "unchanged fields are left out");
    assert!(!html.contains("site.update</"), "no action code in a cell");
    assert_no_json(&html);
    // A created record lists its fields; nested values get readable labels.
    let (_, html) = get_html(&q, &t, "/quality/audit?action=user.create").await;
    assert!(html.contains("<span class=\"change-field\">User name</span>: "), "{html}");
    assert!(html.contains("<span class=\"change-field\">Roles</span>: "));
    assert_no_json(&html);
}

async fn audit_filter_says_when_the_dates_are_the_wrong_way_round(t: TestApp) {
    let q = t.login_as("quality").await;
    let (status, html) = get_html(&q, &t, "/quality/audit?from=2026-03-02&to=2026-03-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let to = html.find("id=\"f-to\"").expect("the To field");
    let field = &html[to..to + 300];
    assert!(field.contains("aria-invalid=\"true\"") && field.contains("class=\"invalid\""), "the field is marked: {field}");
    assert!(field.contains("id=\"e-to\">2026-03-01 is before the first day, 2026-03-02"), "the message sits next to it: {field}");
    assert!(html.contains("value=\"2026-03-02\"") && html.contains("value=\"2026-03-01\""), "the entered dates are kept");
    let from = html.find("id=\"f-from\"").unwrap();
    assert!(!html[from..from + 120].contains("aria-invalid"), "From is fine");
    // A day that is no date is named too, and the API refuses the same filter.
    let (status, html) = get_html(&q, &t, "/quality/audit?from=yesterday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"e-from\""));
    let r = q.client.get(t.url("/api/v1/audit?from=2026-03-02&to=2026-03-01")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn audit_actor_filter_ignores_case_and_actions_come_from_a_list(t: TestApp) {
    let q = t.login_as("quality").await;
    let (_, lower) = get_html(&q, &t, "/quality/audit?actor=quality").await;
    let (status, upper) = get_html(&q, &t, "/quality/audit?actor=QuAlItY").await;
    assert_eq!(status, StatusCode::OK);
    let rows = |h: &str| h.matches("<td class=\"actor\">quality</td>").count();
    assert!(rows(&lower) >= 1, "quality signed in");
    assert_eq!(rows(&upper), rows(&lower), "the same records whatever the case");
    assert!(!upper.contains("<td class=\"actor\">cli:") && !upper.contains("<td class=\"actor\">admin</td>"));
    // The action is chosen from the actions the trail holds, in words.
    let (_, html) = get_html(&q, &t, "/quality/audit").await;
    assert!(html.contains("<select name=\"action\">"));
    assert!(html.contains("<option value=\"user.create\">User created</option>"), "{html}");
    assert!(html.contains("<option value=\"user.login\">Signed in</option>"));
    assert!(!html.contains("<option value=\"donor.merge\">"), "nobody merged donors yet");
    let (_, html) = get_html(&q, &t, "/quality/audit?action=user.login").await;
    assert!(html.contains("<option value=\"user.login\" selected>Signed in</option>"));
    assert!(!html.contains("<td>User created</td>"));
}

/// Two donors with every consent, scored.
async fn donors(t: &TestApp) {
    let op = Actor::operator();
    let today = Utc::now().date_naive();
    let csv = "donor_number,first_name,last_name,birth_date,sex,blood_group,email,phone\n\
        D0000001,Ann,Ames,1980-01-01,F,O-,ann@example.org,+1 217-555-0001\n\
        D0000002,Bob,Burr,1990-02-02,M,A+,bob@example.org,+1 217-555-0002\n";
    t.app.import_donors(&op, "d.csv", csv.as_bytes(), today, |_, _| {}).await.unwrap();
    let mut tx = t.app.store.begin_write().await.unwrap();
    for n in ["D0000001", "D0000002"] {
        let donor = tx.donor_by_number(n).await.unwrap().unwrap();
        let c = store::DonorContact { consent_email: true, consent_sms: true, consent_phone: true, ..Default::default() };
        tx.set_donor_contact(donor.id, &c).await.unwrap();
    }
    tx.commit().await.unwrap();
    t.app.score_pool(&op, today).await.unwrap();
}

async fn campaign(s: &common::Session, t: &TestApp, seg: &str, channel: &str) -> Value {
    let r = post(
        s,
        t,
        "/api/v1/campaigns",
        json!({"name": format!("Spring {channel}"), "segment_id": seg, "channel": channel, "limit": 100, "subject": "Hello {{first_name}}",
               "body": "Dear {{first_name}}, please give.\n"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

async fn donor_filter_finds_calls_and_messages(backend: Backend) {
    let Some(t) = common::spawn_app_opts(backend, |_| {}, false).await else { return };
    donors(&t).await;
    let s = t.login_as("recruiter").await;
    let r = post(&s, &t, "/api/v1/segments", json!({"name": "Everyone", "filter": {}})).await;
    let seg = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    // An SMS campaign: without a gateway its messages are kept in the Outbox.
    campaign(&s, &t, &seg, "sms").await;
    let w = t.app.outbox_worker();
    while w.round(usize::MAX, None).await.unwrap() > 0 {}
    // A phone campaign: a call outcome for Ann.
    let c = campaign(&s, &t, &seg, "phone").await;
    let id = c["id"].as_str().unwrap();
    let detail: Value = s.client.get(t.url(&format!("/api/v1/campaigns/{id}"))).send().await.unwrap().json().await.unwrap();
    let ann = detail["contacts"].as_array().unwrap().iter().find(|x| x["donor_number"] == "D0000001").unwrap()["id"].as_str().unwrap().to_string();
    let r = post(&s, &t, &format!("/api/v1/contacts/{ann}/outcome"), json!({"outcome": "no_answer"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Every such record names its donor.
    for action in ["campaign.call_outcome", "campaign.message_captured"] {
        let page = t.app.store.audit_page(&app::AuditFilter { action: Some(action.into()), ..Default::default() }, 100, 0).await.unwrap();
        assert!(!page.records.is_empty(), "{action} was recorded");
        assert!(page.records.iter().all(|r| r.donor_number.is_some()), "{action} names the donor");
    }
    // Filtering by Ann's number (typed in lower case) finds both, and nothing of Bob's.
    let q = t.login_as("quality").await;
    let (status, html) = get_html(&q, &t, "/quality/audit?donor=d0000001").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<td>Call outcome recorded</td>"), "{html}");
    assert!(html.contains("<td>Campaign message kept in the Outbox</td>"));
    assert!(html.contains("<span class=\"change-field\">Outcome</span>: No answer"), "the outcome in words");
    assert!(!html.contains("D0000002"));
    assert_no_json(&html);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn donor_filter_finds_calls_and_messages_sqlite() {
    donor_filter_finds_calls_and_messages(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn donor_filter_finds_calls_and_messages_postgres() {
    donor_filter_finds_calls_and_messages(Backend::Postgres).await;
}

/// A new donor over the API with `results` lab determinations of `group` ("O", "neg").
async fn typed_donor(t: &TestApp, last_name: &str, group: Option<(&str, &str)>, results: usize) -> String {
    let collector = t.api_as("collector").await;
    let lab = t.api_as("lab").await;
    let r = collector
        .post_json(
            "/api/v1/donors",
            json!({"first_name": "Gina", "last_name": last_name, "birth_date": "1979-06-15", "sex": "F", "not_a_duplicate": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let d: Value = r.json().await.unwrap();
    let number = d["donor_number"].as_str().or(d["donor"]["donor_number"].as_str()).unwrap().to_string();
    if let Some((abo, rhd)) = group {
        for when in ["2025-01-10", "2025-06-10"].iter().take(results) {
            let body = json!({"abo": abo, "rhd": rhd, "determined_on": when, "source": "lab"});
            let r = lab.post_json(&format!("/api/v1/donors/{number}/blood-groups"), body).await;
            assert!(r.status().is_success(), "determination: {}", r.text().await.unwrap());
        }
    }
    number
}

/// The blood group part of the donor page header.
fn badge(html: &str) -> &str {
    let at = html.find("id=\"blood-group\"").expect("the blood group badge");
    &html[at..at + html[at..].find("</div>").unwrap()]
}

async fn donor_page_shows_the_group_large_coloured_and_in_words(t: TestApp) {
    let confirmed = typed_donor(&t, "Oneg", Some(("O", "neg")), 2).await;
    let once = typed_donor(&t, "Abpos", Some(("AB", "pos")), 1).await;
    let b_pos = typed_donor(&t, "Bpos", Some(("B", "pos")), 2).await;
    let unknown = typed_donor(&t, "Untyped", None, 0).await;
    let s = t.login_as("collector").await;

    let (status, html) = get_html(&s, &t, &format!("/donors/{confirmed}")).await;
    assert_eq!(status, StatusCode::OK);
    let b = badge(&html);
    assert!(b.contains("class=\"abo-badge abo-o rh-neg\""), "O in blue, negative marked: {b}");
    assert!(b.contains(">O\u{2212}</span>") && b.contains("Group O") && b.contains("<strong class=\"rh-words\">RhD negative</strong>"), "{b}");
    assert!(b.contains(">confirmed</span>"), "{b}");

    let (_, html) = get_html(&s, &t, &format!("/donors/{once}")).await;
    let b = badge(&html);
    assert!(b.contains("class=\"abo-badge abo-ab unconfirmed\""), "AB in white, not confirmed: {b}");
    assert!(b.contains("RhD positive") && b.contains("not confirmed: one result so far"), "{b}");

    let (_, html) = get_html(&s, &t, &format!("/donors/{b_pos}")).await;
    assert!(badge(&html).contains("class=\"abo-badge abo-b\""));

    let (_, html) = get_html(&s, &t, &format!("/donors/{unknown}")).await;
    let b = badge(&html);
    assert!(b.contains("abo-unknown") && b.contains("Blood group not known") && b.contains("not confirmed"), "{b}");
}

/// Internal identifiers that must never be read on a page: stored codes, field paths,
/// server flags, raw JSON.
const INTERNAL: &[&str] = &[
    "whole_blood",
    "double_red_cells",
    "source_plasma",
    "no_show",
    "on_hold",
    "no_answer",
    "wrong_number",
    "feeling_well",
    "hemoglobin_g_dl",
    "screening.",
    "answers.",
    "--smtp",
    "--sms",
    "{\"",
    "campaign_contact",
    "donor.register",
    "user.login",
];

/// An instant written the machine way (`2026-03-02T14:05:00`), or a time given in UTC
/// where the facility's zone is another.
fn machine_time(text: &str) -> Option<String> {
    let b = text.as_bytes();
    for i in 0..b.len().saturating_sub(19) {
        let w = &b[i..i + 19];
        let digits = |r: std::ops::Range<usize>| w[r].iter().all(u8::is_ascii_digit);
        if digits(0..4) && w[4] == b'-' && digits(5..7) && w[7] == b'-' && digits(8..10) && w[10] == b'T' && digits(11..13) && w[13] == b':' {
            return Some(String::from_utf8_lossy(w).into_owned());
        }
    }
    let word = |at: usize| {
        let before = text[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after = text[at + 3..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        before && after
    };
    text.match_indices("UTC").map(|(at, _)| at).find(|at| word(*at)).map(|at| {
        let from = text.floor_char_boundary(at.saturating_sub(40));
        text[from..(at + 3).min(text.len())].split_whitespace().collect::<Vec<_>>().join(" ")
    })
}

/// The links of the main menu on a page.
fn nav_links(html: &str) -> Vec<String> {
    let Some(start) = html.find("id=\"main-nav\"") else { return vec![] };
    let nav = &html[start..start + html[start..].find("</nav>").unwrap_or(html.len() - start)];
    nav.split("href=\"").skip(1).map(|x| x[..x.find('"').unwrap()].to_string()).collect()
}

/// A demo centre (the one `serve --demo` makes, smaller); every main page of every
/// role, and a donor's and a campaign's page, read with no internal name on them.
async fn demo_pages_speak_the_staff_language(backend: Backend) {
    let Some(db) = store::test_support::fresh(backend).await else { return };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let settings =
        app::Settings { fin: Some("A9998".into()), public_url: addr.clone(), time_zone: chrono_tz::America::Chicago, ..Default::default() };
    let app = app::App::new(db.store.clone(), settings);
    let opts = app::demo::DemoOptions { donors: 800, ..Default::default() };
    let summary = app.generate_demo(opts, |_, _| {}).await.unwrap();
    // The demo's units stand in every state of testing and release.
    let today = app.store.donations_with_din_since(chrono::Utc::now() - chrono::Duration::hours(12), 50).await.unwrap();
    let (mut states, mut lookbacks, mut unit_pages) = (std::collections::BTreeMap::new(), 0, Vec::new());
    for d in &today {
        lookbacks += app.store.lookback_cases_of(d.id).await.unwrap().len();
        if let Some(din) = &d.din {
            unit_pages.push(format!("/donations/{din}"));
        }
        for u in app.store.components_of_donation(d.id).await.unwrap() {
            *states.entry(u.state.as_str()).or_insert(0) += 1;
            unit_pages.push(format!("/components/{}/{}", u.din, u.product_code));
        }
    }
    for state in ["in_processing", "quarantine", "available"] {
        assert!(states.get(state).copied().unwrap_or(0) > 0, "demo units {state}: {states:?}");
    }
    assert_eq!(lookbacks, 1, "the repeat-reactive anti-HCV donation opens one lookback case");
    // The demo's storage: everything put away in its class, a unit near expiry, a broken
    // bag discarded, a refrigerator's excursion holding its units.
    let op = app::Actor::operator();
    let inv = app.inventory(&op, chrono::Utc::now()).await.unwrap();
    assert_eq!((inv.not_put_away, inv.misplaced.len()), (0, 0), "{inv:?}");
    assert!(inv.expiring.iter().any(|u| u.hours_left < 24), "a washed unit keeps 24 hours: {:?}", inv.expiring);
    assert!(inv.quarantine_by_reason.iter().any(|(r, n)| r == "temperature excursion" && *n > 0), "{:?}", inv.quarantine_by_reason);
    assert!(states.get("discarded").copied().unwrap_or(0) > 0, "a discarded unit: {states:?}");
    let excursions = app.excursions(&op, 10).await.unwrap();
    assert_eq!(excursions.len(), 1);
    // Thirteen weeks of orders: most delivered, some short; today's STAT order reserved and
    // an irradiated AB- line back-ordered with its reason; days of supply from the demand.
    let orders = app.orders(&op, 100_000).await.unwrap();
    let count = |s: domain::order::OrderState| orders.iter().filter(|o| o.state == s).count();
    assert!(count(domain::order::OrderState::Delivered) >= 3, "{} orders", orders.len());
    let special = app.order(&op, &orders[0].number).await.unwrap();
    assert!(special.lines[0].short_reason.as_deref().is_some_and(|r| r.contains("irradiated")), "{special:?}");
    assert!(inv.stock.iter().any(|l| l.days_of_supply.is_some()), "days of supply from the shipments: {:?}", inv.stock);
    assert!(!app.dispositions(&op, 10).await.unwrap().is_empty() && !app.returns(&op, 10).await.unwrap().is_empty());
    // Months of invoices, the older ones paid; a withdrawal reaching two hospitals, one acknowledged.
    let invoices = app.invoices(&op, None, 1000).await.unwrap();
    assert!(invoices.len() >= 2, "{invoices:?}");
    let recalls = app.recall_cases(&op, 10).await.unwrap();
    assert_eq!(recalls.len(), 1, "one open withdrawal");
    let state = web::AppState::new(app.clone(), false);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    let mut problems = Vec::new();
    for login in &summary.logins {
        let c = common::client();
        let r = c
            .post(format!("{addr}/login"))
            .form(&[("username", login.username.as_str()), ("password", login.password.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{} signs in", login.username);
        let home = c.get(format!("{addr}/")).send().await.unwrap().text().await.unwrap();
        let mut pages: Vec<String> = nav_links(&home);
        assert!(!pages.is_empty(), "{} has a menu", login.username);
        // One level deeper: the first donor, campaign, site and hospital listed.
        let mut deeper = Vec::new();
        for p in &pages {
            let html = c.get(format!("{addr}{p}")).send().await.unwrap().text().await.unwrap();
            for prefix in ["/donors/D", "/recruitment/campaigns/", "/sites/", "/hospitals/", "/orders/ORD-"] {
                if let Some(at) = html.find(&format!("href=\"{prefix}")) {
                    let link = &html[at + 6..];
                    let link = &link[..link.find('"').unwrap()];
                    if !link.ends_with("/new") && !deeper.contains(&link.to_string()) {
                        deeper.push(link.to_string());
                    }
                }
            }
        }
        pages.extend(deeper);
        if login.username == "lab" {
            pages.extend(unit_pages.iter().cloned());
        }
        for p in &pages {
            let r = c.get(format!("{addr}{p}")).send().await.unwrap();
            let status = r.status();
            let html = r.text().await.unwrap();
            if !status.is_success() {
                problems.push(format!("{} {p}: {status}", login.username));
                continue;
            }
            let text = visible_text(&html);
            for bad in INTERNAL {
                if let Some(at) = text.find(bad) {
                    let from = text.floor_char_boundary(at.saturating_sub(60));
                    let to = text.ceil_char_boundary((at + 60).min(text.len()));
                    problems.push(format!(
                        "{} {p}: '{bad}' in …{}…",
                        login.username,
                        text[from..to].split_whitespace().collect::<Vec<_>>().join(" ")
                    ));
                }
            }
            if let Some(t) = machine_time(&text) {
                problems.push(format!("{} {p}: a time not in local words: {t}", login.username));
            }
        }
    }
    let _ = stop.send(());
    assert!(problems.is_empty(), "internal names on the screen:\n{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_pages_speak_the_staff_language_sqlite() {
    demo_pages_speak_the_staff_language(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_pages_speak_the_staff_language_postgres() {
    demo_pages_speak_the_staff_language(Backend::Postgres).await;
}

/// The opening tag of the control with this id.
fn control<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}"));
    let start = html[..at].rfind('<').unwrap();
    &html[start..at + html[at..].find('>').unwrap() + 1]
}

fn assert_marked(html: &str, id: &str) {
    let tag = control(html, id);
    assert!(tag.contains("aria-invalid=\"true\"") && tag.contains("class=\"invalid\""), "#{id} is marked: {tag}");
}

async fn site_form_marks_every_wrong_field(t: TestApp) {
    let s = t.login_as("admin").await;
    let head = t.audit_head().await;
    let form =
        [("_csrf", s.csrf.as_str()), ("code", "bad code!"), ("name", ""), ("kind", "fixed"), ("time_zone", "Mars/Base"), ("city", "Springfield")];
    let r = s.client.post(t.url("/sites")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for id in ["f-code", "f-name", "f-time_zone"] {
        assert_marked(&html, id);
    }
    assert!(!control(&html, "f-city").contains("aria-invalid"), "a right field is not marked");
    assert_eq!(html.matches("class=\"field-error\"").count(), 3);
    assert!(html.contains("value=\"bad code!\"") && html.contains("value=\"Mars/Base\"") && html.contains("value=\"Springfield\""), "values kept");
    assert_eq!(t.audit_head().await, head, "nothing written");
}

async fn donor_form_shows_all_its_errors_at_once(t: TestApp) {
    let s = t.login_as("collector").await;
    let head = t.audit_head().await;
    let form = [
        ("_csrf", s.csrf.as_str()),
        ("first_name", ""),
        ("last_name", "Doe"),
        ("birth_date", "1980-02-31"),
        ("sex", "F"),
        ("email", "not-an-email"),
        ("consent", "email"),
        ("consent", "post"),
    ];
    let r = s.client.post(t.url("/donors")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for id in ["f-first_name", "f-birth_date", "f-email"] {
        assert_marked(&html, id);
    }
    assert!(html.matches("class=\"field-error\"").count() >= 3, "{html}");
    assert!(!control(&html, "f-last_name").contains("aria-invalid"));
    assert!(html.contains("value=\"Doe\"") && html.contains("value=\"1980-02-31\"") && html.contains("value=\"not-an-email\""), "values kept");
    assert!(
        html.contains("value=\"email\" checked") && html.contains("value=\"post\" checked") && !html.contains("value=\"sms\" checked"),
        "consents kept"
    );
    assert_eq!(t.audit_head().await, head, "nothing written");
    assert_eq!(t.app.store.donor_stats().await.unwrap().donors, 0, "no donor registered");
}

async fn screening_form_shows_all_its_errors_at_once(t: TestApp) {
    let op = Actor::operator();
    let today = Utc::now().date_naive();
    t.app
        .import_donors(&op, "d.csv", b"donor_number,first_name,last_name,birth_date,sex\nD0000001,Lee,Park,1970-01-01,M\n", today, |_, _| {})
        .await
        .unwrap();
    let s = t.login_as("collector").await;
    let head = t.audit_head().await;
    let form = [
        ("_csrf", s.csrf.as_str()),
        ("procedure", "whole_blood"),
        ("site", "MAIN"),
        ("weight_kg", "80"),
        ("hemoglobin_g_dl", "abc"),
        ("pulse_bpm", "seventy"),
    ];
    let r = s.client.post(t.url("/donors/D0000001/screening")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert_marked(&html, "f-hemoglobin_g_dl");
    assert_marked(&html, "f-pulse_bpm");
    assert!(!control(&html, "f-weight_kg").contains("aria-invalid"));
    let text = visible_text(&html);
    assert!(text.contains("'abc' is not a number") && text.contains("'seventy' is not a number"), "{text}");
    assert!(html.contains("value=\"abc\"") && html.contains("value=\"seventy\"") && html.contains("value=\"80\""), "values kept");
    let unanswered = html.matches("not answered").count();
    assert!(unanswered >= 3, "every unanswered question is named too ({unanswered})");
    assert!(!text.contains("screening.") && !text.contains("answers."), "no field paths");
    assert_eq!(t.audit_head().await, head, "nothing written");
}

both_backends!(
    site_form_marks_every_wrong_field,
    donor_form_shows_all_its_errors_at_once,
    screening_form_shows_all_its_errors_at_once,
    donor_page_shows_the_group_large_coloured_and_in_words,
    audit_changes_read_as_a_list_of_fields,
    audit_filter_says_when_the_dates_are_the_wrong_way_round,
    audit_actor_filter_ignores_case_and_actions_come_from_a_list,
);
