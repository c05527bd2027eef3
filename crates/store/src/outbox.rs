//! The campaign outbox: messages queued with their campaign, claimed by a worker
//! under a lease, and marked with what became of them.
//!
//! Claims are exclusive on both back ends: PostgreSQL skips rows another claim holds
//! (`FOR UPDATE SKIP LOCKED`), SQLite's write transaction serialises claimers. Every
//! later step checks that the claim is still this worker's (`claimed_by`), so a
//! worker whose lease ran out cannot mark a message another worker took over.

use crate::{on_pool, on_tx, Backend, Result, Store, WriteTx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One message of a campaign to one donor.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutboxRow {
    /// The message id, also its idempotency key (Message-ID of the email).
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub contact_id: Uuid,
    pub donor_id: Uuid,
    /// `email` or `sms`.
    #[sqlx(try_from = "String")]
    pub channel: domain::recruitment::CampaignChannel,
    pub address: String,
    pub subject: String,
    pub body: String,
    pub unsubscribe_url: Option<String>,
    /// `queued`, `sending`, `sent`, `bounced`, `failed` or `captured` (kept, not sent).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<DateTime<Utc>>,
    pub queued_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, campaign_id, contact_id, donor_id, channel, address, subject, body, unsubscribe_url, status, attempts, \
     next_attempt_at, last_error, claimed_by, claimed_until, queued_at, sent_at";

/// Messages of one campaign per state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub bounced: i64,
    pub failed: i64,
    /// Kept in the Outbox instead of sent (no mail server or SMS webhook).
    pub captured: i64,
}

impl Store {
    /// (campaign, status, messages) for one campaign or all.
    pub async fn outbox_counts(&self, campaign: Option<Uuid>) -> Result<Vec<(Uuid, OutboxCounts)>> {
        let rows: Vec<(Uuid, String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT campaign_id, status, COUNT(*) FROM campaign_outbox WHERE ($1 OR campaign_id = $2) GROUP BY campaign_id, status")
            .bind(campaign.is_none()).bind(campaign.unwrap_or_default()).fetch_all(p).await?);
        let mut out: Vec<(Uuid, OutboxCounts)> = Vec::new();
        for (id, status, n) in rows {
            let i = match out.iter().position(|(c, _)| *c == id) {
                Some(i) => i,
                None => {
                    out.push((id, OutboxCounts::default()));
                    out.len() - 1
                }
            };
            let c = &mut out[i].1;
            match status.as_str() {
                "queued" => c.queued += n,
                "sending" => c.sending += n,
                "sent" => c.sent += n,
                "bounced" => c.bounced += n,
                "captured" => c.captured += n,
                _ => c.failed += n,
            }
        }
        Ok(out)
    }

    /// Every message of a campaign, in queue order.
    pub async fn outbox_of(&self, campaign: Uuid) -> Result<Vec<OutboxRow>> {
        let sql = format!("SELECT {COLUMNS} FROM campaign_outbox WHERE campaign_id = $1 ORDER BY id");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(campaign).fetch_all(p).await?))
    }
}

