//! Site schedules, mobile drive sessions, appointments and booking links.

use crate::{on_pool, on_tx, Backend, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ScheduleRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub version: i64,
    pub slot_minutes: i64,
    pub chairs: i64,
    pub machines: i64,
    /// JSON `[{"weekday": 1, "opens": "08:00:00", "closes": "16:00:00"}]`.
    pub hours: String,
    pub entered_at: DateTime<Utc>,
    pub entered_by: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DriveRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub on_date: NaiveDate,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    pub location: String,
    pub slot_minutes: i64,
    pub chairs: i64,
    pub machines: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AppointmentRow {
    pub id: Uuid,
    pub donor_id: Uuid,
    pub site_id: Uuid,
    pub drive_session_id: Option<Uuid>,
    pub procedure: String,
    pub resource: String,
    pub slot_start: DateTime<Utc>,
    pub slot_end: DateTime<Utc>,
    pub seat: i64,
    #[sqlx(try_from = "String")]
    pub status: domain::appointment::AppointmentStatus,
    pub booked_at: DateTime<Utc>,
    pub booked_by: String,
    /// staff or link.
    pub booked_via: String,
    pub cancel_token_hash: String,
    pub status_changed_at: Option<DateTime<Utc>>,
    pub status_changed_by: Option<String>,
    pub cancel_reason: Option<String>,
    pub reminder_sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BookingLinkRow {
    pub id: Uuid,
    pub donor_id: Uuid,
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub expires_at: DateTime<Utc>,
}

const SCHEDULE_COLUMNS: &str = "id, site_id, version, slot_minutes, chairs, machines, hours, entered_at, entered_by, reason";
const DRIVE_COLUMNS: &str = "id, site_id, on_date, opens, closes, location, slot_minutes, chairs, machines, created_at, created_by";
const APPOINTMENT_COLUMNS: &str = "id, donor_id, site_id, drive_session_id, procedure, resource, slot_start, slot_end, seat, status, booked_at, \
     booked_by, booked_via, cancel_token_hash, status_changed_at, status_changed_by, cancel_reason, reminder_sent_at";
const LINK_COLUMNS: &str = "id, donor_id, token_hash, created_at, created_by, expires_at";

impl Store {
    /// The schedule version in force (the latest).
    pub async fn current_schedule(&self, site_id: Uuid) -> Result<Option<ScheduleRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(&format!(
            "SELECT {SCHEDULE_COLUMNS} FROM site_schedules WHERE site_id = $1 ORDER BY version DESC LIMIT 1"))
            .bind(site_id).fetch_optional(p).await?))
    }

    pub async fn schedule_history(&self, site_id: Uuid) -> Result<Vec<ScheduleRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(&format!("SELECT {SCHEDULE_COLUMNS} FROM site_schedules WHERE site_id = $1 ORDER BY version"))
            .bind(site_id).fetch_all(p).await?))
    }

    /// Drive sessions from `from` to `to` (inclusive), of one site or all.
    pub async fn drives_between(&self, site_id: Option<Uuid>, from: NaiveDate, to: NaiveDate) -> Result<Vec<DriveRow>> {
        Ok(on_pool!(self, p => match site_id {
            Some(s) => sqlx::query_as(&format!(
                "SELECT {DRIVE_COLUMNS} FROM drive_sessions WHERE site_id = $1 AND on_date >= $2 AND on_date <= $3 ORDER BY on_date"))
                .bind(s).bind(from).bind(to).fetch_all(p).await?,
            None => sqlx::query_as(&format!(
                "SELECT {DRIVE_COLUMNS} FROM drive_sessions WHERE on_date >= $1 AND on_date <= $2 ORDER BY on_date, opens"))
                .bind(from).bind(to).fetch_all(p).await?,
        }))
    }

    /// Appointments (every status) of a site starting in `[from, to)`.
    pub async fn appointments_between(&self, site_id: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<AppointmentRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(&format!(
            "SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE site_id = $1 AND slot_start >= $2 AND slot_start < $3 ORDER BY slot_start, resource, seat"))
            .bind(site_id).bind(from).bind(to).fetch_all(p).await?))
    }

    pub async fn appointments_of_donor(&self, donor_id: Uuid) -> Result<Vec<AppointmentRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(&format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE donor_id = $1 ORDER BY slot_start"))
            .bind(donor_id).fetch_all(p).await?))
    }

    pub async fn appointment(&self, id: Uuid) -> Result<Option<AppointmentRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(&format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE id = $1"))
            .bind(id).fetch_optional(p).await?))
    }

    pub async fn appointment_by_cancel_token(&self, token_hash: &str) -> Result<Option<AppointmentRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(&format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE cancel_token_hash = $1"))
            .bind(token_hash).fetch_optional(p).await?))
    }

    pub async fn count_appointments(&self) -> Result<i64> {
        Ok(on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM appointments").fetch_one(p).await?))
    }

    /// Booked appointments starting in `[from, to)` whose reminder has not gone out.
    pub async fn reminders_due(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<AppointmentRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(&format!(
            "SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE status = 'booked' AND reminder_sent_at IS NULL \
             AND slot_start >= $1 AND slot_start < $2 ORDER BY slot_start"))
            .bind(from).bind(to).fetch_all(p).await?))
    }

    pub async fn booking_link(&self, token_hash: &str) -> Result<Option<BookingLinkRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(&format!("SELECT {LINK_COLUMNS} FROM booking_links WHERE token_hash = $1"))
            .bind(token_hash).fetch_optional(p).await?))
    }

    /// The first `limit` donor numbers (for the demo generator).
    pub async fn donor_numbers(&self, limit: i64) -> Result<Vec<String>> {
        Ok(
            on_pool!(self, p => sqlx::query_scalar(&format!("SELECT donor_number FROM donors ORDER BY donor_number LIMIT {limit}")).fetch_all(p).await?),
        )
    }

    /// Whether the donor agreed to be contacted by email.
    pub async fn donor_email_consent(&self, donor_id: Uuid) -> Result<bool> {
        let v: Option<bool> = on_pool!(self, p => sqlx::query_scalar("SELECT consent_email FROM donors WHERE id = $1")
            .bind(donor_id).fetch_optional(p).await?);
        Ok(v.unwrap_or(false))
    }
}

