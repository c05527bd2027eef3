//! A donation's page and API: the collection record (with its corrections) and the
//! donor's adverse reactions at that donation.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{attach_errors, render as render_page, render_status, FieldView, Layout, PageResult};
use crate::AppState;
use app::collection_record::{DonationRecord, ReactionEntry};
use app::donors::DeferralInput;
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use domain::collection::{
    is_apheresis, CollectionInput, ReactionInput, ADDITIVE_SOLUTIONS, ANTICOAGULANTS, CONCURRENT_PRODUCTS, REACTION_KINDS, REACTION_ONSETS,
    REACTION_SEVERITIES,
};
use domain::{DonationProcedure, Permission};

#[derive(Template)]
#[template(path = "donation.html")]
pub struct DonationPage {
    pub layout: Layout,
    pub d: DonationRecord,
    pub record_fields: Vec<FieldView>,
    pub reaction_fields: Vec<FieldView>,
    pub deferral_fields: Vec<FieldView>,
    pub record_error: Option<String>,
    pub reaction_error: Option<String>,
    pub notice: Option<String>,
    pub can_record: bool,
    pub can_defer: bool,
    /// Open the correction form (after a refused correction).
    pub correcting: bool,
    pub components: Vec<app::components::ComponentView>,
    pub can_manufacture: bool,
    pub separation_fields: Vec<FieldView>,
    pub separation_error: Option<String>,
    pub testing: app::testing::DonationTesting,
    pub can_test: bool,
    pub result_fields: Vec<FieldView>,
    pub result_error: Option<String>,
}

fn result_fields(form: Option<&[(String, String)]>, t: &app::testing::DonationTesting) -> Vec<FieldView> {
    let v = |k: &str| form.map(|f| value(f, k)).unwrap_or_default();
    // The tests still waiting come first.
    let mut tests: Vec<&app::testing::TestLine> = t.tests.iter().collect();
    tests.sort_by_key(|x| x.status.is_final());
    vec![
        FieldView::text("test", "Test", &v("test"))
            .required()
            .select(tests.iter().map(|x| (x.code.clone(), format!("{} — {}", x.title, x.status_title))).collect()),
        FieldView::text("phase", "Step", &v("phase")).select(vec![
            ("initial".into(), "Initial test".into()),
            ("repeat".into(), "Repeat (in duplicate)".into()),
            ("confirmatory".into(), "Confirmatory".into()),
        ]),
        FieldView::text("value", "Result", &v("value"))
            .required()
            .help("Reactive or non-reactive; for ABO/RhD the group (O-, AB+); for a confirmatory test positive, negative or indeterminate."),
    ]
}

fn separation_fields(form: Option<&[(String, String)]>, d: &DonationRecord) -> Vec<FieldView> {
    // Plasma usually goes into the freezer at the end of the session: start from needle out.
    let needle_out = d.record.as_ref().map(|r| local(r.ended_at, &d.time_zone)).unwrap_or_default();
    let v = |k: &str| match (form, k) {
        (Some(f), _) => value(f, k),
        (None, "plasma_frozen_at") => needle_out.clone(),
        (None, _) => String::new(),
    };
    vec![
        FieldView::text("plasma_frozen_at", "Plasma into the freezer (local time)", &v("plasma_frozen_at"))
            .kind("datetime-local")
            .help("Decides the plasma: within 8 h of collection FFP, within 24 h PF24, later Plasma."),
        FieldView::text("platelets_separated_at", "Platelets separated (whole blood, optional)", &v("platelets_separated_at"))
            .kind("datetime-local")
            .help("Whole-blood platelets are made only within 4 h of collection."),
    ]
}

fn options(list: &[&str]) -> Vec<(String, String)> {
    std::iter::once((String::new(), "—".to_string())).chain(list.iter().map(|x| (x.to_string(), x.to_string()))).collect()
}

fn labelled(list: &[(&str, &str)]) -> Vec<(String, String)> {
    std::iter::once((String::new(), "—".to_string())).chain(list.iter().map(|(k, v)| (k.to_string(), v.to_string()))).collect()
}

