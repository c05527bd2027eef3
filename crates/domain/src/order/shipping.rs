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

/// The temperatures a unit must keep while it travels, by 21 CFR 600.15(a)
/// ("Temperatures during shipment"): `None` is an open end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransportRange {
    pub min_c: Option<f64>,
    pub max_c: Option<f64>,
}

impl TransportRange {
    pub fn of(kind: ComponentKind) -> Self {
        use ComponentKind::*;
        let (min_c, max_c) = match kind {
            // Red Blood Cells (liquid product), and Whole Blood from the storage facility.
            RedCells | WholeBlood => (Some(1.0), Some(10.0)),
            RedCellsFrozen => (None, Some(-65.0)),
            // Liquid Plasma: thawed plasma travels as a liquid plasma.
            ThawedPlasma => (Some(1.0), Some(10.0)),
            Ffp | Pf24 | Plasma | CryoReducedPlasma | Cryo => (None, Some(-18.0)),
            SourcePlasma => (None, Some(-5.0)),
            // Platelets labelled for 20–24 °C: kept as close as possible to that range.
            Platelets => (Some(20.0), Some(24.0)),
        };
        Self { min_c, max_c }
    }

    pub fn words(&self) -> String {
        match (self.min_c, self.max_c) {
            (Some(a), Some(b)) => format!("{a:.0} to {b:.0} °C"),
            (None, Some(b)) => format!("{b:.0} °C or colder"),
            (Some(a), None) => format!("{a:.0} °C or warmer"),
            (None, None) => "any temperature".into(),
        }
    }

    pub fn holds(&self, c: f64) -> bool {
        self.min_c.is_none_or(|m| c >= m) && self.max_c.is_none_or(|m| c <= m)
    }
}

/// A thermometer reading no return can have: a typing slip, not a unit to judge.
pub const RETURN_READING_C: (f64, f64) = (-90.0, 45.0);

/// Why a returned unit is discarded on arrival, if it is: a reading outside the range
/// its product must keep in transport, or a hospital storage record that does not show
/// the unit stayed in range.
pub fn return_discard_reason(kind: ComponentKind, reading_c: f64, storage_kept: bool) -> Option<String> {
    let range = TransportRange::of(kind);
    if !range.holds(reading_c) {
        return Some(format!(
            "it arrived at {reading_c:.1} °C, outside the {} {} must keep in transport (21 CFR 600.15)",
            range.words(),
            kind.title()
        ));
    }
    (!storage_kept).then(|| "the hospital's storage record does not show it stayed in its temperature range".to_string())
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

    #[test]
    fn a_return_is_judged_by_the_transport_range_of_its_product() {
        assert_eq!(return_discard_reason(ComponentKind::RedCells, 4.0, true), None);
        assert_eq!(return_discard_reason(ComponentKind::RedCells, 10.0, true), None, "the bounds hold");
        let warm = return_discard_reason(ComponentKind::RedCells, 10.5, true).unwrap();
        assert!(warm.contains("10.5 °C") && warm.contains("1 to 10 °C") && warm.contains("600.15"), "{warm}");
        assert!(return_discard_reason(ComponentKind::RedCells, 0.5, true).is_some(), "frozen red cells are lost");
        assert_eq!(return_discard_reason(ComponentKind::Ffp, -25.0, true), None);
        assert!(return_discard_reason(ComponentKind::Ffp, -10.0, true).unwrap().contains("-18 °C or colder"));
        assert!(return_discard_reason(ComponentKind::RedCellsFrozen, -60.0, true).is_some());
        assert!(return_discard_reason(ComponentKind::Platelets, 4.0, true).is_some(), "cold platelets");
        assert_eq!(return_discard_reason(ComponentKind::Platelets, 22.0, true), None);
        assert!(return_discard_reason(ComponentKind::RedCells, 4.0, false).unwrap().contains("storage record"));
    }
}
