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
use serde_json::Value;

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPageView {
    pub layout: Layout,
    pub q: AuditQuery,
    pub results: AuditResults,
    /// Problems with the filter, each shown next to its field.
    pub errors: domain::FieldErrors,
    /// The actions the trail holds: (code, words).
    pub actions: Vec<(String, String)>,
    pub csv_link: String,
}

impl AuditPageView {
    fn error(&self, field: &str) -> Option<String> {
        self.errors.message_for(field).map(crate::words::message)
    }

    /// Problems not tied to one of the visible fields.
    fn other_errors(&self) -> Vec<String> {
        self.errors.0.iter().filter(|e| !["from", "to"].contains(&e.field.as_ref())).map(|e| crate::words::message(&e.to_string())).collect()
    }
}

/// One record as staff read it.
pub struct AuditRow {
    pub seq: i64,
    /// Local time with the zone.
    pub when: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub donor_number: Option<String>,
    pub changes: Vec<Change>,
    /// Further changed fields of a long record, folded away on the page.
    pub more_changes: Vec<Change>,
    pub reason: Option<String>,
}

/// The changed fields shown before the rest is folded away.
const CHANGES_SHOWN: usize = 8;

/// One changed field: its label, the value before and after (absent when the record
/// had no such value, e.g. when it was created).
#[derive(Debug, PartialEq)]
pub struct Change {
    pub label: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The longest list shown in full; longer ones end with "and N more".
const LIST_MAX: usize = 12;

/// Flattens a JSON value into (path of field names, readable value) pairs, in order.
fn flatten(path: &mut Vec<String>, v: &Value, local: &dyn Fn(chrono::DateTime<chrono::Utc>) -> String, out: &mut Vec<(Vec<String>, String)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                path.push(k.clone());
                flatten(path, v, local, out);
                path.pop();
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            for (n, item) in items.iter().enumerate() {
                path.push(format!("#{}", n + 1));
                flatten(path, item, local, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            let key = path.last().map(String::as_str).unwrap_or("");
            let mut words: Vec<String> = items.iter().take(LIST_MAX).map(|i| scalar(key, i, local)).collect();
            if items.len() > LIST_MAX {
                words.push(format!("and {} more", items.len() - LIST_MAX));
            }
            out.push((path.clone(), if words.is_empty() { "none".into() } else { words.join(", ") }));
        }
        other => {
            let key = path.last().map(String::as_str).unwrap_or("");
            out.push((path.clone(), scalar(key, other, local)));
        }
    }
}

fn scalar(_key: &str, v: &Value, local: &dyn Fn(chrono::DateTime<chrono::Utc>) -> String) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(at) => local(at.with_timezone(&chrono::Utc)),
            Err(_) => crate::words::code(s),
        },
        Value::Object(_) => "—".into(),
        Value::Array(_) => String::new(),
    }
}

fn label(path: &[String]) -> String {
    let parts: Vec<String> = path.iter().map(|p| if p.starts_with('#') { p.clone() } else { crate::words::field(p) }).collect();
    if parts.is_empty() {
        "Value".into()
    } else {
        parts.join(" › ")
    }
}

/// The fields a record changed, readable: before and after side by side, unchanged
/// fields left out; a record with only one side lists all of its fields.
pub fn changes(before: Option<&str>, after: Option<&str>, local: &dyn Fn(chrono::DateTime<chrono::Utc>) -> String) -> Vec<Change> {
    let parse = |s: Option<&str>| -> Vec<(Vec<String>, String)> {
        let Some(s) = s else { return vec![] };
        let v: Value = serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()));
        let mut out = Vec::new();
        flatten(&mut Vec::new(), &v, local, &mut out);
        out
    };
    let (b, a) = (parse(before), parse(after));
    let mut rows = Vec::new();
    for (path, new) in &a {
        let old = b.iter().find(|(p, _)| p == path).map(|(_, v)| v.clone());
        if old.as_deref() == Some(new.as_str()) {
            continue;
        }
        rows.push(Change { label: label(path), before: old, after: Some(new.clone()) });
    }
    for (path, old) in &b {
        if !a.iter().any(|(p, _)| p == path) {
            rows.push(Change { label: label(path), before: Some(old.clone()), after: None });
        }
    }
    rows
}

