//! Inventory: storage locations, where each unit is (append-only moves), temperature
//! excursions, discards, and the reads behind the stock views.

use crate::components::{COLUMNS, LATEST};
use crate::{on_pool, on_tx, Backend, ComponentRow, Result, Store, WriteTx};
use chrono::{DateTime, Utc};
use domain::inventory::TemperatureClass;
use uuid::Uuid;

/// The states of a unit the centre still holds in its storage.
const IN_STORAGE: &str = "('in_processing', 'quarantine', 'available', 'reserved', 'returned')";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StorageLocationRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub temperature_class: TemperatureClass,
    pub site_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MoveRow {
    pub id: Uuid,
    pub component_id: Uuid,
    pub location_id: Uuid,
    pub moved_at: DateTime<Utc>,
    pub moved_by: String,
    pub scanned: String,
}

/// A move with the location's words, for a unit's history.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MoveLine {
    pub moved_at: DateTime<Utc>,
    pub moved_by: String,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExcursionRow {
    pub id: Uuid,
    pub location_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub lowest_c: f64,
    pub highest_c: f64,
    pub note: String,
    pub units_held: i64,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DiscardRow {
    pub component_id: Uuid,
    #[sqlx(try_from = "String")]
    pub reason: domain::inventory::DiscardReason,
    pub details: String,
    pub discarded_at: DateTime<Utc>,
    pub discarded_by: String,
}

/// A unit in storage with where it is and the ABO/RhD it was released with.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StockRow {
    #[sqlx(flatten)]
    pub unit: ComponentRow,
    pub location_code: Option<String>,
    pub location_name: Option<String>,
    pub location_class: Option<String>,
    pub blood_group: Option<String>,
}

/// A unit that left stock to a consignee, for the demand average.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct IssueRow {
    #[sqlx(try_from = "String")]
    pub kind: domain::component::ComponentKind,
    pub blood_group: Option<String>,
    pub at: DateTime<Utc>,
}

pub(crate) const LOCATION_OF_UNIT: &str = "LEFT JOIN component_moves m ON m.component_id = c.id \
     AND m.seq = (SELECT MAX(y.seq) FROM component_moves y WHERE y.component_id = c.id) \
     LEFT JOIN storage_locations loc ON loc.id = m.location_id";
/// The group a unit `c` was released under (its latest release), as a scalar subquery.
macro_rules! released_group_of_unit {
    () => {
        "(SELECT r.blood_group FROM component_releases r WHERE r.component_id = c.id ORDER BY r.released_at DESC LIMIT 1)"
    };
}
pub(crate) const RELEASED_GROUP_OF_UNIT: &str = released_group_of_unit!();
/// The same, as the `blood_group` column of a unit row.
pub(crate) const RELEASED_GROUP: &str = concat!(released_group_of_unit!(), " AS blood_group");

/// Component kinds as an SQL list for `IN (…)`; the names are our own enum's, never
/// user input, and quotes are stripped all the same.
pub(crate) fn kinds_sql(kinds: &[&str]) -> String {
    kinds.iter().map(|k| format!("'{}'", k.replace('\'', ""))).collect::<Vec<_>>().join(", ")
}

impl Store {
    pub async fn storage_locations(&self) -> Result<Vec<StorageLocationRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM storage_locations ORDER BY code").fetch_all(p).await?))
    }

    pub async fn storage_location(&self, code: &str) -> Result<Option<StorageLocationRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM storage_locations WHERE code = $1").bind(code).fetch_optional(p).await?))
    }

    /// Every unit the centre holds (in processing, quarantine, available, reserved,
    /// returned), soonest expiry first, with its location and released group.
    pub async fn stock(&self) -> Result<Vec<StockRow>> {
        let sql = format!(
            "SELECT {COLUMNS}, loc.code AS location_code, loc.name AS location_name, loc.temperature_class AS location_class, {RELEASED_GROUP} \
             FROM components c {LATEST} {LOCATION_OF_UNIT} WHERE s.state IN {IN_STORAGE} ORDER BY c.expires_at, c.din, c.product_code"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// The open holds of every unit the centre holds: (unit, hold kind).
    pub async fn open_hold_kinds_in_stock(&self) -> Result<Vec<(Uuid, String)>> {
        let sql = format!(
            "SELECT h.component_id, h.kind FROM ({}) h JOIN components c ON c.id = h.component_id {LATEST} WHERE s.state IN {IN_STORAGE}",
            crate::testing::OPEN_HOLDS
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// Units shipped to a consignee since `since` (each counted at its first shipment).
    pub async fn issued_since(&self, since: DateTime<Utc>) -> Result<Vec<IssueRow>> {
        let sql = format!(
            "SELECT c.kind, {RELEASED_GROUP}, MIN(st.at) AS at FROM components c JOIN component_states st ON st.component_id = c.id \
             WHERE st.state = 'shipped' GROUP BY c.id, c.kind HAVING MIN(st.at) >= $1"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(since).fetch_all(p).await?))
    }

    pub async fn moves_of(&self, component_id: Uuid) -> Result<Vec<MoveLine>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT m.moved_at, m.moved_by, l.code, l.name FROM component_moves m JOIN storage_locations l ON l.id = m.location_id \
             WHERE m.component_id = $1 ORDER BY m.seq")
            .bind(component_id).fetch_all(p).await?))
    }

    pub async fn discard_of(&self, component_id: Uuid) -> Result<Option<DiscardRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM component_discards WHERE component_id = $1")
            .bind(component_id).fetch_optional(p).await?))
    }

    /// Excursions, newest first, with the location's code.
    pub async fn excursions(&self, limit: i64) -> Result<Vec<(ExcursionRow, String)>> {
        let rows: Vec<ExcursionRow> = on_pool!(self, p => sqlx::query_as("SELECT * FROM temperature_excursions ORDER BY recorded_at DESC LIMIT $1").bind(limit).fetch_all(p).await?);
        let locations = self.storage_locations().await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let code = locations.iter().find(|l| l.id == r.location_id).map(|l| l.code.clone()).unwrap_or_default();
                (r, code)
            })
            .collect())
    }

    /// Units in storage whose expiry has come, soonest first (the expiry job's work).
    pub async fn expired_in_storage(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<ComponentRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM components c {LATEST} WHERE c.expires_at <= $1 AND s.state IN {IN_STORAGE} ORDER BY c.expires_at LIMIT $2"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(p).await?))
    }
}

