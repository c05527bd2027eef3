//! Data Structure 003, Product Code `=<αooootds`: the Product Description Code (PDC),
//! the type of collection ("donation type") and the division code.

use std::fmt;

use crate::chars::{digits_value, Class, Text};
use crate::Error;

/// The kind of product a PDC's first character (or two) stands for (ST-001 §2.4.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ProductCategory {
    /// `E`, `F`: blood components.
    Blood,
    /// `H`: MPHO with INN and/or USAN names.
    InnUsan,
    /// `M`: human milk (M0001–M0999) and topical products (M9000–M9999).
    OtherTherapy,
    /// `N`: organs.
    Organ,
    /// `P`: regenerated tissue.
    RegeneratedTissue,
    /// `R`: reproductive tissue and cells.
    Reproductive,
    /// `S`: cellular therapy.
    CellularTherapy,
    /// `T`: tissue.
    Tissue,
    /// `V`: ocular tissue.
    Ocular,
    /// `W`: fecal microbiota.
    FecalMicrobiota,
    /// `X0`: plasma derivatives.
    PlasmaDerivative,
    /// `X1`–`X9`: other blood products (e.g. X5 in-vivo diagnostic MPHO).
    OtherBloodProduct,
    /// `YA`–`YZ`: clinical trials (a separate ICCBBA database).
    ClinicalTrial,
    /// `A`–`C`: nationally assigned codes.
    National,
    /// `D`: locally (facility) assigned codes.
    Local,
}

impl ProductCategory {
    /// The category in words.
    pub fn description(&self) -> &'static str {
        match self {
            ProductCategory::Blood => "blood component",
            ProductCategory::InnUsan => "MPHO with INN/USAN name",
            ProductCategory::OtherTherapy => "human milk or topical product",
            ProductCategory::Organ => "organ",
            ProductCategory::RegeneratedTissue => "regenerated tissue",
            ProductCategory::Reproductive => "reproductive tissue or cells",
            ProductCategory::CellularTherapy => "cellular therapy",
            ProductCategory::Tissue => "tissue",
            ProductCategory::Ocular => "ocular tissue",
            ProductCategory::FecalMicrobiota => "fecal microbiota",
            ProductCategory::PlasmaDerivative => "plasma derivative",
            ProductCategory::OtherBloodProduct => "other blood product",
            ProductCategory::ClinicalTrial => "clinical trial product",
            ProductCategory::National => "nationally defined product",
            ProductCategory::Local => "locally defined product",
        }
    }

    /// How the last three product-code characters (`tds`) are read for this category.
    fn tail(self) -> Tail {
        match self {
            ProductCategory::Blood
            | ProductCategory::InnUsan
            | ProductCategory::RegeneratedTissue
            | ProductCategory::CellularTherapy
            | ProductCategory::PlasmaDerivative
            | ProductCategory::ClinicalTrial => Tail::CollectionAndDivision,
            ProductCategory::OtherTherapy
            | ProductCategory::Organ
            | ProductCategory::Reproductive
            | ProductCategory::Tissue
            | ProductCategory::Ocular
            | ProductCategory::FecalMicrobiota => Tail::Pack,
            ProductCategory::OtherBloodProduct => Tail::Reserved,
            ProductCategory::National | ProductCategory::Local => Tail::National,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tail {
    /// `t` = collection type, `ds` = division.
    CollectionAndDivision,
    /// `tds` = three-digit division or pack code.
    Pack,
    /// `000` (X1–X9).
    Reserved,
    /// Defined with the national or local code.
    National,
}

/// A Product Description Code: the five characters `αoooo` that a product-code table
/// describes (e.g. `E0398`).
///
/// ```
/// let pdc = isbt128::Pdc::parse("E0398")?;
/// assert_eq!(pdc.category(), isbt128::ProductCategory::Blood);
/// assert!(isbt128::Pdc::parse("G0398").is_err()); // G is not assigned
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pdc([u8; 5]);

impl Pdc {
    /// Checks five PDC characters: a letter ICCBBA has assigned, then four capital
    /// letters or digits (`Y` must be followed by a letter).
    pub fn parse(s: &str) -> Result<Pdc, Error> {
        Pdc::read(&Text::exact("product description code", s, 5)?, 0)
    }

    pub(crate) fn read(text: &Text<'_>, start: usize) -> Result<Pdc, Error> {
        let first = text.take(start, 1, Class::Upper)?.as_bytes()[0];
        let rest = text.take(start + 1, 4, Class::UpperDigit)?.as_bytes();
        let pdc = Pdc([first, rest[0], rest[1], rest[2], rest[3]]);
        if matches!(first, b'G' | b'I' | b'J' | b'K' | b'L' | b'O' | b'Q' | b'U' | b'Z') {
            return Err(Error::NotAllowed {
                field: "product description code",
                found: pdc.as_str().to_owned(),
                reason: "ICCBBA has not assigned its first letter",
            });
        }
        if first == b'Y' && !rest[0].is_ascii_uppercase() {
            return Err(Error::NotAllowed {
                field: "product description code",
                found: pdc.as_str().to_owned(),
                reason: "clinical-trial codes are YA to YZ: the second character must be a letter",
            });
        }
        Ok(pdc)
    }

    /// The five characters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The product category.
    pub fn category(&self) -> ProductCategory {
        match (self.0[0], self.0[1]) {
            (b'E' | b'F', _) => ProductCategory::Blood,
            (b'H', _) => ProductCategory::InnUsan,
            (b'M', _) => ProductCategory::OtherTherapy,
            (b'N', _) => ProductCategory::Organ,
            (b'P', _) => ProductCategory::RegeneratedTissue,
            (b'R', _) => ProductCategory::Reproductive,
            (b'S', _) => ProductCategory::CellularTherapy,
            (b'T', _) => ProductCategory::Tissue,
            (b'V', _) => ProductCategory::Ocular,
            (b'W', _) => ProductCategory::FecalMicrobiota,
            (b'X', b'0') => ProductCategory::PlasmaDerivative,
            (b'X', _) => ProductCategory::OtherBloodProduct,
            (b'Y', _) => ProductCategory::ClinicalTrial,
            (b'D', _) => ProductCategory::Local,
            _ => ProductCategory::National,
        }
    }
}

impl std::str::FromStr for Pdc {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Pdc::parse(s)
    }
}

impl fmt::Display for Pdc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Pdc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pdc({})", self.as_str())
    }
}

