//! Compound message header, product consignment and dimensions.

#[allow(unused_imports)]
use super::prelude::*;

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
