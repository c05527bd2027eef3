//! The donor history questionnaire: a versioned, configurable question set whose
//! answers become inputs of the eligibility engine (events with their dates,
//! medications with their last dose), entries of the deferred-donor register, or a
//! "not today" decision.
//!
//! The questions are data (`questionnaire-v1.json`, versions with effective dates,
//! more versions stored by quality staff); what an answer means is one of the few
//! kinds of [`Ask`]. The periods themselves are not here: a tattoo answer is an
//! event, and the rule version in force says how long a tattoo defers. A question's
//! text says `{period}` where it names that period ("In the past {period}, have
//! you had a tattoo…"), and the text shown is written from the rule in force, so a
//! changed rule changes its question. A text that names a period in words must name
//! the rule's (see [`Questionnaire::period_mismatches`]).

use crate::eligibility::{DeferralKind, Event, EventKind, MedicationDose, Period, Reason, RuleSet};
use crate::{FieldError, FieldErrors, Sex};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The question set shipped with hemaflow.
pub const DEFAULT_QUESTIONNAIRE_JSON: &str = include_str!("questionnaire-v1.json");

/// One version of the question set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    pub version: String,
    /// The first day this version is asked.
    pub effective_from: NaiveDate,
    pub title: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "QuestionSpec", try_from = "QuestionSpec")]
pub struct Question {
    /// Stable id, lower case (`tattoo`); answers are keyed by it.
    pub id: String,
    pub text: String,
    /// Asked only of donors of this sex; absent: everyone.
    pub sex: Option<Sex>,
    pub ask: Ask,
}

impl Question {
    /// The text with `{period}` written out as the rules in `set` defer for its event
    /// ("3 months"); the longest where several rules do.
    pub fn text_for(&self, set: &RuleSet) -> String {
        let Ask::DateIfYes { event } = self.ask else { return self.text.clone() };
        let far = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");
        let longest = set.event_periods(event).into_iter().max_by_key(|p| p.end(far).unwrap_or(NaiveDate::MAX));
        match longest {
            Some(p) => self.text.replace(PERIOD_FIELD, &p.to_string()),
            None => self.text.clone(),
        }
    }
}

/// Where a question's text names its rule's period.
const PERIOD_FIELD: &str = "{period}";

/// "past 3 months" in a text: the words and the period.
fn period_in_text(text: &str) -> Option<(String, Period)> {
    let lower = text.to_lowercase();
    let at = lower.find("past ")?;
    let mut words = lower[at + 5..].split_whitespace();
    let n: u32 = words.next()?.parse().ok()?;
    let unit = words.next()?.trim_end_matches([',', '.', ';', ':', ')']);
    let period = match unit {
        "day" | "days" => Period::Days(n),
        "week" | "weeks" => Period::Weeks(n),
        "month" | "months" => Period::Months(n),
        "year" | "years" => Period::Years(n),
        _ => return None,
    };
    Some((format!("past {n} {unit}"), period))
}

/// Periods that end on the same day from any start (12 months and 1 year do; 4 weeks
/// and 1 month do not). Month ends and a leap day are the starts that tell them apart.
fn same_length(a: Period, b: Period) -> bool {
    ["2024-01-31", "2024-02-29", "2023-02-28", "2024-06-15", "2023-12-31"]
        .iter()
        .map(|d| d.parse::<NaiveDate>().expect("a date"))
        .all(|from| a.end(from) == b.end(from))
}

/// What kind of answer a question takes and what it means.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    /// "No", or "yes" with the date it happened: the engine's event of that kind.
    DateIfYes { event: EventKind },
    /// The listed medicines taken, each with the date of the last dose.
    Medications,
    /// Yes or no; the answer `defer_on` leads to `outcome`.
    YesNo { defer_on: YesNo, outcome: Outcome },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AnswerKind {
    DateIfYes,
    Medications,
    YesNo,
}

/// A question as written in the JSON (flat, every key checked).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionSpec {
    id: String,
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sex: Option<Sex>,
    answer: AnswerKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event: Option<EventKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    defer_on: Option<YesNo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome>,
}

impl From<Question> for QuestionSpec {
    fn from(q: Question) -> Self {
        let (answer, event, defer_on, outcome) = match q.ask {
            Ask::DateIfYes { event } => (AnswerKind::DateIfYes, Some(event), None, None),
            Ask::Medications => (AnswerKind::Medications, None, None, None),
            Ask::YesNo { defer_on, outcome } => (AnswerKind::YesNo, None, Some(defer_on), Some(outcome)),
        };
        Self { id: q.id, text: q.text, sex: q.sex, answer, event, defer_on, outcome }
    }
}

