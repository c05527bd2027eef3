//! Appointments: when a site (opening hours per weekday) or a mobile drive (a dated
//! session) takes donors, in slots of a fixed length, with a capacity per slot for
//! each kind of resource: donor chairs (whole blood) and apheresis machines.

use crate::{DonationProcedure, FieldError, FieldErrors};
use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

/// Where an appointment stands. Only a booked one can change, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Booked,
    Cancelled,
    Attended,
    NoShow,
}

impl AppointmentStatus {
    pub const ALL: [AppointmentStatus; 4] = [Self::Booked, Self::Cancelled, Self::Attended, Self::NoShow];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Cancelled => "cancelled",
            Self::Attended => "attended",
            Self::NoShow => "no_show",
        }
    }

    /// The word staff and donors read ("no-show").
    pub fn words(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Cancelled => "cancelled",
            Self::Attended => "attended",
            Self::NoShow => "no-show",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| FieldError::new("status", format!("'{s}' is not booked, cancelled, attended or no_show")))
    }
}

impl TryFrom<String> for AppointmentStatus {
    type Error = FieldError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

/// What a procedure occupies for the length of a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// A donor chair: whole blood.
    Chair,
    /// An apheresis machine: double red cells, platelets, plasma, source plasma.
    Machine,
}

impl Resource {
    pub const ALL: [Resource; 2] = [Resource::Chair, Resource::Machine];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Chair => "chair",
            Resource::Machine => "machine",
        }
    }

    pub fn parse(s: &str) -> Option<Resource> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The resource a procedure needs; `None` for procedures not booked as
    /// appointments (autologous collections are arranged with the physician).
    pub fn for_procedure(p: DonationProcedure) -> Option<Resource> {
        match p {
            DonationProcedure::WholeBlood => Some(Resource::Chair),
            DonationProcedure::DoubleRedCells | DonationProcedure::Platelets | DonationProcedure::Plasma | DonationProcedure::SourcePlasma => {
                Some(Resource::Machine)
            }
            DonationProcedure::Autologous => None,
        }
    }
}

/// Procedures a donor can book.
pub const BOOKABLE: [DonationProcedure; 5] = [
    DonationProcedure::WholeBlood,
    DonationProcedure::DoubleRedCells,
    DonationProcedure::Platelets,
    DonationProcedure::Plasma,
    DonationProcedure::SourcePlasma,
];

/// How a procedure is called on screen and in emails.
pub fn procedure_title(p: DonationProcedure) -> &'static str {
    match p {
        DonationProcedure::WholeBlood => "Whole blood",
        DonationProcedure::DoubleRedCells => "Double red cells",
        DonationProcedure::Platelets => "Platelets (apheresis)",
        DonationProcedure::Plasma => "Plasma (apheresis)",
        DonationProcedure::SourcePlasma => "Source plasma",
        DonationProcedure::Autologous => "Autologous",
    }
}

/// Slot lengths a schedule may use, in minutes.
pub const SLOT_MINUTES: [u32; 5] = [10, 15, 20, 30, 60];
/// More than this many chairs or machines at one site is surely a typing error.
pub const MAX_RESOURCES: u32 = 200;

/// The resources of a site or drive and how its day is cut into slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    pub slot_minutes: u32,
    pub chairs: u32,
    pub machines: u32,
}

impl Capacity {
    pub fn of(&self, r: Resource) -> u32 {
        match r {
            Resource::Chair => self.chairs,
            Resource::Machine => self.machines,
        }
    }

    fn validate(slot_minutes: i64, chairs: i64, machines: i64, errors: &mut Vec<FieldError>) -> Capacity {
        if !SLOT_MINUTES.iter().any(|m| i64::from(*m) == slot_minutes) {
            errors.push(FieldError::new("slot_minutes", "slot length must be 10, 15, 20, 30 or 60 minutes"));
        }
        for (field, n) in [("chairs", chairs), ("machines", machines)] {
            if !(0..=i64::from(MAX_RESOURCES)).contains(&n) {
                errors.push(FieldError::new(field, format!("must be between 0 and {MAX_RESOURCES}")));
            }
        }
        if chairs == 0 && machines == 0 {
            errors.push(FieldError::new("chairs", "a schedule needs at least one chair or apheresis machine"));
        }
        Capacity { slot_minutes: slot_minutes.clamp(0, 60) as u32, chairs: chairs.clamp(0, 200) as u32, machines: machines.clamp(0, 200) as u32 }
    }
}

/// Opening hours on one weekday (1 = Monday … 7 = Sunday), local time of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    pub weekday: u32,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

/// Opening hours as people type them: `{"day": "mon", "opens": "08:00", "closes": "16:00"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HoursInput {
    pub day: String,
    pub opens: String,
    pub closes: String,
}

