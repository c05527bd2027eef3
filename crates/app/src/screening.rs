//! Screening visits: the donor answers the questionnaire in force, staff take the
//! measurements, and the eligibility engine decides with the history and the
//! deferred-donor register. The visit is kept as it was, decision included; a
//! donation can then be collected from an eligible visit on the same day.

use crate::collection::{visit_case, DonorFacts, VisitFacts};
use crate::donor_facts::SiteClocks;
use crate::donors::DonorProfile;
use crate::{Actor, App, AppError, Result};
use chrono::{NaiveDate, Utc};
use domain::eligibility::{evaluate, Decision, EligibilityCase};
use domain::questionnaire::{Answer, Interpretation, Question};
use domain::{AuditDraft, DonationProcedure, FieldError, FieldErrors, Permission, Sex};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use store::{DeferralRow, DonorKey, ScreeningVisitRow};
use uuid::Uuid;

/// What staff enter at a screening visit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningInput {
    /// The procedure the donor is screened for (whole_blood, double_red_cells, …).
    pub procedure: String,
    /// Code of the site where the donor is screened.
    pub site: String,
    #[serde(default)]
    pub weight_kg: Option<Value>,
    #[serde(default)]
    pub height_cm: Option<Value>,
    /// Today's measurements, as in an eligibility case: hemoglobin_g_dl or
    /// hematocrit_pct, pulse_bpm, bp_systolic, bp_diastolic, temperature_c.
    pub screening: Value,
    /// Questionnaire answers by question id.
    pub answers: BTreeMap<String, Answer>,
}

/// A recorded visit as people and systems read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreeningView {
    pub id: Uuid,
    pub donor_number: String,
    pub site: String,
    pub screened_on: NaiveDate,
    pub screened_at: chrono::DateTime<Utc>,
    pub screened_by: String,
    pub procedure: String,
    pub questionnaire_version: String,
    pub answers: Value,
    /// The measurements and facts the engine was given.
    pub case: Value,
    pub decision: Decision,
    /// Register entries the answers made (codes).
    pub deferrals_entered: Vec<String>,
    /// Today's appointment at the site, marked attended by this visit.
    pub appointment_attended: Option<Uuid>,
    /// The donation collected after this visit, if any.
    pub donation: Option<CollectedDonation>,
    /// The same visit decided for every procedure (questionnaire "not today" answers
    /// apply to all), so staff can offer the donor another procedure.
    pub by_procedure: Vec<ProcedureDecision>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcedureDecision {
    pub procedure: DonationProcedure,
    pub eligible: bool,
    pub next_eligible_date: Option<NaiveDate>,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectedDonation {
    pub donation_id: Uuid,
    pub din: String,
    pub collected_at: chrono::DateTime<Utc>,
}

/// The questionnaire a donor is asked today, for forms.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionsToday {
    pub version: String,
    pub questions: Vec<Question>,
    pub medication_names: Vec<String>,
}

/// Decides the visit's case for every procedure with the rule version of its date.
fn by_procedure(rules: &domain::eligibility::RuleBook, case: &Value, not_today: &[String]) -> Vec<ProcedureDecision> {
    DonationProcedure::ALL
        .iter()
        .filter_map(|p| {
            let mut c = case.clone();
            c["procedure"] = json!(p.as_str());
            let parsed = EligibilityCase::from_value(c).ok()?;
            let d = evaluate(rules, &parsed).ok()?;
            let mut reasons: Vec<String> = d.reasons.iter().map(|r| r.code.clone()).collect();
            reasons.extend(not_today.iter().cloned());
            let eligible = d.eligible && not_today.is_empty();
            let next = if not_today.is_empty() {
                d.next_eligible_date
            } else {
                d.next_eligible_date.map(|n| n.max(parsed.date + chrono::Duration::days(1)))
            };
            Some(ProcedureDecision { procedure: *p, eligible, next_eligible_date: next, reasons })
        })
        .collect()
}

fn invalid(field: &'static str, message: impl Into<String>) -> AppError {
    AppError::Invalid(FieldErrors(vec![FieldError::new(field, message)]))
}

fn sex_of(profile: &DonorProfile) -> Result<Sex> {
    Sex::parse(&profile.donor.sex).map_err(|e| AppError::Store(store::StoreError::Corrupt(e.to_string())))
}

impl App {
    /// The questions to ask this donor today and the medicine names the rules know.
    pub async fn questions_for(&self, actor: &Actor, donor_number: &str) -> Result<QuestionsToday> {
        actor.require(Permission::ScreenDonors)?;
        let profile = self.donor_profile(actor, donor_number).await?;
        let sex = sex_of(&profile)?;
        let today = self.today();
        let book = self.questionnaire_book().await?;
        let q = book.in_force(today).ok_or_else(|| AppError::Conflict(format!("no questionnaire is in force on {today}")))?;
        let rules = self.rule_book().await?;
        let set = rules.in_force(today).ok_or_else(|| AppError::Conflict(format!("no eligibility rules are in force on {today}")))?;
        let medication_names = set.medication_names().into_iter().map(String::from).collect();
        // Each question names the period of the rule in force ("In the past 3 months").
        let q = q.with_periods(set);
        Ok(QuestionsToday { version: q.version.clone(), questions: q.questions_for(sex).cloned().collect(), medication_names })
    }

