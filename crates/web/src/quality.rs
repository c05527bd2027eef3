//! Quality records over the pages and the API: deviations (list, new, page with its
//! actions), a unit's QC results and holds (a section of the unit's page), lifting a hold.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{error_text, render, render_status, FieldView, FormPage, Layout, PageResult};
use crate::AppState;
use app::quality::{DeviationFilter, DeviationInput, DeviationReport, DeviationUpdate, DeviationView, LiftInput, QcInput, UnitQuality};
use app::AppError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use domain::Permission;
use uuid::Uuid;

use crate::pages::form_value as value;

fn field_errors(e: &AppError) -> Vec<(String, String)> {
    match e {
        AppError::Invalid(errs) => errs.0.iter().map(|x| (x.field.to_string(), x.message.clone())).collect(),
        _ => vec![],
    }
}

/// The QC and holds section of a unit's page, with what was entered and its errors.
pub struct UnitQualitySection {
    pub data: UnitQuality,
    pub can_qc: bool,
    pub can_lift: bool,
    pub qc_check: String,
    pub qc_value: String,
    pub qc_errors: Vec<(String, String)>,
    /// The hold whose lift form was refused, with its reason and errors.
    pub lift_hold: Option<Uuid>,
    pub lift_reason: String,
    pub lift_errors: Vec<(String, String)>,
}

