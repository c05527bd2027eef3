//! Campaign delivery outside the request: the outbox, its worker, a restart midway,
//! two servers on one database, retries, and targeting that respects merges and
//! consent. Email goes to a real SMTP server (scripts/smtp-sink.py).

use crate::common;

use app::{Actor, App};
use chrono::{Duration, Utc};
use common::smtp::SmtpSink;
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use store::Backend;

/// `n` donors D0000001… with email and SMS consent (address dNN@example.org).
async fn donors(t: &TestApp, n: usize) {
    let op = Actor::operator();
    let today = Utc::now().date_naive();
    let mut csv = String::from("donor_number,first_name,last_name,birth_date,sex,blood_group,email,phone\n");
    for i in 1..=n {
        csv.push_str(&format!("D{i:07},Donor{i},Test,1980-01-01,F,O-,d{i:02}@example.org,+1 217-555-{i:04}\n"));
    }
    t.app.import_donors(&op, "d.csv", csv.as_bytes(), today, |_, _| {}).await.unwrap();
    let mut tx = t.app.store.begin_write().await.unwrap();
    for i in 1..=n {
        let donor = tx.donor_by_number(&format!("D{i:07}")).await.unwrap().unwrap();
        let c = store::DonorContact { consent_email: true, consent_sms: true, ..Default::default() };
        tx.set_donor_contact(donor.id, &c).await.unwrap();
    }
    tx.commit().await.unwrap();
    // The day's stored scores, as the server's daily job writes them (campaigns need them).
    t.app.score_pool(&op, today).await.unwrap();
}

