//! Reference data: sites and hospital accounts, each edit stored as a new version.

use crate::{on_pool, on_tx, Result, Store, StoreError, WriteTx};
use chrono::{DateTime, Utc};
use domain::hospital::HospitalFields;
use domain::site::SiteFields;
use domain::{AccountStatus, HospitalAccount, HospitalCode, Site, SiteCode, SiteKind, TimeZoneName};
use uuid::Uuid;

/// Who recorded a version and why.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionStamp {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: Uuid,
    version: i64,
    code: String,
    name: String,
    kind: String,
    address: Option<String>,
    city: Option<String>,
    region: Option<String>,
    time_zone: String,
    active: bool,
}

impl SiteRow {
    fn into_site(self) -> Result<Site> {
        let corrupt = |e: domain::FieldError| StoreError::Corrupt(format!("site {}: {e}", self.code));
        Ok(Site {
            id: self.id,
            version: self.version,
            fields: SiteFields {
                code: SiteCode::parse(&self.code).map_err(corrupt)?,
                name: self.name.clone(),
                kind: SiteKind::parse(&self.kind).map_err(corrupt)?,
                address: self.address.clone(),
                city: self.city.clone(),
                region: self.region.clone(),
                time_zone: TimeZoneName::parse(&self.time_zone).map_err(corrupt)?,
                active: self.active,
            },
        })
    }
}

const SITE_SELECT: &str = "SELECT s.id, v.version, s.code, v.name, v.kind, v.address, v.city, v.region, v.time_zone, v.active \
     FROM sites s JOIN site_versions v ON v.site_id = s.id \
     WHERE v.version = (SELECT MAX(version) FROM site_versions WHERE site_id = s.id)";

#[derive(sqlx::FromRow)]
struct HospitalRow {
    id: Uuid,
    version: i64,
    code: String,
    name: String,
    address: Option<String>,
    city: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    delivery_site: Option<String>,
    status: String,
}

impl HospitalRow {
    fn into_hospital(self) -> Result<HospitalAccount> {
        let corrupt = |e: domain::FieldError| StoreError::Corrupt(format!("hospital {}: {e}", self.code));
        Ok(HospitalAccount {
            id: self.id,
            version: self.version,
            fields: HospitalFields {
                code: HospitalCode::parse(&self.code).map_err(corrupt)?,
                name: self.name.clone(),
                address: self.address.clone(),
                city: self.city.clone(),
                contact_name: self.contact_name.clone(),
                contact_email: self.contact_email.clone(),
                contact_phone: self.contact_phone.clone(),
                delivery_site: self.delivery_site.clone(),
                status: AccountStatus::parse(&self.status).map_err(corrupt)?,
            },
        })
    }
}

/// Joins `hv`, the latest version of hospital `h` (its current name and contacts).
macro_rules! latest_hospital_version {
    () => {
        "JOIN hospital_versions hv ON hv.hospital_id = h.id \
         AND hv.version = (SELECT MAX(y.version) FROM hospital_versions y WHERE y.hospital_id = h.id)"
    };
}
pub(crate) use latest_hospital_version;

const HOSPITAL_SELECT: &str =
    "SELECT h.id, v.version, h.code, v.name, v.address, v.city, v.contact_name, v.contact_email, v.contact_phone, v.delivery_site, v.status \
     FROM hospitals h JOIN hospital_versions v ON v.hospital_id = h.id \
     WHERE v.version = (SELECT MAX(version) FROM hospital_versions WHERE hospital_id = h.id)";

/// One past or current version of a record, with its stamp, for history views.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct VersionInfo {
    pub version: i64,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub reason: Option<String>,
}

impl Store {
    pub async fn list_sites(&self) -> Result<Vec<Site>> {
        let sql = format!("{SITE_SELECT} ORDER BY s.code");
        let rows: Vec<SiteRow> = on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
        rows.into_iter().map(SiteRow::into_site).collect()
    }

    pub async fn site(&self, id: Uuid) -> Result<Option<Site>> {
        let sql = format!("{SITE_SELECT} AND s.id = $1");
        let row: Option<SiteRow> = on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        row.map(SiteRow::into_site).transpose()
    }

    pub async fn site_history(&self, id: Uuid) -> Result<Vec<VersionInfo>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT version, recorded_at, recorded_by, reason FROM site_versions WHERE site_id = $1 ORDER BY version DESC")
            .bind(id).fetch_all(p).await?))
    }

    pub async fn list_hospitals(&self) -> Result<Vec<HospitalAccount>> {
        let sql = format!("{HOSPITAL_SELECT} ORDER BY v.name");
        let rows: Vec<HospitalRow> = on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
        rows.into_iter().map(HospitalRow::into_hospital).collect()
    }

    pub async fn hospital(&self, id: Uuid) -> Result<Option<HospitalAccount>> {
        let sql = format!("{HOSPITAL_SELECT} AND h.id = $1");
        let row: Option<HospitalRow> = on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        row.map(HospitalRow::into_hospital).transpose()
    }

    pub async fn hospital_history(&self, id: Uuid) -> Result<Vec<VersionInfo>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT version, recorded_at, recorded_by, reason FROM hospital_versions WHERE hospital_id = $1 ORDER BY version DESC")
            .bind(id).fetch_all(p).await?))
    }
}

