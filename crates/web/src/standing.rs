//! Standing orders (par levels topped up on a schedule): page and API.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{form_value as value, form_values as values, render, render_status, Layout, PageResult};
use crate::AppState;
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use domain::inventory::ProductClass;
use domain::{BloodGroup, Permission};
use uuid::Uuid;

#[derive(Template)]
#[template(path = "standing.html")]
pub struct StandingPage {
    pub layout: Layout,
    pub standing: Vec<app::standing::StandingView>,
    pub can_manage: bool,
    pub hospitals: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub errors: Vec<(String, String)>,
    pub form_error: Option<String>,
}

impl StandingPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
    pub fn value(&self, field: &str) -> String {
        value(&self.form, field)
    }
    pub fn day_checked(&self, day: &str) -> bool {
        values(&self.form, "weekdays").iter().any(|d| d == day)
    }
    pub fn products(&self) -> Vec<(&'static str, &'static str)> {
        ProductClass::ALL.iter().map(|p| (p.as_str(), p.title())).collect()
    }
    pub fn groups(&self) -> Vec<String> {
        BloodGroup::ALL.iter().map(|g| g.to_string()).collect()
    }
    pub fn days(&self) -> Vec<(&'static str, &'static str)> {
        vec![("mon", "Mon"), ("tue", "Tue"), ("wed", "Wed"), ("thu", "Thu"), ("fri", "Fri"), ("sat", "Sat"), ("sun", "Sun")]
    }
}

async fn standing_page(s: &AppState, p: &Principal) -> Result<StandingPage, AppError> {
    let can_manage = p.actor.can(Permission::ManageStandingOrders);
    let hospitals = if can_manage {
        s.app
            .list_hospitals(&p.actor)
            .await?
            .into_iter()
            .filter(|h| h.fields.status != domain::AccountStatus::Closed)
            .map(|h| (h.fields.code.as_str().to_string(), h.fields.name.clone()))
            .collect()
    } else {
        vec![]
    };
    Ok(StandingPage {
        layout: Layout::new(p, "standing"),
        standing: s.app.standing_orders(&p.actor).await?,
        can_manage,
        hospitals,
        form: vec![("time_of_day".into(), "06:00".into())],
        errors: vec![],
        form_error: None,
    })
}

/// `GET /orders/standing`: standing orders (par levels on a schedule).
pub async fn standing(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&standing_page(&s, &p).await?)
}

/// `POST /orders/standing` (form: hospital, product, blood_group, par_level, weekdays, time_of_day).
pub async fn add_standing(State(s): State<AppState>, p: Principal, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let input = domain::order::StandingInput {
        hospital: value(&form, "hospital"),
        product: value(&form, "product"),
        blood_group: value(&form, "blood_group"),
        par_level: value(&form, "par_level").trim().parse().unwrap_or(0),
        weekdays: values(&form, "weekdays"),
        time_of_day: value(&form, "time_of_day"),
    };
    match s.app.add_standing_order(&p.actor, &input).await {
        Ok(_) => Ok(Redirect::to("/orders/standing").into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let mut page = standing_page(&s, &p).await?;
            page.form = form;
            match e {
                AppError::Invalid(errs) => {
                    page.errors = errs.0.into_iter().map(|x| (x.field.to_string(), x.message)).collect();
                    page.form_error = Some("The standing order was not saved: please correct the fields marked below.".into());
                }
                other => page.form_error = Some(other.to_string()),
            }
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /orders/standing/{id}/end` (form: reason).
pub async fn end_standing(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    match s.app.end_standing_order(&p.actor, id, &app::standing::EndStandingInput { reason: value(&form, "reason") }).await {
        Ok(_) => Ok(Redirect::to("/orders/standing").into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let mut page = standing_page(&s, &p).await?;
            page.form_error = Some(crate::error::refusal_text(&e));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/standing-orders`.
pub async fn api_standing(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.standing_orders(&p.actor).await?))
}

/// `POST /api/v1/standing-orders` `{"hospital", "product", "blood_group", "par_level", "weekdays", "time_of_day"}`: 201.
pub async fn api_add_standing(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<domain::order::StandingInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.add_standing_order(&p.actor, &input).await?)))
}

/// `POST /api/v1/standing-orders/{id}/end` `{"reason"}`.
pub async fn api_end_standing(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<app::standing::EndStandingInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.end_standing_order(&p.actor, id, &input).await?))
}
