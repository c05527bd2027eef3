//! Applying a rule version to a case: every failed rule becomes a reason, and the
//! next eligible date is the day the last temporary reason clears.

use super::case::{CaseError, DeferralEntry, DeferralKind, EligibilityCase};
use super::rules::{Check, Measure, Period, Rule, RuleBook, RuleSet};
use crate::DonationProcedure;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// The answer for one procedure on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub procedure: DonationProcedure,
    pub date: NaiveDate,
    /// The rule version that decided.
    pub rule_version: String,
    pub eligible: bool,
    /// Every rule the donor does not meet, in the order of the rule set.
    pub reasons: Vec<Reason>,
    /// The case date when eligible; otherwise the first date every reason has
    /// cleared, or `None` when a reason never clears (indefinite or permanent).
    pub next_eligible_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub code: String,
    pub message: String,
    /// The regulation or document the rule comes from.
    pub source: String,
}

/// Evaluates a case with the rule version in force on its date.
pub fn evaluate(book: &RuleBook, case: &EligibilityCase) -> Result<Decision, CaseError> {
    let set = book.in_force(case.date).ok_or_else(|| CaseError::NoRulesInForce {
        date: case.date,
        detail: match book.versions().first() {
            Some(first) => format!("the earliest version ({}) applies from {}", first.version(), first.effective_from()),
            None => "the rule book is empty".into(),
        },
    })?;
    set.evaluate(case)
}

/// When a reason stops applying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clears {
    On(NaiveDate),
    Never,
}

struct Finding {
    code: String,
    message: String,
    clears: Clears,
    /// A missing measurement gets no advice: the advice is about values out of range.
    measured: bool,
}

impl RuleSet {
    /// Evaluates a case with this version, whatever its date (the validation report
    /// uses this; callers deciding a real donation use [`evaluate`]).
    pub fn evaluate(&self, case: &EligibilityCase) -> Result<Decision, CaseError> {
        case.check_consistency()?;
        for (index, m) in case.medications.iter().enumerate() {
            if self.medication(&m.name).is_none() {
                return Err(CaseError::UnknownMedication { index, name: m.name.clone(), version: self.version().into() });
            }
        }
        for (index, e) in case.events.iter().enumerate() {
            if !self.has_event_rule(e.kind) {
                return Err(CaseError::NoRuleForEvent { index, kind: e.kind.as_str().into(), version: self.version().into() });
            }
        }
        let mut reasons = Vec::new();
        let mut next = Some(case.date);
        for rule in self.rules().iter().filter(|r| r.applies(case.procedure, case.donor.sex)) {
            if let Some(f) = self.check(rule, case) {
                next = match (next, f.clears) {
                    (Some(a), Clears::On(b)) => Some(a.max(b)),
                    _ => None,
                };
                let message = match &rule.advice {
                    Some(advice) if f.measured => format!("{}. {advice}", f.message),
                    _ => f.message,
                };
                reasons.push(Reason { code: f.code, message, source: rule.source.clone() });
            }
        }
        Ok(Decision {
            procedure: case.procedure,
            date: case.date,
            rule_version: self.version().into(),
            eligible: reasons.is_empty(),
            reasons,
            next_eligible_date: next,
        })
    }

