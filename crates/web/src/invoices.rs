//! Contracts and invoices over the pages and the API: the contract list and form, the
//! invoice list (with the forms to invoice a shipment or a month), the invoice page
//! with its credit-note and payment forms, the printed invoice (PDF) and the CSV export
//! for accounting.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{form_value as value, form_values as values, render, render_status, Layout, PageResult};
use crate::AppState;
use app::invoices::{ContractInput, ContractView, CreditNoteInput, InvoiceSummary, InvoiceView, MonthInput, PaymentInput};
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum::Json;
use domain::Permission;
use serde::Deserialize;
use uuid::Uuid;

/// A price list to start from in the contract form.
pub const EXAMPLE_PRICE_LIST: &str = r#"{
  "currency": "USD",
  "products": [
    {"product": "red_cells", "unit_cents": 21000},
    {"product": "platelets", "unit_cents": 52550},
    {"product": "plasma", "unit_cents": 6000},
    {"product": "cryo", "unit_cents": 9000}
  ],
  "surcharges": [
    {"attribute": "irradiated", "unit_cents": 2500},
    {"attribute": "CMV-negative", "unit_cents": 1250}
  ],
  "volume_tiers": [{"min_units": 100, "discount_percent": 5}],
  "delivery_fee_cents": {"routine": 4500, "urgent": 15000},
  "return_credit_percent": 80,
  "payment_terms_days": 30,
  "tax_percent": 0
}"#;

fn refusal(e: &AppError) -> Option<(StatusCode, String)> {
    let status = match e {
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        _ => return None,
    };
    let message = match e {
        AppError::Invalid(errs) => errs
            .0
            .iter()
            .map(|x| match field_words(&x.field) {
                w if w.is_empty() => x.message.to_string(),
                w => format!("{w}: {}", x.message),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    Some((status, message))
}

/// A field name as people read it.
fn field_words(field: &str) -> String {
    match field {
        "effective_from" => "Start".into(),
        "effective_to" => "End".into(),
        "paid_on" => "Paid on".into(),
        "amount_cents" => "Amount".into(),
        "reference" => "Reference".into(),
        "reason" => "Reason".into(),
        "lines" => "Lines".into(),
        "month" => "Month".into(),
        "hospital" => "Hospital".into(),
        "price_list.currency" => "Currency".into(),
        "price_list.products" => "Prices".into(),
        // The simple contract form's messages name their field themselves.
        f if !f.starts_with("price_list") => String::new(),
        other => other.strip_prefix("price_list.").map(|f| format!("Price list, {f}")).unwrap_or_else(|| "Price list".into()),
    }
}

// ---------------------------------------------------------------- contracts

pub struct HospitalContracts {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub contracts: Vec<ContractView>,
}

#[derive(Template)]
#[template(path = "contracts.html")]
pub struct ContractsPage {
    pub layout: Layout,
    pub hospitals: Vec<HospitalContracts>,
    pub can_manage: bool,
    pub form_hospital: String,
    pub form_from: String,
    pub form_to: String,
    /// The price fields as entered (`price_red_cells`, `surcharge_irradiated`, …).
    pub form: Vec<(String, String)>,
    pub refused: Option<String>,
    pub done: Option<String>,
}

/// Attributes the simple contract form offers a surcharge for.
pub const SURCHARGE_ATTRIBUTES: [&str; 5] = ["irradiated", "leukoreduced", "washed", "CMV-negative", "HbS-negative"];

impl ContractsPage {
    pub fn v(&self, key: &str) -> String {
        value(&self.form, key)
    }
    pub fn products(&self) -> Vec<(&'static str, &'static str)> {
        domain::inventory::ProductClass::ALL.iter().map(|p| (p.as_str(), p.title())).collect()
    }
    pub fn attributes(&self) -> Vec<(String, String)> {
        SURCHARGE_ATTRIBUTES
            .iter()
            .map(|a| {
                let mut c = a.chars();
                let title = c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default();
                (a.to_string(), title)
            })
            .collect()
    }
    pub fn example(&self) -> &'static str {
        EXAMPLE_PRICE_LIST
    }
}

/// An amount typed as money (`210`, `210.50`, `1,250.00`) in cents; empty: none.
fn money(field: &str, label: &str, s: &str) -> Result<Option<i64>, domain::FieldError> {
    let t = s.trim().replace(',', "");
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || domain::FieldError::new(field.to_string(), format!("{label}: '{}' is not an amount like 210.00", s.trim()));
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
    {
        return Err(bad());
    }
    let w: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let f: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    w.checked_mul(100).and_then(|x| x.checked_add(f)).map(Some).ok_or_else(bad)
}

/// A number typed in the form (days, units, percent); empty: `default`.
fn number(field: &str, label: &str, s: &str, default: Option<f64>) -> Result<Option<f64>, domain::FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(default);
    }
    t.parse::<f64>().map(Some).map_err(|_| domain::FieldError::new(field.to_string(), format!("{label}: '{t}' is not a number")))
}

