//! Quality records: deviations (numbered, versioned, with their units), quality control
//! results of units, and hold lifts read back with their holds. All append-only but the
//! deviation number counter; reads a decision depends on are on the write transaction.

use crate::{on_pool, on_tx, Backend, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeviationRow {
    pub id: Uuid,
    pub number: String,
    pub year: i64,
    pub seq: i64,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
}

/// One version of a deviation record.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeviationVersionRow {
    pub deviation_id: Uuid,
    pub version: i64,
    pub status: String,
    pub what_happened: String,
    pub discovered_on: NaiveDate,
    pub acquired_on: NaiveDate,
    pub investigation: String,
    pub root_cause: String,
    pub corrective_action: String,
    pub distributed: bool,
    pub reportable: bool,
    pub reported_on: Option<NaiveDate>,
    pub report_reference: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub change: String,
}

/// A deviation with its latest version.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeviationCurrent {
    #[sqlx(flatten)]
    pub deviation: DeviationRow,
    #[sqlx(flatten)]
    pub current: DeviationVersionRow,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct QcResultRow {
    pub id: Uuid,
    pub component_id: Uuid,
    pub check_code: String,
    pub value: f64,
    pub entered: String,
    pub passed: bool,
    pub spec: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

/// A hold on a unit and its lift, if lifted.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HoldWithLift {
    pub id: Uuid,
    pub component_id: Uuid,
    pub kind: String,
    pub reason: String,
    pub source_id: Option<Uuid>,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lifted_by: Option<String>,
    pub lift_reason: Option<String>,
}

const CURRENT: &str = "SELECT d.id, d.number, d.year, d.seq, d.opened_at, d.opened_by, v.deviation_id, v.version, v.status, v.what_happened, \
     v.discovered_on, v.acquired_on, v.investigation, v.root_cause, v.corrective_action, v.distributed, v.reportable, v.reported_on, \
     v.report_reference, v.recorded_at, v.recorded_by, v.change FROM deviations d JOIN deviation_versions v ON v.deviation_id = d.id \
     AND v.version = (SELECT MAX(x.version) FROM deviation_versions x WHERE x.deviation_id = d.id)";
const HOLDS: &str = "SELECT h.id, h.component_id, h.kind, h.reason, h.source_id, h.opened_at, h.opened_by, l.lifted_at, l.lifted_by, \
     l.reason AS lift_reason FROM component_holds h LEFT JOIN component_hold_lifts l ON l.hold_id = h.id";

impl Store {
    /// Every deviation with its latest version, newest first.
    pub async fn deviations(&self) -> Result<Vec<DeviationCurrent>> {
        let sql = format!("{CURRENT} ORDER BY d.year DESC, d.seq DESC");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    pub async fn deviation(&self, number: &str) -> Result<Option<DeviationCurrent>> {
        let sql = format!("{CURRENT} WHERE d.number = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(number).fetch_optional(p).await?))
    }

    pub async fn deviation_versions(&self, id: Uuid) -> Result<Vec<DeviationVersionRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM deviation_versions WHERE deviation_id = $1 ORDER BY version")
            .bind(id).fetch_all(p).await?))
    }

    /// The units of a deviation, as (DIN, product code).
    pub async fn deviation_units(&self, id: Uuid) -> Result<Vec<(String, String)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT c.din, c.product_code FROM deviation_units u JOIN components c ON c.id = u.component_id WHERE u.deviation_id = $1 ORDER BY c.din, c.product_code")
            .bind(id).fetch_all(p).await?))
    }

    /// The units of every deviation, as (deviation id, DIN, product code).
    pub async fn all_deviation_units(&self) -> Result<Vec<(Uuid, String, String)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT u.deviation_id, c.din, c.product_code FROM deviation_units u JOIN components c ON c.id = u.component_id ORDER BY c.din, c.product_code")
            .fetch_all(p).await?))
    }

    /// A unit's QC results, oldest first.
    pub async fn qc_results_of(&self, component_id: Uuid) -> Result<Vec<QcResultRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM component_qc_results WHERE component_id = $1 ORDER BY recorded_at, id")
            .bind(component_id).fetch_all(p).await?))
    }

    /// A unit's holds, open and lifted, oldest first.
    pub async fn holds_of(&self, component_id: Uuid) -> Result<Vec<HoldWithLift>> {
        let sql = format!("{HOLDS} WHERE h.component_id = $1 ORDER BY h.opened_at, h.id");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(component_id).fetch_all(p).await?))
    }
}

impl WriteTx {
    /// The next deviation number of the year, in this transaction: a rolled-back opening
    /// gives its number back, so numbers have no gaps. The counter's row is locked until
    /// commit (PostgreSQL: the upsert's row lock; SQLite: the write transaction).
    pub async fn next_deviation_seq(&mut self, year: i64) -> Result<i64> {
        Ok(on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO deviation_numbers (year, last_seq) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last_seq = deviation_numbers.last_seq + 1 RETURNING last_seq")
            .bind(year).fetch_one(c).await?))
    }

    pub async fn insert_deviation(&mut self, d: &DeviationRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO deviations (id, number, year, seq, opened_at, opened_by) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(d.id).bind(&d.number).bind(d.year).bind(d.seq).bind(d.opened_at).bind(&d.opened_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_deviation_version(&mut self, v: &DeviationVersionRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO deviation_versions (deviation_id, version, status, what_happened, discovered_on, acquired_on, \
            investigation, root_cause, corrective_action, distributed, reportable, reported_on, report_reference, recorded_at, recorded_by, change) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)")
            .bind(v.deviation_id).bind(v.version).bind(&v.status).bind(&v.what_happened).bind(v.discovered_on).bind(v.acquired_on)
            .bind(&v.investigation).bind(&v.root_cause).bind(&v.corrective_action).bind(v.distributed).bind(v.reportable)
            .bind(v.reported_on).bind(&v.report_reference).bind(v.recorded_at).bind(&v.recorded_by).bind(&v.change)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_deviation_unit(&mut self, deviation_id: Uuid, component_id: Uuid) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO deviation_units (deviation_id, component_id) VALUES ($1, $2)")
            .bind(deviation_id).bind(component_id).execute(c).await?.rows_affected());
        Ok(())
    }

    /// A deviation with its latest version, its row locked on PostgreSQL.
    pub async fn deviation_for_update(&mut self, number: &str) -> Result<Option<DeviationCurrent>> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT id FROM deviations WHERE number = $1 FOR UPDATE").bind(number).execute(c).await?.rows_affected());
        }
        let sql = format!("{CURRENT} WHERE d.number = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(number).fetch_optional(c).await?))
    }

    pub async fn insert_qc_result(&mut self, r: &QcResultRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO component_qc_results (id, component_id, check_code, value, entered, passed, spec, recorded_at, recorded_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(r.id).bind(r.component_id).bind(&r.check_code).bind(r.value).bind(&r.entered).bind(r.passed).bind(&r.spec)
            .bind(r.recorded_at).bind(&r.recorded_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// A unit's QC results, oldest first, read in the transaction.
    pub async fn qc_results_in_tx(&mut self, component_id: Uuid) -> Result<Vec<QcResultRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM component_qc_results WHERE component_id = $1 ORDER BY recorded_at, id")
            .bind(component_id).fetch_all(c).await?))
    }

    /// One hold with its lift, read in the transaction (the caller holds the unit's row lock).
    pub async fn hold_in_tx(&mut self, hold_id: Uuid) -> Result<Option<HoldWithLift>> {
        let sql = format!("{HOLDS} WHERE h.id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(hold_id).fetch_optional(c).await?))
    }
}
