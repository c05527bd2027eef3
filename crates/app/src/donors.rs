//! Finding donors and reading their record: identity, blood group, donations and,
//! per procedure, the first date the donor could give again (before screening).

use crate::{Actor, App, AppError, Result};
use chrono::NaiveDate;
use domain::eligibility::{DeferralEntry, PastDonation, Reason};
use domain::{AuditDraft, DonationProcedure, DonorNumber, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use store::{DeferralRow, DonorQuery, DonorRow};
use uuid::Uuid;

/// A deferral as entered by staff.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeferralInput {
    /// temporary, indefinite or permanent
    pub kind: String,
    /// Upper-case code, e.g. LOW_HB, TATTOO, HIV_REACTIVE.
    pub reason_code: String,
    pub reason: String,
    /// First day of the deferral (default: today).
    #[serde(default)]
    pub starts_on: Option<String>,
    /// For a temporary deferral: the first day the donor may give again.
    #[serde(default)]
    pub until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeferralView {
    pub id: Uuid,
    pub kind: String,
    pub reason_code: String,
    pub reason: String,
    pub starts_on: NaiveDate,
    pub until: Option<NaiveDate>,
    pub entered_at: chrono::DateTime<chrono::Utc>,
    pub entered_by: String,
    /// Still in force today.
    pub active: bool,
    pub reentered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub reentered_by: Option<String>,
    pub reentry_reason: Option<String>,
    /// Set when the entry was marked as entered in error.
    pub corrected_at: Option<chrono::DateTime<chrono::Utc>>,
    pub corrected_by: Option<String>,
    pub correction_reason: Option<String>,
}

impl DeferralView {
    pub(crate) fn of(d: &DeferralRow, today: NaiveDate) -> Self {
        let active = d.in_force() && d.starts_on <= today && d.until.is_none_or(|u| today < u);
        Self {
            id: d.id,
            kind: d.kind.as_str().to_string(),
            reason_code: d.reason_code.clone(),
            reason: d.reason.clone(),
            starts_on: d.starts_on,
            until: d.until,
            entered_at: d.entered_at,
            entered_by: d.entered_by.clone(),
            active,
            reentered_at: d.reentered_at,
            reentered_by: d.reentered_by.clone(),
            reentry_reason: d.reentry_reason.clone(),
            corrected_at: d.corrected_at,
            corrected_by: d.corrected_by.clone(),
            correction_reason: d.correction_reason.clone(),
        }
    }
}

/// A new donor as entered at registration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDonorInput {
    pub first_name: String,
    pub last_name: String,
    /// YYYY-MM-DD
    pub birth_date: String,
    /// F or M
    pub sex: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    /// What proved the donor's identity, e.g. "driver's licence IL D123-4567".
    #[serde(default)]
    pub id_document: String,
    /// Channels the donor agreed to be contacted on: email, sms, phone, post.
    #[serde(default)]
    pub consent: Vec<String>,
    /// Set after staff checked the possible duplicates and found none is this donor.
    #[serde(default)]
    pub not_a_duplicate: bool,
}

/// Registration refused because the donor may already be on file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PossibleDuplicates(pub Vec<DonorSummary>);

fn similar_name(a_first: &str, a_last: &str, b: &DonorRow) -> bool {
    let norm = |s: &str| domain::search::fold(s).replace(' ', "");
    let (af, al, bf, bl) = (norm(a_first), norm(a_last), norm(&b.first_name), norm(&b.last_name));
    let first3 = |s: &str| s.chars().take(3).collect::<String>();
    (al == bl && first3(&af) == first3(&bf)) || (af == bl && al == bf)
}

