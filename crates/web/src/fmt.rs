//! Formatting helpers templates call, so every page shows numbers the same way.

/// A count of anything: templates hand over values or references.
pub trait Count {
    fn count(&self) -> i64;
}

impl Count for i64 {
    fn count(&self) -> i64 {
        *self
    }
}

impl Count for i32 {
    fn count(&self) -> i64 {
        i64::from(*self)
    }
}

impl Count for usize {
    fn count(&self) -> i64 {
        i64::try_from(*self).unwrap_or(i64::MAX)
    }
}

impl<T: Count + ?Sized> Count for &T {
    fn count(&self) -> i64 {
        (**self).count()
    }
}

/// A count with thousands separators ("12,345"), for every number on a page.
pub fn n(x: impl Count) -> String {
    render::number::thousands(x.count())
}

/// An instant as staff read it: the facility's local time with its zone
/// ("2026-03-02 14:05 CST"). Every page shows instants through this.
pub fn when(at: impl Instant, tz: impl Zone) -> String {
    at.instant().with_timezone(&tz.zone()).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// The facility's local day of an instant ("2026-03-02").
pub fn day(at: impl Instant, tz: impl Zone) -> String {
    at.instant().with_timezone(&tz.zone()).format("%Y-%m-%d").to_string()
}

/// An instant: templates hand over values or references.
pub trait Instant {
    fn instant(&self) -> chrono::DateTime<chrono::Utc>;
}

impl Instant for chrono::DateTime<chrono::Utc> {
    fn instant(&self) -> chrono::DateTime<chrono::Utc> {
        *self
    }
}

impl<T: Instant + ?Sized> Instant for &T {
    fn instant(&self) -> chrono::DateTime<chrono::Utc> {
        (**self).instant()
    }
}

/// A time zone: templates hand over values or references.
pub trait Zone {
    fn zone(&self) -> chrono_tz::Tz;
}

impl Zone for chrono_tz::Tz {
    fn zone(&self) -> chrono_tz::Tz {
        *self
    }
}

impl<T: Zone + ?Sized> Zone for &T {
    fn zone(&self) -> chrono_tz::Tz {
        (**self).zone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_in_the_facility_zone_with_the_zone() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-02T03:30:00Z").unwrap().with_timezone(&chrono::Utc);
        assert_eq!(when(at, chrono_tz::America::Chicago), "2026-03-01 21:30 CST");
        assert_eq!(day(at, chrono_tz::America::Chicago), "2026-03-01");
        let by_ref: &chrono::DateTime<chrono::Utc> = &at;
        assert_eq!(when(by_ref, chrono_tz::UTC), "2026-03-02 03:30 UTC");
    }
}
