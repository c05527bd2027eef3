//! A hospital's request for a course of treatment: the patient (only what the plan
//! needs), the indication with its ASFA category and grade, the procedure, the number
//! of treatments and how often, the urgency and where in the hospital.
//!
//! ASFA categories and grades (9th Special Issue, 2023; `shared/reference/domain-rules.md`
//! section 6): category I first-line, II second-line, III role not established, IV
//! ineffective or harmful; grades 1 (strong) or 2 (weak) with A, B or C evidence.

use super::catalog::Procedure;
use super::{check_height, check_hematocrit, check_weight, RedCellTargets, Sex};
use crate::validation::{parse_day, required_text};
use crate::{FieldError, FieldErrors};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AsfaCategory {
    I,
    II,
    III,
    IV,
}

impl AsfaCategory {
    pub const ALL: [AsfaCategory; 4] = [AsfaCategory::I, AsfaCategory::II, AsfaCategory::III, AsfaCategory::IV];

    pub fn as_str(self) -> &'static str {
        match self {
            AsfaCategory::I => "I",
            AsfaCategory::II => "II",
            AsfaCategory::III => "III",
            AsfaCategory::IV => "IV",
        }
    }

    /// What the category means, in ASFA's words.
    pub fn meaning(self) -> &'static str {
        match self {
            AsfaCategory::I => "first-line therapy",
            AsfaCategory::II => "second-line therapy",
            AsfaCategory::III => "optimal role not established; decided patient by patient",
            AsfaCategory::IV => "ineffective or harmful",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_uppercase();
        let t = t.strip_prefix("CATEGORY").map(str::trim).unwrap_or(&t);
        AsfaCategory::ALL.into_iter().find(|c| c.as_str() == t).ok_or_else(|| format!("'{}' is not an ASFA category; use I, II, III or IV", s.trim()))
    }
}

impl TryFrom<String> for AsfaCategory {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        AsfaCategory::parse(&s)
    }
}

/// An ASFA grade, 1A to 2C.
pub fn parse_grade(s: &str) -> Result<String, String> {
    let t = s.trim().to_ascii_uppercase();
    let ok = t.len() == 2 && matches!(&t[..1], "1" | "2") && matches!(&t[1..], "A" | "B" | "C");
    if ok {
        Ok(t)
    } else {
        Err(format!("'{}' is not an ASFA grade; use 1A, 1B, 1C, 2A, 2B or 2C", s.trim()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Within hours: goes to the nurse on call, at any hour.
    Emergent,
    /// As soon as the working hours allow.
    Urgent,
    /// From the day the hospital asks for.
    Scheduled,
}

impl Urgency {
    pub const ALL: [Urgency; 3] = [Urgency::Emergent, Urgency::Urgent, Urgency::Scheduled];

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Emergent => "emergent",
            Urgency::Urgent => "urgent",
            Urgency::Scheduled => "scheduled",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Urgency::Emergent => "Emergent (within hours)",
            Urgency::Urgent => "Urgent",
            Urgency::Scheduled => "Scheduled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        Urgency::ALL
            .into_iter()
            .find(|u| u.as_str() == t)
            .ok_or_else(|| format!("'{}' is not an urgency; use emergent, urgent or scheduled", s.trim()))
    }
}

impl TryFrom<String> for Urgency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Urgency::parse(&s)
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Submitted,
    /// The coordinator asked the hospital a question; the hospital's answer submits it again.
    InfoRequested,
    Accepted,
    Rejected,
    /// Every treatment of the series is booked.
    Scheduled,
    Completed,
    Cancelled,
}

impl RequestState {
    pub const ALL: [RequestState; 7] = [
        RequestState::Submitted,
        RequestState::InfoRequested,
        RequestState::Accepted,
        RequestState::Rejected,
        RequestState::Scheduled,
        RequestState::Completed,
        RequestState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Submitted => "submitted",
            RequestState::InfoRequested => "info_requested",
            RequestState::Accepted => "accepted",
            RequestState::Rejected => "rejected",
            RequestState::Scheduled => "scheduled",
            RequestState::Completed => "completed",
            RequestState::Cancelled => "cancelled",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            RequestState::Submitted => "Submitted",
            RequestState::InfoRequested => "Information requested",
            RequestState::Accepted => "Accepted",
            RequestState::Rejected => "Rejected",
            RequestState::Scheduled => "Scheduled",
            RequestState::Completed => "Completed",
            RequestState::Cancelled => "Cancelled",
        }
    }

    pub fn is_closed(self) -> bool {
        matches!(self, RequestState::Rejected | RequestState::Completed | RequestState::Cancelled)
    }

    /// Whether the coordinator may decide on it (accept, reject, ask).
    pub fn awaits_decision(self) -> bool {
        matches!(self, RequestState::Submitted)
    }
}