/// The price list from the simple form's fields, as JSON text for the use case to check.
fn price_list_from_form(form: &[(String, String)]) -> Result<String, AppError> {
    let mut errors = Vec::new();
    let mut take_money = |field: String, label: String| match money(&field, &label, &value(form, &field)) {
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let products: Vec<serde_json::Value> = domain::inventory::ProductClass::ALL
        .iter()
        .filter_map(|p| {
            take_money(format!("price_{}", p.as_str()), format!("{} price", p.title()))
                .map(|c| serde_json::json!({"product": p.as_str(), "unit_cents": c}))
        })
        .collect();
    let surcharges: Vec<serde_json::Value> = SURCHARGE_ATTRIBUTES
        .iter()
        .filter_map(|a| take_money(format!("surcharge_{a}"), format!("{a} surcharge")).map(|c| serde_json::json!({"attribute": a, "unit_cents": c})))
        .collect();
    let routine = take_money("fee_routine".into(), "Routine delivery".into()).unwrap_or(0);
    let urgent = take_money("fee_urgent".into(), "Urgent delivery".into()).unwrap_or(0);
    let mut num = |field: &str, label: &str, default: Option<f64>| match number(field, label, &value(form, field), default) {
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let terms = num("terms_days", "Payment terms", Some(30.0));
    let tax = num("tax_percent", "Tax", Some(0.0));
    let ret = num("return_percent", "Return credit", Some(0.0));
    let tier_units = num("tier_units", "Volume discount from", None);
    let tier_percent = num("tier_percent", "Volume discount", None);
    if !errors.is_empty() {
        return Err(domain::FieldErrors(errors).into());
    }
    let tiers = match (tier_units, tier_percent) {
        (Some(u), Some(p)) => vec![serde_json::json!({"min_units": u as i64, "discount_percent": p})],
        _ => vec![],
    };
    let currency = value(form, "currency").trim().to_ascii_uppercase();
    Ok(serde_json::json!({
        "currency": currency,
        "products": products,
        "surcharges": surcharges,
        "volume_tiers": tiers,
        "delivery_fee_cents": {"routine": routine, "urgent": urgent},
        "return_credit_percent": ret,
        "payment_terms_days": terms.map(|d| d as i64),
        "tax_percent": tax,
    })
    .to_string())
}

async fn contracts_page(s: &AppState, p: &Principal) -> Result<ContractsPage, AppError> {
    let mut hospitals = Vec::new();
    for h in s.app.list_hospitals(&p.actor).await? {
        if p.actor.hospital_id.is_some_and(|own| own != h.id) {
            continue;
        }
        let contracts = s.app.contracts(&p.actor, h.id).await?;
        hospitals.push(HospitalContracts { id: h.id, code: h.fields.code.as_str().to_string(), name: h.fields.name.clone(), contracts });
    }
    Ok(ContractsPage {
        layout: Layout::new(p, "contracts"),
        hospitals,
        can_manage: p.actor.can(Permission::ManageContracts),
        form_hospital: String::new(),
        form_from: String::new(),
        form_to: String::new(),
        form: vec![
            ("currency".into(), "USD".into()),
            ("terms_days".into(), "30".into()),
            ("tax_percent".into(), "0".into()),
            ("return_percent".into(), "0".into()),
        ],
        refused: None,
        done: None,
    })
}

/// `GET /sales/contracts`: every hospital's contracts (a hospital user: their own).
pub async fn contracts(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&contracts_page(&s, &p).await?)
}

/// `POST /sales/contracts` (form: hospital, effective_from, effective_to, price_list).
pub async fn add_contract(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let hospital = value(&form, "hospital");
    // The advanced text, when filled in, is the whole price list; otherwise the simple fields make it.
    let advanced = value(&form, "price_list");
    let prices = if advanced.trim().is_empty() { price_list_from_form(&form) } else { Ok(advanced) };
    let input = ContractInput {
        effective_from: value(&form, "effective_from"),
        effective_to: Some(value(&form, "effective_to")),
        price_list: serde_json::Value::String(prices.as_ref().cloned().unwrap_or_default()),
    };
    let result = match (Uuid::parse_str(hospital.trim()), prices) {
        (_, Err(e)) => Err(e),
        (Ok(id), Ok(_)) => s.app.add_contract(&p.actor, id, &input).await,
        (Err(_), Ok(_)) => Err(domain::FieldError::new("hospital", "choose the hospital").into()),
    };
    let mut page = contracts_page(&s, &p).await?;
    match result {
        Ok(c) => {
            page.done = Some(format!("Contract {} added for {}, from {}", c.number, c.hospital_code, c.effective_from));
            render(&page)
        }
        Err(e) => {
            let (status, message) = refusal(&e).ok_or(e)?;
            page.refused = Some(message);
            page.form_hospital = hospital;
            page.form_from = input.effective_from;
            page.form_to = input.effective_to.unwrap_or_default();
            page.form = form;
            render_status(status, &page)
        }
    }
}

/// `GET /api/v1/hospitals/{id}/contracts`.
pub async fn api_contracts(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.contracts(&p.actor, id).await?))
}

