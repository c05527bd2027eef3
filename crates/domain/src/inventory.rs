//! Inventory rules: which storage suits which component, what a temperature reading
//! outside its range does, why a unit leaves stock, and the figures of the stock views.
//!
//! Storage temperatures come from the 21 CFR 610.53(c) dating table
//! (`shared/reference/domain-rules.md` §2.1).

use crate::component::{ComponentKind, ComponentState};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The class of a storage location: the range its equipment holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TemperatureClass {
    /// Blood refrigerator, 1–6 °C.
    Refrigerator,
    /// Plasma freezer, at or below −20 °C (meets the −18 °C of FFP, PF24, Plasma and
    /// cryoprecipitate, and the −20 °C of Source Plasma).
    Freezer,
    /// Ultra-low freezer, at or below −65 °C (frozen red cells).
    UltraLowFreezer,
    /// Platelet incubator with agitator, 20–24 °C.
    PlateletAgitator,
}

impl TemperatureClass {
    pub const ALL: [Self; 4] = [Self::Refrigerator, Self::Freezer, Self::UltraLowFreezer, Self::PlateletAgitator];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refrigerator => "refrigerator",
            Self::Freezer => "freezer",
            Self::UltraLowFreezer => "ultra_low_freezer",
            Self::PlateletAgitator => "platelet_agitator",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Refrigerator => "Refrigerator (1 to 6 °C)",
            Self::Freezer => "Freezer (−20 °C or colder)",
            Self::UltraLowFreezer => "Ultra-low freezer (−65 °C or colder)",
            Self::PlateletAgitator => "Platelet agitator (20 to 24 °C)",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim()).ok_or_else(|| {
            format!("'{}' is not a storage class; use {}", s.trim(), Self::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "))
        })
    }

    /// The range the equipment holds, in °C (`None`: no bound on that side).
    pub fn range(self) -> (Option<f64>, Option<f64>) {
        match self {
            Self::Refrigerator => (Some(1.0), Some(6.0)),
            Self::Freezer => (None, Some(-20.0)),
            Self::UltraLowFreezer => (None, Some(-65.0)),
            Self::PlateletAgitator => (Some(20.0), Some(24.0)),
        }
    }

    /// The range a shipping box of this class keeps (frozen, refrigerated, room temperature).
    pub fn shipping_group(self) -> &'static str {
        match self {
            Self::Refrigerator => "refrigerated",
            Self::Freezer | Self::UltraLowFreezer => "frozen",
            Self::PlateletAgitator => "room temperature",
        }
    }
}

impl fmt::Display for TemperatureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

impl TryFrom<String> for TemperatureClass {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

/// The storage a component needs, in words, and its range in °C (§2.1).
pub fn required_storage(kind: ComponentKind) -> (&'static str, Option<f64>, Option<f64>) {
    use ComponentKind::*;
    match kind {
        WholeBlood | RedCells | ThawedPlasma => ("1 to 6 °C", Some(1.0), Some(6.0)),
        RedCellsFrozen => ("−65 °C or colder", None, Some(-65.0)),
        Platelets => ("20 to 24 °C with gentle agitation", Some(20.0), Some(24.0)),
        Ffp | Pf24 | Plasma | Cryo | CryoReducedPlasma => ("−18 °C or colder", None, Some(-18.0)),
        SourcePlasma => ("−20 °C or colder", None, Some(-20.0)),
    }
}

/// Whether a location of this class keeps the component within its range: the
/// class's whole range must lie inside the component's.
pub fn suits(kind: ComponentKind, class: TemperatureClass) -> bool {
    let (_, need_lo, need_hi) = required_storage(kind);
    let (lo, hi) = class.range();
    let low_ok = match (need_lo, lo) {
        (None, _) => true,
        (Some(n), Some(l)) => l >= n,
        (Some(_), None) => false,
    };
    let high_ok = match (need_hi, hi) {
        (None, _) => true,
        (Some(n), Some(h)) => h <= n,
        (Some(_), None) => false,
    };
    // Platelets need agitation, which only the agitator gives (a 20–24 °C room does not).
    low_ok && high_ok && (kind != ComponentKind::Platelets || class == TemperatureClass::PlateletAgitator)
}

/// Why a unit may not go into a location; `None` when it may.
pub fn wrong_storage(kind: ComponentKind, class: TemperatureClass, location: &str) -> Option<String> {
    (!suits(kind, class)).then(|| {
        let mut class_words = class.title().to_string();
        if let Some(first) = class_words.get(..1).map(str::to_lowercase) {
            class_words.replace_range(..1, &first);
        }
        format!("{} is stored at {}; {location} is a {class_words}", kind.title(), required_storage(kind).0)
    })
}

/// A reading recorded against a location: whether it left the class's range, and how.
pub fn excursion(class: TemperatureClass, lowest_c: f64, highest_c: f64) -> Option<String> {
    let (lo, hi) = class.range();
    let mut out = Vec::new();
    if let Some(l) = lo.filter(|l| lowest_c < *l) {
        out.push(format!("down to {lowest_c} °C, below {l} °C"));
    }
    if let Some(h) = hi.filter(|h| highest_c > *h) {
        out.push(format!("up to {highest_c} °C, above {h} °C"));
    }
    (!out.is_empty()).then(|| out.join(" and "))
}

/// Why a unit was discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscardReason {
    Expired,
    /// Bag broken, leaking or damaged.
    Broken,
    Reactive,
    QcFailure,
    Recall,
    TemperatureExcursion,
    /// Clots, lipemia, hemolysis, wrong volume: seen on inspection.
    FailedInspection,
    Other,
}