    /// Records a screening visit and its decision. Answers that call for a register
    /// entry (e.g. a positive HIV test) enter it in the same transaction, so the
    /// register, the visit and their audit records are written together or not at all.
    pub async fn record_screening(&self, actor: &Actor, donor_number: &str, input: &ScreeningInput) -> Result<ScreeningView> {
        actor.require(Permission::ScreenDonors)?;
        let procedure = DonationProcedure::parse(input.procedure.trim()).map_err(AppError::from)?;
        let rules = self.rule_book().await?;
        let book = self.questionnaire_book().await?;
        let mut tx = self.store.begin_write().await?;
        // Everything the decision depends on is read here, with the donor's rows locked.
        let locked = tx
            .lock_donor_family(DonorKey::Number(donor_number.trim()))
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no donor has the number '{}'", donor_number.trim())))?;
        if locked.is_merged_away() {
            return Err(AppError::Conflict(format!(
                "donor {} was merged into {}; use {} instead",
                locked.asked.donor_number, locked.donor.donor_number, locked.donor.donor_number
            )));
        }
        let sex = locked.donor.sex;
        let sites = tx.list_sites().await?;
        let site = sites
            .iter()
            .find(|s| s.fields.code.as_str() == input.site.trim())
            .cloned()
            .ok_or_else(|| invalid("site", format!("no site has the code '{}'", input.site.trim())))?;
        let clocks = SiteClocks::new(self.settings.time_zone, &sites);
        let today = clocks.day_at(Some(site.id), Utc::now());
        let questionnaire = book.in_force(today).ok_or_else(|| AppError::Conflict(format!("no questionnaire is in force on {today}")))?;
        let meaning: Interpretation = questionnaire.interpret(sex, today, &input.answers)?;

        let case = visit_case(
            &DonorFacts::of(&locked, &clocks, today),
            today,
            VisitFacts {
                procedure: json!(procedure.as_str()),
                weight_kg: input.weight_kg.clone(),
                height_cm: input.height_cm.clone(),
                screening: input.screening.clone(),
                medications: json!(meaning.medications),
                events: json!(meaning.events),
                new_deferrals: meaning.register.iter().map(|r| json!({"kind": r.deferral.as_str()})).collect(),
            },
        );
        let parsed = EligibilityCase::from_value(case.clone()).map_err(|e| invalid("screening", e.to_string()))?;
        let mut decision = evaluate(&rules, &parsed).map_err(|e| invalid("screening", e.to_string()))?;
        if !meaning.not_today.is_empty() {
            decision.eligible = false;
            decision.reasons.extend(meaning.not_today.iter().cloned());
            // "Not today" clears when the donor is screened again on another day.
            let tomorrow = today.succ_opt().expect("a day after today");
            decision.next_eligible_date = decision.next_eligible_date.map(|d| d.max(tomorrow));
        }

        let donor_row = locked.donor.clone();
        let number = donor_row.donor_number.clone();
        let at = store::now();
        let mut entered = Vec::new();
        for r in &meaning.register {
            let row = DeferralRow::entered(
                donor_row.id,
                r.deferral,
                &r.code,
                &format!("{} (screening question '{}'; {})", r.reason, r.question, r.source),
                today,
                None,
                at,
                &actor.username,
            );
            tx.insert_deferral(&row).await?;
            tx.append_audit(
                AuditDraft::new(&actor.username, "donor.defer", "deferral", row.id)
                    .donor(&number)
                    .after(json!({"donor_number": number, "kind": row.kind, "reason_code": row.reason_code, "reason": row.reason, "starts_on": today, "source": "screening"})),
            )
            .await?;
            entered.push(r.code.clone());
        }
        let answers = serde_json::to_value(&input.answers).map_err(|e| invalid("answers", e.to_string()))?;
        let row = ScreeningVisitRow {
            id: Uuid::now_v7(),
            donor_id: donor_row.id,
            site_id: site.id,
            screened_on: today,
            procedure: procedure.as_str().into(),
            questionnaire_version: questionnaire.version.clone(),
            rule_version: decision.rule_version.clone(),
            answers_json: answers.to_string(),
            case_json: case.to_string(),
            decision_json: serde_json::to_string(&decision).map_err(|e| invalid("decision", e.to_string()))?,
            eligible: decision.eligible,
            screened_at: at,
            screened_by: actor.username.clone(),
        };
        tx.insert_screening_visit(&row).await?;
        // The donor came: today's booked appointment at this site is attended.
        let tz = site.fields.time_zone.tz();
        let mut appointment_attended = None;
        for a in tx.appointments_of_donor(donor_row.id).await? {
            if a.status == domain::appointment::AppointmentStatus::Booked
                && a.site_id == site.id
                && a.slot_start.with_timezone(&tz).date_naive() == today
            {
                if tx.change_appointment_status(a.id, domain::appointment::AppointmentStatus::Attended, at, &actor.username, None).await? {
                    tx.append_audit(
                        AuditDraft::new(&actor.username, "appointment.attendance", "appointment", a.id)
                            .donor(&number)
                            .after(json!({"status": "attended", "donor_number": number, "screening": row.id})),
                    )
                    .await?;
                    appointment_attended = Some(a.id);
                }
                break;
            }
        }
        tx.append_audit(AuditDraft::new(&actor.username, "donor.screen", "screening", row.id).donor(&number).after(json!({
            "donor_number": number, "site": site.fields.code.as_str(), "procedure": row.procedure,
            "questionnaire_version": row.questionnaire_version, "rule_version": row.rule_version, "eligible": decision.eligible,
            "reasons": decision.reasons.iter().map(|r| &r.code).collect::<Vec<_>>(), "next_eligible_date": decision.next_eligible_date,
            "deferrals_entered": entered,
        })))
        .await?;
        tx.commit().await?;
        let all_procedures = by_procedure(&rules, &case, &meaning.not_today.iter().map(|r| r.code.clone()).collect::<Vec<_>>());
        Ok(ScreeningView {
            id: row.id,
            donor_number: number,
            site: site.fields.code.as_str().into(),
            screened_on: today,
            screened_at: at,
            screened_by: row.screened_by,
            procedure: row.procedure,
            questionnaire_version: row.questionnaire_version,
            answers,
            case,
            decision,
            by_procedure: all_procedures,
            deferrals_entered: entered,
            appointment_attended,
            donation: None,
        })
    }

