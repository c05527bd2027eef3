//! Eligibility rules as data: a rule set is one reviewed version with the date it
//! comes into force; a rule book holds the versions and picks the one in force.

use super::case::{from_json_text, DeferralKind, EligibilityCase, EventKind};
use crate::{DonationProcedure, Sex};
use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The rule set shipped with hemaflow (reviewed against reference/domain-rules.md §1).
pub const DEFAULT_RULES_JSON: &str = include_str!("rules/eligibility-v1.json");

/// A length of time a rule waits or defers. Written `{"days": 2}`, `{"weeks": 8}`,
/// `{"months": 3}`, `{"years": 2}`, or `"indefinite"` / `"permanent"` (no end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Days(u32),
    Weeks(u32),
    Months(u32),
    Years(u32),
    Indefinite,
    Permanent,
}

impl Period {
    /// The first day after `from` on which the period has passed; `None` when it never
    /// ends. Months and years are calendar months: 30 November + 3 months is 28 (or
    /// 29) February.
    pub fn end(self, from: NaiveDate) -> Option<NaiveDate> {
        match self {
            Period::Days(n) => from.checked_add_days(Days::new(n.into())),
            Period::Weeks(n) => from.checked_add_days(Days::new(7 * u64::from(n))),
            Period::Months(n) => from.checked_add_months(Months::new(n)),
            Period::Years(n) => from.checked_add_months(Months::new(n.saturating_mul(12))),
            Period::Indefinite | Period::Permanent => None,
        }
    }

    fn is_empty(self) -> bool {
        matches!(self, Period::Days(0) | Period::Weeks(0) | Period::Months(0) | Period::Years(0))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match *self {
            Period::Days(n) => (n, "day"),
            Period::Weeks(n) => (n, "week"),
            Period::Months(n) => (n, "month"),
            Period::Years(n) => (n, "year"),
            Period::Indefinite => return f.write_str("indefinitely"),
            Period::Permanent => return f.write_str("permanently"),
        };
        write!(f, "{n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

/// A screening value a `vital` rule bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    TemperatureC,
    BpSystolic,
    BpDiastolic,
    PulseBpm,
    WeightKg,
    HeightCm,
}

impl Measure {
    pub fn name(self) -> &'static str {
        match self {
            Measure::TemperatureC => "temperature",
            Measure::BpSystolic => "systolic blood pressure",
            Measure::BpDiastolic => "diastolic blood pressure",
            Measure::PulseBpm => "pulse",
            Measure::WeightKg => "weight",
            Measure::HeightCm => "height",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Measure::TemperatureC => "°C",
            Measure::BpSystolic | Measure::BpDiastolic => "mmHg",
            Measure::PulseBpm => "bpm",
            Measure::WeightKg => "kg",
            Measure::HeightCm => "cm",
        }
    }

    /// The case field it reads, for the report.
    pub fn field(self) -> &'static str {
        match self {
            Measure::TemperatureC => "screening.temperature_c",
            Measure::BpSystolic => "screening.bp_systolic",
            Measure::BpDiastolic => "screening.bp_diastolic",
            Measure::PulseBpm => "screening.pulse_bpm",
            Measure::WeightKg => "donor.weight_kg",
            Measure::HeightCm => "donor.height_cm",
        }
    }
}

/// A medicine on the deferral list: its generic name and the brand names the list gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Medication {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brands: Vec<String>,
}

/// What a rule checks. The kinds are code; every number in them is data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// The donor is at least `years` old on the donation date.
    MinimumAge { years: u32 },
    /// A measurement lies within `min..=max` (either bound may be absent).
    Vital {
        measure: Measure,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    /// Hemoglobin at least `min_hemoglobin_g_dl` or hematocrit at least `min_hematocrit_pct`.
    RedCells { min_hemoglobin_g_dl: f64, min_hematocrit_pct: f64 },
    /// `wait` must have passed since the last donation of any procedure in `after`.
    Interval { after: Vec<DonationProcedure>, wait: Period },
    /// At most `max` donations of the `counted` procedures, today's included, within
    /// any `window` (a donation counts while the window that starts on its date has
    /// not passed).
    Frequency { counted: Vec<DonationProcedure>, max: u32, window: Period },
    /// Deferred for `defer` from the date of the event.
    Event { event: EventKind, defer: Period },
    /// Deferred for `defer` from the last dose of any of the medications.
    Medication { medications: Vec<Medication>, defer: Period },
    /// An entry of this kind in the deferred-donor register.
    Deferral { deferral: DeferralKind },
}

