//! Components: one unit of one product, made from a donation (separation) or from
//! other components (modifications, splits, pools). Pure planning: what a step makes
//! from what, and why a step is refused. Storage, product codes from the catalog and
//! expiry from the dating rules are applied by the use case.
//!
//! Processing limits (reference/domain-rules.md §2.2, 21 CFR Part 640 [V]):
//! - plasma in the freezer within 8 h of collection is Fresh Frozen Plasma
//!   (640.34(b)); within 24 h, Plasma Frozen Within 24 Hours (610.53(c) table);
//!   later, Plasma;
//! - whole-blood platelets are separated within 4 h of collection, the whole blood
//!   held at 20–24 °C (640.24(b)); later, no platelets are made;
//! - cryoprecipitate is made from Fresh Frozen Plasma only (610.53(c), "Cryoprecipitated
//!   AHF … from collection of the source blood").

use crate::DonationProcedure;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Hours from collection within which plasma must be in the freezer to be FFP.
pub const FFP_HOURS: i64 = 8;
/// Hours from collection within which plasma must be frozen to be PF24.
pub const PF24_HOURS: i64 = 24;
/// Hours from collection within which whole-blood platelets are separated.
pub const WB_PLATELET_HOURS: i64 = 4;

/// The product a component is, as manufacture and dating see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    WholeBlood,
    RedCells,
    RedCellsFrozen,
    Platelets,
    Ffp,
    Pf24,
    Plasma,
    ThawedPlasma,
    SourcePlasma,
    Cryo,
    CryoReducedPlasma,
}

impl ComponentKind {
    pub const ALL: [ComponentKind; 11] = [
        Self::WholeBlood,
        Self::RedCells,
        Self::RedCellsFrozen,
        Self::Platelets,
        Self::Ffp,
        Self::Pf24,
        Self::Plasma,
        Self::ThawedPlasma,
        Self::SourcePlasma,
        Self::Cryo,
        Self::CryoReducedPlasma,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::WholeBlood => "whole_blood",
            Self::RedCells => "red_cells",
            Self::RedCellsFrozen => "red_cells_frozen",
            Self::Platelets => "platelets",
            Self::Ffp => "ffp",
            Self::Pf24 => "pf24",
            Self::Plasma => "plasma",
            Self::ThawedPlasma => "thawed_plasma",
            Self::SourcePlasma => "source_plasma",
            Self::Cryo => "cryo",
            Self::CryoReducedPlasma => "cryo_reduced_plasma",
        }
    }

    /// The product's name as on a label and in staff's words.
    pub fn title(self) -> &'static str {
        match self {
            Self::WholeBlood => "Whole Blood",
            Self::RedCells => "Red Blood Cells",
            Self::RedCellsFrozen => "Red Blood Cells, Frozen",
            Self::Platelets => "Platelets",
            Self::Ffp => "Fresh Frozen Plasma",
            Self::Pf24 => "Plasma Frozen Within 24 Hours",
            Self::Plasma => "Plasma",
            Self::ThawedPlasma => "Thawed Plasma",
            Self::SourcePlasma => "Source Plasma",
            Self::Cryo => "Cryoprecipitated AHF",
            Self::CryoReducedPlasma => "Plasma Cryoprecipitate Reduced",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| format!("'{}' is not a component ({})", s.trim(), Self::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")))
    }

    /// Kinds whose units may be pooled together.
    fn poolable(self) -> bool {
        matches!(self, Self::Platelets | Self::Cryo)
    }
}

impl fmt::Display for ComponentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

impl TryFrom<String> for ComponentKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

/// A property of a unit that changes what it is (and its product code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    Apheresis,
    Leukoreduced,
    Irradiated,
    Washed,
    VolumeReduced,
    Divided,
    Pooled,
}

