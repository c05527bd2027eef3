//! The record of emails sent (or attempted).

use crate::{on_pool, Result, Store};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SentEmailRow {
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub kind: String,
    pub related: Option<String>,
    /// `sent` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub sent_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, to_address, subject, kind, related, status, error, sent_at";

impl Store {
    /// Written outside any business transaction: the attempt happened whatever
    /// becomes of the rest.
    pub async fn record_sent_email(&self, e: &SentEmailRow) -> Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO sent_emails (id, to_address, subject, kind, related, status, error, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(e.id).bind(&e.to_address).bind(&e.subject).bind(&e.kind).bind(&e.related).bind(&e.status).bind(&e.error).bind(e.sent_at)
            .execute(p).await?.rows_affected());
        Ok(())
    }

    /// Attempts about one thing (an appointment, a campaign contact), oldest first.
    pub async fn sent_emails_about(&self, related: &str) -> Result<Vec<SentEmailRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(&format!("SELECT {COLUMNS} FROM sent_emails WHERE related = $1 ORDER BY sent_at, id"))
            .bind(related).fetch_all(p).await?))
    }

    /// The latest attempts of one kind (all kinds when `None`), newest first.
    pub async fn recent_sent_emails(&self, kind: Option<&str>, limit: i64) -> Result<Vec<SentEmailRow>> {
        Ok(on_pool!(self, p => match kind {
            Some(k) => sqlx::query_as(&format!("SELECT {COLUMNS} FROM sent_emails WHERE kind = $1 ORDER BY sent_at DESC, id LIMIT {limit}"))
                .bind(k).fetch_all(p).await?,
            None => sqlx::query_as(&format!("SELECT {COLUMNS} FROM sent_emails ORDER BY sent_at DESC, id LIMIT {limit}")).fetch_all(p).await?,
        }))
    }
}

impl crate::WriteTx {
    /// An attempt recorded together with what it changed (a campaign message marked sent).
    pub async fn record_sent_email(&mut self, e: &SentEmailRow) -> Result<()> {
        crate::on_tx!(self, c => sqlx::query(
            "INSERT INTO sent_emails (id, to_address, subject, kind, related, status, error, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(e.id).bind(&e.to_address).bind(&e.subject).bind(&e.kind).bind(&e.related).bind(&e.status).bind(&e.error).bind(e.sent_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}
