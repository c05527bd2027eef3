//! Screening visits (questionnaire, measurements, decision, collection) and the
//! rule and questionnaire versions quality staff maintain: API and pages.

use crate::api::{parse_id, ApiJson};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{render as render_page, render_status, Layout, PageResult};
use crate::AppState;
use app::policy::PolicyVersionView;
use app::screening::{QuestionsToday, ScreeningInput, ScreeningView};
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Json;
use domain::questionnaire::{Answer, Ask};
use domain::{DonationProcedure, FieldError, FieldErrors, Permission};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub async fn api_record(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<ScreeningInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.record_screening(&p.actor, &number, &input).await?)))
}

pub async fn api_list(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.screenings_of(&p.actor, &number).await?))
}

pub async fn api_get(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.screening(&p.actor, parse_id("screening visit", &id)?).await?))
}

/// The optional body of a collection: a pre-printed DIN label scanned at the chair.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CollectBody {
    #[serde(default)]
    din: Option<String>,
}

pub async fn api_collect(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    // No body (or `null`) takes the next DIN of the facility sequence.
    let b: Option<CollectBody> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice(&body).map_err(|e| AppError::from(FieldError::new("body", format!("not a collection: {e}"))))?
    };
    let din = b.and_then(|b| b.din);
    Ok((StatusCode::CREATED, Json(s.app.collect_from_screening(&p.actor, parse_id("screening visit", &id)?, din.as_deref()).await?)))
}

/// A new policy version: the version's JSON and why it changes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVersionBody {
    pub version: Value,
    pub reason: String,
}

pub async fn api_rule_versions(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.rule_versions(&p.actor).await?))
}

pub async fn api_add_rule_version(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<NewVersionBody>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.add_rule_version(&p.actor, &b.version.to_string(), &b.reason).await?)))
}

pub async fn api_questionnaire_versions(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.questionnaire_versions(&p.actor).await?))
}

pub async fn api_add_questionnaire_version(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<NewVersionBody>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.add_questionnaire_version(&p.actor, &b.version.to_string(), &b.reason).await?)))
}

/// The questions in force today, as JSON.
pub async fn api_questionnaire(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    p.actor.require(Permission::ViewDonors)?;
    let book = s.app.questionnaire_book().await?;
    let today = s.app.today();
    let q = book.in_force(today).ok_or_else(|| AppError::NotFound(format!("no questionnaire is in force on {today}")))?;
    let rules = s.app.rule_book().await?;
    let set = rules.in_force(today).ok_or_else(|| AppError::NotFound(format!("no eligibility rules are in force on {today}")))?;
    Ok(Json(q.with_periods(set)))
}

/// One question as the form shows it.
pub struct QuestionRow {
    pub id: String,
    pub text: String,
    /// yes_no, date_if_yes or medications
    pub kind: &'static str,
    pub answer: String,
    pub date: String,
    pub error: Option<String>,
}

pub struct MedicationRow {
    pub name: String,
    pub last_dose: String,
}

#[derive(Template)]
#[template(path = "screening_new.html")]
pub struct ScreeningForm {
    pub layout: Layout,
    pub donor_number: String,
    pub donor_name: String,
    pub version: String,
    pub procedures: Vec<&'static str>,
    pub procedure: String,
    pub sites: Vec<String>,
    pub site: String,
    pub vitals: Vec<(&'static str, &'static str, String, Option<String>)>,
    pub questions: Vec<QuestionRow>,
    pub medications: Vec<MedicationRow>,
    pub medication_names: Vec<String>,
    pub error: Option<String>,
}

const VITALS: [(&str, &str); 8] = [
    ("weight_kg", "Weight (kg)"),
    ("height_cm", "Height (cm)"),
    ("hemoglobin_g_dl", "Hemoglobin (g/dL)"),
    ("hematocrit_pct", "or hematocrit (%)"),
    ("pulse_bpm", "Pulse (bpm)"),
    ("bp_systolic", "Systolic (mmHg)"),
    ("bp_diastolic", "Diastolic (mmHg)"),
    ("temperature_c", "Temperature (°C)"),
];

