//! Figures of the apheresis service: procedures per month by hospital and by type, how
//! much of their time nurses and devices spend in procedures, and how long emergent
//! requests wait from the call to the first treatment.
//!
//! Utilization is the minutes in procedures over the minutes available: a nurse's
//! working hours on their working days, a device's contract working day (08:00–18:00,
//! Monday to Friday). These are the service's own measures, not a published standard.

use super::catalog::Procedure;
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use serde::Serialize;
use std::collections::BTreeMap;

/// One procedure done (signed) or booked, as the figures count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureFact {
    /// Local day it ran (or is booked).
    pub day: NaiveDate,
    pub hospital: String,
    pub procedure: Procedure,
    pub nurse: String,
    pub device: String,
    pub minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub key: String,
    pub count: i64,
}

/// Procedures per month (YYYY-MM, oldest first, months between with none shown as 0),
/// per hospital and per type (most first).
pub fn counts(facts: &[ProcedureFact]) -> (Vec<Count>, Vec<Count>, Vec<Count>) {
    let mut months: BTreeMap<String, i64> = BTreeMap::new();
    let mut hospitals: BTreeMap<String, i64> = BTreeMap::new();
    let mut types: BTreeMap<String, i64> = BTreeMap::new();
    for f in facts {
        *months.entry(f.day.format("%Y-%m").to_string()).or_default() += 1;
        *hospitals.entry(f.hospital.clone()).or_default() += 1;
        *types.entry(f.procedure.title().to_string()).or_default() += 1;
    }
    if let (Some(first), Some(last)) = (facts.iter().map(|f| f.day).min(), facts.iter().map(|f| f.day).max()) {
        let mut m = first.with_day(1).expect("first of month");
        while m <= last {
            months.entry(m.format("%Y-%m").to_string()).or_default();
            m = m.checked_add_months(chrono::Months::new(1)).expect("a month");
        }
    }
    let ranked = |map: BTreeMap<String, i64>| {
        let mut v: Vec<Count> = map.into_iter().map(|(key, count)| Count { key, count }).collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
        v
    };
    (months.into_iter().map(|(key, count)| Count { key, count }).collect(), ranked(hospitals), ranked(types))
}

/// Minutes a resource is available over `[from, to)`: `hours` on each of `weekdays`.
pub fn available_minutes(from: NaiveDate, to: NaiveDate, weekdays: &[Weekday], hours: (NaiveTime, NaiveTime)) -> i64 {
    let per_day = (hours.1 - hours.0).num_minutes().max(0);
    let mut d = from;
    let mut total = 0;
    while d < to {
        if weekdays.contains(&d.weekday()) {
            total += per_day;
        }
        d += Duration::days(1);
    }
    total
}

/// Share of available minutes spent in procedures, in whole percent (None when nothing
/// was available).
pub fn utilization(busy_minutes: i64, available: i64) -> Option<i64> {
    (available > 0).then(|| ((busy_minutes as f64 / available as f64) * 100.0).round() as i64)
}

/// The median of the minutes from call to first treatment, and how many.
pub fn median_minutes(waits: &[i64]) -> Option<i64> {
    if waits.is_empty() {
        return None;
    }
    let mut v = waits.to_vec();
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(d: &str, h: &str, p: Procedure) -> ProcedureFact {
        ProcedureFact { day: d.parse().unwrap(), hospital: h.into(), procedure: p, nurse: "n".into(), device: "d".into(), minutes: 120 }
    }

    #[test]
    fn months_without_procedures_show_as_zero_and_the_busiest_come_first() {
        let facts = [
            fact("2026-09-03", "H-A", Procedure::PlasmaExchange),
            fact("2026-11-20", "H-B", Procedure::PlasmaExchange),
            fact("2026-11-21", "H-B", Procedure::Photopheresis),
        ];
        let (months, hospitals, types) = counts(&facts);
        assert_eq!(months.iter().map(|c| (c.key.as_str(), c.count)).collect::<Vec<_>>(), [("2026-09", 1), ("2026-10", 0), ("2026-11", 2)]);
        assert_eq!((hospitals[0].key.as_str(), hospitals[0].count), ("H-B", 2));
        assert_eq!((types[0].key.as_str(), types[0].count), ("Therapeutic plasma exchange", 2));
    }

    #[test]
    fn utilization_counts_only_working_days() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        // 7–13 Dec 2026: Monday to Sunday; five working days of 10 h.
        let from: NaiveDate = "2026-12-07".parse().unwrap();
        let avail =
            available_minutes(from, from + Duration::days(7), &[Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri], (t(8), t(18)));
        assert_eq!(avail, 3000);
        assert_eq!(utilization(750, avail), Some(25));
        assert_eq!(utilization(10, 0), None);
    }

    #[test]
    fn the_median_wait_of_emergent_requests() {
        assert_eq!(median_minutes(&[]), None);
        assert_eq!(median_minutes(&[90, 30, 240]), Some(90));
        assert_eq!(median_minutes(&[30, 90, 240, 60]), Some(75));
    }
}
