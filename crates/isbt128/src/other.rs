//! The less common structures: special testing, RBC/platelet antigens, containers and
//! supplies, donor/staff/patient identifiers, compound message header, consignment,
//! dimensions, divisions, MPHO identifiers, SEC, GRID, chain of identity, and nationally
//! defined structures. Codes that need ICCBBA's licensed tables are kept as read.

use std::fmt;

use crate::chars::{digits_value, Class, Text};
use crate::check::{character_of, checksum_of};
use crate::{Error, Fin, Pdc};

fn no_check(_: &Text<'_>) -> Result<(), Error> {
    Ok(())
}

macro_rules! code_structure {
    ($(#[$doc:meta])* $ty:ident, $kind:ident, $field:literal, $len:literal, $class:expr, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Debug)]
        pub struct $ty(String);

        impl $ty {
            /// Checks and wraps the content characters.
            pub fn new(content: &str) -> Result<$ty, Error> {
                $ty::parse_content(content)
            }

            /// Reads the content characters (without the data identifier).
            pub fn parse_content(content: &str) -> Result<$ty, Error> {
                let text = Text::exact($field, content, $len)?;
                text.take(0, $len, $class)?;
                $check(&text)?;
                Ok($ty(content.to_owned()))
            }

            /// The content characters.
            pub fn content(&self) -> String {
                self.0.clone()
            }

            /// The content characters.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            /// The eye-readable text: the content without the data identifier.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        crate::structure::impl_structure!($ty, $kind);
    };
}

code_structure!(
    /// Special Testing: General (Data Structure 010, `&(zzzzz`): a code from ICCBBA's
    /// licensed Special Testing table (see [`crate::SpecialTestingTable`]).
    ///
    /// ```
    /// let st = isbt128::SpecialTesting::parse("&(N0001")?;
    /// assert_eq!(st.as_str(), "N0001");
    /// # Ok::<(), isbt128::Error>(())
    /// ```
    SpecialTesting,
    SpecialTesting,
    "special testing code",
    5,
    Class::UpperDigit,
    no_check
);
code_structure!(
    /// Special Testing: Red Blood Cell Antigens (Data Structure 011, `={`, **retired**):
    /// 16 antigen digits and 2 more, kept as read.
    RbcAntigensRetired,
    RbcAntigensRetired,
    "red blood cell antigens (retired)",
    18,
    Class::Digit,
    no_check
);
code_structure!(
    /// Special Testing: Red Blood Cell Antigens — General (Data Structure 012, `=\`):
    /// 16 antigen digits (`aaaa…`) and 2 (`ii`), per ST-001 Tables 9 and 12 (kept as read).
    RbcAntigens,
    RbcAntigens,
    "red blood cell antigens",
    18,
    Class::Digit,
    no_check
);
code_structure!(
    /// Special Testing: Red Blood Cell Antigens — Finnish (Data Structure 013, `&\`).
    RbcAntigensFinnish,
    RbcAntigensFinnish,
    "red blood cell antigens (Finnish)",
    18,
    Class::Digit,
    no_check
);
code_structure!(
    /// Special Testing: Platelet HLA and Platelet Specific Antigens (Data Structure 014,
    /// `&{AAAABBBBCCCCCCCCDE`); `D` is reserved and must be `0`.
    PlateletAntigens,
    PlateletAntigens,
    "platelet HLA and platelet specific antigens",
    18,
    Class::Digit,
    |text: &Text<'_>| {
        let d = text.take(16, 1, Class::Digit)?;
        if d != "0" {
            return Err(Error::Reserved { field: "character 17 (D) of platelet antigens", expected: "0", found: d.to_owned() });
        }
        Ok(())
    }
);
code_structure!(
    /// Special Testing: HLA-A and -B Alleles (Data Structure 015, `=[`, **retired**).
    HlaAbRetired,
    HlaAbRetired,
    "HLA-A and -B alleles (retired)",
    18,
    Class::Digit,
    no_check
);
code_structure!(
    /// Special Testing: HLA-DRB1 Alleles (Data Structure 016, `="`, **retired**).
    HlaDrb1Retired,
    HlaDrb1Retired,
    "HLA-DRB1 alleles (retired)",
    18,
    Class::Digit,
    no_check
);
code_structure!(
    /// Container Lot Number (Data Structure 018, `&)`): 10 letters or digits.
    ContainerLot,
    ContainerLot,
    "container lot number",
    10,
    Class::Alnum,
    no_check
);
code_structure!(
    /// Lot Number: Items Other Than Containers (Data Structure 022, `&-`).
    ItemLot,
    ItemLot,
    "item lot number",
    10,
    Class::Alnum,
    no_check
);
code_structure!(
    /// Transfusion Transmitted Infection Marker (Data Structure 027, `&"`): 18 digits, each
    /// the result status of a pair of markers (ST-001 Table 18, not interpreted here);
    /// positions 11–18 are reserved and must be `0`.
    TtiMarker,
    TtiMarker,
    "TTI marker",
    18,
    Class::Digit,
    |text: &Text<'_>| {
        let reserved = text.take(10, 8, Class::Digit)?;
        if reserved != "00000000" {
            return Err(Error::Reserved { field: "characters 11-18 of the TTI marker", expected: "00000000", found: reserved.to_owned() });
        }
        Ok(())
    }
);
code_structure!(
    /// Product Divisions (Data Structure 032, `=,dddddd`).
    ProductDivisions,
    ProductDivisions,
    "product divisions code",
    6,
    Class::UpperDigit,
    no_check
);
code_structure!(
    /// MPHO Lot Number (Data Structure 035, `&,1`).
    MphoLot,
    MphoLot,
    "MPHO lot number",
    18,
    Class::UpperDigit,
    no_check
);
code_structure!(
    /// MPHO Supplemental Identification Number (Data Structure 036, `&,2`).
    MphoSupplementalId,
    MphoSupplementalId,
    "MPHO supplemental identification number",
    18,
    Class::UpperDigit,
    no_check
);
code_structure!(
    /// Single European Code (Data Structure 038, `&,4`): the 40-character SEC (kept as read).
    Sec,
    Sec,
    "single European code",
    40,
    Class::Alnum,
    no_check
);

