//! Return propensity: how likely a donor is to give in the next 30 days, learned from
//! the centre's own history.
//!
//! Dates are read at the start of the day: "as of D" means everything dated before D.
//! Training examples are taken at the cut date `as_of − 30 days` (features from what
//! happened before the cut; label: a donation in `[cut, as_of)`), so no donation,
//! deferral or reentry dated on or after `as_of` is ever read. The model is a logistic
//! regression fitted by full-batch gradient descent from zero weights (deterministic).
//! 20% of donors, chosen by a hash of the donor number, are held out to report the AUC.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

/// Days in the prediction window.
pub const HORIZON_DAYS: i64 = 30;

/// What the model may know about one donor.
#[derive(Debug, Clone, PartialEq)]
pub struct DonorHistory {
    pub donor_number: String,
    pub birth_date: NaiveDate,
    pub female: bool,
    /// (date, apheresis procedure or not), in any order.
    pub donations: Vec<(NaiveDate, bool)>,
    pub deferrals: Vec<DeferralSpan>,
}

/// One deferral register entry as known over time.
#[derive(Debug, Clone, PartialEq)]
pub struct DeferralSpan {
    /// The day it was entered in the register (it is not known before).
    pub entered_on: NaiveDate,
    pub starts_on: NaiveDate,
    /// First day the donor may give again; `None`: indefinite or permanent.
    pub until: Option<NaiveDate>,
    /// The day of a reentry, if any.
    pub reentered_on: Option<NaiveDate>,
}

impl DeferralSpan {
    /// In force on `day`, as known before `day`.
    fn in_force(&self, day: NaiveDate) -> bool {
        self.entered_on < day && self.starts_on <= day && self.until.is_none_or(|u| day < u) && self.reentered_on.is_none_or(|r| r >= day)
    }
}

pub const FEATURES: [&str; 9] = [
    "log days since last donation",
    "donations in the last 12 months",
    "donations in the last 24 months",
    "log days since first donation",
    "age in decades",
    "female",
    "last donation by apheresis",
    "deferred now",
    "never donated",
];

/// The features of a donor as of `day` (start of day): only records dated before it.
pub fn features(d: &DonorHistory, day: NaiveDate) -> [f64; 9] {
    let mut before: Vec<(NaiveDate, bool)> = d.donations.iter().copied().filter(|(x, _)| *x < day).collect();
    before.sort();
    let days = |x: NaiveDate| (day - x).num_days() as f64;
    let in_last = |months: i64| before.iter().filter(|(x, _)| days(*x) <= months as f64 * 30.44).count() as f64;
    let never = before.is_empty();
    let last = before.last().copied();
    let first = before.first().copied();
    [
        last.map_or(10.0, |(x, _)| (1.0 + days(x)).ln()),
        in_last(12),
        in_last(24),
        first.map_or(0.0, |(x, _)| (1.0 + days(x)).ln()),
        days(d.birth_date) / 3652.5,
        if d.female { 1.0 } else { 0.0 },
        if last.is_some_and(|(_, aph)| aph) { 1.0 } else { 0.0 },
        if d.deferrals.iter().any(|s| s.in_force(day)) { 1.0 } else { 0.0 },
        if never { 1.0 } else { 0.0 },
    ]
}

/// Donated in `[from, to)`.
fn donated_between(d: &DonorHistory, from: NaiveDate, to: NaiveDate) -> bool {
    d.donations.iter().any(|(x, _)| from <= *x && *x < to)
}

