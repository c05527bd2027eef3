//! Component dating as rules: when a unit expires, from one pure function over
//! versioned rule data (`dating-v1.json`, numbers and citations from
//! reference/domain-rules.md §2).
//!
//! - **Convention.** The day of collection (or of the event) is day 0; a period in days
//!   or years ends at 23:59 local time of its last day, local meaning the offset given
//!   with `collected_at`; a period in hours runs from the event to the minute. Offsets
//!   are fixed, so a daylight-saving change inside the period does not move the
//!   expiry: the caller gives the offset in force at collection.
//! - **Modifications** apply in time order, each no earlier than collection and before
//!   the unit expired; none lengthens the dating (the unit expires at the earlier of
//!   its dating so far and the step's own period).
//! - **No dating by analogy.** A product, solution, bacterial control or step the rules
//!   do not name is refused, naming the field.
//!
//! ```
//! use domain::dating::{expiry, DatingBook, DatingCase};
//! let case: DatingCase = serde_json::from_str(r#"{"component": "red_cells", "anticoagulant": "AS-1",
//!     "collected_at": "2026-03-02T10:00:00-06:00"}"#).unwrap();
//! let d = expiry(&DatingBook::defaults(), &case).unwrap();
//! assert_eq!(d.expires_at.to_rfc3339(), "2026-04-13T23:59:00-06:00");
//! assert_eq!(d.rule, "RBC_AS");
//! ```

