//! A page of simple marks in millimetres (origin top left), drawn to SVG or PDF
//! (one page, or several with [`pages_to_pdf`]). Barcodes are filled rectangles, so
//! both outputs scan the same.

use crate::barcode::{Code128, DataMatrix};
use crate::font::winansi;
use pdf_writer::{Content, Name, Pdf, Rect as PdfRect, Ref, Str, TextStr};
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A filled black rectangle.
    Fill { x: f64, y: f64, w: f64, h: f64 },
    /// An outlined rectangle.
    Frame { x: f64, y: f64, w: f64, h: f64, line: f64 },
    /// A straight line from (x1, y1) to (x2, y2).
    Line { x1: f64, y1: f64, x2: f64, y2: f64, line: f64 },
    /// Left-aligned text; `y` is the baseline, `size` the font size in millimetres.
    Text { x: f64, y: f64, size: f64, bold: bool, text: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    pub width: f64,
    pub height: f64,
    pub marks: Vec<Mark>,
}

const PT_PER_MM: f64 = 72.0 / 25.4;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Drawing {
    pub fn new(width: f64, height: f64) -> Self {
        Self { width, height, marks: Vec::new() }
    }

    pub fn fill(&mut self, x: f64, y: f64, w: f64, h: f64) {
        self.marks.push(Mark::Fill { x, y, w, h });
    }

    pub fn frame(&mut self, x: f64, y: f64, w: f64, h: f64, line: f64) {
        self.marks.push(Mark::Frame { x, y, w, h, line });
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, line: f64) {
        self.marks.push(Mark::Line { x1, y1, x2, y2, line });
    }

    pub fn text(&mut self, x: f64, y: f64, size: f64, bold: bool, text: impl Into<String>) {
        self.marks.push(Mark::Text { x, y, size, bold, text: text.into() });
    }

    /// Draws a Code 128 symbol with its left edge (after the quiet zone) at `x`;
    /// returns the symbol's width in millimetres.
    pub fn code128(&mut self, sym: &Code128, x: f64, y: f64, module: f64, height: f64) -> f64 {
        for (start, width) in sym.bars() {
            self.fill(x + start as f64 * module, y, width as f64 * module, height);
        }
        sym.modules.len() as f64 * module
    }

    /// Draws a Data Matrix symbol with its top-left corner at (x, y).
    pub fn datamatrix(&mut self, sym: &DataMatrix, x: f64, y: f64, module: f64) -> f64 {
        for (cx, cy) in &sym.dark {
            self.fill(x + *cx as f64 * module, y + *cy as f64 * module, module, module);
        }
        sym.size as f64 * module
    }

    pub fn to_svg(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}"><rect x="0" y="0" width="{w}" height="{h}" fill="white"/>"#,
            w = self.width,
            h = self.height
        );
        for m in &self.marks {
            match m {
                Mark::Fill { x, y, w, h } => {
                    let _ = write!(s, r#"<rect x="{x:.3}" y="{y:.3}" width="{w:.3}" height="{h:.3}" fill="black" shape-rendering="crispEdges"/>"#);
                }
                Mark::Frame { x, y, w, h, line } => {
                    let _ = write!(
                        s,
                        r#"<rect x="{x:.3}" y="{y:.3}" width="{w:.3}" height="{h:.3}" fill="none" stroke="black" stroke-width="{line:.3}"/>"#
                    );
                }
                Mark::Line { x1, y1, x2, y2, line } => {
                    let _ = write!(s, r#"<line x1="{x1:.3}" y1="{y1:.3}" x2="{x2:.3}" y2="{y2:.3}" stroke="black" stroke-width="{line:.3}"/>"#);
                }
                Mark::Text { x, y, size, bold, text } => {
                    let weight = if *bold { "bold" } else { "normal" };
                    let _ = write!(
                        s,
                        r#"<text x="{x:.3}" y="{y:.3}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="{size:.3}" font-weight="{weight}">{}</text>"#,
                        esc(text)
                    );
                }
            }
        }
        s.push_str("</svg>");
        s
    }

    /// One-page PDF at the drawing's size, with the PDF standard Helvetica fonts
    /// (nothing embedded).
    pub fn to_pdf(&self) -> Vec<u8> {
        pages_to_pdf(std::slice::from_ref(self), None)
    }

    fn content(&self) -> Vec<u8> {
        let pt = |v: f64| (v * PT_PER_MM) as f32;
        let flip = |y: f64| ((self.height - y) * PT_PER_MM) as f32;
        let mut c = Content::new();
        c.set_fill_gray(0.0);
        c.set_stroke_gray(0.0);
        for m in &self.marks {
            match m {
                Mark::Fill { x, y, w, h } => {
                    c.rect(pt(*x), flip(y + h), pt(*w), pt(*h));
                    c.fill_nonzero();
                }
                Mark::Frame { x, y, w, h, line } => {
                    c.set_line_width(pt(*line));
                    c.rect(pt(*x), flip(y + h), pt(*w), pt(*h));
                    c.stroke();
                }
                Mark::Line { x1, y1, x2, y2, line } => {
                    c.set_line_width(pt(*line));
                    c.move_to(pt(*x1), flip(*y1));
                    c.line_to(pt(*x2), flip(*y2));
                    c.stroke();
                }
                Mark::Text { x, y, size, bold, text } => {
                    c.begin_text();
                    c.set_font(Name(if *bold { b"F2" } else { b"F1" }), pt(*size));
                    c.next_line(pt(*x), flip(*y));
                    c.show(Str(&winansi(text)));
                    c.end_text();
                }
            }
        }
        c.finish().into_vec()
    }
}

