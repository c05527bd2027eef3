//! Demo: quality records through the use cases quality and lab staff use — an open
//! deviation whose units are on hold, a reportable deviation whose report to FDA is
//! overdue, a closed one, and a platelet unit that failed its pH check.

use super::demo_actor;
use crate::quality::{DeviationInput, DeviationUpdate, QcInput};
use crate::{App, Result};
use chrono::Duration;
use domain::component::{ComponentKind, ComponentState};
use domain::Role;

impl App {
    pub(crate) async fn demo_quality(&self) -> Result<()> {
        let (quality, lab) = (demo_actor(&[Role::Quality], None), demo_actor(&[Role::Lab], None));
        let today = self.today();
        let since = chrono::Utc::now() - Duration::hours(12);
        let mut units = Vec::new();
        for d in self.store.donations_with_din_since(since, 50).await? {
            units.extend(self.store.components_of_donation(d.id).await?);
        }
        units.sort_by(|a, b| (&a.din, &a.product_code).cmp(&(&b.din, &b.product_code)));
        // A released platelet unit fails its pH check and leaves stock.
        if let Some(p) = units.iter().find(|u| u.kind == ComponentKind::Platelets && u.state == ComponentState::Available) {
            let input = QcInput { check: "platelet_ph".into(), value: "6.0".into() };
            self.record_qc(&lab, &p.din, &p.product_code, &input).await?;
        }
        // An open deviation: two red cell units held (released, or held already by the excursion).
        let held: Vec<String> = units
            .iter()
            // Not the unit near expiry the stock page shows (washed: 24 hours).
            .filter(|u| u.kind == ComponentKind::RedCells && matches!(u.state, ComponentState::Available | ComponentState::Quarantine))
            .filter(|u| u.expires_at - chrono::Utc::now() > chrono::Duration::days(2))
            .take(2)
            .map(|u| format!("{} {}", u.din, u.product_code))
            .collect();
        if !held.is_empty() {
            let input = DeviationInput {
                what_happened: "Refrigerator R2 read 7.5 °C for about 40 minutes during the night; the alarm was acknowledged late.".into(),
                discovered_on: (today - Duration::days(1)).to_string(),
                units: held.join("\n"),
                hold_units: true,
                ..Default::default()
            };
            self.open_deviation(&quality, &input).await?;
        }
        // A reportable deviation whose report to FDA is overdue (acquired 50 days ago).
        let overdue = DeviationInput {
            what_happened: "A red cell unit was shipped to a hospital with an expiry date on its label one day later than its record.".into(),
            discovered_on: (today - Duration::days(52)).to_string(),
            acquired_on: (today - Duration::days(50)).to_string(),
            distributed: true,
            reportable: true,
            investigation: "Label reprinted after a manual date change; the hospital was told and the unit transfused before expiry.".into(),
            ..Default::default()
        };
        let d = self.open_deviation(&quality, &overdue).await?;
        let started = DeviationUpdate { root_cause: Some("Manual expiry entry allowed at reprint".into()), ..Default::default() };
        self.update_deviation(&quality, &d.number, &started).await?;
        // A closed one.
        let closed = DeviationInput {
            what_happened: "Donor screening questionnaire version not recorded for one visit at a mobile drive.".into(),
            discovered_on: (today - Duration::days(90)).to_string(),
            ..Default::default()
        };
        let d = self.open_deviation(&quality, &closed).await?;
        let done = DeviationUpdate {
            investigation: Some("Tablet lost its connection; the visit was entered later from the paper record.".into()),
            root_cause: Some("Offline entry did not carry the questionnaire version".into()),
            corrective_action: Some("Offline entry now records the version; staff briefed".into()),
            ..Default::default()
        };
        self.update_deviation(&quality, &d.number, &done).await?;
        self.close_deviation(&quality, &d.number).await?;
        Ok(())
    }
}
