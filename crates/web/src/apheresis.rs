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
