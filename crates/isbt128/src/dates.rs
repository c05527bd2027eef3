//! The date structures: 004–009 (`cyyjjj[hhmm]`), 024 Patient Date of Birth,
//! 026 Expiration Month and Year and 031 Flexible Date and Time.

use std::fmt;

use crate::chars::{Class, Text};
use crate::date::{date_problem, ordinal_to_date, time_problem};
use crate::{Date, DateTime, Error};

/// `cyy` is the last three digits of the year, so ISBT 128 dates cover 2000–2999.
fn check_isbt_year(year: u16) -> Result<(), Error> {
    if (2000..=2999).contains(&year) {
        Ok(())
    } else {
        Err(Error::OutOfRange { field: "year of an ISBT 128 cyyjjj date", found: year.into(), min: 2000, max: 2999 })
    }
}

fn read_cyyjjj(field: &'static str, text: &Text<'_>) -> Result<Date, Error> {
    let cyy = text.number(0, 3)? as u16;
    let jjj = text.number(3, 3)? as u16;
    ordinal_to_date(2000 + cyy, jjj).map_err(|reason| Error::ImpossibleDate { field, found: text.as_str().to_owned(), reason })
}

fn read_hhmm(field: &'static str, text: &Text<'_>, at: usize) -> Result<(u8, u8), Error> {
    let hour = text.number(at, 2)? as u8;
    let minute = text.number(at + 2, 2)? as u8;
    match time_problem(hour, minute) {
        None => Ok((hour, minute)),
        Some(reason) => Err(Error::ImpossibleDate { field, found: text.as_str().to_owned(), reason }),
    }
}

fn cyyjjj(date: Date) -> String {
    format!("{:03}{:03}", date.year() % 1000, date.ordinal())
}

macro_rules! date_structure {
    ($(#[$doc:meta])* $ty:ident, $kind:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub struct $ty(Date);

        impl $ty {
            /// Wraps a date in 2000–2999 (the years `cyy` can hold).
            pub fn new(date: Date) -> Result<$ty, Error> {
                check_isbt_year(date.year())?;
                Ok($ty(date))
            }

            /// Reads the 6 content characters `cyyjjj`.
            pub fn parse_content(content: &str) -> Result<$ty, Error> {
                let text = Text::exact($field, content, 6)?;
                read_cyyjjj($field, &text).map($ty)
            }

            /// The 6 content characters.
            pub fn content(&self) -> String {
                cyyjjj(self.0)
            }

            /// The date.
            pub fn date(&self) -> Date {
                self.0
            }

            /// The date at 23:59, ISBT 128's time when none is given.
            pub fn date_time(&self) -> DateTime {
                DateTime::end_of_day(self.0)
            }
        }

        impl fmt::Display for $ty {
            /// The printed form, e.g. `31 JAN 2019`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0.human())
            }
        }

        crate::structure::impl_structure!($ty, $kind);
    };
}

macro_rules! date_time_structure {
    ($(#[$doc:meta])* $ty:ident, $kind:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub struct $ty(DateTime);

        impl $ty {
            /// Wraps a date and time in 2000–2999 (the years `cyy` can hold).
            pub fn new(date_time: DateTime) -> Result<$ty, Error> {
                check_isbt_year(date_time.date().year())?;
                Ok($ty(date_time))
            }

            /// Reads the 10 content characters `cyyjjjhhmm`.
            pub fn parse_content(content: &str) -> Result<$ty, Error> {
                let text = Text::exact($field, content, 10)?;
                let date = read_cyyjjj($field, &text)?;
                let (hour, minute) = read_hhmm($field, &text, 6)?;
                DateTime::new(date, hour, minute).map($ty)
            }

            /// The 10 content characters.
            pub fn content(&self) -> String {
                format!("{}{:02}{:02}", cyyjjj(self.0.date()), self.0.hour(), self.0.minute())
            }

            /// The date and time.
            pub fn date_time(&self) -> DateTime {
                self.0
            }
        }

        impl fmt::Display for $ty {
            /// The printed form, e.g. `31 DEC 2018 23:59`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0.human())
            }
        }

        crate::structure::impl_structure!($ty, $kind);
    };
}

