//! The donor registry's histories: versions of a donor's details, merges of duplicate
//! records, blood group determinations and resolutions, and special attributes.
//! Every table here is append-only, except the derived current-attribute index.

use crate::donors::{DeferralRow, DonationRow, DonorContact, DonorRow};
use crate::interactive::{Arg, Stmt};
use crate::{on_pool, on_tx, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DonorVersionRow {
    pub donor_id: Uuid,
    pub version: i64,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub reason: String,
    /// The donor's details after this change, as JSON.
    pub snapshot: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MergeRow {
    pub duplicate_id: Uuid,
    pub survivor_id: Uuid,
    pub merged_at: DateTime<Utc>,
    pub merged_by: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeterminationRow {
    pub id: Uuid,
    pub donor_id: Uuid,
    #[sqlx(flatten)]
    pub group: crate::Group,
    pub determined_on: NaiveDate,
    pub source: String,
    pub din: Option<String>,
    pub entered_by: String,
    pub entered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ResolutionRow {
    pub id: Uuid,
    pub donor_id: Uuid,
    #[sqlx(flatten)]
    pub group: crate::Group,
    pub reason: String,
    pub resolved_by: String,
    pub resolved_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AttributeResultRow {
    pub id: Uuid,
    pub donor_id: Uuid,
    /// cmv, hbs, iga, hla or antigen:<name>
    pub attribute: String,
    pub value: String,
    pub determined_on: NaiveDate,
    pub source: String,
    pub din: Option<String>,
    pub entered_by: String,
    pub entered_at: DateTime<Utc>,
}

/// Criteria of a rare-donor search, all AND-ed. Attribute pairs match the current value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RareQuery {
    pub abo: Option<String>,
    pub rhd: Option<String>,
    /// (attribute key, value), e.g. ("antigen:K", "-"), ("cmv", "negative").
    pub attributes: Vec<(String, String)>,
    /// An allele that must appear in the current HLA typing.
    pub hla: Option<String>,
}

/// address, id_document, consent_email, consent_sms, consent_phone, consent_post
type ContactColumns = (Option<String>, Option<String>, bool, bool, bool, bool);

use crate::donors::{DEFERRAL_SELECT, DONOR_COLUMNS};

impl Store {
    /// Every donor, by number (for the demo generator).
    pub async fn all_donors(&self) -> Result<Vec<DonorRow>> {
        let sql = format!("SELECT {DONOR_COLUMNS} FROM donors ORDER BY donor_number");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    pub async fn donor_by_id(&self, id: Uuid) -> Result<Option<DonorRow>> {
        let sql = format!("SELECT {DONOR_COLUMNS} FROM donors WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    pub async fn donors_by_ids(&self, ids: &[Uuid]) -> Result<Vec<DonorRow>> {
        self.fetch_for_ids(&format!("SELECT {DONOR_COLUMNS} FROM donors WHERE id IN ({{ids}}) ORDER BY donor_number"), ids).await
    }

    pub async fn donor_contact(&self, id: Uuid) -> Result<DonorContact> {
        let row: Option<ContactColumns> = on_pool!(self, p => sqlx::query_as(
            "SELECT address, id_document, consent_email, consent_sms, consent_phone, consent_post FROM donors WHERE id = $1")
            .bind(id).fetch_optional(p).await?);
        Ok(row
            .map(|(address, id_document, consent_email, consent_sms, consent_phone, consent_post)| DonorContact {
                address,
                id_document,
                consent_email,
                consent_sms,
                consent_phone,
                consent_post,
            })
            .unwrap_or_default())
    }

    pub async fn donor_versions(&self, id: Uuid) -> Result<Vec<DonorVersionRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT donor_id, version, recorded_at, recorded_by, reason, snapshot FROM donor_versions WHERE donor_id = $1 ORDER BY version DESC")
            .bind(id).fetch_all(p).await?))
    }

    /// The merge that took this donor's record into another, if any.
    pub async fn merge_of(&self, duplicate_id: Uuid) -> Result<Option<MergeRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT duplicate_id, survivor_id, merged_at, merged_by, reason FROM donor_merges WHERE duplicate_id = $1")
            .bind(duplicate_id).fetch_optional(p).await?))
    }

    /// Merges whose survivor is one of `survivors`.
    pub async fn merges_into(&self, survivors: &[Uuid]) -> Result<Vec<MergeRow>> {
        self.fetch_for_ids(
            "SELECT duplicate_id, survivor_id, merged_at, merged_by, reason FROM donor_merges WHERE survivor_id IN ({ids}) ORDER BY merged_at",
            survivors,
        )
        .await
    }

    /// Ids of every donor merged away (for hiding them from searches).
    pub async fn merged_donor_ids(&self, among: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>> {
        self.fetch_for_ids("SELECT duplicate_id, survivor_id FROM donor_merges WHERE duplicate_id IN ({ids})", among).await
    }

    pub async fn donations_of_all(&self, ids: &[Uuid]) -> Result<Vec<DonationRow>> {
        self.fetch_for_ids(
            "SELECT id, donor_id, din, procedure, site_id, collected_at FROM donations WHERE donor_id IN ({ids}) ORDER BY collected_at",
            ids,
        )
        .await
    }

    pub async fn deferrals_of_all(&self, ids: &[Uuid]) -> Result<Vec<DeferralRow>> {
        self.fetch_for_ids(&format!("{DEFERRAL_SELECT} WHERE d.donor_id IN ({{ids}}) ORDER BY d.entered_at DESC"), ids).await
    }

    /// Determinations of these donors, in the order they were entered.
    pub async fn determinations_of(&self, ids: &[Uuid]) -> Result<Vec<DeterminationRow>> {
        self.fetch_for_ids(
            "SELECT id, donor_id, abo, rhd, determined_on, source, din, entered_by, entered_at FROM blood_group_determinations \
             WHERE donor_id IN ({ids}) ORDER BY entered_at, id",
            ids,
        )
        .await
    }

    pub async fn resolutions_of(&self, ids: &[Uuid]) -> Result<Vec<ResolutionRow>> {
        self.fetch_for_ids("SELECT id, donor_id, abo, rhd, reason, resolved_by, resolved_at FROM blood_group_resolutions WHERE donor_id IN ({ids}) ORDER BY resolved_at, id", ids).await
    }

    /// Attribute results of these donors, in the order they were entered.
    pub async fn attribute_results_of(&self, ids: &[Uuid]) -> Result<Vec<AttributeResultRow>> {
        self.fetch_for_ids(
            "SELECT id, donor_id, attribute, value, determined_on, source, din, entered_by, entered_at FROM donor_attribute_results \
             WHERE donor_id IN ({ids}) ORDER BY entered_at, id",
            ids,
        )
        .await
    }

    /// Donors (not merged away) matching every criterion; a survivor matches on the
    /// current values of its own record or of a record merged into it. Runs within the
    /// read limit, like the donor search.
    pub async fn rare_donors(&self, q: &RareQuery, limit: i64) -> Result<Vec<DonorRow>> {
        Ok(self.bounded_fetch(&[rare_statement(q, limit)]).await?.into_iter().flatten().collect())
    }

    /// The plan of the rare-donor search (for the index test).
    pub async fn rare_donor_plans(&self, q: &RareQuery) -> Result<Vec<crate::SearchPlan>> {
        self.plans(&[rare_statement(q, 50)]).await
    }
}

/// The rare-donor search. The first attribute criterion, if any, picks the candidates
/// through the attribute index (with records merged into a survivor counting for it);
/// otherwise the blood group index does. The other criteria are checked per candidate.
fn rare_statement(q: &RareQuery, limit: i64) -> Stmt {
    let cols = DONOR_COLUMNS.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ");
    let mut sql = format!("SELECT {cols} FROM donors d WHERE NOT EXISTS (SELECT 1 FROM donor_merges m WHERE m.duplicate_id = d.id)");
    let mut args: Vec<String> = Vec::new();
    let family = "(a.donor_id = d.id OR a.donor_id IN (SELECT m.duplicate_id FROM donor_merges m WHERE m.survivor_id = d.id))";
    if let Some(abo) = &q.abo {
        args.push(abo.clone());
        sql.push_str(&format!(" AND d.abo = ${}", args.len()));
    }
    if let Some(rhd) = &q.rhd {
        args.push(rhd.clone());
        sql.push_str(&format!(" AND d.rhd = ${}", args.len()));
    }
    let mut criteria: Vec<(String, String, &str)> = q.attributes.iter().map(|(a, v)| (a.clone(), v.clone(), "=")).collect();
    if let Some(allele) = &q.hla {
        criteria.push(("hla".into(), format!("%{}%", allele.replace(['%', '_'], "")), "LIKE"));
    }
    for (i, (attr, value, op)) in criteria.iter().enumerate() {
        args.push(attr.clone());
        args.push(value.clone());
        let (pa, pv) = (args.len() - 1, args.len());
        if i == 0 {
            sql.push_str(&format!(
                " AND d.id IN (SELECT a.donor_id FROM donor_attributes_current a WHERE a.attribute = ${pa} AND a.value {op} ${pv} \
                 UNION SELECT m.survivor_id FROM donor_attributes_current a JOIN donor_merges m ON m.duplicate_id = a.donor_id \
                 WHERE a.attribute = ${pa} AND a.value {op} ${pv})"
            ));
        } else {
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM donor_attributes_current a WHERE {family} AND a.attribute = ${pa} AND a.value {op} ${pv})"
            ));
        }
    }
    sql.push_str(&format!(" ORDER BY d.donor_number LIMIT {limit}"));
    Stmt::new(sql, args.into_iter().map(Arg::Text).collect())
}