impl WriteTx {
    pub async fn appointments_of_donor(&mut self, donor_id: Uuid) -> Result<Vec<AppointmentRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(&format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE donor_id = $1 ORDER BY slot_start"))
            .bind(donor_id).fetch_all(c).await?))
    }

    pub async fn next_schedule_version(&mut self, site_id: Uuid) -> Result<i64> {
        Ok(on_tx!(self, c => sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM site_schedules WHERE site_id = $1")
            .bind(site_id).fetch_one(c).await?))
    }

    pub async fn insert_schedule(&mut self, s: &ScheduleRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO site_schedules (id, site_id, version, slot_minutes, chairs, machines, hours, entered_at, entered_by, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(s.id).bind(s.site_id).bind(s.version).bind(s.slot_minutes).bind(s.chairs).bind(s.machines).bind(&s.hours)
            .bind(s.entered_at).bind(&s.entered_by).bind(&s.reason)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_drive(&mut self, d: &DriveRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO drive_sessions (id, site_id, on_date, opens, closes, location, slot_minutes, chairs, machines, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(d.id).bind(d.site_id).bind(d.on_date).bind(d.opens).bind(d.closes).bind(&d.location).bind(d.slot_minutes)
            .bind(d.chairs).bind(d.machines).bind(d.created_at).bind(&d.created_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Serialises bookings of one donor. SQLite's write transaction already holds the
    /// whole database; PostgreSQL locks the donor's row until commit.
    pub async fn lock_donor(&mut self, donor_id: Uuid) -> Result<()> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT id FROM donors WHERE id = $1 FOR UPDATE").bind(donor_id).execute(c).await?.rows_affected());
        }
        Ok(())
    }

    /// Seats held by live (not cancelled) appointments of one slot and resource.
    pub async fn taken_seats(&mut self, site_id: Uuid, slot_start: DateTime<Utc>, resource: &str) -> Result<Vec<i64>> {
        Ok(on_tx!(self, c => sqlx::query_scalar(
            "SELECT seat FROM appointments WHERE site_id = $1 AND slot_start = $2 AND resource = $3 AND status <> 'cancelled' ORDER BY seat")
            .bind(site_id).bind(slot_start).bind(resource).fetch_all(c).await?))
    }

    /// Live appointments of the donor overlapping `[start, end)`.
    pub async fn donor_overlaps(&mut self, donor_id: Uuid, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<i64> {
        Ok(on_tx!(self, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM appointments WHERE donor_id = $1 AND status = 'booked' AND slot_start < $3 AND slot_end > $2")
            .bind(donor_id).bind(start).bind(end).fetch_one(c).await?))
    }

    pub async fn insert_appointment(&mut self, a: &AppointmentRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(&format!(
            "INSERT INTO appointments ({APPOINTMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"))
            .bind(a.id).bind(a.donor_id).bind(a.site_id).bind(a.drive_session_id).bind(&a.procedure).bind(&a.resource)
            .bind(a.slot_start).bind(a.slot_end).bind(a.seat).bind(a.status.as_str()).bind(a.booked_at).bind(&a.booked_by).bind(&a.booked_via)
            .bind(&a.cancel_token_hash).bind(a.status_changed_at).bind(&a.status_changed_by).bind(&a.cancel_reason).bind(a.reminder_sent_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn appointment_for_update(&mut self, id: Uuid) -> Result<Option<AppointmentRow>> {
        let lock = if self.backend() == Backend::Postgres { " FOR UPDATE" } else { "" };
        Ok(on_tx!(self, c => sqlx::query_as(&format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE id = $1{lock}"))
            .bind(id).fetch_optional(c).await?))
    }

    /// Moves a booked appointment to `status`; false when it was no longer booked.
    pub async fn change_appointment_status(
        &mut self,
        id: Uuid,
        status: domain::appointment::AppointmentStatus,
        at: DateTime<Utc>,
        by: &str,
        reason: Option<&str>,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE appointments SET status = $2, status_changed_at = $3, status_changed_by = $4, cancel_reason = $5 WHERE id = $1 AND status = 'booked'")
            .bind(id).bind(status.as_str()).bind(at).bind(by).bind(reason).execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Marks the reminder as going out; false when another run already took it.
    pub async fn claim_reminder(&mut self, id: Uuid, at: DateTime<Utc>) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE appointments SET reminder_sent_at = $2 WHERE id = $1 AND reminder_sent_at IS NULL AND status = 'booked'")
            .bind(id).bind(at).execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Gives a claimed reminder back (the mail server was not reachable).
    pub async fn release_reminder(&mut self, id: Uuid) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE appointments SET reminder_sent_at = NULL WHERE id = $1").bind(id).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_booking_link(&mut self, l: &BookingLinkRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(&format!("INSERT INTO booking_links ({LINK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"))
            .bind(l.id).bind(l.donor_id).bind(&l.token_hash).bind(l.created_at).bind(&l.created_by).bind(l.expires_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}
