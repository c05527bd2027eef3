//! Donor, staff member and patient identifiers.

#[allow(unused_imports)]
use super::prelude::*;

/// Donor Identification Number (Data Structure 019, `=;αppppvvvvvvvvvvvvvvvv`): a FIN
/// and a 16-digit donor number (zero-padded on the left). Its eye-readable text needs the
/// check character K.
///
/// ```
/// let d = isbt128::DonorId::new("A9999", "222244445555")?;
/// assert_eq!(d.encode(), "=;A99990000222244445555");
/// assert_eq!(d.check_character(), 'G');
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DonorId {
    fin: Fin,
    number: String,
}

impl DonorId {
    /// A FIN and a donor number of 1–16 digits, zero-padded to 16.
    pub fn new(fin: &str, number: &str) -> Result<DonorId, Error> {
        let fin = Fin::parse(fin)?;
        let text = Text::ascii("donor number", number)?;
        if text.len() == 0 || text.len() > 16 {
            return Err(Error::OutOfRange { field: "donor number length", found: text.len() as u64, min: 1, max: 16 });
        }
        text.take(0, text.len(), Class::Digit)?;
        Ok(DonorId { fin, number: format!("{number:0>16}") })
    }

    /// Reads the 21 content characters.
    pub fn parse_content(content: &str) -> Result<DonorId, Error> {
        let text = Text::exact("donor identification number", content, 21)?;
        let fin = Fin::read(&text, 0)?;
        let number = text.take(5, 16, Class::Digit)?.to_owned();
        Ok(DonorId { fin, number })
    }

    /// The 21 content characters.
    pub fn content(&self) -> String {
        format!("{}{}", self.fin, self.number)
    }

    /// The facility that assigned the number.
    pub fn fin(&self) -> Fin {
        self.fin
    }

    /// The 16-digit donor number as encoded (with its leading zeros).
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The keyboard-entry check character over the 21 content characters.
    pub fn check_character(&self) -> char {
        character_of(checksum_of(self.content().as_bytes()))
    }
}

crate::structure::impl_structure!(DonorId, DonorId);

/// Staff Member Identification Number (Data Structure 020, `='αppppuuuuuu`).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct StaffId {
    fin: Fin,
    id: String,
}

impl StaffId {
    /// Reads the 11 content characters.
    pub fn parse_content(content: &str) -> Result<StaffId, Error> {
        let text = Text::exact("staff member identification number", content, 11)?;
        let fin = Fin::read(&text, 0)?;
        let id = text.take(5, 6, Class::UpperDigit)?.to_owned();
        Ok(StaffId { fin, id })
    }

    /// The 11 content characters.
    pub fn content(&self) -> String {
        format!("{}{}", self.fin, self.id)
    }

    /// The facility.
    pub fn fin(&self) -> Fin {
        self.fin
    }

    /// The 6-character staff number.
    pub fn staff_number(&self) -> &str {
        &self.id
    }
}

crate::structure::impl_structure!(StaffId, StaffId);

/// Patient Identification Number (Data Structure 025, `&#aallxx…xx`): location code,
/// length, and 1–99 letters or digits.
///
/// ```
/// let p = isbt128::PatientId::parse("&#0107MRN1234")?;
/// assert_eq!((p.location_code(), p.patient_number()), ("01", "MRN1234"));
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct PatientId {
    location: String,
    id: String,
}

impl PatientId {
    /// A two-digit location code and a patient number of 1–99 letters or digits.
    pub fn new(location_code: &str, patient_number: &str) -> Result<PatientId, Error> {
        let text = Text::ascii("patient number", patient_number)?;
        let len = text.len();
        if !(1..=99).contains(&len) {
            return Err(Error::OutOfRange { field: "patient number length", found: len as u64, min: 1, max: 99 });
        }
        PatientId::parse_content(&format!("{location_code}{len:02}{patient_number}"))
    }

    /// Reads the content `aallxx…xx`; `ll` must match the number of characters after it.
    pub fn parse_content(content: &str) -> Result<PatientId, Error> {
        let field = "patient identification number";
        let text = Text::ascii(field, content)?;
        let location = text.take(0, 2, Class::Digit)?.to_owned();
        let len = text.number(2, 2)? as usize;
        if len == 0 {
            return Err(Error::NotAllowed {
                field: "patient number length",
                found: "00".into(),
                reason: "a patient number has at least one character",
            });
        }
        if text.len() != 4 + len {
            return Err(Error::WrongLength { field, expected: 4 + len, found: text.len() });
        }
        let id = text.take(4, len, Class::Alnum)?.to_owned();
        Ok(PatientId { location, id })
    }

    /// The content characters.
    pub fn content(&self) -> String {
        format!("{}{:02}{}", self.location, self.id.len(), self.id)
    }

    /// The location code (ICCBBA table RT018).
    pub fn location_code(&self) -> &str {
        &self.location
    }

    /// The patient number.
    pub fn patient_number(&self) -> &str {
        &self.id
    }
}

crate::structure::impl_structure!(PatientId, PatientId);
