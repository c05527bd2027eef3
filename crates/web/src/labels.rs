//! Label and DIN routes (API and pages): thin translations to the label and DIN use
//! cases, with the drawing done by the `render` crate.

use crate::api::{ApiJson, AssignDinBody};
use crate::auth::Principal;
use crate::error::{ApiError, PageError};
use crate::pages::{error_text, render as render_page, render_status, FieldView, Layout, PageResult};
use crate::AppState;
use app::labels::{LabelInput, LabelValues};
use app::AppError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use render::label::UnitLabel;
use serde::Deserialize;

fn unit_label(v: &LabelValues) -> UnitLabel {
    UnitLabel::from_values(v, vec![])
}

/// The label file in one of the three formats.
pub(crate) fn label_file(v: &LabelValues, format: &str) -> Result<Response, AppError> {
    let label = unit_label(v);
    let fail = |e: render::barcode::BarcodeError| AppError::Conflict(format!("the label could not be drawn: {e}"));
    let name = format!("label-{}", v.din.din());
    let (mime, ext, body): (&str, &str, Vec<u8>) = match format {
        "svg" => ("image/svg+xml", "svg", label.to_svg().map_err(fail)?.into_bytes()),
        "zpl" => ("application/zpl", "zpl", label.to_zpl(8).map_err(fail)?.into_bytes()),
        "pdf" => ("application/pdf", "pdf", label.to_pdf().map_err(fail)?),
        other => return Err(domain::FieldError::new("format", format!("'{other}' is not a label format; use pdf, svg or zpl")).into()),
    };
    Ok(([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}.{ext}\""))], body)
        .into_response())
}

#[derive(Deserialize, Default)]
pub struct FormatQuery {
    #[serde(default)]
    format: Option<String>,
}

/// `POST /api/v1/labels?format=pdf|svg|zpl`
pub async fn api_label(
    State(s): State<AppState>,
    p: Principal,
    Query(q): Query<FormatQuery>,
    ApiJson(input): ApiJson<LabelInput>,
) -> Result<Response, ApiError> {
    let format = q.format.unwrap_or_else(|| "pdf".into());
    if !["pdf", "svg", "zpl"].contains(&format.as_str()) {
        return Err(domain::FieldError::new("format", format!("'{format}' is not a label format; use pdf, svg or zpl")).into());
    }
    let v = s.app.unit_label(&p.actor, &input, &format).await?;
    Ok(label_file(&v, &format)?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    din: String,
    product_code: String,
    scans: Vec<String>,
}

/// `POST /api/v1/labels/verify`: 200 when the scans match the unit, 422 naming the mismatch.
pub async fn api_verify(State(s): State<AppState>, p: Principal, ApiJson(b): ApiJson<VerifyBody>) -> Result<Response, ApiError> {
    s.app.verify_label(&p.actor, &b.din, &b.product_code, &b.scans)?;
    Ok(Json(serde_json::json!({"match": true})).into_response())
}

pub async fn api_assign_din(State(s): State<AppState>, p: Principal, ApiJson(b): ApiJson<AssignDinBody>) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.assign_din(&p.actor, &b.site).await?)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanBody {
    scan: String,
}

pub async fn api_preprinted(State(s): State<AppState>, p: Principal, ApiJson(b): ApiJson<ScanBody>) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.use_preprinted_din(&p.actor, &b.scan).await?)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSetBody {
    year: i64,
    first: i64,
    last: i64,
    #[serde(default)]
    note: Option<String>,
}

pub async fn api_label_sets(State(s): State<AppState>, p: Principal) -> Result<Response, ApiError> {
    Ok(Json(s.app.din_label_sets(&p.actor).await?).into_response())
}

pub async fn api_register_set(State(s): State<AppState>, p: Principal, ApiJson(b): ApiJson<LabelSetBody>) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.register_din_label_set(&p.actor, b.year, b.first, b.last, b.note).await?)).into_response())
}

// ---------------------------------------------------------------- pages

#[derive(Deserialize, Default, Clone)]
pub struct LabelForm {
    #[serde(default)]
    din: String,
    #[serde(default)]
    blood_group: String,
    #[serde(default)]
    product_code: String,
    #[serde(default)]
    expires_at: String,
    #[serde(default)]
    collected_on: String,
    /// preview (the page) or pdf, svg, zpl (a file)
    #[serde(default)]
    format: String,
}

impl LabelForm {
    fn input(&self) -> LabelInput {
        LabelInput {
            din: self.din.clone(),
            blood_group: self.blood_group.clone(),
            product_code: self.product_code.clone(),
            expires_at: self.expires_at.clone(),
            collected_on: self.collected_on.clone(),
        }
    }

    fn fields(&self) -> Vec<FieldView> {
        vec![
            FieldView::text("din", "DIN", &self.din)
                .required()
                .help("13 characters, the barcode data, or the printed form with its check character."),
            FieldView::text("blood_group", "ABO/RhD", &self.blood_group).required().help("e.g. O+, A NEG"),
            FieldView::text("product_code", "Product code", &self.product_code).required().help("PDC, donation type and division, e.g. E0398V00"),
            FieldView::text("expires_at", "Expires (local time)", &self.expires_at).required().kind("datetime-local"),
            FieldView::text("collected_on", "Collected on", &self.collected_on).kind("date"),
        ]
    }
}

#[derive(Template)]
#[template(path = "labels.html")]
pub struct LabelsPage {
    pub layout: Layout,
    pub fields: Vec<FieldView>,
    pub error: Option<String>,
    pub preview: Option<String>,
    pub catalog: Vec<(String, String)>,
    pub candidates: Vec<app::labels::LabelCandidate>,
}

