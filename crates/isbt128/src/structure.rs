//! The index of data structures (ST-001 Table 2): numbers, data identifiers, lengths,
//! and the reading of a data identifier at the start of some data.

use crate::Error;

/// How long a structure's content is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Length {
    /// Always this many characters.
    Fixed(usize),
    /// A count of `count_digits` digits at `count_at`, then `head` characters in all
    /// before `count × each` further characters.
    Counted { count_at: usize, count_digits: usize, head: usize, each: usize },
    /// Nationally defined: the rest of the scan.
    Rest,
}

macro_rules! kinds {
    ($( $variant:ident = $num:literal, $di:literal, $prefix:literal, $len:expr, $name:literal; )*) => {
        /// Which data structure a piece of data is (ST-001 Table 2), plus the nationally
        /// defined structures (`&a`–`&z`, `&;`, `&!`).
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum StructureKind {
            $(
                #[doc = concat!("Data Structure ", $num, ": ", $name, " (`", $di, "`).")]
                $variant,
            )*
            /// A nationally (or facility) defined structure, `&a`–`&z`, `&;` or `&!`.
            National,
        }

        impl StructureKind {
            /// Every kind, in ICCBBA number order, then [`StructureKind::National`].
            pub const ALL: &'static [StructureKind] = &[$(StructureKind::$variant,)* StructureKind::National];

            /// The ICCBBA number as three digits, e.g. `"001"`; `"national"` for
            /// nationally defined structures.
            pub fn number(self) -> &'static str {
                match self { $(StructureKind::$variant => $num,)* StructureKind::National => "national" }
            }

            /// The ICCBBA name, e.g. `"Donation Identification Number"`.
            pub fn name(self) -> &'static str {
                match self { $(StructureKind::$variant => $name,)* StructureKind::National => "Nationally Defined Data Structure" }
            }

            /// The data identifier as ICCBBA writes it, e.g. `"=%"`, `"=α"` for a DIN
            /// (whose second identifier character is the first FIN character).
            pub fn data_identifier(self) -> &'static str {
                match self { $(StructureKind::$variant => $di,)* StructureKind::National => "&a-&z, &;, &!" }
            }

            /// The identifier characters that precede the content (`"="` for a DIN).
            pub(crate) fn prefix(self) -> &'static str {
                match self { $(StructureKind::$variant => $prefix,)* StructureKind::National => "&" }
            }

            /// Name and data identifier, for messages: `"Blood Groups [ABO and RhD] (=%)"`.
            pub fn label(self) -> &'static str {
                match self {
                    $(StructureKind::$variant => concat!($name, " (", $di, ")"),)*
                    StructureKind::National => "Nationally Defined Data Structure (&a-&z, &;, &!)",
                }
            }

            pub(crate) fn data_field(self) -> &'static str {
                match self {
                    $(StructureKind::$variant => concat!($name, " data (", $di, "...)"),)*
                    StructureKind::National => "nationally defined data",
                }
            }

            pub(crate) fn length(self) -> Length {
                match self { $(StructureKind::$variant => $len,)* StructureKind::National => Length::Rest }
            }
        }
    };
}

use Length::{Counted, Fixed};