fn local(at: chrono::DateTime<chrono::Utc>, tz: &str) -> String {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

use crate::pages::{form_value as value, form_values as values};

fn record_fields(d: &DonationRecord, form: Option<&[(String, String)]>, phlebotomist: &str) -> Vec<FieldView> {
    // Start from the latest version (a correction changes what was wrong) or sensible defaults.
    let r = d.record.as_ref();
    let default = |k: &str| -> String {
        match (k, r) {
            ("phlebotomist", Some(r)) => r.phlebotomist.clone(),
            ("phlebotomist", None) => phlebotomist.to_string(),
            ("started_at", Some(r)) => local(r.started_at, &d.time_zone),
            ("started_at", None) => local(d.collected_at, &d.time_zone),
            ("ended_at", Some(r)) => local(r.ended_at, &d.time_zone),
            ("volume_ml", Some(r)) => r.volume_ml.to_string(),
            ("outcome", Some(r)) => r.outcome.clone(),
            ("outcome", None) => "complete".into(),
            ("stop_reason", Some(r)) => r.stop_reason.clone().unwrap_or_default(),
            ("bag_set_lot", Some(r)) => r.bag_set_lot.clone(),
            ("bag_set_expires_on", Some(r)) => r.bag_set_expires_on.to_string(),
            ("anticoagulant", Some(r)) => r.anticoagulant.clone(),
            ("anticoagulant", None) => if is_apheresis(d.procedure) { "ACD-A" } else { "CPD" }.into(),
            ("anticoagulant_lot", Some(r)) => r.anticoagulant_lot.clone(),
            ("anticoagulant_expires_on", Some(r)) => r.anticoagulant_expires_on.to_string(),
            ("additive_solution", Some(r)) => r.additive_solution.clone().unwrap_or_default(),
            ("device_type", Some(r)) => r.device_type.clone().unwrap_or_default(),
            ("device_serial", Some(r)) => r.device_serial.clone().unwrap_or_default(),
            ("platelet_units", Some(r)) => r.platelet_units.map(|n| n.to_string()).unwrap_or_default(),
            ("concurrent_products", Some(r)) => r.concurrent_products.join(","),
            ("note", Some(r)) => r.note.clone().unwrap_or_default(),
            _ => String::new(),
        }
    };
    let v = |k: &str| match form {
        Some(f) if k == "concurrent_products" => values(f, k).join(","),
        Some(f) => value(f, k),
        None => default(k),
    };
    let mut fields = vec![
        FieldView::text("phlebotomist", "Phlebotomist", &v("phlebotomist")).required(),
        FieldView::text("started_at", "Needle in (local time)", &v("started_at")).kind("datetime-local").required(),
        FieldView::text("ended_at", "Needle out (local time)", &v("ended_at")).kind("datetime-local").required(),
        FieldView::text("volume_ml", "Volume collected (mL)", &v("volume_ml")).kind("number").required(),
        FieldView::text("outcome", "Outcome", &v("outcome"))
            .select(vec![
                ("complete".into(), "Complete".into()),
                ("incomplete".into(), "Incomplete (quantity not sufficient)".into()),
                ("stopped".into(), "Stopped".into()),
            ])
            .required(),
        FieldView::text("stop_reason", "Why it was stopped", &v("stop_reason")).help("Only for a stopped collection."),
        FieldView::text("bag_set_lot", if is_apheresis(d.procedure) { "Kit lot" } else { "Bag set lot" }, &v("bag_set_lot")).required(),
        FieldView::text("bag_set_expires_on", "Bag set or kit expires", &v("bag_set_expires_on")).kind("date").required(),
        FieldView::text("anticoagulant", "Anticoagulant", &v("anticoagulant")).select(options(&ANTICOAGULANTS)).required(),
        FieldView::text("anticoagulant_lot", "Anticoagulant lot", &v("anticoagulant_lot")).required(),
        FieldView::text("anticoagulant_expires_on", "Anticoagulant expires", &v("anticoagulant_expires_on")).kind("date").required(),
    ];
    if matches!(d.procedure, DonationProcedure::WholeBlood | DonationProcedure::DoubleRedCells | DonationProcedure::Autologous) {
        fields.push(FieldView::text("additive_solution", "Red cell additive solution", &v("additive_solution")).select(options(&ADDITIVE_SOLUTIONS)));
    }
    if is_apheresis(d.procedure) {
        fields.push(FieldView::text("device_type", "Apheresis device", &v("device_type")).required());
        fields.push(FieldView::text("device_serial", "Device serial number", &v("device_serial")).required());
        fields.push(
            FieldView::text("concurrent_products", "Concurrent products", &v("concurrent_products"))
                .checkboxes(CONCURRENT_PRODUCTS.iter().map(|p| (p.to_string(), crate::words::code(p))).collect()),
        );
    }
    if d.procedure == DonationProcedure::Platelets {
        fields.push(
            FieldView::text("platelet_units", "Platelet collection", &v("platelet_units"))
                .select(vec![("".into(), "—".into()), ("1".into(), "Single".into()), ("2".into(), "Double".into()), ("3".into(), "Triple".into())])
                .required(),
        );
    }
    fields.push(FieldView::text("note", "Note", &v("note")).kind("textarea"));
    if d.record.is_some() {
        fields.push(FieldView::text("reason", "Why the record is corrected", &v("reason")).required());
    }
    fields
}

fn reaction_fields(form: Option<&[(String, String)]>) -> Vec<FieldView> {
    let v = |k: &str| form.map(|f| value(f, k)).unwrap_or_default();
    vec![
        FieldView::text("kind", "Reaction", &v("kind")).select(labelled(&REACTION_KINDS)).required(),
        FieldView::text("severity", "Severity", &v("severity")).select(labelled(&REACTION_SEVERITIES)).required(),
        FieldView::text("onset", "When it began", &v("onset")).select(labelled(&REACTION_ONSETS)).required(),
        FieldView::text("onset_at", "Onset (local time)", &v("onset_at")).kind("datetime-local").required(),
        FieldView::text("treatment", "Treatment", &v("treatment")).required(),
        FieldView::text("outcome", "Outcome", &v("outcome")).required().help("e.g. recovered at the site, referred to a physician"),
        FieldView::text("note", "Note", &v("note")).kind("textarea"),
    ]
}

fn deferral_fields(form: Option<&[(String, String)]>) -> Vec<FieldView> {
    let v = |k: &str| form.map(|f| value(f, &format!("deferral_{k}"))).unwrap_or_default();
    let mut f = vec![
        FieldView::text("deferral_kind", "Deferral", &v("kind")).select(vec![
            ("".into(), "No deferral".into()),
            ("temporary".into(), "Temporary".into()),
            ("indefinite".into(), "Indefinite".into()),
            ("permanent".into(), "Permanent".into()),
        ]),
        FieldView::text("deferral_until", "May give again from", &v("until")).kind("date").help("Temporary deferrals only."),
        FieldView::text("deferral_reason", "Deferral reason", &v("reason")),
    ];
    if form.is_none() {
        f[2].value = "Adverse reaction at donation".into();
    }
    f
}

async fn page(s: &AppState, p: &Principal, din: &str) -> Result<DonationPage, AppError> {
    let d = s.app.donation_record(&p.actor, din).await?;
    let separation = separation_fields(None, &d);
    let testing = s.app.donation_testing(&p.actor, din).await?;
    let layout = Layout::new(p, "donors");
    let name = layout.display_name.clone();
    Ok(DonationPage {
        layout,
        record_fields: record_fields(&d, None, &name),
        reaction_fields: reaction_fields(None),
        deferral_fields: deferral_fields(None),
        d,
        record_error: None,
        reaction_error: None,
        notice: None,
        can_record: p.actor.can(Permission::CollectDonations),
        can_defer: p.actor.can(Permission::DeferDonors),
        correcting: false,
        components: s.app.donation_components(&p.actor, din).await?,
        can_manufacture: p.actor.can(Permission::ManufactureComponents),
        separation_fields: separation,
        separation_error: None,
        result_fields: result_fields(None, &testing),
        testing,
        can_test: p.actor.can(Permission::RecordTestResults),
        result_error: None,
    })
}

/// `POST /donations/{din}/results` (form: `test`, `phase`, `value`): one result.
pub async fn result(State(s): State<AppState>, p: Principal, Path(din): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let input = app::testing::ResultInput { test: value(&form, "test"), phase: value(&form, "phase"), value: value(&form, "value") };
    match s.app.record_test_result(&p.actor, &din, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/donations/{}#tests", din.trim())).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let mut pg = page(&s, &p, &din).await?;
            pg.result_fields = result_fields(Some(&form), &pg.testing);
            pg.result_error = Some(crate::pages::error_text(&mut pg.result_fields, &e));
            let status = if matches!(e, AppError::Conflict(_)) { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
            render_status(status, &pg)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /donations/{din}/tests` (form: `test`): a special test ordered on request.
pub async fn order_test(State(s): State<AppState>, p: Principal, Path(din): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let input = app::testing::SpecialTestInput { test: value(&form, "test") };
    match s.app.order_special_test(&p.actor, &din, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/donations/{}#tests", din.trim())).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let mut pg = page(&s, &p, &din).await?;
            pg.result_error = Some(crate::error::refusal_text(&e));
            let status = if matches!(e, AppError::Conflict(_)) { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
            render_status(status, &pg)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn show(State(s): State<AppState>, p: Principal, Path(din): Path<String>) -> PageResult {
    render_page(&page(&s, &p, &din).await?)
}

fn collection_input(form: &[(String, String)]) -> CollectionInput {
    let v = |k: &str| value(form, k);
    CollectionInput {
        phlebotomist: v("phlebotomist"),
        started_at: v("started_at"),
        ended_at: v("ended_at"),
        volume_ml: v("volume_ml"),
        outcome: v("outcome"),
        stop_reason: v("stop_reason"),
        bag_set_lot: v("bag_set_lot"),
        bag_set_expires_on: v("bag_set_expires_on"),
        anticoagulant: v("anticoagulant"),
        anticoagulant_lot: v("anticoagulant_lot"),
        anticoagulant_expires_on: v("anticoagulant_expires_on"),
        additive_solution: v("additive_solution"),
        device_type: v("device_type"),
        device_serial: v("device_serial"),
        platelet_units: v("platelet_units"),
        concurrent_products: values(form, "concurrent_products"),
        note: v("note"),
        reason: v("reason"),
    }
}

pub async fn record(State(s): State<AppState>, p: Principal, Path(din): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    match s.app.record_collection(&p.actor, &din, &collection_input(&form)).await {
        Ok(_) => Ok(Redirect::to(&format!("/donations/{}#collection", din.trim())).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let mut pg = page(&s, &p, &din).await?;
            pg.record_fields = record_fields(&pg.d, Some(&form), &pg.layout.display_name);
            pg.correcting = pg.d.record.is_some();
            pg.record_error = Some(crate::pages::error_text(&mut pg.record_fields, &e));
            let status = if matches!(e, AppError::Conflict(_)) { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
            render_status(status, &pg)
        }
        Err(e) => Err(e.into()),
    }
}

fn reaction_entry(form: &[(String, String)]) -> ReactionEntry {
    let v = |k: &str| value(form, k);
    let kind = v("deferral_kind");
    ReactionEntry {
        reaction: ReactionInput {
            kind: v("kind"),
            severity: v("severity"),
            onset: v("onset"),
            onset_at: v("onset_at"),
            treatment: v("treatment"),
            outcome: v("outcome"),
            note: v("note"),
        },
        deferral: (!kind.is_empty()).then(|| DeferralInput {
            kind,
            reason_code: "ADVERSE_REACTION".into(),
            reason: v("deferral_reason"),
            starts_on: None,
            until: Some(v("deferral_until")),
        }),
    }
}

pub async fn react(State(s): State<AppState>, p: Principal, Path(din): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    match s.app.record_reaction(&p.actor, &din, &reaction_entry(&form)).await {
        Ok(_) => Ok(Redirect::to(&format!("/donations/{}#reactions", din.trim())).into_response()),
        Err(AppError::Invalid(errs)) => {
            let mut pg = page(&s, &p, &din).await?;
            pg.reaction_fields = reaction_fields(Some(&form));
            pg.deferral_fields = deferral_fields(Some(&form));
            // Deferral problems come back as "deferral.until": their fields are "deferral_until".
            let (deferral, reaction): (Vec<_>, Vec<_>) = errs
                .0
                .iter()
                .map(|e| domain::FieldError::new(e.field.replace('.', "_"), e.message.clone()))
                .partition(|e| e.field.starts_with("deferral_"));
            let mut unplaced = attach_errors(&mut pg.reaction_fields, &domain::FieldErrors(reaction));
            unplaced.extend(attach_errors(&mut pg.deferral_fields, &domain::FieldErrors(deferral)));
            pg.reaction_error = Some(if unplaced.is_empty() { "Please correct the fields marked below.".into() } else { unplaced.join("; ") });
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &pg)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/donations/{din}`
pub async fn api_show(State(s): State<AppState>, p: Principal, Path(din): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.donation_record(&p.actor, &din).await?))
}

/// `POST /api/v1/donations/{din}/collection`: 201 for the first record, 200 for a correction.
pub async fn api_record(
    State(s): State<AppState>,
    p: Principal,
    Path(din): Path<String>,
    ApiJson(input): ApiJson<CollectionInput>,
) -> Result<impl IntoResponse, ApiError> {
    let v = s.app.record_collection(&p.actor, &din, &input).await?;
    Ok((if v.version == 1 { StatusCode::CREATED } else { StatusCode::OK }, Json(v)))
}

/// `POST /api/v1/donations/{din}/reactions`
pub async fn api_react(
    State(s): State<AppState>,
    p: Principal,
    Path(din): Path<String>,
    ApiJson(entry): ApiJson<ReactionEntry>,
) -> Result<impl IntoResponse, ApiError> {
    let (reaction, deferral) = s.app.record_reaction(&p.actor, &din, &entry).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"reaction": reaction, "deferral": deferral}))))
}

