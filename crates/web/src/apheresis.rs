//! Therapeutic apheresis: requests from hospitals, their decision and scheduling, the
//! calendars of nurses, devices and hospitals, and the nurses, devices and travel times
//! the scheduler books. Pages and API; the rules live in `app`.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::{refusal_text, ApiError};
use crate::pages::{error_text, form_value as value, form_values as values, render, render_status, FieldView, FormPage, Layout, PageResult};
use crate::AppState;
use app::apheresis::{DecisionInput, NoteInput, RequestDetail, RequestView};
use app::apheresis_schedule::{
    CalendarQuery, CalendarView, CancelTreatmentInput, CertificationInput, DeviceInput, NurseInput, OnCallInput, RescheduleInput, ResourcesView,
    ScheduleInput, ServiceInput, TravelInput,
};
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use domain::apheresis::catalog::{DeviceType, Procedure};
use domain::apheresis::request::{AsfaCategory, RequestInput, RequestState, Urgency};
use domain::Permission;
use uuid::Uuid;

type FormData = Vec<(String, String)>;

/// A number typed into a form; what does not parse is refused by the domain's check.
fn number(form: &FormData, key: &str) -> f64 {
    value(form, key).trim().replace(',', ".").parse().unwrap_or(f64::NAN)
}

/// A number that may be left empty.
fn optional_number(form: &FormData, key: &str) -> Option<f64> {
    let v = value(form, key);
    (!v.trim().is_empty()).then(|| number(form, key))
}

fn whole(form: &FormData, key: &str) -> i64 {
    value(form, key).trim().parse().unwrap_or(0)
}

fn request_input(form: &FormData) -> RequestInput {
    RequestInput {
        hospital: value(form, "hospital"),
        mrn: value(form, "mrn"),
        patient_name: value(form, "patient_name"),
        birth_date: value(form, "birth_date"),
        sex: value(form, "sex"),
        height_cm: number(form, "height_cm"),
        weight_kg: number(form, "weight_kg"),
        hematocrit: number(form, "hematocrit"),
        hematocrit_target: optional_number(form, "hematocrit_target"),
        hbs_initial: optional_number(form, "hbs_initial"),
        hbs_target: optional_number(form, "hbs_target"),
        ordering_physician: value(form, "ordering_physician"),
        indication: value(form, "indication"),
        asfa_category: value(form, "asfa_category"),
        asfa_grade: value(form, "asfa_grade"),
        procedure: value(form, "procedure"),
        treatments: whole(form, "treatments"),
        every_days: whole(form, "every_days"),
        urgency: value(form, "urgency"),
        earliest_on: value(form, "earliest_on"),
        location: value(form, "location"),
        vascular_access: value(form, "vascular_access"),
        note: value(form, "note"),
    }
}

fn options<T: Copy>(all: &[T], v: impl Fn(T) -> &'static str, l: impl Fn(T) -> &'static str) -> Vec<(String, String)> {
    all.iter().map(|x| (v(*x).to_string(), l(*x).to_string())).collect()
}