macro_rules! collection_types {
    ($($variant:ident = $code:literal, $text:literal;)*) => {
        /// Type of collection, the 6th product-code character `t` for blood, cellular
        /// therapy and similar products (ST-001 Table 7). The donation type.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum CollectionType {
            $(#[doc = concat!("`", $code, "`: ", $text)] $variant,)*
        }

        impl CollectionType {
            /// Every collection type.
            pub const ALL: &'static [CollectionType] = &[$(CollectionType::$variant,)*];

            /// The code character (case matters: `r` and `R` differ).
            pub fn code(&self) -> char {
                match self { $(CollectionType::$variant => $code,)* }
            }

            /// The meaning in words.
            pub fn description(&self) -> &'static str {
                match self { $(CollectionType::$variant => $text,)* }
            }
        }
    };
}

collection_types! {
    NotSpecified = '0', "not specified";
    VolunteerAllogeneic = 'V', "volunteer homologous (allogeneic)";
    VolunteerResearch = 'R', "volunteer research (not for human application)";
    VolunteerSource = 'S', "volunteer source";
    VolunteerTherapeutic = 'T', "volunteer therapeutic";
    PaidAllogeneic = 'P', "paid homologous (allogeneic)";
    PaidResearch = 'r', "paid research (not for human application)";
    PaidSource = 's', "paid source";
    AutologousCrossover = 'A', "autologous, eligible for crossover";
    AutologousOnly = '1', "for autologous use only";
    AutologousBiohazard = 'X', "for autologous use only, biohazard";
    VolunteerDirectedCrossover = 'D', "volunteer directed, eligible for crossover";
    PaidDirectedCrossover = 'd', "paid directed, eligible for crossover";
    DirectedOnly = '2', "for directed recipient use only";
    DirectedLimitedExposure = 'L', "for directed recipient use only, limited exposure";
    MedicalException = 'E', "medical exception, for specified recipient only (allogeneic)";
    SeeSpecialTesting = 'Q', "see (scan) the Special Testing barcode";
    DirectedBiohazard = '3', "for directed recipient use only, biohazard";
    Designated = '4', "designated";
    Dedicated = '5', "dedicated";
    DesignatedBiohazard = '6', "designated, biohazard";
    FamilyReserved = 'F', "family reserved";
    Replacement = 'C', "replacement";
    Allogeneic = '7', "for allogeneic use";
    AutologousWithAllogeneic = '8', "for autologous use, contains allogeneic material";
    DirectedDedicatedDesignated = 'B', "directed/dedicated/designated collection use only";
    DirectedDedicatedDesignatedBiohazard = 'H', "directed/dedicated/designated collection, biohazardous";
    DirectedDedicatedDesignatedCrossover = 'J', "directed/dedicated/designated collection, eligible for crossover";
    EmergencyOnly = 'G', "for emergency use only";
}

