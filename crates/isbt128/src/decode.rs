//! Reading what a scanner sends: optional symbology identifier, one structure or
//! several concatenated, or a compound message.

use crate::structure::{identify, Length};
use crate::{DataStructure, Error, StructureKind};

/// The AIM symbology identifier a scanner may put in front of the data (ISO/IEC 15424).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Symbology {
    /// `]C0`: Code 128.
    Code128,
    /// `]C4`: Code 128, two barcodes concatenated according to ISBT 128.
    Code128Concatenated,
    /// `]d1`: Data Matrix ECC 200.
    DataMatrix,
}

impl Symbology {
    /// The identifier, e.g. `"]C4"`.
    pub fn identifier(&self) -> &'static str {
        match self {
            Symbology::Code128 => "]C0",
            Symbology::Code128Concatenated => "]C4",
            Symbology::DataMatrix => "]d1",
        }
    }
}

/// One structure read from a scan.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ScannedItem {
    /// 1-based position of its data identifier in the scan (after surrounding
    /// whitespace is removed; a symbology identifier counts).
    pub position: usize,
    /// The structure; `structure.encode()` is exactly the characters read.
    pub structure: DataStructure,
}

/// Everything read from one scan.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Scan {
    /// The symbology identifier, if the scanner sent one.
    pub symbology: Option<Symbology>,
    /// The structures in scan order. A compound message's header (DS023) is the first
    /// item, followed by the structures it announces.
    pub items: Vec<ScannedItem>,
}

/// Decodes a scan into its data structures: see [`decode_scan`].
///
/// ```
/// use isbt128::{decode, DataStructure};
/// let items = decode("]C4=A99991712345600=%5100\r\n")?;
/// assert_eq!(items.len(), 2);
/// assert!(matches!(&items[0], DataStructure::Din(d) if d.din() == "A999917123456"));
/// assert_eq!(items[1].to_string(), "Blood Groups [ABO and RhD]: O RhD positive");
///
/// let compound = decode("=+04000=/A9997XYZ100T0479=A99991712345600=,000012=>019031")?;
/// assert_eq!(compound.len(), 5);
/// assert!(decode("=+05000=/A9997XYZ100T0479=A99991712345600=,000012=>019031").is_err());
/// # Ok::<(), isbt128::Error>(())
/// ```
pub fn decode(scan: &str) -> Result<Vec<DataStructure>, Error> {
    Ok(decode_scan(scan)?.items.into_iter().map(|i| i.structure).collect())
}

/// Decodes a scan:
///
/// - surrounding whitespace (spaces, tabs, CR/LF a scanner adds) is removed; any other
///   character that is not printable ASCII is an error;
/// - an AIM symbology identifier `]C0`, `]C4` or `]d1` is accepted and reported;
///   `]C1` (GS1-128) and other identifiers are errors;
/// - then data structures are read one after another, each by its data identifier and
///   length (ST-001 §2.2: identifier first, then length and format). Two concatenated
///   barcodes, or any number of structures, are read the same way;
/// - a compound message header (`=+aabbb`) must come first, and exactly `aa`
///   structures must follow it, none of them nationally defined. For a defined-order
///   message (`bbb` ≠ `000`) the order is **not** checked: ICCBBA's table RT017 is not
///   public;
/// - a nationally defined structure (`&a`–`&z`, `&;`, `&!`) has no known length, so it
///   takes the rest of the scan.
///
/// Every problem is an [`Error`]; nothing is guessed or skipped.
pub fn decode_scan(scan: &str) -> Result<Scan, Error> {
    let trimmed = scan.trim();
    if trimmed.is_empty() {
        return Err(Error::Empty { what: "the scan" });
    }
    if let Some((i, c)) = trimmed.chars().enumerate().find(|(_, c)| !c.is_ascii_graphic()) {
        return Err(Error::IllegalCharacter {
            field: "the scan",
            position: i + 1,
            found: c,
            expected: "printable ASCII; ISBT 128 data has no spaces or control characters",
            suggestion: None,
        });
    }
    let (symbology, mut at) = read_symbology(trimmed)?;
    let bytes = trimmed.as_bytes();
    if at == bytes.len() {
        return Err(Error::Empty { what: "the scan after its symbology identifier" });
    }
    let mut items = Vec::new();
    while at < bytes.len() {
        let position = at + 1;
        let (kind, prefix) = identify(&bytes[at..], position).map_err(|e| match e {
            Error::LowerCase { .. } => in_scan(StructureKind::Din, position, e),
            other => other,
        })?;
        // A national structure's content is read with the identifier's second character.
        let start = if kind == StructureKind::National { at + 1 } else { at + prefix };
        let rest = &trimmed[start..];
        let len = content_length(kind, rest).map_err(|e| in_scan(kind, position, e))?;
        if rest.len() < len {
            return Err(Error::Truncated { structure: kind.label(), position, after: kind.prefix(), expected: len, found: rest.len() });
        }
        let structure = DataStructure::parse_content(kind, &rest[..len]).map_err(|e| in_scan(kind, position, e))?;
        items.push(ScannedItem { position, structure });
        at = start + len;
    }
    check_compound(&items)?;
    Ok(Scan { symbology, items })
}

