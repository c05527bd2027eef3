//! Business documents as A4 PDF: packing lists, shipping manifests, invoices and
//! credit notes, letters to consignees. A [`Document`] is a title, the issuer and
//! recipient address blocks, a few labelled facts ("Shipment: SH-2026-000042") and
//! sections (headings, paragraphs, tables with totals, lines to sign on). Text wraps
//! to its column; a document that does not fit one page continues on the next, with
//! the title repeated at the top, a table's column headings repeated, and
//! "Page n of m" at the foot of every page.
//!
//! The fonts are the PDF standard Helvetica and Helvetica-Bold (nothing embedded), so
//! text is limited to WinAnsi (Latin-1 and typographic marks): other characters print
//! as their ASCII form or '?'. Callers pass text already formatted (dates in the
//! facility's time zone, money with its currency); this module knows no clock.

use crate::drawing::{pages_to_pdf, Drawing};
use crate::font::text_width;

const PAGE_W: f64 = 210.0;
const PAGE_H: f64 = 297.0;
const LEFT: f64 = 18.0;
const RIGHT: f64 = PAGE_W - 18.0;
const TOP: f64 = 16.0;
/// Content stops here; the footer sits below.
const BOTTOM: f64 = PAGE_H - 20.0;
const MM_PER_PT: f64 = 25.4 / 72.0;
const BODY: f64 = 9.5 * MM_PER_PT;
const SMALL: f64 = 8.5 * MM_PER_PT;
const CELL_PAD: f64 = 1.2;

/// Where text sits in a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    Center,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Section {
    /// A bold heading that starts a part of the document.
    Heading(String),
    /// Text that wraps to the page width; `\n` starts a new line.
    Paragraph(String),
    /// Columns as (heading, share of the width, alignment); the shares are relative
    /// (they need not add up to 1). `totals` are (label, value) pairs right-aligned
    /// under the table, the last one in bold.
    Table { columns: Vec<(String, f64, Align)>, rows: Vec<Vec<String>>, totals: Vec<(String, String)> },
    /// A line to sign on, with this caption under it.
    Signature(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub title: String,
    /// The sender's name and address lines; the first line is printed in bold and in
    /// the footer of every page.
    pub issuer: Vec<String>,
    pub recipient: Vec<String>,
    /// Labelled facts at the top right (e.g. ("Shipment", "SH-2026-000042")); the
    /// first one is repeated in the header of the following pages.
    pub meta: Vec<(String, String)>,
    pub sections: Vec<Section>,
}

/// Splits `text` into lines no wider than `width` at `size`: at spaces where it can,
/// inside a word only when the word alone is too wide. `\n` forces a new line.
/// Always at least one line (empty for empty text).
pub fn wrap(text: &str, width: f64, size: f64, bold: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if text_width(&candidate, size, bold) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word starts a line; break it if it is wider than a line by itself.
            for ch in word.chars() {
                let mut next = line.clone();
                next.push(ch);
                if !line.is_empty() && text_width(&next, size, bold) > width {
                    lines.push(std::mem::replace(&mut line, ch.to_string()));
                } else {
                    line = next;
                }
            }
        }
        lines.push(line);
    }
    lines
}

fn line_height(size: f64) -> f64 {
    size * 1.3
}

/// A table being laid out, kept so its column headings can be repeated on a new page.
struct TableHead {
    x: Vec<f64>,
    widths: Vec<f64>,
    aligns: Vec<Align>,
    headings: Vec<Vec<String>>,
}

struct Layout<'a> {
    doc: &'a Document,
    pages: Vec<Drawing>,
    /// Top of the next thing to draw on the last page.
    y: f64,
    /// Where content starts on the current page (nothing is moved to a new page from there).
    page_top: f64,
    table: Option<TableHead>,
}

impl<'a> Layout<'a> {
    fn new(doc: &'a Document) -> Self {
        let mut l = Layout { doc, pages: vec![Drawing::new(PAGE_W, PAGE_H)], y: TOP, page_top: TOP, table: None };
        l.first_page_header();
        l
    }

    fn page(&mut self) -> &mut Drawing {
        self.pages.last_mut().expect("a page")
    }