impl Attribute {
    pub const ALL: [Attribute; 7] =
        [Self::Apheresis, Self::Leukoreduced, Self::Irradiated, Self::Washed, Self::VolumeReduced, Self::Divided, Self::Pooled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apheresis => "apheresis",
            Self::Leukoreduced => "leukoreduced",
            Self::Irradiated => "irradiated",
            Self::Washed => "washed",
            Self::VolumeReduced => "volume_reduced",
            Self::Divided => "divided",
            Self::Pooled => "pooled",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Apheresis => "Apheresis",
            Self::Leukoreduced => "Leukocytes Reduced",
            Self::Irradiated => "Irradiated",
            Self::Washed => "Washed",
            Self::VolumeReduced => "Volume Reduced",
            Self::Divided => "Divided",
            Self::Pooled => "Pooled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|a| a.as_str() == s.trim()).ok_or_else(|| format!("'{}' is not a component attribute", s.trim()))
    }
}

/// Attributes as stored: comma-separated names.
pub fn attributes_text(a: &BTreeSet<Attribute>) -> String {
    a.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",")
}

pub fn parse_attributes(s: &str) -> Result<BTreeSet<Attribute>, String> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(Attribute::parse).collect()
}

/// Where a unit stands. This issue knows processing; release and the rest follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentState {
    /// Made, not yet tested or released.
    InProcessing,
    /// Held: may not be used until the hold is lifted.
    Quarantine,
    /// Ended: a modification made a new unit from it.
    Modified,
    /// Ended: divided into aliquots.
    Split,
    /// Ended: became part of a pool.
    Pooled,
    /// Ended: discarded, with the reason.
    Discarded,
    /// Released through the gate: stock that may be allocated.
    Available,
    /// Allocated to an order, not yet shipped.
    Reserved,
    /// Shipped to a consignee.
    Shipped,
    /// Back from a consignee, waiting for inspection.
    Returned,
    /// Ended: transfused, as the consignee reported.
    Transfused,
}

impl ComponentState {
    pub const ALL: [Self; 11] = [
        Self::InProcessing,
        Self::Quarantine,
        Self::Modified,
        Self::Split,
        Self::Pooled,
        Self::Discarded,
        Self::Available,
        Self::Reserved,
        Self::Shipped,
        Self::Returned,
        Self::Transfused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProcessing => "in_processing",
            Self::Quarantine => "quarantine",
            Self::Modified => "modified",
            Self::Split => "split",
            Self::Pooled => "pooled",
            Self::Discarded => "discarded",
            Self::Available => "available",
            Self::Reserved => "reserved",
            Self::Shipped => "shipped",
            Self::Returned => "returned",
            Self::Transfused => "transfused",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::InProcessing => "In processing",
            Self::Quarantine => "Quarantine",
            Self::Modified => "Ended: modified",
            Self::Split => "Ended: divided",
            Self::Pooled => "Ended: pooled",
            Self::Discarded => "Discarded",
            Self::Available => "Available",
            Self::Reserved => "Reserved",
            Self::Shipped => "Shipped",
            Self::Returned => "Returned, to inspect",
            Self::Transfused => "Transfused",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| format!("'{s}' is not a component state"))
    }

    /// An ended unit can take no further step.
    pub fn is_ended(self) -> bool {
        matches!(self, Self::Modified | Self::Split | Self::Pooled | Self::Discarded | Self::Transfused)
    }

    /// In the centre's hands and not yet released.
    pub fn is_unreleased(self) -> bool {
        matches!(self, Self::InProcessing | Self::Quarantine)
    }

    /// In the centre's stock, so a processing step may apply (irradiating or thawing a
    /// released unit on demand makes a new unit that is released again).
    pub fn can_be_processed(self) -> bool {
        matches!(self, Self::InProcessing | Self::Quarantine | Self::Available)
    }
}

impl TryFrom<String> for ComponentState {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

/// Why a manufacturing step is refused: always names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManufactureError {
    #[error("{0}")]
    Refused(String),
}