use chrono::{DateTime, Days, Duration, FixedOffset, Months, NaiveDate, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// The rules shipped with hemaflow.
pub const DEFAULT_DATING_JSON: &str = include_str!("dating-v1.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatingComponent {
    WholeBlood,
    RedCells,
    RedCellsFrozen,
    Platelets,
    Ffp,
    Pf24,
    Plasma,
    LiquidPlasma,
    Cryo,
    SourcePlasma,
    CryoReducedPlasma,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Anticoagulant {
    #[serde(rename = "CPD")]
    Cpd,
    #[serde(rename = "CP2D")]
    Cp2d,
    #[serde(rename = "CPDA-1")]
    Cpda1,
    #[serde(rename = "AS-1")]
    As1,
    #[serde(rename = "AS-3")]
    As3,
    #[serde(rename = "AS-5")]
    As5,
    #[serde(rename = "ACD-A")]
    AcdA,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BacterialControl {
    None,
    #[serde(rename = "lvds_36h")]
    Lvds36h,
    #[serde(rename = "lvds_48h")]
    Lvds48h,
    PathogenReduced,
    #[serde(rename = "secondary_culture_day3")]
    SecondaryCultureDay3,
    #[serde(rename = "secondary_culture_day4")]
    SecondaryCultureDay4,
    RapidTest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModificationKind {
    Irradiated,
    Washed,
    Opened,
    Thawed,
    Leukoreduced,
    VolumeReduced,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatingModification {
    pub kind: ModificationKind,
    pub at: DateTime<FixedOffset>,
}

/// One question: when does this unit expire?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatingCase {
    pub component: DatingComponent,
    pub anticoagulant: Anticoagulant,
    pub collected_at: DateTime<FixedOffset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bacterial_control: Option<BacterialControl>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifications: Vec<DatingModification>,
}

/// The answer: the expiry (in the offset of `collected_at`) and the rule that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dating {
    pub expires_at: DateTime<FixedOffset>,
    pub rule: String,
    pub rule_title: String,
    pub source: String,
    /// The rule version used.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatingError {
    #[error("{field}: {message}")]
    Case { field: String, message: String },
    #[error("dating rules: {0}")]
    Rules(String),
}

fn case_err<T>(field: impl Into<String>, message: impl Into<String>) -> Result<T, DatingError> {
    Err(DatingError::Case { field: field.into(), message: message.into() })
}

/// A dating period: days or years (to 23:59 of the last day) or hours (to the minute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Period {
    Hours(u32),
    Days(u32),
    Years(u32),
}

impl Period {
    /// The end of the period that starts at `from`, in `from`'s offset.
    pub fn end(self, from: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
        let last_minute = |d: NaiveDate| from.offset().from_local_datetime(&d.and_time(NaiveTime::from_hms_opt(23, 59, 0)?)).single();
        match self {
            Period::Hours(h) => from.checked_add_signed(Duration::hours(h.into())),
            Period::Days(n) => last_minute(from.date_naive().checked_add_days(Days::new(n.into()))?),
            Period::Years(n) => last_minute(from.date_naive().checked_add_months(Months::new(12 * n))?),
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, unit) = match *self {
            Period::Hours(n) => (n, "hour"),
            Period::Days(n) => (n, "day"),
            Period::Years(n) => (n, "year"),
        };
        write!(f, "{n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Verified,
    Secondary,
    Unverified,
}

/// The dating of a product from collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductRule {
    pub code: String,
    pub title: String,
    pub component: DatingComponent,
    pub anticoagulants: Vec<Anticoagulant>,
    /// Platelets: the controls this rule covers (absent: platelets without one count as `none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bacterial_controls: Option<Vec<BacterialControl>>,
    pub period: Period,
    /// Liquid plasma: the period runs from the end of the whole blood's dating.
    #[serde(default)]
    pub after_whole_blood: bool,
    pub source: String,
    pub confidence: Confidence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a modification does to the dating of the components it applies to; no period:
/// the dating stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRule {
    pub code: String,
    pub title: String,
    pub kind: ModificationKind,
    /// Further kinds dated the same way.
    #[serde(default)]
    pub also: Vec<ModificationKind>,
    pub components: Vec<DatingComponent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    pub source: String,
    pub confidence: Confidence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A case that proves the rules: the expected expiry and rule, or the field of the refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofCase {
    pub name: String,
    pub case: DatingCase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// For a refused case: the field the refusal must name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_contains: Option<String>,
}

/// One reviewed version of the dating rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatingRules {
    pub version: String,
    pub effective_from: NaiveDate,
    pub title: String,
    #[serde(default)]
    pub notes: Vec<String>,
    pub products: Vec<ProductRule>,
    pub steps: Vec<StepRule>,
    #[serde(default)]
    pub cases: Vec<ProofCase>,
}

/// Every version, ordered by the date each comes into force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatingBook {
    versions: Vec<DatingRules>,
}

impl DatingBook {
    pub fn new(mut versions: Vec<DatingRules>) -> Result<Self, DatingError> {
        versions.sort_by_key(|v| v.effective_from);
        for w in versions.windows(2) {
            if w[0].effective_from == w[1].effective_from {
                return Err(DatingError::Rules(format!("versions {} and {} come into force on the same day", w[0].version, w[1].version)));
            }
        }
        for v in &versions {
            let mut codes = std::collections::BTreeSet::new();
            for c in v.products.iter().map(|p| &p.code).chain(v.steps.iter().map(|s| &s.code)) {
                if !codes.insert(c) {
                    return Err(DatingError::Rules(format!("version {}: the code {c} is used twice", v.version)));
                }
            }
        }
        if versions.is_empty() {
            return Err(DatingError::Rules("no version".into()));
        }
        Ok(Self { versions })
    }

    /// The reviewed defaults.
    pub fn defaults() -> Self {
        let v: DatingRules = serde_json::from_str(DEFAULT_DATING_JSON).expect("the shipped dating rules read");
        Self::new(vec![v]).expect("the shipped dating rules are consistent")
    }

    /// The version in force on `date`.
    pub fn in_force(&self, date: NaiveDate) -> Option<&DatingRules> {
        self.versions.iter().rev().find(|v| v.effective_from <= date)
    }

    pub fn versions(&self) -> &[DatingRules] {
        &self.versions
    }
}

/// Reads a case from JSON, naming the field of any problem (unknown keys are errors).
pub fn case_from_json(text: &str) -> Result<DatingCase, DatingError> {
    crate::eligibility::json_at_path(text, "case").map_err(|(field, message)| DatingError::Case { field, message })
}

/// When the unit of `case` expires, by the version in force on its collection date.
pub fn expiry(book: &DatingBook, case: &DatingCase) -> Result<Dating, DatingError> {
    let day = case.collected_at.date_naive();
    let rules = book
        .in_force(day)
        .ok_or_else(|| DatingError::Case { field: "collected_at".into(), message: format!("no dating rule version is in force on {day}") })?;
    rules.expiry(case)
}

impl DatingRules {
    fn product(&self, case: &DatingCase) -> Result<&ProductRule, DatingError> {
        let of_component: Vec<&ProductRule> = self.products.iter().filter(|p| p.component == case.component).collect();
        if of_component.is_empty() {
            return case_err("component", format!("version {} has no dating for this component", self.version));
        }
        let with_solution: Vec<&ProductRule> = of_component.iter().copied().filter(|p| p.anticoagulants.contains(&case.anticoagulant)).collect();
        if with_solution.is_empty() {
            let names: Vec<String> = of_component
                .iter()
                .flat_map(|p| p.anticoagulants.iter())
                .map(|a| serde_json::to_string(a).unwrap_or_default().replace('"', ""))
                .collect();
            return case_err("anticoagulant", format!("not dated for this component; it is kept in {}", names.join(", ")));
        }
        let platelets = case.component == DatingComponent::Platelets;
        if !platelets && case.bacterial_control.is_some() {
            return case_err("bacterial_control", "applies to platelets only");
        }
        let control = case.bacterial_control.unwrap_or(BacterialControl::None);
        with_solution
            .into_iter()
            .find(|p| p.bacterial_controls.as_ref().is_none_or(|cs| cs.contains(&control)))
            .ok_or_else(|| DatingError::Case { field: "bacterial_control".into(), message: "no platelet dating rule covers this control".into() })
    }

    /// The expiry of a case by this version (whatever its date).
    pub fn expiry(&self, case: &DatingCase) -> Result<Dating, DatingError> {
        let product = self.product(case)?;
        let start = if product.after_whole_blood {
            let wb = DatingCase { component: DatingComponent::WholeBlood, bacterial_control: None, modifications: vec![], ..case.clone() };
            self.expiry(&wb)?.expires_at
        } else {
            case.collected_at
        };
        let unreachable = || DatingError::Case { field: "collected_at".into(), message: "the expiry falls outside the calendar".into() };
        let mut expires = product.period.end(start).ok_or_else(unreachable)?;
        let mut decided: (&str, &str, &str) = (&product.code, &product.title, &product.source);
        let mut previous: Option<DateTime<FixedOffset>> = None;
        for (i, m) in case.modifications.iter().enumerate() {
            let at = m.at.with_timezone(case.collected_at.offset());
            if at < case.collected_at {
                return case_err(format!("modifications[{i}].at"), "is before the collection");
            }
            if previous.is_some_and(|p| at < p) {
                return case_err(format!("modifications[{i}].at"), "is before the step listed before it; list the steps in time order");
            }
            if at > expires {
                return case_err(format!("modifications[{i}].at"), format!("is after the unit expired ({})", expires.to_rfc3339()));
            }
            previous = Some(at);
            let step =
                self.steps.iter().find(|s| (s.kind == m.kind || s.also.contains(&m.kind)) && s.components.contains(&case.component)).ok_or_else(
                    || DatingError::Case {
                        field: format!("modifications[{i}].kind"),
                        message: format!("version {} has no dating for this step on this component", self.version),
                    },
                )?;
            if let Some(p) = step.period {
                let end = p.end(at).ok_or_else(unreachable)?;
                if end < expires {
                    expires = end;
                    decided = (&step.code, &step.title, &step.source);
                }
            }
        }
        Ok(Dating {
            expires_at: expires,
            rule: decided.0.into(),
            rule_title: decided.1.into(),
            source: decided.2.into(),
            version: self.version.clone(),
        })
    }
}

/// One proof case run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofRun {
    pub name: String,
    pub outcome: Result<Dating, DatingError>,
    /// What differs from the expectation; `None` when as expected.
    pub problem: Option<String>,
}

/// The evidence for one version: every case run, and the rules no case proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence<'a> {
    pub rules: &'a DatingRules,
    pub runs: Vec<ProofRun>,
}