/// A PDF with one page per drawing (each at its own size) and the standard Helvetica
/// fonts in WinAnsi encoding (nothing embedded); `title` goes in the document
/// information that viewers show.
pub fn pages_to_pdf(pages: &[Drawing], title: Option<&str>) -> Vec<u8> {
    let (catalog, tree, regular, bold, info) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5));
    let page_ref = |i: usize| Ref::new(6 + 2 * i as i32);
    let content_ref = |i: usize| Ref::new(7 + 2 * i as i32);
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids((0..pages.len()).map(page_ref)).count(pages.len() as i32);
    for (i, d) in pages.iter().enumerate() {
        let mut p = pdf.page(page_ref(i));
        p.media_box(PdfRect::new(0.0, 0.0, (d.width * PT_PER_MM) as f32, (d.height * PT_PER_MM) as f32)).parent(tree).contents(content_ref(i));
        {
            let mut res = p.resources();
            let mut fonts = res.fonts();
            fonts.pair(Name(b"F1"), regular);
            fonts.pair(Name(b"F2"), bold);
        }
        drop(p);
        pdf.stream(content_ref(i), &d.content());
    }
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    let mut doc = pdf.document_info(info);
    doc.producer(TextStr("hemaflow"));
    if let Some(t) = title {
        doc.title(TextStr(t));
    }
    drop(doc);
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_and_pdf_carry_the_marks() {
        let mut d = Drawing::new(100.0, 100.0);
        d.fill(1.0, 2.0, 3.0, 4.0);
        d.frame(5.0, 5.0, 10.0, 10.0, 0.3);
        d.text(10.0, 20.0, 3.0, true, "O Rh POS <&>");
        let svg = d.to_svg();
        assert!(svg.contains(r#"width="100mm""#));
        assert!(svg.contains("O Rh POS &lt;&amp;&gt;"));
        let pdf = d.to_pdf();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.windows(9).any(|w| w == b"Helvetica"));
        assert!(pdf.windows(15).any(|w| w == b"WinAnsiEncoding"), "Latin-1 text prints as written");
    }

    #[test]
    fn several_pages_make_one_pdf() {
        let mut a = Drawing::new(210.0, 297.0);
        a.line(10.0, 10.0, 100.0, 10.0, 0.2);
        let b = Drawing::new(100.0, 100.0);
        let pdf = pages_to_pdf(&[a.clone(), b], Some("Packing list"));
        assert_eq!(pdf.windows(10).filter(|w| w == b"/Type /Pag").count(), 3, "a page tree and two pages");
        assert!(a.to_svg().contains("<line x1=\"10.000\""));
    }
}
