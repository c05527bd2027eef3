//! Hospital account pages. A hospital user sees only their own account.

use super::{error_text, render, render_status, FieldView, FormPage, Layout, PageResult};
use crate::api::{parse_id, versions, VersionView};
use crate::auth::Principal;
use crate::AppState;
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use domain::{AccountStatus, HospitalAccount, HospitalInput, Permission};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "hospitals.html")]
pub struct HospitalsPage {
    pub layout: Layout,
    pub hospitals: Vec<HospitalAccount>,
    pub can_manage: bool,
}

pub async fn list(State(s): State<AppState>, p: Principal) -> PageResult {
    let hospitals = s.app.list_hospitals(&p.actor).await?;
    render(&HospitalsPage { layout: Layout::new(&p, "hospitals"), hospitals, can_manage: p.actor.can(Permission::ManageHospitals) })
}

#[derive(Template)]
#[template(path = "hospital.html")]
pub struct HospitalPage {
    pub layout: Layout,
    pub h: HospitalAccount,
    pub versions: Vec<VersionView>,
    pub can_manage: bool,
}

pub async fn show(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> PageResult {
    let (h, history) = s.app.hospital(&p.actor, parse_id("hospital account", &id)?).await?;
    render(&HospitalPage {
        layout: Layout::new(&p, "hospitals"),
        h,
        versions: versions(history),
        can_manage: p.actor.can(Permission::ManageHospitals),
    })
}

#[derive(Deserialize, Default)]
pub struct HospitalForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    delivery_site: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

impl HospitalForm {
    fn input(&self) -> HospitalInput {
        HospitalInput {
            code: self.code.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            city: self.city.clone(),
            contact_name: self.contact_name.clone(),
            contact_email: self.contact_email.clone(),
            contact_phone: self.contact_phone.clone(),
            delivery_site: self.delivery_site.clone(),
            status: self.status.clone(),
        }
    }

    fn of(h: &HospitalAccount) -> Self {
        let f = &h.fields;
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        Self {
            code: f.code.as_str().into(),
            name: f.name.clone(),
            address: s(&f.address),
            city: s(&f.city),
            contact_name: s(&f.contact_name),
            contact_email: s(&f.contact_email),
            contact_phone: s(&f.contact_phone),
            delivery_site: s(&f.delivery_site),
            status: f.status.as_str().into(),
            reason: None,
        }
    }
}

async fn form_page(s: &AppState, p: &Principal, form: &HospitalForm, editing: Option<&HospitalAccount>, error: Option<&AppError>) -> FormPage {
    let mut site_options = vec![(String::new(), "(none)".to_string())];
    if let Ok(sites) = s.app.list_sites(&p.actor).await {
        site_options
            .extend(sites.into_iter().map(|s| (s.fields.code.as_str().to_string(), format!("{} — {}", s.fields.code.as_str(), s.fields.name))));
    }
    let statuses = AccountStatus::ALL.iter().map(|a| (a.as_str().to_string(), a.as_str().replace('_', " "))).collect();
    let mut fields = vec![
        FieldView::text("code", "Account code", &form.code).required().help(if editing.is_some() {
            "The code identifies the account and cannot change."
        } else {
            "Upper-case letters, digits and '-', e.g. H-STMARY."
        }),
        FieldView::text("name", "Name", &form.name).required(),
        FieldView::text("address", "Address", &form.address),
        FieldView::text("city", "City", &form.city),
        FieldView::text("contact_name", "Contact", &form.contact_name),
        FieldView::text("contact_email", "Contact email", &form.contact_email).kind("email"),
        FieldView::text("contact_phone", "Contact phone", &form.contact_phone),
        FieldView::text("delivery_site", "Delivery site", &form.delivery_site).select(site_options),
        FieldView::text("status", "Account status", if form.status.is_empty() { "active" } else { &form.status }).required().select(statuses),
    ];
    if editing.is_some() {
        fields.push(
            FieldView::text("reason", "Reason for the change", form.reason.as_deref().unwrap_or(""))
                .required()
                .kind("textarea")
                .help("Kept with the new version and in the audit trail."),
        );
    }
    let form_error = error.map(|e| error_text(&mut fields, e));
    let (title, action) = match editing {
        Some(h) => (format!("Correct account {}", h.fields.code.as_str()), format!("/hospitals/{}", h.id)),
        None => ("New hospital account".to_string(), "/hospitals".to_string()),
    };
    FormPage {
        layout: Layout::new(p, "hospitals"),
        title,
        intro: if editing.is_some() { "Saving records a new version; the current one stays in the history.".into() } else { String::new() },
        cancel: action.clone(),
        action,
        submit: if editing.is_some() { "Save new version" } else { "Create account" },
        fields,
        form_error,
    }
}

pub async fn new_form(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&form_page(&s, &p, &HospitalForm::default(), None, None).await)
}

pub async fn create(State(s): State<AppState>, p: Principal, Form(form): Form<HospitalForm>) -> PageResult {
    match s.app.create_hospital(&p.actor, &form.input()).await {
        Ok(h) => Ok(Redirect::to(&format!("/hospitals/{}", h.id)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            render_status(crate::error::status_of(&e), &form_page(&s, &p, &form, None, Some(&e)).await)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> PageResult {
    let (h, _) = s.app.hospital(&p.actor, parse_id("hospital account", &id)?).await?;
    render(&form_page(&s, &p, &HospitalForm::of(&h), Some(&h), None).await)
}

pub async fn update(State(s): State<AppState>, p: Principal, Path(id): Path<String>, Form(form): Form<HospitalForm>) -> PageResult {
    let (h, _) = s.app.hospital(&p.actor, parse_id("hospital account", &id)?).await?;
    match s.app.update_hospital(&p.actor, h.id, &form.input(), form.reason.clone()).await {
        Ok(h) => Ok(Redirect::to(&format!("/hospitals/{}", h.id)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            render_status(crate::error::status_of(&e), &form_page(&s, &p, &form, Some(&h), Some(&e)).await)
        }
        Err(e) => Err(e.into()),
    }
}
