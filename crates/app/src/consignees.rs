//! Lookback and recall to the consignee (21 CFR 610.46, 610.47; recalls under 21 CFR 7).
//!
//! A case is a lookback case (opened by a repeat-reactive result; its units are those
//! of the donor's earlier donations) or a recall / market withdrawal opened by quality
//! naming units. The case lists every unit, where it is and each hospital that
//! received one. In-date units in stock are held and quarantined; each consignee gets
//! a notice (recorded once, emailed to the account's contact, with a PDF letter) and
//! answers with what it did per unit. For a lookback the supplemental result follows
//! the same way. Deadlines: the notice within 3 calendar days and the supplemental
//! result within 45 calendar days of the reactive test.

use crate::components::ComponentView;
use crate::mail::{OutgoingEmail, SentEmail};
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use domain::component::ComponentState;
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use store::{CaseShipmentRow, ComponentRow, NoticeRow, WriteTx};
use uuid::Uuid;

pub use crate::trace::{Trace, TraceConsignee, TraceDonation, TraceUnit};

/// Consignee notification within 3 calendar days of the reactive test (610.46(a)(1)(ii), 610.47(a)(1)(ii)).
pub const NOTICE_DAYS: i64 = 3;
/// Supplemental result to consignees within 45 calendar days of the reactive test (610.46(a)(3), 610.47(a)(3)).
pub const SUPPLEMENTAL_DAYS: i64 = 45;

/// What a hospital may say it did with a unit, in staff's words.
pub const ACTIONS: &[(&str, &str)] =
    &[("quarantined", "Quarantined"), ("transfused", "Already transfused"), ("destroyed", "Destroyed"), ("returned", "Returned to us")];
/// Supplemental test results.
pub const RESULTS: &[(&str, &str)] = &[("positive", "Positive"), ("negative", "Negative"), ("indeterminate", "Indeterminate")];
pub const RECALL_KINDS: &[(&str, &str)] = &[("recall", "Product recall"), ("withdrawal", "Market withdrawal")];