/// `POST /api/v1/hospitals/{id}/contracts` `{"effective_from", "effective_to"?, "price_list"}`: 201.
pub async fn api_add_contract(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<ContractInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.add_contract(&p.actor, id, &input).await?)))
}

// ---------------------------------------------------------------- invoices

#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Template)]
#[template(path = "invoices.html")]
pub struct InvoicesPage {
    pub layout: Layout,
    pub invoices: Vec<InvoiceSummary>,
    pub status: String,
    pub can_issue: bool,
    pub hospitals: Vec<(String, String)>,
    pub refused: Option<(String, String)>,
}

impl InvoicesPage {
    pub fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("", "All"),
            ("issued", "Issued (not yet due)"),
            ("overdue", "Overdue"),
            ("paid", "Paid"),
            ("credited", "Credited in full"),
            ("credit_note", "Credit notes"),
        ]
    }
    pub fn refused_for(&self, form: &str) -> Option<&str> {
        self.refused.as_ref().filter(|(f, _)| f == form).map(|(_, m)| m.as_str())
    }
}

async fn invoices_page(s: &AppState, p: &Principal, status: Option<String>) -> Result<InvoicesPage, AppError> {
    let invoices = s.app.invoices(&p.actor, status.as_deref(), 500).await?;
    let can_issue = p.actor.can(Permission::ManageInvoices);
    let hospitals = if can_issue {
        s.app
            .list_hospitals(&p.actor)
            .await?
            .into_iter()
            .map(|h| (h.id.to_string(), format!("{} – {}", h.fields.code.as_str(), h.fields.name)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(InvoicesPage { layout: Layout::new(p, "invoices"), invoices, status: status.unwrap_or_default(), can_issue, hospitals, refused: None })
}

/// `GET /sales/invoices?status=`: invoices and credit notes, newest first.
pub async fn list(State(s): State<AppState>, p: Principal, Query(q): Query<StatusQuery>) -> PageResult {
    render(&invoices_page(&s, &p, q.status).await?)
}

async fn issued_or_refused(s: &AppState, p: &Principal, form: &str, result: Result<InvoiceView, AppError>) -> PageResult {
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/invoices/{}", v.summary.number)).into_response()),
        Err(e) => {
            let (status, message) = refusal(&e).ok_or(e)?;
            let mut page = invoices_page(s, p, None).await?;
            page.refused = Some((form.to_string(), message));
            render_status(status, &page)
        }
    }
}

/// `POST /sales/invoices` (form: hospital, month): a hospital's month.
pub async fn issue_month(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let result = match Uuid::parse_str(value(&form, "hospital").trim()) {
        Ok(id) => s.app.invoice_month(&p.actor, id, &MonthInput { month: value(&form, "month") }).await,
        Err(_) => Err(domain::FieldError::new("hospital", "choose the hospital").into()),
    };
    issued_or_refused(&s, &p, "month", result).await
}

/// `POST /sales/invoices/shipment` (form: shipment): one shipment.
pub async fn issue_shipment(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let result = s.app.invoice_shipment(&p.actor, &value(&form, "shipment")).await;
    issued_or_refused(&s, &p, "shipment", result).await
}

#[derive(Template)]
#[template(path = "invoice.html")]
pub struct InvoicePage {
    pub layout: Layout,
    pub inv: InvoiceView,
    pub can_manage: bool,
    pub today: String,
    pub refused: Option<(String, String)>,
}

impl InvoicePage {
    pub fn refused_for(&self, form: &str) -> Option<&str> {
        self.refused.as_ref().filter(|(f, _)| f == form).map(|(_, m)| m.as_str())
    }
}

async fn invoice_page(s: &AppState, p: &Principal, number: &str) -> Result<InvoicePage, AppError> {
    let inv = s.app.invoice(&p.actor, number).await?;
    Ok(InvoicePage {
        layout: Layout::new(p, "invoices"),
        inv,
        can_manage: p.actor.can(Permission::ManageInvoices),
        today: s.app.today().to_string(),
        refused: None,
    })
}

/// `GET /invoices/{number}`: the invoice page; `/invoices/{number}.pdf`: the printed invoice.
pub async fn show(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    if let Some(n) = number.strip_suffix(".pdf").or_else(|| number.strip_suffix(".PDF")) {
        let inv = s.app.invoice(&p.actor, n).await?;
        let pdf = render::document::invoice(&paper(&s, &inv)).to_pdf();
        let name = inv.summary.number.clone();
        return Ok((
            [(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}.pdf\""))],
            pdf,
        )
            .into_response());
    }
    render(&invoice_page(&s, &p, &number).await?)
}

