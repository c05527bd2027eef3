//! Personal booking links: the public booking page, booking and cancelling by link.

#[allow(unused_imports)]
use super::*;

impl App {
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

    pub(crate) async fn resolve_link(&self, token: &str) -> Result<(BookingLinkRow, DonorRow)> {
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
    pub(crate) async fn offered_sites(&self, donor: &DonorRow) -> Result<Vec<Site>> {
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
}
