//! Weekly collection targets against expected collections.

use crate::{Actor, App, AppError, Result};
use chrono::{Duration, Utc};
use domain::{AuditDraft, BloodGroup, DonationProcedure, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::TargetRow;

/// Weeks of history behind the expected weekly collections.
pub const FORECAST_WEEKS: i64 = 8;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    /// e.g. O-
    pub blood_group: String,
    pub procedure: String,
    pub units_per_week: i64,
}

/// Target against expected collections for one blood group and procedure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeedView {
    pub blood_group: String,
    pub procedure: String,
    pub target_per_week: i64,
    /// Average weekly donations over the last 8 weeks.
    pub expected_per_week: f64,
    /// target − expected; positive is a shortfall.
    pub gap: f64,
    /// Days the stock of what this procedure makes lasts at the current demand (red
    /// cells for whole blood and double red cells, platelets, plasma), when known.
    pub days_of_supply: Option<f64>,
    /// Below the critical level of days of supply: recruit this group first.
    pub short: bool,
}

impl App {
    /// Sets the weekly target for one blood group and procedure (audited).
    pub async fn set_target(&self, actor: &Actor, input: &TargetInput) -> Result<NeedView> {
        actor.require(Permission::ManageRecruitment)?;
        let mut e = FieldErrors::default();
        let group = e.take(BloodGroup::parse(&input.blood_group));
        let procedure = e.take(DonationProcedure::parse(&input.procedure));
        if !(0..=100_000).contains(&input.units_per_week) {
            e.0.push(FieldError::new("units_per_week", "give 0 to 100000 units per week"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let (group, procedure) = (group.expect("checked"), procedure.expect("checked"));
        let mut tx = self.store.begin_write().await?;
        let before = tx.target(group, procedure).await?;
        let row = TargetRow {
            group: store::Group(group),
            procedure,
            units_per_week: input.units_per_week,
            updated_at: store::now(),
            updated_by: actor.username.clone(),
        };
        tx.set_target(&row).await?;
        let key = format!("{group} {}", procedure.as_str());
        let mut draft = AuditDraft::new(&actor.username, "recruitment.target", "recruitment_target", &key)
            .after(serde_json::json!({"units_per_week": row.units_per_week}));
        if let Some(b) = before {
            draft = draft.before(serde_json::json!({"units_per_week": b.units_per_week}));
        }
        tx.append_audit(draft).await?;
        tx.commit().await?;
        let needs = self.needs(actor).await?;
        Ok(needs.into_iter().find(|n| n.blood_group == group.to_string() && n.procedure == procedure.as_str()).expect("just set"))
    }

    /// Targets against expected weekly collections, biggest shortfall first. Expected =
    /// donations of that group and procedure over the last 8 weeks / 8.
    pub async fn needs(&self, actor: &Actor) -> Result<Vec<NeedView>> {
        actor.require(Permission::ViewRecruitment)?;
        let to = Utc::now();
        let from = to - Duration::weeks(FORECAST_WEEKS);
        let counts: HashMap<(String, String, String), i64> =
            self.store.donations_by_group(from, to).await?.into_iter().map(|(a, r, p, n)| ((a, r, p), n)).collect();
        // Days of supply of what each procedure makes feed the needs: the short groups first.
        let supply = self.supply_lines(to).await?;
        let supply_of = |group: &str, procedure: DonationProcedure| {
            use domain::inventory::ProductClass;
            let product = match procedure {
                DonationProcedure::WholeBlood | DonationProcedure::DoubleRedCells => ProductClass::RedCells,
                DonationProcedure::Platelets => ProductClass::Platelets,
                DonationProcedure::Plasma | DonationProcedure::SourcePlasma => ProductClass::Plasma,
                DonationProcedure::Autologous => return None,
            };
            supply.iter().find(|l| l.product == product && l.group == group)
        };
        let mut out: Vec<NeedView> = self
            .store
            .list_targets()
            .await?
            .into_iter()
            .map(|t| {
                let key = (t.group.0.abo_str().to_string(), t.group.0.rhd_str().to_string(), t.procedure.as_str().to_string());
                let n = counts.get(&key).copied().unwrap_or(0);
                let expected = (n as f64 / FORECAST_WEEKS as f64 * 10.0).round() / 10.0;
                let line = supply_of(&t.group.0.to_string(), t.procedure);
                NeedView {
                    days_of_supply: line.and_then(|l| l.days_of_supply).map(|d| (d * 10.0).round() / 10.0),
                    short: line.is_some_and(|l| l.critical),
                    blood_group: t.group.0.to_string(),
                    procedure: t.procedure.as_str().to_string(),
                    target_per_week: t.units_per_week,
                    expected_per_week: expected,
                    gap: ((t.units_per_week as f64 - expected) * 10.0).round() / 10.0,
                }
            })
            .collect();
        out.sort_by(|a, b| b.short.cmp(&a.short).then_with(|| b.gap.total_cmp(&a.gap)).then_with(|| a.blood_group.cmp(&b.blood_group)));
        Ok(out)
    }
}
