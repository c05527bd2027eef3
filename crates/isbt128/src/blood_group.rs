//! Data Structure 002, Blood Groups [ABO and RhD] `=%ggre`: the ABO/RhD code table with
//! intended use, pooled and subgroup codes, special messages, and the Rh/Kell/Mi^a
//! phenotype character.

use std::fmt;

use crate::chars::{Class, Text};
use crate::Error;

/// ABO group as the blood group code states it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Abo {
    /// O
    O,
    /// A
    A,
    /// B
    B,
    /// AB
    AB,
    /// A₁ (subgroup code `I0`)
    A1,
    /// A₂ (`J0`)
    A2,
    /// A₁B (`K0`)
    A1B,
    /// A₂B (`L0`)
    A2B,
    /// para-Bombay
    ParaBombay,
    /// Bombay
    Bombay,
    /// O para-Bombay
    OParaBombay,
    /// A para-Bombay
    AParaBombay,
    /// B para-Bombay
    BParaBombay,
    /// AB para-Bombay
    ABParaBombay,
    /// pooled ABO (pooled products)
    Pooled,
}

impl Abo {
    /// Short text, e.g. `"AB"`, `"A1"`, `"para-Bombay"`, `"pooled"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Abo::O => "O",
            Abo::A => "A",
            Abo::B => "B",
            Abo::AB => "AB",
            Abo::A1 => "A1",
            Abo::A2 => "A2",
            Abo::A1B => "A1B",
            Abo::A2B => "A2B",
            Abo::ParaBombay => "para-Bombay",
            Abo::Bombay => "Bombay",
            Abo::OParaBombay => "O para-Bombay",
            Abo::AParaBombay => "A para-Bombay",
            Abo::BParaBombay => "B para-Bombay",
            Abo::ABParaBombay => "AB para-Bombay",
            Abo::Pooled => "pooled",
        }
    }
}

/// RhD as the blood group code states it. A code that does not specify RhD has none.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum RhD {
    /// RhD positive
    Positive,
    /// RhD negative
    Negative,
    /// pooled RhD (pooled products)
    Pooled,
}

impl RhD {
    /// `"pos"`, `"neg"` or `"pooled"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RhD::Positive => "pos",
            RhD::Negative => "neg",
            RhD::Pooled => "pooled",
        }
    }
}

/// The type-of-collection column of ST-001 Table 4.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum IntendedUse {
    /// Intended use not specified (the default column).
    Default,
    /// Directed (dedicated/designated) collection use only.
    Directed,
    /// For emergency use only.
    Emergency,
    /// Directed (dedicated/designated) collection, biohazardous.
    DirectedBiohazardous,
    /// Directed (dedicated/designated) collection, eligible for crossover.
    DirectedCrossover,
    /// Autologous collection, eligible for crossover.
    AutologousCrossover,
    /// For autologous use only.
    Autologous,
    /// For autologous use only, biohazardous.
    AutologousBiohazardous,
}

const USES: [IntendedUse; 8] = [
    IntendedUse::Default,
    IntendedUse::Directed,
    IntendedUse::Emergency,
    IntendedUse::DirectedBiohazardous,
    IntendedUse::DirectedCrossover,
    IntendedUse::AutologousCrossover,
    IntendedUse::Autologous,
    IntendedUse::AutologousBiohazardous,
];

impl IntendedUse {
    /// The column heading in words.
    pub fn description(&self) -> &'static str {
        match self {
            IntendedUse::Default => "intended use not specified",
            IntendedUse::Directed => "directed (dedicated/designated) collection use only",
            IntendedUse::Emergency => "for emergency use only",
            IntendedUse::DirectedBiohazardous => "directed (dedicated/designated) collection, biohazardous",
            IntendedUse::DirectedCrossover => "directed (dedicated/designated) collection, eligible for crossover",
            IntendedUse::AutologousCrossover => "autologous collection, eligible for crossover",
            IntendedUse::Autologous => "for autologous use only",
            IntendedUse::AutologousBiohazardous => "for autologous use only, biohazardous",
        }
    }
}