impl<'a> Evidence<'a> {
    pub fn run(rules: &'a DatingRules) -> Self {
        let runs = rules
            .cases
            .iter()
            .map(|c| {
                let outcome = rules.expiry(&c.case);
                let problem = match (&outcome, &c.error_contains) {
                    (Err(e), Some(field)) if e.to_string().starts_with(field.as_str()) => None,
                    (Err(e), Some(field)) => Some(format!("refused naming the wrong field (expected {field}): {e}")),
                    (Ok(d), Some(field)) => Some(format!("expected a refusal naming {field}, got {}", d.expires_at.to_rfc3339())),
                    (Err(e), None) => Some(format!("refused: {e}")),
                    (Ok(d), None) => {
                        let mut p = Vec::new();
                        if c.expires_at.is_some_and(|x| x != d.expires_at || x.offset() != d.expires_at.offset()) {
                            p.push(format!(
                                "expected {}, got {}",
                                c.expires_at.map(|x| x.to_rfc3339()).unwrap_or_default(),
                                d.expires_at.to_rfc3339()
                            ));
                        }
                        if c.rule.as_ref().is_some_and(|r| *r != d.rule) {
                            p.push(format!("expected rule {}, got {}", c.rule.clone().unwrap_or_default(), d.rule));
                        }
                        (!p.is_empty()).then(|| p.join("; "))
                    }
                };
                ProofRun { name: c.name.clone(), outcome, problem }
            })
            .collect();
        Self { rules, runs }
    }