date_structure!(
    /// Expiration Date (Data Structure 004, `=>cyyjjj`): the item expires at the end of
    /// that day. ST-001 now recommends DS005 for blood, tissue and cellular products.
    ///
    /// ```
    /// let e = isbt128::ExpirationDate::parse("=>019031")?;
    /// assert_eq!(e.date().to_iso(), "2019-01-31");
    /// assert_eq!(e.date_time().to_iso(), "2019-01-31T23:59");
    /// # Ok::<(), isbt128::Error>(())
    /// ```
    ExpirationDate,
    ExpirationDate,
    "expiration date"
);
date_time_structure!(
    /// Expiration Date and Time (Data Structure 005, `&>cyyjjjhhmm`), local time of the
    /// labelling facility (no time zone is encoded).
    ///
    /// ```
    /// use isbt128::ExpirationDateTime;
    /// let e = ExpirationDateTime::parse("&>0183652359")?;
    /// assert_eq!(e.date_time().to_iso(), "2018-12-31T23:59");
    /// assert_eq!(e.to_string(), "31 DEC 2018 23:59");
    ///
    /// let err = ExpirationDateTime::parse("&>0253661200").unwrap_err();
    /// assert!(err.to_string().contains("day 366 of 2025 does not exist"));
    /// assert!(ExpirationDateTime::parse("&>0252442500").unwrap_err().to_string().contains("hour 25"));
    /// # Ok::<(), isbt128::Error>(())
    /// ```
    ExpirationDateTime,
    ExpirationDateTime,
    "expiration date and time"
);
date_structure!(
    /// Collection Date (Data Structure 006, `=*cyyjjj`).
    CollectionDate,
    CollectionDate,
    "collection date"
);
date_time_structure!(
    /// Collection Date and Time (Data Structure 007, `&*cyyjjjhhmm`).
    CollectionDateTime,
    CollectionDateTime,
    "collection date and time"
);
date_structure!(
    /// Production Date (Data Structure 008, `=}cyyjjj`).
    ProductionDate,
    ProductionDate,
    "production date"
);
date_time_structure!(
    /// Production Date and Time (Data Structure 009, `&}cyyjjjhhmm`).
    ProductionDateTime,
    ProductionDateTime,
    "production date and time"
);

fn read_yyyymmdd(field: &'static str, text: &Text<'_>, at: usize) -> Result<Date, Error> {
    let year = text.number(at, 4)? as u16;
    let month = text.number(at + 4, 2)? as u8;
    let day = text.number(at + 6, 2)? as u8;
    match date_problem(year, month, day) {
        None => Date::new(year, month, day),
        Some(reason) => Err(Error::ImpossibleDate { field, found: text.as_str().to_owned(), reason }),
    }
}

/// Patient Date of Birth (Data Structure 024, `=#aayyyymmdd`): a location code (ICCBBA
/// table RT018, not interpreted here) and the date.
///
/// ```
/// let dob = isbt128::PatientBirthDate::parse("=#0119800229")?;
/// assert_eq!((dob.location_code(), dob.date().to_iso()), ("01", "1980-02-29".to_owned()));
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct PatientBirthDate {
    location: [u8; 2],
    date: Date,
}

impl PatientBirthDate {
    /// A two-digit location code and a date.
    pub fn new(location_code: &str, date: Date) -> Result<PatientBirthDate, Error> {
        let text = Text::exact("patient location code", location_code, 2)?;
        let l = text.take(0, 2, Class::Digit)?.as_bytes();
        Ok(PatientBirthDate { location: [l[0], l[1]], date })
    }

    /// Reads the 10 content characters `aayyyymmdd`.
    pub fn parse_content(content: &str) -> Result<PatientBirthDate, Error> {
        let field = "patient date of birth";
        let text = Text::exact(field, content, 10)?;
        let l = text.take(0, 2, Class::Digit)?.as_bytes();
        let date = read_yyyymmdd(field, &text, 2)?;
        Ok(PatientBirthDate { location: [l[0], l[1]], date })
    }

    /// The 10 content characters.
    pub fn content(&self) -> String {
        format!("{}{:04}{:02}{:02}", self.location_code(), self.date.year(), self.date.month(), self.date.day())
    }

    /// The location code (two digits).
    pub fn location_code(&self) -> &str {
        std::str::from_utf8(&self.location).unwrap_or("")
    }

    /// The date of birth.
    pub fn date(&self) -> Date {
        self.date
    }
}

crate::structure::impl_structure!(PatientBirthDate, PatientBirthDate);

/// Expiration Month and Year (Data Structure 026, `=]yyyymm`), for supplies.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ExpirationMonth {
    year: u16,
    month: u8,
}

impl ExpirationMonth {
    /// A year (1–9999) and month (1–12).
    pub fn new(year: u16, month: u8) -> Result<ExpirationMonth, Error> {
        match date_problem(year, month, 1) {
            None => Ok(ExpirationMonth { year, month }),
            Some(reason) => Err(Error::ImpossibleDate { field: "expiration month", found: format!("{year:04}{month:02}"), reason }),
        }
    }

    /// Reads the 6 content characters `yyyymm`.
    pub fn parse_content(content: &str) -> Result<ExpirationMonth, Error> {
        let field = "expiration month and year";
        let text = Text::exact(field, content, 6)?;
        let year = text.number(0, 4)? as u16;
        let month = text.number(4, 2)? as u8;
        ExpirationMonth::new(year, month).map_err(|e| match e {
            Error::ImpossibleDate { reason, .. } => Error::ImpossibleDate { field, found: content.to_owned(), reason },
            other => other,
        })
    }

