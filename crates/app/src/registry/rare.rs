//! The rare-donor search: donors by blood group and special attributes, each with
//! the status of the group, the current attributes and the next day whole blood
//! could be given. Everything about the hits is read in a few set-based queries (one
//! per kind of history, for all hits at once), not a profile per hit.

use super::typing::{attributes_from, blood_group_from};
use super::{rare_query, RareDonor};
use crate::donors::DonorSummary;
use crate::{Actor, App, AppError, Result};
use domain::{DonationProcedure, Permission};
use std::collections::HashMap;
use uuid::Uuid;

/// Rows of many donor families, grouped by the surviving record's id.
fn by_family<T>(rows: Vec<T>, id: impl Fn(&T) -> Uuid, family_of: &HashMap<Uuid, Uuid>) -> HashMap<Uuid, Vec<T>> {
    let mut out: HashMap<Uuid, Vec<T>> = HashMap::new();
    for r in rows {
        if let Some(f) = family_of.get(&id(&r)) {
            out.entry(*f).or_default().push(r);
        }
    }
    out
}

impl App {
    /// Donors matching every criterion given as query pairs: abo, rhd, antigens
    /// ("K-,E-"), cmv, hbs, iga, hla (an allele). Unknown keys are refused.
    pub async fn rare_donors(&self, actor: &Actor, pairs: &[(String, String)]) -> Result<Vec<RareDonor>> {
        actor.require(Permission::ViewDonors)?;
        let q = rare_query(pairs)?;
        let hits = self.store.rare_donors(&q, 50).await?;
        if hits.is_empty() {
            return Ok(vec![]);
        }
        // Families: each hit is a surviving record; follow merges into it, all hits at once.
        let mut family_of: HashMap<Uuid, Uuid> = hits.iter().map(|d| (d.id, d.id)).collect();
        let mut frontier: Vec<Uuid> = hits.iter().map(|d| d.id).collect();
        let mut merged: Vec<Uuid> = Vec::new();
        while !frontier.is_empty() && family_of.len() < 10_000 {
            let found = self.store.merges_into(&frontier).await?;
            frontier.clear();
            for m in found {
                if let (false, Some(&f)) = (family_of.contains_key(&m.duplicate_id), family_of.get(&m.survivor_id)) {
                    family_of.insert(m.duplicate_id, f);
                    frontier.push(m.duplicate_id);
                    merged.push(m.duplicate_id);
                }
            }
        }
        let ids: Vec<Uuid> = family_of.keys().copied().collect();
        let mut numbers: HashMap<Uuid, String> = hits.iter().map(|d| (d.id, d.donor_number.clone())).collect();
        numbers.extend(self.store.donors_by_ids(&merged).await?.into_iter().map(|d| (d.id, d.donor_number)));
        let mut donations = by_family(self.store.donations_of_all(&ids).await?, |x| x.donor_id, &family_of);
        let mut deferrals = by_family(self.store.deferrals_of_all(&ids).await?, |x| x.donor_id, &family_of);
        let mut dets = by_family(self.store.determinations_of(&ids).await?, |x| x.donor_id, &family_of);
        let mut res = by_family(self.store.resolutions_of(&ids).await?, |x| x.donor_id, &family_of);
        let mut attrs = by_family(self.store.attribute_results_of(&ids).await?, |x| x.donor_id, &family_of);
        let rules = self.rule_book().await?;
        let today = self.today();
        let clocks = crate::donor_facts::SiteClocks::new(self.settings.time_zone, &self.store.list_sites().await?);

        let mut out = Vec::with_capacity(hits.len());
        for d in hits {
            let group = blood_group_from(&d, &dets.remove(&d.id).unwrap_or_default(), &res.remove(&d.id).unwrap_or_default(), &numbers);
            let attributes = attributes_from(&attrs.remove(&d.id).unwrap_or_default(), &numbers);
            // Whole blood outlook before screening, as on the donor's page.
            let history = crate::donor_facts::history(&donations.remove(&d.id).unwrap_or_default(), &clocks, today);
            let entries = crate::donor_facts::register(&deferrals.remove(&d.id).unwrap_or_default(), today);
            let sex = d.sex;
            let decision = crate::donor_facts::outlook(&rules, sex, d.birth_date, &history, &entries, today, DonationProcedure::WholeBlood)
                .map_err(|e| AppError::Conflict(format!("eligibility could not be decided: {e}")))?;
            let mut donor = DonorSummary::of(&d);
            donor.blood_group = group.group.clone();
            out.push(RareDonor { donor, blood_group_status: group.status, attributes, next_whole_blood: decision.next_eligible_date });
        }
        Ok(out)
    }
}
