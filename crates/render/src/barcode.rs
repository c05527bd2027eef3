//! Barcode symbols as module patterns, independent of how they are drawn.

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum BarcodeError {
    #[error("Code 128 cannot encode {0:?}: only printable ASCII is allowed")]
    Code128Char(char),
    #[error("Code 128 encoder refused {0:?}: {1}")]
    Code128(String, String),
    #[error("Data Matrix cannot hold {0} bytes of data")]
    DataMatrixTooLong(usize),
}

/// A Code 128 symbol: the bar/space modules (true = bar), without quiet zones.
#[derive(Debug, Clone, PartialEq)]
pub struct Code128 {
    pub data: String,
    pub modules: Vec<bool>,
}

/// Set selectors as the `barcoders` crate spells them.
const SET_B: char = 'Ɓ';
const SET_C: char = 'Ć';

/// Chooses code sets so that runs of four or more digits use set C (two digits per
/// symbol character), as ISBT 128 asks; everything else uses set B.
fn with_code_sets(data: &str) -> Result<String, BarcodeError> {
    if let Some(c) = data.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(BarcodeError::Code128Char(c));
    }
    let chars: Vec<char> = data.chars().collect();
    let mut out = String::new();
    let mut current = None;
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run >= 4 {
            // An odd run leaves its first digit in set B.
            if run % 2 == 1 {
                if current != Some(SET_B) {
                    out.push(SET_B);
                    current = Some(SET_B);
                }
                out.push(chars[i]);
                i += 1;
            }
            let even = run - run % 2;
            if current != Some(SET_C) {
                out.push(SET_C);
                current = Some(SET_C);
            }
            out.extend(&chars[i..i + even]);
            i += even;
        } else {
            if current != Some(SET_B) {
                out.push(SET_B);
                current = Some(SET_B);
            }
            out.push(chars[i]);
            i += 1;
        }
    }
    Ok(out)
}

impl Code128 {
    pub fn encode(data: &str) -> Result<Self, BarcodeError> {
        let spec = with_code_sets(data)?;
        let sym = barcoders::sym::code128::Code128::new(&spec).map_err(|e| BarcodeError::Code128(data.to_string(), e.to_string()))?;
        Ok(Self { data: data.to_string(), modules: sym.encode().into_iter().map(|m| m == 1).collect() })
    }

    /// Runs of bars as (first module, width in modules).
    pub fn bars(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.modules.len() {
            if self.modules[i] {
                let start = i;
                while i < self.modules.len() && self.modules[i] {
                    i += 1;
                }
                out.push((start, i - start));
            } else {
                i += 1;
            }
        }
        out
    }
}

/// A Data Matrix ECC 200 symbol (square), as dark module coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct DataMatrix {
    pub data: String,
    pub size: usize,
    /// (column, row) of every dark module.
    pub dark: Vec<(usize, usize)>,
}

impl DataMatrix {
    pub fn encode(data: &str) -> Result<Self, BarcodeError> {
        let symbols = datamatrix::SymbolList::default().enforce_square();
        let dm = datamatrix::DataMatrix::encode(data.as_bytes(), symbols).map_err(|_| BarcodeError::DataMatrixTooLong(data.len()))?;
        let bitmap = dm.bitmap();
        Ok(Self { data: data.to_string(), size: bitmap.width(), dark: bitmap.pixels().collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_runs_switch_to_set_c() {
        assert_eq!(with_code_sets("=A99991712345600").unwrap(), "Ɓ=AĆ99991712345600");
        assert_eq!(with_code_sets("=%5100").unwrap(), "Ɓ=%Ć5100");
        // odd run: first digit stays in B
        assert_eq!(with_code_sets("&>0252441800x").unwrap(), "Ɓ&>Ć0252441800Ɓx");
        assert_eq!(with_code_sets("=<E0398V00").unwrap(), "Ɓ=<EĆ0398ƁV00");
        assert_eq!(with_code_sets("ab12345").unwrap(), "Ɓab1Ć2345");
        assert!(with_code_sets("é").is_err());
    }

    #[test]
    fn set_c_makes_the_din_shorter() {
        // 145 modules for B then C, as measured in reference/isbt128.md §4.
        assert_eq!(Code128::encode("=A99991712345600").unwrap().modules.len(), 145);
    }

    #[test]
    fn data_matrix_is_square() {
        let dm = DataMatrix::encode("=+04000=A99991712345600=%5100=<E0398V00&>0252441800").unwrap();
        assert!(dm.size >= 18);
        assert!(dm.dark.iter().all(|(x, y)| *x < dm.size && *y < dm.size));
    }
}
