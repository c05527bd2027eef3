//! Outgoing email through the centre's SMTP server. Every attempt, delivered or not,
//! is recorded in `sent_emails`, so "was the donor told?" has an answer.

use crate::{App, AppError, Result};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use std::time::Duration;
use uuid::Uuid;

/// One email to one person.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    /// The plain-text body (always sent).
    pub text: String,
    /// An HTML alternative, when there is one.
    pub html: Option<String>,
    /// An unsubscribe URL for the `List-Unsubscribe` header (RFC 2369); with it the
    /// one-click header of RFC 8058 is sent too, so the URL must accept a POST.
    pub list_unsubscribe: Option<String>,
    /// What the email is, e.g. `appointment.confirmation`.
    pub kind: String,
    /// What it is about, e.g. an appointment id or a campaign contact id.
    pub related: Option<String>,
    /// The donor it goes to, when it goes to a donor (shown with captured mail).
    pub donor_number: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    Sent,
    /// Not accepted: the recipient was refused (a bounce) or the address is unusable.
    Failed,
    /// Not sent: this server has no mail server configured, so the message was kept
    /// in the Outbox (captured mail).
    Captured,
}

impl EmailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Sent => "sent",
            EmailStatus::Failed => "failed",
            EmailStatus::Captured => "captured",
        }
    }
}

/// The recorded outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentEmail {
    pub id: Uuid,
    pub status: EmailStatus,
    pub error: Option<String>,
}

const TIMEOUT: Duration = Duration::from_secs(15);

/// What one attempt of [`App::transmit`] came to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Transmission {
    /// The mail server took the message.
    Accepted,
    /// Refused for this message (a 5xx answer, an unusable address): a bounce.
    Refused(String),
    /// The mail service is not there or answered "try later".
    Unavailable(String),
}

/// The `sent_emails` record of an attempt.
pub(crate) fn sent_email_row(email: &OutgoingEmail, outcome: &std::result::Result<(), impl AsRef<str>>) -> store::SentEmailRow {
    let (status, error) = match outcome {
        Ok(()) => (EmailStatus::Sent, None),
        Err(e) => (EmailStatus::Failed, Some(e.as_ref().to_string())),
    };
    store::SentEmailRow {
        id: Uuid::now_v7(),
        to_address: email.to.clone(),
        subject: email.subject.clone(),
        kind: email.kind.clone(),
        related: email.related.clone(),
        status: status.as_str().into(),
        error,
        sent_at: store::now(),
    }
}

/// Why an attempt did not deliver: refused for this message (recorded as failed and
/// returned), or the mail service itself is not there (an error for the caller).
enum Failure {
    Refused(String),
    Unavailable(String),
}

impl AsRef<str> for Failure {
    fn as_ref(&self) -> &str {
        match self {
            Failure::Refused(e) | Failure::Unavailable(e) => e,
        }
    }
}

impl App {
    /// A link into this server for people outside it (emails, public pages).
    pub fn public_link(&self, path: &str) -> String {
        format!("{}{}", self.settings.public_url.trim_end_matches('/'), path)
    }

    /// Sends one email through the configured SMTP server and records the attempt.
    ///
    /// A recipient the server refuses (a 5xx answer) or an unusable address is a
    /// delivery failure like a bounce: recorded and returned as `Failed`. A server
    /// that cannot be reached or answers "try later" is an [`AppError::Unavailable`]
    /// (also recorded). With no mail server configured the email is captured: kept
    /// for the Outbox page, not sent, and returned as `Captured`.
    pub async fn send_email(&self, email: &OutgoingEmail) -> Result<SentEmail> {
        if !self.mail_available() {
            let id = Uuid::now_v7();
            self.store
                .record_captured(&store::CapturedMessageRow {
                    id,
                    channel: domain::recruitment::CampaignChannel::Email,
                    to_address: email.to.clone(),
                    subject: email.subject.clone(),
                    body: email.text.clone(),
                    kind: email.kind.clone(),
                    related: email.related.clone(),
                    campaign_id: None,
                    donor_number: email.donor_number.clone(),
                    captured_at: store::now(),
                })
                .await?;
            return Ok(SentEmail { id, status: EmailStatus::Captured, error: None });
        }
        let outcome = self.deliver(email, None).await;
        let row = sent_email_row(email, &outcome);
        self.store.record_sent_email(&row).await?;
        match outcome {
            Err(Failure::Unavailable(e)) => Err(AppError::Unavailable(e)),
            _ => Ok(SentEmail { id: row.id, status: if row.status == "sent" { EmailStatus::Sent } else { EmailStatus::Failed }, error: row.error }),
        }
    }

