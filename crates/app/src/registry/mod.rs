//! The donor registry beyond registration: versioned edits of a donor's details,
//! merges of duplicate records that keep both histories, blood group determinations
//! with their discrepancy flag, special attributes and the rare-donor search.
//!
//! A merged-away record stays as it was; every read of a donor's history goes
//! through [`App::resolve_donor`], which returns the surviving record and the ids of
//! all records merged into it.

mod demo;
mod rare;
pub(crate) mod typing;

use crate::donors::DonorSummary;
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::typing::{assess_blood_group, check_hla, parse_antigens, Attribute, BloodGroupStatus, GroupEvent, ANTIGENS, GROUP_SOURCES};
use domain::validation::{optional_email, optional_phone, optional_text, required_text};
use domain::{parse_day, AuditDraft, BloodGroup, FieldError, FieldErrors, Permission, Sex};
use serde::{Deserialize, Serialize};
use store::{AttributeResultRow, DeterminationRow, DonorContact, DonorRow, DonorVersionRow, MergeRow, RareQuery, ResolutionRow};
use uuid::Uuid;

/// A donor number resolved through merges.
#[derive(Debug, Clone)]
pub struct ResolvedDonor {
    /// The surviving record.
    pub donor: DonorRow,
    /// The number asked for, when it was merged away into `donor`.
    pub merged_number: Option<String>,
    /// The survivor and every record merged into it (directly or through another merge).
    pub family: Vec<Uuid>,
    /// Merges into this donor's family, oldest first, with the duplicate's number.
    pub merges: Vec<(MergeRow, String)>,
}

/// Consent to be contacted, per channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub email: bool,
    pub sms: bool,
    pub phone: bool,
    pub post: bool,
}

/// Everything about a donor that staff can change; each version stores it whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DonorDetails {
    pub first_name: String,
    pub last_name: String,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub id_document: Option<String>,
    pub consent: Consent,
    /// Site code.
    pub preferred_site: Option<String>,
}

