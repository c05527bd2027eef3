//! Standing orders: a hospital's par level per product and group, topped up by a routine
//! order on its weekdays at its local time. The job runs every minute in `serve`; a run
//! per standing order and day is claimed by a unique key in the transaction that places
//! the order, so several servers place each order once.

use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Utc};
use domain::order::{line_words, parse_weekdays, standing_due, top_up, weekdays_text, Channel, Line, OrderFields, Priority, StandingInput};
use domain::{AccountStatus, AuditDraft, FieldError, Permission};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use store::{StandingOrderLine, StandingOrderRow};
use uuid::Uuid;

/// The actor the standing order job records.
pub const STANDING_JOB: &str = "system:standing-orders";

#[derive(Debug, Clone, Serialize)]
pub struct StandingView {
    pub id: Uuid,
    pub hospital_code: String,
    pub product: String,
    pub blood_group: Option<String>,
    pub par_level: i64,
    pub weekdays: String,
    pub time_of_day: String,
    pub active: bool,
    pub last_run_on: Option<chrono::NaiveDate>,
    pub last_note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndStandingInput {
    pub reason: String,
}

fn view(l: StandingOrderLine) -> StandingView {
    StandingView {
        id: l.row.id,
        hospital_code: l.hospital_code,
        product: l.row.product.title().to_string(),
        blood_group: l.row.blood_group,
        par_level: l.row.par_level,
        weekdays: l.row.weekdays.replace(',', ", "),
        time_of_day: l.row.time_of_day,
        active: l.ended_at.is_none(),
        last_run_on: l.last_run_on,
        last_note: l.last_note,
    }
}

impl App {
    /// Standing orders: every hospital's for staff, their own for a hospital user.
    pub async fn standing_orders(&self, actor: &Actor) -> Result<Vec<StandingView>> {
        let hospital = self.own_or_all(actor)?;
        Ok(self.store.standing_orders(hospital).await?.into_iter().map(view).collect())
    }