    /// Text with its top at `top`, aligned within [x, x + width].
    fn text_at(&mut self, x: f64, width: f64, top: f64, (size, bold): (f64, bool), align: Align, text: &str) {
        let w = text_width(text, size, bold);
        let left = match align {
            Align::Left => x,
            Align::Right => x + width - w,
            Align::Center => x + (width - w) / 2.0,
        };
        self.page().text(left, top + size * 0.9, size, bold, text);
    }

    fn first_page_header(&mut self) {
        let doc = self.doc;
        let title_size = 17.0 * MM_PER_PT;
        self.text_at(LEFT, RIGHT - LEFT, TOP, (title_size, true), Align::Right, &doc.title);
        let mut y = TOP;
        for (i, line) in doc.issuer.iter().enumerate() {
            let (size, bold) = if i == 0 { (11.0 * MM_PER_PT, true) } else { (SMALL, false) };
            for l in wrap(line, 95.0, size, bold) {
                self.text_at(LEFT, 95.0, y, (size, bold), Align::Left, &l);
                y += line_height(size);
            }
        }
        y = y.max(TOP + line_height(title_size)) + 4.0;
        self.page().line(LEFT, y, RIGHT, y, 0.3);
        y += 4.0;
        // Recipient on the left, labelled facts on the right.
        let (mut left_y, mut right_y) = (y, y);
        if !doc.recipient.is_empty() {
            self.text_at(LEFT, 85.0, left_y, (SMALL, true), Align::Left, "To");
            left_y += line_height(SMALL);
            for line in &doc.recipient {
                for l in wrap(line, 85.0, BODY, false) {
                    self.text_at(LEFT, 85.0, left_y, (BODY, false), Align::Left, &l);
                    left_y += line_height(BODY);
                }
            }
        }
        let (label_x, value_x) = (112.0, 146.0);
        for (label, value) in &doc.meta {
            let labels = wrap(label, value_x - label_x - 2.0, SMALL, true);
            let values = wrap(value, RIGHT - value_x, BODY, false);
            for (i, l) in labels.iter().enumerate() {
                self.text_at(label_x, value_x - label_x, right_y + i as f64 * line_height(BODY), (SMALL, true), Align::Left, l);
            }
            for (i, v) in values.iter().enumerate() {
                self.text_at(value_x, RIGHT - value_x, right_y + i as f64 * line_height(BODY), (BODY, false), Align::Left, v);
            }
            right_y += labels.len().max(values.len()) as f64 * line_height(BODY);
        }
        self.y = left_y.max(right_y) + 6.0;
        self.page_top = self.y;
    }

    fn new_page(&mut self) {
        self.pages.push(Drawing::new(PAGE_W, PAGE_H));
        let doc = self.doc;
        let mut head = doc.title.clone();
        if let Some((_, v)) = doc.meta.first() {
            head = format!("{head} {v}");
        }
        head.push_str(" (continued)");
        let size = 10.0 * MM_PER_PT;
        let lines = wrap(&head, RIGHT - LEFT, size, true);
        let mut y = TOP;
        for l in &lines {
            self.text_at(LEFT, RIGHT - LEFT, y, (size, true), Align::Left, l);
            y += line_height(size);
        }
        y += 2.0;
        self.page().line(LEFT, y, RIGHT, y, 0.3);
        self.y = y + 5.0;
        self.page_top = self.y;
        if self.table.is_some() {
            self.table_headings();
            // Headings alone never make a page: what follows them stays on this page.
            self.page_top = self.y;
        }
    }

    /// Makes room for `h` millimetres, on a new page if this one is full.
    fn ensure(&mut self, h: f64) {
        if self.y + h > BOTTOM && self.y > self.page_top {
            self.new_page();
        }
    }

    fn heading(&mut self, text: &str) {
        let size = 11.5 * MM_PER_PT;
        let lines = wrap(text, RIGHT - LEFT, size, true);
        // Keep a heading with at least two lines of what follows.
        self.ensure(lines.len() as f64 * line_height(size) + 2.0 * line_height(BODY) + 3.0);
        self.y += 2.0;
        for l in &lines {
            self.text_at(LEFT, RIGHT - LEFT, self.y, (size, true), Align::Left, l);
            self.y += line_height(size);
        }
        self.y += 1.5;
    }