impl TryFrom<String> for RequestState {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        RequestState::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| format!("unknown request state '{s}'"))
    }
}

/// Treatments in one request, and days between them.
pub const MAX_TREATMENTS: i64 = 20;
pub const MAX_EVERY_DAYS: i64 = 28;

/// A request as the hospital portal, the API and phone intake send it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// The hospital's code; a hospital user's own is used whatever is given.
    #[serde(default)]
    pub hospital: String,
    pub mrn: String,
    pub patient_name: String,
    pub birth_date: String,
    pub sex: String,
    pub height_cm: f64,
    pub weight_kg: f64,
    /// As a fraction: 0.42, not 42.
    pub hematocrit: f64,
    /// Red cell exchange only, all three or none, as fractions: the hematocrit wanted
    /// at the end, the HbS share of haemoglobin now and wanted after.
    #[serde(default)]
    pub hematocrit_target: Option<f64>,
    #[serde(default)]
    pub hbs_initial: Option<f64>,
    #[serde(default)]
    pub hbs_target: Option<f64>,
    pub ordering_physician: String,
    pub indication: String,
    pub asfa_category: String,
    pub asfa_grade: String,
    pub procedure: String,
    pub treatments: i64,
    /// Days from one treatment to the next (1: daily).
    #[serde(default = "one")]
    pub every_days: i64,
    pub urgency: String,
    /// The first day the hospital wants; empty: as soon as possible.
    #[serde(default)]
    pub earliest_on: String,
    /// Ward, room or unit.
    pub location: String,
    pub vascular_access: String,
    #[serde(default)]
    pub note: String,
}

fn one() -> i64 {
    1
}

/// A request that passed its checks.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFields {
    pub mrn: String,
    pub patient_name: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub height_cm: f64,
    pub weight_kg: f64,
    pub hematocrit: f64,
    pub red_cell_targets: Option<RedCellTargets>,
    pub ordering_physician: String,
    pub indication: String,
    pub asfa_category: AsfaCategory,
    pub asfa_grade: String,
    pub procedure: Procedure,
    pub treatments: i64,
    pub every_days: i64,
    pub urgency: Urgency,
    pub earliest_on: Option<NaiveDate>,
    pub location: String,
    pub vascular_access: String,
    pub note: String,
}

pub fn parse_sex(s: &str) -> Result<Sex, String> {
    match s.trim().to_ascii_uppercase().as_str() {
        "F" | "FEMALE" => Ok(Sex::Female),
        "M" | "MALE" => Ok(Sex::Male),
        _ => Err(format!("'{}' is not a sex; use F or M", s.trim())),
    }
}

