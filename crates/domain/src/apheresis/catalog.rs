//! The service catalog: the procedures the company's nurses perform at hospitals, the
//! devices each runs on and how long a booking of it lasts.
//!
//! Durations (`shared/reference/domain-rules.md`, section 6): single-centre medians of
//! 120 min for plasma exchange on a centrifugal device and 135 min on a membrane device
//! (PMC5769505); "about 2 to 4 h in general" for the rest, booked at 180 min until the
//! centre's own figures replace them. A coordinator can book a different duration per
//! request.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    PlasmaExchange,
    RedCellExchange,
    RedCellDepletion,
    Leukocytapheresis,
    Plateletpheresis,
    Photopheresis,
    LdlApheresis,
    Immunoadsorption,
    StemCellCollection,
}

/// The kind of machine a nurse brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    /// A centrifugal cell separator (plasma exchange, cell exchanges and collections).
    Centrifugal,
    /// A membrane plasma separator.
    Membrane,
    /// A closed extracorporeal photopheresis system.
    Photopheresis,
    /// A column adsorption system run with a plasma separator (LDL, immunoadsorption).
    Adsorption,
}

/// The general duration of a procedure with no sourced median (2 to 4 h).
pub const GENERAL_MINUTES: i64 = 180;
/// Bounds of a booked duration a coordinator may set.
pub const MINUTES: (i64, i64) = (30, 12 * 60);

impl Procedure {
    pub const ALL: [Procedure; 9] = [
        Procedure::PlasmaExchange,
        Procedure::RedCellExchange,
        Procedure::RedCellDepletion,
        Procedure::Leukocytapheresis,
        Procedure::Plateletpheresis,
        Procedure::Photopheresis,
        Procedure::LdlApheresis,
        Procedure::Immunoadsorption,
        Procedure::StemCellCollection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Procedure::PlasmaExchange => "plasma_exchange",
            Procedure::RedCellExchange => "red_cell_exchange",
            Procedure::RedCellDepletion => "red_cell_depletion",
            Procedure::Leukocytapheresis => "leukocytapheresis",
            Procedure::Plateletpheresis => "plateletpheresis",
            Procedure::Photopheresis => "photopheresis",
            Procedure::LdlApheresis => "ldl_apheresis",
            Procedure::Immunoadsorption => "immunoadsorption",
            Procedure::StemCellCollection => "stem_cell_collection",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Procedure::PlasmaExchange => "Therapeutic plasma exchange",
            Procedure::RedCellExchange => "Red cell exchange",
            Procedure::RedCellDepletion => "Red cell depletion",
            Procedure::Leukocytapheresis => "Leukocytapheresis",
            Procedure::Plateletpheresis => "Therapeutic plateletpheresis",
            Procedure::Photopheresis => "Extracorporeal photopheresis",
            Procedure::LdlApheresis => "LDL apheresis",
            Procedure::Immunoadsorption => "Immunoadsorption",
            Procedure::StemCellCollection => "HPC (stem cell) collection",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        Procedure::ALL
            .into_iter()
            .find(|p| p.as_str() == t || p.title().eq_ignore_ascii_case(t))
            .ok_or_else(|| format!("'{t}' is not a procedure of the catalog; choose one of {}", Procedure::ALL.map(|p| p.as_str()).join(", ")))
    }

    /// The devices it runs on, the usual first.
    pub fn device_types(self) -> &'static [DeviceType] {
        match self {
            Procedure::PlasmaExchange => &[DeviceType::Centrifugal, DeviceType::Membrane],
            Procedure::Photopheresis => &[DeviceType::Photopheresis],
            Procedure::LdlApheresis | Procedure::Immunoadsorption => &[DeviceType::Adsorption],
            _ => &[DeviceType::Centrifugal],
        }
    }

    /// How long one treatment is booked for on a device of this type.
    pub fn typical_minutes(self, device: DeviceType) -> i64 {
        match (self, device) {
            (Procedure::PlasmaExchange, DeviceType::Centrifugal) => 120,
            (Procedure::PlasmaExchange, DeviceType::Membrane) => 135,
            _ => GENERAL_MINUTES,
        }
    }

    /// The longest typical duration over its devices: what a request books unless the
    /// coordinator says otherwise.
    pub fn booking_minutes(self) -> i64 {
        self.device_types().iter().map(|d| self.typical_minutes(*d)).max().unwrap_or(GENERAL_MINUTES)
    }
}

impl TryFrom<String> for Procedure {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Procedure::parse(&s)
    }
}

impl DeviceType {
    pub const ALL: [DeviceType; 4] = [DeviceType::Centrifugal, DeviceType::Membrane, DeviceType::Photopheresis, DeviceType::Adsorption];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceType::Centrifugal => "centrifugal",
            DeviceType::Membrane => "membrane",
            DeviceType::Photopheresis => "photopheresis",
            DeviceType::Adsorption => "adsorption",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            DeviceType::Centrifugal => "Centrifugal cell separator",
            DeviceType::Membrane => "Membrane plasma separator",
            DeviceType::Photopheresis => "Photopheresis system",
            DeviceType::Adsorption => "Column adsorption system",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        DeviceType::ALL
            .into_iter()
            .find(|d| d.as_str() == t || d.title().eq_ignore_ascii_case(t))
            .ok_or_else(|| format!("'{t}' is not a device type; choose one of {}", DeviceType::ALL.map(|d| d.as_str()).join(", ")))
    }
}

impl TryFrom<String> for DeviceType {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        DeviceType::parse(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_procedure_parses_from_its_name_and_runs_on_a_device() {
        for p in Procedure::ALL {
            assert_eq!(Procedure::parse(p.as_str()).unwrap(), p);
            assert!(!p.device_types().is_empty());
        }
        assert!(Procedure::parse("dialysis").unwrap_err().contains("plasma_exchange"));
    }

    #[test]
    fn plasma_exchange_durations_are_the_sourced_medians() {
        assert_eq!(Procedure::PlasmaExchange.typical_minutes(DeviceType::Centrifugal), 120);
        assert_eq!(Procedure::PlasmaExchange.typical_minutes(DeviceType::Membrane), 135);
        // Booked at the longer one, so either device fits the slot.
        assert_eq!(Procedure::PlasmaExchange.booking_minutes(), 135);
        assert_eq!(Procedure::Photopheresis.booking_minutes(), GENERAL_MINUTES);
        assert_eq!(Procedure::Photopheresis.device_types(), &[DeviceType::Photopheresis]);
    }
}
