//! Data Structure 001: the Donation Identification Number with its flag characters.

use std::fmt;

use crate::chars::{digits_value, Class, Text};
use crate::check::{character_of, checksum_of};
use crate::{Error, Fin};

/// Checks a 13-character DIN (`αppppyynnnnnn`) and returns it.
pub(crate) fn validate_din13(din: &str) -> Result<(Fin, &str), Error> {
    let text = Text::exact("DIN", din, 13)?;
    let fin = Fin::read(&text, 0)?;
    text.take(5, 8, Class::Digit)?;
    Ok((fin, text.as_str()))
}

/// `A9999 26 123456` from a validated 13-character DIN.
fn grouped(din13: &str) -> String {
    let (fin, rest) = din13.split_at(5.min(din13.len()));
    let (year, seq) = rest.split_at(2.min(rest.len()));
    format!("{fin} {year} {seq}")
}

/// A Donation Identification Number (Data Structure 001, barcode data
/// `=αppppyynnnnnnff`): the 13-character DIN (FIN, 2-digit year, 6-digit sequence) plus
/// its two flag characters, which are not part of the DIN.
///
/// ```
/// use isbt128::{Din, Flags};
///
/// let din = Din::new("A9999", 2026, 123456, Flags::NONE)?;
/// assert_eq!(din.encode(), "=A99992612345600");
/// assert_eq!(din.din(), "A999926123456");
/// assert_eq!(din.check_character(), 'T');
/// assert_eq!(din.eye_readable().to_string(), "A9999 26 123456 [T]");
///
/// let read = Din::parse("=A99991712345601")?;
/// assert_eq!((read.fin().as_str(), read.year(), read.year_full(), read.sequence()), ("A9999", "17", 2017, 123456));
/// assert_eq!(read.flags().meaning(), isbt128::FlagMeaning::Container(1));
/// assert_eq!(read.eye_readable().to_string(), "A9999 17 123456 01 [9]");
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Din {
    fin: Fin,
    din: String,
    flags: Flags,
}

impl Din {
    /// Builds a DIN from its FIN, the 4-digit year it was assigned (2000–2099; only its
    /// last two digits are encoded), its sequence number (0–999999) and its flags.
    pub fn new(fin: &str, year: u16, sequence: u32, flags: Flags) -> Result<Din, Error> {
        let fin = Fin::parse(fin)?;
        if !(2000..=2099).contains(&year) {
            return Err(Error::OutOfRange { field: "DIN year", found: year.into(), min: 2000, max: 2099 });
        }
        if sequence > 999_999 {
            return Err(Error::OutOfRange { field: "DIN sequence number", found: sequence.into(), min: 0, max: 999_999 });
        }
        Ok(Din { fin, din: format!("{fin}{:02}{sequence:06}", year % 100), flags })
    }

    /// Reads the 15 content characters `αppppyynnnnnnff` (without the leading `=`).
    ///
    /// Type 3 flags (60–96) must carry the DIN's own check value, or this is an error.
    pub fn parse_content(content: &str) -> Result<Din, Error> {
        let text = Text::exact("DIN with flags", content, 15)?;
        let (fin, din) = validate_din13(text.as_str().get(..13).unwrap_or_default())?;
        let flags = Text::exact("flags", content.get(13..).unwrap_or_default(), 2)?.take(0, 2, Class::Flag)?;
        let flags = match Flags::parse(flags) {
            Ok(flags) => flags,
            Err(_) => {
                let expected = format!("{}", 60 + checksum_of(din.as_bytes()));
                if expected != flags {
                    return Err(Error::WrongCheckFlags { din: grouped(din), expected, found: flags.to_owned() });
                }
                Flags::CHECKSUM
            }
        };
        Ok(Din { fin, din: din.to_owned(), flags })
    }

