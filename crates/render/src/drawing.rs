//! A page of simple marks in millimetres (origin top left), drawn to SVG or PDF.
//! Barcodes are filled rectangles, so both outputs scan the same.

use crate::barcode::{Code128, DataMatrix};
use pdf_writer::{Content, Name, Pdf, Rect as PdfRect, Ref, Str};
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A filled black rectangle.
    Fill { x: f64, y: f64, w: f64, h: f64 },
    /// An outlined rectangle.
    Frame { x: f64, y: f64, w: f64, h: f64, line: f64 },
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
        let (catalog, tree, page, content_id, regular, bold) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5), Ref::new(6));
        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids([page]).count(1);
        let (w, h) = (self.width * PT_PER_MM, self.height * PT_PER_MM);
        let mut p = pdf.page(page);
        p.media_box(PdfRect::new(0.0, 0.0, w as f32, h as f32)).parent(tree).contents(content_id);
        {
            let mut res = p.resources();
            let mut fonts = res.fonts();
            fonts.pair(Name(b"F1"), regular);
            fonts.pair(Name(b"F2"), bold);
        }
        drop(p);
        pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));

        let pt = |v: f64| (v * PT_PER_MM) as f32;
        let flip = |y: f64| ((self.height - y) * PT_PER_MM) as f32;
        let mut c = Content::new();
        c.set_fill_gray(0.0);
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
                Mark::Text { x, y, size, bold, text } => {
                    // WinAnsi matches Latin-1 from 0xA0 up; other characters become '?'.
                    let bytes: Vec<u8> =
                        text.chars().map(|ch| if (ch as u32) < 0x80 || (0xA0..0x100).contains(&(ch as u32)) { ch as u8 } else { b'?' }).collect();
                    c.begin_text();
                    c.set_font(Name(if *bold { b"F2" } else { b"F1" }), pt(*size));
                    c.next_line(pt(*x), flip(*y));
                    c.show(Str(&bytes));
                    c.end_text();
                }
            }
        }
        pdf.stream(content_id, &c.finish());
        pdf.finish()
    }
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
}
