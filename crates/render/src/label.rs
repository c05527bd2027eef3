//! The 100 mm × 100 mm ISBT 128 unit label: four quadrants (DIN top left, ABO/RhD
//! top right, product bottom left, expiry bottom right), each with its Code 128
//! symbol and eye-readable text, plus a Data Matrix carrying the compound message.
//!
//! Positions follow the quadrant assignment in reference/isbt128.md §4; ICCBBA's
//! exact millimetre offsets (ST-005) are not public, so ours keep the published
//! rules: X = 0.25 mm, quiet zones of at least 10X, bars at least 5 mm high, nothing
//! touching the bars, DIN beside blood group and product beside expiry so each pair
//! can be read as one concatenated scan.

use crate::barcode::{BarcodeError, Code128, DataMatrix};
use crate::drawing::Drawing;
use std::fmt::Write;

/// Everything printed on a unit label, already encoded by the ISBT 128 codec.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitLabel {
    /// Facility name and FIN, printed above the DIN.
    pub facility: String,
    /// DIN barcode data with its data identifier, e.g. `=A99982600012300`.
    pub din_data: String,
    /// Eye-readable DIN, e.g. `A9998 26 000123`.
    pub din_text: String,
    /// Flag characters printed beside the DIN (rotated in print practice; here upright).
    pub din_flags: String,
    /// The keyboard-entry check character, printed boxed.
    pub din_check: char,
    pub collected: Option<String>,
    pub group_data: String,
    /// Large text: ABO on the first line, RhD on the second.
    pub group_text: Vec<String>,
    pub product_data: String,
    /// Class first (largest), then modifier and attributes.
    pub product_text: Vec<String>,
    pub expiry_data: String,
    pub expiry_text: String,
    /// The compound message (`=+…`) for the Data Matrix symbol.
    pub compound_data: String,
    /// Warnings printed across the bottom (e.g. emergency release).
    pub notices: Vec<String>,
}

/// The ISBT 128 values of one unit, checked by the codec, and the text around them.
#[derive(Debug, Clone)]
pub struct UnitLabelSource<'a> {
    pub facility: &'a str,
    pub din: &'a isbt128::Din,
    pub blood_groups: &'a isbt128::BloodGroups,
    pub product: &'a isbt128::ProductCode,
    pub expiry: &'a isbt128::ExpirationDateTime,
    pub collected: Option<&'a isbt128::Date>,
    /// Product description lines, class first (from the catalog or the licensed table).
    pub description: Vec<String>,
    pub notices: Vec<String>,
}

impl UnitLabel {
    /// Lays out the label from codec values: each quadrant's barcode carries the
    /// structure's exact encoding, and the Data Matrix their compound message.
    pub fn from_isbt(s: &UnitLabelSource<'_>) -> Self {
        let structures = [s.din.encode(), s.blood_groups.encode(), s.product.encode(), s.expiry.encode()];
        let header = isbt128::CompoundHeader::new(structures.len() as u8, 0).expect("4 structures, unspecified order").encode();
        let group = s.blood_groups.group();
        let group_text = match (group.special_message(), group.abo(), group.rhd()) {
            (None, Some(abo), Some(rhd)) => vec![
                abo.as_str().to_string(),
                match rhd {
                    isbt128::RhD::Positive => "Rh POSITIVE".to_string(),
                    isbt128::RhD::Negative => "Rh NEGATIVE".to_string(),
                    other => format!("Rh {other:?}").to_uppercase(),
                },
            ],
            _ => vec![group.to_string()],
        };
        let eye = s.din.eye_readable();
        UnitLabel {
            facility: format!("{} · {}", s.facility, s.din.fin()),
            din_data: s.din.encode(),
            din_text: format!("{} {} {}", &s.din.din()[..5], &s.din.din()[5..7], &s.din.din()[7..]),
            din_flags: eye.flags.clone().unwrap_or_default(),
            din_check: eye.check_character,
            collected: s.collected.map(|d| format!("Collected {}", d.human())),
            group_data: s.blood_groups.encode(),
            group_text,
            product_data: s.product.encode(),
            product_text: if s.description.is_empty() { vec![format!("Product {}", s.product.pdc())] } else { s.description.clone() },
            expiry_data: s.expiry.encode(),
            expiry_text: format!("EXP {}", s.expiry.date_time().human()),
            compound_data: format!("{header}{}", structures.concat()),
            notices: s.notices.clone(),
        }
    }
}

