//! Reminder emails the day before, each sent at most once.

#[allow(unused_imports)]
use super::*;

impl App {
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
                donor_number: Some(donor.donor_number.clone()),
            };
            match self.send_email(&email).await {
                Ok(s) if s.status == EmailStatus::Sent => report.sent += 1,
                // Kept in the Outbox (no mail server): not sent, so not counted as sent.
                Ok(s) if s.status == EmailStatus::Captured => report.skipped += 1,
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
