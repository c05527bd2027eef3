//! Delivery of campaign messages by email (SMTP) and SMS (webhook).

use super::{group_label, Pool};
use crate::{Actor, App, Result};
use domain::recruitment::{fill_template, template_fields, MERGE_FIELDS};
use domain::AuditDraft;
use store::{CampaignRow, ContactRow};
use uuid::Uuid;

/// What became of one message at send time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Delivery {
    Sent,
    /// Refused by the receiving system (SMTP 5xx at send time).
    Bounced(String),
    /// Not handed over (server unreachable, temporary failure).
    Failed(String),
}

impl App {
    /// Sends each queued message and records what became of it.
    pub(crate) async fn deliver_campaign(
        &self,
        actor: &Actor,
        campaign: &CampaignRow,
        pool: &Pool,
        outbox: Vec<(ContactRow, usize, Option<String>)>,
    ) -> Result<()> {
        let mut results = Vec::with_capacity(outbox.len());
        let uses_booking_url = [&campaign.subject, &campaign.body]
            .iter()
            .any(|t| template_fields("body", t, &MERGE_FIELDS).is_ok_and(|f| f.iter().any(|x| x == "booking_url")));
        for (contact, i, token) in outbox {
            let r = &pool.rows[i];
            let unsubscribe_url = token.as_deref().map(|t| self.unsubscribe_url(t)).unwrap_or_default();
            let group = group_label(&r.abo, &r.rhd);
            let booking_url = if uses_booking_url {
                match self.create_booking_link(actor, &r.donor_number, &crate::appointments::BookingLinkInput { valid_days: None }).await {
                    Ok(link) => link.url,
                    Err(e) => {
                        results.push((contact.id, Delivery::Failed(format!("no booking link: {e}"))));
                        continue;
                    }
                }
            } else {
                String::new()
            };
            let values = [
                ("first_name", r.first_name.as_str()),
                ("last_name", r.last_name.as_str()),
                ("donor_number", r.donor_number.as_str()),
                ("blood_group", group.as_str()),
                ("unsubscribe_url", unsubscribe_url.as_str()),
                ("booking_url", booking_url.as_str()),
            ];
            let text = fill_template(&campaign.body, &values);
            let outcome = match campaign.channel.as_str() {
                "sms" => self.send_sms(&contact.address, &text, campaign, &r.donor_number).await,
                _ => self.send_campaign_email(&contact, &fill_template(&campaign.subject, &values), &text, &unsubscribe_url, campaign.id).await,
            };
            results.push((contact.id, outcome));
        }
        let mut tx = self.store.begin_write().await?;
        let (mut sent, mut bounced, mut failed) = (0, 0, 0);
        let at = store::now();
        for (id, outcome) in &results {
            let (status, detail) = match outcome {
                Delivery::Sent => {
                    sent += 1;
                    ("sent", None)
                }
                Delivery::Bounced(d) => {
                    bounced += 1;
                    ("bounced", Some(d.as_str()))
                }
                Delivery::Failed(d) => {
                    failed += 1;
                    ("failed", Some(d.as_str()))
                }
            };
            tx.set_contact_status(*id, status, detail, Some(at)).await?;
        }
        tx.append_audit(
            AuditDraft::new(&actor.username, "campaign.send", "campaign", campaign.id)
                .after(serde_json::json!({"sent": sent, "bounced": bounced, "failed": failed})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Posts one SMS to the configured webhook: `{to, text, campaign, donor_number}`.
    async fn send_sms(&self, to: &str, text: &str, campaign: &CampaignRow, donor_number: &str) -> Delivery {
        let Some(url) = &self.settings.sms_webhook_url else {
            return Delivery::Failed("no SMS webhook is configured".into());
        };
        let body = serde_json::json!({"to": to, "text": text, "campaign": campaign.id, "donor_number": donor_number});
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build();
        let res = match client {
            Ok(c) => c.post(url).json(&body).send().await,
            Err(e) => return Delivery::Failed(e.to_string()),
        };
        match res {
            Ok(r) if r.status().is_success() => Delivery::Sent,
            Ok(r) if r.status().is_client_error() => Delivery::Bounced(format!("the SMS gateway refused the message: HTTP {}", r.status())),
            Ok(r) => Delivery::Failed(format!("the SMS gateway answered HTTP {}", r.status())),
            Err(e) => Delivery::Failed(format!("the SMS gateway could not be reached: {e}")),
        }
    }
}

// Campaign email goes through the mail module (every attempt is in `sent_emails`).
impl App {
    pub(crate) fn mail_available(&self) -> bool {
        self.settings.smtp_url.is_some()
    }

    fn unsubscribe_url(&self, token: &str) -> String {
        self.public_link(&format!("/unsubscribe/{token}"))
    }

    async fn send_campaign_email(&self, contact: &ContactRow, subject: &str, text: &str, unsubscribe_url: &str, campaign: Uuid) -> Delivery {
        let email = crate::mail::OutgoingEmail {
            to: contact.address.clone(),
            subject: subject.to_string(),
            text: text.to_string(),
            html: None,
            list_unsubscribe: Some(unsubscribe_url.to_string()),
            kind: "campaign".into(),
            related: Some(format!("campaign {campaign} contact {}", contact.id)),
        };
        match self.send_email(&email).await {
            Ok(sent) if sent.status == crate::mail::EmailStatus::Sent => Delivery::Sent,
            // Refused by the receiving server at send time: a bounce.
            Ok(sent) => Delivery::Bounced(sent.error.unwrap_or_else(|| "refused by the mail server".into())),
            Err(e) => Delivery::Failed(e.to_string()),
        }
    }
}
