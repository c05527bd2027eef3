//! The hash-chained audit trail. Appending reads and advances the chain head inside
//! the caller's transaction; on PostgreSQL the head row is locked so that concurrent
//! writers queue instead of forking the chain.

use crate::{on_pool, on_tx, Backend, Result, Store, WriteTx};
use chrono::{DateTime, Utc};
use domain::audit::ChainVerifier;
use domain::{AuditDraft, AuditRecord, ChainBreak};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    id: Uuid,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: String,
    before_json: Option<String>,
    after_json: Option<String>,
    reason: Option<String>,
    donor_number: Option<String>,
    prev_hash: String,
    hash: String,
}

impl From<AuditRow> for AuditRecord {
    fn from(r: AuditRow) -> Self {
        AuditRecord {
            seq: r.seq,
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            before: r.before_json,
            after: r.after_json,
            reason: r.reason,
            donor_number: r.donor_number,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

const AUDIT_COLUMNS: &str = "seq, id, at, actor, action, entity_type, entity_id, before_json, after_json, reason, prev_hash, hash, donor_number";

/// What to look for in the audit trail; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Records concerning this donor (by donor number), whatever their entity.
    pub donor_number: Option<String>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub to: Option<DateTime<Utc>>,
    /// Only records up to this sequence number (pins a consistent snapshot for paging).
    pub max_seq: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    pub total: i64,
}

/// A value bound to a placeholder of the filter's WHERE clause.
enum Arg {
    Text(String),
    Time(DateTime<Utc>),
    Int(i64),
}

impl AuditFilter {
    /// The WHERE clause and its values, numbered together so they cannot drift apart.
    fn where_clause(&self) -> (String, Vec<Arg>) {
        let text = |v: &Option<String>| v.clone().map(Arg::Text);
        let conds = [
            ("entity_type = ", text(&self.entity_type)),
            ("entity_id = ", text(&self.entity_id)),
            // User names are matched whatever their case ("Quality" finds "quality").
            ("LOWER(actor) = LOWER(", text(&self.actor)),
            ("action = ", text(&self.action)),
            ("donor_number = ", text(&self.donor_number)),
            ("at >= ", self.from.map(Arg::Time)),
            ("at < ", self.to.map(Arg::Time)),
            ("seq <= ", self.max_seq.map(Arg::Int)),
        ];
        let mut sql = Vec::new();
        let mut args = Vec::new();
        for (cond, arg) in conds {
            if let Some(arg) = arg {
                args.push(arg);
                let close = if cond.ends_with('(') { ")" } else { "" };
                sql.push(format!("{cond}${}{close}", args.len()));
            }
        }
        let clause = if sql.is_empty() { String::new() } else { format!(" WHERE {}", sql.join(" AND ")) };
        (clause, args)
    }
}

/// Binds the filter's values in the order `where_clause` numbered them.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Time(v) => q.bind(*v),
                Arg::Int(v) => q.bind(*v),
            };
        }
        q
    }};
}

impl Store {
    /// Newest first.
    pub async fn audit_page(&self, filter: &AuditFilter, limit: i64, offset: i64) -> Result<AuditPage> {
        let (wc, args) = filter.where_clause();
        let count_sql = format!("SELECT COUNT(*) FROM audit_records{wc}");
        let page_sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_records{wc} ORDER BY seq DESC LIMIT {limit} OFFSET {offset}");
        let (total, rows): (i64, Vec<AuditRow>) = on_pool!(self, p => {
            let total = bind_args!(sqlx::query_scalar(&count_sql), &args).fetch_one(p).await?;
            let rows = bind_args!(sqlx::query_as(&page_sql), &args).fetch_all(p).await?;
            (total, rows)
        });
        Ok(AuditPage { records: rows.into_iter().map(Into::into).collect(), total })
    }

    /// The actions the trail holds, in alphabetical order (for choosing one to filter by).
    /// Skips from one action to the next along the `audit_action` index, so the cost
    /// grows with the number of actions, not of records.
    pub async fn audit_actions(&self) -> Result<Vec<String>> {
        const SQL: &str = "WITH RECURSIVE a(action) AS (
                SELECT MIN(action) FROM audit_records
                UNION ALL
                SELECT (SELECT MIN(r.action) FROM audit_records r WHERE r.action > a.action) FROM a WHERE a.action IS NOT NULL
            )
            SELECT action FROM a WHERE action IS NOT NULL ORDER BY action";
        Ok(on_pool!(self, p => sqlx::query_scalar(SQL).fetch_all(p).await?))
    }

    pub async fn audit_head(&self) -> Result<(i64, String)> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(p).await?))
    }

    /// The record with this sequence number, if the chain has one.
    pub async fn audit_record(&self, seq: i64) -> Result<Option<AuditRecord>> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_records WHERE seq = $1");
        let row: Option<AuditRow> = on_pool!(self, p => sqlx::query_as(&sql).bind(seq).fetch_optional(p).await?);
        Ok(row.map(Into::into))
    }

    /// Records with `from <= seq`, in sequence order, at most `limit`.
    pub async fn audit_records_from(&self, from: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_records WHERE seq >= $1 ORDER BY seq LIMIT {limit}");
        let rows: Vec<AuditRow> = on_pool!(self, p => sqlx::query_as(&sql).bind(from).fetch_all(p).await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Walks the whole chain in sequence order, in batches, and returns the number
    /// of records checked, or the first break.
    pub async fn verify_audit_chain(&self) -> Result<Result<i64, ChainBreak>> {
        const BATCH: i64 = 5_000;
        let (head_seq, head_hash) = self.audit_head().await?;
        let mut verifier = ChainVerifier::default();
        let mut after = 0i64;
        loop {
            let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT {BATCH}");
            let rows: Vec<AuditRow> = on_pool!(self, p => sqlx::query_as(&sql).bind(after).fetch_all(p).await?);
            let Some(last) = rows.last() else { break };
            after = last.seq;
            for row in rows {
                if let Err(e) = verifier.check(&row.into()) {
                    return Ok(Err(e));
                }
            }
        }
        Ok(verifier.finish(head_seq, &head_hash))
    }
}

impl WriteTx {
    /// Seals the draft onto the end of the chain, in this transaction.
    pub async fn append_audit(&mut self, draft: AuditDraft) -> Result<AuditRecord> {
        let head_sql = match self.backend() {
            Backend::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
            // BEGIN IMMEDIATE already holds the database write lock.
            Backend::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
        };
        let (seq, hash): (i64, String) = on_tx!(self, c => sqlx::query_as(head_sql).fetch_one(c).await?);
        let record = draft.seal(seq + 1, Utc::now(), &hash);
        let insert = format!("INSERT INTO audit_records ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
        on_tx!(self, c => {
            sqlx::query(&insert)
                .bind(record.seq).bind(record.id).bind(record.at).bind(&record.actor).bind(&record.action)
                .bind(&record.entity_type).bind(&record.entity_id).bind(&record.before).bind(&record.after)
                .bind(&record.reason).bind(&record.prev_hash).bind(&record.hash).bind(&record.donor_number)
                .execute(&mut *c).await?;
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(record.seq).bind(&record.hash).execute(&mut *c).await?;
        });
        Ok(record)
    }
}
