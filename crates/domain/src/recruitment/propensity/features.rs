//! What the models may know about a donor as of a day, and the cut dates of the
//! training snapshots.
//!
//! Windows are counted in calendar months, not in days, so that histories whose dates
//! are known only to the month (imported legacy data dated the 1st or the 15th) give
//! the same answers as exact ones: "in the last 12 months as of 1 June" is every
//! donation dated from 1 June a year earlier, whichever day of the month it carries.

use super::DonorHistory;
use chrono::{Datelike, Months, NaiveDate};

/// The features of one donor at one day, in the order of [`FEATURES`].
pub type Features = [f64; N_FEATURES];

pub const N_FEATURES: usize = 15;

pub const FEATURES: [&str; N_FEATURES] = [
    "log months since last donation",
    "last donation in the last 2 months",
    "last donation 2 to 4 months ago",
    "last donation 4 to 6 months ago",
    "last donation 6 to 12 months ago",
    "donations in the last 12 months",
    "donations in the last 24 months",
    "log donations ever",
    "log months since first donation",
    "donations per year since the first",
    "age in decades",
    "female",
    "last donation by apheresis",
    "deferred now",
    "never donated",
];

/// Indexes into [`Features`] that the simple baselines read.
pub(crate) const LOG_MONTHS_SINCE_LAST: usize = 0;
pub(crate) const IN_12_MONTHS: usize = 5;
pub(crate) const NEVER: usize = 14;

/// Months (of 30.44 days) standing for "never": a little over 80 years.
const NEVER_MONTHS: f64 = 1000.0;

/// `day` moved back by whole calendar months (clamped to the month's length).
pub fn months_back(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_sub_months(Months::new(months)).unwrap_or(NaiveDate::MIN)
}

/// The first day of the month `day` falls in.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a 1st")
}

/// A donor's donations sorted by date, without impossible ones (dated before birth).
pub(crate) fn prepared(d: &DonorHistory) -> Vec<(NaiveDate, bool)> {
    let mut v: Vec<(NaiveDate, bool)> = d.donations.iter().copied().filter(|(x, _)| *x >= d.birth_date).collect();
    v.sort();
    v
}

/// The features of a donor as of `day` (start of day): only records dated before it.
pub fn features(d: &DonorHistory, day: NaiveDate) -> Features {
    features_of(d, &prepared(d), day, day)
}

/// As [`features`], with the donations already [`prepared`] and the age taken on
/// `age_on`. Training passes the as-of date for every snapshot: a donor's age then
/// stays the same across cut dates, so it cannot stand in for the date of the cut
/// (an age that grows with the cut lets a model learn the calendar, not the donor).
pub(crate) fn features_of(d: &DonorHistory, sorted: &[(NaiveDate, bool)], day: NaiveDate, age_on: NaiveDate) -> Features {
    let end = sorted.partition_point(|(x, _)| *x < day);
    let before = &sorted[..end];
    let since = |months: u32| {
        let from = months_back(day, months);
        before.len() - before.partition_point(|(x, _)| *x < from)
    };
    let months_ago = |x: NaiveDate| (day - x).num_days() as f64 / 30.44;
    let last = before.last().copied();
    let first = before.first().copied();
    // The bucket of the last donation, in calendar months.
    let bucket = |from: u32, to: u32| match last {
        Some((x, _)) => x >= months_back(day, to) && (from == 0 || x < months_back(day, from)),
        None => false,
    };
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let n = before.len() as f64;
    let tenure_months = first.map_or(0.0, |(x, _)| months_ago(x));
    [
        last.map_or(NEVER_MONTHS, |(x, _)| months_ago(x)).ln_1p(),
        flag(bucket(0, 2)),
        flag(bucket(2, 4)),
        flag(bucket(4, 6)),
        flag(bucket(6, 12)),
        since(12) as f64,
        since(24) as f64,
        n.ln_1p(),
        tenure_months.ln_1p(),
        // Tenure of at least a year, so one recent first donation does not read as a high rate.
        if before.is_empty() { 0.0 } else { n / (tenure_months / 12.0).max(1.0) },
        (age_on - d.birth_date).num_days() as f64 / 3652.5,
        flag(d.female),
        flag(last.is_some_and(|(_, aph)| aph)),
        flag(d.deferrals.iter().any(|s| s.in_force(day))),
        flag(before.is_empty()),
    ]
}

/// Snapshot cut dates: the first days of `months` consecutive calendar months, newest
/// first, the newest being the latest whose whole outcome month ends on or before
/// `as_of` (so every outcome is known as of `as_of`).
pub fn cut_dates(as_of: NaiveDate, months: u32) -> Vec<NaiveDate> {
    let mut c = month_start(as_of);
    if outcome_end(c) > as_of {
        c = months_back(c, 1);
    }
    (0..months).map(|i| months_back(c, i)).collect()
}

/// The outcome window of a snapshot cut on `cut` ends (exclusive) one calendar month later.
pub fn outcome_end(cut: NaiveDate) -> NaiveDate {
    cut.checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX)
}

/// Donated in `[from, to)`.
pub(crate) fn donated_between(sorted: &[(NaiveDate, bool)], from: NaiveDate, to: NaiveDate) -> bool {
    let i = sorted.partition_point(|(x, _)| *x < from);
    sorted.get(i).is_some_and(|(x, _)| *x < to)
}
