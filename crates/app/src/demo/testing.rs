//! Demo: today's separated donations are tested and released, so the demo centre has
//! units in every state: the first donation waits for its results (in processing), one
//! is repeat reactive for anti-HCV (its units quarantined, the donor deferred and to be
//! notified, a lookback case over the donor's earlier donations), and the rest are
//! tested non-reactive and released by the demo lab user with the label scanned and
//! the password as signature — through the same use cases staff use.

use crate::release::ReleaseInput;
use crate::testing::ResultInput;
use crate::{Actor, App, Result};
use domain::component::ComponentState;

impl App {
    pub(crate) async fn demo_testing(&self, actor: &Actor, lab_password: &str) -> Result<()> {
        let since = chrono::Utc::now() - chrono::Duration::hours(12);
        let mut donations = self.store.donations_with_din_since(since, 50).await?;
        donations.sort_by_key(|d| d.collected_at);
        let lab = demo_lab();
        let mut separated = 0;
        for d in &donations {
            let Some(din) = d.din.clone() else { continue };
            let units = self.store.components_of_donation(d.id).await?;
            if units.is_empty() {
                continue;
            }
            separated += 1;
            if separated == 1 {
                // Waits for its results: in processing.
                continue;
            }
            let testing = self.donation_testing(actor, &din).await?;
            let donor = self.store.donor_by_id(d.donor_id).await?;
            let group = match &donor {
                Some(x) => self.blood_group_view(&self.resolve_donor(&x.donor_number).await?).await?.group,
                None => None,
            };
            let Some(group) = group else { continue };
            for t in &testing.tests {
                let value = if t.code == "ABO_RH" { group.clone() } else { "non-reactive".into() };
                let reactive = separated == 2 && t.code == "ANTI_HCV";
                let steps: Vec<(&str, &str)> = if reactive {
                    vec![("initial", "reactive"), ("repeat", "non-reactive"), ("repeat", "reactive")]
                } else {
                    vec![("initial", value.as_str())]
                };
                for (phase, v) in steps {
                    self.record_test_result(&lab, &din, &ResultInput { test: t.code.clone(), phase: phase.into(), value: v.into() }).await?;
                }
            }
            if separated == 2 {
                continue;
            }
            for u in self.store.components_of_donation(d.id).await? {
                if u.state != ComponentState::InProcessing {
                    continue;
                }
                let scan = label_scan(&din, &u.product_code, &group)?;
                // A unit the gate refuses (a donor whose group is not confirmed yet) stays
                // in processing with its reasons on its page.
                if let Err(e) = self.release_component(&lab, &din, &u.product_code, &ReleaseInput { scan, password: lab_password.into() }).await {
                    tracing::info!("demo: {din} {} not released: {e}", u.product_code);
                }
            }
        }
        Ok(())
    }
}

/// A unit's label as a scanner reads it: the DIN, product code and ABO/RhD barcodes.
pub(crate) fn label_scan(din: &str, product_code: &str, group: &str) -> Result<String> {
    let bg = domain::labeling::parse_blood_group("blood_group", group).map_err(|e| crate::AppError::Conflict(e.to_string()))?;
    let din_data = isbt128::Din::parse_content(&format!("{din}00")).map_err(|e| crate::AppError::Conflict(e.to_string()))?.encode();
    Ok(format!("{din_data} =<{product_code} {}", bg.encode()))
}

/// The demo's laboratory user, acting as staff do.
pub(crate) fn demo_lab() -> crate::Actor {
    super::demo_actor(&[domain::Role::Lab], None)
}