fn refuse<T>(m: impl Into<String>) -> Result<T, ManufactureError> {
    Err(ManufactureError::Refused(m.into()))
}

/// One unit a step will make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    pub kind: ComponentKind,
    pub attributes: BTreeSet<Attribute>,
    /// ISBT 128 division code characters (`A0`, `B0`, `Ab`), or `00` when undivided.
    pub division: String,
    /// The rule that decided the product, for the record ("frozen 5 h after collection: FFP").
    pub why: String,
}

/// What the separation of a donation needs to know.
#[derive(Debug, Clone, PartialEq)]
pub struct Separation {
    pub procedure: DonationProcedure,
    /// The collection record's outcome is complete.
    pub complete: bool,
    pub collected_at: DateTime<Utc>,
    /// When the plasma went into the freezer (whole blood and apheresis plasma).
    pub plasma_frozen_at: Option<DateTime<Utc>>,
    /// Whole blood: separate platelets too, at this time.
    pub platelets_separated_at: Option<DateTime<Utc>>,
    /// Apheresis platelets: single (1), double (2) or triple (3).
    pub platelet_units: Option<i64>,
    /// Products an apheresis collection took besides its main one.
    pub concurrent_products: Vec<String>,
    /// Leukocytes reduced in the collection or by an in-line filter.
    pub leukoreduced: bool,
}

