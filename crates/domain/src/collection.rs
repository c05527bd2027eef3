//! The collection record of a donation and the donor's adverse reactions: what staff
//! enter at the chair, checked before anything is written.
//!
//! Lots are refused once expired on the day of collection (21 CFR 606.160(b)(1)
//! records the lot numbers of supplies; an expired supply is not used). The limits on
//! times and volumes are plausibility checks against typing errors, not regulation.

use crate::validation::{FieldError, FieldErrors};
use crate::DonationProcedure;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Anticoagulants of collection bag sets and apheresis kits.
pub const ANTICOAGULANTS: [&str; 4] = ["CPD", "CP2D", "CPDA-1", "ACD-A"];
/// Red cell additive solutions.
pub const ADDITIVE_SOLUTIONS: [&str; 3] = ["AS-1", "AS-3", "AS-5"];
/// Products an apheresis collection may take at the same time as its main product.
pub const CONCURRENT_PRODUCTS: [&str; 3] = ["platelets", "plasma", "red_cells"];
/// Longest a collection may take before the times are taken for a typing error.
pub const MAX_COLLECTION_HOURS: i64 = 6;
/// Largest volume accepted, in mL (a typing-error bound).
pub const MAX_VOLUME_ML: i64 = 1_200;

/// How a collection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionOutcome {
    Complete,
    /// Quantity not sufficient (QNS).
    Incomplete,
    /// Stopped, with the reason.
    Stopped,
}

impl CollectionOutcome {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "complete" => Ok(Self::Complete),
            "incomplete" | "qns" => Ok(Self::Incomplete),
            "stopped" => Ok(Self::Stopped),
            other => Err(FieldError::new("outcome", format!("'{other}' is not an outcome (complete, incomplete, stopped)"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Incomplete => "incomplete",
            Self::Stopped => "stopped",
        }
    }
}

impl TryFrom<String> for CollectionOutcome {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse(&s)
    }
}

/// Whether a procedure runs on an apheresis device (device and serial are recorded).
pub fn is_apheresis(p: DonationProcedure) -> bool {
    matches!(p, DonationProcedure::DoubleRedCells | DonationProcedure::Platelets | DonationProcedure::Plasma | DonationProcedure::SourcePlasma)
}

/// A collection record as entered (form or API): text, checked by [`check_collection`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionInput {
    #[serde(default)]
    pub phlebotomist: String,
    /// ISO 8601 with an offset, or local `YYYY-MM-DDTHH:MM` at the donation's site.
    #[serde(default)]
    pub started_at: String,
    #[serde(default)]
    pub ended_at: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub volume_ml: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub stop_reason: String,
    #[serde(default)]
    pub bag_set_lot: String,
    #[serde(default)]
    pub bag_set_expires_on: String,
    #[serde(default)]
    pub anticoagulant: String,
    #[serde(default)]
    pub anticoagulant_lot: String,
    #[serde(default)]
    pub anticoagulant_expires_on: String,
    #[serde(default)]
    pub additive_solution: String,
    #[serde(default)]
    pub device_type: String,
    #[serde(default)]
    pub device_serial: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub platelet_units: String,
    #[serde(default)]
    pub concurrent_products: Vec<String>,
    #[serde(default)]
    pub note: String,
    /// Why a later version corrects the record (required for a correction).
    #[serde(default)]
    pub reason: String,
}

/// Reads a number given as JSON number or as text (forms send text).
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Null => Ok(String::new()),
        other => Err(serde::de::Error::custom(format!("expected a number, found {other}"))),
    }
}

/// A checked collection record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionRecord {
    pub phlebotomist: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub volume_ml: i64,
    pub outcome: CollectionOutcome,
    pub stop_reason: Option<String>,
    pub bag_set_lot: String,
    pub bag_set_expires_on: NaiveDate,
    pub anticoagulant: String,
    pub anticoagulant_lot: String,
    pub anticoagulant_expires_on: NaiveDate,
    pub additive_solution: Option<String>,
    pub device_type: Option<String>,
    pub device_serial: Option<String>,
    pub platelet_units: Option<i64>,
    pub concurrent_products: Vec<String>,
    pub note: Option<String>,
}

