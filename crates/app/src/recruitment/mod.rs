//! Recruitment: segments of the donor pool, return propensity scores, campaigns by
//! email, SMS and phone with what came of each contact, and collection needs.

mod campaigns;
mod captured;
mod delivery;
mod needs;
pub mod outbox;
mod segments;
mod unsubscribe;

pub use campaigns::*;
pub use captured::*;
pub use needs::*;
pub use outbox::{DeliveryProgress, OutboxSettings, OutboxWorker};
pub use segments::*;
pub use unsubscribe::*;

use crate::{App, Result};
use chrono::{NaiveDate, Utc};
use domain::eligibility::DeferralEntry;
use domain::recruitment::propensity::{DeferralSpan, DonorHistory};
use domain::recruitment::PoolDonor;
use domain::{BloodGroup, DonationProcedure, Sex};
use std::collections::HashMap;
use store::PoolRow;
use uuid::Uuid;

/// Days after a contact in which a donation or booking is credited to the campaign.
pub const ATTRIBUTION_DAYS: i64 = 30;

/// The pool read once, in bulk: donors, their donations, deferrals and last contact.
pub struct Pool {
    pub rows: Vec<PoolRow>,
    pub donors: Vec<PoolDonor>,
    pub histories: Vec<DonorHistory>,
    /// The eligibility rule versions (built-in and stored) segments decide with.
    pub rules: std::sync::Arc<domain::eligibility::RuleBook>,
}

fn group_of(abo: &Option<String>, rhd: &Option<String>) -> Option<BloodGroup> {
    match (abo, rhd) {
        (Some(a), Some(r)) => BloodGroup::parse(&format!("{a}{}", if r == "pos" { "+" } else { "-" })).ok(),
        _ => None,
    }
}

fn group_label(abo: &Option<String>, rhd: &Option<String>) -> String {
    group_of(abo, rhd).map(|g| g.to_string()).unwrap_or_default()
}

pub fn hash_token(token: &str) -> String {
    crate::auth::token_hash(token)
}

pub(crate) fn new_token() -> String {
    crate::auth::new_secret("hfu_")
}

fn units_of(procedure: &str) -> i64 {
    // A double red cell collection yields two red cell units.
    if procedure == "double_red_cells" {
        2
    } else {
        1
    }
}

impl App {
    /// The whole pool with histories, read in a few bulk queries. A record merged into
    /// another is not in the pool: its donations, deferrals and contacts count for the
    /// surviving record, so it is never contacted itself and the survivor carries its
    /// deferrals.
    pub async fn load_pool(&self) -> Result<Pool> {
        let tz = self.settings.time_zone;
        let merges: HashMap<Uuid, Uuid> = self.store.all_donor_merges().await?.into_iter().collect();
        let survivor = |mut id: Uuid| {
            // Merges can chain (A into B, later B into C); a cycle cannot be written.
            for _ in 0..1000 {
                match merges.get(&id) {
                    Some(s) => id = *s,
                    None => break,
                }
            }
            id
        };
        let rows: Vec<PoolRow> = self.store.pool_donors().await?.into_iter().filter(|r| !merges.contains_key(&r.id)).collect();
        let sites: HashMap<Uuid, String> = self.store.list_sites().await?.into_iter().map(|s| (s.id, s.fields.code.as_str().to_string())).collect();
        let rows_index: HashMap<Uuid, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let index_of = |id: &Uuid| rows_index.get(&survivor(*id)).copied();
        let mut donations: Vec<Vec<(NaiveDate, DonationProcedure, Option<String>)>> = vec![vec![]; rows.len()];
        for d in self.store.pool_donations().await? {
            if let (Some(i), Ok(p)) = (index_of(&d.donor_id), DonationProcedure::parse(&d.procedure)) {
                donations[i].push((d.collected_at.with_timezone(&tz).date_naive(), p, d.site_id.and_then(|s| sites.get(&s).cloned())));
            }
        }
        for d in &mut donations {
            d.sort_by_key(|x| x.0);
        }
        let today = self.today_local();
        let mut spans: Vec<Vec<DeferralSpan>> = vec![vec![]; rows.len()];
        let mut entries: Vec<Vec<DeferralEntry>> = vec![vec![]; rows.len()];
        for d in self.store.all_deferrals().await? {
            let Some(i) = index_of(&d.donor_id) else { continue };
            spans[i].push(DeferralSpan {
                entered_on: d.entered_at.with_timezone(&tz).date_naive(),
                starts_on: d.starts_on,
                until: d.until,
                reentered_on: d.reentered_at.map(|r| r.with_timezone(&tz).date_naive()),
            });
            if d.reentered_at.is_none() && d.starts_on <= today {
                match d.kind.as_str() {
                    "temporary" => entries[i].extend(d.until.map(|until| DeferralEntry::Temporary { until })),
                    "indefinite" => entries[i].push(DeferralEntry::Indefinite {}),
                    _ => entries[i].push(DeferralEntry::Permanent {}),
                }
            }
        }
        let mut contacted: Vec<Option<NaiveDate>> = vec![None; rows.len()];
        for (id, at) in self.store.last_contacts().await? {
            if let Some(i) = index_of(&id) {
                contacted[i] = contacted[i].max(Some(at.with_timezone(&tz).date_naive()));
            }
        }
        let mut donors = Vec::with_capacity(rows.len());
        let mut histories = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let sex = if r.sex == "F" { Sex::Female } else { Sex::Male };
            histories.push(DonorHistory {
                donor_number: r.donor_number.clone(),
                birth_date: r.birth_date,
                female: sex == Sex::Female,
                donations: donations[i]
                    .iter()
                    .map(|(d, p, _)| (*d, !matches!(p, DonationProcedure::WholeBlood | DonationProcedure::Autologous)))
                    .collect(),
                deferrals: std::mem::take(&mut spans[i]),
            });
            let consent = [(r.consent_email, "email"), (r.consent_sms, "sms"), (r.consent_phone, "phone"), (r.consent_post, "post")]
                .into_iter()
                .filter_map(|(ok, c)| ok.then_some(c))
                .collect();
            donors.push(PoolDonor {
                sex,
                birth_date: r.birth_date,
                group: group_of(&r.abo, &r.rhd),
                preferred_site: r.preferred_site.and_then(|s| sites.get(&s).cloned()),
                donations: std::mem::take(&mut donations[i]),
                deferrals: std::mem::take(&mut entries[i]),
                last_contacted: contacted[i],
                consent,
            });
        }
        Ok(Pool { rows, donors, histories, rules: self.rule_book().await? })
    }

    pub(crate) fn today_local(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.settings.time_zone).date_naive()
    }
}
