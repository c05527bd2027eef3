//! Turning what people type into ISBT 128 values for a label, and checking that a
//! label scanned back belongs to the unit (the release gate uses this).

use isbt128::{BloodGroups, DataStructure, Date, DateTime, Din, ExpirationDateTime, ProductCode};

use crate::validation::FieldError;

/// A DIN as typed or scanned: `A999926123456`, `=A99992612345600`, or the printed
/// form with its check character (`A9999 26 123456 [T]`), which must match.
pub fn parse_din(field: &'static str, s: &str) -> Result<Din, FieldError> {
    let t = s.trim();
    let r = if t.starts_with('=') {
        Din::parse(t)
    } else if t.len() == 13 {
        Din::parse_content(&format!("{t}00"))
    } else {
        Din::parse_keyed(t)
    };
    r.map_err(|e| FieldError::new(field, e.to_string()))
}

/// ABO/RhD as people write it (`O+`, `A NEG`, `AB pos`) or the ISBT 128 data (`=%5100`).
pub fn parse_blood_group(field: &'static str, s: &str) -> Result<BloodGroups, FieldError> {
    let t = s.trim();
    if t.starts_with("=%") {
        return BloodGroups::parse(t).map_err(|e| FieldError::new(field, e.to_string()));
    }
    let g = crate::BloodGroup::parse(t).map_err(|e| FieldError::new(field, e.message))?;
    let abo = match g.abo {
        crate::donor::Abo::O => isbt128::Abo::O,
        crate::donor::Abo::A => isbt128::Abo::A,
        crate::donor::Abo::B => isbt128::Abo::B,
        crate::donor::Abo::AB => isbt128::Abo::AB,
    };
    let rhd = if g.rhd_positive { isbt128::RhD::Positive } else { isbt128::RhD::Negative };
    let group = isbt128::BloodGroup::new(abo, Some(rhd), isbt128::IntendedUse::Default).map_err(|e| FieldError::new(field, e.to_string()))?;
    Ok(BloodGroups::new(group, isbt128::Phenotype::NONE))
}

/// A product code as `E0398V00` or `=<E0398V00`.
pub fn parse_product(field: &'static str, s: &str) -> Result<ProductCode, FieldError> {
    let t = s.trim();
    let data = if t.starts_with("=<") { t.to_string() } else { format!("=<{t}") };
    ProductCode::parse(&data).map_err(|e| FieldError::new(field, e.to_string()))
}

/// An expiry as local `YYYY-MM-DDTHH:MM` (or with a space) or ISBT 128 data (`&>…`).
pub fn parse_expiry(field: &'static str, s: &str) -> Result<ExpirationDateTime, FieldError> {
    let t = s.trim();
    if t.starts_with("&>") {
        return ExpirationDateTime::parse(t).map_err(|e| FieldError::new(field, e.to_string()));
    }
    let bad = || FieldError::new(field, format!("'{t}' is not a local date and time (write YYYY-MM-DDTHH:MM)"));
    let (d, hm) = t.split_once(['T', ' ']).ok_or_else(bad)?;
    let date = parse_date(field, d)?;
    let (h, m) = hm.split_once(':').ok_or_else(bad)?;
    let (h, m): (u8, u8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let dt = DateTime::new(date, h, m).map_err(|e| FieldError::new(field, e.to_string()))?;
    ExpirationDateTime::new(dt).map_err(|e| FieldError::new(field, e.to_string()))
}

pub fn parse_date(field: &'static str, s: &str) -> Result<Date, FieldError> {
    let t = s.trim();
    let parts: Vec<&str> = t.split('-').collect();
    let bad = || FieldError::new(field, format!("'{t}' is not a date (write YYYY-MM-DD)"));
    let [y, m, d] = parts.as_slice() else { return Err(bad()) };
    let (y, m, d) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    Date::new(y, m, d).map_err(|e| FieldError::new(field, e.to_string()))
}

/// Checked ISBT 128 values of a label, with its text.
#[derive(Debug, Clone)]
pub struct LabelValues {
    pub facility: String,
    pub din: Din,
    pub blood_groups: BloodGroups,
    pub product: ProductCode,
    pub expiry: ExpirationDateTime,
    pub collected: Option<Date>,
    /// Description lines, class first.
    pub description: Vec<String>,
}

/// Why a scanned label does not belong to the unit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelMismatch {
    #[error("the scan could not be read: {0}")]
    Unreadable(String),
    #[error("the scan holds no DIN; scan the DIN barcode (top left)")]
    NoDin,
    #[error("the scan holds no product code; scan the product barcode (bottom left)")]
    NoProduct,
    #[error("the label's DIN is {scanned}, but this unit is {expected}")]
    WrongDin { expected: String, scanned: String },
    #[error("the label's product code is {scanned}, but this unit is {expected}")]
    WrongProduct { expected: String, scanned: String },
}

