//! Donor search and the donor page (API and UI).

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{error_text, render as render_page, render_status, FieldView, Layout, PageResult};
use crate::AppState;
use app::donors::{DeferralInput, DonorProfile, DonorSummary};
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn api_search(State(s): State<AppState>, p: Principal, Query(q): Query<SearchQuery>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.search_donors(&p.actor, &q.q).await?))
}

pub async fn api_donor(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.donor_profile(&p.actor, &number).await?))
}

#[derive(Template)]
#[template(path = "donors.html")]
pub struct DonorsPage {
    pub layout: Layout,
    pub q: String,
    pub searched: bool,
    pub donors: Vec<DonorSummary>,
    pub error: Option<String>,
}

pub async fn search(State(s): State<AppState>, p: Principal, Query(q): Query<SearchQuery>) -> PageResult {
    let mut page = DonorsPage { layout: Layout::new(&p, "donors"), q: q.q.clone(), searched: !q.q.trim().is_empty(), donors: vec![], error: None };
    if !page.searched {
        return render_page(&page);
    }
    match s.app.search_donors(&p.actor, &q.q).await {
        Ok(d) => {
            page.donors = d;
            render_page(&page)
        }
        Err(e @ AppError::Invalid(_)) => {
            page.error = Some(e.to_string());
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "donor.html")]
pub struct DonorPage {
    pub layout: Layout,
    pub p: DonorProfile,
    pub can_defer: bool,
    pub can_reenter: bool,
    pub fields: Vec<FieldView>,
    pub error: Option<String>,
}

fn deferral_fields(f: &DeferralForm) -> Vec<FieldView> {
    let kinds = ["temporary", "indefinite", "permanent"].iter().map(|k| (k.to_string(), k.to_string())).collect();
    vec![
        FieldView::text("kind", "Kind", if f.kind.is_empty() { "temporary" } else { &f.kind }).required().select(kinds),
        FieldView::text("reason_code", "Reason code", &f.reason_code).required().help("e.g. LOW_HB, TATTOO, MED_ISOTRETINOIN"),
        FieldView::text("reason", "Reason", &f.reason).required().kind("textarea"),
        FieldView::text("until", "May give again from", &f.until).kind("date").help("Temporary deferrals only."),
    ]
}

async fn donor_page(s: &AppState, p: &Principal, number: &str, form: &DeferralForm, error: Option<&AppError>) -> Result<DonorPage, AppError> {
    let profile = s.app.donor_profile(&p.actor, number).await?;
    let mut fields = deferral_fields(form);
    let error = error.map(|e| error_text(&mut fields, e));
    Ok(DonorPage {
        layout: Layout::new(p, "donors"),
        p: profile,
        can_defer: p.actor.can(domain::Permission::DeferDonors),
        can_reenter: p.actor.can(domain::Permission::ReenterDonors),
        fields,
        error,
    })
}

pub async fn show(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    render_page(&donor_page(&s, &p, &number, &DeferralForm::default(), None).await?)
}

#[derive(Deserialize, Default)]
pub struct DeferralForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason_code: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    until: String,
}

pub async fn defer(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(f): Form<DeferralForm>) -> PageResult {
    let input = DeferralInput {
        kind: f.kind.clone(),
        reason_code: f.reason_code.clone(),
        reason: f.reason.clone(),
        starts_on: None,
        until: Some(f.until.clone()),
    };
    match s.app.defer_donor(&p.actor, &number, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/donors/{}", number.trim())).into_response()),
        Err(e @ AppError::Invalid(_)) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &donor_page(&s, &p, &number, &f, Some(&e)).await?),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct ReentryForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    donor: String,
}

pub async fn reenter(State(s): State<AppState>, p: Principal, Path(id): Path<String>, Form(f): Form<ReentryForm>) -> PageResult {
    let id = crate::api::parse_id("deferral", &id)?;
    s.app.reenter_donor(&p.actor, id, &f.reason).await?;
    Ok(Redirect::to(&format!("/donors/{}", f.donor.trim())).into_response())
}

pub async fn api_defer(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<DeferralInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.defer_donor(&p.actor, &number, &input).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReentryBody {
    reason: String,
}

pub async fn api_reenter(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReentryBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = crate::api::parse_id("deferral", &id)?;
    Ok(Json(s.app.reenter_donor(&p.actor, id, &b.reason).await?))
}