impl CollectionType {
    /// Looks up a code character. Codes are case-sensitive.
    pub fn from_code(c: char) -> Result<CollectionType, Error> {
        if let Some(t) = CollectionType::ALL.iter().find(|t| t.code() == c) {
            return Ok(*t);
        }
        let swapped = if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() };
        let suggestion = CollectionType::ALL.iter().find(|t| t.code() == swapped).map(|t| t.code().to_string());
        Err(Error::UnknownCode { field: "type of collection (6th product code character)", found: c.to_string(), suggestion })
    }
}

/// What the division characters of a product code say.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Division {
    /// `00` (or `000`): not divided.
    NotDivided,
    /// A division code such as `Ab` (first-level `A`, second-level `b`) or `A0`.
    Split(String),
    /// `99`: the division is in a Product Divisions structure (DS032, `=,`).
    SeeProductDivisions,
    /// A three-digit division or pack number, 1–999 (tissue, ocular, milk, …).
    Pack(u16),
    /// Nationally or locally defined meaning of `tds` (product codes A–D).
    NationallyDefined(String),
}

/// A Product Code (Data Structure 003, `=<αooootds`).
///
/// ```
/// use isbt128::{CollectionType, Division, ProductCode};
/// let pc = ProductCode::parse("=<E0398V00")?;
/// assert_eq!(pc.pdc().as_str(), "E0398");
/// assert_eq!(pc.collection_type(), Some(CollectionType::VolunteerAllogeneic));
/// assert_eq!(pc.division(), Division::NotDivided);
///
/// let tissue = ProductCode::parse("=<T1295003")?;
/// assert_eq!((tissue.collection_type(), tissue.division()), (None, Division::Pack(3)));
/// assert_eq!(ProductCode::from_parts("S1295", "4Ab")?.encode(), "=<S12954Ab");
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ProductCode {
    pdc: Pdc,
    tds: [u8; 3],
}

impl ProductCode {
    /// Builds a product code from its PDC and its last three characters.
    pub fn from_parts(pdc: &str, tds: &str) -> Result<ProductCode, Error> {
        let pdc = Pdc::parse(pdc)?;
        let text = Text::exact("product code characters 6-8 (tds)", tds, 3)?;
        ProductCode::read_tail(pdc, &text, 0)
    }

    /// Reads the 8 content characters `αooootds`.
    pub fn parse_content(content: &str) -> Result<ProductCode, Error> {
        let text = Text::exact("product code", content, 8)?;
        let pdc = Pdc::read(&text, 0)?;
        ProductCode::read_tail(pdc, &text, 5)
    }

    fn read_tail(pdc: Pdc, text: &Text<'_>, at: usize) -> Result<ProductCode, Error> {
        let t = text.take(at, 1, Class::Alnum)?;
        let d = text.take(at + 1, 1, Class::UpperDigit)?;
        let s = text.take(at + 2, 1, Class::LowerDigit)?;
        let tds = [t.as_bytes()[0], d.as_bytes()[0], s.as_bytes()[0]];
        match pdc.category().tail() {
            Tail::CollectionAndDivision => {
                CollectionType::from_code(tds[0] as char)?;
            }
            Tail::Pack => {
                text.take(at, 3, Class::Digit)?;
            }
            Tail::Reserved if &tds != b"000" => {
                return Err(Error::Reserved {
                    field: "product code characters 6-8 for X1-X9 products",
                    expected: "000",
                    found: t.to_owned() + d + s,
                });
            }
            Tail::Reserved | Tail::National => {}
        }
        Ok(ProductCode { pdc, tds })
    }

    /// The 8 content characters.
    pub fn content(&self) -> String {
        format!("{}{}", self.pdc, self.tds())
    }

    /// The Product Description Code (characters 1–5).
    pub fn pdc(&self) -> Pdc {
        self.pdc
    }

    /// Characters 6–8 as encoded.
    pub fn tds(&self) -> &str {
        std::str::from_utf8(&self.tds).unwrap_or("")
    }