async fn request_fields(s: &AppState, p: &Principal, form: &FormData) -> Result<Vec<FieldView>, AppError> {
    let v = |k: &str, default: &str| {
        let x = value(form, k);
        if x.is_empty() {
            default.to_string()
        } else {
            x
        }
    };
    let mut fields = vec![];
    if p.actor.hospital_id.is_none() {
        let hospitals = s
            .app
            .list_hospitals(&p.actor)
            .await?
            .into_iter()
            .filter(|h| h.fields.status == domain::AccountStatus::Active)
            .map(|h| (h.fields.code.as_str().to_string(), format!("{} ({})", h.fields.name, h.fields.code.as_str())))
            .collect();
        fields.push(FieldView::text("hospital", "Hospital (the caller's)", &v("hospital", "")).select(hospitals).required());
    }
    let categories = AsfaCategory::ALL.iter().map(|c| (c.as_str().to_string(), format!("{}: {}", c.as_str(), c.meaning()))).collect();
    let grades = ["1A", "1B", "1C", "2A", "2B", "2C"].iter().map(|g| (g.to_string(), g.to_string())).collect();
    fields.extend([
        FieldView::text("mrn", "Hospital MRN", &v("mrn", "")).required(),
        FieldView::text("patient_name", "Patient name", &v("patient_name", "")).required(),
        FieldView::text("birth_date", "Date of birth", &v("birth_date", "")).kind("date").required(),
        FieldView::text("sex", "Sex", &v("sex", "F")).select(vec![("F".into(), "Female".into()), ("M".into(), "Male".into())]).required(),
        FieldView::text("height_cm", "Height (cm)", &v("height_cm", "")).kind("number").required(),
        FieldView::text("weight_kg", "Weight (kg)", &v("weight_kg", "")).kind("number").required(),
        FieldView::text("hematocrit", "Hematocrit (fraction, e.g. 0.38)", &v("hematocrit", "")).required().help("As a fraction: 38 % is 0.38."),
        FieldView::text("ordering_physician", "Ordering physician", &v("ordering_physician", "")).required(),
        FieldView::text("indication", "Indication (diagnosis)", &v("indication", "")).required(),
        FieldView::text("asfa_category", "ASFA category", &v("asfa_category", "I")).select(categories).required(),
        FieldView::text("asfa_grade", "ASFA grade", &v("asfa_grade", "1A")).select(grades).required(),
        FieldView::text("procedure", "Procedure", &v("procedure", "plasma_exchange"))
            .select(options(&Procedure::ALL, Procedure::as_str, Procedure::title))
            .required(),
        FieldView::text("hematocrit_target", "Red cell exchange: hematocrit wanted (fraction)", &v("hematocrit_target", ""))
            .help("Red cell exchange only, with HbS now and wanted; e.g. 0.30."),
        FieldView::text("hbs_initial", "Red cell exchange: HbS now (fraction)", &v("hbs_initial", ""))
            .help("HbS share of haemoglobin: 90 % is 0.90."),
        FieldView::text("hbs_target", "Red cell exchange: HbS wanted after (fraction)", &v("hbs_target", "")).help("e.g. 0.30."),
        FieldView::text("treatments", "Number of treatments", &v("treatments", "1")).kind("number").required(),
        FieldView::text("every_days", "Days between treatments", &v("every_days", "1"))
            .kind("number")
            .required()
            .help("1 is daily, 2 every other day."),
        FieldView::text("urgency", "Urgency", &v("urgency", "scheduled")).select(options(&Urgency::ALL, Urgency::as_str, Urgency::title)).required(),
        FieldView::text("earliest_on", "First day wanted", &v("earliest_on", "")).kind("date").help("Empty: as soon as possible."),
        FieldView::text("location", "Location in the hospital (ward, room)", &v("location", "")).required(),
        FieldView::text("vascular_access", "Vascular access", &v("vascular_access", ""))
            .required()
            .help("e.g. central venous catheter, peripheral veins, port."),
        FieldView::text("note", "Note", &v("note", "")).kind("textarea"),
    ]);
    Ok(fields)
}

fn new_request_page(p: &Principal, fields: Vec<FieldView>, form_error: Option<String>) -> FormPage {
    FormPage {
        layout: Layout::new(p, "apheresis_new"),
        title: "Request therapeutic apheresis".into(),
        intro: "Only what the treatment plan needs of the patient: the request is seen by your hospital and the apheresis team only.".into(),
        action: "/apheresis".into(),
        submit: "Send the request",
        cancel: "/apheresis".into(),
        fields,
        form_error,
    }
}

#[derive(Template)]
#[template(path = "apheresis_requests.html")]
pub struct RequestsPage {
    pub layout: Layout,
    pub requests: Vec<RequestView>,
    pub can_request: bool,
}

impl RequestsPage {
    pub fn waiting(&self) -> Vec<&RequestView> {
        self.requests.iter().filter(|r| matches!(r.state, RequestState::Submitted | RequestState::InfoRequested | RequestState::Accepted)).collect()
    }
    pub fn others(&self) -> Vec<&RequestView> {
        self.requests.iter().filter(|r| !matches!(r.state, RequestState::Submitted | RequestState::InfoRequested | RequestState::Accepted)).collect()
    }
}

/// `GET /apheresis`: requests, those that need a step first.
pub async fn requests(State(s): State<AppState>, p: Principal) -> PageResult {
    let requests = s.app.apheresis_requests(&p.actor, 500).await?;
    render(&RequestsPage { layout: Layout::new(&p, "apheresis"), requests, can_request: p.actor.can(Permission::RequestApheresis) })
}

