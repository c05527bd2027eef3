//! Changing one rule's numbers through a form: what quality may change, the new
//! version it produces and the boundary cases that prove the new numbers.
//!
//! A changed number comes with cases generated from it: the last value or day that
//! passes and the first that fails (with the day the donor may give again). The
//! rule's earlier cases are kept where they still hold under the new numbers; those
//! that proved the old numbers are retired and named, so the reviewer sees what went.

use super::case::EligibilityCase;
use super::evidence::Evidence;
use super::rules::{Check, Expect, Measure, Period, Rule, RuleCase, RuleSet, RuleSetSpec};
use crate::validation::{FieldError, FieldErrors};
use crate::DonationProcedure;
use chrono::{Days, Months, NaiveDate};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// How a number of a rule is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    /// A whole number (years, a count).
    Whole,
    /// A decimal number; `optional`: it may be left empty (a vital limit on one side).
    Decimal { optional: bool },
    /// A number with a unit (days, weeks, months, years); `open_ended`: it may also be
    /// indefinite or permanent.
    Period { open_ended: bool },
}

/// One number of a rule as a form shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberField {
    /// The form key; a period also uses `{key}_unit`.
    pub key: &'static str,
    pub label: String,
    pub unit: &'static str,
    pub kind: NumberKind,
    /// The value as entered: `37.5`, `3`; a period's number (empty when it never ends).
    pub value: String,
    /// A period's unit: `days`, `weeks`, `months`, `years`, `indefinite`, `permanent`.
    pub period_unit: &'static str,
}

/// The units a period is entered in, with the words a form shows.
pub const PERIOD_UNITS: [(&str, &str); 6] =
    [("days", "days"), ("weeks", "weeks"), ("months", "months"), ("years", "years"), ("indefinite", "indefinitely"), ("permanent", "permanently")];

fn number_text(x: f64) -> String {
    let s = format!("{x}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

fn period_parts(p: Period) -> (String, &'static str) {
    match p {
        Period::Days(n) => (n.to_string(), "days"),
        Period::Weeks(n) => (n.to_string(), "weeks"),
        Period::Months(n) => (n.to_string(), "months"),
        Period::Years(n) => (n.to_string(), "years"),
        Period::Indefinite => (String::new(), "indefinite"),
        Period::Permanent => (String::new(), "permanent"),
    }
}

fn period_field(key: &'static str, label: &str, p: Period, open_ended: bool) -> NumberField {
    let (value, unit) = period_parts(p);
    NumberField { key, label: label.into(), unit: "", kind: NumberKind::Period { open_ended }, value, period_unit: unit }
}

fn decimal_field(key: &'static str, label: &str, unit: &'static str, x: Option<f64>, optional: bool) -> NumberField {
    NumberField {
        key,
        label: label.into(),
        unit,
        kind: NumberKind::Decimal { optional },
        value: x.map(number_text).unwrap_or_default(),
        period_unit: "",
    }
}

/// The numbers quality may change in a rule; empty for a rule without one (a register entry).
pub fn number_fields(check: &Check) -> Vec<NumberField> {
    match check {
        Check::MinimumAge { years } => {
            vec![NumberField {
                key: "years",
                label: "Minimum age".into(),
                unit: "years",
                kind: NumberKind::Whole,
                value: years.to_string(),
                period_unit: "",
            }]
        }
        Check::Vital { measure, min, max } => vec![
            decimal_field("min", &format!("Lowest {} allowed", measure.name()), measure.unit(), *min, true),
            decimal_field("max", &format!("Highest {} allowed", measure.name()), measure.unit(), *max, true),
        ],
        Check::RedCells { min_hemoglobin_g_dl, min_hematocrit_pct } => vec![
            decimal_field("min_hemoglobin_g_dl", "Lowest hemoglobin", "g/dL", Some(*min_hemoglobin_g_dl), false),
            decimal_field("min_hematocrit_pct", "or lowest hematocrit", "%", Some(*min_hematocrit_pct), false),
        ],
        Check::Interval { wait, .. } => vec![period_field("period", "Wait at least", *wait, false)],
        Check::Frequency { max, window, .. } => vec![
            NumberField {
                key: "count",
                label: "At most".into(),
                unit: "donations",
                kind: NumberKind::Whole,
                value: max.to_string(),
                period_unit: "",
            },
            period_field("period", "within", *window, false),
        ],
        Check::Event { defer, .. } | Check::Medication { defer, .. } => vec![period_field("period", "Defer for", *defer, true)],
        Check::Deferral { .. } => vec![],
    }
}

fn whole(key: &'static str, s: &str, errors: &mut FieldErrors) -> Option<u32> {
    match s.trim().parse::<u32>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            errors.0.push(FieldError::new(key, format!("'{}' is not a whole number above zero", s.trim())));
            None
        }
    }
}

