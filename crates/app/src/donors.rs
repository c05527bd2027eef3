//! Finding donors and reading their record: identity, blood group, donations and,
//! per procedure, the first date the donor could give again (before screening).

use crate::{Actor, App, AppError, Result};
use chrono::NaiveDate;
use domain::eligibility::{evaluate, DonorFacts, EligibilityCase, PastDonation, Reason};
use domain::{DonationProcedure, DonorNumber, FieldError, Permission, Sex};
use serde::Serialize;
use store::{DonorQuery, DonorRow};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DonorSummary {
    pub donor_number: String,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub blood_group: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl DonorSummary {
    fn of(d: &DonorRow) -> Self {
        let blood_group = match (&d.abo, &d.rhd) {
            (Some(a), Some(r)) => Some(format!("{a}{}", if r == "pos" { "+" } else { "-" })),
            _ => None,
        };
        Self {
            donor_number: d.donor_number.clone(),
            first_name: d.first_name.clone(),
            last_name: d.last_name.clone(),
            birth_date: d.birth_date,
            sex: d.sex.clone(),
            blood_group,
            email: d.email.clone(),
            phone: d.phone.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DonationView {
    pub din: Option<String>,
    pub procedure: String,
    pub collected_on: NaiveDate,
    pub site: Option<String>,
}

/// When the donor could next give by one procedure, and what stands in the way
/// until then. Screening is still needed on the day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcedureOutlook {
    pub procedure: DonationProcedure,
    /// `None`: never (a permanent deferral).
    pub next_eligible_date: Option<NaiveDate>,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DonorProfile {
    pub donor: DonorSummary,
    pub donations: Vec<DonationView>,
    pub outlook: Vec<ProcedureOutlook>,
    pub rule_version: String,
}

/// Reads what a person typed into the search box.
pub fn donor_query(q: &str) -> std::result::Result<DonorQuery, FieldError> {
    let q = q.trim();
    if let Ok(n) = DonorNumber::parse(q) {
        return Ok(DonorQuery::Number(n.as_str().to_string()));
    }
    if let Ok(din) = domain::labeling::parse_din("q", q) {
        return Ok(DonorQuery::Din(din.din().to_string()));
    }
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 4 && q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
        return Ok(DonorQuery::Phone(digits));
    }
    if q.chars().count() >= 2 {
        return Ok(DonorQuery::Name(q.to_string()));
    }
    Err(FieldError::new("q", "type a donor number, a DIN, a phone number or at least 2 letters of a name"))
}

impl App {
    pub async fn search_donors(&self, actor: &Actor, q: &str) -> Result<Vec<DonorSummary>> {
        actor.require(Permission::ViewDonors)?;
        let query = donor_query(q)?;
        Ok(self.store.search_donors(&query, 100).await?.iter().map(DonorSummary::of).collect())
    }

    /// The donor's record, with the outlook per procedure on `today` (facility time).
    pub async fn donor_profile(&self, actor: &Actor, number: &str) -> Result<DonorProfile> {
        actor.require(Permission::ViewDonors)?;
        let d = self
            .store
            .donor_by_number(number.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no donor has the number '{}'", number.trim())))?;
        let sites: std::collections::HashMap<uuid::Uuid, String> =
            self.store.list_sites().await?.into_iter().map(|s| (s.id, s.fields.code.as_str().to_string())).collect();
        let donations: Vec<DonationView> = self
            .store
            .donations_of(d.id)
            .await?
            .into_iter()
            .rev()
            .map(|x| DonationView {
                din: x.din,
                procedure: x.procedure,
                collected_on: x.collected_at.with_timezone(&self.settings.time_zone).date_naive(),
                site: x.site_id.and_then(|id| sites.get(&id).cloned()),
            })
            .collect();
        let today = chrono::Utc::now().with_timezone(&self.settings.time_zone).date_naive();
        let history: Vec<PastDonation> = donations
            .iter()
            .filter_map(|x| DonationProcedure::parse(&x.procedure).ok().map(|procedure| PastDonation { procedure, date: x.collected_on }))
            .filter(|p| p.date <= today)
            .collect();
        let sex = Sex::parse(&d.sex).map_err(|e| AppError::Store(store::StoreError::Corrupt(e.to_string())))?;
        let mut outlook = Vec::new();
        let mut rule_version = String::new();
        for procedure in DonationProcedure::ALL {
            let case = EligibilityCase {
                date: today,
                procedure,
                donor: DonorFacts { sex, birth_date: d.birth_date, weight_kg: None, height_cm: None },
                screening: Default::default(),
                history: history.clone(),
                medications: vec![],
                events: vec![],
                deferrals: vec![],
            };
            let decision =
                evaluate(&self.settings.eligibility, &case).map_err(|e| AppError::Conflict(format!("eligibility could not be decided: {e}")))?;
            rule_version = decision.rule_version.clone();
            outlook.push(ProcedureOutlook {
                procedure,
                next_eligible_date: decision.next_eligible_date,
                // Measurements are taken at the visit; they are not obstacles yet.
                reasons: decision.reasons.into_iter().filter(|r| !r.code.ends_with("_NOT_MEASURED")).collect(),
            });
        }
        Ok(DonorProfile { donor: DonorSummary::of(&d), donations, outlook, rule_version })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_box_input_is_classified() {
        assert_eq!(donor_query("D0004711").unwrap(), DonorQuery::Number("D0004711".into()));
        assert_eq!(donor_query("A999826000123").unwrap(), DonorQuery::Din("A999826000123".into()));
        assert_eq!(donor_query("=A99982600012300").unwrap(), DonorQuery::Din("A999826000123".into()));
        assert_eq!(donor_query("217-555 0101").unwrap(), DonorQuery::Phone("2175550101".into()));
        assert_eq!(donor_query(" Garcia ").unwrap(), DonorQuery::Name("Garcia".into()));
        assert!(donor_query("x").is_err());
    }
}