    pub fn failures(&self) -> Vec<&ProofRun> {
        self.runs.iter().filter(|r| r.problem.is_some()).collect()
    }

    /// Codes of rules no case ends on (a step that keeps the dating is proved by a case
    /// where the product rule decides with that step applied).
    pub fn unproved(&self) -> Vec<&str> {
        let decided: std::collections::BTreeSet<&str> =
            self.runs.iter().filter(|r| r.problem.is_none()).filter_map(|r| r.outcome.as_ref().ok()).map(|d| d.rule.as_str()).collect();
        let applied: std::collections::BTreeSet<ModificationKind> = self
            .rules
            .cases
            .iter()
            .zip(&self.runs)
            .filter(|(_, r)| r.problem.is_none() && r.outcome.is_ok())
            .flat_map(|(c, _)| c.case.modifications.iter().map(|m| m.kind))
            .collect();
        self.rules
            .products
            .iter()
            .map(|p| (p.code.as_str(), decided.contains(p.code.as_str())))
            .chain(
                self.rules
                    .steps
                    .iter()
                    .map(|s| (s.code.as_str(), decided.contains(s.code.as_str()) || (s.period.is_none() && applied.contains(&s.kind)))),
            )
            .filter(|(_, ok)| !ok)
            .map(|(c, _)| c)
            .collect()
    }

    pub fn is_proved(&self) -> bool {
        self.failures().is_empty() && self.unproved().is_empty()
    }

