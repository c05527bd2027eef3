//! The collection record of a donation and the donor's adverse reactions. Each write
//! reads the donation (row locked on PostgreSQL) and its latest record inside the
//! write transaction, decides with the domain checks and writes the new version with
//! its audit record.

use crate::donor_facts::SiteClocks;
use crate::donors::{DeferralInput, DeferralView};
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Utc};
use domain::collection::{check_collection, check_reaction, CollectionInput, ReactionInput, REACTION_KINDS, REACTION_ONSETS, REACTION_SEVERITIES};
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use store::{CollectionRecordRow, DonationRow, DonorKey, ReactionRow};
use uuid::Uuid;

/// One version of a collection record, as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionRecordView {
    pub version: i64,
    pub phlebotomist: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub minutes: i64,
    pub volume_ml: i64,
    pub outcome: String,
    pub stop_reason: Option<String>,
    pub bag_set_lot: String,
    pub bag_set_expires_on: chrono::NaiveDate,
    pub anticoagulant: String,
    pub anticoagulant_lot: String,
    pub anticoagulant_expires_on: chrono::NaiveDate,
    pub additive_solution: Option<String>,
    pub device_type: Option<String>,
    pub device_serial: Option<String>,
    pub platelet_units: Option<i64>,
    pub concurrent_products: Vec<String>,
    pub note: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub reason: Option<String>,
}

impl CollectionRecordView {
    fn of(r: &CollectionRecordRow) -> Self {
        Self {
            version: r.version,
            phlebotomist: r.phlebotomist.clone(),
            started_at: r.started_at,
            ended_at: r.ended_at,
            minutes: (r.ended_at - r.started_at).num_minutes(),
            volume_ml: r.volume_ml,
            outcome: r.outcome.as_str().to_string(),
            stop_reason: r.stop_reason.clone(),
            bag_set_lot: r.bag_set_lot.clone(),
            bag_set_expires_on: r.bag_set_expires_on,
            anticoagulant: r.anticoagulant.clone(),
            anticoagulant_lot: r.anticoagulant_lot.clone(),
            anticoagulant_expires_on: r.anticoagulant_expires_on,
            additive_solution: r.additive_solution.clone(),
            device_type: r.device_type.clone(),
            device_serial: r.device_serial.clone(),
            platelet_units: r.platelet_units,
            concurrent_products: r.concurrent_products.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect(),
            note: r.note.clone(),
            recorded_at: r.recorded_at,
            recorded_by: r.recorded_by.clone(),
            reason: r.reason.clone(),
        }
    }
}

fn words(list: &[(&str, &'static str)], key: &str) -> String {
    list.iter().find(|(k, _)| *k == key).map_or_else(|| key.to_string(), |(_, w)| (*w).to_string())
}

/// A donor adverse reaction, as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReactionView {
    pub id: Uuid,
    pub din: Option<String>,
    pub kind: String,
    pub kind_words: String,
    pub severity: String,
    pub onset: String,
    pub onset_words: String,
    pub onset_at: DateTime<Utc>,
    pub treatment: String,
    pub outcome: String,
    pub note: Option<String>,
    /// The register entry made because of the reaction.
    pub deferral_id: Option<Uuid>,
    pub recorded_by: String,
}

impl ReactionView {
    pub(crate) fn of(r: &ReactionRow, din: Option<String>) -> Self {
        Self {
            id: r.id,
            din,
            kind: r.kind.clone(),
            kind_words: words(&REACTION_KINDS, &r.kind),
            severity: words(&REACTION_SEVERITIES, &r.severity),
            onset: r.onset.clone(),
            onset_words: words(&REACTION_ONSETS, &r.onset),
            onset_at: r.onset_at,
            treatment: r.treatment.clone(),
            outcome: r.outcome.clone(),
            note: r.note.clone(),
            deferral_id: r.deferral_id,
            recorded_by: r.recorded_by.clone(),
        }
    }
}

/// A donation with its collection record and reactions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DonationRecord {
    pub donation_id: Uuid,
    pub din: String,
    pub donor_number: String,
    pub procedure: domain::DonationProcedure,
    pub site: Option<String>,
    /// When the DIN was assigned (the start of the collection step).
    pub collected_at: DateTime<Utc>,
    /// The site's time zone, for times typed in the form.
    pub time_zone: String,
    /// The latest version, if the collection has been recorded.
    pub record: Option<CollectionRecordView>,
    /// Earlier versions, newest first.
    pub corrections: Vec<CollectionRecordView>,
    pub reactions: Vec<ReactionView>,
}

/// A reaction with an optional register entry (a severe reaction may defer the donor).
/// The reaction's fields sit beside `deferral` (unknown keys are refused).
#[derive(Debug, Clone, Default)]
pub struct ReactionEntry {
    pub reaction: ReactionInput,
    /// Enter the donor in the register because of this reaction.
    pub deferral: Option<DeferralInput>,
}

