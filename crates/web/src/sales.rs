//! Hospital orders and shipments over the pages and the API: the order list, the order
//! form (portal and phone), the order page with its allocation, packing and shipping
//! actions, the shipment page and the hospital's receipt.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{form_value as value, form_values as values, render, render_status, Layout, PageResult};
use crate::AppState;
use app::sales::{CancelInput, OrderListItem, OrderView, PackInput, PickInput, ReceiveInput, ShipInput, ShipmentSummary, ShipmentView};
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use domain::inventory::ProductClass;
use domain::order::{LineInput, OrderInput, Priority, Requirement, ANTIGENS};
use domain::{BloodGroup, Permission};
use uuid::Uuid;

/// Rows of the order form.
const FORM_ROWS: usize = 4;

#[derive(Template)]
#[template(path = "orders.html")]
pub struct OrdersPage {
    pub layout: Layout,
    pub orders: Vec<OrderListItem>,
    pub shipments: Vec<ShipmentSummary>,
    pub hospital_user: bool,
    pub can_order: bool,
    pub notices: Vec<app::supply::NoticeView>,
}

/// `GET /orders`: orders, newest first (a hospital user sees their own).
pub async fn list(State(s): State<AppState>, p: Principal) -> PageResult {
    let orders = s.app.orders(&p.actor, 200).await?;
    let shipments = s.app.shipments(&p.actor, 50).await?;
    render(&OrdersPage {
        layout: Layout::new(&p, "orders"),
        orders,
        shipments,
        hospital_user: p.actor.hospital_id.is_some(),
        can_order: p.actor.can(Permission::PlaceOrders),
        notices: s.app.shortage_notices(&p.actor).await?.into_iter().take(3).collect(),
    })
}

/// One row of the order form, as entered, with its errors.
#[derive(Debug, Clone, Default)]
pub struct RowView {
    pub n: usize,
    pub product: String,
    pub group: String,
    pub quantity: String,
    pub requirements: Vec<String>,
    pub antigens: String,
    pub max_age_days: String,
    pub substitution: bool,
    pub errors: Vec<(String, String)>,
}

impl RowView {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
    pub fn has(&self, requirement: &str) -> bool {
        self.requirements.iter().any(|r| r == requirement)
    }
    fn filled(&self) -> bool {
        !self.product.is_empty() || !self.quantity.trim().is_empty()
    }
}

#[derive(Template)]
#[template(path = "order_new.html")]
pub struct OrderFormPage {
    pub layout: Layout,
    /// Staff taking a phone call choose the hospital.
    pub hospitals: Option<Vec<(String, String)>>,
    pub hospital: String,
    pub priority: String,
    pub due_at: String,
    pub reference: String,
    pub note: String,
    pub rows: Vec<RowView>,
    pub errors: Vec<(String, String)>,
    pub form_error: Option<String>,
}

impl OrderFormPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
    pub fn priorities(&self) -> Vec<(&'static str, &'static str)> {
        Priority::ALL.iter().filter(|p| **p != Priority::Standing).map(|p| (p.as_str(), p.title())).collect()
    }
    pub fn products(&self) -> Vec<(&'static str, &'static str)> {
        ProductClass::ALL.iter().map(|p| (p.as_str(), p.title())).collect()
    }
    pub fn groups(&self) -> Vec<String> {
        BloodGroup::ALL.iter().map(|g| g.to_string()).collect()
    }
    pub fn requirements(&self) -> Vec<(&'static str, &'static str)> {
        Requirement::ALL.iter().filter(|r| **r != Requirement::AntigenNegative).map(|r| (r.as_str(), r.title())).collect()
    }
    pub fn antigen_help(&self) -> String {
        format!("Antigens the units must lack, e.g. K, E ({})", ANTIGENS.join(", "))
    }
}

async fn order_form(s: &AppState, p: &Principal) -> Result<OrderFormPage, AppError> {
    let hospitals = if p.actor.hospital_id.is_some() {
        None
    } else {
        Some(
            s.app
                .list_hospitals(&p.actor)
                .await?
                .into_iter()
                .filter(|h| h.fields.status == domain::AccountStatus::Active)
                .map(|h| (h.fields.code.as_str().to_string(), format!("{} ({})", h.fields.name, h.fields.code.as_str())))
                .collect(),
        )
    };
    Ok(OrderFormPage {
        layout: Layout::new(p, "new_order"),
        hospitals,
        hospital: String::new(),
        priority: "routine".into(),
        due_at: String::new(),
        reference: String::new(),
        note: String::new(),
        rows: (1..=FORM_ROWS).map(|n| RowView { n, ..Default::default() }).collect(),
        errors: vec![],
        form_error: None,
    })
}

/// `GET /orders/new`: the order form.
pub async fn new_form(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&order_form(&s, &p).await?)
}

