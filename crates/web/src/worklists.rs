//! Lists the dashboards link to that have no other page: the DINs of a day.

use crate::auth::Principal;
use crate::pages::{render, render_status, Layout, PageResult};
use crate::AppState;
use app::dashboard::AssignedDinView;
use app::AppError;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "dins_assigned.html")]
pub struct DinsAssignedPage {
    pub layout: Layout,
    pub date: String,
    pub dins: Vec<AssignedDinView>,
    pub error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DayQuery {
    #[serde(default)]
    date: String,
}

pub async fn dins_assigned(State(s): State<AppState>, p: Principal, Query(q): Query<DayQuery>) -> PageResult {
    let date = if q.date.trim().is_empty() { s.app.today().to_string() } else { q.date.trim().to_string() };
    let mut page = DinsAssignedPage { layout: Layout::new(&p, "dins"), date: date.clone(), dins: vec![], error: None };
    match s.app.dins_assigned_on(&p.actor, &date).await {
        Ok(d) => {
            page.dins = d;
            render(&page)
        }
        Err(e @ AppError::Invalid(_)) => {
            page.error = Some(e.to_string());
            render_status(crate::error::status_of(&e), &page)
        }
        Err(e) => Err(e.into()),
    }
}
