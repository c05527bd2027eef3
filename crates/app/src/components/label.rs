//! A unit's label, printed from its record alone.

use super::parse_din;
use crate::donor_facts::SiteClocks;
use crate::{Actor, App, AppError, Result};
use chrono::Utc;
use domain::catalog::ProductSpec;
use domain::{AuditDraft, FieldError, Permission};
use uuid::Uuid;

impl App {
    /// The label of a unit, from its record alone: DIN, product code, the donor's
    /// confirmed ABO/RhD, the expiry from the dating rules, the product in words. Only an
    /// existing unit that has not ended or expired, whose donor's group is confirmed, is
    /// labelled; the print is recorded with its audit record in the transaction that read
    /// the unit (locked on PostgreSQL) and the donor's blood group rows.
    pub async fn component_label(&self, actor: &Actor, din: &str, product_code: &str, format: &str) -> Result<domain::labeling::LabelValues> {
        use domain::labeling::{parse_blood_group, parse_date, parse_din as din_of, parse_expiry};
        actor.require(Permission::PrintLabels)?;
        if !["pdf", "svg", "zpl", "preview"].contains(&format) {
            return Err(FieldError::new("format", format!("'{format}' is not a label format; use pdf, svg or zpl")).into());
        }
        let din = parse_din(din)?;
        let tz = self.settings.time_zone;
        let mut tx = self.store.begin_write().await?;
        let unit = super::live_unit(&mut tx, &din, product_code, "label the unit made from it").await?;
        if unit.expires_at <= Utc::now() {
            return Err(AppError::Conflict(format!(
                "unit {din} {} expired at {}; an expired unit is not labelled",
                unit.product_code,
                self.local_time(unit.expires_at)
            )));
        }
        let donation_id =
            unit.donation_id.ok_or_else(|| AppError::Conflict("a pool is labelled with its own record; pools come with pooling".into()))?;
        let donation = tx
            .donation_by_id(donation_id)
            .await?
            .ok_or_else(|| AppError::Store(store::StoreError::Corrupt(format!("unit {din} has no donation"))))?;
        let locked = tx
            .lock_donor_family(store::DonorKey::Id(donation.donor_id))
            .await?
            .ok_or_else(|| AppError::Store(store::StoreError::Corrupt(format!("donation {din} has no donor"))))?;
        let dets = tx.determinations_of(&locked.family).await?;
        let res = tx.resolutions_of(&locked.family).await?;
        let (group, status) = crate::registry::typing::assessed_group(&locked.donor, &dets, &res);
        let group = match (group, status) {
            (Some(g), domain::typing::BloodGroupStatus::Confirmed) => g,
            (_, s) => {
                return Err(AppError::Conflict(format!(
                    "the donor's blood group is not confirmed ({}); a unit is labelled with a confirmed ABO/RhD only",
                    s.as_str().replace('_', " ")
                )))
            }
        };
        let clocks = SiteClocks::new(tz, &tx.list_sites().await?);
        let collected_day = clocks.donation_day(&donation);
        let code = isbt128::ProductCode::parse_content(&unit.product_code)
            .map_err(|e| AppError::Store(store::StoreError::Corrupt(format!("unit {din}: product code {}: {e}", unit.product_code))))?;
        let description: Vec<String> = match self.settings.catalog.get(code.pdc().as_str()) {
            Some(e) => e.description.split('|').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
            None => match ProductSpec::from_starter_code(code.pdc().as_str()) {
                Some(spec) => spec.description().split('|').map(str::to_string).collect(),
                None => vec![unit.kind.title().to_uppercase()],
            },
        };
        let mut description = description;
        if tx.releases_in_tx(unit.id).await?.last().is_some_and(|r| r.emergency) {
            // 21 CFR 610.40(g), 606.121(h): the label says the unit was not fully tested.
            description.push(crate::release::EMERGENCY_LABEL.into());
        }
        let expires_local = unit.expires_at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
        let values = domain::labeling::LabelValues {
            facility: self.settings.facility_name.clone(),
            din: din_of("din", &din)?,
            blood_groups: parse_blood_group("blood_group", &group.to_string())?,
            product: code,
            expiry: parse_expiry("expires_at", &expires_local)?,
            collected: Some(parse_date("collected_on", &collected_day.to_string())?),
            description,
        };
        let print = store::LabelPrintRow {
            id: Uuid::now_v7(),
            din: din.clone(),
            product_code: values.product.content(),
            blood_group: values.blood_groups.encode(),
            expires_at: expires_local,
            collected_on: Some(collected_day.to_string()),
            format: format.to_string(),
            donor_id: locked.donor.id,
            printed_by: actor.username.clone(),
            printed_at: store::now(),
        };
        tx.insert_label_print(&print).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "label.print", "component", unit.id).donor(&locked.donor.donor_number).after(
            serde_json::json!({
                "din": values.din.encode(), "blood_group": values.blood_groups.encode(), "product": values.product.encode(),
                "expiry": values.expiry.encode(), "format": format, "print": print.id, "from": "component record",
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(values)
    }
}