    /// One visit, with the donation collected after it.
    pub async fn screening(&self, actor: &Actor, id: Uuid) -> Result<ScreeningView> {
        actor.require(Permission::ViewDonors)?;
        let v = self.store.screening_visit(id).await?.ok_or_else(|| AppError::NotFound(format!("no screening visit has the id {id}")))?;
        self.screening_view(v).await
    }

    async fn screening_view(&self, v: ScreeningVisitRow) -> Result<ScreeningView> {
        let corrupt = |e: serde_json::Error| AppError::Store(store::StoreError::Corrupt(format!("screening visit {}: {e}", v.id)));
        let donor = self.store.donor_number_of(v.donor_id).await?.unwrap_or_default();
        let site =
            self.store.list_sites().await?.into_iter().find(|s| s.id == v.site_id).map(|s| s.fields.code.as_str().to_string()).unwrap_or_default();
        let donation = self.store.donation_of_visit(v.id).await?.map(|d| CollectedDonation {
            donation_id: d.id,
            din: d.din.unwrap_or_default(),
            collected_at: d.collected_at,
        });
        let decision: Decision = serde_json::from_str(&v.decision_json).map_err(corrupt)?;
        let case: Value = serde_json::from_str(&v.case_json).map_err(corrupt)?;
        let deferrals_entered = Vec::new();
        // "Not today" reasons come from the questionnaire, not the engine: keep them for every procedure.
        let not_today: Vec<String> = decision.reasons.iter().filter(|r| r.code.starts_with("Q_")).map(|r| r.code.clone()).collect();
        let by_procedure = by_procedure(&*self.rule_book().await?, &case, &not_today);
        Ok(ScreeningView {
            by_procedure,
            id: v.id,
            donor_number: donor,
            site,
            screened_on: v.screened_on,
            screened_at: v.screened_at,
            screened_by: v.screened_by,
            procedure: v.procedure,
            questionnaire_version: v.questionnaire_version,
            answers: serde_json::from_str(&v.answers_json).map_err(corrupt)?,
            case,
            decision,
            deferrals_entered,
            appointment_attended: None,
            donation,
        })
    }

    /// A donor's visits, newest first.
    pub async fn screenings_of(&self, actor: &Actor, donor_number: &str) -> Result<Vec<ScreeningView>> {
        actor.require(Permission::ViewDonors)?;
        // A merged record's visits are part of the surviving donor's history.
        let family = self.resolve_donor(donor_number.trim()).await?.family;
        let mut visits = Vec::new();
        for id in family {
            visits.extend(self.store.screening_visits_of(id).await?);
        }
        visits.sort_by_key(|v| std::cmp::Reverse(v.screened_at));
        let mut out = Vec::new();
        for v in visits {
            out.push(self.screening_view(v).await?);
        }
        Ok(out)
    }
}
