//! Appointments: schedules, the slot grid and booking for staff (API and the
//! `/appointments` page), and the public booking and cancellation pages donors reach
//! from their personal links.

use crate::api::{parse_id, ApiJson};
use crate::auth::{urlencode, Principal};
use crate::error::{ApiError, PageError};
use crate::pages::{render as render_page, render_status, Layout, PageResult};
use crate::AppState;
use app::appointments::{
    AppointmentView, AttendanceInput, Booked, BookingInput, BookingLink, BookingLinkInput, BookingOffer, CancelInput, DayGrid, LinkBookingInput,
    ScheduleView,
};
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use domain::appointment::{parse_hours_text, DriveInput, ScheduleInput, BOOKABLE};
use domain::{Permission, Site};
use serde::Deserialize;

// ------------------------------------------------------------------ API

pub async fn api_schedule(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.site_schedule(&p.actor, &id).await?))
}

pub async fn api_set_schedule(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ScheduleInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.set_site_schedule(&p.actor, &id, &input).await?))
}

pub async fn api_add_drive(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DriveInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.add_drive(&p.actor, &id, &input).await?)))
}

#[derive(Deserialize, Default)]
pub struct GridQuery {
    #[serde(default)]
    site: String,
    #[serde(default)]
    date: String,
    /// `active` (not cancelled) or one status, for the list of the day's appointments.
    #[serde(default)]
    status: Option<String>,
}

pub async fn api_grid(State(s): State<AppState>, p: Principal, Query(q): Query<GridQuery>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.day_grid(&p.actor, &q.site, &q.date).await?))
}

pub async fn api_book(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<BookingInput>) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.book_appointment(&p.actor, &input).await?)))
}

pub async fn api_cancel(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CancelInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id("appointment", &id)?;
    Ok(Json(s.app.cancel_appointment(&p.actor, id, &input).await?))
}

pub async fn api_attendance(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AttendanceInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id("appointment", &id)?;
    Ok(Json(s.app.record_attendance(&p.actor, id, &input).await?))
}

pub async fn api_booking_link(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<BookingLinkInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_booking_link(&p.actor, &number, &input).await?)))
}

// ------------------------------------------------------------------ staff page

#[derive(Template)]
#[template(path = "appointments.html")]
pub struct AppointmentsPage {
    pub layout: Layout,
    pub sites: Vec<Site>,
    pub site: String,
    pub date: String,
    pub grid: Option<DayGrid>,
    pub schedule: Option<ScheduleView>,
    pub procedures: Vec<(String, String)>,
    pub can_manage: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub form: BookForm,
}

