//! Code tables a centre supplies from its ICCBBA licence (product description codes,
//! special testing codes), read from CSV text, plus the few product codes whose
//! descriptions are public. The crate does no I/O: the caller reads the file.

use std::collections::BTreeMap;

use crate::{Error, Pdc, ProductCode, SpecialTesting};

/// One row of a code table.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CodeEntry {
    /// The code, e.g. `E0398`.
    pub code: String,
    /// What it means, as the table says.
    pub description: String,
    /// When ICCBBA retired it, as the table says (blank in the file → `None`).
    pub retired: Option<String>,
}

/// Columns accepted for the code; header names are matched ignoring case, spaces,
/// underscores and hyphens.
const PRODUCT_CODE_COLUMNS: &[&str] = &["code", "productcode", "pdc", "productdescriptioncode", "prodcode"];
const PRODUCT_DESCRIPTION_COLUMNS: &[&str] = &["description", "productdescription", "name", "text"];
const SPECIAL_CODE_COLUMNS: &[&str] = &["code", "ncode", "specialtestingcode"];
const SPECIAL_DESCRIPTION_COLUMNS: &[&str] = &["description", "interpretation", "text"];
const RETIRED_COLUMNS: &[&str] = &["retired", "retiredate", "retiredon", "retirementdate"];

/// Product codes whose descriptions are published openly: the HL7 FHIR R5 value set
/// "biologically derived product codes" (ISBT 128 Product Description Codes © ICCBBA)
/// and the E7003 FHIR example. Everything else needs the centre's licensed table.
const PUBLIC_PRODUCT_CODES: &[(&str, &str)] = &[
    ("E0398", "RED BLOOD CELLS|CPD>AS5/450mL/refg|Irr|ResLeu"),
    ("E4377", "Apheresis RED BLOOD CELLS|ACD-A/XX/refg|Irradiated|1st container"),
    ("E7003", "Apheresis PLATELETS|ACD-A>PAS-C/XX/20-24C|ResLeu:<5E6|2nd container"),
    ("S1128", "HPC, APHERESIS/Citrate/XX/refg/Mobilized"),
    ("S1194", "HPC, APHERESIS|NS/XX/<=-120C|10% DMSO|Cryopreserved|Mobilized"),
    ("S1195", "HPC, APHERESIS|NS/XX/<=-120C|5% DMSO|Cryopreserved|Mobilized"),
    ("S1310", "HPC, APHERESIS|None/XX/refg|3rd Party Comp:Yes|Other Additives:Yes|Mobilized|CD34 enriched"),
    ("S1398", "HPC, MARROW|NS/XX/rt|Plasma reduced"),
    ("S2598", "HPC, MARROW|NS/XX/<=-150C|10% DMSO|3rd Party Comp:Yes|Cryopreserved|RBC reduced"),
    ("T1396", "BONE, FEMUR|Frozen|Right|Radiation sterilization"),
];

/// A table of Product Description Codes and their descriptions.
///
/// Load the centre's licensed table with [`ProductCodeTable::from_csv`]. The CSV needs
/// a header row; columns are found by name (case, spaces, `_` and `-` ignored), in any
/// order, and other columns are ignored:
///
/// | column | accepted header names | required |
/// |---|---|---|
/// | code | `code`, `product_code`, `pdc`, `product description code`, `prodcode` | yes |
/// | description | `description`, `product_description`, `name`, `text` | yes |
/// | retired | `retired`, `retire_date`, `retiredate`, `retired_on`, `retirement date` | no |
///
/// The separator is a comma, or a semicolon or tab if the header uses one instead.
/// Fields may be quoted with `"` (a doubled `""` inside is one quote, and a quoted
/// field may span lines). Blank lines and lines starting with `#` are skipped; a UTF-8
/// byte-order mark is ignored. Every code must be a valid PDC and appear once.
///
/// ```
/// use isbt128::ProductCodeTable;
/// let csv = "code,description\nE0001,\"WHOLE BLOOD|CPD/450mL/refg\"\n";
/// let mut table = ProductCodeTable::public();
/// table.merge(ProductCodeTable::from_csv(csv)?);
/// assert_eq!(table.get("E0001").unwrap().description, "WHOLE BLOOD|CPD/450mL/refg");
/// assert!(table.get("E0398").is_some()); // public code
/// let pc = isbt128::ProductCode::parse("=<E0001V00")?;
/// assert!(table.describe(&pc).is_some());
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ProductCodeTable(BTreeMap<String, CodeEntry>);

impl ProductCodeTable {
    /// An empty table.
    pub fn new() -> ProductCodeTable {
        ProductCodeTable::default()
    }

