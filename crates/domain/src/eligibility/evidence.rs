//! Validation evidence: every rule of a version run against its cases, and the
//! report (Markdown or HTML) quality signs off.

use super::case::EligibilityCase;
use super::evaluate::Decision;
use super::rules::{Check, Expect, Period, Rule, RuleCase, RuleSet};
use serde_json::Value;
use std::fmt::Write;

/// One case run against its rule.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRun {
    pub name: String,
    pub expect: Expect,
    /// The patch over the baseline case, as written in the rule.
    pub patch: Value,
    /// The decision, or why the case could not be evaluated.
    pub outcome: Result<Decision, String>,
    /// What differs from the expectation; `None` when the case came out as expected.
    pub problem: Option<String>,
}

impl CaseRun {
    pub fn as_expected(&self) -> bool {
        self.problem.is_none()
    }
}

/// A rule with the runs of its cases.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleEvidence<'a> {
    pub rule: &'a Rule,
    pub runs: Vec<CaseRun>,
}

impl RuleEvidence<'_> {
    /// A rule is proved when it has a passing and a failing case and all came out as expected.
    pub fn has_both_kinds(&self) -> bool {
        [Expect::Pass, Expect::Fail].iter().all(|k| self.runs.iter().any(|r| r.expect == *k))
    }
}

