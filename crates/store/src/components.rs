//! Components (append-only units), what each was made from, their state history and
//! the once-only separation of a donation.

use crate::{on_pool, on_tx, Backend, Result, Store, WriteTx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A component with where it stands now (its latest state).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ComponentRow {
    pub id: Uuid,
    pub donation_id: Option<Uuid>,
    pub din: String,
    /// The 8 content characters of the product code (PDC, collection type, division).
    pub product_code: String,
    #[sqlx(try_from = "String")]
    pub kind: domain::component::ComponentKind,
    /// Comma-separated attribute names.
    pub attributes: String,
    pub anticoagulant: String,
    pub additive_solution: Option<String>,
    pub volume_ml: Option<i64>,
    pub expires_at: DateTime<Utc>,
    pub dating_case: String,
    pub step: String,
    pub why: String,
    pub made_at: DateTime<Utc>,
    pub made_by: String,
    #[sqlx(try_from = "String")]
    pub state: domain::component::ComponentState,
}

/// A new component, before it has a state.
#[derive(Debug, Clone, PartialEq)]
pub struct NewComponent {
    pub id: Uuid,
    pub donation_id: Option<Uuid>,
    pub din: String,
    pub product_code: String,
    pub kind: domain::component::ComponentKind,
    pub attributes: String,
    pub anticoagulant: String,
    pub additive_solution: Option<String>,
    pub volume_ml: Option<i64>,
    pub expires_at: DateTime<Utc>,
    pub dating_case: String,
    pub step: String,
    pub why: String,
    pub made_at: DateTime<Utc>,
    pub made_by: String,
}

/// One line of a unit's state history.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ComponentStateRow {
    pub component_id: Uuid,
    pub seq: i64,
    pub state: String,
    pub at: DateTime<Utc>,
    pub by_user: String,
    pub reason: Option<String>,
}

/// A "made from" link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct ComponentLink {
    pub component_id: Uuid,
    pub source_id: Uuid,
}

pub(crate) const COLUMNS: &str = "c.id, c.donation_id, c.din, c.product_code, c.kind, c.attributes, c.anticoagulant, c.additive_solution, \
     COALESCE((SELECT v.volume_ml FROM component_volumes v WHERE v.component_id = c.id ORDER BY v.seq DESC LIMIT 1), c.volume_ml) AS volume_ml, \
     c.expires_at, c.dating_case, c.step, c.why, c.made_at, c.made_by, s.state";
pub(crate) const LATEST: &str = "JOIN component_states s ON s.component_id = c.id \
     AND s.seq = (SELECT MAX(x.seq) FROM component_states x WHERE x.component_id = c.id)";

impl Store {
    pub async fn components_of_donation(&self, donation_id: Uuid) -> Result<Vec<ComponentRow>> {
        let sql = format!("SELECT {COLUMNS} FROM components c {LATEST} WHERE c.donation_id = $1 ORDER BY c.made_at, c.product_code");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(donation_id).fetch_all(p).await?))
    }

    pub async fn component(&self, din: &str, product_code: &str) -> Result<Option<ComponentRow>> {
        let sql = format!("SELECT {COLUMNS} FROM components c {LATEST} WHERE c.din = $1 AND c.product_code = $2");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(din).bind(product_code).fetch_optional(p).await?))
    }

    /// Every unit that carries one of these DINs and every unit made from them (pools
    /// included), in one recursive query, with the links between them.
    pub async fn genealogy(&self, dins: &[String]) -> Result<(Vec<ComponentRow>, Vec<ComponentLink>)> {
        let mut rows: Vec<ComponentRow> = Vec::new();
        for din in dins {
            let sql = format!(
                "WITH RECURSIVE family(id) AS ( \
                   SELECT id FROM components WHERE din = $1 \
                   UNION SELECT cs.component_id FROM component_sources cs JOIN family f ON cs.source_id = f.id \
                 ) SELECT {COLUMNS} FROM components c {LATEST} WHERE c.id IN (SELECT id FROM family) ORDER BY c.made_at, c.din, c.product_code"
            );
            let found: Vec<ComponentRow> = on_pool!(self, p => sqlx::query_as(&sql).bind(din).fetch_all(p).await?);
            for r in found {
                if !rows.iter().any(|x| x.id == r.id) {
                    rows.push(r);
                }
            }
        }
        // The sources of a pool carry other DINs: read them too (one level up).
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let up = self.links_touching(&ids).await?;
        let missing: Vec<Uuid> = up.iter().map(|l| l.source_id).filter(|id| !ids.contains(id)).collect();
        for id in missing {
            let sql = format!("SELECT {COLUMNS} FROM components c {LATEST} WHERE c.id = $1");
            let found: Option<ComponentRow> = on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
            if let Some(f) = found.filter(|f| !rows.iter().any(|x| x.id == f.id)) {
                rows.push(f);
            }
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let links = self.links_touching(&ids).await?;
        Ok((rows, links))
    }

    /// Every "made from" link with a unit of `ids` on either end, in one query.
    async fn links_touching(&self, ids: &[Uuid]) -> Result<Vec<ComponentLink>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let list = marks.join(", ");
        let sql = format!("SELECT component_id, source_id FROM component_sources WHERE component_id IN ({list}) OR source_id IN ({list})");
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(p).await?
        }))
    }

    pub async fn component_states(&self, id: Uuid) -> Result<Vec<ComponentStateRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT component_id, seq, state, at, by_user, reason FROM component_states WHERE component_id = $1 ORDER BY seq")
            .bind(id).fetch_all(p).await?))
    }

    /// How many units are in processing.
    pub async fn count_components_in_processing(&self) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM components c {LATEST} WHERE s.state = 'in_processing'");
        let (n,): (i64,) = on_pool!(self, p => sqlx::query_as(&sql).fetch_one(p).await?);
        Ok(n)
    }

    /// Units in processing, newest first (the lab's worklist).
    /// Units released in an emergency, before their testing was complete, newest first.
    pub async fn emergency_released_components(&self, limit: i64) -> Result<Vec<ComponentRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM components c {LATEST} WHERE EXISTS (SELECT 1 FROM component_releases r WHERE r.component_id = c.id AND r.emergency) \
             ORDER BY c.made_at DESC, c.din LIMIT $1"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(limit).fetch_all(p).await?))
    }

    pub async fn components_in_processing(&self, limit: i64) -> Result<Vec<ComponentRow>> {
        let sql = format!("SELECT {COLUMNS} FROM components c {LATEST} WHERE s.state = 'in_processing' ORDER BY c.made_at DESC, c.din LIMIT $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(limit).fetch_all(p).await?))
    }
}

