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
    pub csv_link: String,
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
    let pairs = [
        ("entity_type", &q.entity_type),
        ("entity_id", &q.entity_id),
        ("donor", &q.donor),
        ("actor", &q.actor),
        ("action", &q.action),
        ("from", &q.from),
        ("to", &q.to),
    ];
    let mut parts: Vec<String> = pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
    parts.push(format!("page={page}"));
    format!("/quality/audit?{}", parts.join("&"))
}

/// The most rows one export holds; narrow the filter for more.
pub const EXPORT_LIMIT: i64 = 1_000_000;

/// The filtered audit trail as CSV (newest first), hashes included.
pub async fn export_csv(
    State(s): State<AppState>,
    p: Principal,
    Query(q): Query<AuditQuery>,
) -> Result<axum::response::Response, crate::error::PageError> {
    use axum::response::IntoResponse;
    let (filter, _) = q.filter().map_err(app::AppError::Invalid)?;
    let mut csv = interop::csv_export::AuditCsv::new(Vec::new()).map_err(internal)?;
    let mut failure = None;
    s.app
        .audit_each(&p.actor, &filter, EXPORT_LIMIT, |r| {
            if failure.is_none() {
                if let Err(e) = csv.write(r) {
                    failure = Some(e);
                }
            }
            Ok(())
        })
        .await?;
    if let Some(e) = failure {
        return Err(internal(e));
    }
    let bytes = csv.finish().map_err(internal)?;
    let name = format!("hemaflow-audit-{}.csv", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response())
}

fn internal(e: interop::csv_export::CsvError) -> crate::error::PageError {
    tracing::error!(error = %e, "audit export failed");
    crate::error::PageError(app::AppError::Conflict(format!("the export could not be written: {e}")))
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
    let csv_link = link(&q, 1).replacen("/quality/audit?", "/quality/audit.csv?", 1);
    render_status(status, &AuditPageView { layout: Layout::new(&p, "audit"), q, results, error, csv_link })
}
