//! One decoded data structure of any kind, and its fields as plain values for output
//! (JSON and the like) without a serialisation dependency.

use std::fmt;

use crate::check::{character_of, checksum_of};
use crate::other::*;
use crate::{
    BloodGroups, CollectionDate, CollectionDateTime, Din, Division, Error, ExpirationDate, ExpirationDateTime, ExpirationMonth, FlagType,
    FlexibleDateTime, PatientBirthDate, ProductCode, ProductionDate, ProductionDateTime, StructureKind, TimeZone,
};

/// A field value for output: what a JSON value would be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldValue {
    /// A string.
    Text(String),
    /// An integer.
    Number(i64),
    /// A boolean.
    Bool(bool),
    /// No value (JSON `null`).
    Null,
    /// A list of records (JSON array of objects), e.g. the measurements of DS029.
    List(Vec<Vec<(&'static str, FieldValue)>>),
}

impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        FieldValue::Text(s.to_owned())
    }
}

impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Text(s)
    }
}

impl From<char> for FieldValue {
    fn from(c: char) -> Self {
        FieldValue::Text(c.to_string())
    }
}

impl From<bool> for FieldValue {
    fn from(b: bool) -> Self {
        FieldValue::Bool(b)
    }
}

impl<T: Into<FieldValue>> From<Option<T>> for FieldValue {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(FieldValue::Null)
    }
}

macro_rules! number_from {
    ($($t:ty),*) => {$(
        impl From<$t> for FieldValue {
            fn from(n: $t) -> Self {
                FieldValue::Number(i64::from(n))
            }
        }
    )*};
}
number_from!(u8, u16, u32);

macro_rules! data_structures {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// One ISBT 128 data structure, of any kind, as read from a scan or built.
        ///
        /// ```
        /// let s = isbt128::DataStructure::parse("=%5100")?;
        /// assert_eq!(s.number(), "002");
        /// assert_eq!(s.encode(), "=%5100");
        /// assert!(matches!(s, isbt128::DataStructure::BloodGroups(_)));
        /// # Ok::<(), isbt128::Error>(())
        /// ```
        #[derive(Clone, PartialEq, Eq, Debug)]
        #[non_exhaustive]
        pub enum DataStructure {
            $(
                #[doc = concat!("See [`", stringify!($ty), "`].")]
                $variant($ty),
            )*
            /// A nationally defined structure (`&a`–`&z`, `&;`, `&!`).
            National(NationalStructure),
        }

        impl DataStructure {
            /// Which structure this is.
            pub fn kind(&self) -> StructureKind {
                match self {
                    $(DataStructure::$variant(_) => StructureKind::$variant,)*
                    DataStructure::National(_) => StructureKind::National,
                }
            }

            /// The barcode data, data identifier included; for a structure read from a
            /// scan, exactly the characters that were read.
            pub fn encode(&self) -> String {
                match self {
                    $(DataStructure::$variant(v) => v.encode(),)*
                    DataStructure::National(v) => v.encode(),
                }
            }

            /// The content characters, without the data identifier (for a DIN: the 15
            /// characters after `=`).
            pub fn content(&self) -> String {
                match self {
                    $(DataStructure::$variant(v) => v.content(),)*
                    DataStructure::National(v) => v.content(),
                }
            }

            /// Reads the content of a structure whose identifier has been read. For a
            /// national structure, `content` starts with the identifier's second character.
            pub(crate) fn parse_content(kind: StructureKind, content: &str) -> Result<DataStructure, Error> {
                match kind {
                    $(StructureKind::$variant => <$ty>::parse_content(content).map(DataStructure::$variant),)*
                    StructureKind::National => NationalStructure::parse_rest(content).map(DataStructure::National),
                }
            }
        }

        $(
            impl From<$ty> for DataStructure {
                fn from(v: $ty) -> Self {
                    DataStructure::$variant(v)
                }
            }
        )*
    };
}