impl TryFrom<QuestionSpec> for Question {
    type Error = String;

    fn try_from(s: QuestionSpec) -> Result<Self, String> {
        let ask = match (s.answer, s.event, s.defer_on, s.outcome) {
            (AnswerKind::DateIfYes, Some(event), None, None) => Ask::DateIfYes { event },
            (AnswerKind::Medications, None, None, None) => Ask::Medications,
            (AnswerKind::YesNo, None, Some(defer_on), Some(outcome)) => Ask::YesNo { defer_on, outcome },
            (AnswerKind::DateIfYes, ..) => return Err(format!("question '{}': date_if_yes takes `event` and nothing else", s.id)),
            (AnswerKind::Medications, ..) => return Err(format!("question '{}': medications takes no event, defer_on or outcome", s.id)),
            (AnswerKind::YesNo, ..) => return Err(format!("question '{}': yes_no takes `defer_on` and `outcome` and no event", s.id)),
        };
        Ok(Self { id: s.id, text: s.text, sex: s.sex, ask })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YesNo {
    Yes,
    No,
}

/// What a deferring yes/no answer does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// An indefinite or permanent entry in the deferred-donor register.
    Register { deferral: DeferralKind, code: String, reason: String, source: String },
    /// Not eligible today; the donor may be screened again on another day.
    NotToday { code: String, message: String, source: String },
}

/// One answer as given: `false` ("no"), `true` ("yes", for yes/no questions),
/// `{"date": "YYYY-MM-DD"}` ("yes, on that date") or a list of medicines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Flag(bool),
    Date { date: NaiveDate },
    Medications(Vec<MedicationDose>),
}

/// A register entry an answer calls for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegisterEntry {
    pub question: String,
    pub deferral: DeferralKind,
    pub code: String,
    pub reason: String,
    pub source: String,
}

/// What the answers mean for the engine and the register.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Interpretation {
    pub events: Vec<Event>,
    pub medications: Vec<MedicationDose>,
    pub register: Vec<RegisterEntry>,
    pub not_today: Vec<Reason>,
}

/// Why a question set could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("questionnaire {version}: {message}")]
pub struct QuestionnaireError {
    pub version: String,
    pub message: String,
}

impl Questionnaire {
    /// Reads and checks one version.
    pub fn from_json(text: &str) -> Result<Self, QuestionnaireError> {
        let q: Questionnaire = serde_json::from_str(text).map_err(|e| QuestionnaireError { version: "?".into(), message: e.to_string() })?;
        q.check()?;
        Ok(q)
    }