pub(crate) use domain::parse_day;

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
    pub(crate) fn of(d: &DonorRow) -> Self {
        let blood_group = d.group.0.map(|g| g.to_string());
        Self {
            donor_number: d.donor_number.clone(),
            first_name: d.first_name.clone(),
            last_name: d.last_name.clone(),
            birth_date: d.birth_date,
            sex: d.sex.as_str().to_string(),
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
    pub deferrals: Vec<DeferralView>,
    /// Names, contact, consent, proof of identity and preferred site.
    pub details: crate::registry::DonorDetails,
    /// When the number asked for was merged into this donor: that number.
    pub merged_number: Option<String>,
    /// Records merged into this one; their histories are part of this record.
    pub merged_from: Vec<crate::registry::MergedFrom>,
    pub blood_group: crate::registry::BloodGroupView,
    pub attributes: crate::registry::AttributesView,
    /// Adverse reactions at the donor's donations, newest first.
    pub reactions: Vec<crate::collection_record::ReactionView>,
}

/// Reads what a person typed into the search box: a donor number, a DIN, an email,
/// a phone number (any formatting; its last 4 or more digits), or a name ("Müller",
/// "mül", "Anna Müller", "Müller, Anna"; case and accents do not matter).
pub fn donor_query(q: &str) -> std::result::Result<DonorQuery, FieldError> {
    let q = q.trim();
    if let Ok(n) = DonorNumber::parse(q) {
        return Ok(DonorQuery::Number(n.as_str().to_string()));
    }
    if let Ok(din) = domain::labeling::parse_din("q", q) {
        return Ok(DonorQuery::Din(din.din().to_string()));
    }
    if q.contains('@') {
        return match domain::search::email_key(q) {
            Some(e) if !e.contains(char::is_whitespace) => Ok(DonorQuery::Email(e)),
            _ => Err(FieldError::new("q", format!("'{q}' is not an email address; type the whole address, e.g. ann@example.org"))),
        };
    }
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if !digits.is_empty() && q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
        if digits.len() < 4 {
            return Err(FieldError::new("q", "type at least the last 4 digits of the phone number"));
        }
        return Ok(DonorQuery::Phone(digits));
    }
    let key = domain::search::fold(q);
    if key.chars().count() >= 2 {
        return Ok(DonorQuery::Name(key));
    }
    Err(FieldError::new("q", "type a donor number, a DIN, an email, a phone number or at least 2 letters of a name"))
}

impl App {
    pub async fn search_donors(&self, actor: &Actor, q: &str) -> Result<Vec<DonorSummary>> {
        actor.require(Permission::ViewDonors)?;
        let query = donor_query(q)?;
        let rows = self.store.search_donors(&query, 100).await?;
        // A merged-away record is shown as the donor it was merged into, once.
        let merged = self.store.merged_donor_ids(&rows.iter().map(|d| d.id).collect::<Vec<_>>()).await?;
        let mut out: Vec<DonorSummary> = Vec::with_capacity(rows.len());
        for d in rows {
            let summary = if merged.iter().any(|(dup, _)| *dup == d.id) {
                DonorSummary::of(&self.resolve_donor(&d.donor_number).await?.donor)
            } else {
                DonorSummary::of(&d)
            };
            if !out.iter().any(|x| x.donor_number == summary.donor_number) {
                out.push(summary);
            }
        }
        Ok(out)
    }

