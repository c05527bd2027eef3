//! Red cell antigens with test history.

#[allow(unused_imports)]
use super::prelude::*;

const RESULTS: [&str; 6] = [
    "negative (method not specified)",
    "positive (method not specified)",
    "negative (serological testing)",
    "positive (serological testing)",
    "negative (predicted from genotyping)",
    "positive (predicted from genotyping)",
];

const TEST_HISTORY: [&str; 6] = [
    "tested once on this collection",
    "tested once on a prior collection",
    "tested at least twice on different collections (current and historic), concordant",
    "tested at least twice on different collections (historic only), concordant",
    "tested at least twice on this collection only, different samples, concordant",
    "test history not specified",
];

/// One antigen result in Red Cell Antigens with Test History: `pppppprrss`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct AntigenResult {
    antigen: u32,
    result: u8,
    tests: u8,
}

impl AntigenResult {
    /// An ISBT antigen number (6 digits: system then antigen), a result code 1–6
    /// (ST-001 Table 22) and a number-of-tests code 1–6 (Table 23).
    pub fn new(antigen: u32, result: u8, tests: u8) -> Result<AntigenResult, Error> {
        if antigen > 999_999 {
            return Err(Error::OutOfRange { field: "antigen number", found: antigen.into(), min: 0, max: 999_999 });
        }
        if !(1..=6).contains(&result) {
            return Err(Error::OutOfRange { field: "antigen result code", found: result.into(), min: 1, max: 6 });
        }
        if !(1..=6).contains(&tests) {
            return Err(Error::OutOfRange { field: "antigen number-of-tests code", found: tests.into(), min: 1, max: 6 });
        }
        Ok(AntigenResult { antigen, result, tests })
    }

    fn read(text: &Text<'_>, at: usize) -> Result<AntigenResult, Error> {
        let antigen = text.number(at, 6)?;
        let result = text.number(at + 6, 2)?;
        if !(1..=6).contains(&result) {
            return Err(Error::UnknownCode { field: "antigen result (rr)", found: format!("{result:02}"), suggestion: None });
        }
        let tests = text.number(at + 8, 2)?;
        if !(1..=6).contains(&tests) {
            return Err(Error::UnknownCode { field: "antigen number of tests (ss)", found: format!("{tests:02}"), suggestion: None });
        }
        Ok(AntigenResult { antigen, result: result as u8, tests: tests as u8 })
    }

    fn content(&self) -> String {
        format!("{:06}{:02}{:02}", self.antigen, self.result, self.tests)
    }

    /// The six-digit ISBT antigen number, e.g. `"004001"`.
    pub fn antigen(&self) -> String {
        format!("{:06}", self.antigen)
    }

    /// The result code (1–6).
    pub fn result(&self) -> u8 {
        self.result
    }

    /// Whether the antigen was found (even codes are positive).
    pub fn is_positive(&self) -> bool {
        self.result.is_multiple_of(2)
    }

    /// The result in words.
    pub fn result_description(&self) -> &'static str {
        RESULTS[usize::from(self.result - 1)]
    }

    /// The number-of-tests code (1–6).
    pub fn tests(&self) -> u8 {
        self.tests
    }

    /// The test history in words.
    pub fn tests_description(&self) -> &'static str {
        TEST_HISTORY[usize::from(self.tests - 1)]
    }
}

/// Red Cell Antigens with Test History (Data Structure 030, `&%nnn` + `nnn` × `pppppprrss`).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct RedCellAntigens(Vec<AntigenResult>);

impl RedCellAntigens {
    /// Up to 999 results.
    pub fn new(results: Vec<AntigenResult>) -> Result<RedCellAntigens, Error> {
        if results.len() > 999 {
            return Err(Error::OutOfRange { field: "number of antigen results", found: results.len() as u64, min: 0, max: 999 });
        }
        Ok(RedCellAntigens(results))
    }

    /// Reads the content; the count must match the segments that follow.
    pub fn parse_content(content: &str) -> Result<RedCellAntigens, Error> {
        let field = "red cell antigens with test history";
        let text = Text::ascii(field, content)?;
        let n = text.number(0, 3)? as usize;
        if text.len() != 3 + 10 * n {
            return Err(Error::WrongLength { field, expected: 3 + 10 * n, found: text.len() });
        }
        (0..n).map(|i| AntigenResult::read(&text, 3 + 10 * i)).collect::<Result<_, _>>().map(RedCellAntigens)
    }

    /// The content characters.
    pub fn content(&self) -> String {
        format!("{:03}{}", self.0.len(), self.0.iter().map(AntigenResult::content).collect::<String>())
    }

    /// The results.
    pub fn results(&self) -> &[AntigenResult] {
        &self.0
    }
}

crate::structure::impl_structure!(RedCellAntigens, RedCellAntigens);