/// The evidence for one rule version.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence<'a> {
    pub set: &'a RuleSet,
    pub rules: Vec<RuleEvidence<'a>>,
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(fields) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in fields {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

impl RuleSet {
    /// The case a rule case describes: the baseline with the patch merged in.
    pub fn case_for(&self, case: &RuleCase) -> Result<EligibilityCase, String> {
        let mut value = serde_json::to_value(&self.spec().baseline_case).map_err(|e| e.to_string())?;
        merge_patch(&mut value, &case.patch);
        EligibilityCase::from_value(value).map_err(|e| e.to_string())
    }
}

fn run_case(set: &RuleSet, rule: &Rule, case: &RuleCase) -> CaseRun {
    let outcome = set.case_for(case).and_then(|c| {
        if c.date < set.effective_from() {
            return Err(format!("the case is dated {}, before version {} is in force", c.date, set.version()));
        }
        set.evaluate(&c).map_err(|e| e.to_string())
    });
    let problem = match (&outcome, case.expect) {
        (Err(e), _) => Some(format!("could not be evaluated: {e}")),
        (Ok(d), Expect::Pass) if !d.eligible => Some(format!("expected eligible, got {}", codes(d))),
        (Ok(_), Expect::Pass) => None,
        (Ok(d), Expect::Fail) => {
            let code = case.reason.clone().unwrap_or_else(|| rule.code.clone());
            if !d.reasons.iter().any(|r| r.code == code) {
                Some(format!("expected reason {code}, got {}", if d.eligible { "eligible".into() } else { codes(d) }))
            } else {
                match case.next_eligible_date {
                    Some(want) if want != d.next_eligible_date => {
                        Some(format!("expected next eligible date {}, got {}", show_date(want), show_date(d.next_eligible_date)))
                    }
                    _ => None,
                }
            }
        }
    };
    CaseRun { name: case.name.clone(), expect: case.expect, patch: case.patch.clone(), outcome, problem }
}

fn codes(d: &Decision) -> String {
    d.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(", ")
}

fn show_date(d: Option<chrono::NaiveDate>) -> String {
    d.map_or_else(|| "never".to_string(), |d| d.to_string())
}

impl<'a> Evidence<'a> {
    /// Runs every case of every rule of the version.
    pub fn run(set: &'a RuleSet) -> Self {
        let rules = set.rules().iter().map(|rule| RuleEvidence { rule, runs: rule.cases.iter().map(|c| run_case(set, rule, c)).collect() }).collect();
        Self { set, rules }
    }

    pub fn case_count(&self) -> usize {
        self.rules.iter().map(|r| r.runs.len()).sum()
    }

    /// `(rule code, case name, problem)` for every case that did not come out as expected.
    pub fn failures(&self) -> Vec<(&str, &str, &str)> {
        self.rules
            .iter()
            .flat_map(|r| r.runs.iter().filter_map(move |run| run.problem.as_deref().map(|p| (r.rule.code.as_str(), run.name.as_str(), p))))
            .collect()
    }

    /// Codes of the rules lacking a passing or a failing case.
    pub fn gaps(&self) -> Vec<&str> {
        self.rules.iter().filter(|r| !r.has_both_kinds()).map(|r| r.rule.code.as_str()).collect()
    }

    /// Every rule has both kinds of case and every case came out as expected.
    pub fn is_proved(&self) -> bool {
        self.failures().is_empty() && self.gaps().is_empty()
    }

    fn summary(&self) -> String {
        let failed = self.failures().len();
        let gaps = self.gaps();
        format!(
            "{} rules, {} cases: {} as expected, {} not. Rules lacking a passing or a failing case: {}. Verdict: {}.",
            self.rules.len(),
            self.case_count(),
            self.case_count() - failed,
            failed,
            if gaps.is_empty() { "none".to_string() } else { gaps.join(", ") },
            if self.is_proved() { "PROVED" } else { "NOT PROVED" }
        )
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let set = self.set;
        let spec = set.spec();
        let mut md = String::new();
        let _ = writeln!(md, "# Eligibility rules {}: validation evidence\n", set.version());
        let _ = writeln!(md, "{}\n", spec.title);
        let _ = writeln!(md, "In force from **{}**. Generated by hemaflow {}.\n", set.effective_from(), env!("CARGO_PKG_VERSION"));
        let _ = writeln!(md, "**{}**\n", self.summary());
        let _ = writeln!(md, "Confidence: [V] checked in the primary text, [S] secondary source, [M] unconfirmed (verify before relying on it).\n");
        if !spec.notes.is_empty() {
            let _ = writeln!(md, "## Notes\n");
            for n in &spec.notes {
                let _ = writeln!(md, "- {n}");
            }
            md.push('\n');
        }
        let _ = writeln!(md, "## Baseline case\n\nEvery case below is this case with its patch merged in (RFC 7386).\n");
        let _ = writeln!(md, "```json\n{}\n```\n", serde_json::to_string_pretty(&spec.baseline_case).unwrap_or_default());
        let _ = writeln!(md, "## Rules\n\n| code | applies to | check | source | cases |\n|---|---|---|---|---|");
        for r in &self.rules {
            let ok = r.runs.iter().filter(|x| x.as_expected()).count();
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} {} | {}/{} |",
                r.rule.code,
                cell(&applies_to(r.rule)),
                cell(&describe(&r.rule.check)),
                cell(&r.rule.source),
                r.rule.confidence.tag(),
                ok,
                r.runs.len()
            );
        }
        md.push('\n');
        for r in &self.rules {
            let rule = r.rule;
            let _ = writeln!(md, "### {}: {}\n", rule.code, rule.title);
            let _ = writeln!(md, "- Check: {}", describe(&rule.check));
            let _ = writeln!(md, "- Applies to: {}", applies_to(rule));
            let _ = writeln!(md, "- Source: {} {}", rule.source, rule.confidence.tag());
            if let Some(a) = &rule.advice {
                let _ = writeln!(md, "- Advice given when it fails: {a}");
            }
            if let Some(n) = &rule.note {
                let _ = writeln!(md, "- Note: {n}");
            }
            if !r.has_both_kinds() {
                let _ = writeln!(md, "- **Missing a passing or a failing case.**");
            }
            let _ = writeln!(md, "\n| case | patch | expected | decision | next eligible | reasons | verdict |\n|---|---|---|---|---|---|---|");
            for run in &r.runs {
                let (decision, next, reasons) = outcome_cells(run);
                let _ = writeln!(
                    md,
                    "| {} | `{}` | {} | {} | {} | {} | {} |",
                    cell(&run.name),
                    cell(&run.patch.to_string()),
                    expect_word(run.expect),
                    decision,
                    next,
                    cell(&reasons),
                    run.problem.as_ref().map_or_else(|| "as expected".to_string(), |p| format!("**{}**", cell(p)))
                );
            }
            md.push('\n');
        }
        md
    }

    /// The report as a standalone HTML page.
    pub fn to_html(&self) -> String {
        let set = self.set;
        let spec = set.spec();
        let mut h = String::new();
        let title = format!("Eligibility rules {}: validation evidence", set.version());
        let _ = write!(
            h,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
             body{{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}}table{{border-collapse:collapse;margin:.5rem 0 1.5rem}}\
             td,th{{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}}\
             code{{font-size:.8rem}}.bad{{background:#fdd;font-weight:bold}}.ok{{color:#060}}pre{{background:#f4f4f4;padding:.5rem}}\
             </style></head><body>\n<h1>{}</h1>\n<p>{}</p>\n<p>In force from <strong>{}</strong>. Generated by hemaflow {}.</p>\n<p class=\"{}\">{}</p>\n",
            esc(&title),
            esc(&title),
            esc(&spec.title),
            set.effective_from(),
            env!("CARGO_PKG_VERSION"),
            if self.is_proved() { "ok" } else { "bad" },
            esc(&self.summary())
        );
        h.push_str("<p>Confidence: [V] checked in the primary text, [S] secondary source, [M] unconfirmed (verify before relying on it).</p>\n");
        if !spec.notes.is_empty() {
            h.push_str("<h2>Notes</h2>\n<ul>\n");
            for n in &spec.notes {
                let _ = writeln!(h, "<li>{}</li>", esc(n));
            }
            h.push_str("</ul>\n");
        }
        let _ = writeln!(
            h,
            "<h2>Baseline case</h2>\n<p>Every case below is this case with its patch merged in (RFC 7386).</p>\n<pre>{}</pre>",
            esc(&serde_json::to_string_pretty(&spec.baseline_case).unwrap_or_default())
        );
        h.push_str("<h2>Rules</h2>\n<table><tr><th>code</th><th>applies to</th><th>check</th><th>source</th><th>cases</th></tr>\n");
        for r in &self.rules {
            let ok = r.runs.iter().filter(|x| x.as_expected()).count();
            let _ = writeln!(
                h,
                "<tr><td><a href=\"#{c}\">{c}</a></td><td>{}</td><td>{}</td><td>{} {}</td><td class=\"{}\">{ok}/{}</td></tr>",
                esc(&applies_to(r.rule)),
                esc(&describe(&r.rule.check)),
                esc(&r.rule.source),
                r.rule.confidence.tag(),
                if ok == r.runs.len() && r.has_both_kinds() { "ok" } else { "bad" },
                r.runs.len(),
                c = esc(&r.rule.code),
            );
        }
        h.push_str("</table>\n");
        for r in &self.rules {
            let rule = r.rule;
            let _ = writeln!(h, "<h3 id=\"{c}\">{c}: {}</h3>\n<ul>", esc(&rule.title), c = esc(&rule.code));
            let _ = writeln!(h, "<li>Check: {}</li>\n<li>Applies to: {}</li>", esc(&describe(&rule.check)), esc(&applies_to(rule)));
            let _ = writeln!(h, "<li>Source: {} {}</li>", esc(&rule.source), rule.confidence.tag());
            if let Some(a) = &rule.advice {
                let _ = writeln!(h, "<li>Advice given when it fails: {}</li>", esc(a));
            }
            if let Some(n) = &rule.note {
                let _ = writeln!(h, "<li>Note: {}</li>", esc(n));
            }
            if !r.has_both_kinds() {
                h.push_str("<li class=\"bad\">Missing a passing or a failing case.</li>");
            }
            h.push_str("</ul>\n<table><tr><th>case</th><th>patch</th><th>expected</th><th>decision</th><th>next eligible</th><th>reasons</th><th>verdict</th></tr>\n");
            for run in &r.runs {
                let (decision, next, reasons) = outcome_cells(run);
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                    esc(&run.name),
                    esc(&run.patch.to_string()),
                    expect_word(run.expect),
                    esc(&decision),
                    esc(&next),
                    esc(&reasons),
                    if run.as_expected() { "ok" } else { "bad" },
                    esc(run.problem.as_deref().unwrap_or("as expected"))
                );
            }
            h.push_str("</table>\n");
        }
        h.push_str("</body></html>\n");
        h
    }
}

