//! User and API token administration.

use super::{error_text, render, render_status, FieldView, Layout, PageResult};
use crate::api::parse_id;
use crate::auth::Principal;
use crate::AppState;
use app::users::{ApiTokenView, NewUserInput, UserView};
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use domain::Role;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub users: Vec<UserView>,
    pub tokens: Vec<ApiTokenView>,
    pub user_fields: Vec<FieldView>,
    pub token_fields: Vec<FieldView>,
    pub user_error: Option<String>,
    pub token_error: Option<String>,
    pub new_secret: Option<(String, String)>,
    pub notice: Option<String>,
    /// Set when a filter from the dashboard narrows the lists.
    pub filter: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// One role from the select (named like the domain field, so its error lands there).
    #[serde(default, rename = "roles")]
    role: String,
    #[serde(default)]
    hospital: String,
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_in_days: String,
}

fn user_fields(f: &UserForm) -> Vec<FieldView> {
    let roles = Role::ALL.iter().map(|r| (r.as_str().to_string(), r.title().to_string())).collect();
    vec![
        FieldView::text("username", "User name", &f.username).required().help("Lower-case letters, digits, '.', '_' or '-'."),
        FieldView::text("display_name", "Full name", &f.display_name),
        FieldView::text("email", "Email", &f.email).kind("email"),
        FieldView::text("password", "Initial password", "").kind("password").required().help("At least 10 characters."),
        FieldView::text("roles", "Role", &f.role)
            .required()
            .select(roles)
            .help("More roles can be given through the API or CLI (--role a --role b)."),
        FieldView::text("hospital", "Hospital account code", &f.hospital).help("Only for hospital users, e.g. H-STMARY."),
    ]
}

fn token_fields(f: &TokenForm) -> Vec<FieldView> {
    vec![
        FieldView::text("username", "For user", &f.username).required(),
        FieldView::text("name", "Token name", &f.name).required().help("What uses it, e.g. LIS interface."),
        FieldView::text("expires_in_days", "Expires in (days)", &f.expires_in_days).help("Empty: never expires."),
    ]
}

async fn page(s: &AppState, p: &Principal) -> Result<UsersPage, AppError> {
    Ok(UsersPage {
        layout: Layout::new(p, "users"),
        users: s.app.list_users(&p.actor).await?,
        tokens: s.app.list_api_tokens(&p.actor).await?,
        user_fields: user_fields(&UserForm::default()),
        token_fields: token_fields(&TokenForm::default()),
        user_error: None,
        token_error: None,
        new_secret: None,
        notice: None,
        filter: None,
    })
}

/// Filters the dashboard's figures link to: `users=active`, `tokens=expiring`.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    users: Option<String>,
    #[serde(default)]
    tokens: Option<String>,
}

pub async fn list(State(s): State<AppState>, p: Principal, Query(q): Query<ListQuery>) -> PageResult {
    let mut pg = page(&s, &p).await?;
    let now = chrono::Utc::now();
    if q.users.as_deref() == Some("active") {
        pg.users.retain(|u| u.active);
        pg.filter = Some("Showing active users only.".into());
    }
    if q.tokens.as_deref() == Some("expiring") {
        pg.tokens.retain(|t| app::dashboard::token_expiring(t, now));
        pg.filter = Some(format!("Showing API tokens that expire within {} days only.", app::dashboard::TOKEN_WARNING_DAYS));
    }
    render(&pg)
}