fn in_scan(kind: StructureKind, position: usize, error: Error) -> Error {
    Error::InScan { structure: kind.label(), position, error: Box::new(error) }
}

fn read_symbology(scan: &str) -> Result<(Option<Symbology>, usize), Error> {
    if !scan.starts_with(']') {
        return Ok((None, 0));
    }
    let id = scan.get(..3).unwrap_or(scan);
    let symbology = match id {
        "]C0" => Symbology::Code128,
        "]C4" => Symbology::Code128Concatenated,
        "]d1" => Symbology::DataMatrix,
        "]C1" => {
            return Err(Error::Symbology { found: id.into(), reason: "this is GS1-128, not ISBT 128 (ISBT 128 uses plain Code 128, ]C0 or ]C4)" })
        }
        "]d2" | "]d3" | "]d5" | "]d6" => return Err(Error::Symbology { found: id.into(), reason: "this is GS1 Data Matrix (FNC1), not ISBT 128" }),
        _ => return Err(Error::Symbology { found: id.into(), reason: "only ]C0, ]C4 (Code 128) and ]d1 (Data Matrix) are read as ISBT 128" }),
    };
    Ok((Some(symbology), 3))
}

/// How many content characters `kind` takes from `rest`.
fn content_length(kind: StructureKind, rest: &str) -> Result<usize, Error> {
    match kind.length() {
        Length::Fixed(n) => Ok(n),
        Length::Rest => Ok(rest.len()),
        Length::Counted { count_at, count_digits, head, each } => {
            let count = rest.get(count_at..count_at + count_digits).filter(|c| c.bytes().all(|b| b.is_ascii_digit()));
            match count {
                Some(count) => Ok(head + crate::chars::digits_value(count) as usize * each),
                // Let the structure's own reader say what is wrong with its count.
                None => match DataStructure::parse_content(kind, rest) {
                    Err(e) => Err(e),
                    Ok(_) => Err(Error::WrongLength { field: kind.data_field(), expected: head, found: rest.len() }),
                },
            }
        }
    }
}

