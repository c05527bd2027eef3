//! Fresh, migrated databases for tests of this and other crates.
//!
//! SQLite: a new file in a temporary directory. PostgreSQL: a new database in the
//! cluster named by `HEMAFLOW_TEST_POSTGRES_URL` (the test command starts a
//! throwaway cluster and sets it). Without that variable PostgreSQL tests are
//! skipped, unless `HEMAFLOW_REQUIRE_POSTGRES=1`, which makes a skip a failure.

use crate::{Backend, Store};
use sqlx::Connection;

/// Keeps the temporary directory of a SQLite test database alive.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub async fn fresh(backend: Backend) -> Option<TestDb> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            let store = Store::open(&url).await.expect("open sqlite");
            Some(TestDb { store, url, _dir: Some(dir) })
        }
        Backend::Postgres => {
            let Ok(base) = std::env::var("HEMAFLOW_TEST_POSTGRES_URL") else {
                if std::env::var("HEMAFLOW_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!("HEMAFLOW_REQUIRE_POSTGRES=1 but HEMAFLOW_TEST_POSTGRES_URL is not set");
                }
                eprintln!("skipped: HEMAFLOW_TEST_POSTGRES_URL is not set");
                return None;
            };
            let name = format!("hf_test_{}", uuid::Uuid::now_v7().simple());
            let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect to test cluster");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create test database");
            let url = match base.rsplit_once('/') {
                Some((server, _db)) => format!("{server}/{name}"),
                None => panic!("HEMAFLOW_TEST_POSTGRES_URL must end in /DATABASE"),
            };
            let store = Store::open(&url).await.expect("open postgres");
            Some(TestDb { store, url, _dir: None })
        }
    }
}

impl Store {
    /// Runs arbitrary SQL, as someone bypassing the product would. For tests only.
    pub async fn execute_raw_for_tests(&self, sql: &str) -> crate::Result<u64> {
        Ok(crate::on_pool!(self, p => sqlx::query(sql).execute(p).await?.rows_affected()))
    }
}
