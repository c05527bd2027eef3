//! Returns of units from hospitals and the dispositions hospitals report: pages and API.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{form_value as value, render, render_status, Layout, PageResult};
use crate::AppState;
use app::AppError;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Form, Json};
use domain::Permission;

#[derive(Template)]
#[template(path = "returns.html")]
pub struct ReturnsPage {
    pub layout: Layout,
    pub returns: Vec<app::returns::ReturnView>,
    pub dispositions: Vec<app::returns::DispositionView>,
    pub can_return: bool,
    pub can_report: bool,
    /// Which form was refused, why, and what was entered.
    pub refusal: Option<(String, String, String)>,
    /// The temperature as typed, and its error, on a refused return.
    pub temperature: String,
    pub temperature_error: Option<String>,
    pub done: Option<String>,
}

impl ReturnsPage {
    pub fn refused(&self, form: &str) -> Option<&str> {
        self.refusal.as_ref().filter(|(f, _, _)| f == form).map(|(_, m, _)| m.as_str())
    }
    pub fn scanned(&self, form: &str) -> &str {
        self.refusal.as_ref().filter(|(f, _, _)| f == form || (form == "return" && f == "return-reading")).map(|(_, _, s)| s.as_str()).unwrap_or("")
    }
    pub fn dispositions_list(&self) -> Vec<(&'static str, &'static str)> {
        domain::order::Disposition::ALL.iter().map(|d| (d.as_str(), d.title())).collect()
    }
}

async fn returns_page(s: &AppState, p: &Principal) -> Result<ReturnsPage, AppError> {
    Ok(ReturnsPage {
        layout: Layout::new(p, "returns"),
        returns: s.app.returns(&p.actor, 200).await?,
        dispositions: s.app.dispositions(&p.actor, 200).await?,
        can_return: p.actor.can(Permission::HandleReturns),
        can_report: p.actor.can(Permission::ReportDispositions),
        refusal: None,
        temperature: String::new(),
        temperature_error: None,
        done: None,
    })
}

/// `GET /returns`: returns and dispositions, with the forms the user may use.
pub async fn returns(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&returns_page(&s, &p).await?)
}

async fn returns_outcome(s: &AppState, p: &Principal, form: &str, scan: String, result: Result<String, AppError>) -> PageResult {
    let mut page = returns_page(s, p).await?;
    match result {
        Ok(done) => {
            page.done = Some(done);
            render(&page)
        }
        Err(e) => {
            let status = match &e {
                AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => return Err(e.into()),
            };
            let message = crate::error::refusal_text(&e);
            page.refusal = Some((form.to_string(), message, scan));
            render_status(status, &page)
        }
    }
}

/// `POST /returns` (form: scan, temperature_c, temperature_kept, note): take a unit back.
pub async fn record_return(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let scan = value(&form, "scan");
    let typed = value(&form, "temperature_c");
    // A decimal comma is how many thermometers and people write it.
    let reading = match typed.trim().replace(',', ".") {
        t if t.is_empty() => Ok(None),
        t => t.parse::<f64>().map(Some).map_err(|_| format!("write the reading as degrees Celsius, e.g. 4.5 or -25 (not \"{}\")", typed.trim())),
    };
    let result = match reading {
        Ok(temperature_c) => {
            let input = app::returns::ReturnInput {
                scan: scan.clone(),
                temperature_kept: value(&form, "temperature_kept") == "yes",
                temperature_c,
                note: value(&form, "note"),
            };
            s.app.record_return(&p.actor, &input).await
        }
        Err(m) => Err(domain::FieldError::new("temperature_c", m).into()),
    };
    // An error of the reading goes beside the reading; the rest beside the scan.
    let (result, temperature_error) = match result {
        Err(AppError::Invalid(mut errs)) if errs.0.iter().any(|e| e.field == "temperature_c") => {
            let at = errs.0.iter().position(|e| e.field == "temperature_c").expect("found");
            let mine = errs.0.remove(at).message;
            let rest = if errs.0.is_empty() { Ok(None) } else { Err(AppError::Invalid(errs)) };
            (rest, Some(mine.to_string()))
        }
        other => (other.map(Some), None),
    };
    if let Some(e) = temperature_error {
        let mut page = returns_page(&s, &p).await?;
        page.temperature = typed;
        page.temperature_error = Some(e);
        if let Err(rest) = result {
            page.refusal = Some(("return".into(), crate::error::refusal_text(&rest), scan));
        } else {
            page.refusal = Some(("return-reading".into(), String::new(), scan));
        }
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let result = result.map(|r| {
        let r = r.expect("a return");
        format!("{} {} from {}: {}", r.din, r.product_code, r.hospital_code, r.outcome)
    });
    returns_outcome(&s, &p, "return", scan, result).await
}

/// `POST /returns/inspection` (form: scan, passed, note).
pub async fn inspect_return(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let scan = value(&form, "scan");
    let input = app::returns::InspectionInput { scan: scan.clone(), passed: value(&form, "passed") == "yes", note: value(&form, "note") };
    let result = s.app.inspect_return(&p.actor, &input).await.map(|r| format!("{} {}: {}", r.din, r.product_code, r.outcome));
    returns_outcome(&s, &p, "inspect", scan, result).await
}

/// `POST /dispositions` (form: scan, disposition, occurred_at, note): the hospital's report.
pub async fn report_disposition(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let scan = value(&form, "scan");
    let occurred_at = match crate::sales::local_input(&s, &value(&form, "occurred_at")) {
        Ok(d) => d,
        Err(m) => return returns_outcome(&s, &p, "disposition", scan, Err(domain::FieldError::new("occurred_at", m).into())).await,
    };
    let input =
        app::returns::DispositionInput { scan: scan.clone(), disposition: value(&form, "disposition"), occurred_at, note: value(&form, "note") };
    let result = s.app.report_disposition(&p.actor, &input).await.map(|d| format!("{} {}: {}", d.din, d.product_code, d.title));
    returns_outcome(&s, &p, "disposition", scan, result).await
}

/// `GET /api/v1/returns`.
pub async fn api_returns(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.returns(&p.actor, 1000).await?))
}

/// `POST /api/v1/returns` `{"scan", "temperature_c", "temperature_kept", "note"?}`: 201.
pub async fn api_record_return(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<app::returns::ReturnInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.record_return(&p.actor, &input).await?)))
}

/// `POST /api/v1/returns/inspections` `{"scan", "passed", "note"?}`.
pub async fn api_inspect_return(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<app::returns::InspectionInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.inspect_return(&p.actor, &input).await?))
}

/// `GET /api/v1/dispositions`.
pub async fn api_dispositions(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.dispositions(&p.actor, 1000).await?))
}

/// `POST /api/v1/dispositions` `{"scan", "disposition", "occurred_at"?, "note"?}`: 201.
pub async fn api_report_disposition(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<app::returns::DispositionInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.report_disposition(&p.actor, &input).await?)))
}