async fn screening_form(s: &AppState, p: &Principal, number: &str, pairs: &[(String, String)]) -> Result<ScreeningForm, AppError> {
    let profile = s.app.donor_profile(&p.actor, number).await?;
    let QuestionsToday { version, questions, medication_names } = s.app.questions_for(&p.actor, number).await?;
    let one = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let all_sites: Vec<domain::Site> = s.app.list_sites(&p.actor).await?.into_iter().filter(|x| x.fields.active).collect();
    // Without a choice, the first fixed donor centre rather than the first drive by code.
    let default_site = all_sites
        .iter()
        .find(|x| x.fields.kind == domain::SiteKind::Fixed)
        .or(all_sites.first())
        .map(|x| x.fields.code.as_str().to_string())
        .unwrap_or_default();
    let sites: Vec<String> = all_sites.iter().map(|x| x.fields.code.as_str().to_string()).collect();
    let meds: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k == "med_name")
        .map(|(_, v)| v.clone())
        .zip(pairs.iter().filter(|(k, _)| k == "med_last_dose").map(|(_, v)| v.clone()))
        .collect();
    let mut medications: Vec<MedicationRow> = meds.into_iter().map(|(name, last_dose)| MedicationRow { name, last_dose }).collect();
    medications.resize_with(3.max(medications.len()), || MedicationRow { name: String::new(), last_dose: String::new() });
    Ok(ScreeningForm {
        layout: Layout::new(p, "donors"),
        donor_number: profile.donor.donor_number.clone(),
        donor_name: format!("{} {}", profile.donor.first_name, profile.donor.last_name),
        version,
        procedures: DonationProcedure::ALL.iter().map(|x| x.as_str()).collect(),
        procedure: if pairs.is_empty() { "whole_blood".into() } else { one("procedure") },
        site: if pairs.is_empty() { default_site } else { one("site") },
        sites,
        vitals: VITALS.iter().map(|(k, l)| (*k, *l, one(k), None)).collect(),
        questions: questions
            .iter()
            .map(|q| QuestionRow {
                id: q.id.clone(),
                text: q.text.clone(),
                kind: match q.ask {
                    Ask::YesNo { .. } => "yes_no",
                    Ask::DateIfYes { .. } => "date_if_yes",
                    Ask::Medications => "medications",
                },
                answer: one(&format!("q_{}", q.id)),
                date: one(&format!("q_{}_date", q.id)),
                error: None,
            })
            .collect(),
        medications,
        medication_names,
        error: None,
    })
}

pub async fn new_form(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    render_page(&screening_form(&s, &p, &number, &[]).await?)
}

/// Reads the form into the use case's input; what cannot be read is a field error.
fn form_input(form: &ScreeningForm, pairs: &[(String, String)]) -> Result<ScreeningInput, FieldErrors> {
    let one = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let mut errors = Vec::new();
    let mut number = |field: &'static str| -> Option<Value> {
        let raw = one(field);
        if raw.is_empty() {
            return None;
        }
        match raw.parse::<f64>() {
            Ok(n) if n.is_finite() => serde_json::Number::from_f64(n).map(Value::Number),
            _ => {
                errors.push(FieldError::new(field, format!("'{raw}' is not a number")));
                None
            }
        }
    };
    let weight_kg = number("weight_kg");
    let height_cm = number("height_cm");
    let mut screening = serde_json::Map::new();
    for key in ["hemoglobin_g_dl", "hematocrit_pct", "pulse_bpm", "bp_systolic", "bp_diastolic", "temperature_c"] {
        if let Some(v) = number(key) {
            // Whole-number measures are sent as integers, as the engine expects.
            let v = match (key, v.as_f64()) {
                ("pulse_bpm" | "bp_systolic" | "bp_diastolic", Some(f)) if f.fract() == 0.0 => Value::from(f as i64),
                _ => v,
            };
            screening.insert(key.into(), v);
        }
    }
    let mut answers = BTreeMap::new();
    for q in &form.questions {
        let field = format!("answers.{}", q.id);
        match (q.kind, q.answer.as_str()) {
            (_, "") => {} // the use case names unanswered questions
            ("yes_no", a) => {
                answers.insert(q.id.clone(), Answer::Flag(a == "yes"));
            }
            ("date_if_yes", "no") | ("medications", "no") => {
                answers.insert(q.id.clone(), Answer::Flag(false));
            }
            ("date_if_yes", _) => match chrono::NaiveDate::parse_from_str(&q.date, "%Y-%m-%d") {
                Ok(date) => {
                    answers.insert(q.id.clone(), Answer::Date { date });
                }
                Err(_) => errors.push(FieldError::new(field, "a yes needs the date (YYYY-MM-DD)")),
            },
            (_, _) => {
                let mut list = Vec::new();
                for m in form.medications.iter().filter(|m| !m.name.trim().is_empty() || !m.last_dose.trim().is_empty()) {
                    match chrono::NaiveDate::parse_from_str(m.last_dose.trim(), "%Y-%m-%d") {
                        Ok(last_dose) => list.push(domain::eligibility::MedicationDose { name: m.name.trim().to_lowercase(), last_dose }),
                        Err(_) => errors.push(FieldError::new(field.clone(), format!("give the date of the last dose of '{}'", m.name.trim()))),
                    }
                }
                answers.insert(q.id.clone(), Answer::Medications(list));
            }
        }
    }
    if !errors.is_empty() {
        // The use case is not asked while a value cannot be read: name the unanswered
        // questions here too, so that every problem shows at once.
        for q in form.questions.iter().filter(|q| q.answer.is_empty()) {
            errors.push(FieldError::new(format!("answers.{}", q.id), "not answered: choose yes or no"));
        }
        return Err(FieldErrors(errors));
    }
    Ok(ScreeningInput { procedure: one("procedure"), site: one("site"), weight_kg, height_cm, screening: Value::Object(screening), answers })
}