/// A special message in place of a blood group (ST-001 Table 5).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SpecialMessage {
    /// `00`: no ABO or Rh information.
    NoAboRhInformation,
    /// `Ma`: autologous collection.
    AutologousCollection,
    /// `Mb`: biohazardous.
    Biohazardous,
    /// `Md`: discard (to be destroyed).
    Discard,
    /// `Mf`: for fractionation use only.
    FractionationOnly,
    /// `Mq`: quarantine/hold for further testing or processing.
    Quarantine,
    /// `Mr`: for research use only.
    ResearchOnly,
    /// `Mx`: not for transfusion based on test results.
    NotForTransfusion,
    /// `T1` (tissue only): ABO not specified, RhD positive.
    TissueRhdPositive,
    /// `T2` (tissue only): ABO not specified, RhD negative.
    TissueRhdNegative,
    /// `T3` (tissue only): ABO and RhD not specified.
    TissueNotSpecified,
    /// `T4` (tissue only): autologous collection / in quarantine.
    TissueAutologousQuarantine,
    /// `T5` (tissue only): see outer packaging for product status.
    TissueSeeOuterPackaging,
    /// `T6` (tissue only): must be sterilised before release.
    TissueSterilizeBeforeRelease,
}

impl SpecialMessage {
    /// The message in words.
    pub fn description(&self) -> &'static str {
        match self {
            SpecialMessage::NoAboRhInformation => "no ABO or Rh information available",
            SpecialMessage::AutologousCollection => "autologous collection",
            SpecialMessage::Biohazardous => "biohazardous",
            SpecialMessage::Discard => "discard (to be destroyed)",
            SpecialMessage::FractionationOnly => "for fractionation use only",
            SpecialMessage::Quarantine => "quarantine/hold for further testing or processing",
            SpecialMessage::ResearchOnly => "for research use only",
            SpecialMessage::NotForTransfusion => "not for transfusion based on test results",
            SpecialMessage::TissueRhdPositive => "ABO not specified, RhD positive (tissue)",
            SpecialMessage::TissueRhdNegative => "ABO not specified, RhD negative (tissue)",
            SpecialMessage::TissueNotSpecified => "ABO not specified, RhD not specified (tissue)",
            SpecialMessage::TissueAutologousQuarantine => "autologous collection/in quarantine (tissue)",
            SpecialMessage::TissueSeeOuterPackaging => "see outer packaging for product status (tissue)",
            SpecialMessage::TissueSterilizeBeforeRelease => "must be sterilized before release (tissue)",
        }
    }
}

