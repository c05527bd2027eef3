//! Quality's form for one rule: its numbers, the boundary cases that prove them under
//! the new version, and the store button that works only when they hold.

use crate::auth::Principal;
use crate::pages::{add_message, render as render_page, render_status, Layout, PageResult};
use crate::AppState;
use app::policy::{RuleChangeInput, RuleChangeReview};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Form;
use domain::eligibility::{number_fields, NumberKind, Rule, PERIOD_UNITS};
use domain::Permission;
use std::collections::BTreeMap;

/// One number input of the form, with what was entered and its error.
pub struct NumberInput {
    pub key: &'static str,
    pub label: String,
    pub unit: &'static str,
    /// `whole`, `decimal` or `period`.
    pub kind: &'static str,
    pub value: String,
    pub period_unit: String,
    /// The units offered for a period: (value, words).
    pub units: Vec<(&'static str, &'static str)>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "rule_change.html")]
pub struct RuleChangePage {
    pub layout: Layout,
    pub code: String,
    pub rule_title: String,
    pub applies_to: String,
    pub base_version: String,
    pub numbers: Vec<NumberInput>,
    pub title: String,
    pub source: String,
    pub version: String,
    pub effective_from: String,
    pub reason: String,
    /// Errors of the fields outside the numbers, by field name.
    pub errors: BTreeMap<String, String>,
    /// A problem with the change as a whole.
    pub problem: Option<String>,
    pub review: Option<RuleChangeReview>,
    pub can_store: bool,
}

impl RuleChangePage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// The fields after the numbers: (name, label, value, input type, help).
    pub fn other_fields(&self) -> Vec<(&'static str, &'static str, &str, &'static str, &'static str)> {
        vec![
            ("title", "Title (what staff read when the rule fails)", &self.title, "text", ""),
            ("source", "Source (regulation or document)", &self.source, "textarea", ""),
            ("version", "New version name", &self.version, "text", ""),
            ("effective_from", "In force from", &self.effective_from, "date", "today or later"),
            ("reason", "Why the rule changes", &self.reason, "text", "change control: kept with the version"),
        ]
    }
}

fn next_version(v: &str) -> String {
    v.parse::<u32>().map_or_else(|_| format!("{v}.1"), |n| (n + 1).to_string())
}

fn page_for(s: &AppState, p: &Principal, base_version: &str, rule: &Rule, form: Option<&BTreeMap<String, String>>) -> RuleChangePage {
    let get = |k: &str, default: String| form.and_then(|f| f.get(k).cloned()).unwrap_or(default);
    let numbers = number_fields(&rule.check)
        .into_iter()
        .map(|f| {
            let (kind, units) = match f.kind {
                NumberKind::Whole => ("whole", vec![]),
                NumberKind::Decimal { .. } => ("decimal", vec![]),
                NumberKind::Period { open_ended } => {
                    ("period", PERIOD_UNITS.iter().copied().filter(|(u, _)| open_ended || !matches!(*u, "indefinite" | "permanent")).collect())
                }
            };
            NumberInput {
                key: f.key,
                value: get(f.key, f.value.clone()),
                period_unit: get(&format!("{}_unit", f.key), f.period_unit.to_string()),
                label: f.label,
                unit: f.unit,
                kind,
                units,
                error: None,
            }
        })
        .collect();
    RuleChangePage {
        layout: Layout::new(p, "rules"),
        code: rule.code.clone(),
        rule_title: rule.title.clone(),
        applies_to: rule.procedures.iter().map(|x| crate::words::code(x.as_str())).collect::<Vec<_>>().join(", ")
            + &rule.sex.map(|x| format!(" · {} donors only", if x == domain::Sex::Female { "female" } else { "male" })).unwrap_or_default(),
        base_version: base_version.to_string(),
        numbers,
        title: get("title", rule.title.clone()),
        source: get("source", rule.source.clone()),
        version: get("version", next_version(base_version)),
        effective_from: get("effective_from", s.app.today().to_string()),
        reason: get("reason", String::new()),
        errors: BTreeMap::new(),
        problem: None,
        review: None,
        can_store: p.actor.can(Permission::ManageEligibilityRules),
    }
}

pub async fn show(State(s): State<AppState>, p: Principal, Path(code): Path<String>) -> PageResult {
    let (base, rule) = s.app.rule_for_change(&p.actor, &code).await?;
    render_page(&page_for(&s, &p, base.version(), &rule, None))
}

pub async fn submit(State(s): State<AppState>, p: Principal, Path(code): Path<String>, Form(form): Form<BTreeMap<String, String>>) -> PageResult {
    let (base, rule) = s.app.rule_for_change(&p.actor, &code).await?;
    let store = form.get("action").is_some_and(|a| a == "store");
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = RuleChangeInput {
        numbers: form.iter().filter(|(k, _)| !matches!(k.as_str(), "_csrf" | "action")).map(|(k, v)| (k.clone(), v.clone())).collect(),
        title: field("title"),
        source: field("source"),
        version: field("version"),
        effective_from: field("effective_from"),
        reason: field("reason"),
    };
    let review = s.app.review_rule_change(&p.actor, &code, &input, store).await?;
    let mut page = page_for(&s, &p, base.version(), &rule, Some(&form));
    for e in &review.errors.0 {
        let name = e.field.as_ref();
        match page.numbers.iter_mut().find(|n| n.key == name) {
            Some(n) => add_message(&mut n.error, &e.message),
            None if matches!(name, "title" | "source" | "version" | "effective_from" | "reason") => {
                let slot = page.errors.entry(name.to_string()).or_default();
                if !slot.is_empty() {
                    slot.push_str("; ");
                }
                slot.push_str(&e.message);
            }
            None => add_message(&mut page.problem, &crate::words::message(&e.message)),
        }
    }
    let status = if !review.errors.is_empty() || (store && review.stored.is_none()) { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    if let Some(v) = &review.stored {
        page.base_version = v.version.clone();
    }
    page.review = Some(review);
    render_status(status, &page)
}

/// A change to one rule through the API: the same fields as the form. Title, source
/// and version name default to the rule's and the next number.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleChangeBody {
    #[serde(default)]
    numbers: BTreeMap<String, serde_json::Value>,
    title: Option<String>,
    source: Option<String>,
    version: Option<String>,
    effective_from: String,
    #[serde(default)]
    reason: String,
    /// Store the version when every case holds; otherwise only check.
    #[serde(default)]
    store: bool,
}

/// `POST /api/v1/rules/eligibility/{code}/change`: the review; 201 when stored, 422
/// with the review when an entry is wrong or a case does not hold.
pub async fn api_change(
    State(s): State<AppState>,
    p: Principal,
    Path(code): Path<String>,
    crate::api::ApiJson(b): crate::api::ApiJson<RuleChangeBody>,
) -> Result<axum::response::Response, crate::error::ApiError> {
    use axum::response::IntoResponse;
    let (base, rule) = s.app.rule_for_change(&p.actor, &code).await?;
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let input = RuleChangeInput {
        numbers: b.numbers.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
        title: b.title.unwrap_or(rule.title),
        source: b.source.unwrap_or(rule.source),
        version: b.version.unwrap_or_else(|| next_version(base.version())),
        effective_from: b.effective_from,
        reason: b.reason,
    };
    let review = s.app.review_rule_change(&p.actor, &code, &input, b.store).await?;
    let status = if review.stored.is_some() {
        StatusCode::CREATED
    } else if review.errors.is_empty() && review.holds() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, axum::Json(review)).into_response())
}
