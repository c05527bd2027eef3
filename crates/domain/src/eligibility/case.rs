//! What the collector brings to the eligibility decision: the donor, today's
//! screening, past donations, medications, events and the deferral register.
//!
//! Every measurement is a checked type whose only constructor refuses values no
//! living donor can have (see the table in the module documentation); a value
//! that is possible but outside a rule's limits is left to the rules.

use crate::{DonationProcedure, Sex};
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Why a case could not be evaluated. Each names the field and what to fix; none of
/// them is a decision about the donor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// The JSON does not describe a case: an unknown key or value, a missing field,
    /// a wrong type or an impossible measurement.
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("no eligibility rules are in force on {date}: {detail}")]
    NoRulesInForce { date: NaiveDate, detail: String },
    #[error(
        "medications[{index}].name: '{name}' is not on the medication deferral list of eligibility rules {version}; \
         enter the generic name in lower case (e.g. finasteride); medicines not on the list do not defer and are not entered \
         (`hemaflow rules report` lists them)"
    )]
    UnknownMedication { index: usize, name: String, version: String },
    #[error("events[{index}].kind: eligibility rules {version} have no rule for the event '{kind}'; it cannot be evaluated")]
    NoRuleForEvent { index: usize, kind: String, version: String },
}

impl CaseError {
    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        CaseError::Invalid { path: path.into(), message: message.into() }
    }
}

