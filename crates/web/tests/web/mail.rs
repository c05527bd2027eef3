//! Outgoing email reaches a real SMTP server (scripts/smtp-sink.py) and every
//! attempt is recorded.

use crate::common;

use app::mail::{EmailStatus, OutgoingEmail};
use common::smtp::SmtpSink;
use std::time::Duration;
use store::Backend;

async fn sends_records_and_reports_bounces(backend: Backend) {
    let Some(sink) = SmtpSink::start() else { return };
    let Some(t) = common::spawn_app_with(backend, |s| s.smtp_url = Some(sink.url.clone())).await else { return };
    let email = OutgoingEmail {
        to: "Ann Donor <ann@example.org>".into(),
        subject: "Your appointment".into(),
        text: "See you tomorrow.\nhttps://example.org/x".into(),
        html: Some("<p>See you tomorrow.</p>".into()),
        list_unsubscribe: Some("https://example.org/unsubscribe/abc".into()),
        kind: "test.mail".into(),
        related: Some("contact-1".into()),
        donor_number: None,
    };
    let sent = t.app.send_email(&email).await.unwrap();
    assert_eq!(sent.status, EmailStatus::Sent);
    assert_eq!(sent.error, None);
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].to, vec!["ann@example.org".to_string()]);
    assert_eq!(got[0].subject, "Your appointment");
    assert!(got[0].body.contains("See you tomorrow.\nhttps://example.org/x"), "{:?}", got[0].body);
    assert_eq!(got[0].html.as_deref().map(str::trim), Some("<p>See you tomorrow.</p>"));
    assert_eq!(got[0].headers["list-unsubscribe"], "<https://example.org/unsubscribe/abc>");
    assert_eq!(got[0].headers["list-unsubscribe-post"], "List-Unsubscribe=One-Click");
    assert!(got[0].headers["from"].contains("no-reply@localhost"));

    // A refused recipient is a recorded failure, not an error of the caller.
    let bounced = t.app.send_email(&OutgoingEmail { to: "gone@bounce.test".into(), ..email.clone() }).await.unwrap();
    assert_eq!(bounced.status, EmailStatus::Failed);
    assert!(bounced.error.as_deref().unwrap().contains("550"), "{bounced:?}");
    let rows = t.app.store.sent_emails_about("contact-1").await.unwrap();
    assert_eq!(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(), ["sent", "failed"]);
    assert_eq!(rows[0].to_address, "Ann Donor <ann@example.org>");
    assert_eq!(sink.messages().len(), 1, "nothing delivered for the bounce");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sends_records_and_reports_bounces() {
    sends_records_and_reports_bounces(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sends_records_and_reports_bounces() {
    sends_records_and_reports_bounces(Backend::Postgres).await;
}
