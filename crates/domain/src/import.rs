//! Bringing a centre's existing donor and donation records in from CSV. Rows are
//! checked for format here (pure); references and duplicates are checked by the use
//! case against the store. Imported history is a record of what happened: it is not
//! re-judged against today's eligibility rules.

use crate::validation::{optional_email, optional_phone, required_text, FieldError};
use crate::{BloodGroup, DonationProcedure, DonorNumber, Sex};
use chrono::NaiveDate;
use std::collections::HashMap;

/// A row that could not be imported, with every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Line in the file (the header is line 1).
    pub line: u64,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DonorImport {
    pub line: u64,
    pub donor_number: DonorNumber,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub blood_group: Option<BloodGroup>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Site code, checked against the sites by the use case.
    pub preferred_site: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DonationImport {
    pub line: u64,
    pub donor_number: DonorNumber,
    pub procedure: DonationProcedure,
    pub collected_on: NaiveDate,
    pub site: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportFileError {
    #[error("the file is not readable CSV: {0}")]
    Csv(String),
    #[error("the header lacks the required column(s) {0}; required: {1}")]
    MissingColumns(String, String),
    #[error("unknown column '{0}'; allowed: {1}")]
    UnknownColumn(String, String),
}

pub const DONOR_REQUIRED: [&str; 5] = ["donor_number", "first_name", "last_name", "birth_date", "sex"];
pub const DONOR_OPTIONAL: [&str; 5] = ["blood_group", "email", "phone", "preferred_site", "middle_name"];
pub const DONATION_REQUIRED: [&str; 3] = ["donor_number", "procedure", "collected_on"];
pub const DONATION_OPTIONAL: [&str; 1] = ["site"];

/// Column positions by name, checking that the header holds exactly known columns.
fn columns(headers: &csv::StringRecord, required: &[&str], optional: &[&str]) -> Result<HashMap<String, usize>, ImportFileError> {
    let allowed = || required.iter().chain(optional).copied().collect::<Vec<_>>().join(", ");
    let mut map = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
        if !required.contains(&h.as_str()) && !optional.contains(&h.as_str()) {
            return Err(ImportFileError::UnknownColumn(h, allowed()));
        }
        map.insert(h, i);
    }
    let missing: Vec<&str> = required.iter().copied().filter(|c| !map.contains_key(*c)).collect();
    if !missing.is_empty() {
        return Err(ImportFileError::MissingColumns(missing.join(", "), required.join(", ")));
    }
    Ok(map)
}

use crate::validation::parse_day as date;

/// Reads a donor file: accepted rows and rejected rows, in file order.
/// `today` bounds birth dates (no one is born in the future).
pub fn read_donors(text: &[u8], today: NaiveDate) -> Result<(Vec<DonorImport>, Vec<Rejected>), ImportFileError> {
    let mut rd = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let cols = columns(&rd.headers().map_err(|e| ImportFileError::Csv(e.to_string()))?.clone(), &DONOR_REQUIRED, &DONOR_OPTIONAL)?;
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    let mut rec = csv::StringRecord::new();
    loop {
        match rd.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                bad.push(Rejected { line, reasons: vec![format!("unreadable row: {e}")] });
                continue;
            }
        }
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |c: &str| cols.get(c).and_then(|&i| rec.get(i)).unwrap_or("").trim();
        let mut errs = crate::FieldErrors::default();
        let donor_number = errs.take(DonorNumber::parse(get("donor_number")));
        let first_name = errs.take(required_text("first_name", get("first_name"), 80));
        let last_name = errs.take(required_text("last_name", get("last_name"), 80));
        let birth_date = errs.take(date("birth_date", get("birth_date")).and_then(|d| {
            if d > today {
                Err(FieldError::new("birth_date", format!("{d} is in the future")))
            } else if today.years_since(d).is_some_and(|y| y > 120) {
                Err(FieldError::new("birth_date", format!("{d} is more than 120 years ago")))
            } else {
                Ok(d)
            }
        }));
        let sex = errs.take(Sex::parse(get("sex")));
        let blood_group = match get("blood_group") {
            "" => Some(None),
            g => errs.take(BloodGroup::parse(g).map(Some)),
        };
        let email = errs.take(optional_email("email", get("email")));
        let phone = errs.take(optional_phone("phone", get("phone")));
        let reasons: Vec<String> = errs.0.iter().map(ToString::to_string).collect();
        let site = get("preferred_site");
        match (donor_number, first_name, last_name, birth_date, sex, blood_group, email, phone) {
            (Some(donor_number), Some(first_name), Some(last_name), Some(birth_date), Some(sex), Some(blood_group), Some(email), Some(phone))
                if reasons.is_empty() =>
            {
                ok.push(DonorImport {
                    line,
                    donor_number,
                    first_name,
                    last_name,
                    birth_date,
                    sex,
                    blood_group,
                    email,
                    phone,
                    preferred_site: (!site.is_empty()).then(|| site.to_string()),
                })
            }
            _ => bad.push(Rejected { line, reasons }),
        }
    }
    Ok((ok, bad))
}