impl<'de> Deserialize<'de> for ReactionEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let mut map = serde_json::Map::deserialize(d)?;
        let deferral = match map.remove("deferral") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(DeferralInput::deserialize(v).map_err(serde::de::Error::custom)?),
        };
        let reaction = ReactionInput::deserialize(serde_json::Value::Object(map)).map_err(serde::de::Error::custom)?;
        Ok(Self { reaction, deferral })
    }
}

fn parse_din(din: &str) -> Result<String> {
    Ok(domain::labeling::parse_din("din", din)?.din().to_string())
}

impl App {
    async fn site_code_and_zone(&self, d: &DonationRow) -> Result<(Option<String>, chrono_tz::Tz)> {
        let sites = self.store.list_sites().await?;
        let clocks = SiteClocks::new(self.settings.time_zone, &sites);
        let code = d.site_id.and_then(|id| sites.iter().find(|s| s.id == id)).map(|s| s.fields.code.as_str().to_string());
        Ok((code, clocks.zone_of(d.site_id)))
    }

    /// A donation by DIN with its collection record (every version) and reactions.
    pub async fn donation_record(&self, actor: &Actor, din: &str) -> Result<DonationRecord> {
        actor.require(Permission::ViewDonors)?;
        let din = parse_din(din)?;
        let d = self.store.donation_with_din(&din).await?.ok_or_else(|| AppError::NotFound(format!("no donation has the DIN {din}")))?;
        let donor = self.store.donor_by_id(d.donor_id).await?.ok_or_else(|| AppError::NotFound("the donation's donor".into()))?;
        let (site, tz) = self.site_code_and_zone(&d).await?;
        let mut versions: Vec<CollectionRecordView> = self.store.collection_records(d.id).await?.iter().map(CollectionRecordView::of).collect();
        versions.reverse();
        let record = if versions.is_empty() { None } else { Some(versions.remove(0)) };
        let reactions = self.store.reactions_of_donation(d.id).await?.iter().map(|r| ReactionView::of(r, Some(din.clone()))).collect();
        Ok(DonationRecord {
            donation_id: d.id,
            din,
            donor_number: donor.donor_number,
            procedure: d.procedure,
            site,
            collected_at: d.collected_at,
            time_zone: tz.name().to_string(),
            record,
            corrections: versions,
            reactions,
        })
    }

