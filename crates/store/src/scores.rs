//! Stored return propensity scores: one run per as-of day, claimed in the database
//! before it is computed, and the score of every donor in the run.

use crate::{on_pool, on_tx, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// One computation of the pool's scores.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ScoreRunRow {
    pub id: Uuid,
    pub as_of: NaiveDate,
    /// `running` (claimed) or `done`.
    pub status: String,
    pub model: Option<String>,
    pub report_json: Option<String>,
    pub donors: i64,
    pub claimed_at: DateTime<Utc>,
    pub claimed_by: String,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq)]
pub enum RunClaim {
    /// This caller computes the run with this id.
    Claimed(Uuid),
    /// The day is already claimed (running elsewhere, or done).
    Taken(ScoreRunRow),
}

const RUN_COLUMNS: &str = "id, as_of, status, model, report_json, donors, claimed_at, claimed_by, finished_at";

/// Rows per INSERT statement when writing scores (3 parameters each).
const SCORE_BATCH: usize = 1000;

impl Store {
    /// The newest finished run (by as-of day).
    pub async fn latest_score_run(&self) -> Result<Option<ScoreRunRow>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM score_runs WHERE status = 'done' ORDER BY as_of DESC LIMIT 1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_optional(p).await?))
    }

    /// The run of one as-of day, finished or not.
    pub async fn score_run(&self, as_of: NaiveDate) -> Result<Option<ScoreRunRow>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM score_runs WHERE as_of = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(as_of).fetch_optional(p).await?))
    }

    /// The latest runs, newest as-of day first.
    pub async fn score_runs(&self, limit: i64) -> Result<Vec<ScoreRunRow>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM score_runs ORDER BY as_of DESC LIMIT $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(limit).fetch_all(p).await?))
    }

    /// (donor id, score) of one run.
    pub async fn run_scores(&self, run: Uuid) -> Result<Vec<(Uuid, f64)>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT donor_id, score FROM donor_scores WHERE run_id = $1").bind(run).fetch_all(p).await?))
    }
}

impl WriteTx {
    /// Claims the run of `as_of`: inserts its row as `running` unless the day has one.
    /// A `running` claim older than `stale_before` (its computer died) is taken over.
    /// On PostgreSQL a second claim waits on the first one's row until it commits.
    pub async fn claim_score_run(&mut self, as_of: NaiveDate, by: &str, now: DateTime<Utc>, stale_before: DateTime<Utc>) -> Result<RunClaim> {
        let id = Uuid::now_v7();
        let inserted = on_tx!(self, c => sqlx::query(
            "INSERT INTO score_runs (id, as_of, status, donors, claimed_at, claimed_by) VALUES ($1, $2, 'running', 0, $3, $4) \
             ON CONFLICT (as_of) DO NOTHING")
            .bind(id).bind(as_of).bind(now).bind(by)
            .execute(c).await?.rows_affected());
        if inserted == 1 {
            return Ok(RunClaim::Claimed(id));
        }
        let taken: Option<(Uuid,)> = on_tx!(self, c => sqlx::query_as(
            "UPDATE score_runs SET claimed_at = $2, claimed_by = $3 WHERE as_of = $1 AND status = 'running' AND claimed_at < $4 RETURNING id")
            .bind(as_of).bind(now).bind(by).bind(stale_before)
            .fetch_optional(c).await?);
        if let Some((id,)) = taken {
            sqlx_delete_scores(self, id).await?;
            return Ok(RunClaim::Claimed(id));
        }
        let sql = format!("SELECT {RUN_COLUMNS} FROM score_runs WHERE as_of = $1");
        let row: ScoreRunRow = on_tx!(self, c => sqlx::query_as(&sql).bind(as_of).fetch_one(c).await?);
        Ok(RunClaim::Taken(row))
    }

    /// Writes scores of a claimed run, in batches.
    pub async fn insert_scores(&mut self, run: Uuid, scores: &[(Uuid, f64)]) -> Result<()> {
        for chunk in scores.chunks(SCORE_BATCH) {
            let values = (0..chunk.len()).map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3)).collect::<Vec<_>>().join(", ");
            let sql = format!("INSERT INTO donor_scores (run_id, donor_id, score) VALUES {values}");
            on_tx!(self, c => {
                let mut q = sqlx::query(&sql);
                for (donor, score) in chunk {
                    q = q.bind(run).bind(*donor).bind(*score);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// Marks a claimed run done, and drops the scores of runs older than the previous
    /// one (their run rows stay, as the record of what was computed).
    pub async fn finish_score_run(&mut self, run: Uuid, model: &str, report_json: &str, donors: i64, at: DateTime<Utc>) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE score_runs SET status = 'done', model = $2, report_json = $3, donors = $4, finished_at = $5 WHERE id = $1 AND status = 'running'")
            .bind(run).bind(model).bind(report_json).bind(donors).bind(at)
            .execute(c).await?.rows_affected());
        on_tx!(self, c => sqlx::query(
            "DELETE FROM donor_scores WHERE run_id IN (SELECT id FROM score_runs WHERE status = 'done' AND as_of < \
             (SELECT MIN(as_of) FROM (SELECT as_of FROM score_runs WHERE status = 'done' ORDER BY as_of DESC LIMIT 2) AS newest))")
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Gives up a claim whose computation failed, so that another try can claim the day.
    pub async fn release_score_run(&mut self, run: Uuid) -> Result<()> {
        sqlx_delete_scores(self, run).await?;
        on_tx!(self, c => sqlx::query("DELETE FROM score_runs WHERE id = $1 AND status = 'running'").bind(run).execute(c).await?.rows_affected());
        Ok(())
    }
}

async fn sqlx_delete_scores(tx: &mut WriteTx, run: Uuid) -> Result<()> {
    on_tx!(tx, c => sqlx::query("DELETE FROM donor_scores WHERE run_id = $1").bind(run).execute(c).await?.rows_affected());
    Ok(())
}
