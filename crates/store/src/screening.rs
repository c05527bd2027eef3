//! Stored versions of the eligibility rules and the questionnaire, and screening visits.

use crate::{on_pool, on_tx, DonationRow, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// One stored version of a policy document (`eligibility_rules` or `questionnaire`).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PolicyVersionRow {
    pub kind: String,
    pub version: String,
    pub effective_from: NaiveDate,
    /// The version as JSON.
    pub body: String,
    pub entered_at: DateTime<Utc>,
    pub entered_by: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ScreeningVisitRow {
    pub id: Uuid,
    pub donor_id: Uuid,
    pub site_id: Uuid,
    pub screened_on: NaiveDate,
    pub procedure: String,
    pub questionnaire_version: String,
    pub rule_version: String,
    pub answers_json: String,
    pub case_json: String,
    pub decision_json: String,
    pub eligible: bool,
    pub screened_at: DateTime<Utc>,
    pub screened_by: String,
}

const VISIT_COLUMNS: &str = "id, donor_id, site_id, screened_on, procedure, questionnaire_version, rule_version, answers_json, case_json, \
     decision_json, eligible, screened_at, screened_by";

impl Store {
    /// Stored versions of one kind, oldest effective date first.
    pub async fn policy_versions(&self, kind: &str) -> Result<Vec<PolicyVersionRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT kind, version, effective_from, body, entered_at, entered_by, reason FROM policy_versions WHERE kind = $1 ORDER BY effective_from")
            .bind(kind).fetch_all(p).await?))
    }

    /// How many versions of one kind are stored: a cheap check whether a cache is stale.
    pub async fn policy_version_count(&self, kind: &str) -> Result<i64> {
        Ok(on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM policy_versions WHERE kind = $1").bind(kind).fetch_one(p).await?))
    }

    pub async fn screening_visit(&self, id: Uuid) -> Result<Option<ScreeningVisitRow>> {
        let sql = format!("SELECT {VISIT_COLUMNS} FROM screening_visits WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// A donor's visits, newest first.
    pub async fn screening_visits_of(&self, donor_id: Uuid) -> Result<Vec<ScreeningVisitRow>> {
        let sql = format!("SELECT {VISIT_COLUMNS} FROM screening_visits WHERE donor_id = $1 ORDER BY screened_at DESC");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(donor_id).fetch_all(p).await?))
    }

    pub async fn donor_number_of(&self, donor_id: Uuid) -> Result<Option<String>> {
        Ok(on_pool!(self, p => sqlx::query_scalar("SELECT donor_number FROM donors WHERE id = $1").bind(donor_id).fetch_optional(p).await?))
    }

    /// The donation collected after a visit, if any.
    pub async fn donation_of_visit(&self, visit_id: Uuid) -> Result<Option<DonationRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, donor_id, din, procedure, site_id, collected_at FROM donations WHERE screening_visit_id = $1")
            .bind(visit_id).fetch_optional(p).await?))
    }
}

impl WriteTx {
    pub async fn insert_policy_version(&mut self, v: &PolicyVersionRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO policy_versions (kind, version, effective_from, body, entered_at, entered_by, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&v.kind).bind(&v.version).bind(v.effective_from).bind(&v.body).bind(v.entered_at).bind(&v.entered_by).bind(&v.reason)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn policy_versions(&mut self, kind: &str) -> Result<Vec<PolicyVersionRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT kind, version, effective_from, body, entered_at, entered_by, reason FROM policy_versions WHERE kind = $1 ORDER BY effective_from")
            .bind(kind).fetch_all(c).await?))
    }

    pub async fn insert_screening_visit(&mut self, v: &ScreeningVisitRow) -> Result<()> {
        let sql = format!("INSERT INTO screening_visits ({VISIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
        on_tx!(self, c => sqlx::query(&sql)
            .bind(v.id).bind(v.donor_id).bind(v.site_id).bind(v.screened_on).bind(&v.procedure).bind(&v.questionnaire_version)
            .bind(&v.rule_version).bind(&v.answers_json).bind(&v.case_json).bind(&v.decision_json).bind(v.eligible)
            .bind(v.screened_at).bind(&v.screened_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn screening_visit(&mut self, id: Uuid) -> Result<Option<ScreeningVisitRow>> {
        let sql = format!("SELECT {VISIT_COLUMNS} FROM screening_visits WHERE id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    /// Records a donation collected after a screening visit; a visit gives at most one
    /// donation (unique index), so a second collection fails as a duplicate.
    pub async fn insert_donation_after_screening(&mut self, d: &DonationRow, visit_id: Uuid) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO donations (id, donor_id, din, procedure, site_id, collected_at, screening_visit_id, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, 'collected')")
            .bind(d.id).bind(d.donor_id).bind(&d.din).bind(d.procedure.as_str()).bind(d.site_id).bind(d.collected_at).bind(visit_id)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}
