//! HTML pages: each handler calls a use case and renders a compile-checked template.

pub mod audit;
pub mod hospitals;
pub mod sites;
pub mod users;

use crate::auth::{safe_next, Principal, SESSION_COOKIE};
use crate::error::PageError;
use crate::AppState;
use app::AppError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use domain::{FieldErrors, Permission, Role};
use serde::Deserialize;

pub type PageResult = Result<Response, PageError>;

pub fn render(t: &impl Template) -> PageResult {
    render_status(StatusCode::OK, t)
}

pub fn render_status(status: StatusCode, t: &impl Template) -> PageResult {
    match t.render() {
        Ok(html) => Ok((status, Html(html)).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            Ok((StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered; the error has been logged").into_response())
        }
    }
}

pub struct NavItem {
    pub key: &'static str,
    pub label: &'static str,
    pub href: &'static str,
}

/// One area of the navigation: a link when it holds one page, a menu when several.
pub struct NavGroup {
    pub key: &'static str,
    pub label: &'static str,
    pub items: Vec<NavItem>,
}

impl NavGroup {
    pub fn holds(&self, key: &str) -> bool {
        self.items.iter().any(|i| i.key == key)
    }
}

/// What every signed-in page shows around its content.
pub struct Layout {
    pub display_name: String,
    pub username: String,
    pub roles: String,
    pub csrf: String,
    /// Areas in the order of the user's main work (the dashboard first).
    pub nav: Vec<NavGroup>,
    pub active: &'static str,
    /// The facility's time zone (`crate::fmt::when(at, layout.tz)`).
    pub tz: chrono_tz::Tz,
}

impl Layout {
    pub fn new(p: &Principal, active: &'static str) -> Self {
        let a = &p.actor;
        let item = |key, label, href| NavItem { key, label, href };
        let mut donors = vec![];
        if a.can(Permission::ViewDonors) {
            donors.push(item("donors", "Donors", "/donors"));
        }
        if a.can(Permission::BookAppointments) {
            donors.push(item("appointments", "Appointments", "/appointments"));
        }
        let mut recruitment = vec![];
        if a.can(Permission::ViewRecruitment) {
            recruitment.push(item("recruitment", "Recruitment", "/recruitment"));
        }
        if a.can(Permission::ManageRecruitment) {
            recruitment.push(item("outbox", "Outbox", "/outbox"));
        }
        let mut lab = vec![];
        if a.can(Permission::AssignDins) {
            lab.push(item("dins", "DINs", "/lab/dins"));
        }
        if a.can(Permission::PrintLabels) {
            lab.push(item("labels", "Labels", "/lab/labels"));
        }
        if a.can(Permission::ManufactureComponents) {
            lab.push(item("processing", "Processing", "/lab/processing"));
        }
        if a.can(Permission::RecordTestResults) {
            lab.push(item("results", "Test results", "/lab/results"));
        }
        let mut orders = vec![];
        if a.can(Permission::ViewOrders) || a.can(Permission::PlaceOrders) {
            orders.push(item("orders", "Orders", "/orders"));
        }
        if a.can(Permission::PlaceOrders) {
            orders.push(item("new_order", "New order", "/orders/new"));
        }
        if a.can(Permission::ViewOrders) || a.can(Permission::ReportDispositions) {
            orders.push(item("returns", "Returns", "/returns"));
        }
        if a.can(Permission::ViewOrders) || a.can(Permission::PlaceOrders) {
            orders.push(item("standing", "Standing orders", "/orders/standing"));
        }
        if a.can(Permission::ViewOrders) {
            orders.push(item("supply", "Sales and supply", "/sales/supply"));
        }
        if a.can(Permission::ViewOwnHospital) {
            orders.push(item("notices", "Notices", "/portal/notices"));
        }
        if a.can(Permission::ViewContracts) || a.hospital_id.is_some() {
            orders.push(item("contracts", "Contracts", "/sales/contracts"));
        }
        if a.can(Permission::ViewInvoices) || a.hospital_id.is_some() {
            orders.push(item("invoices", "Invoices", "/sales/invoices"));
        }
        let mut apheresis = vec![];
        if a.can(Permission::ViewApheresis) || a.can(Permission::RequestApheresis) {
            apheresis.push(item("apheresis", "Requests", "/apheresis"));
        }
        if a.can(Permission::RequestApheresis) {
            apheresis.push(item("apheresis_new", "New request", "/apheresis/new"));
        }
        if a.can(Permission::ViewApheresis) || a.can(Permission::RequestApheresis) {
            apheresis.push(item("apheresis_calendar", "Calendar", "/apheresis/calendar"));
        }
        if a.can(Permission::ViewApheresis) && !a.is_apheresis_nurse_only() {
            apheresis.push(item("apheresis_resources", "Nurses and devices", "/apheresis/resources"));
        }
        if a.can(Permission::ManageApheresis) {
            apheresis.push(item("apheresis_reports", "Reports", "/apheresis/reports"));
        }
        let mut inventory = vec![];
        if a.can(Permission::ViewInventory) {
            inventory.push(item("stock", "Stock", "/inventory"));
        }
        if a.can(Permission::MoveUnits) {
            inventory.push(item("put_away", "Put away", "/inventory/move"));
        }
        if a.can(Permission::ViewInventory) {
            inventory.push(item("storage", "Storage", "/inventory/locations"));
            inventory.push(item("excursions", "Excursions", "/inventory/excursions"));
        }
        let mut quality = vec![];
        if a.can(Permission::EvaluateEligibility) && a.can(Permission::ViewDonors) {
            quality.push(item("rules", "Rules", "/quality/rules"));
        }
        if a.can(Permission::ManageDeviations) {
            quality.push(item("deviations", "Deviations", "/quality/deviations"));
        }
        if a.can(Permission::ViewAudit) {
            quality.push(item("audit", "Audit trail", "/quality/audit"));
        }
        // The follow-up of reactive results, for those who act on it.
        if a.can(Permission::ViewDonors) && (a.can(Permission::NotifyDonors) || a.can(Permission::RecordTestResults)) {
            quality.push(item("notifications", "Donor notifications", "/quality/notifications"));
            quality.push(item("lookback", "Lookback", "/quality/lookback"));
        }
        if a.can(Permission::ManageDeviations) {
            quality.push(item("recalls", "Recalls", "/quality/recalls"));
        }
        let mut organisation = vec![];
        if a.can(Permission::ViewSites) {
            organisation.push(item("sites", "Sites", "/sites"));
        }
        if a.can(Permission::ViewHospitals) {
            organisation.push(item("hospitals", "Hospitals", "/hospitals"));
        } else if a.can(Permission::ViewOwnHospital) {
            organisation.push(item("hospitals", "My hospital", "/hospitals"));
        }
        if a.can(Permission::ManageUsers) {
            organisation.push(item("users", "Users", "/admin/users"));
        }
        let mut areas: Vec<NavGroup> = [
            ("donors", "Donors", donors),
            ("recruitment", "Recruitment", recruitment),
            ("lab", "Lab", lab),
            ("orders", "Orders", orders),
            ("apheresis", "Apheresis", apheresis),
            ("inventory", "Inventory", inventory),
            ("quality", "Quality", quality),
            ("organisation", "Organisation", organisation),
        ]
        .into_iter()
        .filter(|(_, _, items)| !items.is_empty())
        .map(|(key, label, items)| NavGroup { key, label, items })
        .collect();
        // The main work of the first role comes first.
        let main = match a.roles.as_slice().first() {
            Some(Role::Recruiter) => "recruitment",
            Some(Role::Lab) => "lab",
            Some(Role::Quality) => "quality",
            Some(Role::Distribution) | Some(Role::Hospital) => "orders",
            Some(Role::Apheresis) | Some(Role::ApheresisNurse) => "apheresis",
            Some(Role::Admin) | Some(Role::Sales) => "organisation",
            _ => "donors",
        };
        if let Some(i) = areas.iter().position(|g| g.key == main) {
            let g = areas.remove(i);
            areas.insert(0, g);
        }
        let mut nav = vec![NavGroup { key: "dashboard", label: "Dashboard", items: vec![item("dashboard", "Dashboard", "/")] }];
        nav.extend(areas);
        Self {
            display_name: a.display_name.clone(),
            username: a.username.clone(),
            roles: a.roles.as_slice().iter().map(|r| r.title()).collect::<Vec<_>>().join(", "),
            csrf: p.session.as_ref().map(|s| s.csrf.clone()).unwrap_or_default(),
            nav,
            active,
            tz: p.tz,
        }
    }
}

/// One input of a generic form, with its current value and error.
pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    /// text, password, email, select, checkbox, textarea
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub error: Option<String>,
    pub help: &'static str,
    pub required: bool,
    /// Sets the element ids apart when one page holds several forms with a field of
    /// the same name (`f-PREFIX-NAME`).
    pub prefix: &'static str,
}

impl FieldView {
    pub fn text(name: &'static str, label: &'static str, value: &str) -> Self {
        Self { name, label, kind: "text", value: value.to_string(), options: vec![], error: None, help: "", required: false, prefix: "" }
    }
    pub fn prefixed(mut self, prefix: &'static str) -> Self {
        self.prefix = prefix;
        self
    }
    /// The element id of the field (`f-…`); its error's is `e-…`.
    pub fn id(&self) -> String {
        if self.prefix.is_empty() {
            self.name.to_string()
        } else {
            format!("{}-{}", self.prefix, self.name)
        }
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }
    pub fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }
    pub fn select(mut self, options: Vec<(String, String)>) -> Self {
        self.kind = "select";
        self.options = options;
        self
    }
    pub fn checkboxes(mut self, options: Vec<(String, String)>) -> Self {
        self.kind = "checkboxes";
        self.options = options;
        self
    }
    pub fn is_selected(&self, v: &str) -> bool {
        self.value == v
    }
    /// For checkboxes: `value` holds the ticked options, comma-separated.
    pub fn is_checked(&self, v: &str) -> bool {
        self.value.split(',').any(|x| x == v)
    }
}