impl AppointmentsPage {
    pub fn is_mobile(&self) -> bool {
        self.schedule.as_ref().is_some_and(|s| s.kind == "mobile")
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct BookForm {
    #[serde(default)]
    pub site: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub donor_number: String,
    #[serde(default)]
    pub procedure: String,
}

async fn staff_page(s: &AppState, p: &Principal, site: &str, date: &str, form: BookForm) -> Result<AppointmentsPage, AppError> {
    let sites: Vec<Site> = s.app.store.list_sites().await?.into_iter().filter(|x| x.fields.active).collect();
    let today = chrono::Utc::now().with_timezone(&s.app.settings.time_zone).date_naive().to_string();
    let date = if date.trim().is_empty() { today } else { date.trim().to_string() };
    // Without a choice, the first fixed donor centre: it has opening hours every week.
    let default_site = sites.iter().find(|x| x.fields.kind == domain::SiteKind::Fixed).or(sites.first());
    let site = if site.trim().is_empty() { default_site.map(|x| x.id.to_string()).unwrap_or_default() } else { site.trim().to_string() };
    let (grid, schedule) = if site.is_empty() {
        (None, None)
    } else {
        (Some(s.app.day_grid(&p.actor, &site, &date).await?), Some(s.app.site_schedule(&p.actor, &site).await?))
    };
    Ok(AppointmentsPage {
        layout: Layout::new(p, "appointments"),
        sites,
        site,
        date,
        grid,
        schedule,
        procedures: BOOKABLE.iter().map(|x| (x.as_str().to_string(), domain::appointment::procedure_title(*x).to_string())).collect(),
        can_manage: p.actor.can(Permission::ManageSchedules),
        notice: None,
        error: None,
        form,
    })
}

pub async fn page(State(s): State<AppState>, p: Principal, Query(q): Query<GridQuery>) -> PageResult {
    match staff_page(&s, &p, &q.site, &q.date, BookForm::default()).await {
        Ok(mut page) => {
            if let (Some(status), Some(g)) = (q.status.as_deref().map(str::trim).filter(|x| !x.is_empty()), page.grid.as_mut()) {
                match status {
                    "active" => g.appointments.retain(|a| a.status != "cancelled"),
                    "booked" | "attended" | "no_show" | "cancelled" => g.appointments.retain(|a| a.status == status),
                    other => {
                        page.error = Some(format!("'{other}' is not an appointment status: use active, booked, attended, no_show or cancelled"));
                        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
                    }
                }
                page.notice = Some(if status == "active" {
                    "Showing appointments that are not cancelled.".to_string()
                } else {
                    format!("Showing {} appointments only.", status.replace('_', " "))
                });
            }
            render_page(&page)
        }
        // A mistyped date: show the page for today with the message.
        Err(e @ AppError::Invalid(_)) => {
            let mut page = staff_page(&s, &p, &q.site, "", BookForm::default()).await?;
            page.error = Some(e.to_string());
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

fn back(site: &str, date: &str) -> String {
    format!("/appointments?site={}&date={}", urlencode(site), urlencode(date))
}

/// Renders the page again with a refusal, with the status it deserves.
async fn refused(s: &AppState, p: &Principal, site: &str, date: &str, form: BookForm, e: AppError) -> PageResult {
    let status = crate::error::status_of(&e);
    if matches!(e, AppError::Store(_) | AppError::Forbidden(_) | AppError::Unauthenticated(_)) {
        return Err(e.into());
    }
    let mut page = staff_page(s, p, site, date, form).await?;
    page.error = Some(e.to_string());
    render_status(status, &page)
}

pub async fn book(State(s): State<AppState>, p: Principal, Form(f): Form<BookForm>) -> PageResult {
    let input = BookingInput {
        donor_number: f.donor_number.clone(),
        site: f.site.clone(),
        date: f.date.clone(),
        time: f.time.clone(),
        procedure: f.procedure.clone(),
    };
    match s.app.book_appointment(&p.actor, &input).await {
        Ok(b) => {
            let mut page = staff_page(&s, &p, &f.site, &f.date, BookForm::default()).await?;
            page.notice = Some(format!(
                "Booked {} ({}) for {} at {} on {}. Confirmation email: {}.",
                b.appointment.donor_name,
                b.appointment.donor_number,
                b.appointment.procedure_title,
                b.appointment.time,
                b.appointment.date,
                b.confirmation_email
            ));
            render_status(StatusCode::CREATED, &page)
        }
        Err(e) => refused(&s, &p, &f.site, &f.date, f.clone(), e).await,
    }
}

#[derive(Deserialize, Default)]
pub struct ChangeForm {
    #[serde(default)]
    site: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    attended: String,
}

pub async fn cancel(State(s): State<AppState>, p: Principal, Path(id): Path<String>, Form(f): Form<ChangeForm>) -> PageResult {
    let id = parse_id("appointment", &id)?;
    match s.app.cancel_appointment(&p.actor, id, &CancelInput { reason: f.reason.clone() }).await {
        Ok(_) => Ok(Redirect::to(&back(&f.site, &f.date)).into_response()),
        Err(e) => refused(&s, &p, &f.site, &f.date, BookForm::default(), e).await,
    }
}

pub async fn attendance(State(s): State<AppState>, p: Principal, Path(id): Path<String>, Form(f): Form<ChangeForm>) -> PageResult {
    let id = parse_id("appointment", &id)?;
    let attended = match f.attended.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return refused(&s, &p, &f.site, &f.date, BookForm::default(), domain::FieldError::new("attended", "choose attended or no-show").into())
                .await
        }
    };
    match s.app.record_attendance(&p.actor, id, &AttendanceInput { attended }).await {
        Ok(_) => Ok(Redirect::to(&back(&f.site, &f.date)).into_response()),
        Err(e) => refused(&s, &p, &f.site, &f.date, BookForm::default(), e).await,
    }
}

#[derive(Deserialize, Default)]
pub struct ScheduleForm {
    #[serde(default)]
    site: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    slot_minutes: String,
    #[serde(default)]
    chairs: String,
    #[serde(default)]
    machines: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    opens: String,
    #[serde(default)]
    closes: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    drive_date: String,
}

fn number(field: &'static str, s: &str) -> Result<i64, AppError> {
    s.trim().parse().map_err(|_| domain::FieldError::new(field, format!("'{s}' is not a whole number")).into())
}

pub async fn set_schedule(State(s): State<AppState>, p: Principal, Form(f): Form<ScheduleForm>) -> PageResult {
    let result = async {
        let input = ScheduleInput {
            slot_minutes: number("slot_minutes", &f.slot_minutes)?,
            chairs: number("chairs", &f.chairs)?,
            machines: number("machines", &f.machines)?,
            hours: parse_hours_text(&f.hours)?,
            reason: f.reason.clone(),
        };
        s.app.set_site_schedule(&p.actor, &f.site, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&back(&f.site, &f.date)).into_response()),
        Err(e) => refused(&s, &p, &f.site, &f.date, BookForm::default(), e).await,
    }
}

pub async fn add_drive(State(s): State<AppState>, p: Principal, Form(f): Form<ScheduleForm>) -> PageResult {
    let result = async {
        let input = DriveInput {
            date: f.drive_date.clone(),
            opens: f.opens.clone(),
            closes: f.closes.clone(),
            location: f.location.clone(),
            slot_minutes: number("slot_minutes", &f.slot_minutes)?,
            chairs: number("chairs", &f.chairs)?,
            machines: number("machines", if f.machines.trim().is_empty() { "0" } else { &f.machines })?,
        };
        s.app.add_drive(&p.actor, &f.site, &input).await
    }
    .await;
    match result {
        Ok(d) => Ok(Redirect::to(&back(&f.site, &d.date.to_string())).into_response()),
        Err(e) => refused(&s, &p, &f.site, &f.date, BookForm::default(), e).await,
    }
}

/// The donor page's appointments section (its own template, included by donor.html).
pub struct DonorAppointments {
    pub list: Vec<AppointmentView>,
    pub can_book: bool,
}

pub async fn donor_appointments(s: &AppState, p: &Principal, number: &str) -> Result<DonorAppointments, AppError> {
    Ok(DonorAppointments { list: s.app.upcoming_appointments(&p.actor, number).await?, can_book: p.actor.can(Permission::BookAppointments) })
}

#[derive(Template)]
#[template(path = "booking_link.html")]
pub struct BookingLinkPage {
    pub layout: Layout,
    pub link: BookingLink,
}

pub async fn create_link(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    let link = s.app.create_booking_link(&p.actor, &number, &BookingLinkInput::default()).await?;
    render_status(StatusCode::CREATED, &BookingLinkPage { layout: Layout::new(&p, "donors"), link })
}

// ------------------------------------------------------------------ public pages

#[derive(Template)]
#[template(path = "book.html")]
pub struct BookPage {
    pub token: String,
    pub offer: BookingOffer,
    pub error: Option<String>,
    /// The facility's time zone.
    pub tz: chrono_tz::Tz,
}

/// One line of the public page: a time at a place, with a button per procedure.
pub struct OfferRow<'a> {
    pub time: &'a str,
    pub place: String,
    pub options: Vec<&'a app::appointments::SlotOption>,
}

impl BookPage {
    pub fn is_selected(&self, d: &chrono::NaiveDate) -> bool {
        self.offer.selected.as_ref() == Some(d)
    }

