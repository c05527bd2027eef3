//! Reads behind the dashboards' counts and the lists they link to: each query
//! returns the records themselves, so a count and its list come from one place.

use crate::donors::DONOR_COLUMNS;
use crate::{on_pool, DinAssignment, DonorRow, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// Not merged into another record.
const LIVE: &str = "NOT EXISTS (SELECT 1 FROM donor_merges m WHERE m.duplicate_id = d.id)";

impl Store {
    /// Donors (any record of a family) with a blood group determination that differs
    /// from the group on record or from another determination: the candidates for an
    /// open discrepancy. The rule itself (resolutions, order) is applied by the caller.
    pub async fn discrepancy_candidates(&self) -> Result<Vec<Uuid>> {
        Ok(on_pool!(self, p => sqlx::query_scalar(
            "SELECT DISTINCT b.donor_id FROM blood_group_determinations b JOIN donors x ON x.id = b.donor_id \
             WHERE x.abo IS NOT NULL AND x.rhd IS NOT NULL AND (b.abo <> x.abo OR b.rhd <> x.rhd) \
             UNION SELECT b.donor_id FROM blood_group_determinations b GROUP BY b.donor_id HAVING COUNT(DISTINCT b.abo || b.rhd) > 1")
            .fetch_all(p).await?))
    }

    /// Donors with an indefinite deferral that was neither reentered nor marked as
    /// entered in error: each waits for quality's review (reentry or not).
    pub async fn deferrals_for_review(&self) -> Result<Vec<DonorRow>> {
        let sql = format!(
            "SELECT {cols} FROM donors d WHERE d.id IN (SELECT f.donor_id FROM donor_deferrals f WHERE f.kind = 'indefinite' \
             AND NOT EXISTS (SELECT 1 FROM donor_reentries r WHERE r.deferral_id = f.id) \
             AND NOT EXISTS (SELECT 1 FROM donor_deferral_corrections c WHERE c.deferral_id = f.id)) \
             AND {LIVE} ORDER BY d.donor_number",
            cols = crate::donors::donor_cols("d")
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// Pairs of live donor records that may be one person: the same birth date and the
    /// same name, email or phone. Each pair once (smaller id first).
    pub async fn possible_duplicate_pairs(&self) -> Result<Vec<(Uuid, Uuid)>> {
        let live = |a: &str| format!("NOT EXISTS (SELECT 1 FROM donor_merges m WHERE m.duplicate_id = {a}.id)");
        let pair = |key: &str| {
            format!(
                "SELECT a.id, b.id FROM donors a JOIN donors b ON b.{key} = a.{key} AND b.birth_date = a.birth_date AND a.id < b.id \
                 WHERE a.{key} IS NOT NULL AND a.{key} <> '' AND {} AND {}",
                live("a"),
                live("b")
            )
        };
        let sql = format!("{} UNION {} UNION {}", pair("search_lf"), pair("email_key"), pair("phone_rev"));
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// Donors screened at a site on a day (site-local), each once.
    pub async fn donors_screened(&self, site_id: Uuid, on: NaiveDate) -> Result<Vec<DonorRow>> {
        let sql = format!(
            "SELECT {DONOR_COLUMNS} FROM donors WHERE id IN (SELECT v.donor_id FROM screening_visits v WHERE v.site_id = $1 AND v.screened_on = $2) \
             ORDER BY donor_number"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(site_id).bind(on).fetch_all(p).await?))
    }

    /// Donors found eligible at a site on a day whose visit has no donation yet: they
    /// wait for collection.
    pub async fn donors_waiting(&self, site_id: Uuid, on: NaiveDate) -> Result<Vec<DonorRow>> {
        let sql = format!(
            "SELECT {DONOR_COLUMNS} FROM donors WHERE id IN (SELECT v.donor_id FROM screening_visits v WHERE v.site_id = $1 AND v.screened_on = $2 \
             AND v.eligible = $3 AND NOT EXISTS (SELECT 1 FROM donations n WHERE n.screening_visit_id = v.id)) ORDER BY donor_number"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(site_id).bind(on).bind(true).fetch_all(p).await?))
    }

    /// DINs assigned in `[from, to)`, newest first.
    pub async fn dins_assigned_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DinAssignment>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT din, fin, year, seq, source, label_set_id, assigned_at, assigned_by FROM din_assignments \
             WHERE assigned_at >= $1 AND assigned_at < $2 ORDER BY assigned_at DESC, din DESC")
            .bind(from).bind(to).fetch_all(p).await?))
    }
}

impl Store {
    /// Donor records by id, ordered by donor number.
    pub async fn donors_with_ids(&self, ids: &[Uuid]) -> Result<Vec<DonorRow>> {
        self.fetch_for_ids(&format!("SELECT {DONOR_COLUMNS} FROM donors WHERE id IN ({{ids}}) ORDER BY donor_number"), ids).await
    }
}
