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
    /// The eligibility engine says the donor may not give: the decision, every reason.
    #[error("donor {donor_number} may not give {procedure} today — {}", reasons_text(decision))]
    Ineligible { donor_number: String, procedure: String, decision: Box<domain::eligibility::Decision> },
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

fn reasons_text(d: &domain::eligibility::Decision) -> String {
    d.reasons.iter().map(|r| format!("{}: {}", r.code, r.message)).collect::<Vec<_>>().join("; ")
}