impl RbcAntigens {
    /// The 16 antigen digits.
    pub fn antigens(&self) -> &str {
        &self.0[..16]
    }

    /// The last two digits (`ii`).
    pub fn ii(&self) -> &str {
        &self.0[16..]
    }
}

/// Container Manufacturer and Catalog Number (Data Structure 017, `=)bqqwwwwwww`).
///
/// ```
/// let c = isbt128::ContainerCatalog::parse("=)2XX00AB123")?;
/// assert_eq!((c.container(), c.manufacturer(), c.catalog()), ('2', "XX", "00AB123"));
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ContainerCatalog(String);

impl ContainerCatalog {
    /// Reads the 10 content characters.
    pub fn parse_content(content: &str) -> Result<ContainerCatalog, Error> {
        let text = Text::exact("container manufacturer and catalog number", content, 10)?;
        text.take(0, 1, Class::Alnum)?;
        text.take(1, 2, Class::UpperDigit)?;
        text.take(3, 7, Class::Alnum)?;
        Ok(ContainerCatalog(content.to_owned()))
    }

    /// The 10 content characters.
    pub fn content(&self) -> String {
        self.0.clone()
    }

    /// The container identification character (`1` primary, `y` whole set, `z` carton).
    pub fn container(&self) -> char {
        self.0.as_bytes()[0] as char
    }

    /// The manufacturer identifier (ICCBBA table RT016).
    pub fn manufacturer(&self) -> &str {
        &self.0[1..3]
    }

    /// The manufacturer's catalog number.
    pub fn catalog(&self) -> &str {
        &self.0[3..]
    }
}

crate::structure::impl_structure!(ContainerCatalog, ContainerCatalog);

/// Manufacturer and Catalog Number: Items Other Than Containers (Data Structure 021,
/// `=-NNOOOOOOOO`).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ItemCatalog(String);

impl ItemCatalog {
    /// Reads the 10 content characters.
    pub fn parse_content(content: &str) -> Result<ItemCatalog, Error> {
        let text = Text::exact("item manufacturer and catalog number", content, 10)?;
        text.take(0, 2, Class::UpperDigit)?;
        text.take(2, 8, Class::Alnum)?;
        Ok(ItemCatalog(content.to_owned()))
    }

    /// The 10 content characters.
    pub fn content(&self) -> String {
        self.0.clone()
    }

    /// The manufacturer identifier (ICCBBA table RT016).
    pub fn manufacturer(&self) -> &str {
        &self.0[..2]
    }

    /// The manufacturer's catalog number.
    pub fn catalog(&self) -> &str {
        &self.0[2..]
    }
}

crate::structure::impl_structure!(ItemCatalog, ItemCatalog);

/// Donor Identification Number (Data Structure 019, `=;αppppvvvvvvvvvvvvvvvv`): a FIN
/// and a 16-digit donor number (zero-padded on the left). Its eye-readable text needs the
/// check character K.
///
/// ```
/// let d = isbt128::DonorId::new("A9999", "222244445555")?;
/// assert_eq!(d.encode(), "=;A99990000222244445555");
/// assert_eq!(d.check_character(), 'G');
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DonorId {
    fin: Fin,
    number: String,
}

impl DonorId {
    /// A FIN and a donor number of 1–16 digits, zero-padded to 16.
    pub fn new(fin: &str, number: &str) -> Result<DonorId, Error> {
        let fin = Fin::parse(fin)?;
        let text = Text::ascii("donor number", number)?;
        if text.len() == 0 || text.len() > 16 {
            return Err(Error::OutOfRange { field: "donor number length", found: text.len() as u64, min: 1, max: 16 });
        }
        text.take(0, text.len(), Class::Digit)?;
        Ok(DonorId { fin, number: format!("{number:0>16}") })
    }

    /// Reads the 21 content characters.
    pub fn parse_content(content: &str) -> Result<DonorId, Error> {
        let text = Text::exact("donor identification number", content, 21)?;
        let fin = Fin::read(&text, 0)?;
        let number = text.take(5, 16, Class::Digit)?.to_owned();
        Ok(DonorId { fin, number })
    }

    /// The 21 content characters.
    pub fn content(&self) -> String {
        format!("{}{}", self.fin, self.number)
    }

    /// The facility that assigned the number.
    pub fn fin(&self) -> Fin {
        self.fin
    }

    /// The 16-digit donor number as encoded (with its leading zeros).
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The keyboard-entry check character over the 21 content characters.
    pub fn check_character(&self) -> char {
        character_of(checksum_of(self.content().as_bytes()))
    }
}

crate::structure::impl_structure!(DonorId, DonorId);

/// Staff Member Identification Number (Data Structure 020, `='αppppuuuuuu`).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct StaffId {
    fin: Fin,
    id: String,
}

impl StaffId {
    /// Reads the 11 content characters.
    pub fn parse_content(content: &str) -> Result<StaffId, Error> {
        let text = Text::exact("staff member identification number", content, 11)?;
        let fin = Fin::read(&text, 0)?;
        let id = text.take(5, 6, Class::UpperDigit)?.to_owned();
        Ok(StaffId { fin, id })
    }