impl DiscardReason {
    pub const ALL: [Self; 8] =
        [Self::Expired, Self::Broken, Self::Reactive, Self::QcFailure, Self::Recall, Self::TemperatureExcursion, Self::FailedInspection, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Broken => "broken",
            Self::Reactive => "reactive",
            Self::QcFailure => "qc_failure",
            Self::Recall => "recall",
            Self::TemperatureExcursion => "temperature_excursion",
            Self::FailedInspection => "failed_inspection",
            Self::Other => "other",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Expired => "Expired",
            Self::Broken => "Bag broken or leaking",
            Self::Reactive => "Reactive test result",
            Self::QcFailure => "Quality control failed",
            Self::Recall => "Recall or market withdrawal",
            Self::TemperatureExcursion => "Temperature excursion",
            Self::FailedInspection => "Failed visual inspection",
            Self::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim()).ok_or_else(|| {
            format!("'{}' is not a reason to discard; use {}", s.trim(), Self::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "))
        })
    }

    /// Reasons that need words on what was seen.
    pub fn needs_details(self) -> bool {
        matches!(self, Self::Other | Self::FailedInspection | Self::Broken)
    }
}

impl TryFrom<String> for DiscardReason {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

/// Whether the expiry job takes a unit in this state out: every state the centre
/// still holds (a shipped unit is the consignee's; ended units are gone already).
pub fn expires_out(state: ComponentState) -> bool {
    matches!(
        state,
        ComponentState::InProcessing | ComponentState::Quarantine | ComponentState::Available | ComponentState::Reserved | ComponentState::Returned
    )
}

/// Whether a unit in this state may be discarded by hand.
pub fn may_discard(state: ComponentState) -> bool {
    expires_out(state)
}

/// Whether a unit in this state sits in the centre's storage (and so can be moved).
pub fn in_storage(state: ComponentState) -> bool {
    expires_out(state)
}

/// The product classes stock is counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductClass {
    RedCells,
    WholeBlood,
    Platelets,
    Plasma,
    Cryo,
}

impl ProductClass {
    pub const ALL: [Self; 5] = [Self::RedCells, Self::WholeBlood, Self::Platelets, Self::Plasma, Self::Cryo];

    /// The component kinds sold under this class, by their stored names.
    pub fn kinds(self) -> Vec<&'static str> {
        crate::component::ComponentKind::ALL.into_iter().filter(|k| Self::of(*k) == self).map(|k| k.as_str()).collect()
    }

    /// The name in JSON, URLs and files (`red_cells`, `whole_blood`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RedCells => "red_cells",
            Self::WholeBlood => "whole_blood",
            Self::Platelets => "platelets",
            Self::Plasma => "plasma",
            Self::Cryo => "cryo",
        }
    }

    /// Reads the name [`as_str`](Self::as_str) writes.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim()).ok_or_else(|| {
            format!("'{}' is not a product class; use {}", s.trim(), Self::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "))
        })
    }

    pub fn of(kind: ComponentKind) -> Self {
        use ComponentKind::*;
        match kind {
            RedCells | RedCellsFrozen => Self::RedCells,
            WholeBlood => Self::WholeBlood,
            Platelets => Self::Platelets,
            Ffp | Pf24 | Plasma | ThawedPlasma | SourcePlasma | CryoReducedPlasma => Self::Plasma,
            Cryo => Self::Cryo,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::RedCells => "Red cells",
            Self::WholeBlood => "Whole blood",
            Self::Platelets => "Platelets",
            Self::Plasma => "Plasma",
            Self::Cryo => "Cryo",
        }
    }
}

