//! Demo: the processing lab's storage (refrigerators, a plasma freezer, an ultra-low
//! freezer, a platelet agitator), every unit put away by scan, one red cell unit washed
//! on request (24 hours of dating: near expiry) and released, a unit discarded with a
//! broken bag, and a temperature excursion in one refrigerator that holds its units —
//! through the same use cases staff use.

use super::testing::label_scan;
use crate::components::ModificationInput;
use crate::inventory::{DiscardInput, ExcursionInput, LocationInput, MoveInput};
use crate::release::ReleaseInput;
use crate::{Actor, App, Result};
use domain::component::{ComponentKind, ComponentState};
use domain::inventory::{suits, TemperatureClass};

/// The demo's storage: code, name, class.
pub const LOCATIONS: &[(&str, &str, TemperatureClass)] = &[
    ("FR-01", "Blood refrigerator 1", TemperatureClass::Refrigerator),
    ("FR-02", "Blood refrigerator 2", TemperatureClass::Refrigerator),
    ("FZ-01", "Plasma freezer 1", TemperatureClass::Freezer),
    ("ULT-01", "Ultra-low freezer", TemperatureClass::UltraLowFreezer),
    ("PA-01", "Platelet agitator 1", TemperatureClass::PlateletAgitator),
];

impl App {
    pub(crate) async fn demo_inventory(&self, actor: &Actor, lab_password: &str) -> Result<()> {
        for (code, name, class) in LOCATIONS {
            let input = LocationInput { code: (*code).into(), name: (*name).into(), temperature_class: class.as_str().into(), site: "MAIN".into() };
            self.add_storage_location(actor, &input).await?;
        }
        let lab = super::testing::demo_lab();
        // One released red cell unit washed for a patient with reactions to plasma: the
        // washed unit keeps 24 hours and is released again.
        let stock = self.store.stock().await?;
        if let Some(red) = stock.iter().find(|s| s.unit.kind == ComponentKind::RedCells && s.unit.state == ComponentState::Available) {
            let made = self
                .modify_component(&lab, &red.unit.din, &red.unit.product_code, &ModificationInput { step: "wash".into(), at: String::new() })
                .await?;
            if let (Some(w), Some(group)) = (made.first(), red.blood_group.as_deref()) {
                let scan = label_scan(&w.din, &w.product_code, group)?;
                self.release_component(&lab, &w.din, &w.product_code, &ReleaseInput { scan, password: lab_password.into() }).await?;
            }
        }
        // Every unit put away by scan into a location of its class, the refrigerators in turn.
        let mut fridge = 0;
        let mut refrigerated = Vec::new();
        for s in self.store.stock().await? {
            let code = LOCATIONS
                .iter()
                .filter(|(_, _, class)| suits(s.unit.kind, *class))
                .map(|(code, _, _)| *code)
                .nth(if s.unit.kind == ComponentKind::RedCells || s.unit.kind == ComponentKind::WholeBlood { fridge % 2 } else { 0 });
            let Some(code) = code else { continue };
            if code.starts_with("FR") {
                fridge += 1;
                refrigerated.push((code, s.unit.din.clone(), s.unit.product_code.clone()));
            }
            self.move_unit(&lab, &MoveInput { unit: format!("{} {}", s.unit.din, s.unit.product_code), location: code.into() }).await?;
        }
        // A bag found leaking when it was put away.
        if let Some((_, din, code)) = refrigerated.iter().skip(1).rev().find(|(at, _, _)| *at == "FR-01") {
            self.discard_unit(&lab, din, code, &DiscardInput { reason: "broken".into(), details: "leaking at the port when put away".into() })
                .await?;
        }
        // Refrigerator 2's door left ajar: 8.5 °C for half an hour. Its units go on hold.
        if refrigerated.iter().any(|(at, _, _)| *at == "FR-02") {
            let now = chrono::Utc::now();
            let input = ExcursionInput {
                location: "FR-02".into(),
                // Until now: the units were put away during the last half hour.
                started_at: (now - chrono::Duration::minutes(30)).to_rfc3339(),
                ended_at: now.to_rfc3339(),
                lowest_c: "3.5".into(),
                highest_c: "8.5".into(),
                note: "door left ajar after the courier's delivery; the alarm rang, the door was closed".into(),
            };
            self.record_excursion(&lab, &input).await?;
        }
        Ok(())
    }
}
