//! Donors and donations (the registry grows in later work; this is its base).

use crate::{on_pool, on_tx, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::eligibility::DeferralKind;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DonorRow {
    pub id: Uuid,
    pub donor_number: String,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub abo: Option<String>,
    pub rhd: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub preferred_site: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DonationRow {
    pub id: Uuid,
    pub donor_id: Uuid,
    pub din: Option<String>,
    pub procedure: String,
    pub site_id: Option<Uuid>,
    pub collected_at: DateTime<Utc>,
}

/// Counts for dashboards.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DonorStats {
    pub donors: i64,
    pub donations: i64,
    /// (ABO, RhD, donors), most common first.
    pub by_group: Vec<(String, String, i64)>,
}

impl Store {
    pub async fn donor_stats(&self) -> Result<DonorStats> {
        let (donors, donations, by_group) = on_pool!(self, p => {
            let donors: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donors").fetch_one(p).await?;
            let donations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donations").fetch_one(p).await?;
            let by_group: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT abo, rhd, COUNT(*) AS n FROM donors WHERE abo IS NOT NULL AND rhd IS NOT NULL GROUP BY abo, rhd ORDER BY n DESC, abo, rhd")
                .fetch_all(p).await?;
            (donors, donations, by_group)
        });
        Ok(DonorStats { donors, donations, by_group })
    }

    pub async fn donor_by_number(&self, number: &str) -> Result<Option<DonorRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, donor_number, first_name, last_name, birth_date, sex, abo, rhd, email, phone, preferred_site, created_at FROM donors WHERE donor_number = $1")
            .bind(number).fetch_optional(p).await?))
    }

    pub async fn donations_of(&self, donor_id: Uuid) -> Result<Vec<DonationRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, donor_id, din, procedure, site_id, collected_at FROM donations WHERE donor_id = $1 ORDER BY collected_at")
            .bind(donor_id).fetch_all(p).await?))
    }
}

pub(crate) const DONOR_COLUMNS: &str = "id, donor_number, first_name, last_name, birth_date, sex, abo, rhd, email, phone, preferred_site, created_at";

/// What a donor search looks for.
#[derive(Debug, Clone, PartialEq)]
pub enum DonorQuery {
    Number(String),
    Din(String),
    /// Digits that appear in the phone number.
    Phone(String),
    /// Start of the last name, or of "first last".
    Name(String),
}

impl Store {
    /// Donors matching the query, by last name, at most `limit`.
    pub async fn search_donors(&self, q: &DonorQuery, limit: i64) -> Result<Vec<DonorRow>> {
        let cols = DONOR_COLUMNS.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ");
        let (sql, arg) = match q {
            DonorQuery::Number(n) => (format!("SELECT {cols} FROM donors d WHERE d.donor_number = $1"), n.clone()),
            DonorQuery::Din(din) => (format!("SELECT {cols} FROM donors d JOIN donations x ON x.donor_id = d.id WHERE x.din = $1"), din.clone()),
            DonorQuery::Phone(digits) => (
                format!("SELECT {cols} FROM donors d WHERE replace(replace(replace(replace(replace(d.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '') LIKE $1"),
                format!("%{digits}%"),
            ),
            DonorQuery::Name(name) => (
                format!("SELECT {cols} FROM donors d WHERE lower(d.last_name) LIKE $1 OR lower(d.first_name || ' ' || d.last_name) LIKE $1"),
                format!("{}%", name.to_lowercase().replace(['%', '_'], "")),
            ),
        };
        let sql = format!("{sql} ORDER BY d.last_name, d.first_name, d.donor_number LIMIT {limit}");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(arg).fetch_all(p).await?))
    }
}