impl WriteTx {
    pub async fn insert_storage_location(&mut self, l: &StorageLocationRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO storage_locations (id, code, name, temperature_class, site_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(l.id).bind(&l.code).bind(&l.name).bind(l.temperature_class.as_str()).bind(l.site_id).bind(l.created_at).bind(&l.created_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn storage_location_in_tx(&mut self, code: &str) -> Result<Option<StorageLocationRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM storage_locations WHERE code = $1").bind(code).fetch_optional(c).await?))
    }

    /// Where the unit is now (its latest move), if it was ever put away.
    pub async fn unit_location_in_tx(&mut self, component_id: Uuid) -> Result<Option<StorageLocationRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT l.* FROM storage_locations l JOIN component_moves m ON m.location_id = l.id \
             WHERE m.component_id = $1 ORDER BY m.seq DESC LIMIT 1")
            .bind(component_id).fetch_optional(c).await?))
    }

    pub async fn insert_move(&mut self, m: &MoveRow) -> Result<()> {
        let (seq,): (i64,) = on_tx!(self, c => sqlx::query_as("SELECT COALESCE(MAX(seq), 0) + 1 FROM component_moves WHERE component_id = $1")
            .bind(m.component_id).fetch_one(c).await?);
        on_tx!(self, c => sqlx::query("INSERT INTO component_moves (id, component_id, location_id, seq, moved_at, moved_by, scanned) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(m.id).bind(m.component_id).bind(m.location_id).bind(seq).bind(m.moved_at).bind(&m.moved_by).bind(&m.scanned)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Units still in storage that were in the location at some time between `from` and
    /// `to`, their rows locked on PostgreSQL.
    pub async fn units_in_location_during(&mut self, location_id: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ComponentRow>> {
        let ids: Vec<(Uuid,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT DISTINCT m.component_id FROM component_moves m \
             LEFT JOIN component_moves n ON n.component_id = m.component_id AND n.seq = m.seq + 1 \
             WHERE m.location_id = $1 AND m.moved_at <= $3 AND (n.moved_at IS NULL OR n.moved_at > $2) ORDER BY m.component_id")
            .bind(location_id).bind(from).bind(to).fetch_all(c).await?);
        let ids: Vec<Uuid> = ids.into_iter().map(|(id,)| id).collect();
        self.units_for_update(&ids).await
    }

    /// These units, in storage, locked on PostgreSQL (in id order, so two writers never
    /// wait on each other in a cycle).
    pub async fn units_for_update(&mut self, ids: &[Uuid]) -> Result<Vec<ComponentRow>> {
        let mut sorted = ids.to_vec();
        sorted.sort();
        sorted.dedup();
        if self.backend() == Backend::Postgres && !sorted.is_empty() {
            let _: Vec<(Uuid,)> = self.fetch_for_ids("SELECT id FROM components WHERE id IN ({ids}) ORDER BY id FOR UPDATE", &sorted).await?;
        }
        let sql = format!("SELECT {COLUMNS} FROM components c {LATEST} WHERE c.id IN ({{ids}}) AND s.state IN {IN_STORAGE} ORDER BY c.id");
        self.fetch_for_ids(&sql, &sorted).await
    }

    pub async fn insert_excursion(&mut self, e: &ExcursionRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO temperature_excursions (id, location_id, started_at, ended_at, lowest_c, highest_c, note, units_held, recorded_at, recorded_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(e.id).bind(e.location_id).bind(e.started_at).bind(e.ended_at).bind(e.lowest_c).bind(e.highest_c).bind(&e.note)
            .bind(e.units_held).bind(e.recorded_at).bind(&e.recorded_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_discard(&mut self, d: &DiscardRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO component_discards (component_id, reason, details, discarded_at, discarded_by) VALUES ($1, $2, $3, $4, $5)")
            .bind(d.component_id).bind(d.reason.as_str()).bind(&d.details).bind(d.discarded_at).bind(&d.discarded_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}