/// Reads a donation file: accepted rows and rejected rows, in file order.
pub fn read_donations(text: &[u8], today: NaiveDate) -> Result<(Vec<DonationImport>, Vec<Rejected>), ImportFileError> {
    let mut rd = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let cols = columns(&rd.headers().map_err(|e| ImportFileError::Csv(e.to_string()))?.clone(), &DONATION_REQUIRED, &DONATION_OPTIONAL)?;
    let (i_num, i_proc, i_date) = (cols["donor_number"], cols["procedure"], cols["collected_on"]);
    let i_site = cols.get("site").copied();
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    let mut rec = csv::ByteRecord::new();
    loop {
        match rd.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                bad.push(Rejected { line: e.position().map(|p| p.line()).unwrap_or(0), reasons: vec![format!("unreadable row: {e}")] });
                continue;
            }
        }
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |i: usize| std::str::from_utf8(rec.get(i).unwrap_or(b"")).map(str::trim);
        let mut reasons = Vec::new();
        let (num, proc_, day) = match (get(i_num), get(i_proc), get(i_date)) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            _ => {
                bad.push(Rejected { line, reasons: vec!["the row is not valid UTF-8".into()] });
                continue;
            }
        };
        let donor_number = DonorNumber::parse(num).map_err(|e| reasons.push(e.to_string())).ok();
        let procedure = DonationProcedure::parse(proc_).map_err(|e| reasons.push(e.to_string())).ok();
        let collected_on = date("collected_on", day)
            .and_then(|d| if d > today { Err(FieldError::new("collected_on", format!("{d} is in the future"))) } else { Ok(d) })
            .map_err(|e| reasons.push(e.to_string()))
            .ok();
        let site = i_site.and_then(|i| get(i).ok()).filter(|s| !s.is_empty()).map(str::to_string);
        match (donor_number, procedure, collected_on) {
            (Some(donor_number), Some(procedure), Some(collected_on)) if reasons.is_empty() => {
                ok.push(DonationImport { line, donor_number, procedure, collected_on, site })
            }
            _ => bad.push(Rejected { line, reasons }),
        }
    }
    Ok((ok, bad))
}

pub const RESULT_REQUIRED: [&str; 3] = ["din", "test", "result"];
pub const RESULT_OPTIONAL: [&str; 3] = ["phase", "instrument", "run_at"];

/// One row of an instrument export: a result for one test of one donation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultImport {
    pub line: u64,
    pub din: String,
    pub test: String,
    /// `initial` when the column is absent or empty.
    pub phase: String,
    pub result: String,
    pub instrument: Option<String>,
    pub run_at: Option<String>,
}