impl UnitLabel {
    /// The label of checked label values, with optional warnings.
    pub fn from_values(v: &domain::labeling::LabelValues, notices: Vec<String>) -> Self {
        Self::from_isbt(&UnitLabelSource {
            facility: &v.facility,
            din: &v.din,
            blood_groups: &v.blood_groups,
            product: &v.product,
            expiry: &v.expiry,
            collected: v.collected.as_ref(),
            description: v.description.clone(),
            notices,
        })
    }
}

/// Module width (X) of the linear symbols.
pub const X: f64 = 0.25;
const BAR_H: f64 = 10.0;
const QUIET: f64 = 10.0 * X;
const DM_X: f64 = 0.5;

pub struct Symbols {
    pub din: Code128,
    pub group: Code128,
    pub product: Code128,
    pub expiry: Code128,
    pub matrix: DataMatrix,
}

impl UnitLabel {
    pub fn symbols(&self) -> Result<Symbols, BarcodeError> {
        Ok(Symbols {
            din: Code128::encode(&self.din_data)?,
            group: Code128::encode(&self.group_data)?,
            product: Code128::encode(&self.product_data)?,
            expiry: Code128::encode(&self.expiry_data)?,
            matrix: DataMatrix::encode(&self.compound_data)?,
        })
    }

    pub fn to_drawing(&self) -> Result<Drawing, BarcodeError> {
        let s = self.symbols()?;
        let mut d = Drawing::new(100.0, 100.0);
        // Quadrant rules; warnings get a band of their own across the bottom.
        let band = if self.notices.is_empty() { 0.0 } else { 4.0 * self.notices.len() as f64 + 3.0 };
        d.fill(49.9, 2.0, 0.2, 96.0 - band);
        d.fill(2.0, 49.9, 96.0, 0.2);
        if band > 0.0 {
            d.fill(2.0, 98.0 - band, 96.0, 0.2);
        }

        // Top left: facility, DIN, collection date.
        d.text(QUIET, 5.0, 2.4, false, &self.facility);
        d.code128(&s.din, QUIET, 8.0, X, BAR_H);
        let y = 8.0 + BAR_H + 4.6;
        d.text(QUIET, y, 3.6, true, &self.din_text);
        let flags_x = QUIET + 0.62 * 3.6 * self.din_text.len() as f64 + 1.5;
        d.text(flags_x, y, 2.4, false, &self.din_flags);
        let box_x = flags_x + 5.0;
        d.frame(box_x - 0.9, y - 3.7, 4.2, 4.8, 0.25);
        d.text(box_x, y, 3.2, true, self.din_check.to_string());
        if let Some(c) = &self.collected {
            d.text(QUIET, y + 5.0, 2.4, false, c);
        }

        // Top right: ABO/RhD.
        d.code128(&s.group, 50.0 + QUIET, 8.0, X, BAR_H);
        for (i, line) in self.group_text.iter().enumerate() {
            let size = if i == 0 { 11.0 } else { 5.0 };
            let y = if i == 0 { 32.0 } else { 32.0 + 6.5 * i as f64 };
            d.text(50.0 + QUIET, y, size, true, line);
        }

        // Bottom left: product code and description.
        d.code128(&s.product, QUIET, 55.0, X, BAR_H);
        for (i, line) in self.product_text.iter().enumerate() {
            let size = if i == 0 { 4.0 } else { 2.6 };
            d.text(QUIET, 55.0 + BAR_H + 5.0 + 4.5 * i as f64, size, i == 0, line);
        }

        // Bottom right: expiry, then the Data Matrix.
        d.code128(&s.expiry, 50.0 + QUIET, 55.0, X, BAR_H);
        d.text(50.0 + QUIET, 55.0 + BAR_H + 4.5, 3.4, true, &self.expiry_text);
        let dm = s.matrix.size as f64 * DM_X;
        d.datamatrix(&s.matrix, 98.0 - 2.0 * DM_X - dm, 98.0 - band - 2.0 * DM_X - dm, DM_X);

        for (i, n) in self.notices.iter().enumerate() {
            d.text(QUIET, 97.0 - 4.0 * (self.notices.len() - 1 - i) as f64, 3.2, true, n);
        }
        Ok(d)
    }