async fn labels_page(
    s: &AppState,
    p: &Principal,
    form: LabelForm,
    error: Option<&AppError>,
    preview: Option<String>,
) -> Result<LabelsPage, AppError> {
    let mut fields = form.fields();
    let error = error.map(|e| error_text(&mut fields, e));
    let catalog = s.app.settings.catalog.iter().filter(|e| e.dating.is_some()).map(|e| (e.code.clone(), e.description.clone())).collect();
    let candidates = s.app.label_candidates(&p.actor, 20).await?;
    Ok(LabelsPage { layout: Layout::new(p, "labels"), fields, error, preview, catalog, candidates })
}

/// The Labels page; `?din=…&blood_group=…&collected_on=…` fills the form from a recent donation.
pub async fn labels_form(State(s): State<AppState>, p: Principal, Query(form): Query<LabelForm>) -> PageResult {
    let form = LabelForm { format: String::new(), ..form };
    render_page(&labels_page(&s, &p, form, None, None).await?)
}

pub async fn labels_submit(State(s): State<AppState>, p: Principal, Form(form): Form<LabelForm>) -> PageResult {
    let format = if form.format.is_empty() { "preview" } else { form.format.as_str() };
    if !["preview", "pdf", "svg", "zpl"].contains(&format) {
        let e = AppError::from(domain::FieldError::new("format", format!("'{format}' is not a label format; use pdf, svg or zpl")));
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &labels_page(&s, &p, form, Some(&e), None).await?);
    }
    match s.app.unit_label(&p.actor, &form.input(), format).await {
        Ok(v) if form.format == "preview" || form.format.is_empty() => {
            let svg = unit_label(&v).to_svg().map_err(|e| PageError(AppError::Conflict(e.to_string())))?;
            render_page(&labels_page(&s, &p, form, None, Some(svg)).await?)
        }
        Ok(v) => Ok(label_file(&v, &form.format)?),
        Err(e @ AppError::Invalid(_)) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &labels_page(&s, &p, form, Some(&e), None).await?),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "dins.html")]
pub struct DinsPage {
    pub layout: Layout,
    pub fin: String,
    pub sites: Vec<(String, String)>,
    pub sets: Vec<app::dins::LabelSetView>,
    pub can_register: bool,
    pub assigned: Option<app::dins::AssignedDin>,
    pub error: Option<String>,
    pub set_fields: Vec<FieldView>,
}

async fn dins_page(s: &AppState, p: &Principal) -> Result<DinsPage, AppError> {
    let sites = s
        .app
        .list_sites(&p.actor)
        .await?
        .into_iter()
        .filter(|x| x.fields.active)
        .map(|x| (x.fields.code.as_str().to_string(), x.fields.name))
        .collect();
    Ok(DinsPage {
        layout: Layout::new(p, "dins"),
        fin: s.app.settings.fin.clone().unwrap_or_else(|| "(not configured: start the server with --fin)".into()),
        sites,
        sets: s.app.din_label_sets(&p.actor).await?,
        can_register: p.actor.can(domain::Permission::ManageDinLabelSets),
        assigned: None,
        error: None,
        set_fields: set_fields(&SetForm::default()),
    })
}

pub async fn dins(State(s): State<AppState>, p: Principal) -> PageResult {
    render_page(&dins_page(&s, &p).await?)
}

#[derive(Deserialize, Default)]
pub struct AssignForm {
    #[serde(default)]
    site: String,
    #[serde(default)]
    scan: String,
}

pub async fn assign(State(s): State<AppState>, p: Principal, Form(f): Form<AssignForm>) -> PageResult {
    let result = if f.scan.trim().is_empty() { s.app.assign_din(&p.actor, &f.site).await } else { s.app.use_preprinted_din(&p.actor, &f.scan).await };
    let mut page = dins_page(&s, &p).await?;
    match result {
        Ok(d) => {
            page.assigned = Some(d);
            render_page(&page)
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            page.error = Some(e.to_string());
            render_status(crate::error::status_of(&e), &page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct SetForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    first: String,
    #[serde(default)]
    last: String,
    #[serde(default)]
    note: String,
}

fn set_fields(f: &SetForm) -> Vec<FieldView> {
    vec![
        FieldView::text("year", "Year", &f.year).required(),
        FieldView::text("first", "First sequence number", &f.first).required(),
        FieldView::text("last", "Last sequence number", &f.last).required(),
        FieldView::text("note", "Note", &f.note).help("e.g. the supplier's box or lot number"),
    ]
}

pub async fn register_set(State(s): State<AppState>, p: Principal, Form(f): Form<SetForm>) -> PageResult {
    let num =
        |field: &'static str, v: &str| v.trim().parse::<i64>().map_err(|_| domain::FieldError::new(field, format!("'{}' is not a number", v.trim())));
    let mut errs = domain::FieldErrors::default();
    let (year, first, last) = (errs.take(num("year", &f.year)), errs.take(num("first", &f.first)), errs.take(num("last", &f.last)));
    let result = match (year, first, last) {
        (Some(y), Some(a), Some(b)) if errs.is_empty() => s.app.register_din_label_set(&p.actor, y, a, b, Some(f.note.clone())).await,
        _ => Err(AppError::Invalid(errs)),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/lab/dins").into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let mut page = dins_page(&s, &p).await?;
            page.set_fields = set_fields(&f);
            page.error = Some(error_text(&mut page.set_fields, &e));
            render_status(crate::error::status_of(&e), &page)
        }
        Err(e) => Err(e.into()),
    }
}