pub async fn create(State(s): State<AppState>, p: Principal, Form(f): Form<UserForm>) -> PageResult {
    let input = NewUserInput {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        email: f.email.clone(),
        password: f.password.clone(),
        roles: vec![f.role.clone()],
        hospital: Some(f.hospital.clone()),
    };
    match s.app.create_user(&p.actor, &input).await {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let mut pg = page(&s, &p).await?;
            pg.user_fields = user_fields(&f);
            pg.user_error = Some(error_text(&mut pg.user_fields, &e));
            render_status(crate::error::status_of(&e), &pg)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
    #[serde(default)]
    reason: String,
}

pub async fn set_active(State(s): State<AppState>, p: Principal, Path(username): Path<String>, Form(f): Form<ActiveForm>) -> PageResult {
    let active = f.active == "true";
    let reason = Some(f.reason).filter(|r| !r.trim().is_empty());
    match s.app.set_user_active(&p.actor, &username, active, reason).await {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e @ AppError::Conflict(_)) => {
            let mut pg = page(&s, &p).await?;
            pg.user_error = Some(e.to_string());
            render_status(StatusCode::CONFLICT, &pg)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create_token(State(s): State<AppState>, p: Principal, Form(f): Form<TokenForm>) -> PageResult {
    let days = match f.expires_in_days.trim() {
        "" => Ok(None),
        d => d
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::from(domain::FieldError::new("expires_in_days", format!("'{d}' is not a number of days")))),
    };
    let result = match days {
        Ok(days) => s.app.create_api_token(&p.actor, &f.username, &f.name, days).await,
        Err(e) => Err(e),
    };
    match result {
        Ok((view, secret)) => {
            let mut pg = page(&s, &p).await?;
            pg.new_secret = Some((view.name, secret));
            render(&pg)
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let mut pg = page(&s, &p).await?;
            pg.token_fields = token_fields(&f);
            pg.token_error = Some(error_text(&mut pg.token_fields, &e));
            render_status(crate::error::status_of(&e), &pg)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> PageResult {
    let id = parse_id("API token", &id)?;
    match s.app.revoke_api_token(&p.actor, id, None).await {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e @ AppError::Conflict(_)) => {
            let mut pg = page(&s, &p).await?;
            pg.notice = Some(e.to_string());
            render_status(StatusCode::CONFLICT, &pg)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "user_edit.html")]
pub struct UserEditPage {
    pub layout: Layout,
    pub user: UserView,
    pub hospital_code: String,
    pub fields: Vec<FieldView>,
    pub password_fields: Vec<FieldView>,
    pub error: Option<String>,
    pub password_error: Option<String>,
    pub notice: Option<String>,
}

fn edit_fields(display_name: &str, email: &str, roles: &str, hospital: &str, reason: &str) -> Vec<FieldView> {
    let options = Role::ALL.iter().map(|r| (r.as_str().to_string(), r.title().to_string())).collect();
    vec![
        FieldView::text("display_name", "Full name", display_name),
        FieldView::text("email", "Email", email).kind("email"),
        FieldView::text("roles", "Roles", roles).required().checkboxes(options).help("A hospital user holds only the hospital role."),
        FieldView::text("hospital", "Hospital account code", hospital).help("Only for hospital users, e.g. H-STMARY."),
        FieldView::text("reason", "Reason for the change", reason)
            .required()
            .kind("textarea")
            .help("Kept in the audit trail. The user's open sessions end."),
    ]
}

fn password_fields() -> Vec<FieldView> {
    vec![FieldView::text("password", "New password", "").kind("password").required().help("At least 10 characters. The user's open sessions end.")]
}

async fn edit_page(s: &AppState, p: &Principal, username: &str) -> Result<UserEditPage, AppError> {
    let user = s.app.user(&p.actor, username).await?;
    let hospital_code = match user.hospital_id {
        Some(id) => {
            s.app.list_hospitals(&p.actor).await?.into_iter().find(|h| h.id == id).map(|h| h.fields.code.as_str().to_string()).unwrap_or_default()
        }
        None => String::new(),
    };
    let roles = user.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
    Ok(UserEditPage {
        layout: Layout::new(p, "users"),
        fields: edit_fields(&user.display_name, user.email.as_deref().unwrap_or(""), &roles, &hospital_code, ""),
        password_fields: password_fields(),
        hospital_code,
        user,
        error: None,
        password_error: None,
        notice: None,
    })
}

pub async fn edit_form(State(s): State<AppState>, p: Principal, Path(username): Path<String>) -> PageResult {
    render(&edit_page(&s, &p, &username).await?)
}

/// Form pairs in order; repeated names (the role checkboxes) are kept.
fn pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

fn one(pairs: &[(String, String)], key: &str) -> String {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
}

pub async fn update(State(s): State<AppState>, p: Principal, Path(username): Path<String>, body: axum::body::Bytes) -> PageResult {
    let form = pairs(&body);
    let roles: Vec<String> = form.iter().filter(|(k, _)| k == "roles").map(|(_, v)| v.clone()).collect();
    let change = app::users::UserChange {
        display_name: one(&form, "display_name"),
        email: one(&form, "email"),
        roles: roles.clone(),
        hospital: Some(one(&form, "hospital")),
        reason: one(&form, "reason"),
    };
    match s.app.update_user(&p.actor, &username, &change).await {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let mut pg = edit_page(&s, &p, &username).await?;
            pg.fields = edit_fields(&change.display_name, &change.email, &roles.join(","), change.hospital.as_deref().unwrap_or(""), &change.reason);
            pg.error = Some(error_text(&mut pg.fields, &e));
            render_status(crate::error::status_of(&e), &pg)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    current_password: String,
}

pub async fn reset_password(State(s): State<AppState>, p: Principal, Path(username): Path<String>, Form(f): Form<PasswordForm>) -> PageResult {
    let result = s.app.reset_password(&p.actor, &username, &f.password).await;
    let mut pg = edit_page(&s, &p, &username).await?;
    match result {
        Ok(()) => {
            pg.notice = Some(format!("The password of {username} was changed; their open sessions have ended."));
            render(&pg)
        }
        Err(e @ AppError::Invalid(_)) => {
            pg.password_error = Some(error_text(&mut pg.password_fields, &e));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &pg)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub layout: Layout,
    pub fields: Vec<FieldView>,
    pub error: Option<String>,
}

fn account_fields() -> Vec<FieldView> {
    vec![
        FieldView::text("current_password", "Current password", "").kind("password").required(),
        FieldView::text("password", "New password", "").kind("password").required().help("At least 10 characters. You will sign in again with it."),
    ]
}

pub async fn account(p: Principal) -> PageResult {
    render(&AccountPage { layout: Layout::new(&p, ""), fields: account_fields(), error: None })
}

pub async fn change_password(State(s): State<AppState>, p: Principal, Form(f): Form<PasswordForm>) -> PageResult {
    match s.app.change_own_password(&p.actor, &f.current_password, &f.password).await {
        Ok(()) => Ok(Redirect::to("/login").into_response()),
        Err(e @ AppError::Invalid(_)) => {
            let mut fields = account_fields();
            let error = Some(error_text(&mut fields, &e));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &AccountPage { layout: Layout::new(&p, ""), fields, error })
        }
        Err(e) => Err(e.into()),
    }
}
