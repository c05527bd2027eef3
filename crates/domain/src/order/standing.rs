//! Standing orders: par levels topped up on chosen weekdays at a local time.

use super::*;

/// A standing order as submitted: the par level of one product and group, topped up on
/// the weekdays given at a local time.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandingInput {
    #[serde(default)]
    pub hospital: String,
    pub product: String,
    #[serde(default)]
    pub blood_group: String,
    /// Units the hospital wants on its shelf after each delivery.
    pub par_level: i64,
    /// e.g. ["mon", "wed", "fri"]
    pub weekdays: Vec<String>,
    /// Local time, HH:MM.
    pub time_of_day: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandingFields {
    pub product: ProductClass,
    pub group: Option<BloodGroup>,
    pub par_level: i64,
    pub weekdays: Vec<chrono::Weekday>,
    pub time_of_day: chrono::NaiveTime,
}

const WEEKDAYS: [(&str, chrono::Weekday); 7] = [
    ("mon", chrono::Weekday::Mon),
    ("tue", chrono::Weekday::Tue),
    ("wed", chrono::Weekday::Wed),
    ("thu", chrono::Weekday::Thu),
    ("fri", chrono::Weekday::Fri),
    ("sat", chrono::Weekday::Sat),
    ("sun", chrono::Weekday::Sun),
];

/// Weekdays as stored: `mon,wed,fri`.
pub fn weekdays_text(days: &[chrono::Weekday]) -> String {
    WEEKDAYS.iter().filter(|(_, d)| days.contains(d)).map(|(n, _)| *n).collect::<Vec<_>>().join(",")
}

pub fn parse_weekdays(s: &str) -> Vec<chrono::Weekday> {
    s.split(',').filter_map(|x| WEEKDAYS.iter().find(|(n, _)| *n == x.trim()).map(|(_, d)| *d)).collect()
}

impl StandingInput {
    pub fn validate(&self) -> Result<StandingFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let product = e.take(ProductClass::parse(&self.product).map_err(|m| FieldError::new("product", m)));
        let group = match (self.blood_group.trim(), product) {
            ("" | "any", Some(ProductClass::Platelets | ProductClass::Cryo)) => None,
            ("" | "any", _) => {
                e.0.push(FieldError::new("blood_group", "say which ABO/RhD group (e.g. O+)"));
                None
            }
            (g, _) => e.take(BloodGroup::parse(g)),
        };
        if !(1..=500).contains(&self.par_level) {
            e.0.push(FieldError::new("par_level", "give a par level of 1 to 500 units"));
        }
        let mut weekdays = vec![];
        for w in &self.weekdays {
            match WEEKDAYS.iter().find(|(n, _)| *n == w.trim().to_ascii_lowercase()) {
                Some((_, d)) if !weekdays.contains(d) => weekdays.push(*d),
                Some(_) => {}
                None => e.0.push(FieldError::new("weekdays", format!("'{}' is not a weekday; use mon, tue, wed, thu, fri, sat, sun", w.trim()))),
            }
        }
        if self.weekdays.is_empty() {
            e.0.push(FieldError::new("weekdays", "choose at least one day of the week"));
        }
        let time = chrono::NaiveTime::parse_from_str(self.time_of_day.trim(), "%H:%M").ok();
        if time.is_none() {
            e.0.push(FieldError::new("time_of_day", "give the local time as HH:MM, e.g. 06:30"));
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok(StandingFields { product: product.expect("checked"), group, par_level: self.par_level, weekdays, time_of_day: time.expect("checked") })
    }
}

/// Whether a standing order runs on this local day at this local time: one of its
/// weekdays, and its time has come.
pub fn standing_due(weekdays: &[chrono::Weekday], time_of_day: chrono::NaiveTime, local: chrono::NaiveDateTime) -> bool {
    use chrono::Datelike;
    weekdays.contains(&local.weekday()) && local.time() >= time_of_day
}

/// Units to order to bring the hospital's shelf back to its par level.
pub fn top_up(par_level: i64, on_shelf: i64) -> i64 {
    (par_level - on_shelf).max(0)
}

#[cfg(test)]
mod standing_tests {
    use super::*;

    #[test]
    fn standing_orders_run_on_their_days_from_their_time() {
        let f = StandingInput {
            product: "red_cells".into(),
            blood_group: "O+".into(),
            par_level: 6,
            weekdays: vec!["mon".into(), "thu".into()],
            time_of_day: "06:30".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let monday = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert!(!standing_due(&f.weekdays, f.time_of_day, monday.and_hms_opt(6, 29, 0).unwrap()));
        assert!(standing_due(&f.weekdays, f.time_of_day, monday.and_hms_opt(6, 30, 0).unwrap()));
        assert!(!standing_due(&f.weekdays, f.time_of_day, (monday + Duration::days(1)).and_hms_opt(9, 0, 0).unwrap()));
        assert_eq!(weekdays_text(&f.weekdays), "mon,thu");
        assert_eq!(parse_weekdays("mon,thu"), f.weekdays);
        assert_eq!((top_up(6, 4), top_up(6, 9)), (2, 0));
        let e = StandingInput {
            product: "plasma".into(),
            par_level: 0,
            weekdays: vec!["someday".into()],
            time_of_day: "25:00".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        for f in ["blood_group", "par_level", "weekdays", "time_of_day"] {
            assert!(e.message_for(f).is_some(), "{f}: {e}");
        }
    }
}
