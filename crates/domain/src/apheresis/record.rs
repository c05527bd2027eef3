//! The procedure record a nurse keeps at the bedside: when it ran, the volumes
//! processed and removed, the replacement fluids given (plasma units are scanned
//! separately), vitals before and after, adverse events and a note. Checked as typed;
//! a signed record is only amended, field by field with the reason.

use crate::{FieldError, FieldErrors};
use chrono::NaiveDateTime;
use serde::Deserialize;

/// Bounds that refuse typing slips (a volume in litres, an extra zero), not clinical limits.
pub const PROCESSED_ML: (i64, i64) = (0, 30_000);
pub const REMOVED_ML: (i64, i64) = (0, 15_000);
pub const FLUID_ML: (i64, i64) = (0, 15_000);
/// The longest procedure a record holds.
pub const MAX_HOURS: i64 = 12;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    /// Local date and time, YYYY-MM-DDTHH:MM.
    pub started_at: String,
    pub ended_at: String,
    pub processed_ml: i64,
    pub removed_ml: i64,
    #[serde(default)]
    pub albumin_ml: i64,
    #[serde(default)]
    pub saline_ml: i64,
    /// e.g. "BP 122/78, pulse 76, SpO2 98 %"
    pub vitals_before: String,
    pub vitals_after: String,
    /// Empty: none.
    #[serde(default)]
    pub adverse_events: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordFields {
    pub started_at: NaiveDateTime,
    pub ended_at: NaiveDateTime,
    pub processed_ml: i64,
    pub removed_ml: i64,
    pub albumin_ml: i64,
    pub saline_ml: i64,
    pub vitals_before: String,
    pub vitals_after: String,
    pub adverse_events: String,
    pub note: String,
}

/// The fields a signed record's amendment may change, and what each holds.
pub const AMENDABLE: [(&str, &str); 10] = [
    ("started_at", "start (YYYY-MM-DDTHH:MM)"),
    ("ended_at", "end (YYYY-MM-DDTHH:MM)"),
    ("processed_ml", "volume processed, mL"),
    ("removed_ml", "volume removed, mL"),
    ("albumin_ml", "5 % albumin given, mL"),
    ("saline_ml", "saline given, mL"),
    ("vitals_before", "vitals before"),
    ("vitals_after", "vitals after"),
    ("adverse_events", "adverse events"),
    ("note", "note"),
];

pub fn parse_local(field: &'static str, s: &str) -> Result<NaiveDateTime, FieldError> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M")
        .map_err(|_| FieldError::new(field, format!("'{}' is not a local date and time (YYYY-MM-DDTHH:MM)", s.trim())))
}

fn volume(e: &mut FieldErrors, field: &'static str, v: i64, (lo, hi): (i64, i64)) {
    if !(lo..=hi).contains(&v) {
        e.0.push(FieldError::new(field, format!("give the volume in mL, {lo} to {hi}")));
    }
}

fn text(e: &mut FieldErrors, field: &'static str, v: &str, required: bool) -> String {
    let t = v.trim();
    if required && t.is_empty() {
        e.0.push(FieldError::new(field, "is required"));
    } else if t.chars().count() > 2000 {
        e.0.push(FieldError::new(field, "is longer than 2000 characters"));
    }
    t.to_string()
}

impl RecordInput {
    pub fn validate(&self) -> Result<RecordFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let start = e.take(parse_local("started_at", &self.started_at));
        let end = e.take(parse_local("ended_at", &self.ended_at));
        if let (Some(s), Some(en)) = (start, end) {
            if en <= s {
                e.0.push(FieldError::new("ended_at", "the procedure must end after it starts"));
            } else if (en - s).num_hours() >= MAX_HOURS {
                e.0.push(FieldError::new("ended_at", format!("a procedure of {MAX_HOURS} hours or more is not one procedure")));
            }
        }
        volume(&mut e, "processed_ml", self.processed_ml, PROCESSED_ML);
        volume(&mut e, "removed_ml", self.removed_ml, REMOVED_ML);
        volume(&mut e, "albumin_ml", self.albumin_ml, FLUID_ML);
        volume(&mut e, "saline_ml", self.saline_ml, FLUID_ML);
        let vitals_before = text(&mut e, "vitals_before", &self.vitals_before, true);
        let vitals_after = text(&mut e, "vitals_after", &self.vitals_after, true);
        let adverse_events = text(&mut e, "adverse_events", &self.adverse_events, false);
        let note = text(&mut e, "note", &self.note, false);
        if !e.is_empty() {
            return Err(e);
        }
        Ok(RecordFields {
            started_at: start.expect("checked"),
            ended_at: end.expect("checked"),
            processed_ml: self.processed_ml,
            removed_ml: self.removed_ml,
            albumin_ml: self.albumin_ml,
            saline_ml: self.saline_ml,
            vitals_before,
            vitals_after,
            adverse_events,
            note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> RecordInput {
        RecordInput {
            started_at: "2026-12-07T07:35".into(),
            ended_at: "2026-12-07T09:40".into(),
            processed_ml: 6200,
            removed_ml: 2300,
            albumin_ml: 0,
            saline_ml: 0,
            vitals_before: "BP 124/78, pulse 80".into(),
            vitals_after: "BP 118/74, pulse 76".into(),
            adverse_events: String::new(),
            note: "10 units of plasma".into(),
        }
    }

    #[test]
    fn a_complete_record_passes() {
        let f = good().validate().unwrap();
        assert_eq!((f.ended_at - f.started_at).num_minutes(), 125);
    }

    #[test]
    fn slips_are_refused_field_by_field() {
        let r = RecordInput { ended_at: "2026-12-07T07:00".into(), processed_ml: 62_000, removed_ml: -1, vitals_after: " ".into(), ..good() };
        let e = r.validate().unwrap_err();
        for f in ["ended_at", "processed_ml", "removed_ml", "vitals_after"] {
            assert!(e.message_for(f).is_some(), "{f}: {e}");
        }
        let long = RecordInput { ended_at: "2026-12-07T20:00".into(), ..good() };
        assert!(long.validate().unwrap_err().message_for("ended_at").unwrap().contains("12 hours"));
    }
}