    pub async fn add_standing_order(&self, actor: &Actor, input: &StandingInput) -> Result<StandingView> {
        actor.require(Permission::ManageStandingOrders)?;
        let f = input.validate()?;
        let now = store::now();
        let mut tx = self.store.begin_write().await?;
        let code = input.hospital.trim().to_ascii_uppercase();
        let hospital = tx
            .hospital_by_code(&code)
            .await?
            .ok_or_else(|| AppError::from(FieldError::new("hospital", format!("no hospital account has the code '{}'", input.hospital.trim()))))?;
        if hospital.fields.status == AccountStatus::Closed {
            return Err(AppError::Conflict(format!("the account {code} is closed")));
        }
        let group = f.group.map(|g| g.to_string());
        let dup = tx
            .open_standing_orders_in_tx()
            .await?
            .into_iter()
            .any(|s| s.row.hospital_id == hospital.id && s.row.product == f.product && s.row.blood_group == group);
        if dup {
            return Err(AppError::Conflict(format!(
                "{code} has a standing order for {} {} already; end it first",
                group.clone().unwrap_or_else(|| "any group".into()),
                f.product.title().to_lowercase()
            )));
        }
        let row = StandingOrderRow {
            id: Uuid::now_v7(),
            hospital_id: hospital.id,
            product: f.product,
            blood_group: group,
            par_level: f.par_level,
            weekdays: weekdays_text(&f.weekdays),
            time_of_day: f.time_of_day.format("%H:%M").to_string(),
            created_at: now,
            created_by: actor.username.clone(),
        };
        tx.insert_standing_order(&row).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "standing_order.add", "standing_order", row.id).after(serde_json::json!({
            "hospital": code, "product": row.product.as_str(), "blood_group": row.blood_group, "par_level": row.par_level,
            "weekdays": row.weekdays, "time_of_day": row.time_of_day,
        })))
        .await?;
        let saved = tx.standing_order_in_tx(row.id).await?.ok_or_else(|| AppError::NotFound("the standing order is missing".into()))?;
        tx.commit().await?;
        Ok(view(saved))
    }

    pub async fn end_standing_order(&self, actor: &Actor, id: Uuid, input: &EndStandingInput) -> Result<StandingView> {
        actor.require(Permission::ManageStandingOrders)?;
        if input.reason.trim().is_empty() {
            return Err(FieldError::new("reason", "say why the standing order ends").into());
        }
        let mut tx = self.store.begin_write().await?;
        let s = tx.standing_order_in_tx(id).await?.ok_or_else(|| AppError::NotFound(format!("no standing order {id}")))?;
        if s.ended_at.is_some() {
            return Err(AppError::Conflict("the standing order has ended already".into()));
        }
        tx.end_standing_order(id, store::now(), &actor.username, input.reason.trim()).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "standing_order.end", "standing_order", id)
                .after(serde_json::json!({"ended": true}))
                .reason(Some(input.reason.trim().to_string())),
        )
        .await?;
        let saved = tx.standing_order_in_tx(id).await?.ok_or_else(|| AppError::NotFound("the standing order is missing".into()))?;
        tx.commit().await?;
        Ok(view(saved))
    }

    /// The job: places the routine orders whose standing orders are due at `now` (local
    /// weekday and time), one order per hospital with a line per product and group short
    /// of its par level. Returns the orders placed.
    pub async fn run_standing_orders(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let local = now.with_timezone(&self.settings.time_zone).naive_local();
        let today = local.date();
        let due: Vec<StandingOrderLine> = {
            let mut tx = self.store.begin_write().await?;
            tx.open_standing_orders_in_tx()
                .await?
                .into_iter()
                .filter(|s| s.last_run_on.is_none_or(|d| d < today))
                .filter(|s| {
                    chrono::NaiveTime::parse_from_str(&s.row.time_of_day, "%H:%M")
                        .is_ok_and(|t| standing_due(&parse_weekdays(&s.row.weekdays), t, local))
                })
                .collect()
        };
        let mut by_hospital: BTreeMap<Uuid, Vec<StandingOrderLine>> = BTreeMap::new();
        for s in due {
            by_hospital.entry(s.row.hospital_id).or_default().push(s);
        }
        let mut placed = vec![];
        for (hospital_id, standing) in by_hospital {
            if let Some(number) = self.run_standing_for_hospital(hospital_id, &standing, today, now).await? {
                placed.push(number);
            }
        }
        Ok(placed)
    }

    async fn run_standing_for_hospital(
        &self,
        hospital_id: Uuid,
        standing: &[StandingOrderLine],
        today: chrono::NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let mut tx = self.store.begin_write().await?;
        let Some(hospital) = tx.hospital(hospital_id).await? else { return Ok(None) };
        let mut lines = vec![];
        let mut notes = vec![];
        for s in standing {
            let on_shelf = tx.units_on_hospital_shelf(hospital_id, &s.row.product.kinds(), s.row.blood_group.as_deref()).await?;
            let need = top_up(s.row.par_level, on_shelf);
            notes.push(format!("{on_shelf} on the shelf, par {}, {need} ordered", s.row.par_level));
            if need > 0 {
                lines.push(Line {
                    product: s.row.product,
                    group: s.row.blood_group.as_deref().and_then(|g| domain::BloodGroup::parse(g).ok()),
                    quantity: need,
                    requirements: BTreeSet::new(),
                    antigens: vec![],
                    max_age_days: None,
                    substitution: true,
                });
            }
        }
        let mut order = None;
        if !lines.is_empty() {
            if hospital.fields.status == AccountStatus::Active {
                let fields = OrderFields {
                    priority: Priority::Standing,
                    due_at: Priority::Standing.default_due(now),
                    reference: "standing order".into(),
                    note: String::new(),
                    lines,
                };
                let o = self.write_order(&mut tx, STANDING_JOB, &hospital, &fields, Channel::Standing, now).await?;
                tracing::info!(order = %o.number, hospital = %hospital.fields.code.as_str(), lines = ?fields.lines.iter().map(line_words).collect::<Vec<_>>(), "standing order placed");
                order = Some(o);
            } else {
                for n in notes.iter_mut() {
                    n.push_str(" — not placed: the account is on hold");
                }
            }
        }
        for (s, note) in standing.iter().zip(&notes) {
            if !tx.claim_standing_run(s.row.id, today, now, order.as_ref().map(|o| o.id), note).await? {
                // Another server ran it first: this transaction (and its order) rolls back.
                return Ok(None);
            }
        }
        tx.commit().await?;
        Ok(order.map(|o| o.number))
    }
}