pub async fn separate(State(s): State<AppState>, p: Principal, Path(din): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let input = app::components::SeparationInput {
        plasma_frozen_at: value(&form, "plasma_frozen_at"),
        platelets_separated_at: value(&form, "platelets_separated_at"),
    };
    match s.app.separate_donation(&p.actor, &din, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/donations/{}#components", din.trim())).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let mut pg = page(&s, &p, &din).await?;
            pg.separation_fields = separation_fields(Some(&form), &pg.d);
            pg.separation_error = Some(crate::pages::error_text(&mut pg.separation_fields, &e));
            let status = if matches!(e, AppError::Conflict(_)) { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
            render_status(status, &pg)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/donations/{din}/separation`: 201 with the units made.
pub async fn api_separate(
    State(s): State<AppState>,
    p: Principal,
    Path(din): Path<String>,
    ApiJson(input): ApiJson<app::components::SeparationInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.separate_donation(&p.actor, &din, &input).await?)))
}

/// `GET /api/v1/donations/{din}/components`
pub async fn api_components(State(s): State<AppState>, p: Principal, Path(din): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.donation_components(&p.actor, &din).await?))
}

#[derive(Template)]
#[template(path = "component.html")]
pub struct ComponentPage {
    pub layout: Layout,
    pub g: app::components::Genealogy,
    pub can_manufacture: bool,
    pub can_label: bool,
    pub steps: Vec<(String, String)>,
    pub error: Option<String>,
    /// The volume as entered and what is wrong with it, next to its field.
    pub volume: String,
    pub volume_error: Option<String>,
    /// What stands between the unit and release now (the label scan aside).
    pub release_reasons: Vec<domain::release::Refusal>,
    pub can_release: bool,
    pub release_scan: String,
    pub release_errors: Vec<(String, String)>,
    /// The emergency release form as entered (passwords never echoed), open after a refusal.
    pub emergency: app::release::EmergencyReleaseInput,
    pub emergency_open: bool,
    /// Where the unit has been stored, and its discard.
    pub moves: Vec<app::inventory::MoveLine>,
    pub discarded: Option<app::inventory::DiscardRow>,
    pub can_discard: bool,
    pub discard_reasons: Vec<(String, String)>,
    pub discard_reason: String,
    pub discard_details: String,
    pub discard_error: Option<String>,
    /// QC results and holds, with their forms.
    pub quality: crate::quality::UnitQualitySection,
}

impl ComponentPage {
    /// The emergency release form's inputs: name, label, kind, value, help.
    pub fn emergency_fields(&self) -> Vec<(&'static str, &'static str, &'static str, String, &'static str)> {
        let e = &self.emergency;
        vec![
            ("emergency_scan", "Label scan", "textarea", e.scan.clone(), "The DIN, product code and ABO/RhD barcodes of the label."),
            ("emergency_password", "Your password", "password", String::new(), "The laboratory's signature."),
            ("emergency_physician", "Physician (user name)", "text", e.physician.clone(), "The physician who authorises the release."),
            ("emergency_physician_password", "Physician's password", "password", String::new(), "The physician signs here, in person."),
            ("emergency_reason", "The emergency", "textarea", e.reason.clone(), "The hospital, the patient or the request it is for."),
        ]
    }

    pub fn may_discard(&self) -> bool {
        self.can_discard && domain::inventory::may_discard(self.g.unit.state)
    }

    pub fn release_error(&self, field: &str) -> Option<&str> {
        self.release_errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

impl ComponentPage {
    /// The genealogy's lists with their headings.
    pub fn lineage(&self) -> Vec<(&'static str, &Vec<app::components::ComponentView>)> {
        vec![
            ("Made from", &self.g.parents),
            ("Made in the same step", &self.g.siblings),
            ("Made from this unit", &self.g.children),
            ("Every unit made from it", &self.g.descendants),
        ]
    }
}

pub(crate) async fn component_page(s: &AppState, p: &Principal, din: &str, code: &str, error: Option<String>) -> Result<ComponentPage, AppError> {
    let (moves, discarded) = s.app.unit_storage(&p.actor, din, code).await?;
    Ok(ComponentPage {
        moves,
        discarded,
        can_discard: p.actor.can(Permission::DiscardUnits),
        discard_reasons: crate::inventory::discard_reasons(),
        discard_reason: String::new(),
        discard_details: String::new(),
        discard_error: None,
        emergency: Default::default(),
        emergency_open: false,
        layout: Layout::new(p, "donors"),
        g: s.app.component_genealogy(&p.actor, din, code).await?,
        can_manufacture: p.actor.can(Permission::ManufactureComponents),
        can_label: p.actor.can(Permission::PrintLabels),
        steps: domain::component::Modification::ALL.iter().map(|m| (m.as_str().to_string(), m.title().to_string())).collect(),
        error,
        volume: String::new(),
        volume_error: None,
        release_reasons: s.app.release_check(&p.actor, din, code).await?,
        can_release: p.actor.can(Permission::ReleaseComponents),
        release_scan: String::new(),
        release_errors: vec![],
        quality: crate::quality::section(s, p, din, code).await?,
    })
}

/// `POST /components/{din}/{code}/release` (form: `scan`, `password`): the signed release.
pub async fn release(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let input = app::release::ReleaseInput { scan: value(&form, "scan"), password: value(&form, "password") };
    match s.app.release_component(&p.actor, &din, &code, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/components/{din}/{code}#release")).into_response()),
        Err(AppError::Invalid(errs)) => {
            let mut page = component_page(&s, &p, &din, &code, None).await?;
            page.release_scan = input.scan;
            page.release_errors = errs.0.iter().map(|e| (e.field.to_string(), e.message.clone())).collect();
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e @ (AppError::Conflict(_) | AppError::NotReleasable { .. })) => {
            let mut page = component_page(&s, &p, &din, &code, Some(e.to_string())).await?;
            page.release_scan = input.scan;
            render_status(StatusCode::CONFLICT, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /components/{din}/{code}/emergency-release` (form: `scan`, `password`,
/// `physician`, `physician_password`, `reason`): released before testing completes.
pub async fn emergency_release(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let input = app::release::EmergencyReleaseInput {
        scan: value(&form, "scan"),
        password: value(&form, "password"),
        physician: value(&form, "physician"),
        physician_password: value(&form, "physician_password"),
        reason: value(&form, "reason"),
    };
    match s.app.emergency_release(&p.actor, &din, &code, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/components/{din}/{code}#release")).into_response()),
        Err(e) => {
            let (status, errors, message) = match e {
                AppError::Invalid(errs) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, errs.0.iter().map(|e| (format!("emergency_{}", e.field), e.message.clone())).collect(), None)
                }
                e @ (AppError::Conflict(_) | AppError::NotReleasable { .. }) => (StatusCode::CONFLICT, vec![], Some(e.to_string())),
                e => return Err(e.into()),
            };
            let mut page = component_page(&s, &p, &din, &code, message).await?;
            page.release_errors = errors;
            page.emergency = input;
            page.emergency_open = true;
            render_status(status, &page)
        }
    }
}

/// `POST /components/{din}/{code}/volume` (form: `volume_ml`): the unit's weighed volume.
pub async fn volume(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let entered = value(&form, "volume_ml");
    match s.app.record_component_volume(&p.actor, &din, &code, &entered).await {
        Ok(u) => Ok(Redirect::to(&format!("/components/{}/{}", u.din, u.product_code)).into_response()),
        Err(AppError::Invalid(errs)) => {
            let mut page = component_page(&s, &p, &din, &code, None).await?;
            page.volume = entered;
            page.volume_error = errs.0.first().map(|e| e.message.clone());
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e @ AppError::Conflict(_)) => render_status(StatusCode::CONFLICT, &component_page(&s, &p, &din, &code, Some(e.to_string())).await?),
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeInput {
    volume_ml: serde_json::Value,
}

/// `POST /api/v1/components/{din}/{code}/volume` with `{"volume_ml": 280}`: the unit as it is now.
pub async fn api_volume(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    ApiJson(input): ApiJson<VolumeInput>,
) -> Result<impl IntoResponse, ApiError> {
    let entered = match input.volume_ml {
        serde_json::Value::String(t) => t,
        other => other.to_string(),
    };
    Ok(Json(s.app.record_component_volume(&p.actor, &din, &code, &entered).await?))
}

pub async fn component(State(s): State<AppState>, p: Principal, Path((din, code)): Path<(String, String)>) -> PageResult {
    render_page(&component_page(&s, &p, &din, &code, None).await?)
}

pub async fn modify(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let input = app::components::ModificationInput { step: value(&form, "step"), at: value(&form, "at") };
    match s.app.modify_component(&p.actor, &din, &code, &input).await {
        Ok(made) => {
            let to = made.first().map_or_else(|| format!("/components/{din}/{code}"), |u| format!("/components/{}/{}", u.din, u.product_code));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let status = if matches!(e, AppError::Conflict(_)) { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
            let message = match &e {
                AppError::Invalid(errs) => {
                    errs.0.iter().map(|x| format!("{}: {}", crate::words::field(&x.field), x.message)).collect::<Vec<_>>().join("; ")
                }
                other => other.to_string(),
            };
            render_status(status, &component_page(&s, &p, &din, &code, Some(message)).await?)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/components/{din}/{code}`: the unit with its genealogy.
pub async fn api_component(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.component_genealogy(&p.actor, &din, &code).await?))
}

/// `POST /api/v1/components/{din}/{code}/modifications`: 201 with the units made.
pub async fn api_modify(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    ApiJson(input): ApiJson<app::components::ModificationInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.modify_component(&p.actor, &din, &code, &input).await?)))
}

#[derive(serde::Deserialize, Default)]
pub struct LabelFormat {
    #[serde(default)]
    format: Option<String>,
}

/// `POST /components/{din}/{code}/label` (form: `format`) and
/// `POST /api/v1/components/{din}/{code}/label?format=pdf|svg|zpl`: the unit's label from its record.
pub async fn label(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<LabelFormat>,
    body: axum::body::Bytes,
) -> Result<axum::response::Response, ApiError> {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let format = q.format.or_else(|| Some(value(&form, "format")).filter(|f| !f.is_empty())).unwrap_or_else(|| "pdf".into());
    let v = s.app.component_label(&p.actor, &din, &code, &format).await?;
    Ok(crate::labels::label_file(&v, &format)?)
}

/// The page's print buttons: the label, or the unit's page with the reason it is refused.
pub async fn label_page(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let format = Some(value(&form, "format")).filter(|f| !f.is_empty()).unwrap_or_else(|| "pdf".into());
    match s.app.component_label(&p.actor, &din, &code, &format).await {
        Ok(v) => Ok(crate::labels::label_file(&v, &format)?),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let status = if matches!(e, AppError::Conflict(_)) { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
            render_status(status, &component_page(&s, &p, &din, &code, Some(e.to_string())).await?)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "processing.html")]
pub struct ProcessingPage {
    pub layout: Layout,
    pub steps: Vec<(String, String)>,
    pub units: String,
    pub step: String,
    pub at: String,
    pub results: Vec<app::components::BatchLine>,
    pub error: Option<String>,
}

impl ProcessingPage {
    pub fn done(&self) -> usize {
        self.results.iter().filter(|r| r.ok).count()
    }
}

fn processing_steps() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = domain::component::Modification::ALL.iter().map(|m| (m.as_str().to_string(), m.title().to_string())).collect();
    v.extend((2..=4).map(|n| (format!("split_{n}"), format!("Divide into {n} aliquots"))));
    v.push(("pool".into(), "Pool all the units into one".into()));
    v
}

pub async fn processing(p: Principal) -> PageResult {
    render_page(&ProcessingPage {
        layout: Layout::new(&p, "processing"),
        steps: processing_steps(),
        units: String::new(),
        step: String::new(),
        at: String::new(),
        results: vec![],
        error: None,
    })
}

pub async fn process(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let (units, step, at) = (value(&form, "units"), value(&form, "step"), value(&form, "at"));
    let mut page = ProcessingPage { layout: Layout::new(&p, "processing"), steps: processing_steps(), units, step, at, results: vec![], error: None };
    match s.app.process_batch(&p.actor, &page.units, &page.step, &page.at).await {
        Ok(results) => {
            page.results = results;
            render_page(&page)
        }
        Err(e @ AppError::Invalid(_)) => {
            page.error = Some(match &e {
                AppError::Invalid(errs) => {
                    errs.0.iter().map(|x| format!("{}: {}", crate::words::field(&x.field), x.message)).collect::<Vec<_>>().join("; ")
                }
                _ => unreachable!(),
            });
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/processing` `{"units": ["=A… =<E0398V00", …], "step", "at"?}`: one line per unit.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    units: Vec<String>,
    step: String,
    #[serde(default)]
    at: String,
}

pub async fn api_process(State(s): State<AppState>, p: Principal, ApiJson(b): ApiJson<BatchBody>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.process_batch(&p.actor, &b.units.join("\n"), &b.step, &b.at).await?))
}

#[derive(Template)]
#[template(path = "units.html")]
pub struct UnitsPage {
    pub layout: Layout,
    pub total: i64,
    pub units: Vec<app::components::ComponentView>,
    /// The list shown: units in processing, or units released in an emergency.
    pub emergency: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct UnitsQuery {
    #[serde(default)]
    list: Option<String>,
}

/// `GET /lab/units`: the units in processing.
pub async fn units(State(s): State<AppState>, p: Principal, axum::extract::Query(q): axum::extract::Query<UnitsQuery>) -> PageResult {
    let emergency = q.list.as_deref() == Some("emergency");
    let (total, units) =
        if emergency { s.app.emergency_released_units(&p.actor, 500).await? } else { s.app.units_in_processing(&p.actor, 500).await? };
    render_page(&UnitsPage { layout: Layout::new(&p, "processing"), total, units, emergency })
}