/// `GET /apheresis/new`.
pub async fn new_request(State(s): State<AppState>, p: Principal) -> PageResult {
    let fields = request_fields(&s, &p, &vec![]).await?;
    render(&new_request_page(&p, fields, None))
}

/// `POST /apheresis` (form): the request, then its page.
pub async fn submit_request(State(s): State<AppState>, p: Principal, Form(form): Form<FormData>) -> PageResult {
    match s.app.submit_apheresis_request(&p.actor, &request_input(&form)).await {
        Ok(r) => Ok(Redirect::to(&format!("/apheresis/{}", r.number)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let mut fields = request_fields(&s, &p, &form).await?;
            let msg = error_text(&mut fields, &e);
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &new_request_page(&p, fields, Some(format!("The request was not sent: {msg}"))))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "apheresis_request.html")]
pub struct RequestPage {
    pub layout: Layout,
    pub d: RequestDetail,
    pub can_manage: bool,
    pub can_answer: bool,
    pub can_cancel: bool,
    pub form_error: Option<String>,
    /// The form the refusal belongs to, and the field.
    pub error_form: String,
    pub error_field: String,
    pub form: FormData,
}

impl RequestPage {
    pub fn error_for(&self, form: &str, field: &str) -> Option<&str> {
        (self.error_form == form && (self.error_field == field || field.is_empty())).then_some(self.form_error.as_deref()).flatten()
    }
    pub fn value(&self, key: &str) -> String {
        value(&self.form, key)
    }
    pub fn ml(&self, v: &f64) -> String {
        crate::fmt::n(v.round() as i64)
    }
    pub fn percent(&self, v: &f64) -> String {
        format!("{:.0} %", v * 100.0)
    }
    pub fn decided(&self) -> bool {
        self.d.request.state == RequestState::Submitted
    }
}

async fn request_page(s: &AppState, p: &Principal, number: &str) -> Result<RequestPage, AppError> {
    let d = s.app.apheresis_request(&p.actor, number).await?;
    let closed = d.request.state.is_closed();
    Ok(RequestPage {
        layout: Layout::new(p, "apheresis"),
        can_manage: p.actor.can(Permission::ManageApheresis),
        can_answer: p.actor.can(Permission::RequestApheresis) && d.request.state == RequestState::InfoRequested,
        can_cancel: !closed && (p.actor.can(Permission::ManageApheresis) || p.actor.hospital_id.is_some()),
        d,
        form_error: None,
        error_form: String::new(),
        error_field: String::new(),
        form: vec![],
    })
}

/// `GET /apheresis/{number}`.
pub async fn request(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    render(&request_page(&s, &p, &number).await?)
}

/// Shows a refusal on the request page next to the form (and field) it belongs to.
async fn refused(s: &AppState, p: &Principal, number: &str, which: &str, form: FormData, e: AppError) -> PageResult {
    match e {
        AppError::Invalid(_) | AppError::Conflict(_) => {
            let mut page = request_page(s, p, number).await?;
            page.error_field = match &e {
                AppError::Invalid(errs) => errs.0.first().map(|x| x.field.to_string()).unwrap_or_default(),
                _ => String::new(),
            };
            page.form_error = Some(refusal_text(&e));
            page.error_form = which.to_string();
            page.form = form;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        other => Err(other.into()),
    }
}

fn back(number: &str) -> PageResult {
    Ok(Redirect::to(&format!("/apheresis/{number}")).into_response())
}

/// `POST /apheresis/{number}/decision` (form: decision, note).
pub async fn decide(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<FormData>) -> PageResult {
    let input = DecisionInput { decision: value(&form, "decision"), note: value(&form, "note") };
    match s.app.decide_apheresis_request(&p.actor, &number, &input).await {
        Ok(_) => back(&number),
        Err(e) => refused(&s, &p, &number, "decision", form, e).await,
    }
}

/// `POST /apheresis/{number}/answer` (form: note).
pub async fn answer(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<FormData>) -> PageResult {
    match s.app.answer_apheresis_request(&p.actor, &number, &NoteInput { note: value(&form, "note") }).await {
        Ok(_) => back(&number),
        Err(e) => refused(&s, &p, &number, "answer", form, e).await,
    }
}

/// `POST /apheresis/{number}/schedule` (form: minutes).
pub async fn schedule(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<FormData>) -> PageResult {
    let minutes = value(&form, "minutes").trim().parse().ok();
    match s.app.schedule_apheresis_request(&p.actor, &number, &ScheduleInput { minutes }).await {
        Ok(_) => back(&number),
        Err(e) => refused(&s, &p, &number, "schedule", form, e).await,
    }
}

/// `POST /apheresis/{number}/cancel` (form: note).
pub async fn cancel(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<FormData>) -> PageResult {
    match s.app.cancel_apheresis_request(&p.actor, &number, &NoteInput { note: value(&form, "note") }).await {
        Ok(_) => back(&number),
        Err(e) => refused(&s, &p, &number, "cancel", form, e).await,
    }
}

/// `POST /apheresis/treatments/{id}/reschedule` (form: number, nurse, device, starts_at, reason).
pub async fn reschedule(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>, Form(form): Form<FormData>) -> PageResult {
    let number = value(&form, "number");
    let input = RescheduleInput {
        nurse: value(&form, "nurse"),
        device: value(&form, "device"),
        starts_at: value(&form, "starts_at"),
        reason: value(&form, "reason"),
    };
    match s.app.reschedule_treatment(&p.actor, id, &input).await {
        Ok(_) => back(&number),
        Err(e) => refused(&s, &p, &number, &format!("move-{id}"), form, e).await,
    }
}

/// `POST /apheresis/treatments/{id}/cancel` (form: number, reason).
pub async fn cancel_treatment(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>, Form(form): Form<FormData>) -> PageResult {
    let number = value(&form, "number");
    match s.app.cancel_treatment(&p.actor, id, &CancelTreatmentInput { reason: value(&form, "reason") }).await {
        Ok(_) => back(&number),
        Err(e) => refused(&s, &p, &number, &format!("move-{id}"), form, e).await,
    }
}

#[derive(Template)]
#[template(path = "apheresis_calendar.html")]
pub struct CalendarPage {
    pub layout: Layout,
    pub c: CalendarView,
    pub nurses: Vec<(String, String)>,
    pub devices: Vec<(String, String)>,
    pub filters: bool,
    pub form_error: Option<String>,
}

impl CalendarPage {
    fn link(&self, date: chrono::NaiveDate, span: &str) -> String {
        let mut url = format!("/apheresis/calendar?span={span}&date={date}");
        for (k, v) in [("nurse", &self.c.nurse), ("device", &self.c.device), ("hospital", &self.c.hospital)] {
            if !v.is_empty() && self.filters {
                url.push_str(&format!("&{k}={v}"));
            }
        }
        url
    }
    pub fn previous(&self) -> String {
        let days = if self.c.span == "day" { 1 } else { 7 };
        self.link(self.c.from - chrono::Duration::days(days), self.c.span)
    }
    pub fn next(&self) -> String {
        let days = if self.c.span == "day" { 1 } else { 7 };
        self.link(self.c.from + chrono::Duration::days(days), self.c.span)
    }
    pub fn day_link(&self, d: &chrono::NaiveDate) -> String {
        self.link(*d, "day")
    }
    pub fn week_link(&self) -> String {
        self.link(self.c.from, "week")
    }
    pub fn day_title(&self, d: &chrono::NaiveDate) -> String {
        d.format("%a %-d %b").to_string()
    }
    pub fn hm(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        t.with_timezone(&self.layout.tz).format("%H:%M").to_string()
    }
    pub fn zone(&self) -> String {
        chrono::Utc::now().with_timezone(&self.layout.tz).format("%Z").to_string()
    }
}

/// `GET /apheresis/calendar?span=day|week&date=&nurse=&device=&hospital=`.
pub async fn calendar(State(s): State<AppState>, p: Principal, Query(q): Query<CalendarQuery>) -> PageResult {
    let filters = p.actor.can(Permission::ManageApheresis);
    let (c, form_error) = match s.app.apheresis_calendar(&p.actor, &q).await {
        Ok(c) => (c, None),
        Err(e @ AppError::Invalid(_)) => (s.app.apheresis_calendar(&p.actor, &CalendarQuery::default()).await?, Some(refusal_text(&e))),
        Err(e) => return Err(e.into()),
    };
    let (nurses, devices) = if filters {
        let r = s.app.apheresis_resources(&p.actor).await?;
        (
            r.nurses.into_iter().map(|n| (n.username, n.name)).collect(),
            r.devices.into_iter().map(|d| (d.serial.clone(), format!("{} ({})", d.name, d.serial))).collect(),
        )
    } else {
        (vec![], vec![])
    };
    render(&CalendarPage { layout: Layout::new(&p, "apheresis_calendar"), c, nurses, devices, filters, form_error })
}

#[derive(Template)]
#[template(path = "apheresis_resources.html")]
pub struct ResourcesPage {
    pub layout: Layout,
    pub r: ResourcesView,
    pub can_manage: bool,
    pub nurse_fields: Vec<FieldView>,
    pub cert_fields: Vec<FieldView>,
    pub on_call_fields: Vec<FieldView>,
    pub device_fields: Vec<FieldView>,
    pub service_fields: Vec<FieldView>,
    pub travel_fields: Vec<FieldView>,
    pub form_error: Option<(String, String)>,
}

impl ResourcesPage {
    pub fn error_of(&self, form: &str) -> Option<&str> {
        self.form_error.as_ref().filter(|(f, _)| f == form).map(|(_, m)| m.as_str())
    }
}

const WEEKDAYS: [(&str, &str); 7] = [("mon", "Mon"), ("tue", "Tue"), ("wed", "Wed"), ("thu", "Thu"), ("fri", "Fri"), ("sat", "Sat"), ("sun", "Sun")];

async fn resources_page(s: &AppState, p: &Principal, form: &FormData) -> Result<ResourcesPage, AppError> {
    let r = s.app.apheresis_resources(&p.actor).await?;
    let v = |k: &str, d: &str| {
        let x = value(form, k);
        if x.is_empty() {
            d.to_string()
        } else {
            x
        }
    };
    let nurses: Vec<(String, String)> = r.nurses.iter().map(|n| (n.username.clone(), n.name.clone())).collect();
    let devices: Vec<(String, String)> = r.devices.iter().map(|d| (d.serial.clone(), format!("{} ({})", d.name, d.serial))).collect();
    let days = values(form, "weekdays");
    let days = if days.is_empty() { "mon,tue,wed,thu,fri".to_string() } else { days.join(",") };
    Ok(ResourcesPage {
        can_manage: p.actor.can(Permission::ManageApheresis),
        nurse_fields: vec![
            FieldView::text("username", "Username (holds the apheresis nurse role)", &v("username", "")).required().prefixed("nurse"),
            FieldView::text("name", "Name", &v("name", "")).required().prefixed("nurse"),
            FieldView::text("home_site", "Home site (code)", &v("home_site", "")).required().prefixed("nurse"),
            FieldView::text("weekdays", "Working days", &days)
                .checkboxes(WEEKDAYS.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect())
                .prefixed("nurse"),
            FieldView::text("day_start", "Day starts", &v("day_start", "07:00")).kind("time").required().prefixed("nurse"),
            FieldView::text("day_end", "Day ends", &v("day_end", "19:00")).kind("time").required().prefixed("nurse"),
        ],
        cert_fields: vec![
            FieldView::text("nurse", "Nurse", &v("nurse", "")).select(nurses.clone()).prefixed("cert"),
            FieldView::text("procedure", "Procedure", &v("procedure", "plasma_exchange")).select(options(
                &Procedure::ALL,
                Procedure::as_str,
                Procedure::title,
            )),
            FieldView::text("expires_on", "Valid until", &v("expires_on", "")).kind("date").required().prefixed("cert"),
        ],
        on_call_fields: vec![
            FieldView::text("nurse", "Nurse", &v("nurse", "")).select(nurses).prefixed("oncall"),
            FieldView::text("date", "Day on call", &v("date", "")).kind("date").required().prefixed("oncall"),
        ],
        device_fields: vec![
            FieldView::text("name", "Name", &v("name", "")).required().prefixed("device"),
            FieldView::text("serial", "Serial number", &v("serial", "")).required().prefixed("device"),
            FieldView::text("device_type", "Type", &v("device_type", "centrifugal")).select(options(
                &DeviceType::ALL,
                DeviceType::as_str,
                DeviceType::title,
            )),
            FieldView::text("maintenance_due", "Maintenance due", &v("maintenance_due", "")).kind("date").required().prefixed("device"),
            FieldView::text("home_site", "Home site (code)", &v("home_site", "")).required().prefixed("device"),
        ],
        service_fields: vec![
            FieldView::text("serial", "Device", &v("serial", "")).select(devices).prefixed("service"),
            FieldView::text("maintenance_due", "Next maintenance due", &v("maintenance_due", "")).kind("date").required().prefixed("service"),
        ],
        travel_fields: vec![
            FieldView::text("from", "From (hospital or site code)", &v("from", "")).required().prefixed("travel"),
            FieldView::text("to", "To (hospital or site code)", &v("to", "")).required().prefixed("travel"),
            FieldView::text("minutes", "Minutes", &v("minutes", "")).kind("number").required().prefixed("travel"),
        ],
        r,
        form_error: None,
        layout: Layout::new(p, "apheresis_resources"),
    })
}

/// `GET /apheresis/resources`: nurses, devices, travel times.
pub async fn resources(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&resources_page(&s, &p, &vec![]).await?)
}

async fn resources_result(s: &AppState, p: &Principal, which: &str, form: FormData, r: Result<(), AppError>) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to("/apheresis/resources").into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::NotFound(_))) => {
            let mut page = resources_page(s, p, &form).await?;
            let fields = match which {
                "nurse" => &mut page.nurse_fields,
                "cert" => &mut page.cert_fields,
                "on_call" => &mut page.on_call_fields,
                "device" => &mut page.device_fields,
                "service" => &mut page.service_fields,
                _ => &mut page.travel_fields,
            };
            let msg = error_text(fields, &e);
            page.form_error = Some((which.to_string(), msg));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /apheresis/nurses` (form: username, name, home_site, weekdays, day_start, day_end).
pub async fn add_nurse(State(s): State<AppState>, p: Principal, Form(form): Form<FormData>) -> PageResult {
    let input = NurseInput {
        username: value(&form, "username"),
        name: value(&form, "name"),
        home_site: value(&form, "home_site"),
        weekdays: values(&form, "weekdays"),
        day_start: value(&form, "day_start"),
        day_end: value(&form, "day_end"),
    };
    let r = s.app.add_apheresis_nurse(&p.actor, &input).await.map(|_| ());
    resources_result(&s, &p, "nurse", form, r).await
}

/// `POST /apheresis/certifications` (form: nurse, procedure, expires_on).
pub async fn certify(State(s): State<AppState>, p: Principal, Form(form): Form<FormData>) -> PageResult {
    let input = CertificationInput { procedure: value(&form, "procedure"), expires_on: value(&form, "expires_on") };
    let r = s.app.certify_nurse(&p.actor, &value(&form, "nurse"), &input).await.map(|_| ());
    resources_result(&s, &p, "cert", form, r).await
}

/// `POST /apheresis/on-call` (form: nurse, date).
pub async fn on_call(State(s): State<AppState>, p: Principal, Form(form): Form<FormData>) -> PageResult {
    let r = s.app.put_on_call(&p.actor, &OnCallInput { nurse: value(&form, "nurse"), date: value(&form, "date") }).await;
    resources_result(&s, &p, "on_call", form, r).await
}

/// `POST /apheresis/devices` (form: name, serial, device_type, maintenance_due, home_site).
pub async fn add_device(State(s): State<AppState>, p: Principal, Form(form): Form<FormData>) -> PageResult {
    let input = DeviceInput {
        name: value(&form, "name"),
        serial: value(&form, "serial"),
        device_type: value(&form, "device_type"),
        maintenance_due: value(&form, "maintenance_due"),
        home_site: value(&form, "home_site"),
    };
    let r = s.app.add_apheresis_device(&p.actor, &input).await.map(|_| ());
    resources_result(&s, &p, "device", form, r).await
}

/// `POST /apheresis/devices/service` (form: serial, maintenance_due).
pub async fn service_device(State(s): State<AppState>, p: Principal, Form(form): Form<FormData>) -> PageResult {
    let r =
        s.app.service_apheresis_device(&p.actor, &value(&form, "serial"), &ServiceInput { maintenance_due: value(&form, "maintenance_due") }).await;
    resources_result(&s, &p, "service", form, r).await
}

/// `POST /apheresis/travel-times` (form: from, to, minutes).
pub async fn travel(State(s): State<AppState>, p: Principal, Form(form): Form<FormData>) -> PageResult {
    let input = TravelInput { from: value(&form, "from"), to: value(&form, "to"), minutes: value(&form, "minutes").trim().parse().unwrap_or(-1) };
    let r = s.app.set_travel_time(&p.actor, &input).await.map(|_| ());
    resources_result(&s, &p, "travel", form, r).await
}

// ------------------------------------------------------------------ API

/// `GET /api/v1/apheresis/requests`.
pub async fn api_requests(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.apheresis_requests(&p.actor, 500).await?))
}

/// `POST /api/v1/apheresis/requests`: 201 with the request.
pub async fn api_submit(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<RequestInput>) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.submit_apheresis_request(&p.actor, &input).await?)))
}

/// `GET /api/v1/apheresis/requests/{number}`: the request, its history, treatments and plan.
pub async fn api_request(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.apheresis_request(&p.actor, &number).await?))
}

/// `POST /api/v1/apheresis/requests/{number}/decision` `{"decision": "accept"|"reject"|"ask", "note"}`.
pub async fn api_decide(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.decide_apheresis_request(&p.actor, &number, &input).await?))
}

/// `POST /api/v1/apheresis/requests/{number}/answer` `{"note"}`.
pub async fn api_answer(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<NoteInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.answer_apheresis_request(&p.actor, &number, &input).await?))
}

/// `POST /api/v1/apheresis/requests/{number}/schedule` `{"minutes"?}`.
pub async fn api_schedule(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<ScheduleInput>,
) -> Result<impl IntoResponse, ApiError> {
    s.app.schedule_apheresis_request(&p.actor, &number, &input).await?;
    Ok(Json(s.app.apheresis_request(&p.actor, &number).await?))
}

/// `POST /api/v1/apheresis/requests/{number}/cancel` `{"note"}`.
pub async fn api_cancel(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<NoteInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.cancel_apheresis_request(&p.actor, &number, &input).await?))
}

/// `POST /api/v1/apheresis/treatments/{id}/reschedule` `{"nurse", "device", "starts_at", "reason"}`.
pub async fn api_reschedule(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<RescheduleInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.reschedule_treatment(&p.actor, id, &input).await?))
}

/// `POST /api/v1/apheresis/treatments/{id}/cancel` `{"reason"}`: 204.
pub async fn api_cancel_treatment(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<CancelTreatmentInput>,
) -> Result<impl IntoResponse, ApiError> {
    s.app.cancel_treatment(&p.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/apheresis/calendar?span=&date=&nurse=&device=&hospital=`.
pub async fn api_calendar(State(s): State<AppState>, p: Principal, Query(q): Query<CalendarQuery>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.apheresis_calendar(&p.actor, &q).await?))
}