pub async fn record(State(s): State<AppState>, p: Principal, Path(number): Path<String>, body: axum::body::Bytes) -> PageResult {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut form = screening_form(&s, &p, &number, &pairs).await?;
    let result = match form_input(&form, &pairs) {
        Ok(input) => s.app.record_screening(&p.actor, &number, &input).await,
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/screenings/{}", v.id)).into_response()),
        Err(AppError::Invalid(errs)) => {
            let mut rest = Vec::new();
            for e in &errs.0 {
                let vital = e.field.strip_prefix("screening.").unwrap_or(&e.field);
                if let Some(v) = form.vitals.iter_mut().find(|v| v.0 == vital) {
                    crate::pages::add_message(&mut v.3, &e.message);
                } else if let Some(q) = form.questions.iter_mut().find(|q| e.field.strip_prefix("answers.") == Some(q.id.as_str())) {
                    crate::pages::add_message(&mut q.error, &e.message);
                } else {
                    rest.push(crate::words::message(&e.to_string()));
                }
            }
            form.error = Some(if rest.is_empty() { "Please correct the answers and measurements marked below.".into() } else { rest.join("; ") });
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &form)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "screening.html")]
pub struct ScreeningPage {
    pub layout: Layout,
    pub v: ScreeningView,
    pub measurements: Vec<(String, String)>,
    pub yes_answers: Vec<(String, String)>,
    pub can_collect: bool,
    pub error: Option<String>,
}

async fn screening_page(s: &AppState, p: &Principal, id: &str, error: Option<String>) -> Result<ScreeningPage, AppError> {
    let mut v = s.app.screening(&p.actor, parse_id("screening visit", id)?).await?;
    // Reasons per procedure are stored as rule codes: staff read the rule's words.
    let rules = s.app.rule_book().await?;
    let set = rules.in_force(v.screened_on);
    let words_for = |code: &str| -> String {
        if let Some(r) = v.decision.reasons.iter().find(|r| r.code == code) {
            return r.message.clone();
        }
        let title = |c: &str| set.and_then(|x| x.rule(c)).map(|r| r.title.clone());
        match code.strip_suffix("_NOT_MEASURED").and_then(title) {
            Some(t) => format!("{t}: not measured"),
            None => title(code).unwrap_or_else(|| crate::words::humanize(&code.to_lowercase())),
        }
    };
    let worded: Vec<Vec<String>> = v.by_procedure.iter().map(|d| d.reasons.iter().map(|c| words_for(c)).collect()).collect();
    for (d, w) in v.by_procedure.iter_mut().zip(worded) {
        d.reasons = w;
    }
    let mut measurements = Vec::new();
    for (section, keys) in [("donor", &["weight_kg", "height_cm"][..]), ("screening", &VITALS.map(|x| x.0)[2..])] {
        for k in keys {
            if let Some(x) = v.case.get(section).and_then(|o| o.get(*k)) {
                let label = VITALS.iter().find(|(n, _)| n == k).map_or(*k, |(_, l)| *l);
                measurements.push((label.trim_start_matches("or ").to_string(), x.to_string()));
            }
        }
    }
    let yes_answers = v
        .answers
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, a)| **a != Value::Bool(false))
                .map(|(k, a)| (k.clone(), if *a == Value::Bool(true) { "yes".to_string() } else { a.to_string() }))
                .collect()
        })
        .unwrap_or_default();
    // Whether the day has passed is decided by the use case, in the site's time zone.
    let can_collect = v.decision.eligible && v.donation.is_none() && p.actor.can(Permission::CollectDonations);
    Ok(ScreeningPage { layout: Layout::new(p, "donors"), v, measurements, yes_answers, can_collect, error })
}