    /// The 11 content characters.
    pub fn content(&self) -> String {
        format!("{}{}", self.fin, self.id)
    }

    /// The facility.
    pub fn fin(&self) -> Fin {
        self.fin
    }

    /// The 6-character staff number.
    pub fn staff_number(&self) -> &str {
        &self.id
    }
}

crate::structure::impl_structure!(StaffId, StaffId);

/// Compound Message header (Data Structure 023, `=+aabbb`): how many structures follow
/// and, unless `000`, the ICCBBA-specified message (table RT017) that fixes their order.
///
/// ```
/// let h = isbt128::CompoundHeader::parse("=+04000")?;
/// assert_eq!((h.count(), h.reference(), h.is_undefined()), (4, 0, true));
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CompoundHeader {
    count: u8,
    reference: u16,
}

impl CompoundHeader {
    /// A header for `count` (0–99) structures with message reference `reference`
    /// (0–999; 0 = undefined order, which ICCBBA encourages).
    pub fn new(count: u8, reference: u16) -> Result<CompoundHeader, Error> {
        if count > 99 {
            return Err(Error::OutOfRange { field: "compound message count", found: count.into(), min: 0, max: 99 });
        }
        if reference > 999 {
            return Err(Error::OutOfRange { field: "compound message reference", found: reference.into(), min: 0, max: 999 });
        }
        Ok(CompoundHeader { count, reference })
    }

    /// Reads the 5 content characters `aabbb`.
    pub fn parse_content(content: &str) -> Result<CompoundHeader, Error> {
        let text = Text::exact("compound message header", content, 5)?;
        Ok(CompoundHeader { count: text.number(0, 2)? as u8, reference: text.number(2, 3)? as u16 })
    }

    /// The 5 content characters.
    pub fn content(&self) -> String {
        format!("{:02}{:03}", self.count, self.reference)
    }

    /// How many data structures follow.
    pub fn count(&self) -> u8 {
        self.count
    }

    /// The RT017 message number, 0 for an undefined-order message.
    pub fn reference(&self) -> u16 {
        self.reference
    }

    /// Whether the order of the following structures is unspecified (`bbb` = `000`).
    pub fn is_undefined(&self) -> bool {
        self.reference == 0
    }
}

crate::structure::impl_structure!(CompoundHeader, CompoundMessage);

/// Patient Identification Number (Data Structure 025, `&#aallxx…xx`): location code,
/// length, and 1–99 letters or digits.
///
/// ```
/// let p = isbt128::PatientId::parse("&#0107MRN1234")?;
/// assert_eq!((p.location_code(), p.patient_number()), ("01", "MRN1234"));
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct PatientId {
    location: String,
    id: String,
}

impl PatientId {
    /// A two-digit location code and a patient number of 1–99 letters or digits.
    pub fn new(location_code: &str, patient_number: &str) -> Result<PatientId, Error> {
        let text = Text::ascii("patient number", patient_number)?;
        let len = text.len();
        if !(1..=99).contains(&len) {
            return Err(Error::OutOfRange { field: "patient number length", found: len as u64, min: 1, max: 99 });
        }
        PatientId::parse_content(&format!("{location_code}{len:02}{patient_number}"))
    }

    /// Reads the content `aallxx…xx`; `ll` must match the number of characters after it.
    pub fn parse_content(content: &str) -> Result<PatientId, Error> {
        let field = "patient identification number";
        let text = Text::ascii(field, content)?;
        let location = text.take(0, 2, Class::Digit)?.to_owned();
        let len = text.number(2, 2)? as usize;
        if len == 0 {
            return Err(Error::NotAllowed {
                field: "patient number length",
                found: "00".into(),
                reason: "a patient number has at least one character",
            });
        }
        if text.len() != 4 + len {
            return Err(Error::WrongLength { field, expected: 4 + len, found: text.len() });
        }
        let id = text.take(4, len, Class::Alnum)?.to_owned();
        Ok(PatientId { location, id })
    }

    /// The content characters.
    pub fn content(&self) -> String {
        format!("{}{:02}{}", self.location, self.id.len(), self.id)
    }

    /// The location code (ICCBBA table RT018).
    pub fn location_code(&self) -> &str {
        &self.location
    }

    /// The patient number.
    pub fn patient_number(&self) -> &str {
        &self.id
    }
}

crate::structure::impl_structure!(PatientId, PatientId);

/// Product Consignment (Data Structure 028, `=$αppppyynnnnnccdd`).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ProductConsignment {
    fin: Fin,
    rest: String,
}

impl ProductConsignment {
    /// Reads the 16 content characters.
    pub fn parse_content(content: &str) -> Result<ProductConsignment, Error> {
        let text = Text::exact("product consignment", content, 16)?;
        let fin = Fin::read(&text, 0)?;
        let rest = text.take(5, 11, Class::Digit)?.to_owned();
        Ok(ProductConsignment { fin, rest })
    }

    /// The 16 content characters.
    pub fn content(&self) -> String {
        format!("{}{}", self.fin, self.rest)
    }

    /// The facility.
    pub fn fin(&self) -> Fin {
        self.fin
    }

    /// The two year digits.
    pub fn year(&self) -> &str {
        &self.rest[..2]
    }

    /// The serial number (5 digits).
    pub fn serial(&self) -> &str {
        &self.rest[2..7]
    }

    /// This container's number in the consignment (0 on dispatch documents).
    pub fn container(&self) -> u8 {
        digits_value(&self.rest[7..9]) as u8
    }