    /// One attempt with a fixed Message-ID (`<message_id@hemaflow>`), not recorded:
    /// the caller records it (`sent_email_row`) in the transaction that marks the
    /// message, so nothing else stands between acceptance and that mark.
    pub(crate) async fn transmit(&self, email: &OutgoingEmail, message_id: &str) -> Transmission {
        match self.deliver(email, Some(message_id)).await {
            Ok(()) => Transmission::Accepted,
            Err(Failure::Refused(e)) => Transmission::Refused(e),
            Err(Failure::Unavailable(e)) => Transmission::Unavailable(e),
        }
    }

    async fn deliver(&self, email: &OutgoingEmail, message_id: Option<&str>) -> std::result::Result<(), Failure> {
        let Some(url) = &self.settings.smtp_url else {
            return Err(Failure::Unavailable("email is not configured: start hemaflow with --smtp-url (HEMAFLOW_SMTP_URL)".into()));
        };
        let message = self.message(email, message_id).map_err(Failure::Refused)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| Failure::Unavailable(format!("the SMTP URL is not usable: {e}")))?
            .timeout(Some(TIMEOUT))
            .build();
        match transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(Failure::Refused(format!("the mail server refused the message for {}: {e}", email.to))),
            Err(e) => {
                tracing::warn!(to = %email.to, kind = %email.kind, error = %e, "email not sent");
                Err(Failure::Unavailable(format!("the mail server could not take the message: {e}")))
            }
        }
    }

    fn message(&self, email: &OutgoingEmail, message_id: Option<&str>) -> std::result::Result<Message, String> {
        let from: Mailbox =
            self.settings.mail_from.parse().map_err(|e| format!("the sender address '{}' is not usable: {e}", self.settings.mail_from))?;
        let to: Mailbox = email.to.trim().parse().map_err(|e| format!("the address '{}' is not usable: {e}", email.to))?;
        let mut builder = Message::builder().from(from).to(to).subject(email.subject.clone());
        if let Some(id) = message_id {
            builder = builder.message_id(Some(format!("<{id}@hemaflow>")));
        }
        if let Some(url) = &email.list_unsubscribe {
            let value = if url.starts_with('<') { url.clone() } else { format!("<{url}>") };
            builder = builder
                .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), value))
                .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click".into()));
        }
        let built = match &email.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(email.text.clone(), html.clone())),
            None => builder.header(ContentType::TEXT_PLAIN).body(email.text.clone()),
        };
        built.map_err(|e| format!("the email could not be built: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

    async fn app(smtp_url: Option<&str>) -> Option<(App, store::test_support::TestDb)> {
        let db = store::test_support::fresh(store::Backend::Sqlite).await?;
        let app = App::new(db.store.clone(), Settings { smtp_url: smtp_url.map(String::from), ..Default::default() });
        Some((app, db))
    }

    fn email() -> OutgoingEmail {
        OutgoingEmail {
            to: "donor@example.org".into(),
            subject: "Hello".into(),
            text: "Body".into(),
            kind: "test.kind".into(),
            related: Some("rel-1".into()),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn without_a_server_the_email_is_captured_not_sent() {
        let (app, _db) = app(None).await.unwrap();
        let sent = app.send_email(&email()).await.unwrap();
        assert_eq!(sent.status, EmailStatus::Captured);
        assert!(app.store.sent_emails_about("rel-1").await.unwrap().is_empty(), "a captured email is no attempt to send");
        let kept = app.store.captured_about("rel-1").await.unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].to_address.as_str(), kept[0].subject.as_str(), kept[0].body.as_str()), ("donor@example.org", "Hello", "Body"));
        assert_eq!(kept[0].kind, "test.kind");
    }

    #[tokio::test]
    async fn an_unreachable_server_is_unavailable_and_a_bad_address_is_a_failed_send() {
        // Port 9 on localhost: nothing listens there in the test environment.
        let (app, _db) = app(Some("smtp://127.0.0.1:9")).await.unwrap();
        assert!(matches!(app.send_email(&email()).await, Err(AppError::Unavailable(_))));
        let bad = OutgoingEmail { to: "not an address".into(), ..email() };
        let sent = app.send_email(&bad).await.unwrap();
        assert_eq!(sent.status, EmailStatus::Failed);
        assert!(sent.error.unwrap().contains("not usable"));
        assert_eq!(app.store.sent_emails_about("rel-1").await.unwrap().len(), 2);
    }
}