/// Reads a local date-time from a form (`2026-12-05T14:30`) in the facility's zone.
pub(crate) fn local_input(s: &AppState, text: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let naive = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M").map_err(|_| format!("'{t}' is not a date and time"))?;
    naive
        .and_local_timezone(s.app.settings.time_zone)
        .earliest()
        .map(|d| Some(d.with_timezone(&chrono::Utc)))
        .ok_or_else(|| format!("'{t}' does not exist in the local time zone (clock change)"))
}

/// `POST /orders` (the order form): places the order and opens its page.
pub async fn create(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let mut page = order_form(&s, &p).await?;
    page.hospital = value(&form, "hospital");
    page.priority = value(&form, "priority");
    page.due_at = value(&form, "due_at");
    page.reference = value(&form, "reference");
    page.note = value(&form, "note");
    for row in page.rows.iter_mut() {
        let k = |f: &str| format!("{f}_{}", row.n);
        row.product = value(&form, &k("product"));
        row.group = value(&form, &k("group"));
        row.quantity = value(&form, &k("quantity"));
        row.requirements = values(&form, &k("requirements"));
        row.antigens = value(&form, &k("antigens"));
        row.max_age_days = value(&form, &k("max_age_days"));
        row.substitution = !value(&form, &k("substitution")).is_empty();
    }
    let due_at = match local_input(&s, &page.due_at) {
        Ok(d) => d,
        Err(m) => {
            page.errors.push(("due_at".into(), m));
            None
        }
    };
    // Only the rows with something in them are lines; remember which row each came from.
    let mut from_row = vec![];
    let mut lines = vec![];
    for (i, row) in page.rows.iter_mut().enumerate() {
        if !row.filled() {
            continue;
        }
        let quantity = match row.quantity.trim().parse::<i64>() {
            Ok(q) => q,
            Err(_) => {
                row.errors.push(("quantity".into(), "give the number of units".into()));
                0
            }
        };
        let max_age_days = match row.max_age_days.trim() {
            "" => None,
            t => match t.parse::<i64>() {
                Ok(d) => Some(d),
                Err(_) => {
                    row.errors.push(("max_age_days".into(), "give a number of days".into()));
                    None
                }
            },
        };
        from_row.push(i);
        lines.push(LineInput {
            product: row.product.clone(),
            blood_group: row.group.clone(),
            quantity,
            requirements: row.requirements.clone(),
            antigens: row.antigens.split([',', ' ']).map(str::trim).filter(|a| !a.is_empty()).map(String::from).collect(),
            max_age_days,
            substitution: row.substitution,
        });
    }
    let input = OrderInput {
        hospital: page.hospital.clone(),
        priority: page.priority.clone(),
        due_at,
        reference: page.reference.clone(),
        note: page.note.clone(),
        lines,
    };
    let refused = |mut page: OrderFormPage, e: AppError| -> PageResult {
        let status = match &e {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::CONFLICT,
        };
        match e {
            AppError::Invalid(errs) => {
                for x in errs.0 {
                    let field = x.field.to_string();
                    match field.strip_prefix("lines[").and_then(|r| r.split_once("].")) {
                        Some((i, f)) => {
                            let row = i.parse::<usize>().ok().and_then(|i| from_row.get(i).copied()).unwrap_or(0);
                            page.rows[row].errors.push((f.to_string(), x.message));
                        }
                        None => page.errors.push((field, x.message)),
                    }
                }
                page.form_error = Some("The order was not placed: please correct the fields marked below.".into());
            }
            other => page.form_error = Some(other.to_string()),
        }
        render_status(status, &page)
    };
    if !page.errors.is_empty() || page.rows.iter().any(|r| !r.errors.is_empty()) {
        page.form_error = Some("The order was not placed: please correct the fields marked below.".into());
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    match s.app.place_order(&p.actor, &input).await {
        Ok(o) => Ok(Redirect::to(&format!("/orders/{}", o.number)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_))) => refused(page, e),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "order.html")]
pub struct OrderPage {
    pub layout: Layout,
    pub o: OrderView,
    pub shipments: Vec<ShipmentView>,
    pub can_allocate: bool,
    pub can_ship: bool,
    pub can_receive: bool,
    pub can_cancel: bool,
    /// A refusal of the last action, by form (allocate, pick, pack, ship, receive, cancel).
    pub refusal: Option<(String, String)>,
    pub scan: String,
}

impl OrderPage {
    pub fn refused(&self, form: &str) -> Option<&str> {
        self.refusal.as_ref().filter(|(f, _)| f == form).map(|(_, m)| m.as_str())
    }
    pub fn open_reservations(&self) -> usize {
        self.o.allocations.iter().filter(|a| a.ended.is_none()).count()
    }
}