/// Checks scans of a label (one concatenated scan or several) against the unit's
/// DIN and product code. Flags are not compared: the same DIN carries different
/// flags on different containers.
pub fn verify_label(expected_din: &Din, expected_product: &ProductCode, scans: &[&str]) -> Result<(), LabelMismatch> {
    let mut din = None;
    let mut product = None;
    for scan in scans {
        for item in isbt128::decode(scan).map_err(|e| LabelMismatch::Unreadable(e.to_string()))? {
            match item {
                DataStructure::Din(d) => din = Some(d),
                DataStructure::ProductCode(p) => product = Some(p),
                _ => {}
            }
        }
    }
    let din = din.ok_or(LabelMismatch::NoDin)?;
    let product = product.ok_or(LabelMismatch::NoProduct)?;
    if din.din() != expected_din.din() {
        return Err(LabelMismatch::WrongDin { expected: expected_din.din().to_string(), scanned: din.din().to_string() });
    }
    if product.encode() != expected_product.encode() {
        return Err(LabelMismatch::WrongProduct { expected: expected_product.encode(), scanned: product.encode() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_become_codec_values() {
        assert_eq!(parse_din("din", "A999926123456").unwrap().encode(), "=A99992612345600");
        assert_eq!(parse_din("din", "=A99992612345600").unwrap().din(), "A999926123456");
        assert_eq!(parse_din("din", "A9999 26 123456 [T]").unwrap().din(), "A999926123456");
        assert!(parse_din("din", "A9999 26 123456 [M]").unwrap_err().message.contains("T"));
        assert_eq!(parse_blood_group("g", "O+").unwrap().encode(), "=%5100");
        let ab_neg = parse_blood_group("g", "ab neg").unwrap();
        assert_eq!(ab_neg.encode(), parse_blood_group("g", "AB-").unwrap().encode());
        assert_eq!(ab_neg.group().abo(), Some(isbt128::Abo::AB));
        assert_eq!(ab_neg.group().rhd(), Some(isbt128::RhD::Negative));
        assert!(parse_blood_group("g", "C+").is_err());
        assert_eq!(parse_product("p", "E0398V00").unwrap().encode(), "=<E0398V00");
        assert!(parse_product("p", "e0398v00").is_err());
        assert_eq!(parse_expiry("e", "2026-12-31T23:59").unwrap().encode(), "&>0263652359");
        assert_eq!(parse_expiry("e", "&>0263652359").unwrap().encode(), "&>0263652359");
        for bad in ["2026-02-30T10:00", "2026-12-31T25:00", "tomorrow", "2026-12-31"] {
            assert!(parse_expiry("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_scan_must_match_the_unit() {
        let din = parse_din("din", "A999926123456").unwrap();
        let product = parse_product("p", "E0398V00").unwrap();
        assert_eq!(verify_label(&din, &product, &["=A99992612345600", "=<E0398V00&>0263652359"]), Ok(()));
        // Same DIN with other flags still matches.
        assert_eq!(verify_label(&din, &product, &["=A99992612345601=<E0398V00"]), Ok(()));
        assert!(matches!(verify_label(&din, &product, &["=A99992612345700=<E0398V00"]), Err(LabelMismatch::WrongDin { .. })));
        assert!(matches!(verify_label(&din, &product, &["=A99992612345600=<E0398VA0"]), Err(LabelMismatch::WrongProduct { .. })));
        assert_eq!(verify_label(&din, &product, &["=<E0398V00"]), Err(LabelMismatch::NoDin));
        assert_eq!(verify_label(&din, &product, &["=A99992612345600"]), Err(LabelMismatch::NoProduct));
        assert!(matches!(verify_label(&din, &product, &["garbage"]), Err(LabelMismatch::Unreadable(_))));
    }
}
