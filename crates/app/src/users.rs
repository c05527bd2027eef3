//! User accounts and API tokens (administration).

use crate::auth::{actor_of, hash_password, new_secret, token_hash};
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Duration, Utc};
use domain::{AuditDraft, FieldError, FieldErrors, Password, Permission, Role, Roles, Username};
use serde::{Deserialize, Serialize};
use store::{ApiTokenRecord, UserRecord};
use uuid::Uuid;

/// A new user as submitted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserInput {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub email: String,
    pub password: String,
    pub roles: Vec<String>,
    /// Code of the hospital account; required for (and only for) the hospital role.
    #[serde(default)]
    pub hospital: Option<String>,
}

/// A user as shown to administrators; never includes the password hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    pub hospital_id: Option<Uuid>,
    pub active: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl UserView {
    fn of(u: &UserRecord) -> Result<Self> {
        let a = actor_of(u, false)?;
        Ok(Self {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            roles: a.roles.as_slice().to_vec(),
            hospital_id: u.hospital_id,
            active: u.active,
            locked_until: u.locked_until,
            created_at: u.created_at,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiTokenView {
    pub id: Uuid,
    pub username: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A correction of a user's name, email, roles or hospital, with the reason for it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub email: String,
    pub roles: Vec<String>,
    #[serde(default)]
    pub hospital: Option<String>,
    pub reason: String,
}

fn parse_email(raw: &str) -> std::result::Result<Option<String>, FieldError> {
    let e = raw.trim();
    if e.is_empty() {
        Ok(None)
    } else if e.contains('@') && !e.contains(char::is_whitespace) && !e.starts_with('@') && !e.ends_with('@') {
        Ok(Some(e.to_string()))
    } else {
        Err(FieldError::new("email", format!("'{e}' is not an email address")))
    }
}

fn hospital_code(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|c| !c.is_empty())
}

/// A hospital user belongs to exactly one hospital account; staff belong to none.
fn check_hospital_link(roles: &Roles, hospital_code: Option<&str>) -> std::result::Result<(), FieldError> {
    match (roles.is_hospital(), hospital_code) {
        (true, None) => Err(FieldError::new("hospital", "a hospital user needs the code of their hospital account")),
        (false, Some(_)) => Err(FieldError::new("hospital", "only hospital users belong to a hospital account")),
        _ => Ok(()),
    }
}

async fn resolve_hospital(tx: &mut store::WriteTx, code: Option<&str>) -> Result<Option<Uuid>> {
    match code {
        Some(code) => Ok(Some(
            tx.hospital_by_code(code).await?.ok_or_else(|| FieldError::new("hospital", format!("no hospital account has the code '{code}'")))?.id,
        )),
        None => Ok(None),
    }
}

fn parse_roles(names: &[String]) -> std::result::Result<Roles, FieldError> {
    let roles = names
        .iter()
        .flat_map(|n| n.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.parse::<Role>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| FieldError::new("roles", e.to_string()))?;
    Roles::new(roles).map_err(|e| FieldError::new("roles", e.to_string()))
}

impl App {
    pub async fn create_user(&self, actor: &Actor, input: &NewUserInput) -> Result<UserView> {
        actor.require(Permission::ManageUsers)?;
        let mut e = FieldErrors::default();
        let username = e.take(Username::parse(&input.username));
        let password = e.take(Password::parse(&input.password));
        let roles = e.take(parse_roles(&input.roles));
        let email = if input.email.trim().is_empty() {
            None
        } else if input.email.contains('@') && !input.email.trim().contains(' ') {
            Some(input.email.trim().to_string())
        } else {
            e.0.push(FieldError::new("email", format!("'{}' is not an email address", input.email.trim())));
            None
        };
        let hospital_code = hospital_code(&input.hospital);
        if let Some(r) = &roles {
            e.take(check_hospital_link(r, hospital_code));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let (username, password, roles) = (username.expect("checked"), password.expect("checked"), roles.expect("checked"));
        let display_name = match input.display_name.trim() {
            "" => username.to_string(),
            d => d.to_string(),
        };
        let password_hash = hash_password(password.expose().to_string()).await;

        let mut tx = self.store.begin_write().await?;
        let hospital_id = resolve_hospital(&mut tx, hospital_code).await?;
        if tx.user_by_username(username.as_str()).await?.is_some() {
            return Err(AppError::Conflict(format!("the user name '{username}' is already taken")));
        }
        let user = UserRecord {
            id: Uuid::now_v7(),
            username: username.to_string(),
            display_name,
            email,
            password_hash,
            roles: roles.joined(),
            hospital_id,
            active: true,
            failed_logins: 0,
            locked_until: None,
            created_at: store::now(),
        };
        tx.insert_user(&user).await?;
        let view = UserView::of(&user)?;
        tx.append_audit(AuditDraft::new(&actor.username, "user.create", "user", user.id).after(&view)).await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn user(&self, actor: &Actor, username: &str) -> Result<UserView> {
        actor.require(Permission::ManageUsers)?;
        let u = self.store.user_by_username(username).await?.ok_or_else(|| AppError::NotFound(format!("no user is called '{username}'")))?;
        UserView::of(&u)
    }

    /// Changes a user's name, email, roles or hospital. An administrator cannot take
    /// the admin role away from themselves (someone must be able to undo mistakes).
    pub async fn update_user(&self, actor: &Actor, username: &str, change: &UserChange) -> Result<UserView> {
        actor.require(Permission::ManageUsers)?;
        let mut e = FieldErrors::default();
        let roles = e.take(parse_roles(&change.roles));
        let email = e.take(parse_email(&change.email));
        let hospital_code = hospital_code(&change.hospital);
        if let Some(r) = &roles {
            e.take(check_hospital_link(r, hospital_code));
        }
        if change.reason.trim().is_empty() {
            e.0.push(FieldError::new("reason", "say why this user is being changed"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let roles = roles.expect("checked");
        let mut tx = self.store.begin_write().await?;
        let mut u = tx.user_by_username(username).await?.ok_or_else(|| AppError::NotFound(format!("no user is called '{username}'")))?;
        if Some(u.id) == actor.user_id && !roles.contains(Role::Admin) {
            return Err(AppError::Conflict("you cannot remove the admin role from your own account".into()));
        }
        let hospital_id = resolve_hospital(&mut tx, hospital_code).await?;
        let before = UserView::of(&u)?;
        if let Some(d) = Some(change.display_name.trim()).filter(|d| !d.is_empty()) {
            u.display_name = d.to_string();
        }
        u.email = email.expect("checked");
        u.roles = roles.joined();
        u.hospital_id = hospital_id;
        let after = UserView::of(&u)?;
        if before == after {
            return Err(AppError::Conflict("nothing changed".into()));
        }
        tx.update_user(&u).await?;
        // New roles take effect at the next sign-in; open sessions keep none of the old rights.
        tx.delete_sessions_of(u.id).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "user.update", "user", u.id).before(&before).after(&after).reason(Some(change.reason.clone())),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Sets a new password for a user (administrators) and ends their sessions.
    pub async fn reset_password(&self, actor: &Actor, username: &str, password: &str) -> Result<()> {
        actor.require(Permission::ManageUsers)?;
        self.set_password(actor, username, password, "user.password_reset").await
    }

    /// A signed-in user changes their own password, proving the current one.
    pub async fn change_own_password(&self, actor: &Actor, current: &str, new: &str) -> Result<()> {
        let u = self.store.user_by_username(&actor.username).await?.ok_or_else(|| AppError::Unauthenticated("sign in again".into()))?;
        let hash = u.password_hash.clone();
        let current = current.to_string();
        let ok = tokio::task::spawn_blocking(move || password_auth::verify_password(current, &hash).is_ok()).await.expect("verify task");
        if !ok {
            return Err(FieldError::new("current_password", "this is not your current password").into());
        }
        self.set_password(actor, &actor.username, new, "user.password_change").await
    }

    async fn set_password(&self, actor: &Actor, username: &str, password: &str, action: &str) -> Result<()> {
        let password = Password::parse(password)?;
        let hash = hash_password(password.expose().to_string()).await;
        let mut tx = self.store.begin_write().await?;
        let mut u = tx.user_by_username(username).await?.ok_or_else(|| AppError::NotFound(format!("no user is called '{username}'")))?;
        u.password_hash = hash;
        u.failed_logins = 0;
        u.locked_until = None;
        tx.update_user(&u).await?;
        crate::auth::clear_login_locks(&mut tx, &u.username).await?;
        tx.delete_sessions_of(u.id).await?;
        // The audit record says that the password changed, never what it is.
        tx.append_audit(AuditDraft::new(&actor.username, action, "user", u.id)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<UserView>> {
        actor.require(Permission::ManageUsers)?;
        self.store.list_users().await?.iter().map(UserView::of).collect()
    }

    /// Deactivates or reactivates a user; deactivation ends their sessions at once.
    pub async fn set_user_active(&self, actor: &Actor, username: &str, active: bool, reason: Option<String>) -> Result<UserView> {
        actor.require(Permission::ManageUsers)?;
        let mut tx = self.store.begin_write().await?;
        let mut u = tx.user_by_username(username).await?.ok_or_else(|| AppError::NotFound(format!("no user is called '{username}'")))?;
        if Some(u.id) == actor.user_id && !active {
            return Err(AppError::Conflict("you cannot deactivate your own account".into()));
        }
        let before = UserView::of(&u)?;
        u.active = active;
        if active {
            u.failed_logins = 0;
            u.locked_until = None;
            crate::auth::clear_login_locks(&mut tx, &u.username).await?;
        }
        tx.update_user(&u).await?;
        if !active {
            tx.delete_sessions_of(u.id).await?;
        }
        let after = UserView::of(&u)?;
        let action = if active { "user.activate" } else { "user.deactivate" };
        tx.append_audit(AuditDraft::new(&actor.username, action, "user", u.id).before(&before).after(&after).reason(reason)).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Creates an API token for a user. The secret is returned once and never stored.
    pub async fn create_api_token(&self, actor: &Actor, username: &str, name: &str, expires_in_days: Option<i64>) -> Result<(ApiTokenView, String)> {
        actor.require(Permission::ManageUsers)?;
        let name = name.trim();
        if name.is_empty() || name.len() > 80 {
            return Err(FieldError::new("name", "give the token a name of 1 to 80 characters (e.g. the system that uses it)").into());
        }
        if let Some(d) = expires_in_days {
            if !(1..=3650).contains(&d) {
                return Err(FieldError::new("expires_in_days", "must be between 1 and 3650 days").into());
            }
        }
        let mut tx = self.store.begin_write().await?;
        let u = tx.user_by_username(username).await?.ok_or_else(|| FieldError::new("username", format!("no user is called '{username}'")))?;
        if !u.active {
            return Err(AppError::Conflict(format!("user '{username}' is deactivated")));
        }
        let secret = new_secret("hft_");
        let now = store::now();
        let rec = ApiTokenRecord {
            id: Uuid::now_v7(),
            user_id: u.id,
            name: name.to_string(),
            token_hash: token_hash(&secret),
            created_at: now,
            created_by: actor.username.clone(),
            expires_at: expires_in_days.map(|d| now + Duration::days(d)),
            revoked_at: None,
        };
        tx.insert_api_token(&rec).await?;
        let view = token_view(&rec, &u.username);
        tx.append_audit(AuditDraft::new(&actor.username, "api_token.create", "api_token", rec.id).after(&view)).await?;
        tx.commit().await?;
        Ok((view, secret))
    }

    pub async fn revoke_api_token(&self, actor: &Actor, id: Uuid, reason: Option<String>) -> Result<ApiTokenView> {
        actor.require(Permission::ManageUsers)?;
        let mut tx = self.store.begin_write().await?;
        let rec = tx.api_token(id).await?.ok_or_else(|| AppError::NotFound(format!("no API token has the id {id}")))?;
        if rec.revoked_at.is_some() {
            return Err(AppError::Conflict(format!("the API token '{}' is already revoked", rec.name)));
        }
        let username = tx.user(rec.user_id).await?.map(|u| u.username).unwrap_or_default();
        let before = token_view(&rec, &username);
        let now = store::now();
        tx.revoke_api_token(id, now).await?;
        let after = ApiTokenView { revoked_at: Some(now), ..before.clone() };
        tx.append_audit(AuditDraft::new(&actor.username, "api_token.revoke", "api_token", id).before(&before).after(&after).reason(reason)).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiTokenView>> {
        actor.require(Permission::ManageUsers)?;
        let users = self.store.list_users().await?;
        let name_of = |id: Uuid| users.iter().find(|u| u.id == id).map(|u| u.username.clone()).unwrap_or_default();
        Ok(self.store.list_api_tokens().await?.iter().map(|t| token_view(t, &name_of(t.user_id))).collect())
    }
}

fn token_view(t: &ApiTokenRecord, username: &str) -> ApiTokenView {
    ApiTokenView {
        id: t.id,
        username: username.to_string(),
        name: t.name.clone(),
        created_at: t.created_at,
        created_by: t.created_by.clone(),
        expires_at: t.expires_at,
        revoked_at: t.revoked_at,
    }
}
