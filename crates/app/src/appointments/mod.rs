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
/// What a booking's confirmation email came to when no mail server is configured.
pub const CAPTURED_NOTE: &str = "not sent: captured in the Outbox because no mail server is configured";

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
pub(crate) struct Session {
    pub(crate) date: NaiveDate,
    pub(crate) opens: NaiveTime,
    pub(crate) closes: NaiveTime,
    pub(crate) capacity: Capacity,
    pub(crate) drive: Option<(Uuid, String)>,
}

/// What is needed to know a site's sessions over a range of dates.
pub(crate) struct Plan {
    weekly: Option<WeeklySchedule>,
    drives: HashMap<NaiveDate, DriveRow>,
}

impl Plan {
    pub(crate) fn session(&self, site: &Site, date: NaiveDate) -> Option<Session> {
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
    pub(crate) async fn site_by_ref(&self, s: &str) -> Result<Site> {
        let s = s.trim();
        let sites = self.store.list_sites().await?;
        sites
            .into_iter()
            .find(|x| x.id.to_string() == s || x.fields.code.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| AppError::NotFound(format!("no site '{s}'")))
    }

    pub(crate) async fn plan(&self, site: &Site, from: NaiveDate, to: NaiveDate) -> Result<Plan> {
        let weekly = match self.store.current_schedule(site.id).await? {
            Some(row) => Some(weekly_of(&row)?),
            None => None,
        };
        let drives = self.store.drives_between(Some(site.id), from, to).await?.into_iter().map(|d| (d.on_date, d)).collect();
        Ok(Plan { weekly, drives })
    }

    /// Live appointments per (slot start, resource) of a site over a range.
    pub(crate) async fn booked_counts(
        &self,
        site: &Site,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(HashMap<(DateTime<Utc>, String), u32>, Vec<AppointmentRow>)> {
        let start = instant(site, from, NaiveTime::MIN).unwrap_or_else(|| from.and_time(NaiveTime::MIN).and_utc()) - Duration::hours(1);
        let end = instant(site, to + Duration::days(1), NaiveTime::MIN).unwrap_or_else(|| to.and_time(NaiveTime::MIN).and_utc()) + Duration::days(1);
        let rows = self.store.appointments_between(site.id, start, end).await?;
        let mut counts = HashMap::new();
        for a in rows.iter().filter(|a| a.status != domain::appointment::AppointmentStatus::Cancelled) {
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
}

mod booking;
mod links;
mod reminders;
mod schedules;