    fn check(&self) -> Result<(), QuestionnaireError> {
        let err = |message: String| QuestionnaireError { version: self.version.clone(), message };
        if self.version.trim().is_empty() || self.version.trim() != self.version {
            return Err(err("the version must be a non-empty name without surrounding spaces".into()));
        }
        if self.questions.is_empty() {
            return Err(err("has no questions".into()));
        }
        let mut ids = BTreeSet::new();
        for q in &self.questions {
            if q.id.is_empty() || !q.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                return Err(err(format!("question id '{}' must be lower-case letters, digits and _", q.id)));
            }
            if !ids.insert(q.id.as_str()) {
                return Err(err(format!("question id '{}' is used twice", q.id)));
            }
            if q.text.trim().is_empty() {
                return Err(err(format!("question '{}' has no text", q.id)));
            }
            if q.text.contains(PERIOD_FIELD) && !matches!(q.ask, Ask::DateIfYes { .. }) {
                return Err(err(format!("question '{}' says {PERIOD_FIELD}, but only a date question has a rule period", q.id)));
            }
            if let Ask::YesNo { outcome, .. } = &q.ask {
                let code = match outcome {
                    Outcome::Register { deferral, code, .. } => {
                        if *deferral == DeferralKind::Temporary {
                            return Err(err(format!(
                                "question '{}': a temporary deferral needs a date; ask with date_if_yes and an event the rules defer for",
                                q.id
                            )));
                        }
                        code
                    }
                    Outcome::NotToday { code, .. } => {
                        // Visits tell these apart from the engine's reasons by the prefix.
                        if !code.starts_with("Q_") {
                            return Err(err(format!("question '{}': a not_today code starts with Q_ (got '{code}')", q.id)));
                        }
                        code
                    }
                };
                if code.is_empty() || !code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
                    return Err(err(format!("question '{}': code '{code}' must be upper-case letters, digits and _", q.id)));
                }
            }
        }
        if self.questions.iter().filter(|q| matches!(q.ask, Ask::Medications)).count() > 1 {
            return Err(err("asks for medications twice".into()));
        }
        Ok(())
    }

    /// Date questions whose text names a look-back period in words ("In the past 3
    /// months") that is not how long the rules defer for the question's event: the
    /// donor would be asked about the wrong window. One message per question.
    pub fn period_mismatches(&self, set: &RuleSet) -> Vec<String> {
        let mut out = Vec::new();
        for q in &self.questions {
            let Ask::DateIfYes { event } = q.ask else { continue };
            let Some((words, asked)) = period_in_text(&q.text) else { continue };
            let periods = set.event_periods(event);
            if !periods.is_empty() && !periods.iter().any(|p| same_length(*p, asked)) {
                let rule = periods.iter().map(ToString::to_string).collect::<Vec<_>>().join(" or ");
                out.push(format!(
                    "question '{}' asks about \"{words}\" but rule version {} defers {rule} for it; write {{period}} in the text \
                     so that it follows the rule",
                    q.id,
                    set.version()
                ));
            }
        }
        out
    }

    /// This version with each `{period}` written out from the rules in `set`.
    pub fn with_periods(&self, set: &RuleSet) -> Questionnaire {
        let mut q = self.clone();
        for question in &mut q.questions {
            question.text = question.text_for(set);
        }
        q
    }

    /// The questions asked of a donor of this sex, in order.
    pub fn questions_for(&self, sex: Sex) -> impl Iterator<Item = &Question> {
        self.questions.iter().filter(move |q| q.sex.is_none_or(|s| s == sex))
    }

    /// Reads the answers of a donor of `sex` screened on `date`. Every question asked
    /// must be answered, with the kind of answer it takes; dates may not be after
    /// `date`; answers to questions that were not asked are refused.
    pub fn interpret(&self, sex: Sex, date: NaiveDate, answers: &BTreeMap<String, Answer>) -> Result<Interpretation, FieldErrors> {
        let mut errors = Vec::new();
        let mut out = Interpretation::default();
        let asked: Vec<&Question> = self.questions_for(sex).collect();
        for id in answers.keys() {
            if !asked.iter().any(|q| &q.id == id) {
                errors.push(FieldError::new(
                    format!("answers.{id}"),
                    format!("'{id}' is not a question of questionnaire {} for this donor", self.version),
                ));
            }
        }
        for q in asked {
            let field = format!("answers.{}", q.id);
            let Some(answer) = answers.get(&q.id) else {
                errors.push(FieldError::new(field, format!("not answered: {}", q.text)));
                continue;
            };
            match (&q.ask, answer) {
                (Ask::DateIfYes { .. }, Answer::Flag(false)) | (Ask::Medications, Answer::Flag(false)) => {}
                (Ask::DateIfYes { event }, Answer::Date { date: when }) => {
                    if *when > date {
                        errors.push(FieldError::new(field, format!("{when} is after the day of screening ({date})")));
                    } else {
                        out.events.push(Event { kind: *event, date: *when });
                    }
                }
                (Ask::Medications, Answer::Medications(list)) => {
                    if list.is_empty() {
                        errors.push(FieldError::new(field, "a yes needs at least one medicine with its last dose; answer false for none"));
                    }
                    out.medications.extend(list.iter().cloned());
                }
                (Ask::YesNo { defer_on, outcome }, Answer::Flag(yes)) => {
                    let given = if *yes { YesNo::Yes } else { YesNo::No };
                    if given == *defer_on {
                        match outcome {
                            Outcome::Register { deferral, code, reason, source } => out.register.push(RegisterEntry {
                                question: q.id.clone(),
                                deferral: *deferral,
                                code: code.clone(),
                                reason: reason.clone(),
                                source: source.clone(),
                            }),
                            Outcome::NotToday { code, message, source } => {
                                out.not_today.push(Reason { code: code.clone(), message: message.clone(), source: source.clone() })
                            }
                        }
                    }
                }
                (ask, _) => {
                    let expected = match ask {
                        Ask::DateIfYes { .. } => "false (no) or {\"date\": \"YYYY-MM-DD\"} (yes, on that date)",
                        Ask::Medications => "false (none) or a list of {\"name\", \"last_dose\"}",
                        Ask::YesNo { .. } => "true (yes) or false (no)",
                    };
                    errors.push(FieldError::new(field, format!("answer with {expected}")));
                }
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(FieldErrors(errors))
        }
    }
}