impl WriteTx {
    pub async fn insert_donor(&mut self, d: &DonorRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO donors (id, donor_number, first_name, last_name, birth_date, sex, abo, rhd, email, phone, preferred_site, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
            .bind(d.id).bind(&d.donor_number).bind(&d.first_name).bind(&d.last_name).bind(d.birth_date)
            .bind(&d.sex).bind(&d.abo).bind(&d.rhd).bind(&d.email).bind(&d.phone).bind(d.preferred_site).bind(d.created_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Records a donation from before hemaflow (a centre's earlier system, the demo's
    /// history): it has no screening visit here. Donations collected in hemaflow go
    /// through `insert_donation_after_screening`.
    pub async fn insert_imported_donation(&mut self, d: &DonationRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO donations (id, donor_id, din, procedure, site_id, collected_at, origin) VALUES ($1, $2, $3, $4, $5, $6, 'imported')")
            .bind(d.id).bind(d.donor_id).bind(&d.din).bind(&d.procedure).bind(d.site_id).bind(d.collected_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// True when the database holds no donors, sites, hospitals or users yet.
    pub async fn is_empty(&mut self) -> Result<bool> {
        let n: i64 = on_tx!(self, c => sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM donors) + (SELECT COUNT(*) FROM sites) + (SELECT COUNT(*) FROM hospitals) + (SELECT COUNT(*) FROM users)")
            .fetch_one(c).await?);
        Ok(n == 0)
    }
}

/// `($1, $2, …), (…)` for `rows` rows of `cols` columns.
pub(crate) fn values_clause(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

impl Store {
    /// Every donor number with its id, for resolving references in bulk.
    pub async fn donor_ids_by_number(&self) -> Result<std::collections::HashMap<String, Uuid>> {
        let rows: Vec<(String, Uuid)> = on_pool!(self, p => sqlx::query_as("SELECT donor_number, id FROM donors").fetch_all(p).await?);
        Ok(rows.into_iter().collect())
    }

    /// (donor, UTC collection date, procedure) of every donation, for duplicate checks.
    pub async fn donation_keys(&self) -> Result<Vec<(Uuid, DateTime<Utc>, String)>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT donor_id, collected_at, procedure FROM donations").fetch_all(p).await?))
    }
}

impl WriteTx {
    /// Inserts many donors with multi-row statements.
    pub async fn insert_donors_bulk(&mut self, rows: &[DonorRow]) -> Result<()> {
        const COLS: usize = 12;
        // Small statements: SQLite looks bind parameters up by position in a list, so
        // binding cost grows with the square of the parameters per statement.
        for chunk in rows.chunks(12) {
            let sql = format!(
                "INSERT INTO donors (id, donor_number, first_name, last_name, birth_date, sex, abo, rhd, email, phone, preferred_site, created_at) VALUES {}",
                values_clause(chunk.len(), COLS)
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(&sql);
                for d in chunk {
                    q = q.bind(d.id).bind(&d.donor_number).bind(&d.first_name).bind(&d.last_name).bind(d.birth_date).bind(&d.sex)
                        .bind(&d.abo).bind(&d.rhd).bind(&d.email).bind(&d.phone).bind(d.preferred_site).bind(d.created_at);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// Inserts many donations with multi-row statements.
    pub async fn insert_donations_bulk(&mut self, rows: &[DonationRow]) -> Result<()> {
        const COLS: usize = 6;
        for chunk in rows.chunks(25) {
            let sql =
                format!("INSERT INTO donations (id, donor_id, din, procedure, site_id, collected_at) VALUES {}", values_clause(chunk.len(), COLS));
            on_tx!(self, c => {
                let mut q = sqlx::query(&sql);
                for d in chunk {
                    q = q.bind(d.id).bind(d.donor_id).bind(&d.din).bind(&d.procedure).bind(d.site_id).bind(d.collected_at);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }
}

/// One entry of the deferred-donor register, with its reentry if there was one.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeferralRow {
    pub id: Uuid,
    pub donor_id: Uuid,
    #[sqlx(try_from = "String")]
    pub kind: DeferralKind,
    pub reason_code: String,
    pub reason: String,
    pub starts_on: NaiveDate,
    pub until: Option<NaiveDate>,
    pub entered_at: DateTime<Utc>,
    pub entered_by: String,
    pub reentered_at: Option<DateTime<Utc>>,
    pub reentered_by: Option<String>,
    pub reentry_reason: Option<String>,
    /// Set when the entry was marked as entered in error; it then counts for nothing.
    pub corrected_at: Option<DateTime<Utc>>,
    pub corrected_by: Option<String>,
    pub correction_reason: Option<String>,
}

impl DeferralRow {
    /// A new entry, not reentered or corrected.
    #[allow(clippy::too_many_arguments)]
    pub fn entered(
        donor_id: Uuid,
        kind: DeferralKind,
        reason_code: &str,
        reason: &str,
        starts_on: NaiveDate,
        until: Option<NaiveDate>,
        entered_at: DateTime<Utc>,
        entered_by: &str,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            donor_id,
            kind,
            reason_code: reason_code.into(),
            reason: reason.into(),
            starts_on,
            until,
            entered_at,
            entered_by: entered_by.into(),
            reentered_at: None,
            reentered_by: None,
            reentry_reason: None,
            corrected_at: None,
            corrected_by: None,
            correction_reason: None,
        }
    }

    /// Still on the register: neither reentered nor marked as entered in error.
    pub fn in_force(&self) -> bool {
        self.reentered_at.is_none() && self.corrected_at.is_none()
    }
}

pub(crate) const DEFERRAL_SELECT: &str =
    "SELECT d.id, d.donor_id, d.kind, d.reason_code, d.reason, d.starts_on, d.until, d.entered_at, d.entered_by, \
     r.reentered_at, r.reentered_by, r.reason AS reentry_reason, \
     k.corrected_at, k.corrected_by, k.reason AS correction_reason FROM donor_deferrals d \
     LEFT JOIN donor_reentries r ON r.deferral_id = d.id LEFT JOIN donor_deferral_corrections k ON k.deferral_id = d.id";

impl Store {
    pub async fn deferrals_of(&self, donor_id: Uuid) -> Result<Vec<DeferralRow>> {
        let sql = format!("{DEFERRAL_SELECT} WHERE d.donor_id = $1 ORDER BY d.entered_at DESC");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(donor_id).fetch_all(p).await?))
    }
}

impl WriteTx {
    pub async fn donor_by_number(&mut self, number: &str) -> Result<Option<DonorRow>> {
        let sql = format!("SELECT {DONOR_COLUMNS} FROM donors WHERE donor_number = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(number).fetch_optional(c).await?))
    }

    pub async fn deferral(&mut self, id: Uuid) -> Result<Option<DeferralRow>> {
        let sql = format!("{DEFERRAL_SELECT} WHERE d.id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    pub async fn insert_deferral(&mut self, d: &DeferralRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO donor_deferrals (id, donor_id, kind, reason_code, reason, starts_on, until, entered_at, entered_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(d.id).bind(d.donor_id).bind(d.kind.as_str()).bind(&d.reason_code).bind(&d.reason).bind(d.starts_on).bind(d.until).bind(d.entered_at).bind(&d.entered_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Marks a register entry as entered in error (the entry itself stays).
    pub async fn insert_deferral_correction(&mut self, deferral_id: Uuid, at: DateTime<Utc>, by: &str, reason: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO donor_deferral_corrections (deferral_id, corrected_at, corrected_by, reason) VALUES ($1, $2, $3, $4)")
            .bind(deferral_id).bind(at).bind(by).bind(reason)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_reentry(&mut self, deferral_id: Uuid, at: DateTime<Utc>, by: &str, reason: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO donor_reentries (deferral_id, reentered_at, reentered_by, reason) VALUES ($1, $2, $3, $4)")
            .bind(deferral_id).bind(at).bind(by).bind(reason)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}

/// Registration details beyond the core donor row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DonorContact {
    pub address: Option<String>,
    pub id_document: Option<String>,
    pub consent_email: bool,
    pub consent_sms: bool,
    pub consent_phone: bool,
    pub consent_post: bool,
}

impl WriteTx {
    /// Donors who may be the same person: same birth date, or the same email or phone digits.
    pub async fn possible_duplicates(&mut self, birth_date: NaiveDate, email: Option<&str>, phone_digits: Option<&str>) -> Result<Vec<DonorRow>> {
        let sql = format!(
            "SELECT {DONOR_COLUMNS} FROM donors WHERE birth_date = $1 OR (lower(email) = lower($2)) \
             OR replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '') = $3 ORDER BY donor_number LIMIT 200"
        );
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(birth_date).bind(email.unwrap_or("")).bind(phone_digits.unwrap_or("")).fetch_all(c).await?))
    }

    /// Serializes donor registrations until the transaction ends. SQLite's
    /// `BEGIN IMMEDIATE` already does; PostgreSQL takes a transaction-level advisory lock.
    pub async fn lock_donor_registration(&mut self) -> Result<()> {
        if self.backend() == crate::Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT pg_advisory_xact_lock(4711001)").execute(c).await?.rows_affected());
        }
        Ok(())
    }

    /// The highest donor number of the centre's own `D` series, if any.
    pub async fn last_donor_number(&mut self) -> Result<Option<String>> {
        Ok(on_tx!(self, c => sqlx::query_scalar("SELECT MAX(donor_number) FROM donors WHERE donor_number LIKE 'D%'").fetch_one(c).await?))
    }

    pub async fn set_donor_contact(&mut self, donor_id: Uuid, c: &DonorContact) -> Result<()> {
        on_tx!(self, conn => sqlx::query(
            "UPDATE donors SET address = $2, id_document = $3, consent_email = $4, consent_sms = $5, consent_phone = $6, consent_post = $7 WHERE id = $1")
            .bind(donor_id).bind(&c.address).bind(&c.id_document).bind(c.consent_email).bind(c.consent_sms).bind(c.consent_phone).bind(c.consent_post)
            .execute(conn).await?.rows_affected());
        Ok(())
    }
}
