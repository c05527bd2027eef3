//! The quality page for browsing the audit trail, with filters and paging. With htmx,
//! filtering replaces only the results.

use super::{render, render_status, Layout, PageResult};
use crate::api::{AuditQuery, AUDIT_PER_PAGE};
use crate::auth::{urlencode, Principal};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use domain::AuditRecord;

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPageView {
    pub layout: Layout,
    pub q: AuditQuery,
    pub results: AuditResults,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "audit_results.html")]
pub struct AuditResults {
    pub records: Vec<AuditRecord>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub prev_link: Option<String>,
    pub next_link: Option<String>,
}

fn link(q: &AuditQuery, page: i64) -> String {
    let mut q = q.clone();
    q.page = Some(page.to_string());
    let pairs =
        [("entity_type", &q.entity_type), ("entity_id", &q.entity_id), ("actor", &q.actor), ("action", &q.action), ("from", &q.from), ("to", &q.to)];
    let mut parts: Vec<String> = pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
    parts.push(format!("page={page}"));
    format!("/quality/audit?{}", parts.join("&"))
}

pub async fn list(State(s): State<AppState>, p: Principal, headers: HeaderMap, Query(q): Query<AuditQuery>) -> PageResult {
    let partial = headers.get("hx-request").is_some() && headers.get("hx-boosted").is_none();
    let (results, error, status) = match q.filter() {
        Ok((filter, page)) => {
            let r = s.app.audit_page(&p.actor, &filter, page, AUDIT_PER_PAGE).await?;
            let pages = ((r.total + AUDIT_PER_PAGE - 1) / AUDIT_PER_PAGE).max(1);
            let results = AuditResults {
                total: r.total,
                page,
                pages,
                prev_link: (page > 1).then(|| link(&q, page - 1)),
                next_link: (page < pages).then(|| link(&q, page + 1)),
                records: r.records,
            };
            (results, None, StatusCode::OK)
        }
        Err(e) => (
            AuditResults { records: vec![], total: 0, page: 1, pages: 1, prev_link: None, next_link: None },
            Some(e.to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    if partial && error.is_none() {
        return render(&results);
    }
    render_status(status, &AuditPageView { layout: Layout::new(&p, "audit"), q, results, error })
}
