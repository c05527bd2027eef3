//! The campaign outbox: sending a campaign queues one message per donor (in the
//! transaction that creates the campaign); a worker in every server delivers them
//! at a shared rate, retries failures with back-off and records what came of each.
//!
//! No message is lost when a server stops: a queued message waits in the database,
//! and a claimed one whose worker went away is taken again once its lease runs out.
//! No donor gets a message twice: a message is claimed by one worker at a time, the
//! claim is checked again just before sending, and the message is marked sent in the
//! transaction right after the mail server or SMS gateway accepted it. The one
//! window left is a server stopping between that acceptance and that commit (a few
//! milliseconds): the message is then sent again after the lease, with the same
//! Message-ID (email) or Idempotency-Key (SMS), so the receiving side can drop it.

use super::delivery::Delivery;
use crate::auth::{new_secret, token_hash};
use crate::{Actor, App, Result};
use chrono::{DateTime, Duration, Utc};
use domain::recruitment::fill_template;
use domain::AuditDraft;
use serde::Serialize;
use store::{BookingLinkRow, CampaignRow, ContactRow, OutboxCounts, OutboxRow, PoolRow, WriteTx};
use uuid::Uuid;

/// How campaign messages go out (flags `--campaign-rate` and friends).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxSettings {
    /// Messages per second, shared by every server on the database.
    pub rate_per_second: f64,
    /// Attempts of a message before it is given up as failed.
    pub max_attempts: i64,
    /// Wait before the first retry; doubles with each attempt, at most an hour.
    pub retry_after: std::time::Duration,
    /// How long a worker's claim holds before another server may take the message.
    pub lease: std::time::Duration,
    /// How often an idle worker looks for due messages.
    pub poll: std::time::Duration,
    /// Messages claimed at once.
    pub batch: i64,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            rate_per_second: 5.0,
            max_attempts: 5,
            retry_after: std::time::Duration::from_secs(60),
            lease: std::time::Duration::from_secs(120),
            poll: std::time::Duration::from_secs(1),
            batch: 20,
        }
    }
}

/// How far a campaign's messages have gone out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryProgress {
    pub total: i64,
    /// Waiting for their turn or for a retry.
    pub queued: i64,
    /// Being handed over right now.
    pub sending: i64,
    pub sent: i64,
    /// Refused by the receiving side; not retried.
    pub bounced: i64,
    /// Given up after every attempt, or cancelled before sending (consent withdrawn,
    /// record merged).
    pub failed: i64,
    /// Kept in the Outbox instead of sent: no mail server or SMS webhook configured.
    pub captured: i64,
    /// Every message has its outcome.
    pub finished: bool,
}

impl From<OutboxCounts> for DeliveryProgress {
    fn from(c: OutboxCounts) -> Self {
        let total = c.queued + c.sending + c.sent + c.bounced + c.failed + c.captured;
        Self {
            total,
            queued: c.queued,
            sending: c.sending,
            sent: c.sent,
            bounced: c.bounced,
            failed: c.failed,
            captured: c.captured,
            finished: c.queued + c.sending == 0,
        }
    }
}

/// Who the worker is in the audit trail.
pub const OUTBOX_ACTOR: &str = "system:campaign-outbox";

