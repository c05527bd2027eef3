//! Return propensity: how likely a donor is to give in the next 30 days, learned from
//! the centre's own history, and checked against simple rules before it is trusted.
//!
//! **Snapshots.** Examples are taken at many cut dates: the first day of each of the
//! last 12 calendar months whose outcome month ends on or before `as_of`
//! ([`features::cut_dates`]). At a cut, the features read only records dated before
//! the cut; the outcome is "a donation dated in the calendar month that starts at the
//! cut". Windows are calendar months (28–31 days) rather than 30 days so that a
//! donation known only to its month (dated the 1st or the 15th, as imported legacy
//! data is) falls in exactly one outcome window and is never both an outcome of one
//! snapshot and, in the same snapshot, a feature. No record dated on or after `as_of`
//! is ever read.
//!
//! **Candidates.** A logistic regression on the features, and three rules that need no
//! fitting: recency (days since the last donation, fewer is better), frequency
//! (donations in the last 12 months) and recency–frequency (frequency, ties broken by
//! the more recent last donation). Donors are split by a seeded hash of the donor
//! number: a fifth are held out, none of their snapshots is used for fitting, and
//! every candidate is scored by its rank AUC on the held-out donors' snapshots. The
//! best is used (ties go to the simpler rule); its score is turned into a probability
//! by a one-variable logistic fit on the training snapshots (order is unchanged).

mod features;
mod logistic;
#[cfg(test)]
mod synthetic;

pub use features::{cut_dates, features, month_start, months_back, outcome_end, Features, FEATURES, N_FEATURES};
pub use logistic::{auc, Model};

use chrono::NaiveDate;
use features::{donated_between, features_of, prepared, IN_12_MONTHS, LOG_MONTHS_SINCE_LAST, NEVER};
use sha2::{Digest, Sha256};

/// Days in the prediction window as people read it ("in the next 30 days"); training
/// windows are calendar months (see the module docs).
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

/// The ways of ranking donors that compete on the held-out donors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Candidate {
    Frequency12m,
    RecencyFrequency,
    Recency,
    Logistic,
}

impl Candidate {
    /// In order of preference on equal AUC: simpler first.
    pub const ALL: [Candidate; 4] = [Candidate::Frequency12m, Candidate::RecencyFrequency, Candidate::Recency, Candidate::Logistic];

    pub fn name(self) -> &'static str {
        match self {
            Candidate::Frequency12m => "frequency_12m",
            Candidate::RecencyFrequency => "recency_frequency",
            Candidate::Recency => "recency",
            Candidate::Logistic => "logistic",
        }
    }

    /// What it ranks by, in staff's words.
    pub fn description(self) -> &'static str {
        match self {
            Candidate::Frequency12m => "donations in the last 12 months",
            Candidate::RecencyFrequency => "donations in the last 12 months, ties broken by the most recent last donation",
            Candidate::Recency => "days since the last donation (fewer first)",
            Candidate::Logistic => "logistic regression on 15 history features",
        }
    }

    pub fn parse(s: &str) -> Option<Candidate> {
        Candidate::ALL.into_iter().find(|c| c.name() == s.trim())
    }

    /// The raw ranking score (higher = more likely to give); `model` is read only by the logistic candidate.
    fn raw(self, f: &Features, model: &Model) -> f64 {
        let never = f[NEVER] > 0.5;
        match self {
            Candidate::Frequency12m => f[IN_12_MONTHS],
            // Frequency is a whole number; the tie-breaker stays in (0, 1].
            Candidate::RecencyFrequency => f[IN_12_MONTHS] + if never { 0.0 } else { 1.0 / f[LOG_MONTHS_SINCE_LAST].exp() },
            Candidate::Recency => -f[LOG_MONTHS_SINCE_LAST],
            Candidate::Logistic => model.predict(f),
        }
    }
}

/// How one candidate ranked the held-out donors.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateAuc {
    pub candidate: Candidate,
    /// `None` when the held-out snapshots hold one class only.
    pub auc: Option<f64>,
}

/// What was learned, from what, and how every candidate did.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelReport {
    pub as_of: NaiveDate,
    /// Snapshot cut dates, newest first.
    pub cuts: Vec<NaiveDate>,
    pub training_donors: usize,
    pub held_out_donors: usize,
    /// Snapshots (donor × cut) fitted on, after any thinning to `Config::max_rows`.
    pub training_rows: usize,
    pub held_out_rows: usize,
    /// Held-out snapshots with a donation in their outcome month.
    pub held_out_positives: usize,
    /// Every candidate, in [`Candidate::ALL`] order.
    pub candidates: Vec<CandidateAuc>,
    pub chosen: Candidate,
}

impl ModelReport {
    pub fn auc_of(&self, c: Candidate) -> Option<f64> {
        self.candidates.iter().find(|x| x.candidate == c).and_then(|x| x.auc)
    }

    pub fn chosen_auc(&self) -> Option<f64> {
        self.auc_of(self.chosen)
    }
}

/// Knobs of the training; [`Config::default`] is what the centre runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Snapshot months (cut dates) before `as_of`.
    pub months: u32,
    /// Salt of the held-out split: same seed, same split.
    pub seed: u64,
    /// At most this many training snapshots and this many held-out snapshots (evenly
    /// thinned beyond), so a pool of 500,000 donors trains in seconds.
    pub max_rows: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { months: 12, seed: 2026, max_rows: 240_000 }
    }
}