/// Every version of the question set, ordered by the date it comes into force.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionnaireBook {
    versions: Vec<Questionnaire>,
}

impl QuestionnaireBook {
    /// Two versions may not share a name or a start date.
    pub fn new(mut versions: Vec<Questionnaire>) -> Result<Self, QuestionnaireError> {
        versions.sort_by_key(|v| v.effective_from);
        for pair in versions.windows(2) {
            if pair[0].effective_from == pair[1].effective_from {
                return Err(QuestionnaireError {
                    version: pair[1].version.clone(),
                    message: format!("comes into force on {}, the same day as version {}", pair[1].effective_from, pair[0].version),
                });
            }
        }
        let mut names = BTreeSet::new();
        if let Some(dup) = versions.iter().find(|v| !names.insert(v.version.as_str())) {
            return Err(QuestionnaireError { version: dup.version.clone(), message: "the version name is used twice".into() });
        }
        Ok(Self { versions })
    }

    pub fn defaults() -> Self {
        let q = Questionnaire::from_json(DEFAULT_QUESTIONNAIRE_JSON).expect("the embedded questionnaire is valid (checked by the tests)");
        Self { versions: vec![q] }
    }

    /// The version asked on `date`.
    pub fn in_force(&self, date: NaiveDate) -> Option<&Questionnaire> {
        self.versions.iter().rev().find(|v| v.effective_from <= date)
    }

    pub fn versions(&self) -> &[Questionnaire] {
        &self.versions
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eligibility::RuleBook;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn all_no(q: &Questionnaire, sex: Sex) -> BTreeMap<String, Answer> {
        q.questions_for(sex)
            .map(|x| {
                let a = match &x.ask {
                    Ask::YesNo { defer_on: YesNo::No, .. } => Answer::Flag(true),
                    _ => Answer::Flag(false),
                };
                (x.id.clone(), a)
            })
            .collect()
    }

    #[test]
    fn the_default_questions_load_and_every_event_has_a_rule() {
        let book = QuestionnaireBook::defaults();
        let q = book.in_force(d("2026-11-25")).unwrap();
        let rules = RuleBook::defaults();
        let set = rules.in_force(d("2026-11-25")).unwrap();
        for question in &q.questions {
            if let Ask::DateIfYes { event } = question.ask {
                assert!(set.has_event_rule(event), "no rule defers for the event of question {}", question.id);
            }
        }
        assert!(book.in_force(d("2025-07-08")).is_none());
    }

    /// The default rules with the tattoo deferral changed to `defer`.
    fn rules_with_tattoo(defer: serde_json::Value) -> RuleSet {
        let mut spec: serde_json::Value = serde_json::from_str(crate::eligibility::DEFAULT_RULES_JSON).unwrap();
        for rule in spec["rules"].as_array_mut().unwrap() {
            if rule["code"] == "EVENT_TATTOO" {
                rule["check"]["defer"] = defer.clone();
            }
        }
        RuleSet::from_json(&spec.to_string()).unwrap()
    }

    #[test]
    fn question_texts_name_the_period_of_the_rule_in_force() {
        let q = QuestionnaireBook::defaults().in_force(d("2026-11-25")).unwrap().clone();
        let set = RuleBook::defaults().in_force(d("2026-11-25")).unwrap().clone();
        let shown = q.with_periods(&set);
        let text = |q: &Questionnaire, id: &str| q.questions.iter().find(|x| x.id == id).unwrap().text.clone();
        assert!(text(&shown, "tattoo").starts_with("In the past 3 months, have you had a tattoo"), "{}", text(&shown, "tattoo"));
        assert!(text(&shown, "pregnancy_end").starts_with("In the past 6 weeks,"));
        assert!(text(&shown, "incarceration").starts_with("In the past 12 months,"));
        assert!(text(&shown, "malaria_history").starts_with("In the past 3 years,"));
        assert!(shown.questions.iter().all(|x| !x.text.contains("{period}")), "every field written out");
        assert!(q.period_mismatches(&set).is_empty());
        assert!(shown.period_mismatches(&set).is_empty(), "the written-out texts agree with their rules");

        // The rule changes: the question changes with it.
        let four = rules_with_tattoo(serde_json::json!({"months": 4}));
        assert!(text(&q.with_periods(&four), "tattoo").starts_with("In the past 4 months, have you had a tattoo"));
        // A text that names the old period in words is refused against the new rule.
        let m = shown.period_mismatches(&four);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("'tattoo'") && m[0].contains("past 3 months") && m[0].contains("4 months"), "{}", m[0]);
        // The same length in other words is no mismatch; a different length is.
        assert!(shown.period_mismatches(&rules_with_tattoo(serde_json::json!({"weeks": 13}))).len() == 1);
        let mut a_year = shown.clone();
        a_year.questions.iter_mut().find(|x| x.id == "tattoo").unwrap().text = "In the past 1 year, a tattoo? (date)".into();
        assert!(a_year.period_mismatches(&rules_with_tattoo(serde_json::json!({"months": 12}))).is_empty());
        assert_eq!(a_year.period_mismatches(&rules_with_tattoo(serde_json::json!({"weeks": 52}))).len(), 1);
    }

