//! The sales and supply page (customer base, service, months, revenue, days of supply),
//! its CSV tables and the shortage notices: pages and API.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{form_value as value, render, render_status, Layout, PageResult};
use crate::AppState;
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Form, Json};
use domain::inventory::ProductClass;
use domain::{BloodGroup, Permission};

#[derive(Template)]
#[template(path = "supply.html")]
pub struct SupplyPage {
    pub layout: Layout,
    pub v: app::supply::SupplyView,
    pub can_notify: bool,
    pub fill_chart: String,
    pub months_chart: String,
    pub supply_chart: String,
    pub notice_error: Option<String>,
    pub notice_sent: Option<app::supply::NoticeView>,
    pub notice_product: String,
    pub notice_group: String,
    pub notice_message: String,
    pub revenue: Vec<RevenueBlock>,
}

/// Revenue in one currency with its charts.
pub struct RevenueBlock {
    pub r: app::revenue::Revenue,
    pub months_chart: String,
    pub accounts_chart: String,
}

impl SupplyPage {
    pub fn pct(&self, v: &Option<f64>) -> String {
        v.map_or_else(|| "–".into(), |v| format!("{v:.1}%"))
    }
    pub fn days(&self, v: &Option<f64>) -> String {
        v.map_or_else(|| "–".into(), |v| format!("{v:.1}"))
    }
    pub fn products(&self) -> Vec<(&'static str, &'static str)> {
        ProductClass::ALL.iter().map(|p| (p.as_str(), p.title())).collect()
    }
    pub fn groups(&self) -> Vec<String> {
        BloodGroup::ALL.iter().map(|g| g.to_string()).collect()
    }
    pub fn month_words(&self, day: &chrono::NaiveDate) -> String {
        day.format("%B %Y").to_string()
    }
    pub fn money(&self, cents: &i64) -> String {
        domain::pricing::format_cents(*cents)
    }
}

/// Bars are drawn in whole currency units; a month of net credit shows as no bar.
fn revenue_block(r: &app::revenue::Revenue) -> RevenueBlock {
    use render::chart::{Bar, BarChart};
    let whole = |cents: i64| (cents.max(0) + 50) / 100;
    let months = BarChart {
        title: format!("Net revenue per month ({})", r.currency),
        bars: r.months.iter().map(|m| Bar { label: m.month.clone(), value: whole(m.net_cents) }).collect(),
        shares: false,
    }
    .to_svg();
    let accounts = BarChart {
        title: format!("Net revenue by hospital ({})", r.currency),
        bars: r.accounts.iter().map(|a| Bar { label: a.key.clone(), value: whole(a.net_cents) }).collect(),
        shares: true,
    }
    .to_svg();
    RevenueBlock { r: r.clone(), months_chart: months, accounts_chart: accounts }
}

async fn supply_page(s: &AppState, p: &Principal) -> Result<SupplyPage, AppError> {
    use render::chart::{Bar, BarChart};
    let v = s.app.supply(&p.actor, chrono::Utc::now()).await?;
    let fill_chart = BarChart {
        title: format!("Fill rate by hospital, last {} days (%)", v.window_days),
        bars: v.hospitals.iter().filter_map(|h| h.fill_rate.map(|r| Bar { label: h.code.clone(), value: r.round() as i64 })).collect(),
        shares: false,
    }
    .to_svg();
    let months_chart = BarChart {
        title: "Units shipped per month".into(),
        bars: v.months.iter().map(|m| Bar { label: m.month.clone(), value: m.shipped }).collect(),
        shares: false,
    }
    .to_svg();
    let supply_chart = BarChart {
        title: "Days of supply by product and ABO/RhD".into(),
        bars: v
            .supply
            .iter()
            .filter_map(|l| l.days_of_supply.map(|d| Bar { label: format!("{} {}", l.product_title, l.group), value: d.round() as i64 }))
            .collect(),
        shares: false,
    }
    .to_svg();
    let revenue = v.revenue.iter().map(revenue_block).collect();
    Ok(SupplyPage {
        layout: Layout::new(p, "supply"),
        revenue,
        can_notify: p.actor.can(Permission::SendShortageNotices),
        fill_chart,
        months_chart,
        supply_chart,
        notice_error: None,
        notice_sent: None,
        notice_product: "red_cells".into(),
        notice_group: v.supply.iter().find(|l| l.critical).map(|l| l.group.clone()).unwrap_or_default(),
        notice_message: String::new(),
        v,
    })
}

/// `GET /sales/supply`: customer base, service per hospital, months, days of supply.
pub async fn supply(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&supply_page(&s, &p).await?)
}