async fn order_page(s: &AppState, p: &Principal, number: &str) -> Result<OrderPage, AppError> {
    let o = s.app.order(&p.actor, number).await?;
    let mut shipments = vec![];
    for sh in &o.shipments {
        shipments.push(s.app.shipment(&p.actor, &sh.number).await?);
    }
    let open = o.state.open();
    let hospital_user = p.actor.hospital_id.is_some();
    Ok(OrderPage {
        layout: Layout::new(p, "orders"),
        can_allocate: open && p.actor.can(Permission::AllocateOrders),
        can_ship: p.actor.can(Permission::ShipOrders),
        can_receive: p.actor.can(Permission::ReceiveShipments),
        can_cancel: open && (if hospital_user { p.actor.can(Permission::PlaceOrders) } else { p.actor.can(Permission::AllocateOrders) }),
        o,
        shipments,
        refusal: None,
        scan: String::new(),
    })
}

/// `GET /orders/{number}`.
pub async fn show(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    render(&order_page(&s, &p, &number).await?)
}

/// The order page again with the refusal next to the form that caused it.
async fn refused(s: &AppState, p: &Principal, number: &str, form: &str, scan: String, e: AppError) -> PageResult {
    let status = match &e {
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::NotFound(_) => return Err(e.into()),
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        _ => return Err(e.into()),
    };
    let message = crate::error::refusal_text(&e);
    let mut page = order_page(s, p, number).await?;
    page.refusal = Some((form.to_string(), message));
    page.scan = scan;
    render_status(status, &page)
}

fn back_to(number: &str, anchor: &str) -> PageResult {
    Ok(Redirect::to(&format!("/orders/{number}#{anchor}")).into_response())
}

/// `POST /orders/{number}/allocate`: propose and reserve units for the lines still short.
pub async fn allocate(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    match s.app.allocate_order(&p.actor, &number).await {
        Ok(_) => back_to(&number, "lines"),
        Err(e) => refused(&s, &p, &number, "allocate", String::new(), e).await,
    }
}

/// `POST /orders/{number}/pick` (form: line, scan): reserve a unit picked by hand.
pub async fn pick(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let scan = value(&form, "scan");
    let input = PickInput { line: value(&form, "line").trim().parse().unwrap_or(0), scan: scan.clone() };
    match s.app.pick_unit(&p.actor, &number, &input).await {
        Ok(_) => back_to(&number, "units"),
        Err(e) => refused(&s, &p, &number, "pick", scan, e).await,
    }
}

/// `POST /orders/{number}/unreserve/{id}`: give a reserved unit back to stock.
pub async fn unreserve(State(s): State<AppState>, p: Principal, Path((number, id)): Path<(String, Uuid)>) -> PageResult {
    match s.app.unreserve(&p.actor, &number, id).await {
        Ok(_) => back_to(&number, "units"),
        Err(e) => refused(&s, &p, &number, "unreserve", String::new(), e).await,
    }
}

/// `POST /orders/{number}/pack` (form: scan, container, short_dated_confirmed).
pub async fn pack(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let scan = value(&form, "scan");
    let input = PackInput {
        scan: scan.clone(),
        container: value(&form, "container").trim().parse().ok(),
        short_dated_confirmed: !value(&form, "short_dated_confirmed").is_empty(),
    };
    match s.app.pack_unit(&p.actor, &number, &input).await {
        Ok(_) => back_to(&number, "packing"),
        Err(e) => refused(&s, &p, &number, "pack", scan, e).await,
    }
}

/// `POST /orders/{number}/cancel` (form: reason).
pub async fn cancel(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    match s.app.cancel_order(&p.actor, &number, &CancelInput { reason: value(&form, "reason") }).await {
        Ok(_) => back_to(&number, "history"),
        Err(e) => refused(&s, &p, &number, "cancel", String::new(), e).await,
    }
}

/// `POST /shipments/{number}/ship` (form: courier).
pub async fn ship(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let order = s.app.shipment(&p.actor, &number).await?.order_number;
    match s.app.ship(&p.actor, &number, &ShipInput { courier: value(&form, "courier") }).await {
        Ok(_) => back_to(&order, "shipments"),
        Err(e) => refused(&s, &p, &order, "ship", String::new(), e).await,
    }
}

/// `POST /shipments/{number}/receipt` (form: note): the hospital confirms it arrived.
pub async fn receive(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let order = s.app.shipment(&p.actor, &number).await?.order_number;
    match s.app.receive_shipment(&p.actor, &number, &ReceiveInput { note: value(&form, "note") }).await {
        Ok(_) => back_to(&order, "shipments"),
        Err(e) => refused(&s, &p, &order, "receive", String::new(), e).await,
    }
}

/// `GET /shipments/{number}`: the shipment opens on its order's page.
pub async fn shipment_page(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    let sh = s.app.shipment(&p.actor, &number).await?;
    Ok(Redirect::to(&format!("/orders/{}#shipment-{}", sh.order_number, sh.number)).into_response())
}

