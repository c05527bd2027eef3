//! Donation testing as rules: which tests a donation needs (versioned rule data with
//! effective dates, like the eligibility and dating rules), and how the results of one
//! test read — initial reactive, repeat in duplicate, repeat reactive or not, and the
//! confirmatory result. Pure: the app stores orders and results and acts on what this
//! module decides (quarantine, deferral, notification, lookback).

use crate::donor::DonationProcedure;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const DEFAULT_TESTING_JSON: &str = include_str!("testing-v1.json");

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TestingError {
    #[error("testing rules: {0}")]
    Rules(String),
    /// A result that cannot be taken, naming the field.
    #[error("{field}: {message}")]
    Result { field: String, message: String },
}

fn refuse<T>(field: &str, message: impl Into<String>) -> Result<T, TestingError> {
    Err(TestingError::Result { field: field.into(), message: message.into() })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// ABO/RhD: the result is a blood group, compared with the donor's history.
    Typing,
    AntibodyScreen,
    /// Infectious disease markers: reactive results quarantine, defer and may open lookback.
    Infectious,
    Bacterial,
    /// CMV, HbS and the like: ordered on request; a negative result gives the units an attribute.
    Special,
}

/// Which units of the donation a positive result keeps from release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocks {
    #[default]
    All,
    /// Plasma, platelets, whole blood and cryo: the antibodies are in the plasma.
    PlasmaContaining,
    None,
}

/// When a test is ordered. Every condition given must hold; a test with several `when`
/// entries is ordered when any holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderWhen {
    /// Only for these procedures (absent: every procedure).
    #[serde(default)]
    pub procedures: Option<Vec<DonationProcedure>>,
    #[serde(default)]
    pub except_procedures: Vec<DonationProcedure>,
    /// Once in a donor's life: not again after a final non-reactive result.
    #[serde(default)]
    pub once_per_donor: bool,
    /// Not again within this many days of a final non-reactive result.
    #[serde(default)]
    pub every_days: Option<u32>,
    /// Only for donations collected in these regions (US state codes).
    #[serde(default)]
    pub regions: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeferralKind {
    Days,
    Indefinite,
    Permanent,
}