/// Reads a time as ISO 8601 with an offset, or as local `YYYY-MM-DDTHH:MM[:SS]` in `tz`.
pub fn parse_time(field: &'static str, s: &str, tz: Tz) -> Result<DateTime<Utc>, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M").or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S"));
    match local {
        Ok(l) => tz
            .from_local_datetime(&l)
            .earliest()
            .map(|d| d.with_timezone(&Utc))
            .ok_or_else(|| FieldError::new(field, format!("{t} does not exist in {tz} (the clocks moved forward)"))),
        Err(_) => Err(FieldError::new(field, format!("'{t}' is not a time (YYYY-MM-DDTHH:MM)"))),
    }
}

fn text(field: &'static str, s: &str, max: usize, e: &mut FieldErrors) -> Option<String> {
    let v = s.trim();
    if v.is_empty() {
        e.0.push(FieldError::new(field, "is required"));
        None
    } else if v.chars().count() > max || v.chars().any(char::is_control) {
        e.0.push(FieldError::new(field, format!("use at most {max} characters, on one line")));
        None
    } else {
        Some(v.to_string())
    }
}

fn optional(s: &str) -> Option<String> {
    Some(s.trim()).filter(|x| !x.is_empty()).map(str::to_string)
}

/// Checks a collection record of a donation of `procedure` whose DIN was assigned at
/// `collected_at`; `tz` is the site's time zone, `now` the current instant. Every
/// problem is named against its field.
pub fn check_collection(
    input: &CollectionInput,
    procedure: DonationProcedure,
    collected_at: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<CollectionRecord, FieldErrors> {
    let mut e = FieldErrors::default();
    let phlebotomist = text("phlebotomist", &input.phlebotomist, 120, &mut e);
    let started = e.take(parse_time("started_at", &input.started_at, tz));
    let ended = e.take(parse_time("ended_at", &input.ended_at, tz));
    let collection_day = collected_at.with_timezone(&tz).date_naive();
    if let Some(s) = started {
        if s.with_timezone(&tz).date_naive() != collection_day {
            e.0.push(FieldError::new("started_at", format!("the donation was on {collection_day}; the collection starts that day")));
        } else if s > now {
            e.0.push(FieldError::new("started_at", "is in the future"));
        }
    }
    if let Some(t) = ended {
        if t > now {
            e.0.push(FieldError::new("ended_at", "is in the future"));
        }
    }
    if let (Some(s), Some(t)) = (started, ended) {
        if t < s {
            e.0.push(FieldError::new("ended_at", "is before the start"));
        } else if (t - s).num_hours() >= MAX_COLLECTION_HOURS {
            e.0.push(FieldError::new("ended_at", format!("the collection would have taken {} hours; check the times", (t - s).num_hours())));
        }
    }
    let outcome = e.take(CollectionOutcome::parse(&input.outcome));
    let volume = match input.volume_ml.trim().parse::<i64>() {
        Ok(v) if (0..=MAX_VOLUME_ML).contains(&v) => Some(v),
        Ok(v) => {
            e.0.push(FieldError::new("volume_ml", format!("{v} mL is not a collected volume (0 to {MAX_VOLUME_ML} mL)")));
            None
        }
        Err(_) => {
            e.0.push(FieldError::new("volume_ml", format!("'{}' is not a whole number of mL", input.volume_ml.trim())));
            None
        }
    };
    if let (Some(CollectionOutcome::Complete), Some(0)) = (outcome, volume) {
        e.0.push(FieldError::new("volume_ml", "a complete collection has a volume"));
    }
    let stop_reason = optional(&input.stop_reason);
    if outcome == Some(CollectionOutcome::Stopped) && stop_reason.is_none() {
        e.0.push(FieldError::new("stop_reason", "say why the collection was stopped"));
    }
    let lot = |lot_field: &'static str, lot: &str, exp_field: &'static str, exp: &str, what: &str, e: &mut FieldErrors| {
        let l = text(lot_field, lot, 40, e);
        let d = e.take(crate::parse_day(exp_field, exp));
        if let (Some(l), Some(d)) = (&l, d) {
            if d < collection_day {
                e.0.push(FieldError::new(exp_field, format!("{what} lot {l} expired on {d}; use an in-date {what}")));
            }
        }
        l.zip(d)
    };
    let bag = lot("bag_set_lot", &input.bag_set_lot, "bag_set_expires_on", &input.bag_set_expires_on, "bag set", &mut e);
    let anticoagulant = input.anticoagulant.trim().to_string();
    if !ANTICOAGULANTS.contains(&anticoagulant.as_str()) {
        e.0.push(FieldError::new("anticoagulant", format!("'{anticoagulant}' is not an anticoagulant ({})", ANTICOAGULANTS.join(", "))));
    }
    let ac = lot("anticoagulant_lot", &input.anticoagulant_lot, "anticoagulant_expires_on", &input.anticoagulant_expires_on, "anticoagulant", &mut e);
    let additive = optional(&input.additive_solution);
    if let Some(a) = &additive {
        if !ADDITIVE_SOLUTIONS.contains(&a.as_str()) {
            e.0.push(FieldError::new("additive_solution", format!("'{a}' is not an additive solution ({})", ADDITIVE_SOLUTIONS.join(", "))));
        } else if !matches!(procedure, DonationProcedure::WholeBlood | DonationProcedure::DoubleRedCells | DonationProcedure::Autologous) {
            e.0.push(FieldError::new("additive_solution", "only red cell collections have an additive solution"));
        }
    }
    let (device_type, device_serial) = (optional(&input.device_type), optional(&input.device_serial));
    if is_apheresis(procedure) {
        if device_type.is_none() {
            e.0.push(FieldError::new("device_type", "an apheresis collection names its device"));
        }
        if device_serial.is_none() {
            e.0.push(FieldError::new("device_serial", "an apheresis collection names its device's serial number"));
        }
    } else if device_type.is_some() || device_serial.is_some() {
        e.0.push(FieldError::new("device_type", "a whole blood collection has no apheresis device"));
    }
    let platelet_units = match (procedure, input.platelet_units.trim()) {
        (DonationProcedure::Platelets, s) => match s.parse::<i64>() {
            Ok(n @ 1..=3) => Some(n),
            _ => {
                e.0.push(FieldError::new("platelet_units", "a platelet collection is single (1), double (2) or triple (3)"));
                None
            }
        },
        (_, "") => None,
        (_, _) => {
            e.0.push(FieldError::new("platelet_units", "only a platelet collection has platelet units"));
            None
        }
    };
    let mut concurrent: Vec<String> = input.concurrent_products.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    concurrent.sort();
    concurrent.dedup();
    let main = match procedure {
        DonationProcedure::Platelets => "platelets",
        DonationProcedure::Plasma | DonationProcedure::SourcePlasma => "plasma",
        DonationProcedure::DoubleRedCells => "red_cells",
        _ => "",
    };
    for p in &concurrent {
        if !CONCURRENT_PRODUCTS.contains(&p.as_str()) {
            e.0.push(FieldError::new("concurrent_products", format!("'{p}' is not a product (platelets, plasma, red_cells)")));
        } else if main.is_empty() {
            e.0.push(FieldError::new("concurrent_products", "only an apheresis collection has concurrent products"));
        } else if p == main {
            e.0.push(FieldError::new("concurrent_products", format!("{p} is the collection's main product")));
        }
    }
    let note = optional(&input.note);
    if !e.is_empty() {
        return Err(e);
    }
    let ((bag_set_lot, bag_set_expires_on), (anticoagulant_lot, anticoagulant_expires_on)) = (bag.expect("checked"), ac.expect("checked"));
    Ok(CollectionRecord {
        phlebotomist: phlebotomist.expect("checked"),
        started_at: started.expect("checked"),
        ended_at: ended.expect("checked"),
        volume_ml: volume.expect("checked"),
        outcome: outcome.expect("checked"),
        stop_reason,
        bag_set_lot,
        bag_set_expires_on,
        anticoagulant,
        anticoagulant_lot,
        anticoagulant_expires_on,
        additive_solution: additive,
        device_type,
        device_serial,
        platelet_units,
        concurrent_products: concurrent,
        note,
    })
}

/// Kinds of donor adverse reaction, with the words staff use.
pub const REACTION_KINDS: [(&str, &str); 8] = [
    ("vasovagal", "Vasovagal reaction (faint, dizziness)"),
    ("hematoma", "Hematoma or bruise"),
    ("citrate", "Citrate reaction (tingling, cramps)"),
    ("nerve_injury", "Nerve injury or irritation"),
    ("arterial_puncture", "Arterial puncture"),
    ("allergic", "Allergic reaction"),
    ("fall_injury", "Fall or injury"),
    ("other", "Other (describe in the note)"),
];
pub const REACTION_SEVERITIES: [(&str, &str); 3] = [("mild", "Mild"), ("moderate", "Moderate"), ("severe", "Severe")];
pub const REACTION_ONSETS: [(&str, &str); 3] =
    [("during", "During the donation"), ("after_at_site", "After the donation, at the site"), ("after_leaving", "After the donor left")];

/// A donor adverse reaction as entered.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReactionInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub onset: String,
    #[serde(default)]
    pub onset_at: String,
    #[serde(default)]
    pub treatment: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub note: String,
}