    /// The 6 content characters.
    pub fn content(&self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(&self) -> u8 {
        self.month
    }
}

crate::structure::impl_structure!(ExpirationMonth, ExpirationMonth);

/// Time zone of a Flexible Date and Time (ST-001 Table 24).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TimeZone {
    /// `1`: local time of the facility assigning the date.
    Local,
    /// `2`: Coordinated Universal Time.
    Utc,
}

/// What a Flexible Date and Time is the time of (ST-001 Table 25).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TimeKind {
    /// `01`
    Expiration,
    /// `02`
    Collection,
    /// `03`
    Production,
    /// `04`
    CrossClamp,
    /// `05`
    Preservation,
    /// `06`
    DonorDeath,
}

const TIME_KINDS: [(TimeKind, &str); 6] = [
    (TimeKind::Expiration, "expiration date and time"),
    (TimeKind::Collection, "collection date and time"),
    (TimeKind::Production, "production date and time"),
    (TimeKind::CrossClamp, "cross clamp date and time"),
    (TimeKind::Preservation, "time of preservation"),
    (TimeKind::DonorDeath, "time of death of donor"),
];

impl TimeKind {
    /// The two-digit code.
    pub fn code(&self) -> u8 {
        TIME_KINDS.iter().position(|(k, _)| k == self).unwrap_or(0) as u8 + 1
    }

    /// The meaning in words.
    pub fn description(&self) -> &'static str {
        TIME_KINDS.iter().find(|(k, _)| k == self).map(|(_, d)| *d).unwrap_or("")
    }
}

/// Flexible Date and Time (Data Structure 031, `=(ZUTTYYYYMMDDhhmm`): a date and time
/// with its time zone (local or UTC) and what it is the time of.
///
/// ```
/// use isbt128::{FlexibleDateTime, TimeKind, TimeZone};
/// let f = FlexibleDateTime::parse("=(2004202403151030")?;
/// assert_eq!((f.zone(), f.time_kind()), (TimeZone::Utc, TimeKind::CrossClamp));
/// assert_eq!(f.to_iso(), "2024-03-15T10:30Z");
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FlexibleDateTime {
    zone: TimeZone,
    kind: TimeKind,
    date_time: DateTime,
}

impl FlexibleDateTime {
    /// A date and time (year 0001–9999) with its zone and kind.
    pub fn new(zone: TimeZone, kind: TimeKind, date_time: DateTime) -> FlexibleDateTime {
        FlexibleDateTime { zone, kind, date_time }
    }

    /// Reads the 16 content characters `ZUTTYYYYMMDDhhmm`.
    pub fn parse_content(content: &str) -> Result<FlexibleDateTime, Error> {
        let field = "flexible date and time";
        let text = Text::exact(field, content, 16)?;
        let zone = match text.take(0, 1, Class::Digit)? {
            "1" => TimeZone::Local,
            "2" => TimeZone::Utc,
            other => return Err(Error::UnknownCode { field: "time zone (Z) of flexible date and time", found: other.to_owned(), suggestion: None }),
        };
        let reserved = text.take(1, 1, Class::Digit)?;
        if reserved != "0" {
            return Err(Error::Reserved { field: "the reserved character (U) of flexible date and time", expected: "0", found: reserved.to_owned() });
        }
        let tt = text.number(2, 2)?;
        let kind = match tt {
            1..=6 => TIME_KINDS[tt as usize - 1].0,
            _ => {
                return Err(Error::UnknownCode { field: "type of time (TT) of flexible date and time", found: format!("{tt:02}"), suggestion: None })
            }
        };
        let date = read_yyyymmdd(field, &text, 4)?;
        let (hour, minute) = read_hhmm(field, &text, 12)?;
        Ok(FlexibleDateTime { zone, kind, date_time: DateTime::new(date, hour, minute)? })
    }

    /// The 16 content characters.
    pub fn content(&self) -> String {
        let d = self.date_time.date();
        let zone = match self.zone {
            TimeZone::Local => 1,
            TimeZone::Utc => 2,
        };
        format!(
            "{zone}0{:02}{:04}{:02}{:02}{:02}{:02}",
            self.kind.code(),
            d.year(),
            d.month(),
            d.day(),
            self.date_time.hour(),
            self.date_time.minute()
        )
    }

    /// Local time or UTC.
    pub fn zone(&self) -> TimeZone {
        self.zone
    }

    /// What this is the time of.
    pub fn time_kind(&self) -> TimeKind {
        self.kind
    }

    /// The date and time.
    pub fn date_time(&self) -> DateTime {
        self.date_time
    }

