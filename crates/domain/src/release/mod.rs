//! The release gate: whether a unit may become available stock, and every reason when it
//! may not. One pure function over the facts the app reads in its write transaction;
//! release, emergency release, labeling, allocation and shipping all ask it, and every
//! event that can make a released unit unsafe (a result, a deferral, a hold, expiry)
//! asks it again for the units it touches.

use crate::component::{ComponentKind, ComponentState};
use crate::testing::{Blocks, Status};
use crate::BloodGroup;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// A deferral of the donor as the register has it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeferralSpan {
    pub starts_on: NaiveDate,
    /// Last day deferred; `None`: indefinite or permanent.
    pub ends_on: Option<NaiveDate>,
    pub reason: String,
}

impl DeferralSpan {
    fn covers(&self, day: NaiveDate) -> bool {
        self.starts_on <= day && self.ends_on.is_none_or(|e| day <= e)
    }
}

/// A test the donation needs, where it stands, and what a positive result blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct RequiredTest {
    pub code: String,
    pub title: String,
    pub status: Status,
    pub blocks: Blocks,
}

/// The ABO/RhD facts: the donation's own typing, the donor's history, open discrepancies.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFacts {
    /// The group determined on this donation (final), if any.
    pub donation: Option<BloodGroup>,
    /// The donor's confirmed historical group (two determinations that agree), if any.
    pub history: Option<BloodGroup>,
    /// A blood group discrepancy of the donor that quality has not resolved.
    pub open_discrepancy: bool,
}

/// An open hold on the unit (lookback, deviation, recall, quarantine, temperature).
#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    pub kind: String,
    pub reason: String,
}

/// A quality control result that must pass for this unit.
#[derive(Debug, Clone, PartialEq)]
pub struct QcCheck {
    pub name: String,
    pub passed: bool,
}

/// What was scanned from the unit's label at release.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelScan {
    NotScanned,
    Scanned { din: String, product_code: String, group: Option<BloodGroup> },
}

/// Everything the gate looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct GateFacts {
    pub now: DateTime<Utc>,
    pub din: String,
    pub product_code: String,
    pub kind: ComponentKind,
    pub state: ComponentState,
    pub expires_at: DateTime<Utc>,
    /// Collection day at the site (a pool is checked source by source).
    pub collected_on: NaiveDate,
    /// The donor was eligible at screening for this donation.
    pub eligible_at_collection: bool,
    pub deferrals: Vec<DeferralSpan>,
    pub tests: Vec<RequiredTest>,
    pub group: GroupFacts,
    /// A processing time limit that was not met, in words.
    pub processing_fault: Option<String>,
    pub qc: Vec<QcCheck>,
    pub holds: Vec<Hold>,
    pub label: LabelScan,
}

/// Why a unit may not be released: a stable code and the words staff read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: &'static str,
    pub reason: String,
}

fn refusal(code: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal { code, reason: reason.into() }
}

/// Whether the product carries donor plasma (an antibody in it matters).
pub fn contains_plasma(kind: ComponentKind) -> bool {
    !matches!(kind, ComponentKind::RedCells | ComponentKind::RedCellsFrozen)
}

fn blocks(kind: ComponentKind, b: Blocks) -> bool {
    match b {
        Blocks::All => true,
        Blocks::PlasmaContaining => contains_plasma(kind),
        Blocks::None => false,
    }
}

/// How release is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Every condition holds.
    Standard,
    /// Before testing completes, on a physician's signature (21 CFR 610.40(g)): tests may
    /// still be pending, but a reactive or positive result still refuses.
    Emergency,
}

/// Every reason the unit may not be released; empty when it may.
pub fn gate(f: &GateFacts, how: Release) -> Vec<Refusal> {
    let mut out = Vec::new();
    match f.state {
        ComponentState::InProcessing | ComponentState::Quarantine => {}
        ComponentState::Available => out.push(refusal("state", "the unit is released already")),
        other => out.push(refusal("state", format!("the unit is {}", other.title().to_lowercase()))),
    }
    if f.expires_at <= f.now {
        out.push(refusal("expired", "the unit has expired"));
    }
    if !f.eligible_at_collection {
        out.push(refusal("donor_ineligible", "the donor was not eligible on the day of collection"));
    }
    // A deferral recorded later that reaches back to the collection day (post-donation
    // information, a reactive result) counts as much as one known at screening.
    for d in f.deferrals.iter().filter(|d| d.covers(f.collected_on)) {
        out.push(refusal("deferral", format!("the donor is deferred on the day of collection: {}", d.reason)));
    }
    for t in &f.tests {
        match t.status {
            Status::Reactive if blocks(f.kind, t.blocks) => out.push(refusal("reactive", format!("{}: reactive", t.title))),
            Status::Reactive | Status::Nonreactive => {}
            pending if how == Release::Standard && t.blocks != Blocks::None => {
                out.push(refusal("test_pending", format!("{}: {}", t.title, pending.title())))
            }
            _ => {}
        }
    }
    let g = &f.group;
    if g.open_discrepancy {
        out.push(refusal("group_discrepancy", "the donor has an unresolved blood group discrepancy"));
    }
    match (g.donation, g.history) {
        (None, _) if how == Release::Standard => out.push(refusal("group_untested", "ABO/RhD of this donation is not determined yet")),
        (None, None) => out.push(refusal("group_unknown", "no ABO/RhD is known for this donor: the label needs one")),
        (Some(d), Some(h)) if d != h => {
            out.push(refusal("group_mismatch", format!("ABO/RhD of this donation ({}) differs from the donor's history ({})", d, h)))
        }
        (Some(_), None) if how == Release::Standard => out.push(refusal("group_unconfirmed", "ABO/RhD is not confirmed by a second determination")),
        _ => {}
    }
    if let Some(p) = &f.processing_fault {
        out.push(refusal("processing", p.clone()));
    }
    for q in f.qc.iter().filter(|q| !q.passed) {
        out.push(refusal("qc", format!("quality control failed: {}", q.name)));
    }
    for h in &f.holds {
        out.push(refusal("hold", format!("on hold ({}): {}", h.kind, h.reason)));
    }
    match &f.label {
        LabelScan::NotScanned => out.push(refusal("label_not_scanned", "scan the unit's label: DIN, product code and ABO/RhD")),
        LabelScan::Scanned { din, product_code, group } => {
            if din != &f.din {
                out.push(refusal("label_mismatch", format!("the scanned DIN {din} is not this unit's ({})", f.din)));
            }
            if product_code != &f.product_code {
                out.push(refusal("label_mismatch", format!("the scanned product code {product_code} is not this unit's ({})", f.product_code)));
            }
            let expected = g.history.or(g.donation);
            match (group, expected) {
                (Some(s), Some(e)) if *s != e => out.push(refusal("label_mismatch", format!("the label says {}, the record {}", s, e))),
                (None, _) => out.push(refusal("label_mismatch", "the label's ABO/RhD was not scanned")),
                _ => {}
            }
        }
    }
    out
}

/// Whether a unit that is available must leave available stock now: the same conditions,
/// except those only checked at the moment of release (the label scan and the state).
pub fn must_leave_stock(f: &GateFacts, how: Release) -> Vec<Refusal> {
    let mut g = f.clone();
    g.state = ComponentState::Quarantine;
    g.label = LabelScan::Scanned { din: f.din.clone(), product_code: f.product_code.clone(), group: f.group.history.or(f.group.donation) };
    gate(&g, how)
}

pub mod sim;

#[cfg(test)]
mod tests;