/// The deferral a repeat-reactive (final reactive) result puts on the donor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReactiveDeferral {
    pub kind: DeferralKind,
    #[serde(default)]
    pub days: Option<u32>,
    pub reason: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookback {
    /// Earlier donations within this many months before the donor's most recent
    /// non-reactive test are looked back at.
    pub months: u32,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestRule {
    pub code: String,
    pub title: String,
    pub kind: TestKind,
    pub source: String,
    /// Empty: ordered only on request.
    pub when: Vec<OrderWhen>,
    #[serde(default)]
    pub repeat_in_duplicate: bool,
    #[serde(default)]
    pub blocks: Option<Blocks>,
    #[serde(default)]
    pub deferral: Option<ReactiveDeferral>,
    #[serde(default)]
    pub lookback: Option<Lookback>,
    #[serde(default)]
    pub attribute_when_negative: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl TestRule {
    /// Which units a positive result keeps from release.
    pub fn blocks(&self) -> Blocks {
        self.blocks.unwrap_or(if self.kind == TestKind::Special { Blocks::None } else { Blocks::All })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestingRules {
    pub version: String,
    pub effective_from: NaiveDate,
    #[serde(default)]
    pub note: String,
    pub tests: Vec<TestRule>,
}

impl TestingRules {
    pub fn test(&self, code: &str) -> Option<&TestRule> {
        self.tests.iter().find(|t| t.code == code)
    }
}

/// Every version, each in force from its date until the next.
#[derive(Debug, Clone)]
pub struct TestingBook {
    versions: Vec<TestingRules>,
}

impl TestingBook {
    pub fn new(mut versions: Vec<TestingRules>) -> Result<Self, TestingError> {
        if versions.is_empty() {
            return Err(TestingError::Rules("no version".into()));
        }
        versions.sort_by_key(|v| v.effective_from);
        for w in versions.windows(2) {
            if w[0].effective_from == w[1].effective_from {
                return Err(TestingError::Rules(format!("versions {} and {} come into force on the same day", w[0].version, w[1].version)));
            }
        }
        for v in &versions {
            let mut codes = std::collections::BTreeSet::new();
            for t in &v.tests {
                if !codes.insert(&t.code) {
                    return Err(TestingError::Rules(format!("version {}: the test {} is listed twice", v.version, t.code)));
                }
                if let Some(d) = &t.deferral {
                    if (d.kind == DeferralKind::Days) != d.days.is_some_and(|n| n > 0) {
                        return Err(TestingError::Rules(format!(
                            "version {}: {} needs a number of days exactly when its deferral is in days",
                            v.version, t.code
                        )));
                    }
                }
                if t.kind == TestKind::Special && t.attribute_when_negative.is_none() {
                    return Err(TestingError::Rules(format!("version {}: the special test {} names no attribute", v.version, t.code)));
                }
            }
            if !v.tests.iter().any(|t| t.kind == TestKind::Typing) {
                return Err(TestingError::Rules(format!("version {}: no ABO/RhD typing", v.version)));
            }
        }
        Ok(Self { versions })
    }

    /// The reviewed defaults.
    pub fn defaults() -> Self {
        let v: TestingRules = serde_json::from_str(DEFAULT_TESTING_JSON).expect("the shipped testing rules read");
        Self::new(vec![v]).expect("the shipped testing rules are consistent")
    }

    pub fn in_force(&self, day: NaiveDate) -> Option<&TestingRules> {
        self.versions.iter().rev().find(|v| v.effective_from <= day)
    }

    pub fn versions(&self) -> &[TestingRules] {
        &self.versions
    }
}

/// An earlier final result of the donor, for once-per-donor and interval tests.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorTest {
    pub code: String,
    pub collected_on: NaiveDate,
    pub nonreactive: bool,
}

/// What decides a donation's orders.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderContext {
    pub procedure: DonationProcedure,
    pub collected_on: NaiveDate,
    /// The collection site's region (US state code), if known.
    pub region: Option<String>,
    pub history: Vec<PriorTest>,
}

/// A test ordered for a donation, with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Order {
    pub code: String,
    pub title: String,
    pub why: String,
}

fn procedure_words(p: DonationProcedure) -> &'static str {
    p.as_str()
}

/// The tests a donation needs, by the version in force on its collection date.
pub fn orders_for(book: &TestingBook, ctx: &OrderContext) -> Result<(String, Vec<Order>), TestingError> {
    let rules =
        book.in_force(ctx.collected_on).ok_or_else(|| TestingError::Rules(format!("no testing rule version is in force on {}", ctx.collected_on)))?;
    let mut out = Vec::new();
    for t in &rules.tests {
        if let Some(why) = t.when.iter().find_map(|w| applies(w, t, ctx)) {
            out.push(Order { code: t.code.clone(), title: t.title.clone(), why });
        }
    }
    Ok((rules.version.clone(), out))
}

fn applies(w: &OrderWhen, t: &TestRule, ctx: &OrderContext) -> Option<String> {
    if let Some(ps) = &w.procedures {
        if !ps.contains(&ctx.procedure) {
            return None;
        }
    }
    if w.except_procedures.contains(&ctx.procedure) {
        return None;
    }
    let mut why = vec![t.source.clone()];
    if let Some(regions) = &w.regions {
        let r = ctx.region.as_deref()?;
        if !regions.iter().any(|x| x.eq_ignore_ascii_case(r)) {
            return None;
        }
        why.push(format!("collected in {r}"));
    }
    let passed = || ctx.history.iter().filter(|h| h.code == t.code && h.nonreactive);
    if w.once_per_donor {
        if passed().next().is_some() {
            return None;
        }
        why.push("first test of this donor".into());
    }
    if let Some(days) = w.every_days {
        if passed().any(|h| h.collected_on <= ctx.collected_on && (ctx.collected_on - h.collected_on).num_days() < i64::from(days)) {
            return None;
        }
        why.push(format!("{} donation: every {days} days", procedure_words(ctx.procedure)));
    }
    Some(why.join("; "))
}