pub(crate) fn title_of(list: &[(&str, &str)], code: &str) -> String {
    list.iter().find(|(c, _)| *c == code).map_or_else(|| code.to_string(), |(_, t)| (*t).to_string())
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseView {
    pub id: Uuid,
    /// `lookback` or `recall`.
    pub kind: String,
    /// `LB-…` (the reactive donation) or `RC-2026-000001`.
    pub number: String,
    pub title: String,
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    /// The donor of a lookback case (for staff who may see donors).
    pub donor_number: Option<String>,
    /// The day of the reactive test the deadlines count from (lookback only).
    pub reactive_on: Option<NaiveDate>,
    pub notice_due_on: Option<NaiveDate>,
    pub supplemental_due_on: Option<NaiveDate>,
    pub result: Option<ResultView>,
    pub units: Vec<CaseUnit>,
    pub consignees: Vec<Consignee>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultView {
    pub result: String,
    pub result_title: String,
    pub tested_on: NaiveDate,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseUnit {
    pub din: String,
    pub product_code: String,
    pub product: String,
    pub state: ComponentState,
    pub state_title: String,
    pub expires_at: DateTime<Utc>,
    /// Where it is, in words: a storage location, a hospital, or its end.
    pub location: String,
    /// Hospitals that received it (codes).
    pub consignees: Vec<String>,
    /// The final disposition as far as known, in words.
    pub disposition: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consignee {
    pub hospital_code: String,
    pub hospital_name: String,
    pub units: Vec<ShippedUnit>,
    pub notice: Option<NoticeView>,
    pub supplemental: Option<NoticeView>,
    /// "sent …", "not sent; due … (overdue by 2 days)".
    pub notice_status: String,
    pub supplemental_status: Option<String>,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShippedUnit {
    pub din: String,
    pub product_code: String,
    pub shipment: String,
    pub shipped_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_kind: String,
    pub hospital_code: String,
    pub hospital_name: String,
    /// `notice` or `supplemental`.
    pub kind: String,
    pub kind_title: String,
    pub due_on: Option<NaiveDate>,
    pub email_to: String,
    pub sent_at: DateTime<Utc>,
    pub sent_by: String,
    pub acknowledged: Option<Acknowledged>,
    /// Not acknowledged and its deadline has passed.
    pub overdue: bool,
    pub units: Vec<NoticeUnit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acknowledged {
    pub at: DateTime<Utc>,
    pub by: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeUnit {
    pub din: String,
    pub product_code: String,
    pub shipment: String,
    pub action: Option<String>,
    pub action_title: Option<String>,
}

/// A letter to a consignee, in words (see `render::document::ConsigneeLetter`).
#[derive(Debug, Clone, PartialEq)]
pub struct Letter {
    pub issuer: Vec<String>,
    pub recipient: Vec<String>,
    pub case: String,
    pub date: String,
    pub subject: String,
    pub reason: String,
    pub units: Vec<LetterUnit>,
    pub action: String,
    pub deadline: String,
    pub acknowledge: String,
    pub contact: String,
    pub signatory: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LetterUnit {
    pub din: String,
    pub product_code: String,
    pub product: String,
    pub group: String,
    pub expiry: String,
    pub shipped: String,
}

/// A notice just sent and what became of its email.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentNotice {
    pub notice: NoticeView,
    pub email: SentEmail,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecallInput {
    /// `recall` or `withdrawal`.
    pub kind: String,
    pub reason: String,
    /// Each a DIN (the whole donation) or a DIN with a product code (one unit).
    pub units: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeInput {
    /// The hospital's code.
    pub hospital: String,
    /// `notice` (default) or `supplemental`.
    #[serde(default)]
    pub kind: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultInput {
    pub result: String,
    pub tested_on: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckUnit {
    pub din: String,
    pub product_code: String,
    pub action: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckInput {
    pub units: Vec<AckUnit>,
    #[serde(default)]
    pub note: String,
}

/// How a deadline stands, in words.
pub fn deadline_words(due: Option<NaiveDate>, done: Option<NaiveDate>, today: NaiveDate) -> String {
    match (due, done) {
        (None, Some(d)) => format!("sent {d}"),
        (None, None) => "not sent".into(),
        (Some(due), Some(d)) if d <= due => format!("sent {d}, in time (due {due})"),
        (Some(due), Some(d)) => format!("sent {d}, {} late (due {due})", days((d - due).num_days())),
        (Some(due), None) if today > due => format!("not sent; overdue by {} (due {due})", days((today - due).num_days())),
        (Some(due), None) if today == due => format!("not sent; due today ({due})"),
        (Some(due), None) => format!("not sent; due {due}, in {}", days((due - today).num_days())),
    }
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// A unit entry of a recall: `DIN` or `DIN PRODUCT-CODE` (spaces and a `/` ignored).
fn parse_unit_entry(raw: &str) -> Option<(String, Option<String>)> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '/').collect::<String>().to_uppercase();
    match s.len() {
        13 => Some((s, None)),
        21 => Some((s[..13].to_string(), Some(s[13..].to_string()))),
        _ => None,
    }
}

/// Holds and quarantines every in-date unit of the case still in the centre's stock that
/// has no open hold of this case yet. Returns the units held.
async fn hold_in_stock(tx: &mut WriteTx, units: &[ComponentRow], case_id: Uuid, kind: &str, reason: &str, by: &str) -> Result<Vec<String>> {
    let now = store::now();
    let mut held = Vec::new();
    for u in units {
        if u.state.is_ended() || u.state == ComponentState::Shipped || u.expires_at <= now {
            continue;
        }
        if tx.open_holds_in_tx(u.id).await?.iter().any(|h| h.source_id == Some(case_id)) {
            continue;
        }
        crate::testing::hold(tx, u, kind, reason, Some(case_id), by).await?;
        if u.state != ComponentState::Quarantine {
            tx.add_component_state(u.id, ComponentState::Quarantine, now, by, Some(reason)).await?;
        }
        held.push(format!("{} {}", u.din, u.product_code));
    }
    Ok(held)
}

/// What the notice and the letter say about a case.
struct CaseFacts {
    kind: String,
    number: String,
    title: String,
    reason: String,
    reactive_on: Option<NaiveDate>,
}

impl App {
    fn lookback_facts(&self, case: &store::LookbackCaseRow, din: Option<&str>) -> CaseFacts {
        let test = crate::testing::rule_of(&case.test_code, case.opened_at.date_naive()).map_or_else(|| case.test_code.clone(), |t| t.title.clone());
        let reactive_on = case.opened_at.with_timezone(&self.settings.time_zone).date_naive();
        CaseFacts {
            kind: "lookback".into(),
            number: format!("LB-{}", din.unwrap_or(&case.id.simple().to_string()[..8])),
            title: format!("Lookback: {test}"),
            reason: format!(
                "A later donation of the donor of these units tested repeatedly reactive for {test} on {reactive_on}. \
                 The units come from earlier donations of the same donor (21 CFR 610.46 / 610.47)."
            ),
            reactive_on: Some(reactive_on),
        }
    }

    fn recall_facts(r: &store::RecallCaseRow) -> CaseFacts {
        CaseFacts {
            kind: "recall".into(),
            number: r.number.clone(),
            title: title_of(RECALL_KINDS, &r.kind),
            reason: r.reason.clone(),
            reactive_on: None,
        }
    }

    /// The case facts read in the write transaction (404 when there is no such case).
    async fn facts_in_tx(&self, tx: &mut WriteTx, case_id: Uuid) -> Result<CaseFacts> {
        if let Some(r) = tx.recall_case_in_tx(case_id).await? {
            return Ok(Self::recall_facts(&r));
        }
        let c = tx.lookback_case_in_tx(case_id).await?.ok_or_else(|| AppError::NotFound("no such lookback or recall case".into()))?;
        let din = self.store.lookback_case(case_id).await?.and_then(|r| r.din);
        Ok(self.lookback_facts(&c, din.as_deref()))
    }

    async fn facts(&self, case_id: Uuid) -> Result<(CaseFacts, Option<String>, DateTime<Utc>, String)> {
        if let Some(r) = self.store.recall_case(case_id).await? {
            return Ok((Self::recall_facts(&r), None, r.opened_at, r.opened_by));
        }
        let c = self.store.lookback_case(case_id).await?.ok_or_else(|| AppError::NotFound("no such lookback or recall case".into()))?;
        Ok((self.lookback_facts(&c.case, c.din.as_deref()), Some(c.donor_number), c.case.opened_at, c.case.opened_by))
    }

    /// Opens a product recall or market withdrawal naming units (a DIN for every unit of
    /// the donation, or DIN and product code). In-date units in stock are held and
    /// quarantined in the same transaction.
    pub async fn open_recall(&self, actor: &Actor, input: &RecallInput) -> Result<CaseView> {
        actor.require(Permission::ManageDeviations)?;
        let mut errs = FieldErrors::default();
        let kind = input.kind.trim();
        if !RECALL_KINDS.iter().any(|(c, _)| *c == kind) {
            errs.0.push(FieldError::new("kind", "choose product recall or market withdrawal"));
        }
        let reason = input.reason.trim();
        if reason.is_empty() {
            errs.0.push(FieldError::new("reason", "say why the units are recalled: the hospitals read it in the letter"));
        }
        let entries: Vec<(usize, &String)> = input.units.iter().enumerate().filter(|(_, u)| !u.trim().is_empty()).collect();
        if entries.is_empty() {
            errs.0.push(FieldError::new("units", "name at least one unit: a DIN, or a DIN and its product code"));
        }
        let mut parsed = Vec::new();
        for (i, raw) in &entries {
            match parse_unit_entry(raw) {
                Some(p) => parsed.push((*i, raw.trim().to_string(), p)),
                None => errs.0.push(FieldError::new(
                    format!("units[{i}]"),
                    format!("'{}' is neither a DIN (13 characters) nor a DIN with a product code (13 + 8)", raw.trim()),
                )),
            }
        }
        if !errs.is_empty() {
            return Err(errs.into());
        }
        let mut tx = self.store.begin_write().await?;
        let mut units: Vec<ComponentRow> = Vec::new();
        for (i, raw, (din, code)) in parsed {
            let found = match code {
                Some(code) => tx.component_for_update(&din, &code).await?.into_iter().collect::<Vec<_>>(),
                None => match tx.donation_by_din(&din).await? {
                    Some(d) => tx.components_of_donation_for_update(d.id).await?,
                    None => vec![],
                },
            };
            if found.is_empty() {
                errs.0.push(FieldError::new(format!("units[{i}]"), format!("no unit {raw} on record")));
            }
            for u in found {
                if !units.iter().any(|x| x.id == u.id) {
                    units.push(u);
                }
            }
        }
        if !errs.is_empty() {
            return Err(errs.into());
        }
        let now = store::now();
        let year = now.with_timezone(&self.settings.time_zone).year();
        let seq = tx.next_document_number("RC", year).await?;
        let row = store::RecallCaseRow {
            id: Uuid::now_v7(),
            number: format!("RC-{year}-{seq:06}"),
            kind: kind.to_string(),
            reason: reason.to_string(),
            opened_at: now,
            opened_by: actor.username.clone(),
        };
        tx.insert_recall_case(&row, &units.iter().map(|u| u.id).collect::<Vec<_>>()).await?;
        let why = format!("{} {}: {}", title_of(RECALL_KINDS, kind).to_lowercase(), row.number, reason);
        let held = hold_in_stock(&mut tx, &units, row.id, "recall", &why, &actor.username).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "recall.open", "recall_case", row.id).after(serde_json::json!({
            "number": row.number, "kind": kind, "reason": reason,
            "units": units.iter().map(|u| format!("{} {}", u.din, u.product_code)).collect::<Vec<_>>(),
            "quarantined": held,
        })))
        .await?;
        tx.commit().await?;
        self.consignee_case(actor, row.id).await
    }

    /// Records the supplemental (confirmatory) result of a lookback case, once.
    pub async fn record_supplemental_result(&self, actor: &Actor, case_id: Uuid, input: &ResultInput) -> Result<CaseView> {
        actor.require(Permission::ManageDeviations)?;
        let mut errs = FieldErrors::default();
        let result = input.result.trim();
        if !RESULTS.iter().any(|(c, _)| *c == result) {
            errs.0.push(FieldError::new("result", "the supplemental result is positive, negative or indeterminate"));
        }
        let tested_on = match NaiveDate::parse_from_str(input.tested_on.trim(), "%Y-%m-%d") {
            Ok(d) if d > self.today() => {
                errs.0.push(FieldError::new("tested_on", "the test day cannot be in the future"));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                errs.0.push(FieldError::new("tested_on", "give the day of the supplemental test as YYYY-MM-DD"));
                None
            }
        };
        if !errs.is_empty() {
            return Err(errs.into());
        }
        let mut tx = self.store.begin_write().await?;
        if tx.recall_case_in_tx(case_id).await?.is_some() {
            return Err(AppError::Conflict("a recall has no supplemental test result; only a lookback case does".into()));
        }
        let case = tx.lookback_case_in_tx(case_id).await?.ok_or_else(|| AppError::NotFound("no such lookback case".into()))?;
        if let Some(r) = tx.lookback_result_in_tx(case_id).await? {
            return Err(AppError::Conflict(format!(
                "the supplemental result was recorded already: {} on {}, by {}",
                r.result, r.tested_on, r.recorded_by
            )));
        }
        let row = store::LookbackResultRow {
            case_id,
            result: result.to_string(),
            tested_on: tested_on.expect("checked"),
            recorded_at: store::now(),
            recorded_by: actor.username.clone(),
        };
        tx.insert_lookback_result(&row).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "lookback.supplemental_result", "lookback_case", case.id)
                .after(serde_json::json!({"result": row.result, "tested_on": row.tested_on})),
        )
        .await?;
        tx.commit().await?;
        self.consignee_case(actor, case_id).await
    }

    /// Sends a notice of the case to one consignee: recorded once per case, hospital and
    /// kind; in-date units of the case still in stock are held in the same transaction;
    /// then emailed to the account's contact.
    pub async fn send_consignee_notice(&self, actor: &Actor, case_id: Uuid, input: &NoticeInput) -> Result<SentNotice> {
        actor.require(Permission::ManageDeviations)?;
        let kind = match input.kind.trim() {
            "" | "notice" => "notice",
            "supplemental" => "supplemental",
            _ => return Err(FieldError::new("kind", "a notice is the first notice or the supplemental result").into()),
        };
        let code = input.hospital.trim().to_uppercase();
        if code.is_empty() {
            return Err(FieldError::new("hospital", "name the hospital (its code)").into());
        }
        let mut tx = self.store.begin_write().await?;
        let facts = self.facts_in_tx(&mut tx, case_id).await?;
        let hospital = tx.hospital_by_code(&code).await?.ok_or_else(|| FieldError::new("hospital", format!("no hospital {code}")))?;
        let units = tx.case_units_for_update(case_id).await?;
        let shipped: Vec<CaseShipmentRow> = tx.case_shipments_in_tx(case_id).await?.into_iter().filter(|s| s.hospital_id == hospital.id).collect();
        if shipped.is_empty() {
            return Err(AppError::Conflict(format!("{code} received no unit of case {}: there is nothing to notify", facts.number)));
        }
        if kind == "supplemental" {
            if facts.kind != "lookback" {
                return Err(AppError::Conflict("a recall has no supplemental result to send".into()));
            }
            if tx.lookback_result_in_tx(case_id).await?.is_none() {
                return Err(AppError::Conflict("record the supplemental test result of the case first".into()));
            }
        }
        if let Some(n) = tx.notice_sent_in_tx(case_id, hospital.id, kind).await? {
            return Err(AppError::Conflict(format!(
                "the {} of case {} was sent to {code} already, by {} at {}",
                if kind == "notice" { "notice" } else { "supplemental result" },
                facts.number,
                n.sent_by,
                self.local_time(n.sent_at)
            )));
        }
        let Some(email_to) = hospital.fields.contact_email.clone().filter(|e| !e.trim().is_empty()) else {
            return Err(AppError::Conflict(format!("{code} has no contact email: record one on the hospital account first")));
        };
        let due_on = facts.reactive_on.map(|d| d + Duration::days(if kind == "notice" { NOTICE_DAYS } else { SUPPLEMENTAL_DAYS }));
        let hold_kind = if facts.kind == "lookback" { "lookback" } else { "recall" };
        let held = hold_in_stock(&mut tx, &units, case_id, hold_kind, &format!("{}: {}", facts.number, facts.title), &actor.username).await?;
        let row = store::ConsigneeNotificationRow {
            id: Uuid::now_v7(),
            case_id,
            case_kind: facts.kind.clone(),
            hospital_id: hospital.id,
            kind: kind.to_string(),
            due_on,
            email_to: email_to.clone(),
            sent_at: store::now(),
            sent_by: actor.username.clone(),
        };
        let named: Vec<(Uuid, String)> = shipped.iter().map(|s| (s.component_id, s.shipment_number.clone())).collect();
        tx.insert_notice(&row, &named).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "consignee.notify", "consignee_notification", row.id).after(serde_json::json!({
            "case": facts.number, "hospital": code, "kind": kind, "due_on": due_on, "email_to": email_to,
            "units": shipped.iter().map(|s| format!("{} {}", s.din, s.product_code)).collect::<Vec<_>>(),
            "quarantined": held,
        })))
        .await?;
        tx.commit().await?;
        let result = if kind == "supplemental" { self.store.lookback_result(case_id).await? } else { None };
        let mut text = format!("{}\n\nCase {}: {}\n\n{}\n\nUnits you received:\n", hospital.fields.name, facts.number, facts.title, facts.reason);
        for s in &shipped {
            text.push_str(&format!("  {} {} (shipment {}, shipped {})\n", s.din, s.product_code, s.shipment_number, self.local_time(s.shipped_at)));
        }
        if let Some(r) = &result {
            text.push_str(&format!("\nSupplemental test result: {} (tested {}).\n", title_of(RESULTS, &r.result), r.tested_on));
        } else {
            text.push_str("\nPlease quarantine any of these units you still hold and tell us, per unit, what you did: quarantined, already transfused, destroyed or returned.\n");
        }
        text.push_str(&format!(
            "\nAcknowledge in the hospital portal: {}\nThe letter (PDF): {}\n{}\n",
            self.public_link("/portal/notices"),
            self.public_link(&format!("/quality/lookback/{case_id}/letters/{code}.pdf")),
            due_on.map(|d| format!("Please answer by {d}.")).unwrap_or_default()
        ));
        let email = OutgoingEmail {
            to: email_to,
            subject: format!(
                "{} {}: {} — units shipped to {code}",
                if kind == "notice" { "Notice" } else { "Supplemental result" },
                facts.number,
                facts.title
            ),
            text,
            kind: format!("consignee.{kind}"),
            related: Some(row.id.to_string()),
            ..Default::default()
        };
        // The notice is recorded; a mail server that cannot be reached is reported with
        // it (and kept in the sent-email log), not as a failure of the notice.
        let sent = match self.send_email(&email).await {
            Ok(sent) => sent,
            Err(AppError::Unavailable(e)) => SentEmail { id: Uuid::nil(), status: crate::mail::EmailStatus::Failed, error: Some(e) },
            Err(e) => return Err(e),
        };
        let notice = self.notice_view(self.store.notice(row.id).await?.expect("just written"), self.today()).await?;
        Ok(SentNotice { notice, email: sent })
    }

    async fn notice_view(&self, n: NoticeRow, today: NaiveDate) -> Result<NoticeView> {
        let units = self
            .store
            .notice_units(n.notice.id)
            .await?
            .into_iter()
            .map(|u| NoticeUnit {
                din: u.din,
                product_code: u.product_code,
                shipment: u.shipment_number,
                action_title: u.action.as_deref().map(|a| title_of(ACTIONS, a)),
                action: u.action,
            })
            .collect();
        let acknowledged = match (n.acknowledged_at, n.acknowledged_by) {
            (Some(at), Some(by)) => Some(Acknowledged { at, by, note: n.note.unwrap_or_default() }),
            _ => None,
        };
        Ok(NoticeView {
            id: n.notice.id,
            case_id: n.notice.case_id,
            case_kind: n.notice.case_kind,
            hospital_code: n.hospital_code,
            hospital_name: n.hospital_name,
            kind_title: if n.notice.kind == "notice" { "Notice to quarantine".into() } else { "Supplemental result".into() },
            kind: n.notice.kind,
            overdue: acknowledged.is_none() && n.notice.due_on.is_some_and(|d| d < today),
            due_on: n.notice.due_on,
            email_to: n.notice.email_to,
            sent_at: n.notice.sent_at,
            sent_by: n.notice.sent_by,
            acknowledged,
            units,
        })
    }

    /// A case with its units, where they are, its consignees and their notices.
    /// Staff who may see donors (and quality) only.
    pub async fn consignee_case(&self, actor: &Actor, case_id: Uuid) -> Result<CaseView> {
        actor.require(Permission::ViewDonors)?;
        let (facts, donor_number, opened_at, opened_by) = self.facts(case_id).await?;
        let today = self.today();
        let shipments = self.store.case_shipments(case_id).await?;
        let notices = self.store.notices_of_case(case_id).await?;
        let mut consignees: BTreeMap<String, Consignee> = BTreeMap::new();
        for s in &shipments {
            let c = consignees.entry(s.hospital_code.clone()).or_insert_with(|| Consignee {
                hospital_code: s.hospital_code.clone(),
                hospital_name: s.hospital_name.clone(),
                units: vec![],
                notice: None,
                supplemental: None,
                notice_status: String::new(),
                supplemental_status: None,
                overdue: false,
            });
            c.units.push(ShippedUnit {
                din: s.din.clone(),
                product_code: s.product_code.clone(),
                shipment: s.shipment_number.clone(),
                shipped_at: s.shipped_at,
            });
        }
        let mut actions: BTreeMap<(String, String), String> = BTreeMap::new();
        for n in notices {
            let v = self.notice_view(n, today).await?;
            for u in &v.units {
                if let Some(a) = &u.action_title {
                    actions.insert((u.din.clone(), u.product_code.clone()), format!("{a} (reported by {})", v.hospital_code));
                }
            }
            if let Some(c) = consignees.get_mut(&v.hospital_code) {
                if v.kind == "notice" {
                    c.notice = Some(v);
                } else {
                    c.supplemental = Some(v);
                }
            }
        }
        let notice_due_on = facts.reactive_on.map(|d| d + Duration::days(NOTICE_DAYS));
        let supplemental_due_on = facts.reactive_on.map(|d| d + Duration::days(SUPPLEMENTAL_DAYS));
        let local = |at: DateTime<Utc>| at.with_timezone(&self.settings.time_zone).date_naive();
        for c in consignees.values_mut() {
            let sent = c.notice.as_ref().map(|n| local(n.sent_at));
            c.notice_status = deadline_words(notice_due_on, sent, today);
            if let Some(n) = &c.notice {
                c.notice_status.push_str(&match &n.acknowledged {
                    Some(a) => format!("; acknowledged {} by {}", self.local_time(a.at), a.by),
                    None => "; not acknowledged yet".into(),
                });
            }
            if facts.kind == "lookback" {
                c.supplemental_status = Some(deadline_words(supplemental_due_on, c.supplemental.as_ref().map(|n| local(n.sent_at)), today));
            }
            c.overdue = (sent.is_none() && notice_due_on.is_some_and(|d| today > d))
                || (c.supplemental.is_none() && supplemental_due_on.is_some_and(|d| today > d))
                || c.notice.as_ref().is_some_and(|n| n.overdue);
        }
        let mut units = Vec::new();
        for r in self.store.case_units(case_id).await? {
            let v = ComponentView::of(&r.unit);
            let mine: Vec<&CaseShipmentRow> = shipments.iter().filter(|s| s.component_id == r.unit.id).collect();
            let location = place_words(&r, mine.last().copied());
            let disposition = match (&r.disposition, actions.get(&(r.unit.din.clone(), r.unit.product_code.clone()))) {
                (Some(d), _) => format!("{} (reported by the hospital)", title_of(DISPOSITIONS, d)),
                (None, Some(a)) => a.clone(),
                (None, None) if r.unit.state.is_ended() => v.state_title.clone(),
                (None, None) if r.unit.state == ComponentState::Shipped => "not reported yet".into(),
                (None, None) => format!("{} at the centre", v.state_title),
            };
            units.push(CaseUnit {
                din: v.din,
                product_code: v.product_code,
                product: v.product,
                state: v.state,
                state_title: v.state_title,
                expires_at: v.expires_at,
                location,
                consignees: mine.iter().map(|s| s.hospital_code.clone()).collect(),
                disposition,
            });
        }
        let result = if facts.kind == "lookback" {
            self.store.lookback_result(case_id).await?.map(|r| ResultView {
                result_title: title_of(RESULTS, &r.result),
                result: r.result,
                tested_on: r.tested_on,
                recorded_by: r.recorded_by,
            })
        } else {
            None
        };
        Ok(CaseView {
            id: case_id,
            kind: facts.kind,
            number: facts.number,
            title: facts.title,
            reason: facts.reason,
            opened_at,
            opened_by,
            donor_number,
            reactive_on: facts.reactive_on,
            notice_due_on,
            supplemental_due_on,
            result,
            units,
            consignees: consignees.into_values().collect(),
        })
    }

    /// Recall cases, newest first, as (id, number, title, reason, opened).
    pub async fn recall_cases(&self, actor: &Actor, limit: i64) -> Result<Vec<CaseView>> {
        actor.require(Permission::ViewDonors)?;
        let mut out = Vec::new();
        for r in self.store.recall_cases(limit).await? {
            out.push(self.consignee_case(actor, r.id).await?);
        }
        Ok(out)
    }

    /// Notices: a hospital user sees its own; staff who may see donors see all.
    pub async fn consignee_notices(&self, actor: &Actor, limit: i64) -> Result<Vec<NoticeView>> {
        let hospital = match actor.hospital_id {
            Some(h) => Some(h),
            None => {
                actor.require(Permission::ViewDonors)?;
                None
            }
        };
        let today = self.today();
        let mut out = Vec::new();
        for n in self.store.notices(hospital, limit).await? {
            out.push(self.notice_view(n, today).await?);
        }
        Ok(out)
    }

    /// One notice; another hospital's is not found.
    pub async fn consignee_notice(&self, actor: &Actor, id: Uuid) -> Result<NoticeView> {
        let n = self.store.notice(id).await?.ok_or_else(|| AppError::NotFound("no such notice".into()))?;
        match actor.hospital_id {
            Some(h) if h != n.notice.hospital_id => return Err(AppError::NotFound("no such notice".into())),
            Some(_) => {}
            None => actor.require(Permission::ViewDonors)?,
        }
        self.notice_view(n, self.today()).await
    }

    /// The hospital's answer to a notice: for every unit named, what it did. Once; only
    /// the hospital the notice went to (another's is not found).
    pub async fn acknowledge_notice(&self, actor: &Actor, id: Uuid, input: &AckInput) -> Result<NoticeView> {
        actor.require(Permission::ReportDispositions)?;
        let Some(own) = actor.hospital_id else {
            return Err(AppError::Forbidden("only the hospital that received the notice acknowledges it".into()));
        };
        let mut errs = FieldErrors::default();
        for (i, u) in input.units.iter().enumerate() {
            if !ACTIONS.iter().any(|(c, _)| *c == u.action.trim()) {
                errs.0.push(FieldError::new(
                    format!("units[{i}].action"),
                    format!("say what you did with the unit: {}", ACTIONS.iter().map(|(_, t)| t.to_lowercase()).collect::<Vec<_>>().join(", ")),
                ));
            }
        }
        if input.units.is_empty() {
            errs.0.push(FieldError::new("units", "say for every unit named what you did with it"));
        }
        if !errs.is_empty() {
            return Err(errs.into());
        }
        let mut tx = self.store.begin_write().await?;
        let n = tx.notice_for_update(id).await?.filter(|n| n.notice.hospital_id == own).ok_or_else(|| AppError::NotFound("no such notice".into()))?;
        if let (Some(at), Some(by)) = (n.acknowledged_at, &n.acknowledged_by) {
            return Err(AppError::Conflict(format!("this notice was acknowledged already, by {by} at {}", self.local_time(at))));
        }
        let named = tx.notice_units_in_tx(id).await?;
        let mut answers: Vec<(Uuid, String)> = Vec::new();
        for (i, u) in input.units.iter().enumerate() {
            let din: String = u.din.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
            let code = u.product_code.trim().to_uppercase();
            match named.iter().find(|x| x.din == din && x.product_code == code) {
                None => errs.0.push(FieldError::new(format!("units[{i}]"), format!("{din} {code} is not named in this notice"))),
                Some(x) if answers.iter().any(|(c, _)| *c == x.component_id) => {
                    errs.0.push(FieldError::new(format!("units[{i}]"), format!("{din} {code} is listed twice")))
                }
                Some(x) => answers.push((x.component_id, u.action.trim().to_string())),
            }
        }
        let missing: Vec<String> =
            named.iter().filter(|x| !answers.iter().any(|(c, _)| *c == x.component_id)).map(|x| format!("{} {}", x.din, x.product_code)).collect();
        if errs.is_empty() && !missing.is_empty() {
            errs.0.push(FieldError::new("units", format!("say what you did with every unit named; missing: {}", missing.join(", "))));
        }
        if !errs.is_empty() {
            return Err(errs.into());
        }
        let now = store::now();
        tx.insert_acknowledgement(id, input.note.trim(), now, &actor.username, &answers).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "consignee.acknowledge", "consignee_notification", id).after(serde_json::json!({
            "hospital": n.hospital_code, "note": input.note.trim(),
            "units": named.iter().map(|x| {
                let a = answers.iter().find(|(c, _)| *c == x.component_id).map(|(_, a)| a.as_str()).unwrap_or_default();
                serde_json::json!({"din": x.din, "product_code": x.product_code, "action": a})
            }).collect::<Vec<_>>(),
        })))
        .await?;
        tx.commit().await?;
        self.consignee_notice(actor, id).await
    }

    /// What the letter to one consignee says (the web layer draws it as a PDF). A
    /// hospital user gets its own only.
    pub async fn consignee_letter(&self, actor: &Actor, case_id: Uuid, hospital_code: &str) -> Result<Letter> {
        let code = hospital_code.trim().to_uppercase();
        let (facts, _, _, _) = self.facts(case_id).await?;
        let shipped: Vec<CaseShipmentRow> = self.store.case_shipments(case_id).await?.into_iter().filter(|s| s.hospital_code == code).collect();
        let not_found = || AppError::NotFound(format!("no letter of this case for {code}"));
        let first = shipped.first().ok_or_else(not_found)?;
        match actor.hospital_id {
            Some(h) if h != first.hospital_id => return Err(not_found()),
            Some(_) => {}
            None => actor.require(Permission::ViewDonors)?,
        }
        let hospital = self.store.hospital(first.hospital_id).await?.ok_or_else(not_found)?;
        let notices = self.store.notices_of_case(case_id).await?;
        let notice = notices.iter().find(|n| n.notice.hospital_id == first.hospital_id && n.notice.kind == "notice");
        let result = self.store.lookback_result(case_id).await?;
        let due = notice.and_then(|n| n.notice.due_on).or(facts.reactive_on.map(|d| d + Duration::days(NOTICE_DAYS)));
        let mut units = Vec::new();
        for s in &shipped {
            let Some(u) = self.store.component(&s.din, &s.product_code).await? else { continue };
            let v = ComponentView::of(&u);
            let group = self.store.released_group_of(u.id).await?.unwrap_or_else(|| "—".into());
            units.push(LetterUnit {
                din: s.din.clone(),
                product_code: s.product_code.clone(),
                product: v.product,
                group,
                expiry: self.local_time(u.expires_at),
                shipped: format!("{} {}", s.shipment_number, self.local_time(s.shipped_at)),
            });
        }
        let mut reason = facts.reason.clone();
        if let Some(r) = &result {
            reason.push_str(&format!(" Supplemental test result: {} (tested {}).", title_of(RESULTS, &r.result), r.tested_on));
        }
        let f = &hospital.fields;
        Ok(Letter {
            issuer: vec![self.settings.facility_name.clone()],
            recipient: [Some(f.name.clone()), f.contact_name.clone(), f.address.clone(), f.city.clone()].into_iter().flatten().collect(),
            case: facts.number.clone(),
            date: notice.map_or_else(|| self.today().to_string(), |n| self.local_time(n.notice.sent_at)),
            subject: facts.title.clone(),
            reason,
            units,
            action: "Quarantine at once every unit listed that you still hold. For each unit, tell us what you did: quarantined, \
                     already transfused, destroyed or returned to us. If a unit was transfused, your transfusion service decides on \
                     recipient notification once the supplemental result is known (21 CFR 610.46(b), 610.47(b))."
                .into(),
            deadline: due.map_or_else(|| "as soon as possible".into(), |d| d.to_string()),
            acknowledge: format!(
                "In the hospital portal ({}) under Notices, or by the API (POST /api/v1/consignee-notifications/{{id}}/acknowledgement), \
                 or sign and return this letter.",
                self.public_link("/portal/notices")
            ),
            contact: format!("Questions: quality department of {}.", self.settings.facility_name),
            signatory: vec!["Quality assurance".into(), self.settings.facility_name.clone()],
        })
    }
}

pub(crate) const DISPOSITIONS: &[(&str, &str)] = &[("transfused", "Transfused"), ("wasted", "Wasted"), ("expired", "Expired")];

pub(crate) fn place_words(r: &store::CaseUnitRow, last: Option<&CaseShipmentRow>) -> String {
    match (r.unit.state, last) {
        (ComponentState::Shipped, Some(s)) => format!("at {} ({}), shipment {}", s.hospital_name, s.hospital_code, s.shipment_number),
        (s, _) if s.is_ended() => match (&r.disposition, last) {
            (Some(_), Some(h)) => format!("at {} ({})", h.hospital_name, h.hospital_code),
            _ => s.title().to_string(),
        },
        _ => match (&r.location_name, &r.location_code) {
            (Some(n), Some(c)) => format!("in stock: {n} ({c})"),
            _ => "in stock at the centre (no storage place recorded)".into(),
        },
    }
}

#[cfg(test)]
mod tests;
