//! Return propensity scores of the pool.

use crate::{Actor, App, Result};
use chrono::NaiveDate;
use domain::recruitment::propensity;
use domain::Permission;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreLine {
    pub donor_number: String,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoresView {
    pub as_of: NaiveDate,
    /// Held-out AUC (20% of donors); null when the held-out donors hold one class only.
    pub auc: Option<f64>,
    /// Training examples.
    pub n: usize,
    pub scores: Vec<ScoreLine>,
}

impl App {
    /// Return propensity of every donor as of `as_of` (see `domain::recruitment::propensity`).
    pub async fn recruitment_scores(&self, actor: &Actor, as_of: NaiveDate) -> Result<ScoresView> {
        actor.require(Permission::ViewRecruitment)?;
        let pool = self.load_pool().await?;
        let s = propensity::score(&pool.histories, as_of);
        Ok(ScoresView {
            as_of,
            auc: s.auc,
            n: s.n,
            scores: s.scores.into_iter().map(|(donor_number, score)| ScoreLine { donor_number, score }).collect(),
        })
    }
}