/// A change of details: only the fields given change. `reason` is required.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DonorPatch {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub sex: Option<String>,
    /// Empty clears.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub id_document: Option<String>,
    /// The full set of channels the donor now agrees to: email, sms, phone, post.
    #[serde(default)]
    pub consent: Option<Vec<String>>,
    /// Site code; empty clears.
    #[serde(default)]
    pub preferred_site: Option<String>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DonorVersion {
    pub version: i64,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub reason: String,
    pub details: DonorDetails,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// Number of the duplicate record merged into this donor.
    #[serde(default)]
    pub duplicate: String,
    #[serde(default)]
    pub reason: String,
    /// Needed when birth date, sex or blood group on record differ.
    #[serde(default)]
    pub confirm_different_details: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergedFrom {
    pub donor_number: String,
    pub merged_at: DateTime<Utc>,
    pub merged_by: String,
    pub reason: String,
}

/// A blood group result as entered by the lab.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BloodGroupInput {
    /// O, A, B or AB
    #[serde(default)]
    pub abo: String,
    /// pos or neg (also + / -)
    #[serde(default)]
    pub rhd: String,
    /// YYYY-MM-DD; default today.
    #[serde(default)]
    pub determined_on: Option<String>,
    /// lab (default), donor_card or import
    #[serde(default)]
    pub source: Option<String>,
    /// The donation the sample came from.
    #[serde(default)]
    pub din: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolutionInput {
    #[serde(default)]
    pub abo: String,
    #[serde(default)]
    pub rhd: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeterminationView {
    pub donor_number: String,
    pub group: String,
    pub determined_on: NaiveDate,
    pub source: String,
    pub din: Option<String>,
    pub entered_by: String,
    pub entered_at: DateTime<Utc>,
    /// Disagrees with the historical group.
    pub discordant: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolutionView {
    pub group: String,
    pub reason: String,
    pub resolved_by: String,
    pub resolved_at: DateTime<Utc>,
}

/// The donor's group, its status, and every determination behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BloodGroupView {
    /// The historical group, e.g. "O-".
    pub group: Option<String>,
    pub status: BloodGroupStatus,
    /// True while a determination disagrees with the historical group: release is blocked.
    pub discrepancy: bool,
    pub determinations: Vec<DeterminationView>,
    pub resolutions: Vec<ResolutionView>,
}

/// Special attributes in one entry; at least one is needed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributesInput {
    /// e.g. "K-, E-, c+"
    #[serde(default)]
    pub antigens: Option<String>,
    /// negative or positive
    #[serde(default)]
    pub cmv: Option<String>,
    /// negative or positive
    #[serde(default)]
    pub hbs: Option<String>,
    /// normal or deficient
    #[serde(default)]
    pub iga: Option<String>,
    /// e.g. "A*02:01, A*24:02; B*07:02, B*44:02"
    #[serde(default)]
    pub hla: Option<String>,
    #[serde(default)]
    pub determined_on: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub din: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeResultView {
    pub donor_number: String,
    pub attribute: String,
    pub value: String,
    pub determined_on: NaiveDate,
    pub source: String,
    pub din: Option<String>,
    pub entered_by: String,
    pub entered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AntigenValue {
    pub antigen: String,
    /// "+" or "-"
    pub result: String,
}

/// Current values (the latest result of each) and the full history.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AttributesView {
    pub cmv: Option<String>,
    pub hbs: Option<String>,
    pub iga: Option<String>,
    pub hla: Option<String>,
    /// In the usual order of typing (C, c, E, e, K, …).
    pub antigens: Vec<AntigenValue>,
    /// Newest first.
    pub history: Vec<AttributeResultView>,
}

impl AttributesView {
    /// "C+ c- E- …" for lists.
    pub fn phenotype(&self) -> String {
        self.antigens.iter().map(|a| format!("{}{}", a.antigen, a.result)).collect::<Vec<_>>().join(" ")
    }
}

/// One result of a rare-donor search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RareDonor {
    pub donor: DonorSummary,
    pub blood_group_status: BloodGroupStatus,
    pub attributes: AttributesView,
    /// Before screening; `None`: never.
    pub next_whole_blood: Option<NaiveDate>,
}

fn parse_group(abo: &str, rhd: &str) -> std::result::Result<BloodGroup, FieldError> {
    let abo_up = abo.trim().to_ascii_uppercase();
    if !["O", "A", "B", "AB"].contains(&abo_up.as_str()) {
        return Err(FieldError::new("abo", format!("'{}' is not an ABO group; use O, A, B or AB", abo.trim())));
    }
    let sign = match rhd.trim().to_ascii_lowercase().as_str() {
        "pos" | "+" | "positive" => "+",
        "neg" | "-" | "negative" => "-",
        other => return Err(FieldError::new("rhd", format!("'{other}' is not an RhD type; use pos or neg"))),
    };
    BloodGroup::parse(&format!("{abo_up}{sign}")).map_err(|e| FieldError::new("abo", e.message))
}

fn not_found(number: &str) -> AppError {
    AppError::NotFound(format!("no donor has the number '{}'", number.trim()))
}

/// When/where/how a result was obtained, shared by blood groups and attributes.
fn result_origin(
    e: &mut FieldErrors,
    determined_on: &Option<String>,
    source: &Option<String>,
    din: &Option<String>,
    today: NaiveDate,
) -> (Option<NaiveDate>, Option<String>, Option<String>) {
    let on = match determined_on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => e.take(parse_day("determined_on", s)).and_then(|d| {
            if d > today {
                e.0.push(FieldError::new("determined_on", format!("{d} is in the future")));
                None
            } else {
                Some(d)
            }
        }),
        None => Some(today),
    };
    let source = match source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Some("lab".to_string()),
        Some(s) if GROUP_SOURCES.contains(&s) => Some(s.to_string()),
        Some(s) => {
            e.0.push(FieldError::new("source", format!("'{s}' is not a source; use {}", GROUP_SOURCES.join(", "))));
            None
        }
    };
    let din = match din.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => e.take(domain::labeling::parse_din("din", s)).map(|d| d.din().to_string()),
    };
    (on, source, din)
}

