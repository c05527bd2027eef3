//! Site pages: list, detail with version history, create and correct.

use super::{error_text, render, render_status, FieldView, FormPage, Layout, PageResult};
use crate::api::{parse_id, versions, VersionView};
use crate::auth::Principal;
use crate::AppState;
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};

use axum::response::{IntoResponse, Redirect};
use axum::Form;
use domain::{Permission, Site, SiteInput};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "sites.html")]
pub struct SitesPage {
    pub layout: Layout,
    pub sites: Vec<Site>,
    pub can_manage: bool,
}

pub async fn list(State(s): State<AppState>, p: Principal) -> PageResult {
    let sites = s.app.list_sites(&p.actor).await?;
    render(&SitesPage { layout: Layout::new(&p, "sites"), sites, can_manage: p.actor.can(Permission::ManageSites) })
}

#[derive(Template)]
#[template(path = "site.html")]
pub struct SitePage {
    pub layout: Layout,
    pub site: Site,
    pub versions: Vec<VersionView>,
    pub can_manage: bool,
}

pub async fn show(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> PageResult {
    let (site, history) = s.app.site(&p.actor, parse_id("site", &id)?).await?;
    render(&SitePage { layout: Layout::new(&p, "sites"), site, versions: versions(history), can_manage: p.actor.can(Permission::ManageSites) })
}

/// The site form as the browser posts it (a checkbox is absent when unticked).
#[derive(Deserialize, Default)]
pub struct SiteForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

impl SiteForm {
    fn input(&self) -> SiteInput {
        SiteInput {
            code: self.code.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
            address: self.address.clone(),
            city: self.city.clone(),
            region: self.region.clone(),
            time_zone: self.time_zone.clone(),
            active: self.active.is_some(),
        }
    }

    fn of(site: &Site) -> Self {
        let f = &site.fields;
        Self {
            code: f.code.as_str().into(),
            name: f.name.clone(),
            kind: f.kind.as_str().into(),
            address: f.address.clone().unwrap_or_default(),
            city: f.city.clone().unwrap_or_default(),
            region: f.region.clone().unwrap_or_default(),
            time_zone: f.time_zone.as_str().into(),
            active: f.active.then(|| "on".into()),
            reason: None,
        }
    }

    fn fields(&self, editing: bool) -> Vec<FieldView> {
        let mut v = vec![
            FieldView::text("code", "Code", &self.code).required().help(if editing {
                "The code identifies the site and cannot change."
            } else {
                "Upper-case letters, digits and '-', e.g. MAIN or DRV-07."
            }),
            FieldView::text("name", "Name", &self.name).required(),
            FieldView::text("kind", "Kind", &self.kind)
                .required()
                .select(vec![("fixed".into(), "Fixed donor centre".into()), ("mobile".into(), "Mobile drive location".into())]),
            FieldView::text("address", "Address", &self.address),
            FieldView::text("city", "City", &self.city),
            FieldView::text("region", "State", &self.region).help("Two letters, e.g. NY: regional donation tests (Babesia) depend on it."),
            FieldView::text("time_zone", "Time zone", if self.time_zone.is_empty() { "America/Chicago" } else { &self.time_zone })
                .required()
                .help("IANA name, e.g. America/Chicago. Expiry times are computed in this zone."),
            FieldView::text("active", "Active", if self.active.is_some() { "on" } else { "" }).kind("checkbox"),
        ];
        if editing {
            v.push(
                FieldView::text("reason", "Reason for the change", self.reason.as_deref().unwrap_or(""))
                    .required()
                    .kind("textarea")
                    .help("Kept with the new version and in the audit trail."),
            );
        }
        v
    }
}

fn form_page(p: &Principal, form: &SiteForm, editing: Option<&Site>, errors: Option<&AppError>) -> FormPage {
    let mut fields = form.fields(editing.is_some());
    let form_error = errors.map(|e| error_text(&mut fields, e));
    let (title, action, cancel) = match editing {
        Some(s) => (format!("Correct site {}", s.fields.code.as_str()), format!("/sites/{}", s.id), format!("/sites/{}", s.id)),
        None => ("New site".to_string(), "/sites".to_string(), "/sites".to_string()),
    };
    FormPage {
        layout: Layout::new(p, "sites"),
        title,
        intro: if editing.is_some() { "Saving records a new version; the current one stays in the history.".into() } else { String::new() },
        action,
        submit: if editing.is_some() { "Save new version" } else { "Create site" },
        cancel,
        fields,
        form_error,
    }
}

pub async fn new_form(p: Principal) -> PageResult {
    let form = SiteForm { active: Some("on".into()), kind: "fixed".into(), ..Default::default() };
    render(&form_page(&p, &form, None, None))
}

pub async fn create(State(s): State<AppState>, p: Principal, Form(form): Form<SiteForm>) -> PageResult {
    match s.app.create_site(&p.actor, &form.input()).await {
        Ok(site) => Ok(Redirect::to(&format!("/sites/{}", site.id)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => render_status(crate::error::status_of(&e), &form_page(&p, &form, None, Some(&e))),
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> PageResult {
    let (site, _) = s.app.site(&p.actor, parse_id("site", &id)?).await?;
    render(&form_page(&p, &SiteForm::of(&site), Some(&site), None))
}

pub async fn update(State(s): State<AppState>, p: Principal, Path(id): Path<String>, Form(form): Form<SiteForm>) -> PageResult {
    let (site, _) = s.app.site(&p.actor, parse_id("site", &id)?).await?;
    match s.app.update_site(&p.actor, site.id, &form.input(), form.reason.clone()).await {
        Ok(site) => Ok(Redirect::to(&format!("/sites/{}", site.id)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            render_status(crate::error::status_of(&e), &form_page(&p, &form, Some(&site), Some(&e)))
        }
        Err(e) => Err(e.into()),
    }
}
