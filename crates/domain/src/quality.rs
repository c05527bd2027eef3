//! Quality records: quality control specifications of components (which checks apply to
//! which product, and whether a measured value passes), and biological product
//! deviations (their status and the FDA reporting deadline).

use crate::component::{Attribute, ComponentKind};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A quality control check of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QcCheck {
    /// Platelet pH at the end of storage or when tested.
    PlateletPh,
    /// Platelets per unit.
    PlateletContent,
    /// Residual white cells per unit after leukocyte reduction.
    ResidualWbc,
}

/// How a specification compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    AtLeast(f64),
    Below(f64),
}

/// A check's specification for one product.
#[derive(Debug, Clone, PartialEq)]
pub struct QcSpec {
    pub check: QcCheck,
    pub limit: Limit,
    /// The limit in words, e.g. `pH ≥ 6.2`.
    pub text: &'static str,
    /// Where the number comes from.
    pub source: &'static str,
}

impl QcCheck {
    pub const ALL: [QcCheck; 3] = [QcCheck::PlateletPh, QcCheck::PlateletContent, QcCheck::ResidualWbc];

    pub fn as_str(self) -> &'static str {
        match self {
            QcCheck::PlateletPh => "platelet_ph",
            QcCheck::PlateletContent => "platelet_content",
            QcCheck::ResidualWbc => "residual_wbc",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            QcCheck::PlateletPh => "Platelet pH",
            QcCheck::PlateletContent => "Platelet content (per unit)",
            QcCheck::ResidualWbc => "Residual white cells (per unit)",
        }
    }

    /// How the value is written, shown next to the field.
    pub fn unit_hint(self) -> &'static str {
        match self {
            QcCheck::PlateletPh => "pH, e.g. 7.1",
            QcCheck::PlateletContent => "platelets per unit, e.g. 3.4e11 or 3.4 x 10^11",
            QcCheck::ResidualWbc => "white cells per unit, e.g. 1.2e6 or 1.2 x 10^6",
        }
    }

    pub fn parse(s: &str) -> Option<QcCheck> {
        let s = s.trim();
        QcCheck::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s) || c.title().eq_ignore_ascii_case(s))
    }

    /// The largest value that can be a real measurement: beyond it the entry is a typo.
    fn plausible_max(self) -> f64 {
        match self {
            QcCheck::PlateletPh => 14.0,
            // A triple apheresis collection holds about 1e12; ten times that is no unit.
            QcCheck::PlateletContent => 1.0e13,
            // An unfiltered unit holds about 1e9 white cells.
            QcCheck::ResidualWbc => 1.0e11,
        }
    }
}

/// The checks a product needs and their limits (reference §2.2, Part 640).
pub fn specs_for(kind: ComponentKind, attributes: &BTreeSet<Attribute>) -> Vec<QcSpec> {
    let mut out = Vec::new();
    match kind {
        ComponentKind::Platelets => {
            // pH ≥ 6.2 throughout storage: 21 CFR 640.24(d) (reference §2.2 [V]).
            out.push(QcSpec { check: QcCheck::PlateletPh, limit: Limit::AtLeast(6.2), text: "pH ≥ 6.2", source: "21 CFR 640.24(d)" });
            if attributes.contains(&Attribute::Apheresis) {
                // Apheresis platelets ≥ 3.0 × 10^11 per unit (reference §2.2 [S], bloodcenters.org).
                out.push(QcSpec {
                    check: QcCheck::PlateletContent,
                    limit: Limit::AtLeast(3.0e11),
                    text: "≥ 3.0 × 10^11 platelets per unit",
                    source: "reference §2.2 (apheresis platelets)",
                });
            } else if !attributes.contains(&Attribute::Pooled) {
                // Whole-blood-derived: ≥ 5.5 × 10^10 per unit, 21 CFR 640.24(c) (reference §2.2 [V]).
                out.push(QcSpec {
                    check: QcCheck::PlateletContent,
                    limit: Limit::AtLeast(5.5e10),
                    text: "≥ 5.5 × 10^10 platelets per unit",
                    source: "21 CFR 640.24(c)",
                });
            }
        }
        ComponentKind::RedCells if attributes.contains(&Attribute::Leukoreduced) => {
            // Leukoreduced red cells: < 5.0 × 10^6 residual WBC per unit (reference §2.2 [S]).
            out.push(QcSpec {
                check: QcCheck::ResidualWbc,
                limit: Limit::Below(5.0e6),
                text: "< 5.0 × 10^6 white cells per unit",
                source: "reference §2.2 (Circular of Information)",
            });
        }
        _ => {}
    }
    out
}

