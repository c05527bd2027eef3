//! Pages and API for the follow-up of reactive results: donor notification tasks and
//! lookback cases.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{render, render_status, Layout, PageResult};
use crate::AppState;
use app::follow_up::{LookbackCase, NotificationInput, NotificationTask, METHODS};
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use domain::Permission;
use uuid::Uuid;

/// A refused "donor told" form: the task, what was entered, each field's error.
pub type RefusedNotification = (Uuid, NotificationInput, Vec<(String, String)>);

#[derive(Template)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    pub layout: Layout,
    pub tasks: Vec<NotificationTask>,
    pub can_notify: bool,
    pub methods: Vec<(String, String)>,
    /// The task whose form was refused, with the entry and the error per field.
    pub failed: Option<RefusedNotification>,
    pub error: Option<String>,
}

impl NotificationsPage {
    pub fn error_for(&self, id: &Uuid, field: &str) -> Option<&str> {
        self.failed.as_ref().filter(|(f, _, _)| f == id).and_then(|(_, _, e)| e.iter().find(|(x, _)| x == field).map(|(_, m)| m.as_str()))
    }
    pub fn note_for(&self, id: &Uuid) -> &str {
        self.failed.as_ref().filter(|(f, _, _)| f == id).map_or("", |(_, i, _)| i.note.as_str())
    }
    pub fn method_is(&self, id: &Uuid, m: &str) -> bool {
        self.failed.as_ref().filter(|(f, _, _)| f == id).is_some_and(|(_, i, _)| i.method == m)
    }
}

async fn notifications_page(s: &AppState, p: &Principal) -> Result<NotificationsPage, AppError> {
    Ok(NotificationsPage {
        layout: Layout::new(p, "notifications"),
        tasks: s.app.notification_tasks(&p.actor, 500).await?,
        can_notify: p.actor.can(Permission::NotifyDonors),
        methods: METHODS.iter().map(|(c, t)| (c.to_string(), t.to_string())).collect(),
        failed: None,
        error: None,
    })
}

/// `GET /quality/notifications`: donors to tell of a result that defers them.
pub async fn notifications(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&notifications_page(&s, &p).await?)
}

/// `POST /quality/notifications/{id}` (form: method, note): the donor was told.
pub async fn notify(State(s): State<AppState>, p: Principal, Path(id): Path<Uuid>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let get = |k: &str| crate::pages::form_value(&form, k);
    let input = NotificationInput { method: get("method"), note: get("note") };
    match s.app.record_notification(&p.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to("/quality/notifications").into_response()),
        Err(AppError::Invalid(errs)) => {
            let mut page = notifications_page(&s, &p).await?;
            page.failed = Some((id, input, errs.0.iter().map(|e| (e.field.to_string(), e.message.clone())).collect()));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e @ AppError::Conflict(_)) => {
            let mut page = notifications_page(&s, &p).await?;
            page.error = Some(e.to_string());
            render_status(StatusCode::CONFLICT, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/donor-notifications`.
pub async fn api_notifications(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.notification_tasks(&p.actor, 1000).await?))
}

/// `POST /api/v1/donor-notifications/{id}` `{"method", "note"}`: the task, done.
pub async fn api_notify(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<NotificationInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.record_notification(&p.actor, id, &input).await?))
}

#[derive(Template)]
#[template(path = "lookback.html")]
pub struct LookbackPage {
    pub layout: Layout,
    pub cases: Vec<LookbackCase>,
}

/// `GET /quality/lookback`: lookback cases with the earlier donations' units.
pub async fn lookback(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&LookbackPage { layout: Layout::new(&p, "lookback"), cases: s.app.lookback_cases(&p.actor, 200).await? })
}

/// `GET /api/v1/lookback-cases`.
pub async fn api_lookback(State(s): State<AppState>, p: Principal) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.lookback_cases(&p.actor, 1000).await?))
}