fn check_compound(items: &[ScannedItem]) -> Result<(), Error> {
    if let Some(late) = items.iter().skip(1).find(|i| i.structure.kind() == StructureKind::CompoundMessage) {
        return Err(Error::Misplaced {
            structure: StructureKind::CompoundMessage.label(),
            position: late.position,
            reason: "a compound message header must be the first structure in the scan",
        });
    }
    let Some(DataStructure::CompoundMessage(header)) = items.first().map(|i| &i.structure) else {
        return Ok(());
    };
    if let Some(national) = items.iter().find(|i| i.structure.kind() == StructureKind::National) {
        return Err(Error::Misplaced {
            structure: StructureKind::National.label(),
            position: national.position,
            reason: "nationally defined structures may not be part of a compound message",
        });
    }
    let found = items.len() - 1;
    if usize::from(header.count()) != found {
        return Err(Error::CompoundCount { declared: header.count().into(), found });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kinds(scan: &str) -> Vec<&'static str> {
        decode(scan).unwrap().iter().map(|s| s.number()).collect()
    }

    #[test]
    fn single_structures_and_symbology_identifiers() {
        assert_eq!(kinds("=A99991712345600"), ["001"]);
        assert_eq!(kinds("]C0=A99991712345600"), ["001"]);
        assert_eq!(decode_scan("]C4=A99991712345600=%5100").unwrap().symbology, Some(Symbology::Code128Concatenated));
        assert_eq!(kinds("  =%5100\n"), ["002"]);
    }

    #[test]
    fn concatenated_pairs() {
        assert_eq!(kinds("=A99991712345600=%5100"), ["001", "002"]);
        assert_eq!(kinds("=<E0398V00&>0252441800"), ["003", "005"]);
        assert_eq!(kinds("=A99991712345600=<E0398V00"), ["001", "003"]);
        assert_eq!(kinds("=A99991712345600=;A99990000222244445555"), ["001", "019"]);
        assert_eq!(kinds("=#0119800229&#0107MRN1234"), ["024", "025"]);
    }

    #[test]
    fn compound_message_vectors() {
        assert_eq!(kinds("=+04000=/A9997XYZ100T0479=A99991712345600=,000012=>019031"), ["023", "034", "001", "032", "004"]);
        assert_eq!(kinds("=+04035=/A9997XYZ100T0479=,000012=A99991712345600=>019031"), ["023", "034", "032", "001", "004"]);
        assert_eq!(
            kinds("=+05000=Z54991712345600=%T300=<T0416003&>0183652359&,4PL001499Z549917123456A00T041600320181231"),
            ["023", "001", "002", "003", "005", "038"]
        );
        assert_eq!(kinds("]d1=+04000=A99991712345600=%5100=<E0398V00&>0252441800"), ["023", "001", "002", "003", "005"]);
    }

    #[test]
    fn compound_message_errors() {
        let err = decode("=+05000=/A9997XYZ100T0479=A99991712345600=,000012=>019031").unwrap_err();
        assert_eq!(err, Error::CompoundCount { declared: 5, found: 4 });
        let err = decode("=+03000=/A9997XYZ100T0479=A99991712345600=,000012=>019031").unwrap_err();
        assert_eq!(err, Error::CompoundCount { declared: 3, found: 4 });
        assert!(matches!(decode("=A99991712345600=+01000=%5100"), Err(Error::Misplaced { position: 17, .. })));
        assert!(matches!(decode("=+01000&a123"), Err(Error::Misplaced { .. })));
    }

    #[test]
    fn bad_scans_are_clear_errors() {
        assert_eq!(decode("   "), Err(Error::Empty { what: "the scan" }));
        assert!(matches!(decode("=A99991712345600 =%5100"), Err(Error::IllegalCharacter { position: 17, found: ' ', .. })));
        assert!(matches!(decode("]C1=A99991712345600"), Err(Error::Symbology { .. })));
        assert!(matches!(decode("]X9=A99991712345600"), Err(Error::Symbology { .. })));
        assert!(matches!(decode("]C0"), Err(Error::Empty { .. })));
        assert!(matches!(decode("=A99991712345600=!5100"), Err(Error::UnknownDataIdentifier { position: 17, .. })));
        assert!(matches!(decode("A99991712345600"), Err(Error::ExpectedDataIdentifier { position: 1, found: 'A' })));
        let err = decode("=A999917123456").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the scan ends inside Donation Identification Number (=α) (starting at character 1): it needs 15 characters after '=', but only 13 are left"
        );
        let err = decode("=A99991712345600=%5100=<E0398V00&>0253661800").unwrap_err();
        assert!(matches!(err, Error::InScan { position: 33, .. }), "{err}");
        assert!(matches!(err.root(), Error::ImpossibleDate { .. }));
        assert!(err.to_string().starts_with("Expiration Date and Time (&>) starting at character 33 of the scan: "), "{err}");
    }

    #[test]
    fn lower_case_scans_are_rejected_with_a_clear_error() {
        let err = decode("=a99991712345600").unwrap_err();
        assert!(matches!(err.root(), Error::LowerCase { found: 'a', .. }), "{err}");
        assert!(err.to_string().contains("Caps Lock"), "{err}");
        let err = decode("=<e0398v00").unwrap_err();
        assert!(matches!(err.root(), Error::LowerCase { found: 'e', .. }), "{err}");
    }

    #[test]
    fn national_structures_take_the_rest_of_the_scan() {
        let items = decode("=A99991712345600&xABC123").unwrap();
        assert!(matches!(&items[1], DataStructure::National(n) if n.data_identifier() == "&x" && n.content() == "ABC123"));
    }

    #[test]
    fn variable_length_structures_in_a_scan() {
        assert_eq!(kinds("&$0101000100223000=%5100"), ["029", "002"]);
        assert_eq!(kinds("&%00200400103010040020402=%5100"), ["030", "002"]);
        assert!(matches!(decode("&$0X").unwrap_err().root(), Error::IllegalCharacter { .. }));
        assert!(matches!(decode("&$02010001002230000").unwrap_err(), Error::Truncated { .. }));
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_strings_never_panics(s in "\\PC{0,60}") {
            let _ = decode(&s);
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = decode(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn decoding_isbt_like_noise_never_panics(s in "(\\]C[014]|\\]d[12])?([=&][%<>*}(){}\\[\\]\";'\\-+#$,/:!a-zA-Z0-9]|[A-Za-z0-9]{1,6}){0,12}") {
            if let Ok(scan) = decode_scan(&s) {
                let body: String = scan.items.iter().map(|i| i.structure.encode()).collect();
                let start = scan.symbology.map_or(0, |_| 3);
                prop_assert_eq!(body, s.trim()[start..].to_owned());
            }
        }

        #[test]
        fn concatenations_of_valid_structures_round_trip(
            din in crate::din::tests::din(),
            bg in crate::blood_group::tests::blood_groups(),
            pc in crate::product::tests::product_code(),
            exp in crate::date::tests::date_time(2000..=2999),
        ) {
            let exp = crate::ExpirationDateTime::new(exp).unwrap();
            let parts = [din.encode(), bg.encode(), pc.encode(), exp.encode()];
            let scan = format!("=+04000{}", parts.concat());
            let items = decode(&scan).unwrap();
            prop_assert_eq!(items.len(), 5);
            for (item, part) in items[1..].iter().zip(&parts) {
                prop_assert_eq!(&item.encode(), part);
            }
            prop_assert_eq!(decode(&format!("]C4{}{}", parts[0], parts[1])).unwrap().len(), 2);
        }
    }
}