/// How sure the reference is of a rule's number: [V], [S] or [M] in domain-rules.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Checked in the primary text.
    Verified,
    /// From a secondary source.
    Secondary,
    /// Unconfirmed: check before relying on it.
    Unverified,
}

impl Confidence {
    pub fn tag(self) -> &'static str {
        match self {
            Confidence::Verified => "[V]",
            Confidence::Secondary => "[S]",
            Confidence::Unverified => "[M]",
        }
    }
}

/// Whether a validation case should leave the donor eligible or fail on the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    Pass,
    Fail,
}

/// A case that proves a rule: the rule set's baseline case with `patch` merged in
/// (RFC 7386 JSON merge patch: objects merge, `null` removes, anything else replaces).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleCase {
    pub name: String,
    pub expect: Expect,
    #[serde(default)]
    pub patch: serde_json::Value,
    /// For a failing case, the reason code expected (default: the rule's code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a failing case, the next eligible date expected (`null`: never); absent: not checked.
    #[serde(default, deserialize_with = "some_even_if_null", skip_serializing_if = "Option::is_none")]
    pub next_eligible_date: Option<Option<NaiveDate>>,
}

fn some_even_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<NaiveDate>>, D::Error> {
    Option::<NaiveDate>::deserialize(d).map(Some)
}

/// One rule: what it checks, for whom, where the number comes from, and its cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable reason code, upper case (`TEMPERATURE`, `INTERVAL_RBC_AFTER_WB`).
    pub code: String,
    pub title: String,
    /// The regulation or document the number comes from.
    pub source: String,
    pub confidence: Confidence,
    /// Added to the message when the rule fails (what the collector may do about it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
    /// Reviewer's note shown in the report (interpretation, open questions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The procedures of the donation being decided that this rule applies to.
    pub procedures: Vec<DonationProcedure>,
    /// Only donors of this sex; absent: everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    pub check: Check,
    #[serde(default)]
    pub cases: Vec<RuleCase>,
}

impl Rule {
    pub fn applies(&self, procedure: DonationProcedure, sex: Sex) -> bool {
        self.procedures.contains(&procedure) && self.sex.is_none_or(|s| s == sex)
    }

    /// The code of the reason given when a required measurement is missing.
    pub fn not_measured_code(&self) -> String {
        format!("{}_NOT_MEASURED", self.code)
    }
}

/// A rule set as written and stored: what quality staff edit. Becomes a [`RuleSet`]
/// only through its checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSetSpec {
    pub version: String,
    /// The first day this version decides cases.
    pub effective_from: NaiveDate,
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// An eligible donor every rule case starts from.
    pub baseline_case: EligibilityCase,
    pub rules: Vec<Rule>,
}

/// Why rules could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("eligibility rules JSON, {path}: {message}")]
    Json { path: String, message: String },
    #[error("eligibility rules {version}, rule {code}: {message}")]
    Rule { version: String, code: String, message: String },
    #[error("eligibility rules {version}: {message}")]
    Set { version: String, message: String },
}

/// A checked, immutable rule version. Stored and read as its [`RuleSetSpec`];
/// reading it runs the checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "RuleSetSpec", try_from = "RuleSetSpec")]
pub struct RuleSet {
    spec: RuleSetSpec,
    medications: BTreeMap<String, String>,
}

impl From<RuleSet> for RuleSetSpec {
    fn from(set: RuleSet) -> Self {
        set.spec
    }
}