impl TryFrom<String> for ProductClass {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

/// Days of supply: units in stock over the average issued per day. `None` when nothing
/// was issued in the window (no demand to divide by).
pub fn days_of_supply(in_stock: i64, issued_in_window: i64, window_days: i64) -> Option<f64> {
    (issued_in_window > 0 && window_days > 0).then(|| in_stock as f64 * window_days as f64 / issued_in_window as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComponentKind::*;
    use TemperatureClass::*;

    #[test]
    fn each_component_has_exactly_the_storage_the_dating_table_gives() {
        // §2.1: 1–6 °C for whole blood and red cells, ≤ −65 °C frozen red cells,
        // 20–24 °C platelets, ≤ −18 °C frozen plasma and cryo, ≤ −20 °C source plasma.
        let want: &[(ComponentKind, &[TemperatureClass])] = &[
            (WholeBlood, &[Refrigerator]),
            (RedCells, &[Refrigerator]),
            (ThawedPlasma, &[Refrigerator]),
            (RedCellsFrozen, &[UltraLowFreezer]),
            (Platelets, &[PlateletAgitator]),
            (Ffp, &[Freezer, UltraLowFreezer]),
            (Pf24, &[Freezer, UltraLowFreezer]),
            (Plasma, &[Freezer, UltraLowFreezer]),
            (Cryo, &[Freezer, UltraLowFreezer]),
            (CryoReducedPlasma, &[Freezer, UltraLowFreezer]),
            (SourcePlasma, &[Freezer, UltraLowFreezer]),
        ];
        for (kind, classes) in want {
            for class in TemperatureClass::ALL {
                assert_eq!(suits(*kind, class), classes.contains(&class), "{kind:?} in {class:?}");
            }
        }
        assert_eq!(want.len(), ComponentKind::ALL.len());
    }

    #[test]
    fn product_classes_read_back_their_names() {
        for c in ProductClass::ALL {
            assert_eq!(ProductClass::parse(c.as_str()), Ok(c));
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::json!(c.as_str()));
            assert_eq!(serde_json::from_value::<ProductClass>(serde_json::json!(c.as_str())).unwrap(), c);
        }
        assert!(ProductClass::parse("blood").unwrap_err().contains("red_cells, whole_blood, platelets, plasma, cryo"));
    }

    #[test]
    fn the_wrong_class_is_named_in_words() {
        let m = wrong_storage(Platelets, Freezer, "Freezer 2").unwrap();
        assert_eq!(m, "Platelets is stored at 20 to 24 °C with gentle agitation; Freezer 2 is a freezer (−20 °C or colder)");
        assert!(wrong_storage(RedCells, Refrigerator, "Fridge 1").is_none());
    }

    #[test]
    fn an_excursion_is_a_reading_outside_the_class_range() {
        assert_eq!(excursion(Refrigerator, 2.0, 6.0), None);
        assert_eq!(excursion(Refrigerator, 2.0, 6.5).unwrap(), "up to 6.5 °C, above 6 °C");
        assert_eq!(excursion(Refrigerator, 0.5, 8.0).unwrap(), "down to 0.5 °C, below 1 °C and up to 8 °C, above 6 °C");
        assert_eq!(excursion(Freezer, -40.0, -21.0), None);
        assert!(excursion(Freezer, -40.0, -12.0).is_some());
        assert!(excursion(PlateletAgitator, 19.0, 22.0).is_some());
    }

    #[test]
    fn days_of_supply_divide_stock_by_the_daily_average() {
        assert_eq!(days_of_supply(30, 28, 28), Some(30.0));
        assert_eq!(days_of_supply(10, 56, 28), Some(5.0));
        assert_eq!(days_of_supply(10, 0, 28), None);
    }

    #[test]
    fn the_expiry_job_takes_out_only_what_the_centre_holds() {
        for s in ComponentState::ALL {
            let held = matches!(
                s,
                ComponentState::InProcessing
                    | ComponentState::Quarantine
                    | ComponentState::Available
                    | ComponentState::Reserved
                    | ComponentState::Returned
            );
            assert_eq!(expires_out(s), held, "{s:?}");
        }
    }
}
