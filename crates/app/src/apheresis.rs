//! Therapeutic apheresis requests: a hospital asks for a course of treatment for a
//! patient; the coordinator accepts, rejects or asks for information; the hospital sees
//! where it stands. Patients are seen only by the requesting hospital and apheresis
//! staff; a nurse sees the requests they are booked on.

use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::apheresis::fluids::{default_replacement, fluid_plan, FluidPlan};
use domain::apheresis::request::{AsfaCategory, RequestFields, RequestInput, RequestState};
use domain::apheresis::{plan, red_cell_exchange, ApheresisCase, ApheresisPlan, RedCellExchangeCase, RedCellExchangePlan, RedCellTargets};
use domain::{AccountStatus, AuditDraft, FieldError, Permission, Role};
use serde::{Deserialize, Serialize};
use store::{ApheresisRequestRow, RequestCurrent, TreatmentLine};
use uuid::Uuid;

/// Plasma volumes a plasma exchange plan is shown for (the reference's usual 1.0 to 1.5).
pub const PLAN_PLASMA_VOLUMES: f64 = 1.0;
/// The volume of one plasma unit used to count the units a TTP exchange needs before
/// the real units are scanned. A planning figure, not a label volume.
pub const PLAN_PLASMA_UNIT_ML: f64 = 250.0;
/// The hematocrit of donor red cell units a red cell exchange plan counts their volume
/// at. A planning figure between additive-solution units and packed cells (Wayne et al.
/// give 0.70 to 0.80 for packed cells); the device takes the units' own.
pub const PLAN_RED_CELL_UNIT_HEMATOCRIT: f64 = 0.60;

#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    pub number: String,
    pub hospital_code: String,
    pub hospital_name: String,
    pub state: RequestState,
    pub state_title: &'static str,
    pub state_at: DateTime<Utc>,
    pub state_note: String,
    pub mrn: String,
    pub patient_name: String,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub height_cm: f64,
    pub weight_kg: f64,
    pub hematocrit: f64,
    /// A red cell exchange's targets, when the order gives them.
    pub red_cell_targets: Option<RedCellTargets>,
    pub ordering_physician: String,
    pub indication: String,
    pub asfa_category: String,
    pub asfa_meaning: &'static str,
    pub asfa_grade: String,
    pub procedure: &'static str,
    pub procedure_title: &'static str,
    pub treatments: i64,
    pub every_days: i64,
    pub urgency: &'static str,
    pub urgency_title: &'static str,
    pub earliest_on: Option<NaiveDate>,
    pub location: String,
    pub vascular_access: String,
    pub note: String,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StateView {
    pub state: RequestState,
    pub title: &'static str,
    pub at: DateTime<Utc>,
    pub by: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TreatmentView {
    pub id: Uuid,
    pub seq: i64,
    pub of: i64,
    pub request_number: String,
    pub procedure_title: &'static str,
    pub place: String,
    pub location: String,
    pub patient_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub nurse_name: String,
    pub nurse_username: String,
    pub device: String,
    /// "rescheduled" or "cancelled" once it no longer stands.
    pub ended: Option<String>,
    pub end_reason: Option<String>,
}

/// The procedure plan shown with a request: volumes and, for a plasma exchange, fluids.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub plasma_volumes: f64,
    pub volumes: ApheresisPlan,
    pub fluids: Option<FluidPlan>,
    /// For a red cell exchange ordered with its targets: the donor red cells to put in.
    pub red_cell: Option<RedCellExchangePlan>,
    pub red_cell_unit_hematocrit: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestDetail {
    pub request: RequestView,
    pub history: Vec<StateView>,
    pub treatments: Vec<TreatmentView>,
    pub plan: Option<PlanView>,
}

/// The coordinator's decision on a submitted request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// accept, reject or ask
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

/// A note that goes with a step: the hospital's answer, a cancellation's reason.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    #[serde(default)]
    pub note: String,
}

