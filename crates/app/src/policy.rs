//! The eligibility rules and the donor questionnaire in force: the versions the
//! centre was started with plus the versions quality staff stored since. A stored
//! version is proved before it is accepted (every rule case comes out as expected)
//! and may only come into force from today on, so no past decision changes meaning.

use crate::{Actor, App, AppError, Result};
use domain::eligibility::{Evidence, RuleBook, RuleSet};
use domain::questionnaire::{Ask, Questionnaire, QuestionnaireBook};
use domain::{AuditDraft, FieldError, Permission};
use serde::Serialize;
use serde_json::json;
use std::sync::{Arc, RwLock};
use store::PolicyVersionRow;

pub const RULES: &str = "eligibility_rules";
pub const QUESTIONNAIRE: &str = "questionnaire";

/// The books last read, with how many stored versions each was built from.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    rules: Option<(i64, Arc<RuleBook>)>,
    questionnaires: Option<(i64, Arc<QuestionnaireBook>)>,
}

pub(crate) type SharedPolicy = Arc<RwLock<PolicyCache>>;

/// One version as listed for people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyVersionView {
    pub version: String,
    pub effective_from: chrono::NaiveDate,
    /// `built-in` for the versions hemaflow was started with.
    pub entered_by: String,
    pub entered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub reason: Option<String>,
    /// In force today (the latest version whose date has come).
    pub in_force: bool,
}

fn invalid(field: &'static str, message: impl Into<String>) -> AppError {
    FieldError::new(field, message).into()
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Store(store::StoreError::Corrupt(format!("stored {what} no longer reads: {e}")))
}

impl App {
    /// Every rule version: the built-in ones and those stored by quality.
    pub async fn rule_book(&self) -> Result<Arc<RuleBook>> {
        let count = self.store.policy_version_count(RULES).await?;
        if let Some((n, book)) = &self.policy.read().expect("policy cache lock").rules {
            if *n == count {
                return Ok(book.clone());
            }
        }
        let rows = self.store.policy_versions(RULES).await?;
        let book = Arc::new(self.rules_with(&rows, None)?);
        self.policy.write().expect("policy cache lock").rules = Some((rows.len() as i64, book.clone()));
        Ok(book)
    }

    /// Every questionnaire version: the built-in ones and those stored by quality.
    pub async fn questionnaire_book(&self) -> Result<Arc<QuestionnaireBook>> {
        let count = self.store.policy_version_count(QUESTIONNAIRE).await?;
        if let Some((n, book)) = &self.policy.read().expect("policy cache lock").questionnaires {
            if *n == count {
                return Ok(book.clone());
            }
        }
        let rows = self.store.policy_versions(QUESTIONNAIRE).await?;
        let book = Arc::new(Self::questionnaires_with(&rows, None)?);
        self.policy.write().expect("policy cache lock").questionnaires = Some((rows.len() as i64, book.clone()));
        Ok(book)
    }

    fn rules_with(&self, rows: &[PolicyVersionRow], extra: Option<RuleSet>) -> Result<RuleBook> {
        let mut sets: Vec<RuleSet> = self.settings.eligibility.versions().to_vec();
        for r in rows {
            sets.push(RuleSet::from_json(&r.body).map_err(|e| corrupt("eligibility rules", e))?);
        }
        let checking = extra.is_some();
        sets.extend(extra);
        RuleBook::new(sets).map_err(|e| if checking { invalid("rules", e.to_string()) } else { corrupt("eligibility rules", e) })
    }

    fn questionnaires_with(rows: &[PolicyVersionRow], extra: Option<Questionnaire>) -> Result<QuestionnaireBook> {
        let mut versions = QuestionnaireBook::defaults().versions().to_vec();
        for r in rows {
            versions.push(Questionnaire::from_json(&r.body).map_err(|e| corrupt("questionnaire", e))?);
        }
        let checking = extra.is_some();
        versions.extend(extra);
        QuestionnaireBook::new(versions).map_err(|e| if checking { invalid("questionnaire", e.to_string()) } else { corrupt("questionnaire", e) })
    }

    pub async fn rule_versions(&self, actor: &Actor) -> Result<Vec<PolicyVersionView>> {
        actor.require(Permission::EvaluateEligibility)?;
        let book = self.rule_book().await?;
        let rows = self.store.policy_versions(RULES).await?;
        let current = book.in_force(self.today()).map(|s| s.version().to_string());
        Ok(book
            .versions()
            .iter()
            .map(|s| {
                let row = rows.iter().find(|r| r.version == s.version());
                PolicyVersionView {
                    version: s.version().into(),
                    effective_from: s.effective_from(),
                    entered_by: row.map_or_else(|| "built-in".into(), |r| r.entered_by.clone()),
                    entered_at: row.map(|r| r.entered_at),
                    reason: row.map(|r| r.reason.clone()),
                    in_force: current.as_deref() == Some(s.version()),
                }
            })
            .collect())
    }