fn decimal(key: &'static str, s: &str, optional: bool, errors: &mut FieldErrors) -> Option<Option<f64>> {
    let t = s.trim();
    if t.is_empty() {
        if optional {
            return Some(None);
        }
        errors.0.push(FieldError::new(key, "is required"));
        return None;
    }
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Some(Some(x)),
        _ => {
            errors.0.push(FieldError::new(key, format!("'{t}' is not a number above zero")));
            None
        }
    }
}

fn period(key: &'static str, n: &str, unit: &str, open_ended: bool, errors: &mut FieldErrors) -> Option<Period> {
    let never = match unit {
        "indefinite" => Some(Period::Indefinite),
        "permanent" => Some(Period::Permanent),
        _ => None,
    };
    if let Some(p) = never {
        if open_ended {
            return Some(p);
        }
        errors.0.push(FieldError::new(key, "this rule needs a length of time that ends"));
        return None;
    }
    let n = whole(key, n, errors)?;
    match unit {
        "days" => Some(Period::Days(n)),
        "weeks" => Some(Period::Weeks(n)),
        "months" => Some(Period::Months(n)),
        "years" => Some(Period::Years(n)),
        other => {
            errors.0.push(FieldError::new(key, format!("'{other}' is not a unit of time")));
            None
        }
    }
}

/// The check with the numbers of a form (`input` gives each key's text; a missing key
/// is empty). Every problem is named against its field.
pub fn apply_numbers(check: &Check, input: &dyn Fn(&str) -> String) -> Result<Check, FieldErrors> {
    let mut errors = FieldErrors::default();
    let p = |open, errors: &mut FieldErrors| period("period", &input("period"), &input("period_unit"), open, errors);
    let out = match check {
        Check::MinimumAge { .. } => {
            let years = whole("years", &input("years"), &mut errors);
            if let Some(y) = years.filter(|y| *y > 100) {
                errors.0.push(FieldError::new("years", format!("{y} years is not a minimum age")));
            }
            years.map(|years| Check::MinimumAge { years })
        }
        Check::Vital { measure, .. } => {
            let min = decimal("min", &input("min"), true, &mut errors);
            let max = decimal("max", &input("max"), true, &mut errors);
            match (min, max) {
                (Some(None), Some(None)) => {
                    errors.0.push(FieldError::new("min", "give a lowest value, a highest value or both"));
                    None
                }
                (Some(Some(a)), Some(Some(b))) if a > b => {
                    errors.0.push(FieldError::new("max", format!("is below the lowest value ({})", number_text(a))));
                    None
                }
                (Some(min), Some(max)) => Some(Check::Vital { measure: *measure, min, max }),
                _ => None,
            }
        }
        Check::RedCells { .. } => {
            let hb = decimal("min_hemoglobin_g_dl", &input("min_hemoglobin_g_dl"), false, &mut errors).flatten();
            let hct = decimal("min_hematocrit_pct", &input("min_hematocrit_pct"), false, &mut errors).flatten();
            hb.zip(hct).map(|(h, c)| Check::RedCells { min_hemoglobin_g_dl: h, min_hematocrit_pct: c })
        }
        Check::Interval { after, .. } => p(false, &mut errors).map(|wait| Check::Interval { after: after.clone(), wait }),
        Check::Frequency { counted, .. } => {
            let max = whole("count", &input("count"), &mut errors);
            let window = p(false, &mut errors);
            max.zip(window).map(|(max, window)| Check::Frequency { counted: counted.clone(), max, window })
        }
        Check::Event { event, .. } => p(true, &mut errors).map(|defer| Check::Event { event: *event, defer }),
        Check::Medication { medications, .. } => p(true, &mut errors).map(|defer| Check::Medication { medications: medications.clone(), defer }),
        Check::Deferral { .. } => Some(check.clone()),
    };
    match out {
        Some(c) if errors.is_empty() => Ok(c),
        _ => Err(errors),
    }
}

