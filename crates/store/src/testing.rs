//! Donation testing, holds, donor notifications, lookback cases and releases: all
//! append-only. Reads that a decision depends on are on the write transaction.

use crate::{on_pool, on_tx, Backend, DeferralRow, DonationRow, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TestOrderRow {
    pub id: Uuid,
    pub donation_id: Uuid,
    pub test_code: String,
    pub title: String,
    pub rules_version: String,
    pub why: String,
    pub ordered_at: DateTime<Utc>,
    pub ordered_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TestResultRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub seq: i64,
    pub phase: String,
    pub value: String,
    pub status_after: String,
    pub entered_at: DateTime<Utc>,
    pub entered_by: String,
    pub source: String,
    pub import_key: Option<String>,
}

/// The latest status of a donor's earlier test (for once-per-donor and interval orders).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PriorTestRow {
    pub test_code: String,
    pub collected_at: DateTime<Utc>,
    pub status_after: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HoldRow {
    pub id: Uuid,
    pub component_id: Uuid,
    pub kind: String,
    pub reason: String,
    pub source_id: Option<Uuid>,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    pub donor_id: Uuid,
    pub donation_id: Option<Uuid>,
    pub reason: String,
    pub due_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LookbackCaseRow {
    pub id: Uuid,
    pub donor_id: Uuid,
    pub donation_id: Uuid,
    pub test_code: String,
    pub window_from: NaiveDate,
    pub review_due_on: NaiveDate,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReleaseRow {
    pub id: Uuid,
    pub component_id: Uuid,
    pub released_at: DateTime<Utc>,
    pub signer: String,
    pub meaning: String,
    pub emergency: bool,
    pub physician: Option<String>,
    pub physician_meaning: Option<String>,
    pub scanned: String,
    /// The ABO/RhD of the label scanned at release.
    pub blood_group: Option<String>,
}

const RESULT_COLUMNS: &str = "r.id, r.order_id, r.seq, r.phase, r.value, r.status_after, r.entered_at, r.entered_by, r.source, r.import_key";
pub(crate) const OPEN_HOLDS: &str = "SELECT h.id, h.component_id, h.kind, h.reason, h.source_id, h.opened_at, h.opened_by FROM component_holds h \
     WHERE NOT EXISTS (SELECT 1 FROM component_hold_lifts l WHERE l.hold_id = h.id)";

impl Store {
    pub async fn test_orders_of(&self, donation_id: Uuid) -> Result<Vec<TestOrderRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM test_orders WHERE donation_id = $1 ORDER BY ordered_at, test_code")
            .bind(donation_id).fetch_all(p).await?))
    }

    pub async fn test_results_of(&self, donation_id: Uuid) -> Result<Vec<TestResultRow>> {
        let sql = format!("SELECT {RESULT_COLUMNS} FROM test_results r JOIN test_orders o ON o.id = r.order_id WHERE o.donation_id = $1 ORDER BY r.entered_at, r.seq");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(donation_id).fetch_all(p).await?))
    }

    pub async fn open_holds_of(&self, component_id: Uuid) -> Result<Vec<HoldRow>> {
        let sql = format!("{OPEN_HOLDS} AND h.component_id = $1 ORDER BY h.opened_at");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(component_id).fetch_all(p).await?))
    }

    pub async fn count_emergency_releases(&self) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, p => sqlx::query_as("SELECT COUNT(*) FROM component_releases WHERE emergency").fetch_one(p).await?);
        Ok(n)
    }

    pub async fn releases_of(&self, component_id: Uuid) -> Result<Vec<ReleaseRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM component_releases WHERE component_id = $1 ORDER BY released_at")
            .bind(component_id).fetch_all(p).await?))
    }

    pub async fn notifications_of(&self, donor_id: Uuid) -> Result<Vec<NotificationRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM donor_notifications WHERE donor_id = $1 ORDER BY created_at")
            .bind(donor_id).fetch_all(p).await?))
    }

    pub async fn lookback_cases_of(&self, donation_id: Uuid) -> Result<Vec<LookbackCaseRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM lookback_cases WHERE donation_id = $1 ORDER BY opened_at")
            .bind(donation_id).fetch_all(p).await?))
    }

    /// The DINs of the donations a lookback case looks at, oldest first.
    pub async fn lookback_dins(&self, case_id: Uuid) -> Result<Vec<String>> {
        let rows: Vec<(Option<String>,)> = on_pool!(self, p => sqlx::query_as(
            "SELECT d.din FROM lookback_donations l JOIN donations d ON d.id = l.donation_id WHERE l.case_id = $1 ORDER BY d.collected_at")
            .bind(case_id).fetch_all(p).await?);
        Ok(rows.into_iter().filter_map(|r| r.0).collect())
    }
}

impl WriteTx {
    pub async fn insert_test_order(&mut self, o: &TestOrderRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO test_orders (id, donation_id, test_code, title, rules_version, why, ordered_at, ordered_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(o.id).bind(o.donation_id).bind(&o.test_code).bind(&o.title).bind(&o.rules_version).bind(&o.why).bind(o.ordered_at).bind(&o.ordered_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// The donation's orders, read in the transaction (the donation row is locked by the caller).
    pub async fn test_orders_in_tx(&mut self, donation_id: Uuid) -> Result<Vec<TestOrderRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM test_orders WHERE donation_id = $1 ORDER BY ordered_at, test_code")
            .bind(donation_id).fetch_all(c).await?))
    }