fn plasma_by_time(
    collected_at: DateTime<Utc>,
    frozen_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(ComponentKind, String), ManufactureError> {
    let Some(frozen) = frozen_at else { return refuse("say when the plasma went into the freezer: the time decides FFP, PF24 or Plasma") };
    if frozen < collected_at {
        return refuse("the plasma cannot be frozen before it was collected");
    }
    if frozen > now {
        return refuse("the freezing time is in the future");
    }
    let h = frozen - collected_at;
    let took = format!("frozen {} h {} min after collection", h.num_hours(), h.num_minutes() % 60);
    Ok(if h <= Duration::hours(FFP_HOURS) {
        (ComponentKind::Ffp, format!("{took}: within {FFP_HOURS} h, Fresh Frozen Plasma (21 CFR 640.34(b))"))
    } else if h <= Duration::hours(PF24_HOURS) {
        (ComponentKind::Pf24, format!("{took}: past {FFP_HOURS} h, within {PF24_HOURS} h, Plasma Frozen Within 24 Hours"))
    } else {
        (ComponentKind::Plasma, format!("{took}: past {PF24_HOURS} h, Plasma (not FFP or PF24)"))
    })
}

fn division(i: usize, of: usize) -> String {
    if of <= 1 {
        "00".into()
    } else {
        format!("{}0", (b'A' + i as u8) as char)
    }
}

/// The units a donation is separated into, or why it cannot be.
pub fn plan_separation(s: &Separation, now: DateTime<Utc>) -> Result<Vec<Planned>, ManufactureError> {
    if !s.complete {
        return refuse("the collection is not recorded as complete; an incomplete or stopped collection is not separated into components");
    }
    let mut base = BTreeSet::new();
    if s.leukoreduced {
        base.insert(Attribute::Leukoreduced);
    }
    let mut apheresis = base.clone();
    apheresis.insert(Attribute::Apheresis);
    let one = |kind, attributes: &BTreeSet<Attribute>, why: String| Planned { kind, attributes: attributes.clone(), division: "00".into(), why };
    let mut out = Vec::new();
    match s.procedure {
        DonationProcedure::WholeBlood | DonationProcedure::Autologous => {
            out.push(one(ComponentKind::RedCells, &base, "red cells from whole blood".into()));
            let (plasma, why) = plasma_by_time(s.collected_at, s.plasma_frozen_at, now)?;
            out.push(one(plasma, &base, why));
            if let Some(at) = s.platelets_separated_at {
                if at < s.collected_at || at > now {
                    return refuse("the platelet separation time must lie between the collection and now");
                }
                if at - s.collected_at > Duration::hours(WB_PLATELET_HOURS) {
                    return refuse(format!(
                        "platelets are separated within {WB_PLATELET_HOURS} h of collection (21 CFR 640.24(b)); this whole blood is {} h {} min old at separation",
                        (at - s.collected_at).num_hours(),
                        (at - s.collected_at).num_minutes() % 60
                    ));
                }
                out.push(one(ComponentKind::Platelets, &base, format!("whole-blood platelets, separated within {WB_PLATELET_HOURS} h")));
            }
        }
        DonationProcedure::DoubleRedCells => {
            for i in 0..2 {
                out.push(Planned {
                    kind: ComponentKind::RedCells,
                    attributes: apheresis.clone(),
                    division: division(i, 2),
                    why: "double red cell collection: two units".into(),
                });
            }
        }
        DonationProcedure::Platelets => {
            let n = match s.platelet_units {
                Some(n @ 1..=3) => n as usize,
                _ => return refuse("the collection record does not say whether this was a single, double or triple platelet collection"),
            };
            for i in 0..n {
                out.push(Planned {
                    kind: ComponentKind::Platelets,
                    attributes: apheresis.clone(),
                    division: division(i, n),
                    why: format!("apheresis platelets, unit {} of {n}", i + 1),
                });
            }
        }
        DonationProcedure::Plasma => {
            let (plasma, why) = plasma_by_time(s.collected_at, s.plasma_frozen_at, now)?;
            out.push(one(plasma, &apheresis, why));
        }
        DonationProcedure::SourcePlasma => out.push(one(ComponentKind::SourcePlasma, &apheresis, "source plasma for fractionation".into())),
    }
    if !matches!(s.procedure, DonationProcedure::WholeBlood | DonationProcedure::Autologous) {
        for c in &s.concurrent_products {
            match c.as_str() {
                "plasma" => {
                    let (plasma, why) = plasma_by_time(s.collected_at, s.plasma_frozen_at, now)?;
                    out.push(one(plasma, &apheresis, format!("concurrent plasma, {why}")));
                }
                "red_cells" => out.push(one(ComponentKind::RedCells, &apheresis, "concurrent red cells".into())),
                "platelets" => out.push(one(ComponentKind::Platelets, &apheresis, "concurrent platelets".into())),
                other => return refuse(format!("'{other}' is not a concurrent product")),
            }
        }
    }
    // Units of the same product from one donation are told apart by their divisions.
    let mut seen: Vec<(ComponentKind, usize)> = Vec::new();
    for p in &out {
        match seen.iter_mut().find(|(k, _)| *k == p.kind) {
            Some((_, n)) => *n += 1,
            None => seen.push((p.kind, 1)),
        }
    }
    for (kind, n) in seen.into_iter().filter(|(_, n)| *n > 1) {
        for (i, p) in out.iter_mut().filter(|p| p.kind == kind).enumerate() {
            p.division = division(i, n);
        }
    }
    Ok(out)
}

/// A unit as a step sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFacts {
    pub kind: ComponentKind,
    pub attributes: BTreeSet<Attribute>,
    pub state: ComponentState,
    pub division: String,
    pub din: String,
    /// ABO/RhD of the donation, when known (pools must agree).
    pub blood_group: Option<String>,
}

/// A step that makes one new unit from one unit, ending it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modification {
    Leukoreduce,
    Irradiate,
    Wash,
    VolumeReduce,
    Freeze,
    Thaw,
    /// Cryoprecipitate from FFP (the FFP ends; cryo and cryo-reduced plasma are made).
    MakeCryo,
}

