//! The collection path: a donation is recorded only when the eligibility engine,
//! given today's screening, the donation history and the deferred-donor register,
//! says the donor may give. The DIN is assigned in the same transaction.

use crate::dins::{next_din, AssignedDin};
use crate::donors::DonorProfile;
use crate::{Actor, App, AppError, Result};
use chrono::{Datelike, NaiveDate, Utc};
use domain::eligibility::{evaluate, Decision, EligibilityCase};
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use store::DonationRow;
use uuid::Uuid;

/// What the collector enters for a donation, after screening.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionInput {
    pub procedure: String,
    /// Code of the site where the donor gives.
    pub site: String,
    #[serde(default)]
    pub weight_kg: Option<Value>,
    #[serde(default)]
    pub height_cm: Option<Value>,
    /// Today's measurements, as in an eligibility case.
    pub screening: Value,
    #[serde(default)]
    pub medications: Vec<Value>,
    #[serde(default)]
    pub events: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Collection {
    pub donation_id: Uuid,
    pub din: AssignedDin,
    pub decision: Decision,
}

/// What a visit adds to the donor's record for the eligibility engine.
pub(crate) struct VisitFacts {
    pub procedure: Value,
    pub weight_kg: Option<Value>,
    pub height_cm: Option<Value>,
    /// Today's measurements, as in an eligibility case.
    pub screening: Value,
    pub medications: Value,
    pub events: Value,
    /// Register entries made at this visit, not yet in the profile.
    pub new_deferrals: Vec<Value>,
}

/// The eligibility case of a visit on `today`: sex, birth date, history up to today and
/// the register entries in force from the donor's record, plus what the visit adds.
pub(crate) fn visit_case(profile: &DonorProfile, today: NaiveDate, visit: VisitFacts) -> Value {
    let mut donor = Map::new();
    donor.insert("sex".into(), json!(profile.donor.sex));
    donor.insert("birth_date".into(), json!(profile.donor.birth_date));
    if let Some(w) = visit.weight_kg {
        donor.insert("weight_kg".into(), w);
    }
    if let Some(h) = visit.height_cm {
        donor.insert("height_cm".into(), h);
    }
    let history: Vec<Value> =
        profile.donations.iter().filter(|d| d.collected_on <= today).map(|d| json!({"procedure": d.procedure, "date": d.collected_on})).collect();
    let mut deferrals: Vec<Value> = profile
        .deferrals
        .iter()
        .filter(|d| d.reentered_at.is_none() && d.starts_on <= today)
        .map(|d| match d.until {
            Some(until) => json!({"kind": d.kind, "until": until}),
            None => json!({"kind": d.kind}),
        })
        .collect();
    deferrals.extend(visit.new_deferrals);
    json!({
        "date": today, "procedure": visit.procedure, "donor": donor, "screening": visit.screening,
        "history": history, "medications": visit.medications, "events": visit.events, "deferrals": deferrals,
    })
}

impl App {
    pub async fn record_collection(&self, actor: &Actor, donor_number: &str, input: &CollectionInput) -> Result<Collection> {
        actor.require(Permission::AssignDins)?;
        actor.require(Permission::ViewDonors)?;
        let fin = self.fin()?;
        self.refuse_merged(donor_number).await?;
        let profile = self.donor_profile(actor, donor_number).await?;
        let site = self
            .store
            .list_sites()
            .await?
            .into_iter()
            .find(|s| s.fields.code.as_str() == input.site.trim())
            .ok_or_else(|| FieldError::new("site", format!("no site has the code '{}'", input.site.trim())))?;
        let today = Utc::now().with_timezone(&site.fields.time_zone.tz()).date_naive();
        let case = visit_case(
            &profile,
            today,
            VisitFacts {
                procedure: json!(input.procedure),
                weight_kg: input.weight_kg.clone(),
                height_cm: input.height_cm.clone(),
                screening: input.screening.clone(),
                medications: json!(input.medications),
                events: json!(input.events),
                new_deferrals: vec![],
            },
        );
        let invalid = |m: String| AppError::Invalid(FieldErrors(vec![FieldError::new("collection", m)]));
        let case = EligibilityCase::from_value(case).map_err(|e| invalid(e.to_string()))?;
        let decision = evaluate(&*self.rule_book().await?, &case).map_err(|e| invalid(e.to_string()))?;
        if !decision.eligible {
            let why: Vec<String> = decision.reasons.iter().map(|r| format!("{}: {}", r.code, r.message)).collect();
            return Err(AppError::Conflict(format!(
                "donor {} may not give {} today — {}",
                profile.donor.donor_number,
                case.procedure.as_str(),
                why.join("; ")
            )));
        }
        let mut tx = self.store.begin_write().await?;
        let din = next_din(&mut tx, actor, &fin, today.year() as i64).await?;
        let donor_row = tx.donor_by_number(&profile.donor.donor_number).await?.ok_or_else(|| AppError::NotFound("the donor disappeared".into()))?;
        let donation = DonationRow {
            id: Uuid::now_v7(),
            donor_id: donor_row.id,
            din: Some(din.din.clone()),
            procedure: case.procedure.as_str().into(),
            site_id: Some(site.id),
            collected_at: store::now(),
        };
        tx.insert_donation(&donation).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "donation.collect", "donation", donation.id)
                .after(json!({"donor_number": profile.donor.donor_number, "din": din.din, "procedure": donation.procedure, "site": site.fields.code.as_str(), "decision": &decision})),
        )
        .await?;
        tx.commit().await?;
        Ok(Collection { donation_id: donation.id, din, decision })
    }
}
