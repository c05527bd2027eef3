//! Appointments: site schedules and mobile drives, the slot grid, booking by staff and
//! by donors from a personal link, cancellation, attendance, and the confirmation and
//! reminder emails.
//!
//! Overbooking is impossible by construction: an appointment holds a numbered seat
//! (1..=capacity) of its slot and resource, and the database refuses two live
//! appointments on one seat. A booking that loses a race for a seat retries the next
//! free one, or is refused as full.

use crate::auth::{new_secret, token_hash};
use crate::mail::{EmailStatus, OutgoingEmail};
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use domain::appointment::{
    parse_time, procedure_title, slot_starts, weekday_name, Capacity, DriveInput, HoursInput, OpeningHours, Resource, ScheduleInput, WeeklySchedule,
    BOOKABLE,
};
use domain::{parse_day, AuditDraft, DonationProcedure, FieldError, FieldErrors, Permission, Role, Roles, Site, SiteKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::{AppointmentRow, BookingLinkRow, DonorRow, DriveRow, ScheduleRow, StoreError};
use uuid::Uuid;

/// How far ahead the public booking page offers slots.
pub const OFFER_DAYS: i64 = 21;
/// Attempts at a seat before a booking gives up under heavy contention.
const SEAT_ATTEMPTS: usize = 12;

// ------------------------------------------------------------------ views

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyView {
    pub version: i64,
    pub slot_minutes: u32,
    pub chairs: u32,
    pub machines: u32,
    pub hours: Vec<HoursInput>,
    pub hours_text: String,
    pub entered_at: DateTime<Utc>,
    pub entered_by: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriveView {
    pub id: Uuid,
    pub date: NaiveDate,
    pub opens: String,
    pub closes: String,
    pub location: String,
    pub slot_minutes: u32,
    pub chairs: u32,
    pub machines: u32,
}

/// A site's schedule: weekly hours (fixed sites) and upcoming drives (mobile sites).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleView {
    pub site_id: Uuid,
    pub site_code: String,
    pub site_name: String,
    pub kind: String,
    pub time_zone: String,
    pub weekly: Option<WeeklyView>,
    pub versions: usize,
    pub drives: Vec<DriveView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Seats {
    pub capacity: u32,
    pub booked: u32,
    pub free: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlotView {
    /// Local time of the site, HH:MM.
    pub time: String,
    pub starts_at: DateTime<Utc>,
    pub chair: Seats,
    pub machine: Seats,
}

impl SlotView {
    pub fn seats(&self, r: Resource) -> Seats {
        match r {
            Resource::Chair => self.chair,
            Resource::Machine => self.machine,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppointmentView {
    pub id: Uuid,
    pub donor_number: String,
    pub donor_name: String,
    pub site_id: Uuid,
    pub site_code: String,
    pub site_name: String,
    pub location: Option<String>,
    pub date: NaiveDate,
    pub time: String,
    pub starts_at: DateTime<Utc>,
    pub procedure: String,
    pub procedure_title: String,
    pub resource: String,
    pub seat: i64,
    pub status: String,
    pub booked_via: String,
    pub booked_by: String,
    pub cancel_reason: Option<String>,
}

/// One site's day: its hours and the slot grid with capacity, booked and free seats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayGrid {
    pub site_id: Uuid,
    pub site_code: String,
    pub site_name: String,
    pub date: NaiveDate,
    /// `None` when the site takes no donors that day.
    pub opens: Option<String>,
    pub closes: Option<String>,
    pub location: Option<String>,
    pub slot_minutes: Option<u32>,
    pub slots: Vec<SlotView>,
    pub appointments: Vec<AppointmentView>,
}

/// A booking and whether the donor was told.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Booked {
    #[serde(flatten)]
    pub appointment: AppointmentView,
    /// `sent`, `failed: …` or `not sent: …`.
    pub confirmation_email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookingLink {
    pub donor_number: String,
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// One bookable choice on the public page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlotOption {
    pub site_id: Uuid,
    pub site_name: String,
    pub location: Option<String>,
    pub date: NaiveDate,
    pub time: String,
    pub procedure: String,
    pub procedure_title: String,
    pub free: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferDay {
    pub date: NaiveDate,
    pub label: String,
    pub options: usize,
}

/// What the public booking page shows a donor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookingOffer {
    pub first_name: String,
    pub expires_at: DateTime<Utc>,
    pub days: Vec<OfferDay>,
    pub selected: Option<NaiveDate>,
    pub options: Vec<SlotOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ReminderReport {
    pub sent: usize,
    pub failed: usize,
    /// Appointments of donors without an email address or email consent.
    pub skipped: usize,
}

// ------------------------------------------------------------------ inputs

/// A booking by staff.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BookingInput {
    pub donor_number: String,
    /// Site id or code.
    pub site: String,
    /// YYYY-MM-DD, local to the site.
    pub date: String,
    /// HH:MM, local to the site: the start of a slot.
    pub time: String,
    pub procedure: String,
}

/// A booking by the donor from their link.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct LinkBookingInput {
    pub site: String,
    pub date: String,
    pub time: String,
    pub procedure: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    /// true: the donor came; false: a no-show.
    pub attended: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BookingLinkInput {
    /// Days the link stays valid (default: the server's --booking-link-days).
    #[serde(default)]
    pub valid_days: Option<i64>,
}

// ------------------------------------------------------------------ sessions

/// The hours and capacity of one site on one date.
#[derive(Debug, Clone)]
struct Session {
    date: NaiveDate,
    opens: NaiveTime,
    closes: NaiveTime,
    capacity: Capacity,
    drive: Option<(Uuid, String)>,
}

/// What is needed to know a site's sessions over a range of dates.
struct Plan {
    weekly: Option<WeeklySchedule>,
    drives: HashMap<NaiveDate, DriveRow>,
}

impl Plan {
    fn session(&self, site: &Site, date: NaiveDate) -> Option<Session> {
        match site.fields.kind {
            SiteKind::Fixed => {
                let w = self.weekly.as_ref()?;
                let (opens, closes) = w.hours_on(date)?;
                Some(Session { date, opens, closes, capacity: w.capacity, drive: None })
            }
            SiteKind::Mobile => {
                let d = self.drives.get(&date)?;
                Some(Session { date, opens: d.opens, closes: d.closes, capacity: drive_capacity(d), drive: Some((d.id, d.location.clone())) })
            }
        }
    }
}

fn drive_capacity(d: &DriveRow) -> Capacity {
    Capacity { slot_minutes: d.slot_minutes as u32, chairs: d.chairs as u32, machines: d.machines as u32 }
}

fn weekly_of(row: &ScheduleRow) -> Result<WeeklySchedule> {
    let hours: Vec<OpeningHours> = serde_json::from_str(&row.hours).map_err(|e| StoreError::Corrupt(format!("schedule {}: {e}", row.id)))?;
    Ok(WeeklySchedule {
        capacity: Capacity { slot_minutes: row.slot_minutes as u32, chairs: row.chairs as u32, machines: row.machines as u32 },
        hours,
    })
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// A local wall-clock time of a site as an instant (the earlier one in a DST fold).
fn instant(site: &Site, date: NaiveDate, t: NaiveTime) -> Option<DateTime<Utc>> {
    site.fields.time_zone.tz().from_local_datetime(&date.and_time(t)).earliest().map(|d| d.with_timezone(&Utc))
}

fn local_date(site: &Site, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&site.fields.time_zone.tz()).date_naive()
}

/// The donor acting through a booking link: allowed to see and book for themselves
/// only; the use cases below never let it reach another donor.
fn link_actor(donor: &DonorRow) -> Actor {
    Actor {
        user_id: None,
        username: format!("donor:{} (booking link)", donor.donor_number),
        display_name: donor.first_name.clone(),
        roles: Roles::new([Role::Recruiter]).expect("one role"),
        hospital_id: None,
        via_token: true,
    }
}

impl App {
    async fn site_by_ref(&self, s: &str) -> Result<Site> {
        let s = s.trim();
        let sites = self.store.list_sites().await?;
        sites
            .into_iter()
            .find(|x| x.id.to_string() == s || x.fields.code.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| AppError::NotFound(format!("no site '{s}'")))
    }

    async fn plan(&self, site: &Site, from: NaiveDate, to: NaiveDate) -> Result<Plan> {
        let weekly = match self.store.current_schedule(site.id).await? {
            Some(row) => Some(weekly_of(&row)?),
            None => None,
        };
        let drives = self.store.drives_between(Some(site.id), from, to).await?.into_iter().map(|d| (d.on_date, d)).collect();
        Ok(Plan { weekly, drives })
    }

    /// Live appointments per (slot start, resource) of a site over a range.
    async fn booked_counts(
        &self,
        site: &Site,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(HashMap<(DateTime<Utc>, String), u32>, Vec<AppointmentRow>)> {
        let start = instant(site, from, NaiveTime::MIN).unwrap_or_else(|| from.and_time(NaiveTime::MIN).and_utc()) - Duration::hours(1);
        let end = instant(site, to + Duration::days(1), NaiveTime::MIN).unwrap_or_else(|| to.and_time(NaiveTime::MIN).and_utc()) + Duration::days(1);
        let rows = self.store.appointments_between(site.id, start, end).await?;
        let mut counts = HashMap::new();
        for a in rows.iter().filter(|a| a.status != "cancelled") {
            *counts.entry((a.slot_start, a.resource.clone())).or_insert(0) += 1;
        }
        Ok((counts, rows))
    }

    fn slots_of(&self, site: &Site, s: &Session, counts: &HashMap<(DateTime<Utc>, String), u32>) -> Vec<SlotView> {
        slot_starts(s.opens, s.closes, s.capacity.slot_minutes)
            .into_iter()
            .filter_map(|t| {
                let at = instant(site, s.date, t)?;
                let seats = |r: Resource| {
                    let capacity = s.capacity.of(r);
                    let booked = counts.get(&(at, r.as_str().to_string())).copied().unwrap_or(0);
                    Seats { capacity, booked, free: capacity.saturating_sub(booked) }
                };
                Some(SlotView { time: hhmm(t), starts_at: at, chair: seats(Resource::Chair), machine: seats(Resource::Machine) })
            })
            .collect()
    }

    // -------------------------------------------------------------- schedules

    pub async fn site_schedule(&self, actor: &Actor, site_ref: &str) -> Result<ScheduleView> {
        actor.require(Permission::ViewSites)?;
        let site = self.site_by_ref(site_ref).await?;
        let history = self.store.schedule_history(site.id).await?;
        let weekly = match history.last() {
            Some(row) => {
                let w = weekly_of(row)?;
                Some(WeeklyView {
                    version: row.version,
                    slot_minutes: w.capacity.slot_minutes,
                    chairs: w.capacity.chairs,
                    machines: w.capacity.machines,
                    hours: w
                        .hours
                        .iter()
                        .map(|h| HoursInput { day: domain::appointment::day_name(h.weekday).into(), opens: hhmm(h.opens), closes: hhmm(h.closes) })
                        .collect(),
                    hours_text: w.hours_text(),
                    entered_at: row.entered_at,
                    entered_by: row.entered_by.clone(),
                    reason: row.reason.clone(),
                })
            }
            None => None,
        };
        let today = local_date(&site, Utc::now());
        let drives = self
            .store
            .drives_between(Some(site.id), today, today + Duration::days(366))
            .await?
            .iter()
            .map(|d| DriveView {
                id: d.id,
                date: d.on_date,
                opens: hhmm(d.opens),
                closes: hhmm(d.closes),
                location: d.location.clone(),
                slot_minutes: d.slot_minutes as u32,
                chairs: d.chairs as u32,
                machines: d.machines as u32,
            })
            .collect();
        Ok(ScheduleView {
            site_id: site.id,
            site_code: site.fields.code.as_str().into(),
            site_name: site.fields.name.clone(),
            kind: site.fields.kind.as_str().into(),
            time_zone: site.fields.time_zone.as_str().into(),
            weekly,
            versions: history.len(),
            drives,
        })
    }

    /// Records a new version of a fixed site's weekly schedule (with its reason).
    pub async fn set_site_schedule(&self, actor: &Actor, site_ref: &str, input: &ScheduleInput) -> Result<ScheduleView> {
        actor.require(Permission::ManageSchedules)?;
        let site = self.site_by_ref(site_ref).await?;
        let (weekly, reason) = input.validate()?;
        if site.fields.kind != SiteKind::Fixed {
            return Err(FieldError::new("site", "a mobile site has no weekly hours; plan its drives instead").into());
        }
        let mut tx = self.store.begin_write().await?;
        let version = tx.next_schedule_version(site.id).await?;
        let row = ScheduleRow {
            id: Uuid::now_v7(),
            site_id: site.id,
            version,
            slot_minutes: weekly.capacity.slot_minutes.into(),
            chairs: weekly.capacity.chairs.into(),
            machines: weekly.capacity.machines.into(),
            hours: serde_json::to_string(&weekly.hours).expect("serialises"),
            entered_at: store::now(),
            entered_by: actor.username.clone(),
            reason: reason.clone(),
        };
        tx.insert_schedule(&row).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "schedule.set", "site", site.id).after(&weekly).reason(Some(reason))).await?;
        tx.commit().await?;
        self.site_schedule(actor, &site.id.to_string()).await
    }

    /// Plans a mobile drive: a session of a mobile site on a date.
    pub async fn add_drive(&self, actor: &Actor, site_ref: &str, input: &DriveInput) -> Result<DriveView> {
        actor.require(Permission::ManageSchedules)?;
        let site = self.site_by_ref(site_ref).await?;
        let fields = input.validate(local_date(&site, Utc::now()))?;
        if site.fields.kind != SiteKind::Mobile {
            return Err(FieldError::new("site", "drives are held at mobile sites; a fixed site has weekly hours").into());
        }
        let row = DriveRow {
            id: Uuid::now_v7(),
            site_id: site.id,
            on_date: fields.date,
            opens: fields.opens,
            closes: fields.closes,
            location: fields.location.clone(),
            slot_minutes: fields.capacity.slot_minutes.into(),
            chairs: fields.capacity.chairs.into(),
            machines: fields.capacity.machines.into(),
            created_at: store::now(),
            created_by: actor.username.clone(),
        };
        let mut tx = self.store.begin_write().await?;
        tx.insert_drive(&row).await.map_err(|e| match e {
            StoreError::Duplicate { .. } => AppError::Conflict(format!("{} already has a drive on {}", site.fields.code.as_str(), fields.date)),
            e => e.into(),
        })?;
        tx.append_audit(AuditDraft::new(&actor.username, "drive.plan", "drive_session", row.id).after(&fields)).await?;
        tx.commit().await?;
        Ok(DriveView {
            id: row.id,
            date: row.on_date,
            opens: hhmm(row.opens),
            closes: hhmm(row.closes),
            location: row.location,
            slot_minutes: fields.capacity.slot_minutes,
            chairs: fields.capacity.chairs,
            machines: fields.capacity.machines,
        })
    }

    // -------------------------------------------------------------- grid

    /// A site's day: the slot grid and the appointments.
    pub async fn day_grid(&self, actor: &Actor, site_ref: &str, date: &str) -> Result<DayGrid> {
        actor.require(Permission::BookAppointments)?;
        let site = self.site_by_ref(site_ref).await?;
        let date = parse_day("date", date)?;
        let plan = self.plan(&site, date, date).await?;
        let session = plan.session(&site, date);
        let (counts, rows) = self.booked_counts(&site, date, date).await?;
        let slots = session.as_ref().map(|s| self.slots_of(&site, s, &counts)).unwrap_or_default();
        let mut appointments = Vec::new();
        for a in rows.iter().filter(|a| local_date(&site, a.slot_start) == date) {
            appointments.push(self.appointment_view(a, Some(&site), None).await?);
        }
        Ok(DayGrid {
            site_id: site.id,
            site_code: site.fields.code.as_str().into(),
            site_name: site.fields.name.clone(),
            date,
            opens: session.as_ref().map(|s| hhmm(s.opens)),
            closes: session.as_ref().map(|s| hhmm(s.closes)),
            location: session.as_ref().and_then(|s| s.drive.as_ref().map(|d| d.1.clone())),
            slot_minutes: session.as_ref().map(|s| s.capacity.slot_minutes),
            slots,
            appointments,
        })
    }

    async fn appointment_view(&self, a: &AppointmentRow, site: Option<&Site>, donor: Option<&DonorRow>) -> Result<AppointmentView> {
        let site = match site {
            Some(s) => s.clone(),
            None => self.store.site(a.site_id).await?.ok_or_else(|| StoreError::Corrupt(format!("appointment {} has no site", a.id)))?,
        };
        let donor = match donor {
            Some(d) => d.clone(),
            None => self.store.donor_by_id(a.donor_id).await?.ok_or_else(|| StoreError::Corrupt(format!("appointment {} has no donor", a.id)))?,
        };
        let location = match a.drive_session_id {
            Some(_) => self
                .store
                .drives_between(Some(site.id), local_date(&site, a.slot_start), local_date(&site, a.slot_start))
                .await?
                .first()
                .map(|d| d.location.clone()),
            None => None,
        };
        let local = a.slot_start.with_timezone(&site.fields.time_zone.tz());
        let procedure = DonationProcedure::parse(&a.procedure).ok();
        Ok(AppointmentView {
            id: a.id,
            donor_number: donor.donor_number.clone(),
            donor_name: format!("{} {}", donor.first_name, donor.last_name),
            site_id: site.id,
            site_code: site.fields.code.as_str().into(),
            site_name: site.fields.name.clone(),
            location,
            date: local.date_naive(),
            time: local.format("%H:%M").to_string(),
            starts_at: a.slot_start,
            procedure: a.procedure.clone(),
            procedure_title: procedure.map(procedure_title).unwrap_or("").to_string(),
            resource: a.resource.clone(),
            seat: a.seat,
            status: a.status.clone(),
            booked_via: a.booked_via.clone(),
            booked_by: a.booked_by.clone(),
            cancel_reason: a.cancel_reason.clone(),
        })
    }

    /// A donor's appointments from today on (for the donor page).
    pub async fn upcoming_appointments(&self, actor: &Actor, donor_number: &str) -> Result<Vec<AppointmentView>> {
        actor.require(Permission::ViewDonors)?;
        let donor = self.donor_row(donor_number).await?;
        let since = Utc::now() - Duration::hours(12);
        let mut out = Vec::new();
        for a in self.store.appointments_of_donor(donor.id).await?.iter().filter(|a| a.slot_start >= since) {
            out.push(self.appointment_view(a, None, Some(&donor)).await?);
        }
        Ok(out)
    }

    async fn donor_row(&self, number: &str) -> Result<DonorRow> {
        self.store.donor_by_number(number.trim()).await?.ok_or_else(|| AppError::NotFound(format!("no donor has the number '{}'", number.trim())))
    }

    // -------------------------------------------------------------- booking

    /// Books a donor into a slot (staff).
    pub async fn book_appointment(&self, actor: &Actor, input: &BookingInput) -> Result<Booked> {
        actor.require(Permission::BookAppointments)?;
        let mut errors = FieldErrors::default();
        let date = errors.take(parse_day("date", &input.date));
        let time = errors.take(parse_time("time", &input.time));
        let procedure = errors.take(DonationProcedure::parse(&input.procedure));
        if input.donor_number.trim().is_empty() {
            errors.0.push(FieldError::new("donor_number", "which donor?"));
        }
        if input.site.trim().is_empty() {
            errors.0.push(FieldError::new("site", "which site?"));
        }
        let (Some(date), Some(time), Some(procedure), true) = (date, time, procedure, errors.is_empty()) else {
            return Err(errors.into());
        };
        let donor = self.donor_row(&input.donor_number).await?;
        let site = self.site_by_ref(&input.site).await?;
        self.book(actor, "staff", &donor, &site, date, time, procedure, true).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn book(
        &self,
        actor: &Actor,
        via: &str,
        donor: &DonorRow,
        site: &Site,
        date: NaiveDate,
        time: NaiveTime,
        procedure: DonationProcedure,
        notify: bool,
    ) -> Result<Booked> {
        if !site.fields.active {
            return Err(FieldError::new("site", format!("{} is not taking donors (inactive)", site.fields.code.as_str())).into());
        }
        let Some(resource) = Resource::for_procedure(procedure) else {
            return Err(FieldError::new("procedure", format!("{} collections are not booked as appointments", procedure.as_str())).into());
        };
        let plan = self.plan(site, date, date).await?;
        let Some(session) = plan.session(site, date) else {
            return Err(FieldError::new("date", format!("{} takes no donors on {} {date}", site.fields.name, weekday_name(date))).into());
        };
        if !slot_starts(session.opens, session.closes, session.capacity.slot_minutes).contains(&time) {
            return Err(FieldError::new(
                "time",
                format!(
                    "{} is not the start of a slot: {} is open {}–{} in {}-minute slots",
                    hhmm(time),
                    site.fields.name,
                    hhmm(session.opens),
                    hhmm(session.closes),
                    session.capacity.slot_minutes
                ),
            )
            .into());
        }
        let capacity = session.capacity.of(resource);
        if capacity == 0 {
            let what = if resource == Resource::Machine { "apheresis machines" } else { "donor chairs" };
            return Err(FieldError::new(
                "procedure",
                format!("{} has no {what} on {date}, so it cannot take {}", site.fields.name, procedure.as_str()),
            )
            .into());
        }
        let start = instant(site, date, time).ok_or_else(|| FieldError::new("time", "this time does not exist on that day (clock change)"))?;
        if start <= Utc::now() {
            return Err(FieldError::new("time", "this slot is in the past").into());
        }
        let end = start + Duration::minutes(i64::from(session.capacity.slot_minutes));
        let cancel_token = new_secret("hfc_");
        let rules = self.rule_book().await?;
        for _ in 0..SEAT_ATTEMPTS {
            let mut tx = self.store.begin_write().await?;
            // The outlook is decided on the history and register read under the lock.
            let locked = tx.lock_donor_family(store::DonorKey::Id(donor.id)).await?.ok_or_else(|| AppError::NotFound("the donor".into()))?;
            let sites = tx.list_sites().await?;
            let clocks = crate::donor_facts::SiteClocks::new(self.settings.time_zone, &sites);
            let today = local_date(&site, Utc::now());
            let sex = domain::Sex::parse(&locked.donor.sex).map_err(|e| AppError::Store(StoreError::Corrupt(e.to_string())))?;
            let history = crate::donor_facts::history(&locked.donations, &clocks, today);
            let register = crate::donor_facts::register(&locked.deferrals, today);
            let o = crate::donor_facts::outlook(&rules, sex, locked.donor.birth_date, &history, &register, today, procedure)
                .map_err(|e| AppError::Conflict(format!("eligibility could not be decided: {e}")))?;
            let why = o.reasons.iter().map(|r| r.message.clone()).collect::<Vec<_>>().join("; ");
            match o.next_eligible_date {
                None => {
                    return Err(AppError::Conflict(format!(
                        "{} may not give {} ({why})",
                        donor.donor_number,
                        procedure_title(procedure).to_lowercase()
                    )))
                }
                Some(next) if next > date => {
                    return Err(AppError::Conflict(format!(
                        "{} may give {} from {next} on, not on {date} ({why})",
                        donor.donor_number,
                        procedure_title(procedure).to_lowercase()
                    )))
                }
                Some(_) => {}
            }
            if tx.donor_overlaps(donor.id, start, end).await? > 0 {
                return Err(AppError::Conflict(format!("{} already has an appointment at that time", donor.donor_number)));
            }
            // A link books one appointment at a time, so a leaked link cannot fill a day.
            if via == "link" && tx.donor_overlaps(donor.id, Utc::now(), Utc::now() + Duration::days(3660)).await? > 0 {
                return Err(AppError::Conflict(
                    "you already have an appointment booked; cancel it from your confirmation email before booking another".into(),
                ));
            }
            let taken = tx.taken_seats(site.id, start, resource.as_str()).await?;
            let free_seat = (1..=i64::from(capacity)).find(|s| !taken.contains(s));
            let (Some(seat), true) = (free_seat, (taken.len() as u32) < capacity) else {
                return Err(AppError::Conflict(format!(
                    "the {} slot at {} on {date} is full ({capacity} {} booked)",
                    hhmm(time),
                    site.fields.name,
                    if resource == Resource::Machine { "machines" } else { "chairs" }
                )));
            };
            let row = AppointmentRow {
                id: Uuid::now_v7(),
                donor_id: donor.id,
                site_id: site.id,
                drive_session_id: session.drive.as_ref().map(|d| d.0),
                procedure: procedure.as_str().into(),
                resource: resource.as_str().into(),
                slot_start: start,
                slot_end: end,
                seat,
                status: "booked".into(),
                booked_at: store::now(),
                booked_by: actor.username.clone(),
                booked_via: via.into(),
                cancel_token_hash: token_hash(&cancel_token),
                status_changed_at: None,
                status_changed_by: None,
                cancel_reason: None,
                reminder_sent_at: None,
            };
            match tx.insert_appointment(&row).await {
                // Another booking took this seat since we looked: look again.
                Err(StoreError::Duplicate { .. }) => continue,
                Err(e) => return Err(e.into()),
                Ok(()) => {}
            }
            let view = self.appointment_view(&row, Some(site), Some(donor)).await?;
            tx.append_audit(AuditDraft::new(&actor.username, "appointment.book", "appointment", row.id).donor(&donor.donor_number).after(&view))
                .await?;
            tx.commit().await?;
            let confirmation_email =
                if notify { self.send_confirmation(donor, &view, &cancel_token).await } else { "not sent: demo data".to_string() };
            return Ok(Booked { appointment: view, confirmation_email });
        }
        Err(AppError::Conflict("this slot is being booked by many people right now; try again".into()))
    }

    /// Tells the donor about the booking; the booking stands whatever happens here.
    async fn send_confirmation(&self, donor: &DonorRow, a: &AppointmentView, cancel_token: &str) -> String {
        let cancel = self.public_link(&format!("/book/cancel/{cancel_token}"));
        let place = match &a.location {
            Some(l) => format!("{} ({l})", a.site_name),
            None => a.site_name.clone(),
        };
        let text = format!(
            "Dear {},\n\nthank you for booking a donation.\n\n  What:  {}\n  Where: {}\n  When:  {} {} at {}\n\nPlease eat and drink well before you come and bring a photo ID.\n\nCannot come? Cancel here so someone else can take the place:\n{cancel}\n",
            donor.first_name,
            a.procedure_title,
            place,
            weekday_name(a.date),
            a.date,
            a.time
        );
        let subject = format!("Your donation appointment on {} at {}", a.date, a.time);
        self.email_donor(donor, subject, text, "appointment.confirmation", a.id).await
    }

    async fn email_donor(&self, donor: &DonorRow, subject: String, text: String, kind: &str, related: Uuid) -> String {
        let Some(to) = donor.email.clone().filter(|e| !e.trim().is_empty()) else {
            return "not sent: no email address".into();
        };
        match self.store.donor_email_consent(donor.id).await {
            Ok(true) => {}
            Ok(false) => return "not sent: no consent to email".into(),
            Err(e) => return format!("not sent: {e}"),
        }
        if self.settings.smtp_url.is_none() {
            return "not sent: email is not configured".into();
        }
        let email = OutgoingEmail { to, subject, text, html: None, list_unsubscribe: None, kind: kind.into(), related: Some(related.to_string()) };
        match self.send_email(&email).await {
            Ok(s) if s.status == EmailStatus::Sent => "sent".into(),
            Ok(s) => format!("failed: {}", s.error.unwrap_or_default()),
            Err(e) => format!("failed: {e}"),
        }
    }

    // -------------------------------------------------------------- cancel, attendance

    pub async fn cancel_appointment(&self, actor: &Actor, id: Uuid, input: &CancelInput) -> Result<AppointmentView> {
        actor.require(Permission::BookAppointments)?;
        self.cancel(actor, id, input.reason.trim()).await
    }

    async fn cancel(&self, actor: &Actor, id: Uuid, reason: &str) -> Result<AppointmentView> {
        if reason.is_empty() {
            return Err(FieldError::new("reason", "say why the appointment is cancelled").into());
        }
        let mut tx = self.store.begin_write().await?;
        let a = tx.appointment_for_update(id).await?.ok_or_else(|| AppError::NotFound(format!("no appointment {id}")))?;
        if a.status != "booked" {
            return Err(AppError::Conflict(format!("this appointment is already {}", a.status.replace('_', "-"))));
        }
        if a.slot_start <= Utc::now() {
            return Err(AppError::Conflict("this appointment has begun; record attendance instead".into()));
        }
        let before = self.appointment_view(&a, None, None).await?;
        tx.change_appointment_status(id, "cancelled", store::now(), &actor.username, Some(reason)).await?;
        let after = AppointmentView { status: "cancelled".into(), cancel_reason: Some(reason.into()), ..before.clone() };
        tx.append_audit(
            AuditDraft::new(&actor.username, "appointment.cancel", "appointment", id)
                .donor(&before.donor_number)
                .before(&before)
                .after(&after)
                .reason(Some(reason.into())),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn record_attendance(&self, actor: &Actor, id: Uuid, input: &AttendanceInput) -> Result<AppointmentView> {
        actor.require(Permission::BookAppointments)?;
        let mut tx = self.store.begin_write().await?;
        let a = tx.appointment_for_update(id).await?.ok_or_else(|| AppError::NotFound(format!("no appointment {id}")))?;
        if a.status != "booked" {
            return Err(AppError::Conflict(format!("this appointment is already {}", a.status.replace('_', "-"))));
        }
        let before = self.appointment_view(&a, None, None).await?;
        let site = self.store.site(a.site_id).await?.ok_or_else(|| StoreError::Corrupt(format!("appointment {id} has no site")))?;
        if before.date > local_date(&site, Utc::now()) {
            return Err(AppError::Conflict(format!("attendance is recorded on or after the day of the appointment ({})", before.date)));
        }
        let status = if input.attended { "attended" } else { "no_show" };
        tx.change_appointment_status(id, status, store::now(), &actor.username, None).await?;
        let after = AppointmentView { status: status.into(), ..before.clone() };
        tx.append_audit(
            AuditDraft::new(&actor.username, "appointment.attendance", "appointment", id).donor(&before.donor_number).before(&before).after(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    // -------------------------------------------------------------- booking links

    /// A personal link for the donor to book without a password. Only the token's
    /// hash is stored; the URL is shown once.
    pub async fn create_booking_link(&self, actor: &Actor, number: &str, input: &BookingLinkInput) -> Result<BookingLink> {
        actor.require(Permission::BookAppointments)?;
        let days = input.valid_days.unwrap_or(self.settings.booking_link_days);
        if !(1..=90).contains(&days) {
            return Err(FieldError::new("valid_days", "a booking link is valid for 1 to 90 days").into());
        }
        let donor = self.donor_row(number).await?;
        let token = new_secret("hfb_");
        let now = store::now();
        let row = BookingLinkRow {
            id: Uuid::now_v7(),
            donor_id: donor.id,
            token_hash: token_hash(&token),
            created_at: now,
            created_by: actor.username.clone(),
            expires_at: now + Duration::days(days),
        };
        let mut tx = self.store.begin_write().await?;
        tx.insert_booking_link(&row).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "booking_link.create", "donor", &donor.donor_number)
                .donor(&donor.donor_number)
                .after(serde_json::json!({"link": row.id, "donor_number": donor.donor_number, "expires_at": row.expires_at})),
        )
        .await?;
        tx.commit().await?;
        Ok(BookingLink { donor_number: donor.donor_number, url: self.public_link(&format!("/book/{token}")), expires_at: row.expires_at })
    }

    async fn resolve_link(&self, token: &str) -> Result<(BookingLinkRow, DonorRow)> {
        let link = self
            .store
            .booking_link(&token_hash(token.trim()))
            .await?
            .ok_or_else(|| AppError::NotFound("this booking link is not known; check that the whole link was copied".into()))?;
        if link.expires_at <= Utc::now() {
            return Err(AppError::Gone(format!(
                "this booking link expired on {}; please ask the blood centre for a new one",
                link.expires_at.with_timezone(&self.settings.time_zone).format("%Y-%m-%d")
            )));
        }
        let donor =
            self.store.donor_by_id(link.donor_id).await?.ok_or_else(|| StoreError::Corrupt(format!("booking link {} has no donor", link.id)))?;
        Ok((link, donor))
    }

    /// Sites a link offers: the donor's preferred site (else every active fixed site)
    /// and every active mobile site.
    async fn offered_sites(&self, donor: &DonorRow) -> Result<Vec<Site>> {
        let sites: Vec<Site> = self.store.list_sites().await?.into_iter().filter(|s| s.fields.active).collect();
        let preferred = donor.preferred_site.filter(|p| sites.iter().any(|s| s.id == *p && s.fields.kind == SiteKind::Fixed));
        Ok(sites.into_iter().filter(|s| s.fields.kind == SiteKind::Mobile || preferred.is_none_or(|p| p == s.id)).collect())
    }

    /// What the public page shows: free slots over the coming weeks for the
    /// procedures the donor may give on each date.
    pub async fn booking_offer(&self, token: &str, selected: Option<&str>) -> Result<BookingOffer> {
        let (link, donor) = self.resolve_link(token).await?;
        let profile = self.donor_profile(&link_actor(&donor), &donor.donor_number).await?;
        let today = Utc::now().with_timezone(&self.settings.time_zone).date_naive();
        let last = today + Duration::days(OFFER_DAYS);
        let now = Utc::now();
        let mut all: Vec<SlotOption> = Vec::new();
        for site in self.offered_sites(&donor).await? {
            let plan = self.plan(&site, today, last).await?;
            let (counts, _) = self.booked_counts(&site, today, last).await?;
            let mut date = today;
            while date <= last {
                if let Some(session) = plan.session(&site, date) {
                    for slot in self.slots_of(&site, &session, &counts).into_iter().filter(|s| s.starts_at > now) {
                        for procedure in BOOKABLE {
                            let Some(resource) = Resource::for_procedure(procedure) else { continue };
                            let eligible =
                                profile.outlook.iter().any(|o| o.procedure == procedure && o.next_eligible_date.is_some_and(|d| d <= date));
                            let free = slot.seats(resource).free;
                            if eligible && free > 0 {
                                all.push(SlotOption {
                                    site_id: site.id,
                                    site_name: site.fields.name.clone(),
                                    location: session.drive.as_ref().map(|d| d.1.clone()),
                                    date,
                                    time: slot.time.clone(),
                                    procedure: procedure.as_str().into(),
                                    procedure_title: procedure_title(procedure).into(),
                                    free,
                                });
                            }
                        }
                    }
                }
                date += Duration::days(1);
            }
        }
        all.sort_by(|a, b| (a.date, &a.time, &a.site_name).cmp(&(b.date, &b.time, &b.site_name)));
        let mut days: Vec<OfferDay> = Vec::new();
        for o in &all {
            match days.last_mut() {
                Some(d) if d.date == o.date => d.options += 1,
                _ => days.push(OfferDay { date: o.date, label: format!("{} {}", &weekday_name(o.date)[..3], o.date.format("%d %b")), options: 1 }),
            }
        }
        let selected = match selected.map(|s| parse_day("date", s)).transpose()? {
            Some(d) if days.iter().any(|x| x.date == d) => Some(d),
            _ => days.first().map(|d| d.date),
        };
        let options = all.into_iter().filter(|o| Some(o.date) == selected).collect();
        Ok(BookingOffer { first_name: donor.first_name, expires_at: link.expires_at, days, selected, options })
    }

    /// Books from a personal link: the same checks and seat rules as staff booking.
    pub async fn book_with_link(&self, token: &str, input: &LinkBookingInput) -> Result<Booked> {
        let (_, donor) = self.resolve_link(token).await?;
        let mut errors = FieldErrors::default();
        let date = errors.take(parse_day("date", &input.date));
        let time = errors.take(parse_time("time", &input.time));
        let procedure = errors.take(DonationProcedure::parse(&input.procedure));
        let (Some(date), Some(time), Some(procedure), true) = (date, time, procedure, errors.is_empty()) else {
            return Err(errors.into());
        };
        let site_id = Uuid::parse_str(input.site.trim()).map_err(|_| FieldError::new("site", "choose a place from the list"))?;
        let site = self
            .offered_sites(&donor)
            .await?
            .into_iter()
            .find(|s| s.id == site_id)
            .ok_or_else(|| FieldError::new("site", "this place is not offered to you; choose one from the list"))?;
        self.book(&link_actor(&donor), "link", &donor, &site, date, time, procedure, true).await
    }

    /// The appointment a cancel link is for.
    pub async fn appointment_for_cancel_token(&self, token: &str) -> Result<AppointmentView> {
        let a = self
            .store
            .appointment_by_cancel_token(&token_hash(token.trim()))
            .await?
            .ok_or_else(|| AppError::NotFound("this cancellation link is not known".into()))?;
        self.appointment_view(&a, None, None).await
    }

    /// Cancels from the link in the confirmation email.
    pub async fn cancel_with_token(&self, token: &str, reason: &str) -> Result<AppointmentView> {
        let a = self.appointment_for_cancel_token(token).await?;
        let donor = self.donor_row(&a.donor_number).await?;
        let reason = if reason.trim().is_empty() { "cancelled by the donor" } else { reason.trim() };
        self.cancel(&link_actor(&donor), a.id, reason).await
    }

    // -------------------------------------------------------------- reminders

    /// Emails a reminder for each booked appointment of tomorrow (site time) that has
    /// not had one. An appointment's reminder is claimed before sending, so two runs
    /// never both send it; it is released only if the mail server could not be reached.
    pub async fn send_reminders(&self) -> Result<ReminderReport> {
        let now = Utc::now();
        let mut report = ReminderReport::default();
        let sites: HashMap<Uuid, Site> = self.store.list_sites().await?.into_iter().map(|s| (s.id, s)).collect();
        for a in self.store.reminders_due(now, now + Duration::hours(50)).await? {
            let Some(site) = sites.get(&a.site_id) else { continue };
            if local_date(site, a.slot_start) != local_date(site, now) + Duration::days(1) {
                continue;
            }
            let Some(donor) = self.store.donor_by_id(a.donor_id).await? else { continue };
            if donor.email.as_deref().is_none_or(|e| e.trim().is_empty()) || !self.store.donor_email_consent(donor.id).await? {
                report.skipped += 1;
                continue;
            }
            let mut tx = self.store.begin_write().await?;
            let claimed = tx.claim_reminder(a.id, store::now()).await?;
            tx.commit().await?;
            if !claimed {
                continue;
            }
            let view = self.appointment_view(&a, Some(site), Some(&donor)).await?;
            let place = match &view.location {
                Some(l) => format!("{} ({l})", view.site_name),
                None => view.site_name.clone(),
            };
            let text = format!(
                "Dear {},\n\na reminder of your donation appointment tomorrow:\n\n  What:  {}\n  Where: {}\n  When:  {} {} at {}\n\nPlease eat and drink well before you come and bring a photo ID. Thank you!\n",
                donor.first_name,
                view.procedure_title,
                place,
                weekday_name(view.date),
                view.date,
                view.time
            );
            let email = OutgoingEmail {
                to: donor.email.clone().unwrap_or_default(),
                subject: format!("Reminder: your donation appointment tomorrow at {}", view.time),
                text,
                html: None,
                list_unsubscribe: None,
                kind: "appointment.reminder".into(),
                related: Some(a.id.to_string()),
            };
            match self.send_email(&email).await {
                Ok(s) if s.status == EmailStatus::Sent => report.sent += 1,
                Ok(_) => report.failed += 1,
                Err(e) => {
                    report.failed += 1;
                    let mut tx = self.store.begin_write().await?;
                    tx.release_reminder(a.id).await?;
                    tx.commit().await?;
                    tracing::warn!(appointment = %a.id, error = %e, "reminder not sent; will retry");
                }
            }
        }
        Ok(report)
    }
}

impl App {
    /// Demo centre: opening hours of the fixed sites, a few mobile drives in the coming
    /// weeks and upcoming appointments booked through the real booking path (no emails).
    pub(crate) async fn demo_appointments(&self, actor: &Actor, seed: u64) -> Result<usize> {
        use rand::seq::SliceRandom;
        use rand::{Rng, SeedableRng};
        let weekdays = |opens: &str, closes: &str, days: &[&str]| -> Vec<HoursInput> {
            days.iter().map(|d| HoursInput { day: d.to_string(), opens: opens.into(), closes: closes.into() }).collect()
        };
        let mut main_hours = weekdays("07:30", "18:00", &["mon", "tue", "wed", "thu", "fri"]);
        main_hours.extend(weekdays("08:00", "13:00", &["sat"]));
        for (code, hours, slot, chairs, machines) in
            [("MAIN", main_hours, 15, 6, 3), ("NORTH", weekdays("09:00", "17:00", &["mon", "tue", "wed", "thu", "fri"]), 30, 4, 1)]
        {
            let input = ScheduleInput { slot_minutes: slot, chairs, machines, hours, reason: "demo centre opening hours".into() };
            self.set_site_schedule(actor, code, &input).await?;
        }
        let sites = self.store.list_sites().await?;
        let today = Utc::now().with_timezone(&self.settings.time_zone).date_naive();
        let drives: [(&str, i64, &str, &str, &str); 5] = [
            ("DRV-UNIV", 3, "10:00", "16:00", "Student Union ballroom"),
            ("DRV-STLUKE", 6, "09:00", "13:00", "Parish hall, lower level"),
            ("DRV-ACME", 9, "08:00", "14:00", "Building C cafeteria"),
            ("DRV-LINCOLN", 13, "11:00", "17:00", "Gym, north entrance"),
            ("DRV-UNIV", 17, "10:00", "16:00", "Student Union ballroom"),
        ];
        for (code, days, opens, closes, location) in drives {
            if !sites.iter().any(|s| s.fields.code.as_str() == code) {
                continue;
            }
            let input = DriveInput {
                date: (today + Duration::days(days)).to_string(),
                opens: opens.into(),
                closes: closes.into(),
                location: location.into(),
                slot_minutes: 20,
                chairs: 6,
                machines: 0,
            };
            self.add_drive(actor, code, &input).await?;
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0xA990);
        let mut numbers = self.store.donor_numbers(600).await?;
        numbers.shuffle(&mut rng);
        let bookable: Vec<Site> = sites
            .into_iter()
            .filter(|s| s.fields.active && ["MAIN", "NORTH"].contains(&s.fields.code.as_str()) || s.fields.kind == SiteKind::Mobile)
            .collect();
        let mut booked = 0;
        for number in numbers {
            if booked >= 150 {
                break;
            }
            let Some(donor) = self.store.donor_by_number(&number).await? else { continue };
            let site = &bookable[rng.gen_range(0..bookable.len())];
            let date = today + Duration::days(rng.gen_range(1..=18));
            let plan = self.plan(site, date, date).await?;
            let Some(session) = plan.session(site, date) else { continue };
            let starts = slot_starts(session.opens, session.closes, session.capacity.slot_minutes);
            let Some(time) = starts.choose(&mut rng).copied() else { continue };
            let procedure = match rng.gen_range(0..10) {
                0 => DonationProcedure::Platelets,
                1 => DonationProcedure::Plasma,
                2 => DonationProcedure::DoubleRedCells,
                _ => DonationProcedure::WholeBlood,
            };
            match self.book(actor, "staff", &donor, site, date, time, procedure, false).await {
                Ok(_) => booked += 1,
                // Not eligible that day, no machines there, slot full: as at a real desk.
                Err(AppError::Invalid(_) | AppError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(booked)
    }
}
