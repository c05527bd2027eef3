//! Return propensity scores: computed for a date on request (`recruitment_scores`),
//! and for the whole pool once a day into the database (`score_pool`), which segment
//! previews and campaign targeting read instead of scoring the pool each time.
//!
//! A day's run is claimed in the database before it is computed (one row per as-of
//! day), so two servers on one database never both compute it; a claim left behind by
//! a server that died is taken over after an hour.

use crate::{Actor, App, AppError, Result};
use chrono::{Duration, NaiveDate, Utc};
use domain::recruitment::propensity::{self, Candidate, ModelReport};
use domain::{AuditDraft, Permission};
use serde::Serialize;
use std::collections::HashMap;
use store::{RunClaim, ScoreRunRow};
use uuid::Uuid;

/// A claim older than this is taken to belong to a computation that died.
pub const STALE_CLAIM_MINUTES: i64 = 60;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreLine {
    pub donor_number: String,
    pub score: f64,
}

/// One way of ranking donors and how it did on the held-out donors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateView {
    pub name: String,
    pub description: String,
    /// Held-out AUC; null when the held-out snapshots hold one class only.
    pub auc: Option<f64>,
    pub chosen: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoresView {
    pub as_of: NaiveDate,
    /// The candidate whose scores these are.
    pub model: String,
    /// Held-out AUC of that candidate (a fifth of donors, all their snapshots).
    pub auc: Option<f64>,
    /// Training snapshots (donor × cut date).
    pub n: usize,
    pub held_out_donors: usize,
    pub candidates: Vec<CandidateView>,
    pub scores: Vec<ScoreLine>,
}

/// A stored run of the pool's scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreRunView {
    pub id: Uuid,
    pub as_of: NaiveDate,
    /// running or done
    pub status: String,
    pub model: Option<String>,
    pub donors: i64,
    pub claimed_by: String,
    pub claimed_at: chrono::DateTime<Utc>,
    pub finished_at: Option<chrono::DateTime<Utc>>,
    /// As computed: every candidate with its held-out AUC.
    pub candidates: Vec<CandidateView>,
}

impl ScoreRunView {
    fn of(r: &ScoreRunRow) -> Self {
        let candidates = r
            .report_json
            .as_deref()
            .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
            .and_then(|v| serde_json::from_value::<Vec<CandidateJson>>(v["candidates"].clone()).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|c| CandidateView {
                description: Candidate::parse(&c.name).map(|x| x.description().to_string()).unwrap_or_default(),
                chosen: r.model.as_deref() == Some(c.name.as_str()),
                name: c.name,
                auc: c.auc,
            })
            .collect();
        ScoreRunView {
            id: r.id,
            as_of: r.as_of,
            status: r.status.clone(),
            model: r.model.clone(),
            donors: r.donors,
            claimed_by: r.claimed_by.clone(),
            claimed_at: r.claimed_at,
            finished_at: r.finished_at,
            candidates,
        }
    }
}

#[derive(serde::Deserialize)]
struct CandidateJson {
    name: String,
    auc: Option<f64>,
}

/// What asking for a day's run of the pool's scores did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PoolScoring {
    /// Computed now by this caller.
    Computed { run: ScoreRunView, seconds: f64 },
    /// The day was computed before.
    AlreadyDone { run: ScoreRunView },
    /// Another server (or command) is computing it now.
    Busy { run: ScoreRunView },
}

/// The scheduled job (and a first preview without scores) acts as this recruiter.
fn job_actor() -> Actor {
    Actor {
        user_id: None,
        username: "job:recruitment-scores".into(),
        display_name: "Daily scoring".into(),
        roles: domain::Roles::new([domain::Role::Recruiter]).expect("one role"),
        hospital_id: None,
        via_token: false,
    }
}

pub fn candidate_views(r: &ModelReport) -> Vec<CandidateView> {
    r.candidates
        .iter()
        .map(|c| CandidateView {
            name: c.candidate.name().into(),
            description: c.candidate.description().into(),
            auc: c.auc,
            chosen: c.candidate == r.chosen,
        })
        .collect()
}

fn report_json(r: &ModelReport) -> serde_json::Value {
    serde_json::json!({
        "as_of": r.as_of,
        "chosen": r.chosen.name(),
        "candidates": r.candidates.iter().map(|c| serde_json::json!({"name": c.candidate.name(), "auc": c.auc})).collect::<Vec<_>>(),
        "cuts": r.cuts.len(),
        "first_cut": r.cuts.last(),
        "last_cut": r.cuts.first(),
        "training_donors": r.training_donors,
        "held_out_donors": r.held_out_donors,
        "training_rows": r.training_rows,
        "held_out_rows": r.held_out_rows,
        "held_out_positives": r.held_out_positives,
    })
}

