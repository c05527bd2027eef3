//! Persistence for hemaflow behind one `Store` API, with two back ends: SQLite (the
//! embedded default) and PostgreSQL. Each back end has its own migrations; the SQL
//! text is shared where the dialects agree (`$N` placeholders work on both).
//!
//! Writes happen only inside a [`WriteTx`], so a use case can write its state change
//! and its audit record together or not at all. This crate holds no business rules.

mod apheresis;
mod appointments;
mod audit;
mod captured;
mod collection;
mod components;
mod consignees;
mod dins;
mod donors;
mod error;
mod family;
mod follow_up;
mod interactive;
mod inventory;
mod invoices;
mod mail;
mod outbox;
mod quality;
mod rate_limits;
mod recruitment;
mod reference;
mod registry;
mod sales;
mod scores;
mod screening;
mod supply;
pub mod test_support;
mod testing;
mod typed;
mod users;
mod worklists;

pub use apheresis::{
    AmendmentRow, ApheresisRequestRow, BillableProcedure, CertificationRow, DeviceRow, NurseRow, OnCallRow, PlasmaGivenRow, ProcedureRow,
    RequestCurrent, RequestStateRow, TravelRow, TreatmentLine, TreatmentRow,
};
pub use appointments::{AppointmentRow, BookingLinkRow, DriveRow, ScheduleRow};
pub use audit::{AuditFilter, AuditPage};
pub use captured::CapturedMessageRow;
pub use collection::{CollectionRecordRow, ReactionRow};
pub use components::{ComponentLink, ComponentRow, ComponentStateRow, NewComponent};
pub use consignees::{CaseShipmentRow, CaseUnitRow, ConsigneeNotificationRow, LookbackResultRow, NoticeRow, NoticeUnitRow, RecallCaseRow};
pub use dins::{DinAssignment, DinLabelSet, LabelPrintRow};
pub use donors::{DeferralRow, DonationRow, DonorContact, DonorQuery, DonorRow, DonorStats};
pub use error::StoreError;
pub use family::{DonorKey, LockedDonor};
pub use follow_up::{LookbackListRow, NotificationOutcomeRow, NotificationTaskRow};
pub use interactive::SearchPlan;
pub use inventory::{DiscardRow, ExcursionRow, IssueRow, MoveLine, MoveRow, StockRow, StorageLocationRow};
pub use invoices::{BillableItem, BillableShipment, ContractRow, CreditableReturn, InvoiceLineRow, InvoiceListRow, InvoiceRow, PaymentRow};
pub use mail::SentEmailRow;
pub use outbox::{OutboxCounts, OutboxRow};
pub use quality::{DeviationCurrent, DeviationRow, DeviationVersionRow, HoldWithLift, QcResultRow};
pub use rate_limits::RateCounterRow;
pub use recruitment::{CallOutcomeRow, CampaignRow, ContactListRow, ContactRow, DonorCampaignContact, PoolDonation, PoolRow, SegmentRow, TargetRow};
pub use reference::{VersionInfo, VersionStamp};
pub use registry::{AttributeResultRow, DeterminationRow, DonorVersionRow, MergeRow, RareQuery, ResolutionRow};
pub use sales::{
    AllocatedUnit, AllocationRow, CandidateRow, ConsigneeRow, ContainerRow, DispositionLine, DispositionRow, InspectionRow, OrderCurrent,
    OrderLineRow, OrderRow, OrderStateRow, PackedUnit, ReturnLine, ReturnRow, ShipmentItemRow, ShipmentRow, ShortfallRow, StandingOrderLine,
    StandingOrderRow,
};
pub use scores::{RunClaim, ScoreRunRow};
pub use screening::{PolicyVersionRow, ScreeningVisitRow};
pub use supply::{HospitalOrders, RevenueRow, ShortageNoticeRow, SupplyEvent};
pub use testing::{HoldRow, LookbackCaseRow, NotificationRow, PriorTestRow, ReleaseRow, TestOrderRow, TestResultRow};
pub use typed::{Group, GroupOnRecord};
pub use users::{ApiTokenRecord, NewUser, SessionRecord, UserRecord};

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Postgres, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
pub(crate) static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::BadUrl(format!("'{}' is not a database URL; use sqlite://PATH or postgres://USER@HOST:PORT/DB", redact_url(url))))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The URL with any password replaced by `***`, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// How long one interactive read (a donor search) may run before it is stopped.
    read_limit: Duration,
}

