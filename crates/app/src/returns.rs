//! Units coming back from hospitals and what became of the others.
//!
//! A return is taken back only from the hospital that received the unit and within the
//! return window. Staff read its temperature on arrival: a unit outside the range its
//! product must keep in transport (21 CFR 600.15), or whose storage record at the
//! hospital does not show it stayed in range, is discarded on the spot with the reason. A returned unit waits for inspection: a pass puts it in quarantine, from
//! where the laboratory releases it again through the release gate (label scan and
//! signature), a fail discards it. Hospitals report the final disposition of every unit
//! they keep: transfused, wasted or expired.

use crate::components::batch::parse_unit_line;
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Utc};
use domain::component::ComponentKind;
use domain::component::ComponentState;
use domain::inventory::DiscardReason;
use domain::order::{return_discard_reason, return_too_late, Disposition, RETURN_READING_C};
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use store::{DispositionRow, InspectionRow, ReturnRow};
use uuid::Uuid;

/// A unit handed back by a hospital.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    /// The unit's DIN and product code as scanned.
    pub scan: String,
    /// The hospital's storage record shows the unit stayed in its temperature range.
    pub temperature_kept: bool,
    /// The unit's temperature read on arrival, °C.
    #[serde(default)]
    pub temperature_c: Option<f64>,
    #[serde(default)]
    pub note: String,
}

/// The inspection of a returned unit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectionInput {
    pub scan: String,
    /// Bag intact, no leak, no clots or haemolysis seen, label readable, segments present.
    pub passed: bool,
    #[serde(default)]
    pub note: String,
}

