//! Interactive reads: the searches people wait for at a desk. Each runs with a time
//! bound (see [`Store::with_read_limit`]), and the plan of each can be printed, so a
//! test can prove that it reads an index rather than every donor.

use crate::{Pool, Result, Store, StoreError};
use chrono::NaiveDate;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A bound argument of an interactive statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Text(String),
    Date(NaiveDate),
}

/// One statement of an interactive read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stmt {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Stmt {
    pub fn new(sql: impl Into<String>, args: Vec<Arg>) -> Self {
        Self { sql: sql.into(), args }
    }
}

/// The plan the database chose for one statement of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPlan {
    pub sql: String,
    /// SQLite: the `detail` column of `EXPLAIN QUERY PLAN`; PostgreSQL: the lines of `EXPLAIN`.
    pub lines: Vec<String>,
}

impl SearchPlan {
    /// The line that reads the whole donors table, if the plan has one. SQLite:
    /// `SCAN donors` or `SCAN d` (with or without `USING … INDEX`: a scan reads every
    /// entry). PostgreSQL: `Seq Scan on donors`, or an index scan of donors with no
    /// `Index Cond` (which walks the whole index).
    pub fn full_scan_of_donors(&self) -> Option<&str> {
        let indent = |l: &str| l.len() - l.trim_start().len();
        for (i, line) in self.lines.iter().enumerate() {
            let l = line.trim().trim_start_matches("->").trim();
            if l == "SCAN donors" || l == "SCAN d" || l.starts_with("SCAN donors ") || l.starts_with("SCAN d ") {
                return Some(line);
            }
            let on_donors = l.contains(" on donors ") || l.ends_with(" on donors");
            if on_donors && l.starts_with("Seq Scan") {
                return Some(line);
            }
            if on_donors && (l.starts_with("Index Scan") || l.starts_with("Index Only Scan")) {
                let own = indent(line);
                let has_cond = self.lines[i + 1..]
                    .iter()
                    .take_while(|n| indent(n) > own && !n.trim_start().starts_with("->"))
                    .any(|n| n.trim_start().starts_with("Index Cond"));
                if !has_cond {
                    return Some(line);
                }
            }
        }
        None
    }
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Date(d) => q.bind(*d),
            };
        }
        q
    }};
}

/// Sets the flag when dropped: the SQLite progress handler stops interrupting once the
/// search is over, however it ended (also when the caller gave up on it).
struct Disarm(Arc<AtomicBool>);

impl Drop for Disarm {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

fn too_slow(e: sqlx::Error, limit: Duration) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        // PostgreSQL query_canceled (statement_timeout); SQLite SQLITE_INTERRUPT.
        let code = db.code();
        if code.as_deref() == Some("57014") || code.as_deref() == Some("9") || db.message().contains("interrupted") {
            return StoreError::TooSlow(limit);
        }
    }
    e.into()
}

