//! The trace from a donor to every hospital that received any of their components,
//! and back: one page and one API call (21 CFR 610.46 asks for exactly this reach).

use crate::components::ComponentView;
use crate::consignees::{place_words, title_of, DISPOSITIONS};
use crate::{Actor, App, Result};
use chrono::{DateTime, Utc};
use domain::component::ComponentState;
use domain::Permission;
use serde::Serialize;
use store::CaseShipmentRow;
use uuid::Uuid;

/// From a donor to every hospital that received any of their components.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    pub donor_number: String,
    pub donations: Vec<TraceDonation>,
    /// Units made from the donor's units that carry another DIN (pools).
    pub derived: Vec<TraceUnit>,
    /// Every hospital that received one of the units (codes, each once).
    pub hospitals: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceDonation {
    pub din: Option<String>,
    pub collected_at: DateTime<Utc>,
    pub units: Vec<TraceUnit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceUnit {
    pub din: String,
    pub product_code: String,
    pub product: String,
    pub state: ComponentState,
    pub state_title: String,
    pub location: String,
    /// The units it was made from (`DIN product-code`), for modifications and pools.
    pub made_from: Vec<String>,
    pub consignees: Vec<TraceConsignee>,
    /// What the hospital reported (transfused, wasted, expired), in words.
    pub disposition: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceConsignee {
    pub hospital_code: String,
    pub hospital_name: String,
    pub shipment: String,
    pub shipped_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
}

impl App {
    /// The trace of a donor: donations → units (with what they were made from) → state,
    /// place, consignees and dispositions. Staff who may see donors only.
    pub async fn trace(&self, actor: &Actor, donor_number: &str) -> Result<Trace> {
        actor.require(Permission::ViewDonors)?;
        // A merged-away number resolves to the survivor; the donations are the whole family's.
        let resolved = self.resolve_donor(donor_number.trim()).await?;
        let donor = resolved.donor.clone();
        let mut donations = self.store.donations_of_all(&resolved.family).await?;
        donations.sort_by_key(|d| d.collected_at);
        let dins: Vec<String> = donations.iter().filter_map(|d| d.din.clone()).collect();
        let (rows, links) = self.store.genealogy(&dins).await?;
        let mut hospitals: Vec<String> = Vec::new();
        let mut seen: Vec<Uuid> = rows.iter().filter(|r| dins.contains(&r.din)).map(|r| r.id).collect();
        // Products made from the donor's units under another DIN (pools), to a fixpoint.
        loop {
            let more: Vec<Uuid> = rows
                .iter()
                .filter(|r| !seen.contains(&r.id) && links.iter().any(|l| l.component_id == r.id && seen.contains(&l.source_id)))
                .map(|r| r.id)
                .collect();
            if more.is_empty() {
                break;
            }
            seen.extend(more);
        }
        let mut traced: Vec<(Option<Uuid>, TraceUnit)> = Vec::new();
        for r in rows.iter().filter(|r| seen.contains(&r.id)) {
            let place = self.store.unit_place(r.id).await?;
            let consignees = self.store.consignees_of(r.id).await?;
            for c in &consignees {
                if !hospitals.contains(&c.hospital_code) {
                    hospitals.push(c.hospital_code.clone());
                }
            }
            let v = ComponentView::of(r);
            let location = match (&place, consignees.last()) {
                (Some(p), last) => {
                    let last = last.map(|c| CaseShipmentRow {
                        component_id: r.id,
                        din: r.din.clone(),
                        product_code: r.product_code.clone(),
                        shipment_number: c.shipment_number.clone(),
                        hospital_id: c.hospital_id,
                        hospital_code: c.hospital_code.clone(),
                        hospital_name: c.hospital_name.clone(),
                        contact_email: None,
                        shipped_at: c.shipped_at.unwrap_or(r.made_at),
                    });
                    place_words(p, last.as_ref())
                }
                (None, _) => v.state_title.clone(),
            };
            let made_from = links
                .iter()
                .filter(|l| l.component_id == r.id)
                .filter_map(|l| rows.iter().find(|x| x.id == l.source_id))
                .map(|x| format!("{} {}", x.din, x.product_code))
                .collect();
            let in_donation = donations.iter().find(|d| d.din.as_deref() == Some(r.din.as_str())).map(|d| d.id);
            traced.push((
                in_donation,
                TraceUnit {
                    din: v.din,
                    product_code: v.product_code,
                    product: v.product,
                    state: v.state,
                    state_title: v.state_title,
                    location,
                    made_from,
                    consignees: consignees
                        .into_iter()
                        .map(|c| TraceConsignee {
                            hospital_code: c.hospital_code,
                            hospital_name: c.hospital_name,
                            shipment: c.shipment_number,
                            shipped_at: c.shipped_at,
                            received_at: c.received_at,
                        })
                        .collect(),
                    disposition: place.and_then(|p| p.disposition).map(|d| title_of(DISPOSITIONS, &d)),
                },
            ));
        }
        let mut out = Vec::new();
        for d in &donations {
            out.push(TraceDonation {
                din: d.din.clone(),
                collected_at: d.collected_at,
                units: traced.iter().filter(|(id, _)| *id == Some(d.id)).map(|(_, u)| u.clone()).collect(),
            });
        }
        Ok(Trace {
            donor_number: donor.donor_number,
            donations: out,
            derived: traced.into_iter().filter(|(id, _)| id.is_none()).map(|(_, u)| u).collect(),
            hospitals,
        })
    }
}