pub(crate) fn request_view(r: RequestCurrent) -> RequestView {
    let q = r.request;
    let category = AsfaCategory::parse(&q.asfa_category).ok();
    let targets = red_cell_targets(&q);
    RequestView {
        number: q.number,
        hospital_code: r.hospital_code,
        hospital_name: r.hospital_name,
        state: r.state,
        state_title: r.state.title(),
        state_at: r.state_at,
        state_note: r.state_note,
        mrn: q.mrn,
        patient_name: q.patient_name,
        birth_date: q.birth_date,
        sex: q.sex,
        height_cm: q.height_cm,
        weight_kg: q.weight_kg,
        hematocrit: q.hematocrit,
        red_cell_targets: targets,
        ordering_physician: q.ordering_physician,
        indication: q.indication,
        asfa_category: q.asfa_category,
        asfa_meaning: category.map(|c| c.meaning()).unwrap_or(""),
        asfa_grade: q.asfa_grade,
        procedure: q.procedure.as_str(),
        procedure_title: q.procedure.title(),
        treatments: q.treatments,
        every_days: q.every_days,
        urgency: q.urgency.as_str(),
        urgency_title: q.urgency.title(),
        earliest_on: q.earliest_on,
        location: q.location,
        vascular_access: q.vascular_access,
        note: q.note,
        channel: q.channel,
        created_at: q.created_at,
        created_by: q.created_by,
    }
}

pub(crate) fn treatment_view(t: TreatmentLine) -> TreatmentView {
    TreatmentView {
        id: t.treatment.id,
        seq: t.treatment.seq,
        of: t.treatments,
        request_number: t.request_number,
        procedure_title: t.procedure.title(),
        place: t.treatment.place,
        location: t.location,
        patient_name: t.patient_name,
        starts_at: t.treatment.starts_at,
        ends_at: t.treatment.ends_at,
        nurse_name: t.nurse_name,
        nurse_username: t.nurse_username,
        device: format!("{} ({})", t.device_name, t.device_serial),
        ended: t.treatment.end_kind,
        end_reason: t.treatment.end_reason,
    }
}

fn plan_of(r: &ApheresisRequestRow) -> Option<PlanView> {
    let sex = domain::apheresis::request::parse_sex(&r.sex).ok()?;
    let case = ApheresisCase { sex, height_cm: r.height_cm, weight_kg: r.weight_kg, hematocrit: r.hematocrit, plasma_volumes: PLAN_PLASMA_VOLUMES };
    let volumes = plan(&case).ok()?;
    let fluids = (r.procedure == domain::apheresis::catalog::Procedure::PlasmaExchange)
        .then(|| fluid_plan(volumes.exchange_volume_ml, default_replacement(&r.indication), PLAN_PLASMA_UNIT_ML).ok())
        .flatten();
    let red_cell = red_cell_targets(r).and_then(|t| {
        red_cell_exchange(&RedCellExchangeCase {
            total_blood_volume_ml: volumes.total_blood_volume_ml,
            hematocrit_initial: r.hematocrit,
            hematocrit_target: t.hematocrit_target,
            hbs_initial: t.hbs_initial,
            hbs_target: t.hbs_target,
            replacement_hematocrit: PLAN_RED_CELL_UNIT_HEMATOCRIT,
        })
        .ok()
    });
    Some(PlanView { plasma_volumes: PLAN_PLASMA_VOLUMES, volumes, fluids, red_cell, red_cell_unit_hematocrit: PLAN_RED_CELL_UNIT_HEMATOCRIT })
}

fn red_cell_targets(r: &ApheresisRequestRow) -> Option<RedCellTargets> {
    match (r.hematocrit_target, r.hbs_initial, r.hbs_target) {
        (Some(hematocrit_target), Some(hbs_initial), Some(hbs_target)) => Some(RedCellTargets { hematocrit_target, hbs_initial, hbs_target }),
        _ => None,
    }
}

fn required_note(note: &str, what: &str) -> Result<String> {
    let n = note.trim();
    if n.is_empty() {
        return Err(FieldError::new("note", what.to_string()).into());
    }
    if n.chars().count() > 2000 {
        return Err(FieldError::new("note", "is longer than 2000 characters").into());
    }
    Ok(n.to_string())
}