/// The words a title uses for each number of a check, to catch a title that still
/// names the old number.
fn mentions(check: &Check) -> Vec<String> {
    match check {
        Check::MinimumAge { years } => vec![years.to_string()],
        Check::Vital { min, max, .. } => min.iter().chain(max).map(|x| number_text(*x)).collect(),
        Check::RedCells { min_hemoglobin_g_dl, min_hematocrit_pct } => {
            vec![format!("{min_hemoglobin_g_dl:.1}"), number_text(*min_hematocrit_pct)]
        }
        Check::Interval { wait: p, .. } | Check::Event { defer: p, .. } | Check::Medication { defer: p, .. } => vec![p.to_string()],
        Check::Frequency { max, window, .. } => vec![window.to_string(), max.to_string()],
        Check::Deferral { .. } => vec![],
    }
}

/// Whether `text` holds `word` as a whole number or phrase (not `50` inside `150`).
fn names(text: &str, word: &str) -> bool {
    let numberish = |c: char| c.is_ascii_digit() || c == '.';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let rest = &text[i + word.len()..];
        let decimal_follows = rest.starts_with('.') && rest[1..].starts_with(|c: char| c.is_ascii_digit());
        !before.is_some_and(numberish) && !after.is_some_and(|c| c.is_ascii_digit()) && !decimal_follows
    })
}

/// One rule changed through the form, to become a new version.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleChange {
    pub code: String,
    pub check: Check,
    pub title: String,
    pub source: String,
    pub version: String,
    pub effective_from: NaiveDate,
}

/// The version a change produces, with what happened to the rule's cases.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub spec: RuleSetSpec,
    /// Names of the boundary cases generated from the new numbers.
    pub generated: Vec<String>,
    /// Names of the rule's earlier cases that proved the old numbers and were dropped.
    pub retired: Vec<String>,
}