    /// The product codes whose descriptions are public (see the crate documentation).
    pub fn public() -> ProductCodeTable {
        let entries = PUBLIC_PRODUCT_CODES
            .iter()
            .map(|&(code, description)| (code.to_owned(), CodeEntry { code: code.to_owned(), description: description.to_owned(), retired: None }))
            .collect();
        ProductCodeTable(entries)
    }

    /// Reads a table from CSV text (see the type's documentation for the columns).
    pub fn from_csv(text: &str) -> Result<ProductCodeTable, Error> {
        load(text, "product code table", PRODUCT_CODE_COLUMNS, PRODUCT_DESCRIPTION_COLUMNS, |c| Pdc::parse(c).map(|_| ())).map(ProductCodeTable)
    }

    /// Adds `other`'s entries; where both have a code, `other`'s entry wins.
    pub fn merge(&mut self, other: ProductCodeTable) {
        self.0.extend(other.0);
    }

    /// The entry for a PDC such as `E0398`.
    pub fn get(&self, pdc: &str) -> Option<&CodeEntry> {
        self.0.get(pdc)
    }

    /// The entry for a product code's PDC.
    pub fn describe(&self, product: &ProductCode) -> Option<&CodeEntry> {
        self.get(product.pdc().as_str())
    }

    /// How many codes the table has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in code order.
    pub fn iter(&self) -> impl Iterator<Item = &CodeEntry> {
        self.0.values()
    }
}

/// A table of Special Testing: General codes (DS010) and their interpretations, from
/// the centre's licensed ICCBBA table. CSV as for [`ProductCodeTable`], with columns
/// code (`code`, `ncode`, `special testing code`), description (`description`,
/// `interpretation`, `text`) and optionally retired (as above). ICCBBA's own
/// comma-delimited export (`NCODE`, `INTERPRETATION`, `RETIREDATE`, `DEFINITION`) reads
/// as is.
///
/// ```
/// let table = isbt128::SpecialTestingTable::from_csv("NCODE,INTERPRETATION,RETIREDATE\nN0001,Example interpretation,\n")?;
/// assert_eq!(table.get("N0001").unwrap().description, "Example interpretation");
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct SpecialTestingTable(BTreeMap<String, CodeEntry>);

impl SpecialTestingTable {
    /// Reads a table from CSV text.
    pub fn from_csv(text: &str) -> Result<SpecialTestingTable, Error> {
        load(text, "special testing table", SPECIAL_CODE_COLUMNS, SPECIAL_DESCRIPTION_COLUMNS, |c| SpecialTesting::new(c).map(|_| ()))
            .map(SpecialTestingTable)
    }

    /// The entry for a code such as `N0001`.
    pub fn get(&self, code: &str) -> Option<&CodeEntry> {
        self.0.get(code)
    }

    /// How many codes the table has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in code order.
    pub fn iter(&self) -> impl Iterator<Item = &CodeEntry> {
        self.0.values()
    }
}

fn normalise(header: &str) -> String {
    header.chars().filter(|c| !matches!(c, ' ' | '_' | '-')).flat_map(char::to_lowercase).collect()
}

fn load(
    text: &str,
    table: &'static str,
    code_columns: &[&str],
    description_columns: &[&str],
    check: impl Fn(&str) -> Result<(), Error>,
) -> Result<BTreeMap<String, CodeEntry>, Error> {
    let rows = parse_csv(text, table)?;
    let Some((header_line, header)) = rows.first() else {
        return Err(Error::Table { table, line: 0, reason: "the file has no header row".into() });
    };
    let find = |names: &[&str]| header.iter().position(|h| names.contains(&normalise(h).as_str()));
    let missing = |what: &str, names: &[&str]| Error::Table {
        table,
        line: *header_line,
        reason: format!("the header has no {what} column (accepted names: {})", names.join(", ")),
    };
    let code_col = find(code_columns).ok_or_else(|| missing("code", code_columns))?;
    let desc_col = find(description_columns).ok_or_else(|| missing("description", description_columns))?;
    let retired_col = find(RETIRED_COLUMNS);
    let mut entries = BTreeMap::new();
    let mut lines: BTreeMap<String, usize> = BTreeMap::new();
    for (line, row) in &rows[1..] {
        let cell = |i: usize| row.get(i).map(|s| s.trim()).unwrap_or("");
        let code = cell(code_col);
        if code.is_empty() {
            return Err(Error::Table { table, line: *line, reason: "the code is empty".into() });
        }
        check(code).map_err(|e| Error::Table { table, line: *line, reason: format!("code '{code}': {e}") })?;
        let description = cell(desc_col);
        if description.is_empty() {
            return Err(Error::Table { table, line: *line, reason: format!("code {code} has no description") });
        }
        if let Some(first) = lines.insert(code.to_owned(), *line) {
            return Err(Error::Table { table, line: *line, reason: format!("code {code} appears twice (also on line {first})") });
        }
        let retired = retired_col.map(cell).filter(|r| !r.is_empty()).map(str::to_owned);
        entries.insert(code.to_owned(), CodeEntry { code: code.to_owned(), description: description.to_owned(), retired });
    }
    Ok(entries)
}