impl AuditRow {
    fn of(r: AuditRecord, local: &dyn Fn(chrono::DateTime<chrono::Utc>) -> String) -> Self {
        let mut shown = changes(r.before.as_deref(), r.after.as_deref(), local);
        let more_changes = if shown.len() > CHANGES_SHOWN + 2 { shown.split_off(CHANGES_SHOWN) } else { vec![] };
        Self {
            seq: r.seq,
            when: local(r.at),
            action: crate::words::action(&r.action),
            entity: crate::words::entity_type(&r.entity_type),
            changes: shown,
            more_changes,
            actor: r.actor,
            entity_id: r.entity_id,
            donor_number: r.donor_number,
            reason: r.reason,
        }
    }
}

#[derive(Template)]
#[template(path = "audit_results.html")]
pub struct AuditResults {
    pub records: Vec<AuditRow>,
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
    let local = |at| s.app.local_time(at);
    let (results, errors, status) = match q.filter() {
        Ok((filter, page)) => {
            let r = s.app.audit_page(&p.actor, &filter, page, AUDIT_PER_PAGE).await?;
            let pages = ((r.total + AUDIT_PER_PAGE - 1) / AUDIT_PER_PAGE).max(1);
            let results = AuditResults {
                total: r.total,
                page,
                pages,
                prev_link: (page > 1).then(|| link(&q, page - 1)),
                next_link: (page < pages).then(|| link(&q, page + 1)),
                records: r.records.into_iter().map(|r| AuditRow::of(r, &local)).collect(),
            };
            (results, domain::FieldErrors::default(), StatusCode::OK)
        }
        Err(e) => {
            (AuditResults { records: vec![], total: 0, page: 1, pages: 1, prev_link: None, next_link: None }, e, StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    if partial && errors.is_empty() {
        return render(&results);
    }
    let mut actions: Vec<(String, String)> = s
        .app
        .audit_actions(&p.actor)
        .await?
        .into_iter()
        .map(|a| {
            let words = crate::words::action(&a);
            (a, words)
        })
        .collect();
    let chosen = q.action.trim();
    if !chosen.is_empty() && !actions.iter().any(|(a, _)| a == chosen) {
        actions.push((chosen.to_string(), crate::words::action(chosen)));
    }
    actions.sort_by(|x, y| x.1.cmp(&y.1));
    let csv_link = link(&q, 1).replacen("/quality/audit?", "/quality/audit.csv?", 1);
    render_status(status, &AuditPageView { layout: Layout::new(&p, "audit"), q, results, errors, actions, csv_link })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(at: chrono::DateTime<chrono::Utc>) -> String {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    #[test]
    fn changes_list_only_what_changed_with_readable_labels() {
        let before = r#"{"name":"Old","kind":"fixed","consent":{"email":true},"gone":"x"}"#;
        let after = r#"{"name":"New","kind":"fixed","consent":{"email":false},"procedure":"whole_blood","at":"2026-03-02T14:05:00Z"}"#;
        let c = changes(Some(before), Some(after), &utc);
        let row = |label: &str| c.iter().find(|x| x.label == label).unwrap_or_else(|| panic!("no {label} in {c:?}"));
        assert_eq!((row("Name").before.as_deref(), row("Name").after.as_deref()), (Some("Old"), Some("New")));
        assert_eq!(row("Agreed to › Email").after.as_deref(), Some("no"));
        assert_eq!(row("Procedure").after.as_deref(), Some("Whole blood"));
        assert_eq!(row("At").after.as_deref(), Some("2026-03-02 14:05 UTC"));
        assert_eq!(row("Gone").after, None, "a field that went away");
        assert!(!c.iter().any(|x| x.label == "Kind"), "unchanged fields are left out");
    }

    #[test]
    fn long_lists_end_with_a_count_and_are_never_cut_mid_word() {
        let numbers: Vec<String> = (1..=30).map(|i| format!("D{i:07}")).collect();
        let after = serde_json::json!({"donors": numbers}).to_string();
        let c = changes(None, Some(&after), &utc);
        assert_eq!(c.len(), 1);
        let v = c[0].after.as_deref().unwrap();
        assert!(v.starts_with("D0000001, D0000002") && v.ends_with("D0000012, and 18 more"), "{v}");
    }
}
