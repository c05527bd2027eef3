use super::*;
use ProductClass::*;

const LIST: &str = r#"{
    "currency": "USD",
    "products": [
        {"product": "red_cells", "unit_cents": 21000},
        {"product": "platelets", "unit_cents": 52550},
        {"product": "plasma", "unit_cents": 6001}
    ],
    "surcharges": [
        {"attribute": "irradiated", "unit_cents": 2500},
        {"attribute": "CMV-negative", "unit_cents": 1250}
    ],
    "volume_tiers": [
        {"min_units": 100, "discount_percent": 5},
        {"min_units": 500, "discount_percent": 7.5}
    ],
    "delivery_fee_cents": {"routine": 4500, "urgent": 15000},
    "return_credit_percent": 80,
    "payment_terms_days": 30,
    "tax_percent": 0
}"#;

fn list() -> PriceList {
    PriceList::from_json(LIST).unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn line(amount: i64, tax: u32) -> InvoiceLine {
    InvoiceLine::new(InvoiceLineKind::Product, "Red cells", "A9999 26 000001 E0336V00", 1, amount, Percent::from_hundredths(tax).unwrap()).unwrap()
}

fn errors_of(text: &str) -> FieldErrors {
    PriceList::from_json(text).unwrap_err()
}

fn with(f: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(LIST).unwrap();
    f(&mut v);
    v.to_string()
}

#[test]
fn pricing_reads_a_list_and_writes_it_back_the_same() {
    let l = list();
    assert_eq!(l.products.len(), 3);
    assert_eq!(l.volume_tiers[1].discount_percent, Percent::from_hundredths(750).unwrap());
    let again = PriceList::from_json(&serde_json::to_string(&l).unwrap()).unwrap();
    assert_eq!(again, l);
    let json = serde_json::to_value(&l).unwrap();
    assert_eq!(json["volume_tiers"][0]["discount_percent"], serde_json::json!(5));
    assert_eq!(json["volume_tiers"][1]["discount_percent"], serde_json::json!(7.5));
}

#[test]
fn pricing_json_errors_name_the_field() {
    let e = errors_of(&with(|v| v["products"][1]["product"] = "blood".into()));
    assert_eq!(e.0[0].field, "products[1].product");
    assert!(e.0[0].message.contains("unknown variant"), "{e}");
    let e = errors_of(&with(|v| v["colour"] = "red".into()));
    assert!(e.0[0].message.contains("unknown field `colour`"), "{e}");
    let e = errors_of(&with(|v| v["volume_tiers"][1]["discount_percent"] = serde_json::json!(7.555)));
    assert_eq!(e.0[0].field, "volume_tiers[1].discount_percent");
    assert!(e.0[0].message.contains("more than two decimals"), "{e}");
    let e = errors_of(&with(|v| v["tax_percent"] = serde_json::json!(101)));
    assert_eq!(e.0[0].field, "tax_percent");
    assert!(e.0[0].message.contains("from 0 to 100"), "{e}");
    let e = errors_of(&with(|v| v["return_credit_percent"] = serde_json::json!(-1)));
    assert_eq!(e.0[0].field, "return_credit_percent");
    let e = errors_of(&with(|v| v["payment_terms_days"] = serde_json::json!(-30)));
    assert_eq!(e.0[0].field, "payment_terms_days");
    let e = errors_of("{not json");
    assert_eq!(e.0[0].field, "price_list");
    let e = errors_of(&with(|v| {
        v.as_object_mut().unwrap().remove("delivery_fee_cents");
    }));
    assert!(e.0[0].message.contains("missing field `delivery_fee_cents`"), "{e}");
}

#[test]
fn pricing_validate_refuses_each_bad_value_on_its_field() {
    let e = errors_of(&with(|v| {
        v["currency"] = "usd".into();
        v["products"][2]["unit_cents"] = serde_json::json!(-1);
        v["products"][1]["product"] = "red_cells".into();
        v["surcharges"][1]["attribute"] = "Irradiated ".into();
        v["surcharges"][0]["unit_cents"] = serde_json::json!(-5);
        v["volume_tiers"][1]["min_units"] = serde_json::json!(100);
        v["delivery_fee_cents"]["urgent"] = serde_json::json!(-1);
        v["payment_terms_days"] = serde_json::json!(400);
    }));
    for field in [
        "currency",
        "products[2].unit_cents",
        "products[1].product",
        "surcharges[1].attribute",
        "surcharges[0].unit_cents",
        "volume_tiers[1].min_units",
        "delivery_fee_cents.urgent",
        "payment_terms_days",
    ] {
        assert!(e.message_for(field).is_some(), "{field} not refused: {e}");
    }
    assert_eq!(e.0.len(), 8, "{e}");
    assert!(e.message_for("products[1].product").unwrap().contains("already priced at products[0]"));
    assert!(e.message_for("currency").unwrap().contains("three capital letters"));
}

#[test]
fn pricing_validate_refuses_empty_products_and_bad_tiers() {
    let e = errors_of(&with(|v| v["products"] = serde_json::json!([])));
    assert!(e.message_for("products").unwrap().contains("no product"));
    let e = errors_of(&with(|v| v["volume_tiers"][1]["discount_percent"] = serde_json::json!(5)));
    assert!(e.message_for("volume_tiers[1].discount_percent").unwrap().contains("more than the previous tier's 5%"), "{e}");
    let e = errors_of(&with(|v| v["volume_tiers"][1]["discount_percent"] = serde_json::json!(100)));
    assert!(e.message_for("volume_tiers[1].discount_percent").unwrap().contains("100%"), "{e}");
    let e = errors_of(&with(|v| v["volume_tiers"][0]["min_units"] = serde_json::json!(0)));
    assert!(e.message_for("volume_tiers[0].min_units").is_some(), "{e}");
    let e = errors_of(&with(|v| v["surcharges"][0]["attribute"] = " ".into()));
    assert!(e.message_for("surcharges[0].attribute").is_some(), "{e}");
    let e = errors_of(&with(|v| v["products"][0]["unit_cents"] = serde_json::json!(100_000_001)));
    assert!(e.message_for("products[0].unit_cents").unwrap().contains("more than 1,000,000.00"), "{e}");
    assert!(PriceList::from_json(&with(|v| v["products"][0]["unit_cents"] = serde_json::json!(100_000_000))).is_ok());
    let e = errors_of(&with(|v| v["delivery_fee_cents"]["routine"] = serde_json::json!(i64::MAX)));
    assert!(e.message_for("delivery_fee_cents.routine").is_some(), "{e}");
    let e = errors_of(&with(|v| v["currency"] = "EURO".into()));
    assert!(e.message_for("currency").is_some(), "{e}");
}

#[test]
fn pricing_optional_sections_default_to_none() {
    let l = PriceList::from_json(
        r#"{"currency":"EUR","products":[{"product":"cryo","unit_cents":9000}],"delivery_fee_cents":{"routine":0,"urgent":0},"payment_terms_days":0}"#,
    )
    .unwrap();
    assert!(l.surcharges.is_empty() && l.volume_tiers.is_empty());
    assert_eq!((l.tax_percent, l.return_credit_percent), (Percent::ZERO, Percent::ZERO));
    let p = price_unit(&l, Cryo, &[], 10_000).unwrap();
    assert_eq!(p.total_cents, 9000);
}

#[test]
fn pricing_tier_boundaries() {
    let l = list();
    // 99 units: below the first tier (100) → no discount: 210.00.
    let p = price_unit(&l, RedCells, &[], 99).unwrap();
    assert_eq!((p.discount_cents, p.total_cents), (0, 21000));
    assert!(p.explanation.iter().any(|e| e.contains("first tier starts at 100")), "{:?}", p.explanation);
    // 100 units: exactly the first tier → 5 % of 210.00 = 10.50 → 199.50.
    let p = price_unit(&l, RedCells, &[], 100).unwrap();
    assert_eq!((p.discount_cents, p.total_cents), (1050, 19950));
    // 499 still the first tier; 500 the second: 7.5 % of 21 000 = 1 575 → 194.25.
    assert_eq!(price_unit(&l, RedCells, &[], 499).unwrap().discount_cents, 1050);
    let p = price_unit(&l, RedCells, &[], 500).unwrap();
    assert_eq!((p.discount_cents, p.total_cents), (1575, 19425));
    assert_eq!(p.discount_percent.to_string(), "7.5%");
    // Platelets 525.50 at 7.5 %: 39.4125 → 39.41 (below half a cent, down).
    assert_eq!(price_unit(&l, Platelets, &[], 500).unwrap().discount_cents, 3941);
    // Plasma 60.01 at 7.5 %: 4.500 75 → 4.50; at 5 %: 3.0005 → 3.00.
    assert_eq!(price_unit(&l, Plasma, &[], 500).unwrap().discount_cents, 450);
    assert_eq!(price_unit(&l, Plasma, &[], 100).unwrap().discount_cents, 300);
}

#[test]
fn pricing_surcharges_add_after_the_discount_and_are_not_discounted() {
    let l = list();
    // 199.50 discounted red cells + 25.00 irradiated + 12.50 CMV-negative = 237.00.
    let p = price_unit(&l, RedCells, &["irradiated", "cmv-negative", "Irradiated", "leukoreduced"], 100).unwrap();
    assert_eq!((p.base_cents, p.discount_cents, p.surcharge_cents, p.total_cents), (21000, 1050, 3750, 23700));
    assert_eq!(p.surcharges.len(), 2, "a repeated attribute is charged once");
    assert!(p.explanation.contains(&"Irradiated surcharge: 25.00".to_string()), "{:?}", p.explanation);
    assert!(p.explanation.contains(&"Leukoreduced: no surcharge on this price list".to_string()), "{:?}", p.explanation);
    assert_eq!(p.explanation.last().unwrap(), "Unit price: 237.00 USD");
    let lines = unit_lines(&l, RedCells, &p, "A9999 26 000001 E0336V00");
    assert_eq!(lines.iter().map(|l| l.amount_cents).collect::<Vec<_>>(), vec![19950, 2500, 1250]);
    assert_eq!(lines[0].description, "Red cells (5% volume discount)");
    assert_eq!(lines[2].description, "CMV-negative surcharge");
    assert_eq!(totals(&lines).net_cents, p.total_cents);
}

#[test]
fn pricing_refuses_a_product_not_listed_and_negative_units() {
    let e = price_unit(&list(), WholeBlood, &[], 0).unwrap_err();
    assert_eq!(e, PricingError::ProductNotListed(WholeBlood));
    assert!(e.to_string().starts_with("Whole blood is not on this price list"));
    assert_eq!(price_unit(&list(), RedCells, &[], -1).unwrap_err(), PricingError::NegativeUnits(-1));
}

#[test]
fn pricing_percent_of_rounds_half_away_from_zero() {
    let p = |h| Percent::from_hundredths(h).unwrap();
    // 10 % of 5 cents = 0.5 → 1; of −5 → −1; of 4 → 0.4 → 0.
    assert_eq!(percent_of(5, p(1000)), 1);
    assert_eq!(percent_of(-5, p(1000)), -1);
    assert_eq!(percent_of(4, p(1000)), 0);
    // 7.5 % of 1 010 = 75.75 → 76.
    assert_eq!(percent_of(1010, p(750)), 76);
    assert_eq!(percent_of(i64::MAX, Percent::HUNDRED), i64::MAX);
    assert_eq!(percent_of(i64::MIN + 1, Percent::HUNDRED), i64::MIN + 1);
    assert_eq!(Percent::whole(101), None);
    assert_eq!(Percent::from_hundredths(1225).unwrap().to_string(), "12.25%");
}

#[test]
fn pricing_tax_is_rounded_per_line_then_added() {
    // 8.25 % tax. 1.01 → 0.083 325 → 0.08; 0.06 → 0.004 95 → 0.00; 2.00 → 0.165 → 0.17 (half up).
    let lines = vec![line(101, 825), line(6, 825), line(200, 825)];
    assert_eq!(lines.iter().map(InvoiceLine::tax_cents).collect::<Vec<_>>(), vec![8, 0, 17]);
    // Net 3.07; per-line tax 0.25 (the whole-invoice tax would be 0.253 → 0.25 too, but
    // each shown line tax must add up to the total shown).
    assert_eq!(totals(&lines), InvoiceTotals { net_cents: 307, tax_cents: 25, total_cents: 332 });
    // A 0.5-cent tax on an odd cent: 10 % of 0.05 = 0.005 → 0.01; exempt lines add nothing.
    assert_eq!(totals(&[line(5, 1000), line(99_999, 0)]), InvoiceTotals { net_cents: 100_004, tax_cents: 1, total_cents: 100_005 });
    assert_eq!(totals(&[]), InvoiceTotals::default());
}

#[test]
fn pricing_delivery_and_return_credit_lines() {
    let l = list();
    assert_eq!(delivery_line(&l, false, "SH-2026-000042").amount_cents, 4500);
    let urgent = delivery_line(&l, true, "SH-2026-000042");
    assert_eq!((urgent.amount_cents, urgent.description.as_str()), (15000, "Urgent delivery"));
    // 80 % of 237.00 = 189.60, credited.
    let c = return_credit_line(&l, 23700, "A9999 26 000001 E0336V00");
    assert_eq!((c.kind, c.amount_cents), (InvoiceLineKind::ReturnCredit, -18960));
    assert_eq!(c.description, "Return credit (80% of 237.00)");
    // 80 % of 0.01 = 0.008 → 0.01.
    assert_eq!(return_credit_line(&l, 1, "x").amount_cents, -1);
}

#[test]
fn pricing_line_amount_overflow_is_refused() {
    let e = InvoiceLine::new(InvoiceLineKind::Adjustment, "x", "y", i64::MAX, 2, Percent::ZERO).unwrap_err();
    assert!(matches!(e, PricingError::AmountOverflow { .. }));
    let l = InvoiceLine::new(InvoiceLineKind::Apheresis, "Plasma exchange", "PR-17", 3, 12_345, Percent::ZERO).unwrap();
    assert_eq!(l.amount_cents, 37_035);
}

#[test]
fn pricing_due_date_and_status() {
    let issued = d("2026-01-31");
    // 30 days after 31 January is 2 March (2026 is not a leap year).
    let due = due_date(issued, 30);
    assert_eq!(due, d("2026-03-02"));
    assert_eq!(due_date(issued, 0), issued);
    assert_eq!(status_on(d("2026-03-02"), due, None, false), InvoiceStatus::Issued, "due today is not late");
    assert_eq!(status_on(d("2026-03-03"), due, None, false), InvoiceStatus::Overdue);
    assert_eq!(status_on(d("2026-03-10"), due, Some(d("2026-03-09")), false), InvoiceStatus::Paid, "paid late is paid");
    assert_eq!(status_on(d("2026-02-10"), due, Some(d("2026-02-20")), false), InvoiceStatus::Issued, "a payment dated later is not yet counted");
    assert_eq!(status_on(d("2026-04-01"), due, None, true), InvoiceStatus::Credited);
    assert_eq!(status_on(d("2026-04-01"), due, Some(d("2026-02-01")), true), InvoiceStatus::Credited);
}

#[test]
fn pricing_credit_note_negates_lines_and_their_tax_exactly() {
    let l = list();
    let mut invoice = vec![line(101, 825), line(200, 825), delivery_line(&l, true, "SH-1"), return_credit_line(&l, 21000, "A")];
    invoice[2].tax_percent = Percent::from_hundredths(825).unwrap();
    let credit = credit_note_lines(&invoice, &[], &[1, 2]).unwrap();
    assert_eq!(
        credit.iter().map(|c| (c.amount_cents, c.quantity, c.credits_line)).collect::<Vec<_>>(),
        vec![(-200, -1, Some(1)), (-15000, -1, Some(2))]
    );
    let original = totals(&invoice[1..3]);
    let t = totals(&credit);
    // 2.00 → tax 0.17; 150.00 → 12.375 → 12.38; the credit note mirrors both exactly.
    assert_eq!(original, InvoiceTotals { net_cents: 15200, tax_cents: 1255, total_cents: 16455 });
    assert_eq!(t, InvoiceTotals { net_cents: -15200, tax_cents: -1255, total_cents: -16455 });
    // A second credit note may credit the rest, but not a line again.
    assert_eq!(credit_note_lines(&invoice, &credit, &[0]).unwrap()[0].amount_cents, -101);
    assert_eq!(
        credit_note_lines(&invoice, &credit, &[0, 2]).unwrap_err(),
        PricingError::AlreadyCredited { line: 2, description: "Urgent delivery".into() }
    );
}

#[test]
fn pricing_credit_note_refusals() {
    let l = list();
    let invoice = vec![line(101, 0), return_credit_line(&l, 21000, "A")];
    assert_eq!(credit_note_lines(&invoice, &[], &[]).unwrap_err(), PricingError::NoLinesChosen);
    assert_eq!(credit_note_lines(&invoice, &[], &[2]).unwrap_err(), PricingError::NoSuchLine(2, 2));
    assert_eq!(credit_note_lines(&invoice, &[], &[0, 0]).unwrap_err(), PricingError::LineChosenTwice(0));
    let e = credit_note_lines(&invoice, &[], &[1]).unwrap_err();
    assert!(matches!(e, PricingError::NothingToCredit { line: 1, .. }), "{e}");
    assert!(e.to_string().contains("-168.00"), "{e}");
    // Crediting a credit note is refused.
    let credit = credit_note_lines(&invoice, &[], &[0]).unwrap();
    assert_eq!(credit_note_lines(&credit, &[], &[0]).unwrap_err(), PricingError::CreditOfCredit);
}

#[test]
fn pricing_invoice_numbers_format_and_parse() {
    let n = InvoiceNumber::new(DocumentKind::Invoice, 2026, 123).unwrap();
    assert_eq!(n.to_string(), "INV-2026-000123");
    let c = InvoiceNumber::new(DocumentKind::CreditNote, 2026, 7).unwrap();
    assert_eq!(c.to_string(), "CN-2026-000007");
    let big = InvoiceNumber::new(DocumentKind::Invoice, 2027, 1_234_567).unwrap();
    assert_eq!(big.to_string(), "INV-2027-1234567");
    for x in [n, c, big] {
        assert_eq!(InvoiceNumber::parse(&x.to_string()).unwrap(), x);
    }
    assert_eq!(InvoiceNumber::parse(" inv-2026-000123 ").unwrap(), n);
    for bad in [
        "INV-2026-123",
        "INV-26-000123",
        "INV-2026-000000",
        "XX-2026-000001",
        "INV-2026-0001234",
        "INV-2026-00012a",
        "INV-2026-000123-1",
        "",
        "INV-1999-000001",
    ] {
        let e = InvoiceNumber::parse(bad).unwrap_err();
        assert!(e.to_string().contains("is not an invoice number"), "{bad}");
    }
    assert_eq!(InvoiceNumber::new(DocumentKind::Invoice, 2026, 0), None);
}

#[test]
fn pricing_invoice_numbers_are_strings_in_json() {
    let n = InvoiceNumber::new(DocumentKind::CreditNote, 2026, 42).unwrap();
    assert_eq!(serde_json::to_value(n).unwrap(), serde_json::json!("CN-2026-000042"));
    assert_eq!(serde_json::from_str::<InvoiceNumber>("\"CN-2026-000042\"").unwrap(), n);
    let e = serde_json::from_str::<InvoiceNumber>("\"CN-42\"").unwrap_err();
    assert!(e.to_string().contains("is not an invoice number"), "{e}");
}

proptest::proptest! {
    #[test]
    fn pricing_a_full_credit_note_cancels_the_invoice_to_the_cent(
        amounts in proptest::collection::vec((1i64..5, 1i64..1_000_000, 0u32..=10_000), 1..12)
    ) {
        let invoice: Vec<InvoiceLine> = amounts
            .iter()
            .map(|&(q, u, t)| InvoiceLine::new(InvoiceLineKind::Product, "p", "r", q, u, Percent::from_hundredths(t).unwrap()).unwrap())
            .collect();
        let all: Vec<usize> = (0..invoice.len()).collect();
        let credit = credit_note_lines(&invoice, &[], &all).unwrap();
        let (a, b) = (totals(&invoice), totals(&credit));
        proptest::prop_assert_eq!((a.net_cents, a.tax_cents, a.total_cents), (-b.net_cents, -b.tax_cents, -b.total_cents));
        proptest::prop_assert!(credit_note_lines(&invoice, &credit, &[0]).is_err());
    }

    #[test]
    fn pricing_percent_of_is_within_half_a_cent(amount in -10_000_000_000i64..10_000_000_000, h in 0u32..=10_000) {
        let got = percent_of(amount, Percent::from_hundredths(h).unwrap());
        let exact = amount as f64 * f64::from(h) / 10_000.0;
        proptest::prop_assert!((got as f64 - exact).abs() <= 0.5 + 1e-6, "{} vs {}", got, exact);
        proptest::prop_assert_eq!(percent_of(-amount, Percent::from_hundredths(h).unwrap()), -got);
    }

    #[test]
    fn pricing_unit_total_is_base_less_discount_plus_surcharges(units in 0i64..2_000, irradiated: bool, cmv: bool) {
        let l = list();
        let mut attrs = Vec::new();
        if irradiated { attrs.push("irradiated"); }
        if cmv { attrs.push("CMV-negative"); }
        let p = price_unit(&l, RedCells, &attrs, units).unwrap();
        let discount = if units >= 500 { 1575 } else if units >= 100 { 1050 } else { 0 };
        let extra = if irradiated { 2500 } else { 0 } + if cmv { 1250 } else { 0 };
        proptest::prop_assert_eq!(p.total_cents, 21000 - discount + extra);
        proptest::prop_assert_eq!(totals(&unit_lines(&l, RedCells, &p, "x")).net_cents, p.total_cents);
    }
}

#[test]
fn pricing_money_is_formatted_for_people() {
    assert_eq!(format_cents(0), "0.00");
    assert_eq!(format_cents(5), "0.05");
    assert_eq!(format_cents(-5), "-0.05");
    assert_eq!(format_cents(123_456_789), "1,234,567.89");
    assert_eq!(format_cents(100_000), "1,000.00");
    assert_eq!(format_cents(i64::MIN), "-92,233,720,368,547,758.08");
}
