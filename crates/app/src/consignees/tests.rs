use super::*;

#[test]
fn deadlines_in_words() {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert_eq!(deadline_words(Some(d("2026-12-08")), None, d("2026-12-10")), "not sent; overdue by 2 days (due 2026-12-08)");
    assert_eq!(deadline_words(Some(d("2026-12-08")), None, d("2026-12-07")), "not sent; due 2026-12-08, in 1 day");
    assert_eq!(deadline_words(Some(d("2026-12-08")), Some(d("2026-12-08")), d("2026-12-20")), "sent 2026-12-08, in time (due 2026-12-08)");
    assert_eq!(deadline_words(Some(d("2026-12-08")), Some(d("2026-12-11")), d("2026-12-20")), "sent 2026-12-11, 3 days late (due 2026-12-08)");
    assert_eq!(deadline_words(None, None, d("2026-12-20")), "not sent");
}

#[test]
fn unit_entries_are_a_din_or_a_din_and_product_code() {
    assert_eq!(parse_unit_entry("a9999 26 000123"), Some(("A999926000123".into(), None)));
    assert_eq!(parse_unit_entry("A999926000123 E0398V00"), Some(("A999926000123".into(), Some("E0398V00".into()))));
    assert_eq!(parse_unit_entry("A999926000123/E0398V00"), Some(("A999926000123".into(), Some("E0398V00".into()))));
    assert_eq!(parse_unit_entry("W1234"), None);
}