// --- API ---

/// `GET /api/v1/orders`.
pub async fn api_list(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.orders(&p.actor, 1000).await?))
}

/// `POST /api/v1/orders` (an [`OrderInput`]): 201 with the order.
pub async fn api_place(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<OrderInput>) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.place_order(&p.actor, &input).await?)))
}

/// `GET /api/v1/orders/{number}`.
pub async fn api_show(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.order(&p.actor, &number).await?))
}

/// `POST /api/v1/orders/{number}/allocate`.
pub async fn api_allocate(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.allocate_order(&p.actor, &number).await?))
}

/// `POST /api/v1/orders/{number}/picks` `{"line", "scan"}`.
pub async fn api_pick(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<PickInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.pick_unit(&p.actor, &number, &input).await?))
}

/// `POST /api/v1/orders/{number}/allocations/{id}/release`.
pub async fn api_unreserve(State(s): State<AppState>, p: Principal, Path((number, id)): Path<(String, Uuid)>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.unreserve(&p.actor, &number, id).await?))
}

/// `POST /api/v1/orders/{number}/cancel` `{"reason"}`.
pub async fn api_cancel(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<CancelInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.cancel_order(&p.actor, &number, &input).await?))
}

/// `POST /api/v1/orders/{number}/pack` `{"scan", "container"?, "short_dated_confirmed"?}`: the shipment.
pub async fn api_pack(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<PackInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.pack_unit(&p.actor, &number, &input).await?))
}

/// `GET /api/v1/shipments`.
pub async fn api_shipments(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.shipments(&p.actor, 1000).await?))
}

/// `GET /api/v1/shipments/{number}`.
pub async fn api_shipment(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.shipment(&p.actor, &number).await?))
}

/// `POST /api/v1/shipments/{number}/ship` `{"courier"}`.
pub async fn api_ship(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<ShipInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.ship(&p.actor, &number, &input).await?))
}

/// `POST /api/v1/shipments/{number}/receipt` `{"note"?}`: the hospital confirms receipt.
pub async fn api_receive(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<ReceiveInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.receive_shipment(&p.actor, &number, &input).await?))
}

/// A shipment's state as people say it.
pub fn shipment_state_words(state: &str) -> &'static str {
    match state {
        "packing" => "being packed",
        "shipped" => "on its way",
        "received" => "received",
        _ => "unknown",
    }
}

/// The packing list and the manifest of a shipment, from its page's data.
async fn shipment_papers(s: &AppState, p: &Principal, number: &str) -> Result<(ShipmentView, render::document::ShipmentPapers), AppError> {
    let sh = s.app.shipment(&p.actor, number).await?;
    let (h, _) = s.app.hospital(&p.actor, sh.hospital_id).await?;
    let recipient: Vec<String> = [Some(h.fields.name.clone()), h.fields.address.clone(), h.fields.city.clone()].into_iter().flatten().collect();
    let containers = sh
        .containers
        .iter()
        .map(|k| render::document::ShippingContainer {
            number: k.number.to_string(),
            temperature: k.title.to_string(),
            units: sh
                .units
                .iter()
                .filter(|u| u.container == k.number)
                .map(|u| render::document::ShippedUnit {
                    din: u.din.clone(),
                    product_code: u.product_code.clone(),
                    product: u.product.clone(),
                    group: u.blood_group.clone().unwrap_or_else(|| "–".into()),
                    expiry: u.expires_local.clone(),
                })
                .collect(),
        })
        .collect();
    let papers = render::document::ShipmentPapers {
        issuer: vec![s.app.settings.facility_name.clone()],
        recipient,
        shipment: sh.number.clone(),
        order: sh.order_number.clone(),
        shipped: sh.shipped_local.clone().unwrap_or_else(|| "not yet shipped (draft)".into()),
        courier: sh.courier.clone().unwrap_or_else(|| "–".into()),
        containers,
        notes: vec![],
    };
    Ok((sh, papers))
}

fn pdf(name: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    ([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}.pdf\""))], bytes)
        .into_response()
}

/// `GET /shipments/{number}/packing-list.pdf`: every unit with its container, to travel with the boxes.
pub async fn packing_list_pdf(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    let (sh, papers) = shipment_papers(&s, &p, &number).await?;
    Ok(pdf(&format!("{}-packing-list", sh.number), render::document::packing_list(&papers).to_pdf()))
}

/// `GET /shipments/{number}/manifest.pdf`: the courier's manifest, one part per container.
pub async fn manifest_pdf(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    let (sh, papers) = shipment_papers(&s, &p, &number).await?;
    Ok(pdf(&format!("{}-manifest", sh.number), render::document::manifest(&papers).to_pdf()))
}
