//! The charge of a signed apheresis procedure on the hospital's month invoice.

use super::{contract_in_force, no_contract, Draft};
use crate::{App, AppError, Result};
use domain::pricing::PriceList;
use std::collections::BTreeSet;
use store::ContractRow;
use uuid::Uuid;

impl App {
    /// The charge of a signed apheresis procedure under the contract in force on its day:
    /// base fee, supplies, and the after-hours and emergency surcharges that apply.
    pub(super) fn procedure_drafts(
        &self,
        code: &str,
        contracts: &[ContractRow],
        p: &store::BillableProcedure,
        used: &mut BTreeSet<Uuid>,
    ) -> Result<Vec<Draft>> {
        let tz = self.settings.time_zone;
        let (start, end) = (p.started_at.with_timezone(&tz).naive_local(), p.ended_at.with_timezone(&tz).naive_local());
        let day = start.date();
        let c = contract_in_force(contracts, day).ok_or_else(|| no_contract(code, day))?;
        used.insert(c.id);
        let list = PriceList::from_json(&c.price_list)?;
        let emergent = p.urgency == domain::apheresis::request::Urgency::Emergent && p.seq == 1;
        let reference = format!("{} treatment {} of {}", p.request_number, p.seq, p.treatments);
        let lines = domain::pricing::apheresis::procedure_lines(
            &list,
            p.procedure,
            domain::pricing::apheresis::after_hours(start, end),
            emergent,
            &reference,
        )
        .map_err(|e| AppError::Conflict(format!("{reference} under contract {}: {e}", c.number)))?;
        Ok(lines.into_iter().map(|line| Draft { line, source: Some(("procedure", p.procedure_id)) }).collect())
    }
}