fn paper(s: &AppState, v: &InvoiceView) -> render::document::InvoicePaper {
    let credit_note = v.summary.kind == "credit_note";
    let mut notes = Vec::new();
    if !credit_note {
        notes.push(format!(
            "Please pay {} {} by {}, quoting {}.",
            v.summary.total,
            v.summary.currency,
            v.summary.due_on.map(|d| d.to_string()).unwrap_or_default(),
            v.summary.number
        ));
    }
    if !v.reason.is_empty() {
        notes.push(format!("Reason: {}", v.reason));
    }
    notes.push(format!("Contract {}; {}.", v.contract, v.summary.covers));
    render::document::InvoicePaper {
        issuer: vec![s.app.settings.facility_name.clone()],
        recipient: v.recipient.clone(),
        number: v.summary.number.clone(),
        credits: v.summary.credits.clone(),
        account: format!("{} {}", v.summary.hospital_code, v.summary.hospital_name),
        issued: v.summary.issued_on.to_string(),
        due: if credit_note { None } else { v.summary.due_on.map(|d| d.to_string()) },
        payment_terms: if credit_note { "none".into() } else { format!("{} days", v.payment_terms_days) },
        currency: v.summary.currency.clone(),
        lines: v
            .lines
            .iter()
            .map(|l| render::document::InvoiceRow {
                description: l.description.clone(),
                reference: l.reference.clone(),
                quantity: l.quantity.to_string(),
                unit_price: l.unit_price.clone(),
                tax: l.tax_percent.clone(),
                amount: l.amount.clone(),
            })
            .collect(),
        net: v.summary.net.clone(),
        tax: v.summary.tax.clone(),
        total: v.summary.total.clone(),
        notes,
    }
}