/// `POST /sales/shortage-notices` (form: product, blood_group, message).
pub async fn shortage_notice(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let input =
        app::supply::ShortageInput { product: value(&form, "product"), blood_group: value(&form, "blood_group"), message: value(&form, "message") };
    let result = s.app.send_shortage_notice(&p.actor, &input).await;
    let mut page = supply_page(&s, &p).await?;
    page.notice_product = input.product;
    page.notice_group = input.blood_group;
    match result {
        Ok(n) => {
            page.notice_sent = Some(n);
            render(&page)
        }
        Err(AppError::Invalid(errs)) => {
            page.notice_message = input.message;
            page.notice_error = Some(errs.0.iter().map(|x| x.message.clone()).collect::<Vec<_>>().join("; "));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /sales/supply/{table}.csv`: one table of the supply page (hospitals, months, stock).
pub async fn supply_csv(State(s): State<AppState>, p: Principal, Path(file): Path<String>) -> PageResult {
    use axum::http::header;
    let v = s.app.supply(&p.actor, chrono::Utc::now()).await?;
    let f = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_default();
    // Plain decimals for accounting programs: no thousands separators.
    let cents = |c: i64| format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.unsigned_abs() / 100, c.unsigned_abs() % 100);
    let (name, text) = match file.as_str() {
        "hospitals.csv" => (
            "hospital-service",
            interop::csv_export::table_to_string(
                [
                    "hospital",
                    "name",
                    "orders",
                    "units_ordered",
                    "units_shipped",
                    "fill_rate_percent",
                    "orders_shipped",
                    "orders_on_time",
                    "on_time_percent",
                    "last_order",
                ],
                v.hospitals.iter().map(|h| {
                    vec![
                        h.code.clone(),
                        h.name.clone(),
                        h.orders.to_string(),
                        h.units_ordered.to_string(),
                        h.units_shipped.to_string(),
                        f(h.fill_rate),
                        h.orders_shipped.to_string(),
                        h.orders_on_time.to_string(),
                        f(h.on_time_rate),
                        h.last_order.clone().unwrap_or_default(),
                    ]
                }),
            ),
        ),
        "months.csv" => (
            "supply-months",
            interop::csv_export::table_to_string(
                ["month", "shipped", "outdated", "wasted_at_hospitals", "returned", "outdate_rate_percent"],
                v.months.iter().map(|m| {
                    vec![
                        m.month.clone(),
                        m.shipped.to_string(),
                        m.outdated.to_string(),
                        m.wasted_at_hospitals.to_string(),
                        m.returned.to_string(),
                        f(m.outdate_rate),
                    ]
                }),
            ),
        ),
        "stock.csv" => (
            "days-of-supply",
            interop::csv_export::table_to_string(
                ["product", "blood_group", "available", "daily_demand", "days_of_supply", "critical"],
                v.supply.iter().map(|l| {
                    vec![
                        l.product.as_str().to_string(),
                        l.group.clone(),
                        l.available.to_string(),
                        format!("{:.2}", l.daily_demand),
                        f(l.days_of_supply),
                        if l.critical { "yes" } else { "no" }.to_string(),
                    ]
                }),
            ),
        ),
        "revenue-months.csv" if !v.revenue.is_empty() => {
            // One column per source that appears in any currency, in the same order.
            let mut sources: Vec<String> = vec![];
            for x in v.revenue.iter().flat_map(|r| &r.sources) {
                if !sources.contains(x) {
                    sources.push(x.clone());
                }
            }
            let mut head = vec!["month".to_string(), "currency".to_string()];
            head.extend(sources.iter().cloned());
            head.push("net".into());
            let rows = v.revenue.iter().flat_map(|r| {
                let sources = &sources;
                r.months.iter().map(move |m| {
                    let mut row = vec![m.month.clone(), r.currency.clone()];
                    row.extend(
                        sources.iter().map(|x| r.sources.iter().position(|y| y == x).map_or_else(|| cents(0), |i| cents(m.by_source_cents[i]))),
                    );
                    row.push(cents(m.net_cents));
                    row
                })
            });
            ("revenue-by-month", interop::csv_export::table_to_string(head, rows))
        }
        "revenue-accounts.csv" if !v.revenue.is_empty() => (
            "revenue-by-hospital",
            interop::csv_export::table_to_string(
                ["hospital", "name", "currency", "net", "share_percent"],
                v.revenue
                    .iter()
                    .flat_map(|r| r.accounts.iter().map(|a| vec![a.key.clone(), a.name.clone(), r.currency.clone(), cents(a.net_cents), f(a.share)])),
            ),
        ),
        "revenue-products.csv" if !v.revenue.is_empty() => (
            "revenue-by-product",
            interop::csv_export::table_to_string(
                ["product", "currency", "net", "share_percent"],
                v.revenue.iter().flat_map(|r| r.products.iter().map(|a| vec![a.name.clone(), r.currency.clone(), cents(a.net_cents), f(a.share)])),
            ),
        ),
        other => {
            return Err(AppError::NotFound(format!(
                "no table {other}; use hospitals.csv, months.csv, stock.csv{}",
                if v.revenue.is_empty() { "" } else { ", revenue-months.csv, revenue-accounts.csv or revenue-products.csv" }
            ))
            .into())
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")),
        ],
        text,
    )
        .into_response())
}

/// `GET /api/v1/supply`.
pub async fn api_supply(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.supply(&p.actor, chrono::Utc::now()).await?))
}

/// `POST /api/v1/shortage-notices` `{"product", "blood_group"?, "message"}`: 201.
pub async fn api_shortage_notice(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<app::supply::ShortageInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.send_shortage_notice(&p.actor, &input).await?)))
}

/// `GET /api/v1/shortage-notices`: for staff and hospitals.
pub async fn api_shortage_notices(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.shortage_notices(&p.actor).await?))
}