/// `GET /api/v1/apheresis/resources`: nurses, devices, travel times.
pub async fn api_resources(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.apheresis_resources(&p.actor).await?))
}

/// `POST /api/v1/apheresis/nurses`: 201.
pub async fn api_add_nurse(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<NurseInput>) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.add_apheresis_nurse(&p.actor, &input).await?)))
}

/// `POST /api/v1/apheresis/nurses/{username}/certifications` `{"procedure", "expires_on"}`: 201.
pub async fn api_certify(
    State(s): State<AppState>,
    p: Principal,
    Path(username): Path<String>,
    ApiJson(input): ApiJson<CertificationInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.certify_nurse(&p.actor, &username, &input).await?)))
}

/// `POST /api/v1/apheresis/on-call` `{"nurse", "date"}`: 204.
pub async fn api_on_call(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<OnCallInput>) -> Result<impl IntoResponse, ApiError> {
    s.app.put_on_call(&p.actor, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/apheresis/devices`: 201.
pub async fn api_add_device(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<DeviceInput>) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.add_apheresis_device(&p.actor, &input).await?)))
}

/// `POST /api/v1/apheresis/devices/{serial}/service` `{"maintenance_due"}`: 204.
pub async fn api_service_device(
    State(s): State<AppState>,
    p: Principal,
    Path(serial): Path<String>,
    ApiJson(input): ApiJson<ServiceInput>,
) -> Result<impl IntoResponse, ApiError> {
    s.app.service_apheresis_device(&p.actor, &serial, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/apheresis/travel-times` `{"from", "to", "minutes"}`.
pub async fn api_travel(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<TravelInput>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.set_travel_time(&p.actor, &input).await?))
}