pub async fn show(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> PageResult {
    render_page(&screening_page(&s, &p, &id, None).await?)
}

#[derive(Deserialize, Default)]
pub struct CollectForm {
    #[serde(default)]
    din: String,
}

pub async fn collect(State(s): State<AppState>, p: Principal, Path(id): Path<String>, axum::Form(f): axum::Form<CollectForm>) -> PageResult {
    let visit = parse_id("screening visit", &id)?;
    match s.app.collect_from_screening(&p.actor, visit, Some(f.din.as_str())).await {
        Ok(_) => Ok(Redirect::to(&format!("/screenings/{id}")).into_response()),
        Err(e @ AppError::Conflict(_)) => render_status(StatusCode::CONFLICT, &screening_page(&s, &p, &id, Some(e.to_string())).await?),
        Err(AppError::Invalid(e)) => {
            let message = e.0.iter().map(|x| x.message.clone()).collect::<Vec<_>>().join("; ");
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &screening_page(&s, &p, &id, Some(format!("The scanned DIN label: {message}"))).await?)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "rules.html")]
pub struct RulesPage {
    pub layout: Layout,
    pub rules: Vec<PolicyVersionView>,
    pub questionnaires: Vec<PolicyVersionView>,
    /// The rules of the latest version: (code, title, source), each with its change form.
    pub rule_list: Vec<(String, String, String)>,
    pub latest_version: String,
    pub can_edit: bool,
    /// The JSON shown in the editor: the version in force, to copy and change.
    pub rules_draft: String,
    pub questionnaire_draft: String,
    pub reason: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

async fn rules_page(s: &AppState, p: &Principal) -> Result<RulesPage, AppError> {
    let today = s.app.today();
    let rules_book = s.app.rule_book().await?;
    let q_book = s.app.questionnaire_book().await?;
    let pretty = |v: Option<String>| v.unwrap_or_default();
    Ok(RulesPage {
        layout: Layout::new(p, "rules"),
        rules: s.app.rule_versions(&p.actor).await?,
        questionnaires: s.app.questionnaire_versions(&p.actor).await?,
        rule_list: rules_book
            .versions()
            .last()
            .map(|v| v.rules().iter().map(|r| (r.code.clone(), r.title.clone(), r.source.clone())).collect())
            .unwrap_or_default(),
        latest_version: rules_book.versions().last().map(|v| v.version().to_string()).unwrap_or_default(),
        can_edit: p.actor.can(Permission::ManageEligibilityRules),
        rules_draft: pretty(rules_book.in_force(today).and_then(|x| {
            let next = x.version().parse::<u32>().map_or_else(|_| format!("{}.1", x.version()), |n| (n + 1).to_string());
            serde_json::to_string_pretty(&x.draft_successor(&next, today)).ok()
        })),
        questionnaire_draft: pretty(q_book.in_force(today).and_then(|x| serde_json::to_string_pretty(x).ok())),
        reason: String::new(),
        error: None,
        notice: None,
    })
}

pub async fn rules(State(s): State<AppState>, p: Principal) -> PageResult {
    render_page(&rules_page(&s, &p).await?)
}

#[derive(Deserialize, Default)]
pub struct VersionForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    reason: String,
}

pub async fn add_version(State(s): State<AppState>, p: Principal, axum::Form(f): axum::Form<VersionForm>) -> PageResult {
    let result = match f.kind.as_str() {
        "questionnaire" => s.app.add_questionnaire_version(&p.actor, &f.body, &f.reason).await,
        _ => s.app.add_rule_version(&p.actor, &f.body, &f.reason).await,
    };
    let mut page = rules_page(&s, &p).await?;
    match result {
        Ok(v) => {
            page.notice = Some(format!("Version {} stored; it decides from {}.", v.version, v.effective_from));
            render_page(&page)
        }
        Err(e @ AppError::Invalid(_)) => {
            page.error = Some(e.to_string());
            page.reason = f.reason;
            if f.kind == "questionnaire" {
                page.questionnaire_draft = f.body;
            } else {
                page.rules_draft = f.body;
            }
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
