//! Small server-side charts as self-contained SVG: the same markup goes into a page
//! or a PDF and needs no JavaScript.
//!
//! Labels never run into their bars: a label too long for its slot wraps onto a second
//! line, and what still does not fit is cut with an ellipsis, the whole label kept as
//! a tooltip (`<title>`). Widths are estimated from the advance widths of DejaVu Sans
//! (the font the chart asks for; Verdana and the usual sans-serif fonts are no wider).

use crate::number::thousands;
use std::fmt::Write;

/// One bar: a label and a count.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
}

/// A horizontal bar chart with a label, a bar and the count (and share) per row.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Read by screen readers as the chart's name.
    pub title: String,
    pub bars: Vec<Bar>,
    /// Show each bar's share of the total beside its value: for counts of one whole
    /// (units by group), not for rates, days or money per month.
    pub shares: bool,
}

/// Font size of every text in the chart, in user units (px when drawn 1:1).
pub const FONT: f64 = 13.0;
/// The label slot on the left, the bars, the value slot on the right (user units).
pub const LABEL_W: f64 = 170.0;
pub const BAR_W: f64 = 330.0;
pub const VALUE_W: f64 = 130.0;
const GAP: f64 = 10.0;
const BAR_X: f64 = LABEL_W + GAP;
const WIDTH: f64 = LABEL_W + GAP + BAR_W + GAP + VALUE_W;
/// Row heights for a one-line and a two-line label.
const ROW: f64 = 26.0;
const ROW2: f64 = 38.0;
const LINE: f64 = 15.0;
const BAR_H: f64 = 18.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Advance width of one character in ems (DejaVu Sans, rounded up).
fn glyph_em(c: char) -> f64 {
    match c {
        'i' | 'j' | 'l' | '\'' | '|' | '!' => 0.28,
        '.' | ',' | ':' | ';' | ' ' | '·' => 0.32,
        'I' | 'J' => 0.30,
        'f' | 't' | '/' | '\\' | '(' | ')' | '[' | ']' | '-' => 0.40,
        'r' => 0.42,
        '"' => 0.46,
        'c' | 's' | 'z' => 0.56,
        'k' | 'v' | 'x' | 'y' => 0.60,
        'a' | 'b' | 'd' | 'e' | 'g' | 'h' | 'n' | 'o' | 'p' | 'q' | 'u' | '_' | '?' => 0.64,
        '0'..='9' | '$' | '#' | '*' => 0.64,
        'L' | 'F' => 0.60,
        'E' | 'P' | 'S' | 'T' | 'Y' | 'Z' => 0.69,
        'A' | 'B' | 'K' | 'R' | 'V' | 'X' => 0.70,
        'C' | 'H' | 'N' | 'U' => 0.76,
        'D' | 'G' | 'O' | 'Q' => 0.79,
        'w' | '&' | '+' | '=' | '<' | '>' | '~' => 0.84,
        'M' => 0.87,
        'W' | '%' | 'm' | '@' | '—' | '…' => 1.0,
        c if c.is_ascii() => 0.70,
        // Accented letters and other scripts: about an em, to be safe.
        _ => 1.0,
    }
}

/// Estimated width of `s` drawn at `font` user units.
pub fn text_width(s: &str, font: f64) -> f64 {
    s.chars().map(glyph_em).sum::<f64>() * font
}

/// The longest start of `s` that fits `max` with an ellipsis after it.
fn truncate(s: &str, max: f64) -> String {
    let mut out = String::new();
    for c in s.chars() {
        out.push(c);
        if text_width(&format!("{}…", out.trim_end()), FONT) > max {
            out.pop();
            break;
        }
    }
    format!("{}…", out.trim_end())
}

/// Breaks a label into at most two lines that each fit `max`; the second line is cut
/// with an ellipsis if the rest is still too long. Returns the lines and whether the
/// label was cut.
pub fn fit_label(label: &str, max: f64) -> (Vec<String>, bool) {
    let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
    if text_width(&label, FONT) <= max {
        return (vec![label], false);
    }
    let words: Vec<&str> = label.split(' ').collect();
    let mut first = String::new();
    let mut used = 0;
    for w in &words {
        let candidate = if first.is_empty() { (*w).to_string() } else { format!("{first} {w}") };
        if text_width(&candidate, FONT) > max {
            break;
        }
        first = candidate;
        used += 1;
    }
    if used == 0 {
        // One word longer than the slot: one line, cut.
        return (vec![truncate(&label, max)], true);
    }
    let rest = words[used..].join(" ");
    if text_width(&rest, FONT) <= max {
        (vec![first, rest], false)
    } else {
        (vec![first, truncate(&rest, max)], true)
    }
}

