//! The apheresis service's reports: procedures per month, by hospital and by type over
//! twelve months; nurse and device utilization over the last four weeks (done) and the
//! next two (booked); the wait of emergent requests from the call to the first
//! treatment; the service's invoiced revenue per month.

use crate::{Actor, App, Result};
use chrono::{DateTime, Duration, NaiveTime, Utc, Weekday};
use domain::apheresis::report::{available_minutes, counts, median_minutes, utilization, Count, ProcedureFact};
use domain::order::parse_weekdays;
use domain::pricing::apheresis::WORKDAY;
use domain::Permission;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Use {
    pub key: String,
    pub busy_minutes: i64,
    pub available_minutes: i64,
    /// Whole percent; None when nothing was available.
    pub percent: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmergentWait {
    pub number: String,
    pub hospital: String,
    pub called_at: DateTime<Utc>,
    pub first_start: DateTime<Utc>,
    pub minutes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RevenueMonth {
    pub month: String,
    pub currency: String,
    pub net_cents: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApheresisReport {
    pub procedures_by_month: Vec<Count>,
    pub procedures_by_hospital: Vec<Count>,
    pub procedures_by_type: Vec<Count>,
    pub nurses_done: Vec<Use>,
    pub nurses_booked: Vec<Use>,
    pub devices_done: Vec<Use>,
    pub devices_booked: Vec<Use>,
    pub emergent: Vec<EmergentWait>,
    pub emergent_median_minutes: Option<i64>,
    pub revenue: Vec<RevenueMonth>,
}

const WEEKDAYS: [Weekday; 5] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];

impl App {
    pub async fn apheresis_report(&self, actor: &Actor, now: DateTime<Utc>) -> Result<ApheresisReport> {
        actor.require(Permission::ManageApheresis)?;
        let tz = self.settings.time_zone;
        let today = now.with_timezone(&tz).date_naive();
        let year_ago = now - Duration::days(365);
        let rows = self.store.signed_procedure_facts(year_ago).await?;
        let facts: Vec<ProcedureFact> = rows
            .iter()
            .map(|r| ProcedureFact {
                day: r.started_at.with_timezone(&tz).date_naive(),
                hospital: r.hospital_code.clone(),
                procedure: r.procedure,
                nurse: r.nurse.clone(),
                device: r.device.clone(),
                minutes: (r.ended_at - r.started_at).num_minutes(),
            })
            .collect();
        let (procedures_by_month, procedures_by_hospital, procedures_by_type) = counts(&facts);
        // Done: the last 28 days, today included. Booked: the 14 days from tomorrow.
        let past = today - Duration::days(27);
        let tomorrow = today + Duration::days(1);
        let ahead = tomorrow + Duration::days(14);
        let midnight = |d: chrono::NaiveDate| crate::apheresis_schedule::local_to_utc(tz, d.and_time(NaiveTime::MIN));
        let booked = self.store.treatments_between(midnight(tomorrow), midnight(ahead)).await?;
        let nurses = self.store.apheresis_nurses().await?;
        let devices = self.store.apheresis_devices().await?;
        let hm = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap_or(NaiveTime::MIN);
        let workday =
            (NaiveTime::from_hms_opt(WORKDAY.0, 0, 0).unwrap_or(NaiveTime::MIN), NaiveTime::from_hms_opt(WORKDAY.1, 0, 0).unwrap_or(NaiveTime::MIN));
        let done = |key: &str, by_nurse: bool| -> i64 {
            facts
                .iter()
                .filter(|f| f.day >= past && f.day <= today && if by_nurse { f.nurse == key } else { f.device == key })
                .map(|f| f.minutes)
                .sum()
        };
        let planned = |key: &str, by_nurse: bool| -> i64 {
            booked
                .iter()
                .filter(|t| if by_nurse { t.nurse_username == key } else { t.device_serial == key })
                .map(|t| (t.treatment.ends_at - t.treatment.starts_at).num_minutes())
                .sum()
        };
        let use_of =
            |key: String, busy: i64, avail: i64| Use { percent: utilization(busy, avail), key, busy_minutes: busy, available_minutes: avail };
        let mut nurses_done = vec![];
        let mut nurses_booked = vec![];
        for n in &nurses {
            let days = parse_weekdays(&n.weekdays);
            let hours = (hm(&n.day_start), hm(&n.day_end));
            nurses_done.push(use_of(n.name.clone(), done(&n.username, true), available_minutes(past, tomorrow, &days, hours)));
            nurses_booked.push(use_of(n.name.clone(), planned(&n.username, true), available_minutes(tomorrow, ahead, &days, hours)));
        }
        let mut devices_done = vec![];
        let mut devices_booked = vec![];
        for d in &devices {
            let label = format!("{} ({})", d.name, d.serial);
            devices_done.push(use_of(label.clone(), done(&d.serial, false), available_minutes(past, tomorrow, &WEEKDAYS, workday)));
            devices_booked.push(use_of(label, planned(&d.serial, false), available_minutes(tomorrow, ahead, &WEEKDAYS, workday)));
        }
        let emergent: Vec<EmergentWait> = self
            .store
            .emergent_waits(year_ago)
            .await?
            .into_iter()
            .map(|w| EmergentWait {
                minutes: (w.first_start - w.created_at).num_minutes(),
                number: w.number,
                hospital: w.hospital_code,
                called_at: w.created_at,
                first_start: w.first_start,
            })
            .collect();
        let emergent_median_minutes = median_minutes(&emergent.iter().map(|w| w.minutes).collect::<Vec<_>>());
        let mut revenue: BTreeMap<(String, String), i64> = BTreeMap::new();
        for r in self.store.service_revenue(year_ago.with_timezone(&tz).date_naive()).await? {
            *revenue.entry((r.issued_on.format("%Y-%m").to_string(), r.currency)).or_default() += r.amount_cents;
        }
        let revenue = revenue.into_iter().map(|((month, currency), net_cents)| RevenueMonth { month, currency, net_cents }).collect();
        Ok(ApheresisReport {
            procedures_by_month,
            procedures_by_hospital,
            procedures_by_type,
            nurses_done,
            nurses_booked,
            devices_done,
            devices_booked,
            emergent,
            emergent_median_minutes,
            revenue,
        })
    }
}
