//! Donor search and the donor page (API and UI).

use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{render as render_page, render_status, Layout, PageResult};
use crate::AppState;
use app::donors::{DonorProfile, DonorSummary};
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
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
}

pub async fn show(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    let profile = s.app.donor_profile(&p.actor, &number).await?;
    render_page(&DonorPage { layout: Layout::new(&p, "donors"), p: profile })
}