/// ST-001 Table 4: one row per ABO/RhD, codes in the order of [`USES`].
const MAIN: [(Abo, Option<RhD>, [&str; 8]); 24] = [
    (Abo::O, Some(RhD::Negative), ["95", "91", "92", "93", "94", "96", "97", "98"]),
    (Abo::O, Some(RhD::Positive), ["51", "47", "48", "49", "50", "52", "53", "54"]),
    (Abo::A, Some(RhD::Negative), ["06", "02", "03", "04", "05", "07", "08", "09"]),
    (Abo::A, Some(RhD::Positive), ["62", "58", "59", "60", "61", "63", "64", "65"]),
    (Abo::B, Some(RhD::Negative), ["17", "13", "14", "15", "16", "18", "19", "20"]),
    (Abo::B, Some(RhD::Positive), ["73", "69", "70", "71", "72", "74", "75", "76"]),
    (Abo::AB, Some(RhD::Negative), ["28", "24", "25", "26", "27", "29", "30", "31"]),
    (Abo::AB, Some(RhD::Positive), ["84", "80", "81", "82", "83", "85", "86", "87"]),
    (Abo::O, None, ["55", "P2", "P3", "P4", "P5", "P7", "P8", "P9"]),
    (Abo::A, None, ["66", "A2", "A3", "A4", "A5", "A7", "A8", "A9"]),
    (Abo::B, None, ["77", "B2", "B3", "B4", "B5", "B7", "B8", "B9"]),
    (Abo::AB, None, ["88", "C2", "C3", "C4", "C5", "C7", "C8", "C9"]),
    (Abo::ParaBombay, Some(RhD::Negative), ["D6", "D2", "D3", "D4", "D5", "D7", "D8", "D9"]),
    (Abo::ParaBombay, Some(RhD::Positive), ["E6", "E2", "E3", "E4", "E5", "E7", "E8", "E9"]),
    (Abo::Bombay, Some(RhD::Negative), ["G6", "G2", "G3", "G4", "G5", "G7", "G8", "G9"]),
    (Abo::Bombay, Some(RhD::Positive), ["H6", "H2", "H3", "H4", "H5", "H7", "H8", "H9"]),
    (Abo::OParaBombay, Some(RhD::Negative), ["I6", "I2", "I3", "I4", "I5", "I7", "I8", "I9"]),
    (Abo::OParaBombay, Some(RhD::Positive), ["J6", "J2", "J3", "J4", "J5", "J7", "J8", "J9"]),
    (Abo::AParaBombay, Some(RhD::Negative), ["K6", "K2", "K3", "K4", "K5", "K7", "K8", "K9"]),
    (Abo::BParaBombay, Some(RhD::Negative), ["L6", "L2", "L3", "L4", "L5", "L7", "L8", "L9"]),
    (Abo::ABParaBombay, Some(RhD::Negative), ["M6", "M2", "M3", "M4", "M5", "M7", "M8", "M9"]),
    (Abo::AParaBombay, Some(RhD::Positive), ["N6", "N2", "N3", "N4", "N5", "N7", "N8", "N9"]),
    (Abo::BParaBombay, Some(RhD::Positive), ["O6", "O2", "O3", "O4", "O5", "O7", "O8", "O9"]),
    (Abo::ABParaBombay, Some(RhD::Positive), ["Q6", "Q2", "Q3", "Q4", "Q5", "Q7", "Q8", "Q9"]),
];

/// ST-001 Table 4, pooled and subgroup codes (default column only).
const POOLED: [(&str, Abo, Option<RhD>); 12] = [
    ("A0", Abo::A, Some(RhD::Pooled)),
    ("B0", Abo::B, Some(RhD::Pooled)),
    ("C0", Abo::AB, Some(RhD::Pooled)),
    ("D0", Abo::O, Some(RhD::Pooled)),
    ("E0", Abo::Pooled, Some(RhD::Positive)),
    ("F0", Abo::Pooled, Some(RhD::Negative)),
    ("G0", Abo::Pooled, Some(RhD::Pooled)),
    ("H0", Abo::Pooled, None),
    ("I0", Abo::A1, None),
    ("J0", Abo::A2, None),
    ("K0", Abo::A1B, None),
    ("L0", Abo::A2B, None),
];

/// ST-001 Table 5.
const SPECIAL: [(&str, SpecialMessage, Option<RhD>); 14] = [
    ("00", SpecialMessage::NoAboRhInformation, None),
    ("Ma", SpecialMessage::AutologousCollection, None),
    ("Mb", SpecialMessage::Biohazardous, None),
    ("Md", SpecialMessage::Discard, None),
    ("Mf", SpecialMessage::FractionationOnly, None),
    ("Mq", SpecialMessage::Quarantine, None),
    ("Mr", SpecialMessage::ResearchOnly, None),
    ("Mx", SpecialMessage::NotForTransfusion, None),
    ("T1", SpecialMessage::TissueRhdPositive, Some(RhD::Positive)),
    ("T2", SpecialMessage::TissueRhdNegative, Some(RhD::Negative)),
    ("T3", SpecialMessage::TissueNotSpecified, None),
    ("T4", SpecialMessage::TissueAutologousQuarantine, None),
    ("T5", SpecialMessage::TissueSeeOuterPackaging, None),
    ("T6", SpecialMessage::TissueSterilizeBeforeRelease, None),
];

