//! Quality records: biological product deviations (21 CFR 606.171) with their units,
//! investigation, report to FDA and closing; quality control results of units, which can
//! fail a unit at the release gate; and lifting a hold after review, signed with the
//! password (21 CFR Part 11). Each change is decided and written with its audit record
//! in one transaction, on rows locked in it.

use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::component::{parse_attributes, ComponentState};
use domain::quality::{closing_refusals, is_overdue, report_deadline, ClosingFacts, DeviationStatus, QcCheck};
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use store::{ComponentRow, DeviationCurrent, DeviationRow, DeviationVersionRow, HoldWithLift, QcResultRow, WriteTx};
use uuid::Uuid;

/// What the signer means by lifting a hold.
pub const HOLD_LIFT_MEANING: &str = "Hold lifted after review: I have reviewed why this unit was held and the hold no longer applies";

/// The hold kind a deviation puts on its units.
pub const DEVIATION_HOLD: &str = "deviation";

const TEXT_MAX: usize = 4_000;

/// A deviation as opened.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviationInput {
    pub what_happened: String,
    /// `YYYY-MM-DD`
    pub discovered_on: String,
    /// When information reasonably suggesting a reportable event was acquired; empty: the
    /// day it was discovered.
    #[serde(default)]
    pub acquired_on: String,
    /// The units involved, one a line: scanned (`=A99982600063700 =<E0398V00`) or typed.
    #[serde(default)]
    pub units: String,
    #[serde(default)]
    pub distributed: bool,
    #[serde(default)]
    pub reportable: bool,
    /// Put the units on hold in the same transaction.
    #[serde(default)]
    pub hold_units: bool,
    #[serde(default)]
    pub investigation: String,
}

/// A change to a deviation's investigation; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviationUpdate {
    pub investigation: Option<String>,
    pub root_cause: Option<String>,
    pub corrective_action: Option<String>,
    pub distributed: Option<bool>,
    pub reportable: Option<bool>,
}

/// The report to FDA as submitted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviationReport {
    /// The day Form FDA 3486 was submitted, `YYYY-MM-DD`.
    pub reported_on: String,
    /// The submission's reference (e.g. the BPDR number FDA gave).
    pub reference: String,
}

/// A quality control result as entered.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QcInput {
    /// `platelet_ph`, `platelet_content`, `residual_wbc` (or the title).
    pub check: String,
    /// The measured value: `7.1`, `3.4e11`, `3.4 x 10^11`.
    pub value: String,
}

/// A hold lift as asked for: why, and the signer's password.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiftInput {
    pub reason: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviationUnit {
    pub din: String,
    pub product_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviationChange {
    pub version: i64,
    pub status: String,
    pub status_title: String,
    pub at: DateTime<Utc>,
    pub by: String,
    pub change: String,
}

/// A deviation as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviationView {
    pub number: String,
    pub status: DeviationStatus,
    pub status_title: String,
    pub what_happened: String,
    pub discovered_on: NaiveDate,
    pub acquired_on: NaiveDate,
    pub investigation: String,
    pub root_cause: String,
    pub corrective_action: String,
    pub distributed: bool,
    pub reportable: bool,
    /// Reportable ones: the day Form FDA 3486 is due (acquired + 45 days).
    pub deadline: Option<NaiveDate>,
    /// Days until the deadline (negative: past it); reportable and not reported only.
    pub days_left: Option<i64>,
    pub overdue: bool,
    pub reported_on: Option<NaiveDate>,
    pub report_reference: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    pub version: i64,
    pub units: Vec<DeviationUnit>,
    pub history: Vec<DeviationChange>,
}

/// Which deviations a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviationFilter {
    /// Not closed.
    #[default]
    Open,
    /// Reportable, not reported, deadline passed.
    Overdue,
    All,
}