    pub fn rows(&self) -> Vec<OfferRow<'_>> {
        let mut rows: Vec<OfferRow<'_>> = Vec::new();
        for o in &self.offer.options {
            let place = match &o.location {
                Some(l) => format!("{} ({l})", o.site_name),
                None => o.site_name.clone(),
            };
            match rows.last_mut() {
                Some(r) if r.time == o.time && r.place == place => r.options.push(o),
                _ => rows.push(OfferRow { time: &o.time, place, options: vec![o] }),
            }
        }
        rows
    }
}

#[derive(Template)]
#[template(path = "book_done.html")]
pub struct BookDonePage {
    pub title: String,
    pub appointment: AppointmentView,
    pub message: String,
}

#[derive(Deserialize, Default)]
pub struct OfferQuery {
    #[serde(default)]
    date: Option<String>,
}

/// Refusals on the public pages: a plain page with the right status, never the
/// staff error page's links.
fn public_error(e: AppError) -> PageError {
    PageError(e)
}

pub async fn public_offer(State(s): State<AppState>, Path(token): Path<String>, Query(q): Query<OfferQuery>) -> PageResult {
    let offer = s.app.booking_offer(&token, q.date.as_deref().filter(|d| !d.is_empty())).await.map_err(public_error)?;
    render_page(&BookPage { token, offer, error: None, tz: s.app.settings.time_zone })
}

