//! DIN counters, assignments and pre-printed label sets.

use crate::{on_pool, on_tx, Result, Store, WriteTx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DinLabelSet {
    pub id: Uuid,
    pub fin: String,
    pub year: i64,
    pub first_seq: i64,
    pub last_seq: i64,
    pub registered_at: DateTime<Utc>,
    pub registered_by: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DinAssignment {
    /// The 13-character DIN (FIN, year, sequence), without flags or check character.
    pub din: String,
    pub fin: String,
    pub year: i64,
    pub seq: i64,
    /// `sequence`, `preprinted` or `imported`.
    pub source: String,
    pub label_set_id: Option<Uuid>,
    pub assigned_at: DateTime<Utc>,
    pub assigned_by: String,
}

/// One unit label printed, checked against the record.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LabelPrintRow {
    pub id: Uuid,
    pub din: String,
    pub product_code: String,
    pub blood_group: String,
    /// Local `YYYY-MM-DDTHH:MM`, as printed.
    pub expires_at: String,
    pub collected_on: Option<String>,
    /// preview, svg, pdf or zpl.
    pub format: String,
    pub donor_id: Uuid,
    pub printed_by: String,
    pub printed_at: DateTime<Utc>,
}

const SET_COLUMNS: &str = "id, fin, year, first_seq, last_seq, registered_at, registered_by, note";

impl Store {
    pub async fn din_label_sets(&self) -> Result<Vec<DinLabelSet>> {
        let sql = format!("SELECT {SET_COLUMNS} FROM din_label_sets ORDER BY fin, year, first_seq");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// Donations with a DIN collected at or after `since`, newest first.
    pub async fn donations_with_din_since(&self, since: DateTime<Utc>, limit: i64) -> Result<Vec<crate::DonationRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, donor_id, din, procedure, site_id, collected_at FROM donations \
             WHERE din IS NOT NULL AND collected_at >= $1 ORDER BY collected_at DESC, id LIMIT $2")
            .bind(since).bind(limit).fetch_all(p).await?))
    }

    /// The labels printed for a DIN, oldest first.
    pub async fn label_prints(&self, din: &str) -> Result<Vec<LabelPrintRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, din, product_code, blood_group, expires_at, collected_on, format, donor_id, printed_by, printed_at \
             FROM label_prints WHERE din = $1 ORDER BY printed_at, id")
            .bind(din).fetch_all(p).await?))
    }

    pub async fn din_assignment(&self, din: &str) -> Result<Option<DinAssignment>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT din, fin, year, seq, source, label_set_id, assigned_at, assigned_by FROM din_assignments WHERE din = $1")
            .bind(din).fetch_optional(p).await?))
    }

    /// The last sequence number handed out for a FIN and year (0 if none).
    pub async fn din_last_seq(&self, fin: &str, year: i64) -> Result<i64> {
        let v: Option<i64> = on_pool!(self, p => sqlx::query_scalar("SELECT last_seq FROM din_sequences WHERE fin = $1 AND year = $2")
            .bind(fin).bind(year).fetch_optional(p).await?);
        Ok(v.unwrap_or(0))
    }
}

impl WriteTx {
    /// Advances the FIN's counter for the year and returns the new value. Atomic on
    /// both back ends: concurrent callers never get the same number.
    pub async fn next_din_seq(&mut self, fin: &str, year: i64) -> Result<i64> {
        Ok(on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO din_sequences (fin, year, last_seq) VALUES ($1, $2, 1) \
             ON CONFLICT (fin, year) DO UPDATE SET last_seq = din_sequences.last_seq + 1 RETURNING last_seq")
            .bind(fin).bind(year).fetch_one(c).await?))
    }

    /// Moves the counter forward to at least `seq` (never back).
    pub async fn raise_din_seq(&mut self, fin: &str, year: i64, seq: i64) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO din_sequences (fin, year, last_seq) VALUES ($1, $2, $3) \
             ON CONFLICT (fin, year) DO UPDATE SET last_seq = CASE WHEN din_sequences.last_seq < $3 THEN $3 ELSE din_sequences.last_seq END")
            .bind(fin).bind(year).bind(seq).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn din_last_seq(&mut self, fin: &str, year: i64) -> Result<i64> {
        let v: Option<i64> = on_tx!(self, c => sqlx::query_scalar("SELECT last_seq FROM din_sequences WHERE fin = $1 AND year = $2")
            .bind(fin).bind(year).fetch_optional(c).await?);
        Ok(v.unwrap_or(0))
    }

    /// The registered label set whose range holds `seq`, if any.
    pub async fn din_label_set_containing(&mut self, fin: &str, year: i64, seq: i64) -> Result<Option<DinLabelSet>> {
        let sql = format!("SELECT {SET_COLUMNS} FROM din_label_sets WHERE fin = $1 AND year = $2 AND first_seq <= $3 AND last_seq >= $3");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(fin).bind(year).bind(seq).fetch_optional(c).await?))
    }

    /// Registered sets of the FIN and year that overlap the range.
    pub async fn din_label_sets_overlapping(&mut self, fin: &str, year: i64, first: i64, last: i64) -> Result<Vec<DinLabelSet>> {
        let sql = format!("SELECT {SET_COLUMNS} FROM din_label_sets WHERE fin = $1 AND year = $2 AND first_seq <= $4 AND last_seq >= $3");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(fin).bind(year).bind(first).bind(last).fetch_all(c).await?))
    }

    pub async fn insert_din_label_set(&mut self, s: &DinLabelSet) -> Result<()> {
        let sql = format!("INSERT INTO din_label_sets ({SET_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
        on_tx!(self, c => sqlx::query(&sql)
            .bind(s.id).bind(&s.fin).bind(s.year).bind(s.first_seq).bind(s.last_seq).bind(s.registered_at).bind(&s.registered_by).bind(&s.note)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn din_assignment(&mut self, din: &str) -> Result<Option<DinAssignment>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT din, fin, year, seq, source, label_set_id, assigned_at, assigned_by FROM din_assignments WHERE din = $1")
            .bind(din).fetch_optional(c).await?))
    }

    /// The donation that carries this DIN, if any.
    pub async fn donation_by_din(&mut self, din: &str) -> Result<Option<crate::DonationRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT id, donor_id, din, procedure, site_id, collected_at FROM donations WHERE din = $1")
            .bind(din).fetch_optional(c).await?))
    }

    pub async fn insert_label_print(&mut self, p: &LabelPrintRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO label_prints (id, din, product_code, blood_group, expires_at, collected_on, format, donor_id, printed_by, printed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(p.id).bind(&p.din).bind(&p.product_code).bind(&p.blood_group).bind(&p.expires_at).bind(&p.collected_on).bind(&p.format)
            .bind(p.donor_id).bind(&p.printed_by).bind(p.printed_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Records a DIN as used. A DIN already recorded is refused (`Duplicate`).
    pub async fn insert_din_assignment(&mut self, a: &DinAssignment) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO din_assignments (din, fin, year, seq, source, label_set_id, assigned_at, assigned_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&a.din).bind(&a.fin).bind(a.year).bind(a.seq).bind(&a.source).bind(a.label_set_id).bind(a.assigned_at).bind(&a.assigned_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}
