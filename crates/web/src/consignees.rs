//! Pages and API for lookback and recall to the consignee: the case with its units and
//! consignees, notices and their letters, the hospital's acknowledgement, recalls, and
//! the trace from a donor to every hospital.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{form_value, render, render_status, Layout, PageResult};
use crate::AppState;
use app::consignees::{
    AckInput, AckUnit, CaseView, Letter, NoticeInput, NoticeView, RecallInput, ResultInput, Trace, ACTIONS, RECALL_KINDS, RESULTS,
};
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use domain::Permission;
use uuid::Uuid;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(c, t)| (c.to_string(), t.to_string())).collect()
}

/// Field errors of a refused form, and a message for the rest.
#[derive(Default)]
pub struct Refusal {
    /// Which form was refused (`notice`, `result`, `recall`, or a notice id).
    pub form: String,
    pub fields: Vec<(String, String)>,
    pub message: Option<String>,
}

impl Refusal {
    fn of(form: &str, e: &AppError) -> Option<(StatusCode, Self)> {
        match e {
            AppError::Invalid(errs) => Some((
                StatusCode::UNPROCESSABLE_ENTITY,
                Refusal { form: form.into(), fields: errs.0.iter().map(|e| (e.field.to_string(), e.message.clone())).collect(), message: None },
            )),
            AppError::Conflict(m) => Some((StatusCode::CONFLICT, Refusal { form: form.into(), fields: vec![], message: Some(m.clone()) })),
            _ => None,
        }
    }
    pub fn error(&self, form: &str, field: &str) -> Option<&str> {
        (self.form == form)
            .then(|| self.fields.iter().find(|(f, _)| f == field || f.starts_with(&format!("{field}["))).map(|(_, m)| m.as_str()))
            .flatten()
    }
    pub fn message(&self, form: &str) -> Option<&str> {
        (self.form == form).then_some(self.message.as_deref()).flatten()
    }
}

#[derive(Template)]
#[template(path = "consignee_case.html")]
pub struct CasePage {
    pub layout: Layout,
    pub case: CaseView,
    pub can_send: bool,
    pub results: Vec<(String, String)>,
    pub refused: Refusal,
}

async fn case_page(s: &AppState, p: &Principal, id: Uuid, refused: Refusal) -> Result<CasePage, AppError> {
    Ok(CasePage {
        layout: Layout::new(p, "lookback"),
        case: s.app.consignee_case(&p.actor, id).await?,
        can_send: p.actor.can(Permission::ManageDeviations),
        results: pairs(RESULTS),
        refused,
    })
}

/// `GET /quality/lookback/{case}`: a lookback or recall case with its consignees.
pub async fn case(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>) -> PageResult {
    render(&case_page(&s, &p, id, Refusal::default()).await?)
}

async fn after(s: &AppState, p: &Principal, id: Uuid, form: &str, r: Result<(), AppError>) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/quality/lookback/{id}")).into_response()),
        Err(e) => match Refusal::of(form, &e) {
            Some((status, refused)) => render_status(status, &case_page(s, p, id, refused).await?),
            None => Err(e.into()),
        },
    }
}

/// `POST /quality/lookback/{case}/notices` (form: hospital, kind): send a notice.
pub async fn send(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>, Form(f): Form<Vec<(String, String)>>) -> PageResult {
    let input = NoticeInput { hospital: form_value(&f, "hospital"), kind: form_value(&f, "kind") };
    let r = s.app.send_consignee_notice(&p.actor, id, &input).await.map(|_| ());
    after(&s, &p, id, &format!("notice-{}", input.hospital), r).await
}

/// `POST /quality/lookback/{case}/result` (form: result, tested_on).
pub async fn result(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>, Form(f): Form<Vec<(String, String)>>) -> PageResult {
    let input = ResultInput { result: form_value(&f, "result"), tested_on: form_value(&f, "tested_on") };
    let r = s.app.record_supplemental_result(&p.actor, id, &input).await.map(|_| ());
    after(&s, &p, id, "result", r).await
}

fn letter_pdf(l: Letter) -> Vec<u8> {
    use render::document::{consignee_letter, ConsigneeLetter, NotifiedUnit, ShippedUnit};
    let units = l
        .units
        .into_iter()
        .map(|u| NotifiedUnit {
            unit: ShippedUnit { din: u.din, product_code: u.product_code, product: u.product, group: u.group, expiry: u.expiry },
            shipped: u.shipped,
        })
        .collect();
    consignee_letter(&ConsigneeLetter {
        issuer: l.issuer,
        recipient: l.recipient,
        case: l.case,
        date: l.date,
        subject: l.subject,
        reason: l.reason,
        units,
        action: l.action,
        deadline: l.deadline,
        acknowledge: l.acknowledge,
        contact: l.contact,
        signatory: l.signatory,
    })
    .to_pdf()
}

/// `GET /quality/lookback/{case}/letters/{hospital}.pdf`: the letter to a consignee
/// (a hospital user: its own only).
pub async fn letter(State(s): State<AppState>, p: Principal, Path((id, file)): Path<(Uuid, String)>) -> PageResult {
    let Some(code) = file.strip_suffix(".pdf") else {
        return Err(AppError::NotFound("letters are PDF files: …/letters/HOSPITAL.pdf".into()).into());
    };
    let l = s.app.consignee_letter(&p.actor, id, code).await?;
    let name = format!("{}-{}.pdf", l.case, code.to_uppercase());
    Ok((
        [(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}\""))],
        letter_pdf(l),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "recalls.html")]
pub struct RecallsPage {
    pub layout: Layout,
    pub cases: Vec<CaseView>,
    pub can_open: bool,
    pub kinds: Vec<(String, String)>,
    pub entered: RecallInput,
    pub refused: Refusal,
}

