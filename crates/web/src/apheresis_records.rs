//! Therapeutic apheresis at the bedside and after: the procedure record kept and signed
//! by the nurse booked, its amendments and the physician's note; the service's reports.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::{refusal_text, ApiError};
use crate::pages::{error_text, form_value as value, render, render_status, FieldView, Layout, PageResult};
use crate::AppState;
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use domain::Permission;
use uuid::Uuid;

type FormData = Vec<(String, String)>;

// ------------------------------------------------------------------ procedure records

#[derive(Template)]
#[template(path = "apheresis_procedure.html")]
pub struct ProcedurePage {
    pub layout: Layout,
    pub v: app::apheresis_procedure::ProcedureView,
    pub can_record: bool,
    pub can_amend: bool,
    pub can_review: bool,
    pub record_fields: Vec<FieldView>,
    pub amend_fields: Vec<FieldView>,
    pub form_error: Option<(String, String)>,
    pub scan_error: Option<String>,
    pub password_error: Option<String>,
}

impl ProcedurePage {
    pub fn error_of(&self, form: &str) -> Option<&str> {
        self.form_error.as_ref().filter(|(f, _)| f == form).map(|(_, m)| m.as_str())
    }
    pub fn signed(&self) -> bool {
        self.v.record.as_ref().is_some_and(|r| r.signed_at.is_some())
    }
    pub fn ml(&self, v: &i64) -> String {
        crate::fmt::n(*v)
    }
}

