//! Signing in: passwords, login sessions with lockout, and API tokens.
//!
//! Session and API tokens are random 256-bit values handed to the client once; the
//! database keeps only their SHA-256, so a stolen database yields no usable token.

use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Duration, Utc};
use domain::{AuditDraft, Roles};
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::{SessionRecord, UserRecord};

/// A fresh random token, hex encoded, with a prefix that says what it is.
pub(crate) fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) async fn hash_password(password: String) -> String {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password)).await.expect("hashing task")
}

async fn password_matches(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || password_auth::verify_password(password, &hash).is_ok()).await.expect("verify task")
}

/// Verifies against a hash of a random password when the user name is unknown, so
/// that a wrong name takes as long as a wrong password.
async fn burn_decoy(password: String) {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let hash = DECOY.get_or_init(|| password_auth::generate_hash(new_secret("")));
        let _ = password_auth::verify_password(password, hash);
    })
    .await
    .expect("decoy task");
}

/// What the browser keeps after a login.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

pub(crate) fn actor_of(u: &UserRecord, via_token: bool) -> Result<Actor> {
    let roles = u
        .roles
        .split(',')
        .map(|r| r.parse())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| AppError::Store(store::StoreError::Corrupt(format!("user {}: {e}", u.username))))?;
    let roles = Roles::new(roles).map_err(|e| AppError::Store(store::StoreError::Corrupt(format!("user {}: {e}", u.username))))?;
    Ok(Actor {
        user_id: Some(u.id),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        roles,
        hospital_id: u.hospital_id,
        via_token,
    })
}

/// Back-off after the threshold: 1 minute, then doubling per further failure, at most an hour.
fn lock_duration(failures: i64, threshold: i64) -> Option<Duration> {
    (failures >= threshold).then(|| Duration::minutes(1i64 << (failures - threshold).min(6)).min(Duration::hours(1)))
}

const BAD_LOGIN: &str = "wrong user name or password";

impl App {
    /// Checks a password and opens a session. Every attempt, good or bad, is audited.
    pub async fn login(&self, username: &str, password: &str) -> Result<NewSession> {
        let now = store::now();
        let user = self.store.user_by_username(username.trim()).await?;
        let Some(user) = user.filter(|u| u.active) else {
            burn_decoy(password.to_string()).await;
            let mut tx = self.store.begin_write().await?;
            tx.append_audit(
                AuditDraft::new("anonymous", "user.login_failed", "user", username.trim()).reason(Some("unknown or inactive user".into())),
            )
            .await?;
            tx.commit().await?;
            return Err(AppError::Unauthenticated(BAD_LOGIN.into()));
        };
        if let Some(until) = user.locked_until.filter(|t| *t > now) {
            return Err(AppError::LockedOut { until });
        }
        let ok = password_matches(password.to_string(), user.password_hash.clone()).await;
        let mut tx = self.store.begin_write().await?;
        // Re-read inside the write lock so concurrent attempts count correctly.
        let mut current = tx.user(user.id).await?.ok_or_else(|| AppError::Unauthenticated(BAD_LOGIN.into()))?;
        if !ok {
            current.failed_logins += 1;
            current.locked_until = lock_duration(current.failed_logins, self.settings.lockout_threshold).map(|d| now + d);
            tx.update_user(&current).await?;
            let mut draft = AuditDraft::new(&current.username, "user.login_failed", "user", current.id)
                .after(serde_json::json!({"failed_logins": current.failed_logins, "locked_until": current.locked_until}));
            draft.reason = Some("wrong password".into());
            tx.append_audit(draft).await?;
            tx.commit().await?;
            return Err(match current.locked_until {
                Some(until) => AppError::LockedOut { until },
                None => AppError::Unauthenticated(BAD_LOGIN.into()),
            });
        }
        if current.failed_logins != 0 || current.locked_until.is_some() {
            current.failed_logins = 0;
            current.locked_until = None;
            tx.update_user(&current).await?;
        }
        tx.delete_expired_sessions(now).await?;
        let session =
            NewSession { token: new_secret("hfs_"), csrf_token: new_secret(""), expires_at: now + Duration::hours(self.settings.session_hours) };
        tx.insert_session(&SessionRecord {
            token_hash: token_hash(&session.token),
            user_id: current.id,
            csrf_token: session.csrf_token.clone(),
            created_at: now,
            expires_at: session.expires_at,
        })
        .await?;
        tx.append_audit(AuditDraft::new(&current.username, "user.login", "user", current.id)).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// The signed-in actor and the session's CSRF token, if the session is live.
    pub async fn session_actor(&self, token: &str) -> Result<Option<(Actor, String)>> {
        let Some(s) = self.store.session(&token_hash(token)).await? else {
            return Ok(None);
        };
        if s.expires_at <= Utc::now() {
            return Ok(None);
        }
        match self.store.user(s.user_id).await? {
            Some(u) if u.active => Ok(Some((actor_of(&u, false)?, s.csrf_token))),
            _ => Ok(None),
        }
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        let hash = token_hash(token);
        let Some(s) = self.store.session(&hash).await? else {
            return Ok(());
        };
        let mut tx = self.store.begin_write().await?;
        tx.delete_session(&hash).await?;
        let who = tx.user(s.user_id).await?.map(|u| u.username).unwrap_or_default();
        tx.append_audit(AuditDraft::new(who, "user.logout", "user", s.user_id)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor behind an `Authorization: Bearer` token, or why it is refused.
    pub async fn token_actor(&self, token: &str) -> Result<Actor> {
        let t =
            self.store.api_token_by_hash(&token_hash(token)).await?.ok_or_else(|| AppError::Unauthenticated("the API token is not valid".into()))?;
        if t.revoked_at.is_some() {
            return Err(AppError::Unauthenticated(format!("the API token '{}' has been revoked", t.name)));
        }
        if t.expires_at.is_some_and(|e| e <= Utc::now()) {
            return Err(AppError::Unauthenticated(format!("the API token '{}' has expired", t.name)));
        }
        match self.store.user(t.user_id).await? {
            Some(u) if u.active => actor_of(&u, true),
            _ => Err(AppError::Unauthenticated("the API token's user is deactivated".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_backs_off_and_caps_at_an_hour() {
        assert_eq!(lock_duration(4, 5), None);
        assert_eq!(lock_duration(5, 5), Some(Duration::minutes(1)));
        assert_eq!(lock_duration(6, 5), Some(Duration::minutes(2)));
        assert_eq!(lock_duration(8, 5), Some(Duration::minutes(8)));
        assert_eq!(lock_duration(50, 5), Some(Duration::hours(1)));
    }

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = new_secret("hft_");
        assert!(a.starts_with("hft_") && a.len() == 68);
        assert_ne!(a, new_secret("hft_"));
        assert_eq!(token_hash("x"), token_hash("x"));
        assert_ne!(token_hash("x"), token_hash("y"));
    }
}