    fn paragraph(&mut self, text: &str) {
        for l in wrap(text, RIGHT - LEFT, BODY, false) {
            self.ensure(line_height(BODY));
            self.text_at(LEFT, RIGHT - LEFT, self.y, (BODY, false), Align::Left, &l);
            self.y += line_height(BODY);
        }
        self.y += 2.5;
    }

    /// One row of cells already wrapped: kept on one page when it fits one, split
    /// line by line (headings repeated) when it does not.
    fn row(&mut self, cells: &[Vec<String>], size: f64, bold: bool, rule: f64) {
        let Some(t) = &self.table else { return };
        let (x, widths, aligns) = (t.x.clone(), t.widths.clone(), t.aligns.clone());
        let n = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let lh = line_height(size);
        self.ensure(n as f64 * lh + 1.0);
        self.y += 0.6;
        for i in 0..n {
            self.ensure(lh);
            let top = self.y;
            for (c, lines) in cells.iter().enumerate() {
                if let Some(l) = lines.get(i) {
                    self.text_at(x[c] + CELL_PAD, widths[c] - 2.0 * CELL_PAD, top, (size, bold), aligns[c], l);
                }
            }
            self.y += lh;
        }
        self.y += 0.6;
        let y = self.y;
        self.page().line(LEFT, y, RIGHT, y, rule);
    }

    fn table_headings(&mut self) {
        let Some(t) = &self.table else { return };
        let headings = t.headings.clone();
        self.row(&headings, SMALL, true, 0.3);
    }

    fn table(&mut self, columns: &[(String, f64, Align)], rows: &[Vec<String>], totals: &[(String, String)]) {
        if !columns.is_empty() {
            let sum: f64 = columns.iter().map(|c| c.1.max(0.0)).sum();
            let share = |w: f64| if sum > 0.0 { w.max(0.0) / sum } else { 1.0 / columns.len() as f64 };
            let widths: Vec<f64> = columns.iter().map(|c| share(c.1) * (RIGHT - LEFT)).collect();
            let mut x = Vec::with_capacity(widths.len());
            let mut at = LEFT;
            for w in &widths {
                x.push(at);
                at += w;
            }
            let headings = columns.iter().zip(&widths).map(|(c, w)| wrap(&c.0, w - 2.0 * CELL_PAD, SMALL, true)).collect();
            let aligns = columns.iter().map(|c| c.2).collect();
            // Headings with at least one row under them.
            self.ensure(3.0 * line_height(SMALL) + 2.0);
            self.table = Some(TableHead { x, widths: widths.clone(), aligns, headings });
            self.table_headings();
            for r in rows {
                let cells: Vec<Vec<String>> = widths
                    .iter()
                    .enumerate()
                    .map(|(c, w)| wrap(r.get(c).map(String::as_str).unwrap_or(""), w - 2.0 * CELL_PAD, SMALL, false))
                    .collect();
                self.row(&cells, SMALL, false, 0.1);
            }
            self.table = None;
        }
        if !totals.is_empty() {
            let value_w = totals.iter().map(|(_, v)| text_width(v, BODY, true)).fold(0.0, f64::max).max(22.0);
            let label_right = RIGHT - value_w - 4.0;
            let lh = line_height(BODY);
            self.ensure(totals.len() as f64 * lh + 2.0);
            self.y += 1.5;
            for (i, (label, value)) in totals.iter().enumerate() {
                let bold = i + 1 == totals.len();
                if bold && totals.len() > 1 {
                    let y = self.y;
                    self.page().line(label_right - 40.0, y, RIGHT, y, 0.3);
                    self.y += 0.8;
                }
                self.ensure(lh);
                let top = self.y;
                self.text_at(LEFT, label_right - LEFT, top, (BODY, bold), Align::Right, label);
                self.text_at(label_right, RIGHT - CELL_PAD - label_right, top, (BODY, bold), Align::Right, value);
                self.y += lh;
            }
        }
        self.y += 4.0;
    }

