//! Counters behind the rate limits on sign-in and the public link pages, shared by
//! every server on this database.

use crate::{on_tx, Backend, Result, WriteTx};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RateCounterRow {
    pub key: String,
    pub window_start: DateTime<Utc>,
    pub hits: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

impl WriteTx {
    /// The counter under `key`, created empty (window starting `now`) if there is none,
    /// and locked until the transaction ends on PostgreSQL.
    pub async fn rate_counter(&mut self, key: &str, now: DateTime<Utc>) -> Result<RateCounterRow> {
        on_tx!(self, c => sqlx::query("INSERT INTO rate_limits (key, window_start, hits, locked_until) VALUES ($1, $2, 0, NULL) ON CONFLICT (key) DO NOTHING")
            .bind(key).bind(now).execute(&mut *c).await?.rows_affected());
        let sql = match self.backend() {
            Backend::Postgres => "SELECT key, window_start, hits, locked_until FROM rate_limits WHERE key = $1 FOR UPDATE",
            Backend::Sqlite => "SELECT key, window_start, hits, locked_until FROM rate_limits WHERE key = $1",
        };
        Ok(on_tx!(self, c => sqlx::query_as(sql).bind(key).fetch_one(c).await?))
    }

    pub async fn put_rate_counter(&mut self, r: &RateCounterRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE rate_limits SET window_start = $2, hits = $3, locked_until = $4 WHERE key = $1")
            .bind(&r.key).bind(r.window_start).bind(r.hits).bind(r.locked_until).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn delete_rate_counter(&mut self, key: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM rate_limits WHERE key = $1").bind(key).execute(c).await?.rows_affected());
        Ok(())
    }

    /// Deletes the counters whose keys start with `prefix` (e.g. every address's
    /// sign-in counter for one user name).
    pub async fn delete_rate_counters_with_prefix(&mut self, prefix: &str) -> Result<u64> {
        let pattern = format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        Ok(on_tx!(self, c => sqlx::query("DELETE FROM rate_limits WHERE key LIKE $1 ESCAPE '\\'")
            .bind(pattern).execute(c).await?.rows_affected()))
    }

    /// Forgets counters whose window started before `before` and that lock nothing now.
    pub async fn prune_rate_counters(&mut self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64> {
        Ok(on_tx!(self, c => sqlx::query("DELETE FROM rate_limits WHERE window_start < $1 AND (locked_until IS NULL OR locked_until < $2)")
            .bind(before).bind(now).execute(c).await?.rows_affected()))
    }
}