impl WriteTx {
    /// When and by whom the donation was separated, if it was.
    pub async fn separation_of(&mut self, donation_id: Uuid) -> Result<Option<(DateTime<Utc>, String)>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT separated_at, separated_by FROM donation_separations WHERE donation_id = $1")
            .bind(donation_id).fetch_optional(c).await?))
    }

    /// Marks the donation separated; a second separation is refused (`Duplicate`).
    pub async fn insert_separation(&mut self, donation_id: Uuid, at: DateTime<Utc>, by: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO donation_separations (donation_id, separated_at, separated_by) VALUES ($1, $2, $3)")
            .bind(donation_id).bind(at).bind(by).execute(c).await?.rows_affected());
        Ok(())
    }

    /// A unit read in the transaction, its row locked on PostgreSQL.
    pub async fn component_for_update(&mut self, din: &str, product_code: &str) -> Result<Option<ComponentRow>> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT id FROM components WHERE din = $1 AND product_code = $2 FOR UPDATE")
                .bind(din).bind(product_code).execute(c).await?.rows_affected());
        }
        let sql = format!("SELECT {COLUMNS} FROM components c {LATEST} WHERE c.din = $1 AND c.product_code = $2");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(din).bind(product_code).fetch_optional(c).await?))
    }

    /// The units a unit was made from, read in the transaction.
    pub async fn component_sources_in_tx(&mut self, id: Uuid) -> Result<Vec<ComponentRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM components c {LATEST} JOIN component_sources l ON l.source_id = c.id WHERE l.component_id = $1 ORDER BY c.din"
        );
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_all(c).await?))
    }

    /// The donation's units with their latest state, read in the transaction.
    pub async fn components_of_donation_in_tx(&mut self, donation_id: Uuid) -> Result<Vec<ComponentRow>> {
        let sql = format!("SELECT {COLUMNS} FROM components c {LATEST} WHERE c.donation_id = $1 ORDER BY c.made_at, c.product_code");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(donation_id).fetch_all(c).await?))
    }

    /// Adds a unit in its first state.
    pub async fn insert_component(&mut self, n: &NewComponent, state: domain::component::ComponentState) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO components (id, donation_id, din, product_code, kind, attributes, anticoagulant, additive_solution, volume_ml, \
             expires_at, dating_case, step, why, made_at, made_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
            .bind(n.id).bind(n.donation_id).bind(&n.din).bind(&n.product_code).bind(n.kind.as_str()).bind(&n.attributes)
            .bind(&n.anticoagulant).bind(&n.additive_solution).bind(n.volume_ml).bind(n.expires_at).bind(&n.dating_case)
            .bind(&n.step).bind(&n.why).bind(n.made_at).bind(&n.made_by)
            .execute(c).await?.rows_affected());
        self.add_component_state(n.id, state, n.made_at, &n.made_by, None).await
    }

    /// Records a unit's weighed volume; the latest counts.
    pub async fn add_component_volume(&mut self, id: Uuid, volume_ml: i64, at: DateTime<Utc>, by: &str) -> Result<()> {
        let (seq,): (i64,) = on_tx!(self, c => sqlx::query_as("SELECT COALESCE(MAX(seq), 0) + 1 FROM component_volumes WHERE component_id = $1")
            .bind(id).fetch_one(c).await?);
        on_tx!(self, c => sqlx::query("INSERT INTO component_volumes (component_id, seq, volume_ml, at, by_user) VALUES ($1, $2, $3, $4, $5)")
            .bind(id).bind(seq).bind(volume_ml).bind(at).bind(by).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_component_source(&mut self, component_id: Uuid, source_id: Uuid) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO component_sources (component_id, source_id) VALUES ($1, $2)")
            .bind(component_id).bind(source_id).execute(c).await?.rows_affected());
        Ok(())
    }

    /// Appends a state to a unit's history.
    pub async fn add_component_state(
        &mut self,
        id: Uuid,
        state: domain::component::ComponentState,
        at: DateTime<Utc>,
        by: &str,
        reason: Option<&str>,
    ) -> Result<()> {
        let (seq,): (i64,) = on_tx!(self, c => sqlx::query_as("SELECT COALESCE(MAX(seq), 0) + 1 FROM component_states WHERE component_id = $1")
            .bind(id).fetch_one(c).await?);
        on_tx!(self, c => sqlx::query("INSERT INTO component_states (component_id, seq, state, at, by_user, reason) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id).bind(seq).bind(state.as_str()).bind(at).bind(by).bind(reason)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}