    /// Reads a DIN typed by hand from its eye-readable text: the 13 DIN characters,
    /// optionally the two printed flag characters, then the boxed check character K,
    /// which must match. Spaces and the `[` `]` around K are ignored. Without typed
    /// flags the result has [`Flags::NONE`].
    ///
    /// ```
    /// let din = isbt128::Din::parse_keyed("A9998 18 123456 N")?;
    /// assert_eq!(din.din(), "A999818123456");
    /// let err = isbt128::Din::parse_keyed("A9998 18 123456 M").unwrap_err();
    /// assert_eq!(err.to_string(), "DIN A9998 18 123456: check character should be 'N', not 'M'");
    /// # Ok::<(), isbt128::Error>(())
    /// ```
    pub fn parse_keyed(text: &str) -> Result<Din, Error> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace() && *c != '[' && *c != ']').collect();
        let chars: Vec<char> = compact.chars().collect();
        if chars.len() != 14 && chars.len() != 16 {
            return Err(Error::WrongLength { field: "keyed DIN (13 characters and the check character)", expected: 14, found: chars.len() });
        }
        let given = chars[chars.len() - 1];
        let din = if chars.len() == 16 {
            Din::parse_content(&chars[..15].iter().collect::<String>())?
        } else {
            let din13: String = chars[..13].iter().collect();
            let (fin, din) = validate_din13(&din13)?;
            Din { fin, din: din.to_owned(), flags: Flags::NONE }
        };
        let expected = din.check_character();
        if given != expected {
            return Err(Error::WrongCheckCharacter { din: grouped(&din.din), expected, found: given });
        }
        Ok(din)
    }

    /// The same DIN with other flags.
    pub fn with_flags(&self, flags: Flags) -> Din {
        Din { fin: self.fin, din: self.din.clone(), flags }
    }

    /// The 13-character DIN, e.g. `A999926123456` (no `=`, no flags).
    pub fn din(&self) -> &str {
        &self.din
    }

    /// The Facility Identification Number (characters 1–5).
    pub fn fin(&self) -> Fin {
        self.fin
    }

    /// The two year digits as they are in the data, e.g. `"26"`.
    pub fn year(&self) -> &str {
        &self.din[5..7]
    }

    /// The year read as 2000–2099 (ISBT 128 DINs are unique for 100 years).
    pub fn year_full(&self) -> u16 {
        2000 + digits_value(self.year()) as u16
    }

    /// The sequence number within the year, 0–999999.
    pub fn sequence(&self) -> u32 {
        digits_value(&self.din[7..13])
    }

    /// The flag characters' meaning holder.
    pub fn flags(&self) -> Flags {
        self.flags
    }

    /// The two flag characters as encoded, e.g. `"00"`, or `"70"` for Type 3 flags.
    pub fn flags_code(&self) -> String {
        self.flags.code_for(self)
    }

    /// The MOD 37-2 checksum of the DIN, 0–36.
    pub fn checksum(&self) -> u8 {
        checksum_of(self.din.as_bytes())
    }

    /// The keyboard-entry check character K (`0–9`, `A–Z` or `*`).
    pub fn check_character(&self) -> char {
        character_of(self.checksum())
    }

    /// The 15 content characters `αppppyynnnnnnff`.
    pub fn content(&self) -> String {
        format!("{}{}", self.din, self.flags_code())
    }

    /// The barcode data, with the data identifier: `=αppppyynnnnnnff`.
    pub fn encode(&self) -> String {
        format!("={}", self.content())
    }

    /// Reads barcode data `=αppppyynnnnnnff`.
    pub fn parse(data: &str) -> Result<Din, Error> {
        crate::structure::strip(crate::StructureKind::Din, data).and_then(Din::parse_content)
    }

    /// The text printed under the barcode: `A9999 26 123456`, then flags when they are
    /// printed (Type 1, Type 2 and reserved values; not `00`, never Type 3), then the
    /// boxed check character.
    pub fn eye_readable(&self) -> EyeReadableDin {
        let flags = match self.flags.kind() {
            FlagType::NotUsed | FlagType::Checksum => None,
            FlagType::Defined | FlagType::Local | FlagType::Reserved => Some(self.flags_code()),
        };
        EyeReadableDin { din: grouped(&self.din), flags, check_character: self.check_character() }
    }
}

impl std::str::FromStr for Din {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Din::parse(s)
    }
}

impl fmt::Debug for Din {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Din({})", self.encode())
    }
}

impl fmt::Display for Din {
    /// The eye-readable form, e.g. `A9999 26 123456 [T]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.eye_readable().fmt(f)
    }
}

/// The eye-readable parts of a DIN. Displays as `A9999 26 123456 02 [T]`, where a label
/// printer would rotate the flags 90° and draw a box around the check character.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EyeReadableDin {
    /// The DIN in the usual international grouping, `FFFFF YY NNNNNN`.
    pub din: String,
    /// The flags when they are printed, else `None`.
    pub flags: Option<String>,
    /// The check character K, printed in a box.
    pub check_character: char,
}