kinds! {
    Din = "001", "=α", "=", Fixed(15), "Donation Identification Number";
    BloodGroups = "002", "=%", "=%", Fixed(4), "Blood Groups [ABO and RhD]";
    ProductCode = "003", "=<", "=<", Fixed(8), "Product Code";
    ExpirationDate = "004", "=>", "=>", Fixed(6), "Expiration Date";
    ExpirationDateTime = "005", "&>", "&>", Fixed(10), "Expiration Date and Time";
    CollectionDate = "006", "=*", "=*", Fixed(6), "Collection Date";
    CollectionDateTime = "007", "&*", "&*", Fixed(10), "Collection Date and Time";
    ProductionDate = "008", "=}", "=}", Fixed(6), "Production Date";
    ProductionDateTime = "009", "&}", "&}", Fixed(10), "Production Date and Time";
    SpecialTesting = "010", "&(", "&(", Fixed(5), "Special Testing: General";
    RbcAntigensRetired = "011", "={", "={", Fixed(18), "Special Testing: Red Blood Cell Antigens [RETIRED]";
    RbcAntigens = "012", "=\\", "=\\", Fixed(18), "Special Testing: Red Blood Cell Antigens - General";
    RbcAntigensFinnish = "013", "&\\", "&\\", Fixed(18), "Special Testing: Red Blood Cell Antigens - Finnish";
    PlateletAntigens = "014", "&{", "&{", Fixed(18), "Special Testing: Platelet HLA and Platelet Specific Antigens";
    HlaAbRetired = "015", "=[", "=[", Fixed(18), "Special Testing: HLA-A and -B Alleles [RETIRED]";
    HlaDrb1Retired = "016", "=\"", "=\"", Fixed(18), "Special Testing: HLA-DRB1 Alleles [RETIRED]";
    ContainerCatalog = "017", "=)", "=)", Fixed(10), "Container Manufacturer and Catalog Number";
    ContainerLot = "018", "&)", "&)", Fixed(10), "Container Lot Number";
    DonorId = "019", "=;", "=;", Fixed(21), "Donor Identification Number";
    StaffId = "020", "='", "='", Fixed(11), "Staff Member Identification Number";
    ItemCatalog = "021", "=-", "=-", Fixed(10), "Manufacturer and Catalog Number: Items Other Than Containers";
    ItemLot = "022", "&-", "&-", Fixed(10), "Lot Number: Items Other Than Containers";
    CompoundMessage = "023", "=+", "=+", Fixed(5), "Compound Message";
    PatientBirthDate = "024", "=#", "=#", Fixed(10), "Patient Date of Birth";
    PatientId = "025", "&#", "&#", Counted { count_at: 2, count_digits: 2, head: 4, each: 1 }, "Patient Identification Number";
    ExpirationMonth = "026", "=]", "=]", Fixed(6), "Expiration Month and Year";
    TtiMarker = "027", "&\"", "&\"", Fixed(18), "Transfusion Transmitted Infection Marker";
    ProductConsignment = "028", "=$", "=$", Fixed(16), "Product Consignment";
    Dimensions = "029", "&$", "&$", Counted { count_at: 0, count_digits: 2, head: 2, each: 14 }, "Dimensions";
    RedCellAntigens = "030", "&%", "&%", Counted { count_at: 0, count_digits: 3, head: 3, each: 10 }, "Red Cell Antigens with Test History";
    FlexibleDateTime = "031", "=(", "=(", Fixed(16), "Flexible Date and Time";
    ProductDivisions = "032", "=,", "=,", Fixed(6), "Product Divisions";
    ProcessingFacility = "033", "&+", "&+", Fixed(11), "Processing Facility Information Code";
    ProcessorProductId = "034", "=/", "=/", Fixed(16), "Processor Product Identification Code";
    MphoLot = "035", "&,1", "&,1", Fixed(18), "MPHO Lot Number";
    MphoSupplementalId = "036", "&,2", "&,2", Fixed(18), "MPHO Supplemental Identification Number";
    GridRetired = "037", "&,3", "&,3", Fixed(19), "Global Registration Identifier for Donors [RETIRED]";
    Sec = "038", "&,4", "&,4", Fixed(40), "Single European Code (SEC)";
    Grid = "039", "&:", "&:", Fixed(19), "Global Registration Identifier for Donors";
    ChainOfIdentity = "040", "&/", "&/", Fixed(15), "Chain of Identity Identifier";
}

impl StructureKind {
    /// Structures ICCBBA has retired (011, 015, 016, 037): still read, not for new labels.
    pub fn is_retired(self) -> bool {
        matches!(self, StructureKind::RbcAntigensRetired | StructureKind::HlaAbRetired | StructureKind::HlaDrb1Retired | StructureKind::GridRetired)
    }
}

/// Reads the data identifier at the start of `data` (which starts at 1-based `position`
/// of the scan). Returns the kind and how many characters precede its content.
pub(crate) fn identify(data: &[u8], position: usize) -> Result<(StructureKind, usize), Error> {
    use StructureKind as K;
    let unknown = |len: usize, hint: Option<&'static str>| Error::UnknownDataIdentifier {
        position,
        found: String::from_utf8_lossy(&data[..len.min(data.len())]).into_owned(),
        hint,
    };
    let first = *data.first().ok_or(Error::Empty { what: "the data" })?;
    if first != b'=' && first != b'&' {
        return Err(Error::ExpectedDataIdentifier { position, found: first as char });
    }
    let Some(&second) = data.get(1) else {
        return Err(unknown(1, Some("the data ends after the first data identifier character")));
    };
    let kind = match (first, second) {
        (b'=', b'A'..=b'N' | b'P'..=b'Z' | b'1'..=b'9') => return Ok((K::Din, 1)),
        (b'=', b'O' | b'0') => return Err(unknown(2, Some("a DIN never starts with the letter O or the digit 0"))),
        (b'=', b'a'..=b'z') => {
            return Err(Error::LowerCase {
                field: "the data identifier",
                position: 2,
                found: second as char,
                suggestion: second.to_ascii_uppercase() as char,
            })
        }
        (b'=', b'%') => K::BloodGroups,
        (b'=', b'<') => K::ProductCode,
        (b'=', b'>') => K::ExpirationDate,
        (b'&', b'>') => K::ExpirationDateTime,
        (b'=', b'*') => K::CollectionDate,
        (b'&', b'*') => K::CollectionDateTime,
        (b'=', b'}') => K::ProductionDate,
        (b'&', b'}') => K::ProductionDateTime,
        (b'&', b'(') => K::SpecialTesting,
        (b'=', b'{') => K::RbcAntigensRetired,
        (b'=', b'\\') => K::RbcAntigens,
        (b'&', b'\\') => K::RbcAntigensFinnish,
        (b'&', b'{') => K::PlateletAntigens,
        (b'=', b'[') => K::HlaAbRetired,
        (b'=', b'"') => K::HlaDrb1Retired,
        (b'=', b')') => K::ContainerCatalog,
        (b'&', b')') => K::ContainerLot,
        (b'=', b';') => K::DonorId,
        (b'=', b'\'') => K::StaffId,
        (b'=', b'-') => K::ItemCatalog,
        (b'&', b'-') => K::ItemLot,
        (b'=', b'+') => K::CompoundMessage,
        (b'=', b'#') => K::PatientBirthDate,
        (b'&', b'#') => K::PatientId,
        (b'=', b']') => K::ExpirationMonth,
        (b'&', b'"') => K::TtiMarker,
        (b'=', b'$') => K::ProductConsignment,
        (b'&', b'$') => K::Dimensions,
        (b'&', b'%') => K::RedCellAntigens,
        (b'=', b'(') => K::FlexibleDateTime,
        (b'=', b',') => K::ProductDivisions,
        (b'&', b'+') => K::ProcessingFacility,
        (b'=', b'/') => K::ProcessorProductId,
        (b'&', b':') => K::Grid,
        (b'&', b'/') => K::ChainOfIdentity,
        (b'&', b'a'..=b'z' | b';' | b'!') => K::National,
        (b'&', b',') => {
            return match data.get(2) {
                Some(b'1') => Ok((K::MphoLot, 3)),
                Some(b'2') => Ok((K::MphoSupplementalId, 3)),
                Some(b'3') => Ok((K::GridRetired, 3)),
                Some(b'4') => Ok((K::Sec, 3)),
                _ => Err(unknown(3, Some("'&,' must be followed by 1, 2, 3 or 4"))),
            };
        }
        _ => return Err(unknown(2, None)),
    };
    Ok((kind, 2))
}