data_structures! {
    Din(Din),
    BloodGroups(BloodGroups),
    ProductCode(ProductCode),
    ExpirationDate(ExpirationDate),
    ExpirationDateTime(ExpirationDateTime),
    CollectionDate(CollectionDate),
    CollectionDateTime(CollectionDateTime),
    ProductionDate(ProductionDate),
    ProductionDateTime(ProductionDateTime),
    SpecialTesting(SpecialTesting),
    RbcAntigensRetired(RbcAntigensRetired),
    RbcAntigens(RbcAntigens),
    RbcAntigensFinnish(RbcAntigensFinnish),
    PlateletAntigens(PlateletAntigens),
    HlaAbRetired(HlaAbRetired),
    HlaDrb1Retired(HlaDrb1Retired),
    ContainerCatalog(ContainerCatalog),
    ContainerLot(ContainerLot),
    DonorId(DonorId),
    StaffId(StaffId),
    ItemCatalog(ItemCatalog),
    ItemLot(ItemLot),
    CompoundMessage(CompoundHeader),
    PatientBirthDate(PatientBirthDate),
    PatientId(PatientId),
    ExpirationMonth(ExpirationMonth),
    TtiMarker(TtiMarker),
    ProductConsignment(ProductConsignment),
    Dimensions(Dimensions),
    RedCellAntigens(RedCellAntigens),
    FlexibleDateTime(FlexibleDateTime),
    ProductDivisions(ProductDivisions),
    ProcessingFacility(ProcessingFacility),
    ProcessorProductId(ProcessorProductId),
    MphoLot(MphoLot),
    MphoSupplementalId(MphoSupplementalId),
    GridRetired(GridRetired),
    Sec(Sec),
    Grid(Grid),
    ChainOfIdentity(ChainOfIdentity),
}

impl DataStructure {
    /// Reads exactly one data structure (surrounding whitespace and a symbology
    /// identifier are accepted, as in [`crate::decode`]).
    pub fn parse(data: &str) -> Result<DataStructure, Error> {
        let mut items = crate::decode(data)?;
        match items.len() {
            1 => Ok(items.remove(0)),
            n => Err(Error::MoreThanOne { found: n }),
        }
    }