/// Defines a measurement type: a number with a unit that only exists within the
/// range a living person can have.
macro_rules! measurement {
    ($(#[$doc:meta])* $name:ident($raw:ty), $what:literal, $unit:literal, $min:expr, $max:expr, $hint:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
        pub struct $name($raw);

        impl $name {
            /// The range outside which the value cannot be a real measurement.
            pub const POSSIBLE: ($raw, $raw) = ($min, $max);

            pub fn new(value: $raw) -> Result<Self, String> {
                let (lo, hi) = Self::POSSIBLE;
                if value.partial_cmp(&lo) == Some(std::cmp::Ordering::Less) || value.partial_cmp(&hi) == Some(std::cmp::Ordering::Greater) {
                    let hint: fn($raw) -> Option<&'static str> = $hint;
                    return Err(format!(
                        "{value} {} is not a possible {} (a living donor has {lo}–{hi} {}); check the entry{}",
                        $unit,
                        $what,
                        $unit,
                        hint(value).map(|h| format!(": {h}")).unwrap_or_default()
                    ));
                }
                Ok(Self(value))
            }

            pub fn value(self) -> $raw {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", self.0, $unit)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::new(<$raw>::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

measurement!(
    /// Hemoglobin in g/dL.
    Hemoglobin(f64), "hemoglobin", "g/dL", 3.0, 25.0,
    |v| match v {
        v if v > 25.0 && v <= 75.0 => Some("is it a hematocrit in %? enter it as hematocrit_pct"),
        v if (30.0..=250.0).contains(&v) => Some("is it in g/L? divide by 10"),
        _ => None,
    }
);
measurement!(
    /// Hematocrit in percent.
    Hematocrit(f64), "hematocrit", "%", 10.0, 75.0,
    |v| if v > 0.0 && v < 1.0 { Some("is it a fraction? multiply by 100") } else { None }
);
measurement!(
    /// Pulse in beats per minute.
    Pulse(u16), "pulse", "bpm", 20, 250, |_| None
);
measurement!(
    /// Systolic blood pressure in mmHg.
    Systolic(u16), "systolic blood pressure", "mmHg", 50, 300, |_| None
);
measurement!(
    /// Diastolic blood pressure in mmHg.
    Diastolic(u16), "diastolic blood pressure", "mmHg", 20, 200, |_| None
);
measurement!(
    /// Body temperature in °C (oral, or the equivalent at another site).
    Temperature(f64), "body temperature", "°C", 30.0, 45.0,
    |v| if (86.0..=113.0).contains(&v) { Some("is it in °F? enter °C") } else { None }
);
measurement!(
    /// Body weight in kg.
    Weight(f64), "body weight", "kg", 20.0, 350.0,
    |v| if v > 350.0 && v <= 770.0 { Some("is it in lb? enter kg") } else { None }
);
measurement!(
    /// Height in cm.
    Height(f64), "height", "cm", 100.0, 250.0,
    |v| if (1.0..=2.5).contains(&v) { Some("is it in metres? enter cm") } else { None }
);

/// The oldest age a case may give; an older birth date is a typing error.
pub const MAX_AGE_YEARS: u32 = 120;

/// One eligibility question: may this donor give this procedure on this date?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityCase {
    /// The day of the donation being decided.
    pub date: NaiveDate,
    pub procedure: DonationProcedure,
    pub donor: DonorFacts,
    #[serde(default)]
    pub screening: Screening,
    /// Earlier donations (any procedure), most recent first or in any order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<PastDonation>,
    /// Medicines on the medication deferral list the donor has taken, with the last dose.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub medications: Vec<MedicationDose>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// The donor's entries in the deferred-donor register.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deferrals: Vec<DeferralEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DonorFacts {
    pub sex: Sex,
    pub birth_date: NaiveDate,
    /// Weighed at this visit; absent means not measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_kg: Option<Weight>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_cm: Option<Height>,
}

/// Today's physical assessment; an absent value was not measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screening {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hemoglobin_g_dl: Option<Hemoglobin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hematocrit_pct: Option<Hematocrit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse_bpm: Option<Pulse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bp_systolic: Option<Systolic>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bp_diastolic: Option<Diastolic>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_c: Option<Temperature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PastDonation {
    pub procedure: DonationProcedure,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicationDose {
    /// Generic name in lower case, as on the medication deferral list.
    pub name: String,
    pub last_dose: NaiveDate,
}

/// Something that happened to the donor and defers for a period from its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Tattoo not applied at a state-regulated entity.
    Tattoo,
    /// Piercing not done at a state-regulated entity.
    Piercing,
    /// The date a pregnancy ended.
    PregnancyEnd,
    /// Allogeneic transfusion received.
    Transfusion,
    /// Return from travel to a malaria-endemic area (resident of a non-endemic country).
    MalariaTravel,
    /// Malaria, or leaving residence in a malaria-endemic country.
    MalariaHistory,
    /// Needlestick or other nonsterile percutaneous inoculation.
    Needlestick,
    /// Release after ≥72 consecutive hours in a correctional institution.
    Incarceration,
    /// New sexual partner, or more than one, and anal sex.
    NewPartnerAnalSex,
    /// Exchanged sex for money or drugs.
    SexForMoneyOrDrugs,
    /// Injected drugs not prescribed.
    InjectionDrugUse,
    /// Sex with a partner who exchanged sex for money or drugs or injected drugs.
    PartnerRisk,
    /// Syphilis or gonorrhea (date of the end of treatment).
    SyphilisGonorrhea,
    /// Reactive Babesia NAT.
    BabesiaReactive,
    /// CJD/vCJD/TSE diagnosis, familial prion disease, cadaveric pituitary growth hormone or dura mater graft.
    CjdRisk,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Tattoo => "tattoo",
            EventKind::Piercing => "piercing",
            EventKind::PregnancyEnd => "pregnancy_end",
            EventKind::Transfusion => "transfusion",
            EventKind::MalariaTravel => "malaria_travel",
            EventKind::MalariaHistory => "malaria_history",
            EventKind::Needlestick => "needlestick",
            EventKind::Incarceration => "incarceration",
            EventKind::NewPartnerAnalSex => "new_partner_anal_sex",
            EventKind::SexForMoneyOrDrugs => "sex_for_money_or_drugs",
            EventKind::InjectionDrugUse => "injection_drug_use",
            EventKind::PartnerRisk => "partner_risk",
            EventKind::SyphilisGonorrhea => "syphilis_gonorrhea",
            EventKind::BabesiaReactive => "babesia_reactive",
            EventKind::CjdRisk => "cjd_risk",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub kind: EventKind,
    pub date: NaiveDate,
}

/// An entry of the deferred-donor register (21 CFR 606.160(e)). Written and read as
/// `{kind, until}`: `until` is the date a temporary deferral ends (required), and
/// null or absent for indefinite and permanent ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "DeferralEntryForm")]
pub enum DeferralEntry {
    /// Deferred until `until`: the donor may give again from that date.
    Temporary {
        until: NaiveDate,
    },
    Indefinite {},
    Permanent {},
}

impl TryFrom<String> for DeferralKind {
    type Error = crate::FieldError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

/// The documented form of a register entry, before its kind and date are checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeferralEntryForm {
    kind: DeferralKind,
    #[serde(default)]
    until: Option<NaiveDate>,
}

impl TryFrom<DeferralEntryForm> for DeferralEntry {
    type Error = String;

    fn try_from(f: DeferralEntryForm) -> Result<Self, Self::Error> {
        match (f.kind, f.until) {
            (DeferralKind::Temporary, Some(until)) => Ok(DeferralEntry::Temporary { until }),
            (DeferralKind::Temporary, None) => Err("a temporary deferral needs the date it ends: give \"until\": \"YYYY-MM-DD\"".into()),
            (DeferralKind::Indefinite, None) => Ok(DeferralEntry::Indefinite {}),
            (DeferralKind::Permanent, None) => Ok(DeferralEntry::Permanent {}),
            (kind, Some(until)) => Err(format!("a {} deferral has no end date; give \"until\": null, not {until}", kind.as_str())),
        }
    }
}

/// The three kinds of register entry, as rules name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeferralKind {
    Temporary,
    Indefinite,
    Permanent,
}

impl DeferralKind {
    pub const ALL: [DeferralKind; 3] = [DeferralKind::Temporary, DeferralKind::Indefinite, DeferralKind::Permanent];

    pub fn parse(s: &str) -> Result<Self, crate::FieldError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| crate::FieldError::new("kind", format!("'{}' is not a deferral kind; use temporary, indefinite or permanent", s.trim())))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeferralKind::Temporary => "temporary",
            DeferralKind::Indefinite => "indefinite",
            DeferralKind::Permanent => "permanent",
        }
    }
}