    #[test]
    fn only_a_date_question_may_name_a_rule_period() {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT_QUESTIONNAIRE_JSON).unwrap();
        v["questions"][0]["text"] = "In the past {period}, have you felt well?".into();
        let e = Questionnaire::from_json(&v.to_string()).unwrap_err();
        assert!(e.message.contains("feeling_well") && e.message.contains("{period}"), "{}", e.message);
    }

    #[test]
    fn a_clean_questionnaire_means_nothing_for_the_engine() {
        let q = QuestionnaireBook::defaults().versions()[0].clone();
        let out = q.interpret(Sex::Female, d("2026-11-25"), &all_no(&q, Sex::Female)).unwrap();
        assert_eq!(out, Interpretation::default());
    }

    #[test]
    fn answers_become_events_medications_register_entries_and_not_today() {
        let q = QuestionnaireBook::defaults().versions()[0].clone();
        let mut a = all_no(&q, Sex::Male);
        a.insert("tattoo".into(), Answer::Date { date: d("2026-10-01") });
        a.insert("medications".into(), Answer::Medications(vec![MedicationDose { name: "finasteride".into(), last_dose: d("2026-11-20") }]));
        a.insert("hiv_positive".into(), Answer::Flag(true));
        a.insert("feeling_well".into(), Answer::Flag(false));
        let out = q.interpret(Sex::Male, d("2026-11-25"), &a).unwrap();
        assert_eq!(out.events, vec![Event { kind: EventKind::Tattoo, date: d("2026-10-01") }]);
        assert_eq!(out.medications.len(), 1);
        assert_eq!(out.register[0].code, "HIV_POSITIVE");
        assert_eq!(out.register[0].deferral, DeferralKind::Indefinite);
        assert_eq!(out.not_today[0].code, "Q_NOT_WELL");
    }

    #[test]
    fn missing_unknown_misshapen_and_future_answers_are_refused() {
        let q = QuestionnaireBook::defaults().versions()[0].clone();
        let mut a = all_no(&q, Sex::Male);
        a.remove("tattoo");
        a.insert("pregnant_now".into(), Answer::Flag(false)); // not asked of men
        a.insert("piercing".into(), Answer::Flag(true)); // needs a date
        a.insert("transfusion".into(), Answer::Date { date: d("2026-11-26") });
        let e = q.interpret(Sex::Male, d("2026-11-25"), &a).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_ref()).collect();
        assert!(fields.contains(&"answers.tattoo"), "{e}");
        assert!(fields.contains(&"answers.pregnant_now"), "{e}");
        assert!(fields.contains(&"answers.piercing"), "{e}");
        assert!(fields.contains(&"answers.transfusion"), "{e}");
    }

    #[test]
    fn bad_question_sets_are_refused() {
        let base: serde_json::Value = serde_json::from_str(DEFAULT_QUESTIONNAIRE_JSON).unwrap();
        let mut dup = base.clone();
        let first = dup["questions"][0].clone();
        dup["questions"].as_array_mut().unwrap().push(first);
        assert!(Questionnaire::from_json(&dup.to_string()).unwrap_err().message.contains("used twice"));
        let mut unknown = base.clone();
        unknown["questions"][4]["event"] = "sunburn".into();
        assert!(Questionnaire::from_json(&unknown.to_string()).is_err());
        let mut temp = base;
        temp["questions"][0]["outcome"] = serde_json::json!({"kind": "register", "deferral": "temporary", "code": "X", "reason": "r", "source": "s"});
        assert!(Questionnaire::from_json(&temp.to_string()).unwrap_err().message.contains("temporary"));
    }
}
