//! Conflict-free booking of nurses and devices at hospitals, in the facility's local
//! time.
//!
//! A nurse and a device are in one place at a time: between two bookings there must be
//! at least the travel time between their places; the first booking of a day leaves
//! time to travel from the nurse's home base after the working day starts, the last
//! leaves time to travel back before it ends. Emergent requests go to the nurse on call,
//! whose day has no hours. A nurse needs a certification for the procedure that has not
//! expired on the day; a device must be of a type the procedure runs on and not past
//! its maintenance due date. A treatment series is booked whole or not at all.

use super::catalog::{DeviceType, Procedure};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Weekday};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Bookings start on the quarter hour.
pub const STEP_MINUTES: i64 = 15;
/// How many days a series' first treatment may move past the day asked for.
pub const FIRST_DAY_SLACK: i64 = 7;

/// Travel minutes between places (hospital or site codes), the same both ways.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TravelTimes(BTreeMap<(String, String), i64>);

impl TravelTimes {
    fn key(a: &str, b: &str) -> (String, String) {
        if a <= b {
            (a.to_string(), b.to_string())
        } else {
            (b.to_string(), a.to_string())
        }
    }

    pub fn insert(&mut self, a: &str, b: &str, minutes: i64) {
        self.0.insert(Self::key(a, b), minutes);
    }

    /// None when no time is recorded between two different places.
    pub fn minutes(&self, a: &str, b: &str) -> Option<i64> {
        if a == b {
            return Some(0);
        }
        self.0.get(&Self::key(a, b)).copied()
    }
}

