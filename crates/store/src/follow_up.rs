//! The follow-up of a reactive result: donor notification tasks with their outcome, and
//! the lookback cases with their earlier donations.

use crate::{on_pool, on_tx, LookbackCaseRow, NotificationRow, Result, Store, WriteTx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NotificationOutcomeRow {
    pub notification_id: Uuid,
    pub method: String,
    pub note: String,
    pub done_at: DateTime<Utc>,
    pub done_by: String,
}

/// A notification task with its donor and outcome, for the list.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NotificationTaskRow {
    #[sqlx(flatten)]
    pub task: NotificationRow,
    pub donor_number: String,
    pub donor_name: String,
    pub din: Option<String>,
    pub method: Option<String>,
    pub note: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
}

/// A lookback case with its donor and the reactive donation's DIN.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LookbackListRow {
    #[sqlx(flatten)]
    pub case: LookbackCaseRow,
    pub donor_number: String,
    pub din: Option<String>,
}

const TASKS: &str = "SELECT n.*, d.donor_number, d.last_name || ', ' || d.first_name AS donor_name, dn.din, \
     o.method, o.note, o.done_at, o.done_by FROM donor_notifications n JOIN donors d ON d.id = n.donor_id \
     LEFT JOIN donations dn ON dn.id = n.donation_id LEFT JOIN donor_notification_outcomes o ON o.notification_id = n.id";

impl Store {
    /// Notification tasks, open ones first by due date, then the done ones newest first.
    pub async fn notification_tasks(&self, limit: i64) -> Result<Vec<NotificationTaskRow>> {
        let sql = format!("{TASKS} ORDER BY (o.done_at IS NOT NULL), n.due_on, o.done_at DESC LIMIT $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(limit).fetch_all(p).await?))
    }

    pub async fn lookback_list(&self, limit: i64) -> Result<Vec<LookbackListRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT l.*, d.donor_number, dn.din FROM lookback_cases l JOIN donors d ON d.id = l.donor_id \
             JOIN donations dn ON dn.id = l.donation_id ORDER BY l.opened_at DESC LIMIT $1")
            .bind(limit).fetch_all(p).await?))
    }

    /// The earlier donations of a lookback case, oldest first.
    pub async fn lookback_donations(&self, case_id: Uuid) -> Result<Vec<crate::DonationRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT d.id, d.donor_id, d.din, d.procedure, d.site_id, d.collected_at FROM lookback_donations l \
             JOIN donations d ON d.id = l.donation_id WHERE l.case_id = $1 ORDER BY d.collected_at")
            .bind(case_id).fetch_all(p).await?))
    }
}

impl WriteTx {
    /// The task and whether it is done, read in the transaction that records its outcome.
    pub async fn notification_task_in_tx(&mut self, id: Uuid) -> Result<Option<NotificationTaskRow>> {
        let sql = format!("{TASKS} WHERE n.id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    pub async fn insert_notification_outcome(&mut self, o: &NotificationOutcomeRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO donor_notification_outcomes (notification_id, method, note, done_at, done_by) VALUES ($1, $2, $3, $4, $5)")
            .bind(o.notification_id).bind(&o.method).bind(&o.note).bind(o.done_at).bind(&o.done_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}