/// Builds the next version from `base` with one rule changed. Refused, naming the
/// field, when nothing changes, the title still names an old number, or the
/// version would not be a valid rule set.
pub fn propose_change(base: &RuleSet, change: &RuleChange) -> Result<Proposal, FieldErrors> {
    let mut errors = FieldErrors::default();
    let Some(old) = base.rule(&change.code) else {
        return Err(FieldErrors(vec![FieldError::new("rule", format!("version {} has no rule {}", base.version(), change.code))]));
    };
    let title = change.title.trim();
    let source = change.source.trim();
    if title.is_empty() {
        errors.0.push(FieldError::new("title", "is required"));
    }
    if source.is_empty() {
        errors.0.push(FieldError::new("source", "is required: the regulation or document the number comes from"));
    }
    if change.check == old.check && title == old.title && source == old.source {
        errors.0.push(FieldError::new("rule", "nothing changes: enter the new numbers"));
    }
    if change.check != old.check {
        let (was, now) = (mentions(&old.check), mentions(&change.check));
        for (w, n) in was.iter().zip(&now) {
            if w != n && names(title, w) && !names(title, n) {
                errors.0.push(FieldError::new("title", format!("still says “{w}”; the rule now says {n}")));
            }
        }
    }
    if change.version.trim().is_empty() || change.version.trim() != change.version {
        errors.0.push(FieldError::new("version", "give the new version a name without surrounding spaces"));
    }
    if base.spec().version == change.version {
        errors.0.push(FieldError::new("version", format!("{} is the version being changed; give the new one its own name", change.version)));
    }
    if change.effective_from <= base.effective_from() {
        errors.0.push(FieldError::new(
            "effective_from",
            format!("must be after {}, when version {} came into force", base.effective_from(), base.version()),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut spec = base.draft_successor(&change.version, change.effective_from);
    let at = spec.rules.iter().position(|r| r.code == change.code).expect("the draft keeps every rule");
    let mut rule = spec.rules[at].clone();
    rule.check = change.check.clone();
    rule.title = title.to_string();
    rule.source = source.to_string();
    let generated = boundary_cases(&rule, &spec.baseline_case);
    let names: Vec<String> = generated.iter().map(|c| c.name.clone()).collect();
    let earlier: Vec<RuleCase> = rule.cases.iter().filter(|c| !names.contains(&c.name)).cloned().collect();
    rule.cases = generated.into_iter().chain(earlier.iter().cloned()).collect();
    spec.rules[at] = rule;
    let set = RuleSet::try_from(spec.clone()).map_err(|e| FieldErrors(vec![FieldError::new("rule", e.to_string())]))?;
    // Earlier cases that no longer hold proved the old numbers: retire them.
    let retired: Vec<String> = {
        let evidence = Evidence::run(&set);
        let runs = &evidence.rules[at].runs;
        earlier.iter().filter(|c| runs.iter().any(|r| r.name == c.name && !r.as_expected())).map(|c| c.name.clone()).collect()
    };
    spec.rules[at].cases.retain(|c| !retired.contains(&c.name));
    Ok(Proposal { spec, generated: names, retired })
}

/// The latest day from which `p` has passed by `date` (`p.end(day) <= date`).
fn last_start(p: Period, date: NaiveDate) -> Option<NaiveDate> {
    let mut d = match p {
        Period::Days(n) => date.checked_sub_days(Days::new(n.into()))?,
        Period::Weeks(n) => date.checked_sub_days(Days::new(7 * u64::from(n)))?,
        Period::Months(n) => date.checked_sub_months(Months::new(n))?,
        Period::Years(n) => date.checked_sub_months(Months::new(n.saturating_mul(12)))?,
        Period::Indefinite | Period::Permanent => return None,
    };
    // Calendar months clamp at the month's end: step on while the next day still passes.
    while let Some(next) = d.succ_opt().filter(|n| p.end(*n).is_some_and(|e| e <= date)) {
        d = next;
    }
    Some(d)
}

fn decimals(x: f64) -> usize {
    number_text(x).split_once('.').map_or(0, |(_, f)| f.len().min(3))
}

fn round_to(x: f64, places: usize) -> f64 {
    let f = 10f64.powi(places as i32);
    (x * f).round() / f
}

/// The patch that makes the baseline a case the rule applies to (its procedure, its sex).
fn applicable(rule: &Rule, baseline: &EligibilityCase, procedure: Option<DonationProcedure>) -> Map<String, Value> {
    let mut patch = Map::new();
    let procedure = procedure.unwrap_or(if rule.procedures.contains(&baseline.procedure) { baseline.procedure } else { rule.procedures[0] });
    if procedure != baseline.procedure {
        patch.insert("procedure".into(), json!(procedure));
    }
    if let Some(sex) = rule.sex.filter(|s| *s != baseline.donor.sex) {
        patch.insert("donor".into(), json!({ "sex": sex }));
    }
    patch
}

/// Sets `section.key` (or a top-level key) in a patch, merging with what is there.
fn put(patch: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        Some((section, key)) => {
            let entry = patch.entry(section.to_string()).or_insert_with(|| json!({}));
            if let Value::Object(m) = entry {
                m.insert(key.to_string(), value);
            }
        }
        None => {
            patch.insert(path.to_string(), value);
        }
    }
}

fn case(name: String, expect: Expect, patch: Map<String, Value>, next: Option<Option<NaiveDate>>) -> RuleCase {
    RuleCase { name, expect, patch: Value::Object(patch), reason: None, next_eligible_date: next }
}

/// The boundary cases of a rule's numbers, over `baseline`: the last value or day that
/// passes and the first that fails, with the day the donor may give again where the
/// rule gives one. A register-entry rule has no number and gets none.
pub fn boundary_cases(rule: &Rule, baseline: &EligibilityCase) -> Vec<RuleCase> {
    let date = baseline.date;
    let base = applicable(rule, baseline, None);
    let mut out = Vec::new();
    // A dated entry (history, event, dose) on `day`, passing or failing.
    let dated =
        |out: &mut Vec<RuleCase>, p: Period, what: &str, entry: &dyn Fn(NaiveDate) -> (String, Value), base: &Map<String, Value>| match last_start(
            p, date,
        ) {
            Some(start) => {
                let mut pass = base.clone();
                let (key, v) = entry(start);
                put(&mut pass, &key, v);
                out.push(case(format!("{what} exactly {p} before"), Expect::Pass, pass, None));
                if let Some(late) = start.succ_opt() {
                    let mut fail = base.clone();
                    let (key, v) = entry(late);
                    put(&mut fail, &key, v);
                    out.push(case(format!("{what} a day less than {p} before"), Expect::Fail, fail, Some(p.end(late))));
                }
            }
            None => {
                let mut fail = base.clone();
                let long_ago = date.checked_sub_months(Months::new(120)).unwrap_or(date);
                let (key, v) = entry(long_ago);
                put(&mut fail, &key, v);
                out.push(case(format!("{what} ten years before: still deferred"), Expect::Fail, fail, Some(None)));
                out.push(case(format!("no {what}"), Expect::Pass, base.clone(), None));
            }
        };
    match &rule.check {
        Check::MinimumAge { years } => {
            let p = Period::Years(*years);
            if let Some(born) = last_start(p, date) {
                let mut pass = base.clone();
                put(&mut pass, "donor.birth_date", json!(born));
                out.push(case(format!("{years} years old today"), Expect::Pass, pass, None));
                if let Some(later) = born.succ_opt() {
                    let mut fail = base.clone();
                    put(&mut fail, "donor.birth_date", json!(later));
                    out.push(case(format!("{years} years old tomorrow"), Expect::Fail, fail, Some(p.end(later))));
                }
            }
        }
        Check::Vital { measure, min, max } => {
            let floor = if *measure == Measure::TemperatureC { 1 } else { 0 };
            for (bound, below) in [(min, true), (max, false)] {
                let Some(x) = *bound else { continue };
                let places = decimals(x).max(floor);
                let step = 10f64.powi(-(places as i32));
                let beyond = round_to(if below { x - step } else { x + step }, places);
                for (v, expect) in [(x, Expect::Pass), (beyond, Expect::Fail)] {
                    let mut patch = base.clone();
                    // Pressures and pulse are whole numbers in a case.
                    let value = if places == 0 { json!(v.round() as i64) } else { json!(v) };
                    put(&mut patch, measure.field(), value);
                    out.push(case(format!("{} {} {}", measure.name(), number_text(v), measure.unit()), expect, patch, None));
                }
            }
        }
        Check::RedCells { min_hemoglobin_g_dl, min_hematocrit_pct } => {
            let hb_places = decimals(*min_hemoglobin_g_dl).max(1);
            let hct_places = decimals(*min_hematocrit_pct).max(1);
            let hb_below = round_to(min_hemoglobin_g_dl - 10f64.powi(-(hb_places as i32)), hb_places);
            let hct_below = round_to(min_hematocrit_pct - 10f64.powi(-(hct_places as i32)), hct_places);
            for (hb, expect) in [(*min_hemoglobin_g_dl, Expect::Pass), (hb_below, Expect::Fail)] {
                let mut patch = base.clone();
                put(&mut patch, "screening.hemoglobin_g_dl", json!(hb));
                put(&mut patch, "screening.hematocrit_pct", Value::Null);
                out.push(case(format!("hemoglobin {} g/dL", number_text(hb)), expect, patch, None));
            }
            for (hct, expect) in [(*min_hematocrit_pct, Expect::Pass), (hct_below, Expect::Fail)] {
                let mut patch = base.clone();
                put(&mut patch, "screening.hemoglobin_g_dl", Value::Null);
                put(&mut patch, "screening.hematocrit_pct", json!(hct));
                out.push(case(format!("hematocrit {} % (no hemoglobin)", number_text(hct)), expect, patch, None));
            }
        }
        Check::Interval { after, wait } => {
            let earlier = after[0];
            let what = format!("a {} donation", earlier.as_str().replace('_', " "));
            dated(&mut out, *wait, &what, &|d| ("history".into(), json!([{ "procedure": earlier, "date": d }])), &base);
        }
        Check::Event { event, defer } => {
            let kind = *event;
            let what = kind.as_str().replace('_', " ");
            dated(&mut out, *defer, &what, &|d| ("events".into(), json!([{ "kind": kind, "date": d }])), &base);
        }
        Check::Medication { medications, defer } => {
            let name = medications[0].name.clone();
            let what = format!("a last dose of {}", name.replace('_', " "));
            dated(&mut out, *defer, &what, &|d| ("medications".into(), json!([{ "name": name, "last_dose": d }])), &base);
        }
        Check::Frequency { counted, max, window } => {
            // Today's donation is one of the counted procedures; `max` earlier ones sit in
            // the window, the earliest on its edge, the rest spread over the window so no
            // interval rule is what fails.
            let today = rule.procedures.iter().find(|p| counted.contains(p)).copied();
            let base = applicable(rule, baseline, today);
            let (Some(start), Some(n)) = (last_start(*window, date), usize::try_from(*max).ok()) else { return out };
            let Some(late) = start.succ_opt() else { return out };
            let span = (date - late).num_days().max(1);
            let step = (span / (*max as i64)).max(1);
            let others: Vec<Value> = (1..n as i64)
                .filter_map(|k| date.checked_sub_days(Days::new((step * k) as u64)))
                .map(|d| json!({ "procedure": counted[0], "date": d }))
                .collect();
            for (first, expect) in [(start, Expect::Pass), (late, Expect::Fail)] {
                let mut history = others.clone();
                history.push(json!({ "procedure": counted[0], "date": first }));
                let mut patch = base.clone();
                put(&mut patch, "history", Value::Array(history));
                let (name, next) = match expect {
                    Expect::Pass => (format!("{} earlier in {window}, the first exactly {window} before", max), None),
                    Expect::Fail => (format!("{} earlier in {window}, the first a day less than {window} before", max), Some(window.end(late))),
                };
                out.push(case(name, expect, patch, next));
            }
        }
        Check::Deferral { .. } => {}
    }
    out
}

/// Each number field's form value from a map, for [`apply_numbers`].
pub fn lookup(values: &BTreeMap<String, String>) -> impl Fn(&str) -> String + '_ {
    move |k| values.get(k).cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eligibility::RuleBook;

    fn base() -> RuleSet {
        RuleBook::defaults().versions()[0].clone()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn change(code: &str, check: Check, title: &str) -> RuleChange {
        let rule = base().rule(code).unwrap().clone();
        RuleChange { code: code.into(), check, title: title.into(), source: rule.source, version: "2".into(), effective_from: day("2027-01-04") }
    }

    fn proved(p: &Proposal) -> Vec<String> {
        let set = RuleSet::try_from(p.spec.clone()).unwrap();
        let e = Evidence::run(&set);
        e.failures().iter().map(|(c, n, m)| format!("{c} / {n}: {m}")).chain(e.gaps().iter().map(|g| format!("gap {g}"))).collect()
    }

    #[test]
    fn every_rule_with_a_number_gets_boundary_cases_that_hold_for_its_current_numbers() {
        let set = base();
        for rule in set.rules() {
            let cases = boundary_cases(rule, &set.spec().baseline_case);
            if matches!(rule.check, Check::Deferral { .. }) {
                assert!(cases.is_empty());
                continue;
            }
            assert!(cases.iter().any(|c| c.expect == Expect::Pass) && cases.iter().any(|c| c.expect == Expect::Fail), "{}", rule.code);
            let mut spec = set.spec().clone();
            spec.rules.iter_mut().find(|r| r.code == rule.code).unwrap().cases = cases;
            let checked = RuleSet::try_from(spec).unwrap();
            let failures = Evidence::run(&checked).failures().iter().map(|(c, n, m)| format!("{c} / {n}: {m}")).collect::<Vec<_>>();
            assert!(failures.is_empty(), "{failures:?}");
        }
    }

    #[test]
    fn a_longer_tattoo_deferral_moves_its_boundary_and_retires_the_old_cases() {
        let p = propose_change(
            &base(),
            &change(
                "EVENT_TATTOO",
                Check::Event { event: crate::eligibility::EventKind::Tattoo, defer: Period::Months(4) },
                "Tattoo not applied at a state-regulated entity: 4 months",
            ),
        )
        .unwrap();
        assert!(proved(&p).is_empty(), "{:?}", proved(&p));
        assert!(p.retired.contains(&"tattoo 3 months ago".to_string()), "the old passing case now fails and goes: {:?}", p.retired);
        let rule = p.spec.rules.iter().find(|r| r.code == "EVENT_TATTOO").unwrap();
        let fail = rule.cases.iter().find(|c| c.name == "tattoo a day less than 4 months before").unwrap();
        assert_eq!(fail.expect, Expect::Fail);
        // The version's baseline moved into the new version's time; the boundary is 4 calendar months back.
        let date = p.spec.baseline_case.date;
        assert!(date >= day("2027-01-04"));
        let when: NaiveDate = fail.patch["events"][0]["date"].as_str().unwrap().parse().unwrap();
        assert_eq!(Period::Months(4).end(when), date.succ_opt());
    }

    #[test]
    fn a_title_that_still_names_the_old_number_is_refused() {
        let e = propose_change(
            &base(),
            &change(
                "TEMPERATURE",
                Check::Vital { measure: Measure::TemperatureC, min: None, max: Some(37.8) },
                "Oral temperature not above 37.5 °C (99.5 °F)",
            ),
        )
        .unwrap_err();
        assert_eq!(e.message_for("title"), Some("still says “37.5”; the rule now says 37.8"));
        let ok = propose_change(
            &base(),
            &change("TEMPERATURE", Check::Vital { measure: Measure::TemperatureC, min: None, max: Some(37.8) }, "Oral temperature not above 37.8 °C"),
        )
        .unwrap();
        assert!(proved(&ok).is_empty(), "{:?}", proved(&ok));
        let cases: Vec<&str> = ok.spec.rules.iter().find(|r| r.code == "TEMPERATURE").unwrap().cases.iter().map(|c| c.name.as_str()).collect();
        assert!(cases.contains(&"temperature 37.8 °C") && cases.contains(&"temperature 37.9 °C"), "{cases:?}");
    }

    #[test]
    fn a_number_that_breaks_other_rules_cases_shows_in_the_evidence() {
        // A minimum weight above the baseline donor's 80 kg: the new boundary cases hold,
        // every other rule's passing case now fails, and the evidence says so.
        let p = propose_change(
            &base(),
            &change("WEIGHT", Check::Vital { measure: Measure::WeightKg, min: Some(90.0), max: None }, "Weight at least 90 kg"),
        )
        .unwrap();
        let problems = proved(&p);
        assert!(problems.iter().any(|x| x.starts_with("MINIMUM_AGE /")), "{problems:?}");
    }

    #[test]
    fn frequency_and_interval_changes_are_proved_by_their_own_cases() {
        let c = change(
            "FREQUENCY_PLATELETS_12M",
            Check::Frequency { counted: vec![DonationProcedure::Platelets], max: 20, window: Period::Months(12) },
            "Plateletpheresis at most 20 times in 12 months",
        );
        let p = propose_change(&base(), &c).unwrap();
        assert!(proved(&p).is_empty(), "{:?}", proved(&p));
        let c = change(
            "INTERVAL_RBC_AFTER_WB",
            Check::Interval { after: vec![DonationProcedure::WholeBlood, DonationProcedure::Autologous], wait: Period::Weeks(10) },
            "Red cell collection at most once in 10 weeks after whole blood",
        );
        let p = propose_change(&base(), &c).unwrap();
        assert!(proved(&p).is_empty(), "{:?}", proved(&p));
    }

    #[test]
    fn unchanged_or_misdated_changes_are_refused_by_field() {
        let rule = base().rule("MINIMUM_AGE").unwrap().clone();
        let mut c = change("MINIMUM_AGE", rule.check.clone(), &rule.title);
        c.effective_from = day("2020-01-01");
        c.version = base().version().into();
        let e = propose_change(&base(), &c).unwrap_err();
        assert!(e.message_for("rule").unwrap().contains("nothing changes"));
        assert!(e.message_for("effective_from").is_some());
        assert!(e.message_for("version").is_some());
    }

    #[test]
    fn form_numbers_are_read_with_an_error_per_field() {
        let temp = base().rule("TEMPERATURE").unwrap().check.clone();
        let m: BTreeMap<String, String> = [("min", "38"), ("max", "37")].into_iter().map(|(a, b)| (a.into(), b.into())).collect();
        let e = apply_numbers(&temp, &lookup(&m)).unwrap_err();
        assert!(e.message_for("max").unwrap().contains("below the lowest"));
        let tattoo = base().rule("EVENT_TATTOO").unwrap().check.clone();
        let m: BTreeMap<String, String> = [("period", "x"), ("period_unit", "months")].into_iter().map(|(a, b)| (a.into(), b.into())).collect();
        assert!(apply_numbers(&tattoo, &lookup(&m)).unwrap_err().message_for("period").unwrap().contains("not a whole number"));
        let m: BTreeMap<String, String> = [("period", ""), ("period_unit", "permanent")].into_iter().map(|(a, b)| (a.into(), b.into())).collect();
        assert_eq!(
            apply_numbers(&tattoo, &lookup(&m)).unwrap(),
            Check::Event { event: crate::eligibility::EventKind::Tattoo, defer: Period::Permanent }
        );
        let interval = base().rule("INTERVAL_PLASMA").unwrap().check.clone();
        assert!(apply_numbers(&interval, &lookup(&m)).unwrap_err().message_for("period").unwrap().contains("ends"));
        // The fields show the numbers in force.
        let f = number_fields(&temp);
        assert_eq!((f[0].value.as_str(), f[1].value.as_str()), ("", "37.5"));
    }

    #[test]
    fn whole_numbers_in_titles_are_not_found_inside_others() {
        assert!(names("at least 50 kg", "50"));
        assert!(!names("at least 150 lb", "50"));
        assert!(!names("at least 50.5 kg", "50"));
        assert!(names("at most 37.5 °C.", "37.5"));
    }
}