impl App {
    /// Follows merges from `number` to the surviving record and collects its family.
    pub async fn resolve_donor(&self, number: &str) -> Result<ResolvedDonor> {
        let asked = self.store.donor_by_number(number.trim()).await?.ok_or_else(|| not_found(number))?;
        let mut donor = asked.clone();
        for _ in 0..64 {
            match self.store.merge_of(donor.id).await? {
                Some(m) => donor = self.store.donor_by_id(m.survivor_id).await?.ok_or_else(|| not_found(number))?,
                None => break,
            }
        }
        let merged_number = (donor.id != asked.id).then(|| asked.donor_number.clone());
        let mut family = vec![donor.id];
        let mut merges = Vec::new();
        let mut frontier = vec![donor.id];
        while !frontier.is_empty() && family.len() < 1000 {
            let found = self.store.merges_into(&frontier).await?;
            frontier = found.iter().map(|m| m.duplicate_id).filter(|id| !family.contains(id)).collect();
            family.extend(&frontier);
            let dups = self.store.donors_by_ids(&frontier).await?;
            for m in found {
                let n = dups.iter().find(|d| d.id == m.duplicate_id).map(|d| d.donor_number.clone()).unwrap_or_default();
                merges.push((m, n));
            }
        }
        merges.sort_by_key(|(m, _)| m.merged_at);
        Ok(ResolvedDonor { donor, merged_number, family, merges })
    }

    /// Refuses writes against a number merged into another record, naming the survivor.
    pub async fn refuse_merged(&self, number: &str) -> Result<()> {
        let r = self.resolve_donor(number).await?;
        match r.merged_number {
            Some(n) => Err(AppError::Conflict(format!("donor {n} was merged into {}; use {} instead", r.donor.donor_number, r.donor.donor_number))),
            None => Ok(()),
        }
    }

    pub(crate) async fn details_of(&self, d: &DonorRow, c: &DonorContact) -> Result<DonorDetails> {
        let site = match d.preferred_site {
            Some(id) => self.store.list_sites().await?.into_iter().find(|s| s.id == id).map(|s| s.fields.code.as_str().to_string()),
            None => None,
        };
        Ok(DonorDetails {
            first_name: d.first_name.clone(),
            last_name: d.last_name.clone(),
            birth_date: d.birth_date,
            sex: d.sex.as_str().to_string(),
            email: d.email.clone(),
            phone: d.phone.clone(),
            address: c.address.clone(),
            id_document: c.id_document.clone(),
            consent: Consent { email: c.consent_email, sms: c.consent_sms, phone: c.consent_phone, post: c.consent_post },
            preferred_site: site,
        })
    }

    /// The donor's current details (of the record the number names).
    pub async fn donor_details(&self, d: &DonorRow) -> Result<DonorDetails> {
        let c = self.store.donor_contact(d.id).await?;
        self.details_of(d, &c).await
    }

