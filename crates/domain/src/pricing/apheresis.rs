//! Therapeutic apheresis on a contract's price list: per procedure a base fee, the
//! disposables (supplies), and surcharges for a procedure after hours and for an
//! emergent request. After hours is the company's contract term, not a regulation: a
//! procedure on a Saturday or Sunday, or one that starts before 08:00 or ends after
//! 18:00 local time.

use super::{capitalised, price_problem, InvoiceLine, InvoiceLineKind, PriceList};
use crate::apheresis::catalog::Procedure;
use chrono::{Datelike, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

/// The working day of the contracts: outside it, the after-hours surcharge applies.
pub const WORKDAY: (u32, u32) = (8, 18);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApheresisPrice {
    pub procedure: Procedure,
    pub base_cents: i64,
    /// Disposables: the kit, anticoagulant, lines.
    #[serde(default)]
    pub supplies_cents: i64,
    #[serde(default)]
    pub after_hours_cents: i64,
    #[serde(default)]
    pub emergency_cents: i64,
}

/// Whether a procedure from `start` to `end` (local) falls after hours.
pub fn after_hours(start: NaiveDateTime, end: NaiveDateTime) -> bool {
    let open = NaiveTime::from_hms_opt(WORKDAY.0, 0, 0).expect("hour");
    let close = NaiveTime::from_hms_opt(WORKDAY.1, 0, 0).expect("hour");
    matches!(start.weekday(), Weekday::Sat | Weekday::Sun) || start.time() < open || end.date() > start.date() || end.time() > close
}

/// Problems of the list's apheresis prices, each with its field.
pub(super) fn problems(list: &PriceList) -> Vec<(String, String)> {
    let mut out = vec![];
    for (i, p) in list.apheresis.iter().enumerate() {
        if let Some(j) = list.apheresis[..i].iter().position(|q| q.procedure == p.procedure) {
            out.push((format!("apheresis[{i}].procedure"), format!("{} is already priced at apheresis[{j}]", p.procedure.title())));
        }
        for (name, v) in [
            ("base_cents", p.base_cents),
            ("supplies_cents", p.supplies_cents),
            ("after_hours_cents", p.after_hours_cents),
            ("emergency_cents", p.emergency_cents),
        ] {
            if let Some(m) = price_problem(v, "price") {
                out.push((format!("apheresis[{i}].{name}"), m));
            }
        }
    }
    out
}

/// Why a procedure cannot be charged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is not on this price list; add it to the contract's apheresis prices before invoicing it", .0.title())]
pub struct ProcedureNotListed(pub Procedure);

/// The lines one procedure charges: the base fee, the supplies, and the surcharges that
/// apply. Lines of zero are left out.
pub fn procedure_lines(
    list: &PriceList,
    procedure: Procedure,
    after_hours: bool,
    emergent: bool,
    reference: &str,
) -> Result<Vec<InvoiceLine>, ProcedureNotListed> {
    let p = list.apheresis.iter().find(|p| p.procedure == procedure).ok_or(ProcedureNotListed(procedure))?;
    let line = |description: String, cents: i64| InvoiceLine {
        kind: InvoiceLineKind::Apheresis,
        description,
        reference: reference.to_string(),
        quantity: 1,
        unit_cents: cents,
        amount_cents: cents,
        tax_percent: list.tax_percent,
        credits_line: None,
    };
    let mut lines = vec![line(capitalised(procedure.title()), p.base_cents)];
    for (applies, what, cents) in [
        (true, "supplies", p.supplies_cents),
        (after_hours, "after-hours surcharge", p.after_hours_cents),
        (emergent, "emergency surcharge", p.emergency_cents),
    ] {
        if applies && cents > 0 {
            lines.push(line(format!("{}: {what}", procedure.title()), cents));
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> PriceList {
        PriceList::from_json(
            r#"{"currency": "USD", "products": [{"product": "plasma", "unit_cents": 6000}],
                "delivery_fee_cents": {"routine": 0, "urgent": 0}, "payment_terms_days": 30,
                "apheresis": [{"procedure": "plasma_exchange", "base_cents": 120000, "supplies_cents": 30000,
                               "after_hours_cents": 25000, "emergency_cents": 50000}]}"#,
        )
        .unwrap()
    }

    fn at(d: u32, h: u32, m: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap().and_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn a_plasma_exchange_at_night_for_an_emergency_carries_both_surcharges() {
        // 7 Dec 2026 is a Monday.
        assert!(!after_hours(at(7, 8, 0), at(7, 10, 15)));
        assert!(after_hours(at(7, 7, 30), at(7, 9, 45)));
        assert!(after_hours(at(7, 16, 30), at(7, 18, 45)));
        assert!(after_hours(at(12, 9, 0), at(12, 11, 0)), "Saturday");
        let lines = procedure_lines(&list(), Procedure::PlasmaExchange, true, true, "APH-2026-00001 1/5").unwrap();
        let cents: Vec<i64> = lines.iter().map(|l| l.amount_cents).collect();
        assert_eq!(cents, [120000, 30000, 25000, 50000]);
        assert!(lines.iter().all(|l| l.kind == InvoiceLineKind::Apheresis));
        let plain = procedure_lines(&list(), Procedure::PlasmaExchange, false, false, "x").unwrap();
        assert_eq!(plain.len(), 2);
    }

    #[test]
    fn an_unlisted_procedure_and_bad_prices_are_refused() {
        assert_eq!(procedure_lines(&list(), Procedure::Photopheresis, false, false, "x").unwrap_err(), ProcedureNotListed(Procedure::Photopheresis));
        let e = PriceList::from_json(
            r#"{"currency": "USD", "products": [{"product": "plasma", "unit_cents": 6000}],
                "delivery_fee_cents": {"routine": 0, "urgent": 0}, "payment_terms_days": 30,
                "apheresis": [{"procedure": "plasma_exchange", "base_cents": -1},
                              {"procedure": "plasma_exchange", "base_cents": 100}]}"#,
        )
        .unwrap_err();
        assert!(e.message_for("apheresis[0].base_cents").is_some(), "{e}");
        assert!(e.message_for("apheresis[1].procedure").is_some(), "{e}");
    }
}