/// A single reading of a screening test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    Nonreactive,
    Reactive,
}

impl Reading {
    /// Accepts the words instruments and staff use.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().replace(['-', '_'], " ").as_str() {
            "nonreactive" | "non reactive" | "nr" | "negative" | "neg" => Some(Self::Nonreactive),
            "reactive" | "r" | "positive" | "pos" => Some(Self::Reactive),
            _ => None,
        }
    }
}

/// Which step of the algorithm a result belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Initial,
    Repeat,
    Confirmatory,
}

impl Phase {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "initial" => Some(Self::Initial),
            "repeat" => Some(Self::Repeat),
            "confirmatory" | "supplemental" => Some(Self::Confirmatory),
            _ => None,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::Repeat => "repeat",
            Self::Confirmatory => "confirmatory",
        }
    }
}

/// The confirmatory (supplemental) test's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confirmation {
    Positive,
    Negative,
    Indeterminate,
}

impl Confirmation {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "positive" | "pos" => Some(Self::Positive),
            "negative" | "neg" => Some(Self::Negative),
            "indeterminate" | "ind" => Some(Self::Indeterminate),
            _ => None,
        }
    }
}

/// A stored result of a screening test, in entry order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reported {
    pub phase: Phase,
    pub reading: Reading,
}

/// Where a screening test stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    /// Initially reactive: waiting for the repeats in duplicate (`done` so far).
    AwaitingRepeat {
        done: u8,
    },
    /// Final: non-reactive (or initially reactive and both repeats non-reactive).
    Nonreactive,
    /// Final: reactive (repeat reactive, or reactive on a test without repeats).
    Reactive,
}

impl Status {
    pub fn is_final(self) -> bool {
        matches!(self, Self::Nonreactive | Self::Reactive)
    }

    pub fn title(self) -> String {
        match self {
            Self::Pending => "waiting for the result".into(),
            Self::AwaitingRepeat { done } => format!("initially reactive: repeat in duplicate ({done} of 2 done)"),
            Self::Nonreactive => "non-reactive".into(),
            Self::Reactive => "reactive".into(),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title())
    }
}

/// Where a test stands after its results, in order.
pub fn status(rule: &TestRule, results: &[Reported]) -> Status {
    let mut s = Status::Pending;
    for r in results {
        s = match next(rule, s, r.phase, r.reading) {
            Ok(n) => n,
            // Stored results were accepted one by one; a sequence the rules refuse cannot
            // be trusted as final.
            Err(_) => return Status::Pending,
        };
    }
    s
}

