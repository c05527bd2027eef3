//! The procedure record at the bedside: the nurse booked keeps it (a draft until signed),
//! scans the plasma units given from the centre's own stock (each becomes transfused to
//! this patient, the hospital its consignee), and signs it with their password. A signed
//! record is never edited: it gains amendments with the reason, and the physician's note.
//! When every booked treatment of a request is signed, the request is completed.

use crate::apheresis::{treatment_view, RequestView, TreatmentView};
use crate::apheresis_schedule::local_to_utc;
use crate::components::batch::parse_unit_line;
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Utc};
use domain::apheresis::record::{parse_local, RecordFields, RecordInput, AMENDABLE};
use domain::apheresis::request::RequestState;
use domain::component::ComponentState;
use domain::inventory::ProductClass;
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use store::{AmendmentRow, ProcedureRow};
use uuid::Uuid;

/// Clocks differ: an end this many minutes ahead of the server's is still taken.
pub const FUTURE_GRACE_MINUTES: i64 = 10;

/// What the nurse's signature means.
pub const NURSE_MEANING: &str = "performed the procedure and recorded it";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlasmaScanInput {
    /// The unit's DIN and product code as scanned.
    pub scan: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInput {
    pub password: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmendInput {
    pub field: String,
    pub value: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhysicianNoteInput {
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    /// Values as amended.
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub processed_ml: i64,
    pub removed_ml: i64,
    pub albumin_ml: i64,
    pub saline_ml: i64,
    pub vitals_before: String,
    pub vitals_after: String,
    pub adverse_events: String,
    pub note: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub signed_at: Option<DateTime<Utc>>,
    pub signed_by: Option<String>,
    pub signature_meaning: Option<String>,
    pub physician_note: Option<String>,
    pub physician_by: Option<String>,
    pub physician_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlasmaView {
    pub din: String,
    pub product_code: String,
    pub scanned_at: DateTime<Utc>,
    pub scanned_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AmendmentView {
    pub field: String,
    pub before: String,
    pub after: String,
    pub reason: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProcedureView {
    pub treatment: TreatmentView,
    pub request: RequestView,
    pub record: Option<RecordView>,
    pub plasma: Vec<PlasmaView>,
    pub amendments: Vec<AmendmentView>,
}

/// A stored value as an amendment shows it.
fn field_value(r: &ProcedureRow, field: &str, tz: chrono_tz::Tz) -> String {
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
    match field {
        "started_at" => local(r.started_at),
        "ended_at" => local(r.ended_at),
        "processed_ml" => r.processed_ml.to_string(),
        "removed_ml" => r.removed_ml.to_string(),
        "albumin_ml" => r.albumin_ml.to_string(),
        "saline_ml" => r.saline_ml.to_string(),
        "vitals_before" => r.vitals_before.clone(),
        "vitals_after" => r.vitals_after.clone(),
        "adverse_events" => r.adverse_events.clone(),
        _ => r.note.clone(),
    }
}

/// The record with its amendments applied, in order.
fn amended(mut r: ProcedureRow, amendments: &[AmendmentRow], tz: chrono_tz::Tz) -> ProcedureRow {
    for a in amendments {
        let v = a.after_value.as_str();
        let num = || v.parse::<i64>().unwrap_or_default();
        let at = || parse_local("value", v).map(|t| local_to_utc(tz, t)).ok();
        match a.field.as_str() {
            "started_at" => r.started_at = at().unwrap_or(r.started_at),
            "ended_at" => r.ended_at = at().unwrap_or(r.ended_at),
            "processed_ml" => r.processed_ml = num(),
            "removed_ml" => r.removed_ml = num(),
            "albumin_ml" => r.albumin_ml = num(),
            "saline_ml" => r.saline_ml = num(),
            "vitals_before" => r.vitals_before = v.to_string(),
            "vitals_after" => r.vitals_after = v.to_string(),
            "adverse_events" => r.adverse_events = v.to_string(),
            _ => r.note = v.to_string(),
        }
    }
    r
}

fn record_view(r: ProcedureRow) -> RecordView {
    RecordView {
        started_at: r.started_at,
        ended_at: r.ended_at,
        processed_ml: r.processed_ml,
        removed_ml: r.removed_ml,
        albumin_ml: r.albumin_ml,
        saline_ml: r.saline_ml,
        vitals_before: r.vitals_before,
        vitals_after: r.vitals_after,
        adverse_events: r.adverse_events,
        note: r.note,
        recorded_at: r.recorded_at,
        recorded_by: r.recorded_by,
        signed_at: r.signed_at,
        signed_by: r.signed_by,
        signature_meaning: r.signature_meaning,
        physician_note: r.physician_note,
        physician_by: r.physician_by,
        physician_at: r.physician_at,
    }
}

impl App {
    /// One treatment with its request and record, for those who may see the request.
    pub async fn apheresis_procedure(&self, actor: &Actor, treatment_id: Uuid) -> Result<ProcedureView> {
        let line = self.store.treatment_line(treatment_id).await?.ok_or_else(|| AppError::NotFound(format!("no treatment {treatment_id}")))?;
        let detail = self.apheresis_request(actor, &line.request_number).await?;
        let tz = self.settings.time_zone;
        let (record, plasma, amendments) = match self.store.procedure_of_treatment(treatment_id).await? {
            None => (None, vec![], vec![]),
            Some(p) => {
                let am = self.store.procedure_amendments(p.id).await?;
                let plasma = self
                    .store
                    .plasma_given(p.id)
                    .await?
                    .into_iter()
                    .map(|g| PlasmaView { din: g.din, product_code: g.product_code, scanned_at: g.scanned_at, scanned_by: g.scanned_by })
                    .collect();
                let views = am
                    .iter()
                    .map(|a| AmendmentView {
                        field: AMENDABLE.iter().find(|(f, _)| *f == a.field).map(|(_, w)| w.to_string()).unwrap_or_else(|| a.field.clone()),
                        before: a.before_value.clone(),
                        after: a.after_value.clone(),
                        reason: a.reason.clone(),
                        at: a.amended_at,
                        by: a.amended_by.clone(),
                    })
                    .collect();
                (Some(record_view(amended(p, &am, tz))), plasma, views)
            }
        };
        Ok(ProcedureView { treatment: treatment_view(line), request: detail.request, record, plasma, amendments })
    }

    /// The treatment, locked, and the booked nurse's check: only they keep its record.
    async fn nurses_treatment(&self, tx: &mut store::WriteTx, actor: &Actor, treatment_id: Uuid) -> Result<store::TreatmentRow> {
        actor.require(Permission::RecordProcedures)?;
        let t = tx.treatment_for_update(treatment_id).await?.ok_or_else(|| AppError::NotFound(format!("no treatment {treatment_id}")))?;
        let nurse = tx.apheresis_nurse_by_username_in_tx(&actor.username).await?;
        if nurse.is_none_or(|n| n.id != t.nurse_id) {
            return Err(AppError::Forbidden("only the nurse booked on this treatment keeps its record".into()));
        }
        if let Some(kind) = &t.end_kind {
            return Err(AppError::Conflict(format!("this treatment was {kind}; it has no procedure to record")));
        }
        Ok(t)
    }

    /// Saves the record as it stands (a draft until signed); a signed record is refused.
    pub async fn save_procedure(&self, actor: &Actor, treatment_id: Uuid, input: &RecordInput) -> Result<ProcedureView> {
        let f: RecordFields = input.validate()?;
        let tz = self.settings.time_zone;
        let now = store::now();
        // A record tells what happened: a procedure that has not ended is not recorded yet.
        if local_to_utc(tz, f.ended_at) > now + chrono::Duration::minutes(FUTURE_GRACE_MINUTES) {
            return Err(FieldError::new("ended_at", "is in the future: record the procedure once it has ended, with the times it ran").into());
        }
        let mut tx = self.store.begin_write().await?;
        let t = self.nurses_treatment(&mut tx, actor, treatment_id).await?;
        let existing = tx.procedure_of_treatment_in_tx(t.id).await?;
        if existing.as_ref().is_some_and(|p| p.signed_at.is_some()) {
            return Err(AppError::Conflict("the procedure is signed: it cannot be edited, only amended with the reason".into()));
        }
        let row = ProcedureRow {
            id: existing.as_ref().map(|p| p.id).unwrap_or_else(Uuid::now_v7),
            treatment_id: t.id,
            started_at: local_to_utc(tz, f.started_at),
            ended_at: local_to_utc(tz, f.ended_at),
            processed_ml: f.processed_ml,
            removed_ml: f.removed_ml,
            albumin_ml: f.albumin_ml,
            saline_ml: f.saline_ml,
            vitals_before: f.vitals_before,
            vitals_after: f.vitals_after,
            adverse_events: f.adverse_events,
            note: f.note,
            recorded_at: now,
            recorded_by: actor.username.clone(),
            signed_at: None,
            signed_by: None,
            signature_meaning: None,
            physician_note: None,
            physician_by: None,
            physician_at: None,
        };
        if existing.is_some() {
            tx.update_procedure_draft(&row).await?;
        } else {
            tx.insert_procedure(&row).await?;
        }
        tx.append_audit(AuditDraft::new(&actor.username, "apheresis_procedure.record", "apheresis_procedure", row.id).after(serde_json::json!({
            "treatment": t.id, "processed_ml": row.processed_ml, "removed_ml": row.removed_ml, "albumin_ml": row.albumin_ml,
            "saline_ml": row.saline_ml, "adverse_events": !row.adverse_events.is_empty(),
        })))
        .await?;
        tx.commit().await?;
        self.apheresis_procedure(actor, treatment_id).await
    }

    /// Scans a plasma unit given in the procedure: released, in stock, unexpired, without
    /// a hold, passing the gate. It becomes transfused to this patient.
    pub async fn give_plasma(&self, actor: &Actor, treatment_id: Uuid, input: &PlasmaScanInput) -> Result<ProcedureView> {
        let unit_ref = parse_unit_line(&input.scan).map_err(|m| AppError::from(FieldError::new("scan", m)))?;
        let now = store::now();
        let mut tx = self.store.begin_write().await?;
        let t = self.nurses_treatment(&mut tx, actor, treatment_id).await?;
        let p = tx
            .procedure_of_treatment_in_tx(t.id)
            .await?
            .ok_or_else(|| AppError::Conflict("save the record of the procedure before scanning the plasma given".into()))?;
        if p.signed_at.is_some() {
            return Err(AppError::Conflict("the procedure is signed: no unit can be added".into()));
        }
        let words = format!("{} {}", unit_ref.din, unit_ref.product_code);
        let unit = tx
            .candidate_for_update(&unit_ref.din, &unit_ref.product_code)
            .await?
            .ok_or_else(|| AppError::from(FieldError::new("scan", format!("no unit {words}"))))?
            .unit;
        if ProductClass::of(unit.kind) != ProductClass::Plasma {
            return Err(FieldError::new("scan", format!("unit {words} is {}, not plasma", unit.kind.title().to_lowercase())).into());
        }
        let mut refusals = vec![];
        match unit.state {
            ComponentState::Available => {}
            ComponentState::InProcessing | ComponentState::Quarantine => refusals.push("it is not released".to_string()),
            other => refusals.push(format!("it is not in stock ({})", other.title().to_lowercase())),
        }
        if unit.expires_at <= now {
            refusals.push("it has expired".into());
        }
        if tx.open_hold_counts_in_tx(&[unit.id]).await?.iter().any(|(_, n)| *n > 0) {
            refusals.push("it is on hold".into());
        }
        if refusals.is_empty() {
            for r in crate::release::leaving_refusals(self, &mut tx, &unit).await? {
                refusals.push(r.reason);
            }
        }
        if !refusals.is_empty() {
            return Err(FieldError::new("scan", format!("unit {words} may not be given: {}", refusals.join("; "))).into());
        }
        let request = tx.apheresis_request_by_id_in_tx(t.request_id).await?.ok_or_else(|| AppError::NotFound("the request is missing".into()))?;
        let scanned = input.scan.split_whitespace().collect::<Vec<_>>().join(" ");
        tx.insert_plasma_given(p.id, unit.id, &scanned, now, &actor.username).await?;
        tx.add_component_state(
            unit.id,
            ComponentState::Transfused,
            now,
            &actor.username,
            Some(&format!("given in apheresis {} at {}", request.number, t.place)),
        )
        .await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "apheresis_procedure.plasma", "apheresis_procedure", p.id)
                .after(serde_json::json!({"din": unit.din, "product_code": unit.product_code, "request": request.number, "hospital": t.place})),
        )
        .await?;
        tx.commit().await?;
        self.apheresis_procedure(actor, treatment_id).await
    }

    /// Signs the record with the nurse's password; the request completes with its last
    /// treatment signed.
    pub async fn sign_procedure(&self, actor: &Actor, treatment_id: Uuid, input: &SignInput) -> Result<ProcedureView> {
        if input.password.is_empty() || !self.password_is(&actor.username, &input.password).await? {
            return Err(FieldError::new("password", "the password is not right; the record is not signed").into());
        }
        let now = store::now();
        let mut tx = self.store.begin_write().await?;
        let t = self.nurses_treatment(&mut tx, actor, treatment_id).await?;
        let p = tx.procedure_of_treatment_in_tx(t.id).await?.ok_or_else(|| AppError::Conflict("there is no record to sign yet".into()))?;
        if p.signed_at.is_some() {
            return Err(AppError::Conflict("the procedure is signed already".into()));
        }
        tx.sign_procedure(p.id, now, &actor.username, NURSE_MEANING).await?;
        let r = crate::apheresis::locked_request_by_id(&mut tx, t.request_id).await?;
        if tx.unsigned_treatments_of_request(t.request_id).await? == 0 && r.state == RequestState::Scheduled {
            tx.add_apheresis_request_state(t.request_id, RequestState::Completed, now, &actor.username, "every treatment done and signed").await?;
        }
        tx.append_audit(
            AuditDraft::new(&actor.username, "apheresis_procedure.sign", "apheresis_procedure", p.id)
                .after(serde_json::json!({"signer": actor.username, "meaning": NURSE_MEANING, "request": r.request.number})),
        )
        .await?;
        tx.commit().await?;
        self.apheresis_procedure(actor, treatment_id).await
    }

    /// Amends one field of a signed record, with the reason: the nurse who signed it or a
    /// coordinator. The old value stays in the amendment.
    pub async fn amend_procedure(&self, actor: &Actor, treatment_id: Uuid, input: &AmendInput) -> Result<ProcedureView> {
        if !actor.can(Permission::RecordProcedures) && !actor.can(Permission::ManageApheresis) {
            actor.require(Permission::RecordProcedures)?;
        }
        let mut e = FieldErrors::default();
        let field = input.field.trim();
        if !AMENDABLE.iter().any(|(f, _)| *f == field) {
            e.0.push(FieldError::new("field", format!("'{field}' is not a field of the record that can be amended")));
        }
        let reason = e.take(domain::validation::required_text("reason", &input.reason, 500));
        let value = input.value.trim().to_string();
        // The new value passes the same checks as the record's.
        let probe = |f: &str| {
            let mut r = RecordInput {
                started_at: "2000-01-01T08:00".into(),
                ended_at: "2000-01-01T09:00".into(),
                vitals_before: "-".into(),
                vitals_after: "-".into(),
                ..Default::default()
            };
            let n = value.parse::<i64>().unwrap_or(-1);
            match f {
                "started_at" => r.started_at = value.clone(),
                "ended_at" => r.ended_at = value.clone(),
                "processed_ml" => r.processed_ml = n,
                "removed_ml" => r.removed_ml = n,
                "albumin_ml" => r.albumin_ml = n,
                "saline_ml" => r.saline_ml = n,
                "vitals_before" => r.vitals_before = value.clone(),
                "vitals_after" => r.vitals_after = value.clone(),
                "adverse_events" => r.adverse_events = value.clone(),
                _ => r.note = value.clone(),
            }
            r.validate().err().and_then(|errs| {
                errs.0.into_iter().find(|x| x.field == f && !matches!(f, "started_at" | "ended_at")).or_else(|| {
                    (matches!(f, "started_at" | "ended_at") && parse_local("value", &value).is_err())
                        .then(|| FieldError::new("value", "give YYYY-MM-DDTHH:MM"))
                })
            })
        };
        if e.is_empty() {
            if let Some(x) = probe(field) {
                e.0.push(FieldError::new("value", x.message));
            }
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        let mut tx = self.store.begin_write().await?;
        let t = tx.treatment_for_update(treatment_id).await?.ok_or_else(|| AppError::NotFound(format!("no treatment {treatment_id}")))?;
        let p = tx.procedure_of_treatment_in_tx(t.id).await?.ok_or_else(|| AppError::Conflict("there is no record to amend".into()))?;
        if p.signed_at.is_none() {
            return Err(AppError::Conflict("the record is not signed yet: change it and save".into()));
        }
        if !actor.can(Permission::ManageApheresis) && p.signed_by.as_deref() != Some(actor.username.as_str()) {
            return Err(AppError::Forbidden("only the nurse who signed the record or a coordinator amends it".into()));
        }
        let tz = self.settings.time_zone;
        let so_far = tx.procedure_amendments_in_tx(p.id).await?;
        let before = field_value(&amended(p.clone(), &so_far, tz), field, tz);
        let a = AmendmentRow {
            id: Uuid::now_v7(),
            procedure_id: p.id,
            field: field.to_string(),
            before_value: before.clone(),
            after_value: value.clone(),
            reason: reason.clone().expect("checked"),
            amended_at: store::now(),
            amended_by: actor.username.clone(),
        };
        tx.insert_amendment(&a).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "apheresis_procedure.amend", "apheresis_procedure", p.id)
                .before(serde_json::json!({ field: before }))
                .after(serde_json::json!({ field: value }))
                .reason(reason),
        )
        .await?;
        tx.commit().await?;
        self.apheresis_procedure(actor, treatment_id).await
    }

    /// The physician's note on a signed record, once.
    pub async fn add_physician_note(&self, actor: &Actor, treatment_id: Uuid, input: &PhysicianNoteInput) -> Result<ProcedureView> {
        actor.require(Permission::ReviewProcedures)?;
        let note = domain::validation::required_text("note", &input.note, 2000)?;
        let mut tx = self.store.begin_write().await?;
        let t = tx.treatment_for_update(treatment_id).await?.ok_or_else(|| AppError::NotFound(format!("no treatment {treatment_id}")))?;
        let p = tx.procedure_of_treatment_in_tx(t.id).await?.ok_or_else(|| AppError::Conflict("there is no record yet".into()))?;
        if p.signed_at.is_none() {
            return Err(AppError::Conflict("the nurse has not signed the record yet".into()));
        }
        if p.physician_note.is_some() {
            return Err(AppError::Conflict("the record has its physician's note already".into()));
        }
        tx.set_physician_note(p.id, &note, store::now(), &actor.username).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "apheresis_procedure.physician_note", "apheresis_procedure", p.id)
                .after(serde_json::json!({"note": note})),
        )
        .await?;
        tx.commit().await?;
        self.apheresis_procedure(actor, treatment_id).await
    }
}