    fn check(&self, rule: &Rule, case: &EligibilityCase) -> Option<Finding> {
        let date = case.date;
        let fail = |message: String, clears: Clears| Some(Finding { code: rule.code.clone(), message, clears, measured: true });
        // A measurement out of range today may be re-taken at the next visit.
        let tomorrow = Clears::On(date.checked_add_days(Days::new(1)).unwrap_or(date));
        let not_measured = |what: &str| {
            Some(Finding {
                code: rule.not_measured_code(),
                message: format!("{what} was not measured; it is required before this donation"),
                clears: Clears::On(date),
                measured: false,
            })
        };
        match &rule.check {
            Check::MinimumAge { years } => {
                let birthday = Period::Years(*years).end(case.donor.birth_date)?;
                (date < birthday).then_some(())?;
                fail(format!("the donor is younger than {years} years (born {}, {years} on {birthday})", case.donor.birth_date), Clears::On(birthday))
            }
            Check::Vital { measure, min, max } => {
                let Some(value) = measured(case, *measure) else { return not_measured(measure.name()) };
                let unit = measure.unit();
                let range = match (min, max) {
                    (Some(lo), Some(hi)) => format!("{lo}–{hi} {unit}"),
                    (Some(lo), None) => format!("at least {lo} {unit}"),
                    (None, Some(hi)) => format!("at most {hi} {unit}"),
                    (None, None) => return None,
                };
                let low = min.is_some_and(|lo| value < lo);
                let high = max.is_some_and(|hi| value > hi);
                (low || high).then_some(())?;
                fail(format!("{} {value} {unit} is {} the limit ({range})", measure.name(), if low { "below" } else { "above" }), tomorrow)
            }
            Check::RedCells { min_hemoglobin_g_dl: min_hb, min_hematocrit_pct: min_hct } => {
                let (hb, hct) = (case.screening.hemoglobin_g_dl, case.screening.hematocrit_pct);
                if hb.is_none() && hct.is_none() {
                    return not_measured("hemoglobin (or hematocrit)");
                }
                let hb_ok = hb.is_some_and(|v| v.value() >= *min_hb);
                let hct_ok = hct.is_some_and(|v| v.value() >= *min_hct);
                if hb_ok || hct_ok {
                    return None;
                }
                let found: Vec<String> = hb.map(|v| format!("hemoglobin {v}")).into_iter().chain(hct.map(|v| format!("hematocrit {v}"))).collect();
                let verb = if found.len() > 1 { "are" } else { "is" };
                fail(format!("{} {verb} below the minimum ({min_hb} g/dL, or a hematocrit of {min_hct} %)", found.join(" and ")), tomorrow)
            }
            Check::Interval { after, wait } => {
                let last = case.history.iter().filter(|h| after.contains(&h.procedure)).max_by_key(|h| h.date)?;
                let ends = wait.end(last.date)?;
                (date < ends).then_some(())?;
                fail(
                    format!(
                        "the last {} donation was on {}; {} needs {wait} after it (eligible from {ends})",
                        name(last.procedure),
                        last.date,
                        name(case.procedure)
                    ),
                    Clears::On(ends),
                )
            }
            Check::Frequency { counted, max, window } => {
                let mut dates: Vec<NaiveDate> = case
                    .history
                    .iter()
                    .filter(|h| counted.contains(&h.procedure))
                    .map(|h| h.date)
                    .filter(|d| window.end(*d).is_some_and(|end| date < end))
                    .collect();
                if dates.len() < *max as usize {
                    return None;
                }
                dates.sort_unstable_by(|a, b| b.cmp(a));
                // Today's donation may be the max-th once the max-th most recent past one has left the window.
                let clears = window.end(dates[*max as usize - 1]).map_or(Clears::Never, Clears::On);
                let since = dates.last().copied().unwrap_or(date);
                fail(
                    format!(
                        "{} {} donation(s) since {since}: one more would exceed {max} within {window}{}",
                        dates.len(),
                        counted.iter().map(|p| name(*p)).collect::<Vec<_>>().join(" or "),
                        match clears {
                            Clears::On(d) => format!(" (eligible from {d})"),
                            Clears::Never => String::new(),
                        }
                    ),
                    clears,
                )
            }
            Check::Event { event, defer } => {
                let last = case.events.iter().filter(|e| e.kind == *event).max_by_key(|e| e.date)?;
                deferred(&format!("{} on {}", event.as_str().replace('_', " "), last.date), last.date, *defer, date)
                    .map(|(message, clears)| Finding { code: rule.code.clone(), message, clears, measured: true })
            }
            Check::Medication { medications, defer } => case
                .medications
                .iter()
                .filter_map(|m| {
                    let generic = self.medication(&m.name)?;
                    medications.iter().any(|listed| listed.name == generic).then_some(())?;
                    deferred(&format!("{generic}, last dose {}", m.last_dose), m.last_dose, *defer, date)
                })
                .max_by_key(|(_, clears)| match clears {
                    Clears::On(d) => (0, *d),
                    Clears::Never => (1, NaiveDate::MAX),
                })
                .map(|(message, clears)| Finding { code: rule.code.clone(), message, clears, measured: true }),
            Check::Deferral { deferral } => match deferral {
                DeferralKind::Temporary => {
                    let until = case
                        .deferrals
                        .iter()
                        .filter_map(|d| match d {
                            DeferralEntry::Temporary { until } if *until > date => Some(*until),
                            _ => None,
                        })
                        .max()?;
                    fail(format!("temporarily deferred until {until}"), Clears::On(until))
                }
                kind => {
                    case.deferrals.iter().any(|d| d.kind() == *kind).then_some(())?;
                    let word = if *kind == DeferralKind::Permanent { "permanently" } else { "indefinitely" };
                    fail(format!("{word} deferred (deferred-donor register)"), Clears::Never)
                }
            },
        }
    }
}