fn expect_word(e: Expect) -> &'static str {
    match e {
        Expect::Pass => "eligible",
        Expect::Fail => "fails",
    }
}

fn outcome_cells(run: &CaseRun) -> (String, String, String) {
    match &run.outcome {
        Ok(d) => (
            if d.eligible { "eligible" } else { "not eligible" }.to_string(),
            show_date(d.next_eligible_date),
            d.reasons.iter().map(|r| format!("{}: {}", r.code, r.message)).collect::<Vec<_>>().join("; "),
        ),
        Err(e) => ("error".into(), String::new(), e.clone()),
    }
}

fn applies_to(rule: &Rule) -> String {
    let procs = rule.procedures.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ");
    match rule.sex {
        Some(s) => format!("{procs}; sex {}", s.as_str()),
        None => procs,
    }
}

/// The check in words, with its numbers.
pub fn describe(check: &Check) -> String {
    let list = |ps: &[crate::DonationProcedure]| ps.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" or ");
    match check {
        Check::MinimumAge { years } => format!("age at least {years} years on the donation date"),
        Check::Vital { measure, min, max } => {
            let (n, u) = (measure.name(), measure.unit());
            match (min, max) {
                (Some(lo), Some(hi)) => format!("{n} ({}) from {lo} to {hi} {u}", measure.field()),
                (Some(lo), None) => format!("{n} ({}) at least {lo} {u}", measure.field()),
                (None, Some(hi)) => format!("{n} ({}) at most {hi} {u}", measure.field()),
                (None, None) => n.to_string(),
            }
        }
        Check::RedCells { min_hemoglobin_g_dl, min_hematocrit_pct } => {
            format!("hemoglobin at least {min_hemoglobin_g_dl} g/dL or hematocrit at least {min_hematocrit_pct} %")
        }
        Check::Interval { after, wait } => format!("{wait} after a {} donation", list(after)),
        Check::Frequency { counted, max, window } => format!("at most {max} {} donations within {window}, today's included", list(counted)),
        Check::Event { event, defer } => format!("{}: {}", event.as_str(), deferral_words(*defer, "the event date")),
        Check::Medication { medications, defer } => {
            let names = medications
                .iter()
                .map(|m| if m.brands.is_empty() { m.name.clone() } else { format!("{} ({})", m.name, m.brands.join(", ")) })
                .collect::<Vec<_>>()
                .join(", ");
            format!("{names}: {}", deferral_words(*defer, "the last dose"))
        }
        Check::Deferral { deferral } => {
            format!("no open {} entry in the deferred-donor register", deferral.as_str())
        }
    }
}