impl App {
    /// Renders a campaign's message to one donor and queues it (in the campaign's
    /// transaction). A `{{booking_url}}` gets a fresh personal booking link.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn queue_message(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        campaign: &CampaignRow,
        contact: &ContactRow,
        donor: &PoolRow,
        unsubscribe_token: Option<&str>,
        with_booking_link: bool,
    ) -> Result<()> {
        let now = store::now();
        let unsubscribe_url = unsubscribe_token.map(|t| self.unsubscribe_url(t));
        let booking_url = if with_booking_link {
            let token = new_secret("hfb_");
            let link = BookingLinkRow {
                id: Uuid::now_v7(),
                donor_id: donor.id,
                token_hash: token_hash(&token),
                created_at: now,
                created_by: actor.username.clone(),
                expires_at: now + Duration::days(self.settings.booking_link_days),
            };
            tx.insert_booking_link(&link).await?;
            tx.append_audit(AuditDraft::new(&actor.username, "booking_link.create", "donor", donor.id).donor(&donor.donor_number).after(
                serde_json::json!({
                    "link": link.id, "donor_number": donor.donor_number, "expires_at": link.expires_at, "campaign": campaign.id,
                }),
            ))
            .await?;
            self.public_link(&format!("/book/{token}"))
        } else {
            String::new()
        };
        let group = donor.group.0.map(|g| g.to_string()).unwrap_or_default();
        let values = [
            ("first_name", donor.first_name.as_str()),
            ("last_name", donor.last_name.as_str()),
            ("donor_number", donor.donor_number.as_str()),
            ("blood_group", group.as_str()),
            ("unsubscribe_url", unsubscribe_url.as_deref().unwrap_or_default()),
            ("booking_url", booking_url.as_str()),
        ];
        tx.insert_outbox(&OutboxRow {
            id: Uuid::now_v7(),
            campaign_id: campaign.id,
            contact_id: contact.id,
            donor_id: donor.id,
            channel: campaign.channel,
            address: contact.address.clone(),
            subject: fill_template(&campaign.subject, &values),
            body: fill_template(&campaign.body, &values),
            unsubscribe_url,
            status: "queued".into(),
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            claimed_by: None,
            claimed_until: None,
            queued_at: now,
            sent_at: None,
        })
        .await?;
        Ok(())
    }

    /// A worker delivering this database's campaign messages under its own name.
    pub fn outbox_worker(&self) -> OutboxWorker {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
        let id = format!("{host}/{}/{}", std::process::id(), &Uuid::now_v7().simple().to_string()[20..]);
        OutboxWorker { app: self.clone(), id }
    }
}

/// What one message came to in a worker's hands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Sent,
    /// Kept in the Outbox, not sent (no mail server or SMS webhook).
    Captured,
    Bounced,
    /// Failed and queued again for later.
    Retrying,
    /// Failed on its last attempt, or cancelled before sending.
    Failed,
    /// Another worker holds it now (this worker's lease ran out), or the worker stopped.
    Skipped,
}

/// Delivers due outbox messages. Several may run against one database (in one
/// server or several); each message goes to one of them.
#[derive(Debug, Clone)]
pub struct OutboxWorker {
    app: App,
    id: String,
}

fn lease(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::seconds(120))
}

