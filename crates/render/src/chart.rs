//! Small server-side charts as self-contained SVG: the same markup goes into a page
//! or a PDF and needs no JavaScript.

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
}

const ROW: u32 = 26;
const LABEL_W: u32 = 56;
const BAR_W: u32 = 420;
const VALUE_W: u32 = 130;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl BarChart {
    /// Renders the chart. Negative values are drawn as zero-length bars.
    pub fn to_svg(&self) -> String {
        let width = LABEL_W + BAR_W + VALUE_W;
        let height = ROW * self.bars.len().max(1) as u32 + 4;
        let max = self.bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
        let total: i64 = self.bars.iter().map(|b| b.value.max(0)).sum::<i64>().max(1);
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{}">"#,
            escape(&self.title)
        );
        let _ = write!(svg, "<title>{}</title>", escape(&self.title));
        for (i, b) in self.bars.iter().enumerate() {
            let y = i as u32 * ROW + 2;
            let len = (b.value.max(0) as f64 / max as f64 * BAR_W as f64).round() as u32;
            let share = b.value.max(0) as f64 * 100.0 / total as f64;
            let _ = write!(
                svg,
                r#"<g class="row"><text x="0" y="{ty}" class="label">{label}</text><rect x="{LABEL_W}" y="{y}" width="{len}" height="{h}" rx="3" class="bar"><title>{label}: {v}</title></rect><text x="{vx}" y="{ty}" class="value" text-anchor="end">{v} · {share:.1}%</text></g>"#,
                ty = y + 16,
                h = ROW - 8,
                vx = width - 2,
                label = escape(&b.label),
                v = b.value,
            );
        }
        svg.push_str("</svg>");
        svg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> BarChart {
        BarChart {
            title: "Donors by ABO/RhD".into(),
            bars: vec![Bar { label: "O+".into(), value: 380 }, Bar { label: "AB-".into(), value: 10 }, Bar { label: "A<B".into(), value: 0 }],
        }
    }

    #[test]
    fn svg_is_well_formed_and_scales_to_the_largest_bar() {
        let svg = chart().to_svg();
        let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        let rects: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("rect")).collect();
        assert_eq!(rects.len(), 3);
        let w = |i: usize| rects[i].attribute("width").unwrap().parse::<u32>().unwrap();
        assert_eq!(w(0), BAR_W);
        assert_eq!(w(1), (10.0 / 380.0 * BAR_W as f64).round() as u32);
        assert_eq!(w(2), 0);
        assert!(svg.contains("A&lt;B"), "labels are escaped");
        assert!(svg.contains("380 · 97.4%"));
    }

    #[test]
    fn empty_chart_still_renders() {
        let svg = BarChart { title: "none".into(), bars: vec![] }.to_svg();
        assert!(roxmltree::Document::parse(&svg).is_ok());
    }
}