#[derive(Deserialize, Default)]
pub struct PublicBookForm {
    /// `SITE_ID|DATE|HH:MM|PROCEDURE`, one radio button per offered choice.
    #[serde(default)]
    choice: String,
}

pub async fn public_book(State(s): State<AppState>, Path(token): Path<String>, Form(f): Form<PublicBookForm>) -> PageResult {
    let parts: Vec<&str> = f.choice.split('|').collect();
    let input = match parts.as_slice() {
        [site, date, time, procedure] => {
            LinkBookingInput { site: site.to_string(), date: date.to_string(), time: time.to_string(), procedure: procedure.to_string() }
        }
        _ => LinkBookingInput::default(),
    };
    match s.app.book_with_link(&token, &input).await {
        Ok(Booked { appointment, confirmation_email }) => {
            let message = if confirmation_email == "sent" {
                "A confirmation is on its way to your email, with a link to cancel if you cannot come.".to_string()
            } else {
                "Please note the time. If you cannot come, call the blood centre so someone else can take the place.".to_string()
            };
            render_status(StatusCode::CREATED, &BookDonePage { title: "You are booked".into(), appointment, message })
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let status = crate::error::status_of(&e);
            let offer = s.app.booking_offer(&token, Some(&input.date).filter(|d| !d.is_empty()).map(|d| d.as_str())).await;
            let offer = match offer {
                Ok(o) => o,
                Err(_) => s.app.booking_offer(&token, None).await.map_err(public_error)?,
            };
            let error = match &e {
                AppError::Invalid(_) if f.choice.is_empty() => "Choose a time first.".to_string(),
                e => e.to_string(),
            };
            render_status(status, &BookPage { token, offer, error: Some(error), tz: s.app.settings.time_zone })
        }
        Err(e) => Err(public_error(e)),
    }
}

#[derive(Template)]
#[template(path = "book_cancel.html")]
pub struct CancelPage {
    pub token: String,
    pub appointment: AppointmentView,
}

pub async fn public_cancel_form(State(s): State<AppState>, Path(token): Path<String>) -> PageResult {
    let appointment = s.app.appointment_for_cancel_token(&token).await.map_err(public_error)?;
    if appointment.status != "booked" {
        let message = format!("This appointment is {}.", appointment.status.replace('_', "-"));
        return render_page(&BookDonePage { title: "Nothing to cancel".into(), appointment, message });
    }
    render_page(&CancelPage { token, appointment })
}

#[derive(Deserialize, Default)]
pub struct PublicCancelForm {
    #[serde(default)]
    reason: String,
}

pub async fn public_cancel(State(s): State<AppState>, Path(token): Path<String>, Form(f): Form<PublicCancelForm>) -> PageResult {
    let appointment = s.app.cancel_with_token(&token, &f.reason).await.map_err(public_error)?;
    render_page(&BookDonePage {
        title: "Your appointment is cancelled".into(),
        appointment,
        message: "Thank you for letting us know. We hope to see you another time.".into(),
    })
}