impl OutboxWorker {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs until `stop` turns true; then hands its unsent claims back to the queue.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "campaign outbox worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            let idle = match self.round(usize::MAX, Some(&stop)).await {
                Ok(n) => n == 0,
                Err(e) => {
                    tracing::warn!(worker = %self.id, error = %e, "campaign outbox round failed");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = tokio::time::sleep(self.app.settings.outbox.poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        match self.release().await {
            Ok(n) => tracing::info!(worker = %self.id, released = n, "campaign outbox worker stopped"),
            Err(e) => tracing::warn!(worker = %self.id, error = %e, "campaign outbox worker stopped without releasing its claims"),
        }
    }

    /// Claims one batch of due messages and delivers up to `max` of them, returning
    /// how many it handled. Claimed messages it does not reach stay claimed until
    /// their lease runs out (what a server stopping mid-batch leaves behind).
    pub async fn round(&self, max: usize, stop: Option<&tokio::sync::watch::Receiver<bool>>) -> Result<usize> {
        let s = &self.app.settings.outbox;
        let now = store::now();
        let mut tx = self.app.store.begin_write().await?;
        let claimed = tx.claim_outbox(&self.id, now, now + lease(s.lease), s.batch.max(1)).await?;
        tx.commit().await?;
        let mut handled = 0;
        for m in claimed.iter().take(max) {
            if stop.is_some_and(|s| *s.borrow()) {
                break;
            }
            self.deliver(m, stop).await?;
            handled += 1;
        }
        Ok(handled)
    }

    /// Puts this worker's claims that were not attempted back in the queue.
    pub async fn release(&self) -> Result<usize> {
        let mut tx = self.app.store.begin_write().await?;
        let mine = tx.claimed_by(&self.id).await?;
        let mut n = 0;
        for id in mine {
            if tx.requeue_outbox(id, &self.id, store::now(), None).await? {
                n += 1;
            }
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Waits for this message's turn in the shared pace.
    async fn pace(&self, stop: Option<&tokio::sync::watch::Receiver<bool>>) -> Result<bool> {
        let rate = self.app.settings.outbox.rate_per_second;
        if !(rate.is_finite() && rate > 0.0) {
            return Ok(true);
        }
        let interval = Duration::microseconds((1_000_000.0 / rate).round() as i64);
        let mut tx = self.app.store.begin_write().await?;
        let slot = tx.reserve_send_slot(store::now(), interval).await?;
        tx.commit().await?;
        let wait = (slot - Utc::now()).to_std().unwrap_or_default();
        if wait.is_zero() {
            return Ok(true);
        }
        match stop {
            Some(stop) => {
                let mut stop = stop.clone();
                tokio::select! {
                    _ = tokio::time::sleep(wait) => Ok(true),
                    _ = stop.wait_for(|s| *s) => Ok(false),
                }
            }
            None => {
                tokio::time::sleep(wait).await;
                Ok(true)
            }
        }
    }

    /// One message: pace, confirm the claim and the donor's consent, hand it over,
    /// record the outcome.
    pub async fn deliver(&self, m: &OutboxRow, stop: Option<&tokio::sync::watch::Receiver<bool>>) -> Result<Handled> {
        // A captured message leaves nothing: it needs no turn in the shared pace.
        let capture = self.app.captures(m.channel);
        if !capture && !self.pace(stop).await? {
            return Ok(Handled::Skipped);
        }
        let s = &self.app.settings.outbox;
        let mut tx = self.app.store.begin_write().await?;
        tx.lock_donor(m.donor_id).await?;
        if !tx.start_attempt(m.id, &self.id, store::now() + lease(s.lease)).await? {
            return Ok(Handled::Skipped);
        }
        let donor = tx.donor_by_id(m.donor_id).await?;
        let contact = tx.donor_contact(m.donor_id).await?;
        let merged = tx.merge_of(m.donor_id).await?;
        let consent = if m.channel == domain::recruitment::CampaignChannel::Email { contact.consent_email } else { contact.consent_sms };
        let cancel = if merged.is_some() {
            Some("not sent: the donor's record was merged into another before sending".to_string())
        } else if !consent {
            Some(format!("not sent: the donor withdrew consent to {} before sending", m.channel))
        } else {
            None
        };
        if let Some(why) = cancel {
            self.finish(&mut tx, m, "failed", Some(&why), None).await?;
            tx.commit().await?;
            return Ok(Handled::Failed);
        }
        tx.commit().await?;
        let donor_number = donor.map(|d| d.donor_number).unwrap_or_default();
        let outcome = match m.channel {
            _ if capture => Delivery::Captured,
            domain::recruitment::CampaignChannel::Sms => self.app.send_sms(m, &donor_number).await,
            _ => self.app.send_campaign_email(m).await,
        };
        if outcome == Delivery::Captured {
            return self.record_captured(m, &donor_number).await;
        }
        // Marked right away; a database hiccup here is retried for a while, because
        // giving up would send the message again once the lease runs out.
        let mut tries = 0;
        loop {
            match self.record(m, &outcome).await {
                Ok(h) => return Ok(h),
                Err(e) if tries < 5 && outcome == Delivery::Sent => {
                    tries += 1;
                    tracing::warn!(worker = %self.id, message = %m.id, error = %e, "marking a sent campaign message failed; trying again");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * (1 << tries))).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Keeps the message in the Outbox and marks it `captured`, in one transaction.
    async fn record_captured(&self, m: &OutboxRow, donor_number: &str) -> Result<Handled> {
        let mut tx = self.app.store.begin_write().await?;
        let why = format!(
            "in the Outbox, not sent (no {})",
            if m.channel == domain::recruitment::CampaignChannel::Sms { "SMS gateway" } else { "mail server" }
        );
        if !self.finish(&mut tx, m, "captured", Some(&why), None).await? {
            return Ok(Handled::Skipped);
        }
        tx.record_captured(&store::CapturedMessageRow {
            id: m.id,
            channel: m.channel,
            to_address: m.address.clone(),
            subject: if m.channel == domain::recruitment::CampaignChannel::Sms { String::new() } else { m.subject.clone() },
            body: m.body.clone(),
            kind: "campaign".into(),
            related: Some(format!("campaign {} contact {}", m.campaign_id, m.contact_id)),
            campaign_id: Some(m.campaign_id),
            donor_number: (!donor_number.is_empty()).then(|| donor_number.to_string()),
            captured_at: store::now(),
        })
        .await?;
        tx.commit().await?;
        Ok(Handled::Captured)
    }

    async fn record(&self, m: &OutboxRow, outcome: &Delivery) -> Result<Handled> {
        let s = &self.app.settings.outbox;
        let mut tx = self.app.store.begin_write().await?;
        let attempts = m.attempts + 1;
        let email_record = |r: std::result::Result<(), &str>| {
            (m.channel == domain::recruitment::CampaignChannel::Email).then(|| crate::mail::sent_email_row(&App::campaign_email(m), &r))
        };
        let handled = match outcome {
            Delivery::Sent => {
                if !self.finish(&mut tx, m, "sent", None, email_record(Ok(()))).await? {
                    tracing::warn!(worker = %self.id, message = %m.id, "campaign message sent after this worker's claim ran out");
                    return Ok(Handled::Skipped);
                }
                Handled::Sent
            }
            Delivery::Bounced(e) => {
                if !self.finish(&mut tx, m, "bounced", Some(e), email_record(Err(e))).await? {
                    return Ok(Handled::Skipped);
                }
                Handled::Bounced
            }
            Delivery::Failed(e) if attempts >= s.max_attempts => {
                let why = format!("gave up after {attempts} attempts: {e}");
                if !self.finish(&mut tx, m, "failed", Some(&why), email_record(Err(e))).await? {
                    return Ok(Handled::Skipped);
                }
                Handled::Failed
            }
            Delivery::Captured => {
                drop(tx);
                return self.record_captured(m, "").await;
            }
            Delivery::Failed(e) => {
                if let Some(r) = email_record(Err(e)) {
                    tx.record_sent_email(&r).await?;
                }
                if !tx.requeue_outbox(m.id, &self.id, next_attempt(store::now(), s.retry_after, attempts), Some(e)).await? {
                    return Ok(Handled::Skipped);
                }
                Handled::Retrying
            }
        };
        tx.commit().await?;
        Ok(handled)
    }

    /// Final state of a message and its contact, with the audit record. `false` when
    /// the claim is no longer this worker's (nothing written then).
    async fn finish(&self, tx: &mut WriteTx, m: &OutboxRow, status: &str, error: Option<&str>, email: Option<store::SentEmailRow>) -> Result<bool> {
        let at = store::now();
        if !tx.finish_outbox(m.id, &self.id, status, error, at).await? {
            return Ok(false);
        }
        if let Some(r) = email {
            tx.record_sent_email(&r).await?;
        }
        let contact_status = if status == "sent" { "sent" } else { status };
        tx.set_contact_status(m.contact_id, contact_status, error, (status != "failed").then_some(at)).await?;
        let mut draft = AuditDraft::new(OUTBOX_ACTOR, format!("campaign.message_{status}"), "campaign_contact", m.contact_id)
            .after(serde_json::json!({"campaign": m.campaign_id, "message": m.id, "channel": m.channel, "attempts": m.attempts + 1, "error": error}));
        if let Some(d) = tx.donor_by_id(m.donor_id).await? {
            draft = draft.donor(d.donor_number);
        }
        tx.append_audit(draft).await?;
        Ok(true)
    }
}

/// When a message is due again after `attempts` failed attempts.
pub fn next_attempt(after: DateTime<Utc>, base: std::time::Duration, attempts: i64) -> DateTime<Utc> {
    after + (lease(base) * 2i32.pow((attempts - 1).clamp(0, 20) as u32)).min(Duration::hours(1))
}
