//! Demo schedules, drives and appointments, booked through the real booking path.

#[allow(unused_imports)]
use crate::appointments::*;
use crate::{Actor, App, AppError, Result};
use chrono::{Duration, Utc};
use domain::appointment::{slot_starts, DriveInput, HoursInput, ScheduleInput};
use domain::{DonationProcedure, Site, SiteKind};
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