impl DeferralEntry {
    pub fn kind(self) -> DeferralKind {
        match self {
            DeferralEntry::Temporary { .. } => DeferralKind::Temporary,
            DeferralEntry::Indefinite {} => DeferralKind::Indefinite,
            DeferralEntry::Permanent {} => DeferralKind::Permanent,
        }
    }
}

impl EligibilityCase {
    /// Reads a case from JSON, refusing unknown keys and values, trailing text and
    /// impossible measurements; the error names the field.
    pub fn from_json(text: &str) -> Result<Self, CaseError> {
        from_json_text(text, "case").map_err(|(path, message)| CaseError::Invalid { path, message })
    }

    /// The same from an already parsed JSON value.
    pub fn from_value(value: serde_json::Value) -> Result<Self, CaseError> {
        serde_path_to_error::deserialize(value).map_err(|e| CaseError::invalid(path_of(e.path(), "case"), e.inner().to_string()))
    }

    /// The checks that need more than one field: dates in the right order, diastolic
    /// below systolic. Values each type already refused are not checked again.
    pub fn check_consistency(&self) -> Result<(), CaseError> {
        let date = self.date;
        let birth = self.donor.birth_date;
        if birth > date {
            return Err(CaseError::invalid("donor.birth_date", format!("{birth} is after the donation date {date}")));
        }
        let oldest = date.checked_sub_months(chrono::Months::new(12 * MAX_AGE_YEARS)).unwrap_or(NaiveDate::MIN);
        if birth < oldest {
            return Err(CaseError::invalid("donor.birth_date", format!("{birth} would make the donor older than {MAX_AGE_YEARS} years on {date}")));
        }
        let not_future = |path: String, d: NaiveDate, what: &str| {
            if d > date {
                Err(CaseError::invalid(path, format!("{what} {d} is after the donation date {date}")))
            } else if d < birth {
                Err(CaseError::invalid(path, format!("{what} {d} is before the donor's birth date {birth}")))
            } else {
                Ok(())
            }
        };
        for (i, h) in self.history.iter().enumerate() {
            not_future(format!("history[{i}].date"), h.date, "a past donation on")?;
        }
        for (i, m) in self.medications.iter().enumerate() {
            if m.name.trim().is_empty() {
                return Err(CaseError::invalid(format!("medications[{i}].name"), "is empty"));
            }
            not_future(format!("medications[{i}].last_dose"), m.last_dose, "the last dose on")?;
        }
        for (i, e) in self.events.iter().enumerate() {
            not_future(format!("events[{i}].date"), e.date, "the event date")?;
        }
        if let (Some(s), Some(d)) = (self.screening.bp_systolic, self.screening.bp_diastolic) {
            if d.value() >= s.value() {
                return Err(CaseError::invalid(
                    "screening.bp_diastolic",
                    format!("{d} is not below the systolic {s}; check whether the two were swapped"),
                ));
            }
        }
        Ok(())
    }
}

