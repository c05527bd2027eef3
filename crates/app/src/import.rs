//! Importing a centre's existing donors and donations. Each row is checked for
//! format, references and duplicates; a rejected row writes nothing and is reported
//! with its reasons, accepted rows go in together with one audit record for the
//! import (file name, SHA-256, counts).

use crate::{Actor, App, AppError, Result};
use chrono::{NaiveDate, TimeZone, Utc};
use domain::import::{read_donations, read_donors, Rejected};
use domain::{AuditDraft, Permission};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use store::{DonationRow, DonorRow};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    pub import_id: Uuid,
    pub file_sha256: String,
    pub accepted: u64,
    pub rejected: Vec<Rejected>,
}

/// The id of an optional site code, or the row's rejection.
fn site_id(sites: &HashMap<String, Uuid>, field: &str, code: Option<&str>, line: u64) -> std::result::Result<Option<Uuid>, Rejected> {
    match code {
        None => Ok(None),
        Some(code) => sites.get(code).map(|id| Some(*id)).ok_or_else(|| reject(line, format!("{field}: no site has the code '{code}'"))),
    }
}

fn reject(line: u64, reason: String) -> Rejected {
    Rejected { line, reasons: vec![reason] }
}

impl App {
    async fn site_ids(&self) -> Result<HashMap<String, Uuid>> {
        Ok(self.store.list_sites().await?.into_iter().map(|s| (s.fields.code.as_str().to_string(), s.id)).collect())
    }

    /// Imports donors. `progress(done, total)` is called as rows are written.
    pub async fn import_donors(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
        today: NaiveDate,
        progress: impl FnMut(u64, u64),
    ) -> Result<ImportReport> {
        actor.require(Permission::ImportRecords)?;
        let (rows, mut rejected) =
            read_donors(bytes, today).map_err(|e| AppError::Invalid(domain::FieldErrors(vec![domain::FieldError::new("file", e.to_string())])))?;
        let mut known: HashMap<String, u64> = self.store.donor_ids_by_number().await?.into_keys().map(|n| (n, 0)).collect();
        let sites = self.site_ids().await?;
        let now = store::now();
        let mut accepted = Vec::with_capacity(rows.len());
        for r in rows {
            let number = r.donor_number.as_str().to_string();
            if let Some(&first) = known.get(&number) {
                rejected.push(reject(
                    r.line,
                    if first == 0 {
                        format!("donor {number} already exists")
                    } else {
                        format!("donor {number} appears earlier in the file, on line {first}")
                    },
                ));
                continue;
            }
            let site = match site_id(&sites, "preferred_site", r.preferred_site.as_deref(), r.line) {
                Ok(id) => id,
                Err(e) => {
                    rejected.push(e);
                    continue;
                }
            };
            known.insert(number.clone(), r.line);
            accepted.push(DonorRow {
                id: Uuid::now_v7(),
                donor_number: number,
                first_name: r.first_name,
                last_name: r.last_name,
                birth_date: r.birth_date,
                sex: r.sex,
                group: store::GroupOnRecord(r.blood_group),
                email: r.email,
                phone: r.phone,
                preferred_site: site,
                created_at: now,
            });
        }
        self.write_import(actor, file_name, bytes, accepted, rejected, progress).await
    }

    /// Imports donations (history: not re-judged against today's rules). A donation
    /// is recorded at noon UTC of its day, which keeps the day in every US time zone.
    pub async fn import_donations(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
        today: NaiveDate,
        progress: impl FnMut(u64, u64),
    ) -> Result<ImportReport> {
        actor.require(Permission::ImportRecords)?;
        let (rows, mut rejected) =
            read_donations(bytes, today).map_err(|e| AppError::Invalid(domain::FieldErrors(vec![domain::FieldError::new("file", e.to_string())])))?;
        let donors = self.store.donor_ids_by_number().await?;
        let sites = self.site_ids().await?;
        let mut seen: HashSet<(Uuid, NaiveDate, String)> =
            self.store.donation_keys().await?.into_iter().map(|(d, at, p)| (d, at.date_naive(), p)).collect();
        let mut accepted = Vec::with_capacity(rows.len());
        for r in rows {
            let Some(&donor_id) = donors.get(r.donor_number.as_str()) else {
                rejected.push(reject(r.line, format!("donor_number: no donor has the number {}", r.donor_number.as_str())));
                continue;
            };
            let site_id = match site_id(&sites, "site", r.site.as_deref(), r.line) {
                Ok(id) => id,
                Err(e) => {
                    rejected.push(e);
                    continue;
                }
            };
            let procedure = r.procedure;
            if !seen.insert((donor_id, r.collected_on, procedure.as_str().to_string())) {
                rejected.push(reject(
                    r.line,
                    format!("a {} donation of {} on {} is already recorded", procedure.as_str(), r.donor_number.as_str(), r.collected_on),
                ));
                continue;
            }
            let collected_at = Utc.from_utc_datetime(&r.collected_on.and_hms_opt(12, 0, 0).expect("noon"));
            accepted.push(DonationRow { id: Uuid::now_v7(), donor_id, din: None, procedure, site_id, collected_at });
        }
        self.write_import(actor, file_name, bytes, accepted, rejected, progress).await
    }

    /// Writes the accepted rows and the import's audit record in one transaction.
    async fn write_import<R: ImportRow>(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
        accepted: Vec<R>,
        mut rejected: Vec<Rejected>,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<ImportReport> {
        const CHUNK: usize = 10_000;
        rejected.sort_by_key(|r| r.line);
        let report =
            ImportReport { import_id: Uuid::now_v7(), file_sha256: hex::encode(Sha256::digest(bytes)), accepted: accepted.len() as u64, rejected };
        let mut tx = self.store.begin_write().await?;
        let total = accepted.len() as u64;
        for (i, chunk) in accepted.chunks(CHUNK).enumerate() {
            R::insert(&mut tx, chunk).await?;
            progress(((i * CHUNK + chunk.len()) as u64).min(total), total);
        }
        tx.append_audit(audit(actor, R::ACTION, file_name, &report)).await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// Rows an import writes in bulk.
trait ImportRow: Sized {
    const ACTION: &'static str;
    async fn insert(tx: &mut store::WriteTx, rows: &[Self]) -> store::Result<()>;
}

impl ImportRow for DonorRow {
    const ACTION: &'static str = "import.donors";
    async fn insert(tx: &mut store::WriteTx, rows: &[Self]) -> store::Result<()> {
        tx.insert_donors_bulk(rows).await
    }
}

impl ImportRow for DonationRow {
    const ACTION: &'static str = "import.donations";
    async fn insert(tx: &mut store::WriteTx, rows: &[Self]) -> store::Result<()> {
        tx.insert_donations_bulk(rows).await
    }
}

fn audit(actor: &Actor, action: &str, file_name: &str, r: &ImportReport) -> AuditDraft {
    AuditDraft::new(&actor.username, action, "import", r.import_id).after(serde_json::json!({
        "file": file_name,
        "sha256": r.file_sha256,
        "accepted": r.accepted,
        "rejected": r.rejected.len(),
        "rejected_lines": r.rejected.iter().take(1000).map(|x| x.line).collect::<Vec<_>>(),
    }))
}