/// A fixed site's weekly schedule as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub slot_minutes: i64,
    pub chairs: i64,
    pub machines: i64,
    pub hours: Vec<HoursInput>,
    /// Why the schedule changes (kept with the version).
    #[serde(default)]
    pub reason: String,
}

/// A fixed site's weekly schedule, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklySchedule {
    pub capacity: Capacity,
    pub hours: Vec<OpeningHours>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub fn day_name(weekday: u32) -> &'static str {
    DAYS.get(weekday.saturating_sub(1) as usize).copied().unwrap_or("?")
}

fn parse_day(s: &str) -> Option<u32> {
    const FULL: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let s = s.trim().to_ascii_lowercase();
    DAYS.iter().zip(FULL).position(|(short, full)| s == *short || s == full).map(|i| i as u32 + 1)
}

pub fn parse_time(field: &'static str, s: &str) -> Result<NaiveTime, FieldError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| FieldError::new(field, format!("'{s}' is not a time of day (HH:MM)")))
}

fn check_span(field: &'static str, opens: NaiveTime, closes: NaiveTime, slot: u32, errors: &mut Vec<FieldError>) {
    if closes <= opens {
        errors.push(FieldError::new(field, format!("closes ({}) must be after opens ({})", closes.format("%H:%M"), opens.format("%H:%M"))));
    } else if slot > 0 && (closes - opens).num_minutes() < i64::from(slot) {
        errors.push(FieldError::new(field, "open for less than one slot"));
    }
}

impl ScheduleInput {
    pub fn validate(&self) -> Result<(WeeklySchedule, String), FieldErrors> {
        let mut errors = Vec::new();
        let capacity = Capacity::validate(self.slot_minutes, self.chairs, self.machines, &mut errors);
        let mut hours = Vec::new();
        for h in &self.hours {
            let field = "hours";
            let Some(weekday) = parse_day(&h.day) else {
                errors.push(FieldError::new(field, format!("'{}' is not a weekday; use mon, tue, wed, thu, fri, sat or sun", h.day)));
                continue;
            };
            match (parse_time(field, &h.opens), parse_time(field, &h.closes)) {
                (Ok(opens), Ok(closes)) => {
                    check_span(field, opens, closes, capacity.slot_minutes, &mut errors);
                    if hours.iter().any(|x: &OpeningHours| x.weekday == weekday) {
                        errors.push(FieldError::new(field, format!("{} is listed twice", day_name(weekday))));
                    }
                    hours.push(OpeningHours { weekday, opens, closes });
                }
                (Err(e), _) | (_, Err(e)) => errors.push(e),
            }
        }
        let reason = self.reason.trim().to_string();
        if reason.is_empty() {
            errors.push(FieldError::new("reason", "say why the schedule changes"));
        }
        if !errors.is_empty() {
            return Err(FieldErrors(errors));
        }
        hours.sort_by_key(|h| h.weekday);
        Ok((WeeklySchedule { capacity, hours }, reason))
    }
}

impl WeeklySchedule {
    pub fn hours_on(&self, date: NaiveDate) -> Option<(NaiveTime, NaiveTime)> {
        let wd = date.weekday().number_from_monday();
        self.hours.iter().find(|h| h.weekday == wd).map(|h| (h.opens, h.closes))
    }

    /// `mon 08:00-16:00` lines, the form the UI edits.
    pub fn hours_text(&self) -> String {
        self.hours
            .iter()
            .map(|h| format!("{} {}-{}", day_name(h.weekday), h.opens.format("%H:%M"), h.closes.format("%H:%M")))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Reads `mon 08:00-16:00` lines (also `mon-fri 08:00-16:00`) into hours input.
pub fn parse_hours_text(text: &str) -> Result<Vec<HoursInput>, FieldError> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let bad = || FieldError::new("hours", format!("'{line}': write a day (or range like mon-fri) and HH:MM-HH:MM"));
        let (days, span) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
        let (opens, closes) = span.trim().split_once('-').ok_or_else(bad)?;
        let (first, last) = days.split_once('-').unwrap_or((days, days));
        let (a, b) = (parse_day(first).ok_or_else(bad)?, parse_day(last).ok_or_else(bad)?);
        if b < a {
            return Err(bad());
        }
        for d in a..=b {
            out.push(HoursInput { day: day_name(d).into(), opens: opens.trim().into(), closes: closes.trim().into() });
        }
    }
    Ok(out)
}

/// A mobile drive: one session of a mobile site on a date, at a location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DriveInput {
    pub date: String,
    pub opens: String,
    pub closes: String,
    pub location: String,
    pub slot_minutes: i64,
    pub chairs: i64,
    #[serde(default)]
    pub machines: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriveFields {
    pub date: NaiveDate,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    pub location: String,
    pub capacity: Capacity,
}

