//! `hemaflow rules`: decide an eligibility case, and write the validation evidence
//! of the eligibility rules (every rule in force with the cases that prove it).

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use domain::eligibility::{evaluate, EligibilityCase, Evidence, RuleBook};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// File names the report is written to inside `--out DIR`.
pub const REPORT_MARKDOWN: &str = "eligibility-rules.md";
pub const REPORT_HTML: &str = "eligibility-rules.html";

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Decide one eligibility case: the case as JSON on standard input, the decision
    /// as JSON on standard output. Exits 0 when the case was evaluated (eligible or
    /// not), non-zero on bad input, with the error on standard error.
    Eligibility {
        /// JSON file of eligibility rule versions (one rule set, or an array of them)
        /// used instead of the built-in reviewed defaults.
        #[arg(long, env = "HEMAFLOW_ELIGIBILITY_RULES")]
        rules: Option<PathBuf>,
        /// Also use the rule versions quality staff stored in the database (--database).
        #[arg(long)]
        stored: bool,
    },
    /// Validation evidence of the eligibility rules in force: every rule with its
    /// cases and their results. With --out DIR writes DIR/eligibility-rules.md and
    /// DIR/eligibility-rules.html; without it prints the Markdown. Exits non-zero
    /// when a rule lacks a passing or a failing case or a case is not as expected.
    Report {
        /// Directory to write the Markdown and HTML report into (created if missing).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Report the version in force on this date (YYYY-MM-DD); default: today (UTC).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// JSON file of eligibility rule versions used instead of the built-in defaults.
        #[arg(long, env = "HEMAFLOW_ELIGIBILITY_RULES")]
        rules: Option<PathBuf>,
        /// Also use the rule versions quality staff stored in the database (--database).
        #[arg(long)]
        stored: bool,
    },
    /// When a component expires: the case as JSON on standard input (`component`,
    /// `anticoagulant`, `collected_at` with its offset, optional `bacterial_control` and
    /// `modifications`), `{"expires_at", "rule", …}` on standard output. Exits non-zero
    /// on bad input, naming the field on standard error.
    Dating,
    /// Validation evidence of the dating rules: every rule with its source and the
    /// cases that prove it, as Markdown. Exits non-zero unless every case holds and
    /// every rule is proved by one.
    DatingReport,
    /// ABO/RhD compatibility of a component for a recipient: `{"component": "red_cells" |
    /// "whole_blood" | "plasma" | "platelets" | "cryo", "donor": {"abo", "rhd"},
    /// "recipient": {"abo", "rhd"}}` on standard input, `{"compatible", "reason"}` on
    /// standard output. Exits non-zero on bad input, naming the field on standard error.
    Compatible,
    /// A therapeutic apheresis plan: `{"sex": "F" | "M", "height_cm", "weight_kg",
    /// "hematocrit" (a fraction), "plasma_volumes"}` on standard input,
    /// `{"total_blood_volume_ml", "plasma_volume_ml", "exchange_volume_ml",
    /// "fraction_removed", "method"}` on standard output (Nadler's formula; 70 mL/kg
    /// under 25 kg). Exits non-zero on an impossible case, naming the field.
    Apheresis,
}

/// The versions from the file (or built in), plus the stored ones when asked.
async fn versions(file: Option<&Path>, stored: bool, database: &str) -> anyhow::Result<std::sync::Arc<RuleBook>> {
    let book = rule_book(file)?;
    if !stored {
        return Ok(std::sync::Arc::new(book));
    }
    let store = store::Store::open(database).await.with_context(|| format!("opening database {}", store::redact_url(database)))?;
    let app = app::App::new(store, app::Settings { eligibility: std::sync::Arc::new(book), ..Default::default() });
    Ok(app.rule_book().await?)
}