impl fmt::Display for EyeReadableDin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.din)?;
        if let Some(flags) = &self.flags {
            write!(f, " {flags}")?;
        }
        write!(f, " [{}]", self.check_character)
    }
}

/// The two flag characters of a DIN (ST-001 Table 3): process-control codes, not part
/// of the DIN itself.
///
/// ```
/// use isbt128::{Flags, FlagMeaning};
/// assert_eq!(Flags::parse("06")?.meaning(), FlagMeaning::PilotTube);
/// assert_eq!(Flags::container(5)?.meaning(), FlagMeaning::Container(5));
/// assert_eq!(Flags::local(25)?.meaning(), FlagMeaning::Local(25));
/// // Type 3 flags carry the DIN's check value; build them with Flags::CHECKSUM.
/// let din = isbt128::Din::new("G1234", 2017, 654321, Flags::CHECKSUM)?;
/// assert_eq!(din.encode(), "=G12341765432170");
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Flags(FlagsRepr);

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum FlagsRepr {
    /// Any value except 60–96.
    Code([u8; 2]),
    /// 60 + the DIN's MOD 37-2 checksum.
    Checksum,
}

/// Which of ST-001's three flag types (or none) a flag value is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FlagType {
    /// `00`: flags not used.
    NotUsed,
    /// Type 1, defined by ICCBBA (`01`–`13`, `15`–`19`).
    Defined,
    /// Type 2, defined by the facility (`20`–`59`); only it may interpret them.
    Local,
    /// Type 3, `60` + the DIN's check value (`60`–`96`).
    Checksum,
    /// Reserved for future assignment (`14`, `97`–`99`, values with letters).
    Reserved,
}

/// What a flag value means (ST-001 Table 3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FlagMeaning {
    /// `00`
    NotUsed,
    /// Container 1–9 of a set (`01`–`04`, `15`–`19`).
    Container(u8),
    /// `05`: second (repeated) demand-printed label.
    RepeatedLabel,
    /// `06`: pilot tube label.
    PilotTube,
    /// `07`: test tube label.
    TestTube,
    /// `08`: donor record label.
    DonorRecord,
    /// `09`: sample tube for NAT testing.
    NatSampleTube,
    /// `10`: samples for bacterial testing.
    BacterialTestingSample,
    /// `11`: match with unit label.
    MatchWithUnitLabel,
    /// `12`: affixed partial label.
    AffixedPartialLabel,
    /// `13`: attached label (used with an affixed partial label).
    AttachedLabel,
    /// `20`–`59`: defined by the facility that assigned the DIN.
    Local(u8),
    /// `60`–`96`: the DIN's check value.
    CheckValue,
    /// Reserved for future assignment; not interpreted.
    Reserved,
}

impl FlagMeaning {
    /// The meaning in words.
    pub fn description(&self) -> String {
        match self {
            FlagMeaning::NotUsed => "flags not used".into(),
            FlagMeaning::Container(n) => format!("container {n} of a set"),
            FlagMeaning::RepeatedLabel => "second (repeated) demand-printed label".into(),
            FlagMeaning::PilotTube => "pilot tube label".into(),
            FlagMeaning::TestTube => "test tube label".into(),
            FlagMeaning::DonorRecord => "donor record label".into(),
            FlagMeaning::NatSampleTube => "sample tube for NAT testing".into(),
            FlagMeaning::BacterialTestingSample => "samples for bacterial testing".into(),
            FlagMeaning::MatchWithUnitLabel => "match with unit label".into(),
            FlagMeaning::AffixedPartialLabel => "affixed partial label".into(),
            FlagMeaning::AttachedLabel => "attached label (used with an affixed partial label)".into(),
            FlagMeaning::Local(n) => format!("locally defined flag {n}"),
            FlagMeaning::CheckValue => "check value (60 + MOD 37-2 checksum of the DIN)".into(),
            FlagMeaning::Reserved => "reserved for future assignment".into(),
        }
    }
}

impl Flags {
    /// `00`: flags not used.
    pub const NONE: Flags = Flags(FlagsRepr::Code(*b"00"));
    /// Type 3: `60` + the DIN's MOD 37-2 checksum, computed when the DIN is encoded.
    pub const CHECKSUM: Flags = Flags(FlagsRepr::Checksum);