    /// Records the collection of a donation, or corrects it (a new version with a reason).
    pub async fn record_collection(&self, actor: &Actor, din: &str, input: &CollectionInput) -> Result<CollectionRecordView> {
        actor.require(Permission::CollectDonations)?;
        let din = parse_din(din)?;
        let sites = self.store.list_sites().await?;
        let clocks = SiteClocks::new(self.settings.time_zone, &sites);
        let mut tx = self.store.begin_write().await?;
        let d = tx.donation_with_din_for_update(&din).await?.ok_or_else(|| AppError::NotFound(format!("no donation has the DIN {din}")))?;
        let record = check_collection(input, d.procedure, d.collected_at, Utc::now(), clocks.zone_of(d.site_id)).map_err(AppError::Invalid)?;
        let latest = tx.latest_collection_record(d.id).await?;
        let reason = input.reason.trim();
        let row = CollectionRecordRow {
            id: Uuid::now_v7(),
            donation_id: d.id,
            version: latest.as_ref().map_or(1, |l| l.version + 1),
            phlebotomist: record.phlebotomist.clone(),
            started_at: record.started_at,
            ended_at: record.ended_at,
            volume_ml: record.volume_ml,
            outcome: record.outcome,
            stop_reason: record.stop_reason.clone(),
            bag_set_lot: record.bag_set_lot.clone(),
            bag_set_expires_on: record.bag_set_expires_on,
            anticoagulant: record.anticoagulant.clone(),
            anticoagulant_lot: record.anticoagulant_lot.clone(),
            anticoagulant_expires_on: record.anticoagulant_expires_on,
            additive_solution: record.additive_solution.clone(),
            device_type: record.device_type.clone(),
            device_serial: record.device_serial.clone(),
            platelet_units: record.platelet_units,
            concurrent_products: record.concurrent_products.join(","),
            note: record.note.clone(),
            recorded_at: store::now(),
            recorded_by: actor.username.clone(),
            reason: if latest.is_some() { Some(reason.to_string()) } else { None },
        };
        if let Some(l) = &latest {
            if reason.is_empty() {
                return Err(FieldError::new(
                    "reason",
                    format!("the collection was recorded by {} already; a correction says why it changes", l.recorded_by),
                )
                .into());
            }
            let same = CollectionRecordRow {
                id: l.id,
                version: l.version,
                recorded_at: l.recorded_at,
                recorded_by: l.recorded_by.clone(),
                reason: l.reason.clone(),
                ..row.clone()
            };
            if &same == l {
                return Err(AppError::Conflict("the correction changes nothing".into()));
            }
        }
        tx.insert_collection_record(&row).await?;
        // The donor number only labels the audit record; it decides nothing.
        let donor = self.store.donor_by_id(d.donor_id).await?.ok_or_else(|| AppError::NotFound("the donation's donor".into()))?;
        let view = CollectionRecordView::of(&row);
        let action = if latest.is_some() { "donation.collection.correct" } else { "donation.collection.record" };
        let mut audit = AuditDraft::new(&actor.username, action, "donation", d.id)
            .donor(&donor.donor_number)
            .after(serde_json::json!({"din": din, "record": view}));
        if let Some(l) = &latest {
            audit = audit.before(serde_json::json!({"din": din, "record": CollectionRecordView::of(l)})).reason(Some(reason.to_string()));
        }
        tx.append_audit(audit).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Records a donor adverse reaction at a donation; with `deferral`, enters the donor
    /// in the register in the same transaction.
    pub async fn record_reaction(&self, actor: &Actor, din: &str, entry: &ReactionEntry) -> Result<(ReactionView, Option<DeferralView>)> {
        actor.require(Permission::CollectDonations)?;
        if entry.deferral.is_some() {
            actor.require(Permission::DeferDonors)?;
        }
        let din = parse_din(din)?;
        let today = self.today();
        let sites = self.store.list_sites().await?;
        let clocks = SiteClocks::new(self.settings.time_zone, &sites);
        let mut tx = self.store.begin_write().await?;
        let d = tx.donation_with_din_for_update(&din).await?.ok_or_else(|| AppError::NotFound(format!("no donation has the DIN {din}")))?;
        let mut errors = FieldErrors::default();
        let reaction = check_reaction(&entry.reaction, d.collected_at, Utc::now(), clocks.zone_of(d.site_id)).map_err(|e| errors.0.extend(e.0)).ok();
        let deferral = match &entry.deferral {
            Some(input) => match crate::register::check_deferral(input, today) {
                Ok(c) => Some(c),
                Err(AppError::Invalid(e)) => {
                    errors.0.extend(e.0.into_iter().map(|f| FieldError::new(format!("deferral.{}", f.field), f.message)));
                    None
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        let Some(reaction) = reaction.filter(|_| errors.is_empty()) else { return Err(AppError::Invalid(errors)) };
        let locked = tx.lock_donor_family(DonorKey::Id(d.donor_id)).await?.ok_or_else(|| AppError::NotFound("the donation's donor".into()))?;
        let donor = locked.donor;
        let deferral_row =
            deferral.map(|c| store::DeferralRow::entered(donor.id, c.kind, &c.code, &c.reason, c.starts_on, c.until, store::now(), &actor.username));
        let deferral_view = match &deferral_row {
            Some(row) => {
                tx.insert_deferral(row).await?;
                let view = DeferralView::of(row, today);
                tx.append_audit(
                    AuditDraft::new(&actor.username, "donor.defer", "deferral", row.id)
                        .donor(&donor.donor_number)
                        .after(&view)
                        .reason(Some(format!("adverse reaction at donation {din}"))),
                )
                .await?;
                Some(view)
            }
            None => None,
        };
        let row = ReactionRow {
            id: Uuid::now_v7(),
            donation_id: d.id,
            donor_id: d.donor_id,
            kind: reaction.kind,
            severity: reaction.severity,
            onset: reaction.onset,
            onset_at: reaction.onset_at,
            treatment: reaction.treatment,
            outcome: reaction.outcome,
            note: reaction.note,
            deferral_id: deferral_row.as_ref().map(|r| r.id),
            recorded_at: store::now(),
            recorded_by: actor.username.clone(),
        };
        tx.insert_reaction(&row).await?;
        let view = ReactionView::of(&row, Some(din.clone()));
        tx.append_audit(AuditDraft::new(&actor.username, "donation.reaction", "donation", d.id).donor(&donor.donor_number).after(&view)).await?;
        tx.commit().await?;
        Ok((view, deferral_view))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_the_reaction_and_its_deferral() {
        let e: ReactionEntry = serde_json::from_value(serde_json::json!({
            "kind": "vasovagal", "severity": "awful", "onset": "during", "onset_at": "2026-01-01T10:00:00Z", "treatment": "x", "outcome": "y",
            "deferral": {"kind": "temporary", "reason_code": "ADVERSE_REACTION", "reason": "faint"}
        }))
        .unwrap();
        assert_eq!(e.reaction.severity, "awful");
        assert_eq!(e.deferral.unwrap().kind, "temporary");
        let unknown = serde_json::from_value::<ReactionEntry>(serde_json::json!({"kind": "vasovagal", "colour": "pale"}));
        assert!(unknown.is_err(), "unknown keys are refused");
    }
}
