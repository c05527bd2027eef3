//! The registry's part of the demo centre: blood group determinations (most donors
//! with two or more that agree), CMV/HbS/IgA results for a realistic share, antigen
//! phenotypes for a few hundred donors including rare combinations, HLA types for
//! some, one unresolved group discrepancy and one likely duplicate not yet merged.
//!
//! Antigen frequencies are approximate allele frequencies of a mostly European-descent
//! donor population (C 0.43, E 0.16, K 0.045, Fya 0.42, Jka 0.51, S 0.33, M 0.54);
//! RhD-negative donors are mostly dce/dce (C−, E−, c+, e+).

use crate::{Actor, App, Result};
use chrono::{DateTime, Duration, Utc};
use domain::{AuditDraft, DonorNumber};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use store::{AttributeResultRow, DeterminationRow, DonorRow};
use uuid::Uuid;

/// (positive antigen, its antithetical partner, allele frequency of the first).
const LOCI: [(&str, &str, f64); 7] =
    [("C", "c", 0.43), ("E", "e", 0.16), ("K", "k", 0.045), ("Fya", "Fyb", 0.42), ("Jka", "Jkb", 0.51), ("S", "s", 0.33), ("M", "N", 0.54)];

const HLA_A: [&str; 6] = ["A*01:01", "A*02:01", "A*03:01", "A*11:01", "A*24:02", "A*68:01"];
const HLA_B: [&str; 6] = ["B*07:02", "B*08:01", "B*15:01", "B*35:01", "B*44:02", "B*51:01"];
const HLA_DRB1: [&str; 6] = ["DRB1*01:01", "DRB1*03:01", "DRB1*04:01", "DRB1*07:01", "DRB1*11:01", "DRB1*15:01"];

fn phenotype(rng: &mut ChaCha8Rng, rhd_negative: bool) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for (i, (a, b, p)) in LOCI.iter().enumerate() {
        let (has_a, has_b) = if rhd_negative && i < 2 && rng.gen_bool(0.9) {
            (false, true)
        } else {
            let x = rng.gen_bool(*p);
            let y = rng.gen_bool(*p);
            (x || y, !x || !y)
        };
        out.push((*a, if has_a { "+" } else { "-" }));
        out.push((*b, if has_b { "+" } else { "-" }));
    }
    out
}

fn hla(rng: &mut ChaCha8Rng) -> String {
    let mut pair = |pool: &[&str]| {
        let mut two: Vec<&str> = pool.choose_multiple(rng, 2).copied().collect();
        two.sort();
        two.join(", ")
    };
    format!("{}; {}; {}", pair(&HLA_A), pair(&HLA_B), pair(&HLA_DRB1))
}