    /// ISO 8601: with `Z` for UTC, without an offset for local time.
    pub fn to_iso(&self) -> String {
        match self.zone {
            TimeZone::Local => self.date_time.to_iso(),
            TimeZone::Utc => format!("{}Z", self.date_time.to_iso()),
        }
    }
}

crate::structure::impl_structure!(FlexibleDateTime, FlexibleDateTime);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::date::tests::{date, date_time};
    use proptest::prelude::*;

    pub(crate) fn flexible() -> impl Strategy<Value = FlexibleDateTime> {
        (prop_oneof![Just(TimeZone::Local), Just(TimeZone::Utc)], proptest::sample::select(TIME_KINDS.map(|(k, _)| k).to_vec()), date_time(1..=9999))
            .prop_map(|(z, k, dt)| FlexibleDateTime::new(z, k, dt))
    }

    #[test]
    fn reference_vectors() {
        assert_eq!(ExpirationDateTime::parse("&>0183652359").unwrap().date_time().to_iso(), "2018-12-31T23:59");
        assert_eq!(ExpirationDateTime::parse_content("0180292359").unwrap().to_string(), "29 JAN 2018 23:59");
        assert_eq!(ExpirationDate::parse("=>019031").unwrap().date().to_iso(), "2019-01-31");
        assert_eq!(ExpirationDateTime::parse("&>0252441800").unwrap().date_time().to_iso(), "2025-09-01T18:00");
    }

    #[test]
    fn impossible_dates_are_errors() {
        let err = ExpirationDateTime::parse("&>0253661200").unwrap_err();
        assert_eq!(
            err.to_string(),
            "expiration date and time 0253661200 is not a real date or time: day 366 of 2025 does not exist; 2025 has 365 days (it is not a leap year)"
        );
        assert!(ExpirationDateTime::parse("&>0243661200").is_ok());
        assert!(matches!(CollectionDateTime::parse("&*0250012500"), Err(Error::ImpossibleDate { .. })));
        assert!(matches!(CollectionDateTime::parse("&*0250012360"), Err(Error::ImpossibleDate { .. })));
        assert!(matches!(ProductionDate::parse("=}025000"), Err(Error::ImpossibleDate { .. })));
        assert!(matches!(ExpirationMonth::parse("=]202513"), Err(Error::ImpossibleDate { .. })));
        assert!(matches!(PatientBirthDate::parse("=#0120230229"), Err(Error::ImpossibleDate { .. })));
        assert!(matches!(FlexibleDateTime::parse("=(3001202403151030"), Err(Error::UnknownCode { .. })));
        assert!(matches!(FlexibleDateTime::parse("=(1101202403151030"), Err(Error::Reserved { .. })));
        assert!(matches!(FlexibleDateTime::parse("=(1007202403151030"), Err(Error::UnknownCode { .. })));
        assert!(matches!(ExpirationDate::new(Date::new(1999, 1, 1).unwrap()), Err(Error::OutOfRange { .. })));
        assert!(matches!(ExpirationDateTime::parse("&>0O52441800"), Err(Error::IllegalCharacter { position: 2, suggestion: Some('0'), .. })));
    }

    proptest! {
        #[test]
        fn date_structures_round_trip(d in date(2000..=2999), dt in date_time(2000..=2999)) {
            let e = ExpirationDate::new(d).unwrap();
            prop_assert_eq!(ExpirationDate::parse(&e.encode()), Ok(e));
            let c = CollectionDate::new(d).unwrap();
            prop_assert_eq!(CollectionDate::parse(&c.encode()), Ok(c));
            let p = ProductionDate::new(d).unwrap();
            prop_assert_eq!(ProductionDate::parse(&p.encode()), Ok(p));
            let e = ExpirationDateTime::new(dt).unwrap();
            prop_assert_eq!(ExpirationDateTime::parse(&e.encode()), Ok(e));
            let c = CollectionDateTime::new(dt).unwrap();
            prop_assert_eq!(CollectionDateTime::parse(&c.encode()), Ok(c));
            let p = ProductionDateTime::new(dt).unwrap();
            prop_assert_eq!(ProductionDateTime::parse(&p.encode()), Ok(p));
        }

        #[test]
        fn other_dates_round_trip(d in date(1..=9999), f in flexible(), loc in "[0-9]{2}") {
            let b = PatientBirthDate::new(&loc, d).unwrap();
            prop_assert_eq!(PatientBirthDate::parse(&b.encode()), Ok(b));
            let m = ExpirationMonth::new(d.year(), d.month()).unwrap();
            prop_assert_eq!(ExpirationMonth::parse(&m.encode()), Ok(m));
            prop_assert_eq!(FlexibleDateTime::parse(&f.encode()), Ok(f));
        }
    }
}