/// One entry of the blood group code tables (the `gg` of `=%ggre`): an ABO/RhD group
/// with its intended use, a pooled or subgroup code, or a special message.
///
/// ```
/// use isbt128::{Abo, BloodGroup, IntendedUse, RhD};
/// let g = BloodGroup::from_code("51")?;
/// assert_eq!((g.abo(), g.rhd()), (Some(Abo::O), Some(RhD::Positive)));
/// assert_eq!(BloodGroup::new(Abo::A, Some(RhD::Negative), IntendedUse::Autologous)?.code(), "08");
/// assert_eq!(BloodGroup::from_code("Md")?.to_string(), "discard (to be destroyed)");
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct BloodGroup {
    code: &'static str,
    abo: Option<Abo>,
    rhd: Option<RhD>,
    intended_use: Option<IntendedUse>,
    special: Option<SpecialMessage>,
}

impl BloodGroup {
    /// Every code in the tables.
    pub fn all() -> impl Iterator<Item = BloodGroup> {
        let main = MAIN.iter().flat_map(|&(abo, rhd, codes)| {
            codes.into_iter().zip(USES).map(move |(code, u)| BloodGroup { code, abo: Some(abo), rhd, intended_use: Some(u), special: None })
        });
        let pooled =
            POOLED.iter().map(|&(code, abo, rhd)| BloodGroup { code, abo: Some(abo), rhd, intended_use: Some(IntendedUse::Default), special: None });
        let special = SPECIAL.iter().map(|&(code, m, rhd)| BloodGroup { code, abo: None, rhd, intended_use: None, special: Some(m) });
        main.chain(pooled).chain(special)
    }

    /// Looks up a two-character code. Codes are case-sensitive (`Ma` is a special
    /// message, `MA` is nothing); a code that is only wrong in case gets a suggestion.
    pub fn from_code(code: &str) -> Result<BloodGroup, Error> {
        let field = "blood group code";
        let text = Text::exact(field, code, 2)?;
        let code = text.take(0, 2, Class::Alnum)?;
        if let Some(g) = BloodGroup::all().find(|g| g.code == code) {
            return Ok(g);
        }
        let suggestion = BloodGroup::all().find(|g| g.code.eq_ignore_ascii_case(code)).map(|g| g.code.to_owned());
        Err(Error::UnknownCode { field, found: code.to_owned(), suggestion })
    }

    /// The code for a group and intended use, e.g. A RhD negative for autologous use
    /// only is `08`. `rhd: None` means "RhD not specified". Pooled and subgroup codes
    /// exist only with [`IntendedUse::Default`].
    pub fn new(abo: Abo, rhd: Option<RhD>, intended_use: IntendedUse) -> Result<BloodGroup, Error> {
        BloodGroup::all().find(|g| g.abo == Some(abo) && g.rhd == rhd && g.intended_use == Some(intended_use)).ok_or_else(|| Error::UnknownCode {
            field: "blood group combination",
            found: format!("{} RhD {:?} {:?}", abo.as_str(), rhd, intended_use),
            suggestion: None,
        })
    }

    /// The code of a special message.
    pub fn special(message: SpecialMessage) -> BloodGroup {
        let (code, _, rhd) = SPECIAL.iter().copied().find(|(_, m, _)| *m == message).unwrap_or(SPECIAL[0]);
        BloodGroup { code, abo: None, rhd, intended_use: None, special: Some(message) }
    }

    /// The two-character code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The ABO group, if the code states one.
    pub fn abo(&self) -> Option<Abo> {
        self.abo
    }

    /// The RhD type, if the code states one (`T1`/`T2` state RhD without ABO).
    pub fn rhd(&self) -> Option<RhD> {
        self.rhd
    }

    /// The intended-use column, for ABO/RhD codes.
    pub fn intended_use(&self) -> Option<IntendedUse> {
        self.intended_use
    }

    /// The special message, for Table 5 codes.
    pub fn special_message(&self) -> Option<SpecialMessage> {
        self.special
    }
}