/// Held out for the AUC: a fixed fifth of donors, by a seeded hash of the donor number.
pub fn held_out(seed: u64, donor_number: &str) -> bool {
    let mut h = Sha256::new();
    h.update(seed.to_be_bytes());
    h.update(donor_number.as_bytes());
    h.finalize()[0] % 5 == 0
}

/// The scores as of a date, with the report of how they were chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub report: ModelReport,
    /// (donor number, probability of a donation in the next 30 days), by donor number.
    pub scores: Vec<(String, f64)>,
}

/// As [`score_with`] with the default configuration.
pub fn score(donors: &[DonorHistory], as_of: NaiveDate) -> Scores {
    score_with(donors, as_of, &Config::default())
}

struct Rows {
    x: Vec<Features>,
    y: Vec<bool>,
}

/// The fitted candidates and how they did, before anyone is scored.
pub(crate) struct Trained {
    pub(crate) model: Model,
    calibration: Option<Model>,
    pub(crate) report: ModelReport,
}

impl Trained {
    /// Probability of a donation in the next 30 days by the chosen candidate.
    pub(crate) fn probability(&self, f: &Features) -> f64 {
        let raw = self.report.chosen.raw(f, &self.model);
        match &self.calibration {
            Some(m) if m.weights[1] > 0.0 => m.predict(&[raw]),
            // A flat or falling fit: squash the raw score monotonically into (0, 1).
            Some(_) => logistic::sigmoid(raw),
            None => raw,
        }
    }

    /// A candidate's raw ranking score (higher = likelier to give).
    #[cfg(test)]
    pub(crate) fn raw(&self, c: Candidate, f: &Features) -> f64 {
        c.raw(f, &self.model)
    }
}

/// Learns from snapshots before `as_of` and compares the candidates on held-out donors.
pub(crate) fn train(donors: &[DonorHistory], sorted: &[Vec<(NaiveDate, bool)>], order: &[usize], as_of: NaiveDate, config: &Config) -> Trained {
    let cuts = cut_dates(as_of, config.months);
    let held: Vec<bool> = donors.iter().map(|d| held_out(config.seed, &d.donor_number)).collect();
    let held_out_donors = held.iter().filter(|h| **h).count();
    let per_side = |h: bool| (if h { held_out_donors } else { donors.len() - held_out_donors }) * cuts.len();
    let collect = |h: bool| {
        let total = per_side(h);
        let step = total.div_ceil(config.max_rows.max(1)).max(1);
        let mut rows = Rows { x: Vec::with_capacity(total / step + 1), y: Vec::with_capacity(total / step + 1) };
        let mut k = 0usize;
        for &i in order.iter().filter(|&&i| held[i] == h) {
            for &cut in &cuts {
                if k.is_multiple_of(step) {
                    rows.x.push(features_of(&donors[i], &sorted[i], cut, as_of));
                    rows.y.push(donated_between(&sorted[i], cut, outcome_end(cut)));
                }
                k += 1;
            }
        }
        rows
    };
    let train = collect(false);
    let test = collect(true);
    let model = Model::fit(&train.x, &train.y);
    let candidates: Vec<CandidateAuc> = Candidate::ALL
        .into_iter()
        .map(|c| {
            let s: Vec<f64> = test.x.iter().map(|f| c.raw(f, &model)).collect();
            CandidateAuc { candidate: c, auc: auc(&s, &test.y) }
        })
        .collect();
    // Best AUC; on a tie (or none defined) the earlier, simpler candidate.
    let mut chosen = Candidate::Frequency12m;
    let mut best = f64::NEG_INFINITY;
    for c in &candidates {
        if let Some(a) = c.auc {
            if a > best + 1e-12 {
                best = a;
                chosen = c.candidate;
            }
        }
    }
    // A probability from the chosen ranking: a one-variable logistic fit on the training
    // snapshots, used only if it rises with the score (otherwise the order would flip).
    let calibration = (chosen != Candidate::Logistic).then(|| {
        let s: Vec<[f64; 1]> = train.x.iter().map(|f| [chosen.raw(f, &model)]).collect();
        Model::fit(&s, &train.y)
    });
    let report = ModelReport {
        as_of,
        cuts,
        training_donors: donors.len() - held_out_donors,
        held_out_donors,
        training_rows: train.y.len(),
        held_out_rows: test.y.len(),
        held_out_positives: test.y.iter().filter(|y| **y).count(),
        candidates,
        chosen,
    };
    Trained { model, calibration, report }
}

/// Learns from snapshots before `as_of`, compares the candidates on held-out donors,
/// and scores every donor as of `as_of` with the best.
pub fn score_with(donors: &[DonorHistory], as_of: NaiveDate, config: &Config) -> Scores {
    let mut order: Vec<usize> = (0..donors.len()).collect();
    order.sort_by(|a, b| donors[*a].donor_number.cmp(&donors[*b].donor_number));
    let sorted: Vec<Vec<(NaiveDate, bool)>> = donors.iter().map(prepared).collect();
    let trained = train(donors, &sorted, &order, as_of, config);
    let scores: Vec<(String, f64)> =
        order.iter().map(|&i| (donors[i].donor_number.clone(), trained.probability(&features_of(&donors[i], &sorted[i], as_of, as_of)))).collect();
    Scores { report: trained.report, scores }
}

#[cfg(test)]
mod tests;