/// A hospital's report of what became of a unit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispositionInput {
    pub scan: String,
    pub disposition: String,
    /// When it happened; now when absent.
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReturnView {
    pub din: String,
    pub product_code: String,
    pub hospital_code: String,
    pub shipment: String,
    pub returned_at: DateTime<Utc>,
    pub returned_local: String,
    pub recorded_by: String,
    pub temperature_kept: bool,
    /// Read on arrival, °C (none on returns recorded before the reading was asked for).
    pub temperature_c: Option<f64>,
    pub note: String,
    /// In words: waiting for inspection, back in quarantine for release, discarded and why.
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DispositionView {
    pub din: String,
    pub product_code: String,
    pub hospital_code: String,
    pub disposition: String,
    pub title: &'static str,
    pub occurred_local: String,
    pub reported_by: String,
    pub note: String,
}

impl App {
    fn return_view(&self, l: &store::ReturnLine) -> ReturnView {
        let outcome = match (l.ret.outcome.as_str(), l.passed) {
            ("discarded", _) => {
                let why = l
                    .ret
                    .temperature_c
                    .zip(ComponentKind::parse(&l.component_kind).ok())
                    .and_then(|(c, k)| return_discard_reason(k, c, l.ret.temperature_kept));
                format!("discarded: {}", why.unwrap_or_else(|| "temperature not kept".into()))
            }
            (_, Some(true)) => format!("passed inspection ({}); in quarantine until released again", l.inspected_by.clone().unwrap_or_default()),
            (_, Some(false)) => format!("failed inspection: {}", l.inspection_note.clone().unwrap_or_default()),
            _ => "waiting for inspection".to_string(),
        };
        ReturnView {
            din: l.din.clone(),
            product_code: l.product_code.clone(),
            hospital_code: l.hospital_code.clone(),
            shipment: l.shipment_number.clone(),
            returned_at: l.ret.returned_at,
            returned_local: self.local_time(l.ret.returned_at),
            recorded_by: l.ret.recorded_by.clone(),
            temperature_kept: l.ret.temperature_kept,
            temperature_c: l.ret.temperature_c,
            note: l.ret.note.clone(),
            outcome,
        }
    }

    /// Returns, newest first: every hospital's for staff, their own for a hospital user.
    pub async fn returns(&self, actor: &Actor, limit: i64) -> Result<Vec<ReturnView>> {
        let hospital = self.own_or_all(actor)?;
        Ok(self.store.returns(hospital, limit).await?.iter().map(|l| self.return_view(l)).collect())
    }

    /// Dispositions reported, newest first: every hospital's for staff, their own for a hospital user.
    pub async fn dispositions(&self, actor: &Actor, limit: i64) -> Result<Vec<DispositionView>> {
        let hospital = self.own_or_all(actor)?;
        Ok(self
            .store
            .dispositions(hospital, limit)
            .await?
            .into_iter()
            .map(|d| {
                let kind = Disposition::parse(&d.row.disposition).unwrap_or(Disposition::Wasted);
                DispositionView {
                    din: d.din,
                    product_code: d.product_code,
                    hospital_code: d.hospital_code,
                    disposition: d.row.disposition.clone(),
                    title: kind.title(),
                    occurred_local: self.local_time(d.row.occurred_at),
                    reported_by: d.row.reported_by,
                    note: d.row.note,
                }
            })
            .collect())
    }

    /// Takes a unit back from the hospital it was shipped to. Past the return window the
    /// return is refused (the hospital keeps the unit); out of temperature it is discarded.
    pub async fn record_return(&self, actor: &Actor, input: &ReturnInput) -> Result<ReturnView> {
        actor.require(Permission::HandleReturns)?;
        let mut errors = FieldErrors::default();
        let unit_ref = errors.take(parse_unit_line(&input.scan).map_err(|m| FieldError::new("scan", m)));
        let reading = errors.take(match input.temperature_c {
            None => Err(FieldError::new("temperature_c", "give the temperature read on the unit as it came back (°C)")),
            Some(c) if !(RETURN_READING_C.0..=RETURN_READING_C.1).contains(&c) => {
                Err(FieldError::new("temperature_c", format!("{c} °C is not a reading a returned unit can have; read the thermometer again")))
            }
            Some(c) => Ok(c),
        });
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let (unit_ref, reading) = (unit_ref.expect("checked"), reading.expect("checked"));
        let words = format!("{} {}", unit_ref.din, unit_ref.product_code);
        let now = store::now();
        let mut tx = self.store.begin_write().await?;
        let unit = tx
            .component_for_update(&unit_ref.din, &unit_ref.product_code)
            .await?
            .ok_or_else(|| AppError::from(FieldError::new("scan", format!("no unit {words}"))))?;
        if unit.state != ComponentState::Shipped {
            return Err(AppError::Conflict(format!(
                "unit {words} is {}: only a unit shipped to a hospital comes back as a return",
                unit.state.title().to_lowercase()
            )));
        }
        let shipment = tx.last_shipment_of_unit_in_tx(unit.id).await?.ok_or_else(|| AppError::Conflict(format!("unit {words} has no shipment")))?;
        let shipped_at = shipment.shipped_at.unwrap_or(shipment.created_at);
        if let Some(why) = return_too_late(shipped_at, now, &self.settings.returns) {
            return Err(AppError::Conflict(format!("unit {words}: {why}")));
        }
        let hospital = tx.hospital(shipment.hospital_id).await?.map(|h| h.fields.code.as_str().to_string()).unwrap_or_default();
        let discard = return_discard_reason(unit.kind, reading, input.temperature_kept);
        let outcome = if discard.is_none() { "awaiting_inspection" } else { "discarded" };
        let row = ReturnRow {
            id: Uuid::now_v7(),
            component_id: unit.id,
            hospital_id: shipment.hospital_id,
            shipment_id: shipment.id,
            returned_at: now,
            recorded_by: actor.username.clone(),
            temperature_kept: input.temperature_kept,
            note: input.note.trim().to_string(),
            outcome: outcome.into(),
            temperature_c: Some(reading),
        };
        tx.insert_return(&row).await?;
        tx.add_component_state(
            unit.id,
            ComponentState::Returned,
            now,
            &actor.username,
            Some(&format!("returned by {hospital} from {}", shipment.number)),
        )
        .await?;
        if let Some(why) = &discard {
            let details = format!("returned by {hospital}; {why}");
            self.write_discard(&mut tx, &actor.username, &unit, DiscardReason::TemperatureExcursion, &details).await?;
        }
        tx.append_audit(
            AuditDraft::new(&actor.username, "component.return", "component", unit.id)
                .before(serde_json::json!({"state": "shipped", "consignee": hospital, "shipment": shipment.number}))
                .after(serde_json::json!({"state": if discard.is_none() { "returned" } else { "discarded" },
                    "temperature_kept": input.temperature_kept, "temperature_c": reading, "discarded_because": discard, "note": row.note})),
        )
        .await?;
        tx.commit().await?;
        let lines = self.store.returns(Some(shipment.hospital_id), 50).await?;
        let l = lines.iter().find(|l| l.ret.id == row.id).ok_or_else(|| AppError::NotFound("the return is missing".into()))?;
        Ok(self.return_view(l))
    }

    /// Inspects a returned unit: a pass puts it in quarantine for release through the gate
    /// again; a fail discards it with the reason.
    pub async fn inspect_return(&self, actor: &Actor, input: &InspectionInput) -> Result<ReturnView> {
        actor.require(Permission::HandleReturns)?;
        let unit_ref = parse_unit_line(&input.scan).map_err(|m| AppError::from(FieldError::new("scan", m)))?;
        if !input.passed && input.note.trim().is_empty() {
            return Err(FieldError::new("note", "say what the inspection found").into());
        }
        let words = format!("{} {}", unit_ref.din, unit_ref.product_code);
        let now = store::now();
        let mut tx = self.store.begin_write().await?;
        let unit = tx
            .component_for_update(&unit_ref.din, &unit_ref.product_code)
            .await?
            .ok_or_else(|| AppError::from(FieldError::new("scan", format!("no unit {words}"))))?;
        let ret = match (unit.state, tx.uninspected_return_in_tx(unit.id).await?) {
            (ComponentState::Returned, Some(r)) => r,
            _ => return Err(AppError::Conflict(format!("unit {words} is {}: no return waits for inspection", unit.state.title().to_lowercase()))),
        };
        tx.insert_inspection(&InspectionRow {
            return_id: ret.id,
            inspected_at: now,
            inspected_by: actor.username.clone(),
            passed: input.passed,
            note: input.note.trim().to_string(),
        })
        .await?;
        if input.passed {
            tx.add_component_state(
                unit.id,
                ComponentState::Quarantine,
                now,
                &actor.username,
                Some("return passed inspection; release again through the gate"),
            )
            .await?;
        } else {
            let details = format!("return failed inspection: {}", input.note.trim());
            self.write_discard(&mut tx, &actor.username, &unit, DiscardReason::FailedInspection, &details).await?;
        }
        tx.append_audit(
            AuditDraft::new(&actor.username, "component.inspect_return", "component", unit.id)
                .before(serde_json::json!({"state": "returned"}))
                .after(serde_json::json!({"passed": input.passed, "note": input.note.trim(),
                    "state": if input.passed { "quarantine" } else { "discarded" }})),
        )
        .await?;
        tx.commit().await?;
        let lines = self.store.returns(Some(ret.hospital_id), 50).await?;
        let l = lines.iter().find(|l| l.ret.id == ret.id).ok_or_else(|| AppError::NotFound("the return is missing".into()))?;
        Ok(self.return_view(l))
    }

    /// A hospital reports what became of a unit it received: only its own units, once.
    pub async fn report_disposition(&self, actor: &Actor, input: &DispositionInput) -> Result<DispositionView> {
        actor.require(Permission::ReportDispositions)?;
        let own = actor.hospital_id.ok_or_else(|| AppError::Forbidden("only a hospital's users report dispositions".into()))?;
        let unit_ref = parse_unit_line(&input.scan).map_err(|m| AppError::from(FieldError::new("scan", m)))?;
        let kind = Disposition::parse(&input.disposition).map_err(|m| AppError::from(FieldError::new("disposition", m)))?;
        let now = store::now();
        let occurred = input.occurred_at.unwrap_or(now);
        if occurred > now {
            return Err(FieldError::new("occurred_at", "the time is in the future").into());
        }
        let words = format!("{} {}", unit_ref.din, unit_ref.product_code);
        let never = || AppError::NotFound(format!("your hospital never received unit {words}"));
        let mut tx = self.store.begin_write().await?;
        let unit = tx.component_for_update(&unit_ref.din, &unit_ref.product_code).await?.ok_or_else(never)?;
        let shipment = tx.last_shipment_of_unit_in_tx(unit.id).await?.filter(|s| s.hospital_id == own).ok_or_else(never)?;
        if unit.state != ComponentState::Shipped {
            return Err(AppError::Conflict(format!("unit {words} is {}: its fate is recorded already", unit.state.title().to_lowercase())));
        }
        if shipment.shipped_at.is_some_and(|s| occurred < s) {
            return Err(FieldError::new("occurred_at", "that is before the unit left the centre").into());
        }
        let hospital = tx.hospital(own).await?.map(|h| h.fields.code.as_str().to_string()).unwrap_or_default();
        let row = DispositionRow {
            component_id: unit.id,
            hospital_id: own,
            disposition: kind.as_str().into(),
            occurred_at: occurred,
            reported_at: now,
            reported_by: actor.username.clone(),
            note: input.note.trim().to_string(),
        };
        tx.insert_disposition(&row).await?;
        let (state, words_state) = match kind {
            Disposition::Transfused => (ComponentState::Transfused, format!("transfused at {hospital}")),
            Disposition::Wasted => (ComponentState::Discarded, format!("wasted at {hospital}")),
            Disposition::Expired => (ComponentState::Discarded, format!("expired at {hospital}")),
        };
        tx.add_component_state(unit.id, state, now, &actor.username, Some(&words_state)).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "component.disposition", "component", unit.id)
                .before(serde_json::json!({"state": "shipped"}))
                .after(serde_json::json!({"disposition": kind.as_str(), "occurred_at": occurred, "note": row.note, "state": state.as_str()})),
        )
        .await?;
        tx.commit().await?;
        Ok(DispositionView {
            din: unit.din,
            product_code: unit.product_code,
            hospital_code: hospital,
            disposition: kind.as_str().into(),
            title: kind.title(),
            occurred_local: self.local_time(occurred),
            reported_by: actor.username.clone(),
            note: row.note,
        })
    }
}
