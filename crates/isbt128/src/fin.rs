//! Facility Identification Number (FIN): the five characters `αpppp` that open a DIN,
//! a Donor Identification Number and several other structures.

use std::fmt;
use std::str::FromStr;

use crate::chars::{Class, Text};
use crate::Error;

/// A Facility Identification Number: `A–N`/`P–Z`/`1–9`, then two of `A–N`/`P–Z`/`0–9`,
/// then two digits (ST-001 §2.4.1). ICCBBA keeps `A9990`–`A9999` for validation and
/// testing.
///
/// ```
/// let fin: isbt128::Fin = "A9999".parse()?;
/// assert_eq!(fin.as_str(), "A9999");
/// assert!(isbt128::Fin::parse("O1234").is_err()); // the letter O is never used
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fin([u8; 5]);

impl Fin {
    /// Checks and wraps five FIN characters.
    pub fn parse(s: &str) -> Result<Fin, Error> {
        let text = Text::exact("FIN", s, 5)?;
        Fin::read(&text, 0)
    }

    /// Reads a FIN at `start` of a field, reporting positions within that field.
    pub(crate) fn read(text: &Text<'_>, start: usize) -> Result<Fin, Error> {
        let mut fin = [0u8; 5];
        let first = text.take(start, 1, Class::FinFirst)?;
        let middle = text.take(start + 1, 2, Class::FinMiddle)?;
        let last = text.take(start + 3, 2, Class::Digit)?;
        fin[..1].copy_from_slice(first.as_bytes());
        fin[1..3].copy_from_slice(middle.as_bytes());
        fin[3..].copy_from_slice(last.as_bytes());
        Ok(Fin(fin))
    }

    /// The five characters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl FromStr for Fin {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Fin::parse(s)
    }
}

impl fmt::Display for Fin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Fin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fin({})", self.as_str())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn fin() -> impl Strategy<Value = Fin> {
        "[A-NP-Z1-9][A-NP-Z0-9]{2}[0-9]{2}".prop_map(|s| Fin::parse(&s).unwrap())
    }

    #[test]
    fn future_letters_in_positions_two_and_three_are_accepted() {
        assert_eq!(Fin::parse("ABC12").unwrap().as_str(), "ABC12");
    }

    #[test]
    fn bad_fins_say_what_is_wrong() {
        assert!(matches!(Fin::parse("A999"), Err(Error::WrongLength { expected: 5, found: 4, .. })));
        assert!(matches!(Fin::parse("0A999"), Err(Error::IllegalCharacter { position: 1, .. })));
        assert!(matches!(Fin::parse("A99A9"), Err(Error::IllegalCharacter { position: 4, .. })));
        assert!(matches!(Fin::parse("a9999"), Err(Error::LowerCase { position: 1, .. })));
    }

    proptest! {
        #[test]
        fn round_trips(f in fin()) {
            prop_assert_eq!(Fin::parse(f.as_str()), Ok(f));
        }
    }
}