impl RuleSet {
    /// Reads one rule version from JSON and checks it.
    pub fn from_json(text: &str) -> Result<Self, RuleError> {
        let spec: RuleSetSpec = from_json_text(text, "rule set").map_err(|(path, message)| RuleError::Json { path, message })?;
        Self::try_from(spec)
    }

    pub fn version(&self) -> &str {
        &self.spec.version
    }

    pub fn effective_from(&self) -> NaiveDate {
        self.spec.effective_from
    }

    pub fn spec(&self) -> &RuleSetSpec {
        &self.spec
    }

    pub fn rules(&self) -> &[Rule] {
        &self.spec.rules
    }

    pub fn rule(&self, code: &str) -> Option<&Rule> {
        self.spec.rules.iter().find(|r| r.code == code)
    }

    /// The generic name of a listed medicine, from its generic or brand name (any case).
    pub fn medication(&self, name: &str) -> Option<&str> {
        self.medications.get(&name.trim().to_lowercase()).map(String::as_str)
    }

    /// Every generic name on the list, sorted.
    pub fn medication_names(&self) -> BTreeSet<&str> {
        self.medications.values().map(String::as_str).collect()
    }

    /// A starting point for the next version: the same rules under a new name, in
    /// force from `effective_from`, with the baseline case and every case date moved
    /// on by whole years so the cases fall inside the new version (whole years keep
    /// calendar-month boundaries where they were). Quality then changes the numbers
    /// and the cases of the rules that change.
    pub fn draft_successor(&self, version: &str, effective_from: NaiveDate) -> RuleSetSpec {
        let mut first = 0u32;
        while self.spec.baseline_case.date.checked_add_months(Months::new(12 * first)).is_some_and(|d| d < effective_from) {
            first += 1;
        }
        // A move across a 29 February changes day counts; take the first move whose
        // cases still come out as written (a multiple of 4 years keeps the leap cycle).
        let candidates = (first..first + 4).chain(std::iter::once(first.div_ceil(4) * 4));
        let mut fallback = None;
        for years in candidates {
            let spec = self.moved_by_years(version, effective_from, years);
            match RuleSet::try_from(spec.clone()) {
                Ok(set) if super::Evidence::run(&set).failures().is_empty() => return spec,
                _ => {
                    fallback.get_or_insert(spec);
                }
            }
        }
        fallback.expect("at least one candidate")
    }

    fn moved_by_years(&self, version: &str, effective_from: NaiveDate, years: u32) -> RuleSetSpec {
        let mut spec = self.spec.clone();
        spec.version = version.to_string();
        spec.effective_from = effective_from;
        if years == 0 {
            return spec;
        }
        let shift = |v: &mut serde_json::Value| shift_dates(v, years);
        let mut baseline = serde_json::to_value(&spec.baseline_case).expect("a case serialises");
        shift(&mut baseline);
        spec.baseline_case = serde_json::from_value(baseline).expect("shifted dates keep the case valid");
        for rule in &mut spec.rules {
            for case in &mut rule.cases {
                shift(&mut case.patch);
                if let Some(Some(d)) = case.next_eligible_date {
                    case.next_eligible_date = Some(d.checked_add_months(Months::new(12 * years)));
                }
            }
        }
        spec
    }