impl Store {
    /// Runs the statements one after another on one connection, all within the read
    /// limit, and returns the rows of each.
    pub(crate) async fn bounded_fetch<T>(&self, stmts: &[Stmt]) -> Result<Vec<Vec<T>>>
    where
        T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        let limit = self.read_limit;
        let mut out = Vec::with_capacity(stmts.len());
        match &self.pool {
            Pool::Sqlite(p) => {
                let mut c = p.acquire().await?;
                let armed = Arc::new(AtomicBool::new(true));
                let deadline = Instant::now() + limit;
                let flag = armed.clone();
                // Called every 1,000 virtual machine steps; returning false interrupts.
                c.lock_handle().await?.set_progress_handler(1000, move || !flag.load(Ordering::Relaxed) || Instant::now() < deadline);
                let _disarm = Disarm(armed);
                for st in stmts {
                    let q = bind_all!(sqlx::query_as::<_, T>(&st.sql), &st.args);
                    out.push(q.fetch_all(&mut *c).await.map_err(|e| too_slow(e, limit))?);
                }
            }
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query(&format!("SET LOCAL statement_timeout = {}", limit.as_millis().max(1))).execute(&mut *tx).await?;
                for st in stmts {
                    let q = bind_all!(sqlx::query_as::<_, T>(&st.sql), &st.args);
                    out.push(q.fetch_all(&mut *tx).await.map_err(|e| too_slow(e, limit))?);
                }
                tx.commit().await?;
            }
        }
        Ok(out)
    }

    /// The plans of the statements. On PostgreSQL they are taken with
    /// `enable_seqscan = off`: on a small table a sequential scan is cheaper and the
    /// planner picks it even where an index would serve; with it off, a `Seq Scan`
    /// left in the plan means no index can serve the statement.
    pub(crate) async fn plans(&self, stmts: &[Stmt]) -> Result<Vec<SearchPlan>> {
        let mut out = Vec::with_capacity(stmts.len());
        match &self.pool {
            Pool::Sqlite(p) => {
                for st in stmts {
                    let sql = format!("EXPLAIN QUERY PLAN {}", st.sql);
                    let q = bind_all!(sqlx::query_as::<_, (i64, i64, i64, String)>(&sql), &st.args);
                    let rows = q.fetch_all(p).await?;
                    out.push(SearchPlan { sql: st.sql.clone(), lines: rows.into_iter().map(|r| r.3).collect() });
                }
            }
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await?;
                for st in stmts {
                    let sql = format!("EXPLAIN {}", st.sql);
                    let q = bind_all!(sqlx::query_as::<_, (String,)>(&sql), &st.args);
                    let rows = q.fetch_all(&mut *tx).await?;
                    out.push(SearchPlan { sql: st.sql.clone(), lines: rows.into_iter().map(|r| r.0).collect() });
                }
                tx.rollback().await?;
            }
        }
        Ok(out)
    }

    /// The plan of any statement, judged like the searches' (for tests of the check).
    pub async fn plans_for_tests(&self, sql: &str) -> Result<SearchPlan> {
        Ok(self.plans(&[Stmt::new(sql, vec![])]).await?.remove(0))
    }

    /// Runs `sql` (one row, one integer column) as an interactive read, within the
    /// read limit: for tests of the bound itself (`pg_sleep`, a long recursive count).
    pub async fn bounded_scalar_for_tests(&self, sql: &str) -> Result<i64> {
        let rows: Vec<Vec<(i64,)>> = self.bounded_fetch(&[Stmt::new(sql, vec![])]).await?;
        Ok(rows.into_iter().next().and_then(|r| r.into_iter().next()).map(|r| r.0).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(lines: &[&str]) -> SearchPlan {
        SearchPlan { sql: String::new(), lines: lines.iter().map(|l| l.to_string()).collect() }
    }

    #[test]
    fn full_scans_of_donors_are_recognised_in_both_dialects() {
        assert!(plan(&["SCAN d"]).full_scan_of_donors().is_some());
        assert!(plan(&["SCAN donors USING INDEX donors_name"]).full_scan_of_donors().is_some());
        assert!(plan(&["SEARCH d USING INDEX donors_search_lf (search_lf>? AND search_lf<?)"]).full_scan_of_donors().is_none());
        assert!(plan(&["SCAN donor_merges"]).full_scan_of_donors().is_none());
        assert!(plan(&["Limit", "  ->  Seq Scan on donors d  (cost=0.00..1.00 rows=1 width=8)", "        Filter: (x)"])
            .full_scan_of_donors()
            .is_some());
        // With enable_seqscan off PostgreSQL may walk a whole index instead: no Index Cond.
        let walk = [
            "Limit",
            "  ->  Index Scan using donors_donor_number_key on donors d  (cost=0.14..8.16 rows=1 width=300)",
            "        Filter: (lower(last_name) ~~ 'mul%'::text)",
        ];
        assert!(plan(&walk).full_scan_of_donors().is_some());
        let range = [
            "Limit",
            "  ->  Index Scan using donors_search_lf on donors d  (cost=0.14..8.16 rows=1 width=332)",
            "        Index Cond: ((search_lf >= 'mul'::text) AND (search_lf < 'mul'::text))",
        ];
        assert!(plan(&range).full_scan_of_donors().is_none());
    }
}