impl DeviationFilter {
    pub fn parse(s: &str) -> std::result::Result<Self, FieldError> {
        match s.trim() {
            "" | "open" => Ok(Self::Open),
            "overdue" => Ok(Self::Overdue),
            "all" => Ok(Self::All),
            other => Err(FieldError::new("show", format!("'{other}' is not a list: open, overdue or all"))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Overdue => "overdue",
            Self::All => "all",
        }
    }
}

/// A QC check a unit needs, with its limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QcCheckView {
    pub check: QcCheck,
    pub title: String,
    pub spec: String,
    pub hint: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QcResultView {
    pub check: String,
    pub title: String,
    pub value: f64,
    pub entered: String,
    pub passed: bool,
    pub spec: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HoldView {
    pub id: Uuid,
    pub kind: String,
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lifted_by: Option<String>,
    pub lift_reason: Option<String>,
}

/// A unit's quality: the QC checks it needs, its results, its holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitQuality {
    pub checks: Vec<QcCheckView>,
    pub results: Vec<QcResultView>,
    pub holds: Vec<HoldView>,
}

/// What a QC result did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QcOutcome {
    pub result: QcResultView,
    pub state: ComponentState,
    /// The unit was available and left stock because of this result.
    pub left_stock: bool,
}

fn hold_view(h: &HoldWithLift) -> HoldView {
    HoldView {
        id: h.id,
        kind: h.kind.clone(),
        reason: h.reason.clone(),
        opened_at: h.opened_at,
        opened_by: h.opened_by.clone(),
        lifted_at: h.lifted_at,
        lifted_by: h.lifted_by.clone(),
        lift_reason: h.lift_reason.clone(),
    }
}

fn qc_view(r: &QcResultRow) -> QcResultView {
    QcResultView {
        check: r.check_code.clone(),
        title: QcCheck::parse(&r.check_code).map_or(r.check_code.clone(), |c| c.title().to_string()),
        value: r.value,
        entered: r.entered.clone(),
        passed: r.passed,
        spec: r.spec.clone(),
        recorded_at: r.recorded_at,
        recorded_by: r.recorded_by.clone(),
    }
}

/// Free text of several lines: trimmed, bounded, no control characters but line breaks and tabs.
fn long_text(field: &'static str, value: &str, required: bool, e: &mut FieldErrors) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        e.0.push(FieldError::new(field, "is required"));
    } else if v.chars().count() > TEXT_MAX {
        e.0.push(FieldError::new(field, format!("is longer than {TEXT_MAX} characters")));
    } else if v.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        e.0.push(FieldError::new(field, "contains control characters"));
    }
    v.to_string()
}

/// A day entered in a form: a date, not in the future.
fn past_day(field: &'static str, value: &str, today: NaiveDate, e: &mut FieldErrors) -> Option<NaiveDate> {
    match domain::parse_day(field, value) {
        Ok(d) if d > today => {
            e.0.push(FieldError::new(field, format!("{d} is in the future")));
            None
        }
        Ok(d) => Some(d),
        Err(x) => {
            e.0.push(x);
            None
        }
    }
}

/// The gate's QC facts of a unit: its latest result of each check.
pub(crate) async fn qc_facts(tx: &mut WriteTx, unit: &ComponentRow) -> Result<Vec<domain::release::QcCheck>> {
    let mut latest: Vec<QcResultRow> = Vec::new();
    for r in tx.qc_results_in_tx(unit.id).await? {
        latest.retain(|x| x.check_code != r.check_code);
        latest.push(r);
    }
    Ok(latest
        .iter()
        .map(|r| domain::release::QcCheck { name: format!("{} {} (specification {})", qc_view(r).title, r.entered, r.spec), passed: r.passed })
        .collect())
}

fn version_json(v: &DeviationVersionRow) -> serde_json::Value {
    serde_json::json!({
        "version": v.version, "status": v.status, "what_happened": v.what_happened, "discovered_on": v.discovered_on,
        "acquired_on": v.acquired_on, "investigation": v.investigation, "root_cause": v.root_cause,
        "corrective_action": v.corrective_action, "distributed": v.distributed, "reportable": v.reportable,
        "reported_on": v.reported_on, "report_reference": v.report_reference,
    })
}