fn path_of(p: &serde_path_to_error::Path, root: &str) -> String {
    let s = p.to_string();
    if s == "." {
        root.into()
    } else {
        s
    }
}

/// Deserializes a whole JSON text with the path of the first error (`root` when
/// the error is not inside a field).
pub(crate) fn from_json_text<T: serde::de::DeserializeOwned>(text: &str, root: &str) -> Result<T, (String, String)> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = path_of(e.path(), root);
        let mut message = e.inner().to_string();
        // The path names the field; the position is only needed when there is no path.
        if path != root {
            if let Some(i) = message.rfind(" at line ") {
                message.truncate(i);
            }
        }
        (path, message)
    })?;
    de.end().map_err(|e| (root.to_string(), e.to_string()))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: &str = r#"{
        "date": "2026-03-02", "procedure": "whole_blood",
        "donor": {"sex": "F", "birth_date": "1990-05-17", "weight_kg": 61.5, "height_cm": 168},
        "screening": {"hemoglobin_g_dl": 13.1, "pulse_bpm": 70, "bp_systolic": 118, "bp_diastolic": 76, "temperature_c": 36.6},
        "history": [{"procedure": "platelets", "date": "2026-01-10"}],
        "medications": [{"name": "finasteride", "last_dose": "2025-12-01"}],
        "events": [{"kind": "tattoo", "date": "2025-06-01"}],
        "deferrals": [{"kind": "temporary", "until": "2026-01-01"}, {"kind": "permanent"}]
    }"#;

    fn with(key_path: &[&str], value: serde_json::Value) -> String {
        let mut v: serde_json::Value = serde_json::from_str(CASE).unwrap();
        let mut at = &mut v;
        for k in key_path {
            at = match k.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*k],
            };
        }
        *at = value;
        v.to_string()
    }

    fn error_of(text: &str) -> (String, String) {
        match EligibilityCase::from_json(text).unwrap_err() {
            CaseError::Invalid { path, message } => (path, message),
            other => panic!("expected an input error, got {other}"),
        }
    }

    #[test]
    fn a_complete_case_reads_and_round_trips() {
        let c = EligibilityCase::from_json(CASE).unwrap();
        assert_eq!(c.donor.sex, Sex::Female);
        assert_eq!(c.screening.pulse_bpm.unwrap().value(), 70);
        assert_eq!(c.deferrals[0], DeferralEntry::Temporary { until: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() });
        assert_eq!(c.deferrals[1].kind(), DeferralKind::Permanent);
        let again = EligibilityCase::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(again, c);
        c.check_consistency().unwrap();
    }

    #[test]
    fn optional_parts_may_be_left_out() {
        let c = EligibilityCase::from_json(r#"{"date":"2026-03-02","procedure":"plasma","donor":{"sex":"M","birth_date":"1980-01-01"}}"#).unwrap();
        assert_eq!(c.screening, Screening::default());
        assert!(c.history.is_empty() && c.medications.is_empty() && c.events.is_empty() && c.deferrals.is_empty());
        assert!(c.donor.weight_kg.is_none());
    }

    #[test]
    fn unknown_keys_are_refused_at_every_level() {
        for (path, expect) in [
            (vec!["colour"], "colour"),
            (vec!["donor", "name"], "donor"),
            (vec!["screening", "hemoglobin"], "screening"),
            (vec!["history", "0", "site"], "history[0]"),
            (vec!["medications", "0", "dose_mg"], "medications[0]"),
            (vec!["events", "0", "country"], "events[0]"),
            (vec!["deferrals", "0", "reason"], "deferrals[0]"),
        ] {
            let (p, m) = error_of(&with(&path, serde_json::json!(1)));
            assert!(p.starts_with(expect), "{path:?}: path {p}");
            assert!(m.contains("unknown field"), "{path:?}: {m}");
        }
    }

    #[test]
    fn unknown_values_are_refused() {
        let (p, m) = error_of(&with(&["procedure"], "granulocytes".into()));
        assert_eq!(p, "procedure");
        assert!(m.contains("unknown variant") && m.contains("double_red_cells"), "{m}");
        let (p, _) = error_of(&with(&["donor", "sex"], "X".into()));
        assert_eq!(p, "donor.sex");
        let (p, m) = error_of(&with(&["events", "0", "kind"], "bungee_jump".into()));
        assert_eq!(p, "events[0].kind");
        assert!(m.contains("malaria_travel"), "{m}");
        let (p, _) = error_of(&with(&["history", "0", "procedure"], "blood".into()));
        assert_eq!(p, "history[0].procedure");
        let (p, _) = error_of(&with(&["date"], "02/03/2026".into()));
        assert_eq!(p, "date");
    }

    #[test]
    fn deferral_entries_have_until_only_when_temporary() {
        let (p, m) = error_of(&with(&["deferrals", "0"], serde_json::json!({"kind": "temporary"})));
        assert!(p.starts_with("deferrals[0]") && m.contains("until"), "{p}: {m}");
        let (p, m) = error_of(&with(&["deferrals", "1"], serde_json::json!({"kind": "permanent", "until": "2030-01-01"})));
        assert!(p.starts_with("deferrals[1]") && m.contains("has no end date"), "{p}: {m}");
        // The documented form {kind, until} with until null is accepted.
        assert!(EligibilityCase::from_json(&with(&["deferrals", "1"], serde_json::json!({"kind": "permanent", "until": null}))).is_ok());
        let (_, m) = error_of(&with(&["deferrals", "1"], serde_json::json!({"kind": "forever"})));
        assert!(m.contains("indefinite"), "{m}");
        assert!(EligibilityCase::from_json(&with(&["deferrals", "1"], serde_json::json!({"kind": "indefinite"}))).is_ok());
    }

    #[test]
    fn impossible_vitals_are_input_errors_with_the_field() {
        for (path, value, words) in [
            (vec!["screening", "pulse_bpm"], serde_json::json!(0), "not a possible pulse"),
            (vec!["donor", "weight_kg"], serde_json::json!(3), "not a possible body weight"),
            (vec!["screening", "hemoglobin_g_dl"], serde_json::json!(45), "hematocrit"),
            (vec!["screening", "hemoglobin_g_dl"], serde_json::json!(131), "g/L"),
            (vec!["screening", "temperature_c"], serde_json::json!(99.5), "°F"),
            (vec!["screening", "hematocrit_pct"], serde_json::json!(0.4), "fraction"),
            (vec!["screening", "bp_systolic"], serde_json::json!(400), "systolic"),
            (vec!["screening", "bp_diastolic"], serde_json::json!(5), "diastolic"),
            (vec!["donor", "height_cm"], serde_json::json!(1.7), "metres"),
            (vec!["screening", "pulse_bpm"], serde_json::json!(-5), "invalid value"),
            (vec!["screening", "pulse_bpm"], serde_json::json!(72.5), "invalid type"),
            (vec!["screening", "hemoglobin_g_dl"], serde_json::json!("13"), "invalid type"),
        ] {
            let (p, m) = error_of(&with(&path, value.clone()));
            assert_eq!(p, path.join("."), "{value}");
            assert!(m.contains(words), "{path:?} = {value}: {m}");
        }
    }

    #[test]
    fn plausibility_bounds_are_inclusive() {
        assert!(Hemoglobin::new(3.0).is_ok() && Hemoglobin::new(25.0).is_ok());
        assert!(Hemoglobin::new(2.9).is_err() && Hemoglobin::new(25.1).is_err());
        assert!(Pulse::new(20).is_ok() && Pulse::new(19).is_err() && Pulse::new(251).is_err());
        assert!(Temperature::new(45.0).is_ok() && Temperature::new(45.1).is_err());
        assert!(Weight::new(20.0).is_ok() && Weight::new(19.9).is_err());
        assert_eq!(Weight::new(61.5).unwrap().to_string(), "61.5 kg");
    }

    #[test]
    fn trailing_text_and_wrong_shapes_are_refused() {
        assert!(EligibilityCase::from_json(&format!("{CASE} {{}}")).is_err());
        let (p, m) = error_of(r#"{"date":"2026-03-02","procedure":"plasma"}"#);
        assert!(p == "case" && m.contains("donor"), "{p}: {m}");
    }

    #[test]
    fn dates_in_the_wrong_order_are_input_errors() {
        let check = |text: String| EligibilityCase::from_json(&text).unwrap().check_consistency().unwrap_err().to_string();
        assert!(check(with(&["donor", "birth_date"], "2026-03-03".into())).starts_with("donor.birth_date: 2026-03-03 is after"));
        assert!(check(with(&["donor", "birth_date"], "1900-01-01".into())).contains("older than 120"));
        assert!(check(with(&["history", "0", "date"], "2026-03-03".into())).starts_with("history[0].date"));
        assert!(check(with(&["history", "0", "date"], "1980-01-01".into())).contains("before the donor's birth date"));
        assert!(check(with(&["medications", "0", "last_dose"], "2027-01-01".into())).starts_with("medications[0].last_dose"));
        assert!(check(with(&["medications", "0", "name"], " ".into())).starts_with("medications[0].name"));
        assert!(check(with(&["events", "0", "date"], "2026-04-01".into())).starts_with("events[0].date"));
        assert!(check(with(&["screening", "bp_diastolic"], 130.into())).contains("swapped"));
    }
}

#[cfg(test)]
mod deferral_form_tests {
    use super::*;

    fn parse(v: serde_json::Value) -> Result<DeferralEntry, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn the_documented_form_with_until_null_is_accepted() {
        assert_eq!(parse(serde_json::json!({"kind": "permanent", "until": null})), Ok(DeferralEntry::Permanent {}));
        assert_eq!(parse(serde_json::json!({"kind": "indefinite", "until": null})), Ok(DeferralEntry::Indefinite {}));
        assert_eq!(parse(serde_json::json!({"kind": "permanent"})), Ok(DeferralEntry::Permanent {}));
        let until = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
        assert_eq!(parse(serde_json::json!({"kind": "temporary", "until": "2027-01-31"})), Ok(DeferralEntry::Temporary { until }));
    }

    #[test]
    fn a_temporary_deferral_needs_a_date_and_a_permanent_one_has_none() {
        let e = parse(serde_json::json!({"kind": "temporary", "until": null})).unwrap_err();
        assert!(e.contains("needs the date it ends"), "{e}");
        let e = parse(serde_json::json!({"kind": "temporary"})).unwrap_err();
        assert!(e.contains("needs the date it ends"), "{e}");
        let e = parse(serde_json::json!({"kind": "permanent", "until": "2027-01-31"})).unwrap_err();
        assert!(e.contains("has no end date"), "{e}");
        assert!(parse(serde_json::json!({"kind": "forever"})).is_err());
        assert!(parse(serde_json::json!({"kind": "permanent", "why": "x"})).is_err());
    }

    #[test]
    fn entries_write_back_in_the_form_they_are_read() {
        for v in [serde_json::json!({"kind": "permanent"}), serde_json::json!({"kind": "temporary", "until": "2027-01-31"})] {
            let e = parse(v.clone()).unwrap();
            assert_eq!(serde_json::to_value(e).unwrap(), v);
        }
    }
}
