//! Signing in: passwords, login sessions with lockout, and API tokens.
//!
//! Session and API tokens are random 256-bit values handed to the client once; the
//! database keeps only their SHA-256, so a stolen database yields no usable token.

use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Duration, Utc};
use domain::throttle::{Counter, Refused, Window};
use domain::{AuditDraft, Roles};
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::{RateCounterRow, SessionRecord, UserRecord};

/// The one generator of every random secret hemaflow hands out (session, CSRF and
/// API tokens, booking, cancel and unsubscribe links, first passwords): 256 bits
/// from the operating system's random source, hex encoded, after a prefix that says
/// what the token is (`hfs_` session, `hft_` API, `hfb_` booking link, `hfc_` cancel
/// link, `hfu_` unsubscribe link).
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
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

impl App {
    /// Whether `password` is this active user's: the re-entry that makes an electronic
    /// signature (21 CFR 11.200: the signer's own two components, name and password).
    pub(crate) async fn password_is(&self, username: &str, password: &str) -> Result<bool> {
        match self.store.user_by_username(username).await?.filter(|u| u.active) {
            Some(u) => Ok(password_matches(password.to_string(), u.password_hash.clone()).await),
            None => {
                burn_decoy(password.to_string()).await;
                Ok(false)
            }
        }
    }
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

const BAD_LOGIN: &str = "wrong user name or password";

/// Longest typed user name kept in the audit trail for a failed login.
pub const TYPED_NAME_LIMIT: usize = 64;

/// What someone typed as a user name, as the audit trail keeps it: trimmed, without
/// control characters, at most [`TYPED_NAME_LIMIT`] characters (then `…`).
pub fn typed_name(raw: &str) -> String {
    let clean: String = raw.trim().chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() > TYPED_NAME_LIMIT {
        clean.chars().take(TYPED_NAME_LIMIT).chain(std::iter::once('…')).collect()
    } else {
        clean
    }
}

/// How long the per-address windows of the rate limits last.
pub const LOGIN_WINDOW_MINUTES: i64 = 15;
pub const LINK_WINDOW_MINUTES: i64 = 10;

/// The client address used when the caller gives none (command line, tests).
pub const NO_ADDRESS: &str = "local";

fn addr_key(client: &str) -> String {
    format!("login-addr:{client}")
}

fn name_prefix(name: &str) -> String {
    format!("login-name:{name}|")
}

fn clean_client(client: &str) -> String {
    client.chars().filter(|c| !c.is_control()).take(64).collect()
}

fn counter_of(r: &RateCounterRow) -> Counter {
    Counter { window_start: r.window_start, hits: r.hits, locked_until: r.locked_until }
}

fn row_of(key: &str, c: Counter) -> RateCounterRow {
    RateCounterRow { key: key.to_string(), window_start: c.window_start, hits: c.hits, locked_until: c.locked_until }
}

fn locked_out(r: Refused) -> AppError {
    AppError::LockedOut { until: r.until }
}

/// Clears the sign-in locks of a user name at every address (password reset, reactivation).
pub(crate) async fn clear_login_locks(tx: &mut store::WriteTx, username: &str) -> Result<()> {
    tx.delete_rate_counters_with_prefix(&name_prefix(&typed_name(username).to_lowercase())).await?;
    Ok(())
}

impl App {
    /// [`App::login_from`] for a caller without a network address (command line, tests).
    pub async fn login(&self, username: &str, password: &str) -> Result<NewSession> {
        self.login_from(username, password, NO_ADDRESS).await
    }