impl fmt::Display for BloodGroup {
    /// E.g. `A RhD positive`, `O RhD negative, for autologous use only`,
    /// `group A, pooled RhD`, or a special message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = self.special {
            return f.write_str(m.description());
        }
        let abo = self.abo.map(|a| a.as_str()).unwrap_or("");
        match (self.abo, self.rhd) {
            (Some(Abo::Pooled), Some(RhD::Pooled)) => f.write_str("pooled ABO, pooled RhD")?,
            (Some(Abo::Pooled), Some(RhD::Positive)) => f.write_str("pooled ABO, RhD positive")?,
            (Some(Abo::Pooled), Some(RhD::Negative)) => f.write_str("pooled ABO, RhD negative")?,
            (Some(Abo::Pooled), None) => f.write_str("pooled ABO (RhD not specified)")?,
            (_, Some(RhD::Pooled)) => write!(f, "group {abo}, pooled RhD")?,
            (_, Some(RhD::Positive)) => write!(f, "{abo} RhD positive")?,
            (_, Some(RhD::Negative)) => write!(f, "{abo} RhD negative")?,
            (_, None) => write!(f, "{abo} (RhD not specified)")?,
        }
        match self.intended_use {
            Some(IntendedUse::Default) | None => Ok(()),
            Some(u) => write!(f, ", {}", u.description()),
        }
    }
}

/// The `r` character of `=%ggre`: Rh (C, c, E, e) and Kell phenotype, or a Mi^a/Mur
/// result, or a pointer to a Special Testing barcode (ST-001 Table 6). `0` means no
/// information.
///
/// ```
/// let p = isbt128::Phenotype::from_char('E')?;
/// assert_eq!(p.kell(), Some(false));
/// assert_eq!(p.to_string(), "C- c+ E+ e+ K-");
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Phenotype(u8);

/// Antigens C, c, E, e: `Some(true)` positive, `Some(false)` negative, `None` no information.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RhPhenotype {
    /// C
    pub big_c: Option<bool>,
    /// c
    pub little_c: Option<bool>,
    /// E
    pub big_e: Option<bool>,
    /// e
    pub little_e: Option<bool>,
}

/// Table 6 rows 1–9: C, c, E, e.
const RH_ROWS: [[bool; 4]; 9] = [
    [false, true, false, true],
    [true, true, false, true],
    [true, true, true, true],
    [true, true, true, false],
    [false, true, true, true],
    [false, true, true, false],
    [true, false, false, true],
    [true, false, true, true],
    [true, false, true, false],
];

impl Phenotype {
    /// No phenotype information (`0`).
    pub const NONE: Phenotype = Phenotype(b'0');

    /// Reads the `r` character.
    pub fn from_char(c: char) -> Result<Phenotype, Error> {
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            return Ok(Phenotype(c as u8));
        }
        Err(Class::UpperDigit.reject("Rh/Kell phenotype (r)", 1, c))
    }

    /// The character.
    pub fn code(&self) -> char {
        self.0 as char
    }

    /// (row, kell) where row 0 = no Rh information, 1–9 = table rows, 10 = row X.
    fn row(&self) -> Option<(usize, Option<bool>)> {
        match self.0 {
            b'0' => Some((0, None)),
            b'S' => Some((0, Some(false))),
            b'T' => Some((0, Some(true))),
            b'1'..=b'9' => Some((usize::from(self.0 - b'0'), None)),
            b'A'..=b'I' => Some((usize::from(self.0 - b'A') + 1, Some(false))),
            b'J'..=b'R' => Some((usize::from(self.0 - b'J') + 1, Some(true))),
            b'X' => Some((10, None)),
            b'Y' => Some((10, Some(false))),
            b'Z' => Some((10, Some(true))),
            _ => None,
        }
    }

    /// Kell: `Some(true)` K-positive, `Some(false)` K-negative, `None` no information.
    pub fn kell(&self) -> Option<bool> {
        self.row().and_then(|(_, k)| k)
    }

    /// C, c, E, e, if the character carries them.
    pub fn rh(&self) -> Option<RhPhenotype> {
        match self.row()? {
            (0, _) => None,
            (10, _) => Some(RhPhenotype { big_c: Some(false), little_c: None, big_e: Some(false), little_e: None }),
            (row, _) => {
                let [a, b, c, d] = RH_ROWS[row - 1];
                Some(RhPhenotype { big_c: Some(a), little_c: Some(b), big_e: Some(c), little_e: Some(d) })
            }
        }
    }

    /// Mi^a/Mur: `Some(false)` for `U` (negative), `Some(true)` for `V` (positive).
    pub fn mia(&self) -> Option<bool> {
        match self.0 {
            b'U' => Some(false),
            b'V' => Some(true),
            _ => None,
        }
    }

    /// `W`: a Special Testing barcode is present and must be scanned and interpreted.
    pub fn special_testing_barcode(&self) -> bool {
        self.0 == b'W'
    }
}