impl App {
    fn deviation_view(&self, d: &DeviationCurrent, units: Vec<(String, String)>, versions: &[DeviationVersionRow]) -> DeviationView {
        let v = &d.current;
        let status = DeviationStatus::parse(&v.status).unwrap_or(DeviationStatus::Open);
        let today = self.today();
        let deadline = v.reportable.then(|| report_deadline(v.acquired_on));
        DeviationView {
            number: d.deviation.number.clone(),
            status,
            status_title: status.title().to_string(),
            what_happened: v.what_happened.clone(),
            discovered_on: v.discovered_on,
            acquired_on: v.acquired_on,
            investigation: v.investigation.clone(),
            root_cause: v.root_cause.clone(),
            corrective_action: v.corrective_action.clone(),
            distributed: v.distributed,
            reportable: v.reportable,
            deadline,
            days_left: deadline.filter(|_| v.reported_on.is_none()).map(|d| (d - today).num_days()),
            overdue: is_overdue(v.reportable, v.acquired_on, v.reported_on, today),
            reported_on: v.reported_on,
            report_reference: v.report_reference.clone(),
            opened_at: d.deviation.opened_at,
            opened_by: d.deviation.opened_by.clone(),
            version: v.version,
            units: units.into_iter().map(|(din, product_code)| DeviationUnit { din, product_code }).collect(),
            history: versions
                .iter()
                .map(|x| DeviationChange {
                    version: x.version,
                    status: x.status.clone(),
                    status_title: DeviationStatus::parse(&x.status).map_or(x.status.clone(), |s| s.title().to_string()),
                    at: x.recorded_at,
                    by: x.recorded_by.clone(),
                    change: x.change.clone(),
                })
                .collect(),
        }
    }

