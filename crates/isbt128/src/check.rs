//! ISO/IEC 7064 MOD 37-2 (pure system, one check character), as ISBT 128 uses it for
//! the keyboard-entry check character K and for Type 3 DIN flags.

use crate::chars::{Class, Text};
use crate::Error;

/// The 37 check characters; a checksum `c` is printed as `ALPHABET[c]`.
const ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";

/// The MOD 37-2 checksum (0–36) of characters already known to be `0–9`/`A–Z`.
pub(crate) fn checksum_of(validated: &[u8]) -> u8 {
    let s = validated.iter().fold(0u32, |s, &b| ((s + value(b)) * 2) % 37);
    ((38 - s) % 37) as u8
}

/// The check character for a checksum 0–36.
pub(crate) fn character_of(checksum: u8) -> char {
    ALPHABET[usize::from(checksum) % 37] as char
}

fn value(b: u8) -> u32 {
    match b {
        b'0'..=b'9' => u32::from(b - b'0'),
        b'A'..=b'Z' => u32::from(b - b'A') + 10,
        _ => 0,
    }
}

/// The MOD 37-2 checksum (0–36) of any string of capital letters and digits: the value
/// behind K, and what DS039 (GRID) carries as two digits.
///
/// ```
/// assert_eq!(isbt128::mod37_2_checksum("G123417654321"), Ok(10));
/// ```
pub fn mod37_2_checksum(content: &str) -> Result<u8, Error> {
    let field = "check-character input";
    let text = Text::ascii(field, content)?;
    if text.len() == 0 {
        return Err(Error::Empty { what: "the check-character input" });
    }
    let checked = text.take(0, text.len(), Class::UpperDigit)?;
    Ok(checksum_of(checked.as_bytes()))
}

/// The keyboard-entry check character K of any data content made of capital letters
/// and digits, e.g. the 21 characters of a Donor Identification Number (DS019). For a
/// DIN use [`check_character`], which also checks the DIN's format.
///
/// ```
/// assert_eq!(isbt128::check_character_of("A99990000222244445555"), Ok('G'));
/// ```
pub fn check_character_of(content: &str) -> Result<char, Error> {
    mod37_2_checksum(content).map(character_of)
}

/// The keyboard-entry check character K of a 13-character DIN (FIN, year, sequence; no
/// `=` and no flags). The input must be a well-formed DIN: exactly 13 characters, the
/// FIN rules for characters 1–5 and digits after that.
///
/// ```
/// assert_eq!(isbt128::check_character("A999917123456"), Ok('9'));
/// assert_eq!(isbt128::check_character("A999917345628"), Ok('*'));
///
/// let err = isbt128::check_character("A9999O7123456").unwrap_err();
/// assert_eq!(err.to_string(), "character 6 of DIN is 'O', which is not allowed (expected a digit 0-9); did you mean '0'?");
/// assert!(isbt128::check_character("A99991712345").is_err());
/// ```
pub fn check_character(din13: &str) -> Result<char, Error> {
    let (_, din) = crate::din::validate_din13(din13)?;
    Ok(character_of(checksum_of(din.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// ST-001 published and computed vectors (reference §1.3): DIN, checksum, K.
    const VECTORS: &[(&str, u8, char)] = &[
        ("G123417654321", 10, 'A'),
        ("A999921123456", 3, '3'),
        ("A999818123456", 23, 'N'),
        ("W000009123456", 16, 'G'),
        ("A999917123456", 9, '9'),
        ("A999917123654", 34, 'Y'),
        ("A999917345628", 36, '*'),
        ("A999917345658", 24, 'O'),
        ("A999915000001", 22, 'M'),
        ("A999918000001", 8, '8'),
        ("A999924123456", 26, 'Q'),
        ("Z549917123456", 25, 'P'),
        ("A999925000001", 25, 'P'),
        ("A999926999999", 23, 'N'),
    ];

    #[test]
    fn published_din_vectors_pass() {
        for &(din, c, k) in VECTORS {
            assert_eq!(mod37_2_checksum(din), Ok(c), "{din}");
            assert_eq!(check_character(din), Ok(k), "{din}");
        }
    }

    #[test]
    fn donor_id_vectors_pass() {
        assert_eq!(check_character_of("A99990000222244445555"), Ok('G'));
        assert_eq!(check_character_of("V01000000000806561665"), Ok('V'));
    }

    #[test]
    fn weighted_method_of_appendix_a1_agrees() {
        // Sum of value × 2^n, n counted from the right starting at 1; c = (38 − S mod 37) mod 37.
        let din = "G123417654321";
        let sum: u64 = din.bytes().rev().enumerate().map(|(i, b)| u64::from(value(b)) << (i + 1)).sum();
        assert_eq!(sum, 146_178);
        assert_eq!((38 - sum % 37) % 37, 10);
    }

    #[test]
    fn din_with_twelve_characters_and_letter_o_is_an_error() {
        let err = check_character("A9999O712345").unwrap_err();
        assert_eq!(err, Error::WrongLength { field: "DIN", expected: 13, found: 12 });
    }

    #[test]
    fn lower_case_din_is_rejected_not_upper_cased() {
        let err = check_character("a999917123456").unwrap_err();
        assert!(matches!(err, Error::LowerCase { position: 1, .. }), "{err}");
    }

    #[test]
    fn empty_and_odd_characters_are_errors() {
        assert!(mod37_2_checksum("").is_err());
        assert!(mod37_2_checksum("AB*").is_err());
        assert!(mod37_2_checksum("ab").is_err());
    }

    /// A valid check string (content + K) leaves remainder 1 in the ISO recursion.
    fn iso_valid(content: &[u8], k: char) -> bool {
        let idx = ALPHABET.iter().position(|&a| a as char == k).unwrap() as u32;
        let s = content.iter().fold(0u32, |s, &b| ((s + value(b)) * 2) % 37);
        (s + idx) % 37 == 1
    }

    fn din13() -> impl Strategy<Value = String> {
        "[A-NP-Z1-9][A-NP-Z0-9]{2}[0-9]{10}"
    }

    proptest! {
        #[test]
        fn every_check_character_validates_the_iso_way(din in din13()) {
            let k = check_character(&din).unwrap();
            prop_assert!(iso_valid(din.as_bytes(), k));
        }

        #[test]
        fn any_single_character_change_is_detected(din in din13(), pos in 0usize..13, replacement in "[0-9A-Z]") {
            let mut changed = din.clone().into_bytes();
            prop_assume!(changed[pos] != replacement.as_bytes()[0]);
            changed[pos] = replacement.as_bytes()[0];
            prop_assert_ne!(checksum_of(din.as_bytes()), checksum_of(&changed));
        }

        #[test]
        fn any_adjacent_transposition_is_detected(din in din13(), pos in 0usize..12) {
            let mut swapped = din.clone().into_bytes();
            prop_assume!(swapped[pos] != swapped[pos + 1]);
            swapped.swap(pos, pos + 1);
            prop_assert_ne!(checksum_of(din.as_bytes()), checksum_of(&swapped));
        }

        #[test]
        fn check_character_never_panics(s in "\\PC{0,20}") {
            let _ = check_character(&s);
            let _ = check_character_of(&s);
        }
    }
}