impl DriveInput {
    /// Checked against `today`: a drive is planned for today or later.
    pub fn validate(&self, today: NaiveDate) -> Result<DriveFields, FieldErrors> {
        let mut errors = Vec::new();
        let capacity = Capacity::validate(self.slot_minutes, self.chairs, self.machines, &mut errors);
        let date = NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d")
            .map_err(|_| FieldError::new("date", format!("'{}' is not a date (YYYY-MM-DD)", self.date)));
        match &date {
            Ok(d) if *d < today => errors.push(FieldError::new("date", "a drive cannot be planned in the past")),
            Err(e) => errors.push(e.clone()),
            _ => {}
        }
        let opens = parse_time("opens", &self.opens);
        let closes = parse_time("closes", &self.closes);
        match (&opens, &closes) {
            (Ok(o), Ok(c)) => check_span("closes", *o, *c, capacity.slot_minutes, &mut errors),
            (Err(e), _) | (_, Err(e)) => errors.push(e.clone()),
        }
        let location = self.location.trim().to_string();
        if location.is_empty() {
            errors.push(FieldError::new("location", "where does the drive take place?"));
        }
        match (errors.is_empty(), date, opens, closes) {
            (true, Ok(date), Ok(opens), Ok(closes)) => Ok(DriveFields { date, opens, closes, location, capacity }),
            _ => Err(FieldErrors(errors)),
        }
    }
}

/// The slot starts of a day open from `opens` to `closes`: whole slots only.
pub fn slot_starts(opens: NaiveTime, closes: NaiveTime, slot_minutes: u32) -> Vec<NaiveTime> {
    let mut out = Vec::new();
    if slot_minutes == 0 {
        return out;
    }
    let step = chrono::Duration::minutes(i64::from(slot_minutes));
    let mut t = opens;
    while t < closes && (closes - t) >= step {
        out.push(t);
        t += step;
    }
    out
}

/// The first weekday name of a date, for pages and emails.
pub fn weekday_name(d: NaiveDate) -> &'static str {
    match d.weekday() {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    #[test]
    fn slots_are_whole_and_inside_the_hours() {
        assert_eq!(slot_starts(t("08:00"), t("09:00"), 15), vec![t("08:00"), t("08:15"), t("08:30"), t("08:45")]);
        assert_eq!(slot_starts(t("08:00"), t("08:50"), 30), vec![t("08:00")]);
        assert!(slot_starts(t("08:00"), t("08:10"), 15).is_empty());
    }

    #[test]
    fn schedule_input_is_checked_field_by_field() {
        let ok = ScheduleInput {
            slot_minutes: 15,
            chairs: 4,
            machines: 2,
            hours: vec![HoursInput { day: "Monday".into(), opens: "08:00".into(), closes: "16:00".into() }],
            reason: "opening".into(),
        };
        let (s, _) = ok.validate().unwrap();
        assert_eq!(s.hours_on(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()), Some((t("08:00"), t("16:00"))));
        assert_eq!(s.hours_on(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()), None);
        let bad = ScheduleInput {
            slot_minutes: 7,
            chairs: 0,
            machines: 0,
            hours: vec![
                HoursInput { day: "funday".into(), opens: "08:00".into(), closes: "16:00".into() },
                HoursInput { day: "tue".into(), opens: "16:00".into(), closes: "08:00".into() },
            ],
            reason: " ".into(),
        };
        let errors = bad.validate().unwrap_err().0;
        assert_eq!(errors.iter().filter(|e| e.field == "hours").count(), 2, "{errors:?}");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_ref()).collect();
        for f in ["slot_minutes", "chairs", "reason"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }

    #[test]
    fn hours_text_round_trips_and_expands_ranges() {
        let h = parse_hours_text("mon-wed 08:00-16:00\nsat 09:00-12:30").unwrap();
        assert_eq!(h.len(), 4);
        assert_eq!(h[3], HoursInput { day: "sat".into(), opens: "09:00".into(), closes: "12:30".into() });
        assert!(parse_hours_text("someday 8-9").is_err());
        assert!(parse_hours_text("fri-mon 08:00-09:00").is_err());
    }

    #[test]
    fn procedures_map_to_resources() {
        assert_eq!(Resource::for_procedure(DonationProcedure::WholeBlood), Some(Resource::Chair));
        assert_eq!(Resource::for_procedure(DonationProcedure::Platelets), Some(Resource::Machine));
        assert_eq!(Resource::for_procedure(DonationProcedure::Autologous), None);
    }

    #[test]
    fn drives_are_not_planned_in_the_past() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let d = DriveInput {
            date: "2026-11-24".into(),
            opens: "09:00".into(),
            closes: "13:00".into(),
            location: "Town hall".into(),
            slot_minutes: 30,
            chairs: 4,
            machines: 0,
        };
        assert!(d.validate(today).is_err());
        let ok = DriveInput { date: "2026-12-01".into(), ..d };
        assert_eq!(ok.validate(today).unwrap().capacity.chairs, 4);
    }
}