fn deferral_words(defer: Period, from: &str) -> String {
    match defer {
        Period::Indefinite => "indefinite deferral".into(),
        Period::Permanent => "permanent deferral".into(),
        p => format!("deferred {p} from {from}"),
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eligibility::RuleBook;
    use serde_json::json;

    #[test]
    fn every_default_rule_has_a_passing_and_a_failing_case_and_all_come_out_as_expected() {
        let book = RuleBook::defaults();
        for set in book.versions() {
            let evidence = Evidence::run(set);
            assert!(evidence.gaps().is_empty(), "version {}: rules lacking a passing or failing case: {:?}", set.version(), evidence.gaps());
            let failures = evidence.failures();
            assert!(failures.is_empty(), "version {}: {} case(s) not as expected:\n{failures:#?}", set.version(), failures.len());
            assert!(evidence.is_proved());
            assert!(evidence.case_count() >= 2 * set.rules().len());
        }
    }

    #[test]
    fn every_failing_case_fails_on_its_own_rule_and_every_passing_case_is_eligible() {
        // Run() checks this; here the other direction: the case's own rule is the
        // one that fires (no other rule hides a mistake in the baseline).
        let book = RuleBook::defaults();
        let set = &book.versions()[0];
        for r in Evidence::run(set).rules {
            for run in &r.runs {
                let d = run.outcome.as_ref().unwrap();
                if run.expect == Expect::Fail {
                    assert_eq!(d.reasons.len(), 1, "{} / {}: {:?}", r.rule.code, run.name, d.reasons);
                }
            }
        }
    }

    #[test]
    fn a_wrong_expectation_and_a_missing_kind_are_reported() {
        let book = RuleBook::defaults();
        let mut spec = book.versions()[0].spec().clone();
        let rule = spec.rules.iter_mut().find(|r| r.code == "TEMPERATURE").unwrap();
        rule.cases.retain(|c| c.expect == Expect::Fail);
        rule.cases[0].next_eligible_date = Some(None);
        let set = RuleSet::try_from(spec).unwrap();
        let evidence = Evidence::run(&set);
        assert_eq!(evidence.gaps(), ["TEMPERATURE"]);
        let failures = evidence.failures();
        assert_eq!(failures.len(), 1);
        assert!(failures[0].2.contains("expected next eligible date never"), "{failures:?}");
        assert!(!evidence.is_proved());
        assert!(evidence.to_markdown().contains("NOT PROVED"));
        assert!(evidence.to_html().contains("class=\"bad\""));
    }

    #[test]
    fn the_report_lists_every_rule_with_its_source_and_cases() {
        let book = RuleBook::defaults();
        let set = &book.versions()[0];
        let evidence = Evidence::run(set);
        let md = evidence.to_markdown();
        let html = evidence.to_html();
        assert!(md.contains("Verdict: PROVED"));
        for rule in set.rules() {
            assert!(md.contains(&format!("### {}: ", rule.code)), "{}", rule.code);
            assert!(html.contains(&format!("id=\"{}\"", rule.code)), "{}", rule.code);
            assert!(md.contains(&rule.source));
            for c in &rule.cases {
                assert!(md.contains(&cell(&c.name)), "{}", c.name);
            }
        }
        assert!(md.contains("21 CFR 630.10(f)(1)"));
        assert!(!html.contains("<script"));
        assert!(html.contains("&quot;") || !html.contains("\"date\""), "JSON in HTML is escaped");
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut v = json!({"a": {"b": 1, "c": 2}, "d": [1, 2], "e": 1});
        merge_patch(&mut v, &json!({"a": {"b": null, "x": 3}, "d": [3], "e": null, "f": {"g": 1}}));
        assert_eq!(v, json!({"a": {"c": 2, "x": 3}, "d": [3], "f": {"g": 1}}));
    }
}