/// Puts each field error next to its field; errors for fields not on the form are
/// returned for a message above it.
pub fn attach_errors(fields: &mut [FieldView], errors: &FieldErrors) -> Vec<String> {
    let mut rest = Vec::new();
    for e in &errors.0 {
        // A path such as "screening.hemoglobin_g_dl" belongs to the field named by its last part.
        let last = e.field.rsplit('.').next().unwrap_or(&e.field);
        match fields.iter_mut().find(|f| f.name == e.field || f.name == last) {
            Some(f) => add_message(&mut f.error, &e.message),
            None => rest.push(crate::words::message(&e.to_string())),
        }
    }
    rest
}

/// Adds a message to a field's, so that two problems with one field are both shown.
pub fn add_message(slot: &mut Option<String>, message: &str) {
    match slot {
        Some(m) if !m.contains(message) => {
            m.push_str("; ");
            m.push_str(message);
        }
        Some(_) => {}
        None => *slot = Some(message.to_string()),
    }
}

/// The message above a form after a refusal; field errors also land on their fields.
/// The first value of a form field ("" when absent).
pub fn form_value(form: &[(String, String)], key: &str) -> String {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// Every value of a repeated form field (checkbox groups).
pub fn form_values(form: &[(String, String)], key: &str) -> Vec<String> {
    form.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect()
}

pub fn error_text(fields: &mut [FieldView], e: &AppError) -> String {
    match e {
        AppError::Invalid(errs) => {
            let rest = attach_errors(fields, errs);
            if rest.is_empty() {
                "Please correct the fields marked below.".into()
            } else {
                rest.join("; ")
            }
        }
        e => e.to_string(),
    }
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub title: String,
    pub intro: String,
    pub action: String,
    pub submit: &'static str,
    pub cancel: String,
    pub fields: Vec<FieldView>,
    pub form_error: Option<String>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub title: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub username: String,
    pub next: String,
    pub error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    pub next: Option<String>,
}

pub async fn login_form(principal: Option<Principal>, Query(q): Query<NextQuery>) -> PageResult {
    if principal.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    render(&LoginPage { username: String::new(), next: safe_next(q.next.as_deref()), error: None })
}

#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
}

