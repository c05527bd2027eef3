//! Donor eligibility decisions for systems and screens (the engine is in `domain`).

use crate::{Actor, App, AppError, Result};
use domain::eligibility::{evaluate, Decision, EligibilityCase};
use domain::{FieldError, FieldErrors, Permission};

impl App {
    /// Decides a case given as JSON (the format of `hemaflow rules eligibility`) with
    /// the rule version in force on the case's date. A decision changes nothing, so it
    /// is not audited; a screening visit records the decision it was given (see `screening`).
    pub async fn evaluate_eligibility(&self, actor: &Actor, case_json: &str) -> Result<Decision> {
        actor.require(Permission::EvaluateEligibility)?;
        let invalid = |message: String| AppError::Invalid(FieldErrors(vec![FieldError::new("case", message)]));
        let case = EligibilityCase::from_json(case_json).map_err(|e| invalid(e.to_string()))?;
        evaluate(&*self.rule_book().await?, &case).map_err(|e| invalid(e.to_string()))
    }
}