impl fmt::Display for Phenotype {
    /// E.g. `C- c+ E+ e+ K-`, `Mia/Mur positive`, `no phenotype information`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = self.mia() {
            return write!(f, "Mia/Mur {}", if m { "positive" } else { "negative" });
        }
        if self.special_testing_barcode() {
            return f.write_str("special testing barcode present: scan and interpret it");
        }
        let sign = |v: Option<bool>| match v {
            Some(true) => "+",
            Some(false) => "-",
            None => " ni",
        };
        let mut parts = Vec::new();
        if let Some(rh) = self.rh() {
            for (name, v) in [("C", rh.big_c), ("c", rh.little_c), ("E", rh.big_e), ("e", rh.little_e)] {
                parts.push(format!("{name}{}", sign(v)));
            }
        }
        if let Some(k) = self.kell() {
            parts.push(format!("K{}", sign(Some(k))));
        }
        if parts.is_empty() {
            f.write_str("no phenotype information")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

/// Blood Groups [ABO and RhD] (Data Structure 002, `=%ggre`).
///
/// ```
/// use isbt128::{Abo, BloodGroups, RhD};
/// let bg = BloodGroups::parse("=%6200")?;
/// assert_eq!((bg.group().abo(), bg.group().rhd()), (Some(Abo::A), Some(RhD::Positive)));
/// assert_eq!(bg.to_string(), "A RhD positive");
/// assert_eq!(bg.encode(), "=%6200");
///
/// let err = BloodGroups::parse("=%MA00").unwrap_err();
/// assert_eq!(err.to_string(), "blood group code 'MA' is not in the ISBT 128 table; did you mean 'Ma'?");
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct BloodGroups {
    group: BloodGroup,
    phenotype: Phenotype,
}

impl BloodGroups {
    /// A blood group and phenotype (the reserved `e` is always `0`).
    pub fn new(group: BloodGroup, phenotype: Phenotype) -> BloodGroups {
        BloodGroups { group, phenotype }
    }

    /// Reads the 4 content characters `ggre`.
    pub fn parse_content(content: &str) -> Result<BloodGroups, Error> {
        let text = Text::exact("blood groups content", content, 4)?;
        let group = BloodGroup::from_code(text.take(0, 2, Class::Alnum)?)?;
        let phenotype = Phenotype::from_char(text.take(2, 1, Class::UpperDigit)?.as_bytes()[0] as char)?;
        let reserved = text.take(3, 1, Class::UpperDigit)?;
        if reserved != "0" {
            return Err(Error::Reserved { field: "the 4th blood groups character (e)", expected: "0", found: reserved.to_owned() });
        }
        Ok(BloodGroups { group, phenotype })
    }

    /// The 4 content characters.
    pub fn content(&self) -> String {
        format!("{}{}0", self.group.code, self.phenotype.code())
    }

    /// The blood group code entry.
    pub fn group(&self) -> BloodGroup {
        self.group
    }

    /// The phenotype character.
    pub fn phenotype(&self) -> Phenotype {
        self.phenotype
    }
}

impl fmt::Display for BloodGroups {
    /// The group text, then the phenotype if there is one: `O RhD positive; C+ c+ E- e+ K-`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.group)?;
        if self.phenotype != Phenotype::NONE {
            write!(f, "; {}", self.phenotype)?;
        }
        Ok(())
    }
}

