//! Captured mail: without a mail server (or SMS webhook) campaign messages are kept
//! in the Outbox, marked not sent; with one they go out and nothing is captured.

use crate::common;

use app::Actor;
use chrono::Utc;
use common::smtp::SmtpSink;
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};
use store::Backend;

/// `n` donors D0000001… with email and SMS consent.
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
    t.app.score_pool(&op, today).await.unwrap();
}

async fn post(s: &common::Session, t: &TestApp, path: &str, body: Value) -> reqwest::Response {
    s.client.post(t.url(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap()
}

async fn campaign(s: &common::Session, t: &TestApp, channel: &str) -> String {
    let r = post(s, t, "/api/v1/segments", json!({"name": "Everyone", "filter": {}})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let seg = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let r = post(
        s,
        t,
        "/api/v1/campaigns",
        json!({"name": format!("Spring {channel}"), "segment_id": seg, "channel": channel, "limit": 100, "subject": "Hello {{first_name}}",
               "body": "Dear {{first_name}} ({{donor_number}}), please give.\n"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED, "a {channel} campaign is accepted without a server for it");
    r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

async fn drain(t: &TestApp) {
    let w = t.app.outbox_worker();
    while w.round(usize::MAX, None).await.unwrap() > 0 {}
}

async fn statuses(t: &TestApp, id: &str) -> Vec<String> {
    t.app.store.outbox_of(id.parse().unwrap()).await.unwrap().into_iter().map(|m| m.status).collect()
}

async fn captured_in_the_outbox(backend: Backend, channel: &str) {
    let Some(t) = common::spawn_app_opts(backend, |_| {}, false).await else { return };
    donors(&t, 3).await;
    let s = t.login_as("recruiter").await;
    let id = campaign(&s, &t, channel).await;
    drain(&t).await;
    assert_eq!(statuses(&t, &id).await, vec!["captured"; 3]);
    let c: Value = s.client.get(t.url(&format!("/api/v1/campaigns/{id}"))).send().await.unwrap().json().await.unwrap();
    let (st, dp) = (&c["campaign"]["stats"], &c["campaign"]["delivery"]);
    assert_eq!((st["captured"].as_i64(), st["delivered"].as_i64(), st["contacted"].as_i64()), (Some(3), Some(0), Some(0)), "{c}");
    assert_eq!((dp["captured"].as_i64(), dp["sent"].as_i64(), dp["finished"].as_bool()), (Some(3), Some(0), Some(true)), "{c}");
    let html = s.client.get(t.url(&format!("/recruitment/campaigns/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<span id=\"delivery-captured\">3</span> captured, not sent"), "{html}");
    assert!(html.contains("<span id=\"delivery-sent\">0</span> sent"));
    assert!(
        c["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["status"] == "captured" && x["detail"].as_str().unwrap().contains("in the Outbox, not sent")),
        "{c}"
    );

    let (page, total) = t.app.store.captured_page(0, 10).await.unwrap();
    assert_eq!(total, 3);
    assert!(page.iter().all(|m| m.channel.as_str() == channel && m.kind == "campaign" && m.campaign_id == Some(id.parse().unwrap())));
    assert!(page.iter().any(|m| m.body.starts_with("Dear Donor1 (D0000001)") && m.donor_number.as_deref() == Some("D0000001")));
    let html = s.client.get(t.url("/outbox")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Not sent — captured because no mail server is configured."));
    assert!(html.contains("3 captured message(s)") && html.contains("Dear Donor2 (D0000002)"), "{html}");
    // The times are the facility's, with the zone (UTC in tests).
    assert!(html.contains(" UTC"), "{html}");
    if channel == "email" {
        assert!(html.contains("Hello Donor3") && html.contains("d03@example.org"));
        assert!(t.app.store.recent_sent_emails(None, 10).await.unwrap().is_empty(), "nothing is recorded as sent");
    }

    // Collectors, lab and quality do not see the Outbox (the messages hold personal links).
    for role in ["collector", "lab", "quality", "hospital"] {
        let c = t.login_as(role).await;
        assert_eq!(c.client.get(t.url("/outbox")).send().await.unwrap().status(), StatusCode::FORBIDDEN, "{role}");
    }
    let admin = t.login_as("admin").await;
    assert_eq!(admin.client.get(t.url("/outbox")).send().await.unwrap().status(), StatusCode::OK);
}

async fn with_a_mail_server_nothing_is_captured(backend: Backend) {
    let Some(sink) = SmtpSink::start() else { return };
    let url = sink.url.clone();
    let Some(t) = common::spawn_app_opts(
        backend,
        move |s| {
            s.smtp_url = Some(url);
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
    let id = campaign(&s, &t, "email").await;
    drain(&t).await;
    assert_eq!(statuses(&t, &id).await, vec!["sent"; 3]);
    assert_eq!(sink.messages().len(), 3);
    assert_eq!(t.app.store.captured_page(0, 10).await.unwrap().1, 0);
    let html = s.client.get(t.url("/outbox")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("0 captured message(s)"), "{html}");
}

macro_rules! per_backend {
    ($name:ident, $body:expr) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(store::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)(store::Backend::Postgres).await;
            }
        }
    };
}

per_backend!(email_campaign_without_a_mail_server_is_captured_in_the_outbox, |b| super::captured_in_the_outbox(b, "email"));
per_backend!(sms_campaign_without_a_webhook_is_captured_in_the_outbox, |b| super::captured_in_the_outbox(b, "sms"));
per_backend!(with_a_mail_server_nothing_is_captured, super::with_a_mail_server_nothing_is_captured);