impl WriteTx {
    pub async fn list_sites(&mut self) -> Result<Vec<Site>> {
        let sql = format!("{SITE_SELECT} ORDER BY s.code");
        let rows: Vec<SiteRow> = on_tx!(self, c => sqlx::query_as(&sql).fetch_all(c).await?);
        rows.into_iter().map(SiteRow::into_site).collect()
    }

    pub async fn site(&mut self, id: Uuid) -> Result<Option<Site>> {
        let sql = format!("{SITE_SELECT} AND s.id = $1");
        let row: Option<SiteRow> = on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?);
        row.map(SiteRow::into_site).transpose()
    }

    pub async fn site_by_code(&mut self, code: &str) -> Result<Option<Site>> {
        let sql = format!("{SITE_SELECT} AND s.code = $1");
        let row: Option<SiteRow> = on_tx!(self, c => sqlx::query_as(&sql).bind(code).fetch_optional(c).await?);
        row.map(SiteRow::into_site).transpose()
    }

    /// Creates a site with its first version.
    pub async fn insert_site(&mut self, id: Uuid, f: &SiteFields, stamp: &VersionStamp) -> Result<Site> {
        on_tx!(self, c => sqlx::query("INSERT INTO sites (id, code, created_at) VALUES ($1, $2, $3)")
            .bind(id).bind(f.code.as_str()).bind(stamp.at).execute(c).await?.rows_affected());
        self.insert_site_version(id, 1, f, stamp).await
    }

    /// Records a new version of an existing site; the code never changes.
    pub async fn add_site_version(&mut self, current: &Site, f: &SiteFields, stamp: &VersionStamp) -> Result<Site> {
        self.insert_site_version(current.id, current.version + 1, f, stamp).await
    }

    async fn insert_site_version(&mut self, id: Uuid, version: i64, f: &SiteFields, stamp: &VersionStamp) -> Result<Site> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO site_versions (site_id, version, name, kind, address, city, time_zone, active, recorded_at, recorded_by, reason, region) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
            .bind(id).bind(version).bind(&f.name).bind(f.kind.as_str()).bind(&f.address).bind(&f.city)
            .bind(f.time_zone.as_str()).bind(f.active).bind(stamp.at).bind(&stamp.by).bind(&stamp.reason).bind(&f.region)
            .execute(c).await?.rows_affected());
        Ok(Site { id, version, fields: f.clone() })
    }

    pub async fn hospital(&mut self, id: Uuid) -> Result<Option<HospitalAccount>> {
        let sql = format!("{HOSPITAL_SELECT} AND h.id = $1");
        let row: Option<HospitalRow> = on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?);
        row.map(HospitalRow::into_hospital).transpose()
    }

    /// Every hospital account, read in the transaction.
    pub async fn hospitals_in_tx(&mut self) -> Result<Vec<HospitalAccount>> {
        let sql = format!("{HOSPITAL_SELECT} ORDER BY v.name");
        let rows: Vec<HospitalRow> = on_tx!(self, c => sqlx::query_as(&sql).fetch_all(c).await?);
        rows.into_iter().map(HospitalRow::into_hospital).collect()
    }

    pub async fn hospital_by_code(&mut self, code: &str) -> Result<Option<HospitalAccount>> {
        let sql = format!("{HOSPITAL_SELECT} AND h.code = $1");
        let row: Option<HospitalRow> = on_tx!(self, c => sqlx::query_as(&sql).bind(code).fetch_optional(c).await?);
        row.map(HospitalRow::into_hospital).transpose()
    }

    pub async fn insert_hospital(&mut self, id: Uuid, f: &HospitalFields, stamp: &VersionStamp) -> Result<HospitalAccount> {
        on_tx!(self, c => sqlx::query("INSERT INTO hospitals (id, code, created_at) VALUES ($1, $2, $3)")
            .bind(id).bind(f.code.as_str()).bind(stamp.at).execute(c).await?.rows_affected());
        self.insert_hospital_version(id, 1, f, stamp).await
    }

    pub async fn add_hospital_version(&mut self, current: &HospitalAccount, f: &HospitalFields, stamp: &VersionStamp) -> Result<HospitalAccount> {
        self.insert_hospital_version(current.id, current.version + 1, f, stamp).await
    }

    async fn insert_hospital_version(&mut self, id: Uuid, version: i64, f: &HospitalFields, stamp: &VersionStamp) -> Result<HospitalAccount> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO hospital_versions (hospital_id, version, name, address, city, contact_name, contact_email, contact_phone, delivery_site, status, recorded_at, recorded_by, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
            .bind(id).bind(version).bind(&f.name).bind(&f.address).bind(&f.city).bind(&f.contact_name)
            .bind(&f.contact_email).bind(&f.contact_phone).bind(&f.delivery_site).bind(f.status.as_str())
            .bind(stamp.at).bind(&stamp.by).bind(&stamp.reason)
            .execute(c).await?.rows_affected());
        Ok(HospitalAccount { id, version, fields: f.clone() })
    }
}