/// Reads an instrument export (columns `din`, `test`, `result`, optional `phase`,
/// `instrument`, `run_at`): rows with every field present, and rejected rows. Whether a
/// row matches an order is the use case's question.
pub fn read_results(text: &[u8]) -> Result<(Vec<ResultImport>, Vec<Rejected>), ImportFileError> {
    let mut rd = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let cols = columns(&rd.headers().map_err(|e| ImportFileError::Csv(e.to_string()))?.clone(), &RESULT_REQUIRED, &RESULT_OPTIONAL)?;
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    let mut rec = csv::StringRecord::new();
    loop {
        match rd.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                bad.push(Rejected { line: e.position().map(|p| p.line()).unwrap_or(0), reasons: vec![format!("unreadable row: {e}")] });
                continue;
            }
        }
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |c: &str| cols.get(c).and_then(|i| rec.get(*i)).map(str::trim).unwrap_or("").to_string();
        let (din, test, result) = (get("din"), get("test"), get("result"));
        let mut reasons = Vec::new();
        for (name, v) in [("din", &din), ("test", &test), ("result", &result)] {
            if v.is_empty() {
                reasons.push(format!("{name}: empty"));
            }
        }
        let phase = get("phase");
        if crate::testing::Phase::parse(&phase).is_none() {
            reasons.push(format!("phase: '{phase}' is not initial, repeat or confirmatory"));
        }
        if reasons.is_empty() {
            let opt = |c: &str| Some(get(c)).filter(|v| !v.is_empty());
            ok.push(ResultImport { line, din, test, phase, result, instrument: opt("instrument"), run_at: opt("run_at") });
        } else {
            bad.push(Rejected { line, reasons });
        }
    }
    Ok((ok, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_files_read_every_row_and_name_what_is_wrong() {
        let csv = "DIN,test,phase,result,instrument\n\
                   A999926000001,HIV_AB,,NR,PRISM-1\n\
                   A999926000001,HIV_AB,repeat,R,PRISM-1\n\
                   ,HBSAG,initial,,\n\
                   A999926000002,HCV_NAT,twice,R,\n";
        let (ok, bad) = read_results(csv.as_bytes()).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!((ok[0].line, ok[0].phase.as_str(), ok[0].instrument.as_deref()), (2, "", Some("PRISM-1")));
        assert_eq!(bad.iter().map(|b| b.line).collect::<Vec<_>>(), vec![4, 5]);
        assert_eq!(bad[0].reasons, vec!["din: empty", "result: empty"]);
        assert!(bad[1].reasons[0].contains("twice"));
        assert!(matches!(read_results(b"din,test\nx,y\n"), Err(ImportFileError::MissingColumns(..))));
        assert!(matches!(read_results(b"din,test,result,colour\n"), Err(ImportFileError::UnknownColumn(..))));
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn donors_with_every_problem_named_per_line() {
        let csv = "donor_number,first_name,last_name,birth_date,sex,blood_group,email\n\
                   D0000001,Ann,Lee,1980-02-29,F,O-,ann@example.com\n\
                   d1,Bob,,2030-01-01,X,Q+,nope\n\
                   D0000003,Cy,Ng,1990-13-01,M,,\n";
        let (ok, bad) = read_donors(csv.as_bytes(), today()).unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].blood_group.unwrap().to_string(), "O-");
        assert_eq!(bad[0].line, 3);
        assert_eq!(bad[0].reasons.len(), 6, "{:?}", bad[0].reasons);
        assert!(bad[0].reasons.iter().any(|r| r.contains("future")));
        assert_eq!(bad[1].line, 4);
        assert!(bad[1].reasons[0].contains("1990-13-01"));
    }

    #[test]
    fn donations_refuse_unknown_procedures_and_future_dates() {
        let csv = "donor_number,procedure,collected_on,site\nD0000001,whole_blood,2026-01-05,MAIN\nD0000001,granulocytes,2026-01-06,\nD0000001,plasma,2027-01-01,\n";
        let (ok, bad) = read_donations(csv.as_bytes(), today()).unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].site.as_deref(), Some("MAIN"));
        assert_eq!(bad.len(), 2);
        assert!(bad[0].reasons[0].contains("granulocytes"));
        assert!(bad[1].reasons[0].contains("future"));
    }

    #[test]
    fn headers_must_name_the_required_and_only_known_columns() {
        assert!(matches!(read_donations(b"donor_number,procedure\n", today()), Err(ImportFileError::MissingColumns(..))));
        assert!(matches!(read_donations(b"donor_number,procedure,collected_on,colour\n", today()), Err(ImportFileError::UnknownColumn(..))));
    }
}