    /// How many containers the consignment has.
    pub fn total(&self) -> u8 {
        digits_value(&self.rest[9..]) as u8
    }
}

crate::structure::impl_structure!(ProductConsignment, ProductConsignment);

const SYMBOLS: [&str; 6] = [
    "equal to, within a tolerance defined by the facility",
    "greater than",
    "greater than or equal to",
    "less than",
    "less than or equal to",
    "nominal value (circular of information / package insert)",
];

const DIMENSIONS: [(&str, &str); 11] = [
    ("mL", "volume including anticoagulant/additive"),
    ("mm", "length"),
    ("mm", "width"),
    ("mm", "height"),
    ("mm", "particle size"),
    ("cm2", "area"),
    ("1E9", "total number of platelets in the container"),
    ("g", "weight excluding container, including anticoagulant/additive"),
    ("g", "tare weight of container"),
    ("g", "tare weight of container and attached tubing"),
    ("rings", "length of trachea in rings"),
];

/// One measurement in a Dimensions structure: `aabbbbcccccdee`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Dimension {
    symbol: u8,
    dimension: u8,
    value: u32,
    decimals: u8,
}

impl Dimension {
    /// A measurement: symbol 1–6 (ST-001 Table 19), dimension 1–11 (Table 20), a
    /// five-digit value and the number of decimal places 0–5 (Table 21).
    pub fn new(symbol: u8, dimension: u8, value: u32, decimals: u8) -> Result<Dimension, Error> {
        let range =
            |field, found: u64, min, max| if (min..=max).contains(&found) { Ok(()) } else { Err(Error::OutOfRange { field, found, min, max }) };
        range("dimension symbol", symbol.into(), 1, 6)?;
        range("dimension type", dimension.into(), 1, 11)?;
        range("dimension value", value.into(), 0, 99_999)?;
        range("dimension decimal places", decimals.into(), 0, 5)?;
        Ok(Dimension { symbol, dimension, value, decimals })
    }

    fn read(text: &Text<'_>, at: usize) -> Result<Dimension, Error> {
        let symbol = text.number(at, 2)?;
        if !(1..=6).contains(&symbol) {
            return Err(Error::UnknownCode { field: "dimension symbol (aa)", found: format!("{symbol:02}"), suggestion: None });
        }
        let dimension = text.number(at + 2, 4)?;
        if !(1..=11).contains(&dimension) {
            return Err(Error::UnknownCode { field: "dimension type (bbbb)", found: format!("{dimension:04}"), suggestion: None });
        }
        let value = text.number(at + 6, 5)?;
        let decimals = text.number(at + 11, 1)?;
        if decimals > 5 {
            return Err(Error::UnknownCode { field: "dimension decimal places (d)", found: decimals.to_string(), suggestion: None });
        }
        let reserved = text.take(at + 12, 2, Class::Digit)?;
        if reserved != "00" {
            return Err(Error::Reserved { field: "the last two characters (ee) of a dimension", expected: "00", found: reserved.to_owned() });
        }
        Ok(Dimension { symbol: symbol as u8, dimension: dimension as u8, value, decimals: decimals as u8 })
    }

    fn content(&self) -> String {
        format!("{:02}{:04}{:05}{}00", self.symbol, self.dimension, self.value, self.decimals)
    }

    /// The symbol code (1–6).
    pub fn symbol(&self) -> u8 {
        self.symbol
    }

    /// The symbol in words, e.g. "greater than".
    pub fn symbol_description(&self) -> &'static str {
        SYMBOLS[usize::from(self.symbol - 1)]
    }

    /// The dimension code (1–11).
    pub fn dimension(&self) -> u8 {
        self.dimension
    }

    /// The unit, e.g. "mL".
    pub fn unit(&self) -> &'static str {
        DIMENSIONS[usize::from(self.dimension - 1)].0
    }

    /// What is measured.
    pub fn dimension_description(&self) -> &'static str {
        DIMENSIONS[usize::from(self.dimension - 1)].1
    }

    /// The value as written, with its decimal point, e.g. `"223"` or `"1234.5"`.
    pub fn value_text(&self) -> String {
        let digits = format!("{:05}", self.value);
        match self.decimals {
            0 => self.value.to_string(),
            d => {
                let (int, frac) = digits.split_at(5 - usize::from(d));
                let int = int.trim_start_matches('0');
                format!("{}.{frac}", if int.is_empty() { "0" } else { int })
            }
        }
    }
}

/// Dimensions (Data Structure 029, `&$nn` + `nn` × `aabbbbcccccdee`).
///
/// ```
/// let d = isbt128::Dimensions::parse("&$0101000100223000")?;
/// let m = d.measurements()[0];
/// assert_eq!((m.value_text(), m.unit()), ("223".to_owned(), "mL"));
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Dimensions(Vec<Dimension>);

impl Dimensions {
    /// Up to 99 measurements.
    pub fn new(measurements: Vec<Dimension>) -> Result<Dimensions, Error> {
        if measurements.len() > 99 {
            return Err(Error::OutOfRange { field: "number of dimensions", found: measurements.len() as u64, min: 0, max: 99 });
        }
        Ok(Dimensions(measurements))
    }

    /// Reads the content; the count must match the segments that follow.
    pub fn parse_content(content: &str) -> Result<Dimensions, Error> {
        let field = "dimensions";
        let text = Text::ascii(field, content)?;
        let n = text.number(0, 2)? as usize;
        if text.len() != 2 + 14 * n {
            return Err(Error::WrongLength { field, expected: 2 + 14 * n, found: text.len() });
        }
        (0..n).map(|i| Dimension::read(&text, 2 + 14 * i)).collect::<Result<_, _>>().map(Dimensions)
    }

