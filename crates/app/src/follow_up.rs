//! The follow-up of a repeat-reactive result: the donor notification tasks (who was told,
//! how, when: 21 CFR 630.40) and the lookback cases with every earlier donation and where
//! its units are now.

use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{AuditDraft, FieldError, Permission};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How a donor may be told, in staff's words.
pub const METHODS: &[(&str, &str)] = &[
    ("letter", "Letter"),
    ("certified_letter", "Certified letter"),
    ("phone", "Telephone call"),
    ("in_person", "In person"),
    ("secure_message", "Secure message"),
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotificationTask {
    pub id: Uuid,
    pub donor_number: String,
    pub donor_name: String,
    pub din: Option<String>,
    pub reason: String,
    pub due_on: NaiveDate,
    /// Open and its due day has passed.
    pub overdue: bool,
    pub done: Option<NotificationDone>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotificationDone {
    pub method: String,
    pub note: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationInput {
    /// One of [`METHODS`].
    pub method: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookbackCase {
    pub id: Uuid,
    pub donor_number: String,
    /// The repeat-reactive donation.
    pub din: Option<String>,
    pub test: String,
    pub window_from: NaiveDate,
    pub review_due_on: NaiveDate,
    pub overdue: bool,
    pub opened_at: DateTime<Utc>,
    pub donations: Vec<LookbackDonation>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookbackDonation {
    pub din: Option<String>,
    pub collected_at: DateTime<Utc>,
    pub units: Vec<crate::components::ComponentView>,
}

fn method_title(code: &str) -> String {
    METHODS.iter().find(|(c, _)| *c == code).map_or_else(|| code.to_string(), |(_, t)| (*t).to_string())
}

impl App {
    /// Donor notification tasks: open ones first by due day (overdue marked), then done.
    pub async fn notification_tasks(&self, actor: &Actor, limit: i64) -> Result<Vec<NotificationTask>> {
        actor.require(Permission::ViewDonors)?;
        let today = self.today();
        Ok(self
            .store
            .notification_tasks(limit)
            .await?
            .into_iter()
            .map(|r| {
                let done = match (r.method, r.done_at, r.done_by) {
                    (Some(m), Some(at), Some(by)) => Some(NotificationDone { method: method_title(&m), note: r.note.unwrap_or_default(), at, by }),
                    _ => None,
                };
                NotificationTask {
                    id: r.task.id,
                    donor_number: r.donor_number,
                    donor_name: r.donor_name,
                    din: r.din,
                    reason: r.task.reason,
                    due_on: r.task.due_on,
                    overdue: done.is_none() && r.task.due_on < today,
                    done,
                }
            })
            .collect())
    }

    /// Records that the donor was told. Once only: a second record is refused, naming
    /// who told the donor and when.
    pub async fn record_notification(&self, actor: &Actor, id: Uuid, input: &NotificationInput) -> Result<NotificationTask> {
        actor.require(Permission::NotifyDonors)?;
        let method = input.method.trim();
        if !METHODS.iter().any(|(c, _)| *c == method) {
            return Err(FieldError::new(
                "method",
                format!("say how the donor was told: {}", METHODS.iter().map(|(_, t)| t.to_lowercase()).collect::<Vec<_>>().join(", ")),
            )
            .into());
        }
        if matches!(method, "phone" | "in_person") && input.note.trim().is_empty() {
            return Err(FieldError::new("note", "say who spoke with the donor and what was explained").into());
        }
        let mut tx = self.store.begin_write().await?;
        let task = tx.notification_task_in_tx(id).await?.ok_or_else(|| AppError::NotFound("no such notification task".into()))?;
        if let (Some(by), Some(at)) = (&task.done_by, task.done_at) {
            return Err(AppError::Conflict(format!("donor {} was notified already, by {by} at {}", task.donor_number, self.local_time(at))));
        }
        let outcome = store::NotificationOutcomeRow {
            notification_id: id,
            method: method.to_string(),
            note: input.note.trim().to_string(),
            done_at: store::now(),
            done_by: actor.username.clone(),
        };
        tx.insert_notification_outcome(&outcome).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "donor.notified", "donor_notification", id)
                .donor(&task.donor_number)
                .after(serde_json::json!({"reason": task.task.reason, "method": method, "note": outcome.note})),
        )
        .await?;
        tx.commit().await?;
        Ok(NotificationTask {
            id,
            donor_number: task.donor_number,
            donor_name: task.donor_name,
            din: task.din,
            reason: task.task.reason,
            due_on: task.task.due_on,
            overdue: false,
            done: Some(NotificationDone { method: method_title(method), note: outcome.note, at: outcome.done_at, by: outcome.done_by }),
        })
    }

    /// Lookback cases, newest first, each with its earlier donations and their units now.
    pub async fn lookback_cases(&self, actor: &Actor, limit: i64) -> Result<Vec<LookbackCase>> {
        actor.require(Permission::ViewDonors)?;
        let today = self.today();
        let mut out = Vec::new();
        for r in self.store.lookback_list(limit).await? {
            let mut donations = Vec::new();
            for d in self.store.lookback_donations(r.case.id).await? {
                let units = self.store.components_of_donation(d.id).await?.iter().map(crate::components::ComponentView::of).collect();
                donations.push(LookbackDonation { din: d.din, collected_at: d.collected_at, units });
            }
            let test = crate::testing::rule_of(&r.case.test_code, r.case.opened_at.date_naive())
                .map_or_else(|| r.case.test_code.clone(), |t| t.title.clone());
            out.push(LookbackCase {
                id: r.case.id,
                donor_number: r.donor_number,
                din: r.din,
                test,
                window_from: r.case.window_from,
                review_due_on: r.case.review_due_on,
                overdue: r.case.review_due_on < today,
                opened_at: r.case.opened_at,
                donations,
            });
        }
        Ok(out)
    }
}