impl Modification {
    pub const ALL: [Modification; 7] = [Self::Leukoreduce, Self::Irradiate, Self::Wash, Self::VolumeReduce, Self::Freeze, Self::Thaw, Self::MakeCryo];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Leukoreduce => "leukoreduce",
            Self::Irradiate => "irradiate",
            Self::Wash => "wash",
            Self::VolumeReduce => "volume_reduce",
            Self::Freeze => "freeze",
            Self::Thaw => "thaw",
            Self::MakeCryo => "make_cryo",
        }
    }

    /// Whether the unit made keeps the volume of the unit it was made from (irradiation
    /// and thawing do; filtering, washing, reducing, glycerolising and making cryo change it).
    pub fn keeps_volume(self) -> bool {
        matches!(self, Self::Irradiate | Self::Thaw)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Leukoreduce => "Leukocyte reduction",
            Self::Irradiate => "Irradiation",
            Self::Wash => "Washing",
            Self::VolumeReduce => "Volume reduction",
            Self::Freeze => "Freezing (red cells)",
            Self::Thaw => "Thawing",
            Self::MakeCryo => "Cryoprecipitate from FFP",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|m| m.as_str() == s.trim()).ok_or_else(|| {
            format!("'{}' is not a processing step ({})", s.trim(), Self::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "))
        })
    }
}

fn usable(u: &UnitFacts) -> Result<(), ManufactureError> {
    if u.state.is_ended() {
        return refuse(format!("{} {} has ended ({}); it takes no further step", u.din, u.kind, u.state.title().to_lowercase()));
    }
    if !u.state.can_be_processed() {
        return refuse(format!("{} {} is {}; it takes no processing step", u.din, u.kind, u.state.title().to_lowercase()));
    }
    Ok(())
}

/// What a modification makes from a unit, or why it is refused.
pub fn plan_modification(u: &UnitFacts, m: Modification) -> Result<Vec<Planned>, ManufactureError> {
    usable(u)?;
    let with = |a: Attribute, why: &str| -> Result<Vec<Planned>, ManufactureError> {
        if u.attributes.contains(&a) {
            return refuse(format!("{} {} is already {}", u.din, u.kind, a.title().to_lowercase()));
        }
        let mut attributes = u.attributes.clone();
        attributes.insert(a);
        Ok(vec![Planned { kind: u.kind, attributes, division: u.division.clone(), why: why.into() }])
    };
    let cellular = matches!(u.kind, ComponentKind::WholeBlood | ComponentKind::RedCells | ComponentKind::Platelets);
    match m {
        Modification::Leukoreduce if cellular => with(Attribute::Leukoreduced, "leukocytes reduced by filtration"),
        Modification::Irradiate if cellular => with(Attribute::Irradiated, "irradiated"),
        Modification::Wash if matches!(u.kind, ComponentKind::RedCells | ComponentKind::Platelets) => with(Attribute::Washed, "washed (open system)"),
        Modification::VolumeReduce if matches!(u.kind, ComponentKind::RedCells | ComponentKind::Platelets) => {
            with(Attribute::VolumeReduced, "volume reduced")
        }
        Modification::Freeze if u.kind == ComponentKind::RedCells => Ok(vec![Planned {
            kind: ComponentKind::RedCellsFrozen,
            attributes: u.attributes.clone(),
            division: u.division.clone(),
            why: "red cells frozen (glycerolized)".into(),
        }]),
        Modification::Thaw if matches!(u.kind, ComponentKind::Ffp | ComponentKind::Pf24) => Ok(vec![Planned {
            kind: ComponentKind::ThawedPlasma,
            attributes: u.attributes.clone(),
            division: u.division.clone(),
            why: format!("{} thawed: Thawed Plasma", u.kind),
        }]),
        Modification::MakeCryo if u.kind == ComponentKind::Ffp => Ok(vec![
            Planned {
                kind: ComponentKind::Cryo,
                attributes: u.attributes.clone(),
                division: u.division.clone(),
                why: "cryoprecipitate from FFP".into(),
            },
            Planned {
                kind: ComponentKind::CryoReducedPlasma,
                attributes: u.attributes.clone(),
                division: u.division.clone(),
                why: "the plasma left after cryoprecipitate".into(),
            },
        ]),
        Modification::MakeCryo => refuse(format!("cryoprecipitate is made from Fresh Frozen Plasma only; {} is {}", u.din, u.kind)),
        m => refuse(format!("{} does not apply to {}", m.title(), u.kind)),
    }
}

