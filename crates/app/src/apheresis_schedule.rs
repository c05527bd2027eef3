//! Nurses, devices, travel times and the on-call rota, and the booking of treatment
//! series on them. Every booking reads the calendars in its write transaction with
//! every nurse and device row locked on PostgreSQL, so two coordinators booking at
//! once cannot double-book a nurse or a device.

use crate::apheresis::{treatment_view, RequestView, TreatmentView};
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use domain::apheresis::catalog::{DeviceType, Procedure};
use domain::apheresis::request::{RequestState, Urgency};
use domain::apheresis::schedule::{propose_series, Booked, Certification, DeviceCalendar, NurseCalendar, SeriesRequest, Slot, TravelTimes};
use domain::order::{parse_weekdays, weekdays_text};
use domain::validation::{parse_day, required_text};
use domain::{AuditDraft, FieldError, FieldErrors, Permission, Role};
use serde::{Deserialize, Serialize};
use store::{CertificationRow, DeviceRow, NurseRow, OnCallRow, TreatmentRow, WriteTx};
use uuid::Uuid;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NurseInput {
    /// The user who signs in as the nurse; holds the apheresis_nurse role.
    pub username: String,
    pub name: String,
    /// The site code the nurse starts from.
    pub home_site: String,
    pub weekdays: Vec<String>,
    /// Local HH:MM.
    pub day_start: String,
    pub day_end: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificationInput {
    pub procedure: String,
    pub expires_on: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnCallInput {
    pub nurse: String,
    pub date: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceInput {
    pub name: String,
    pub serial: String,
    pub device_type: String,
    pub maintenance_due: String,
    pub home_site: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// The next maintenance due date after this service.
    pub maintenance_due: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TravelInput {
    pub from: String,
    pub to: String,
    pub minutes: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    /// Minutes per treatment; empty: the catalog's typical duration.
    #[serde(default)]
    pub minutes: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    /// The nurse's username.
    pub nurse: String,
    /// The device's serial.
    pub device: String,
    /// Local date and time, YYYY-MM-DDTHH:MM.
    pub starts_at: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelTreatmentInput {
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CertificationView {
    pub procedure: &'static str,
    pub procedure_title: &'static str,
    pub expires_on: NaiveDate,
    pub expired: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct NurseView {
    pub username: String,
    pub name: String,
    pub home_site: String,
    pub weekdays: String,
    pub day_start: String,
    pub day_end: String,
    pub certifications: Vec<CertificationView>,
    /// On-call days from today on.
    pub on_call: Vec<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeviceView {
    pub name: String,
    pub serial: String,
    pub device_type: &'static str,
    pub device_type_title: &'static str,
    pub maintenance_due: NaiveDate,
    pub overdue: bool,
    pub home_site: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TravelView {
    pub from: String,
    pub to: String,
    pub minutes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourcesView {
    pub nurses: Vec<NurseView>,
    pub devices: Vec<DeviceView>,
    pub travel: Vec<TravelView>,
}

/// A calendar: one nurse's, one device's, one hospital's or everyone's, a day or a week.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CalendarQuery {
    /// YYYY-MM-DD; empty: today.
    #[serde(default)]
    pub date: String,
    /// day or week
    #[serde(default)]
    pub span: String,
    #[serde(default)]
    pub nurse: String,
    #[serde(default)]
    pub device: String,
    #[serde(default)]
    pub hospital: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub treatments: Vec<TreatmentView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CalendarView {
    pub from: NaiveDate,
    pub span: &'static str,
    pub nurse: String,
    pub device: String,
    pub hospital: String,
    pub days: Vec<CalendarDay>,
}

fn parse_hm(field: &'static str, s: &str) -> std::result::Result<NaiveTime, FieldError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| FieldError::new(field, format!("'{}' is not a time; give HH:MM, e.g. 07:30", s.trim())))
}

/// A local date and time as the facility's clock shows it, in UTC.
pub(crate) fn local_to_utc(tz: Tz, t: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&t).earliest().map(|x| x.with_timezone(&Utc)).unwrap_or_else(|| Utc.from_utc_datetime(&t))
}

/// An instant as the audit trail shows it to staff: local time with the zone.
fn local_words(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// The calendars as the scheduler sees them, read in the write transaction.
pub(crate) struct Calendars {
    pub(crate) nurses: Vec<NurseCalendar>,
    pub(crate) devices: Vec<DeviceCalendar>,
    pub(crate) travel: TravelTimes,
    pub(crate) nurse_rows: Vec<NurseRow>,
    pub(crate) device_rows: Vec<DeviceRow>,
}

impl App {
    fn tz(&self) -> Tz {
        self.settings.time_zone
    }

    /// Locks and reads every calendar over [from, to], leaving out one booking (the one
    /// being moved).
    pub(crate) async fn calendars(&self, tx: &mut WriteTx, from: NaiveDate, to: NaiveDate, leave_out: Option<Uuid>) -> Result<Calendars> {
        tx.lock_apheresis_calendars().await?;
        let tz = self.tz();
        let nurse_rows = tx.apheresis_nurses_in_tx().await?;
        let device_rows = tx.apheresis_devices_in_tx().await?;
        let certs = tx.nurse_certifications_in_tx().await?;
        let on_call = tx.on_call_between_in_tx(from - Duration::days(1), to + Duration::days(1)).await?;
        let mut travel = TravelTimes::default();
        for t in tx.travel_times_in_tx().await? {
            travel.insert(&t.place_a, &t.place_b, t.minutes);
        }
        let booked = tx
            .open_treatments_in_tx(
                local_to_utc(tz, from.and_time(NaiveTime::MIN)) - Duration::days(1),
                local_to_utc(tz, to.and_time(NaiveTime::MIN)) + Duration::days(2),
            )
            .await?;
        let as_booked = |t: &TreatmentRow| Booked {
            place: t.place.clone(),
            start: t.starts_at.with_timezone(&tz).naive_local(),
            end: t.ends_at.with_timezone(&tz).naive_local(),
        };
        let nurses = nurse_rows
            .iter()
            .map(|n| NurseCalendar {
                id: n.id,
                name: n.name.clone(),
                home: n.home_site.clone(),
                weekdays: parse_weekdays(&n.weekdays),
                day_start: NaiveTime::parse_from_str(&n.day_start, "%H:%M").unwrap_or(NaiveTime::MIN),
                day_end: NaiveTime::parse_from_str(&n.day_end, "%H:%M").unwrap_or(NaiveTime::MIN),
                certifications: certs
                    .iter()
                    .filter(|c| c.nurse_id == n.id)
                    .map(|c| Certification { procedure: c.procedure, expires_on: c.expires_on })
                    .collect(),
                on_call: on_call.iter().filter(|o| o.nurse_id == n.id).map(|o| o.on_date).collect(),
                bookings: booked.iter().filter(|t| t.nurse_id == n.id && Some(t.id) != leave_out).map(as_booked).collect(),
            })
            .collect();
        let devices = device_rows
            .iter()
            .map(|d| DeviceCalendar {
                id: d.id,
                label: format!("{} ({})", d.name, d.serial),
                device_type: d.device_type,
                maintenance_due: d.maintenance_due,
                bookings: booked.iter().filter(|t| t.device_id == d.id && Some(t.id) != leave_out).map(as_booked).collect(),
            })
            .collect();
        Ok(Calendars { nurses, devices, travel, nurse_rows, device_rows })
    }

    /// Books every treatment of an accepted request, conflict-free, or nothing.
    pub async fn schedule_apheresis_request(&self, actor: &Actor, number: &str, input: &ScheduleInput) -> Result<RequestView> {
        actor.require(Permission::ManageApheresis)?;
        if let Some(m) = input.minutes {
            let (lo, hi) = domain::apheresis::catalog::MINUTES;
            if !(lo..=hi).contains(&m) {
                return Err(FieldError::new("minutes", format!("give {lo} to {hi} minutes per treatment")).into());
            }
        }
        let now = store::now();
        let tz = self.tz();
        let mut tx = self.store.begin_write().await?;
        let r = crate::apheresis::locked_request(&mut tx, actor, number).await?;
        if r.state != RequestState::Accepted {
            return Err(AppError::Conflict(format!(
                "request {} is {}; only an accepted request is scheduled",
                r.request.number,
                r.state.title().to_lowercase()
            )));
        }
        let q = &r.request;
        let now_local = now.with_timezone(&tz).naive_local();
        let earliest = match (q.urgency, q.earliest_on) {
            (Urgency::Scheduled, Some(d)) => now_local.max(d.and_time(NaiveTime::MIN)),
            _ => now_local,
        };
        let last_day = earliest.date() + Duration::days(domain::apheresis::schedule::FIRST_DAY_SLACK + q.treatments * q.every_days + 1);
        let cal = self.calendars(&mut tx, earliest.date(), last_day, None).await?;
        let series = SeriesRequest {
            procedure: q.procedure,
            place: r.hospital_code.clone(),
            treatments: q.treatments,
            every_days: q.every_days,
            minutes: input.minutes.unwrap_or_else(|| q.procedure.booking_minutes()),
            emergent: q.urgency == Urgency::Emergent,
            earliest,
        };
        let placed = propose_series(&series, &cal.nurses, &cal.devices, &cal.travel)
            .map_err(|why| AppError::Conflict(format!("the series of request {} cannot be booked whole: {why}", q.number)))?;
        for p in &placed {
            tx.insert_treatment(&TreatmentRow {
                id: Uuid::now_v7(),
                request_id: q.id,
                seq: p.seq,
                nurse_id: p.nurse_id,
                device_id: p.device_id,
                place: r.hospital_code.clone(),
                starts_at: local_to_utc(tz, p.start),
                ends_at: local_to_utc(tz, p.end),
                booked_at: now,
                booked_by: actor.username.clone(),
                ended_at: None,
                ended_by: None,
                end_kind: None,
                end_reason: None,
            })
            .await?;
        }
        let first = placed.first().map(|p| p.start.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
        let note = format!("{} treatments booked from {first}", placed.len());
        tx.add_apheresis_request_state(q.id, RequestState::Scheduled, now, &actor.username, &note).await?;
        let names = |id: Uuid| cal.nurse_rows.iter().find(|n| n.id == id).map(|n| n.username.clone()).unwrap_or_default();
        let serials = |id: Uuid| cal.device_rows.iter().find(|d| d.id == id).map(|d| d.serial.clone()).unwrap_or_default();
        tx.append_audit(
            AuditDraft::new(&actor.username, "apheresis_request.schedule", "apheresis_request", q.id)
                .before(serde_json::json!({"state": r.state.as_str()}))
                .after(serde_json::json!({"state": "scheduled", "treatments": placed.iter().map(|p| serde_json::json!({
                    "seq": p.seq, "nurse": names(p.nurse_id), "device": serials(p.device_id),
                    "starts": local_words(tz, local_to_utc(tz, p.start)), "ends": local_words(tz, local_to_utc(tz, p.end)),
                })).collect::<Vec<_>>()})),
        )
        .await?;
        crate::apheresis::commit_request(tx, &q.number).await
    }

    /// Moves one treatment to a nurse, a device and a time the coordinator chose, each
    /// checked as the scheduler checks its own.
    pub async fn reschedule_treatment(&self, actor: &Actor, id: Uuid, input: &RescheduleInput) -> Result<TreatmentView> {
        actor.require(Permission::ManageApheresis)?;
        let mut e = FieldErrors::default();
        let start = e.take(
            NaiveDateTime::parse_from_str(input.starts_at.trim(), "%Y-%m-%dT%H:%M")
                .map_err(|_| FieldError::new("starts_at", format!("'{}' is not a local date and time (YYYY-MM-DDTHH:MM)", input.starts_at.trim()))),
        );
        let reason = e.take(required_text("reason", &input.reason, 500));
        if !e.is_empty() {
            return Err(e.into());
        }
        let (start, reason) = (start.expect("checked"), reason.expect("checked"));
        let now = store::now();
        let tz = self.tz();
        let mut tx = self.store.begin_write().await?;
        let cal = self.calendars(&mut tx, start.date(), start.date(), Some(id)).await?;
        let old = tx.treatment_in_tx(id).await?.ok_or_else(|| AppError::NotFound(format!("no treatment {id}")))?;
        if old.ended_at.is_some() {
            return Err(AppError::Conflict(format!("this treatment was {} already", old.end_kind.as_deref().unwrap_or("ended"))));
        }
        let minutes = (old.ends_at - old.starts_at).num_minutes();
        let request = self.store_request_of(&mut tx, old.request_id).await?;
        let nurse_i = cal
            .nurse_rows
            .iter()
            .position(|n| n.username == input.nurse.trim())
            .ok_or_else(|| AppError::from(FieldError::new("nurse", format!("no nurse signs in as '{}'", input.nurse.trim()))))?;
        let device_i = cal
            .device_rows
            .iter()
            .position(|d| d.serial == input.device.trim())
            .ok_or_else(|| AppError::from(FieldError::new("device", format!("no device has the serial '{}'", input.device.trim()))))?;
        let slot = Slot { place: old.place.clone(), start, end: start + Duration::minutes(minutes) };
        if start < now.with_timezone(&tz).naive_local() {
            return Err(FieldError::new("starts_at", "the time has passed").into());
        }
        let nurse = &cal.nurses[nurse_i];
        let on_call = nurse.on_call.contains(&start.date());
        let nurse_why = nurse.refusal(request.procedure, &slot, false, &cal.travel).and_then(|why| {
            // A nurse on call that day may take it outside the working hours.
            if on_call {
                nurse.refusal(request.procedure, &slot, true, &cal.travel)
            } else {
                Some(why)
            }
        });
        let mut e = FieldErrors::default();
        if let Some(why) = nurse_why {
            e.0.push(FieldError::new("nurse", why));
        }
        if let Some(why) = cal.devices[device_i].refusal(request.procedure, &slot, &cal.travel) {
            e.0.push(FieldError::new("device", why));
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        tx.end_treatment(old.id, now, &actor.username, "rescheduled", &reason).await?;
        let new = TreatmentRow {
            id: Uuid::now_v7(),
            nurse_id: cal.nurse_rows[nurse_i].id,
            device_id: cal.device_rows[device_i].id,
            starts_at: local_to_utc(tz, slot.start),
            ends_at: local_to_utc(tz, slot.end),
            booked_at: now,
            booked_by: actor.username.clone(),
            ended_at: None,
            ended_by: None,
            end_kind: None,
            end_reason: None,
            ..old.clone()
        };
        tx.insert_treatment(&new).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "apheresis_treatment.reschedule", "apheresis_treatment", new.id)
                .before(serde_json::json!({"treatment": old.id, "starts": local_words(tz, old.starts_at), "nurse_id": old.nurse_id, "device_id": old.device_id}))
                .after(serde_json::json!({"starts": local_words(tz, new.starts_at), "nurse": input.nurse.trim(), "device": input.device.trim()}))
                .reason(Some(reason)),
        )
        .await?;
        tx.commit().await?;
        let line = self.store.treatments_of_request(new.request_id).await?.into_iter().find(|t| t.treatment.id == new.id);
        line.map(treatment_view).ok_or_else(|| AppError::NotFound("the treatment is missing".into()))
    }

    async fn store_request_of(&self, tx: &mut WriteTx, request_id: Uuid) -> Result<store::ApheresisRequestRow> {
        tx.apheresis_request_by_id_in_tx(request_id).await?.ok_or_else(|| AppError::NotFound("the request is missing".into()))
    }

    /// Cancels one treatment, with the reason; the rest of the series stands.
    pub async fn cancel_treatment(&self, actor: &Actor, id: Uuid, input: &CancelTreatmentInput) -> Result<()> {
        actor.require(Permission::ManageApheresis)?;
        let reason = required_text("reason", &input.reason, 500)?;
        let mut tx = self.store.begin_write().await?;
        tx.lock_apheresis_calendars().await?;
        let t = tx.treatment_in_tx(id).await?.ok_or_else(|| AppError::NotFound(format!("no treatment {id}")))?;
        if t.ended_at.is_some() {
            return Err(AppError::Conflict(format!("this treatment was {} already", t.end_kind.as_deref().unwrap_or("ended"))));
        }
        tx.end_treatment(id, store::now(), &actor.username, "cancelled", &reason).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "apheresis_treatment.cancel", "apheresis_treatment", id)
                .before(serde_json::json!({"starts": local_words(self.tz(), t.starts_at)}))
                .after(serde_json::json!({"cancelled": true}))
                .reason(Some(reason)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Nurses with their certifications and on-call days, devices and travel times.
    pub async fn apheresis_resources(&self, actor: &Actor) -> Result<ResourcesView> {
        actor.require(Permission::ViewApheresis)?;
        let today = store::now().with_timezone(&self.tz()).date_naive();
        let certs = self.store.nurse_certifications().await?;
        let on_call = self.store.on_call_between(today, today + Duration::days(60)).await?;
        let nurses = self
            .store
            .apheresis_nurses()
            .await?
            .into_iter()
            .map(|n| NurseView {
                certifications: certs
                    .iter()
                    .filter(|c| c.nurse_id == n.id)
                    .map(|c| CertificationView {
                        procedure: c.procedure.as_str(),
                        procedure_title: c.procedure.title(),
                        expires_on: c.expires_on,
                        expired: c.expires_on < today,
                    })
                    .collect(),
                on_call: on_call.iter().filter(|o| o.nurse_id == n.id).map(|o| o.on_date).collect(),
                username: n.username,
                name: n.name,
                home_site: n.home_site,
                weekdays: n.weekdays.replace(',', ", "),
                day_start: n.day_start,
                day_end: n.day_end,
            })
            .collect();
        let devices = self
            .store
            .apheresis_devices()
            .await?
            .into_iter()
            .map(|d| DeviceView {
                overdue: d.maintenance_due < today,
                device_type: d.device_type.as_str(),
                device_type_title: d.device_type.title(),
                name: d.name,
                serial: d.serial,
                maintenance_due: d.maintenance_due,
                home_site: d.home_site,
            })
            .collect();
        let travel =
            self.store.travel_times().await?.into_iter().map(|t| TravelView { from: t.place_a, to: t.place_b, minutes: t.minutes }).collect();
        Ok(ResourcesView { nurses, devices, travel })
    }

    /// Adds a nurse: a user holding the apheresis nurse role, with a home site and hours.
    pub async fn add_apheresis_nurse(&self, actor: &Actor, input: &NurseInput) -> Result<NurseView> {
        actor.require(Permission::ManageApheresis)?;
        let mut e = FieldErrors::default();
        let name = e.take(required_text("name", &input.name, 120));
        let start = e.take(parse_hm("day_start", &input.day_start));
        let end = e.take(parse_hm("day_end", &input.day_end));
        if let (Some(s), Some(en)) = (start, end) {
            if en <= s {
                e.0.push(FieldError::new("day_end", "the working day must end after it starts"));
            }
        }
        let days = parse_weekdays(&input.weekdays.iter().map(|d| d.trim().to_ascii_lowercase()).collect::<Vec<_>>().join(","));
        if days.is_empty() || days.len() != input.weekdays.len() {
            e.0.push(FieldError::new("weekdays", "choose the working days: mon, tue, wed, thu, fri, sat, sun"));
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        let mut tx = self.store.begin_write().await?;
        let username = input.username.trim();
        let user = tx
            .user_by_username(username)
            .await?
            .ok_or_else(|| AppError::from(FieldError::new("username", format!("no user signs in as '{username}'"))))?;
        if !user.roles.split(',').any(|r| r == Role::ApheresisNurse.as_str()) {
            return Err(FieldError::new("username", format!("{username} does not hold the apheresis nurse role; give it first")).into());
        }
        if tx.apheresis_nurse_by_username_in_tx(username).await?.is_some() {
            return Err(AppError::Conflict(format!("{username} is a nurse already")));
        }
        let site = input.home_site.trim().to_ascii_uppercase();
        if tx.site_by_code(&site).await?.is_none() {
            return Err(FieldError::new("home_site", format!("no site has the code '{}'", input.home_site.trim())).into());
        }
        let now = store::now();
        let row = NurseRow {
            id: Uuid::now_v7(),
            username: username.to_string(),
            name: name.expect("checked"),
            home_site: site,
            weekdays: weekdays_text(&days),
            day_start: start.expect("checked").format("%H:%M").to_string(),
            day_end: end.expect("checked").format("%H:%M").to_string(),
            created_at: now,
            created_by: actor.username.clone(),
        };
        tx.insert_apheresis_nurse(&row).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "apheresis_nurse.add", "apheresis_nurse", row.id).after(serde_json::json!({
            "username": row.username, "name": row.name, "home_site": row.home_site, "weekdays": row.weekdays,
            "hours": format!("{}-{}", row.day_start, row.day_end),
        })))
        .await?;
        tx.commit().await?;
        Ok(NurseView {
            username: row.username,
            name: row.name,
            home_site: row.home_site,
            weekdays: row.weekdays.replace(',', ", "),
            day_start: row.day_start,
            day_end: row.day_end,
            certifications: vec![],
            on_call: vec![],
        })
    }

    /// Records a nurse's certification for a procedure, until the date given.
    pub async fn certify_nurse(&self, actor: &Actor, username: &str, input: &CertificationInput) -> Result<CertificationView> {
        actor.require(Permission::ManageApheresis)?;
        let mut e = FieldErrors::default();
        let procedure = e.take(Procedure::parse(&input.procedure).map_err(|m| FieldError::new("procedure", m)));
        let expires_on = e.take(parse_day("expires_on", &input.expires_on));
        if !e.is_empty() {
            return Err(e.into());
        }
        let (procedure, expires_on) = (procedure.expect("checked"), expires_on.expect("checked"));
        let mut tx = self.store.begin_write().await?;
        let nurse = tx
            .apheresis_nurse_by_username_in_tx(username.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no nurse signs in as '{}'", username.trim())))?;
        let row = CertificationRow {
            id: Uuid::now_v7(),
            nurse_id: nurse.id,
            procedure,
            expires_on,
            recorded_at: store::now(),
            recorded_by: actor.username.clone(),
        };
        tx.insert_certification(&row).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "apheresis_nurse.certify", "apheresis_nurse", nurse.id)
                .after(serde_json::json!({"procedure": procedure.as_str(), "expires_on": expires_on})),
        )
        .await?;
        tx.commit().await?;
        let today = store::now().with_timezone(&self.tz()).date_naive();
        Ok(CertificationView { procedure: procedure.as_str(), procedure_title: procedure.title(), expires_on, expired: expires_on < today })
    }

    /// Puts a nurse on the on-call rota for a day.
    pub async fn put_on_call(&self, actor: &Actor, input: &OnCallInput) -> Result<()> {
        actor.require(Permission::ManageApheresis)?;
        let day = parse_day("date", &input.date)?;
        let mut tx = self.store.begin_write().await?;
        let nurse = tx
            .apheresis_nurse_by_username_in_tx(input.nurse.trim())
            .await?
            .ok_or_else(|| AppError::from(FieldError::new("nurse", format!("no nurse signs in as '{}'", input.nurse.trim()))))?;
        let added = tx
            .insert_on_call(&OnCallRow { on_date: day, nurse_id: nurse.id, recorded_at: store::now(), recorded_by: actor.username.clone() })
            .await?;
        if !added {
            return Err(AppError::Conflict(format!("{} is on call on {day} already", nurse.name)));
        }
        tx.append_audit(
            AuditDraft::new(&actor.username, "apheresis_nurse.on_call", "apheresis_nurse", nurse.id).after(serde_json::json!({"on_call": day})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_apheresis_device(&self, actor: &Actor, input: &DeviceInput) -> Result<DeviceView> {
        actor.require(Permission::ManageApheresis)?;
        let mut e = FieldErrors::default();
        let name = e.take(required_text("name", &input.name, 80));
        let serial = e.take(required_text("serial", &input.serial, 60));
        let device_type = e.take(DeviceType::parse(&input.device_type).map_err(|m| FieldError::new("device_type", m)));
        let due = e.take(parse_day("maintenance_due", &input.maintenance_due));
        if !e.is_empty() {
            return Err(e.into());
        }
        let mut tx = self.store.begin_write().await?;
        let site = input.home_site.trim().to_ascii_uppercase();
        if tx.site_by_code(&site).await?.is_none() {
            return Err(FieldError::new("home_site", format!("no site has the code '{}'", input.home_site.trim())).into());
        }
        let serial = serial.expect("checked");
        if tx.apheresis_device_by_serial_in_tx(&serial).await?.is_some() {
            return Err(FieldError::new("serial", format!("a device with the serial {serial} is registered already")).into());
        }
        let row = DeviceRow {
            id: Uuid::now_v7(),
            name: name.expect("checked"),
            serial,
            device_type: device_type.expect("checked"),
            maintenance_due: due.expect("checked"),
            home_site: site,
            created_at: store::now(),
            created_by: actor.username.clone(),
        };
        tx.insert_apheresis_device(&row).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "apheresis_device.add", "apheresis_device", row.id).after(serde_json::json!({
            "name": row.name, "serial": row.serial, "type": row.device_type.as_str(), "maintenance_due": row.maintenance_due,
        })))
        .await?;
        tx.commit().await?;
        let today = store::now().with_timezone(&self.tz()).date_naive();
        Ok(DeviceView {
            overdue: row.maintenance_due < today,
            device_type: row.device_type.as_str(),
            device_type_title: row.device_type.title(),
            name: row.name,
            serial: row.serial,
            maintenance_due: row.maintenance_due,
            home_site: row.home_site,
        })
    }

    /// Records a device's service: its next maintenance due date.
    pub async fn service_apheresis_device(&self, actor: &Actor, serial: &str, input: &ServiceInput) -> Result<()> {
        actor.require(Permission::ManageApheresis)?;
        let due = parse_day("maintenance_due", &input.maintenance_due)?;
        let mut tx = self.store.begin_write().await?;
        tx.lock_apheresis_calendars().await?;
        let d = tx
            .apheresis_device_by_serial_in_tx(serial.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no device has the serial '{}'", serial.trim())))?;
        tx.set_device_maintenance(d.id, due).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "apheresis_device.service", "apheresis_device", d.id)
                .before(serde_json::json!({"maintenance_due": d.maintenance_due}))
                .after(serde_json::json!({"maintenance_due": due})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the travel time between two places (hospital or site codes).
    pub async fn set_travel_time(&self, actor: &Actor, input: &TravelInput) -> Result<TravelView> {
        actor.require(Permission::ManageApheresis)?;
        let (from, to) = (input.from.trim().to_ascii_uppercase(), input.to.trim().to_ascii_uppercase());
        let mut e = FieldErrors::default();
        if from == to {
            e.0.push(FieldError::new("to", "give two different places"));
        }
        if !(0..=24 * 60).contains(&input.minutes) {
            e.0.push(FieldError::new("minutes", "give the minutes of travel, 0 to 1440"));
        }
        let mut tx = self.store.begin_write().await?;
        for (field, code) in [("from", &from), ("to", &to)] {
            let known = tx.hospital_by_code(code).await?.is_some() || tx.site_by_code(code).await?.is_some();
            if !known {
                e.0.push(FieldError::new(field, format!("no hospital or site has the code '{code}'")));
            }
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        tx.lock_apheresis_calendars().await?;
        tx.upsert_travel_time(&from, &to, input.minutes, store::now(), &actor.username).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "travel_time.set", "travel_time", Uuid::now_v7())
                .after(serde_json::json!({"from": from, "to": to, "minutes": input.minutes})),
        )
        .await?;
        tx.commit().await?;
        Ok(TravelView { from, to, minutes: input.minutes })
    }

    /// Bookings of a day or a week: a nurse sees their own, a hospital user their
    /// hospital's, the coordinator any filter.
    pub async fn apheresis_calendar(&self, actor: &Actor, q: &CalendarQuery) -> Result<CalendarView> {
        let tz = self.tz();
        let mut nurse = q.nurse.trim().to_string();
        let mut hospital = q.hospital.trim().to_ascii_uppercase();
        if let Some(h) = actor.hospital_id {
            let own = self.store.hospital(h).await?.ok_or_else(|| AppError::NotFound("your hospital account is missing".into()))?;
            hospital = own.fields.code.as_str().to_string();
        } else {
            actor.require(Permission::ViewApheresis)?;
            if actor.is_apheresis_nurse_only() {
                nurse = actor.username.clone();
            }
        }
        let from = match q.date.trim() {
            "" => store::now().with_timezone(&tz).date_naive(),
            d => parse_day("date", d)?,
        };
        let (span, days) = match q.span.trim() {
            "" | "week" => ("week", 7),
            "day" => ("day", 1),
            other => return Err(FieldError::new("span", format!("'{other}' is not a span; use day or week")).into()),
        };
        let start = local_to_utc(tz, from.and_time(NaiveTime::MIN));
        let end = local_to_utc(tz, (from + Duration::days(days)).and_time(NaiveTime::MIN));
        let device = q.device.trim().to_string();
        let lines: Vec<_> = self
            .store
            .treatments_between(start, end)
            .await?
            .into_iter()
            .filter(|t| nurse.is_empty() || t.nurse_username == nurse)
            .filter(|t| device.is_empty() || t.device_serial == device)
            .filter(|t| hospital.is_empty() || t.treatment.place == hospital)
            .collect();
        let mut out: Vec<CalendarDay> = (0..days).map(|i| CalendarDay { date: from + Duration::days(i), treatments: vec![] }).collect();
        for t in lines {
            let day = t.treatment.starts_at.with_timezone(&tz).date_naive();
            if let Some(d) = out.iter_mut().find(|d| d.date == day) {
                d.treatments.push(treatment_view(t));
            }
        }
        Ok(CalendarView { from, span, nurse, device, hospital, days: out })
    }
}
