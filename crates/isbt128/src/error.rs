//! The one error type of the crate. Every message names the thing that is wrong, where
//! it is, and (where we can tell) what was probably meant.

/// Everything that can go wrong when reading or building ISBT 128 data.
///
/// Positions are 1-based character counts. Inside one data structure they count from
/// the start of the named field (for a DIN, from its first character, after the `=`);
/// [`Error::InScan`] adds where in the whole scan that structure started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Nothing was given (or only whitespace).
    #[error("{what} is empty")]
    Empty {
        /// What was expected, e.g. "the scan".
        what: &'static str,
    },

    /// A fixed-length item has the wrong number of characters.
    #[error("{field} must be {expected} characters long, not {found}")]
    WrongLength {
        /// The item, e.g. "DIN".
        field: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        found: usize,
    },

    /// A character that the field does not allow at that position.
    #[error("character {position} of {field} is '{}', which is not allowed (expected {expected}){}", .found.escape_debug(), did_you_mean(*.suggestion))]
    IllegalCharacter {
        /// The item, e.g. "DIN".
        field: &'static str,
        /// 1-based position inside `field`.
        position: usize,
        /// The character found.
        found: char,
        /// What is allowed there, in words.
        expected: &'static str,
        /// A likely intended character (`O` → `0`, `I` → `1`, …), if there is one.
        suggestion: Option<char>,
    },

    /// A lower-case letter where ISBT 128 only uses capitals (a scanner or Caps Lock
    /// problem, usually).
    #[error(
        "character {position} of {field} is the lower-case letter '{found}', but ISBT 128 uses capital letters here; \
         did you mean '{suggestion}'? (check Caps Lock or the scanner's case setting)"
    )]
    LowerCase {
        /// The item, e.g. "DIN".
        field: &'static str,
        /// 1-based position inside `field`.
        position: usize,
        /// The lower-case letter found.
        found: char,
        /// Its capital.
        suggestion: char,
    },

    /// The keyboard-entry check character K does not match the DIN.
    #[error("DIN {din}: check character should be '{expected}', not '{found}'")]
    WrongCheckCharacter {
        /// The DIN in eye-readable grouping, e.g. `A9999 26 123456`.
        din: String,
        /// The check character computed from the DIN.
        expected: char,
        /// The check character that was given.
        found: char,
    },

    /// Type 3 flags (60–96) that do not carry the DIN's check value.
    #[error(
        "DIN {din}: flags {found} are a check value (60-96) but do not match the DIN, which needs {expected}; the DIN or its flags were misread"
    )]
    WrongCheckFlags {
        /// The DIN in eye-readable grouping.
        din: String,
        /// The flags the DIN needs (60 + checksum).
        expected: String,
        /// The flags found.
        found: String,
    },

    /// A MOD 37-2 checksum carried inside the data (DS039 GRID) does not match.
    #[error("{field} {data}: checksum should be {expected}, not {found}")]
    WrongChecksum {
        /// The item, e.g. "GRID".
        field: &'static str,
        /// The checked characters.
        data: String,
        /// The checksum computed.
        expected: String,
        /// The checksum found.
        found: String,
    },

    /// A date or time that does not exist (day 366 of a common year, hour 25, …).
    #[error("{field} {found} is not a real date or time: {reason}")]
    ImpossibleDate {
        /// The item, e.g. "expiration date and time".
        field: &'static str,
        /// The characters read, e.g. `0253661200`.
        found: String,
        /// What is impossible about it.
        reason: String,
    },

    /// A code that is not in the (ISBT 128 v6.2.2) table for its field.
    #[error("{field} '{found}' is not in the ISBT 128 table{}", did_you_mean_str(.suggestion.as_deref()))]
    UnknownCode {
        /// The field, e.g. "blood group code".
        field: &'static str,
        /// The code found.
        found: String,
        /// A table code that differs only in letter case, if there is one.
        suggestion: Option<String>,
    },

    /// A reserved element that must hold a fixed value.
    #[error("{field} is reserved and must be {expected}, not {found}")]
    Reserved {
        /// The element, e.g. "blood groups reserved character (e)".
        field: &'static str,
        /// The required value.
        expected: &'static str,
        /// The value found.
        found: String,
    },

    /// A number outside the range the field allows.
    #[error("{field} {found} is out of range; it must be {min} to {max}")]
    OutOfRange {
        /// The field, e.g. "DIN sequence number".
        field: &'static str,
        /// The value given.
        found: u64,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },

    /// A value that is well-formed but not allowed for a reason given in words.
    #[error("{field} {found}: {reason}")]
    NotAllowed {
        /// The field.
        field: &'static str,
        /// The value.
        found: String,
        /// Why it is not allowed.
        reason: &'static str,
    },

    /// Data that starts with a data identifier no ISBT 128 structure uses.
    #[error("unknown data identifier '{}' at character {position} of the scan{}", .found.escape_debug(), hint_text(*.hint))]
    UnknownDataIdentifier {
        /// 1-based position in the scan.
        position: usize,
        /// The two (or three) characters read.
        found: String,
        /// A likely cause, if known.
        hint: Option<&'static str>,
    },

    /// A data structure was expected but the data does not start with `=` or `&`.
    #[error("expected a data identifier ('=' or '&') at character {position} of the scan, found '{}'", .found.escape_debug())]
    ExpectedDataIdentifier {
        /// 1-based position in the scan.
        position: usize,
        /// The character found.
        found: char,
    },

    /// `X::parse` was given the data of a different structure.
    #[error("expected {expected}, but the data starts with '{}'{}", .found.escape_debug(), found_kind_text(.found_kind))]
    WrongDataIdentifier {
        /// The structure expected, with its data identifier.
        expected: &'static str,
        /// The first characters of the data.
        found: String,
        /// The structure those characters identify, if any.
        found_kind: Option<&'static str>,
    },

    /// The scan ends before the structure it is reading is complete.
    #[error("the scan ends inside {structure} (starting at character {position}): it needs {expected} characters after '{after}', but only {found} are left")]
    Truncated {
        /// The structure being read.
        structure: &'static str,
        /// 1-based position of its data identifier in the scan.
        position: usize,
        /// The data identifier characters before the content (`=` for a DIN).
        after: &'static str,
        /// Content characters it needs.
        expected: usize,
        /// Content characters left.
        found: usize,
    },

    /// A symbology identifier (`]xy`) this crate does not read as ISBT 128.
    #[error("symbology identifier '{}' is not accepted: {reason}", .found.escape_debug())]
    Symbology {
        /// The identifier read.
        found: String,
        /// Why it is not accepted.
        reason: &'static str,
    },

    /// A compound message header whose count does not match what follows it.
    #[error("compound message header (=+) says {declared} data structures follow, but {found} do")]
    CompoundCount {
        /// The count in the header.
        declared: usize,
        /// The number that followed.
        found: usize,
    },

    /// A structure that may not appear where it was found (e.g. a national structure
    /// inside a compound message, or a compound header that is not first).
    #[error("{structure} at character {position} of the scan is not allowed there: {reason}")]
    Misplaced {
        /// The structure.
        structure: &'static str,
        /// 1-based position in the scan.
        position: usize,
        /// Why.
        reason: &'static str,
    },

    /// `DataStructure::parse` was given more than one structure.
    #[error("the data holds {found} data structures, not one; use isbt128::decode for a scan that holds several")]
    MoreThanOne {
        /// How many structures were read.
        found: usize,
    },

    /// An error inside one structure of a scan, with where that structure starts.
    #[error("{structure} starting at character {position} of the scan: {error}")]
    InScan {
        /// The structure's name and data identifier, e.g. "Blood Groups (=%)".
        structure: &'static str,
        /// 1-based position of its data identifier in the scan.
        position: usize,
        /// What is wrong inside it.
        error: Box<Error>,
    },

    /// A problem in a code-table file (product codes, special testing).
    #[error("{table} file, line {line}: {reason}")]
    Table {
        /// Which table, e.g. "product code table".
        table: &'static str,
        /// 1-based line number (0 when the problem is the file as a whole).
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// The error without the [`Error::InScan`] wrapping: the thing that is actually wrong.
    ///
    /// ```
    /// let err = isbt128::decode("=A99991712345600=%XX00").unwrap_err();
    /// assert!(matches!(err.root(), isbt128::Error::UnknownCode { .. }));
    /// ```
    pub fn root(&self) -> &Error {
        match self {
            Error::InScan { error, .. } => error.root(),
            other => other,
        }
    }
}

fn did_you_mean(suggestion: Option<char>) -> String {
    suggestion.map(|c| format!("; did you mean '{c}'?")).unwrap_or_default()
}

fn did_you_mean_str(suggestion: Option<&str>) -> String {
    suggestion.map(|c| format!("; did you mean '{c}'?")).unwrap_or_default()
}

fn hint_text(hint: Option<&'static str>) -> String {
    hint.map(|h| format!(" ({h})")).unwrap_or_default()
}

fn found_kind_text(kind: &Option<&'static str>) -> String {
    kind.map(|k| format!(", which is {k}")).unwrap_or_default()
}
