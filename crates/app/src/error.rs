use chrono::{DateTime, Utc};
use domain::FieldErrors;
use store::StoreError;
use thiserror::Error;

/// Every way a use case can refuse. The web layer maps each kind to one HTTP status.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Conflict(String),
    /// Something that existed has expired or was withdrawn (an old link).
    #[error("{0}")]
    Gone(String),
    /// A service hemaflow depends on (the mail server) is missing or refused.
    #[error("{0}")]
    Unavailable(String),
    #[error("too many failed logins; this account is locked until {} UTC", until.format("%Y-%m-%d %H:%M:%S"))]
    LockedOut { until: DateTime<Utc> },
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate { what } => AppError::Conflict(format!("{what} already exists")),
            StoreError::NotFound(what) => AppError::NotFound(format!("{what} was not found")),
            StoreError::TooSlow(limit) => AppError::Unavailable(format!(
                "the search took longer than {} s and was stopped; narrow it: more letters of the name, the whole phone number or the donor number",
                limit.as_secs_f64()
            )),
            other => AppError::Store(other),
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Invalid(e)
    }
}

impl From<domain::FieldError> for AppError {
    fn from(e: domain::FieldError) -> Self {
        AppError::Invalid(FieldErrors(vec![e]))
    }
}
