//! A small proleptic Gregorian calendar: leap years, day-of-year ↔ month/day, and the
//! date and time values the date structures carry. No time zones: ISBT 128 dates are
//! the local time of the facility that assigned them (except DS031 in UTC).

use std::fmt;

use crate::Error;

const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// Whether `year` has 366 days.
pub fn is_leap_year(year: u16) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_year(year: u16) -> u16 {
    if is_leap_year(year) {
        366
    } else {
        365
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Why (year, month, day) is not a date, if it is not.
pub(crate) fn date_problem(year: u16, month: u8, day: u8) -> Option<String> {
    if year == 0 || year > 9999 {
        return Some(format!("year {year:04} is not supported (0001-9999)"));
    }
    if !(1..=12).contains(&month) {
        return Some(format!("month {month:02} does not exist; months run from 01 to 12"));
    }
    let days = days_in_month(year, month);
    let name = MONTHS[usize::from(month - 1)];
    if day == 0 {
        return Some("day 00 does not exist; days of the month run from 01".to_owned());
    }
    if day > days {
        return Some(if month == 2 && day == 29 {
            format!("29 February {year} does not exist; {year} is not a leap year")
        } else {
            format!("{day} {name} does not exist; {name} has {days} days")
        });
    }
    None
}

/// Why (hour, minute) is not a time of day, if it is not.
pub(crate) fn time_problem(hour: u8, minute: u8) -> Option<String> {
    if hour > 23 {
        return Some(format!("hour {hour:02} does not exist; hours run from 00 to 23"));
    }
    if minute > 59 {
        return Some(format!("minute {minute:02} does not exist; minutes run from 00 to 59"));
    }
    None
}

/// A calendar date (proleptic Gregorian, years 0001–9999).
///
/// ```
/// use isbt128::Date;
/// let d = Date::from_ordinal(2018, 365)?;
/// assert_eq!((d.month(), d.day()), (12, 31));
/// assert_eq!(d.to_string(), "2018-12-31");
/// assert_eq!(d.human(), "31 DEC 2018");
/// assert!(Date::from_ordinal(2025, 366).is_err());
/// assert!(Date::new(2023, 2, 29).is_err());
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// A date from year, month (1–12) and day of the month.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, Error> {
        match date_problem(year, month, day) {
            None => Ok(Date { year, month, day }),
            Some(reason) => Err(Error::ImpossibleDate { field: "date", found: format!("{year:04}-{month:02}-{day:02}"), reason }),
        }
    }

    /// A date from year and day of the year (1–365, or 366 in a leap year).
    pub fn from_ordinal(year: u16, ordinal: u16) -> Result<Date, Error> {
        ordinal_to_date(year, ordinal).map_err(|reason| Error::ImpossibleDate { field: "date", found: format!("{year:04} day {ordinal:03}"), reason })
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// The day of the year, 1–366 (ISBT 128 calls it the Julian date).
    pub fn ordinal(&self) -> u16 {
        (1..self.month).map(|m| u16::from(days_in_month(self.year, m))).sum::<u16>() + u16::from(self.day)
    }

    /// ISO 8601, e.g. `2019-01-31` (also what `Display` gives).
    pub fn to_iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// The form ISBT 128 labels print, e.g. `31 JAN 2019`.
    pub fn human(&self) -> String {
        let month = MONTHS[usize::from(self.month - 1)][..3].to_ascii_uppercase();
        format!("{:02} {month} {:04}", self.day, self.year)
    }
}

pub(crate) fn ordinal_to_date(year: u16, ordinal: u16) -> Result<Date, String> {
    if year == 0 || year > 9999 {
        return Err(format!("year {year:04} is not supported (0001-9999)"));
    }
    let days = days_in_year(year);
    if ordinal == 0 {
        return Err("day 000 does not exist; days of the year are numbered from 001".to_owned());
    }
    if ordinal > days {
        let leap = if days == 365 { " (it is not a leap year)" } else { "" };
        return Err(format!("day {ordinal:03} of {year} does not exist; {year} has {days} days{leap}"));
    }
    let mut left = ordinal;
    let mut month = 1;
    while left > u16::from(days_in_month(year, month)) {
        left -= u16::from(days_in_month(year, month));
        month += 1;
    }
    Ok(Date { year, month, day: left as u8 })
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

/// A date and a time of day to the minute, without a time zone.
///
/// ```
/// use isbt128::{Date, DateTime};
/// let t = DateTime::new(Date::new(2025, 9, 1)?, 18, 0)?;
/// assert_eq!(t.to_iso(), "2025-09-01T18:00");
/// assert_eq!(t.human(), "01 SEP 2025 18:00");
/// assert!(DateTime::new(Date::new(2025, 9, 1)?, 25, 0).is_err());
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
}

impl DateTime {
    /// A date and a time (hour 0–23, minute 0–59).
    pub fn new(date: Date, hour: u8, minute: u8) -> Result<DateTime, Error> {
        match time_problem(hour, minute) {
            None => Ok(DateTime { date, hour, minute }),
            Some(reason) => Err(Error::ImpossibleDate { field: "time", found: format!("{hour:02}:{minute:02}"), reason }),
        }
    }

    /// The last minute of a day, 23:59: ISBT 128's time when none is given.
    pub fn end_of_day(date: Date) -> DateTime {
        DateTime { date, hour: 23, minute: 59 }
    }

    /// The date.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The hour, 0–23.
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// The minute, 0–59.
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// ISO 8601 local date and time without an offset, e.g. `2025-09-01T18:00` (also
    /// what `Display` gives).
    pub fn to_iso(&self) -> String {
        format!("{}T{:02}:{:02}", self.date.to_iso(), self.hour, self.minute)
    }

    /// The form labels print, e.g. `01 SEP 2025 18:00`.
    pub fn human(&self) -> String {
        format!("{} {:02}:{:02}", self.date.human(), self.hour, self.minute)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn date(years: std::ops::RangeInclusive<u16>) -> impl Strategy<Value = Date> {
        (years, 1u16..=366).prop_map(|(y, o)| Date::from_ordinal(y, o.min(days_in_year(y))).unwrap())
    }

    pub(crate) fn date_time(years: std::ops::RangeInclusive<u16>) -> impl Strategy<Value = DateTime> {
        (date(years), 0u8..24, 0u8..60).prop_map(|(d, h, m)| DateTime::new(d, h, m).unwrap())
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2024));
        assert!(!is_leap_year(2025));
        assert!(!is_leap_year(2100));
        assert!(is_leap_year(2000));
    }

    #[test]
    fn impossible_dates_say_why() {
        let err = Date::from_ordinal(2025, 366).unwrap_err();
        assert_eq!(
            err.to_string(),
            "date 2025 day 366 is not a real date or time: day 366 of 2025 does not exist; 2025 has 365 days (it is not a leap year)"
        );
        assert_eq!(Date::from_ordinal(2024, 366).unwrap(), Date::new(2024, 12, 31).unwrap());
        assert!(Date::from_ordinal(2024, 0).is_err());
        assert!(Date::new(2024, 4, 31).unwrap_err().to_string().contains("April has 30 days"));
        assert!(Date::new(2024, 13, 1).is_err());
        assert!(Date::new(0, 1, 1).is_err());
    }

    proptest! {
        #[test]
        fn ordinal_and_month_day_agree(d in date(1..=9999)) {
            prop_assert_eq!(Date::from_ordinal(d.year(), d.ordinal()), Ok(d));
            prop_assert_eq!(Date::new(d.year(), d.month(), d.day()), Ok(d));
        }
    }
}