impl App {
    /// Return propensity of every donor as of `as_of`, computed now from history before
    /// it (see `domain::recruitment::propensity`), with every candidate's held-out AUC.
    pub async fn recruitment_scores(&self, actor: &Actor, as_of: NaiveDate) -> Result<ScoresView> {
        actor.require(Permission::ViewRecruitment)?;
        let pool = self.load_pool().await?;
        let s = tokio::task::spawn_blocking(move || propensity::score(&pool.histories, as_of))
            .await
            .map_err(|e| AppError::Conflict(format!("scoring stopped: {e}")))?;
        Ok(ScoresView {
            as_of,
            model: s.report.chosen.name().into(),
            auc: s.report.chosen_auc(),
            n: s.report.training_rows,
            held_out_donors: s.report.held_out_donors,
            candidates: candidate_views(&s.report),
            scores: s.scores.into_iter().map(|(donor_number, score)| ScoreLine { donor_number, score }).collect(),
        })
    }

    /// Computes and stores the pool's scores as of `as_of`, unless that day's run was
    /// claimed already (by this or another server). Audited.
    pub async fn score_pool(&self, actor: &Actor, as_of: NaiveDate) -> Result<PoolScoring> {
        actor.require(Permission::ManageRecruitment)?;
        let started = std::time::Instant::now();
        let now = store::now();
        let mut tx = self.store.begin_write().await?;
        let claim = tx.claim_score_run(as_of, &actor.username, now, now - Duration::minutes(STALE_CLAIM_MINUTES)).await?;
        tx.commit().await?;
        let run = match claim {
            RunClaim::Claimed(run) => run,
            RunClaim::Taken(r) if r.status == "done" => return Ok(PoolScoring::AlreadyDone { run: ScoreRunView::of(&r) }),
            RunClaim::Taken(r) => return Ok(PoolScoring::Busy { run: ScoreRunView::of(&r) }),
        };
        match self.compute_run(actor, run, as_of).await {
            Ok(()) => {
                let row = self.store.score_run(as_of).await?.ok_or_else(|| AppError::NotFound(format!("score run of {as_of} vanished")))?;
                Ok(PoolScoring::Computed { run: ScoreRunView::of(&row), seconds: started.elapsed().as_secs_f64() })
            }
            Err(e) => {
                // Give the day back so that a later try can claim it.
                let mut tx = self.store.begin_write().await?;
                tx.release_score_run(run).await?;
                tx.commit().await?;
                Err(e)
            }
        }
    }

    async fn compute_run(&self, actor: &Actor, run: Uuid, as_of: NaiveDate) -> Result<()> {
        let pool = self.load_pool().await?;
        let ids: HashMap<String, Uuid> = pool.rows.iter().map(|r| (r.donor_number.clone(), r.id)).collect();
        let histories = pool.histories;
        let s = tokio::task::spawn_blocking(move || propensity::score(&histories, as_of))
            .await
            .map_err(|e| AppError::Conflict(format!("scoring stopped: {e}")))?;
        let scores: Vec<(Uuid, f64)> = s.scores.iter().filter_map(|(n, p)| ids.get(n).map(|id| (*id, *p))).collect();
        let report = report_json(&s.report);
        let mut tx = self.store.begin_write().await?;
        tx.insert_scores(run, &scores).await?;
        tx.finish_score_run(run, s.report.chosen.name(), &report.to_string(), scores.len() as i64, store::now()).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "recruitment.scores", "score_run", run)
                .after(serde_json::json!({"as_of": as_of, "model": s.report.chosen.name(), "donors": scores.len(), "report": report})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest stored run, if any.
    pub async fn latest_score_run(&self, actor: &Actor) -> Result<Option<ScoreRunView>> {
        actor.require(Permission::ViewRecruitment)?;
        Ok(self.store.latest_score_run().await?.as_ref().map(ScoreRunView::of))
    }

    /// Refuses to target a campaign before any scores exist (it would pick donors by number).
    pub(crate) async fn require_scores(&self) -> Result<()> {
        if self.store.latest_score_run().await?.is_some() {
            return Ok(());
        }
        Err(AppError::Conflict(
            "return propensity scores are not computed yet, so donors cannot be ranked; the server computes them when it starts and \
             every day (or run `hemaflow recruit score-pool`); try again in a few minutes"
                .into(),
        ))
    }

    /// The daily job: computes today's run (in the facility's time zone) unless it exists.
    pub async fn daily_scores(&self) -> Result<PoolScoring> {
        let today = Utc::now().with_timezone(&self.settings.time_zone).date_naive();
        self.score_pool(&job_actor(), today).await
    }
}