    pub async fn test_results_in_tx(&mut self, donation_id: Uuid) -> Result<Vec<TestResultRow>> {
        let sql =
            format!("SELECT {RESULT_COLUMNS} FROM test_results r JOIN test_orders o ON o.id = r.order_id WHERE o.donation_id = $1 ORDER BY r.seq");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(donation_id).fetch_all(c).await?))
    }

    pub async fn insert_test_result(&mut self, r: &TestResultRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO test_results (id, order_id, seq, phase, value, status_after, entered_at, entered_by, source, import_key) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(r.id).bind(r.order_id).bind(r.seq).bind(&r.phase).bind(&r.value).bind(&r.status_after).bind(r.entered_at)
            .bind(&r.entered_by).bind(&r.source).bind(&r.import_key)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn import_key_taken(&mut self, key: &str) -> Result<bool> {
        let n: Option<(Uuid,)> =
            on_tx!(self, c => sqlx::query_as("SELECT id FROM test_results WHERE import_key = $1").bind(key).fetch_optional(c).await?);
        Ok(n.is_some())
    }

    /// The latest status of every earlier test of these donors.
    pub async fn prior_tests(&mut self, donor_ids: &[Uuid]) -> Result<Vec<PriorTestRow>> {
        self.fetch_for_ids(
            "SELECT o.test_code, d.collected_at, r.status_after FROM test_orders o JOIN donations d ON d.id = o.donation_id \
             JOIN test_results r ON r.order_id = o.id AND r.seq = (SELECT MAX(x.seq) FROM test_results x WHERE x.order_id = o.id) \
             WHERE d.donor_id IN ({ids}) ORDER BY d.collected_at",
            donor_ids,
        )
        .await
    }

    pub async fn donations_of_family(&mut self, donor_ids: &[Uuid]) -> Result<Vec<DonationRow>> {
        self.fetch_for_ids(
            "SELECT id, donor_id, din, procedure, site_id, collected_at FROM donations WHERE donor_id IN ({ids}) ORDER BY collected_at",
            donor_ids,
        )
        .await
    }

    pub async fn deferrals_of_family(&mut self, donor_ids: &[Uuid]) -> Result<Vec<DeferralRow>> {
        self.fetch_for_ids(&format!("{} WHERE d.donor_id IN ({{ids}}) ORDER BY d.entered_at DESC", crate::donors::DEFERRAL_SELECT), donor_ids).await
    }

    /// The donation's units, their rows locked on PostgreSQL.
    pub async fn components_of_donation_for_update(&mut self, donation_id: Uuid) -> Result<Vec<crate::ComponentRow>> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT id FROM components WHERE donation_id = $1 ORDER BY id FOR UPDATE")
                .bind(donation_id).execute(c).await?.rows_affected());
        }
        self.components_of_donation_in_tx(donation_id).await
    }

    pub async fn insert_hold(&mut self, h: &HoldRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO component_holds (id, component_id, kind, reason, source_id, opened_at, opened_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(h.id).bind(h.component_id).bind(&h.kind).bind(&h.reason).bind(h.source_id).bind(h.opened_at).bind(&h.opened_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn open_holds_in_tx(&mut self, component_id: Uuid) -> Result<Vec<HoldRow>> {
        let sql = format!("{OPEN_HOLDS} AND h.component_id = $1 ORDER BY h.opened_at");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(component_id).fetch_all(c).await?))
    }

    pub async fn lift_hold(&mut self, hold_id: Uuid, at: DateTime<Utc>, by: &str, reason: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO component_hold_lifts (hold_id, lifted_at, lifted_by, reason) VALUES ($1, $2, $3, $4)")
            .bind(hold_id).bind(at).bind(by).bind(reason).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_notification(&mut self, n: &NotificationRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO donor_notifications (id, donor_id, donation_id, reason, due_on, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(n.id).bind(n.donor_id).bind(n.donation_id).bind(&n.reason).bind(n.due_on).bind(n.created_at).bind(&n.created_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_lookback_case(&mut self, l: &LookbackCaseRow, donations: &[Uuid]) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO lookback_cases (id, donor_id, donation_id, test_code, window_from, review_due_on, opened_at, opened_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(l.id).bind(l.donor_id).bind(l.donation_id).bind(&l.test_code).bind(l.window_from).bind(l.review_due_on).bind(l.opened_at).bind(&l.opened_by)
            .execute(c).await?.rows_affected());
        for d in donations {
            on_tx!(self, c => sqlx::query("INSERT INTO lookback_donations (case_id, donation_id) VALUES ($1, $2)").bind(l.id).bind(*d).execute(c).await?.rows_affected());
        }
        Ok(())
    }

    pub async fn insert_release(&mut self, r: &ReleaseRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO component_releases (id, component_id, released_at, signer, meaning, emergency, physician, physician_meaning, scanned, blood_group) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(r.id).bind(r.component_id).bind(r.released_at).bind(&r.signer).bind(&r.meaning).bind(r.emergency).bind(&r.physician)
            .bind(&r.physician_meaning).bind(&r.scanned).bind(&r.blood_group)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn releases_in_tx(&mut self, component_id: Uuid) -> Result<Vec<ReleaseRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM component_releases WHERE component_id = $1 ORDER BY released_at")
            .bind(component_id).fetch_all(c).await?))
    }
}