async fn invoice_outcome(s: &AppState, p: &Principal, number: &str, form: &str, result: Result<InvoiceView, AppError>) -> PageResult {
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/invoices/{}", v.summary.number)).into_response()),
        Err(e) => {
            let (status, message) = refusal(&e).ok_or(e)?;
            let mut page = invoice_page(s, p, number).await?;
            page.refused = Some((form.to_string(), message));
            render_status(status, &page)
        }
    }
}

/// `POST /invoices/{number}/credit-notes` (form: line (repeated), reason).
pub async fn credit(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let lines: Result<Vec<usize>, _> = values(&form, "line").iter().map(|l| l.trim().parse::<usize>()).collect();
    let result = match lines {
        Ok(lines) => s.app.credit_note(&p.actor, &number, &CreditNoteInput { lines, reason: value(&form, "reason") }).await,
        Err(_) => Err(domain::FieldError::new("lines", "choose lines of the invoice").into()),
    };
    invoice_outcome(&s, &p, &number, "credit", result).await
}

/// `POST /invoices/{number}/payments` (form: paid_on, reference).
pub async fn pay(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let input = PaymentInput { paid_on: value(&form, "paid_on"), amount_cents: None, reference: value(&form, "reference") };
    let result = s.app.record_payment(&p.actor, &number, &input).await;
    invoice_outcome(&s, &p, &number, "pay", result).await
}

/// `GET /sales/invoices.csv`: one row per invoice or credit note, for accounting.
pub async fn export_csv(State(s): State<AppState>, p: Principal, Query(q): Query<StatusQuery>) -> PageResult {
    let rows = s.app.invoices(&p.actor, q.status.as_deref(), 100_000).await?;
    let bytes = invoices_csv(&rows).map_err(|e| AppError::Unavailable(format!("the CSV could not be written: {e}")))?;
    let name = format!("hemaflow-invoices-{}.csv", s.app.today());
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))],
        bytes,
    )
        .into_response())
}

/// The accounting columns: amounts in the currency's units with two decimals and no
/// thousands separator, so a spreadsheet reads them as numbers.
pub fn invoices_csv(rows: &[InvoiceSummary]) -> Result<Vec<u8>, csv::Error> {
    let money = |c: i64| format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.unsigned_abs() / 100, c.unsigned_abs() % 100);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "number",
        "type",
        "date",
        "account",
        "account_name",
        "covers",
        "currency",
        "net",
        "tax",
        "total",
        "status",
        "due",
        "paid_on",
        "credits",
    ])?;
    for r in rows {
        w.write_record([
            r.number.as_str(),
            r.kind,
            &r.issued_on.to_string(),
            &r.hospital_code,
            &r.hospital_name,
            &r.covers,
            &r.currency,
            &money(r.net_cents),
            &money(r.tax_cents),
            &money(r.total_cents),
            r.status,
            &r.due_on.map(|d| d.to_string()).unwrap_or_default(),
            &r.paid_on.map(|d| d.to_string()).unwrap_or_default(),
            r.credits.as_deref().unwrap_or(""),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// `GET /api/v1/invoices?status=`.
pub async fn api_list(State(s): State<AppState>, p: Principal, Query(q): Query<StatusQuery>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.invoices(&p.actor, q.status.as_deref(), 1000).await?))
}

/// `GET /api/v1/invoices/{number}`.
pub async fn api_show(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.invoice(&p.actor, &number).await?))
}

/// `POST /api/v1/shipments/{number}/invoice`: 201 with the invoice.
pub async fn api_invoice_shipment(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.invoice_shipment(&p.actor, &number).await?)).into_response())
}

/// `POST /api/v1/hospitals/{id}/invoices` `{"month": "2026-11"}`: 201 with the invoice.
pub async fn api_invoice_month(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<MonthInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.invoice_month(&p.actor, id, &input).await?)))
}

/// `POST /api/v1/invoices/{number}/credit-notes` `{"lines": [0, 2], "reason"}`: 201 with the credit note.
pub async fn api_credit(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<CreditNoteInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.credit_note(&p.actor, &number, &input).await?)))
}

/// `POST /api/v1/invoices/{number}/payments` `{"paid_on", "amount_cents"?, "reference"}`: the invoice.
pub async fn api_pay(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<PaymentInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.record_payment(&p.actor, &number, &input).await?))
}