    /// How long the rules of this set defer for an event (one per rule that does).
    pub fn event_periods(&self, kind: EventKind) -> Vec<Period> {
        self.spec
            .rules
            .iter()
            .filter_map(|r| match r.check {
                Check::Event { event, defer } if event == kind => Some(defer),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn has_event_rule(&self, kind: EventKind) -> bool {
        self.spec.rules.iter().any(|r| matches!(r.check, Check::Event { event, .. } if event == kind))
    }
}

impl TryFrom<RuleSetSpec> for RuleSet {
    type Error = RuleError;

    fn try_from(spec: RuleSetSpec) -> Result<Self, RuleError> {
        let version = spec.version.clone();
        let set_err = |message: String| RuleError::Set { version: version.clone(), message };
        if version.trim().is_empty() || version.trim() != version {
            return Err(set_err("the version must be a non-empty name without surrounding spaces".into()));
        }
        if spec.rules.is_empty() {
            return Err(set_err("has no rules".into()));
        }
        if spec.baseline_case.date < spec.effective_from {
            return Err(set_err(format!(
                "the baseline case is dated {}, before the version is in force ({})",
                spec.baseline_case.date, spec.effective_from
            )));
        }
        let mut codes = BTreeSet::new();
        let mut medications = BTreeMap::new();
        for rule in &spec.rules {
            let err = |message: String| RuleError::Rule { version: version.clone(), code: rule.code.clone(), message };
            if rule.code.is_empty() || !rule.code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
                return Err(err("a code is upper-case letters, digits and underscores".into()));
            }
            if !codes.insert(rule.code.as_str()) {
                return Err(err("the code is used twice".into()));
            }
            if rule.title.trim().is_empty() || rule.source.trim().is_empty() {
                return Err(err("needs a title and a source".into()));
            }
            if rule.procedures.is_empty() {
                return Err(err("applies to no procedure".into()));
            }
            check_rule(&rule.check).map_err(err)?;
            for case in &rule.cases {
                if case.name.trim().is_empty() {
                    return Err(err("a case has no name".into()));
                }
                if !(case.patch.is_object() || case.patch.is_null()) {
                    return Err(err(format!("case '{}': the patch must be a JSON object", case.name)));
                }
                if case.expect == Expect::Pass && (case.reason.is_some() || case.next_eligible_date.is_some()) {
                    return Err(err(format!("case '{}': a passing case has no reason or next eligible date", case.name)));
                }
            }
            if let Check::Medication { medications: list, .. } = &rule.check {
                for m in list {
                    for key in std::iter::once(&m.name).chain(&m.brands) {
                        if key.is_empty() || key.trim() != key || key.to_lowercase() != *key {
                            return Err(err(format!("'{key}': medication names are lower case without surrounding spaces")));
                        }
                        match medications.get(key) {
                            Some(generic) if generic != &m.name => {
                                return Err(err(format!("'{key}' already names {generic}")));
                            }
                            _ => {
                                medications.insert(key.clone(), m.name.clone());
                            }
                        }
                    }
                }
            }
        }
        Ok(RuleSet { spec, medications })
    }
}

fn check_rule(check: &Check) -> Result<(), String> {
    let finite = |x: f64| x.is_finite() && x > 0.0;
    match check {
        Check::MinimumAge { years } if *years == 0 || *years > 100 => Err(format!("a minimum age of {years} years")),
        Check::Vital { min: None, max: None, .. } => Err("a vital rule needs a min, a max or both".into()),
        Check::Vital { min, max, .. } => {
            if min.iter().chain(max).any(|&x| !finite(x)) {
                Err("limits are positive numbers".into())
            } else if matches!((min, max), (Some(a), Some(b)) if a > b) {
                Err("min is above max".into())
            } else {
                Ok(())
            }
        }
        Check::RedCells { min_hemoglobin_g_dl: hb, min_hematocrit_pct: hct } if !(finite(*hb) && finite(*hct)) => {
            Err("red cell minimums are positive numbers".into())
        }
        Check::Interval { after, wait } => {
            if after.is_empty() {
                Err("an interval needs the procedures it counts from".into())
            } else if wait.is_empty() || matches!(wait, Period::Indefinite | Period::Permanent) {
                Err(format!("an interval of {wait}"))
            } else {
                Ok(())
            }
        }
        Check::Frequency { counted, max, window } => {
            if counted.is_empty() || *max == 0 {
                Err("a frequency limit counts at least one procedure and allows at least one donation".into())
            } else if window.is_empty() || matches!(window, Period::Indefinite | Period::Permanent) {
                Err(format!("a frequency window of {window}"))
            } else {
                Ok(())
            }
        }
        Check::Event { defer, .. } if defer.is_empty() => Err("a deferral of zero".into()),
        Check::Medication { medications, defer } if medications.is_empty() || defer.is_empty() => {
            Err("a medication rule lists medicines and defers for more than zero".into())
        }
        _ => Ok(()),
    }
}

/// Moves every `YYYY-MM-DD` string in a JSON value on by whole years.
fn shift_dates(v: &mut serde_json::Value, years: u32) {
    match v {
        serde_json::Value::String(s) => {
            if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                if let Some(moved) = d.checked_add_months(Months::new(12 * years)) {
                    *s = moved.to_string();
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|x| shift_dates(x, years)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|x| shift_dates(x, years)),
        _ => {}
    }
}

/// Every rule version, ordered by the date it comes into force. Stored and read
/// as a JSON array of rule sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "Vec<RuleSet>", try_from = "Vec<RuleSet>")]
pub struct RuleBook {
    sets: Vec<RuleSet>,
}

impl From<RuleBook> for Vec<RuleSet> {
    fn from(book: RuleBook) -> Self {
        book.sets
    }
}

impl TryFrom<Vec<RuleSet>> for RuleBook {
    type Error = RuleError;

    fn try_from(sets: Vec<RuleSet>) -> Result<Self, RuleError> {
        Self::new(sets)
    }
}

impl RuleBook {
    /// A book of versions; two versions may not share a name or a start date.
    pub fn new(sets: Vec<RuleSet>) -> Result<Self, RuleError> {
        let mut sets = sets;
        sets.sort_by_key(|s| s.effective_from());
        for pair in sets.windows(2) {
            if pair[0].effective_from() == pair[1].effective_from() {
                return Err(RuleError::Set {
                    version: pair[1].version().into(),
                    message: format!("comes into force on {}, the same day as version {}", pair[1].effective_from(), pair[0].version()),
                });
            }
        }
        let mut names = BTreeSet::new();
        if let Some(dup) = sets.iter().find(|s| !names.insert(s.version())) {
            return Err(RuleError::Set { version: dup.version().into(), message: "the version name is used twice".into() });
        }
        Ok(Self { sets })
    }

    /// The reviewed default versions shipped with hemaflow.
    pub fn defaults() -> Self {
        let set = RuleSet::from_json(DEFAULT_RULES_JSON).expect("the embedded eligibility rules are valid (checked by the tests)");
        Self { sets: vec![set] }
    }

    /// Reads either one rule set (a JSON object) or several (a JSON array of them).
    pub fn from_json(text: &str) -> Result<Self, RuleError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| RuleError::Json { path: "rules".into(), message: e.to_string() })?;
        let specs = match value {
            serde_json::Value::Array(items) => items,
            other => vec![other],
        };
        let mut sets = Vec::new();
        for (i, v) in specs.into_iter().enumerate() {
            let spec: RuleSetSpec = serde_path_to_error::deserialize(v)
                .map_err(|e| RuleError::Json { path: format!("[{i}].{}", e.path()), message: e.inner().to_string() })?;
            sets.push(RuleSet::try_from(spec)?);
        }
        Self::new(sets)
    }

    /// The version in force on `date`: the latest whose `effective_from` is on or before it.
    pub fn in_force(&self, date: NaiveDate) -> Option<&RuleSet> {
        self.sets.iter().rev().find(|s| s.effective_from() <= date)
    }

    pub fn versions(&self) -> &[RuleSet] {
        &self.sets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_drafted_successor_is_proved_by_the_moved_cases() {
        let v1 = RuleBook::defaults().versions()[0].clone();
        for from in ["2026-11-25", "2027-02-28", "2028-03-01"] {
            let spec = v1.draft_successor("2", d(from));
            assert!(spec.baseline_case.date >= d(from));
            let set = RuleSet::try_from(spec).unwrap();
            let evidence = crate::eligibility::Evidence::run(&set);
            assert!(evidence.failures().is_empty(), "from {from}: {:?}", evidence.failures());
        }
        assert_eq!(v1.draft_successor("2", d("2026-01-01")).baseline_case.date, v1.spec().baseline_case.date, "nothing to move");
    }

    /// A small valid rule set in force from `from`, with a temperature limit of `max`.
    fn tiny(version: &str, from: &str, max: f64) -> String {
        format!(
            r#"{{"version": "{version}", "effective_from": "{from}", "title": "t",
                "baseline_case": {{"date": "{from}", "procedure": "whole_blood", "donor": {{"sex": "M", "birth_date": "1990-01-01"}}}},
                "rules": [{{"code": "TEMPERATURE", "title": "t", "source": "s", "confidence": "verified",
                            "procedures": ["whole_blood"], "check": {{"kind": "vital", "measure": "temperature_c", "max": {max}}}}}]}}"#
        )
    }

