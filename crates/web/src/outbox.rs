//! The Outbox page: captured mail, kept instead of sent because no mail server or
//! SMS webhook is configured.

use crate::auth::Principal;
use crate::pages::{render, Layout, PageResult};
use crate::AppState;
use app::recruitment::CapturedPage;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "outbox.html")]
pub struct OutboxPage {
    pub layout: Layout,
    pub o: CapturedPage,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<i64>,
}

pub async fn page(State(s): State<AppState>, p: Principal, Query(q): Query<PageQuery>) -> PageResult {
    let o = s.app.captured_mail(&p.actor, q.page.unwrap_or(1)).await?;
    render(&OutboxPage { layout: Layout::new(&p, "recruitment"), o })
}