    /// The donor's record, with the outlook per procedure on `today` (facility time).
    pub async fn donor_profile(&self, actor: &Actor, number: &str) -> Result<DonorProfile> {
        actor.require(Permission::ViewDonors)?;
        // A merged-away number resolves to the survivor; the history is the whole family's.
        let resolved = self.resolve_donor(number).await?;
        let d = resolved.donor.clone();
        let site_list = self.store.list_sites().await?;
        let clocks = crate::donor_facts::SiteClocks::new(self.settings.time_zone, &site_list);
        let sites: std::collections::HashMap<uuid::Uuid, String> = site_list.iter().map(|s| (s.id, s.fields.code.as_str().to_string())).collect();
        let donation_rows = self.store.donations_of_all(&resolved.family).await?;
        let donations: Vec<DonationView> = donation_rows
            .iter()
            .rev()
            .map(|x| DonationView {
                din: x.din.clone(),
                procedure: x.procedure.as_str().to_string(),
                collected_on: clocks.donation_day(x),
                site: x.site_id.and_then(|id| sites.get(&id).cloned()),
            })
            .collect();
        let today = self.today();
        let history: Vec<PastDonation> = crate::donor_facts::history(&donation_rows, &clocks, today);
        let deferral_rows = self.store.deferrals_of_all(&resolved.family).await?;
        let deferrals: Vec<DeferralView> = deferral_rows.iter().map(|x| DeferralView::of(x, today)).collect();
        let entries: Vec<DeferralEntry> = crate::donor_facts::register(&deferral_rows, today);
        let sex = d.sex;
        let rules = self.rule_book().await?;
        let mut outlook = Vec::new();
        let mut rule_version = String::new();
        for procedure in DonationProcedure::ALL {
            let decision = crate::donor_facts::outlook(&rules, sex, d.birth_date, &history, &entries, today, procedure)
                .map_err(|e| AppError::Conflict(format!("eligibility could not be decided: {e}")))?;
            rule_version = decision.rule_version.clone();
            outlook.push(ProcedureOutlook { procedure, next_eligible_date: decision.next_eligible_date, reasons: decision.reasons });
        }
        let mut donor = DonorSummary::of(&d);
        let blood_group = self.blood_group_view(&resolved).await?;
        // The group shown is the historical one, which may come from a merged record.
        donor.blood_group = blood_group.group.clone();
        Ok(DonorProfile {
            donor,
            donations,
            outlook,
            rule_version,
            deferrals,
            details: self.donor_details(&d).await?,
            merged_number: resolved.merged_number.clone(),
            merged_from: crate::registry::merged_from_list(&resolved),
            blood_group,
            attributes: self.attributes_view(&resolved).await?,
            reactions: {
                let dins: std::collections::HashMap<uuid::Uuid, Option<String>> = donation_rows.iter().map(|x| (x.id, x.din.clone())).collect();
                self.store
                    .reactions_of_donors(&resolved.family)
                    .await?
                    .iter()
                    .map(|r| crate::collection_record::ReactionView::of(r, dins.get(&r.donation_id).cloned().flatten()))
                    .collect()
            },
        })
    }