    pub fn to_svg(&self) -> Result<String, BarcodeError> {
        Ok(self.to_drawing()?.to_svg())
    }

    pub fn to_pdf(&self) -> Result<Vec<u8>, BarcodeError> {
        Ok(self.to_drawing()?.to_pdf())
    }

    /// ZPL II for a Zebra printer at `dpmm` dots per millimetre (8 = 203 dpi,
    /// 12 = 300 dpi). The printer draws the symbols itself from the same data.
    pub fn to_zpl(&self, dpmm: u32) -> Result<String, BarcodeError> {
        // Checks the data encodes before sending anything to a printer.
        self.symbols()?;
        let d = |mm: f64| (mm * dpmm as f64).round() as i64;
        let module = ((X * dpmm as f64).round() as i64).max(1);
        let mut z = String::new();
        let _ = write!(z, "^XA^CI28^PW{}^LL{}^LH0,0", d(100.0), d(100.0));
        let text = |z: &mut String, x: f64, y: f64, h: f64, s: &str| {
            let _ = write!(z, "^FO{},{}^A0N,{},{}{}^FS", d(x), d(y - h), d(h), d(h), zpl_field(s));
        };
        // Code 128 in automatic subset mode (A); no interpretation line: our text is separate.
        let code = |z: &mut String, x: f64, y: f64, data: &str| {
            let _ = write!(z, "^FO{},{}^BY{}^BCN,{},N,N,N,A{}^FS", d(x), d(y), module, d(BAR_H), zpl_field(data));
        };
        let _ = write!(z, "^FO{},{}^GB{},{},{}^FS", d(49.9), d(2.0), d(0.2).max(1), d(96.0), d(0.2).max(1));
        let _ = write!(z, "^FO{},{}^GB{},{},{}^FS", d(2.0), d(49.9), d(96.0), d(0.2).max(1), d(0.2).max(1));
        text(&mut z, QUIET, 5.0, 2.4, &self.facility);
        code(&mut z, QUIET, 8.0, &self.din_data);
        let din_line = [self.din_text.as_str(), self.din_flags.as_str(), &format!("[{}]", self.din_check)]
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        text(&mut z, QUIET, 22.6, 3.6, &din_line);
        if let Some(c) = &self.collected {
            text(&mut z, QUIET, 27.6, 2.4, c);
        }
        code(&mut z, 50.0 + QUIET, 8.0, &self.group_data);
        for (i, line) in self.group_text.iter().enumerate() {
            text(&mut z, 50.0 + QUIET, 32.0 + 6.5 * i as f64, if i == 0 { 11.0 } else { 5.0 }, line);
        }
        code(&mut z, QUIET, 55.0, &self.product_data);
        for (i, line) in self.product_text.iter().enumerate() {
            text(&mut z, QUIET, 70.0 + 4.5 * i as f64, if i == 0 { 4.0 } else { 2.6 }, line);
        }
        code(&mut z, 50.0 + QUIET, 55.0, &self.expiry_data);
        text(&mut z, 50.0 + QUIET, 69.5, 3.4, &self.expiry_text);
        let _ = write!(z, "^FO{},{}^BXN,{},200{}^FS", d(78.0), d(78.0), d(DM_X).max(1), zpl_field(&self.compound_data));
        for (i, n) in self.notices.iter().enumerate() {
            text(&mut z, QUIET, 97.0 - 4.0 * (self.notices.len() - 1 - i) as f64, 3.2, n);
        }
        z.push_str("^XZ");
        Ok(z)
    }
}