    /// The content characters.
    pub fn content(&self) -> String {
        format!("{:02}{}", self.0.len(), self.0.iter().map(Dimension::content).collect::<String>())
    }

    /// The measurements.
    pub fn measurements(&self) -> &[Dimension] {
        &self.0
    }
}

crate::structure::impl_structure!(Dimensions, Dimensions);

const RESULTS: [&str; 6] = [
    "negative (method not specified)",
    "positive (method not specified)",
    "negative (serological testing)",
    "positive (serological testing)",
    "negative (predicted from genotyping)",
    "positive (predicted from genotyping)",
];

const TEST_HISTORY: [&str; 6] = [
    "tested once on this collection",
    "tested once on a prior collection",
    "tested at least twice on different collections (current and historic), concordant",
    "tested at least twice on different collections (historic only), concordant",
    "tested at least twice on this collection only, different samples, concordant",
    "test history not specified",
];

/// One antigen result in Red Cell Antigens with Test History: `pppppprrss`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct AntigenResult {
    antigen: u32,
    result: u8,
    tests: u8,
}

impl AntigenResult {
    /// An ISBT antigen number (6 digits: system then antigen), a result code 1–6
    /// (ST-001 Table 22) and a number-of-tests code 1–6 (Table 23).
    pub fn new(antigen: u32, result: u8, tests: u8) -> Result<AntigenResult, Error> {
        if antigen > 999_999 {
            return Err(Error::OutOfRange { field: "antigen number", found: antigen.into(), min: 0, max: 999_999 });
        }
        if !(1..=6).contains(&result) {
            return Err(Error::OutOfRange { field: "antigen result code", found: result.into(), min: 1, max: 6 });
        }
        if !(1..=6).contains(&tests) {
            return Err(Error::OutOfRange { field: "antigen number-of-tests code", found: tests.into(), min: 1, max: 6 });
        }
        Ok(AntigenResult { antigen, result, tests })
    }

    fn read(text: &Text<'_>, at: usize) -> Result<AntigenResult, Error> {
        let antigen = text.number(at, 6)?;
        let result = text.number(at + 6, 2)?;
        if !(1..=6).contains(&result) {
            return Err(Error::UnknownCode { field: "antigen result (rr)", found: format!("{result:02}"), suggestion: None });
        }
        let tests = text.number(at + 8, 2)?;
        if !(1..=6).contains(&tests) {
            return Err(Error::UnknownCode { field: "antigen number of tests (ss)", found: format!("{tests:02}"), suggestion: None });
        }
        Ok(AntigenResult { antigen, result: result as u8, tests: tests as u8 })
    }

    fn content(&self) -> String {
        format!("{:06}{:02}{:02}", self.antigen, self.result, self.tests)
    }

    /// The six-digit ISBT antigen number, e.g. `"004001"`.
    pub fn antigen(&self) -> String {
        format!("{:06}", self.antigen)
    }

    /// The result code (1–6).
    pub fn result(&self) -> u8 {
        self.result
    }

    /// Whether the antigen was found (even codes are positive).
    pub fn is_positive(&self) -> bool {
        self.result.is_multiple_of(2)
    }

    /// The result in words.
    pub fn result_description(&self) -> &'static str {
        RESULTS[usize::from(self.result - 1)]
    }

    /// The number-of-tests code (1–6).
    pub fn tests(&self) -> u8 {
        self.tests
    }

    /// The test history in words.
    pub fn tests_description(&self) -> &'static str {
        TEST_HISTORY[usize::from(self.tests - 1)]
    }
}

/// Red Cell Antigens with Test History (Data Structure 030, `&%nnn` + `nnn` × `pppppprrss`).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct RedCellAntigens(Vec<AntigenResult>);

impl RedCellAntigens {
    /// Up to 999 results.
    pub fn new(results: Vec<AntigenResult>) -> Result<RedCellAntigens, Error> {
        if results.len() > 999 {
            return Err(Error::OutOfRange { field: "number of antigen results", found: results.len() as u64, min: 0, max: 999 });
        }
        Ok(RedCellAntigens(results))
    }

    /// Reads the content; the count must match the segments that follow.
    pub fn parse_content(content: &str) -> Result<RedCellAntigens, Error> {
        let field = "red cell antigens with test history";
        let text = Text::ascii(field, content)?;
        let n = text.number(0, 3)? as usize;
        if text.len() != 3 + 10 * n {
            return Err(Error::WrongLength { field, expected: 3 + 10 * n, found: text.len() });
        }
        (0..n).map(|i| AntigenResult::read(&text, 3 + 10 * i)).collect::<Result<_, _>>().map(RedCellAntigens)
    }

    /// The content characters.
    pub fn content(&self) -> String {
        format!("{:03}{}", self.0.len(), self.0.iter().map(AntigenResult::content).collect::<String>())
    }

    /// The results.
    pub fn results(&self) -> &[AntigenResult] {
        &self.0
    }
}

crate::structure::impl_structure!(RedCellAntigens, RedCellAntigens);

/// Processing Facility Information Code (Data Structure 033, `&+nnnnnpppppp`): the FIN
/// of the facility that assigned the product code, and its own product code (FPC).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ProcessingFacility {
    fin: Fin,
    fpc: String,
}

impl ProcessingFacility {
    /// Reads the 11 content characters.
    pub fn parse_content(content: &str) -> Result<ProcessingFacility, Error> {
        let text = Text::exact("processing facility information code", content, 11)?;
        let fin = Fin::read(&text, 0)?;
        let fpc = text.take(5, 6, Class::UpperDigit)?.to_owned();
        Ok(ProcessingFacility { fin, fpc })
    }