impl RequestInput {
    /// Every field checked; all refusals returned together. `today` bounds the birth
    /// date and the first day.
    pub fn validate(&self, today: NaiveDate) -> Result<RequestFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let mrn = e.take(required_text("mrn", &self.mrn, 40));
        let patient_name = e.take(required_text("patient_name", &self.patient_name, 120));
        let birth_date = e.take(parse_day("birth_date", &self.birth_date).and_then(|d| {
            if d > today {
                Err(FieldError::new("birth_date", "the date of birth is in the future"))
            } else if today.years_since(d).unwrap_or(0) > 120 {
                Err(FieldError::new("birth_date", format!("{d} makes the patient older than 120 years")))
            } else {
                Ok(d)
            }
        }));
        let sex = e.take(parse_sex(&self.sex).map_err(|m| FieldError::new("sex", m)));
        // The bounds of the procedure calculations refuse impossible patients.
        for check in [check_height(self.height_cm), check_weight(self.weight_kg), check_hematocrit(self.hematocrit)] {
            if let Err(err) = check {
                e.0.push(FieldError::new(err.field, err.message));
            }
        }
        let ordering_physician = e.take(required_text("ordering_physician", &self.ordering_physician, 120));
        let indication = e.take(required_text("indication", &self.indication, 200));
        let asfa_category = e.take(AsfaCategory::parse(&self.asfa_category).map_err(|m| FieldError::new("asfa_category", m)));
        let asfa_grade = e.take(parse_grade(&self.asfa_grade).map_err(|m| FieldError::new("asfa_grade", m)));
        let procedure = e.take(Procedure::parse(&self.procedure).map_err(|m| FieldError::new("procedure", m)));
        let red_cell_targets = self.red_cell_targets(procedure.as_ref(), &mut e);
        if !(1..=MAX_TREATMENTS).contains(&self.treatments) {
            e.0.push(FieldError::new("treatments", format!("give 1 to {MAX_TREATMENTS} treatments")));
        }
        if !(1..=MAX_EVERY_DAYS).contains(&self.every_days) {
            e.0.push(FieldError::new("every_days", format!("give the days between treatments, 1 (daily) to {MAX_EVERY_DAYS}")));
        }
        let urgency = e.take(Urgency::parse(&self.urgency).map_err(|m| FieldError::new("urgency", m)));
        let earliest_on = match self.earliest_on.trim() {
            "" => None,
            s => e.take(parse_day("earliest_on", s).and_then(|d| {
                if d < today {
                    Err(FieldError::new("earliest_on", format!("{d} has passed")))
                } else {
                    Ok(d)
                }
            })),
        };
        let location = e.take(required_text("location", &self.location, 120));
        let vascular_access = e.take(required_text("vascular_access", &self.vascular_access, 120));
        let note = self.note.trim().to_string();
        if note.chars().count() > 2000 {
            e.0.push(FieldError::new("note", "is longer than 2000 characters"));
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok(RequestFields {
            mrn: mrn.expect("checked"),
            patient_name: patient_name.expect("checked"),
            birth_date: birth_date.expect("checked"),
            sex: sex.expect("checked"),
            height_cm: self.height_cm,
            weight_kg: self.weight_kg,
            hematocrit: self.hematocrit,
            red_cell_targets,
            ordering_physician: ordering_physician.expect("checked"),
            indication: indication.expect("checked"),
            asfa_category: asfa_category.expect("checked"),
            asfa_grade: asfa_grade.expect("checked"),
            procedure: procedure.expect("checked"),
            treatments: self.treatments,
            every_days: self.every_days,
            urgency: urgency.expect("checked"),
            earliest_on,
            location: location.expect("checked"),
            vascular_access: vascular_access.expect("checked"),
            note,
        })
    }
}