impl UnitQualitySection {
    pub fn qc_error(&self, field: &str) -> Option<&str> {
        self.qc_errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
    pub fn lift_error(&self, hold: &Uuid, field: &str) -> Option<&str> {
        if self.lift_hold.as_ref() != Some(hold) {
            return None;
        }
        self.lift_errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
    pub fn lift_reason_of(&self, hold: &Uuid) -> &str {
        if self.lift_hold.as_ref() == Some(hold) {
            &self.lift_reason
        } else {
            ""
        }
    }
    pub fn open_holds(&self) -> usize {
        self.data.holds.iter().filter(|h| h.lifted_at.is_none()).count()
    }
}

/// The section for the unit's page.
pub async fn section(s: &AppState, p: &Principal, din: &str, code: &str) -> Result<UnitQualitySection, AppError> {
    Ok(UnitQualitySection {
        data: s.app.unit_quality(&p.actor, din, code).await?,
        can_qc: p.actor.can(Permission::RecordQc),
        can_lift: p.actor.can(Permission::LiftHolds),
        qc_check: String::new(),
        qc_value: String::new(),
        qc_errors: vec![],
        lift_hold: None,
        lift_reason: String::new(),
        lift_errors: vec![],
    })
}

/// `POST /components/{din}/{code}/qc` (form: `check`, `value`).
pub async fn qc(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let input = QcInput { check: value(&form, "check"), value: value(&form, "value") };
    match s.app.record_qc(&p.actor, &din, &code, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/components/{din}/{code}#quality")).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let message = matches!(e, AppError::Conflict(_)).then(|| e.to_string());
            let mut page = crate::donations::component_page(&s, &p, &din, &code, message).await?;
            page.quality.qc_check = input.check;
            page.quality.qc_value = input.value;
            page.quality.qc_errors = field_errors(&e);
            render_status(crate::error::status_of(&e), &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /components/{din}/{code}/holds/{id}/lift` (form: `reason`, `password`).
pub async fn lift(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code, id)): Path<(String, String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let input = LiftInput { reason: value(&form, "reason"), password: value(&form, "password") };
    match s.app.lift_hold(&p.actor, &din, &code, &id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/components/{din}/{code}#holds")).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let message = matches!(e, AppError::Conflict(_)).then(|| e.to_string());
            let mut page = crate::donations::component_page(&s, &p, &din, &code, message).await?;
            page.quality.lift_hold = Uuid::parse_str(&id).ok();
            page.quality.lift_reason = input.reason;
            page.quality.lift_errors = field_errors(&e);
            render_status(crate::error::status_of(&e), &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// Days a report to FDA is late.
pub fn days_late(d: &DeviationView) -> i64 {
    -d.days_left.unwrap_or(0)
}

#[derive(Template)]
#[template(path = "deviations.html")]
pub struct DeviationsPage {
    pub layout: Layout,
    pub show: &'static str,
    pub list: Vec<DeviationView>,
}

impl DeviationsPage {
    /// The first line of what happened, shortened for the list.
    pub fn summary(&self, d: &DeviationView) -> String {
        let first = d.what_happened.lines().next().unwrap_or("");
        if first.chars().count() > 90 {
            format!("{}…", first.chars().take(90).collect::<String>())
        } else {
            first.to_string()
        }
    }
}

fn show_of(raw: Option<&str>) -> Result<DeviationFilter, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    DeviationFilter::parse(&value(&pairs, "show")).map_err(AppError::from)
}

/// `GET /quality/deviations?show=open|overdue|all`
pub async fn list(State(s): State<AppState>, p: Principal, RawQuery(q): RawQuery) -> PageResult {
    let filter = show_of(q.as_deref())?;
    let list = s.app.deviations(&p.actor, filter).await?;
    render(&DeviationsPage { layout: Layout::new(&p, "deviations"), show: filter.as_str(), list })
}

fn new_fields(form: &[(String, String)]) -> Vec<FieldView> {
    let v = |k| value(form, k);
    let check = |k| if value(form, k).is_empty() { String::new() } else { "on".into() };
    vec![
        FieldView::text("what_happened", "What happened", &v("what_happened")).kind("textarea").required(),
        FieldView::text("discovered_on", "Discovered on", &v("discovered_on")).kind("date").required(),
        FieldView::text("acquired_on", "Information suggesting a reportable event acquired on", &v("acquired_on"))
            .kind("date")
            .help("Starts the 45 days for the report to FDA. Empty: the day it was discovered."),
        FieldView::text("units", "Units involved", &v("units"))
            .kind("textarea")
            .help("One unit a line: scan its DIN and product code, or type them (A999826000637 E0398V00)."),
        FieldView::text("hold_units", "Put these units on hold now", &check("hold_units")).kind("checkbox"),
        FieldView::text("distributed", "Involves distributed product", &check("distributed")).kind("checkbox"),
        FieldView::text("reportable", "Reportable to FDA as a biological product deviation", &check("reportable")).kind("checkbox"),
        FieldView::text("investigation", "Investigation so far", &v("investigation")).kind("textarea"),
    ]
}

fn new_page(p: &Principal, form: &[(String, String)], e: Option<&AppError>) -> FormPage {
    let mut fields = new_fields(form);
    let form_error = e.map(|e| error_text(&mut fields, e));
    FormPage {
        layout: Layout::new(p, "deviations"),
        title: "New deviation".into(),
        intro: "A deviation from cGMP, regulations, standards or specifications, or an unexpected event, that may affect the safety, purity or potency of a product (21 CFR 606.171).".into(),
        action: "/quality/deviations".into(),
        submit: "Open the deviation",
        cancel: "/quality/deviations".into(),
        fields,
        form_error,
    }
}

/// `GET /quality/deviations/new`
pub async fn new_form(p: Principal) -> PageResult {
    render(&new_page(&p, &[], None))
}

fn input_of(form: &[(String, String)]) -> DeviationInput {
    let on = |k| !value(form, k).is_empty();
    DeviationInput {
        what_happened: value(form, "what_happened"),
        discovered_on: value(form, "discovered_on"),
        acquired_on: value(form, "acquired_on"),
        units: value(form, "units"),
        distributed: on("distributed"),
        reportable: on("reportable"),
        hold_units: on("hold_units"),
        investigation: value(form, "investigation"),
    }
}

/// `POST /quality/deviations`
pub async fn create(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    match s.app.open_deviation(&p.actor, &input_of(&form)).await {
        Ok(d) => Ok(Redirect::to(&format!("/quality/deviations/{}", d.number)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => render_status(crate::error::status_of(&e), &new_page(&p, &form, Some(&e))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "deviation.html")]
pub struct DeviationPage {
    pub layout: Layout,
    pub d: DeviationView,
    pub error: Option<String>,
    /// Which form was refused (`investigation`, `report`, `close`), its entries and errors.
    pub form: &'static str,
    pub entered: Vec<(String, String)>,
    pub errors: Vec<(String, String)>,
}

impl DeviationPage {
    pub fn err(&self, form: &str, field: &str) -> Option<&str> {
        if self.form != form {
            return None;
        }
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
    /// What the field holds: as entered after a refusal, else the record's value.
    pub fn val(&self, field: &str) -> String {
        if let Some((_, v)) = self.entered.iter().find(|(f, _)| f == field) {
            return v.clone();
        }
        match field {
            "investigation" => self.d.investigation.clone(),
            "root_cause" => self.d.root_cause.clone(),
            "corrective_action" => self.d.corrective_action.clone(),
            _ => String::new(),
        }
    }
}

async fn deviation_page(s: &AppState, p: &Principal, number: &str) -> Result<DeviationPage, AppError> {
    Ok(DeviationPage {
        layout: Layout::new(p, "deviations"),
        d: s.app.deviation(&p.actor, number).await?,
        error: None,
        form: "",
        entered: vec![],
        errors: vec![],
    })
}

/// `GET /quality/deviations/{number}`
pub async fn show(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    render(&deviation_page(&s, &p, &number).await?)
}

async fn refused(s: &AppState, p: &Principal, number: &str, form_name: &'static str, form: Vec<(String, String)>, e: AppError) -> PageResult {
    let mut page = deviation_page(s, p, number).await?;
    page.form = form_name;
    page.errors = field_errors(&e);
    page.error = Some(match &e {
        AppError::Invalid(_) => "Please correct the fields marked below.".into(),
        other => other.to_string(),
    });
    page.entered = form.into_iter().filter(|(k, _)| k != "_csrf").collect();
    render_status(crate::error::status_of(&e), &page)
}

fn yes_no(v: &str) -> Option<bool> {
    match v {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// `POST /quality/deviations/{number}/investigation`
pub async fn update(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let input = DeviationUpdate {
        investigation: Some(value(&form, "investigation")),
        root_cause: Some(value(&form, "root_cause")),
        corrective_action: Some(value(&form, "corrective_action")),
        distributed: yes_no(&value(&form, "distributed")),
        reportable: yes_no(&value(&form, "reportable")),
    };
    match s.app.update_deviation(&p.actor, &number, &input).await {
        Ok(d) => Ok(Redirect::to(&format!("/quality/deviations/{}", d.number)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => refused(&s, &p, &number, "investigation", form, e).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /quality/deviations/{number}/report`
pub async fn report(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let input = DeviationReport { reported_on: value(&form, "reported_on"), reference: value(&form, "reference") };
    match s.app.report_deviation(&p.actor, &number, &input).await {
        Ok(d) => Ok(Redirect::to(&format!("/quality/deviations/{}", d.number)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => refused(&s, &p, &number, "report", form, e).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /quality/deviations/{number}/close`
pub async fn close(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    match s.app.close_deviation(&p.actor, &number).await {
        Ok(d) => Ok(Redirect::to(&format!("/quality/deviations/{}", d.number)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            // The refusals name the record's fields: say them above the forms.
            let text = crate::error::refusal_text(&e);
            let mut page = deviation_page(&s, &p, &number).await?;
            page.form = "close";
            page.errors = field_errors(&e);
            page.error = Some(format!("Not closed: {text}"));
            page.entered = form.into_iter().filter(|(k, _)| k != "_csrf").collect();
            render_status(crate::error::status_of(&e), &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/deviations?show=open|overdue|all`
pub async fn api_list(State(s): State<AppState>, p: Principal, RawQuery(q): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let filter = show_of(q.as_deref())?;
    Ok(Json(s.app.deviations(&p.actor, filter).await?))
}

/// `POST /api/v1/deviations`: 201 with the deviation and its number.
pub async fn api_create(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<DeviationInput>) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.open_deviation(&p.actor, &input).await?)))
}

/// `GET /api/v1/deviations/{number}`
pub async fn api_show(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.deviation(&p.actor, &number).await?))
}

/// `POST /api/v1/deviations/{number}/investigation`
pub async fn api_update(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<DeviationUpdate>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.update_deviation(&p.actor, &number, &input).await?))
}

/// `POST /api/v1/deviations/{number}/report`
pub async fn api_report(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<DeviationReport>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.report_deviation(&p.actor, &number, &input).await?))
}

/// `POST /api/v1/deviations/{number}/close`
pub async fn api_close(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.close_deviation(&p.actor, &number).await?))
}

/// `GET /api/v1/components/{din}/{code}/quality`: QC checks, results and holds.
pub async fn api_unit_quality(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.unit_quality(&p.actor, &din, &code).await?))
}

/// `POST /api/v1/components/{din}/{code}/qc` `{"check", "value"}`: 201 with the judgement.
pub async fn api_qc(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    ApiJson(input): ApiJson<QcInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.record_qc(&p.actor, &din, &code, &input).await?)))
}

/// `POST /api/v1/components/{din}/{code}/holds/{id}/lift` `{"reason", "password"}`
pub async fn api_lift(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code, id)): Path<(String, String, String)>,
    ApiJson(input): ApiJson<LiftInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.lift_hold(&p.actor, &din, &code, &id, &input).await?))
}