pub async fn login(State(s): State<AppState>, client: crate::auth::ClientAddr, Form(f): Form<LoginForm>) -> PageResult {
    let next = safe_next(f.next.as_deref());
    match s.app.login_from(&f.username, &f.password, &client.0).await {
        Ok(session) => {
            let max_age = (session.expires_at - chrono::Utc::now()).num_seconds().max(0);
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
                session.token,
                if s.secure_cookies { "; Secure" } else { "" }
            );
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
        }
        Err(e @ (AppError::Unauthenticated(_) | AppError::LockedOut { .. })) => {
            let status = crate::error::status_of(&e);
            let mut res = render_status(status, &LoginPage { username: f.username, next, error: Some(e.to_string()) })?;
            crate::error::add_retry_after(&e, &mut res);
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(State(s): State<AppState>, p: Principal) -> PageResult {
    if let Some(session) = &p.session {
        s.app.logout(&session.token).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub layout: Layout,
    pub d: app::dashboard::Dashboard,
    /// Recruiters: the donor pool by ABO/RhD as inline SVG (empty without donors).
    pub pool_chart: String,
}

impl DashboardPage {
    pub fn fmt_gap(&self, x: &f64) -> String {
        format!("{x:+.1}")
    }
    pub fn fmt_rate(&self, x: &f64) -> String {
        format!("{:.0}%", x * 100.0)
    }
}

pub async fn dashboard(State(s): State<AppState>, p: Principal) -> PageResult {
    let d = s.app.dashboard(&p.actor).await?;
    let pool_chart = if p.actor.roles.contains(Role::Recruiter) {
        let o = s.app.overview(&p.actor).await?;
        if o.by_group.is_empty() {
            String::new()
        } else {
            ::render::chart::BarChart {
                title: "Donors by ABO/RhD".into(),
                bars: o.by_group.iter().map(|(g, n)| ::render::chart::Bar { label: g.clone(), value: *n }).collect(),
                shares: true,
            }
            .to_svg()
        }
    } else {
        String::new()
    };
    render(&DashboardPage { layout: Layout::new(&p, "dashboard"), d, pool_chart })
}