    /// Reads two flag characters, except Type 3 values (60–96): those depend on the DIN,
    /// so use [`Flags::CHECKSUM`], or parse the whole DIN with [`Din::parse`].
    pub fn parse(code: &str) -> Result<Flags, Error> {
        let text = Text::exact("flags", code, 2)?;
        let code = text.take(0, 2, Class::Flag)?;
        let bytes = [code.as_bytes()[0], code.as_bytes()[1]];
        if bytes.iter().all(u8::is_ascii_digit) && (60..=96).contains(&digits_value(code)) {
            return Err(Error::NotAllowed {
                field: "flags",
                found: code.to_owned(),
                reason: "60-96 carry the DIN's check value; use Flags::CHECKSUM so it is computed from the DIN",
            });
        }
        Ok(Flags(FlagsRepr::Code(bytes)))
    }

    /// Container `n` (1–9) of a set: `01`–`04`, `15`–`19`.
    pub fn container(n: u8) -> Result<Flags, Error> {
        let code = match n {
            1..=4 => n,
            5..=9 => n + 10,
            _ => return Err(Error::OutOfRange { field: "container number", found: n.into(), min: 1, max: 9 }),
        };
        Flags::parse(&format!("{code:02}"))
    }

    /// A locally defined (Type 2) flag, 20–59.
    pub fn local(n: u8) -> Result<Flags, Error> {
        if !(20..=59).contains(&n) {
            return Err(Error::OutOfRange { field: "local flag", found: n.into(), min: 20, max: 59 });
        }
        Flags::parse(&format!("{n:02}"))
    }

    /// The flag type.
    pub fn kind(&self) -> FlagType {
        match self.meaning() {
            FlagMeaning::NotUsed => FlagType::NotUsed,
            FlagMeaning::Local(_) => FlagType::Local,
            FlagMeaning::CheckValue => FlagType::Checksum,
            FlagMeaning::Reserved => FlagType::Reserved,
            _ => FlagType::Defined,
        }
    }

    /// What the flags mean.
    pub fn meaning(&self) -> FlagMeaning {
        let code = match self.0 {
            FlagsRepr::Checksum => return FlagMeaning::CheckValue,
            FlagsRepr::Code(code) => code,
        };
        if !code.iter().all(u8::is_ascii_digit) {
            return FlagMeaning::Reserved;
        }
        match (code[0] - b'0') * 10 + (code[1] - b'0') {
            0 => FlagMeaning::NotUsed,
            n @ 1..=4 => FlagMeaning::Container(n),
            5 => FlagMeaning::RepeatedLabel,
            6 => FlagMeaning::PilotTube,
            7 => FlagMeaning::TestTube,
            8 => FlagMeaning::DonorRecord,
            9 => FlagMeaning::NatSampleTube,
            10 => FlagMeaning::BacterialTestingSample,
            11 => FlagMeaning::MatchWithUnitLabel,
            12 => FlagMeaning::AffixedPartialLabel,
            13 => FlagMeaning::AttachedLabel,
            n @ 15..=19 => FlagMeaning::Container(n - 10),
            n @ 20..=59 => FlagMeaning::Local(n),
            _ => FlagMeaning::Reserved,
        }
    }

