//! Global registration identifiers, chain of identity and nationally defined structures.

#[allow(unused_imports)]
use super::prelude::*;

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
