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
use domain::{DonationProcedure, Sex};
use std::collections::HashMap;
use std::sync::Arc;
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

/// Scores of one run by donor id.
type ScoreMap = Arc<HashMap<Uuid, f64>>;

/// The pool and the stored scores as last read, shared by the requests of one server.
/// The pool is tagged with the audit chain head read before it: every write appends to
/// the chain in its own transaction, so while the head (and the local day) are unchanged
/// the pool is too, on this server or any other on the same database. Scores are tagged
/// with their run. At 500,000 donors reading the pool takes seconds; a segment preview
/// that finds it unchanged takes milliseconds.
#[derive(Default)]
pub(crate) struct PoolCache {
    pool: tokio::sync::Mutex<Option<(i64, NaiveDate, Arc<Pool>)>>,
    scores: tokio::sync::Mutex<Option<(Uuid, ScoreMap)>>,
}

impl std::fmt::Debug for PoolCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PoolCache")
    }
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
            if let Some(i) = index_of(&d.donor_id) {
                let p = d.procedure;
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
            let sex = r.sex;
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
                group: r.group.0,
                preferred_site: r.preferred_site.and_then(|s| sites.get(&s).cloned()),
                donations: std::mem::take(&mut donations[i]),
                deferrals: std::mem::take(&mut entries[i]),
                last_contacted: contacted[i],
                consent,
            });
        }
        Ok(Pool { rows, donors, histories, rules: self.rule_book().await? })
    }

    /// The pool as of now, read again only when something was written since the last
    /// read (see [`PoolCache`]). Concurrent callers wait for one read.
    pub async fn pool_snapshot(&self) -> Result<Arc<Pool>> {
        let mut cached = self.pool_cache.pool.lock().await;
        // The head first: a write that lands during the read moves it, so the next call reads again.
        let (head, _) = self.store.audit_head().await?;
        let today = self.today_local();
        if let Some((h, d, pool)) = cached.as_ref() {
            if *h == head && *d == today {
                return Ok(pool.clone());
            }
        }
        let pool = Arc::new(self.load_pool().await?);
        *cached = Some((head, today, pool.clone()));
        Ok(pool)
    }

    /// The scores segments and campaigns rank by: the latest finished run's, by donor id
    /// (empty before the first run). Nothing is computed here; a donor registered after
    /// the run has no score (0).
    pub(crate) async fn score_snapshot(&self) -> Result<ScoreMap> {
        let Some(run) = self.store.latest_score_run().await? else { return Ok(Arc::default()) };
        let mut cached = self.pool_cache.scores.lock().await;
        if let Some((id, scores)) = cached.as_ref() {
            if *id == run.id {
                return Ok(scores.clone());
            }
        }
        let scores: ScoreMap = Arc::new(self.store.run_scores(run.id).await?.into_iter().collect());
        *cached = Some((run.id, scores.clone()));
        Ok(scores)
    }

    pub(crate) fn today_local(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.settings.time_zone).date_naive()
    }
}