    /// Registers a donor under the next number of the `D` series. A donor who may be on
    /// file already (similar name and the same birth date, or the same email or phone)
    /// is refused with the candidates unless staff confirm `not_a_duplicate`.
    pub async fn register_donor(&self, actor: &Actor, input: &NewDonorInput) -> std::result::Result<DonorSummary, RegisterError> {
        actor.require(Permission::RegisterDonors)?;
        let today = self.today();
        let csv = format!(
            "donor_number,first_name,last_name,birth_date,sex,email,phone\nD0000000,{},{},{},{},{},{}\n",
            csv_field(&input.first_name),
            csv_field(&input.last_name),
            csv_field(&input.birth_date),
            csv_field(&input.sex),
            csv_field(&input.email),
            csv_field(&input.phone)
        );
        // The same row checks as the import, so both paths accept the same donors.
        let (rows, rejected) = domain::import::read_donors(csv.as_bytes(), today)
            .map_err(|e| AppError::Invalid(FieldErrors(vec![FieldError::new("donor", e.to_string())])))?;
        let mut e = FieldErrors::default();
        if let Some(r) = rejected.first() {
            for reason in &r.reasons {
                let field =
                    ["first_name", "last_name", "birth_date", "sex", "email", "phone"].into_iter().find(|f| reason.starts_with(f)).unwrap_or("donor");
                e.0.push(FieldError::new(field, reason.split_once(": ").map(|(_, m)| m).unwrap_or(reason).to_string()));
            }
        }
        let mut contact = store::DonorContact::default();
        for c in &input.consent {
            match c.trim() {
                "email" => contact.consent_email = true,
                "sms" => contact.consent_sms = true,
                "phone" => contact.consent_phone = true,
                "post" => contact.consent_post = true,
                other => e.0.push(FieldError::new("consent", format!("'{other}' is not a contact channel; use email, sms, phone or post"))),
            }
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e).into());
        }
        let row = rows.into_iter().next().expect("one row, accepted");
        contact.address = Some(input.address.trim().to_string()).filter(|a| !a.is_empty());
        contact.id_document = Some(input.id_document.trim().to_string()).filter(|a| !a.is_empty());
        let mut tx = self.store.begin_write().await?;
        // One registration at a time: the duplicate check and the next number must see
        // every registration committed before them.
        tx.lock_donor_registration().await?;
        let digits: Option<String> = row.phone.as_ref().map(|p| p.chars().filter(char::is_ascii_digit).collect());
        let candidates: Vec<DonorRow> = tx
            .possible_duplicates(row.birth_date, row.email.as_deref(), digits.as_deref())
            .await?
            .into_iter()
            .filter(|d| {
                (d.birth_date == row.birth_date && similar_name(&row.first_name, &row.last_name, d))
                    || (row.email.is_some() && d.email.as_deref().map(str::to_lowercase) == row.email.as_deref().map(str::to_lowercase))
                    || (digits.is_some() && d.phone.as_ref().map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>()) == digits)
            })
            .collect();
        // A candidate merged into another record is shown as the surviving donor.
        let mut shown: Vec<DonorRow> = Vec::with_capacity(candidates.len());
        for c in candidates {
            let c = match tx.merge_of(c.id).await? {
                Some(m) => tx.donor_by_id(m.survivor_id).await?.unwrap_or(c),
                None => c,
            };
            if !shown.iter().any(|x| x.id == c.id) {
                shown.push(c);
            }
        }
        let candidates = shown;
        if !candidates.is_empty() && !input.not_a_duplicate {
            return Err(RegisterError::PossibleDuplicates(PossibleDuplicates(candidates.iter().map(DonorSummary::of).collect())));
        }
        let donor = DonorRow {
            id: Uuid::now_v7(),
            donor_number: tx.next_donor_number().await?,
            first_name: row.first_name,
            last_name: row.last_name,
            birth_date: row.birth_date,
            sex: row.sex,
            group: store::GroupOnRecord(None),
            email: row.email,
            phone: row.phone,
            preferred_site: None,
            created_at: store::now(),
        };
        tx.insert_donor(&donor).await?;
        tx.set_donor_contact(donor.id, &contact).await?;
        let view = DonorSummary::of(&donor);
        let mut draft =
            AuditDraft::new(&actor.username, "donor.register", "donor", &donor.donor_number).donor(&donor.donor_number).after(serde_json::json!({
                "donor": &view, "address": contact.address, "id_document": contact.id_document,
                "consent": {"email": contact.consent_email, "sms": contact.consent_sms, "phone": contact.consent_phone, "post": contact.consent_post},
            }));
        if !candidates.is_empty() {
            draft.reason = Some(format!(
                "registered despite possible duplicates {}",
                candidates.iter().map(|c| c.donor_number.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        tx.append_audit(draft).await?;
        tx.commit().await?;
        Ok(view)
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
        assert_eq!(donor_query(" Garcia ").unwrap(), DonorQuery::Name("garcia".into()));
        assert_eq!(donor_query("Müller, Anna").unwrap(), DonorQuery::Name("muller anna".into()));
        assert_eq!(donor_query("Ann@Example.org").unwrap(), DonorQuery::Email("ann@example.org".into()));
        assert_eq!(donor_query("+1 (217) 555-0101").unwrap(), DonorQuery::Phone("12175550101".into()));
        assert!(donor_query("x").is_err());
        assert!(donor_query("555").is_err());
        assert!(donor_query("ann @example.org").is_err());
    }
}

fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\"").replace(['\n', '\r'], " "))
}

/// Why a registration did not go through.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Refused(#[from] AppError),
    #[error("the donor may already be on file")]
    PossibleDuplicates(PossibleDuplicates),
}

impl From<store::StoreError> for RegisterError {
    fn from(e: store::StoreError) -> Self {
        RegisterError::Refused(e.into())
    }
}