impl RequestInput {
    /// The targets of a red cell exchange: all three given and possible, or none; other
    /// procedures take none.
    fn red_cell_targets(&self, procedure: Option<&Procedure>, e: &mut FieldErrors) -> Option<RedCellTargets> {
        let given = [("hematocrit_target", self.hematocrit_target), ("hbs_initial", self.hbs_initial), ("hbs_target", self.hbs_target)];
        if given.iter().all(|(_, v)| v.is_none()) {
            return None;
        }
        match (procedure, self.hematocrit_target, self.hbs_initial, self.hbs_target) {
            (Some(Procedure::RedCellExchange), Some(hematocrit_target), Some(hbs_initial), Some(hbs_target)) => {
                let t = RedCellTargets { hematocrit_target, hbs_initial, hbs_target };
                match t.check() {
                    Ok(()) => Some(t),
                    Err(err) => {
                        e.0.push(FieldError::new(err.field, err.message));
                        None
                    }
                }
            }
            (Some(Procedure::RedCellExchange), ..) => {
                for (field, _) in given.iter().filter(|(_, v)| v.is_none()) {
                    e.0.push(FieldError::new(*field, "give the hematocrit wanted, HbS now and HbS wanted together, or none of them"));
                }
                None
            }
            (Some(_), ..) => {
                for (field, _) in given.iter().filter(|(_, v)| v.is_some()) {
                    e.0.push(FieldError::new(*field, "only a red cell exchange is ordered with HbS and hematocrit targets"));
                }
                None
            }
            // The procedure itself is refused.
            (None, ..) => None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn ttp_request() -> RequestInput {
        RequestInput {
            hospital: String::new(),
            mrn: "MRN-4471".into(),
            patient_name: "Ada Example".into(),
            birth_date: "1971-03-02".into(),
            sex: "F".into(),
            height_cm: 165.0,
            weight_kg: 60.0,
            hematocrit: 0.32,
            ordering_physician: "Dr. R. Haematology".into(),
            indication: "Thrombotic thrombocytopenic purpura".into(),
            asfa_category: "I".into(),
            asfa_grade: "1A".into(),
            procedure: "plasma_exchange".into(),
            treatments: 5,
            every_days: 1,
            urgency: "emergent".into(),
            earliest_on: String::new(),
            location: "ICU bed 4".into(),
            vascular_access: "Central venous catheter".into(),
            ..Default::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
    }

    #[test]
    fn a_complete_request_passes() {
        let f = ttp_request().validate(today()).unwrap();
        assert_eq!(f.procedure, Procedure::PlasmaExchange);
        assert_eq!(f.asfa_category, AsfaCategory::I);
        assert_eq!(f.urgency, Urgency::Emergent);
        assert_eq!(f.sex, Sex::Female);
    }

    #[test]
    fn a_red_cell_exchange_carries_its_targets_all_or_none() {
        let rce = RequestInput { procedure: "red_cell_exchange".into(), indication: "Sickle cell disease, acute stroke".into(), ..ttp_request() };
        assert_eq!(rce.validate(today()).unwrap().red_cell_targets, None, "targets are not required");
        let with = RequestInput { hematocrit_target: Some(0.30), hbs_initial: Some(0.90), hbs_target: Some(0.30), ..rce.clone() };
        let t = with.validate(today()).unwrap().red_cell_targets.unwrap();
        assert_eq!((t.hematocrit_target, t.hbs_initial, t.hbs_target), (0.30, 0.90, 0.30));
        // A part of them, a percentage, a target above the start: each beside its field.
        let e = RequestInput { hbs_target: None, ..with.clone() }.validate(today()).unwrap_err();
        assert!(e.message_for("hbs_target").unwrap().contains("together"));
        let e = RequestInput { hbs_initial: Some(90.0), ..with.clone() }.validate(today()).unwrap_err();
        assert!(e.message_for("hbs_initial").unwrap().contains("0.90"));
        let e = RequestInput { hbs_target: Some(0.95), ..with.clone() }.validate(today()).unwrap_err();
        assert!(e.message_for("hbs_target").unwrap().contains("lowers HbS"));
        // Another procedure takes none.
        let e = RequestInput { procedure: "plasma_exchange".into(), ..with }.validate(today()).unwrap_err();
        for f in ["hematocrit_target", "hbs_initial", "hbs_target"] {
            assert!(e.message_for(f).unwrap().contains("only a red cell exchange"), "{f}");
        }
    }

    #[test]
    fn impossible_patients_and_unknown_codes_are_refused_field_by_field() {
        let r = RequestInput {
            height_cm: 1.65,
            weight_kg: 0.0,
            hematocrit: 42.0,
            asfa_category: "V".into(),
            asfa_grade: "3A".into(),
            treatments: 0,
            birth_date: "2027-01-01".into(),
            sex: "X".into(),
            mrn: " ".into(),
            ..ttp_request()
        };
        let e = r.validate(today()).unwrap_err();
        for f in ["height_cm", "weight_kg", "hematocrit", "asfa_category", "asfa_grade", "treatments", "birth_date", "sex", "mrn"] {
            assert!(e.message_for(f).is_some(), "{f} not refused: {e}");
        }
        assert!(e.message_for("hematocrit").unwrap().contains("0.42"));
        assert!(e.message_for("asfa_grade").unwrap().contains("1A"));
    }

    #[test]
    fn a_first_day_in_the_past_is_refused() {
        let r = RequestInput { earliest_on: "2026-12-01".into(), ..ttp_request() };
        assert!(r.validate(today()).unwrap_err().message_for("earliest_on").unwrap().contains("passed"));
    }

    #[test]
    fn categories_and_grades_parse_as_asfa_writes_them() {
        assert_eq!(AsfaCategory::parse("category iii").unwrap(), AsfaCategory::III);
        assert_eq!(parse_grade("2c").unwrap(), "2C");
        assert!(parse_grade("1D").is_err());
    }
}