impl WriteTx {
    pub async fn insert_outbox(&mut self, m: &OutboxRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO campaign_outbox (id, campaign_id, contact_id, donor_id, channel, address, subject, body, unsubscribe_url, status, \
             attempts, next_attempt_at, last_error, claimed_by, claimed_until, queued_at, sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)")
            .bind(m.id).bind(m.campaign_id).bind(m.contact_id).bind(m.donor_id).bind(m.channel.as_str()).bind(&m.address).bind(&m.subject)
            .bind(&m.body).bind(&m.unsubscribe_url).bind(&m.status).bind(m.attempts).bind(m.next_attempt_at).bind(&m.last_error)
            .bind(&m.claimed_by).bind(m.claimed_until).bind(m.queued_at).bind(m.sent_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Claims up to `limit` messages that are due (queued and due by `now`, or claimed
    /// by a worker whose lease ran out before `now`) for `worker` until `until`.
    pub async fn claim_outbox(&mut self, worker: &str, now: DateTime<Utc>, until: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>> {
        let lock = if self.backend() == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE campaign_outbox SET status = 'sending', claimed_by = $1, claimed_until = $2 WHERE id IN (\
             SELECT id FROM campaign_outbox WHERE (status = 'queued' AND next_attempt_at <= $3) OR (status = 'sending' AND claimed_until < $3) \
             ORDER BY next_attempt_at, id LIMIT $4{lock}) RETURNING {COLUMNS}"
        );
        let mut rows: Vec<OutboxRow> = on_tx!(self, c => sqlx::query_as(&sql).bind(worker).bind(until).bind(now).bind(limit).fetch_all(c).await?);
        rows.sort_by(|a, b| a.next_attempt_at.cmp(&b.next_attempt_at).then(a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// Counts an attempt and extends the lease, if the claim is still `worker`'s.
    /// `false`: the lease ran out and another worker took the message over.
    pub async fn start_attempt(&mut self, id: Uuid, worker: &str, until: DateTime<Utc>) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE campaign_outbox SET attempts = attempts + 1, claimed_until = $3 WHERE id = $1 AND claimed_by = $2 AND status = 'sending'")
            .bind(id).bind(worker).bind(until).execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Marks a claimed message `sent`, `bounced`, `failed` or `captured` (final). `false` when the
    /// claim is no longer `worker`'s.
    pub async fn finish_outbox(&mut self, id: Uuid, worker: &str, status: &str, error: Option<&str>, at: DateTime<Utc>) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE campaign_outbox SET status = $3, last_error = $4, sent_at = CASE WHEN $3 = 'sent' THEN $5 ELSE sent_at END, \
             claimed_by = NULL, claimed_until = NULL WHERE id = $1 AND claimed_by = $2 AND status = 'sending'")
            .bind(id).bind(worker).bind(status).bind(error).bind(at).execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Puts a claimed message back in the queue, due at `next_at` (a retry after a
    /// failure, or a claim released at shutdown).
    pub async fn requeue_outbox(&mut self, id: Uuid, worker: &str, next_at: DateTime<Utc>, error: Option<&str>) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE campaign_outbox SET status = 'queued', next_attempt_at = $3, last_error = COALESCE($4, last_error), \
             claimed_by = NULL, claimed_until = NULL WHERE id = $1 AND claimed_by = $2 AND status = 'sending'")
            .bind(id).bind(worker).bind(next_at).bind(error).execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Messages `worker` holds claimed.
    pub async fn claimed_by(&mut self, worker: &str) -> Result<Vec<Uuid>> {
        Ok(on_tx!(self, c => sqlx::query_scalar("SELECT id FROM campaign_outbox WHERE claimed_by = $1 AND status = 'sending'")
            .bind(worker).fetch_all(c).await?))
    }

    /// Reserves the next send slot of the shared pace: the later of `now` and the
    /// previous reservation, which moves on by `interval`. Every server draws from the
    /// same row, so the rate holds across servers.
    pub async fn reserve_send_slot(&mut self, now: DateTime<Utc>, interval: chrono::Duration) -> Result<DateTime<Utc>> {
        let lock = if self.backend() == Backend::Postgres { " FOR UPDATE" } else { "" };
        let sql = format!("SELECT next_at FROM outbox_pacer WHERE id = 1{lock}");
        let next: DateTime<Utc> = on_tx!(self, c => sqlx::query_scalar(&sql).fetch_one(c).await?);
        let slot = next.max(now);
        on_tx!(self, c => sqlx::query("UPDATE outbox_pacer SET next_at = $1 WHERE id = 1")
            .bind(domain::audit::truncate_to_micros(slot + interval)).execute(c).await?.rows_affected());
        Ok(slot)
    }
}
