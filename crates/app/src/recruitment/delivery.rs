//! Handing one campaign message over: email to the SMTP server, SMS to the webhook.
//! The outbox worker (`outbox.rs`) decides when and records what came of it.

use crate::mail::{OutgoingEmail, Transmission};
use crate::App;
use store::OutboxRow;

/// What became of one message at send time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Delivery {
    Sent,
    /// Refused by the receiving system (SMTP 5xx, SMS gateway 4xx): not retried.
    Bounced(String),
    /// Not handed over (server unreachable, temporary failure): retried later.
    Failed(String),
    /// Kept in the Outbox instead: this server has no mail server (email) or SMS
    /// webhook (SMS) configured. Final; nothing left the building.
    Captured,
}

impl App {
    /// False when emails are captured (kept in the Outbox, not sent): no SMTP server.
    pub fn mail_available(&self) -> bool {
        self.settings.smtp_url.is_some()
    }

    /// False when SMS messages are captured: no SMS webhook.
    pub fn sms_available(&self) -> bool {
        self.settings.sms_webhook_url.is_some()
    }

    /// Whether a message on `channel` would be captured instead of sent.
    pub fn captures(&self, channel: domain::recruitment::CampaignChannel) -> bool {
        match channel {
            domain::recruitment::CampaignChannel::Sms => !self.sms_available(),
            _ => !self.mail_available(),
        }
    }

    pub(crate) fn unsubscribe_url(&self, token: &str) -> String {
        self.public_link(&format!("/unsubscribe/{token}"))
    }

    /// The email of an outbox message, as `sent_emails` records it.
    pub(crate) fn campaign_email(m: &OutboxRow) -> OutgoingEmail {
        OutgoingEmail {
            to: m.address.clone(),
            subject: m.subject.clone(),
            text: m.body.clone(),
            html: None,
            list_unsubscribe: m.unsubscribe_url.clone(),
            kind: "campaign".into(),
            related: Some(format!("campaign {} contact {}", m.campaign_id, m.contact_id)),
            donor_number: None,
        }
    }

    /// Sends a campaign email with the message id as its Message-ID.
    pub(crate) async fn send_campaign_email(&self, m: &OutboxRow) -> Delivery {
        match self.transmit(&Self::campaign_email(m), &m.id.to_string()).await {
            Transmission::Accepted => Delivery::Sent,
            Transmission::Refused(e) => Delivery::Bounced(e),
            Transmission::Unavailable(e) => Delivery::Failed(e),
        }
    }

    /// Posts one SMS to the configured webhook: `{to, text, campaign, donor_number}`,
    /// with the message id as `Idempotency-Key` so a gateway can drop a repeat.
    pub(crate) async fn send_sms(&self, m: &OutboxRow, donor_number: &str) -> Delivery {
        let Some(url) = &self.settings.sms_webhook_url else {
            return Delivery::Failed("no SMS webhook is configured".into());
        };
        let body = serde_json::json!({"to": m.address, "text": m.body, "campaign": m.campaign_id, "donor_number": donor_number});
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build();
        let res = match client {
            Ok(c) => c.post(url).header("Idempotency-Key", m.id.to_string()).json(&body).send().await,
            Err(e) => return Delivery::Failed(e.to_string()),
        };
        match res {
            Ok(r) if r.status().is_success() => Delivery::Sent,
            Ok(r) if r.status().is_client_error() && !matches!(r.status().as_u16(), 408 | 429) => {
                Delivery::Bounced(format!("the SMS gateway refused the message: HTTP {}", r.status()))
            }
            Ok(r) => Delivery::Failed(format!("the SMS gateway answered HTTP {}", r.status())),
            Err(e) => Delivery::Failed(format!("the SMS gateway could not be reached: {e}")),
        }
    }
}
