//! Users, login sessions and API tokens.

use crate::{on_pool, on_tx, Result, Store, WriteTx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UserRecord {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    /// Comma-separated role names.
    pub roles: String,
    pub hospital_id: Option<Uuid>,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub type NewUser = UserRecord;

const USER_COLUMNS: &str = "id, username, display_name, email, password_hash, roles, hospital_id, active, failed_logins, locked_until, created_at";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user_id: Uuid,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApiTokenRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Store {
    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(username).fetch_optional(p).await?))
    }

    pub async fn user(&self, id: Uuid) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    pub async fn list_users(&self) -> Result<Vec<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions WHERE token_hash = $1")
            .bind(token_hash).fetch_optional(p).await?))
    }

    pub async fn api_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, user_id, name, token_hash, created_at, created_by, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1")
            .bind(token_hash).fetch_optional(p).await?))
    }

    pub async fn list_api_tokens(&self) -> Result<Vec<ApiTokenRecord>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, user_id, name, token_hash, created_at, created_by, expires_at, revoked_at FROM api_tokens ORDER BY created_at DESC")
            .fetch_all(p).await?))
    }
}

impl WriteTx {
    pub async fn user_by_username(&mut self, username: &str) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(username).fetch_optional(c).await?))
    }

    pub async fn user(&mut self, id: Uuid) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    pub async fn insert_user(&mut self, u: &NewUser) -> Result<()> {
        let sql = format!("INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
        on_tx!(self, c => sqlx::query(&sql)
            .bind(u.id).bind(&u.username).bind(&u.display_name).bind(&u.email)
            .bind(&u.password_hash).bind(&u.roles).bind(u.hospital_id).bind(u.active)
            .bind(u.failed_logins).bind(u.locked_until).bind(u.created_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Writes every mutable field of a user (identity and creation time stay).
    pub async fn update_user(&mut self, u: &UserRecord) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE users SET display_name = $2, email = $3, password_hash = $4, roles = $5, hospital_id = $6, active = $7, failed_logins = $8, locked_until = $9 WHERE id = $1")
            .bind(u.id).bind(&u.display_name).bind(&u.email).bind(&u.password_hash)
            .bind(&u.roles).bind(u.hospital_id).bind(u.active).bind(u.failed_logins).bind(u.locked_until)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_session(&mut self, s: &SessionRecord) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&s.token_hash).bind(s.user_id).bind(&s.csrf_token).bind(s.created_at).bind(s.expires_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn delete_session(&mut self, token_hash: &str) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash).execute(c).await?.rows_affected());
        Ok(n > 0)
    }

    /// Ends every session of a user (deactivation, password change).
    pub async fn delete_sessions_of(&mut self, user_id: Uuid) -> Result<u64> {
        Ok(on_tx!(self, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id).execute(c).await?.rows_affected()))
    }

    pub async fn delete_expired_sessions(&mut self, now: DateTime<Utc>) -> Result<u64> {
        Ok(on_tx!(self, c => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now).execute(c).await?.rows_affected()))
    }

    pub async fn insert_api_token(&mut self, t: &ApiTokenRecord) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, created_by, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(t.id).bind(t.user_id).bind(&t.name).bind(&t.token_hash).bind(t.created_at)
            .bind(&t.created_by).bind(t.expires_at).bind(t.revoked_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn api_token(&mut self, id: Uuid) -> Result<Option<ApiTokenRecord>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT id, user_id, name, token_hash, created_at, created_by, expires_at, revoked_at FROM api_tokens WHERE id = $1")
            .bind(id).fetch_optional(c).await?))
    }

    pub async fn revoke_api_token(&mut self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id).bind(at).execute(c).await?.rows_affected());
        Ok(())
    }
}