    /// The 11 content characters.
    pub fn content(&self) -> String {
        format!("{}{}", self.fin, self.fpc)
    }

    /// FIN(P), the facility that assigned the product code.
    pub fn fin(&self) -> Fin {
        self.fin
    }

    /// The facility-defined product code (`000000` if none).
    pub fn facility_product_code(&self) -> &str {
        &self.fpc
    }
}

crate::structure::impl_structure!(ProcessingFacility, ProcessingFacility);

/// Processor Product Identification Code (Data Structure 034, `=/nnnnnppppppqqqqq`):
/// FIN(P), facility-defined product code, and a PDC.
///
/// ```
/// let p = isbt128::ProcessorProductId::parse("=/A9997XYZ100T0479")?;
/// assert_eq!((p.fin().as_str(), p.facility_product_code(), p.pdc().as_str()), ("A9997", "XYZ100", "T0479"));
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ProcessorProductId {
    fin: Fin,
    fpc: String,
    pdc: Pdc,
}

impl ProcessorProductId {
    /// Reads the 16 content characters.
    pub fn parse_content(content: &str) -> Result<ProcessorProductId, Error> {
        let text = Text::exact("processor product identification code", content, 16)?;
        let fin = Fin::read(&text, 0)?;
        let fpc = text.take(5, 6, Class::UpperDigit)?.to_owned();
        let pdc = Pdc::read(&text, 11)?;
        Ok(ProcessorProductId { fin, fpc, pdc })
    }

    /// The 16 content characters.
    pub fn content(&self) -> String {
        format!("{}{}{}", self.fin, self.fpc, self.pdc)
    }

    /// FIN(P).
    pub fn fin(&self) -> Fin {
        self.fin
    }

    /// The facility-defined product code.
    pub fn facility_product_code(&self) -> &str {
        &self.fpc
    }

    /// The Product Description Code.
    pub fn pdc(&self) -> Pdc {
        self.pdc
    }
}

crate::structure::impl_structure!(ProcessorProductId, ProcessorProductId);

fn read_ion(text: &Text<'_>) -> Result<u16, Error> {
    let first = text.take(0, 1, Class::Digit)?;
    if first == "0" {
        return Err(Error::NotAllowed {
            field: "GRID issuing organization number",
            found: text.as_str()[..4].to_owned(),
            reason: "it cannot start with 0",
        });
    }
    Ok(text.number(0, 4)? as u16)
}

/// Global Registration Identifier for Donors (Data Structure 037, `&,3`, **retired**):
/// issuing organization number and a 15-character donor identifier.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct GridRetired(String);

impl GridRetired {
    /// Reads the 19 content characters.
    pub fn parse_content(content: &str) -> Result<GridRetired, Error> {
        let text = Text::exact("GRID (retired)", content, 19)?;
        read_ion(&text)?;
        text.take(4, 15, Class::UpperDigit)?;
        Ok(GridRetired(content.to_owned()))
    }

    /// The 19 content characters.
    pub fn content(&self) -> String {
        self.0.clone()
    }
}

crate::structure::impl_structure!(GridRetired, GridRetired);

/// Global Registration Identifier for Donors (Data Structure 039, `&:nnnnaaaaaaaaaaaaabb`):
/// issuing organization number (1000–9999), registration donor identifier, and a
/// two-digit MOD 37-2 checksum (00–36) over the first 17 characters, which is checked.
///
/// ```
/// let g = isbt128::Grid::new(1234, "ABC1234567890")?;
/// assert_eq!(isbt128::Grid::parse(&g.encode())?, g);
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Grid {
    ion: u16,
    rdi: String,
}

impl Grid {
    /// An issuing organization number and a 13-character donor identifier.
    pub fn new(ion: u16, rdi: &str) -> Result<Grid, Error> {
        if !(1000..=9999).contains(&ion) {
            return Err(Error::OutOfRange { field: "GRID issuing organization number", found: ion.into(), min: 1000, max: 9999 });
        }
        let rdi = crate::chars::check_exact("GRID registration donor identifier", rdi, 13, Class::UpperDigit)?;
        Ok(Grid { ion, rdi })
    }

    /// Reads the 19 content characters; the checksum must match.
    pub fn parse_content(content: &str) -> Result<Grid, Error> {
        let text = Text::exact("GRID", content, 19)?;
        let ion = read_ion(&text)?;
        let rdi = text.take(4, 13, Class::UpperDigit)?.to_owned();
        let found = text.take(17, 2, Class::Digit)?;
        let grid = Grid { ion, rdi };
        let expected = format!("{:02}", grid.checksum());
        if expected != found {
            return Err(Error::WrongChecksum { field: "GRID", data: content[..17].to_owned(), expected, found: found.to_owned() });
        }
        Ok(grid)
    }

    fn checksum(&self) -> u8 {
        checksum_of(format!("{}{}", self.ion, self.rdi).as_bytes())
    }

    /// The 19 content characters.
    pub fn content(&self) -> String {
        format!("{}{}{:02}", self.ion, self.rdi, self.checksum())
    }

    /// The issuing organization number.
    pub fn ion(&self) -> u16 {
        self.ion
    }

    /// The registration donor identifier.
    pub fn donor_identifier(&self) -> &str {
        &self.rdi
    }
}

crate::structure::impl_structure!(Grid, Grid);

/// Chain of Identity Identifier (Data Structure 040, `&/CHαppppyynnnnnn`): `CH`, the
/// issuing organization's FIN, a year and a 6-character sequence. Its eye-readable text
/// needs the check character K.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ChainOfIdentity {
    fin: Fin,
    year: String,
    sequence: String,
}