    /// The ICCBBA number, e.g. `"001"` (`"national"` for national structures).
    pub fn number(&self) -> &'static str {
        self.kind().number()
    }

    /// The ICCBBA name, e.g. `"Blood Groups [ABO and RhD]"`.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The keyboard-entry check character K: for a DIN over its 13 characters; for
    /// other structures over their content, when that content is all capital letters
    /// and digits (else `None`).
    pub fn check_character(&self) -> Option<char> {
        if let DataStructure::Din(din) = self {
            return Some(din.check_character());
        }
        let content = self.content();
        if content.is_empty() || !content.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            return None;
        }
        Some(character_of(checksum_of(content.as_bytes())))
    }

    /// The text printed under the barcode (ST-001 §7.4): for a DIN its grouped form
    /// with flags and boxed K; for other structures the content without the data
    /// identifier, followed by `[K]` where ST-001 requires K (DS012–014, 019, 027, 040).
    pub fn eye_readable(&self) -> String {
        match self {
            DataStructure::Din(din) => din.eye_readable().to_string(),
            DataStructure::RbcAntigens(_)
            | DataStructure::RbcAntigensFinnish(_)
            | DataStructure::PlateletAntigens(_)
            | DataStructure::DonorId(_)
            | DataStructure::TtiMarker(_)
            | DataStructure::ChainOfIdentity(_) => {
                format!("{} [{}]", self.content(), self.check_character().unwrap_or('?'))
            }
            _ => self.content(),
        }
    }

    /// The structure's fields for output, as (name, value) pairs in a fixed order. The
    /// first three are always `structure` (ICCBBA number), `name` and `data` (the exact
    /// barcode data, data identifier included); the rest depend on the structure. See
    /// the crate documentation for the field names.
    pub fn fields(&self) -> Vec<(&'static str, FieldValue)> {
        let mut f: Vec<(&'static str, FieldValue)> =
            vec![("structure", self.number().into()), ("name", self.name().into()), ("data", self.encode().into())];
        let mut add = |name: &'static str, value: FieldValue| f.push((name, value));
        match self {
            DataStructure::Din(d) => {
                add("din", d.din().into());
                add("fin", d.fin().as_str().into());
                add("year", d.year_full().into());
                add("year_code", d.year().into());
                add("sequence", FieldValue::Number(i64::from(d.sequence())));
                add("flags", d.flags_code().into());
                let kind = match d.flags().kind() {
                    FlagType::NotUsed => "not_used",
                    FlagType::Defined => "defined",
                    FlagType::Local => "local",
                    FlagType::Checksum => "checksum",
                    FlagType::Reserved => "reserved",
                };
                add("flags_type", kind.into());
                add("flags_meaning", d.flags().meaning().description().into());
                add("check_character", d.check_character().into());
                add("eye_readable", d.eye_readable().to_string().into());
            }
            DataStructure::BloodGroups(b) => {
                let g = b.group();
                add("group_code", g.code().into());
                add("abo", g.abo().map(|a| a.as_str()).into());
                add("rhd", g.rhd().map(|r| r.as_str()).into());
                add("intended_use", g.intended_use().map(|u| u.description()).into());
                add("special_message", g.special_message().map(|m| m.description()).into());
                let p = b.phenotype();
                add("phenotype_code", p.code().into());
                add("kell", p.kell().map(|k| if k { "pos" } else { "neg" }).into());
                add("mia", p.mia().map(|k| if k { "pos" } else { "neg" }).into());
                add("phenotype", p.to_string().into());
                add("text", b.to_string().into());
            }
            DataStructure::ProductCode(p) => {
                add("product_code", p.pdc().as_str().into());
                add("category", p.pdc().category().description().into());
                add("donation_type", p.collection_type().map(|t| t.code()).into());
                add("donation_type_text", p.collection_type().map(|t| t.description()).into());
                add("division", p.division_code().into());
                let meaning = match p.division() {
                    Division::NotDivided => "not divided".to_owned(),
                    Division::Split(code) => format!("division {code}"),
                    Division::SeeProductDivisions => "see Product Divisions (=,)".to_owned(),
                    Division::Pack(n) => format!("division or pack {n}"),
                    Division::NationallyDefined(code) => format!("nationally defined ({code})"),
                };
                add("division_text", meaning.into());
            }
            DataStructure::ExpirationDate(e) => {
                add("date", e.date().to_iso().into());
                add("time", FieldValue::Null);
                add("expires_at", e.date_time().to_iso().into());
                add("text", e.to_string().into());
            }
            DataStructure::ExpirationDateTime(e) => date_time_fields(&mut add, "expires_at", e.date_time(), e.to_string()),
            DataStructure::CollectionDate(c) => date_fields(&mut add, "collected_on", c.date().to_iso(), c.to_string()),
            DataStructure::CollectionDateTime(c) => date_time_fields(&mut add, "collected_at", c.date_time(), c.to_string()),
            DataStructure::ProductionDate(p) => date_fields(&mut add, "produced_on", p.date().to_iso(), p.to_string()),
            DataStructure::ProductionDateTime(p) => date_time_fields(&mut add, "produced_at", p.date_time(), p.to_string()),
            DataStructure::SpecialTesting(s) => add("code", s.as_str().into()),
            DataStructure::RbcAntigens(r) => {
                add("antigens", r.antigens().into());
                add("ii", r.ii().into());
            }
            DataStructure::RbcAntigensRetired(r) => add("digits", r.as_str().into()),
            DataStructure::RbcAntigensFinnish(r) => add("digits", r.as_str().into()),
            DataStructure::PlateletAntigens(p) => add("digits", p.as_str().into()),
            DataStructure::HlaAbRetired(h) => add("digits", h.as_str().into()),
            DataStructure::HlaDrb1Retired(h) => add("digits", h.as_str().into()),
            DataStructure::ContainerCatalog(c) => {
                add("container", c.container().into());
                add("manufacturer", c.manufacturer().into());
                add("catalog", c.catalog().into());
            }
            DataStructure::ContainerLot(l) => add("lot", l.as_str().into()),
            DataStructure::DonorId(d) => {
                add("fin", d.fin().as_str().into());
                add("donor_number", d.number().into());
            }
            DataStructure::StaffId(s) => {
                add("fin", s.fin().as_str().into());
                add("staff_number", s.staff_number().into());
            }
            DataStructure::ItemCatalog(c) => {
                add("manufacturer", c.manufacturer().into());
                add("catalog", c.catalog().into());
            }
            DataStructure::ItemLot(l) => add("lot", l.as_str().into()),
            DataStructure::CompoundMessage(h) => {
                add("count", h.count().into());
                add("reference", h.reference().into());
                add("undefined_order", h.is_undefined().into());
            }
            DataStructure::PatientBirthDate(p) => {
                add("location_code", p.location_code().into());
                add("date_of_birth", p.date().to_iso().into());
            }
            DataStructure::PatientId(p) => {
                add("location_code", p.location_code().into());
                add("patient_number", p.patient_number().into());
            }
            DataStructure::ExpirationMonth(m) => {
                add("year", m.year().into());
                add("month", m.month().into());
                add("expires", format!("{:04}-{:02}", m.year(), m.month()).into());
            }
            DataStructure::TtiMarker(t) => add("markers", t.as_str().into()),
            DataStructure::ProductConsignment(c) => {
                add("fin", c.fin().as_str().into());
                add("year", c.year().into());
                add("serial", c.serial().into());
                add("container", c.container().into());
                add("total", c.total().into());
            }
            DataStructure::Dimensions(d) => {
                let list = d
                    .measurements()
                    .iter()
                    .map(|m| {
                        vec![
                            ("symbol", m.symbol().into()),
                            ("symbol_text", m.symbol_description().into()),
                            ("dimension", m.dimension().into()),
                            ("dimension_text", m.dimension_description().into()),
                            ("value", m.value_text().into()),
                            ("unit", m.unit().into()),
                        ]
                    })
                    .collect();
                add("dimensions", FieldValue::List(list));
            }
            DataStructure::RedCellAntigens(r) => {
                let list = r
                    .results()
                    .iter()
                    .map(|a| {
                        vec![
                            ("antigen", a.antigen().into()),
                            ("result", a.result().into()),
                            ("result_text", a.result_description().into()),
                            ("positive", a.is_positive().into()),
                            ("tests", a.tests().into()),
                            ("tests_text", a.tests_description().into()),
                        ]
                    })
                    .collect();
                add("antigens", FieldValue::List(list));
            }
            DataStructure::FlexibleDateTime(t) => {
                add("time_zone", if t.zone() == TimeZone::Utc { "utc" } else { "local" }.into());
                add("time_kind", t.time_kind().code().into());
                add("time_kind_text", t.time_kind().description().into());
                add("at", t.to_iso().into());
            }
            DataStructure::ProductDivisions(d) => add("division", d.as_str().into()),
            DataStructure::ProcessingFacility(p) => {
                add("fin", p.fin().as_str().into());
                add("facility_product_code", p.facility_product_code().into());
            }
            DataStructure::ProcessorProductId(p) => {
                add("fin", p.fin().as_str().into());
                add("facility_product_code", p.facility_product_code().into());
                add("product_code", p.pdc().as_str().into());
            }
            DataStructure::MphoLot(l) => add("lot", l.as_str().into()),
            DataStructure::MphoSupplementalId(s) => add("id", s.as_str().into()),
            DataStructure::GridRetired(g) => add("grid", g.content().into()),
            DataStructure::Sec(s) => add("sec", s.as_str().into()),
            DataStructure::Grid(g) => {
                add("ion", g.ion().into());
                add("donor_identifier", g.donor_identifier().into());
            }
            DataStructure::ChainOfIdentity(c) => {
                add("fin", c.fin().as_str().into());
                add("year", c.year().into());
                add("sequence", c.sequence().into());
            }
            DataStructure::National(n) => {
                add("data_identifier", n.data_identifier().into());
                add("content", n.content().into());
            }
        }
        if !matches!(self, DataStructure::Din(_)) {
            f.push(("check_character", self.check_character().into()));
        }
        f
    }
}

