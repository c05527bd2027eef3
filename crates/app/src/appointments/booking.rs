//! The day grid, booking (seats under a unique index, eligibility decided under the
//! donor's lock), confirmation emails, cancellation and attendance.

#[allow(unused_imports)]
use super::*;

impl App {
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

    pub(crate) async fn appointment_view(&self, a: &AppointmentRow, site: Option<&Site>, donor: Option<&DonorRow>) -> Result<AppointmentView> {
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
            status: a.status.as_str().to_string(),
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

    pub(crate) async fn donor_row(&self, number: &str) -> Result<DonorRow> {
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
    pub(crate) async fn book(
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
            let today = local_date(site, Utc::now());
            let sex = locked.donor.sex;
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
                status: domain::appointment::AppointmentStatus::Booked,
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
    pub(crate) async fn send_confirmation(&self, donor: &DonorRow, a: &AppointmentView, cancel_token: &str) -> String {
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

    pub(crate) async fn email_donor(&self, donor: &DonorRow, subject: String, text: String, kind: &str, related: Uuid) -> String {
        let Some(to) = donor.email.clone().filter(|e| !e.trim().is_empty()) else {
            return "not sent: no email address".into();
        };
        match self.store.donor_email_consent(donor.id).await {
            Ok(true) => {}
            Ok(false) => return "not sent: no consent to email".into(),
            Err(e) => return format!("not sent: {e}"),
        }
        let email = OutgoingEmail {
            to,
            subject,
            text,
            html: None,
            list_unsubscribe: None,
            kind: kind.into(),
            related: Some(related.to_string()),
            donor_number: Some(donor.donor_number.clone()),
        };
        match self.send_email(&email).await {
            Ok(s) if s.status == EmailStatus::Sent => "sent".into(),
            Ok(s) if s.status == EmailStatus::Captured => CAPTURED_NOTE.into(),
            Ok(s) => format!("failed: {}", s.error.unwrap_or_default()),
            Err(e) => format!("failed: {e}"),
        }
    }

    // -------------------------------------------------------------- cancel, attendance

    pub async fn cancel_appointment(&self, actor: &Actor, id: Uuid, input: &CancelInput) -> Result<AppointmentView> {
        actor.require(Permission::BookAppointments)?;
        self.cancel(actor, id, input.reason.trim()).await
    }

    pub(crate) async fn cancel(&self, actor: &Actor, id: Uuid, reason: &str) -> Result<AppointmentView> {
        if reason.is_empty() {
            return Err(FieldError::new("reason", "say why the appointment is cancelled").into());
        }
        let mut tx = self.store.begin_write().await?;
        let a = tx.appointment_for_update(id).await?.ok_or_else(|| AppError::NotFound(format!("no appointment {id}")))?;
        if a.status != domain::appointment::AppointmentStatus::Booked {
            return Err(AppError::Conflict(format!("this appointment is already {}", a.status.words())));
        }
        if a.slot_start <= Utc::now() {
            return Err(AppError::Conflict("this appointment has begun; record attendance instead".into()));
        }
        let before = self.appointment_view(&a, None, None).await?;
        tx.change_appointment_status(id, domain::appointment::AppointmentStatus::Cancelled, store::now(), &actor.username, Some(reason)).await?;
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
        if a.status != domain::appointment::AppointmentStatus::Booked {
            return Err(AppError::Conflict(format!("this appointment is already {}", a.status.words())));
        }
        let before = self.appointment_view(&a, None, None).await?;
        let site = self.store.site(a.site_id).await?.ok_or_else(|| StoreError::Corrupt(format!("appointment {id} has no site")))?;
        if before.date > local_date(&site, Utc::now()) {
            return Err(AppError::Conflict(format!("attendance is recorded on or after the day of the appointment ({})", before.date)));
        }
        let status = if input.attended { domain::appointment::AppointmentStatus::Attended } else { domain::appointment::AppointmentStatus::NoShow };
        tx.change_appointment_status(id, status, store::now(), &actor.username, None).await?;
        let after = AppointmentView { status: status.as_str().into(), ..before.clone() };
        tx.append_audit(
            AuditDraft::new(&actor.username, "appointment.attendance", "appointment", id).donor(&before.donor_number).before(&before).after(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