    /// Deviations, newest first: open ones (not closed), overdue ones, or all.
    pub async fn deviations(&self, actor: &Actor, filter: DeviationFilter) -> Result<Vec<DeviationView>> {
        actor.require(Permission::ManageDeviations)?;
        let mut out = Vec::new();
        let units = self.store.all_deviation_units().await?;
        for d in self.store.deviations().await? {
            let mine = units.iter().filter(|u| u.0 == d.deviation.id).map(|u| (u.1.clone(), u.2.clone())).collect();
            let v = self.deviation_view(&d, mine, &[]);
            let keep = match filter {
                DeviationFilter::Open => v.status != DeviationStatus::Closed,
                DeviationFilter::Overdue => v.overdue,
                DeviationFilter::All => true,
            };
            if keep {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// One deviation with its units and every version.
    pub async fn deviation(&self, actor: &Actor, number: &str) -> Result<DeviationView> {
        actor.require(Permission::ManageDeviations)?;
        let number = number.trim().to_uppercase();
        let d = self.store.deviation(&number).await?.ok_or_else(|| AppError::NotFound(format!("no deviation {number}")))?;
        let units = self.store.deviation_units(d.deviation.id).await?;
        let versions = self.store.deviation_versions(d.deviation.id).await?;
        Ok(self.deviation_view(&d, units, &versions))
    }

    /// Opens a deviation: its number (gap-free per year) is taken in the transaction, the
    /// units must exist, and with `hold_units` each unit still in the centre goes on hold
    /// (an available one leaves stock), all with the audit record in one transaction.
    pub async fn open_deviation(&self, actor: &Actor, input: &DeviationInput) -> Result<DeviationView> {
        actor.require(Permission::ManageDeviations)?;
        let today = self.today();
        let mut e = FieldErrors::default();
        let what = long_text("what_happened", &input.what_happened, true, &mut e);
        let investigation = long_text("investigation", &input.investigation, false, &mut e);
        let discovered = past_day("discovered_on", &input.discovered_on, today, &mut e);
        let acquired = if input.acquired_on.trim().is_empty() { discovered } else { past_day("acquired_on", &input.acquired_on, today, &mut e) };
        if let (Some(d), Some(a)) = (discovered, acquired) {
            if a < d {
                e.0.push(FieldError::new("acquired_on", "the information cannot have come before the deviation was discovered"));
            }
        }
        if let Some(m) = domain::quality::reportable_refusal(input.distributed, input.reportable) {
            e.0.push(FieldError::new("reportable", m));
        }
        let mut refs: Vec<crate::components::UnitRef> = Vec::new();
        for line in input.units.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match crate::components::parse_unit_line(line) {
                Ok(u) if refs.contains(&u) => {}
                Ok(u) => refs.push(u),
                Err(m) => e.0.push(FieldError::new("units", m)),
            }
        }
        if input.hold_units && refs.is_empty() && e.is_empty() {
            e.0.push(FieldError::new("units", "name the units to put on hold"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let (discovered, acquired) = (discovered.expect("checked"), acquired.expect("checked"));
        let mut tx = self.store.begin_write().await?;
        let mut units = Vec::new();
        for r in &refs {
            match tx.component_for_update(&r.din, &r.product_code).await? {
                Some(u) => units.push(u),
                None => e.0.push(FieldError::new("units", format!("no unit {} {} is on record", r.din, r.product_code))),
            }
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let year = i64::from(chrono::Datelike::year(&today));
        let seq = tx.next_deviation_seq(year).await?;
        let now = store::now();
        let row =
            DeviationRow { id: Uuid::now_v7(), number: format!("DEV-{year}-{seq:04}"), year, seq, opened_at: now, opened_by: actor.username.clone() };
        tx.insert_deviation(&row).await?;
        let version = DeviationVersionRow {
            deviation_id: row.id,
            version: 1,
            status: DeviationStatus::Open.as_str().into(),
            what_happened: what.clone(),
            discovered_on: discovered,
            acquired_on: acquired,
            investigation,
            root_cause: String::new(),
            corrective_action: String::new(),
            distributed: input.distributed,
            reportable: input.reportable,
            reported_on: None,
            report_reference: None,
            recorded_at: now,
            recorded_by: actor.username.clone(),
            change: "opened".into(),
        };
        tx.insert_deviation_version(&version).await?;
        let mut held = Vec::new();
        let summary: String = what.lines().next().unwrap_or("").chars().take(120).collect();
        let reason = format!("deviation {}: {summary}", row.number);
        for u in &units {
            tx.insert_deviation_unit(row.id, u.id).await?;
            if input.hold_units && !u.state.is_ended() && u.state != ComponentState::Shipped {
                crate::testing::hold(&mut tx, u, DEVIATION_HOLD, &reason, Some(row.id), &actor.username).await?;
                crate::release::regate_unit(self, &mut tx, actor, u, &format!("deviation {}", row.number)).await?;
                held.push(format!("{} {}", u.din, u.product_code));
            }
        }
        let mut after = version_json(&version);
        after["number"] = serde_json::json!(row.number);
        after["units"] = serde_json::json!(units.iter().map(|u| format!("{} {}", u.din, u.product_code)).collect::<Vec<_>>());
        after["held"] = serde_json::json!(held);
        tx.append_audit(AuditDraft::new(&actor.username, "deviation.open", "deviation", row.id).after(after)).await?;
        tx.commit().await?;
        self.deviation(actor, &row.number).await
    }

    /// Writes the next version of a locked deviation with its audit record, and commits.
    async fn next_version(
        &self,
        mut tx: WriteTx,
        actor: &Actor,
        d: &DeviationCurrent,
        mut next: DeviationVersionRow,
        action: &str,
    ) -> Result<DeviationView> {
        next.version = d.current.version + 1;
        next.recorded_at = store::now();
        next.recorded_by = actor.username.clone();
        tx.insert_deviation_version(&next).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, action, "deviation", d.deviation.id)
                .before(version_json(&d.current))
                .after(version_json(&next))
                .reason(Some(next.change.clone())),
        )
        .await?;
        tx.commit().await?;
        self.deviation(actor, &d.deviation.number).await
    }

    async fn locked_deviation(&self, tx: &mut WriteTx, number: &str) -> Result<DeviationCurrent> {
        let number = number.trim().to_uppercase();
        let d = tx.deviation_for_update(&number).await?.ok_or_else(|| AppError::NotFound(format!("no deviation {number}")))?;
        if d.current.status == DeviationStatus::Closed.as_str() {
            return Err(AppError::Conflict(format!("deviation {number} is closed; it is not changed any more")));
        }
        Ok(d)
    }

    /// Records the investigation, root cause, corrective action or the assessment
    /// (distributed, reportable) as a new version; an open deviation is then under
    /// investigation.
    pub async fn update_deviation(&self, actor: &Actor, number: &str, input: &DeviationUpdate) -> Result<DeviationView> {
        actor.require(Permission::ManageDeviations)?;
        let mut e = FieldErrors::default();
        let investigation = input.investigation.as_deref().map(|v| long_text("investigation", v, false, &mut e));
        let root_cause = input.root_cause.as_deref().map(|v| long_text("root_cause", v, false, &mut e));
        let corrective = input.corrective_action.as_deref().map(|v| long_text("corrective_action", v, false, &mut e));
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let mut tx = self.store.begin_write().await?;
        let d = self.locked_deviation(&mut tx, number).await?;
        let mut next = d.current.clone();
        let mut changed = Vec::new();
        for (name, new, old) in [
            ("investigation", investigation, &mut next.investigation),
            ("root cause", root_cause, &mut next.root_cause),
            ("corrective action", corrective, &mut next.corrective_action),
        ] {
            if let Some(v) = new.filter(|v| v != old) {
                *old = v;
                changed.push(name);
            }
        }
        if let Some(b) = input.distributed.filter(|b| *b != next.distributed) {
            next.distributed = b;
            changed.push("distributed product");
        }
        if let Some(b) = input.reportable.filter(|b| *b != next.reportable) {
            next.reportable = b;
            changed.push("reportable to FDA");
        }
        if let Some(m) = domain::quality::reportable_refusal(next.distributed, next.reportable) {
            return Err(FieldError::new("reportable", m).into());
        }
        if !next.reportable && next.reported_on.is_some() {
            return Err(FieldError::new("reportable", "the deviation was reported to FDA already; it stays reportable").into());
        }
        if changed.is_empty() {
            return Err(FieldError::new("investigation", "nothing changed: enter the investigation, root cause or corrective action").into());
        }
        next.status = DeviationStatus::Investigating.as_str().into();
        next.change = format!("{} recorded", changed.join(", "));
        self.next_version(tx, actor, &d, next, "deviation.update").await
    }

    /// Records the report to FDA (Form FDA 3486): when it was submitted and its reference.
    pub async fn report_deviation(&self, actor: &Actor, number: &str, input: &DeviationReport) -> Result<DeviationView> {
        actor.require(Permission::ManageDeviations)?;
        let mut e = FieldErrors::default();
        let on = past_day("reported_on", &input.reported_on, self.today(), &mut e);
        let reference = input.reference.trim().to_string();
        if reference.is_empty() {
            e.0.push(FieldError::new("reference", "enter the submission's reference"));
        } else if reference.chars().count() > 200 || reference.chars().any(char::is_control) {
            e.0.push(FieldError::new("reference", "a reference is one line of at most 200 characters"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let on = on.expect("checked");
        let mut tx = self.store.begin_write().await?;
        let d = self.locked_deviation(&mut tx, number).await?;
        let n = &d.deviation.number;
        if !d.current.reportable {
            return Err(AppError::Conflict(format!("deviation {n} is not marked reportable to FDA; assess it as reportable first")));
        }
        if let Some(r) = d.current.reported_on {
            return Err(AppError::Conflict(format!(
                "deviation {n} was reported on {r} ({})",
                d.current.report_reference.clone().unwrap_or_default()
            )));
        }
        if on < d.current.discovered_on {
            return Err(FieldError::new("reported_on", format!("{on} is before the deviation was discovered ({})", d.current.discovered_on)).into());
        }
        let mut next = d.current.clone();
        next.reported_on = Some(on);
        next.report_reference = Some(reference.clone());
        if next.status == DeviationStatus::Open.as_str() {
            next.status = DeviationStatus::Investigating.as_str().into();
        }
        next.change = format!("reported to FDA on {on} (Form FDA 3486, {reference})");
        self.next_version(tx, actor, &d, next, "deviation.report").await
    }

    /// Closes a deviation: it needs its root cause and corrective action, and a
    /// reportable one its report. Its holds stay until quality lifts them.
    pub async fn close_deviation(&self, actor: &Actor, number: &str) -> Result<DeviationView> {
        actor.require(Permission::ManageDeviations)?;
        let mut tx = self.store.begin_write().await?;
        let d = self.locked_deviation(&mut tx, number).await?;
        let c = &d.current;
        let refusals = closing_refusals(&ClosingFacts {
            status: DeviationStatus::parse(&c.status).unwrap_or(DeviationStatus::Open),
            root_cause: &c.root_cause,
            corrective_action: &c.corrective_action,
            reportable: c.reportable,
            reported: c.reported_on.is_some(),
        });
        if !refusals.is_empty() {
            return Err(AppError::Invalid(FieldErrors(refusals.into_iter().map(|(f, m)| FieldError::new(f, m)).collect())));
        }
        let mut next = c.clone();
        next.status = DeviationStatus::Closed.as_str().into();
        next.change = "closed".into();
        self.next_version(tx, actor, &d, next, "deviation.close").await
    }

    /// A unit's QC checks, results and holds.
    pub async fn unit_quality(&self, actor: &Actor, din: &str, product_code: &str) -> Result<UnitQuality> {
        actor.require(Permission::ViewDonors)?;
        let din = crate::components::parse_din(din)?;
        let u = self
            .store
            .component(&din, product_code.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no unit {din} {}", product_code.trim())))?;
        let attrs = parse_attributes(&u.attributes).unwrap_or_default();
        Ok(UnitQuality {
            checks: domain::quality::specs_for(u.kind, &attrs)
                .into_iter()
                .map(|s| QcCheckView { check: s.check, title: s.check.title().into(), spec: s.text.into(), hint: s.check.unit_hint().into() })
                .collect(),
            results: self.store.qc_results_of(u.id).await?.iter().map(qc_view).collect(),
            holds: self.store.holds_of(u.id).await?.iter().map(hold_view).collect(),
        })
    }

    /// Records a QC result, judged against the product's specification. A failed result
    /// fails the unit at the gate; an available unit leaves stock in the same transaction.
    pub async fn record_qc(&self, actor: &Actor, din: &str, product_code: &str, input: &QcInput) -> Result<QcOutcome> {
        actor.require(Permission::RecordQc)?;
        let din = crate::components::parse_din(din)?;
        let mut tx = self.store.begin_write().await?;
        let unit = tx
            .component_for_update(&din, product_code.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no unit {din} {}", product_code.trim())))?;
        let attrs = parse_attributes(&unit.attributes).unwrap_or_default();
        let specs = domain::quality::specs_for(unit.kind, &attrs);
        let mut e = FieldErrors::default();
        let spec = match QcCheck::parse(&input.check) {
            None => {
                e.0.push(FieldError::new(
                    "check",
                    format!("'{}' is not a QC check: platelet_ph, platelet_content or residual_wbc", input.check.trim()),
                ));
                None
            }
            Some(c) => match specs.iter().find(|s| s.check == c) {
                Some(s) => Some(s.clone()),
                None if specs.is_empty() => {
                    e.0.push(FieldError::new("check", format!("{} has no QC check", unit.kind.title())));
                    None
                }
                None => {
                    let known: Vec<&str> = specs.iter().map(|s| s.check.title()).collect();
                    e.0.push(FieldError::new("check", format!("{} is not checked on this product; its checks: {}", c.title(), known.join(", "))));
                    None
                }
            },
        };
        let value = match spec.as_ref().map(|s| domain::quality::parse_value(s.check, &input.value)) {
            Some(Ok(v)) => Some(v),
            Some(Err(m)) => {
                e.0.push(FieldError::new("value", m));
                None
            }
            None => None,
        };
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        if unit.state.is_ended() {
            return Err(AppError::Conflict(format!("unit {din} {} has ended ({}); no QC is recorded on it", unit.product_code, unit.state.title())));
        }
        let (spec, value) = (spec.expect("checked"), value.expect("checked"));
        let row = QcResultRow {
            id: Uuid::now_v7(),
            component_id: unit.id,
            check_code: spec.check.as_str().into(),
            value,
            entered: input.value.trim().to_string(),
            passed: spec.passes(value),
            spec: spec.text.into(),
            recorded_at: store::now(),
            recorded_by: actor.username.clone(),
        };
        tx.insert_qc_result(&row).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "component.qc", "component", unit.id).after(serde_json::json!({
            "din": unit.din, "product_code": unit.product_code, "check": row.check_code, "value": value, "entered": row.entered,
            "passed": row.passed, "specification": row.spec, "source": spec.source,
        })))
        .await?;
        let left = crate::release::regate_unit(self, &mut tx, actor, &unit, &format!("{} QC", spec.check.title())).await?;
        tx.commit().await?;
        Ok(QcOutcome { result: qc_view(&row), state: if left { ComponentState::Quarantine } else { unit.state }, left_stock: left })
    }

    /// Lifts an open hold after review, signed with the password. The unit's row is
    /// locked: of two lifts at once one lifts, the other is told who did. Lifting does not
    /// release: the unit passes the gate again.
    pub async fn lift_hold(&self, actor: &Actor, din: &str, product_code: &str, hold_id: &str, input: &LiftInput) -> Result<HoldView> {
        actor.require(Permission::LiftHolds)?;
        let din = crate::components::parse_din(din)?;
        let hold_id = Uuid::parse_str(hold_id.trim()).map_err(|_| AppError::NotFound(format!("no hold {}", hold_id.trim())))?;
        let mut e = FieldErrors::default();
        let reason = long_text("reason", &input.reason, true, &mut e);
        if e.0.iter().any(|x| x.field == "reason") && input.reason.trim().is_empty() {
            e.0.retain(|x| x.field != "reason");
            e.0.push(FieldError::new("reason", "say why the hold no longer applies"));
        }
        if input.password.is_empty() {
            e.0.push(FieldError::new("password", "sign with your password"));
        } else if !self.password_is(&actor.username, &input.password).await? {
            e.0.push(FieldError::new("password", "the password is not right; the hold is not lifted"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let mut tx = self.store.begin_write().await?;
        let unit = tx
            .component_for_update(&din, product_code.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no unit {din} {}", product_code.trim())))?;
        let h = tx
            .hold_in_tx(hold_id)
            .await?
            .filter(|h| h.component_id == unit.id)
            .ok_or_else(|| AppError::NotFound(format!("unit {din} {} has no hold {hold_id}", unit.product_code)))?;
        if let (Some(at), Some(by)) = (h.lifted_at, &h.lifted_by) {
            return Err(AppError::Conflict(format!("this hold was lifted already, by {by} at {}", self.local_time(at))));
        }
        let at = store::now();
        tx.lift_hold(h.id, at, &actor.username, &reason).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "component.hold_lift", "component", unit.id)
                .before(serde_json::json!({"din": unit.din, "product_code": unit.product_code, "hold": h.id, "kind": h.kind, "reason": h.reason}))
                .after(serde_json::json!({"lifted": true, "state": unit.state.as_str(),
                    "signature": {"signer": actor.username, "at": at, "meaning": HOLD_LIFT_MEANING}}))
                .reason(Some(reason.clone())),
        )
        .await?;
        tx.commit().await?;
        Ok(HoldView { lifted_at: Some(at), lifted_by: Some(actor.username.clone()), lift_reason: Some(reason), ..hold_view(&h) })
    }
}