    /// Checks a password and opens a session. Every attempt is counted before the
    /// password is looked at, per client address (all names) and per typed name from
    /// that address; either over its limit refuses the attempt with `LockedOut`. The
    /// name counter locks the name from that address only, so guessing `admin` from
    /// one address does not lock the real administrator out at another. A name that
    /// does not exist is counted and refused exactly like one that does. Every attempt
    /// that reaches the password check is audited.
    pub async fn login_from(&self, username: &str, password: &str, client: &str) -> Result<NewSession> {
        let now = store::now();
        let typed = typed_name(username);
        let client = clean_client(client);
        let addr_key = addr_key(&client);
        let name_key = format!("{}{client}", name_prefix(&typed.to_lowercase()));
        let per_address = Window { max: self.settings.login_attempts_per_address, window: Duration::minutes(LOGIN_WINDOW_MINUTES) };

        // Count the attempt first, in its own transaction, so parallel guesses queue.
        let mut tx = self.store.begin_write().await?;
        let mut by_addr = counter_of(&tx.rate_counter(&addr_key, now).await?);
        let addr_verdict = by_addr.hit(now, per_address);
        tx.put_rate_counter(&row_of(&addr_key, by_addr)).await?;
        if let Err(r) = addr_verdict {
            tx.commit().await?;
            tracing::warn!(%client, "sign-in refused: too many attempts from this address");
            return Err(locked_out(r));
        }
        let mut by_name = counter_of(&tx.rate_counter(&name_key, now).await?);
        if let Err(r) = by_name.attempt(now, self.settings.lockout_threshold) {
            tx.commit().await?;
            tracing::warn!(%client, "sign-in refused: this name is locked from this address");
            return Err(locked_out(r));
        }
        tx.put_rate_counter(&row_of(&name_key, by_name)).await?;
        tx.commit().await?;
        let locked_now = by_name.refusal(now);
        let refusal = || match locked_now {
            Some(r) => locked_out(r),
            None => AppError::Unauthenticated(BAD_LOGIN.into()),
        };

        let user = self.store.user_by_username(username.trim()).await?;
        let Some(user) = user.filter(|u| u.active) else {
            burn_decoy(password.to_string()).await;
            let mut tx = self.store.begin_write().await?;
            tx.append_audit(
                AuditDraft::new("anonymous", "user.login_failed", "user", &typed)
                    .after(serde_json::json!({"from": client, "attempts_in_a_row": by_name.hits}))
                    .reason(Some("unknown or inactive user".into())),
            )
            .await?;
            tx.commit().await?;
            return Err(refusal());
        };
        let ok = password_matches(password.to_string(), user.password_hash.clone()).await;
        let mut tx = self.store.begin_write().await?;
        if !ok {
            let draft = AuditDraft::new(&user.username, "user.login_failed", "user", user.id)
                .after(serde_json::json!({"from": client, "attempts_in_a_row": by_name.hits, "locked_until": locked_now.map(|r| r.until)}))
                .reason(Some("wrong password".into()));
            tx.append_audit(draft).await?;
            tx.commit().await?;
            return Err(refusal());
        }
        // A good sign-in clears the name's streak and does not count against the address.
        tx.delete_rate_counter(&name_key).await?;
        let mut by_addr = counter_of(&tx.rate_counter(&addr_key, now).await?);
        by_addr.forgive_one();
        tx.put_rate_counter(&row_of(&addr_key, by_addr)).await?;
        tx.prune_rate_counters(now - Duration::days(2), now).await?;
        tx.delete_expired_sessions(now).await?;
        let session =
            NewSession { token: new_secret("hfs_"), csrf_token: new_secret(""), expires_at: now + Duration::hours(self.settings.session_hours) };
        tx.insert_session(&SessionRecord {
            token_hash: token_hash(&session.token),
            user_id: user.id,
            csrf_token: session.csrf_token.clone(),
            created_at: now,
            expires_at: session.expires_at,
        })
        .await?;
        tx.append_audit(AuditDraft::new(&user.username, "user.login", "user", user.id).after(serde_json::json!({"from": client}))).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Counts one request to a public link page (booking, cancel, unsubscribe) from a
    /// client address; over the limit it is refused with `LockedOut` until the window ends.
    pub async fn throttle_link(&self, client: &str) -> Result<()> {
        let now = store::now();
        let key = format!("link-addr:{}", clean_client(client));
        let limit = Window { max: self.settings.link_requests_per_address, window: Duration::minutes(LINK_WINDOW_MINUTES) };
        let mut tx = self.store.begin_write().await?;
        let mut c = counter_of(&tx.rate_counter(&key, now).await?);
        let verdict = c.hit(now, limit);
        tx.put_rate_counter(&row_of(&key, c)).await?;
        tx.commit().await?;
        verdict.map_err(|r| {
            tracing::warn!(%client, "public link refused: too many requests from this address");
            locked_out(r)
        })
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
    fn a_typed_user_name_is_bounded_and_cleaned_for_the_audit_trail() {
        assert_eq!(typed_name("  admin "), "admin");
        let long = "x".repeat(10_000);
        let kept = typed_name(&long);
        assert_eq!(kept.chars().count(), TYPED_NAME_LIMIT + 1);
        assert!(kept.ends_with('…'));
        assert_eq!(typed_name("a\r\nb\tc\u{0}"), "abc");
        assert_eq!(typed_name(&"é".repeat(70)).chars().count(), TYPED_NAME_LIMIT + 1);
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