/// Something already in a nurse's or a device's calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    pub place: String,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// Where and when a treatment would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub place: String,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certification {
    pub procedure: Procedure,
    pub expires_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NurseCalendar {
    pub id: Uuid,
    pub name: String,
    /// The site code the nurse starts from.
    pub home: String,
    pub weekdays: Vec<Weekday>,
    pub day_start: NaiveTime,
    pub day_end: NaiveTime,
    pub certifications: Vec<Certification>,
    pub on_call: Vec<NaiveDate>,
    pub bookings: Vec<Booked>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCalendar {
    pub id: Uuid,
    /// How staff tell it apart (its name and serial).
    pub label: String,
    pub device_type: DeviceType,
    pub maintenance_due: NaiveDate,
    pub bookings: Vec<Booked>,
}

fn hm(t: NaiveDateTime) -> String {
    t.format("%H:%M").to_string()
}

fn day_text(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

/// Why this slot clashes with a calendar, if it does: an overlap, or too little time to
/// travel from the booking before or to the booking after.
pub fn clash(bookings: &[Booked], slot: &Slot, travel: &TravelTimes) -> Option<String> {
    if let Some(b) = bookings.iter().find(|b| b.start < slot.end && slot.start < b.end) {
        return Some(format!("booked at {} from {} to {} on {}", b.place, hm(b.start), hm(b.end), day_text(b.start.date())));
    }
    let before = bookings.iter().filter(|b| b.end <= slot.start).max_by_key(|b| b.end);
    if let Some(b) = before {
        match travel.minutes(&b.place, &slot.place) {
            None => return Some(format!("no travel time from {} to {} is recorded", b.place, slot.place)),
            Some(m) if b.end + Duration::minutes(m) > slot.start => {
                return Some(format!("at {} until {} and {m} min away from {}", b.place, hm(b.end), slot.place));
            }
            _ => {}
        }
    }
    let after = bookings.iter().filter(|b| b.start >= slot.end).min_by_key(|b| b.start);
    if let Some(b) = after {
        match travel.minutes(&slot.place, &b.place) {
            None => return Some(format!("no travel time from {} to {} is recorded", slot.place, b.place)),
            Some(m) if slot.end + Duration::minutes(m) > b.start => {
                return Some(format!("due at {} at {}, {m} min away from {}", b.place, hm(b.start), slot.place));
            }
            _ => {}
        }
    }
    None
}

impl NurseCalendar {
    /// The certification for a procedure on a day: why not, if not.
    pub fn certified(&self, procedure: Procedure, on: NaiveDate) -> Result<(), String> {
        let best = self.certifications.iter().filter(|c| c.procedure == procedure).map(|c| c.expires_on).max();
        match best {
            None => Err(format!("{} is not certified for {}", self.name, procedure.title().to_lowercase())),
            Some(d) if d < on => Err(format!("{}'s certification for {} expired on {}", self.name, procedure.title().to_lowercase(), day_text(d))),
            _ => Ok(()),
        }
    }

    /// Why this nurse cannot take the slot, if they cannot. On call, the working hours
    /// give way to the on-call day.
    pub fn refusal(&self, procedure: Procedure, slot: &Slot, on_call: bool, travel: &TravelTimes) -> Option<String> {
        let day = slot.start.date();
        if let Err(why) = self.certified(procedure, day) {
            return Some(why);
        }
        if on_call {
            if !self.on_call.contains(&day) {
                return Some(format!("{} is not on call on {}", self.name, day_text(day)));
            }
        } else {
            if !self.weekdays.contains(&day.weekday()) {
                return Some(format!("{} does not work on {}s", self.name, day.weekday()));
            }
            let Some(out) = travel.minutes(&self.home, &slot.place) else {
                return Some(format!("no travel time from {} to {} is recorded", self.home, slot.place));
            };
            let back = travel.minutes(&slot.place, &self.home).unwrap_or(out);
            let first = day.and_time(self.day_start) + Duration::minutes(out);
            let last = day.and_time(self.day_end) - Duration::minutes(back);
            if slot.start < first || slot.end > last {
                return Some(format!(
                    "{} works {}–{} and is {out} min from {}: the treatment must fall between {} and {}",
                    self.name,
                    self.day_start.format("%H:%M"),
                    self.day_end.format("%H:%M"),
                    slot.place,
                    hm(first),
                    hm(last)
                ));
            }
        }
        clash(&self.bookings, slot, travel).map(|why| format!("{} is {why}", self.name))
    }
}

impl DeviceCalendar {
    pub fn refusal(&self, procedure: Procedure, slot: &Slot, travel: &TravelTimes) -> Option<String> {
        if !procedure.device_types().contains(&self.device_type) {
            return Some(format!(
                "{} is a {} and cannot run {}",
                self.label,
                self.device_type.title().to_lowercase(),
                procedure.title().to_lowercase()
            ));
        }
        let last_day = slot.end.date();
        if self.maintenance_due < last_day {
            return Some(format!(
                "{} was due for maintenance on {} and cannot be scheduled until it is serviced",
                self.label,
                day_text(self.maintenance_due)
            ));
        }
        clash(&self.bookings, slot, travel).map(|why| format!("{} is {why}", self.label))
    }
}

/// A series to book: one treatment every `every_days` from the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRequest {
    pub procedure: Procedure,
    pub place: String,
    pub treatments: i64,
    pub every_days: i64,
    pub minutes: i64,
    /// The first treatment goes to the nurse on call, at any hour.
    pub emergent: bool,
    /// Nothing starts before this.
    pub earliest: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placed {
    /// 1 for the first treatment.
    pub seq: i64,
    pub nurse_id: Uuid,
    pub device_id: Uuid,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

fn round_up(t: NaiveDateTime) -> NaiveDateTime {
    let m = i64::from(t.minute()) % STEP_MINUTES;
    let t = t.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(t);
    if m == 0 && t.second() == 0 {
        t
    } else {
        t + Duration::minutes(STEP_MINUTES - m)
    }
}

/// Books one treatment on its day: the earliest quarter hour a nurse and a device can
/// both take, the nurse and device of the treatment before preferred.
fn place_one(
    req: &SeriesRequest,
    day: NaiveDate,
    from: NaiveDateTime,
    on_call: bool,
    prefer: Option<(Uuid, Uuid)>,
    (nurses, devices): (&[NurseCalendar], &[DeviceCalendar]),
    travel: &TravelTimes,
) -> Result<(usize, usize, Slot), String> {
    let mut order_n: Vec<usize> = (0..nurses.len()).collect();
    let mut order_d: Vec<usize> = (0..devices.len()).collect();
    if let Some((n, d)) = prefer {
        order_n.sort_by_key(|&i| nurses[i].id != n);
        order_d.sort_by_key(|&i| devices[i].id != d);
    }
    let mut t = round_up(from.max(day.and_time(NaiveTime::MIN)));
    let day_end = day.and_time(NaiveTime::MIN) + Duration::days(1);
    let mut last_nurse_refusal = None;
    let mut last_device_refusal = None;
    while t < day_end {
        let slot = Slot { place: req.place.clone(), start: t, end: t + Duration::minutes(req.minutes) };
        for &n in &order_n {
            // Called out, a nurse still has to get there from base.
            if on_call && travel.minutes(&nurses[n].home, &slot.place).is_some_and(|m| from + Duration::minutes(m) > slot.start) {
                continue;
            }
            // An emergent treatment goes to the nurse on call at any hour, or to a nurse
            // working then if one can start sooner (the one on call may be busy or not
            // certified for it).
            let refusal = match nurses[n].refusal(req.procedure, &slot, on_call, travel) {
                Some(why) if on_call => nurses[n].refusal(req.procedure, &slot, false, travel).map(|_| why),
                other => other,
            };
            match refusal {
                Some(why) => last_nurse_refusal = Some(why),
                None => {
                    for &d in &order_d {
                        match devices[d].refusal(req.procedure, &slot, travel) {
                            Some(why) => last_device_refusal = Some(why),
                            None => return Ok((n, d, slot)),
                        }
                    }
                }
            }
        }
        t += Duration::minutes(STEP_MINUTES);
    }
    Err(explain(req, day, on_call, nurses, devices, last_nurse_refusal, last_device_refusal))
}

/// Why nothing fits a day, from the most general reason to the last one seen.
fn explain(
    req: &SeriesRequest,
    day: NaiveDate,
    on_call: bool,
    nurses: &[NurseCalendar],
    devices: &[DeviceCalendar],
    nurse_why: Option<String>,
    device_why: Option<String>,
) -> String {
    let what = req.procedure.title().to_lowercase();
    let certified = nurses.iter().filter(|n| n.certified(req.procedure, day).is_ok()).count();
    if certified == 0 {
        return format!("no nurse holds a valid certification for {what} on {}", day_text(day));
    }
    if on_call && !nurses.iter().any(|n| n.on_call.contains(&day) && n.certified(req.procedure, day).is_ok()) {
        return format!("no nurse certified for {what} is on call on {}", day_text(day));
    }
    let fit = devices.iter().filter(|d| req.procedure.device_types().contains(&d.device_type)).collect::<Vec<_>>();
    if fit.is_empty() {
        return format!("no device can run {what}");
    }
    if fit.iter().all(|d| d.maintenance_due < day) {
        return format!("every device that runs {what} is past its maintenance due date on {}", day_text(day));
    }
    match (nurse_why, device_why) {
        (_, Some(d)) => format!("no free device at a time a nurse is free on {}: {d}", day_text(day)),
        (Some(n), None) => format!("no certified nurse is free on {}: {n}", day_text(day)),
        (None, None) => format!("nothing fits on {}", day_text(day)),
    }
}

/// The hour from which the nurse on call takes a later treatment of an emergent series
/// on a day no working nurse can.
pub const FOLLOW_UP_ON_CALL_FROM: u32 = 8;

/// Books a whole series or says why it cannot: the first day may move up to
/// [`FIRST_DAY_SLACK`] days later (an emergent first treatment only past midnight, to
/// the next day's nurse on call), the rest keep their interval. The calendars given are
/// not changed.
pub fn propose_series(
    req: &SeriesRequest,
    nurses: &[NurseCalendar],
    devices: &[DeviceCalendar],
    travel: &TravelTimes,
) -> Result<Vec<Placed>, String> {
    // An emergent call late in the evening may run past midnight, to the next day's nurse
    // on call; a scheduled series may move up to a week.
    let slack = if req.emergent { 2 } else { FIRST_DAY_SLACK + 1 };
    let mut first_refusal = None;
    for shift in 0..slack {
        let mut nurses = nurses.to_vec();
        let mut devices = devices.to_vec();
        let first_day = req.earliest.date() + Duration::days(shift);
        let mut placed = vec![];
        let mut prefer = None;
        let mut failed = None;
        for k in 0..req.treatments {
            let day = first_day + Duration::days(k * req.every_days);
            let on_call = req.emergent && k == 0;
            let mut got = place_one(req, day, req.earliest, on_call, prefer, (&nurses, &devices), travel);
            // The rest of an emergent series keeps going on a day nobody works (a
            // weekend): the nurse on call takes it, from the morning.
            if req.emergent && k > 0 {
                let morning = day.and_time(NaiveTime::from_hms_opt(FOLLOW_UP_ON_CALL_FROM, 0, 0).unwrap_or(NaiveTime::MIN));
                got = got.or_else(|why| place_one(req, day, morning, true, prefer, (&nurses, &devices), travel).map_err(|_| why));
            }
            match got {
                Ok((n, d, slot)) => {
                    let b = Booked { place: slot.place.clone(), start: slot.start, end: slot.end };
                    nurses[n].bookings.push(b.clone());
                    devices[d].bookings.push(b);
                    prefer = Some((nurses[n].id, devices[d].id));
                    placed.push(Placed { seq: k + 1, nurse_id: nurses[n].id, device_id: devices[d].id, start: slot.start, end: slot.end });
                }
                Err(why) => {
                    failed = Some(format!("treatment {} of {}: {why}", k + 1, req.treatments));
                    break;
                }
            }
        }
        match failed {
            None => return Ok(placed),
            Some(why) => {
                first_refusal.get_or_insert(why);
            }
        }
    }
    Err(first_refusal.unwrap_or_else(|| "nothing to book".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(d: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap().and_hms_opt(h, m, 0).unwrap()
    }

    fn travel() -> TravelTimes {
        let mut t = TravelTimes::default();
        t.insert("BASE", "STM", 30);
        t.insert("BASE", "GEN", 45);
        t.insert("STM", "GEN", 40);
        t
    }

    fn nurse(name: &str) -> NurseCalendar {
        NurseCalendar {
            id: Uuid::new_v4(),
            name: name.into(),
            home: "BASE".into(),
            weekdays: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
            day_start: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
            day_end: NaiveTime::from_hms_opt(19, 0, 0).unwrap(),
            certifications: vec![Certification { procedure: Procedure::PlasmaExchange, expires_on: NaiveDate::from_ymd_opt(2027, 6, 30).unwrap() }],
            on_call: vec![],
            bookings: vec![],
        }
    }

    fn device(label: &str) -> DeviceCalendar {
        DeviceCalendar {
            id: Uuid::new_v4(),
            label: label.into(),
            device_type: DeviceType::Centrifugal,
            maintenance_due: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
            bookings: vec![],
        }
    }

    fn tpe(place: &str, treatments: i64, earliest: NaiveDateTime) -> SeriesRequest {
        SeriesRequest {
            procedure: Procedure::PlasmaExchange,
            place: place.into(),
            treatments,
            every_days: 1,
            minutes: 135,
            emergent: false,
            earliest,
        }
    }

    #[test]
    fn travel_between_bookings_counts_as_busy() {
        // 7 Dec 2026 is a Monday. Booked at STM 08:00-10:15; GEN is 40 min away.
        let b = vec![Booked { place: "STM".into(), start: at(7, 8, 0), end: at(7, 10, 15) }];
        let t = travel();
        let too_soon = Slot { place: "GEN".into(), start: at(7, 10, 45), end: at(7, 13, 0) };
        assert!(clash(&b, &too_soon, &t).unwrap().contains("40 min away"));
        let in_time = Slot { place: "GEN".into(), start: at(7, 10, 55), end: at(7, 13, 10) };
        assert_eq!(clash(&b, &in_time, &t), None);
        let same_place = Slot { place: "STM".into(), start: at(7, 10, 15), end: at(7, 12, 30) };
        assert_eq!(clash(&b, &same_place, &t), None);
        let overlap = Slot { place: "STM".into(), start: at(7, 9, 0), end: at(7, 11, 0) };
        assert!(clash(&b, &overlap, &t).unwrap().contains("booked at STM"));
        // Before a booking elsewhere: the travel there counts too.
        let before = Slot { place: "GEN".into(), start: at(7, 5, 30), end: at(7, 7, 45) };
        assert!(clash(&b, &before, &t).unwrap().contains("due at STM at 08:00"));
        let unknown = Slot { place: "FAR".into(), start: at(7, 14, 0), end: at(7, 16, 0) };
        assert!(clash(&b, &unknown, &t).unwrap().contains("no travel time"));
    }

    #[test]
    fn an_uncertified_or_expired_nurse_and_an_overdue_device_are_refused() {
        let t = travel();
        let slot = Slot { place: "STM".into(), start: at(7, 9, 0), end: at(7, 11, 15) };
        let mut n = nurse("Nurse Ames");
        assert_eq!(n.refusal(Procedure::PlasmaExchange, &slot, false, &t), None);
        assert!(n.refusal(Procedure::Photopheresis, &slot, false, &t).unwrap().contains("not certified"));
        n.certifications[0].expires_on = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert!(n.refusal(Procedure::PlasmaExchange, &slot, false, &t).unwrap().contains("expired on Sun 6 Dec 2026"));
        let mut d = device("Optia SN-1");
        assert_eq!(d.refusal(Procedure::PlasmaExchange, &slot, &t), None);
        d.maintenance_due = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert!(d.refusal(Procedure::PlasmaExchange, &slot, &t).unwrap().contains("due for maintenance"));
        d.maintenance_due = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(d.refusal(Procedure::PlasmaExchange, &slot, &t), None, "due on the day itself is not yet past due");
        assert!(d.refusal(Procedure::Photopheresis, &slot, &t).unwrap().contains("cannot run"));
    }

    #[test]
    fn working_hours_include_the_travel_from_and_to_the_home_base() {
        let t = travel();
        let n = nurse("Nurse Ames");
        // 07:00 start, 30 min to STM: 07:30 is the earliest; 19:00 end: back by 18:30.
        let early = Slot { place: "STM".into(), start: at(7, 7, 15), end: at(7, 9, 30) };
        assert!(n.refusal(Procedure::PlasmaExchange, &early, false, &t).unwrap().contains("between 07:30 and 18:30"));
        let late = Slot { place: "STM".into(), start: at(7, 16, 30), end: at(7, 18, 45) };
        assert!(n.refusal(Procedure::PlasmaExchange, &late, false, &t).is_some());
        let saturday = Slot { place: "STM".into(), start: at(12, 9, 0), end: at(12, 11, 15) };
        assert!(n.refusal(Procedure::PlasmaExchange, &saturday, false, &t).unwrap().contains("Sat"));
    }

    #[test]
    fn a_series_is_booked_whole_with_the_same_nurse_and_device() {
        let t = travel();
        let nurses = vec![nurse("Nurse Ames"), nurse("Nurse Brook")];
        let devices = vec![device("Optia SN-1"), device("Optia SN-2")];
        let placed = propose_series(&tpe("STM", 3, at(7, 0, 0)), &nurses, &devices, &t).unwrap();
        assert_eq!(placed.len(), 3);
        assert!(placed.iter().all(|p| p.nurse_id == placed[0].nurse_id && p.device_id == placed[0].device_id));
        assert_eq!(placed[0].start, at(7, 7, 30));
        assert_eq!(placed[2].start, at(9, 7, 30));
        // A second series at GEN the same days goes to the other nurse or later.
        let mut nurses2 = nurses.clone();
        let mut devices2 = devices.clone();
        for p in &placed {
            let b = Booked { place: "STM".into(), start: p.start, end: p.end };
            nurses2.iter_mut().find(|n| n.id == p.nurse_id).unwrap().bookings.push(b.clone());
            devices2.iter_mut().find(|d| d.id == p.device_id).unwrap().bookings.push(b);
        }
        let second = propose_series(&tpe("GEN", 3, at(7, 0, 0)), &nurses2, &devices2, &t).unwrap();
        for (a, b) in placed.iter().zip(&second) {
            assert!(a.nurse_id != b.nurse_id || a.end + Duration::minutes(40) <= b.start);
            assert!(a.device_id != b.device_id || a.end + Duration::minutes(40) <= b.start);
        }
    }

    #[test]
    fn a_series_that_cannot_be_booked_whole_says_which_treatment_and_why() {
        let t = travel();
        let mut n = nurse("Nurse Ames");
        // The certification runs out on the third day of a daily series starting Monday.
        n.certifications[0].expires_on = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let why = propose_series(&tpe("STM", 3, at(7, 0, 0)), &[n.clone()], &[device("Optia SN-1")], &t).unwrap_err();
        assert!(why.starts_with("treatment 3 of 3"), "{why}");
        assert!(why.contains("certification"), "{why}");
        let overdue = DeviceCalendar { maintenance_due: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), ..device("Optia SN-1") };
        n.certifications[0].expires_on = NaiveDate::from_ymd_opt(2027, 12, 8).unwrap();
        let why = propose_series(&tpe("STM", 1, at(7, 0, 0)), &[n], &[overdue], &t).unwrap_err();
        assert!(why.contains("maintenance"), "{why}");
    }

    #[test]
    fn an_emergent_first_treatment_goes_to_the_nurse_on_call_at_night() {
        let t = travel();
        let day_nurse = nurse("Nurse Ames");
        let mut on_call = nurse("Nurse Brook");
        on_call.on_call = vec![NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()];
        let req = SeriesRequest { emergent: true, ..tpe("STM", 2, at(7, 21, 10)) };
        let placed = propose_series(&req, &[day_nurse.clone(), on_call.clone()], &[device("Optia SN-1")], &t).unwrap();
        assert_eq!(placed[0].nurse_id, on_call.id);
        // Called at 21:10, 30 min from STM: the first quarter hour after 21:40.
        assert_eq!(placed[0].start, at(7, 21, 45));
        // The second treatment, next day, in working hours.
        assert_eq!(placed[1].start.date(), NaiveDate::from_ymd_opt(2026, 12, 8).unwrap());
        assert!(placed[1].start.time() >= NaiveTime::from_hms_opt(7, 30, 0).unwrap());
        // Nobody on call that night: the first working nurse, next morning, as early as
        // the drive allows (07:00 + 30 min).
        let placed = propose_series(&req, std::slice::from_ref(&day_nurse), &[device("Optia SN-1")], &t).unwrap();
        assert_eq!((placed[0].nurse_id, placed[0].start), (day_nurse.id, at(8, 7, 30)));
        // Nobody certified: refused, saying so.
        let mut uncertified = day_nurse.clone();
        uncertified.certifications.clear();
        let why = propose_series(&req, &[uncertified], &[device("Optia SN-1")], &t).unwrap_err();
        assert!(why.contains("certification"), "{why}");
    }

    /// Called at 02:30 on a Saturday for two daily exchanges; the working nurse works
    /// Monday to Friday. The first goes to Saturday's nurse on call at once, the second
    /// to Sunday's nurse on call from 08:00, rather than the whole series slipping.
    #[test]
    fn an_emergent_series_goes_on_over_the_weekend_with_the_nurses_on_call() {
        let t = travel();
        let saturday = NaiveDate::from_ymd_opt(2026, 12, 12).unwrap();
        let day_nurse = nurse("Nurse Ames");
        let mut on_call = nurse("Nurse Brook");
        on_call.on_call = vec![saturday, saturday + Duration::days(1)];
        let req = SeriesRequest { emergent: true, ..tpe("STM", 2, at(12, 2, 30)) };
        let placed = propose_series(&req, &[day_nurse.clone(), on_call.clone()], &[device("Optia SN-1")], &t).unwrap();
        assert_eq!((placed[0].nurse_id, placed[0].start), (on_call.id, at(12, 3, 0)));
        assert_eq!((placed[1].nurse_id, placed[1].start), (on_call.id, at(13, 8, 30)));
        // A scheduled series does not call on the nurse on call.
        let scheduled = SeriesRequest { emergent: false, ..req };
        let placed = propose_series(&scheduled, &[day_nurse, on_call], &[device("Optia SN-1")], &t).unwrap();
        assert_eq!(placed[0].start.date().weekday(), Weekday::Mon);
    }

    /// Called at 06:40 on a Monday: the nurse on call is not certified for red cell
    /// exchange, so a certified nurse starts in working hours the same morning instead
    /// of the next night's nurse on call; and when the nurse on call is free and
    /// certified, they start sooner than the day shift could.
    #[test]
    fn an_emergent_request_goes_to_whoever_can_start_first() {
        let t = travel();
        let monday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let mut day_nurse = nurse("Nurse Ames");
        day_nurse.certifications.push(Certification { procedure: Procedure::RedCellExchange, expires_on: monday + Duration::days(300) });
        let mut on_call = nurse("Nurse Brook");
        on_call.on_call = vec![monday, monday + Duration::days(1)];
        let rce = SeriesRequest { procedure: Procedure::RedCellExchange, emergent: true, minutes: 180, ..tpe("STM", 1, at(7, 6, 40)) };
        let placed = propose_series(&rce, &[day_nurse.clone(), on_call.clone()], &[device("Optia SN-1")], &t).unwrap();
        assert_eq!((placed[0].nurse_id, placed[0].start), (day_nurse.id, at(7, 7, 30)));
        on_call.certifications.push(Certification { procedure: Procedure::RedCellExchange, expires_on: monday + Duration::days(300) });
        let placed = propose_series(&rce, &[day_nurse.clone(), on_call.clone()], &[device("Optia SN-1")], &t).unwrap();
        // 06:40 + 30 min drive: 07:15, before the day shift's 07:30.
        assert_eq!((placed[0].nurse_id, placed[0].start), (on_call.id, at(7, 7, 15)));
    }

    /// Six series over three places, two nurses and uneven travel: every two bookings
    /// that share a nurse or a device leave at least the travel time between them.
    #[test]
    fn booking_back_to_back_series_never_leaves_less_than_the_travel_time() {
        let t = travel();
        let mut nurses = vec![nurse("Nurse Ames"), nurse("Nurse Brook")];
        let mut devices = vec![device("Optia SN-1"), device("Optia SN-2"), device("Optia SN-3")];
        let mut all: Vec<(String, Placed)> = vec![];
        for (i, place) in ["STM", "GEN", "STM", "GEN", "BASE", "STM"].iter().enumerate() {
            let req = SeriesRequest { minutes: 120 + 15 * i as i64, ..tpe(place, 2, at(7, 0, 0)) };
            let placed = propose_series(&req, &nurses, &devices, &t).unwrap();
            for p in placed {
                let b = Booked { place: place.to_string(), start: p.start, end: p.end };
                nurses.iter_mut().find(|n| n.id == p.nurse_id).unwrap().bookings.push(b.clone());
                devices.iter_mut().find(|d| d.id == p.device_id).unwrap().bookings.push(b);
                all.push((place.to_string(), p));
            }
        }
        for (i, (pa, a)) in all.iter().enumerate() {
            for (pb, b) in &all[i + 1..] {
                let gap = t.minutes(pa, pb).unwrap();
                for same in [a.nurse_id == b.nurse_id, a.device_id == b.device_id] {
                    if same {
                        assert!(a.end + Duration::minutes(gap) <= b.start || b.end + Duration::minutes(gap) <= a.start, "{a:?} {b:?}");
                    }
                }
            }
        }
    }
}