/// Splits CSV text into rows of fields, each with the line it starts on. Skips blank
/// rows and rows whose first character is `#`.
fn parse_csv(text: &str, table: &'static str) -> Result<Vec<(usize, Vec<String>)>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header = text.lines().find(|l| !l.trim().is_empty() && !l.starts_with('#')).unwrap_or("");
    let sep = if header.contains('\t') {
        '\t'
    } else if header.contains(';') && !header.contains(',') {
        ';'
    } else {
        ','
    };
    let mut rows = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        if chars.peek() == Some(&'#') {
            for c in chars.by_ref() {
                if c == '\n' {
                    line += 1;
                    break;
                }
            }
            continue;
        }
        let mut row = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut was_quoted = false;
        loop {
            match chars.next() {
                None if quoted => return Err(Error::Table { table, line: start, reason: "a quoted field is not closed".into() }),
                None => break,
                Some('"') if quoted => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        quoted = false;
                    }
                }
                Some('"') if field.trim().is_empty() && !was_quoted => {
                    field.clear();
                    quoted = true;
                    was_quoted = true;
                }
                Some('\n') if !quoted => {
                    line += 1;
                    break;
                }
                Some(c) if c == sep && !quoted => {
                    row.push(std::mem::take(&mut field));
                    was_quoted = false;
                }
                Some('\r') if !quoted && chars.peek() == Some(&'\n') => {}
                Some(c) => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
        }
        row.push(field);
        if row.iter().any(|f| !f.trim().is_empty()) {
            rows.push((start, row));
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quotes_separators_and_extra_columns() {
        let csv = "\u{feff}# exported 2026-01-01\r\nCategory;Product Code;Description;Retire Date\r\nblood;E0001;\"WHOLE BLOOD; \"\"fresh\"\"\";\r\n\r\nblood;E0002;\"multi\nline\";01 JAN 2020\r\n";
        let t = ProductCodeTable::from_csv(csv).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.get("E0001").unwrap().description, "WHOLE BLOOD; \"fresh\"");
        assert_eq!(t.get("E0001").unwrap().retired, None);
        assert_eq!(t.get("E0002").unwrap().description, "multi\nline");
        assert_eq!(t.get("E0002").unwrap().retired.as_deref(), Some("01 JAN 2020"));
    }

    #[test]
    fn tab_separated_files_are_read() {
        let t = ProductCodeTable::from_csv("PDC\tName\nS1398\tHPC, MARROW\n").unwrap();
        assert_eq!(t.get("S1398").unwrap().description, "HPC, MARROW");
    }

    #[test]
    fn bad_files_say_which_line() {
        let err = ProductCodeTable::from_csv("code,description\nE0001,a\nE0001,b\n").unwrap_err();
        assert_eq!(err.to_string(), "product code table file, line 3: code E0001 appears twice (also on line 2)");
        let err = ProductCodeTable::from_csv("code,description\nG0001,a\n").unwrap_err();
        assert!(matches!(err, Error::Table { line: 2, .. }), "{err}");
        let err = ProductCodeTable::from_csv("code,description\ne0001,a\n").unwrap_err();
        assert!(err.to_string().contains("lower-case"), "{err}");
        assert!(matches!(ProductCodeTable::from_csv("pdc,meaning\n"), Err(Error::Table { line: 1, .. })));
        assert!(matches!(ProductCodeTable::from_csv(""), Err(Error::Table { line: 0, .. })));
        assert!(matches!(ProductCodeTable::from_csv("code,description\nE0001,\"open\n"), Err(Error::Table { line: 2, .. })));
        assert!(matches!(ProductCodeTable::from_csv("code,description\nE0001,\n"), Err(Error::Table { line: 2, .. })));
    }

    #[test]
    fn public_codes_are_valid_and_merge_loses_to_the_file() {
        let mut t = ProductCodeTable::public();
        assert_eq!(t.len(), PUBLIC_PRODUCT_CODES.len());
        for e in t.iter() {
            Pdc::parse(&e.code).unwrap();
        }
        t.merge(ProductCodeTable::from_csv("code,description\nE0398,licensed text\n").unwrap());
        assert_eq!(t.get("E0398").unwrap().description, "licensed text");
    }

    #[test]
    fn arbitrary_text_never_panics() {
        for text in ["\"", "code,description\n\"", ",,,\n,,", "#", "\r", "code\tdescription\n\t\n"] {
            let _ = ProductCodeTable::from_csv(text);
            let _ = SpecialTestingTable::from_csv(text);
        }
    }
}