/// Reads a measured value: a plain or scientific number (`7.1`, `3.4e11`) or a
/// power of ten written out (`3.4 x 10^11`, `3.4 × 10^11`, `3.4*10^11`).
pub fn parse_value(check: QcCheck, s: &str) -> Result<f64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("enter the measured value ({})", check.unit_hint()));
    }
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect::<String>().replace(['×', '*'], "x");
    let v = match compact.split_once("x10^") {
        Some((m, e)) => match (m.parse::<f64>(), e.parse::<i32>()) {
            (Ok(m), Ok(e)) if (-30..=30).contains(&e) => Some(m * 10f64.powi(e)),
            _ => None,
        },
        None => compact.parse::<f64>().ok(),
    };
    let v = v.filter(|v| v.is_finite()).ok_or_else(|| format!("'{t}' is not a number ({})", check.unit_hint()))?;
    if v < 0.0 {
        return Err(format!("'{t}' is negative: a measurement cannot be"));
    }
    if v > check.plausible_max() {
        return Err(format!("'{t}' is beyond any real measurement of {}: check the value and its power of ten", check.title().to_lowercase()));
    }
    Ok(v)
}

impl QcSpec {
    pub fn passes(&self, value: f64) -> bool {
        match self.limit {
            Limit::AtLeast(min) => value >= min,
            Limit::Below(max) => value < max,
        }
    }
}

/// Where a deviation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviationStatus {
    Open,
    Investigating,
    Closed,
}

impl DeviationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Investigating => "investigating",
            Self::Closed => "closed",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Investigating => "Under investigation",
            Self::Closed => "Closed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Investigating, Self::Closed].into_iter().find(|x| x.as_str() == s.trim())
    }
}

/// Calendar days after acquiring information that reasonably suggests a reportable
/// event within which Form FDA 3486 is due: 21 CFR 606.171 (reference §4.4 [V]).
pub const REPORT_WITHIN_DAYS: i64 = 45;

/// The reporting deadline of a reportable deviation.
pub fn report_deadline(acquired_on: NaiveDate) -> NaiveDate {
    acquired_on + Duration::days(REPORT_WITHIN_DAYS)
}

/// A reportable deviation not reported by the end of its deadline day is overdue.
pub fn is_overdue(reportable: bool, acquired_on: NaiveDate, reported_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    reportable && reported_on.is_none() && today > report_deadline(acquired_on)
}

/// A deviation is reportable only when it involves distributed product: 21 CFR 606.171
/// (reference §4.4 [V]). The refusal in words, or `None`.
pub fn reportable_refusal(distributed: bool, reportable: bool) -> Option<&'static str> {
    (reportable && !distributed).then_some("a deviation is reportable to FDA only when it involves distributed product (21 CFR 606.171)")
}

/// The facts closing a deviation depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosingFacts<'a> {
    pub status: DeviationStatus,
    pub root_cause: &'a str,
    pub corrective_action: &'a str,
    pub reportable: bool,
    pub reported: bool,
}