async fn post(s: &common::Session, t: &TestApp, path: &str, body: Value) -> reqwest::Response {
    s.client.post(t.url(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap()
}

/// A segment of `filter` and an email campaign on it; returns the campaign as created.
async fn email_campaign(s: &common::Session, t: &TestApp, name: &str, filter: Value) -> Value {
    let r = post(s, t, "/api/v1/segments", json!({"name": name, "filter": filter})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let seg = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let r = post(
        s,
        t,
        "/api/v1/campaigns",
        json!({"name": name, "segment_id": seg, "channel": "email", "limit": 1000, "subject": "Hello {{first_name}}",
               "body": "Dear {{first_name}} ({{donor_number}}), please give.\nUnsubscribe: {{unsubscribe_url}}\n"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

/// Recipient → how many messages the sink received for them.
fn per_recipient(sink: &SmtpSink) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for e in sink.messages() {
        for to in e.to {
            *m.entry(to).or_insert(0) += 1;
        }
    }
    m
}

async fn statuses(app: &App, campaign: &str) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in app.store.outbox_of(campaign.parse().unwrap()).await.unwrap() {
        *m.entry(r.status).or_insert(0) += 1;
    }
    m
}

/// Runs rounds of `worker` until a round finds nothing due.
async fn drain(worker: &app::recruitment::OutboxWorker) -> usize {
    let mut n = 0;
    loop {
        let k = worker.round(usize::MAX, None).await.unwrap();
        if k == 0 {
            return n;
        }
        n += k;
    }
}

fn quick(s: &mut app::Settings, sink: &SmtpSink) {
    s.smtp_url = Some(sink.url.clone());
    s.outbox.lease = std::time::Duration::from_secs(1);
    s.outbox.rate_per_second = 500.0;
}

async fn delivery_survives_a_restart(backend: Backend) {
    let Some(sink) = SmtpSink::start() else { return };
    let Some(t) = common::spawn_app_opts(backend, |s| quick(s, &sink), false).await else { return };
    donors(&t, 12).await;
    let s = t.login_as("recruiter").await;
    let c = email_campaign(&s, &t, "Everyone", json!({})).await;
    let cid = c["id"].as_str().unwrap().to_string();
    // The request returned with the messages queued, none sent yet.
    assert_eq!((c["delivery"]["total"].as_i64(), c["delivery"]["queued"].as_i64()), (Some(12), Some(12)), "{c}");
    assert_eq!(c["delivery"]["finished"], false);
    assert!(sink.messages().is_empty());

    // The first server claims a batch and stops after 5 messages, as if killed.
    let first = t.app.outbox_worker();
    assert_eq!(first.round(5, None).await.unwrap(), 5);
    assert_eq!(sink.messages().len(), 5);
    let st = statuses(&t.app, &cid).await;
    assert_eq!((st.get("sent"), st.get("sending")), (Some(&5), Some(&7)), "{st:?}");
    // The page shows where it stands.
    let html = s.client.get(t.url(&format!("/recruitment/campaigns/{cid}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"campaign-delivery\"") && html.contains("hx-trigger=\"every 3s\""), "polls while sending");
    assert!(html.contains("<span id=\"delivery-sent\">5</span> sent"), "{}", &html[html.find("campaign-delivery").unwrap()..][..900]);
    assert!(html.contains("<span id=\"delivery-queued\">7</span> waiting"));

    // A new server: the dead one's claims are not touched before their lease runs out…
    let second = t.app.outbox_worker();
    assert_eq!(second.round(usize::MAX, None).await.unwrap(), 0);
    assert_eq!(sink.messages().len(), 5);
    // …and are sent after it, each once.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(drain(&second).await, 7);
    let got = per_recipient(&sink);
    assert_eq!(got.len(), 12, "{got:?}");
    assert!(got.values().all(|n| *n == 1), "a donor got a message twice: {got:?}");
    assert_eq!(statuses(&t.app, &cid).await, BTreeMap::from([("sent".to_string(), 12)]));
    // Every email carries its message id as Message-ID, each different.
    let rows = t.app.store.outbox_of(cid.parse().unwrap()).await.unwrap();
    let mut ids: Vec<String> = sink.messages().iter().map(|m| m.headers["message-id"].clone()).collect();
    ids.sort();
    let mut expected: Vec<String> = rows.iter().map(|r| format!("<{}@hemaflow>", r.id)).collect();
    expected.sort();
    assert_eq!(ids, expected);
    // The first server comes back: nothing of its old claims is left to it.
    assert_eq!(first.round(usize::MAX, None).await.unwrap(), 0);
    assert_eq!(sink.messages().len(), 12);

    let d: Value = s.client.get(t.url(&format!("/api/v1/campaigns/{cid}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        d["campaign"]["delivery"],
        json!({"total": 12, "queued": 0, "sending": 0, "sent": 12, "bounced": 0, "failed": 0, "captured": 0, "finished": true})
    );
    assert_eq!(d["campaign"]["stats"]["delivered"], 12);
    assert!(d["contacts"].as_array().unwrap().iter().all(|x| x["status"] == "sent" && !x["contacted_at"].is_null()));
    let audit =
        t.app.store.audit_page(&app::AuditFilter { action: Some("campaign.message_sent".into()), ..Default::default() }, 50, 0).await.unwrap();
    assert_eq!(audit.total, 12);
    let html = s.client.get(t.url(&format!("/recruitment/campaigns/{cid}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("All 12 messages have gone out") && !html.contains("hx-trigger=\"every 3s\""), "stops polling when done");
}

mod campaign_delivery_survives_a_restart_without_a_duplicate {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::delivery_survives_a_restart(store::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::delivery_survives_a_restart(store::Backend::Postgres).await;
    }
}

async fn two_servers(backend: Backend) {
    let Some(sink) = SmtpSink::start() else { return };
    let Some(t) = common::spawn_app_opts(
        backend,
        |s| {
            quick(s, &sink);
            s.outbox.batch = 3;
            s.outbox.lease = std::time::Duration::from_secs(60);
            s.outbox.poll = std::time::Duration::from_millis(20);
        },
        false,
    )
    .await
    else {
        return;
    };
    donors(&t, 40).await;
    let s = t.login_as("recruiter").await;
    let c = email_campaign(&s, &t, "Everyone", json!({})).await;
    let cid = c["id"].as_str().unwrap().to_string();
    // A second server: its own connections to the same database.
    let other = App::new(store::Store::connect(&t.db_url).await.unwrap(), t.app.settings.clone());
    let (stop, rx) = tokio::sync::watch::channel(false);
    let a = tokio::spawn(t.app.outbox_worker().run(rx.clone()));
    let b = tokio::spawn(other.outbox_worker().run(rx.clone()));
    let c2 = tokio::spawn(other.outbox_worker().run(rx));
    let start = std::time::Instant::now();
    while statuses(&t.app, &cid).await.get("sent") != Some(&40) {
        assert!(start.elapsed() < std::time::Duration::from_secs(60), "not delivered: {:?}", statuses(&t.app, &cid).await);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    for h in [a, b, c2] {
        h.await.unwrap();
    }
    let got = per_recipient(&sink);
    assert_eq!(got.len(), 40, "{got:?}");
    assert!(got.values().all(|n| *n == 1), "a donor got a message twice: {got:?}");
    assert_eq!(sink.messages().len(), 40);
    // Every attempt is in sent_emails once.
    let sent = t.app.store.recent_sent_emails(Some("campaign"), 1000).await.unwrap();
    assert_eq!(sent.len(), 40);
}

mod two_servers_on_one_database_send_each_message_once {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        super::two_servers(store::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres() {
        super::two_servers(store::Backend::Postgres).await;
    }
}

/// An SMS gateway that answers 503 to the first `fail_first` posts for each number in
/// `flaky`, always 503 for `dead`, and records the Idempotency-Key of each post.
async fn gateway(flaky: &'static str, fail_first: usize, dead: &'static str) -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    let got: Arc<Mutex<Vec<(String, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let router = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |headers: axum::http::HeaderMap, axum::Json(v): axum::Json<Value>| {
            let g = g.clone();
            async move {
                let to = v["to"].as_str().unwrap().to_string();
                let key = headers.get("idempotency-key").map(|k| k.to_str().unwrap().to_string()).unwrap_or_default();
                let mut g = g.lock().unwrap();
                g.push((to.clone(), key));
                let tries = g.iter().filter(|(t, _)| *t == to).count();
                if to == dead || (to == flaky && tries <= fail_first) {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::ACCEPTED
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, got)
}

async fn retries(backend: Backend) {
    let (url, got) = gateway("+1 217-555-0001", 2, "+1 217-555-0002").await;
    let Some(t) = common::spawn_app_opts(
        backend,
        |s| {
            s.sms_webhook_url = Some(url);
            s.outbox.max_attempts = 3;
            s.outbox.retry_after = std::time::Duration::from_millis(500);
            s.outbox.rate_per_second = 500.0;
        },
        false,
    )
    .await
    else {
        return;
    };
    donors(&t, 3).await;
    let s = t.login_as("recruiter").await;
    let r = post(&s, &t, "/api/v1/segments", json!({"name": "All", "filter": {}})).await;
    let seg = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let r = post(&s, &t, "/api/v1/campaigns", json!({"name": "SMS", "segment_id": seg, "channel": "sms", "body": "Hi {{first_name}}", "limit": 10}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let cid = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let w = t.app.outbox_worker();
    assert_eq!(drain(&w).await, 3, "one round: D3 sent, D1 and D2 failed once");
    let rows = t.app.store.outbox_of(cid.parse().unwrap()).await.unwrap();
    let d1 = rows.iter().find(|r| r.address.ends_with("0001")).unwrap();
    assert_eq!((d1.status.as_str(), d1.attempts), ("queued", 1));
    assert!(d1.next_attempt_at > Utc::now() && d1.last_error.as_deref().unwrap().contains("503"), "{d1:?}");
    // Back-off: not due yet; then due, twice more.
    for _ in 0..2 {
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        drain(&w).await;
    }
    let rows = t.app.store.outbox_of(cid.parse().unwrap()).await.unwrap();
    let by = |end: &str| rows.iter().find(|r| r.address.ends_with(end)).unwrap().clone();
    let (d1, d2, d3) = (by("0001"), by("0002"), by("0003"));
    assert_eq!((d1.status.as_str(), d1.attempts), ("sent", 3), "{d1:?}");
    assert_eq!((d2.status.as_str(), d2.attempts), ("failed", 3), "{d2:?}");
    assert!(d2.last_error.as_deref().unwrap().starts_with("gave up after 3 attempts"), "{d2:?}");
    assert_eq!((d3.status.as_str(), d3.attempts), ("sent", 1));
    // Every post of one message carried the same Idempotency-Key: its id.
    let posts = got.lock().unwrap().clone();
    assert_eq!(posts.iter().filter(|(to, k)| to.ends_with("0001") && *k == d1.id.to_string()).count(), 3);
    assert_eq!(posts.len(), 7);
    let d: Value = s.client.get(t.url(&format!("/api/v1/campaigns/{cid}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!((d["campaign"]["delivery"]["sent"].as_i64(), d["campaign"]["delivery"]["failed"].as_i64()), (Some(2), Some(1)));
    assert_eq!(d["campaign"]["delivery"]["finished"], true);
    let failed = d["contacts"].as_array().unwrap().iter().find(|x| x["donor_number"] == "D0000002").unwrap().clone();
    assert_eq!(failed["status"], "failed");
    // A worker that stops hands back what it claimed but did not start.
    let r = post(&s, &t, "/api/v1/campaigns", json!({"name": "SMS 2", "segment_id": seg, "channel": "sms", "body": "Hello", "limit": 10})).await;
    let c2 = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let (stop, rx) = tokio::sync::watch::channel(true);
    assert_eq!(w.round(0, Some(&rx)).await.unwrap(), 0);
    assert_eq!(statuses(&t.app, &c2).await.get("sending"), Some(&3));
    assert_eq!(w.release().await.unwrap(), 3);
    assert_eq!(statuses(&t.app, &c2).await.get("queued"), Some(&3));
    drop(stop);
}

mod failed_messages_are_retried_with_back_off_then_given_up {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::retries(store::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::retries(store::Backend::Postgres).await;
    }
}

async fn merges_and_consent(backend: Backend) {
    let Some(sink) = SmtpSink::start() else { return };
    let Some(t) = common::spawn_app_opts(backend, |s| quick(s, &sink), false).await else { return };
    donors(&t, 5).await;
    let op = Actor::operator();
    let merge = |dup: &str| app::registry::MergeInput { duplicate: dup.into(), reason: "same person".into(), confirm_different_details: true };
    // D2 is a duplicate of D1 with an open deferral: merged into D1.
    let deferral = app::donors::DeferralInput {
        kind: "temporary".into(),
        reason_code: "LOW_HB".into(),
        reason: "hemoglobin low".into(),
        starts_on: None,
        until: Some((Utc::now().date_naive() + Duration::days(30)).to_string()),
    };
    t.app.defer_donor(&op, "D0000002", &deferral).await.unwrap();
    t.app.merge_donors(&op, "D0000001", &merge("D0000002")).await.unwrap();
    let s = t.login_as("recruiter").await;
    let preview = |filter: Value| {
        let (s, t) = (&s, &t);
        async move {
            let v: Value = post(s, t, "/api/v1/segments/preview", json!({"filter": filter})).await.json().await.unwrap();
            let mut n: Vec<String> = v["sample"].as_array().unwrap().iter().map(|x| x["donor_number"].as_str().unwrap().to_string()).collect();
            n.sort();
            (v["count"].as_i64().unwrap(), n)
        }
    };
    assert_eq!(preview(json!({})).await, (4, vec!["D0000001".into(), "D0000003".into(), "D0000004".into(), "D0000005".into()]), "D2 merged away");
    let (_, eligible) = preview(json!({"eligible_for": "whole_blood"})).await;
    assert!(!eligible.contains(&"D0000001".to_string()), "the survivor carries D2's deferral: {eligible:?}");
    assert!(eligible.contains(&"D0000003".to_string()), "{eligible:?}");

    let c = email_campaign(&s, &t, "Everyone", json!({})).await;
    let cid = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["delivery"]["total"], 4, "the merged-away record is not queued");
    // After queuing: D3 withdraws consent to email, D4 is merged into D5.
    let mut tx = t.app.store.begin_write().await.unwrap();
    let d3 = tx.donor_by_number("D0000003").await.unwrap().unwrap();
    tx.set_donor_contact(d3.id, &store::DonorContact { consent_email: false, consent_sms: true, ..Default::default() }).await.unwrap();
    tx.commit().await.unwrap();
    t.app.merge_donors(&op, "D0000005", &merge("D0000004")).await.unwrap();
    let w = t.app.outbox_worker();
    assert_eq!(drain(&w).await, 4);
    let got = per_recipient(&sink);
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), ["d01@example.org", "d05@example.org"], "checked again just before sending");
    let rows = t.app.store.outbox_of(cid.parse().unwrap()).await.unwrap();
    let d3 = rows.iter().find(|r| r.address == "d03@example.org").unwrap();
    assert_eq!(d3.status, "failed");
    assert!(d3.last_error.as_deref().unwrap().contains("withdrew consent to email"), "{d3:?}");
    let d4 = rows.iter().find(|r| r.address == "d04@example.org").unwrap();
    assert!(d4.last_error.as_deref().unwrap().contains("merged"), "{d4:?}");

    // Unsubscribe from D1's email: a new donor version records the consent change.
    let ann = sink.messages().into_iter().find(|m| m.to == ["d01@example.org"]).unwrap();
    let link = common::smtp::link_containing(&ann.body, "/unsubscribe/").unwrap();
    let before = t.app.donor_versions(&op, "D0000001").await.unwrap();
    assert_eq!(common::client().post(&link).send().await.unwrap().status(), StatusCode::OK);
    let versions = t.app.donor_versions(&op, "D0000001").await.unwrap();
    assert_eq!(versions.len(), before.len() + 1, "{versions:?}");
    let (new, old) = (&versions[0], &versions[1]);
    assert_eq!(new.recorded_by, "donor:unsubscribe-link");
    assert!(new.reason.contains("unsubscribe link") && new.reason.contains(&cid), "{}", new.reason);
    assert!(old.details.consent.email && !new.details.consent.email);
    assert_eq!(new.details.consent.sms, old.details.consent.sms, "only email consent changes");
    assert_eq!(common::client().post(&link).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(t.app.donor_versions(&op, "D0000001").await.unwrap().len(), versions.len(), "twice changes nothing");
}

mod segments_and_campaigns_respect_merges_and_consent {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::merges_and_consent(store::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::merges_and_consent(store::Backend::Postgres).await;
    }
}

#[test]
fn back_off_doubles_and_stops_at_an_hour() {
    let t0 = Utc::now();
    let base = std::time::Duration::from_secs(60);
    let next = |n| app::recruitment::outbox::next_attempt(t0, base, n) - t0;
    assert_eq!([next(1), next(2), next(3)], [Duration::seconds(60), Duration::seconds(120), Duration::seconds(240)]);
    assert_eq!(next(12), Duration::hours(1));
}

/// The pace is shared through the database: slots reserved by two servers follow
/// each other at the configured interval, whatever the clock says.
async fn pace_is_shared(t: TestApp) {
    let other = store::Store::connect(&t.db_url).await.unwrap();
    let now = store::now();
    let step = Duration::milliseconds(100);
    let mut slots = Vec::new();
    for i in 0..6 {
        let s = if i % 2 == 0 { &t.app.store } else { &other };
        let mut tx = s.begin_write().await.unwrap();
        slots.push(tx.reserve_send_slot(now, step).await.unwrap());
        tx.commit().await.unwrap();
    }
    let gaps: Vec<Duration> = slots.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(slots[0], now);
    assert!(gaps.iter().all(|g| *g == step), "{gaps:?}");
    // After a quiet spell the next slot is now, not in the past.
    let later = now + Duration::seconds(10);
    let mut tx = other.begin_write().await.unwrap();
    assert_eq!(tx.reserve_send_slot(later, step).await.unwrap(), later);
    tx.commit().await.unwrap();
}

both_backends!(pace_is_shared);

/// Figures, not assertions: how long queuing a campaign takes in the request, and how
/// fast two workers empty the outbox into the SMTP sink with the pace out of the way.
/// `cargo test -p web --test outbox measure_outbox -- --ignored --nocapture`
async fn measure(backend: Backend) {
    let Some(sink) = SmtpSink::start() else { return };
    let Some(t) = common::spawn_app_opts(
        backend,
        |s| {
            s.smtp_url = Some(sink.url.clone());
            s.outbox.rate_per_second = 1000.0;
        },
        false,
    )
    .await
    else {
        return;
    };
    let n = 500;
    donors(&t, n).await;
    let s = t.login_as("recruiter").await;
    let start = std::time::Instant::now();
    let c = email_campaign(&s, &t, "Everyone", json!({})).await;
    let queued = start.elapsed();
    let cid = c["id"].as_str().unwrap().to_string();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let start = std::time::Instant::now();
    let a = tokio::spawn(t.app.outbox_worker().run(rx.clone()));
    let b = tokio::spawn(t.app.outbox_worker().run(rx));
    while statuses(&t.app, &cid).await.get("sent") != Some(&n) {
        assert!(start.elapsed() < std::time::Duration::from_secs(300), "{:?}", statuses(&t.app, &cid).await);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let sent = start.elapsed();
    stop.send(true).unwrap();
    let _ = (a.await, b.await);
    println!(
        "{backend:?}: {n} emails queued in the request in {:.0} ms; delivered by two workers in {:.2} s ({:.0} per second)",
        queued.as_secs_f64() * 1000.0,
        sent.as_secs_f64(),
        n as f64 / sent.as_secs_f64()
    );
}

mod measure_outbox {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    #[ignore]
    async fn sqlite() {
        super::measure(store::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    #[ignore]
    async fn postgres() {
        super::measure(store::Backend::Postgres).await;
    }
}
