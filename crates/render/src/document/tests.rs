use super::*;
use std::process::Command;

/// Runs a poppler tool on the PDF; the test fails (never skips) if it is missing.
fn poppler(tool: &str, pdf: &[u8], args: &[&str], to_stdout: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut cmd = Command::new(tool);
    cmd.args(args).arg(&path);
    if to_stdout {
        cmd.arg("-");
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {tool} ({e}): install poppler-utils (apt-get install poppler-utils) to check PDFs"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "{tool} refused the PDF: {stderr}");
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

fn text_of(pdf: &[u8]) -> String {
    poppler("pdftotext", pdf, &["-layout", "-enc", "UTF-8"], true)
}

fn pages_of(pdf: &[u8]) -> usize {
    let info = poppler("pdfinfo", pdf, &[], false);
    let line = info.lines().find(|l| l.starts_with("Pages:")).expect("pdfinfo gives a page count");
    line["Pages:".len()..].trim().parse().unwrap()
}

fn unit(i: usize) -> ShippedUnit {
    ShippedUnit {
        din: format!("A9999 26 {i:06} 00"),
        product_code: "E0336V00".into(),
        product: "Red blood cells, leukocytes reduced, irradiated".into(),
        group: "O Rh negative".into(),
        expiry: "2026-04-10 23:59".into(),
    }
}

fn shipment(units: usize) -> ShipmentPapers {
    let cold: Vec<ShippedUnit> = (1..=units).map(unit).collect();
    ShipmentPapers {
        issuer: vec!["Northfield Blood Centre".into(), "12 Harbour Road".into(), "Springfield, IL 62701".into()],
        recipient: vec!["Hôpital Saint-Jérôme".into(), "Transfusion service, level –1".into(), "3 rue de l'Église".into()],
        shipment: "SH-2026-000042".into(),
        order: "OR-2026-000311".into(),
        shipped: "2026-03-02 14:05 CST".into(),
        courier: "MedRun Couriers, van 7".into(),
        containers: vec![
            ShippingContainer { number: "C1".into(), temperature: "Refrigerated, 1 to 10 °C".into(), units: cold },
            ShippingContainer {
                number: "C2".into(),
                temperature: "Frozen, −18 °C or colder".into(),
                units: vec![ShippedUnit {
                    din: "A9999 26 900001 00".into(),
                    product_code: "E2555V00".into(),
                    product: "Fresh frozen plasma".into(),
                    group: "AB Rh positive".into(),
                    expiry: "2027-03-01".into(),
                }],
            },
        ],
        notes: vec!["Deliver to the blood bank fridge, not reception.".into()],
    }
}

#[test]
fn document_wrap_breaks_at_spaces_and_inside_long_words() {
    let size = 3.0;
    let lines = wrap("one two three four five six seven eight nine ten", 30.0, size, false);
    assert!(lines.len() > 1, "{lines:?}");
    assert!(lines.iter().all(|l| text_width(l, size, false) <= 30.0), "{lines:?}");
    assert_eq!(lines.join(" "), "one two three four five six seven eight nine ten");
    let long = "W".repeat(40);
    let lines = wrap(&long, 20.0, size, false);
    assert!(lines.len() > 1 && lines.concat() == long, "{lines:?}");
    assert_eq!(wrap("", 20.0, size, false), vec![String::new()]);
    assert_eq!(wrap("a\nb", 200.0, size, false), vec!["a".to_string(), "b".to_string()]);
}

#[test]
fn document_packing_list_reads_back_with_accents_degrees_and_dashes() {
    let pdf = packing_list(&shipment(3)).to_pdf();
    assert_eq!(pages_of(&pdf), 1);
    let text = text_of(&pdf);
    for want in [
        "Packing list",
        "SH-2026-000042",
        "OR-2026-000311",
        "A9999 26 000001 00",
        "A9999 26 000003 00",
        "A9999 26 900001 00",
        "E0336V00",
        "Hôpital Saint-Jérôme",
        "level –1",
        "Received by",
        "Page 1 of 1",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    assert!(text.lines().any(|l| l.contains("Units") && l.trim_end().ends_with('4')), "total of 4 units:\n{text}");
}

#[test]
fn document_long_packing_list_continues_with_headings_on_every_page() {
    let pdf = packing_list(&shipment(70)).to_pdf();
    let pages = pages_of(&pdf);
    assert!(pages >= 2, "70 units need more than one page");
    let text = text_of(&pdf);
    let per_page: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert_eq!(per_page.len(), pages);
    for (i, page) in per_page.iter().enumerate() {
        assert!(page.contains(&format!("Page {} of {pages}", i + 1)), "page {} footer:\n{page}", i + 1);
        if page.contains("A9999 26 ") {
            assert!(page.contains("DIN") && page.contains("Product code"), "headings on page {}:\n{page}", i + 1);
        }
    }
    assert!(per_page[1].contains("Packing list SH-2026-000042 (continued)"), "{}", per_page[1]);
    for i in 1..=70 {
        assert_eq!(text.matches(&format!("A9999 26 {i:06} 00")).count(), 1, "unit {i} printed once");
    }
}

#[test]
fn document_manifest_has_a_part_per_container() {
    let pdf = manifest(&shipment(2)).to_pdf();
    let text = text_of(&pdf);
    for want in [
        "Shipping manifest",
        "Container C1 – Refrigerated, 1 to 10 °C",
        "Container C2 – Frozen, -18 °C or colder",
        "2 containers holding 3 units",
        "A9999 26 000002 00",
        "AB Rh positive",
        "2027-03-01",
        "Courier (name, signature)",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    let c1 = text.find("Container C1").unwrap();
    let c2 = text.find("Container C2").unwrap();
    let plasma = text.find("A9999 26 900001 00").unwrap();
    assert!(c1 < c2 && c2 < plasma, "the plasma unit is listed under container C2");
}

fn invoice_paper(credits: Option<&str>) -> InvoicePaper {
    let sign = if credits.is_some() { "-" } else { "" };
    InvoicePaper {
        issuer: vec!["Northfield Blood Centre".into(), "Tax id 12-3456789".into()],
        recipient: vec!["St Mary's Hospital".into(), "Accounts payable".into()],
        number: if credits.is_some() { "CN-2026-000007".into() } else { "INV-2026-000123".into() },
        credits: credits.map(String::from),
        account: "STMARY".into(),
        issued: "2026-03-31".into(),
        due: credits.is_none().then(|| "2026-04-30".to_string()),
        payment_terms: "30 days".into(),
        currency: "USD".into(),
        lines: vec![
            InvoiceRow {
                description: "Red cells (5% volume discount)".into(),
                reference: "A9999 26 000001 00 E0336V00".into(),
                quantity: format!("{sign}1"),
                unit_price: "199.50".into(),
                tax: "0%".into(),
                amount: format!("{sign}199.50"),
            },
            InvoiceRow {
                description: "Irradiated surcharge".into(),
                reference: "A9999 26 000001 00 E0336V00".into(),
                quantity: format!("{sign}1"),
                unit_price: "25.00".into(),
                tax: "0%".into(),
                amount: format!("{sign}25.00"),
            },
            InvoiceRow {
                description: "Urgent delivery".into(),
                reference: "SH-2026-000042".into(),
                quantity: format!("{sign}1"),
                unit_price: "150.00".into(),
                tax: "8.25%".into(),
                amount: format!("{sign}150.00"),
            },
        ],
        net: format!("{sign}374.50"),
        tax: format!("{sign}12.38"),
        total: format!("{sign}386.88"),
        notes: vec!["Blood products are exempt from sales tax.".into()],
    }
}

#[test]
fn document_invoice_shows_lines_totals_and_due_date() {
    let pdf = invoice(&invoice_paper(None)).to_pdf();
    assert_eq!(pages_of(&pdf), 1);
    let text = text_of(&pdf);
    for want in [
        "Invoice",
        "INV-2026-000123",
        "2026-04-30",
        "30 days",
        "Please pay 386.88 USD by 2026-04-30",
        "Irradiated surcharge",
        "199.50",
        "8.25%",
        "Page 1 of 1",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    for (label, value) in [("Net", "374.50"), ("Tax", "12.38"), ("Total USD", "386.88")] {
        assert!(text.lines().any(|l| l.contains(label) && l.trim_end().ends_with(value)), "{label} {value}:\n{text}");
    }
    assert!(!text.contains("Credit note"));
}

#[test]
fn document_credit_note_names_the_invoice_it_credits() {
    let pdf = invoice(&invoice_paper(Some("INV-2026-000123"))).to_pdf();
    let text = text_of(&pdf);
    for want in
        ["Credit note", "CN-2026-000007", "Credits invoice", "This credit note corrects invoice INV-2026-000123", "-386.88", "there is nothing"]
    {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    assert!(!text.contains("Due"), "a credit note has no due date:\n{text}");
}

#[test]
fn document_invoice_with_many_lines_runs_to_more_pages() {
    let mut p = invoice_paper(None);
    let line = p.lines[0].clone();
    p.lines = (0..120).map(|i| InvoiceRow { reference: format!("A9999 26 {i:06} 00 E0336V00"), ..line.clone() }).collect();
    let pdf = invoice(&p).to_pdf();
    let pages = pages_of(&pdf);
    assert!(pages >= 3, "{pages}");
    let text = text_of(&pdf);
    assert!(text.contains(&format!("Page {pages} of {pages}")));
    let last = text.split('\u{c}').rfind(|p| !p.trim().is_empty()).unwrap();
    assert!(last.contains("Total USD"), "totals on the last page:\n{last}");
    assert!(last.contains("Invoice INV-2026-000123 (continued)"), "{last}");
}

#[test]
fn document_consignee_letter_names_units_action_and_deadline() {
    let letter = ConsigneeLetter {
        issuer: vec!["Northfield Blood Centre".into(), "Quality department".into()],
        recipient: vec!["St Mary's Hospital".into(), "Transfusion service".into()],
        case: "LB-2026-000004".into(),
        date: "2026-03-03".into(),
        subject: "Lookback: units from a donor with a later reactive test".into(),
        reason: "A later donation of the donor of the units below tested reactive for HCV RNA. The units you received were tested non-reactive, but may carry a risk of transmission.".into(),
        units: vec![
            NotifiedUnit { unit: unit(17), shipped: "SH-2026-000031 on 2026-02-20".into() },
            NotifiedUnit { unit: ShippedUnit { din: "A9999 26 000018 00".into(), product: "Apheresis platelets".into(), ..unit(18) }, shipped: "SH-2026-000035 on 2026-02-24".into() },
        ],
        action: "Quarantine any of these units still in your stock and do not transfuse them. For units already transfused, tell us the date so we can inform the patient's physician.".into(),
        deadline: "2026-03-06 17:00 CST".into(),
        acknowledge: "Acknowledge in the hemaflow hospital portal under Notices, or sign the form below and email it to quality@northfield.example.".into(),
        contact: "Questions: quality office, +1 217 555 0100 (24 hours).".into(),
        signatory: vec!["Dr. Jane Roe".into(), "Medical director".into()],
    };
    let pdf = consignee_letter(&letter).to_pdf();
    let text = text_of(&pdf);
    for want in [
        "Notice to consignee",
        "LB-2026-000004",
        "A9999 26 000017 00",
        "A9999 26 000018 00",
        "Apheresis platelets",
        "SH-2026-000031",
        "Quarantine any of these units",
        "let us know by 2026-03-06 17:00 CST",
        "hospital portal",
        "Dr. Jane Roe",
        "Acknowledgement",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
}

#[test]
fn document_outside_winansi_prints_a_question_mark_and_keeps_the_file_valid() {
    let doc = Document {
        title: "Übersicht".into(),
        issuer: vec!["Centre de transfusion – Genève".into()],
        recipient: vec![],
        meta: vec![],
        sections: vec![
            Section::Paragraph("Keep at 2–6 °C; “handle with care” … 日本".into()),
            Section::Table { columns: vec![], rows: vec![], totals: vec![("Only a total".into(), "€ 1,00".into())] },
            Section::Signature(String::new()),
        ],
    };
    let pdf = doc.to_pdf();
    assert_eq!(pages_of(&pdf), 1);
    let text = text_of(&pdf);
    for want in ["Übersicht", "Genève", "Keep at 2–6 °C; “handle with care” … ??", "€ 1,00"] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
}

#[test]
fn document_a_table_row_taller_than_a_page_is_split_not_lost() {
    let huge = (1..=700).map(|i| format!("note{i}")).collect::<Vec<_>>().join(" ");
    let doc = Document {
        title: "Remarks".into(),
        issuer: vec![],
        recipient: vec![],
        meta: vec![("Case".into(), "LB-1".into())],
        sections: vec![Section::Table {
            columns: vec![("Unit".into(), 1.0, Align::Left), ("Remark".into(), 1.0, Align::Left)],
            rows: vec![vec!["A9999 26 000001 00".into(), huge], vec!["A9999 26 000002 00".into(), "short".into()]],
            totals: vec![],
        }],
    };
    let pdf = doc.to_pdf();
    let pages = pages_of(&pdf);
    assert!(pages >= 2, "{pages}");
    let text = text_of(&pdf);
    assert!(text.contains("note700") && text.contains("A9999 26 000002 00") && text.contains("Remarks LB-1 (continued)"));
    assert!(text.matches("Remark").count() > pages, "headings repeated on each page");
}

#[test]
fn document_a_paragraph_longer_than_a_page_flows_on() {
    let long = (1..=900).map(|i| format!("word{i}")).collect::<Vec<_>>().join(" ");
    let doc = Document { title: "Notes".into(), issuer: vec![], recipient: vec![], meta: vec![], sections: vec![Section::Paragraph(long)] };
    let pdf = doc.to_pdf();
    assert!(pages_of(&pdf) >= 2);
    let text = text_of(&pdf);
    assert!(text.contains("word1 ") && text.contains("word900"));
    assert!(text.contains("Notes (continued)"));
}
