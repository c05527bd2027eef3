//! Donors and donations (the registry grows in later work; this is its base).

use crate::interactive::{Arg, SearchPlan, Stmt};
use crate::{on_pool, on_tx, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::eligibility::DeferralKind;
use domain::search::{email_key, fold, prefix_end, DonorKeys};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DonorRow {
    pub id: Uuid,
    pub donor_number: String,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: NaiveDate,
    #[sqlx(try_from = "String")]
    pub sex: domain::Sex,
    #[sqlx(flatten)]
    pub group: crate::GroupOnRecord,
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
    #[sqlx(try_from = "String")]
    pub procedure: domain::DonationProcedure,
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

/// What a donor search looks for. Keys arrive normalised (see `domain::search`).
#[derive(Debug, Clone, PartialEq)]
pub enum DonorQuery {
    Number(String),
    Din(String),
    /// The last digits of the phone number (4 or more), or all of them.
    Phone(String),
    /// The folded start of "last first" or of "first last" (`domain::search::fold`).
    Name(String),
    /// The whole email, trimmed and lower case.
    Email(String),
}

pub(crate) fn donor_cols(alias: &str) -> String {
    DONOR_COLUMNS.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

/// The statements of a search; each reads an index range (see the plan test).
fn search_statements(q: &DonorQuery, limit: i64) -> Vec<Stmt> {
    let cols = donor_cols("d");
    let text = |s: &str| Arg::Text(s.to_string());
    match q {
        DonorQuery::Number(n) => vec![Stmt::new(format!("SELECT {cols} FROM donors d WHERE d.donor_number = $1"), vec![text(n)])],
        DonorQuery::Din(din) => {
            vec![Stmt::new(format!("SELECT {cols} FROM donations x JOIN donors d ON d.id = x.donor_id WHERE x.din = $1"), vec![text(din)])]
        }
        DonorQuery::Phone(digits) => {
            let rev: String = digits.chars().rev().collect();
            vec![Stmt::new(
                format!(
                    "SELECT {cols} FROM donors d WHERE d.phone_rev >= $1 AND d.phone_rev < $2 ORDER BY d.phone_rev, d.donor_number LIMIT {limit}"
                ),
                vec![text(&rev), Arg::Text(prefix_end(&rev))],
            )]
        }
        DonorQuery::Email(e) => {
            vec![Stmt::new(format!("SELECT {cols} FROM donors d WHERE d.email_key = $1 ORDER BY d.donor_number LIMIT {limit}"), vec![text(e)])]
        }
        // Two index ranges, each cut at `limit` in its own order; the caller merges them.
        DonorQuery::Name(key) => ["search_lf", "search_fl"]
            .into_iter()
            .map(|col| {
                Stmt::new(
                    format!("SELECT {cols} FROM donors d WHERE d.{col} >= $1 AND d.{col} < $2 ORDER BY d.{col}, d.donor_number LIMIT {limit}"),
                    vec![text(key), Arg::Text(prefix_end(key))],
                )
            })
            .collect(),
    }
}

/// The order searches show donors in: by last name, then first name, accents and
/// case aside, then number.
fn display_order(rows: &mut [DonorRow]) {
    rows.sort_by_cached_key(|d| (fold(&d.last_name), fold(&d.first_name), d.donor_number.clone()));
}

impl Store {
    /// Donors matching the query (at most `limit`), by last name, within the read
    /// limit ([`Store::with_read_limit`]): a search that runs longer answers
    /// [`crate::StoreError::TooSlow`].
    pub async fn search_donors(&self, q: &DonorQuery, limit: i64) -> Result<Vec<DonorRow>> {
        let found: Vec<Vec<DonorRow>> = self.bounded_fetch(&search_statements(q, limit)).await?;
        let mut rows: Vec<DonorRow> = Vec::new();
        for r in found.into_iter().flatten() {
            if !rows.iter().any(|x| x.id == r.id) {
                rows.push(r);
            }
        }
        display_order(&mut rows);
        rows.truncate(limit.max(0) as usize);
        Ok(rows)
    }

    /// The plan of each statement of this search (for the index test and operators).
    pub async fn donor_search_plans(&self, q: &DonorQuery) -> Result<Vec<SearchPlan>> {
        self.plans(&search_statements(q, 100)).await
    }

    /// The plan of the duplicate check a registration runs.
    pub async fn duplicate_check_plans(&self, birth_date: NaiveDate, email: &str, phone_digits: &str) -> Result<Vec<SearchPlan>> {
        self.plans(&[duplicates_statement(birth_date, Some(email), Some(phone_digits))]).await
    }

    /// Gives donors written before the search keys existed their keys. Runs after the
    /// migrations; does nothing once every donor has them.
    pub(crate) async fn fill_missing_search_keys(&self) -> Result<u64> {
        type Missing = (Uuid, String, String, Option<String>, Option<String>);
        let rows: Vec<Missing> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, first_name, last_name, email, phone FROM donors WHERE search_lf IS NULL")
            .fetch_all(p).await?);
        if rows.is_empty() {
            return Ok(0);
        }
        tracing::info!(donors = rows.len(), "writing the search keys of donors recorded before they existed");
        for chunk in rows.chunks(20_000) {
            let mut tx = self.begin_write().await?;
            for part in chunk.chunks(100) {
                // One statement per 100 donors: UPDATE … FROM (VALUES …) works on both.
                let sql = format!(
                    "UPDATE donors SET search_lf = v.column2, search_fl = v.column3, phone_rev = v.column4, email_key = v.column5 \
                     FROM (VALUES {}) AS v WHERE donors.id = v.column1",
                    values_clause(part.len(), 5)
                );
                on_tx!(tx, c => {
                    let mut q = sqlx::query(&sql);
                    for (id, first, last, email, phone) in part {
                        let k = DonorKeys::of(first, last, email.as_deref(), phone.as_deref());
                        q = q.bind(*id).bind(k.last_first).bind(k.first_last).bind(k.phone_rev).bind(k.email);
                    }
                    q.execute(c).await?.rows_affected()
                });
            }
            tx.commit().await?;
        }
        Ok(rows.len() as u64)
    }
}

/// Donors who may be the same person: same birth date, or the same email or phone
/// digits. Three index lookups (birth date, email key, phone key).
fn duplicates_statement(birth_date: NaiveDate, email: Option<&str>, phone_digits: Option<&str>) -> Stmt {
    let cols = donor_cols("d");
    let email = email.and_then(email_key).unwrap_or_default();
    let phone: String = phone_digits.map(|p| p.chars().rev().filter(char::is_ascii_digit).collect()).unwrap_or_default();
    Stmt::new(
        format!(
            "SELECT {cols} FROM donors d WHERE d.birth_date = $1 \
             UNION SELECT {cols} FROM donors d WHERE d.email_key = $2 \
             UNION SELECT {cols} FROM donors d WHERE d.phone_rev = $3 LIMIT 200"
        ),
        vec![Arg::Date(birth_date), Arg::Text(email), Arg::Text(phone)],
    )
}

impl WriteTx {
    /// Inserts a donor with its search keys.
    pub async fn insert_donor(&mut self, d: &DonorRow) -> Result<()> {
        self.insert_donors_bulk(std::slice::from_ref(d)).await
    }

    /// Records a donation from before hemaflow (a centre's earlier system, the demo's
    /// history): it has no screening visit here. Donations collected in hemaflow go
    /// through `insert_donation_after_screening`.
    pub async fn insert_imported_donation(&mut self, d: &DonationRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO donations (id, donor_id, din, procedure, site_id, collected_at, origin) VALUES ($1, $2, $3, $4, $5, $6, 'imported')")
            .bind(d.id).bind(d.donor_id).bind(&d.din).bind(d.procedure.as_str()).bind(d.site_id).bind(d.collected_at)
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
        const COLS: usize = 16;
        // Small statements: SQLite looks bind parameters up by position in a list, so
        // binding cost grows with the square of the parameters per statement.
        for chunk in rows.chunks(10) {
            let sql = format!(
                "INSERT INTO donors (id, donor_number, first_name, last_name, birth_date, sex, abo, rhd, email, phone, preferred_site, created_at, \
                 search_lf, search_fl, phone_rev, email_key) VALUES {}",
                values_clause(chunk.len(), COLS)
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(&sql);
                for d in chunk {
                    let k = DonorKeys::of(&d.first_name, &d.last_name, d.email.as_deref(), d.phone.as_deref());
                    q = q.bind(d.id).bind(&d.donor_number).bind(&d.first_name).bind(&d.last_name).bind(d.birth_date).bind(d.sex.as_str())
                        .bind(d.group.columns().0).bind(d.group.columns().1).bind(&d.email).bind(&d.phone).bind(d.preferred_site).bind(d.created_at)
                        .bind(k.last_first).bind(k.first_last).bind(k.phone_rev).bind(k.email);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        // A number of the centre's own series (D and 7 digits) written here, by an
        // import or the demo, moves the registration sequence past it.
        let own = |n: &str| n.len() == 8 && n.starts_with('D') && n[1..].bytes().all(|b| b.is_ascii_digit());
        if let Some(n) = rows.iter().filter(|r| own(&r.donor_number)).filter_map(|r| r.donor_number[1..].parse::<i64>().ok()).max() {
            self.advance_donor_number(n).await?;
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
                    q = q.bind(d.id).bind(d.donor_id).bind(&d.din).bind(d.procedure.as_str()).bind(d.site_id).bind(d.collected_at);
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
    /// Donors who may be the same person: same birth date, or the same email or phone
    /// digits (index lookups on the birth date, email key and phone key).
    pub async fn possible_duplicates(&mut self, birth_date: NaiveDate, email: Option<&str>, phone_digits: Option<&str>) -> Result<Vec<DonorRow>> {
        let st = duplicates_statement(birth_date, email, phone_digits);
        let mut rows: Vec<DonorRow> = on_tx!(self, c => {
            let mut q = sqlx::query_as(&st.sql);
            for a in &st.args {
                q = match a {
                    Arg::Text(s) => q.bind(s.clone()),
                    Arg::Date(d) => q.bind(*d),
                };
            }
            q.fetch_all(c).await?
        });
        rows.sort_by(|a, b| a.donor_number.cmp(&b.donor_number));
        Ok(rows)
    }

    /// Serializes donor registrations until the transaction ends. SQLite's
    /// `BEGIN IMMEDIATE` already does; PostgreSQL takes a transaction-level advisory lock.
    pub async fn lock_donor_registration(&mut self) -> Result<()> {
        if self.backend() == crate::Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT pg_advisory_xact_lock(4711001)").execute(c).await?.rows_affected());
        }
        Ok(())
    }

    /// The next number of the centre's own `D` series, from the sequence row (locked
    /// by the update until the transaction ends). A number an import already brought
    /// in is skipped.
    pub async fn next_donor_number(&mut self) -> Result<String> {
        loop {
            let n: i64 = on_tx!(self, c => sqlx::query_scalar(
                "UPDATE donor_number_sequences SET last_value = last_value + 1 WHERE series = 'D' RETURNING last_value")
                .fetch_one(c).await?);
            let number = format!("D{n:07}");
            let taken: i64 = on_tx!(self, c => sqlx::query_scalar("SELECT COUNT(*) FROM donors WHERE donor_number = $1")
                .bind(&number).fetch_one(c).await?);
            if taken == 0 {
                return Ok(number);
            }
        }
    }

    /// Moves the `D` sequence past `n` (an imported `D` number), so registrations do
    /// not walk through an imported range number by number.
    pub async fn advance_donor_number(&mut self, n: i64) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE donor_number_sequences SET last_value = $1 WHERE series = 'D' AND last_value < $1")
            .bind(n).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn set_donor_contact(&mut self, donor_id: Uuid, c: &DonorContact) -> Result<()> {
        on_tx!(self, conn => sqlx::query(
            "UPDATE donors SET address = $2, id_document = $3, consent_email = $4, consent_sms = $5, consent_phone = $6, consent_post = $7 WHERE id = $1")
            .bind(donor_id).bind(&c.address).bind(&c.id_document).bind(c.consent_email).bind(c.consent_sms).bind(c.consent_phone).bind(c.consent_post)
            .execute(conn).await?.rows_affected());
        Ok(())
    }
}