/// A checked adverse reaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reaction {
    pub kind: String,
    pub severity: String,
    pub onset: String,
    pub onset_at: DateTime<Utc>,
    pub treatment: String,
    pub outcome: String,
    pub note: Option<String>,
}

fn one_of(field: &'static str, s: &str, list: &[(&str, &str)], e: &mut FieldErrors) -> Option<String> {
    let v = s.trim();
    if list.iter().any(|(k, _)| *k == v) {
        Some(v.to_string())
    } else {
        let names: Vec<&str> = list.iter().map(|(k, _)| *k).collect();
        e.0.push(FieldError::new(field, if v.is_empty() { "is required".to_string() } else { format!("'{v}' is not one of {}", names.join(", ")) }));
        None
    }
}

/// Checks a reaction at a donation collected at `collected_at`.
pub fn check_reaction(input: &ReactionInput, collected_at: DateTime<Utc>, now: DateTime<Utc>, tz: Tz) -> Result<Reaction, FieldErrors> {
    let mut e = FieldErrors::default();
    let kind = one_of("kind", &input.kind, &REACTION_KINDS, &mut e);
    let severity = one_of("severity", &input.severity, &REACTION_SEVERITIES, &mut e);
    let onset = one_of("onset", &input.onset, &REACTION_ONSETS, &mut e);
    let onset_at = e.take(parse_time("onset_at", &input.onset_at, tz));
    if let Some(t) = onset_at {
        if t > now {
            e.0.push(FieldError::new("onset_at", "is in the future"));
        } else if t < collected_at - chrono::Duration::hours(1) {
            e.0.push(FieldError::new("onset_at", "is before the donation"));
        }
    }
    let treatment = text("treatment", &input.treatment, 500, &mut e);
    let outcome = text("outcome", &input.outcome, 500, &mut e);
    let note = optional(&input.note);
    if kind.as_deref() == Some("other") && note.is_none() {
        e.0.push(FieldError::new("note", "describe the reaction"));
    }
    if !e.is_empty() {
        return Err(e);
    }
    Ok(Reaction {
        kind: kind.expect("checked"),
        severity: severity.expect("checked"),
        onset: onset.expect("checked"),
        onset_at: onset_at.expect("checked"),
        treatment: treatment.expect("checked"),
        outcome: outcome.expect("checked"),
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz() -> Tz {
        "America/Chicago".parse().unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn whole_blood() -> CollectionInput {
        CollectionInput {
            phlebotomist: "Demo Collector".into(),
            started_at: "2026-12-04T09:05".into(),
            ended_at: "2026-12-04T09:14".into(),
            volume_ml: "480".into(),
            outcome: "complete".into(),
            bag_set_lot: "BS2611-07".into(),
            bag_set_expires_on: "2027-06-30".into(),
            anticoagulant: "CPD".into(),
            anticoagulant_lot: "AC2610-11".into(),
            anticoagulant_expires_on: "2027-03-31".into(),
            additive_solution: "AS-1".into(),
            ..Default::default()
        }
    }

    const COLLECTED: &str = "2026-12-04T15:00:00Z"; // 09:00 in Chicago
    const NOW: &str = "2026-12-04T18:00:00Z";

    #[test]
    fn a_whole_blood_record_reads_in_the_sites_time() {
        let r = check_collection(&whole_blood(), DonationProcedure::WholeBlood, at(COLLECTED), at(NOW), tz()).unwrap();
        assert_eq!(r.started_at, at("2026-12-04T15:05:00Z"));
        assert_eq!((r.volume_ml, r.outcome, r.additive_solution.as_deref()), (480, CollectionOutcome::Complete, Some("AS-1")));
    }

    #[test]
    fn an_expired_lot_is_refused_naming_it() {
        let mut i = whole_blood();
        i.bag_set_expires_on = "2026-12-03".into();
        let e = check_collection(&i, DonationProcedure::WholeBlood, at(COLLECTED), at(NOW), tz()).unwrap_err();
        assert_eq!(e.message_for("bag_set_expires_on"), Some("bag set lot BS2611-07 expired on 2026-12-03; use an in-date bag set"));
        // Expiring on the day of collection is still in date.
        i.bag_set_expires_on = "2026-12-04".into();
        assert!(check_collection(&i, DonationProcedure::WholeBlood, at(COLLECTED), at(NOW), tz()).is_ok());
    }

    #[test]
    fn every_mistake_is_named_at_once() {
        let i = CollectionInput {
            started_at: "2026-12-04T10:00".into(),
            ended_at: "2026-12-04T09:00".into(),
            volume_ml: "lots".into(),
            outcome: "stopped".into(),
            anticoagulant: "heparin".into(),
            additive_solution: "AS-9".into(),
            device_type: "Trima".into(),
            platelet_units: "2".into(),
            concurrent_products: vec!["plasma".into()],
            ..whole_blood()
        };
        let e = check_collection(&i, DonationProcedure::WholeBlood, at(COLLECTED), at(NOW), tz()).unwrap_err();
        for f in
            ["ended_at", "volume_ml", "stop_reason", "anticoagulant", "additive_solution", "device_type", "platelet_units", "concurrent_products"]
        {
            assert!(e.message_for(f).is_some(), "{f}: {e}");
        }
    }

    #[test]
    fn apheresis_names_its_device_and_platelet_units() {
        let mut i = whole_blood();
        i.additive_solution.clear();
        i.anticoagulant = "ACD-A".into();
        let e = check_collection(&i, DonationProcedure::Platelets, at(COLLECTED), at(NOW), tz()).unwrap_err();
        assert!(e.message_for("device_type").is_some() && e.message_for("device_serial").is_some() && e.message_for("platelet_units").is_some());
        i.device_type = "Trima Accel".into();
        i.device_serial = "1T0042".into();
        i.platelet_units = "2".into();
        i.concurrent_products = vec!["plasma".into(), "plasma".into()];
        let r = check_collection(&i, DonationProcedure::Platelets, at(COLLECTED), at(NOW), tz()).unwrap();
        assert_eq!((r.platelet_units, r.concurrent_products.clone()), (Some(2), vec!["plasma".to_string()]));
        i.platelet_units = "4".into();
        assert!(check_collection(&i, DonationProcedure::Platelets, at(COLLECTED), at(NOW), tz()).is_err());
    }

    #[test]
    fn times_stay_on_the_donation_day_and_in_the_past() {
        let mut i = whole_blood();
        i.started_at = "2026-12-03T09:05".into();
        assert!(check_collection(&i, DonationProcedure::WholeBlood, at(COLLECTED), at(NOW), tz()).unwrap_err().message_for("started_at").is_some());
        let mut i = whole_blood();
        i.ended_at = "2026-12-04T23:00".into();
        assert!(check_collection(&i, DonationProcedure::WholeBlood, at(COLLECTED), at(NOW), tz()).unwrap_err().message_for("ended_at").is_some());
        // An offset given explicitly is taken as given.
        let mut i = whole_blood();
        i.started_at = "2026-12-04T15:05:00Z".into();
        assert!(check_collection(&i, DonationProcedure::WholeBlood, at(COLLECTED), at(NOW), tz()).is_ok());
    }

    #[test]
    fn reactions_are_checked_by_field() {
        let ok = ReactionInput {
            kind: "vasovagal".into(),
            severity: "severe".into(),
            onset: "after_at_site".into(),
            onset_at: "2026-12-04T09:20".into(),
            treatment: "legs raised, fluids".into(),
            outcome: "recovered at the site".into(),
            note: String::new(),
        };
        let r = check_reaction(&ok, at(COLLECTED), at(NOW), tz()).unwrap();
        assert_eq!((r.kind.as_str(), r.severity.as_str()), ("vasovagal", "severe"));
        let bad = ReactionInput { kind: "other".into(), severity: "awful".into(), onset_at: "2026-12-05T09:20".into(), treatment: " ".into(), ..ok };
        let e = check_reaction(&bad, at(COLLECTED), at(NOW), tz()).unwrap_err();
        for f in ["severity", "onset_at", "treatment", "note"] {
            assert!(e.message_for(f).is_some(), "{f}: {e}");
        }
    }
}
