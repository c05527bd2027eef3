//! Collection records (versioned, append-only) and donor adverse reactions.

use crate::{on_pool, on_tx, Backend, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// One version of a donation's collection record.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CollectionRecordRow {
    pub id: Uuid,
    pub donation_id: Uuid,
    pub version: i64,
    pub phlebotomist: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub volume_ml: i64,
    #[sqlx(try_from = "String")]
    pub outcome: domain::collection::CollectionOutcome,
    pub stop_reason: Option<String>,
    pub bag_set_lot: String,
    pub bag_set_expires_on: NaiveDate,
    pub anticoagulant: String,
    pub anticoagulant_lot: String,
    pub anticoagulant_expires_on: NaiveDate,
    pub additive_solution: Option<String>,
    pub device_type: Option<String>,
    pub device_serial: Option<String>,
    pub platelet_units: Option<i64>,
    /// Comma-separated.
    pub concurrent_products: String,
    pub note: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub reason: Option<String>,
}

/// A donor adverse reaction at a donation.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReactionRow {
    pub id: Uuid,
    pub donation_id: Uuid,
    pub donor_id: Uuid,
    pub kind: String,
    pub severity: String,
    pub onset: String,
    pub onset_at: DateTime<Utc>,
    pub treatment: String,
    pub outcome: String,
    pub note: Option<String>,
    pub deferral_id: Option<Uuid>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

const RECORD_COLUMNS: &str = "id, donation_id, version, phlebotomist, started_at, ended_at, volume_ml, outcome, stop_reason, bag_set_lot, \
     bag_set_expires_on, anticoagulant, anticoagulant_lot, anticoagulant_expires_on, additive_solution, device_type, device_serial, \
     platelet_units, concurrent_products, note, recorded_at, recorded_by, reason";
const REACTION_COLUMNS: &str =
    "id, donation_id, donor_id, kind, severity, onset, onset_at, treatment, outcome, note, deferral_id, recorded_at, recorded_by";
const DONATION_COLUMNS: &str = "id, donor_id, din, procedure, site_id, collected_at";

impl Store {
    pub async fn donation_with_din(&self, din: &str) -> Result<Option<crate::DonationRow>> {
        let sql = format!("SELECT {DONATION_COLUMNS} FROM donations WHERE din = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(din).fetch_optional(p).await?))
    }

    /// The site a donation was collected at.
    pub async fn donation_site(&self, id: Uuid) -> Result<Option<Uuid>> {
        let row: Option<(Option<Uuid>,)> =
            on_pool!(self, p => sqlx::query_as("SELECT site_id FROM donations WHERE id = $1").bind(id).fetch_optional(p).await?);
        Ok(row.and_then(|r| r.0))
    }

    /// The donor a donation came from.
    pub async fn donation_donor(&self, id: Uuid) -> Result<Option<Uuid>> {
        let row: Option<(Uuid,)> =
            on_pool!(self, p => sqlx::query_as("SELECT donor_id FROM donations WHERE id = $1").bind(id).fetch_optional(p).await?);
        Ok(row.map(|r| r.0))
    }

    /// Every version of a donation's collection record, oldest first.
    pub async fn collection_records(&self, donation_id: Uuid) -> Result<Vec<CollectionRecordRow>> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM collection_records WHERE donation_id = $1 ORDER BY version");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(donation_id).fetch_all(p).await?))
    }

    pub async fn reactions_of_donation(&self, donation_id: Uuid) -> Result<Vec<ReactionRow>> {
        let sql = format!("SELECT {REACTION_COLUMNS} FROM donor_reactions WHERE donation_id = $1 ORDER BY onset_at, id");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(donation_id).fetch_all(p).await?))
    }

    /// The reactions of a donor and every record merged into it, newest first.
    pub async fn reactions_of_donors(&self, donor_ids: &[Uuid]) -> Result<Vec<ReactionRow>> {
        let mut out = Vec::new();
        for id in donor_ids {
            let sql = format!("SELECT {REACTION_COLUMNS} FROM donor_reactions WHERE donor_id = $1");
            let rows: Vec<ReactionRow> = on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_all(p).await?);
            out.extend(rows);
        }
        out.sort_by(|a, b| b.onset_at.cmp(&a.onset_at).then(b.id.cmp(&a.id)));
        Ok(out)
    }
}

impl WriteTx {
    /// The donation with this DIN, its row locked on PostgreSQL (SQLite's write
    /// transaction already holds the database).
    pub async fn donation_with_din_for_update(&mut self, din: &str) -> Result<Option<crate::DonationRow>> {
        let lock = if self.backend() == Backend::Postgres { " FOR UPDATE" } else { "" };
        let sql = format!("SELECT {DONATION_COLUMNS} FROM donations WHERE din = $1{lock}");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(din).fetch_optional(c).await?))
    }

    pub async fn donation_by_id(&mut self, id: Uuid) -> Result<Option<crate::DonationRow>> {
        let sql = format!("SELECT {DONATION_COLUMNS} FROM donations WHERE id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    /// The latest version of a donation's collection record, read in the transaction.
    pub async fn latest_collection_record(&mut self, donation_id: Uuid) -> Result<Option<CollectionRecordRow>> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM collection_records WHERE donation_id = $1 ORDER BY version DESC LIMIT 1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(donation_id).fetch_optional(c).await?))
    }

    /// Adds a version; a version number already taken is refused (`Duplicate`).
    pub async fn insert_collection_record(&mut self, r: &CollectionRecordRow) -> Result<()> {
        let sql = format!(
            "INSERT INTO collection_records ({RECORD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
        );
        on_tx!(self, c => sqlx::query(&sql)
            .bind(r.id).bind(r.donation_id).bind(r.version).bind(&r.phlebotomist).bind(r.started_at).bind(r.ended_at).bind(r.volume_ml)
            .bind(r.outcome.as_str()).bind(&r.stop_reason).bind(&r.bag_set_lot).bind(r.bag_set_expires_on).bind(&r.anticoagulant)
            .bind(&r.anticoagulant_lot).bind(r.anticoagulant_expires_on).bind(&r.additive_solution).bind(&r.device_type).bind(&r.device_serial)
            .bind(r.platelet_units).bind(&r.concurrent_products).bind(&r.note).bind(r.recorded_at).bind(&r.recorded_by).bind(&r.reason)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_reaction(&mut self, r: &ReactionRow) -> Result<()> {
        let sql = format!("INSERT INTO donor_reactions ({REACTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
        on_tx!(self, c => sqlx::query(&sql)
            .bind(r.id).bind(r.donation_id).bind(r.donor_id).bind(&r.kind).bind(&r.severity).bind(&r.onset).bind(r.onset_at)
            .bind(&r.treatment).bind(&r.outcome).bind(&r.note).bind(r.deferral_id).bind(r.recorded_at).bind(&r.recorded_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}
