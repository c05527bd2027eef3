//! Captured mail: messages a server without an SMTP server or SMS webhook kept
//! instead of sending them (append-only).

use crate::{on_pool, on_tx, Result, Store, WriteTx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One message that was not sent but kept for the Outbox page.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CapturedMessageRow {
    pub id: Uuid,
    /// `email` or `sms`.
    #[sqlx(try_from = "String")]
    pub channel: domain::recruitment::CampaignChannel,
    pub to_address: String,
    /// Empty for SMS.
    pub subject: String,
    pub body: String,
    /// What it is: `campaign`, `appointment.confirmation`, …
    pub kind: String,
    /// What it is about: a campaign contact, an appointment.
    pub related: Option<String>,
    pub campaign_id: Option<Uuid>,
    pub donor_number: Option<String>,
    pub captured_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, channel, to_address, subject, body, kind, related, campaign_id, donor_number, captured_at";
const INSERT: &str = "INSERT INTO captured_messages (id, channel, to_address, subject, body, kind, related, campaign_id, donor_number, captured_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

impl Store {
    /// Written outside any business transaction, like `record_sent_email`.
    pub async fn record_captured(&self, m: &CapturedMessageRow) -> Result<()> {
        on_pool!(self, p => sqlx::query(INSERT)
            .bind(m.id).bind(m.channel.as_str()).bind(&m.to_address).bind(&m.subject).bind(&m.body).bind(&m.kind).bind(&m.related)
            .bind(m.campaign_id).bind(&m.donor_number).bind(m.captured_at)
            .execute(p).await?.rows_affected());
        Ok(())
    }

    /// One page of captured messages, newest first, and how many there are.
    pub async fn captured_page(&self, offset: i64, limit: i64) -> Result<(Vec<CapturedMessageRow>, i64)> {
        let sql = format!("SELECT {COLUMNS} FROM captured_messages ORDER BY captured_at DESC, id DESC LIMIT $1 OFFSET $2");
        let rows = on_pool!(self, p => sqlx::query_as(&sql).bind(limit.max(0)).bind(offset.max(0)).fetch_all(p).await?);
        let total: i64 = on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM captured_messages").fetch_one(p).await?);
        Ok((rows, total))
    }

    /// Captured messages about one thing (an appointment, a campaign contact).
    pub async fn captured_about(&self, related: &str) -> Result<Vec<CapturedMessageRow>> {
        let sql = format!("SELECT {COLUMNS} FROM captured_messages WHERE related = $1 ORDER BY captured_at, id");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(related).fetch_all(p).await?))
    }
}

impl WriteTx {
    /// Kept together with the mark on what it belongs to (a campaign message).
    pub async fn record_captured(&mut self, m: &CapturedMessageRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(INSERT)
            .bind(m.id).bind(m.channel.as_str()).bind(&m.to_address).bind(&m.subject).bind(&m.body).bind(&m.kind).bind(&m.related)
            .bind(m.campaign_id).bind(&m.donor_number).bind(m.captured_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}
