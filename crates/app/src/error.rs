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
    /// The release gate refuses the unit: every reason.
    #[error("unit {unit} may not be released: {}", refusals.iter().map(|r| r.reason.as_str()).collect::<Vec<_>>().join("; "))]
    NotReleasable { unit: String, refusals: Vec<domain::release::Refusal> },
    /// Too many attempts from one address (sign-in, public links): try again later.
    #[error("too many attempts from your address; try again after {} UTC", until.format("%Y-%m-%d %H:%M:%S"))]
    LockedOut { until: DateTime<Utc> },
    #[error(transparent)]
    Store(StoreError),
}

/// What a person is told when a unique key refuses their write.
pub const DUPLICATE: &str = "a record with the same identifying details already exists; look it up instead of entering it again";

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate { constraint } => {
                // The constraint name is for operators; the person is told what happened.
                tracing::info!(%constraint, "write refused as a duplicate");
                AppError::Conflict(DUPLICATE.into())
            }
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

fn reasons_text(d: &domain::eligibility::Decision) -> String {
    d.reasons.iter().map(|r| format!("{}: {}", r.code, r.message)).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_is_told_without_the_constraint_name() {
        let e: AppError = StoreError::Duplicate { constraint: "sites_code_key".into() }.into();
        assert!(matches!(&e, AppError::Conflict(m) if m == DUPLICATE), "{e:?}");
        assert!(!e.to_string().contains("sites_code_key"));
    }
}