    fn signature(&mut self, caption: &str) {
        let lines = wrap(caption, 90.0, SMALL, false);
        self.ensure(14.0 + lines.len() as f64 * line_height(SMALL));
        self.y += 12.0;
        let y = self.y;
        self.page().line(LEFT, y, LEFT + 90.0, y, 0.3);
        self.y += 1.0;
        for l in &lines {
            self.text_at(LEFT, 90.0, self.y, (SMALL, false), Align::Left, l);
            self.y += line_height(SMALL);
        }
        self.y += 3.0;
    }

    /// "Page n of m" and the issuer at the foot of every page, once all are known.
    fn finish(mut self) -> Vec<Drawing> {
        let m = self.pages.len();
        let issuer = self.doc.issuer.first().cloned().unwrap_or_default();
        for (i, p) in self.pages.iter_mut().enumerate() {
            let y = PAGE_H - 14.0;
            p.line(LEFT, y, RIGHT, y, 0.2);
            let label = format!("Page {} of {m}", i + 1);
            let w = text_width(&label, SMALL, false);
            p.text(RIGHT - w, y + 4.5, SMALL, false, label);
            let room = RIGHT - LEFT - w - 6.0;
            if let Some(first) = wrap(&issuer, room, SMALL, false).first() {
                p.text(LEFT, y + 4.5, SMALL, false, first.clone());
            }
        }
        self.pages
    }
}

impl Document {
    /// The document laid out on A4 pages.
    pub fn to_pages(&self) -> Vec<Drawing> {
        let mut l = Layout::new(self);
        for s in &self.sections {
            match s {
                Section::Heading(t) => l.heading(t),
                Section::Paragraph(t) => l.paragraph(t),
                Section::Table { columns, rows, totals } => l.table(columns, rows, totals),
                Section::Signature(c) => l.signature(c),
            }
        }
        l.finish()
    }

    pub fn to_pdf(&self) -> Vec<u8> {
        let title = match self.meta.first() {
            Some((_, v)) => format!("{} {v}", self.title),
            None => self.title.clone(),
        };
        pages_to_pdf(&self.to_pages(), Some(&title))
    }
}

/// One unit in a shipment, as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippedUnit {
    /// Eye-readable DIN with its flags, e.g. `A9999 26 000123 00`.
    pub din: String,
    pub product_code: String,
    pub product: String,
    /// `O Rh negative`, `AB Rh positive`.
    pub group: String,
    pub expiry: String,
}

/// A shipping container and the units packed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingContainer {
    pub number: String,
    /// The temperature class in words, e.g. `Refrigerated, 1 to 10 °C`.
    pub temperature: String,
    pub units: Vec<ShippedUnit>,
}

/// A shipment, for its packing list and its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentPapers {
    pub issuer: Vec<String>,
    /// The consignee: hospital name and delivery address.
    pub recipient: Vec<String>,
    pub shipment: String,
    pub order: String,
    pub shipped: String,
    pub courier: String,
    pub containers: Vec<ShippingContainer>,
    /// Printed under the list (handling instructions, order notes).
    pub notes: Vec<String>,
}

fn unit_columns(with_container: bool) -> Vec<(String, f64, Align)> {
    let mut c = vec![
        ("#".to_string(), 0.045, Align::Right),
        ("DIN".to_string(), 0.19, Align::Left),
        ("Product code".to_string(), 0.14, Align::Left),
        ("Product".to_string(), 0.22, Align::Left),
        ("ABO/RhD".to_string(), 0.15, Align::Left),
        ("Expiry".to_string(), 0.17, Align::Left),
    ];
    if with_container {
        c.push(("Container".to_string(), 0.10, Align::Left));
    }
    c
}

fn unit_row(n: usize, u: &ShippedUnit) -> Vec<String> {
    vec![n.to_string(), u.din.clone(), u.product_code.clone(), u.product.clone(), u.group.clone(), u.expiry.clone()]
}

fn shipment_meta(s: &ShipmentPapers) -> Vec<(String, String)> {
    vec![
        ("Shipment".into(), s.shipment.clone()),
        ("Order".into(), s.order.clone()),
        ("Shipped".into(), s.shipped.clone()),
        ("Courier".into(), s.courier.clone()),
    ]
}