crate::structure::impl_structure!(BloodGroups, BloodGroups);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn blood_groups() -> impl Strategy<Value = BloodGroups> {
        let groups: Vec<BloodGroup> = BloodGroup::all().collect();
        (proptest::sample::select(groups), "[0-9A-Z]").prop_map(|(g, r)| BloodGroups::new(g, Phenotype::from_char(r.as_bytes()[0] as char).unwrap()))
    }

    #[test]
    fn table_has_every_code_once() {
        let codes: Vec<&str> = BloodGroup::all().map(|g| g.code()).collect();
        assert_eq!(codes.len(), 24 * 8 + 12 + 14);
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
    }

    #[test]
    fn reference_examples() {
        assert_eq!(BloodGroups::parse("=%5100").unwrap().to_string(), "O RhD positive");
        assert_eq!(BloodGroups::parse("=%9500").unwrap().to_string(), "O RhD negative");
        assert_eq!(BloodGroups::parse("=%T300").unwrap().group().special_message(), Some(SpecialMessage::TissueNotSpecified));
        assert_eq!(BloodGroups::parse("=%9700").unwrap().to_string(), "O RhD negative, for autologous use only");
        assert_eq!(BloodGroups::parse("=%O600").unwrap().group().abo(), Some(Abo::BParaBombay));
        assert_eq!(BloodGroups::parse("=%E000").unwrap().to_string(), "pooled ABO, RhD positive");
        assert_eq!(BloodGroups::parse("=%E600").unwrap().to_string(), "para-Bombay RhD positive");
        assert_eq!(BloodGroups::parse("=%A000").unwrap().to_string(), "group A, pooled RhD");
        assert_eq!(BloodGroups::parse("=%I000").unwrap().group().abo(), Some(Abo::A1));
        assert_eq!(BloodGroups::parse("=%51E0").unwrap().to_string(), "O RhD positive; C- c+ E+ e+ K-");
        assert_eq!(BloodGroups::parse("=%T100").unwrap().group().rhd(), Some(RhD::Positive));
    }

    #[test]
    fn phenotype_table() {
        let p = |c| Phenotype::from_char(c).unwrap();
        assert_eq!(p('0').rh(), None);
        assert_eq!(p('0').kell(), None);
        assert_eq!(p('T').kell(), Some(true));
        assert_eq!(p('9').rh(), Some(RhPhenotype { big_c: Some(true), little_c: Some(false), big_e: Some(true), little_e: Some(false) }));
        assert_eq!(p('R').rh(), p('9').rh());
        assert_eq!(p('R').kell(), Some(true));
        assert_eq!(p('Z').rh(), Some(RhPhenotype { big_c: Some(false), little_c: None, big_e: Some(false), little_e: None }));
        assert_eq!(p('V').mia(), Some(true));
        assert!(p('W').special_testing_barcode());
        assert!(Phenotype::from_char('e').is_err());
    }

    #[test]
    fn codes_not_in_the_table_are_errors_not_guesses() {
        assert!(matches!(BloodGroups::parse("=%XX00"), Err(Error::UnknownCode { suggestion: None, .. })));
        assert!(BloodGroups::parse("=%D000").is_ok());
        assert!(matches!(BloodGroups::parse("=%M100"), Err(Error::UnknownCode { .. })));
        assert!(matches!(BloodGroups::parse("=%5101"), Err(Error::Reserved { .. })));
        assert!(matches!(BloodGroups::parse("=%51e0"), Err(Error::LowerCase { .. })));
        assert!(matches!(BloodGroups::parse("=%510"), Err(Error::WrongLength { .. })));
        assert!(BloodGroup::new(Abo::Pooled, None, IntendedUse::Autologous).is_err());
    }

    proptest! {
        #[test]
        fn encode_then_parse_round_trips(bg in blood_groups()) {
            let data = bg.encode();
            prop_assert_eq!(BloodGroups::parse(&data), Ok(bg));
            if let (Some(abo), Some(u)) = (bg.group().abo(), bg.group().intended_use()) {
                prop_assert_eq!(BloodGroup::new(abo, bg.group().rhd(), u), Ok(bg.group()));
            }
        }
    }
}