/// The field data command for `s`. `^` and `~` start ZPL commands, so a value that
/// holds them is sent as hexadecimal under `^FH` instead.
fn zpl_field(s: &str) -> String {
    if s.contains(['^', '~', '_']) {
        let mut out = String::from("^FH^FD");
        for b in s.bytes() {
            let _ = write!(out, "_{b:02X}");
        }
        out
    } else {
        format!("^FD{s}")
    }
}

#[cfg(test)]
pub(crate) fn sample() -> UnitLabel {
    UnitLabel {
        facility: "Riverside Donor Center · A9998".into(),
        din_data: "=A99982600012300".into(),
        din_text: "A9998 26 000123".into(),
        din_flags: "00".into(),
        din_check: 'N',
        collected: Some("Collected 2026-11-20".into()),
        group_data: "=%5100".into(),
        group_text: vec!["O".into(), "Rh POSITIVE".into()],
        product_data: "=<E0398V00".into(),
        product_text: vec!["RED BLOOD CELLS".into(), "CPD>AS5/450mL/refg".into(), "Irradiated · ResLeu".into()],
        expiry_data: "&>0263652359".into(),
        expiry_text: "EXP 2026-12-31 23:59".into(),
        compound_data: "=+04000=A99982600012300=%5100=<E0398V00&>0263652359".into(),
        notices: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_symbol_fits_its_quadrant_with_quiet_zones() {
        let s = sample().symbols().unwrap();
        for (name, c) in [("din", &s.din), ("group", &s.group), ("product", &s.product), ("expiry", &s.expiry)] {
            let w = c.modules.len() as f64 * X + 2.0 * QUIET;
            assert!(w <= 49.0, "{name} symbol is {w} mm wide");
        }
    }

    #[test]
    fn zpl_names_every_field_once() {
        let z = sample().to_zpl(12).unwrap();
        assert!(z.starts_with("^XA") && z.ends_with("^XZ"));
        for data in ["=A99982600012300", "=%5100", "=<E0398V00", "&>0263652359"] {
            assert_eq!(z.matches(&format!("^FD{data}^FS")).count(), 1, "{data}");
        }
        assert!(z.contains("^BXN,6,200^FD=+04000"));
        assert_eq!(z.matches("^BCN").count(), 4);
    }

    #[test]
    fn zpl_command_characters_in_text_are_sent_as_hex() {
        assert_eq!(zpl_field("A^B"), "^FH^FD_41_5E_42");
        assert_eq!(zpl_field("=%5100"), "^FD=%5100");
    }

    #[test]
    fn label_from_codec_values_carries_their_exact_encodings() {
        let din = isbt128::Din::new("A9998", 2026, 123, isbt128::Flags::NONE).unwrap();
        let groups = isbt128::BloodGroups::parse("=%5100").unwrap();
        let product = isbt128::ProductCode::parse("=<E0398V00").unwrap();
        let expiry = isbt128::ExpirationDateTime::parse("&>0263652359").unwrap();
        let l = UnitLabel::from_isbt(&UnitLabelSource {
            facility: "Riverside",
            din: &din,
            blood_groups: &groups,
            product: &product,
            expiry: &expiry,
            collected: None,
            description: vec![],
            notices: vec![],
        });
        assert_eq!(l.din_data, "=A99982600012300");
        assert_eq!(l.din_text, "A9998 26 000123");
        assert_eq!(l.din_check, din.check_character());
        assert_eq!(l.group_text, vec!["O", "Rh POSITIVE"]);
        assert_eq!(l.expiry_text, "EXP 31 DEC 2026 23:59");
        // The compound message decodes back to the four structures.
        let decoded = isbt128::decode(&l.compound_data).unwrap();
        let data: Vec<String> = decoded.iter().map(|d| d.encode()).collect();
        assert_eq!(&data[data.len() - 4..], &[l.din_data.clone(), l.group_data.clone(), l.product_data.clone(), l.expiry_data.clone()]);
    }

    #[test]
    fn bad_data_is_refused_before_printing() {
        let mut l = sample();
        l.din_data = "=A9998é".into();
        assert!(l.to_zpl(8).is_err());
        assert!(l.to_pdf().is_err());
    }
}