/// The message and end of a deferral of `period` from `from`, if it still applies on `date`.
fn deferred(what: &str, from: NaiveDate, period: Period, date: NaiveDate) -> Option<(String, Clears)> {
    match period.end(from) {
        Some(ends) if date < ends => Some((format!("{what}: deferred {period}, until {ends}"), Clears::On(ends))),
        Some(_) => None,
        None => Some((format!("{what}: deferred {period}"), Clears::Never)),
    }
}

fn measured(case: &EligibilityCase, measure: Measure) -> Option<f64> {
    let s = &case.screening;
    match measure {
        Measure::TemperatureC => s.temperature_c.map(|v| v.value()),
        Measure::BpSystolic => s.bp_systolic.map(|v| v.value().into()),
        Measure::BpDiastolic => s.bp_diastolic.map(|v| v.value().into()),
        Measure::PulseBpm => s.pulse_bpm.map(|v| v.value().into()),
        Measure::WeightKg => case.donor.weight_kg.map(|v| v.value()),
        Measure::HeightCm => case.donor.height_cm.map(|v| v.value()),
    }
}

fn name(p: DonationProcedure) -> String {
    p.as_str().replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eligibility::{RuleBook, DEFAULT_RULES_JSON};
    use serde_json::{json, Value};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A healthy male donor on 2026-03-02 with the fields of `patch` merged in.
    fn case(patch: Value) -> EligibilityCase {
        let mut v = json!({
            "date": "2026-03-02", "procedure": "whole_blood",
            "donor": {"sex": "M", "birth_date": "1990-05-17", "weight_kg": 80, "height_cm": 180},
            "screening": {"hemoglobin_g_dl": 14.5, "pulse_bpm": 72, "bp_systolic": 120, "bp_diastolic": 80, "temperature_c": 36.8}
        });
        crate::eligibility::merge_patch(&mut v, &patch);
        EligibilityCase::from_value(v).unwrap()
    }

    fn decide(patch: Value) -> Decision {
        evaluate(&RuleBook::defaults(), &case(patch)).unwrap()
    }

    fn codes(d: &Decision) -> Vec<&str> {
        d.reasons.iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn a_healthy_donor_is_eligible_for_every_procedure_today() {
        for p in DonationProcedure::ALL {
            let dec = decide(json!({"procedure": p.as_str()}));
            assert!(dec.eligible, "{p:?}: {:?}", dec.reasons);
            assert_eq!(dec.next_eligible_date, Some(d("2026-03-02")));
            assert_eq!(dec.rule_version, "1");
        }
    }

    #[test]
    fn measured_but_out_of_range_is_ineligible_and_clears_the_next_day() {
        let dec = decide(json!({"donor": {"sex": "F"}, "screening": {"hemoglobin_g_dl": 12.4}}));
        assert!(!dec.eligible);
        assert_eq!(codes(&dec), ["HB_FEMALE"]);
        assert_eq!(dec.reasons[0].source, "21 CFR 630.10(f)(3)(i)(A)");
        assert!(
            dec.reasons[0].message.contains("hemoglobin 12.4 g/dL is below the minimum (12.5 g/dL, or a hematocrit of 38 %)"),
            "{}",
            dec.reasons[0].message
        );
        assert!(dec.reasons[0].message.contains("additional procedure"), "the advice is added");
        assert_eq!(dec.next_eligible_date, Some(d("2026-03-03")));
        // The same value is enough for an autologous donation (11.0 g/dL).
        assert!(decide(json!({"procedure": "autologous", "donor": {"sex": "F"}, "screening": {"hemoglobin_g_dl": 12.4}})).eligible);
    }

    #[test]
    fn temperature_blood_pressure_and_pulse_boundaries() {
        assert!(decide(json!({"screening": {"temperature_c": 37.5}})).eligible);
        assert_eq!(codes(&decide(json!({"screening": {"temperature_c": 37.6}}))), ["TEMPERATURE"]);
        assert!(decide(json!({"screening": {"bp_systolic": 180, "bp_diastolic": 100, "pulse_bpm": 50}})).eligible);
        let dec = decide(json!({"screening": {"bp_systolic": 181, "bp_diastolic": 101, "pulse_bpm": 49}}));
        assert_eq!(codes(&dec), ["BP_SYSTOLIC", "BP_DIASTOLIC", "PULSE"]);
        assert!(
            dec.reasons[0].message.starts_with("systolic blood pressure 181 mmHg is above the limit (90–180 mmHg)"),
            "{}",
            dec.reasons[0].message
        );
        assert!(dec.reasons[0].message.contains("physician"));
        // Advice about out-of-range values is not given for a missing one.
        let dec = decide(json!({"screening": {"pulse_bpm": null}}));
        assert_eq!(dec.reasons[0].message, "pulse was not measured; it is required before this donation");
        let dec = decide(json!({"screening": {"hemoglobin_g_dl": 12.9, "hematocrit_pct": 38.9}}));
        assert!(dec.reasons[0].message.starts_with("hemoglobin 12.9 g/dL and hematocrit 38.9 % are below the minimum"), "{}", dec.reasons[0].message);
    }

    #[test]
    fn a_missing_measurement_is_a_reason_that_clears_once_measured() {
        let dec = decide(json!({"screening": {"hemoglobin_g_dl": null, "temperature_c": null}}));
        assert_eq!(codes(&dec), ["TEMPERATURE_NOT_MEASURED", "HB_MALE_NOT_MEASURED"]);
        assert_eq!(dec.next_eligible_date, Some(d("2026-03-02")));
        let dec = decide(json!({"screening": null, "donor": {"weight_kg": null}}));
        assert!(!dec.eligible);
        assert_eq!(dec.reasons.len(), 6, "{:?}", codes(&dec));
        assert!(dec.reasons.iter().all(|r| r.code.ends_with("_NOT_MEASURED")));
        // Height matters only for double red cells.
        assert!(decide(json!({"donor": {"height_cm": null}})).eligible);
        assert_eq!(codes(&decide(json!({"procedure": "double_red_cells", "donor": {"height_cm": null}}))), ["DRBC_HEIGHT_M_NOT_MEASURED"]);
    }

    #[test]
    fn intervals_count_from_the_last_donation_of_the_listed_procedures() {
        let history = |p: &str, date: &str| json!({"history": [{"procedure": p, "date": date}, {"procedure": p, "date": "2025-06-01"}]});
        assert!(decide(history("whole_blood", "2026-01-05")).eligible);
        let dec = decide(history("whole_blood", "2026-01-06"));
        assert_eq!(codes(&dec), ["INTERVAL_RBC_AFTER_WB"]);
        assert_eq!(dec.next_eligible_date, Some(d("2026-03-03")));
        assert!(dec.reasons[0].message.contains("the last whole blood donation was on 2026-01-06; whole blood needs 8 weeks"));
        // Double red cells: 16 weeks before whole blood or plasma.
        let mut p = history("double_red_cells", "2025-11-11");
        assert_eq!(decide(p.clone()).next_eligible_date, Some(d("2026-03-03")));
        p["procedure"] = json!("plasma");
        assert_eq!(codes(&decide(p)), ["INTERVAL_PLASMA_AFTER_DRBC"]);
        // Platelets do not delay whole blood, whole blood does not delay platelets.
        assert!(decide(history("platelets", "2026-03-01")).eligible);
        let mut p = history("whole_blood", "2026-03-01");
        p["procedure"] = json!("platelets");
        assert!(decide(p).eligible);
    }

    #[test]
    fn frequency_windows_count_today_and_clear_when_the_nth_most_recent_leaves() {
        let plt = |dates: &[&str]| json!({"procedure": "platelets", "history": dates.iter().map(|d| json!({"procedure": "platelets", "date": d})).collect::<Vec<_>>()});
        // Two in the last 7 days (2026-02-24..03-02): today would be the third.
        let dec = decide(plt(&["2026-02-26", "2026-02-24"]));
        assert_eq!(codes(&dec), ["FREQUENCY_PLATELETS_7D"]);
        assert_eq!(dec.next_eligible_date, Some(d("2026-03-03")));
        // 2026-02-23 has left the window.
        assert!(decide(plt(&["2026-02-23", "2026-02-26"])).eligible);
        // Three in the window, in any order: the second most recent (02-25) must leave.
        let dec = decide(plt(&["2026-02-24", "2026-02-28", "2026-02-25"]));
        assert_eq!(codes(&dec), ["FREQUENCY_PLATELETS_7D"]);
        assert_eq!(dec.next_eligible_date, Some(d("2026-03-04")));
        // Plasma and source plasma count together.
        let dec = decide(json!({"procedure": "source_plasma", "history": [
            {"procedure": "plasma", "date": "2026-02-24"}, {"procedure": "source_plasma", "date": "2026-02-27"}]}));
        assert_eq!(codes(&dec), ["FREQUENCY_PLASMA_7D"]);
        // 24 in 12 months, a calendar window.
        let mut dates: Vec<String> = (0..23).map(|k| (d("2026-02-27") - chrono::Days::new(14 * k)).to_string()).collect();
        dates.push("2025-03-03".into());
        let refs: Vec<&str> = dates.iter().map(String::as_str).collect();
        let dec = decide(plt(&refs));
        assert_eq!(codes(&dec), ["FREQUENCY_PLATELETS_12M"]);
        assert_eq!(dec.next_eligible_date, Some(d("2026-03-03")));
        dates.pop();
        dates.push("2025-03-02".into());
        let refs: Vec<&str> = dates.iter().map(String::as_str).collect();
        assert!(decide(plt(&refs)).eligible);
    }

    #[test]
    fn the_next_date_is_the_latest_temporary_reason_and_null_if_any_never_clears() {
        let dec = decide(json!({
            "screening": {"temperature_c": 38.0},
            "history": [{"procedure": "whole_blood", "date": "2026-02-01"}],
            "events": [{"kind": "tattoo", "date": "2026-02-15"}],
            "medications": [{"name": "finasteride", "last_dose": "2026-02-20"}],
            "deferrals": [{"kind": "temporary", "until": "2026-04-01"}]
        }));
        assert_eq!(codes(&dec), ["TEMPERATURE", "INTERVAL_RBC_AFTER_WB", "EVENT_TATTOO", "MED_FINASTERIDE", "DEFERRAL_TEMPORARY"]);
        assert_eq!(dec.next_eligible_date, Some(d("2026-05-15")), "tattoo + 3 months is the latest");
        let dec =
            decide(json!({"events": [{"kind": "tattoo", "date": "2026-02-15"}], "medications": [{"name": "etretinate", "last_dose": "1999-01-01"}]}));
        assert_eq!(codes(&dec), ["EVENT_TATTOO", "MED_ETRETINATE"]);
        assert_eq!(dec.next_eligible_date, None);
        assert_eq!(decide(json!({"deferrals": [{"kind": "indefinite"}]})).next_eligible_date, None);
        let json = serde_json::to_value(decide(json!({"deferrals": [{"kind": "permanent"}]}))).unwrap();
        assert_eq!(json["next_eligible_date"], Value::Null);
        assert_eq!(json["eligible"], false);
        assert_eq!(
            json["reasons"][0],
            json!({"code": "DEFERRAL_PERMANENT", "message": "permanently deferred (deferred-donor register)", "source": "21 CFR 630.10(d) (check the deferred-donor records kept under 21 CFR 606.160(e))"})
        );
    }

    #[test]
    fn medication_deferrals_depend_on_the_procedure() {
        let aspirin = |p: &str| decide(json!({"procedure": p, "medications": [{"name": "aspirin", "last_dose": "2026-03-01"}]}));
        assert_eq!(codes(&aspirin("platelets")), ["MED_PLT_ASPIRIN_PIROXICAM"]);
        assert_eq!(aspirin("platelets").next_eligible_date, Some(d("2026-03-03")));
        assert!(aspirin("whole_blood").eligible && aspirin("plasma").eligible);
        let warfarin = |p: &str| decide(json!({"procedure": p, "medications": [{"name": "Warfarin", "last_dose": "2026-02-24"}]}));
        assert_eq!(codes(&warfarin("plasma")), ["MED_PLASMA_WARFARIN_HEPARIN"]);
        assert!(warfarin("platelets").eligible && warfarin("whole_blood").eligible);
        // The latest clearing of several listed drugs is reported.
        let dec = decide(json!({"procedure": "platelets", "medications": [
            {"name": "aspirin", "last_dose": "2026-03-01"}, {"name": "piroxicam", "last_dose": "2026-03-02"}]}));
        assert_eq!(dec.reasons.len(), 1);
        assert!(
            dec.reasons[0].message.starts_with("piroxicam, last dose 2026-03-02: deferred 2 days, until 2026-03-04"),
            "{}",
            dec.reasons[0].message
        );
    }

    #[test]
    fn malaria_risk_does_not_defer_source_plasma() {
        let travel = |p: &str| decide(json!({"procedure": p, "events": [{"kind": "malaria_travel", "date": "2026-02-20"}]}));
        assert_eq!(codes(&travel("whole_blood")), ["EVENT_MALARIA_TRAVEL"]);
        assert_eq!(codes(&travel("plasma")), ["EVENT_MALARIA_TRAVEL"]);
        assert!(travel("source_plasma").eligible);
    }

    #[test]
    fn an_unknown_medication_is_an_error_not_ignored() {
        let e = evaluate(
            &RuleBook::defaults(),
            &case(json!({"medications": [{"name": "aspirin", "last_dose": "2026-01-01"}, {"name": "lisinopril", "last_dose": "2026-03-01"}]})),
        )
        .unwrap_err();
        assert!(matches!(&e, CaseError::UnknownMedication { index: 1, name, .. } if name == "lisinopril"));
        assert!(e.to_string().starts_with("medications[1].name: 'lisinopril' is not on the medication deferral list of eligibility rules 1"), "{e}");
    }

    #[test]
    fn inconsistent_dates_are_refused_before_any_rule() {
        let e = evaluate(&RuleBook::defaults(), &case(json!({"donor": {"birth_date": "2026-06-01"}}))).unwrap_err();
        assert!(e.to_string().starts_with("donor.birth_date: 2026-06-01 is after the donation date"), "{e}");
        let e = evaluate(&RuleBook::defaults(), &case(json!({"history": [{"procedure": "plasma", "date": "2026-03-05"}]}))).unwrap_err();
        assert!(e.to_string().starts_with("history[0].date"), "{e}");
    }

    /// The defaults, plus a version 2 from 2026-06-01 whose temperature limit is 37.0 °C.
    fn two_versions() -> RuleBook {
        let mut v2: Value = serde_json::from_str(DEFAULT_RULES_JSON).unwrap();
        v2["version"] = json!("2");
        v2["effective_from"] = json!("2026-06-01");
        v2["baseline_case"]["date"] = json!("2026-06-01");
        let rules = v2["rules"].as_array_mut().unwrap();
        rules.retain(|r| r["code"] == "TEMPERATURE");
        rules[0]["check"]["max"] = json!(37.0);
        rules[0]["cases"] = json!([]);
        let text = format!("[{DEFAULT_RULES_JSON}, {v2}]");
        RuleBook::from_json(&text).unwrap()
    }

    #[test]
    fn a_case_is_decided_by_the_version_in_force_on_its_date() {
        let book = two_versions();
        let warm = |date: &str| {
            let mut c = case(json!({"screening": {"temperature_c": 37.2}}));
            c.date = d(date);
            evaluate(&book, &c).unwrap()
        };
        let before = warm("2026-05-31");
        assert!(before.eligible);
        assert_eq!(before.rule_version, "1");
        let after = warm("2026-06-01");
        assert!(!after.eligible);
        assert_eq!(after.rule_version, "2");
        assert!(after.reasons[0].message.contains("(at most 37 °C)"), "{}", after.reasons[0].message);
        // An event kind version 2 has no rule for cannot be evaluated under it.
        let mut c = case(json!({"events": [{"kind": "tattoo", "date": "2026-01-01"}]}));
        c.date = d("2026-06-02");
        let e = evaluate(&book, &c).unwrap_err();
        assert!(matches!(e, CaseError::NoRuleForEvent { index: 0, .. }), "{e}");
    }

    #[test]
    fn a_date_before_every_version_is_an_error() {
        let mut c = case(json!({}));
        c.date = d("2025-07-08");
        c.donor.birth_date = d("1990-01-01");
        let e = evaluate(&RuleBook::defaults(), &c).unwrap_err();
        assert_eq!(e.to_string(), "no eligibility rules are in force on 2025-07-08: the earliest version (1) applies from 2025-07-09");
        c.date = d("2025-07-09");
        assert!(evaluate(&RuleBook::defaults(), &c).unwrap().eligible);
    }

    #[test]
    fn the_minimum_age_clears_on_the_birthday() {
        let dec = decide(json!({"donor": {"birth_date": "2009-06-15"}}));
        assert_eq!(codes(&dec), ["MINIMUM_AGE"]);
        assert_eq!(dec.next_eligible_date, Some(d("2026-06-15")));
        assert!(decide(json!({"procedure": "autologous", "donor": {"birth_date": "2015-06-15", "weight_kg": 50}})).eligible);
    }
}
