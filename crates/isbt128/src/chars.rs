//! Character classes of ISBT 128 elements, and a small checked reader over the
//! characters of one field that reports errors with positions.

use crate::Error;

/// A set of characters an element allows (ST-001 element tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// `0–9`
    Digit,
    /// `A–Z`
    Upper,
    /// `A–Z`, `0–9`
    UpperDigit,
    /// `A–Z`, `a–z`, `0–9`
    Alnum,
    /// `a–z`, `0–9` (second division character)
    LowerDigit,
    /// `A–N`, `P–Z`, `1–9` (first FIN character)
    FinFirst,
    /// `A–N`, `P–Z`, `0–9` (FIN characters 2–3)
    FinMiddle,
    /// `0–9`, `A–H`, `J–N`, `P`, `R–Y` (DIN flags)
    Flag,
    /// any printable ASCII character except space (nationally defined content)
    Graphic,
}

impl Class {
    pub(crate) fn allows(self, b: u8) -> bool {
        match self {
            Class::Digit => b.is_ascii_digit(),
            Class::Upper => b.is_ascii_uppercase(),
            Class::UpperDigit => b.is_ascii_uppercase() || b.is_ascii_digit(),
            Class::Alnum => b.is_ascii_alphanumeric(),
            Class::LowerDigit => b.is_ascii_lowercase() || b.is_ascii_digit(),
            Class::FinFirst => matches!(b, b'A'..=b'N' | b'P'..=b'Z' | b'1'..=b'9'),
            Class::FinMiddle => matches!(b, b'A'..=b'N' | b'P'..=b'Z' | b'0'..=b'9'),
            Class::Flag => matches!(b, b'0'..=b'9' | b'A'..=b'H' | b'J'..=b'N' | b'P' | b'R'..=b'Y'),
            Class::Graphic => b.is_ascii_graphic(),
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Class::Digit => "a digit 0-9",
            Class::Upper => "a capital letter A-Z",
            Class::UpperDigit => "a capital letter A-Z or a digit 0-9",
            Class::Alnum => "a letter A-Z or a-z, or a digit 0-9",
            Class::LowerDigit => "a lower-case letter a-z or a digit 0-9",
            Class::FinFirst => "A-N, P-Z or 1-9 (never the letter O or the digit 0)",
            Class::FinMiddle => "A-N, P-Z or 0-9 (never the letter O)",
            Class::Flag => "0-9 or A-H, J-N, P, R-Y",
            Class::Graphic => "a printable ASCII character",
        }
    }

    /// The error for character `c` at 1-based `position` of `field`, which this class
    /// does not allow.
    pub(crate) fn reject(self, field: &'static str, position: usize, c: char) -> Error {
        if c.is_ascii_lowercase() && self.allows(c.to_ascii_uppercase() as u8) {
            return Error::LowerCase { field, position, found: c, suggestion: c.to_ascii_uppercase() };
        }
        let suggestion = match c {
            'O' | 'o' if self.allows(b'0') => Some('0'),
            'I' | 'i' | 'l' | '|' if self.allows(b'1') => Some('1'),
            'A'..='Z' if self.allows(c.to_ascii_lowercase() as u8) => Some(c.to_ascii_lowercase()),
            _ => None,
        };
        Error::IllegalCharacter { field, position, found: c, expected: self.describe(), suggestion }
    }
}

/// The characters of one field, known to be ASCII and of the right length.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Text<'a> {
    field: &'static str,
    s: &'a str,
}

impl<'a> Text<'a> {
    /// Checks that `s` is ASCII and exactly `len` characters long.
    pub(crate) fn exact(field: &'static str, s: &'a str, len: usize) -> Result<Self, Error> {
        let text = Self::ascii(field, s)?;
        if s.len() != len {
            return Err(Error::WrongLength { field, expected: len, found: s.len() });
        }
        Ok(text)
    }

    /// Checks that `s` is ASCII (any length).
    pub(crate) fn ascii(field: &'static str, s: &'a str) -> Result<Self, Error> {
        if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
            return Err(Error::IllegalCharacter { field, position: i + 1, found: c, expected: "an ASCII character", suggestion: None });
        }
        Ok(Text { field, s })
    }

    pub(crate) fn len(&self) -> usize {
        self.s.len()
    }

    pub(crate) fn as_str(&self) -> &'a str {
        self.s
    }

    /// Characters `start..start + len` (0-based), each checked against `class`.
    pub(crate) fn take(&self, start: usize, len: usize, class: Class) -> Result<&'a str, Error> {
        let part = self.s.get(start..start + len).ok_or(Error::WrongLength { field: self.field, expected: start + len, found: self.s.len() })?;
        for (i, b) in part.bytes().enumerate() {
            if !class.allows(b) {
                return Err(class.reject(self.field, start + i + 1, b as char));
            }
        }
        Ok(part)
    }

    /// Characters `start..start + len` as a decimal number.
    pub(crate) fn number(&self, start: usize, len: usize) -> Result<u32, Error> {
        Ok(digits_value(self.take(start, len, Class::Digit)?))
    }
}

/// The value of a string of ASCII digits (at most 9 of them, so no overflow).
pub(crate) fn digits_value(digits: &str) -> u32 {
    digits.bytes().fold(0u32, |acc, b| acc.wrapping_mul(10).wrapping_add(u32::from(b - b'0')))
}

/// Checks a string the caller supplies when building a value (not read from a scan).
pub(crate) fn check_exact(field: &'static str, s: &str, len: usize, class: Class) -> Result<String, Error> {
    let text = Text::exact(field, s, len)?;
    Ok(text.take(0, len, class)?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_zero_for_letter_o_where_digits_belong() {
        let err = Class::Digit.reject("DIN", 7, 'O');
        assert_eq!(err.to_string(), "character 7 of DIN is 'O', which is not allowed (expected a digit 0-9); did you mean '0'?");
    }

    #[test]
    fn lower_case_gets_its_own_message() {
        let err = Class::FinFirst.reject("DIN", 1, 'a');
        assert!(matches!(err, Error::LowerCase { suggestion: 'A', .. }), "{err}");
        assert!(err.to_string().contains("Caps Lock"));
    }

    #[test]
    fn letter_o_in_fin_has_no_digit_suggestion_in_first_position() {
        let err = Class::FinFirst.reject("FIN", 1, 'O');
        assert!(matches!(err, Error::IllegalCharacter { suggestion: None, .. }), "{err}");
    }

    #[test]
    fn non_ascii_is_reported_with_its_character_position() {
        let err = Text::exact("DIN", "A99é", 4).unwrap_err();
        assert!(matches!(err, Error::IllegalCharacter { position: 4, found: 'é', .. }), "{err}");
    }
}