/// A fitted logistic regression on standardised features.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    /// Bias first, then one weight per feature.
    pub weights: Vec<f64>,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Model {
    /// Fits by gradient descent on the mean log loss (with a little L2 on the weights).
    pub fn fit(x: &[Vec<f64>], y: &[bool]) -> Model {
        let k = x.first().map_or(0, Vec::len);
        let n = x.len().max(1) as f64;
        let mut mean = vec![0.0; k];
        let mut scale = vec![1.0; k];
        for j in 0..k {
            mean[j] = x.iter().map(|r| r[j]).sum::<f64>() / n;
            let var = x.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
            scale[j] = if var > 1e-12 { var.sqrt() } else { 1.0 };
        }
        let z: Vec<Vec<f64>> = x.iter().map(|r| (0..k).map(|j| (r[j] - mean[j]) / scale[j]).collect()).collect();
        let mut w = vec![0.0; k + 1];
        let (rate, l2) = (0.5, 1e-3);
        for _ in 0..400 {
            let mut grad = vec![0.0; k + 1];
            for (r, &label) in z.iter().zip(y) {
                let p = sigmoid(w[0] + r.iter().zip(&w[1..]).map(|(a, b)| a * b).sum::<f64>());
                let err = p - if label { 1.0 } else { 0.0 };
                grad[0] += err;
                for j in 0..k {
                    grad[j + 1] += err * r[j];
                }
            }
            for j in 0..=k {
                let reg = if j == 0 { 0.0 } else { l2 * w[j] };
                w[j] -= rate * (grad[j] / n + reg);
            }
        }
        Model { mean, scale, weights: w }
    }

    pub fn predict(&self, x: &[f64]) -> f64 {
        let z: f64 = self.weights[0] + x.iter().enumerate().map(|(j, v)| (v - self.mean[j]) / self.scale[j] * self.weights[j + 1]).sum::<f64>();
        sigmoid(z)
    }
}

/// Area under the ROC curve by the rank method (ties get their average rank):
/// `(sum of positive ranks − P(P+1)/2) / (P·N)`. `None` without both classes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let pos = labels.iter().filter(|l| **l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = avg;
        }
        i = j + 1;
    }
    let sum: f64 = ranks.iter().zip(labels).filter(|(_, l)| **l).map(|(r, _)| r).sum();
    Some((sum - (pos * (pos + 1)) as f64 / 2.0) / (pos as f64 * neg as f64))
}

/// Held out for the AUC: a fixed fifth of donors, by a hash of the donor number.
pub fn held_out(donor_number: &str) -> bool {
    Sha256::digest(donor_number.as_bytes())[0] % 5 == 0
}

/// The scores as of a date, with how well the model ranked held-out donors.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub as_of: NaiveDate,
    /// AUC on the held-out donors; `None` when they hold only one class.
    pub auc: Option<f64>,
    /// Training examples used.
    pub n: usize,
    /// (donor number, probability of a donation in the next 30 days), by donor number.
    pub scores: Vec<(String, f64)>,
}

