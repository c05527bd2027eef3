//! Inventory pages and API: stock views with charts, storage locations, scanned moves,
//! temperature excursions and discards.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{error_text, render, render_status, FieldView, Layout, PageResult};
use crate::AppState;
use app::inventory::{DiscardInput, ExcursionInput, ExcursionView, InventoryView, LocationInput, LocationView, MoveInput};
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use domain::inventory::{DiscardReason, TemperatureClass};
use domain::Permission;
use render::chart::{Bar, BarChart};

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

use crate::pages::form_value as value;

#[derive(Template)]
#[template(path = "inventory.html")]
pub struct InventoryPage {
    pub layout: Layout,
    pub v: InventoryView,
    pub stock_chart: String,
    pub supply_chart: String,
    pub quarantine_chart: String,
}

impl InventoryPage {
    pub fn days(&self, d: &Option<f64>) -> String {
        d.map_or_else(|| "–".into(), |d| format!("{d:.1}"))
    }
}

/// `GET /inventory`: stock by product class and ABO/RhD, days of supply, units expiring
/// within 48 hours, quarantine by reason, units in the wrong storage.
pub async fn inventory(State(s): State<AppState>, p: Principal) -> PageResult {
    let v = s.app.inventory(&p.actor, chrono::Utc::now()).await?;
    let label = |l: &app::inventory::StockLine| format!("{} {}", l.class_title, l.group);
    let stock_chart = BarChart {
        title: "Available units by product and ABO/RhD".into(),
        bars: v.stock.iter().map(|l| Bar { label: label(l), value: l.available }).collect(),
        shares: true,
    }
    .to_svg();
    let supply: Vec<Bar> = v.stock.iter().filter_map(|l| l.days_of_supply.map(|d| Bar { label: label(l), value: d.round() as i64 })).collect();
    let supply_chart = if supply.is_empty() {
        String::new()
    } else {
        BarChart { title: "Days of supply at the average daily demand".into(), bars: supply, shares: false }.to_svg()
    };
    let quarantine_chart = BarChart {
        title: "Units held back, by reason".into(),
        bars: v.quarantine_by_reason.iter().map(|(r, n)| Bar { label: capitalised(r), value: *n }).collect(),
        shares: true,
    }
    .to_svg();
    render(&InventoryPage { layout: Layout::new(&p, "stock"), v, stock_chart, supply_chart, quarantine_chart })
}

/// `GET /api/v1/inventory`: the stock views as JSON.
pub async fn api_inventory(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.inventory(&p.actor, chrono::Utc::now()).await?))
}

#[derive(Template)]
#[template(path = "storage.html")]
pub struct StoragePage {
    pub layout: Layout,
    pub locations: Vec<LocationView>,
    pub can_manage: bool,
    pub fields: Vec<FieldView>,
    pub form_error: Option<String>,
}

async fn location_fields(s: &AppState, input: &LocationInput) -> Result<Vec<FieldView>, AppError> {
    let sites = s.app.store.list_sites().await?;
    Ok(vec![
        FieldView::text("code", "Code (as on its barcode)", &input.code).required().help("e.g. FR-01"),
        FieldView::text("name", "Name", &input.name).required().help("e.g. Blood refrigerator 1, processing lab"),
        FieldView::text("temperature_class", "Temperature class", &input.temperature_class)
            .select(TemperatureClass::ALL.iter().map(|c| (c.as_str().to_string(), c.title().to_string())).collect()),
        FieldView::text("site", "Site", &input.site)
            .select(sites.iter().map(|x| (x.fields.code.as_str().to_string(), x.fields.name.clone())).collect()),
    ])
}

async fn storage_page(s: &AppState, p: &Principal, input: &LocationInput) -> Result<StoragePage, AppError> {
    Ok(StoragePage {
        layout: Layout::new(p, "storage"),
        locations: s.app.storage_locations(&p.actor).await?,
        can_manage: p.actor.can(Permission::ManageStorage),
        fields: location_fields(s, input).await?,
        form_error: None,
    })
}

/// `GET /inventory/locations`: the storage locations and how many units each holds.
pub async fn locations(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&storage_page(&s, &p, &LocationInput::default()).await?)
}

fn location_input(form: &[(String, String)]) -> LocationInput {
    LocationInput {
        code: value(form, "code"),
        name: value(form, "name"),
        temperature_class: value(form, "temperature_class"),
        site: value(form, "site"),
    }
}

/// `POST /inventory/locations` (form: code, name, temperature_class, site).
pub async fn add_location(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let input = location_input(&form);
    match s.app.add_storage_location(&p.actor, &input).await {
        Ok(_) => Ok(Redirect::to("/inventory/locations").into_response()),
        Err(e @ AppError::Invalid(_)) => {
            let mut page = storage_page(&s, &p, &input).await?;
            page.form_error = Some(error_text(&mut page.fields, &e));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/storage-locations`.
pub async fn api_locations(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.storage_locations(&p.actor).await?))
}

/// `POST /api/v1/storage-locations` `{"code", "name", "temperature_class", "site"}`: 201.
pub async fn api_add_location(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<LocationInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.add_storage_location(&p.actor, &input).await?)))
}

#[derive(Template)]
#[template(path = "put_away.html")]
pub struct PutAwayPage {
    pub layout: Layout,
    pub locations: Vec<LocationView>,
    pub location: String,
    pub units: String,
    pub location_error: Option<String>,
    pub error: Option<String>,
    pub results: Vec<app::components::BatchLine>,
}

impl PutAwayPage {
    pub fn done(&self) -> usize {
        self.results.iter().filter(|r| r.ok).count()
    }
}

async fn put_away_page(s: &AppState, p: &Principal) -> Result<PutAwayPage, AppError> {
    Ok(PutAwayPage {
        layout: Layout::new(p, "put_away"),
        locations: s.app.storage_locations(&p.actor).await?,
        location: String::new(),
        units: String::new(),
        location_error: None,
        error: None,
        results: vec![],
    })
}

/// `GET /inventory/move`: scan a location, then the units that go into it.
pub async fn put_away(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&put_away_page(&s, &p).await?)
}

/// `POST /inventory/move` (form: location, units): each unit moved on its own.
pub async fn move_units(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let mut page = put_away_page(&s, &p).await?;
    page.location = value(&form, "location");
    page.units = value(&form, "units");
    match s.app.move_units(&p.actor, &page.units, &page.location).await {
        Ok(results) => {
            page.results = results;
            render(&page)
        }
        Err(AppError::Invalid(errs)) => {
            for e in &errs.0 {
                if e.field == "location" {
                    page.location_error = Some(e.message.clone());
                } else {
                    page.error = Some(e.message.clone());
                }
            }
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/inventory/moves` `{"unit", "location"}`: 201 with the move.
pub async fn api_move(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<MoveInput>) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.move_unit(&p.actor, &input).await?)))
}

