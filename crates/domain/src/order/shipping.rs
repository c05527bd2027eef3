//! After allocation: the temperature class a unit travels in, what hospitals report of
//! each unit, and the window in which a unit may come back.

use super::*;

/// How units travel: frozen, refrigerated and room-temperature units never share a box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShippingClass {
    Frozen,
    Refrigerated,
    RoomTemperature,
}

impl ShippingClass {
    pub const ALL: [Self; 3] = [Self::Frozen, Self::Refrigerated, Self::RoomTemperature];

    pub fn of(kind: ComponentKind) -> Self {
        use ComponentKind::*;
        match kind {
            WholeBlood | RedCells | ThawedPlasma => Self::Refrigerated,
            RedCellsFrozen | Ffp | Pf24 | Plasma | SourcePlasma | Cryo | CryoReducedPlasma => Self::Frozen,
            Platelets => Self::RoomTemperature,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Frozen => "frozen",
            Self::Refrigerated => "refrigerated",
            Self::RoomTemperature => "room_temperature",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Frozen => "Frozen (−18 °C or colder)",
            Self::Refrigerated => "Refrigerated (1 to 10 °C in transit)",
            Self::RoomTemperature => "Room temperature (20 to 24 °C)",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| format!("'{}' is not a shipping class; use frozen, refrigerated or room_temperature", s.trim()))
    }
}

impl TryFrom<String> for ShippingClass {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

/// What became of a unit at the hospital, as the hospital reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Transfused,
    /// Issued but not used and not returnable (opened, out of temperature, damaged).
    Wasted,
    /// Expired on the hospital's shelf.
    Expired,
}

impl Disposition {
    pub const ALL: [Self; 3] = [Self::Transfused, Self::Wasted, Self::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transfused => "transfused",
            Self::Wasted => "wasted",
            Self::Expired => "expired",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Transfused => "Transfused",
            Self::Wasted => "Wasted",
            Self::Expired => "Expired at the hospital",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("'{}' is not a disposition; use transfused, wasted or expired", s.trim()))
    }
}

/// How returns are accepted back; the centre's SOP sets the numbers (a configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnPolicy {
    /// A unit comes back for inspection only within this many hours of leaving the centre.
    pub window_hours: i64,
}

impl Default for ReturnPolicy {
    fn default() -> Self {
        Self { window_hours: 72 }
    }
}

/// Why a return is refused outright (past its time limit), if it is.
pub fn return_too_late(shipped_at: DateTime<Utc>, now: DateTime<Utc>, policy: &ReturnPolicy) -> Option<String> {
    let hours = (now - shipped_at).num_minutes() as f64 / 60.0;
    (now - shipped_at > Duration::hours(policy.window_hours)).then(|| {
        format!(
            "returns are accepted within {} hours of shipment; this unit left {:.0} hours ago: the hospital keeps it and reports its disposition",
            policy.window_hours, hours
        )
    })
}

#[cfg(test)]
mod return_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_return_is_refused_past_its_window() {
        let shipped = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let p = ReturnPolicy::default();
        assert!(return_too_late(shipped, shipped + Duration::hours(72), &p).is_none());
        let why = return_too_late(shipped, shipped + Duration::hours(73), &p).unwrap();
        assert!(why.contains("within 72 hours") && why.contains("73 hours ago"), "{why}");
        assert_eq!(Disposition::parse(" Transfused ").unwrap(), Disposition::Transfused);
        assert!(Disposition::parse("lost").is_err());
    }
}
