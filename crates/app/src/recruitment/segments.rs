//! Segments: saved filters over the donor pool, their members and previews.

use super::Pool;
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::recruitment::{CheckedFilter, SegmentFilter};
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use store::SegmentRow;
use uuid::Uuid;

/// A donor in a segment preview or a contact list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolMember {
    pub donor_number: String,
    pub first_name: String,
    pub last_name: String,
    pub blood_group: Option<String>,
    pub score: f64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    pub name: String,
    /// The filter as JSON; unknown keys are refused.
    pub filter: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentView {
    pub id: Uuid,
    pub name: String,
    pub filter: serde_json::Value,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl SegmentView {
    fn of(s: &SegmentRow) -> Self {
        Self {
            id: s.id,
            name: s.name.clone(),
            filter: serde_json::from_str(&s.filter_json).unwrap_or(serde_json::Value::Null),
            updated_at: s.updated_at,
            updated_by: s.updated_by.clone(),
        }
    }
}

/// How many donors a segment holds today, and the best-scored of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentPreview {
    pub count: usize,
    pub sample: Vec<PoolMember>,
    /// The day of the stored scores ranked by; `None`: not computed yet (all 0).
    pub scores_as_of: Option<NaiveDate>,
}

impl App {
    /// Members of a filter today with their scores, best first.
    pub(crate) async fn members(&self, pool: &Pool, filter: &CheckedFilter, today: NaiveDate) -> Result<Vec<(usize, f64)>> {
        // Typing criteria are matched by the registry's rare-donor query (merges included).
        let typed: Option<std::collections::HashSet<String>> = if filter.typing.is_empty() {
            None
        } else {
            let q = crate::registry::rare_query(&filter.typing)?;
            Some(self.store.rare_donors(&q, i64::MAX).await?.into_iter().map(|d| d.donor_number).collect())
        };
        // Stored scores (the latest run), not the pool scored per request.
        let scores = self.score_snapshot().await?;
        let mut out: Vec<(usize, f64)> = pool
            .donors
            .iter()
            .enumerate()
            .filter(|(i, _)| typed.as_ref().is_none_or(|t| t.contains(&pool.rows[*i].donor_number)))
            .filter(|(_, d)| filter.matches(d, today, &pool.rules))
            .map(|(i, _)| (i, scores.get(&pool.rows[i].id).copied().unwrap_or(0.0)))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| pool.rows[a.0].donor_number.cmp(&pool.rows[b.0].donor_number)));
        Ok(out)
    }

    fn member_view(pool: &Pool, i: usize, score: f64) -> PoolMember {
        let r = &pool.rows[i];
        PoolMember {
            donor_number: r.donor_number.clone(),
            first_name: r.first_name.clone(),
            last_name: r.last_name.clone(),
            blood_group: r.group.0.map(|g| g.to_string()),
            score,
        }
    }

    /// Count and best-scored sample of a filter, saved or not.
    pub async fn preview_filter(&self, actor: &Actor, filter: &serde_json::Value) -> Result<SegmentPreview> {
        actor.require(Permission::ViewRecruitment)?;
        let (_, checked) = SegmentFilter::from_json(filter)?;
        let pool = self.pool_snapshot().await?;
        let m = self.members(&pool, &checked, self.today_local()).await?;
        let scores_as_of = self.store.latest_score_run().await?.map(|r| r.as_of);
        Ok(SegmentPreview { count: m.len(), sample: m.iter().take(20).map(|(i, s)| Self::member_view(&pool, *i, *s)).collect(), scores_as_of })
    }

    pub async fn list_segments(&self, actor: &Actor) -> Result<Vec<SegmentView>> {
        actor.require(Permission::ViewRecruitment)?;
        Ok(self.store.list_segments().await?.iter().map(SegmentView::of).collect())
    }

    pub async fn segment(&self, actor: &Actor, id: Uuid) -> Result<SegmentView> {
        actor.require(Permission::ViewRecruitment)?;
        self.store.segment(id).await?.map(|s| SegmentView::of(&s)).ok_or_else(|| AppError::NotFound(format!("no segment has the id {id}")))
    }

    fn check_segment(input: &SegmentInput) -> Result<(String, String)> {
        let mut e = FieldErrors::default();
        let name = input.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            e.0.push(FieldError::new("name", "give the segment a name of 1 to 100 characters"));
        }
        let filter = match SegmentFilter::from_json(&input.filter) {
            Ok((f, c)) => {
                if !c.typing.is_empty() {
                    if let Err(AppError::Invalid(errs)) = crate::registry::rare_query(&c.typing) {
                        e.0.extend(errs.0);
                    }
                }
                serde_json::to_string(&f).expect("serialises")
            }
            Err(errs) => {
                e.0.extend(errs.0);
                String::new()
            }
        };
        if e.is_empty() {
            Ok((name, filter))
        } else {
            Err(AppError::Invalid(e))
        }
    }

    /// Saves a named filter (audited).
    pub async fn create_segment(&self, actor: &Actor, input: &SegmentInput) -> Result<SegmentView> {
        actor.require(Permission::ManageRecruitment)?;
        let (name, filter_json) = Self::check_segment(input)?;
        let mut tx = self.store.begin_write().await?;
        if tx.segment_by_name(&name).await?.is_some() {
            return Err(AppError::Conflict(format!("a segment named '{name}' already exists")));
        }
        let now = store::now();
        let row = SegmentRow {
            id: Uuid::now_v7(),
            name,
            filter_json,
            created_at: now,
            created_by: actor.username.clone(),
            updated_at: now,
            updated_by: actor.username.clone(),
        };
        tx.insert_segment(&row).await?;
        let view = SegmentView::of(&row);
        tx.append_audit(AuditDraft::new(&actor.username, "segment.create", "segment", row.id).after(&view)).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Renames a segment or changes its filter (audited with before and after).
    pub async fn update_segment(&self, actor: &Actor, id: Uuid, input: &SegmentInput) -> Result<SegmentView> {
        actor.require(Permission::ManageRecruitment)?;
        let (name, filter_json) = Self::check_segment(input)?;
        let mut tx = self.store.begin_write().await?;
        let old = tx.segment(id).await?.ok_or_else(|| AppError::NotFound(format!("no segment has the id {id}")))?;
        if tx.segment_by_name(&name).await?.is_some_and(|s| s.id != id) {
            return Err(AppError::Conflict(format!("a segment named '{name}' already exists")));
        }
        let row = SegmentRow { name, filter_json, updated_at: store::now(), updated_by: actor.username.clone(), ..old.clone() };
        tx.update_segment(&row).await?;
        let view = SegmentView::of(&row);
        tx.append_audit(AuditDraft::new(&actor.username, "segment.update", "segment", id).before(SegmentView::of(&old)).after(&view)).await?;
        tx.commit().await?;
        Ok(view)
    }
}