impl ChainOfIdentity {
    /// Reads the 15 content characters.
    pub fn parse_content(content: &str) -> Result<ChainOfIdentity, Error> {
        let text = Text::exact("chain of identity identifier", content, 15)?;
        let ch = text.take(0, 2, Class::Upper)?;
        if ch != "CH" {
            return Err(Error::NotAllowed {
                field: "chain of identity identifier",
                found: content.to_owned(),
                reason: "it must start with the letters CH",
            });
        }
        let fin = Fin::read(&text, 2)?;
        let year = text.take(7, 2, Class::Digit)?.to_owned();
        let sequence = text.take(9, 6, Class::UpperDigit)?.to_owned();
        Ok(ChainOfIdentity { fin, year, sequence })
    }

    /// The 15 content characters.
    pub fn content(&self) -> String {
        format!("CH{}{}{}", self.fin, self.year, self.sequence)
    }

    /// The issuing organization.
    pub fn fin(&self) -> Fin {
        self.fin
    }

    /// The two year digits.
    pub fn year(&self) -> &str {
        &self.year
    }

    /// The sequence.
    pub fn sequence(&self) -> &str {
        &self.sequence
    }

    /// The keyboard-entry check character over the 15 content characters.
    pub fn check_character(&self) -> char {
        character_of(checksum_of(self.content().as_bytes()))
    }
}

crate::structure::impl_structure!(ChainOfIdentity, ChainOfIdentity);

/// A nationally (or facility) defined data structure: `&a`–`&z`, `&;` (national donor
/// identification number) or `&!` (confidential unit exclusion). Its length and meaning
/// are defined nationally, so in a scan it takes everything up to the end of the scan,
/// and it may not appear in a compound message.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct NationalStructure {
    identifier: char,
    content: String,
}

impl NationalStructure {
    /// The second data identifier character (`a`–`z`, `;` or `!`) and the content
    /// (printable ASCII, possibly empty).
    pub fn new(identifier: char, content: &str) -> Result<NationalStructure, Error> {
        if !matches!(identifier, 'a'..='z' | ';' | '!') {
            return Err(Error::NotAllowed {
                field: "national data identifier",
                found: identifier.to_string(),
                reason: "nationally defined structures use &a to &z, &; or &!",
            });
        }
        let text = Text::ascii("nationally defined content", content)?;
        text.take(0, text.len(), Class::Graphic)?;
        Ok(NationalStructure { identifier, content: content.to_owned() })
    }

    /// Reads barcode data: `&`, the identifier character, then the content.
    pub fn parse(data: &str) -> Result<NationalStructure, Error> {
        crate::structure::strip(crate::StructureKind::National, data)?;
        NationalStructure::parse_rest(&data[1..])
    }

    pub(crate) fn parse_rest(rest: &str) -> Result<NationalStructure, Error> {
        let mut chars = rest.chars();
        let identifier = chars.next().unwrap_or('?');
        NationalStructure::new(identifier, chars.as_str())
    }

    /// The full data identifier, e.g. `"&a"`.
    pub fn data_identifier(&self) -> String {
        format!("&{}", self.identifier)
    }

    /// The content after the data identifier.
    pub fn content(&self) -> String {
        self.content.clone()
    }

