//! Donor histories for the tests, made by processes unlike the demo centre's.
//!
//! [`coarse`]: each donor has a personal rate of giving that drifts (changes of life),
//! lapses that may end, a chance of quitting for good, minimum gaps between
//! donations, temporary deferrals, and the odd values legacy registers hold
//! (duplicated records, a donation typed with a year long past or far ahead, donors
//! who never gave). Every date is then rounded to its month: to the 1st for most
//! donors, to the 15th for some (two conventions of old systems).
//!
//! [`uci_shaped`]: histories shaped like the public UCI "Blood Transfusion Service
//! Center" data set (748 donors of a Taiwanese mobile blood service; recency, frequency
//! and time in months, outcome: donated in March 2007). The data itself cannot be
//! downloaded here; the generator is tuned to its published summary figures.

use super::{DeferralSpan, DonorHistory};
use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rounding {
    FirstOfMonth,
    MidMonth,
}

fn round(d: NaiveDate, r: Rounding) -> NaiveDate {
    let day = match r {
        Rounding::FirstOfMonth => 1,
        Rounding::MidMonth => 15,
    };
    NaiveDate::from_ymd_opt(d.year(), d.month(), day).expect("1st and 15th exist")
}

fn exp(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.gen::<f64>()).ln()
}

fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    // Box–Muller.
    let (u1, u2): (f64, f64) = (1.0 - rng.gen::<f64>(), rng.gen());
    median * (sigma * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()).exp()
}

/// `n` donors with month-rounded dates; donations continue up to a year after `as_of`
/// (the future, which no score may read).
pub fn coarse(n: usize, seed: u64, as_of: NaiveDate) -> Vec<DonorHistory> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let end = as_of + Duration::days(365);
    (0..n)
        .map(|i| {
            let birth_date = as_of - Duration::days(rng.gen_range(18 * 365..76 * 365));
            let female = rng.gen_bool(0.5);
            let apheresis = rng.gen_bool(0.1);
            let rounding = if rng.gen_bool(0.8) { Rounding::FirstOfMonth } else { Rounding::MidMonth };
            let mut donations = vec![];
            let mut deferrals = vec![];
            if !rng.gen_bool(0.12) {
                // Donors per year, personal: a long right tail.
                let mut rate = lognormal(&mut rng, if apheresis { 5.0 } else { 1.2 }, 0.8).clamp(0.05, if apheresis { 20.0 } else { 5.5 });
                let min_gap = if apheresis { 14 } else { 56 };
                let start = as_of - Duration::days(rng.gen_range(0..15 * 365));
                let mut t = start.max(birth_date + Duration::days(18 * 365));
                let mut next_change = t + Duration::days(exp(&mut rng, 700.0) as i64);
                let mut lapsed_until: Option<NaiveDate> = None;
                let mut quit = false;
                let deferral = rng.gen_bool(0.06).then(|| {
                    let from = as_of - Duration::days(rng.gen_range(0..900));
                    (from, from + Duration::days(rng.gen_range(120..400)))
                });
                if let Some((from, until)) = deferral {
                    deferrals.push(DeferralSpan { entered_on: from, starts_on: from, until: Some(until), reentered_on: None });
                }
                while t < end && !quit {
                    let gap = (exp(&mut rng, 365.0 / rate) as i64).max(min_gap);
                    t += Duration::days(gap);
                    while next_change <= t {
                        // Changes of life: the rate drifts, sometimes a lapse, sometimes the end.
                        rate = (rate * lognormal(&mut rng, 1.0, 0.5)).clamp(0.05, 20.0);
                        if rng.gen_bool(0.2) {
                            lapsed_until = Some(next_change + Duration::days(exp(&mut rng, 500.0) as i64));
                        }
                        quit = rng.gen_bool(0.08);
                        next_change += Duration::days(exp(&mut rng, 700.0) as i64 + 30);
                    }
                    if lapsed_until.is_some_and(|l| t < l) || quit || t >= end {
                        continue;
                    }
                    if deferral.is_some_and(|(from, until)| from <= t && t < until) {
                        continue;
                    }
                    let aph = apheresis && rng.gen_bool(0.8);
                    donations.push((round(t, rounding), aph));
                    if rng.gen_bool(0.02) {
                        donations.push((round(t, rounding), aph)); // a duplicated record
                    }
                }
                if rng.gen_bool(0.01) {
                    donations.push((NaiveDate::from_ymd_opt(1901, 1, 1).expect("date"), false));
                    // before birth: impossible
                }
                if rng.gen_bool(0.01) {
                    donations.push((NaiveDate::from_ymd_opt(2099, 1, 1).expect("date"), false));
                    // a year typed wrong, far ahead
                }
            }
            DonorHistory { donor_number: format!("L{i:07}"), birth_date: round(birth_date, Rounding::FirstOfMonth), female, donations, deferrals }
        })
        .collect()
}

/// Published figures of the UCI "Blood Transfusion Service Center" data (Yeh, Yang and
/// Ting 2009; 748 donors): means of recency (months since the last donation), frequency
/// (donations) and time (months since the first donation), and the share who gave in
/// March 2007. Quoted from the data set's usual summaries, not computed here.
pub const UCI_MEAN_RECENCY: f64 = 9.5;
pub const UCI_MEAN_FREQUENCY: f64 = 5.5;
pub const UCI_MEAN_TIME: f64 = 34.3;
pub const UCI_POSITIVE_SHARE: f64 = 0.238;

/// `n` donors shaped like the UCI data: dates are month starts and as_of is 1 March
/// 2007. One process writes each history through March 2007 (the outcome month): half
/// the donors are loyal (a donation every two months or so, since at most three
/// years), the others give every eight months or so and most of them stop at some
/// point. Tuned so the means of recency, frequency and time and the share who gave
/// in March come near the published ones.
pub fn uci_shaped(n: usize, seed: u64) -> (Vec<DonorHistory>, NaiveDate) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let as_of = NaiveDate::from_ymd_opt(2007, 3, 1).expect("date");
    let month = |m: i64| as_of.checked_sub_months(chrono::Months::new(m as u32)).expect("date");
    let donors = (0..n)
        .map(|i| {
            let loyal = rng.gen_bool(0.5);
            let time: i64 = if loyal { rng.gen_range(2..=36) } else { rng.gen_range(2..=98i64).min(rng.gen_range(2..=98)) };
            let interval = lognormal(&mut rng, if loyal { 2.0 } else { 8.0 }, 0.5).clamp(1.5, 60.0);
            let stop = (!loyal && rng.gen_bool(0.8)).then(|| rng.gen_range(0.0..time as f64));
            let mut donations = vec![];
            let mut t = time as f64;
            while t >= -0.5 {
                let m = t.round() as i64;
                if stop.is_some_and(|s| (m as f64) < s) {
                    break;
                }
                donations.push((month(m.max(0)), false));
                t -= (interval * lognormal(&mut rng, 1.0, 0.35)).max(1.0);
            }
            DonorHistory {
                donor_number: format!("U{i:04}"),
                birth_date: NaiveDate::from_ymd_opt(1960, 1, 1).expect("date"),
                female: false,
                donations,
                deferrals: vec![],
            }
        })
        .collect();
    (donors, as_of)
}
