//! DIN assignment: each facility (FIN) numbers its donations in sequence per year,
//! never reusing a number, safe under concurrent requests; pre-printed DIN label
//! sets can be registered and their labels scanned instead.

use crate::{Actor, App, AppError, Result};
use chrono::{Datelike, Utc};
use domain::{AuditDraft, FieldError, Permission};
use isbt128::{Din, Flags};
use serde::Serialize;
use store::{DinAssignment, DinLabelSet};
use uuid::Uuid;

/// Largest sequence number a DIN can carry.
const MAX_SEQ: i64 = 999_999;

/// A DIN handed out, with its printed forms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignedDin {
    pub din: String,
    /// Barcode data with data identifier and flags `00`.
    pub data: String,
    pub eye_readable: String,
    pub check_character: char,
    pub source: String,
}

impl AssignedDin {
    fn of(din: &Din, source: &str) -> Self {
        Self {
            din: din.din().to_string(),
            data: din.encode(),
            eye_readable: din.eye_readable().to_string(),
            check_character: din.check_character(),
            source: source.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelSetView {
    pub id: Uuid,
    pub fin: String,
    pub year: i64,
    pub first: String,
    pub last: String,
    pub count: i64,
    pub registered_by: String,
    pub registered_at: chrono::DateTime<Utc>,
    pub note: Option<String>,
}

impl LabelSetView {
    fn of(s: &DinLabelSet) -> Self {
        let din = |seq: i64| format!("{}{:02}{:06}", s.fin, s.year % 100, seq);
        Self {
            id: s.id,
            fin: s.fin.clone(),
            year: s.year,
            first: din(s.first_seq),
            last: din(s.last_seq),
            count: s.last_seq - s.first_seq + 1,
            registered_by: s.registered_by.clone(),
            registered_at: s.registered_at,
            note: s.note.clone(),
        }
    }
}

/// Records a DIN as used and audits it, in the caller's transaction.
async fn record_assignment(tx: &mut store::WriteTx, actor: &Actor, din: &Din, source: &str, label_set_id: Option<Uuid>) -> Result<AssignedDin> {
    let view = AssignedDin::of(&din.with_flags(Flags::NONE), source);
    tx.insert_din_assignment(&DinAssignment {
        din: din.din().to_string(),
        fin: din.fin().to_string(),
        year: din.year_full() as i64,
        seq: din.sequence() as i64,
        source: source.into(),
        label_set_id,
        assigned_at: store::now(),
        assigned_by: actor.username.clone(),
    })
    .await?;
    tx.append_audit(AuditDraft::new(&actor.username, "din.assign", "din", din.din()).after(&view)).await?;
    Ok(view)
}

/// Hands out the next DIN of `fin` for `year` in the caller's transaction, skipping
/// numbers of registered pre-printed sets, and records it.
pub(crate) async fn next_din(tx: &mut store::WriteTx, actor: &Actor, fin: &str, year: i64) -> Result<AssignedDin> {
    let seq = loop {
        let seq = tx.next_din_seq(fin, year).await?;
        if seq > MAX_SEQ {
            return Err(AppError::Conflict(format!("all {MAX_SEQ} DINs of {fin} for {year} are used")));
        }
        match tx.din_label_set_containing(fin, year, seq).await? {
            Some(set) => tx.raise_din_seq(fin, year, set.last_seq).await?,
            None => break seq,
        }
    };
    let din = Din::new(fin, year as u16, seq as u32, Flags::NONE).map_err(|e| AppError::Conflict(e.to_string()))?;
    record_assignment(tx, actor, &din, "sequence", None).await
}

/// A scanned pre-printed DIN of this facility (check character verified).
pub(crate) fn parse_preprinted(fin: &str, field: &'static str, scan: &str) -> Result<Din> {
    let din = domain::labeling::parse_din(field, scan)?;
    if din.fin().to_string() != fin {
        return Err(FieldError::new(field, format!("DIN {} belongs to facility {}, not {fin}", din.din(), din.fin())).into());
    }
    Ok(din)
}

/// Records a pre-printed DIN as used in the caller's transaction: it must belong to a
/// registered label set and not be used yet.
pub(crate) async fn preprinted_din(tx: &mut store::WriteTx, actor: &Actor, fin: &str, din: &Din, field: &'static str) -> Result<AssignedDin> {
    let (year, seq) = (din.year_full() as i64, din.sequence() as i64);
    let set = tx
        .din_label_set_containing(fin, year, seq)
        .await?
        .ok_or_else(|| FieldError::new(field, format!("DIN {} is not in any registered pre-printed label set", din.din())))?;
    if tx.din_assignment(din.din()).await?.is_some() {
        return Err(AppError::Conflict(format!("DIN {} has already been used", din.din())));
    }
    record_assignment(tx, actor, din, "preprinted", Some(set.id)).await
}

impl App {
    pub(crate) fn fin(&self) -> Result<String> {
        self.settings
            .fin
            .clone()
            .ok_or_else(|| AppError::Conflict("this installation has no facility identification number (FIN); start the server with --fin".into()))
    }

    /// The collection year at a site: its local calendar, not UTC's.
    pub(crate) async fn local_year(&self, site_code: &str) -> Result<i64> {
        let site = self
            .store
            .list_sites()
            .await?
            .into_iter()
            .find(|s| s.fields.code.as_str() == site_code)
            .ok_or_else(|| FieldError::new("site", format!("no site has the code '{site_code}'")))?;
        Ok(Utc::now().with_timezone(&site.fields.time_zone.tz()).year() as i64)
    }

    /// Hands out the next DIN of this facility for the year at `site`. Numbers that
    /// belong to registered pre-printed sets are skipped.
    pub async fn assign_din(&self, actor: &Actor, site_code: &str) -> Result<AssignedDin> {
        actor.require(Permission::AssignDins)?;
        let fin = self.fin()?;
        let year = self.local_year(site_code).await?;
        let mut tx = self.store.begin_write().await?;
        let view = next_din(&mut tx, actor, &fin, year).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Registers a set of pre-printed DIN labels (sequences `first..=last` of a year).
    /// The range must lie ahead of the counter and overlap no other set.
    pub async fn register_din_label_set(&self, actor: &Actor, year: i64, first: i64, last: i64, note: Option<String>) -> Result<LabelSetView> {
        actor.require(Permission::ManageDinLabelSets)?;
        let fin = self.fin()?;
        if !(2000..=2099).contains(&year) {
            return Err(FieldError::new("year", format!("{year} is not a DIN year (2000-2099)")).into());
        }
        if !(1..=MAX_SEQ).contains(&first) || !(1..=MAX_SEQ).contains(&last) || last < first {
            return Err(FieldError::new("last", format!("the range must run from 1 to {MAX_SEQ}, first to last")).into());
        }
        let mut tx = self.store.begin_write().await?;
        let counter = tx.din_last_seq(&fin, year).await?;
        if first <= counter {
            return Err(FieldError::new(
                "first",
                format!("DINs up to {counter} of {year} are already handed out; a pre-printed set must start after {counter}"),
            )
            .into());
        }
        if let Some(other) = tx.din_label_sets_overlapping(&fin, year, first, last).await?.first() {
            let v = LabelSetView::of(other);
            return Err(AppError::Conflict(format!("the range overlaps the set {} to {}", v.first, v.last)));
        }
        let set = DinLabelSet {
            id: Uuid::now_v7(),
            fin,
            year,
            first_seq: first,
            last_seq: last,
            registered_at: store::now(),
            registered_by: actor.username.clone(),
            note: note.filter(|n| !n.trim().is_empty()),
        };
        tx.insert_din_label_set(&set).await?;
        let view = LabelSetView::of(&set);
        tx.append_audit(AuditDraft::new(&actor.username, "din_label_set.register", "din_label_set", set.id).after(&view)).await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn din_label_sets(&self, actor: &Actor) -> Result<Vec<LabelSetView>> {
        actor.require(Permission::AssignDins)?;
        Ok(self.store.din_label_sets().await?.iter().map(LabelSetView::of).collect())
    }

    /// Records a pre-printed DIN label as used: it must be this facility's, in a
    /// registered set, and not used before.
    pub async fn use_preprinted_din(&self, actor: &Actor, scan: &str) -> Result<AssignedDin> {
        actor.require(Permission::AssignDins)?;
        let fin = self.fin()?;
        let din = parse_preprinted(&fin, "scan", scan)?;
        let mut tx = self.store.begin_write().await?;
        let view = preprinted_din(&mut tx, actor, &fin, &din, "scan").await?;
        tx.commit().await?;
        Ok(view)
    }
}