    fn code_for(&self, din: &Din) -> String {
        match self.0 {
            FlagsRepr::Code(code) => String::from_utf8_lossy(&code).into_owned(),
            FlagsRepr::Checksum => format!("{}", 60 + din.checksum()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fin::tests::fin;
    use proptest::prelude::*;

    pub(crate) fn flags() -> impl Strategy<Value = Flags> {
        prop_oneof![
            Just(Flags::NONE),
            Just(Flags::CHECKSUM),
            (1u8..=9).prop_map(|n| Flags::container(n).unwrap()),
            (20u8..=59).prop_map(|n| Flags::local(n).unwrap()),
            "(0[0-9]|1[0-9]|[2-5][0-9]|9[7-9]|[A-HJ-NPR-Y][0-9A-HJ-NPR-Y]|[0-9][A-HJ-NPR-Y])".prop_map(|s| Flags::parse(&s).unwrap()),
        ]
    }

    pub(crate) fn din() -> impl Strategy<Value = Din> {
        (fin(), 2000u16..=2099, 0u32..=999_999, flags()).prop_map(|(f, y, s, fl)| Din::new(f.as_str(), y, s, fl).unwrap())
    }

    #[test]
    fn figure_2_example_with_flags_01_has_check_3() {
        let din = Din::parse("=A99992112345601").unwrap();
        assert_eq!(din.check_character(), '3');
        assert_eq!(din.flags().meaning(), FlagMeaning::Container(1));
    }

    #[test]
    fn type_3_flags_are_checked_against_the_din() {
        let din = Din::parse("=G12341765432170").unwrap();
        assert_eq!(din.flags(), Flags::CHECKSUM);
        assert_eq!(din.flags_code(), "70");
        assert_eq!(din.eye_readable().to_string(), "G1234 17 654321 [A]");
        let err = Din::parse("=G12341765432171").unwrap_err();
        assert_eq!(
            err.to_string(),
            "DIN G1234 17 654321: flags 71 are a check value (60-96) but do not match the DIN, which needs 70; the DIN or its flags were misread"
        );
    }

    #[test]
    fn star_check_character_prints_and_round_trips() {
        let din = Din::parse("=A99991734562800").unwrap();
        assert_eq!(din.check_character(), '*');
        assert_eq!(din.eye_readable().to_string(), "A9999 17 345628 [*]");
        assert_eq!(Din::parse_keyed("A9999 17 345628 [*]").unwrap(), din);
        assert_eq!(Din::parse(&din.encode()).unwrap(), din);
    }

    #[test]
    fn letter_o_is_a_valid_check_character() {
        assert_eq!(Din::parse_keyed("A999917345658O").unwrap().check_character(), 'O');
    }

    #[test]
    fn flags_printing_follows_the_standard() {
        let w = Din::new("W0000", 2009, 123456, Flags::container(2).unwrap()).unwrap();
        assert_eq!(w.eye_readable().to_string(), "W0000 09 123456 02 [G]");
        let local = Din::parse("=A99991500000125").unwrap();
        assert_eq!(local.eye_readable().to_string(), "A9999 15 000001 25 [M]");
    }

    #[test]
    fn bad_dins_are_clear_errors() {
        let err = Din::parse("=A9999O712345600").unwrap_err();
        assert_eq!(err.to_string(), "character 6 of DIN is 'O', which is not allowed (expected a digit 0-9); did you mean '0'?");
        let err = Din::parse("=A999917123456").unwrap_err();
        assert!(matches!(err, Error::WrongLength { expected: 16, found: 14, .. }), "{err}");
        let err = Din::parse("=A999917123456I0").unwrap_err();
        assert!(matches!(err, Error::IllegalCharacter { field: "flags", position: 1, .. }), "{err}");
        let err = Din::parse("=%5100").unwrap_err();
        assert!(matches!(err, Error::WrongDataIdentifier { .. }), "{err}");
    }

    #[test]
    fn builder_rejects_out_of_range_values() {
        assert!(matches!(Din::new("A9999", 1999, 1, Flags::NONE), Err(Error::OutOfRange { field: "DIN year", .. })));
        assert!(matches!(Din::new("A9999", 2026, 1_000_000, Flags::NONE), Err(Error::OutOfRange { .. })));
        assert!(Flags::parse("60").is_err());
        assert!(Flags::container(0).is_err());
        assert!(Flags::local(60).is_err());
    }

    #[test]
    fn keyed_entry_needs_the_check_character() {
        assert!(matches!(Din::parse_keyed("A9998 18 123456"), Err(Error::WrongLength { .. })));
    }

    proptest! {
        #[test]
        fn encode_then_parse_round_trips(d in din()) {
            let data = d.encode();
            prop_assert_eq!(data.len(), 16);
            let back = Din::parse(&data).unwrap();
            prop_assert_eq!(back.encode(), data);
            prop_assert_eq!(&back, &d);
            let keyed = Din::parse_keyed(&d.eye_readable().to_string()).unwrap();
            let printed = d.eye_readable().flags.is_some();
            prop_assert_eq!(keyed, if printed { d.clone() } else { d.with_flags(Flags::NONE) });
            prop_assert_eq!(Din::parse_keyed(&format!("{}{}", d.din(), d.check_character())).unwrap(), d.with_flags(Flags::NONE));
        }
    }
}