/// Checks that `data` is `kind`'s barcode data and returns its content.
pub(crate) fn strip(kind: StructureKind, data: &str) -> Result<&str, Error> {
    let text = crate::chars::Text::ascii(kind.data_field(), data)?;
    let (found, prefix) = match identify(text.as_str().as_bytes(), 1) {
        Ok(found) => found,
        Err(err @ Error::LowerCase { .. }) if kind == StructureKind::Din => return Err(err),
        Err(_) => {
            return Err(Error::WrongDataIdentifier { expected: kind.label(), found: data.chars().take(3).collect(), found_kind: None });
        }
    };
    if found != kind {
        let shown = data.get(..prefix).unwrap_or(data).to_owned();
        return Err(Error::WrongDataIdentifier { expected: kind.label(), found: shown, found_kind: Some(found.label()) });
    }
    if let Length::Fixed(n) = kind.length() {
        if data.len() != prefix + n {
            return Err(Error::WrongLength { field: kind.data_field(), expected: prefix + n, found: data.len() });
        }
    }
    Ok(&data[prefix..])
}

/// Gives a structure type `parse(data)`, `encode()` and `FromStr`, from its
/// `parse_content` and `content`.
macro_rules! impl_structure {
    ($ty:ident, $kind:ident) => {
        impl $ty {
            /// Reads barcode data: the data identifier followed by the content.
            pub fn parse(data: &str) -> Result<$ty, $crate::Error> {
                $crate::structure::strip($crate::StructureKind::$kind, data).and_then($ty::parse_content)
            }

            /// The barcode data: the data identifier followed by the content.
            pub fn encode(&self) -> String {
                let mut data = String::from($crate::StructureKind::$kind.prefix());
                data.push_str(&self.content());
                data
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::parse(s)
            }
        }
    };
}
pub(crate) use impl_structure;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_identified_by_its_own_prefix() {
        for &kind in StructureKind::ALL {
            let sample = match kind {
                StructureKind::Din => "=A".to_owned(),
                StructureKind::National => "&a".to_owned(),
                k => k.prefix().to_owned(),
            };
            let (found, len) = identify(sample.as_bytes(), 1).unwrap();
            assert_eq!(found, kind, "{sample}");
            assert_eq!(len, kind.prefix().len().max(if kind == StructureKind::National { 2 } else { 0 }));
        }
    }

    #[test]
    fn numbers_run_from_001_to_040() {
        let numbers: Vec<&str> = StructureKind::ALL.iter().map(|k| k.number()).collect();
        let expected: Vec<String> = (1..=40).map(|n| format!("{n:03}")).chain(["national".to_owned()]).collect();
        assert_eq!(numbers, expected);
    }

    #[test]
    fn unknown_identifiers_are_errors() {
        assert!(matches!(identify(b"=!", 1), Err(Error::UnknownDataIdentifier { .. })));
        assert!(matches!(identify(b"&,9", 1), Err(Error::UnknownDataIdentifier { .. })));
        assert!(matches!(identify(b"=O", 1), Err(Error::UnknownDataIdentifier { hint: Some(_), .. })));
        assert!(matches!(identify(b"=a", 1), Err(Error::LowerCase { .. })));
        assert!(matches!(identify(b"A9", 1), Err(Error::ExpectedDataIdentifier { .. })));
        assert!(matches!(identify(b"=", 1), Err(Error::UnknownDataIdentifier { .. })));
    }
}
