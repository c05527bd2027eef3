//! The less common structures: special testing, RBC/platelet antigens, containers and
//! supplies, donor/staff/patient identifiers, compound message header, consignment,
//! dimensions, divisions, MPHO identifiers, SEC, GRID, chain of identity, and nationally
//! defined structures. Codes that need ICCBBA's licensed tables are kept as read.

mod prelude {
    pub(super) use super::no_check;
    pub(super) use crate::chars::{digits_value, Class, Text};
    pub(super) use crate::check::{character_of, checksum_of};
    pub(super) use crate::{Error, Fin, Pdc};
    pub(super) use std::fmt;
}
use prelude::*;

pub(super) fn no_check(_: &Text<'_>) -> Result<(), Error> {
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

mod antigens;
mod codes;
mod facilities;
mod identifiers;
mod messages;
mod registries;
mod supplies;

pub use antigens::*;
pub use codes::*;
pub use facilities::*;
pub use identifiers::*;
pub use messages::*;
pub use registries::*;
pub use supplies::*;

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