    /// Changes a donor's details: only the fields given change, and the whole new
    /// state is kept as a version with who, when and why.
    pub async fn edit_donor(&self, actor: &Actor, number: &str, patch: &DonorPatch) -> Result<DonorVersion> {
        actor.require(Permission::RegisterDonors)?;
        let today = self.today();
        let mut e = FieldErrors::default();
        let reason = patch.reason.trim().to_string();
        if reason.is_empty() {
            e.0.push(FieldError::new("reason", "say why the details change"));
        }
        let first_name = patch.first_name.as_deref().and_then(|v| e.take(required_text("first_name", v, 100)));
        let last_name = patch.last_name.as_deref().and_then(|v| e.take(required_text("last_name", v, 100)));
        let birth_date = patch.birth_date.as_deref().and_then(|v| e.take(parse_day("birth_date", v)));
        if let Some(b) = birth_date {
            if b > today {
                e.0.push(FieldError::new("birth_date", format!("{b} is in the future")));
            } else if chrono::Datelike::year(&b) < 1900 {
                e.0.push(FieldError::new("birth_date", format!("{b} is before 1900")));
            }
        }
        let sex = patch.sex.as_deref().and_then(|v| e.take(Sex::parse(v)));
        let email = patch.email.as_deref().and_then(|v| e.take(optional_email("email", v)));
        let phone = patch.phone.as_deref().and_then(|v| e.take(optional_phone("phone", v)));
        let address = patch.address.as_deref().and_then(|v| e.take(optional_text("address", v, 500)));
        let id_document = patch.id_document.as_deref().and_then(|v| e.take(optional_text("id_document", v, 200)));
        let consent = patch.consent.as_ref().map(|channels| {
            let mut c = Consent::default();
            for ch in channels {
                match ch.trim() {
                    "email" => c.email = true,
                    "sms" => c.sms = true,
                    "phone" => c.phone = true,
                    "post" => c.post = true,
                    other => e.0.push(FieldError::new("consent", format!("'{other}' is not a contact channel; use email, sms, phone or post"))),
                }
            }
            c
        });
        let sites = self.store.list_sites().await?;
        let site = match patch.preferred_site.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(code) => match sites.iter().find(|s| s.fields.code.as_str() == code) {
                Some(s) => Some(Some(s)),
                None => {
                    e.0.push(FieldError::new("preferred_site", format!("no site has the code '{code}'")));
                    None
                }
            },
        };
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let mut tx = self.store.begin_write().await?;
        let donor = tx.donor_by_number(number.trim()).await?.ok_or_else(|| not_found(number))?;
        if let Some(m) = tx.merge_of(donor.id).await? {
            let survivor = tx.donor_by_id(m.survivor_id).await?.map(|d| d.donor_number).unwrap_or_default();
            return Err(AppError::Conflict(format!("donor {} was merged into {survivor}; edit {survivor} instead", donor.donor_number)));
        }
        let contact = tx.donor_contact(donor.id).await?;
        let before = self.details_of(&donor, &contact).await?;
        let mut row = donor.clone();
        let mut c = contact.clone();
        if let Some(v) = first_name {
            row.first_name = v;
        }
        if let Some(v) = last_name {
            row.last_name = v;
        }
        if let Some(v) = birth_date {
            row.birth_date = v;
        }
        if let Some(v) = sex {
            row.sex = v;
        }
        if patch.email.is_some() {
            row.email = email.flatten();
        }
        if patch.phone.is_some() {
            row.phone = phone.flatten();
        }
        if patch.address.is_some() {
            c.address = address.flatten();
        }
        if patch.id_document.is_some() {
            c.id_document = id_document.flatten();
        }
        if let Some(k) = consent {
            (c.consent_email, c.consent_sms, c.consent_phone, c.consent_post) = (k.email, k.sms, k.phone, k.post);
        }
        if let Some(s) = site {
            row.preferred_site = s.map(|s| s.id);
        }
        let after = self.details_of(&row, &c).await?;
        if after == before {
            return Err(FieldError::new("donor", "nothing changes: every field given already has that value").into());
        }
        let at = store::now();
        let v = record_donor_version(&mut tx, &donor, &before, &after, at, &actor.username, &reason).await?;
        tx.update_donor(&row).await?;
        tx.set_donor_contact(donor.id, &c).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "donor.edit", "donor", &donor.donor_number)
                .donor(&donor.donor_number)
                .before(&before)
                .after(&after)
                .reason(Some(reason.clone())),
        )
        .await?;
        tx.commit().await?;
        Ok(DonorVersion { version: v.version, recorded_at: at, recorded_by: v.recorded_by, reason, details: after })
    }

    /// Every version of the donor's details, newest first. A donor never edited has one:
    /// the state as registered.
    pub async fn donor_versions(&self, actor: &Actor, number: &str) -> Result<Vec<DonorVersion>> {
        actor.require(Permission::ViewDonors)?;
        let r = self.resolve_donor(number).await?;
        let rows = self.store.donor_versions(r.donor.id).await?;
        if rows.is_empty() {
            let details = self.donor_details(&r.donor).await?;
            return Ok(vec![DonorVersion {
                version: 1,
                recorded_at: r.donor.created_at,
                recorded_by: "registration".into(),
                reason: "as registered".into(),
                details,
            }]);
        }
        rows.into_iter()
            .map(|v| {
                let details = serde_json::from_str(&v.snapshot).map_err(|e| AppError::Store(store::StoreError::Corrupt(e.to_string())))?;
                Ok(DonorVersion { version: v.version, recorded_at: v.recorded_at, recorded_by: v.recorded_by, reason: v.reason, details })
            })
            .collect()
    }

    /// Merges the duplicate record into the donor `number`. Nothing is rewritten: the
    /// duplicate keeps its donations, deferrals and results, and every read of the
    /// survivor's history includes them from now on.
    pub async fn merge_donors(&self, actor: &Actor, number: &str, input: &MergeInput) -> Result<Vec<MergedFrom>> {
        actor.require(Permission::MergeDonors)?;
        let mut e = FieldErrors::default();
        if input.duplicate.trim().is_empty() {
            e.0.push(FieldError::new("duplicate", "give the number of the duplicate record"));
        }
        let reason = input.reason.trim().to_string();
        if reason.is_empty() {
            e.0.push(FieldError::new("reason", "say why these records are the same donor"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let mut tx = self.store.begin_write().await?;
        let survivor = tx.donor_by_number(number.trim()).await?.ok_or_else(|| not_found(number))?;
        let dup = tx
            .donor_by_number(input.duplicate.trim())
            .await?
            .ok_or_else(|| FieldError::new("duplicate", format!("no donor has the number '{}'", input.duplicate.trim())))?;
        // Both records locked (in id order) before any merge is looked at: two opposite
        // merges at the same instant queue, and the second sees the first.
        tx.lock_donor_rows(&[survivor.id, dup.id]).await?;
        if dup.id == survivor.id {
            return Err(AppError::Conflict(format!("donor {} cannot be merged into itself", survivor.donor_number)));
        }
        if let Some(m) = tx.merge_of(survivor.id).await? {
            let to = tx.donor_by_id(m.survivor_id).await?.map(|d| d.donor_number).unwrap_or_default();
            return Err(AppError::Conflict(format!("donor {} was already merged into {to}; merge into {to} instead", survivor.donor_number)));
        }
        if let Some(m) = tx.merge_of(dup.id).await? {
            let to = tx.donor_by_id(m.survivor_id).await?.map(|d| d.donor_number).unwrap_or_default();
            return Err(AppError::Conflict(format!("donor {} was already merged into {to}", dup.donor_number)));
        }
        let mut differ = Vec::new();
        if dup.birth_date != survivor.birth_date {
            differ.push(format!("birth date {} vs {}", survivor.birth_date, dup.birth_date));
        }
        if dup.sex != survivor.sex {
            differ.push(format!("sex {} vs {}", survivor.sex.as_str(), dup.sex.as_str()));
        }
        if let (Some(a), Some(b)) = (survivor.group.0, dup.group.0) {
            if a != b {
                differ.push(format!("blood group {a} vs {b}"));
            }
        }
        if !differ.is_empty() && !input.confirm_different_details {
            return Err(AppError::Conflict(format!(
                "donors {} and {} differ in {}; check they are the same person, then send confirm_different_details: true",
                survivor.donor_number,
                dup.donor_number,
                differ.join(", ")
            )));
        }
        let before_survivor = self.details_of(&survivor, &tx.donor_contact(survivor.id).await?).await?;
        let before_dup = self.details_of(&dup, &tx.donor_contact(dup.id).await?).await?;
        let m = MergeRow { duplicate_id: dup.id, survivor_id: survivor.id, merged_at: store::now(), merged_by: actor.username.clone(), reason };
        tx.insert_merge(&m).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "donor.merge", "donor", &survivor.donor_number)
                .donor(&survivor.donor_number)
                .before(serde_json::json!({
                    "survivor": {"donor_number": survivor.donor_number, "details": before_survivor, "abo": survivor.group.columns().0, "rhd": survivor.group.columns().1},
                    "duplicate": {"donor_number": dup.donor_number, "details": before_dup, "abo": dup.group.columns().0, "rhd": dup.group.columns().1},
                }))
                .after(serde_json::json!({"survivor": survivor.donor_number, "merged": dup.donor_number, "differences_confirmed": differ}))
                .reason(Some(m.reason.clone())),
        )
        .await?;
        tx.commit().await?;
        Ok(self.resolve_donor(number).await?.merges.into_iter().map(|(m, n)| merged_from(m, n)).collect())
    }
}

