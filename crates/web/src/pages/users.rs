//! User and API token administration.

use super::{attach_errors, render, render_status, FieldView, Layout, PageResult};
use crate::api::parse_id;
use crate::auth::Principal;
use crate::AppState;
use app::users::{ApiTokenView, NewUserInput, UserView};
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
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
    let roles = Role::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), r.title().to_string()))
        .collect();
    vec![
        FieldView::text("username", "User name", &f.username)
            .required()
            .help("Lower-case letters, digits, '.', '_' or '-'."),
        FieldView::text("display_name", "Full name", &f.display_name),
        FieldView::text("email", "Email", &f.email).kind("email"),
        FieldView::text("password", "Initial password", "")
            .kind("password")
            .required()
            .help("At least 10 characters."),
        FieldView::text("roles", "Role", &f.role)
            .required()
            .select(roles)
            .help("More roles can be given through the API or CLI (--role a --role b)."),
        FieldView::text("hospital", "Hospital account code", &f.hospital)
            .help("Only for hospital users, e.g. H-STMARY."),
    ]
}

fn token_fields(f: &TokenForm) -> Vec<FieldView> {
    vec![
        FieldView::text("username", "For user", &f.username).required(),
        FieldView::text("name", "Token name", &f.name)
            .required()
            .help("What uses it, e.g. LIS interface."),
        FieldView::text("expires_in_days", "Expires in (days)", &f.expires_in_days)
            .help("Empty: never expires."),
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
    })
}

fn error_text(fields: &mut [FieldView], e: &AppError) -> String {
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

pub async fn list(State(s): State<AppState>, p: Principal) -> PageResult {
    render(&page(&s, &p).await?)
}

pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    Form(f): Form<UserForm>,
) -> PageResult {
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

pub async fn set_active(
    State(s): State<AppState>,
    p: Principal,
    Path(username): Path<String>,
    Form(f): Form<ActiveForm>,
) -> PageResult {
    let active = f.active == "true";
    let reason = Some(f.reason).filter(|r| !r.trim().is_empty());
    match s
        .app
        .set_user_active(&p.actor, &username, active, reason)
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e @ AppError::Conflict(_)) => {
            let mut pg = page(&s, &p).await?;
            pg.user_error = Some(e.to_string());
            render_status(StatusCode::CONFLICT, &pg)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create_token(
    State(s): State<AppState>,
    p: Principal,
    Form(f): Form<TokenForm>,
) -> PageResult {
    let days = match f.expires_in_days.trim() {
        "" => Ok(None),
        d => d.parse::<i64>().map(Some).map_err(|_| {
            AppError::from(domain::FieldError::new(
                "expires_in_days",
                format!("'{d}' is not a number of days"),
            ))
        }),
    };
    let result = match days {
        Ok(days) => {
            s.app
                .create_api_token(&p.actor, &f.username, &f.name, days)
                .await
        }
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

pub async fn revoke_token(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> PageResult {
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