impl App {
    /// Adds the registry's demo records to the demo donors written before it.
    pub(crate) async fn demo_registry(&self, actor: &Actor, seed: u64, as_of: DateTime<Utc>) -> Result<()> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0005_1e6a);
        let donors: Vec<DonorRow> = self.store.all_donors().await?;
        let mut dets: Vec<DeterminationRow> = Vec::new();
        let mut attrs: Vec<AttributeResultRow> = Vec::new();
        let at = |days: i64, minute: i64| as_of - Duration::days(days) + Duration::minutes(minute);
        let result = |donor: &DonorRow, attribute: String, value: String, entered: DateTime<Utc>, source: &str| AttributeResultRow {
            id: Uuid::now_v7(),
            donor_id: donor.id,
            attribute,
            value,
            determined_on: entered.date_naive(),
            source: source.into(),
            din: None,
            entered_by: "demo-generator".into(),
            entered_at: entered,
        };
        let mut phenotyped = 0;
        let mut rare_made = 0;
        let mut discrepancy: Option<String> = None;
        for (i, d) in donors.iter().enumerate() {
            let Some(g) = d.group.0 else { continue };
            let (abo, rhd) = (g.abo_str().to_string(), g.rhd_str().to_string());
            // Group history: first from the donor's card or an import, then lab repeats.
            let n = match rng.gen_range(0..100) {
                0..=9 => 1,
                10..=79 => 2,
                _ => 3,
            };
            let first_day = rng.gen_range(200..3000);
            for k in 0..n {
                let entered = at(first_day - k * rng.gen_range(30..60), k);
                dets.push(DeterminationRow {
                    id: Uuid::now_v7(),
                    donor_id: d.id,
                    group: store::Group(g),
                    determined_on: entered.date_naive(),
                    source: if k == 0 { "import" } else { "lab" }.into(),
                    din: None,
                    entered_by: "demo-generator".into(),
                    entered_at: entered,
                });
            }
            // One unresolved discrepancy: a recent lab result disagreeing with two earlier ones.
            if discrepancy.is_none() && n >= 2 && i >= 40 && abo != "O" {
                let entered = at(2, 0);
                dets.push(DeterminationRow {
                    id: Uuid::now_v7(),
                    donor_id: d.id,
                    group: store::Group(domain::BloodGroup::new(domain::donor::Abo::O, g.rhd_positive)),
                    determined_on: entered.date_naive(),
                    source: "lab".into(),
                    din: None,
                    entered_by: "demo-generator".into(),
                    entered_at: entered,
                });
                discrepancy = Some(d.donor_number.clone());
            }
            let tested = at(rng.gen_range(30..700), 30);
            if rng.gen_bool(0.45) {
                let v = if rng.gen_bool(0.5) { "negative" } else { "positive" };
                attrs.push(result(d, "cmv".into(), v.into(), tested, "lab"));
            }
            if rng.gen_bool(0.2) {
                let v = if rng.gen_bool(0.02) { "positive" } else { "negative" };
                attrs.push(result(d, "hbs".into(), v.into(), tested, "lab"));
            }
            if rng.gen_bool(0.05) {
                let v = if rng.gen_bool(0.03) { "deficient" } else { "normal" };
                attrs.push(result(d, "iga".into(), v.into(), tested, "lab"));
            }
            // Antigen typing: group O donors first, a few hundred in all.
            let o_neg = abo == "O" && rhd == "neg";
            if phenotyped < 320 && (o_neg || (abo == "O" && rng.gen_bool(0.08)) || rng.gen_bool(0.02)) {
                phenotyped += 1;
                let mut ph = phenotype(&mut rng, rhd == "neg");
                if o_neg && rare_made < 4 {
                    // The rare units hospitals ask for: O− that is also K−, E−, c−.
                    ph.retain(|(a, _)| !["C", "c", "E", "e", "K", "k"].contains(a));
                    ph.extend([("C", "+"), ("c", "-"), ("E", "-"), ("e", "+"), ("K", "-"), ("k", "+")]);
                    rare_made += 1;
                }
                for (antigen, sign) in ph {
                    attrs.push(result(d, format!("antigen:{antigen}"), sign.into(), tested + Duration::minutes(1), "lab"));
                }
            }
            if rng.gen_bool(0.012) {
                attrs.push(result(d, "hla".into(), hla(&mut rng), tested + Duration::minutes(2), "lab"));
            }
        }
        let mut tx = self.store.begin_write().await?;
        tx.insert_determinations(&dets).await?;
        tx.insert_attribute_results(&attrs).await?;
        // A likely duplicate: the same person registered again with a new phone, not merged yet.
        let mut duplicate = None;
        if let (Some(original), Some(last)) = (donors.get(16), donors.last()) {
            let next = last.donor_number.get(1..).and_then(|n| n.parse::<u32>().ok()).unwrap_or(donors.len() as u32) + 1;
            let row = DonorRow {
                id: Uuid::now_v7(),
                donor_number: DonorNumber::sequential(next).as_str().to_string(),
                email: None,
                phone: Some("+1 217-555-0199".into()),
                group: store::GroupOnRecord(None),
                preferred_site: original.preferred_site,
                created_at: as_of,
                ..original.clone()
            };
            tx.insert_donor(&row).await?;
            tx.append_audit(AuditDraft::new(&actor.username, "donor.register", "donor", &row.donor_number).donor(&row.donor_number).after(
                serde_json::json!({
                    "donor_number": row.donor_number, "first_name": row.first_name, "last_name": row.last_name,
                    "birth_date": row.birth_date, "sex": row.sex, "phone": row.phone,
                }),
            ))
            .await?;
            duplicate = Some((original.donor_number.clone(), row.donor_number));
        }
        tx.append_audit(AuditDraft::new(&actor.username, "demo.registry", "demo", "registry").after(serde_json::json!({
            "blood_group_determinations": dets.len(), "attribute_results": attrs.len(), "phenotyped_donors": phenotyped,
            "unresolved_discrepancy": discrepancy, "likely_duplicate": duplicate,
        })))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