pub async fn run(cmd: RulesCommand, database: &str) -> anyhow::Result<ExitCode> {
    match cmd {
        RulesCommand::Eligibility { rules, stored } => {
            let book = versions(rules.as_deref(), stored, database).await?;
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input).context("reading the case from standard input")?;
            println!("{}", decide(&book, &input)?);
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Dating => {
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input).context("reading the case from standard input")?;
            println!("{}", date_case(&input)?);
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Compatible => {
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input).context("reading the case from standard input")?;
            println!("{}", compatibility(&input)?);
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Apheresis => {
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input).context("reading the case from standard input")?;
            println!("{}", apheresis_plan(&input)?);
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::DatingReport => {
            let book = domain::dating::DatingBook::defaults();
            let mut proved = true;
            for v in book.versions() {
                let e = domain::dating::Evidence::run(v);
                print!("{}", e.to_markdown());
                proved &= e.is_proved();
                eprintln!("dating rules {}: {} cases, {}", v.version, e.runs.len(), if e.is_proved() { "PROVED" } else { "NOT PROVED" });
            }
            Ok(if proved { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        RulesCommand::Report { out, date, rules, stored } => {
            let book = versions(rules.as_deref(), stored, database).await?;
            let date = date.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let set = book.in_force(date).with_context(|| format!("no eligibility rule version is in force on {date}"))?;
            let evidence = Evidence::run(set);
            match out {
                Some(dir) => {
                    let (md, html) = write_report(&evidence, &dir)?;
                    eprintln!("wrote {} and {}", md.display(), html.display());
                }
                None => print!("{}", evidence.to_markdown()),
            }
            let (rules, cases, failures, gaps) = (set.rules().len(), evidence.case_count(), evidence.failures(), evidence.gaps());
            if evidence.is_proved() {
                eprintln!(
                    "eligibility rules {} (in force from {}): {rules} rules, {cases} cases, all as expected",
                    set.version(),
                    set.effective_from()
                );
                Ok(ExitCode::SUCCESS)
            } else {
                for (code, case, problem) in &failures {
                    eprintln!("{code} / {case}: {problem}");
                }
                if !gaps.is_empty() {
                    eprintln!("rules lacking a passing or a failing case: {}", gaps.join(", "));
                }
                eprintln!(
                    "eligibility rules {}: NOT PROVED ({} case(s) not as expected, {} rule(s) without both kinds of case)",
                    set.version(),
                    failures.len(),
                    gaps.len()
                );
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

fn rule_book(path: Option<&Path>) -> anyhow::Result<RuleBook> {
    match path {
        None => Ok(RuleBook::defaults()),
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading eligibility rules {}", p.display()))?;
            RuleBook::from_json(&text).with_context(|| format!("eligibility rules {}", p.display()))
        }
    }
}

/// The decision on a case given as JSON text, as pretty JSON.
fn decide(book: &RuleBook, input: &str) -> anyhow::Result<String> {
    let case = EligibilityCase::from_json(input).context("the eligibility case on standard input")?;
    let decision = evaluate(book, &case).context("the eligibility case on standard input")?;
    Ok(serde_json::to_string_pretty(&decision)?)
}

/// The dating of a case given as JSON text, as pretty JSON.
fn date_case(input: &str) -> anyhow::Result<String> {
    let case = domain::dating::case_from_json(input).context("the dating case on standard input")?;
    let d = domain::dating::expiry(&domain::dating::DatingBook::defaults(), &case).context("the dating case on standard input")?;
    Ok(serde_json::to_string_pretty(&d)?)
}

/// The compatibility of a case given as JSON text, as pretty JSON.
fn compatibility(input: &str) -> anyhow::Result<String> {
    let case = domain::compatibility::case_from_json(input)
        .map_err(|(field, message)| anyhow::anyhow!("{field}: {message}"))
        .context("the compatibility case on standard input")?;
    Ok(serde_json::to_string_pretty(&domain::compatibility::compatible(&case))?)
}

fn apheresis_plan(input: &str) -> anyhow::Result<String> {
    let case = domain::apheresis::case_from_json(input)
        .map_err(|(field, message)| anyhow::anyhow!("{field}: {message}"))
        .context("the apheresis case on standard input")?;
    let plan =
        domain::apheresis::plan(&case).map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message)).context("the apheresis case on standard input")?;
    Ok(serde_json::to_string_pretty(&plan)?)
}

fn write_report(evidence: &Evidence, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let md = dir.join(REPORT_MARKDOWN);
    let html = dir.join(REPORT_HTML);
    std::fs::write(&md, evidence.to_markdown()).with_context(|| format!("writing {}", md.display()))?;
    std::fs::write(&html, evidence.to_html()).with_context(|| format!("writing {}", html.display()))?;
    Ok((md, html))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: &str = r#"{"date": "2026-03-02", "procedure": "platelets",
        "donor": {"sex": "F", "birth_date": "1988-02-29", "weight_kg": 64},
        "screening": {"hemoglobin_g_dl": 13.0, "pulse_bpm": 66, "bp_systolic": 112, "bp_diastolic": 70, "temperature_c": 36.5},
        "medications": [{"name": "aspirin", "last_dose": "2026-03-01"}]}"#;

    #[test]
    fn a_case_on_stdin_gives_the_decision_as_json() {
        let out: serde_json::Value = serde_json::from_str(&decide(&RuleBook::defaults(), CASE).unwrap()).unwrap();
        assert_eq!(out["eligible"], false);
        assert_eq!(out["reasons"][0]["code"], "MED_PLT_ASPIRIN_PIROXICAM");
        assert_eq!(out["next_eligible_date"], "2026-03-03");
        let eligible = CASE.replace("platelets", "whole_blood");
        let out: serde_json::Value = serde_json::from_str(&decide(&RuleBook::defaults(), &eligible).unwrap()).unwrap();
        assert_eq!(out["eligible"], true);
        assert_eq!(out["reasons"], serde_json::json!([]));
    }

    #[test]
    fn bad_input_is_an_error_naming_the_field() {
        let e = decide(&RuleBook::defaults(), &CASE.replace("\"pulse_bpm\": 66", "\"pulse_bpm\": 0")).unwrap_err();
        assert!(format!("{e:#}").contains("screening.pulse_bpm: 0 bpm is not a possible pulse"), "{e:#}");
        let e = decide(&RuleBook::defaults(), &CASE.replace("\"procedure\"", "\"site\": \"x\", \"procedure\"")).unwrap_err();
        assert!(format!("{e:#}").contains("unknown field `site`"), "{e:#}");
        let e = decide(&RuleBook::defaults(), &CASE.replace("aspirin", "ibuprofen")).unwrap_err();
        assert!(format!("{e:#}").contains("'ibuprofen' is not on the medication deferral list"), "{e:#}");
    }

    #[test]
    fn the_report_is_written_as_markdown_and_html() {
        let dir = tempfile::tempdir().unwrap();
        let book = RuleBook::defaults();
        let evidence = Evidence::run(&book.versions()[0]);
        let (md, html) = write_report(&evidence, &dir.path().join("evidence")).unwrap();
        assert!(std::fs::read_to_string(md).unwrap().contains("Verdict: PROVED"));
        assert!(std::fs::read_to_string(html).unwrap().starts_with("<!doctype html>"));
    }

    #[test]
    fn a_rule_file_replaces_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.json");
        std::fs::write(&path, domain::eligibility::DEFAULT_RULES_JSON.replace(r#""version": "1""#, r#""version": "1-local""#)).unwrap();
        assert_eq!(rule_book(Some(&path)).unwrap().versions()[0].version(), "1-local");
        std::fs::write(&path, "{}").unwrap();
        assert!(format!("{:#}", rule_book(Some(&path)).unwrap_err()).contains("missing field"));
    }
}