impl BarChart {
    /// Renders the chart. Negative values are drawn as zero-length bars.
    pub fn to_svg(&self) -> String {
        let max = self.bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
        let total: i64 = self.bars.iter().map(|b| b.value.max(0)).sum::<i64>().max(1);
        let rows: Vec<(Vec<String>, bool)> = self.bars.iter().map(|b| fit_label(&b.label, LABEL_W)).collect();
        let height: f64 = rows.iter().map(|(lines, _)| if lines.len() > 1 { ROW2 } else { ROW }).sum::<f64>().max(ROW) + 4.0;
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" font-family="'DejaVu Sans', Verdana, sans-serif" font-size="{FONT}" role="img" aria-label="{t}"><title>{t}</title>"#,
            t = escape(&self.title)
        );
        let mut top = 2.0;
        for (b, (lines, cut)) in self.bars.iter().zip(&rows) {
            let row_h = if lines.len() > 1 { ROW2 } else { ROW };
            let mid = top + row_h / 2.0;
            let len = (b.value.max(0) as f64 / max as f64 * BAR_W).round();
            let share = b.value.max(0) as f64 * 100.0 / total as f64;
            let full = escape(&b.label);
            let v = thousands(b.value);
            // The first line's baseline: text centred on the row (0.35 em below the middle).
            let first_y = mid - (lines.len() as f64 - 1.0) * LINE / 2.0 + FONT * 0.35;
            let _ = write!(svg, r#"<g class="row"><text class="label" x="0" y="{first_y:.1}">"#);
            if *cut {
                let _ = write!(svg, "<title>{full}</title>");
            }
            for (i, line) in lines.iter().enumerate() {
                let _ = write!(svg, r#"<tspan x="0" y="{:.1}">{}</tspan>"#, first_y + i as f64 * LINE, escape(line));
            }
            let _ = write!(
                svg,
                r#"</text><rect x="{BAR_X}" y="{y:.1}" width="{len}" height="{BAR_H}" rx="3" class="bar"><title>{full}: {v}</title></rect><text x="{vx}" y="{ty:.1}" class="value" text-anchor="end">{v}{shown}</text></g>"#,
                shown = if self.shares { format!(" · {share:.1}%") } else { String::new() },
                y = mid - BAR_H / 2.0,
                vx = WIDTH - 2.0,
                ty = mid + FONT * 0.35,
            );
            top += row_h;
        }
        svg.push_str("</svg>");
        svg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roxmltree::{Document, Node};

    fn chart() -> BarChart {
        BarChart {
            title: "Donors by ABO/RhD".into(),
            bars: vec![Bar { label: "O+".into(), value: 380 }, Bar { label: "AB-".into(), value: 10 }, Bar { label: "A<B".into(), value: 0 }],
            shares: true,
        }
    }

    #[test]
    fn a_chart_of_rates_or_days_shows_no_shares() {
        let svg = BarChart { shares: false, ..chart() }.to_svg();
        assert!(svg.contains(">380</text>") && !svg.contains(" · "), "{svg}");
    }

    fn labels<'a>(doc: &'a Document) -> Vec<Node<'a, 'a>> {
        doc.descendants().filter(|n| n.has_tag_name("text") && n.attribute("class") == Some("label")).collect()
    }

    /// The drawn lines of a label: its tspans' text.
    fn lines(label: Node) -> Vec<String> {
        label.children().filter(|n| n.has_tag_name("tspan")).map(|n| n.text().unwrap_or("").to_string()).collect()
    }

    fn attr(n: Node, a: &str) -> f64 {
        n.attribute(a).unwrap().parse().unwrap()
    }

    #[test]
    fn svg_is_well_formed_and_scales_to_the_largest_bar() {
        let svg = chart().to_svg();
        let doc = Document::parse(&svg).expect("well-formed SVG");
        let rects: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("rect")).collect();
        assert_eq!(rects.len(), 3);
        let w = |i: usize| attr(rects[i], "width");
        assert_eq!(w(0), BAR_W);
        assert_eq!(w(1), (10.0 / 380.0 * BAR_W).round());
        assert_eq!(w(2), 0.0);
        assert!(svg.contains("A&lt;B"), "labels are escaped");
        assert!(svg.contains("380 · 97.4%"));
    }