fn local_input(at: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

async fn procedure_page(s: &AppState, p: &Principal, id: Uuid, form: &FormData) -> Result<ProcedurePage, AppError> {
    let v = s.app.apheresis_procedure(&p.actor, id).await?;
    let tz = p.tz;
    let booked = p.actor.can(Permission::RecordProcedures) && v.treatment.nurse_username == p.actor.username;
    let signed = v.record.as_ref().is_some_and(|r| r.signed_at.is_some());
    let pick = |k: &str, d: String| {
        let x = value(form, k);
        if x.is_empty() {
            d
        } else {
            x
        }
    };
    let r = v.record.as_ref();
    let record_fields = vec![
        FieldView::text("started_at", "Started", &pick("started_at", local_input(r.map(|r| r.started_at).unwrap_or(v.treatment.starts_at), tz)))
            .kind("datetime-local")
            .required(),
        FieldView::text("ended_at", "Ended", &pick("ended_at", local_input(r.map(|r| r.ended_at).unwrap_or(v.treatment.ends_at), tz)))
            .kind("datetime-local")
            .required(),
        FieldView::text("processed_ml", "Volume processed (mL)", &pick("processed_ml", r.map(|r| r.processed_ml.to_string()).unwrap_or_default()))
            .kind("number")
            .required(),
        FieldView::text("removed_ml", "Volume removed (mL)", &pick("removed_ml", r.map(|r| r.removed_ml.to_string()).unwrap_or_default()))
            .kind("number")
            .required(),
        FieldView::text(
            "albumin_ml",
            "5 % albumin given (mL)",
            &pick("albumin_ml", r.map(|r| r.albumin_ml.to_string()).unwrap_or_else(|| "0".into())),
        )
        .kind("number"),
        FieldView::text("saline_ml", "Saline given (mL)", &pick("saline_ml", r.map(|r| r.saline_ml.to_string()).unwrap_or_else(|| "0".into())))
            .kind("number"),
        FieldView::text("vitals_before", "Vitals before", &pick("vitals_before", r.map(|r| r.vitals_before.clone()).unwrap_or_default()))
            .required()
            .help("e.g. BP 124/78, pulse 80, SpO2 98 %"),
        FieldView::text("vitals_after", "Vitals after", &pick("vitals_after", r.map(|r| r.vitals_after.clone()).unwrap_or_default())).required(),
        FieldView::text(
            "adverse_events",
            "Adverse events (empty: none)",
            &pick("adverse_events", r.map(|r| r.adverse_events.clone()).unwrap_or_default()),
        )
        .kind("textarea"),
        FieldView::text("note", "Note", &pick("note", r.map(|r| r.note.clone()).unwrap_or_default())).kind("textarea"),
    ];
    let amendable = domain::apheresis::record::AMENDABLE.iter().map(|(f, w)| (f.to_string(), w.to_string())).collect();
    let amend_fields = vec![
        FieldView::text("field", "Field", &value(form, "field")).select(amendable).prefixed("amend"),
        FieldView::text("value", "New value", &value(form, "value")).required().prefixed("amend"),
        FieldView::text("reason", "Reason", &value(form, "reason")).required().prefixed("amend"),
    ];
    Ok(ProcedurePage {
        layout: Layout::new(p, "apheresis"),
        can_record: booked && !signed,
        can_amend: signed
            && ((booked && r.and_then(|r| r.signed_by.as_deref()) == Some(p.actor.username.as_str())) || p.actor.can(Permission::ManageApheresis)),
        can_review: signed && p.actor.can(Permission::ReviewProcedures) && r.is_some_and(|r| r.physician_note.is_none()),
        v,
        record_fields,
        amend_fields,
        form_error: None,
        scan_error: None,
        password_error: None,
    })
}

/// `GET /apheresis/treatments/{id}`: the procedure record at the bedside.
pub async fn procedure(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>) -> PageResult {
    render(&procedure_page(&s, &p, id, &vec![]).await?)
}

async fn procedure_result(s: &AppState, p: &Principal, id: Uuid, which: &str, form: FormData, r: Result<(), AppError>) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/apheresis/treatments/{id}")).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_))) => {
            let mut page = procedure_page(s, p, id, &form).await?;
            let msg = match which {
                "record" => error_text(&mut page.record_fields, &e),
                "amend" => error_text(&mut page.amend_fields, &e),
                _ => refusal_text(&e),
            };
            match which {
                "scan" => page.scan_error = Some(msg),
                "sign" => page.password_error = Some(msg),
                _ => page.form_error = Some((which.to_string(), msg)),
            }
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

fn record_input(form: &FormData) -> domain::apheresis::record::RecordInput {
    let n = |k: &str| value(form, k).trim().parse().unwrap_or(-1);
    domain::apheresis::record::RecordInput {
        started_at: value(form, "started_at"),
        ended_at: value(form, "ended_at"),
        processed_ml: n("processed_ml"),
        removed_ml: n("removed_ml"),
        albumin_ml: n("albumin_ml"),
        saline_ml: n("saline_ml"),
        vitals_before: value(form, "vitals_before"),
        vitals_after: value(form, "vitals_after"),
        adverse_events: value(form, "adverse_events"),
        note: value(form, "note"),
    }
}

/// `POST /apheresis/treatments/{id}/record` (form: the record's fields).
pub async fn save_record(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>, Form(form): Form<FormData>) -> PageResult {
    let r = s.app.save_procedure(&p.actor, id, &record_input(&form)).await.map(|_| ());
    procedure_result(&s, &p, id, "record", form, r).await
}

/// `POST /apheresis/treatments/{id}/plasma` (form: scan).
pub async fn give_plasma(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>, Form(form): Form<FormData>) -> PageResult {
    let r = s.app.give_plasma(&p.actor, id, &app::apheresis_procedure::PlasmaScanInput { scan: value(&form, "scan") }).await.map(|_| ());
    procedure_result(&s, &p, id, "scan", form, r).await
}

/// `POST /apheresis/treatments/{id}/sign` (form: password).
pub async fn sign_record(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>, Form(form): Form<FormData>) -> PageResult {
    let r = s.app.sign_procedure(&p.actor, id, &app::apheresis_procedure::SignInput { password: value(&form, "password") }).await.map(|_| ());
    procedure_result(&s, &p, id, "sign", vec![], r).await
}

/// `POST /apheresis/treatments/{id}/amend` (form: field, value, reason).
pub async fn amend_record(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>, Form(form): Form<FormData>) -> PageResult {
    let input = app::apheresis_procedure::AmendInput { field: value(&form, "field"), value: value(&form, "value"), reason: value(&form, "reason") };
    let r = s.app.amend_procedure(&p.actor, id, &input).await.map(|_| ());
    procedure_result(&s, &p, id, "amend", form, r).await
}

/// `POST /apheresis/treatments/{id}/physician-note` (form: note).
pub async fn physician_note(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>, Form(form): Form<FormData>) -> PageResult {
    let r = s.app.add_physician_note(&p.actor, id, &app::apheresis_procedure::PhysicianNoteInput { note: value(&form, "note") }).await.map(|_| ());
    procedure_result(&s, &p, id, "physician", form, r).await
}

/// `GET /api/v1/apheresis/treatments/{id}`: the treatment, its request and record.
pub async fn api_procedure(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.apheresis_procedure(&p.actor, id).await?))
}