/// The status after one more result, or why the result cannot be taken.
pub fn next(rule: &TestRule, now: Status, phase: Phase, reading: Reading) -> Result<Status, TestingError> {
    match (now, phase) {
        (Status::Pending, Phase::Initial) => Ok(match reading {
            Reading::Nonreactive => Status::Nonreactive,
            Reading::Reactive if rule.repeat_in_duplicate => Status::AwaitingRepeat { done: 0 },
            Reading::Reactive => Status::Reactive,
        }),
        (Status::Pending, _) => refuse("phase", format!("{} has no initial result yet", rule.title)),
        (Status::AwaitingRepeat { .. }, Phase::Initial) => refuse("phase", format!("{} has its initial result; enter the repeats", rule.title)),
        (Status::AwaitingRepeat { done }, Phase::Repeat) => Ok(match reading {
            // One reactive repeat makes the test repeat reactive.
            Reading::Reactive => Status::Reactive,
            Reading::Nonreactive if done >= 1 => Status::Nonreactive,
            Reading::Nonreactive => Status::AwaitingRepeat { done: done + 1 },
        }),
        (Status::AwaitingRepeat { .. }, Phase::Confirmatory) => refuse("phase", format!("{} is not repeat reactive; enter the repeats", rule.title)),
        (Status::Nonreactive, _) => refuse("phase", format!("{} is final: non-reactive", rule.title)),
        (Status::Reactive, Phase::Confirmatory) => Ok(Status::Reactive),
        (Status::Reactive, _) => refuse("phase", format!("{} is final: reactive; only a confirmatory result may follow", rule.title)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn ctx(p: DonationProcedure, region: Option<&str>, history: Vec<PriorTest>) -> OrderContext {
        OrderContext { procedure: p, collected_on: day("2026-06-01"), region: region.map(str::to_string), history }
    }

    fn codes(c: &OrderContext) -> Vec<String> {
        orders_for(&TestingBook::defaults(), c).unwrap().1.into_iter().map(|o| o.code).collect()
    }

    #[test]
    fn whole_blood_gets_the_full_panel_and_a_first_donor_gets_chagas() {
        let c = codes(&ctx(DonationProcedure::WholeBlood, Some("TX"), vec![]));
        for t in [
            "ABO_RH",
            "ANTIBODY_SCREEN",
            "HIV_AB",
            "HIV_NAT",
            "HBSAG",
            "ANTI_HBC",
            "HBV_NAT",
            "ANTI_HCV",
            "HCV_NAT",
            "ANTI_HTLV",
            "SYPHILIS",
            "WNV_NAT",
            "T_CRUZI",
        ] {
            assert!(c.contains(&t.to_string()), "{t} in {c:?}");
        }
        for t in ["BABESIA_NAT", "BACTERIAL", "CMV", "HBS"] {
            assert!(!c.contains(&t.to_string()), "{t} not in {c:?}");
        }
    }

    #[test]
    fn chagas_is_once_per_donor_babesia_is_regional_and_platelets_get_bacterial_testing() {
        let tested = vec![PriorTest { code: "T_CRUZI".into(), collected_on: day("2020-01-01"), nonreactive: true }];
        assert!(!codes(&ctx(DonationProcedure::WholeBlood, None, tested)).contains(&"T_CRUZI".to_string()));
        let reactive_before = vec![PriorTest { code: "T_CRUZI".into(), collected_on: day("2020-01-01"), nonreactive: false }];
        assert!(
            codes(&ctx(DonationProcedure::WholeBlood, None, reactive_before)).contains(&"T_CRUZI".to_string()),
            "only a non-reactive result counts"
        );
        assert!(codes(&ctx(DonationProcedure::WholeBlood, Some("ny"), vec![])).contains(&"BABESIA_NAT".to_string()));
        assert!(!codes(&ctx(DonationProcedure::WholeBlood, None, vec![])).contains(&"BABESIA_NAT".to_string()), "no region: not ordered");
        assert!(codes(&ctx(DonationProcedure::Platelets, None, vec![])).contains(&"BACTERIAL".to_string()));
    }

    #[test]
    fn source_plasma_skips_htlv_wnv_chagas_babesia_and_tests_syphilis_every_four_months() {
        let c = codes(&ctx(DonationProcedure::SourcePlasma, Some("NY"), vec![]));
        for t in ["ANTI_HTLV", "WNV_NAT", "T_CRUZI", "BABESIA_NAT", "ANTIBODY_SCREEN"] {
            assert!(!c.contains(&t.to_string()), "{t} in {c:?}");
        }
        assert!(c.contains(&"SYPHILIS".to_string()) && c.contains(&"HIV_NAT".to_string()));
        let recent = |d: &str| vec![PriorTest { code: "SYPHILIS".into(), collected_on: day(d), nonreactive: true }];
        assert!(!codes(&ctx(DonationProcedure::SourcePlasma, None, recent("2026-02-02"))).contains(&"SYPHILIS".to_string()), "119 days");
        assert!(codes(&ctx(DonationProcedure::SourcePlasma, None, recent("2026-02-01"))).contains(&"SYPHILIS".to_string()), "120 days");
    }

    fn rule(code: &str) -> TestRule {
        TestingBook::defaults().versions()[0].test(code).unwrap().clone()
    }

    fn run(code: &str, seq: &[(Phase, Reading)]) -> Status {
        status(&rule(code), &seq.iter().map(|(p, r)| Reported { phase: *p, reading: *r }).collect::<Vec<_>>())
    }

    #[test]
    fn the_repeat_in_duplicate_algorithm() {
        use Phase::*;
        use Reading::*;
        assert_eq!(run("HIV_AB", &[]), Status::Pending);
        assert_eq!(run("HIV_AB", &[(Initial, Nonreactive)]), Status::Nonreactive);
        assert_eq!(run("HIV_AB", &[(Initial, Reactive)]), Status::AwaitingRepeat { done: 0 });
        assert_eq!(run("HIV_AB", &[(Initial, Reactive), (Repeat, Nonreactive)]), Status::AwaitingRepeat { done: 1 });
        assert_eq!(
            run("HIV_AB", &[(Initial, Reactive), (Repeat, Nonreactive), (Repeat, Nonreactive)]),
            Status::Nonreactive,
            "both repeats non-reactive"
        );
        assert_eq!(run("HIV_AB", &[(Initial, Reactive), (Repeat, Nonreactive), (Repeat, Reactive)]), Status::Reactive, "one repeat reactive");
        assert_eq!(run("HIV_AB", &[(Initial, Reactive), (Repeat, Reactive)]), Status::Reactive);
        assert_eq!(
            run("HIV_AB", &[(Initial, Reactive), (Repeat, Reactive), (Confirmatory, Nonreactive)]),
            Status::Reactive,
            "a confirmatory result never unmakes it"
        );
        assert_eq!(run("HIV_NAT", &[(Initial, Reactive)]), Status::Reactive, "NAT has no repeats in duplicate");
        let r = rule("HIV_AB");
        assert!(next(&r, Status::Pending, Repeat, Reactive).is_err());
        assert!(next(&r, Status::Nonreactive, Initial, Reactive).is_err(), "a final result takes no more results");
        assert!(next(&r, Status::Reactive, Repeat, Nonreactive).is_err());
        assert!(next(&r, Status::AwaitingRepeat { done: 0 }, Confirmatory, Reactive).is_err());
        assert_eq!(run("HIV_AB", &[(Repeat, Reactive)]), Status::Pending, "a sequence out of order is never final");
    }

    #[test]
    fn readings_phases_and_confirmations_read_the_words_in_use() {
        assert_eq!(Reading::parse("Non-Reactive"), Some(Reading::Nonreactive));
        assert_eq!(Reading::parse("NR"), Some(Reading::Nonreactive));
        assert_eq!(Reading::parse("REACTIVE"), Some(Reading::Reactive));
        assert_eq!(Reading::parse("maybe"), None);
        assert_eq!(Phase::parse("supplemental"), Some(Phase::Confirmatory));
        assert_eq!(Confirmation::parse("IND"), Some(Confirmation::Indeterminate));
    }

    #[test]
    fn the_shipped_rules_are_consistent_and_bad_rule_data_is_refused() {
        let v = TestingBook::defaults().versions()[0].clone();
        assert_eq!(rule("WNV_NAT").deferral.unwrap().days, Some(120), "reference 5");
        assert_eq!(rule("BABESIA_NAT").deferral.unwrap().days, Some(730), "reference 1.3: at least 2 years");
        assert!(rule("ANTI_HBC").deferral.is_none() && rule("ANTI_HTLV").deferral.is_none(), "610.41: a single reactive does not defer");
        assert_eq!(rule("HIV_AB").lookback.unwrap().months, 12);
        let mut twice = v.clone();
        twice.tests.push(v.tests[0].clone());
        assert!(TestingBook::new(vec![twice]).is_err());
        let mut days = v.clone();
        days.tests.iter_mut().find(|t| t.code == "WNV_NAT").unwrap().deferral.as_mut().unwrap().days = None;
        assert!(TestingBook::new(vec![days]).is_err());
        let mut no_typing = v.clone();
        no_typing.tests.retain(|t| t.kind != TestKind::Typing);
        assert!(TestingBook::new(vec![no_typing]).is_err());
        assert!(TestingBook::new(vec![v.clone(), v]).is_err(), "two versions on one day");
        assert!(TestingBook::defaults().in_force(day("2020-01-01")).is_none());
    }
}