fn merged_from(m: MergeRow, n: String) -> MergedFrom {
    MergedFrom { donor_number: n, merged_at: m.merged_at, merged_by: m.merged_by, reason: m.reason }
}

pub(crate) fn merged_from_list(r: &ResolvedDonor) -> Vec<MergedFrom> {
    r.merges.iter().cloned().map(|(m, n)| merged_from(m, n)).collect()
}

/// Reads the rare-donor criteria; empty values are ignored, at least one is needed.
pub fn rare_query(pairs: &[(String, String)]) -> Result<RareQuery> {
    let mut q = RareQuery::default();
    let mut e = FieldErrors::default();
    for (k, v) in pairs {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        match k.as_str() {
            "abo" => match ["O", "A", "B", "AB"].into_iter().find(|a| a.eq_ignore_ascii_case(v)) {
                Some(a) => q.abo = Some(a.into()),
                None => e.0.push(FieldError::new("abo", format!("'{v}' is not an ABO group; use O, A, B or AB"))),
            },
            "rhd" => match v.to_ascii_lowercase().as_str() {
                "pos" | "+" | "positive" => q.rhd = Some("pos".into()),
                "neg" | "-" | "negative" => q.rhd = Some("neg".into()),
                _ => e.0.push(FieldError::new("rhd", format!("'{v}' is not an RhD type; use pos or neg"))),
            },
            "antigens" => {
                if let Some(list) = e.take(parse_antigens("antigens", v)) {
                    q.attributes.extend(list.into_iter().map(|r| (format!("antigen:{}", r.antigen), r.sign().to_string())));
                }
            }
            "cmv" | "hbs" | "iga" => {
                let (attr, field) = match k.as_str() {
                    "cmv" => (Attribute::Cmv, "cmv"),
                    "hbs" => (Attribute::Hbs, "hbs"),
                    _ => (Attribute::Iga, "iga"),
                };
                if let Some(val) = e.take(attr.parse_value(field, v)) {
                    q.attributes.push((attr.key().into(), val.into()));
                }
            }
            "hla" => {
                if let Some(h) = e.take(check_hla("hla", v)) {
                    if h.contains([',', ';']) {
                        e.0.push(FieldError::new("hla", "search for one allele, e.g. A*02:01"));
                    } else {
                        q.hla = Some(h);
                    }
                }
            }
            other => {
                e.0.push(FieldError::new("criteria", format!("'{other}' is not a search criterion; use abo, rhd, antigens, cmv, hbs, iga, hla")))
            }
        }
    }
    if e.is_empty() && q == RareQuery::default() {
        e.0.push(FieldError::new("criteria", "give at least one criterion: abo, rhd, antigens, cmv, hbs, iga or hla"));
    }
    if !e.is_empty() {
        return Err(AppError::Invalid(e));
    }
    Ok(q)
}