    pub async fn questionnaire_versions(&self, actor: &Actor) -> Result<Vec<PolicyVersionView>> {
        actor.require(Permission::ViewDonors)?;
        let book = self.questionnaire_book().await?;
        let rows = self.store.policy_versions(QUESTIONNAIRE).await?;
        let current = book.in_force(self.today()).map(|q| q.version.clone());
        Ok(book
            .versions()
            .iter()
            .map(|q| {
                let row = rows.iter().find(|r| r.version == q.version);
                PolicyVersionView {
                    version: q.version.clone(),
                    effective_from: q.effective_from,
                    entered_by: row.map_or_else(|| "built-in".into(), |r| r.entered_by.clone()),
                    entered_at: row.map(|r| r.entered_at),
                    reason: row.map(|r| r.reason.clone()),
                    in_force: current.as_deref() == Some(q.version.as_str()),
                }
            })
            .collect())
    }

    /// Stores a new version of the eligibility rules. It must read, come into force
    /// today or later, and be proved by its own cases (every rule with a passing and a
    /// failing case, every case as expected).
    pub async fn add_rule_version(&self, actor: &Actor, body: &str, reason: &str) -> Result<PolicyVersionView> {
        actor.require(Permission::ManageEligibilityRules)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(invalid("reason", "say why the rules change (change control)"));
        }
        let set = RuleSet::from_json(body).map_err(|e| invalid("rules", e.to_string()))?;
        let today = self.today();
        if set.effective_from() < today {
            return Err(invalid(
                "rules",
                format!(
                    "version {} would come into force on {}, before today ({today}); past decisions keep the rules they were made with",
                    set.version(),
                    set.effective_from()
                ),
            ));
        }
        let evidence = Evidence::run(&set);
        let failures: Vec<String> = evidence.failures().iter().map(|(code, case, problem)| format!("{code} / {case}: {problem}")).collect();
        if !failures.is_empty() {
            return Err(invalid("rules", format!("the version's own cases do not come out as expected: {}", failures.join("; "))));
        }
        let gaps = evidence.gaps();
        if !gaps.is_empty() {
            return Err(invalid("rules", format!("every rule needs a passing and a failing case; missing for {}", gaps.join(", "))));
        }
        // A question that names a period in words must still name it under the new
        // rules, in every questionnaire version asked while they are in force.
        let questionnaires = self.questionnaire_book().await?;
        let asked = questionnaires.versions().iter().enumerate().filter(|(i, _)| {
            let next = questionnaires.versions().get(i + 1).map(|n| n.effective_from);
            next.is_none_or(|n| n > set.effective_from())
        });
        let mismatches: Vec<String> =
            asked.flat_map(|(_, q)| q.period_mismatches(&set).into_iter().map(|m| format!("questionnaire {}: {m}", q.version))).collect();
        if !mismatches.is_empty() {
            return Err(invalid("rules", mismatches.join("; ")));
        }
        let mut tx = self.store.begin_write().await?;
        let rows = tx.policy_versions(RULES).await?;
        let book = self.rules_with(&rows, Some(set.clone()))?;
        let previous = book.versions().iter().rev().find(|s| s.effective_from() < set.effective_from());
        let changed: Vec<String> = match previous {
            Some(prev) => {
                let mut codes: Vec<String> = set.rules().iter().filter(|r| prev.rule(&r.code) != Some(*r)).map(|r| r.code.clone()).collect();
                codes.extend(prev.rules().iter().filter(|r| set.rule(&r.code).is_none()).map(|r| format!("{} (removed)", r.code)));
                codes
            }
            None => set.rules().iter().map(|r| r.code.clone()).collect(),
        };
        let row = PolicyVersionRow {
            kind: RULES.into(),
            version: set.version().into(),
            effective_from: set.effective_from(),
            body: serde_json::to_string_pretty(set.spec()).map_err(|e| corrupt("eligibility rules", e))?,
            entered_at: store::now(),
            entered_by: actor.username.clone(),
            reason: reason.into(),
        };
        tx.insert_policy_version(&row).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "rules.version.add", "eligibility_rules", set.version())
                .after(json!({
                    "version": set.version(), "effective_from": set.effective_from(), "rules": set.rules().len(),
                    "cases": evidence.case_count(), "replaces": previous.map(|p| p.version()), "changed_rules": changed,
                }))
                .reason(Some(reason.into())),
        )
        .await?;
        tx.commit().await?;
        Ok(PolicyVersionView {
            version: row.version,
            effective_from: row.effective_from,
            entered_by: row.entered_by,
            entered_at: Some(row.entered_at),
            reason: Some(row.reason),
            in_force: row.effective_from == today,
        })
    }

    /// Stores a new version of the questionnaire (from today on). Every event a
    /// question asks about must have a rule in the rule version in force that day.
    pub async fn add_questionnaire_version(&self, actor: &Actor, body: &str, reason: &str) -> Result<PolicyVersionView> {
        actor.require(Permission::ManageEligibilityRules)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(invalid("reason", "say why the questions change (change control)"));
        }
        let q = Questionnaire::from_json(body).map_err(|e| invalid("questionnaire", e.to_string()))?;
        let today = self.today();
        if q.effective_from < today {
            return Err(invalid(
                "questionnaire",
                format!("version {} would come into force on {}, before today ({today})", q.version, q.effective_from),
            ));
        }
        let rules = self.rule_book().await?;
        let set = rules
            .in_force(q.effective_from)
            .ok_or_else(|| invalid("questionnaire", format!("no eligibility rules are in force on {}", q.effective_from)))?;
        let mismatches = q.period_mismatches(set);
        if !mismatches.is_empty() {
            return Err(invalid("questionnaire", mismatches.join("; ")));
        }
        for question in &q.questions {
            if let Ask::DateIfYes { event } = question.ask {
                if !set.rules().iter().any(|r| matches!(r.check, domain::eligibility::Check::Event { event: e, .. } if e == event)) {
                    return Err(invalid(
                        "questionnaire",
                        format!("question '{}' asks about {}, but rule version {} has no rule for it", question.id, event.as_str(), set.version()),
                    ));
                }
            }
        }
        let mut tx = self.store.begin_write().await?;
        let rows = tx.policy_versions(QUESTIONNAIRE).await?;
        Self::questionnaires_with(&rows, Some(q.clone()))?;
        let row = PolicyVersionRow {
            kind: QUESTIONNAIRE.into(),
            version: q.version.clone(),
            effective_from: q.effective_from,
            body: serde_json::to_string_pretty(&q).map_err(|e| corrupt("questionnaire", e))?,
            entered_at: store::now(),
            entered_by: actor.username.clone(),
            reason: reason.into(),
        };
        tx.insert_policy_version(&row).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "questionnaire.version.add", "questionnaire", &q.version)
                .after(json!({"version": q.version, "effective_from": q.effective_from, "questions": q.questions.iter().map(|x| &x.id).collect::<Vec<_>>()}))
                .reason(Some(reason.into())),
        )
        .await?;
        tx.commit().await?;
        Ok(PolicyVersionView {
            version: row.version,
            effective_from: row.effective_from,
            entered_by: row.entered_by,
            entered_at: Some(row.entered_at),
            reason: Some(row.reason),
            in_force: row.effective_from == today,
        })
    }
}

