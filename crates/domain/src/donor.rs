//! Donors and their donations: the identity and history that later rules
//! (eligibility, intervals, lookback) read.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    #[serde(rename = "F")]
    Female,
    #[serde(rename = "M")]
    Male,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "F",
            Sex::Male => "M",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "F" => Ok(Sex::Female),
            "M" => Ok(Sex::Male),
            other => Err(FieldError::new("sex", format!("'{other}' is not F or M"))),
        }
    }
}

/// Stored rows carry the typed value (sqlx `try_from = "String"`).
impl TryFrom<String> for Sex {
    type Error = FieldError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Abo {
    O,
    A,
    B,
    AB,
}

/// ABO group and RhD type together, as printed on a label ("O NEG").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BloodGroup {
    pub abo: Abo,
    pub rhd_positive: bool,
}

impl BloodGroup {
    pub const ALL: [BloodGroup; 8] = [
        BloodGroup::new(Abo::O, true),
        BloodGroup::new(Abo::O, false),
        BloodGroup::new(Abo::A, true),
        BloodGroup::new(Abo::A, false),
        BloodGroup::new(Abo::B, true),
        BloodGroup::new(Abo::B, false),
        BloodGroup::new(Abo::AB, true),
        BloodGroup::new(Abo::AB, false),
    ];

    pub const fn new(abo: Abo, rhd_positive: bool) -> Self {
        Self { abo, rhd_positive }
    }

    pub fn abo_str(self) -> &'static str {
        match self.abo {
            Abo::O => "O",
            Abo::A => "A",
            Abo::B => "B",
            Abo::AB => "AB",
        }
    }

    pub fn rhd_str(self) -> &'static str {
        if self.rhd_positive {
            "pos"
        } else {
            "neg"
        }
    }

    /// Reads the two stored columns: ABO `O`, `A`, `B` or `AB` and RhD `pos` or `neg`.
    pub fn from_columns(abo: &str, rhd: &str) -> Result<Self, FieldError> {
        let abo = match abo {
            "O" => Abo::O,
            "A" => Abo::A,
            "B" => Abo::B,
            "AB" => Abo::AB,
            _ => return Err(FieldError::new("abo", format!("'{abo}' is not an ABO group (O, A, B, AB)"))),
        };
        match rhd {
            "pos" => Ok(Self::new(abo, true)),
            "neg" => Ok(Self::new(abo, false)),
            _ => Err(FieldError::new("rhd", format!("'{rhd}' is not an RhD type (pos, neg)"))),
        }
    }

    /// Parses "O+", "AB-", "O pos", "A NEG".
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let t = s.trim().to_ascii_uppercase().replace(' ', "");
        let (abo, rh) = if let Some(a) = t.strip_suffix('+').or_else(|| t.strip_suffix("POS")) {
            (a, true)
        } else if let Some(a) = t.strip_suffix('-').or_else(|| t.strip_suffix("NEG")) {
            (a, false)
        } else {
            return Err(FieldError::new("blood_group", format!("'{s}' has no RhD type; write e.g. O+ or AB-")));
        };
        let abo = match abo {
            "O" => Abo::O,
            "A" => Abo::A,
            "B" => Abo::B,
            "AB" => Abo::AB,
            _ => return Err(FieldError::new("blood_group", format!("'{s}' is not an ABO group (O, A, B, AB)"))),
        };
        Ok(Self::new(abo, rh))
    }
}

impl fmt::Display for BloodGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.abo_str(), if self.rhd_positive { "+" } else { "-" })
    }
}

/// The number a donor is known by at every site, e.g. `D0004711`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DonorNumber(String);

impl DonorNumber {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let letters = s.chars().take_while(char::is_ascii_uppercase).count();
        let rest = &s[letters..];
        if !(1..=3).contains(&letters) || !(4..=10).contains(&rest.len()) || !rest.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(
                "donor_number",
                format!("'{s}' is not a donor number (1-3 upper-case letters then 4-10 digits, e.g. D0004711)"),
            ));
        }
        Ok(Self(s.to_string()))
    }

    /// The n-th number of the centre's own series.
    pub fn sequential(n: u32) -> Self {
        Self(format!("D{n:07}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DonationProcedure {
    WholeBlood,
    DoubleRedCells,
    Platelets,
    Plasma,
    SourcePlasma,
    Autologous,
}

impl DonationProcedure {
    pub const ALL: [DonationProcedure; 6] = [
        DonationProcedure::WholeBlood,
        DonationProcedure::DoubleRedCells,
        DonationProcedure::Platelets,
        DonationProcedure::Plasma,
        DonationProcedure::SourcePlasma,
        DonationProcedure::Autologous,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DonationProcedure::WholeBlood => "whole_blood",
            DonationProcedure::DoubleRedCells => "double_red_cells",
            DonationProcedure::Platelets => "platelets",
            DonationProcedure::Plasma => "plasma",
            DonationProcedure::SourcePlasma => "source_plasma",
            DonationProcedure::Autologous => "autologous",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL.into_iter().find(|p| p.as_str() == s.trim()).ok_or_else(|| {
            FieldError::new(
                "procedure",
                format!("'{s}' is not a procedure; use whole_blood, double_red_cells, platelets, plasma, source_plasma or autologous"),
            )
        })
    }
}

impl TryFrom<String> for DonationProcedure {
    type Error = FieldError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blood_group_parses_common_spellings() {
        assert_eq!(BloodGroup::parse("O-").unwrap(), BloodGroup::new(Abo::O, false));
        assert_eq!(BloodGroup::parse("ab pos").unwrap(), BloodGroup::new(Abo::AB, true));
        assert_eq!(BloodGroup::parse("A NEG").unwrap().to_string(), "A-");
        assert!(BloodGroup::parse("C+").is_err());
        assert!(BloodGroup::parse("O").is_err());
    }

    #[test]
    fn donor_number_shape() {
        assert_eq!(DonorNumber::sequential(4711).as_str(), "D0004711");
        assert!(DonorNumber::parse("D0004711").is_ok());
        assert!(DonorNumber::parse("d0004711").is_err());
        assert!(DonorNumber::parse("D12").is_err());
    }

    #[test]
    fn procedure_names_round_trip() {
        for p in DonationProcedure::ALL {
            assert_eq!(DonationProcedure::parse(p.as_str()).unwrap(), p);
        }
        assert!(DonationProcedure::parse("granulocytes").is_err());
    }
}