/// The default bound on an interactive read: see [`Store::with_read_limit`].
pub const DEFAULT_READ_LIMIT: Duration = Duration::from_secs(5);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.backend().as_str())
    }
}

/// Runs the same body against whichever pool this store holds.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite($pool) => $body,
            $crate::Pool::Postgres($pool) => $body,
        }
    };
}

/// Runs the same body against the open transaction's connection.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match &mut $tx.inner {
            $crate::TxInner::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::TxInner::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use {on_pool, on_tx};

impl Store {
    /// Opens (creating a SQLite file if needed) without migrating.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = match Backend::of_url(url)? {
            Backend::Sqlite => {
                let opts = SqliteConnectOptions::from_str(url)
                    .map_err(|e| StoreError::BadUrl(format!("{url}: {e}")))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(15));
                Pool::Sqlite(SqlitePoolOptions::new().max_connections(8).connect_with(opts).await?)
            }
            Backend::Postgres => {
                Pool::Postgres(PgPoolOptions::new().max_connections(10).acquire_timeout(Duration::from_secs(15)).connect(url).await?)
            }
        };
        Ok(Self { pool, read_limit: DEFAULT_READ_LIMIT })
    }

    /// Bounds the time of interactive reads (donor and rare-donor searches): a search
    /// still running after `limit` is stopped and answers [`StoreError::TooSlow`], so a
    /// slow search gives its connection back instead of starving the pool.
    /// PostgreSQL: `SET LOCAL statement_timeout`; SQLite: a progress handler that
    /// interrupts the statement.
    pub fn with_read_limit(mut self, limit: Duration) -> Self {
        self.read_limit = limit;
        self
    }

    pub fn read_limit(&self) -> Duration {
        self.read_limit
    }

    /// Opens and applies pending migrations: what the server does at start.
    pub async fn open(url: &str) -> Result<Self> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations; returns how many were applied.
    pub async fn migrate(&self) -> Result<usize> {
        let before = self.applied_migrations().await.unwrap_or(0);
        match &self.pool {
            Pool::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        // Donors written before the search keys existed get them now (once).
        self.fill_missing_search_keys().await?;
        Ok(self.applied_migrations().await? - before)
    }

    async fn applied_migrations(&self) -> Result<usize> {
        let n: i64 = on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(p)
            .await?);
        Ok(n as usize)
    }

    /// A cheap query that proves the database answers.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await?.rows_affected());
        Ok(())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`) so that a read-then-write never fails half way.
    pub async fn begin_write(&self) -> Result<WriteTx> {
        let inner = match &self.pool {
            Pool::Sqlite(p) => TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => TxInner::Postgres(p.begin().await?),
        };
        Ok(WriteTx { inner })
    }

    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }
}

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// An open write transaction. Dropped without [`WriteTx::commit`], it rolls back.
pub struct WriteTx {
    inner: TxInner,
}

impl WriteTx {
    /// Ends the transaction without writing (a read under locks, for a check).
    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.rollback().await?,
            TxInner::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }
}

impl Store {
    /// Runs `sql`, in which `{ids}` stands for the list of `ids` (one placeholder each,
    /// `$1…`), on either back end. No ids, no rows (and no `IN ()`, which PostgreSQL refuses).
    pub(crate) async fn fetch_for_ids<T>(&self, sql: &str, ids: &[uuid::Uuid]) -> Result<Vec<T>>
    where
        T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = with_id_list(sql, ids.len());
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(p).await?
        }))
    }
}

/// `sql` with `{ids}` replaced by `n` placeholders `$1…$n`.
pub(crate) fn with_id_list(sql: &str, n: usize) -> String {
    let list = (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    sql.replace("{ids}", &list)
}

/// The current instant at the resolution both back ends store (microseconds), so
/// that what is written reads back equal.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    domain::audit::truncate_to_micros(chrono::Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend_and_hide_passwords() {
        assert_eq!(Backend::of_url("sqlite://hemaflow.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of_url("postgres://u:p@h/db").unwrap(), Backend::Postgres);
        let e = Backend::of_url("mysql://root:secret@h/db").unwrap_err().to_string();
        assert!(e.contains("root:***@h/db"), "{e}");
        assert!(!e.contains("secret"));
        assert_eq!(redact_url("postgres://hemaflow@127.0.0.1:5432/x"), "postgres://hemaflow@127.0.0.1:5432/x");
    }
}