/// Divides a unit into `parts` aliquots (pediatric splits): first-level divisions `A0`,
/// `B0`… of an undivided unit, or second-level `Aa`, `Ab`… of a first-level one.
pub fn plan_split(u: &UnitFacts, parts: usize) -> Result<Vec<Planned>, ManufactureError> {
    usable(u)?;
    if !(2..=8).contains(&parts) {
        return refuse("a unit is divided into 2 to 8 aliquots");
    }
    let mut attributes = u.attributes.clone();
    attributes.insert(Attribute::Divided);
    let bytes = u.division.as_bytes();
    let divisions: Vec<String> = match (bytes.first(), bytes.get(1)) {
        (Some(b'0'), Some(b'0')) => (0..parts).map(|i| format!("{}0", (b'A' + i as u8) as char)).collect(),
        (Some(d), Some(b'0')) if d.is_ascii_uppercase() => (0..parts).map(|i| format!("{}{}", *d as char, (b'a' + i as u8) as char)).collect(),
        _ => return refuse(format!("{} {} is divided twice already; ISBT 128 divisions have two levels", u.din, u.kind)),
    };
    Ok(divisions
        .into_iter()
        .map(|division| Planned { kind: u.kind, attributes: attributes.clone(), division, why: format!("aliquot of {parts}") })
        .collect())
}