/// Quality's change to one rule, as entered in its form.
#[derive(Debug, Clone, Default)]
pub struct RuleChangeInput {
    /// Each number field's text by its key (`max`, `period`, `period_unit`, …).
    pub numbers: std::collections::BTreeMap<String, String>,
    pub title: String,
    pub source: String,
    pub version: String,
    pub effective_from: String,
    pub reason: String,
}

/// One case of the changed rule, run against the new version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseOutcome {
    pub name: String,
    /// Whether the case should leave the donor eligible.
    pub expect_eligible: bool,
    /// What the new version decided, in words.
    pub outcome: String,
    pub as_expected: bool,
    /// Generated from the new numbers (not an earlier case kept).
    pub generated: bool,
}

/// What a rule change would do: the version it makes and the evidence for it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleChangeReview {
    /// The version the change starts from.
    pub base_version: String,
    pub cases: Vec<CaseOutcome>,
    /// Earlier cases of the rule that proved the old numbers and were dropped.
    pub retired: Vec<String>,
    /// Cases of other rules that no longer come out as expected.
    pub other_failures: Vec<String>,
    /// Questions whose wording follows the rule: (as asked now, as asked under the change).
    pub questions: Vec<(String, String)>,
    /// The new version as JSON, for export.
    pub json: String,
    /// Problems with the entries, by field; empty when the change could be built.
    pub errors: domain::FieldErrors,
    /// Set when the version was stored.
    pub stored: Option<PolicyVersionView>,
}

impl RuleChangeReview {
    /// Every boundary case holds and nothing else broke.
    pub fn holds(&self) -> bool {
        self.errors.is_empty() && !self.cases.is_empty() && self.cases.iter().all(|c| c.as_expected) && self.other_failures.is_empty()
    }
}

