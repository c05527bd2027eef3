//! CSV exports, for inspectors and spreadsheets.
//!
//! Every CSV file hemaflow writes goes through [`CsvTable`]: RFC 4180 quoting, a
//! header row, and no cell that a spreadsheet would run as a formula (see
//! [`neutralise`]). Names, reasons and addresses come from donors and staff, so a
//! cell such as `=HYPERLINK(…)` must arrive in the spreadsheet as text.

use domain::AuditRecord;
use std::borrow::Cow;

#[derive(Debug, thiserror::Error)]
#[error("could not write CSV: {0}")]
pub struct CsvError(#[from] csv::Error);

/// A cell as it is written: one that starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return (what spreadsheets read as the start of a formula) gets a leading
/// `'`, which spreadsheets show as text and do not evaluate. Plain numbers such as
/// `-12.5` stay as they are.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let frac = parts.next();
    !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// The one CSV writer: a header row, then rows of cells, each neutralised.
pub struct CsvTable<W: std::io::Write> {
    out: csv::Writer<W>,
}

impl<W: std::io::Write> CsvTable<W> {
    pub fn new<H: AsRef<str>>(w: W, header: impl IntoIterator<Item = H>) -> Result<Self, CsvError> {
        let mut t = Self { out: csv::Writer::from_writer(w) };
        t.row(header)?;
        Ok(t)
    }

    pub fn row<C: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = C>) -> Result<(), CsvError> {
        let cells: Vec<C> = cells.into_iter().collect();
        self.out.write_record(cells.iter().map(|c| neutralise(c.as_ref()).into_owned()))?;
        Ok(())
    }

    pub fn finish(self) -> Result<W, CsvError> {
        self.out.into_inner().map_err(|e| CsvError(csv::Error::from(e.into_error())))
    }
}

/// A whole table as a string (header first).
pub fn table_to_string<H, R, C>(header: impl IntoIterator<Item = H>, rows: impl IntoIterator<Item = R>) -> String
where
    H: AsRef<str>,
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let mut t = CsvTable::new(Vec::new(), header).expect("writing to memory");
    for r in rows {
        t.row(r).expect("writing to memory");
    }
    String::from_utf8(t.finish().expect("writing to memory")).expect("cells are UTF-8")
}

/// Columns of the audit trail export, in order.
pub const AUDIT_COLUMNS: [&str; 13] =
    ["seq", "id", "at_utc", "actor", "action", "entity_type", "entity_id", "before", "after", "reason", "prev_hash", "hash", "donor_number"];

/// Writes audit records as RFC 4180 CSV with a header row. The hashes are included
/// so that an exported copy can be checked against the chain.
/// Cells that start like a formula carry a leading `'` (see [`neutralise`]); strip it
/// before checking such a cell against the chain.
pub struct AuditCsv<W: std::io::Write> {
    out: CsvTable<W>,
}

impl<W: std::io::Write> AuditCsv<W> {
    pub fn new(w: W) -> Result<Self, CsvError> {
        Ok(Self { out: CsvTable::new(w, AUDIT_COLUMNS)? })
    }

    pub fn write(&mut self, r: &AuditRecord) -> Result<(), CsvError> {
        let at = r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        self.out.row([
            r.seq.to_string().as_str(),
            &r.id.to_string(),
            &at,
            &r.actor,
            &r.action,
            &r.entity_type,
            &r.entity_id,
            r.before.as_deref().unwrap_or(""),
            r.after.as_deref().unwrap_or(""),
            r.reason.as_deref().unwrap_or(""),
            &r.prev_hash,
            &r.hash,
            r.donor_number.as_deref().unwrap_or(""),
        ])?;
        Ok(())
    }

    pub fn finish(self) -> Result<W, CsvError> {
        self.out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{AuditDraft, GENESIS_HASH};

    #[test]
    fn exported_rows_read_back_and_still_hash_to_their_hash() {
        let at = chrono::DateTime::from_timestamp(1_764_000_000, 123_456_000).unwrap();
        let r = AuditDraft::new("admin", "site.update", "site", "x")
            .before(serde_json::json!({"name": "Main, \"old\""}))
            .after(serde_json::json!({"name": "Main\nnew"}))
            .reason(Some("comma, quote \" and newline\n".into()))
            .donor("D0000001")
            .seal(1, at, GENESIS_HASH);
        let mut w = AuditCsv::new(Vec::new()).unwrap();
        w.write(&r).unwrap();
        let bytes = w.finish().unwrap();
        let mut rd = csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(rd.headers().unwrap().iter().collect::<Vec<_>>(), AUDIT_COLUMNS.to_vec());
        let row = rd.records().next().unwrap().unwrap();
        assert_eq!(&row[7], r.before.as_deref().unwrap());
        assert_eq!(&row[9], r.reason.as_deref().unwrap());
        // Rebuild the record from the CSV and check the hash: the export is faithful.
        let back = domain::AuditRecord {
            seq: row[0].parse().unwrap(),
            id: row[1].parse().unwrap(),
            at: chrono::DateTime::parse_from_rfc3339(&row[2]).unwrap().to_utc(),
            actor: row[3].into(),
            action: row[4].into(),
            entity_type: row[5].into(),
            entity_id: row[6].into(),
            before: Some(row[7].into()),
            after: Some(row[8].into()),
            reason: Some(row[9].into()),
            donor_number: Some(row[12].into()).filter(|n: &String| !n.is_empty()),
            prev_hash: row[10].into(),
            hash: row[11].into(),
        };
        assert_eq!(back.compute_hash(), r.hash);
    }

    #[test]
    fn formula_cells_are_neutralised() {
        for evil in ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "-", "=", "--1"] {
            let n = neutralise(evil);
            assert_eq!(n, format!("'{evil}"), "{evil:?}");
        }
        for fine in ["Ann", "", "12", "-12.5", "+3", "0.25", "a=b", "O-", "AB+", "2026-12-04", "ann@example.org"] {
            assert_eq!(neutralise(fine), fine, "{fine:?}");
        }
    }

    #[test]
    fn the_table_writer_quotes_and_neutralises_every_cell_including_the_header() {
        let csv = table_to_string(["name", "=note"], [vec!["=1+1".to_string(), "a, \"b\"\nc".into()], vec!["-0.5".into(), "@x".into()]]);
        let mut rd = csv::Reader::from_reader(csv.as_bytes());
        assert_eq!(rd.headers().unwrap().iter().collect::<Vec<_>>(), ["name", "'=note"]);
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(rows[0].iter().collect::<Vec<_>>(), ["'=1+1", "a, \"b\"\nc"]);
        assert_eq!(rows[1].iter().collect::<Vec<_>>(), ["-0.5", "'@x"]);
    }

    #[test]
    fn audit_export_neutralises_a_typed_user_name() {
        let at = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        let r = AuditDraft::new("anonymous", "user.login_failed", "user", "=cmd|'/c calc'!A1").seal(1, at, GENESIS_HASH);
        let mut w = AuditCsv::new(Vec::new()).unwrap();
        w.write(&r).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert!(text.contains(",'=cmd|'/c calc'!A1,"), "{text}");
        assert!(!text.contains(",=cmd"), "{text}");
    }
}