fn date_fields(add: &mut impl FnMut(&'static str, FieldValue), role: &'static str, iso: String, text: String) {
    add("date", iso.clone().into());
    add("time", FieldValue::Null);
    add(role, iso.into());
    add("text", text.into());
}

fn date_time_fields(add: &mut impl FnMut(&'static str, FieldValue), role: &'static str, t: crate::DateTime, text: String) {
    add("date", t.date().to_iso().into());
    add("time", format!("{:02}:{:02}", t.hour(), t.minute()).into());
    add(role, t.to_iso().into());
    add("text", text.into());
}

impl fmt::Display for DataStructure {
    /// `name: eye-readable text`, e.g. `Blood Groups [ABO and RhD]: A RhD positive`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            DataStructure::BloodGroups(b) => b.to_string(),
            DataStructure::ExpirationDate(e) => e.to_string(),
            DataStructure::ExpirationDateTime(e) => e.to_string(),
            DataStructure::CollectionDate(e) => e.to_string(),
            DataStructure::CollectionDateTime(e) => e.to_string(),
            DataStructure::ProductionDate(e) => e.to_string(),
            DataStructure::ProductionDateTime(e) => e.to_string(),
            _ => self.eye_readable(),
        };
        write!(f, "{}: {text}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(fields: &'a [(&'static str, FieldValue)], name: &str) -> &'a FieldValue {
        &fields.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no field {name}")).1
    }

    #[test]
    fn din_fields() {
        let f = DataStructure::parse("=A99992612345600").unwrap().fields();
        assert_eq!(field(&f, "structure"), &FieldValue::from("001"));
        assert_eq!(field(&f, "data"), &FieldValue::from("=A99992612345600"));
        assert_eq!(field(&f, "din"), &FieldValue::from("A999926123456"));
        assert_eq!(field(&f, "year"), &FieldValue::Number(2026));
        assert_eq!(field(&f, "year_code"), &FieldValue::from("26"));
        assert_eq!(field(&f, "sequence"), &FieldValue::Number(123456));
        assert_eq!(field(&f, "check_character"), &FieldValue::from("T"));
    }

    #[test]
    fn blood_group_product_and_expiry_fields() {
        let f = DataStructure::parse("=%5100").unwrap().fields();
        assert_eq!((field(&f, "abo"), field(&f, "rhd")), (&FieldValue::from("O"), &FieldValue::from("pos")));
        assert_eq!(field(&f, "special_message"), &FieldValue::Null);
        let f = DataStructure::parse("=<E0398V00").unwrap().fields();
        assert_eq!((field(&f, "product_code"), field(&f, "donation_type"), field(&f, "division")), (&"E0398".into(), &"V".into(), &"00".into()));
        let f = DataStructure::parse("&>0252441800").unwrap().fields();
        assert_eq!(field(&f, "expires_at"), &FieldValue::from("2025-09-01T18:00"));
        let f = DataStructure::parse("=>019031").unwrap().fields();
        assert_eq!(field(&f, "expires_at"), &FieldValue::from("2019-01-31T23:59"));
    }

    #[test]
    fn check_characters_for_other_structures() {
        assert_eq!(DataStructure::parse("=;A99990000222244445555").unwrap().check_character(), Some('G'));
        assert_eq!(DataStructure::parse("=;A99990000222244445555").unwrap().eye_readable(), "A99990000222244445555 [G]");
        assert_eq!(DataStructure::parse("&)00001234rZ").unwrap().check_character(), None);
    }
}