impl WriteTx {
    pub async fn merge_of(&mut self, duplicate_id: Uuid) -> Result<Option<MergeRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT duplicate_id, survivor_id, merged_at, merged_by, reason FROM donor_merges WHERE duplicate_id = $1")
            .bind(duplicate_id).fetch_optional(c).await?))
    }

    pub async fn donor_by_id(&mut self, id: Uuid) -> Result<Option<DonorRow>> {
        let sql = format!("SELECT {DONOR_COLUMNS} FROM donors WHERE id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    pub async fn donor_contact(&mut self, id: Uuid) -> Result<DonorContact> {
        let row: Option<ContactColumns> = on_tx!(self, c => sqlx::query_as(
            "SELECT address, id_document, consent_email, consent_sms, consent_phone, consent_post FROM donors WHERE id = $1")
            .bind(id).fetch_optional(c).await?);
        Ok(row
            .map(|(address, id_document, consent_email, consent_sms, consent_phone, consent_post)| DonorContact {
                address,
                id_document,
                consent_email,
                consent_sms,
                consent_phone,
                consent_post,
            })
            .unwrap_or_default())
    }

    /// Writes the donor's changeable details (names, birth date, sex, contact, site)
    /// and the search keys that follow from them.
    pub async fn update_donor(&mut self, d: &DonorRow) -> Result<()> {
        let k = domain::search::DonorKeys::of(&d.first_name, &d.last_name, d.email.as_deref(), d.phone.as_deref());
        on_tx!(self, c => sqlx::query(
            "UPDATE donors SET first_name = $2, last_name = $3, birth_date = $4, sex = $5, email = $6, phone = $7, preferred_site = $8, \
             search_lf = $9, search_fl = $10, phone_rev = $11, email_key = $12 WHERE id = $1")
            .bind(d.id).bind(&d.first_name).bind(&d.last_name).bind(d.birth_date).bind(d.sex.as_str()).bind(&d.email).bind(&d.phone).bind(d.preferred_site)
            .bind(k.last_first).bind(k.first_last).bind(k.phone_rev).bind(k.email)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn last_donor_version(&mut self, donor_id: Uuid) -> Result<i64> {
        let v: Option<i64> =
            on_tx!(self, c => sqlx::query_scalar("SELECT MAX(version) FROM donor_versions WHERE donor_id = $1").bind(donor_id).fetch_one(c).await?);
        Ok(v.unwrap_or(0))
    }

    pub async fn insert_donor_version(&mut self, v: &DonorVersionRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO donor_versions (donor_id, version, recorded_at, recorded_by, reason, snapshot) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(v.donor_id).bind(v.version).bind(v.recorded_at).bind(&v.recorded_by).bind(&v.reason).bind(&v.snapshot)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn has_merged_donors(&mut self, survivor_id: Uuid) -> Result<bool> {
        let n: i64 =
            on_tx!(self, c => sqlx::query_scalar("SELECT COUNT(*) FROM donor_merges WHERE survivor_id = $1").bind(survivor_id).fetch_one(c).await?);
        Ok(n > 0)
    }

    pub async fn insert_merge(&mut self, m: &MergeRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO donor_merges (duplicate_id, survivor_id, merged_at, merged_by, reason) VALUES ($1, $2, $3, $4, $5)")
            .bind(m.duplicate_id).bind(m.survivor_id).bind(m.merged_at).bind(&m.merged_by).bind(&m.reason)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Sets the donor's historical ABO/RhD.
    pub async fn set_donor_group(&mut self, donor_id: Uuid, group: domain::BloodGroup) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE donors SET abo = $2, rhd = $3 WHERE id = $1")
            .bind(donor_id).bind(group.abo_str()).bind(group.rhd_str()).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_determinations(&mut self, rows: &[DeterminationRow]) -> Result<()> {
        const COLS: usize = 9;
        for chunk in rows.chunks(20) {
            let sql = format!(
                "INSERT INTO blood_group_determinations (id, donor_id, abo, rhd, determined_on, source, din, entered_by, entered_at) VALUES {}",
                crate::donors::values_clause(chunk.len(), COLS)
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(&sql);
                for d in chunk {
                    q = q.bind(d.id).bind(d.donor_id).bind(d.group.0.abo_str()).bind(d.group.0.rhd_str()).bind(d.determined_on).bind(&d.source).bind(&d.din)
                        .bind(&d.entered_by).bind(d.entered_at);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    pub async fn insert_resolution(&mut self, r: &ResolutionRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO blood_group_resolutions (id, donor_id, abo, rhd, reason, resolved_by, resolved_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(r.id).bind(r.donor_id).bind(r.group.0.abo_str()).bind(r.group.0.rhd_str()).bind(&r.reason).bind(&r.resolved_by).bind(r.resolved_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Appends attribute results and makes each the current value of its attribute.
    /// Rows must be in entry order: the last one per (donor, attribute) wins.
    pub async fn insert_attribute_results(&mut self, rows: &[AttributeResultRow]) -> Result<()> {
        const COLS: usize = 9;
        for chunk in rows.chunks(20) {
            let sql = format!(
                "INSERT INTO donor_attribute_results (id, donor_id, attribute, value, determined_on, source, din, entered_by, entered_at) VALUES {}",
                crate::donors::values_clause(chunk.len(), COLS)
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(&sql);
                for a in chunk {
                    q = q.bind(a.id).bind(a.donor_id).bind(&a.attribute).bind(&a.value).bind(a.determined_on).bind(&a.source).bind(&a.din)
                        .bind(&a.entered_by).bind(a.entered_at);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        // One row per (donor, attribute) per statement: an upsert may not touch a row twice.
        let mut latest: Vec<&AttributeResultRow> = Vec::new();
        let mut at: std::collections::HashMap<(Uuid, &str), usize> = Default::default();
        for r in rows {
            match at.get(&(r.donor_id, r.attribute.as_str())) {
                Some(&i) => latest[i] = r,
                None => {
                    at.insert((r.donor_id, r.attribute.as_str()), latest.len());
                    latest.push(r);
                }
            }
        }
        for chunk in latest.chunks(40) {
            let sql = format!(
                "INSERT INTO donor_attributes_current (donor_id, attribute, value) VALUES {} \
                 ON CONFLICT (donor_id, attribute) DO UPDATE SET value = excluded.value",
                crate::donors::values_clause(chunk.len(), 3)
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(&sql);
                for a in chunk {
                    q = q.bind(a.donor_id).bind(&a.attribute).bind(&a.value);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }
}