impl App {
    /// The rule of the latest version, as the change form starts from it.
    pub async fn rule_for_change(&self, actor: &Actor, code: &str) -> Result<(RuleSet, domain::eligibility::Rule)> {
        actor.require(Permission::EvaluateEligibility)?;
        let book = self.rule_book().await?;
        let latest = book.versions().last().cloned().ok_or_else(|| AppError::NotFound("no rule version".into()))?;
        let rule = latest.rule(code).cloned().ok_or_else(|| AppError::NotFound(format!("version {} has no rule {code}", latest.version())))?;
        Ok((latest, rule))
    }

    /// Builds the version a change to one rule makes, runs its evidence and, when
    /// `store` and everything holds, stores it as [`App::add_rule_version`] does.
    /// Problems with the entries come back in the review, by field.
    pub async fn review_rule_change(&self, actor: &Actor, code: &str, input: &RuleChangeInput, store: bool) -> Result<RuleChangeReview> {
        use domain::eligibility::{apply_numbers, lookup, propose_change, Expect, RuleChange};
        actor.require(if store { Permission::ManageEligibilityRules } else { Permission::EvaluateEligibility })?;
        let (base, rule) = self.rule_for_change(actor, code).await?;
        let mut review = RuleChangeReview { base_version: base.version().to_string(), ..Default::default() };
        let mut errors = domain::FieldErrors::default();
        let check = apply_numbers(&rule.check, &lookup(&input.numbers)).map_err(|e| errors.0.extend(e.0)).ok();
        let today = self.today();
        let effective_from = errors.take(domain::parse_day("effective_from", &input.effective_from));
        if let Some(d) = effective_from.filter(|d| *d < today) {
            errors
                .0
                .push(FieldError::new("effective_from", format!("{d} is before today ({today}); past decisions keep the rules they were made with")));
        }
        if store && input.reason.trim().is_empty() {
            errors.0.push(FieldError::new("reason", "say why the rule changes (change control)"));
        }
        let (Some(check), Some(effective_from)) = (check, effective_from) else {
            review.errors = errors;
            return Ok(review);
        };
        let change = RuleChange {
            code: code.to_string(),
            check,
            title: input.title.clone(),
            source: input.source.clone(),
            version: input.version.trim().to_string(),
            effective_from,
        };
        // Every problem at once: the form's own and those of the change.
        let proposal = match propose_change(&base, &change) {
            Ok(p) => p,
            Err(e) => {
                errors.0.extend(e.0);
                review.errors = errors;
                return Ok(review);
            }
        };
        let set = match RuleSet::try_from(proposal.spec.clone()) {
            Ok(s) => s,
            Err(e) => {
                review.errors = domain::FieldErrors(vec![FieldError::new("rule", e.to_string())]);
                return Ok(review);
            }
        };
        let evidence = Evidence::run(&set);
        for r in &evidence.rules {
            if r.rule.code == code {
                review.cases = r
                    .runs
                    .iter()
                    .map(|run| CaseOutcome {
                        name: run.name.clone(),
                        expect_eligible: run.expect == Expect::Pass,
                        outcome: match &run.outcome {
                            Ok(d) if d.eligible => "eligible".into(),
                            Ok(d) => {
                                let codes: Vec<&str> = d.reasons.iter().map(|x| x.message.as_str()).collect();
                                match d.next_eligible_date {
                                    Some(n) => format!("not eligible: {}; may give again from {n}", codes.join("; ")),
                                    None => format!("not eligible: {}; no end", codes.join("; ")),
                                }
                            }
                            Err(e) => format!("could not be decided: {e}"),
                        },
                        as_expected: run.as_expected(),
                        generated: proposal.generated.contains(&run.name),
                    })
                    .collect();
            } else {
                review
                    .other_failures
                    .extend(r.runs.iter().filter_map(|run| run.problem.as_ref().map(|p| format!("{}, case “{}”: {p}", r.rule.title, run.name))));
            }
        }
        review.other_failures.extend(evidence.gaps().iter().filter(|g| **g != code).map(|g| format!("rule {g} lacks a passing or a failing case")));
        review.retired = proposal.retired.clone();
        if let Some(q) = self.questionnaire_book().await?.in_force(today) {
            for question in &q.questions {
                let (now, then) = (question.text_for(&base), question.text_for(&set));
                if now != then {
                    review.questions.push((now, then));
                }
            }
        }
        review.json = serde_json::to_string_pretty(set.spec()).map_err(|e| corrupt("eligibility rules", e))?;
        review.errors = errors;
        if store && review.holds() {
            match self.add_rule_version(actor, &review.json, &input.reason).await {
                Ok(v) => review.stored = Some(v),
                Err(AppError::Invalid(e)) => review.errors = e,
                Err(e) => return Err(e),
            }
        }
        Ok(review)
    }
}
