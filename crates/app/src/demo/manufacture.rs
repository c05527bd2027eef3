//! Demo: today's collections get their collection records (a few reactions, one
//! incomplete collection) and the complete ones are separated; one unit is irradiated,
//! one FFP divided, and two FFPs of donors of one group become cryoprecipitate pooled
//! into one unit. Every step goes through the same use cases staff use.

use crate::collection_record::ReactionEntry;
use crate::components::{ModificationInput, SeparationInput, UnitRef};
use crate::{Actor, App, Result};
use domain::collection::{CollectionInput, ReactionInput};
use domain::component::ComponentKind;

impl App {
    pub(crate) async fn demo_manufacture(&self, actor: &Actor) -> Result<()> {
        let since = chrono::Utc::now() - chrono::Duration::hours(12);
        let mut donations = self.store.donations_with_din_since(since, 50).await?;
        donations.sort_by_key(|d| d.collected_at);
        let mut ffps: Vec<(String, String, String)> = Vec::new();
        for (i, d) in donations.iter().enumerate() {
            let Some(din) = d.din.clone() else { continue };
            let at = d.collected_at.to_rfc3339();
            let incomplete = i == 1;
            let input = CollectionInput {
                phlebotomist: ["Maria Lopez", "James Chen", "Aisha Okafor"][i % 3].into(),
                started_at: at.clone(),
                ended_at: at.clone(),
                volume_ml: if incomplete { "212".into() } else { (468 + (i * 7) % 30).to_string() },
                outcome: if incomplete { "incomplete".into() } else { "complete".into() },
                bag_set_lot: format!("BS2611-{:02}", 3 + i % 4),
                bag_set_expires_on: "2027-09-30".into(),
                anticoagulant: "CPD".into(),
                anticoagulant_lot: "AC2610-11".into(),
                anticoagulant_expires_on: "2027-06-30".into(),
                additive_solution: "AS-1".into(),
                note: if incomplete { "donor felt faint; needle out early".into() } else { String::new() },
                ..Default::default()
            };
            self.record_collection(actor, &din, &input).await?;
            if i == 1 || i == 3 {
                let (kind, severity, treatment) = if i == 1 {
                    ("vasovagal", "moderate", "legs raised, fluids, observed 30 min")
                } else {
                    ("hematoma", "mild", "pressure and a cold pack")
                };
                let reaction = ReactionInput {
                    kind: kind.into(),
                    severity: severity.into(),
                    onset: if i == 1 { "during" } else { "after_at_site" }.into(),
                    onset_at: at.clone(),
                    treatment: treatment.into(),
                    outcome: "recovered at the site".into(),
                    note: String::new(),
                };
                self.record_reaction(actor, &din, &ReactionEntry { reaction, deferral: None }).await?;
            }
            if incomplete {
                continue;
            }
            // One donation also gives whole-blood platelets (the quality demo checks their pH).
            let platelets_separated_at = if i == 3 { at.clone() } else { String::new() };
            let units = self.separate_donation(actor, &din, &SeparationInput { plasma_frozen_at: at, platelets_separated_at }).await?;
            let donor = self.store.donor_by_id(d.donor_id).await?;
            let group = match &donor {
                Some(x) => self.blood_group_view(&self.resolve_donor(&x.donor_number).await?).await?.group.unwrap_or_default(),
                None => String::new(),
            };
            for u in units {
                // Weighed as a processing lab weighs them (typical volumes, a little spread).
                let typical = match u.kind {
                    ComponentKind::RedCells => 280,
                    ComponentKind::Ffp | ComponentKind::Pf24 | ComponentKind::Plasma => 240,
                    ComponentKind::Platelets => 55,
                    _ => 0,
                };
                if typical > 0 {
                    let ml = (typical + (i as i64 * 13) % 40).to_string();
                    self.record_component_volume(actor, &u.din, &u.product_code, &ml).await?;
                }
                match u.kind {
                    ComponentKind::RedCells if i == 0 => {
                        self.modify_component(actor, &u.din, &u.product_code, &ModificationInput { step: "irradiate".into(), at: String::new() })
                            .await?;
                    }
                    ComponentKind::Ffp if i == 2 => {
                        self.split_component(actor, &u.din, &u.product_code, 2).await?;
                    }
                    ComponentKind::Ffp if !group.is_empty() => ffps.push((group.clone(), u.din.clone(), u.product_code.clone())),
                    _ => {}
                }
            }
        }
        // Two FFPs of donors of one group: cryoprecipitate from each, pooled.
        let pair = ffps.iter().enumerate().find_map(|(i, a)| ffps[i + 1..].iter().find(|b| b.0 == a.0).map(|b| (a.clone(), b.clone())));
        if let Some((a, b)) = pair {
            let mut cryo = Vec::new();
            for (_, din, code) in [a, b] {
                let made = self.modify_component(actor, &din, &code, &ModificationInput { step: "make_cryo".into(), at: String::new() }).await?;
                cryo.extend(made.into_iter().filter(|m| m.kind == ComponentKind::Cryo).map(|m| UnitRef { din: m.din, product_code: m.product_code }));
            }
            // The donors' groups agree on the record shown; should the registry still
            // disagree, the demo goes on without a pool rather than fail.
            if let Err(e) = self.pool_components(actor, &cryo).await {
                tracing::warn!("demo: no cryoprecipitate pool: {e}");
            }
        }
        Ok(())
    }
}
