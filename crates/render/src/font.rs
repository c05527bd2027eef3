//! The PDF standard Helvetica fonts as hemaflow uses them: text in WinAnsi encoding
//! (characters outside it become their ASCII form or '?') and the glyph widths needed
//! to wrap and right-align text. The widths are Adobe's published font metrics
//! (Helvetica and Helvetica-Bold AFM), in thousandths of the font size, for codes
//! 32 to 255.

/// A character's WinAnsi bytes: itself for ASCII and Latin-1, the Windows-1252 code
/// for typographic marks (– — ‘ ’ “ ” • … € ™), an ASCII stand-in for a few common
/// symbols (− ≤ ≥ → ✓), '?' for anything else. Control characters become spaces.
fn push_char(out: &mut Vec<u8>, ch: char) {
    let code = ch as u32;
    let byte = match ch {
        '\t' | '\n' | '\r' => b' ',
        _ if (0x20..0x7F).contains(&code) || (0xA0..=0xFF).contains(&code) => code as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        '\u{2010}' | '\u{2011}' | '\u{2212}' => b'-',
        '\u{2002}'..='\u{200A}' | '\u{202F}' => b' ',
        '≤' => return out.extend_from_slice(b"<="),
        '≥' => return out.extend_from_slice(b">="),
        '→' => return out.extend_from_slice(b"->"),
        '←' => return out.extend_from_slice(b"<-"),
        '✓' | '✔' => return out.extend_from_slice(b"OK"),
        _ if ch.is_control() => b' ',
        _ => b'?',
    };
    out.push(byte);
}

/// `text` as WinAnsi bytes for the standard fonts.
pub fn winansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        push_char(&mut out, ch);
    }
    out
}

/// The width of `text` at font size `size` (any unit; the result is in the same one).
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let table = if bold { &BOLD } else { &REGULAR };
    let units: u32 = winansi(text).iter().map(|&b| u32::from(table[usize::from(b.max(32)) - 32])).sum();
    f64::from(units) * size / 1000.0
}

const REGULAR: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584,
    584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667,
    611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500,
    722, 500, 500, 500, 334, 260, 334, 584, 350, 556, 350, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, 350, 222, 222,
    333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 350, 500, 667, 278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737,
    333, 400, 584, 333, 333, 333, 578, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, 667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667,
    278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 500, 556,
    556, 556, 556, 278, 278, 278, 278, 556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];
const BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584,
    584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667,
    611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556,
    778, 556, 556, 500, 389, 280, 389, 584, 350, 556, 350, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, 350, 278, 278,
    500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 350, 500, 667, 278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737,
    333, 400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, 722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667,
    278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 556, 556,
    556, 556, 556, 278, 278, 278, 278, 611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winansi_keeps_latin1_and_maps_typographic_marks() {
        assert_eq!(winansi("é °C"), vec![0xE9, b' ', 0xB0, b'C']);
        assert_eq!(winansi("1–6 €"), vec![b'1', 0x96, b'6', b' ', 0x80]);
        assert_eq!(winansi("≤ −65"), b"<= -65".to_vec());
        assert_eq!(winansi("日本"), b"??".to_vec());
        assert_eq!(winansi("a\nb"), b"a b".to_vec());
    }

    #[test]
    fn widths_are_helvetica_metrics() {
        // "Hi": H 722 + i 222 = 944 thousandths; bold H 722 + i 278 = 1000.
        assert!((text_width("Hi", 10.0, false) - 9.44).abs() < 1e-9);
        assert!((text_width("Hi", 10.0, true) - 10.0).abs() < 1e-9);
        // Digits are all 556 wide, so amounts line up.
        assert_eq!(text_width("0123456789", 1.0, false), text_width("9999999999", 1.0, false));
        assert!((text_width("é", 1.0, false) - 0.556).abs() < 1e-9);
        assert!((text_width("–", 1.0, false) - 0.556).abs() < 1e-9);
    }
}