    #[test]
    fn periods_add_calendar_time() {
        assert_eq!(Period::Days(2).end(d("2026-02-27")), Some(d("2026-03-01")));
        assert_eq!(Period::Weeks(8).end(d("2026-01-05")), Some(d("2026-03-02")));
        assert_eq!(Period::Months(3).end(d("2025-11-30")), Some(d("2026-02-28")));
        assert_eq!(Period::Years(1).end(d("2028-02-29")), Some(d("2029-02-28")));
        assert_eq!(Period::Permanent.end(d("2026-01-01")), None);
        assert_eq!(Period::Months(1).to_string(), "1 month");
        assert_eq!(Period::Weeks(16).to_string(), "16 weeks");
        assert_eq!(serde_json::to_string(&Period::Weeks(8)).unwrap(), r#"{"weeks":8}"#);
        assert_eq!(serde_json::from_str::<Period>(r#""permanent""#).unwrap(), Period::Permanent);
        assert!(serde_json::from_str::<Period>(r#"{"fortnights":2}"#).is_err());
    }

    #[test]
    fn the_version_in_force_is_the_latest_started() {
        let book = RuleBook::from_json(&format!("[{}, {}]", tiny("2", "2026-01-01", 37.0), tiny("1", "2025-01-01", 37.5))).unwrap();
        assert_eq!(book.versions().iter().map(RuleSet::version).collect::<Vec<_>>(), ["1", "2"]);
        assert!(book.in_force(d("2024-12-31")).is_none());
        assert_eq!(book.in_force(d("2025-01-01")).unwrap().version(), "1");
        assert_eq!(book.in_force(d("2025-12-31")).unwrap().version(), "1");
        assert_eq!(book.in_force(d("2026-01-01")).unwrap().version(), "2");
        assert_eq!(book.in_force(d("2030-06-01")).unwrap().version(), "2");
        // A single object is a book of one version.
        assert_eq!(RuleBook::from_json(&tiny("1", "2025-01-01", 37.5)).unwrap().versions().len(), 1);
    }

    #[test]
    fn versions_may_not_collide() {
        let same_day = RuleBook::from_json(&format!("[{}, {}]", tiny("1", "2025-01-01", 37.5), tiny("2", "2025-01-01", 37.0)));
        assert!(same_day.unwrap_err().to_string().contains("same day"));
        let same_name = RuleBook::from_json(&format!("[{}, {}]", tiny("1", "2025-01-01", 37.5), tiny("1", "2026-01-01", 37.0)));
        assert!(same_name.unwrap_err().to_string().contains("used twice"));
    }

    #[test]
    fn rule_files_refuse_unknown_keys_and_kinds() {
        let unknown_key = tiny("1", "2025-01-01", 37.5).replace(r#""title": "t","#, r#""title": "t", "author": "x","#);
        let e = RuleSet::from_json(&unknown_key).unwrap_err().to_string();
        assert!(e.contains("unknown field `author`"), "{e}");
        let unknown_check_key = tiny("1", "2025-01-01", 37.5).replace(r#""max": 37.5"#, r#""max": 37.5, "unit": "C""#);
        let e = RuleSet::from_json(&unknown_check_key).unwrap_err().to_string();
        assert!(e.contains("unknown field `unit`") && e.contains("rules[0].check"), "{e}");
        let unknown_kind = tiny("1", "2025-01-01", 37.5).replace(r#""kind": "vital""#, r#""kind": "mood""#);
        assert!(RuleSet::from_json(&unknown_kind).unwrap_err().to_string().contains("unknown variant `mood`"));
    }

    #[test]
    fn rule_files_refuse_rules_that_cannot_be_right() {
        let bad = |from: &str, to: &str| RuleSet::from_json(&tiny("1", "2025-01-01", 37.5).replace(from, to)).unwrap_err().to_string();
        assert!(bad(r#""max": 37.5"#, r#""min": 38, "max": 37.5"#).contains("min is above max"));
        assert!(bad(r#""max": 37.5"#, r#""max": -1"#).contains("positive"));
        assert!(bad(r#""code": "TEMPERATURE""#, r#""code": "temperature""#).contains("upper-case"));
        assert!(bad(r#""procedures": ["whole_blood"]"#, r#""procedures": []"#).contains("no procedure"));
        assert!(bad(r#""source": "s""#, r#""source": " ""#).contains("source"));
        assert!(bad(r#""date": "2025-01-01""#, r#""date": "2024-12-31""#).contains("baseline"));
        assert!(bad(
            r#""check": {"kind": "vital", "measure": "temperature_c", "max": 37.5}"#,
            r#""check": {"kind": "interval", "after": ["whole_blood"], "wait": {"days": 0}}"#
        )
        .contains("interval of 0 days"));
        assert!(bad(
            r#""check": {"kind": "vital", "measure": "temperature_c", "max": 37.5}"#,
            r#""check": {"kind": "medication", "medications": [{"name": "Aspirin"}], "defer": {"days": 2}}"#
        )
        .contains("lower case"));
    }

    #[test]
    fn a_rule_set_round_trips_through_json() {
        let set = RuleBook::defaults().versions()[0].clone();
        let text = serde_json::to_string(&set).unwrap();
        assert_eq!(RuleSet::from_json(&text).unwrap(), set);
        assert_eq!(serde_json::from_str::<RuleSet>(&text).unwrap(), set);
        let book = RuleBook::new(vec![set.clone()]).unwrap();
        let text = serde_json::to_string(&book).unwrap();
        assert_eq!(RuleBook::from_json(&text).unwrap(), book);
        assert_eq!(serde_json::from_str::<RuleBook>(&text).unwrap(), book);
        // Reading through serde runs the same checks.
        let bad = text.replace(r#""max":37.5"#, r#""min":38.0,"max":37.5"#);
        assert!(serde_json::from_str::<RuleBook>(&bad).unwrap_err().to_string().contains("min is above max"));
    }

    /// The regulatory numbers of the shipped defaults, as reference/domain-rules.md §1
    /// gives them: editing the rule file without the reference fails here.
    #[test]
    fn the_default_numbers_are_those_of_the_reference() {
        use DonationProcedure::*;
        let book = RuleBook::defaults();
        let set = &book.versions()[0];
        let check = |code: &str| &set.rule(code).unwrap_or_else(|| panic!("{code}")).check;
        let vital = |code: &str| match check(code) {
            Check::Vital { min, max, .. } => (*min, *max),
            other => panic!("{code}: {other:?}"),
        };
        assert_eq!(vital("TEMPERATURE"), (None, Some(37.5)));
        assert_eq!(vital("BP_SYSTOLIC"), (Some(90.0), Some(180.0)));
        assert_eq!(vital("BP_DIASTOLIC"), (Some(50.0), Some(100.0)));
        assert_eq!(vital("PULSE"), (Some(50.0), Some(100.0)));
        assert_eq!(vital("WEIGHT"), (Some(50.0), None));
        let red = |code: &str| match check(code) {
            Check::RedCells { min_hemoglobin_g_dl, min_hematocrit_pct } => (*min_hemoglobin_g_dl, *min_hematocrit_pct),
            other => panic!("{code}: {other:?}"),
        };
        assert_eq!(red("HB_FEMALE"), (12.5, 38.0));
        assert_eq!(red("HB_MALE"), (13.0, 39.0));
        assert_eq!(red("HB_AUTOLOGOUS"), (11.0, 33.0));
        assert_eq!(check("MINIMUM_AGE"), &Check::MinimumAge { years: 17 });
        let wait = |code: &str| match check(code) {
            Check::Interval { wait, .. } => *wait,
            other => panic!("{code}: {other:?}"),
        };
        assert_eq!(wait("INTERVAL_RBC_AFTER_WB"), Period::Weeks(8));
        assert_eq!(wait("INTERVAL_RBC_AFTER_DRBC"), Period::Weeks(16));
        assert_eq!(wait("INTERVAL_PLASMA_AFTER_WB"), Period::Weeks(8));
        assert_eq!(wait("INTERVAL_PLASMA_AFTER_DRBC"), Period::Weeks(16));
        assert_eq!(wait("INTERVAL_PLASMA"), Period::Days(2));
        assert_eq!(wait("INTERVAL_PLATELETS"), Period::Days(2));
        let freq = |code: &str| match check(code) {
            Check::Frequency { max, window, .. } => (*max, *window),
            other => panic!("{code}: {other:?}"),
        };
        assert_eq!(freq("FREQUENCY_PLASMA_7D"), (2, Period::Days(7)));
        assert_eq!(freq("FREQUENCY_PLATELETS_7D"), (2, Period::Days(7)));
        assert_eq!(freq("FREQUENCY_PLATELETS_12M"), (24, Period::Months(12)));
        let event = |kind: EventKind| {
            set.rules().iter().find_map(|r| match r.check {
                Check::Event { event, defer } if event == kind => Some(defer),
                _ => None,
            })
        };
        for (kind, period) in [
            (EventKind::Tattoo, Period::Months(3)),
            (EventKind::Piercing, Period::Months(3)),
            (EventKind::PregnancyEnd, Period::Weeks(6)),
            (EventKind::Transfusion, Period::Months(3)),
            (EventKind::MalariaTravel, Period::Months(3)),
            (EventKind::MalariaHistory, Period::Years(3)),
            (EventKind::Needlestick, Period::Months(3)),
            (EventKind::Incarceration, Period::Months(12)),
            (EventKind::BabesiaReactive, Period::Years(2)),
            (EventKind::CjdRisk, Period::Permanent),
        ] {
            assert_eq!(event(kind), Some(period), "{kind:?}");
        }
        let med = |name: &str| {
            set.rules().iter().find_map(|r| match &r.check {
                Check::Medication { medications, defer } if medications.iter().any(|m| m.name == name) => Some((*defer, r.procedures.clone())),
                _ => None,
            })
        };
        let all = DonationProcedure::ALL.to_vec();
        for (name, period) in [
            ("finasteride", Period::Months(1)),
            ("isotretinoin", Period::Months(1)),
            ("mycophenolate", Period::Weeks(6)),
            ("dutasteride", Period::Months(6)),
            ("hepatitis_b_immune_globulin", Period::Months(12)),
            ("leflunomide", Period::Years(2)),
            ("lenacapavir", Period::Years(2)),
            ("acitretin", Period::Years(3)),
            ("etretinate", Period::Permanent),
        ] {
            assert_eq!(med(name), Some((period, all.clone())), "{name}");
        }
        assert_eq!(med("aspirin"), Some((Period::Days(2), vec![Platelets])));
        assert_eq!(med("clopidogrel"), Some((Period::Days(14), vec![Platelets])));
        assert_eq!(med("warfarin"), Some((Period::Days(7), vec![Plasma, SourcePlasma])));
        assert_eq!(med("apixaban"), Some((Period::Days(2), vec![Plasma, SourcePlasma])));
        // Malaria risk is not required of Source Plasma donors (630.15(b)(8)).
        assert!(!set.rule("EVENT_MALARIA_TRAVEL").unwrap().procedures.contains(&SourcePlasma));
    }

    #[test]
    fn medications_are_found_by_generic_or_brand_name() {
        let book = RuleBook::defaults();
        let set = &book.versions()[0];
        assert_eq!(set.medication("finasteride"), Some("finasteride"));
        assert_eq!(set.medication(" Propecia "), Some("finasteride"));
        assert_eq!(set.medication("paracetamol"), None);
        assert!(set.medication_names().contains("clopidogrel"));
    }
}