impl Actor {
    /// A nurse who is not also a coordinator sees only their own bookings.
    pub fn is_apheresis_nurse_only(&self) -> bool {
        self.roles.contains(Role::ApheresisNurse) && !self.can(Permission::ManageApheresis)
    }
}

/// The request, its row locked on PostgreSQL; a hospital user's only if it is theirs.
pub(crate) async fn locked_request(tx: &mut store::WriteTx, actor: &Actor, number: &str) -> Result<RequestCurrent> {
    let r =
        tx.apheresis_request_for_update(number.trim()).await?.ok_or_else(|| AppError::NotFound(format!("no apheresis request {}", number.trim())))?;
    if actor.hospital_id.is_some_and(|h| h != r.request.hospital_id) {
        return Err(AppError::NotFound(format!("no apheresis request {} for you", r.request.number)));
    }
    Ok(r)
}

/// The request by id, its row locked on PostgreSQL.
pub(crate) async fn locked_request_by_id(tx: &mut store::WriteTx, id: Uuid) -> Result<RequestCurrent> {
    let row = tx.apheresis_request_by_id_in_tx(id).await?.ok_or_else(|| AppError::NotFound("the request is missing".into()))?;
    tx.apheresis_request_for_update(&row.number).await?.ok_or_else(|| AppError::NotFound("the request is missing".into()))
}

/// Reads the request back in the transaction and commits.
pub(crate) async fn commit_request(mut tx: store::WriteTx, number: &str) -> Result<RequestView> {
    let saved = tx.apheresis_request_for_update(number).await?.ok_or_else(|| AppError::NotFound("the request is missing".into()))?;
    tx.commit().await?;
    Ok(request_view(saved))
}

impl App {
    /// Which requests the actor may see: a hospital user their hospital's, apheresis
    /// staff all (a nurse those they are booked on). Others are refused.
    async fn may_see_request(&self, actor: &Actor, r: &RequestCurrent) -> Result<()> {
        let not_found = || AppError::NotFound(format!("no apheresis request {} for you", r.request.number));
        if let Some(h) = actor.hospital_id {
            return if h == r.request.hospital_id { Ok(()) } else { Err(not_found()) };
        }
        actor.require(Permission::ViewApheresis)?;
        if actor.is_apheresis_nurse_only() {
            let mine = self.store.treatments_of_request(r.request.id).await?.iter().any(|t| t.nurse_username == actor.username);
            if !mine {
                return Err(not_found());
            }
        }
        Ok(())
    }

    /// Requests, newest first.
    pub async fn apheresis_requests(&self, actor: &Actor, limit: i64) -> Result<Vec<RequestView>> {
        let hospital = match actor.hospital_id {
            Some(h) => Some(h),
            None => {
                actor.require(Permission::ViewApheresis)?;
                None
            }
        };
        let rows = self.store.apheresis_requests(hospital, limit).await?;
        let mut out = vec![];
        for r in rows {
            if actor.is_apheresis_nurse_only() && self.may_see_request(actor, &r).await.is_err() {
                continue;
            }
            out.push(request_view(r));
        }
        Ok(out)
    }

