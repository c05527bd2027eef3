//! Demo screening visits of today (most eligible, some deferred, a few collected) and
//! register entries of each kind.

#[allow(unused_imports)]
use crate::screening::*;
use crate::{Actor, App, Result};
use domain::questionnaire::Answer;
use domain::Sex;
use serde_json::json;
use std::collections::BTreeMap;
impl App {
    /// Demo: today's screening visits at the main centre (most eligible, some
    /// deferred by a low hemoglobin, a recent tattoo or not feeling well, a few
    /// collected) and a handful of register entries of each kind.
    pub(crate) async fn demo_screening(&self, actor: &Actor, donors: u32) -> Result<()> {
        let today = self.today();
        let book = self.questionnaire_book().await?;
        let Some(questionnaire) = book.in_force(today).cloned() else { return Ok(()) };
        let register: [(&str, &str, &str, Option<i64>); 5] = [
            ("temporary", "LOW_HB", "hemoglobin 11.8 g/dL at the last visit", Some(21)),
            ("temporary", "TRAVEL_MALARIA", "returned from a malaria-endemic area", Some(60)),
            ("indefinite", "HBV_REACTIVE", "anti-HBc reactive on the last donation; follow-up testing pending", None),
            ("permanent", "CJD_RISK", "received pituitary growth hormone from human brains", None),
            ("temporary", "TATTOO", "tattoo at an unregulated parlour", Some(45)),
        ];
        let mut n = donors;
        for (i, (kind, code, reason, days)) in register.iter().enumerate() {
            let number = domain::DonorNumber::sequential(n.saturating_sub(i as u32)).as_str().to_string();
            let input = crate::donors::DeferralInput {
                kind: kind.to_string(),
                reason_code: code.to_string(),
                reason: reason.to_string(),
                starts_on: None,
                until: days.map(|d| (today + chrono::Duration::days(d)).to_string()),
            };
            if self.defer_donor(actor, &number, &input).await.is_err() {
                continue;
            }
        }
        n = n.saturating_sub(register.len() as u32);
        let sexes = ["F", "M"];
        for k in 0..24u32 {
            let Some(number) = n.checked_sub(k).filter(|x| *x > 0).map(|x| domain::DonorNumber::sequential(x).as_str().to_string()) else { break };
            let Ok(profile) = self.donor_profile(actor, &number).await else { continue };
            let sex = if profile.donor.sex == sexes[0] { Sex::Female } else { Sex::Male };
            let mut answers: BTreeMap<String, Answer> = questionnaire
                .questions_for(sex)
                .map(|q| {
                    let clean = matches!(q.ask, domain::questionnaire::Ask::YesNo { defer_on: domain::questionnaire::YesNo::No, .. });
                    (q.id.clone(), Answer::Flag(clean))
                })
                .collect();
            let mut hb = if sex == Sex::Female { 13.4 } else { 14.6 };
            match k % 8 {
                3 => hb = if sex == Sex::Female { 12.1 } else { 12.6 },
                5 => {
                    answers.insert("tattoo".into(), Answer::Date { date: today - chrono::Duration::days(20) });
                }
                7 => {
                    answers.insert("feeling_well".into(), Answer::Flag(false));
                }
                _ => {}
            }
            let input = ScreeningInput {
                procedure: "whole_blood".into(),
                site: "MAIN".into(),
                weight_kg: Some(json!(58 + (k * 7) % 40)),
                height_cm: None,
                screening: json!({"hemoglobin_g_dl": hb, "pulse_bpm": 62 + (k * 3) % 30, "bp_systolic": 112 + (k * 5) % 40,
                                  "bp_diastolic": 70 + (k * 3) % 18, "temperature_c": 36.6}),
                answers,
            };
            let Ok(visit) = self.record_screening(actor, &number, &input).await else { continue };
            if visit.decision.eligible && k % 2 == 0 && self.settings.fin.is_some() {
                self.collect_from_screening(actor, visit.id, None).await?;
            }
        }
        Ok(())
    }
}