    /// The report as Markdown: every rule with its source and the cases that prove it.
    pub fn to_markdown(&self) -> String {
        let r = self.rules;
        let mut s = String::new();
        let _ = writeln!(s, "# Dating rules, version {} (in force from {})\n\n{}\n", r.version, r.effective_from, r.title);
        for n in &r.notes {
            let _ = writeln!(s, "- {n}");
        }
        let _ = writeln!(s, "\n## Products\n\n| code | rule | period | source | confidence |\n| --- | --- | --- | --- | --- |");
        for p in &r.products {
            let _ = writeln!(s, "| `{}` | {} | {} | {} | {:?} |", p.code, p.title, p.period, p.source, p.confidence);
        }
        let _ = writeln!(s, "\n## Steps\n\n| code | rule | period | source | confidence |\n| --- | --- | --- | --- | --- |");
        for st in &r.steps {
            let period = st.period.map_or_else(|| "dating unchanged".to_string(), |p| p.to_string());
            let _ = writeln!(s, "| `{}` | {} | {period} | {} | {:?} |", st.code, st.title, st.source, st.confidence);
        }
        let _ = writeln!(s, "\n## Cases\n\n| case | result | as expected |\n| --- | --- | --- |");
        for run in &self.runs {
            let result = match &run.outcome {
                Ok(d) => format!("{} (`{}`)", d.expires_at.to_rfc3339(), d.rule),
                Err(e) => format!("refused: {e}"),
            };
            let _ = writeln!(s, "| {} | {} | {} |", run.name, result, run.problem.as_deref().map_or("yes".to_string(), |p| format!("**no**: {p}")));
        }
        let unproved = self.unproved();
        let _ = writeln!(
            s,
            "\n{} cases, {} not as expected; rules without a case: {}. Verdict: **{}**.",
            self.runs.len(),
            self.failures().len(),
            if unproved.is_empty() { "none".to_string() } else { unproved.join(", ") },
            if self.is_proved() { "PROVED" } else { "NOT PROVED" }
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(json: &str) -> DatingCase {
        case_from_json(json).unwrap()
    }

    #[test]
    fn the_shipped_rules_are_proved_by_their_cases() {
        let book = DatingBook::defaults();
        let e = Evidence::run(&book.versions()[0]);
        let failures: Vec<String> = e.failures().iter().map(|r| format!("{}: {}", r.name, r.problem.clone().unwrap())).collect();
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(e.unproved().is_empty(), "{:?}", e.unproved());
        assert!(e.to_markdown().contains("PROVED"));
    }

    #[test]
    fn plain_cases_agree_with_the_catalog_dating() {
        use crate::catalog::DatingRule;
        let book = DatingBook::defaults();
        for (component, ac, rule) in [
            ("red_cells", "AS-1", DatingRule::Days(42)),
            ("red_cells", "CPD", DatingRule::Days(21)),
            ("platelets", "ACD-A", DatingRule::Days(5)),
            ("ffp", "CPD", DatingRule::Years(1)),
            ("plasma", "CPD", DatingRule::Years(5)),
        ] {
            for collected in ["2026-03-02T10:00:00-06:00", "2028-02-29T23:30:00-06:00", "2026-12-31T00:01:00+01:00"] {
                let c = case(&format!(r#"{{"component": "{component}", "anticoagulant": "{ac}", "collected_at": "{collected}"}}"#));
                let d = expiry(&book, &c).unwrap();
                assert_eq!(Some(d.expires_at.naive_local()), rule.expiry(c.collected_at.naive_local()), "{component} {ac} {collected}");
                assert_eq!(d.expires_at.offset(), c.collected_at.offset(), "the answer keeps the offset");
            }
        }
    }

    #[test]
    fn unknown_keys_and_values_name_the_field() {
        for (json, field) in [
            (
                r#"{"component": "red_cells", "anticoagulant": "AS-1", "collected_at": "2026-03-02T10:00:00-06:00", "colour": 1}"#,
                "colour: unknown field",
            ),
            (r#"{"component": "blood", "anticoagulant": "AS-1", "collected_at": "2026-03-02T10:00:00-06:00"}"#, "component"),
            (r#"{"component": "red_cells", "anticoagulant": "AS-1", "collected_at": "2026-03-02 10:00"}"#, "collected_at"),
            (
                r#"{"component": "red_cells", "anticoagulant": "AS-1", "collected_at": "2026-03-02T10:00:00-06:00", "modifications": [{"kind": "boiled", "at": "2026-03-03T10:00:00-06:00"}]}"#,
                "modifications[0].kind",
            ),
        ] {
            let e = case_from_json(json).unwrap_err().to_string();
            assert!(e.starts_with(field), "{json}: {e}");
        }
    }

    #[test]
    fn a_later_version_decides_from_its_date() {
        let mut v2: DatingRules = serde_json::from_str(DEFAULT_DATING_JSON).unwrap();
        v2.version = "2".into();
        v2.effective_from = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        v2.products.iter_mut().find(|p| p.code == "PLT_5D").unwrap().period = Period::Days(3);
        let book = DatingBook::new(vec![DatingBook::defaults().versions()[0].clone(), v2]).unwrap();
        let before = case(r#"{"component": "platelets", "anticoagulant": "ACD-A", "collected_at": "2026-12-31T23:00:00-06:00"}"#);
        let after = case(r#"{"component": "platelets", "anticoagulant": "ACD-A", "collected_at": "2027-01-01T01:00:00-06:00"}"#);
        assert_eq!((expiry(&book, &before).unwrap().version.as_str(), expiry(&book, &after).unwrap().version.as_str()), ("1", "2"));
        assert_eq!(expiry(&book, &after).unwrap().expires_at.to_rfc3339(), "2027-01-04T23:59:00-06:00");
    }

    #[test]
    fn expiry_is_never_before_collection_and_steps_never_lengthen_it() {
        let book = DatingBook::defaults();
        let components = [
            "whole_blood",
            "red_cells",
            "red_cells_frozen",
            "platelets",
            "ffp",
            "pf24",
            "plasma",
            "liquid_plasma",
            "cryo",
            "source_plasma",
            "cryo_reduced_plasma",
        ];
        let solutions = ["CPD", "CP2D", "CPDA-1", "AS-1", "AS-3", "AS-5", "ACD-A"];
        let kinds = ["irradiated", "washed", "opened", "thawed", "leukoreduced", "volume_reduced"];
        let mut dated = 0;
        for (i, component) in components.iter().enumerate() {
            for (j, ac) in solutions.iter().enumerate() {
                for minute in [0u32, 1, 719, 1439] {
                    let collected = format!("2026-03-{:02}T{:02}:{:02}:00-06:00", 1 + (i + j) % 28, minute / 60, minute % 60);
                    let plain = case(&format!(r#"{{"component": "{component}", "anticoagulant": "{ac}", "collected_at": "{collected}"}}"#));
                    let Ok(base) = expiry(&book, &plain) else { continue };
                    assert!(base.expires_at > plain.collected_at, "{component} {ac}");
                    // A later collection never expires earlier.
                    let later = DatingCase { collected_at: plain.collected_at + Duration::minutes(1), ..plain.clone() };
                    assert!(expiry(&book, &later).unwrap().expires_at >= base.expires_at);
                    for kind in kinds {
                        for hours in [1i64, 30, 200] {
                            let at = plain.collected_at + Duration::hours(hours);
                            let m = DatingCase {
                                modifications: vec![DatingModification { kind: serde_json::from_str(&format!("\"{kind}\"")).unwrap(), at }],
                                ..plain.clone()
                            };
                            if let Ok(d) = expiry(&book, &m) {
                                dated += 1;
                                assert!(d.expires_at <= base.expires_at, "{component} {ac} {kind}: a step lengthened the dating");
                                assert!(d.expires_at > at || d.expires_at == base.expires_at);
                            }
                        }
                    }
                }
            }
        }
        assert!(dated > 100, "the property ran on {dated} modified units");
    }
}