#[derive(Template)]
#[template(path = "excursions.html")]
pub struct ExcursionsPage {
    pub layout: Layout,
    pub excursions: Vec<ExcursionView>,
    pub can_record: bool,
    pub fields: Vec<FieldView>,
    pub form_error: Option<String>,
    pub recorded: Option<ExcursionView>,
}

async fn excursion_fields(s: &AppState, input: &ExcursionInput) -> Result<Vec<FieldView>, AppError> {
    let locations = s.app.store.storage_locations().await?;
    Ok(vec![
        FieldView::text("location", "Location", &input.location)
            .select(locations.iter().map(|l| (l.code.clone(), format!("{} ({}), {}", l.name, l.code, l.temperature_class.title()))).collect()),
        FieldView::text("started_at", "From (local time)", &input.started_at).kind("datetime-local").required(),
        FieldView::text("ended_at", "Until (local time)", &input.ended_at).kind("datetime-local").required(),
        FieldView::text("lowest_c", "Lowest reading (°C)", &input.lowest_c).required(),
        FieldView::text("highest_c", "Highest reading (°C)", &input.highest_c).required(),
        FieldView::text("note", "What happened", &input.note).kind("textarea").help("e.g. door left ajar after the night delivery; alarm at 03:10"),
    ])
}

async fn excursions_page(s: &AppState, p: &Principal, input: &ExcursionInput) -> Result<ExcursionsPage, AppError> {
    Ok(ExcursionsPage {
        layout: Layout::new(p, "excursions"),
        excursions: s.app.excursions(&p.actor, 100).await?,
        can_record: p.actor.can(Permission::RecordExcursions),
        fields: excursion_fields(s, input).await?,
        form_error: None,
        recorded: None,
    })
}

/// `GET /inventory/excursions`: excursions recorded, and the form to record one.
pub async fn excursions(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&excursions_page(&s, &p, &ExcursionInput::default()).await?)
}

/// `POST /inventory/excursions`: records the excursion and holds the units it touched.
pub async fn record_excursion(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let input = ExcursionInput {
        location: value(&form, "location"),
        started_at: value(&form, "started_at"),
        ended_at: value(&form, "ended_at"),
        lowest_c: value(&form, "lowest_c"),
        highest_c: value(&form, "highest_c"),
        note: value(&form, "note"),
    };
    match s.app.record_excursion(&p.actor, &input).await {
        Ok(x) => {
            let mut page = excursions_page(&s, &p, &ExcursionInput::default()).await?;
            page.recorded = Some(x);
            render_status(StatusCode::CREATED, &page)
        }
        Err(e @ AppError::Invalid(_)) => {
            let mut page = excursions_page(&s, &p, &input).await?;
            page.form_error = Some(error_text(&mut page.fields, &e));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/excursions`.
pub async fn api_excursions(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.excursions(&p.actor, 500).await?))
}

/// `POST /api/v1/excursions` `{"location", "started_at", "ended_at", "lowest_c", "highest_c", "note"}`: 201.
pub async fn api_record_excursion(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<ExcursionInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.record_excursion(&p.actor, &input).await?)))
}

/// The reasons to discard, for the unit page's form.
pub fn discard_reasons() -> Vec<(String, String)> {
    DiscardReason::ALL.iter().map(|r| (r.as_str().to_string(), r.title().to_string())).collect()
}

/// `POST /components/{din}/{code}/discard` (form: reason, details).
pub async fn discard(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let input = DiscardInput { reason: value(&form, "reason"), details: value(&form, "details") };
    match s.app.discard_unit(&p.actor, &din, &code, &input).await {
        Ok(u) => Ok(Redirect::to(&format!("/components/{}/{}#storage", u.din, u.product_code)).into_response()),
        // Staff who do not see unit pages (distribution) get the refusal on its own page.
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) if p.actor.can(Permission::ViewDonors) => {
            let status = if matches!(e, AppError::Conflict(_)) { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
            let mut page = crate::donations::component_page(&s, &p, &din, &code, None).await?;
            page.discard_reason = input.reason;
            page.discard_details = input.details;
            page.discard_error = Some(crate::error::refusal_text(&e));
            render_status(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/components/{din}/{code}/discard` `{"reason", "details"}`: the unit as it is now.
pub async fn api_discard(
    State(s): State<AppState>,
    p: Principal,
    Path((din, code)): Path<(String, String)>,
    ApiJson(input): ApiJson<DiscardInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.discard_unit(&p.actor, &din, &code, &input).await?))
}
