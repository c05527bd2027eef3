//! The collection path: a donation is recorded only from a screening visit of the same
//! day that found the donor eligible (21 CFR 630.10(c),(e)), and only if the visit's
//! case, decided again inside the write transaction with the donation history and the
//! register as they are now (donor rows locked), still says the donor may give. The DIN
//! is assigned in the same transaction.

use crate::dins::{next_din, AssignedDin};
use crate::donor_facts::{self, SiteClocks};
use crate::{Actor, App, AppError, Result};
use chrono::{Datelike, NaiveDate, Utc};
use domain::eligibility::{evaluate, DeferralEntry, EligibilityCase, PastDonation};
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use store::{DonationRow, DonorKey, LockedDonor};
use uuid::Uuid;

/// What a visit adds to the donor's record for the eligibility engine.
pub(crate) struct VisitFacts {
    pub procedure: Value,
    pub weight_kg: Option<Value>,
    pub height_cm: Option<Value>,
    /// Today's measurements, as in an eligibility case.
    pub screening: Value,
    pub medications: Value,
    pub events: Value,
    /// Register entries made at this visit, not yet on the register.
    pub new_deferrals: Vec<Value>,
}

/// The donor's facts for a case on `today`: sex, birth date, history and register.
pub(crate) struct DonorFacts {
    pub sex: domain::Sex,
    pub birth_date: NaiveDate,
    pub history: Vec<PastDonation>,
    pub register: Vec<DeferralEntry>,
}

impl DonorFacts {
    /// Read from a locked family: the only way a write path gets them.
    pub(crate) fn of(locked: &LockedDonor, clocks: &SiteClocks, today: NaiveDate) -> Self {
        Self {
            sex: locked.donor.sex,
            birth_date: locked.donor.birth_date,
            history: donor_facts::history(&locked.donations, clocks, today),
            register: donor_facts::register(&locked.deferrals, today),
        }
    }
}

/// The eligibility case of a visit on `today`.
pub(crate) fn visit_case(facts: &DonorFacts, today: NaiveDate, visit: VisitFacts) -> Value {
    let mut donor = Map::new();
    donor.insert("sex".into(), json!(facts.sex));
    donor.insert("birth_date".into(), json!(facts.birth_date));
    if let Some(w) = visit.weight_kg {
        donor.insert("weight_kg".into(), w);
    }
    if let Some(h) = visit.height_cm {
        donor.insert("height_cm".into(), h);
    }
    let mut deferrals: Vec<Value> = facts.register.iter().map(|d| json!(d)).collect();
    deferrals.extend(visit.new_deferrals);
    json!({
        "date": today, "procedure": visit.procedure, "donor": donor, "screening": visit.screening,
        "history": facts.history, "medications": visit.medications, "events": visit.events, "deferrals": deferrals,
    })
}

/// `POST /api/v1/donors/{number}/collections`: the donation is always collected from a
/// screening visit; this route names the donor as well, and the visit must be theirs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionInput {
    /// The id of today's eligible screening visit.
    pub screening_id: String,
    /// A pre-printed DIN label scanned at the chair; absent: the next DIN of the
    /// facility sequence.
    #[serde(default)]
    pub din: Option<String>,
}

/// The donation recorded from a visit, with its DIN's printed forms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitCollection {
    pub donation_id: Uuid,
    pub din: AssignedDin,
    pub screening_id: Uuid,
    pub donor_number: String,
    pub procedure: String,
}

fn conflict(m: impl Into<String>) -> AppError {
    AppError::Conflict(m.into())
}

impl App {
    /// Collects from a visit of the donor `number` (the API route that names the donor).
    pub async fn collect_for_donor(&self, actor: &Actor, number: &str, input: &CollectionInput) -> Result<VisitCollection> {
        actor.require(Permission::CollectDonations)?;
        let id = Uuid::parse_str(input.screening_id.trim()).map_err(|_| {
            AppError::Invalid(FieldErrors(vec![FieldError::new(
                "screening_id",
                format!("'{}' is not a screening visit id", input.screening_id.trim()),
            )]))
        })?;
        self.collect(actor, id, Some(number.trim()), input.din.as_deref()).await
    }

    /// Collects a donation from an eligible visit: only on the day of the visit at its
    /// site, once, and only if the donor may still give now.
    /// `scanned`: a pre-printed DIN label scanned at the chair (else the next DIN).
    pub async fn collect_from_screening(&self, actor: &Actor, screening_id: Uuid, scanned: Option<&str>) -> Result<VisitCollection> {
        self.collect(actor, screening_id, None, scanned).await
    }