/// A pool of units: one new unit remembering every source. The sources must be the same
/// product, usable, distinct and of one ABO/RhD where it is known.
pub fn plan_pool(units: &[UnitFacts]) -> Result<Planned, ManufactureError> {
    if units.len() < 2 {
        return refuse("a pool needs at least two units");
    }
    for u in units {
        usable(u)?;
    }
    let kind = units[0].kind;
    if !kind.poolable() {
        return refuse(format!("{kind} is not pooled; platelets and cryoprecipitate are"));
    }
    if let Some(other) = units.iter().find(|u| u.kind != kind) {
        return refuse(format!("a pool is of one product: {} is {}, not {kind}", other.din, other.kind));
    }
    let groups: BTreeSet<&str> = units.iter().filter_map(|u| u.blood_group.as_deref()).collect();
    if groups.len() > 1 {
        return refuse(format!(
            "the units are of different blood groups ({}); a pool is of one ABO/RhD",
            groups.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut seen = BTreeSet::new();
    for u in units {
        if !seen.insert((&u.din, &u.division, u.kind)) {
            return refuse(format!("{} {} is in the pool twice", u.din, u.kind));
        }
    }
    let mut attributes: BTreeSet<Attribute> =
        units.iter().map(|u| u.attributes.clone()).reduce(|a, b| a.intersection(&b).copied().collect()).unwrap_or_default();
    attributes.remove(&Attribute::Divided);
    attributes.insert(Attribute::Pooled);
    Ok(Planned { kind, attributes, division: "00".into(), why: format!("pool of {} units", units.len()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const COLLECTED: &str = "2026-12-04T15:00:00Z";

    fn wb(frozen: &str) -> Separation {
        Separation {
            procedure: DonationProcedure::WholeBlood,
            complete: true,
            collected_at: at(COLLECTED),
            plasma_frozen_at: Some(at(frozen)),
            platelets_separated_at: None,
            platelet_units: None,
            concurrent_products: vec![],
            leukoreduced: true,
        }
    }

    #[test]
    fn plasma_is_ffp_pf24_or_plasma_by_its_freezing_time() {
        let now = at("2026-12-06T00:00:00Z");
        let kinds = |frozen: &str| plan_separation(&wb(frozen), now).unwrap().iter().map(|p| p.kind).collect::<Vec<_>>();
        assert_eq!(kinds("2026-12-04T23:00:00Z"), [ComponentKind::RedCells, ComponentKind::Ffp], "exactly 8 h is FFP");
        assert_eq!(kinds("2026-12-04T23:01:00Z"), [ComponentKind::RedCells, ComponentKind::Pf24]);
        assert_eq!(kinds("2026-12-05T15:00:00Z"), [ComponentKind::RedCells, ComponentKind::Pf24], "exactly 24 h is PF24");
        assert_eq!(kinds("2026-12-05T15:01:00Z"), [ComponentKind::RedCells, ComponentKind::Plasma]);
        let why = &plan_separation(&wb("2026-12-04T20:30:00Z"), now).unwrap()[1].why;
        assert!(why.contains("5 h 30 min") && why.contains("640.34(b)"), "{why}");
    }

    #[test]
    fn whole_blood_platelets_only_within_four_hours() {
        let now = at("2026-12-06T00:00:00Z");
        let mut s = wb("2026-12-04T20:00:00Z");
        s.platelets_separated_at = Some(at("2026-12-04T19:00:00Z"));
        let plan = plan_separation(&s, now).unwrap();
        assert_eq!(plan.iter().map(|p| p.kind).collect::<Vec<_>>(), [ComponentKind::RedCells, ComponentKind::Ffp, ComponentKind::Platelets]);
        s.platelets_separated_at = Some(at("2026-12-04T19:01:00Z"));
        let e = plan_separation(&s, now).unwrap_err().to_string();
        assert!(e.contains("within 4 h") && e.contains("640.24(b)") && e.contains("4 h 1 min"), "{e}");
    }

    #[test]
    fn incomplete_collections_and_missing_times_are_refused() {
        let now = at("2026-12-06T00:00:00Z");
        let mut s = wb("2026-12-04T20:00:00Z");
        s.complete = false;
        assert!(plan_separation(&s, now).unwrap_err().to_string().contains("not recorded as complete"));
        let mut s = wb("2026-12-04T20:00:00Z");
        s.plasma_frozen_at = None;
        assert!(plan_separation(&s, now).unwrap_err().to_string().contains("freezer"));
        let s = wb("2026-12-04T14:00:00Z");
        assert!(plan_separation(&s, now).is_err(), "frozen before collection");
        let s = wb("2026-12-07T14:00:00Z");
        assert!(plan_separation(&s, now).is_err(), "frozen in the future");
    }

    #[test]
    fn a_double_platelet_collection_gives_two_divisions_and_concurrent_plasma() {
        let now = at("2026-12-06T00:00:00Z");
        let s = Separation {
            procedure: DonationProcedure::Platelets,
            platelet_units: Some(2),
            concurrent_products: vec!["plasma".into()],
            ..wb("2026-12-04T18:00:00Z")
        };
        let plan = plan_separation(&s, now).unwrap();
        let got: Vec<(ComponentKind, &str)> = plan.iter().map(|p| (p.kind, p.division.as_str())).collect();
        assert_eq!(got, [(ComponentKind::Platelets, "A0"), (ComponentKind::Platelets, "B0"), (ComponentKind::Ffp, "00")]);
        assert!(plan.iter().all(|p| p.attributes.contains(&Attribute::Apheresis)));
        let s = Separation { platelet_units: None, ..s };
        assert!(plan_separation(&s, now).unwrap_err().to_string().contains("single, double or triple"));
    }

    fn unit(kind: ComponentKind) -> UnitFacts {
        UnitFacts {
            kind,
            attributes: BTreeSet::from([Attribute::Leukoreduced]),
            state: ComponentState::InProcessing,
            division: "00".into(),
            din: "A999926000001".into(),
            blood_group: Some("O+".into()),
        }
    }

    #[test]
    fn modifications_make_a_new_unit_or_say_why_not() {
        let rc = unit(ComponentKind::RedCells);
        let irr = plan_modification(&rc, Modification::Irradiate).unwrap();
        assert!(irr[0].attributes.contains(&Attribute::Irradiated) && irr[0].kind == ComponentKind::RedCells);
        let done = UnitFacts { attributes: irr[0].attributes.clone(), ..rc.clone() };
        assert!(plan_modification(&done, Modification::Irradiate).unwrap_err().to_string().contains("already irradiated"));
        assert!(plan_modification(&unit(ComponentKind::Ffp), Modification::Irradiate)
            .unwrap_err()
            .to_string()
            .contains("does not apply to Fresh Frozen Plasma"));
        let ended = UnitFacts { state: ComponentState::Modified, ..rc.clone() };
        assert!(plan_modification(&ended, Modification::Wash).unwrap_err().to_string().contains("has ended"));
        assert_eq!(plan_modification(&unit(ComponentKind::Ffp), Modification::Thaw).unwrap()[0].kind, ComponentKind::ThawedPlasma);
        let cryo = plan_modification(&unit(ComponentKind::Ffp), Modification::MakeCryo).unwrap();
        assert_eq!(cryo.iter().map(|p| p.kind).collect::<Vec<_>>(), [ComponentKind::Cryo, ComponentKind::CryoReducedPlasma]);
        assert!(plan_modification(&unit(ComponentKind::Pf24), Modification::MakeCryo).unwrap_err().to_string().contains("Fresh Frozen Plasma only"));
    }

    #[test]
    fn splits_use_two_levels_of_divisions() {
        let rc = unit(ComponentKind::RedCells);
        let parts = plan_split(&rc, 3).unwrap();
        assert_eq!(parts.iter().map(|p| p.division.as_str()).collect::<Vec<_>>(), ["A0", "B0", "C0"]);
        let a = UnitFacts { division: "A0".into(), ..rc.clone() };
        assert_eq!(plan_split(&a, 2).unwrap().iter().map(|p| p.division.as_str()).collect::<Vec<_>>(), ["Aa", "Ab"]);
        let aa = UnitFacts { division: "Aa".into(), ..rc.clone() };
        assert!(plan_split(&aa, 2).unwrap_err().to_string().contains("two levels"));
        assert!(plan_split(&rc, 1).is_err() && plan_split(&rc, 9).is_err());
        // Every division is a valid ISBT 128 product code tail.
        for p in parts.iter().chain(&plan_split(&a, 8).unwrap()) {
            assert!(isbt128::ProductCode::from_parts("E0398", &format!("V{}", p.division)).is_ok(), "{}", p.division);
        }
    }

    #[test]
    fn pools_are_of_one_product_and_one_group() {
        let p = |din: &str, g: &str| UnitFacts { din: din.into(), blood_group: Some(g.into()), ..unit(ComponentKind::Platelets) };
        let pool = plan_pool(&[p("A999926000001", "O+"), p("A999926000002", "O+")]).unwrap();
        assert!(pool.attributes.contains(&Attribute::Pooled) && pool.attributes.contains(&Attribute::Leukoreduced));
        assert!(plan_pool(&[p("A999926000001", "O+"), p("A999926000002", "A+")]).unwrap_err().to_string().contains("different blood groups"));
        assert!(plan_pool(&[p("A999926000001", "O+"), p("A999926000001", "O+")]).unwrap_err().to_string().contains("twice"));
        let mixed = [p("A999926000001", "O+"), UnitFacts { kind: ComponentKind::Cryo, ..p("A999926000002", "O+") }];
        assert!(plan_pool(&mixed).unwrap_err().to_string().contains("one product"));
        assert!(plan_pool(&[unit(ComponentKind::RedCells), unit(ComponentKind::RedCells)]).unwrap_err().to_string().contains("not pooled"));
        assert!(plan_pool(&[p("A999926000001", "O+")]).is_err());
    }
}