    #[test]
    fn empty_chart_still_renders() {
        let svg = BarChart { title: "none".into(), bars: vec![], shares: true }.to_svg();
        assert!(Document::parse(&svg).is_ok());
    }

    #[test]
    fn a_long_label_is_cut_to_its_slot_and_kept_whole_in_a_tooltip() {
        let long = "First-time donors from the university spring blood drive, second reminder by text message";
        let svg = BarChart { title: "Units per campaign".into(), bars: vec![Bar { label: long.into(), value: 12 }], shares: true }.to_svg();
        let doc = Document::parse(&svg).unwrap();
        let label = labels(&doc)[0];
        let drawn = lines(label);
        assert_eq!(drawn.len(), 2, "wrapped onto two lines: {drawn:?}");
        for line in &drawn {
            assert!(text_width(line, FONT) <= LABEL_W, "{line:?} is {} wide, the slot {LABEL_W}", text_width(line, FONT));
        }
        assert!(drawn[1].ends_with('…'), "the rest is cut with an ellipsis: {drawn:?}");
        let title = label.children().find(|n| n.has_tag_name("title")).expect("a <title> tooltip on the cut label");
        assert_eq!(title.text(), Some(long));
        // The words kept are the label's own, in order.
        let shown = format!("{} {}", drawn[0], drawn[1].trim_end_matches('…'));
        assert!(long.starts_with(shown.trim_end()), "{shown:?}");
    }

    #[test]
    fn a_label_that_fits_on_two_lines_wraps_without_a_cut() {
        let label = "O- whole blood SMS appeal";
        let (lines_, cut) = fit_label(label, 110.0);
        assert!(!cut && lines_.len() == 2, "{lines_:?}");
        assert_eq!(lines_.join(" "), label);
        let svg = BarChart { title: "t".into(), bars: vec![Bar { label: "O- SMS appeal to lapsed donors".into(), value: 3 }], shares: true }.to_svg();
        let doc = Document::parse(&svg).unwrap();
        let l = labels(&doc)[0];
        assert!(l.children().all(|n| !n.has_tag_name("title")), "nothing cut, no tooltip needed");
        assert_eq!(lines(l).join(" "), "O- SMS appeal to lapsed donors");
    }

    #[test]
    fn one_word_too_long_for_the_slot_is_cut_on_one_line() {
        let word = "Pneumonoultramicroscopicsilicovolcanoconiosis-campaign";
        let (l, cut) = fit_label(word, LABEL_W);
        assert!(cut && l.len() == 1 && l[0].ends_with('…'), "{l:?}");
        assert!(text_width(&l[0], FONT) <= LABEL_W);
    }

    #[test]
    fn no_label_reaches_its_bar_and_rows_do_not_overlap() {
        let bars = vec![
            Bar { label: "WWWWWWWWWWWWWWWWWWWWWWWWWWWW".into(), value: 5 },
            Bar { label: "MMMM MMMM MMMM MMMM MMMM MMMM MMMM".into(), value: 7 },
            Bar { label: "Ärztliche Blutspende-Aktion München Süd".into(), value: 1_234_567 },
            Bar { label: "O+".into(), value: 1 },
        ];
        let svg = BarChart { title: "t".into(), bars, shares: true }.to_svg();
        let doc = Document::parse(&svg).unwrap();
        let rects: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("rect")).collect();
        let mut previous_bottom = 0.0;
        for (label, rect) in labels(&doc).into_iter().zip(&rects) {
            for line in lines(label) {
                assert!(text_width(&line, FONT) < attr(*rect, "x"), "{line:?} runs into its bar");
            }
            let y = attr(*rect, "y");
            assert!(y >= previous_bottom, "bars overlap");
            previous_bottom = y + attr(*rect, "height");
        }
        // The value column holds the largest count with its share.
        let values: Vec<_> = doc.descendants().filter(|n| n.attribute("class") == Some("value")).collect();
        for v in values {
            assert!(text_width(v.text().unwrap(), FONT) <= VALUE_W, "{:?}", v.text());
        }
        assert!(svg.contains("1,234,567 · "), "counts have thousands separators");
    }

    #[test]
    fn width_estimate_orders_glyphs_sensibly() {
        assert!(text_width("iiii", FONT) < text_width("nnnn", FONT));
        assert!(text_width("nnnn", FONT) < text_width("MMMM", FONT));
        assert_eq!(text_width("", FONT), 0.0);
    }
}