/// Every reason a deviation may not be closed, by field; empty when it may.
pub fn closing_refusals(f: &ClosingFacts) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if f.status == DeviationStatus::Closed {
        out.push(("status", "the deviation is closed already"));
        return out;
    }
    if f.root_cause.trim().is_empty() {
        out.push(("root_cause", "state the root cause before closing"));
    }
    if f.corrective_action.trim().is_empty() {
        out.push(("corrective_action", "state the corrective action before closing"));
    }
    if f.reportable && !f.reported {
        out.push(("reported_on", "a reportable deviation is reported to FDA (Form FDA 3486) before it is closed"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(a: &[Attribute]) -> BTreeSet<Attribute> {
        a.iter().copied().collect()
    }

    fn spec(kind: ComponentKind, a: &[Attribute], check: QcCheck) -> Option<QcSpec> {
        specs_for(kind, &attrs(a)).into_iter().find(|s| s.check == check)
    }

    #[test]
    fn platelet_ph_passes_at_6_2_and_fails_below() {
        let s = spec(ComponentKind::Platelets, &[], QcCheck::PlateletPh).unwrap();
        assert!(s.passes(6.2));
        assert!(s.passes(7.4));
        assert!(!s.passes(6.19));
    }

    #[test]
    fn platelet_content_depends_on_how_they_were_made() {
        let wbd = spec(ComponentKind::Platelets, &[], QcCheck::PlateletContent).unwrap();
        assert!(wbd.passes(5.5e10) && !wbd.passes(5.4e10));
        let aph = spec(ComponentKind::Platelets, &[Attribute::Apheresis], QcCheck::PlateletContent).unwrap();
        assert!(aph.passes(3.0e11) && !aph.passes(2.9e11) && !aph.passes(5.5e10));
    }

    #[test]
    fn residual_wbc_applies_to_leukoreduced_red_cells_only() {
        let s = spec(ComponentKind::RedCells, &[Attribute::Leukoreduced], QcCheck::ResidualWbc).unwrap();
        assert!(s.passes(4.9e6) && !s.passes(5.0e6));
        assert!(spec(ComponentKind::RedCells, &[], QcCheck::ResidualWbc).is_none());
        assert!(specs_for(ComponentKind::Ffp, &attrs(&[Attribute::Leukoreduced])).is_empty());
        assert!(spec(ComponentKind::RedCells, &[Attribute::Leukoreduced], QcCheck::PlateletPh).is_none());
    }

    #[test]
    fn values_read_in_every_written_form_and_impossible_ones_are_refused() {
        let c = QcCheck::PlateletContent;
        for s in ["3.4e11", "3.4 x 10^11", "3.4×10^11", "3.4 * 10^11", "340000000000"] {
            assert!((parse_value(c, s).unwrap() - 3.4e11).abs() < 1.0, "{s}");
        }
        assert!(parse_value(c, "-1").unwrap_err().contains("negative"));
        assert!(parse_value(c, "lots").unwrap_err().contains("not a number"));
        assert!(parse_value(c, "NaN").is_err());
        assert!(parse_value(c, "inf").is_err());
        assert!(parse_value(c, "3.4e40").unwrap_err().contains("beyond"));
        assert!(parse_value(QcCheck::PlateletPh, "71").unwrap_err().contains("beyond"));
        assert!(parse_value(QcCheck::PlateletPh, "").unwrap_err().contains("enter"));
        assert_eq!(parse_value(QcCheck::PlateletPh, " 7.1 ").unwrap(), 7.1);
    }

    #[test]
    fn the_report_is_due_45_calendar_days_after_the_information_was_acquired() {
        let acquired = NaiveDate::from_ymd_opt(2026, 1, 20).unwrap();
        assert_eq!(report_deadline(acquired), NaiveDate::from_ymd_opt(2026, 3, 6).unwrap());
        let deadline = report_deadline(acquired);
        assert!(!is_overdue(true, acquired, None, deadline), "due on the deadline day itself");
        assert!(is_overdue(true, acquired, None, deadline + Duration::days(1)));
        assert!(!is_overdue(true, acquired, Some(deadline), deadline + Duration::days(10)), "reported");
        assert!(!is_overdue(false, acquired, None, deadline + Duration::days(10)), "not reportable");
    }

    #[test]
    fn only_deviations_involving_distributed_product_are_reportable() {
        assert!(reportable_refusal(false, true).is_some());
        assert!(reportable_refusal(true, true).is_none());
        assert!(reportable_refusal(false, false).is_none());
    }

    #[test]
    fn closing_needs_root_cause_corrective_action_and_the_report() {
        let f = ClosingFacts { status: DeviationStatus::Investigating, root_cause: " ", corrective_action: "", reportable: true, reported: false };
        let fields: Vec<&str> = closing_refusals(&f).into_iter().map(|x| x.0).collect();
        assert_eq!(fields, ["root_cause", "corrective_action", "reported_on"]);
        let ok = ClosingFacts { root_cause: "label printer", corrective_action: "retrained", reported: true, ..f };
        assert!(closing_refusals(&ok).is_empty());
        let closed = ClosingFacts { status: DeviationStatus::Closed, ..ok };
        assert_eq!(closing_refusals(&closed)[0].0, "status");
    }
}