    /// The type of collection (donation type), for categories that carry one (E, F, H,
    /// P, S, X0, YA–YZ).
    pub fn collection_type(&self) -> Option<CollectionType> {
        match self.pdc.category().tail() {
            Tail::CollectionAndDivision => CollectionType::from_code(self.tds[0] as char).ok(),
            _ => None,
        }
    }

    /// The division code characters as encoded: two (`ds`) for categories with a
    /// collection type, else all three.
    pub fn division_code(&self) -> &str {
        match self.pdc.category().tail() {
            Tail::CollectionAndDivision => &self.tds()[1..],
            _ => self.tds(),
        }
    }

    /// What the division characters say.
    pub fn division(&self) -> Division {
        let code = self.division_code();
        match self.pdc.category().tail() {
            Tail::CollectionAndDivision => match code {
                "00" => Division::NotDivided,
                "99" => Division::SeeProductDivisions,
                other => Division::Split(other.to_owned()),
            },
            Tail::Pack | Tail::Reserved => match digits_value(code) {
                0 => Division::NotDivided,
                n => Division::Pack(n as u16),
            },
            Tail::National => Division::NationallyDefined(code.to_owned()),
        }
    }
}

impl fmt::Display for ProductCode {
    /// The eye-readable text: the content without the data identifier, e.g. `E0398V00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.content())
    }
}

crate::structure::impl_structure!(ProductCode, ProductCode);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn product_code() -> impl Strategy<Value = ProductCode> {
        prop_oneof![
            ("[EFHPS][0-9A-Z]{4}|X0[0-9A-Z]{3}|Y[A-Z][0-9A-Z]{3}", proptest::sample::select(CollectionType::ALL), "00|99|[A-Z][a-z0]|[0-9][0-9a-z]")
                .prop_map(|(p, t, ds)| ProductCode::from_parts(&p, &format!("{}{ds}", t.code())).unwrap()),
            ("[MNRTVW][0-9A-Z]{4}", "[0-9]{3}").prop_map(|(p, tds)| ProductCode::from_parts(&p, &tds).unwrap()),
            "X[1-9][0-9A-Z]{3}".prop_map(|p| ProductCode::from_parts(&p, "000").unwrap()),
            ("[A-D][0-9A-Z]{4}", "[0-9A-Za-z][0-9A-Z][0-9a-z]").prop_map(|(p, tds)| ProductCode::from_parts(&p, &tds).unwrap()),
        ]
    }

    #[test]
    fn reference_examples_parse() {
        for code in ["E1234V00", "S12954A0", "T1295003", "T0326003", "T0269000", "V0006000", "V0051000", "M0001013", "T0416003", "E7003V00"] {
            let pc = ProductCode::parse_content(code).unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!(pc.content(), code);
        }
        let s = ProductCode::parse("=<S12954A0").unwrap();
        assert_eq!(s.collection_type(), Some(CollectionType::Designated));
        assert_eq!(s.division(), Division::Split("A0".into()));
        assert_eq!(ProductCode::parse("=<S1295V99").unwrap().division(), Division::SeeProductDivisions);
        assert_eq!(ProductCode::parse("=<E0398rAb").unwrap().collection_type(), Some(CollectionType::PaidResearch));
    }

    #[test]
    fn bad_product_codes_are_clear_errors() {
        let err = ProductCode::parse("=<E0398v00").unwrap_err();
        assert_eq!(err.to_string(), "type of collection (6th product code character) 'v' is not in the ISBT 128 table; did you mean 'V'?");
        assert!(matches!(ProductCode::parse("=<e0398V00"), Err(Error::LowerCase { position: 1, .. })));
        assert!(matches!(ProductCode::parse("=<E0398VAB"), Err(Error::IllegalCharacter { position: 8, suggestion: Some('b'), .. })));
        assert!(matches!(ProductCode::parse("=<T12950A3"), Err(Error::IllegalCharacter { position: 7, .. })));
        assert!(matches!(ProductCode::parse("=<X1234V00"), Err(Error::Reserved { .. })));
        assert!(matches!(ProductCode::parse("=<Z1234V00"), Err(Error::NotAllowed { .. })));
        assert!(matches!(ProductCode::parse("=<E0398V0"), Err(Error::WrongLength { .. })));
        assert!(matches!(ProductCode::parse("=<E0398K00"), Err(Error::UnknownCode { .. })));
    }

    proptest! {
        #[test]
        fn encode_then_parse_round_trips(pc in product_code()) {
            prop_assert_eq!(ProductCode::parse(&pc.encode()), Ok(pc));
        }
    }
}