/// Learns from history before `as_of − 30 days`, checks on the held-out donors, and
/// scores every donor as of `as_of`.
pub fn score(donors: &[DonorHistory], as_of: NaiveDate) -> Scores {
    let cut = as_of - chrono::Duration::days(HORIZON_DAYS);
    // Donors born after the cut, or first known later, still take part: a donor with
    // no history is a legitimate example of "never donated".
    let (mut tx, mut ty, mut hx, mut hy) = (vec![], vec![], vec![], vec![]);
    for d in donors {
        let x = features(d, cut).to_vec();
        let y = donated_between(d, cut, as_of);
        if held_out(&d.donor_number) {
            hx.push(x);
            hy.push(y);
        } else {
            tx.push(x);
            ty.push(y);
        }
    }
    let model = Model::fit(&tx, &ty);
    let held: Vec<f64> = hx.iter().map(|x| model.predict(x)).collect();
    let mut scores: Vec<(String, f64)> = donors.iter().map(|d| (d.donor_number.clone(), model.predict(&features(d, as_of)))).collect();
    scores.sort_by(|a, b| a.0.cmp(&b.0));
    Scores { as_of, auc: auc(&held, &hy), n: tx.len(), scores }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn auc_by_ranks_matches_hand_computed_cases() {
        assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]), Some(0.75));
        assert_eq!(auc(&[0.9, 0.8, 0.1, 0.2], &[true, true, false, false]), Some(1.0));
        assert_eq!(auc(&[0.9, 0.8, 0.1, 0.2], &[false, false, true, true]), Some(0.0));
        // A tie between a positive and a negative counts a half.
        assert_eq!(auc(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(auc(&[0.2, 0.5, 0.5, 0.7], &[false, true, false, true]), Some(0.875));
        assert_eq!(auc(&[0.2, 0.3], &[true, true]), None);
    }

    /// Donors who gave every ~60 days come back; lapsed donors do not (plus noise).
    fn synthetic(n: usize, planted: bool, seed: u64) -> (Vec<DonorHistory>, NaiveDate) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let as_of = day("2026-06-01");
        let mut out = vec![];
        for i in 0..n {
            let regular = rng.gen_bool(0.4);
            let mut donations = vec![];
            let last_gap: i64 = if regular { rng.gen_range(35..70) } else { rng.gen_range(200..900) };
            let mut at = as_of - chrono::Duration::days(30 + last_gap);
            for _ in 0..rng.gen_range(1..6) {
                donations.push((at, false));
                at -= chrono::Duration::days(rng.gen_range(60..200));
            }
            let comes_back = if planted { rng.gen_bool(if regular { 0.7 } else { 0.05 }) } else { rng.gen_bool(0.3) };
            if comes_back {
                donations.push((as_of - chrono::Duration::days(rng.gen_range(1..=30)), false));
            }
            out.push(DonorHistory {
                donor_number: format!("D{i:07}"),
                birth_date: day("1980-01-01"),
                female: rng.gen_bool(0.5),
                donations,
                deferrals: vec![],
            });
        }
        (out, as_of)
    }

    #[test]
    fn the_model_learns_a_planted_signal_and_not_noise() {
        let (donors, as_of) = synthetic(2000, true, 7);
        let s = score(&donors, as_of);
        assert!(s.auc.unwrap() > 0.8, "planted signal: AUC {:?}", s.auc);
        assert!(s.n > 1400 && s.n < 1800, "about 80% train: {}", s.n);
        let (noise, as_of) = synthetic(2000, false, 7);
        let a = score(&noise, as_of).auc.unwrap();
        assert!((a - 0.5).abs() < 0.08, "noise: AUC {a}");
    }

    #[test]
    fn nothing_on_or_after_as_of_changes_the_scores() {
        let (mut donors, as_of) = synthetic(500, true, 3);
        let before = score(&donors, as_of);
        for (i, d) in donors.iter_mut().enumerate() {
            d.donations.push((as_of + chrono::Duration::days(i as i64 % 40), i % 3 == 0));
            d.deferrals.push(DeferralSpan { entered_on: as_of, starts_on: as_of - chrono::Duration::days(90), until: None, reentered_on: None });
        }
        assert_eq!(score(&donors, as_of), before);
    }

    #[test]
    fn features_read_only_the_past() {
        let d = DonorHistory {
            donor_number: "D1".into(),
            birth_date: day("1990-01-01"),
            female: true,
            donations: vec![(day("2024-12-10"), false), (day("2025-12-01"), true), (day("2026-01-01"), false)],
            deferrals: vec![DeferralSpan {
                entered_on: day("2025-12-01"),
                starts_on: day("2025-12-01"),
                until: Some(day("2026-01-15")),
                reentered_on: None,
            }],
        };
        let f = features(&d, day("2026-01-01"));
        assert_eq!(f[0], 32f64.ln(), "last donation 2025-12-01, 31 days before: ln(1 + 31)");
        assert_eq!((f[1], f[2]), (1.0, 2.0));
        assert_eq!(f[6], 1.0, "last was apheresis");
        assert_eq!(f[7], 1.0, "deferred until 2026-01-15");
        assert_eq!(features(&d, day("2026-01-15"))[7], 0.0);
        assert_eq!(features(&d, day("2024-12-10"))[8], 1.0, "never donated before the first day");
    }
}