/// Writes the next version of a donor's details. A donor never versioned first gets
/// the state as registered as version 1, so the history starts at the beginning.
pub(crate) async fn record_donor_version(
    tx: &mut store::WriteTx,
    donor: &DonorRow,
    before: &DonorDetails,
    after: &DonorDetails,
    at: DateTime<Utc>,
    by: &str,
    reason: &str,
) -> Result<DonorVersionRow> {
    let mut version = tx.last_donor_version(donor.id).await?;
    if version == 0 {
        tx.insert_donor_version(&DonorVersionRow {
            donor_id: donor.id,
            version: 1,
            recorded_at: donor.created_at,
            recorded_by: "registration".into(),
            reason: "as registered".into(),
            snapshot: serde_json::to_string(before).expect("serialises"),
        })
        .await?;
        version = 1;
    }
    let v = DonorVersionRow {
        donor_id: donor.id,
        version: version + 1,
        recorded_at: at,
        recorded_by: by.into(),
        reason: reason.into(),
        snapshot: serde_json::to_string(after).expect("serialises"),
    };
    tx.insert_donor_version(&v).await?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &[(&str, &str)]) -> Vec<(String, String)> {
        s.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn rare_criteria_are_read_and_unknown_ones_refused() {
        let q = rare_query(&pairs(&[("abo", "o"), ("rhd", "neg"), ("antigens", "K-,E-,c-"), ("cmv", "negative"), ("hla", "A*02:01")])).unwrap();
        assert_eq!(q.abo.as_deref(), Some("O"));
        assert_eq!(q.rhd.as_deref(), Some("neg"));
        assert_eq!(q.attributes.len(), 4);
        assert!(q.attributes.contains(&("antigen:c".into(), "-".into())));
        assert_eq!(q.hla.as_deref(), Some("A*02:01"));
        assert!(rare_query(&pairs(&[])).is_err());
        assert!(rare_query(&pairs(&[("abo", "")])).is_err());
        assert!(rare_query(&pairs(&[("colour", "red")])).is_err());
        assert!(rare_query(&pairs(&[("antigens", "Q-")])).is_err());
        assert!(rare_query(&pairs(&[("iga", "absent")])).is_err());
    }

    #[test]
    fn groups_parse_from_abo_and_rhd() {
        assert_eq!(parse_group("ab", "+").unwrap().to_string(), "AB+");
        assert_eq!(parse_group("O", "neg").unwrap().to_string(), "O-");
        assert_eq!(parse_group("C", "neg").unwrap_err().field, "abo");
        assert_eq!(parse_group("O", "maybe").unwrap_err().field, "rhd");
    }
}