    pub async fn apheresis_request(&self, actor: &Actor, number: &str) -> Result<RequestDetail> {
        let r = self
            .store
            .apheresis_request(number.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no apheresis request {}", number.trim())))?;
        self.may_see_request(actor, &r).await?;
        let history = self
            .store
            .apheresis_request_states(r.request.id)
            .await?
            .into_iter()
            .map(|s| StateView { state: s.state, title: s.state.title(), at: s.changed_at, by: s.changed_by, note: s.note })
            .collect();
        let treatments = self.store.treatments_of_request(r.request.id).await?.into_iter().map(treatment_view).collect();
        let plan = plan_of(&r.request);
        Ok(RequestDetail { request: request_view(r), history, treatments, plan })
    }

    /// A hospital user requests for their own hospital; the coordinator for the hospital
    /// named (phone intake).
    pub async fn submit_apheresis_request(&self, actor: &Actor, input: &RequestInput) -> Result<RequestView> {
        actor.require(Permission::RequestApheresis)?;
        let now = store::now();
        let today = now.with_timezone(&self.settings.time_zone).date_naive();
        let f: RequestFields = input.validate(today)?;
        let mut tx = self.store.begin_write().await?;
        let hospital = match actor.hospital_id {
            Some(h) => tx.hospital(h).await?.ok_or_else(|| AppError::NotFound("your hospital account is missing".into()))?,
            None => {
                let code = input.hospital.trim().to_ascii_uppercase();
                if code.is_empty() {
                    return Err(FieldError::new("hospital", "say which hospital asks").into());
                }
                tx.hospital_by_code(&code).await?.ok_or_else(|| {
                    AppError::from(FieldError::new("hospital", format!("no hospital account has the code '{}'", input.hospital.trim())))
                })?
            }
        };
        if hospital.fields.status != AccountStatus::Active {
            return Err(AppError::Conflict(format!("the account {} is not active", hospital.fields.code.as_str())));
        }
        let year = now.year();
        let seq = tx.next_document_number("APH", year).await?;
        let channel = if actor.hospital_id.is_some() {
            if actor.via_token {
                "api"
            } else {
                "portal"
            }
        } else if actor.via_token {
            "api"
        } else {
            "phone"
        };
        let row = ApheresisRequestRow {
            id: Uuid::now_v7(),
            number: format!("APH-{year}-{seq:05}"),
            hospital_id: hospital.id,
            mrn: f.mrn,
            patient_name: f.patient_name,
            birth_date: f.birth_date,
            sex: match f.sex {
                domain::apheresis::Sex::Female => "F".into(),
                domain::apheresis::Sex::Male => "M".into(),
            },
            height_cm: f.height_cm,
            weight_kg: f.weight_kg,
            hematocrit: f.hematocrit,
            hematocrit_target: f.red_cell_targets.map(|t| t.hematocrit_target),
            hbs_initial: f.red_cell_targets.map(|t| t.hbs_initial),
            hbs_target: f.red_cell_targets.map(|t| t.hbs_target),
            ordering_physician: f.ordering_physician,
            indication: f.indication,
            asfa_category: f.asfa_category.as_str().into(),
            asfa_grade: f.asfa_grade,
            procedure: f.procedure,
            treatments: f.treatments,
            every_days: f.every_days,
            urgency: f.urgency,
            earliest_on: f.earliest_on,
            location: f.location,
            vascular_access: f.vascular_access,
            note: f.note,
            channel: channel.into(),
            created_at: now,
            created_by: actor.username.clone(),
        };
        tx.insert_apheresis_request(&row).await?;
        tx.add_apheresis_request_state(row.id, RequestState::Submitted, now, &actor.username, "").await?;
        // The patient's details stay out of the audit trail's summary: the record holds them.
        tx.append_audit(AuditDraft::new(&actor.username, "apheresis_request.submit", "apheresis_request", row.id).after(serde_json::json!({
            "number": row.number, "hospital": hospital.fields.code.as_str(), "procedure": row.procedure.as_str(),
            "treatments": row.treatments, "every_days": row.every_days, "urgency": row.urgency.as_str(),
            "asfa": format!("{} {}", row.asfa_category, row.asfa_grade), "channel": row.channel,
        })))
        .await?;
        tracing::info!(request = %row.number, urgency = row.urgency.as_str(), "apheresis request submitted");
        commit_request(tx, &row.number).await
    }

    /// Accept, reject (with the reason) or ask the hospital for information (with the
    /// question). Accepting an indication ASFA places in category IV needs a note.
    pub async fn decide_apheresis_request(&self, actor: &Actor, number: &str, input: &DecisionInput) -> Result<RequestView> {
        actor.require(Permission::ManageApheresis)?;
        let (state, action, note) = match input.decision.trim() {
            "accept" => (RequestState::Accepted, "accept", input.note.trim().to_string()),
            "reject" => (RequestState::Rejected, "reject", required_note(&input.note, "say why the request is rejected")?),
            "ask" => (RequestState::InfoRequested, "ask", required_note(&input.note, "write the question for the hospital")?),
            other => return Err(FieldError::new("decision", format!("'{other}' is not a decision; use accept, reject or ask")).into()),
        };
        let mut tx = self.store.begin_write().await?;
        let r = locked_request(&mut tx, actor, number).await?;
        if !r.state.awaits_decision() {
            return Err(AppError::Conflict(format!(
                "request {} is {}; only a submitted request can be decided",
                r.request.number,
                r.state.title().to_lowercase()
            )));
        }
        if state == RequestState::Accepted && r.request.asfa_category == AsfaCategory::IV.as_str() && note.is_empty() {
            return Err(
                FieldError::new("note", "ASFA finds apheresis ineffective or harmful for category IV indications: say why it is accepted").into()
            );
        }
        let now = store::now();
        tx.add_apheresis_request_state(r.request.id, state, now, &actor.username, &note).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, format!("apheresis_request.{action}"), "apheresis_request", r.request.id)
                .before(serde_json::json!({"state": r.state.as_str()}))
                .after(serde_json::json!({"state": state.as_str()}))
                .reason((!note.is_empty()).then(|| note.clone())),
        )
        .await?;
        commit_request(tx, &r.request.number).await
    }

    /// The hospital answers the coordinator's question; the request is submitted again.
    pub async fn answer_apheresis_request(&self, actor: &Actor, number: &str, input: &NoteInput) -> Result<RequestView> {
        actor.require(Permission::RequestApheresis)?;
        let note = required_note(&input.note, "write the answer to the question")?;
        let mut tx = self.store.begin_write().await?;
        let r = locked_request(&mut tx, actor, number).await?;
        if r.state != RequestState::InfoRequested {
            return Err(AppError::Conflict(format!(
                "request {} is {}; no question awaits an answer",
                r.request.number,
                r.state.title().to_lowercase()
            )));
        }
        let now = store::now();
        tx.add_apheresis_request_state(r.request.id, RequestState::Submitted, now, &actor.username, &note).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "apheresis_request.answer", "apheresis_request", r.request.id)
                .before(serde_json::json!({"state": r.state.as_str()}))
                .after(serde_json::json!({"state": "submitted"}))
                .reason(Some(note)),
        )
        .await?;
        commit_request(tx, &r.request.number).await
    }

    /// Cancels a request that is not closed, with its bookings: the hospital for its own,
    /// the coordinator for any.
    pub async fn cancel_apheresis_request(&self, actor: &Actor, number: &str, input: &NoteInput) -> Result<RequestView> {
        if actor.hospital_id.is_none() {
            actor.require(Permission::ManageApheresis)?;
        } else {
            actor.require(Permission::RequestApheresis)?;
        }
        let reason = required_note(&input.note, "say why the request is cancelled")?;
        let mut tx = self.store.begin_write().await?;
        tx.lock_apheresis_calendars().await?;
        let r = locked_request(&mut tx, actor, number).await?;
        if r.state.is_closed() {
            return Err(AppError::Conflict(format!("request {} is {} already", r.request.number, r.state.title().to_lowercase())));
        }
        let now = store::now();
        let open = tx.open_treatments_of_request_in_tx(r.request.id).await?;
        for t in &open {
            tx.end_treatment(t.id, now, &actor.username, "cancelled", &reason).await?;
        }
        tx.add_apheresis_request_state(r.request.id, RequestState::Cancelled, now, &actor.username, &reason).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "apheresis_request.cancel", "apheresis_request", r.request.id)
                .before(serde_json::json!({"state": r.state.as_str(), "open_treatments": open.len()}))
                .after(serde_json::json!({"state": "cancelled"}))
                .reason(Some(reason)),
        )
        .await?;
        commit_request(tx, &r.request.number).await
    }
}