/// The list that travels with the boxes: every unit of the shipment with the
/// container it is in, for the hospital to check on receipt.
pub fn packing_list(s: &ShipmentPapers) -> Document {
    let mut rows = Vec::new();
    for c in &s.containers {
        for u in &c.units {
            let mut r = unit_row(rows.len() + 1, u);
            r.push(c.number.clone());
            rows.push(r);
        }
    }
    let units = rows.len();
    let mut sections = vec![
        Section::Paragraph(
            "Please check each unit against this list on receipt and tell us at once about anything missing, damaged or out of temperature.".into(),
        ),
        Section::Table {
            columns: unit_columns(true),
            rows,
            totals: vec![("Containers".into(), s.containers.len().to_string()), ("Units".into(), units.to_string())],
        },
    ];
    sections.extend(s.notes.iter().cloned().map(Section::Paragraph));
    sections.push(Section::Signature("Packed and checked by (name, signature, date)".into()));
    sections.push(Section::Signature("Received by (name, signature, date and time)".into()));
    Document { title: "Packing list".into(), issuer: s.issuer.clone(), recipient: s.recipient.clone(), meta: shipment_meta(s), sections }
}

/// The courier's manifest: one part per shipping container with its temperature
/// class and the units in it.
pub fn manifest(s: &ShipmentPapers) -> Document {
    let mut sections = Vec::new();
    let units: usize = s.containers.iter().map(|c| c.units.len()).sum();
    sections.push(Section::Paragraph(format!(
        "{} container{} holding {units} unit{}. Keep each container at its temperature class until it is handed over.",
        s.containers.len(),
        if s.containers.len() == 1 { "" } else { "s" },
        if units == 1 { "" } else { "s" }
    )));
    for c in &s.containers {
        sections.push(Section::Heading(format!("Container {} – {}", c.number, c.temperature)));
        sections.push(Section::Table {
            columns: unit_columns(false),
            rows: c.units.iter().enumerate().map(|(i, u)| unit_row(i + 1, u)).collect(),
            totals: vec![("Units in this container".into(), c.units.len().to_string())],
        });
    }
    sections.extend(s.notes.iter().cloned().map(Section::Paragraph));
    sections.push(Section::Signature("Handed to the courier by (name, signature, date and time)".into()));
    sections.push(Section::Signature("Courier (name, signature)".into()));
    sections.push(Section::Signature("Received by (name, signature, date and time)".into()));
    Document { title: "Shipping manifest".into(), issuer: s.issuer.clone(), recipient: s.recipient.clone(), meta: shipment_meta(s), sections }
}

/// One line of an invoice or credit note, amounts already formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRow {
    pub description: String,
    /// DIN and product code, shipment number or procedure.
    pub reference: String,
    pub quantity: String,
    pub unit_price: String,
    /// e.g. `0%`, `8.25%`.
    pub tax: String,
    pub amount: String,
}

/// An invoice, or a credit note when `credits` names the invoice it corrects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicePaper {
    pub issuer: Vec<String>,
    /// The hospital account's billing address.
    pub recipient: Vec<String>,
    /// `INV-2026-000123` or `CN-2026-000007`.
    pub number: String,
    /// For a credit note: the number of the invoice it corrects.
    pub credits: Option<String>,
    pub account: String,
    pub issued: String,
    /// Payment due date (invoices; `None` on a credit note).
    pub due: Option<String>,
    /// e.g. `30 days`.
    pub payment_terms: String,
    pub currency: String,
    pub lines: Vec<InvoiceRow>,
    pub net: String,
    pub tax: String,
    pub total: String,
    /// Payment instructions, bank details, tax exemption wording.
    pub notes: Vec<String>,
}

