//! Search keys of a donor: the forms of name, phone and email that searches compare,
//! so that "Müller", "MULLER" and "muller" are one name and "+1 (217) 555-0101" and
//! "217.555.0101" one phone. The store keeps these keys next to each donor and
//! indexes them; a search folds what was typed the same way and looks the key up.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Lower case, accents removed, letters that do not decompose spelled out (ß → ss,
/// ø → o, ł → l, æ → ae …), apostrophes and dots dropped (O'Brien → obrien), every
/// other run of non-alphanumerics one space (Smith-Jones → smith jones, "Lee, Ann" →
/// "lee ann"), no leading or trailing space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for c in s.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        let spelled: Option<&str> = match c {
            'ß' | 'ẞ' => Some("ss"),
            'æ' | 'Æ' => Some("ae"),
            'œ' | 'Œ' => Some("oe"),
            'ø' | 'Ø' => Some("o"),
            'ł' | 'Ł' => Some("l"),
            'đ' | 'Đ' | 'ð' | 'Ð' => Some("d"),
            'þ' | 'Þ' => Some("th"),
            'ı' => Some("i"),
            _ => None,
        };
        if let Some(s) = spelled {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push_str(s);
        } else if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else if matches!(c, '\'' | '’' | '‘' | '`' | '´' | '.') {
            // Part of the word: O'Brien, St. John.
        } else {
            gap = true;
        }
    }
    out
}

/// The digits of a phone number, last digit first, so that "ends with" is a prefix.
pub fn phone_key(phone: &str) -> Option<String> {
    let rev: String = phone.chars().rev().filter(char::is_ascii_digit).collect();
    (!rev.is_empty()).then_some(rev)
}

/// An email as compared: trimmed, lower case.
pub fn email_key(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    (!e.is_empty()).then_some(e)
}

/// The keys kept with a donor record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonorKeys {
    /// "last first", folded: matched by "Müller", "muller, an", "mul".
    pub last_first: String,
    /// "first last", folded: matched by "Anna Müller", "ann".
    pub first_last: String,
    pub phone_rev: Option<String>,
    pub email: Option<String>,
}

impl DonorKeys {
    pub fn of(first_name: &str, last_name: &str, email: Option<&str>, phone: Option<&str>) -> Self {
        let (first, last) = (fold(first_name), fold(last_name));
        Self {
            last_first: join(&last, &first),
            first_last: join(&first, &last),
            phone_rev: phone.and_then(phone_key),
            email: email.and_then(email_key),
        }
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a} {b}"),
    }
}

/// The end of a key range for a prefix: every key that starts with `prefix` is
/// `>= prefix` and `< prefix_end(prefix)` in code point (and UTF-8 byte) order.
pub fn prefix_end(prefix: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + 4);
    s.push_str(prefix);
    s.push(char::MAX);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_case_accents_and_punctuation() {
        assert_eq!(fold("Müller"), "muller");
        assert_eq!(fold("MÜLLER"), "muller");
        assert_eq!(fold("Núñez"), "nunez");
        assert_eq!(fold("Weiß"), "weiss");
        assert_eq!(fold("Søndergaard"), "sondergaard");
        assert_eq!(fold("Łukasiewicz"), "lukasiewicz");
        assert_eq!(fold("Đorđević"), "dordevic");
        assert_eq!(fold("O'Brien"), "obrien");
        assert_eq!(fold("St. John"), "st john");
        assert_eq!(fold("Smith-Jones"), "smith jones");
        assert_eq!(fold("  Lee ,  Ann "), "lee ann");
        assert_eq!(fold("ﬁnn"), "finn");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn keys_of_a_donor() {
        let k = DonorKeys::of("Anna-Lena", "Müller", Some(" Anna@Example.ORG "), Some("+1 (217) 555-0101"));
        assert_eq!(k.last_first, "muller anna lena");
        assert_eq!(k.first_last, "anna lena muller");
        assert_eq!(k.phone_rev.as_deref(), Some("10105557121"));
        assert_eq!(k.email.as_deref(), Some("anna@example.org"));
        let none = DonorKeys::of("A", "B", Some("  "), Some("()"));
        assert_eq!((none.phone_rev, none.email), (None, None));
    }

    #[test]
    fn prefix_range_holds_every_extension_and_nothing_after() {
        let end = prefix_end("mul");
        for k in ["mul", "muller anna", "mul\u{fffd}", "mulz"] {
            assert!(k >= "mul" && k < end.as_str(), "{k}");
        }
        for k in ["mum", "mu", "muk zz"] {
            assert!(!(k >= "mul" && k < end.as_str()), "{k}");
        }
        // Byte order agrees with code point order, which is what SQLite compares.
        assert!("mul\u{fffd}".as_bytes() < end.as_bytes());
    }
}