    async fn collect(&self, actor: &Actor, screening_id: Uuid, donor_number: Option<&str>, scanned: Option<&str>) -> Result<VisitCollection> {
        actor.require(Permission::CollectDonations)?;
        let fin = self.fin()?;
        // A scanned label is read (check character verified) before anything is locked.
        let scanned = match scanned.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(crate::dins::parse_preprinted(&fin, "din", s)?),
            None => None,
        };
        let mut tx = self.store.begin_write().await?;
        let v = tx.screening_visit(screening_id).await?.ok_or_else(|| AppError::NotFound(format!("no screening visit has the id {screening_id}")))?;
        let locked = tx.lock_donor_family(DonorKey::Id(v.donor_id)).await?.ok_or_else(|| AppError::NotFound("the visit's donor".into()))?;
        if let Some(n) = donor_number {
            if n != locked.asked.donor_number && n != locked.donor.donor_number {
                return Err(AppError::NotFound(format!("donor {n} has no screening visit {screening_id}")));
            }
        }
        if locked.is_merged_away() {
            return Err(conflict(format!(
                "donor {} was merged into {} after this screening; screen donor {} again",
                locked.asked.donor_number, locked.donor.donor_number, locked.donor.donor_number
            )));
        }
        if !v.eligible {
            return Err(conflict("the donor was not eligible at this screening; nothing is collected"));
        }
        // The visit's site decides the day: its clock, not the facility's.
        let sites = tx.list_sites().await?;
        let site = sites.iter().find(|s| s.id == v.site_id).ok_or_else(|| AppError::NotFound("the visit's site".into()))?;
        let clocks = SiteClocks::new(self.settings.time_zone, &sites);
        let today = clocks.day_at(Some(v.site_id), Utc::now());
        if v.screened_on != today {
            return Err(conflict(format!(
                "the screening was on {}; eligibility is decided on the day of donation — screen the donor again",
                v.screened_on
            )));
        }
        if tx.donation_of_visit(v.id).await?.is_some() {
            return Err(conflict("a donation has already been collected from this screening"));
        }
        let since: Vec<String> = locked
            .deferrals
            .iter()
            .filter(|d| d.entered_at > v.screened_at && d.in_force() && d.until.is_none_or(|u| today < u))
            .map(|d| d.reason_code.clone())
            .collect();
        if !since.is_empty() {
            return Err(conflict(format!("the donor was deferred after the screening ({}); nothing is collected", since.join(", "))));
        }
        // Decide the visit's case again with the history and register as they are now,
        // under the lock: a donation or deferral since the visit counts.
        let facts = DonorFacts::of(&locked, &clocks, today);
        let mut case: Value =
            serde_json::from_str(&v.case_json).map_err(|e| AppError::Store(store::StoreError::Corrupt(format!("visit {}: {e}", v.id))))?;
        case["history"] = json!(facts.history);
        case["deferrals"] = json!(facts.register);
        let invalid = |m: String| AppError::Invalid(FieldErrors(vec![FieldError::new("screening", m)]));
        let parsed = EligibilityCase::from_value(case).map_err(|e| invalid(e.to_string()))?;
        let decision = evaluate(&*self.rule_book().await?, &parsed).map_err(|e| invalid(e.to_string()))?;
        if !decision.eligible {
            return Err(AppError::Ineligible {
                donor_number: locked.donor.donor_number.clone(),
                procedure: v.procedure.clone(),
                decision: Box::new(decision),
            });
        }
        let din = match &scanned {
            Some(d) => crate::dins::preprinted_din(&mut tx, actor, &fin, d, "din").await?,
            None => next_din(&mut tx, actor, &fin, today.year() as i64).await?,
        };
        let donation = DonationRow {
            id: Uuid::now_v7(),
            donor_id: v.donor_id,
            din: Some(din.din.clone()),
            procedure: domain::DonationProcedure::parse(&v.procedure).map_err(|e| AppError::Store(store::StoreError::Corrupt(e.to_string())))?,
            site_id: Some(v.site_id),
            collected_at: store::now(),
        };
        tx.insert_donation_after_screening(&donation, v.id).await?;
        // The tests this donation needs, from the testing rules in force today, on the
        // donor history read under the lock.
        let (tests_version, orders) =
            self.order_donation_tests(&mut tx, &actor.username, &donation, &locked.family, site.fields.region.as_deref(), today).await?;
        let donor_number = locked.donor.donor_number.clone();
        tx.append_audit(AuditDraft::new(&actor.username, "donation.collect", "donation", donation.id).donor(&donor_number).after(json!({
            "donor_number": donor_number, "din": din.din, "procedure": donation.procedure, "site": site.fields.code.as_str(),
            "screening": v.id, "rule_version": decision.rule_version, "collected_on": today,
            "tests": {"rules": tests_version, "ordered": orders.iter().map(|o| o.code.as_str()).collect::<Vec<_>>()},
        })))
        .await?;
        tx.commit().await?;
        Ok(VisitCollection { donation_id: donation.id, din, screening_id: v.id, donor_number, procedure: v.procedure })
    }
}