/// `POST /api/v1/apheresis/treatments/{id}/record`.
pub async fn api_save_record(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<domain::apheresis::record::RecordInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.save_procedure(&p.actor, id, &input).await?))
}

/// `POST /api/v1/apheresis/treatments/{id}/plasma` `{"scan"}`.
pub async fn api_give_plasma(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<app::apheresis_procedure::PlasmaScanInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.give_plasma(&p.actor, id, &input).await?))
}

/// `POST /api/v1/apheresis/treatments/{id}/sign` `{"password"}`.
pub async fn api_sign_record(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<app::apheresis_procedure::SignInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.sign_procedure(&p.actor, id, &input).await?))
}

/// `POST /api/v1/apheresis/treatments/{id}/amend` `{"field", "value", "reason"}`.
pub async fn api_amend_record(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<app::apheresis_procedure::AmendInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.amend_procedure(&p.actor, id, &input).await?))
}

/// `POST /api/v1/apheresis/treatments/{id}/physician-note` `{"note"}`.
pub async fn api_physician_note(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<app::apheresis_procedure::PhysicianNoteInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.add_physician_note(&p.actor, id, &input).await?))
}

// ------------------------------------------------------------------ reports

#[derive(Template)]
#[template(path = "apheresis_reports.html")]
pub struct ReportsPage {
    pub layout: Layout,
    pub r: app::apheresis_report::ApheresisReport,
    pub charts: Vec<(String, String)>,
}

impl ReportsPage {
    pub fn money(&self, cents: &i64) -> String {
        domain::pricing::format_cents(*cents)
    }
    pub fn wait(&self, minutes: &i64) -> String {
        if *minutes < 120 {
            format!("{minutes} min")
        } else {
            format!("{} h {:02} min", minutes / 60, minutes % 60)
        }
    }
}

/// `GET /apheresis/reports`: procedures, utilization, emergent waits, revenue.
pub async fn reports(State(s): State<AppState>, p: Principal) -> PageResult {
    use render::chart::{Bar, BarChart};
    let r = s.app.apheresis_report(&p.actor, chrono::Utc::now()).await?;
    let counts = |title: &str, c: &[domain::apheresis::report::Count], shares: bool| {
        (
            title.to_string(),
            BarChart { title: title.into(), bars: c.iter().map(|x| Bar { label: x.key.clone(), value: x.count }).collect(), shares }.to_svg(),
        )
    };
    let uses = |title: &str, u: &[app::apheresis_report::Use]| {
        (
            title.to_string(),
            BarChart {
                title: title.into(),
                bars: u.iter().filter_map(|x| x.percent.map(|v| Bar { label: x.key.clone(), value: v })).collect(),
                shares: false,
            }
            .to_svg(),
        )
    };
    let charts = vec![
        counts("Procedures per month (signed)", &r.procedures_by_month, false),
        counts("Procedures by hospital, 12 months", &r.procedures_by_hospital, true),
        counts("Procedures by type, 12 months", &r.procedures_by_type, true),
        uses("Nurses: time in procedures, last 4 weeks (%)", &r.nurses_done),
        uses("Nurses: time booked, next 2 weeks (%)", &r.nurses_booked),
        uses("Devices: time in procedures, last 4 weeks (%)", &r.devices_done),
        uses("Devices: time booked, next 2 weeks (%)", &r.devices_booked),
    ];
    render(&ReportsPage { layout: Layout::new(&p, "apheresis_reports"), r, charts })
}

/// `GET /api/v1/apheresis/reports`.
pub async fn api_reports(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.apheresis_report(&p.actor, chrono::Utc::now()).await?))
}