    /// The barcode data.
    pub fn encode(&self) -> String {
        format!("&{}{}", self.identifier, self.content)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fin::tests::fin;
    use proptest::prelude::*;

    #[test]
    fn reference_vectors() {
        let d = DonorId::parse("=;A99990000222244445555").unwrap();
        assert_eq!((d.fin().as_str(), d.number(), d.check_character()), ("A9999", "0000222244445555", 'G'));
        assert_eq!(DonorId::parse("=;V01000000000806561665").unwrap().check_character(), 'V');
        assert_eq!(DonorId::new("A9999", "395421746").unwrap().number(), "0000000395421746");
        assert_eq!(ProductDivisions::parse("=,000012").unwrap().as_str(), "000012");
        assert_eq!(Sec::parse("&,4PL001499Z549917123456A00T041600320181231").unwrap().as_str().len(), 40);
        let rbc = RbcAntigens::parse("=\\620000000000000000").unwrap();
        assert_eq!((rbc.antigens(), rbc.ii()), ("6200000000000000", "00"));
        let pf = ProcessingFacility::parse("&+A9999AB3456").unwrap();
        assert_eq!((pf.fin().as_str(), pf.facility_product_code()), ("A9999", "AB3456"));
        let pc = ProductConsignment::parse("=$A999917123450102").unwrap();
        assert_eq!((pc.year(), pc.serial(), pc.container(), pc.total()), ("17", "12345", 1, 2));
        assert_eq!(ItemCatalog::parse("=-XX00027QzE").unwrap().catalog(), "00027QzE");
        assert_eq!(ContainerLot::parse("&)00001234rZ").unwrap().as_str(), "00001234rZ");
    }

    #[test]
    fn reserved_and_counted_fields_are_checked() {
        assert!(matches!(PlateletAntigens::parse("&{000000000000000010"), Err(Error::Reserved { .. })));
        assert!(PlateletAntigens::parse("&{000000000000000001").is_ok());
        assert!(matches!(TtiMarker::parse("&\"000000000010000000"), Err(Error::Reserved { .. })));
        assert!(matches!(PatientId::parse("&#0105ABC"), Err(Error::WrongLength { .. })));
        assert!(matches!(PatientId::parse("&#0100"), Err(Error::NotAllowed { .. })));
        assert!(matches!(Dimensions::parse("&$0201000100223000"), Err(Error::WrongLength { .. })));
        assert!(matches!(Dimensions::parse("&$0107000100223000"), Err(Error::UnknownCode { .. })));
        assert!(matches!(RedCellAntigens::parse("&%0010040010701"), Err(Error::UnknownCode { .. })));
        assert!(matches!(ChainOfIdentity::parse("&/XHA99992512345A"), Err(Error::NotAllowed { .. })));
        assert!(matches!(GridRetired::parse("&,30123ABCDEFGHIJKLMNO"), Err(Error::NotAllowed { .. })));
    }

    #[test]
    fn grid_checksum_is_verified() {
        let g = Grid::new(1234, "ABC1234567890").unwrap();
        let data = g.encode();
        let good = &data[data.len() - 2..];
        let bad = format!("{}{:02}", &data[..data.len() - 2], (good.parse::<u8>().unwrap() + 1) % 37);
        assert!(matches!(Grid::parse(&bad), Err(Error::WrongChecksum { .. })));
    }

    #[test]
    fn dimension_values_print_with_their_decimal_point() {
        let d = |v, dec| Dimension::new(1, 1, v, dec).unwrap().value_text();
        assert_eq!(d(12345, 1), "1234.5");
        assert_eq!(d(12345, 5), "0.12345");
        assert_eq!(d(223, 0), "223");
        assert_eq!(d(223, 2), "2.23");
    }

    fn dimension() -> impl Strategy<Value = Dimension> {
        (1u8..=6, 1u8..=11, 0u32..=99_999, 0u8..=5).prop_map(|(s, d, v, p)| Dimension::new(s, d, v, p).unwrap())
    }

    fn antigen() -> impl Strategy<Value = AntigenResult> {
        (0u32..=999_999, 1u8..=6, 1u8..=6).prop_map(|(a, r, t)| AntigenResult::new(a, r, t).unwrap())
    }

    proptest! {
        #[test]
        fn code_structures_round_trip(
            st in "[A-Z0-9]{5}", d18 in "[0-9]{18}", lot in "[A-Za-z0-9]{10}", up18 in "[A-Z0-9]{18}", sec in "[A-Za-z0-9]{40}", div in "[A-Z0-9]{6}",
        ) {
            let tti = format!("{}00000000", &d18[..10]);
            let plt = format!("{}0{}", &d18[..16], &d18[17..]);
            for data in [
                format!("&({st}"), format!("={{{d18}"), format!("=\\{d18}"), format!("&\\{d18}"), format!("&{{{plt}"), format!("=[{d18}"),
                format!("=\"{d18}"), format!("&){lot}"), format!("&-{lot}"), format!("&\"{tti}"), format!("=,{div}"), format!("&,1{up18}"),
                format!("&,2{up18}"), format!("&,4{sec}"),
            ] {
                let parsed = crate::DataStructure::parse(&data).map_err(|e| TestCaseError::fail(format!("{data}: {e}")))?;
                prop_assert_eq!(parsed.encode(), data);
            }
        }

        #[test]
        fn identifier_structures_round_trip(
            f in fin(), digits in "[0-9]{1,16}", id6 in "[A-Z0-9]{6}", yy in "[0-9]{2}", rest11 in "[0-9]{11}",
            b in "[A-Za-z0-9]", qq in "[A-Z0-9]{2}", w7 in "[A-Za-z0-9]{7}", w8 in "[A-Za-z0-9]{8}", ion in 1000u16..=9999, rdi in "[A-Z0-9]{13}", rdi15 in "[A-Z0-9]{15}",
            count in 0u8..=99, reference in 0u16..=999, loc in "[0-9]{2}", patient in "[A-Za-z0-9]{1,99}", pdc in crate::product::tests::product_code(),
        ) {
            let donor = DonorId::new(f.as_str(), &digits).unwrap();
            prop_assert_eq!(DonorId::parse(&donor.encode()), Ok(donor));
            let patient = PatientId::new(&loc, &patient).unwrap();
            prop_assert_eq!(PatientId::parse(&patient.encode()), Ok(patient));
            let grid = Grid::new(ion, &rdi).unwrap();
            prop_assert_eq!(Grid::parse(&grid.encode()), Ok(grid));
            let header = CompoundHeader::new(count, reference).unwrap();
            prop_assert_eq!(CompoundHeader::parse(&header.encode()), Ok(header));
            for data in [
                format!("='{f}{id6}"), format!("=${f}{rest11}"), format!("&+{f}{id6}"), format!("=/{f}{id6}{}", pdc.pdc()), format!("&/CH{f}{yy}{id6}"),
                format!("=){b}{qq}{w7}"), format!("=-{qq}{w8}"), format!("&,3{ion}{rdi15}"),
            ] {
                let parsed = crate::DataStructure::parse(&data).map_err(|e| TestCaseError::fail(format!("{data}: {e}")))?;
                prop_assert_eq!(parsed.encode(), data);
            }
        }

        #[test]
        fn repeating_structures_round_trip(dims in proptest::collection::vec(dimension(), 0..5), antigens in proptest::collection::vec(antigen(), 0..5)) {
            let d = Dimensions::new(dims).unwrap();
            prop_assert_eq!(Dimensions::parse(&d.encode()), Ok(d));
            let r = RedCellAntigens::new(antigens).unwrap();
            prop_assert_eq!(RedCellAntigens::parse(&r.encode()), Ok(r));
        }

        #[test]
        fn national_structures_round_trip(id in "[a-z;!]", content in "[!-~]{0,30}") {
            let n = NationalStructure::new(id.chars().next().unwrap(), &content).unwrap();
            prop_assert_eq!(NationalStructure::parse(&n.encode()), Ok(n));
        }
    }
}