pub fn invoice(p: &InvoicePaper) -> Document {
    let (title, number_label) = if p.credits.is_some() { ("Credit note", "Credit note") } else { ("Invoice", "Invoice") };
    let mut meta = vec![(number_label.to_string(), p.number.clone())];
    if let Some(orig) = &p.credits {
        meta.push(("Credits invoice".into(), orig.clone()));
    }
    meta.push(("Account".into(), p.account.clone()));
    meta.push(("Date".into(), p.issued.clone()));
    if let Some(due) = &p.due {
        meta.push(("Due".into(), due.clone()));
    }
    meta.push(("Payment terms".into(), p.payment_terms.clone()));
    meta.push(("Currency".into(), p.currency.clone()));
    let mut sections = Vec::new();
    match (&p.credits, &p.due) {
        (Some(orig), _) => sections.push(Section::Paragraph(format!(
            "This credit note corrects invoice {orig}. The amounts below are credited to your account; there is nothing to pay."
        ))),
        (None, Some(due)) => {
            sections.push(Section::Paragraph(format!("Please pay {} {} by {due} ({}), quoting {}.", p.total, p.currency, p.payment_terms, p.number)))
        }
        (None, None) => {}
    }
    sections.push(Section::Table {
        columns: vec![
            ("Description".into(), 0.31, Align::Left),
            ("Reference".into(), 0.25, Align::Left),
            ("Qty".into(), 0.07, Align::Right),
            ("Unit price".into(), 0.12, Align::Right),
            ("Tax".into(), 0.09, Align::Right),
            ("Amount".into(), 0.16, Align::Right),
        ],
        rows: p
            .lines
            .iter()
            .map(|l| vec![l.description.clone(), l.reference.clone(), l.quantity.clone(), l.unit_price.clone(), l.tax.clone(), l.amount.clone()])
            .collect(),
        totals: vec![("Net".into(), p.net.clone()), ("Tax".into(), p.tax.clone()), (format!("Total {}", p.currency), p.total.clone())],
    });
    sections.extend(p.notes.iter().cloned().map(Section::Paragraph));
    Document { title: title.into(), issuer: p.issuer.clone(), recipient: p.recipient.clone(), meta, sections }
}

/// A unit named in a letter to a consignee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifiedUnit {
    pub unit: ShippedUnit,
    /// The shipment that took it to the hospital, with its date.
    pub shipped: String,
}

/// A lookback or recall notice to a hospital that received affected units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsigneeLetter {
    pub issuer: Vec<String>,
    /// The hospital (and the person responsible, e.g. the transfusion service).
    pub recipient: Vec<String>,
    /// The lookback or recall case number.
    pub case: String,
    pub date: String,
    /// e.g. `Lookback: units from a donor with a later reactive test`.
    pub subject: String,
    /// Why the units are concerned, in plain words.
    pub reason: String,
    pub units: Vec<NotifiedUnit>,
    /// What the hospital is asked to do (e.g. quarantine units still in stock, report
    /// the fate of each unit).
    pub action: String,
    /// When the answer is needed, formatted.
    pub deadline: String,
    /// How to acknowledge (portal, API, phone, return of this letter signed).
    pub acknowledge: String,
    /// Who to call with questions.
    pub contact: String,
    /// The sender's name and function.
    pub signatory: Vec<String>,
}

pub fn consignee_letter(c: &ConsigneeLetter) -> Document {
    let rows = c
        .units
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut r = unit_row(i + 1, &n.unit);
            r.push(n.shipped.clone());
            r
        })
        .collect();
    let mut columns = unit_columns(false);
    columns[3].1 = 0.17;
    columns.push(("Shipped".into(), 0.2, Align::Left));
    let sections = vec![
        Section::Heading(c.subject.clone()),
        Section::Paragraph(c.reason.clone()),
        Section::Heading("Units concerned".into()),
        Section::Table { columns, rows, totals: vec![("Units".into(), c.units.len().to_string())] },
        Section::Heading("What we ask you to do".into()),
        Section::Paragraph(c.action.clone()),
        Section::Paragraph(format!("Please do this and let us know by {}.", c.deadline)),
        Section::Heading("How to acknowledge".into()),
        Section::Paragraph(c.acknowledge.clone()),
        Section::Paragraph(c.contact.clone()),
        Section::Paragraph(c.signatory.join("\n")),
        Section::Heading("Acknowledgement".into()),
        Section::Paragraph(format!("We have received this notice for case {} and acted on it as asked.", c.case)),
        Section::Signature("Name, function, signature, date and time".into()),
    ];
    Document {
        title: "Notice to consignee".into(),
        issuer: c.issuer.clone(),
        recipient: c.recipient.clone(),
        meta: vec![("Case".into(), c.case.clone()), ("Date".into(), c.date.clone()), ("Answer by".into(), c.deadline.clone())],
        sections,
    }
}

#[cfg(test)]
mod tests;
