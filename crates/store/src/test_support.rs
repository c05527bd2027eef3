//! Fresh, migrated databases for tests of this and other crates.
//!
//! SQLite: a new file in a temporary directory. PostgreSQL: a new database in the
//! cluster named by `HEMAFLOW_TEST_POSTGRES_URL` (the test command starts a
//! throwaway cluster and sets it). Without that variable PostgreSQL tests are
//! skipped, unless `HEMAFLOW_REQUIRE_POSTGRES=1`, which makes a skip a failure.

use crate::{Backend, Store};
use sqlx::Connection;

/// A fresh database for one test. SQLite: its file lives in a temporary directory
/// removed with it. PostgreSQL: the database is dropped with it, so a run of the
/// whole suite does not leave hundreds of databases filling the disk.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    _drop: Option<DropDatabase>,
}

pub async fn fresh(backend: Backend) -> Option<TestDb> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("test.db");
            std::fs::write(&path, sqlite_template().await).expect("write test database");
            let url = format!("sqlite://{}", path.display());
            let store = Store::open(&url).await.expect("open sqlite");
            Some(TestDb { store, url, _dir: Some(dir), _drop: None })
        }
        Backend::Postgres => {
            let Ok(base) = std::env::var("HEMAFLOW_TEST_POSTGRES_URL") else {
                if std::env::var("HEMAFLOW_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!("HEMAFLOW_REQUIRE_POSTGRES=1 but HEMAFLOW_TEST_POSTGRES_URL is not set");
                }
                eprintln!("skipped: HEMAFLOW_TEST_POSTGRES_URL is not set");
                return None;
            };
            let template = postgres_template(&base).await;
            let name = format!("hf_test_{}", uuid::Uuid::now_v7().simple());
            let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect to test cluster");
            sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}")).execute(&mut admin).await.expect("create test database");
            let url = database_url(&base, &name);
            let store = Store::open(&url).await.expect("open postgres");
            Some(TestDb { store, url, _dir: None, _drop: Some(DropDatabase { admin_url: base, name }) })
        }
    }
}

fn database_url(base: &str, name: &str) -> String {
    match base.rsplit_once('/') {
        Some((server, _db)) => format!("{server}/{name}"),
        None => panic!("HEMAFLOW_TEST_POSTGRES_URL must end in /DATABASE"),
    }
}

/// The migrations this build carries, as one number: a template made by another
/// build with other migrations is never reused.
fn migrations_fingerprint(backend: Backend) -> u64 {
    use std::hash::{Hash, Hasher};
    let migrator = match backend {
        Backend::Sqlite => &crate::SQLITE_MIGRATIONS,
        Backend::Postgres => &crate::POSTGRES_MIGRATIONS,
    };
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for m in migrator.iter() {
        m.version.hash(&mut h);
        m.checksum.hash(&mut h);
    }
    h.finish()
}

/// A migrated SQLite database, made once per test process: running every
/// migration for each test cost more than the test itself.
async fn sqlite_template() -> &'static [u8] {
    static TEMPLATE: tokio::sync::OnceCell<Vec<u8>> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let dir = tempfile::tempdir().expect("temp dir");
            let built = dir.path().join("built.db");
            let store = Store::open(&format!("sqlite://{}", built.display())).await.expect("migrate sqlite template");
            let copy = dir.path().join("template.db");
            // VACUUM INTO writes one self-contained file, whatever the WAL holds.
            store.execute_raw_for_tests(&format!("VACUUM INTO '{}'", copy.display())).await.expect("copy sqlite template");
            store.close().await;
            std::fs::read(&copy).expect("read sqlite template")
        })
        .await
}

/// The name of a migrated PostgreSQL database that test databases are copied from,
/// made once per cluster and set of migrations (an advisory lock keeps parallel
/// test processes from making it twice).
async fn postgres_template(base: &str) -> &'static str {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("hf_template_{:016x}", migrations_fingerprint(Backend::Postgres));
            let mut admin = sqlx::PgConnection::connect(base).await.expect("connect to test cluster");
            sqlx::query("SELECT pg_advisory_lock(4711001)").execute(&mut admin).await.expect("template lock");
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut admin)
                .await
                .expect("look for template");
            if !exists {
                let building = format!("{name}_building");
                sqlx::query(&format!("DROP DATABASE IF EXISTS {building}")).execute(&mut admin).await.expect("drop half-built template");
                sqlx::query(&format!("CREATE DATABASE {building}")).execute(&mut admin).await.expect("create template");
                let store = Store::open(&database_url(base, &building)).await.expect("migrate postgres template");
                store.close().await;
                // A closed pool's server processes may linger (one was seen for
                // seconds): end them, then rename, trying again while any remains.
                let mut renamed = false;
                for _ in 0..100 {
                    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()")
                        .bind(&building)
                        .execute(&mut admin)
                        .await
                        .expect("end template sessions");
                    match sqlx::query(&format!("ALTER DATABASE {building} RENAME TO {name}")).execute(&mut admin).await {
                        Ok(_) => {
                            renamed = true;
                            break;
                        }
                        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55006") => {
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        }
                        Err(e) => panic!("name template: {e}"),
                    }
                }
                assert!(renamed, "the template database {building} stayed in use");
            }
            sqlx::query("SELECT pg_advisory_unlock(4711001)").execute(&mut admin).await.expect("template unlock");
            name
        })
        .await
}

/// Drops a test's PostgreSQL database when the test ends, closing what still
/// holds it open (the server the test started).
struct DropDatabase {
    admin_url: String,
    name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Its own thread and runtime: this may run inside the test's runtime, which
        // cannot be blocked on.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&url).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("warning: test database {} was not dropped", self.name);
        }
    }
}

impl Store {
    /// Runs arbitrary SQL, as someone bypassing the product would. For tests only.
    pub async fn execute_raw_for_tests(&self, sql: &str) -> crate::Result<u64> {
        Ok(crate::on_pool!(self, p => sqlx::query(sql).execute(p).await?.rows_affected()))
    }
}