impl RecallsPage {
    pub fn units_text(&self) -> String {
        self.entered.units.join("\n")
    }
}

async fn recalls_page(s: &AppState, p: &Principal) -> Result<RecallsPage, AppError> {
    Ok(RecallsPage {
        layout: Layout::new(p, "recalls"),
        cases: s.app.recall_cases(&p.actor, 200).await?,
        can_open: p.actor.can(Permission::ManageDeviations),
        kinds: pairs(RECALL_KINDS),
        entered: RecallInput::default(),
        refused: Refusal::default(),
    })
}

/// `GET /quality/recalls`: recalls and market withdrawals, and the form to open one.
pub async fn recalls(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&recalls_page(&s, &p).await?)
}

/// `POST /quality/recalls` (form: kind, reason, units one per line).
pub async fn open_recall(State(s): State<AppState>, p: Principal, Form(f): Form<Vec<(String, String)>>) -> PageResult {
    let input = RecallInput {
        kind: form_value(&f, "kind"),
        reason: form_value(&f, "reason"),
        units: form_value(&f, "units").lines().map(str::to_string).filter(|l| !l.trim().is_empty()).collect(),
    };
    match s.app.open_recall(&p.actor, &input).await {
        Ok(c) => Ok(Redirect::to(&format!("/quality/lookback/{}", c.id)).into_response()),
        Err(e) => match Refusal::of("recall", &e) {
            Some((status, refused)) => {
                let mut page = recalls_page(&s, &p).await?;
                page.entered = input;
                page.refused = refused;
                render_status(status, &page)
            }
            None => Err(e.into()),
        },
    }
}

#[derive(Template)]
#[template(path = "trace.html")]
pub struct TracePage {
    pub layout: Layout,
    pub trace: Trace,
}

/// `GET /quality/trace/{donor_number}`: from a donor to every hospital.
pub async fn trace(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    render(&TracePage { layout: Layout::new(&p, "lookback"), trace: s.app.trace(&p.actor, &number).await? })
}

#[derive(Template)]
#[template(path = "notices.html")]
pub struct NoticesPage {
    pub layout: Layout,
    pub notices: Vec<NoticeView>,
    pub can_acknowledge: bool,
    pub actions: Vec<(String, String)>,
    pub refused: Refusal,
}

async fn notices_page(s: &AppState, p: &Principal, refused: Refusal) -> Result<NoticesPage, AppError> {
    Ok(NoticesPage {
        layout: Layout::new(p, "notices"),
        notices: s.app.consignee_notices(&p.actor, 200).await?,
        can_acknowledge: p.actor.can(Permission::ReportDispositions) && p.actor.hospital_id.is_some(),
        actions: pairs(ACTIONS),
        refused,
    })
}

/// `GET /portal/notices`: lookback and recall notices (a hospital user: its own).
pub async fn notices(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&notices_page(&s, &p, Refusal::default()).await?)
}

/// `POST /portal/notices/{id}/acknowledgement` (form: `action-DIN-CODE` per unit, note).
pub async fn acknowledge(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>, Form(f): Form<Vec<(String, String)>>) -> PageResult {
    let units = f
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix("action-")?;
            let (din, code) = rest.split_once('-')?;
            Some(AckUnit { din: din.into(), product_code: code.into(), action: v.clone() })
        })
        .collect();
    let input = AckInput { units, note: form_value(&f, "note") };
    match s.app.acknowledge_notice(&p.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to("/portal/notices").into_response()),
        Err(e) => match Refusal::of(&id.to_string(), &e) {
            Some((status, refused)) => render_status(status, &notices_page(&s, &p, refused).await?),
            None => Err(e.into()),
        },
    }
}

/// `POST /api/v1/recalls` `{"kind", "reason", "units": ["DIN", "DIN PRODUCT"]}`.
pub async fn api_open_recall(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<RecallInput>) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.open_recall(&p.actor, &input).await?)).into_response())
}

/// `GET /api/v1/consignee-cases/{case}`.
pub async fn api_case(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>) -> Result<Response, ApiError> {
    Ok(Json(s.app.consignee_case(&p.actor, id).await?).into_response())
}

/// `POST /api/v1/consignee-cases/{case}/notices` `{"hospital", "kind"?}`.
pub async fn api_send(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<NoticeInput>,
) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.send_consignee_notice(&p.actor, id, &input).await?)).into_response())
}

/// `POST /api/v1/consignee-cases/{case}/supplemental-result` `{"result", "tested_on"}`.
pub async fn api_result(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<ResultInput>,
) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.record_supplemental_result(&p.actor, id, &input).await?)).into_response())
}

/// `GET /api/v1/consignee-notifications`.
pub async fn api_notices(State(s): State<AppState>, p: Principal) -> Result<Response, ApiError> {
    Ok(Json(s.app.consignee_notices(&p.actor, 1000).await?).into_response())
}

/// `GET /api/v1/consignee-notifications/{id}`.
pub async fn api_notice(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>) -> Result<Response, ApiError> {
    Ok(Json(s.app.consignee_notice(&p.actor, id).await?).into_response())
}

/// `POST /api/v1/consignee-notifications/{id}/acknowledgement` `{"units": [{"din", "product_code", "action"}], "note"?}`.
pub async fn api_acknowledge(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<AckInput>,
) -> Result<Response, ApiError> {
    Ok(Json(s.app.acknowledge_notice(&p.actor, id, &input).await?).into_response())
}

/// `GET /api/v1/donors/{number}/trace`.
pub async fn api_trace(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<Response, ApiError> {
    Ok(Json(s.app.trace(&p.actor, &number).await?).into_response())
}
