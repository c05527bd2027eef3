//! Donation testing: the orders a donation gets at collection (from the testing rules in
//! force), results entered by hand, and what a final reactive result sets off in the
//! same transaction — every unit of the donation quarantined, the donor deferred through
//! the register, a donor notification task, and a lookback case whose earlier in-date
//! units in stock are quarantined too.

use crate::donor_facts::SiteClocks;
use crate::{Actor, App, AppError, Result};
use chrono::{Duration, NaiveDate, Utc};
use domain::component::ComponentState;
use domain::testing::{next, Confirmation, Order, OrderContext, Phase, PriorTest, Reading, Status, TestKind, TestRule, TestingBook};
use domain::{AuditDraft, BloodGroup, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use store::{DonationRow, HoldRow, LookbackCaseRow, NotificationRow, TestOrderRow, TestResultRow, WriteTx};
use uuid::Uuid;

/// The reviewed testing rules.
pub fn testing_book() -> &'static TestingBook {
    static BOOK: OnceLock<TestingBook> = OnceLock::new();
    BOOK.get_or_init(TestingBook::defaults)
}

/// The rule of a test, from the version in force on the donation's day.
pub(crate) fn rule_of(code: &str, day: NaiveDate) -> Option<&'static TestRule> {
    testing_book().in_force(day).and_then(|v| v.test(code))
}

/// Where a stored status stands, read back.
pub(crate) fn parse_status(s: &str) -> Status {
    match s {
        "nonreactive" => Status::Nonreactive,
        "reactive" => Status::Reactive,
        "awaiting_repeat_1" => Status::AwaitingRepeat { done: 1 },
        "awaiting_repeat_0" => Status::AwaitingRepeat { done: 0 },
        _ => Status::Pending,
    }
}

fn status_text(s: Status) -> String {
    match s {
        Status::Pending => "pending".into(),
        Status::AwaitingRepeat { done } => format!("awaiting_repeat_{done}"),
        Status::Nonreactive => "nonreactive".into(),
        Status::Reactive => "reactive".into(),
    }
}

/// Days within which a deferred donor is to be notified (reference 1.4: 8 weeks, [M]).
const NOTIFY_WITHIN_DAYS: i64 = 56;
/// Days within which a lookback's record review is due (21 CFR 610.46(a)(1)(ii)).
const LOOKBACK_REVIEW_DAYS: i64 = 3;

/// A result as entered.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultInput {
    /// The test's code (`HIV_AB`) or its title.
    pub test: String,
    /// initial (default), repeat, confirmatory.
    #[serde(default)]
    pub phase: String,
    /// reactive / non-reactive; for ABO/RhD the group (`O-`); positive / negative.
    pub value: String,
}

/// One test of a donation as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestLine {
    pub code: String,
    pub title: String,
    pub why: String,
    pub status: Status,
    pub status_title: String,
    pub results: Vec<ResultLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultLine {
    pub phase: String,
    pub value: String,
    pub entered_at: chrono::DateTime<Utc>,
    pub entered_by: String,
    pub source: String,
}

/// A donation's testing: the orders with their results, and what is still open.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DonationTesting {
    pub din: String,
    pub rules_version: Option<String>,
    pub tests: Vec<TestLine>,
    /// Every required test final.
    pub complete: bool,
    /// A final reactive result on a test that blocks release.
    pub reactive: Vec<String>,
    /// The ABO/RhD determined on this donation.
    pub blood_group: Option<String>,
    pub lookback_cases: Vec<LookbackView>,
    /// Attributes a negative special test gives the donation's units ("CMV-negative").
    pub special_attributes: Vec<String>,
    /// Special tests that may still be ordered on request: (code, title).
    pub orderable: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookbackView {
    pub test: String,
    pub window_from: NaiveDate,
    pub review_due_on: NaiveDate,
    /// Earlier donations looked at, by DIN.
    pub donations: Vec<String>,
}

/// What entering a result did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultOutcome {
    pub testing: DonationTesting,
    pub status: Status,
    /// Units put in quarantine by this result (DIN and product code).
    pub quarantined: Vec<String>,
    pub deferred: bool,
    pub notification_due_on: Option<NaiveDate>,
    pub lookback_donations: Vec<String>,
    /// Units released in an emergency before this result: recorded as alerts.
    pub emergency_alerts: Vec<String>,
}

pub(crate) fn lines(orders: &[TestOrderRow], results: &[TestResultRow]) -> Vec<TestLine> {
    orders
        .iter()
        .map(|o| {
            let mine: Vec<&TestResultRow> = results.iter().filter(|r| r.order_id == o.id).collect();
            let status = mine.last().map_or(Status::Pending, |r| parse_status(&r.status_after));
            TestLine {
                code: o.test_code.clone(),
                title: o.title.clone(),
                why: o.why.clone(),
                status,
                status_title: status.title(),
                results: mine
                    .iter()
                    .map(|r| ResultLine {
                        phase: r.phase.clone(),
                        value: r.value.clone(),
                        entered_at: r.entered_at,
                        entered_by: r.entered_by.clone(),
                        source: r.source.clone(),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The group a donation's ABO/RhD typing gave, if final.
pub(crate) fn typed_group(orders: &[TestOrderRow], results: &[TestResultRow]) -> Option<BloodGroup> {
    let order = orders.iter().find(|o| rule_kind(&o.test_code) == Some(TestKind::Typing))?;
    results.iter().rev().find(|r| r.order_id == order.id).and_then(|r| BloodGroup::parse(&r.value).ok())
}

fn rule_kind(code: &str) -> Option<TestKind> {
    testing_book().versions().iter().rev().find_map(|v| v.test(code)).map(|t| t.kind)
}

impl App {
    /// Orders the tests a donation needs, in the collection's transaction (the donor's
    /// rows are locked by the caller, so the history read is the one decided on).
    pub(crate) async fn order_donation_tests(
        &self,
        tx: &mut WriteTx,
        by: &str,
        donation: &DonationRow,
        family: &[Uuid],
        region: Option<&str>,
        day: NaiveDate,
    ) -> Result<(String, Vec<Order>)> {
        let history = tx
            .prior_tests(family)
            .await?
            .into_iter()
            .map(|p| PriorTest { code: p.test_code, collected_on: p.collected_at.date_naive(), nonreactive: p.status_after == "nonreactive" })
            .collect();
        let ctx = OrderContext { procedure: donation.procedure, collected_on: day, region: region.map(str::to_string), history };
        let (version, orders) = domain::testing::orders_for(testing_book(), &ctx).map_err(|e| AppError::Conflict(e.to_string()))?;
        for o in &orders {
            tx.insert_test_order(&TestOrderRow {
                id: Uuid::now_v7(),
                donation_id: donation.id,
                test_code: o.code.clone(),
                title: o.title.clone(),
                rules_version: version.clone(),
                why: o.why.clone(),
                ordered_at: store::now(),
                ordered_by: by.to_string(),
            })
            .await?;
        }
        Ok((version, orders))
    }

    /// A donation's tests with their results.
    pub async fn donation_testing(&self, actor: &Actor, din: &str) -> Result<DonationTesting> {
        actor.require(Permission::ViewDonors)?;
        let din = crate::components::parse_din(din)?;
        let d = self.store.donation_with_din(&din).await?.ok_or_else(|| AppError::NotFound(format!("no donation has the DIN {din}")))?;
        let orders = self.store.test_orders_of(d.id).await?;
        let results = self.store.test_results_of(d.id).await?;
        let mut cases = Vec::new();
        for c in self.store.lookback_cases_of(d.id).await? {
            let dins = self.store.lookback_dins(c.id).await?;
            cases.push(LookbackView { test: c.test_code, window_from: c.window_from, review_due_on: c.review_due_on, donations: dins });
        }
        Ok(testing_view(&din, &orders, &results, cases))
    }

    /// Enters one result. The donation's row is locked; the result must be the next one
    /// the test waits for. A final reactive result quarantines, defers, notifies and
    /// looks back in the same transaction.
    pub async fn record_test_result(&self, actor: &Actor, din: &str, input: &ResultInput) -> Result<ResultOutcome> {
        actor.require(Permission::RecordTestResults)?;
        let din = crate::components::parse_din(din)?;
        let mut tx = self.store.begin_write().await?;
        let out = self.apply_result(&mut tx, actor, &din, input, "manual", None).await?;
        tx.commit().await?;
        let mut out = out;
        out.testing = self.donation_testing(actor, &din).await?;
        Ok(out)
    }

    /// One result in a transaction (by hand, or a row of an instrument file).
    pub(crate) async fn apply_result(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        din: &str,
        input: &ResultInput,
        source: &str,
        import_key: Option<String>,
    ) -> Result<ResultOutcome> {
        let d = tx.donation_with_din_for_update(din).await?.ok_or_else(|| AppError::NotFound(format!("no donation has the DIN {din}")))?;
        let sites = tx.list_sites().await?;
        let clocks = SiteClocks::new(self.settings.time_zone, &sites);
        let day = clocks.day_at(d.site_id, d.collected_at);
        let orders = tx.test_orders_in_tx(d.id).await?;
        let wanted = input.test.trim();
        let mut e = FieldErrors::default();
        let order = orders.iter().find(|o| o.test_code.eq_ignore_ascii_case(wanted) || o.title.eq_ignore_ascii_case(wanted));
        if order.is_none() {
            let ordered: Vec<&str> = orders.iter().map(|o| o.test_code.as_str()).collect();
            e.0.push(FieldError::new(
                "test",
                if ordered.is_empty() {
                    format!("'{wanted}' was not ordered: donation {din} has no test orders")
                } else {
                    format!("'{wanted}' was not ordered for donation {din} (ordered: {})", ordered.join(", "))
                },
            ));
        }
        let phase = Phase::parse(&input.phase);
        if phase.is_none() {
            e.0.push(FieldError::new("phase", format!("'{}' is not a phase: initial, repeat or confirmatory", input.phase.trim())));
        }
        let rule = order.and_then(|o| rule_of(&o.test_code, day));
        if order.is_some() && rule.is_none() {
            return Err(AppError::Conflict(format!("the testing rules in force on {day} do not know {wanted}")));
        }
        let value = input.value.trim();
        // What the value means for this test.
        let (reading, stored): (Option<Reading>, String) = match (rule.map(|r| r.kind), phase) {
            (_, Some(Phase::Confirmatory)) => match Confirmation::parse(value) {
                Some(c) => (Some(Reading::Reactive), serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()),
                None => {
                    e.0.push(FieldError::new("value", format!("'{value}' is not a confirmatory result: positive, negative or indeterminate")));
                    (None, String::new())
                }
            },
            (Some(TestKind::Typing), _) => match BloodGroup::parse(value) {
                Ok(g) => (Some(Reading::Nonreactive), g.to_string()),
                Err(_) => {
                    e.0.push(FieldError::new("value", format!("'{value}' is not an ABO/RhD group; write e.g. O- or AB+")));
                    (None, String::new())
                }
            },
            (Some(_), _) => match Reading::parse(value) {
                Some(r) => (Some(r), if r == Reading::Reactive { "reactive".into() } else { "nonreactive".into() }),
                None => {
                    e.0.push(FieldError::new("value", format!("'{value}' is not a result: reactive or non-reactive (positive or negative)")));
                    (None, String::new())
                }
            },
            (None, _) => (None, String::new()),
        };
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let (order, rule, phase, reading) = (order.expect("checked"), rule.expect("checked"), phase.expect("checked"), reading.expect("checked"));
        let results = tx.test_results_in_tx(d.id).await?;
        let mine: Vec<&TestResultRow> = results.iter().filter(|r| r.order_id == order.id).collect();
        let before = mine.last().map_or(Status::Pending, |r| parse_status(&r.status_after));
        let after = if rule.kind == TestKind::Typing {
            if before.is_final() {
                return Err(AppError::Conflict(format!(
                    "{} of donation {din} is final ({}); a retyping goes to the donor's blood group record",
                    rule.title,
                    mine.last().map(|r| r.value.as_str()).unwrap_or("")
                )));
            }
            if phase != Phase::Initial {
                return Err(FieldError::new("phase", "ABO/RhD typing has one result").into());
            }
            Status::Nonreactive
        } else {
            next(rule, before, phase, reading).map_err(|e| match e {
                domain::testing::TestingError::Result { field, message } => AppError::Invalid(FieldErrors(vec![FieldError::new(field, message)])),
                other => AppError::Conflict(other.to_string()),
            })?
        };
        tx.insert_test_result(&TestResultRow {
            id: Uuid::now_v7(),
            order_id: order.id,
            seq: results.iter().map(|r| r.seq).max().unwrap_or(0) + 1,
            phase: phase.title().to_string(),
            value: stored.clone(),
            status_after: status_text(after),
            entered_at: store::now(),
            entered_by: actor.username.clone(),
            source: source.to_string(),
            import_key,
        })
        .await?;
        let locked = tx.lock_donor_family(store::DonorKey::Id(d.donor_id)).await?.ok_or_else(|| AppError::NotFound("the donation's donor".into()))?;
        let donor_number = locked.donor.donor_number.clone();
        tx.append_audit(
            AuditDraft::new(&actor.username, "donation.test_result", "donation", d.id)
                .donor(&donor_number)
                .before(serde_json::json!({"din": din, "test": order.test_code, "status": before.title()}))
                .after(serde_json::json!({"din": din, "test": order.test_code, "phase": phase.title(), "value": stored, "status": after.title(), "source": source})),
        )
        .await?;
        let mut out = ResultOutcome {
            testing: testing_view(din, &[], &[], vec![]),
            status: after,
            quarantined: vec![],
            deferred: false,
            notification_due_on: None,
            lookback_donations: vec![],
            emergency_alerts: vec![],
        };
        if rule.kind == TestKind::Typing {
            let group = BloodGroup::parse(&stored).expect("stored from a parsed group");
            crate::registry::typing::record_donation_typing(tx, &locked, group, day, din, &actor.username).await?;
        }
        if after == Status::Reactive && before != Status::Reactive {
            self.on_reactive(tx, actor, &d, &locked, rule, day, &mut out).await?;
        }
        // Units already released that this result makes unsafe leave available stock.
        out.quarantined.extend(crate::release::regate_donation(self, tx, actor, d.id, &format!("{} result", rule.title)).await?);
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    async fn on_reactive(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        d: &DonationRow,
        locked: &store::LockedDonor,
        rule: &TestRule,
        day: NaiveDate,
        out: &mut ResultOutcome,
    ) -> Result<()> {
        let now = store::now();
        let today = self.today();
        let why = format!("{} repeat reactive on donation {}", rule.title, d.din.clone().unwrap_or_default());
        // Every unit of the donation that the result concerns, into quarantine with a hold.
        for u in tx.components_of_donation_for_update(d.id).await? {
            let blocks = match rule.blocks() {
                domain::testing::Blocks::All => true,
                domain::testing::Blocks::PlasmaContaining => domain::release::contains_plasma(u.kind),
                domain::testing::Blocks::None => false,
            };
            if !blocks || u.state.is_ended() || u.state == ComponentState::Shipped {
                continue;
            }
            hold(tx, &u, "reactive test", &why, Some(d.id), &actor.username).await?;
            if u.state == ComponentState::Available && tx.releases_in_tx(u.id).await?.last().is_some_and(|r| r.emergency) {
                // Released before testing completed: the reactive result is an alert of its own.
                tx.append_audit(
                    AuditDraft::new(&actor.username, "component.emergency_alert", "component", u.id)
                        .donor(&locked.donor.donor_number)
                        .after(serde_json::json!({"din": u.din, "product_code": u.product_code, "alert": why})),
                )
                .await?;
                out.emergency_alerts.push(format!("{} {}", u.din, u.product_code));
            }
            if u.state != ComponentState::Quarantine {
                tx.add_component_state(u.id, ComponentState::Quarantine, now, &actor.username, Some(&why)).await?;
            }
            out.quarantined.push(format!("{} {}", u.din, u.product_code));
        }
        let donor = &locked.donor;
        if let Some(def) = &rule.deferral {
            let (kind, until) = match def.kind {
                domain::testing::DeferralKind::Days => {
                    (domain::eligibility::DeferralKind::Temporary, def.days.map(|n| day + Duration::days(i64::from(n))))
                }
                domain::testing::DeferralKind::Indefinite => (domain::eligibility::DeferralKind::Indefinite, None),
                domain::testing::DeferralKind::Permanent => (domain::eligibility::DeferralKind::Permanent, None),
            };
            let code = format!("TEST_{}", rule.code);
            // The deferral starts on the collection day: it reaches back to this donation.
            let row = store::DeferralRow::entered(donor.id, kind, &code, &def.reason, day, until, now, &actor.username);
            tx.insert_deferral(&row).await?;
            tx.append_audit(
                AuditDraft::new(&actor.username, "donor.defer", "deferral", row.id)
                    .donor(&donor.donor_number)
                    .after(serde_json::json!({"kind": kind.as_str(), "reason_code": code, "reason": def.reason, "starts_on": day, "until": until, "source": def.source}))
                    .reason(Some(why.clone())),
            )
            .await?;
            out.deferred = true;
        }
        if rule.deferral.is_some() || rule.kind == TestKind::Bacterial {
            let due = today + Duration::days(NOTIFY_WITHIN_DAYS);
            tx.insert_notification(&NotificationRow {
                id: Uuid::now_v7(),
                donor_id: donor.id,
                donation_id: Some(d.id),
                reason: why.clone(),
                due_on: due,
                created_at: now,
                created_by: actor.username.clone(),
            })
            .await?;
            out.notification_due_on = Some(due);
        }
        if let Some(lb) = &rule.lookback {
            // From the donor's most recent non-reactive test of this kind, 12 months back
            // (610.46(a)(1)(ii)); without one, from this donation.
            let prior = tx.prior_tests(&locked.family).await?;
            let sites = tx.list_sites().await?;
            let clocks = SiteClocks::new(self.settings.time_zone, &sites);
            let last_clear = prior
                .iter()
                .filter(|p| p.test_code == rule.code && p.status_after == "nonreactive" && p.collected_at < d.collected_at)
                .map(|p| p.collected_at)
                .max()
                .unwrap_or(d.collected_at);
            let anchor = clocks.day_at(d.site_id, last_clear);
            let window_from = anchor.checked_sub_months(chrono::Months::new(lb.months)).unwrap_or(anchor);
            let earlier: Vec<DonationRow> = tx
                .donations_of_family(&locked.family)
                .await?
                .into_iter()
                .filter(|x| x.id != d.id && x.collected_at < d.collected_at && clocks.day_at(x.site_id, x.collected_at) >= window_from)
                .collect();
            let case = LookbackCaseRow {
                id: Uuid::now_v7(),
                donor_id: donor.id,
                donation_id: d.id,
                test_code: rule.code.clone(),
                window_from,
                review_due_on: today + Duration::days(LOOKBACK_REVIEW_DAYS),
                opened_at: now,
                opened_by: actor.username.clone(),
            };
            tx.insert_lookback_case(&case, &earlier.iter().map(|x| x.id).collect::<Vec<_>>()).await?;
            let reason = format!("lookback: {} ({})", why, lb.source);
            for x in &earlier {
                out.lookback_donations.extend(x.din.clone());
                for u in tx.components_of_donation_for_update(x.id).await? {
                    // In-date units still in the centre's stock; shipped ones go to the consignees (next issue).
                    if u.state.is_ended() || matches!(u.state, ComponentState::Shipped) || u.expires_at <= Utc::now() {
                        continue;
                    }
                    hold(tx, &u, "lookback", &reason, Some(case.id), &actor.username).await?;
                    if u.state != ComponentState::Quarantine {
                        tx.add_component_state(u.id, ComponentState::Quarantine, now, &actor.username, Some(&reason)).await?;
                    }
                    out.quarantined.push(format!("{} {}", u.din, u.product_code));
                }
            }
            tx.append_audit(AuditDraft::new(&actor.username, "lookback.open", "lookback_case", case.id).donor(&donor.donor_number).after(
                serde_json::json!({
                    "test": rule.code, "window_from": window_from, "review_due_on": case.review_due_on, "source": lb.source,
                    "donations": earlier.iter().filter_map(|x| x.din.clone()).collect::<Vec<_>>(),
                }),
            ))
            .await?;
        }
        Ok(())
    }
}

pub(crate) async fn hold(tx: &mut WriteTx, u: &store::ComponentRow, kind: &str, reason: &str, source: Option<Uuid>, by: &str) -> Result<()> {
    tx.insert_hold(&HoldRow {
        id: Uuid::now_v7(),
        component_id: u.id,
        kind: kind.to_string(),
        reason: reason.to_string(),
        source_id: source,
        opened_at: store::now(),
        opened_by: by.to_string(),
    })
    .await?;
    Ok(())
}

fn testing_view(din: &str, orders: &[TestOrderRow], results: &[TestResultRow], lookback_cases: Vec<LookbackView>) -> DonationTesting {
    let tests = lines(orders, results);
    let day = orders.first().map(|o| o.ordered_at.date_naive());
    let blocking = |code: &str| day.and_then(|d| rule_of(code, d)).is_none_or(|r| r.blocks() != domain::testing::Blocks::None);
    DonationTesting {
        din: din.to_string(),
        rules_version: orders.first().map(|o| o.rules_version.clone()),
        complete: !tests.is_empty() && tests.iter().filter(|t| blocking(&t.code)).all(|t| t.status.is_final()),
        reactive: tests.iter().filter(|t| t.status == Status::Reactive).map(|t| t.title.clone()).collect(),
        blood_group: typed_group(orders, results).map(|g| g.to_string()),
        special_attributes: special_attributes(orders, &tests),
        orderable: day
            .and_then(|d| testing_book().in_force(d))
            .map(|v| {
                v.tests
                    .iter()
                    .filter(|t| t.kind == domain::testing::TestKind::Special && !orders.iter().any(|o| o.test_code == t.code))
                    .map(|t| (t.code.clone(), t.title.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        tests,
        lookback_cases,
    }
}

/// The attributes final non-reactive (negative) special tests give the units, in words.
fn special_attributes(orders: &[TestOrderRow], tests: &[TestLine]) -> Vec<String> {
    let day = orders.first().map(|o| o.ordered_at.date_naive());
    tests
        .iter()
        .filter(|t| t.status == Status::Nonreactive)
        .filter_map(|t| day.and_then(|d| rule_of(&t.code, d)).and_then(|r| r.attribute_when_negative.as_deref()))
        .map(attribute_words)
        .collect()
}

/// A special attribute as staff read it: `cmv_negative` → "CMV-negative".
pub fn attribute_words(code: &str) -> String {
    match code {
        "cmv_negative" => "CMV-negative".into(),
        "hbs_negative" => "HbS-negative".into(),
        other => other.replace('_', " "),
    }
}

/// A special test asked for on a donation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialTestInput {
    pub test: String,
}

impl App {
    /// Orders a special test (CMV antibody, HbS) on request: only a special test of the
    /// rules in force on the collection day, once per donation.
    pub async fn order_special_test(&self, actor: &Actor, din: &str, input: &SpecialTestInput) -> Result<DonationTesting> {
        actor.require(Permission::RecordTestResults)?;
        let din = crate::components::parse_din(din)?;
        let mut tx = self.store.begin_write().await?;
        let d = tx.donation_with_din_for_update(&din).await?.ok_or_else(|| AppError::NotFound(format!("no donation has the DIN {din}")))?;
        let clocks = SiteClocks::new(self.settings.time_zone, &tx.list_sites().await?);
        let day = clocks.day_at(d.site_id, d.collected_at);
        let version = testing_book().in_force(day).ok_or_else(|| AppError::Conflict(format!("no testing rules in force on {day}")))?;
        let wanted = input.test.trim();
        let specials: Vec<&domain::testing::TestRule> = version.tests.iter().filter(|t| t.kind == domain::testing::TestKind::Special).collect();
        let rule = specials.iter().find(|t| t.code.eq_ignore_ascii_case(wanted) || t.title.eq_ignore_ascii_case(wanted)).ok_or_else(|| {
            AppError::from(FieldError::new(
                "test",
                format!(
                    "'{wanted}' is not a test ordered on request; these are: {}",
                    specials.iter().map(|t| t.title.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ))
        })?;
        let orders = tx.test_orders_in_tx(d.id).await?;
        if orders.iter().any(|o| o.test_code == rule.code) {
            return Err(AppError::Conflict(format!("{} is ordered already for donation {din}", rule.title)));
        }
        let order = TestOrderRow {
            id: Uuid::now_v7(),
            donation_id: d.id,
            test_code: rule.code.clone(),
            title: rule.title.clone(),
            rules_version: version.version.clone(),
            why: format!("on request ({})", rule.source),
            ordered_at: store::now(),
            ordered_by: actor.username.clone(),
        };
        tx.insert_test_order(&order).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "test.ordered", "donation", d.id)
                .after(serde_json::json!({"din": din, "test": rule.code, "why": order.why})),
        )
        .await?;
        tx.commit().await?;
        self.donation_testing(actor, &din).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_as_written() {
        for s in [Status::Pending, Status::AwaitingRepeat { done: 0 }, Status::AwaitingRepeat { done: 1 }, Status::Nonreactive, Status::Reactive] {
            assert_eq!(parse_status(&status_text(s)), s);
        }
    }
}

/// What an instrument file did, row by row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultImportReport {
    /// SHA-256 of the file: the same file imported again changes nothing.
    pub file: String,
    pub rows: usize,
    pub applied: usize,
    /// Rows of a file imported before.
    pub already_imported: usize,
    pub rejected: Vec<RejectedResult>,
    /// Units put in quarantine by the file's results.
    pub quarantined: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RejectedResult {
    /// Line in the file (the header is line 1).
    pub line: u64,
    pub din: String,
    pub test: String,
    pub reasons: Vec<String>,
}

impl App {
    /// Imports an instrument export: each row in its own transaction, so a row that
    /// matches no order is rejected and reported while the rest are applied; each row
    /// is keyed by the file's hash and its line, so importing the same file twice
    /// changes nothing.
    pub async fn import_results(&self, actor: &Actor, file: &[u8]) -> Result<ResultImportReport> {
        actor.require(Permission::RecordTestResults)?;
        use sha2::Digest;
        let sha = hex::encode(sha2::Sha256::digest(file));
        let (rows, unreadable) =
            domain::import::read_results(file).map_err(|e| AppError::Invalid(FieldErrors(vec![FieldError::new("file", e.to_string())])))?;
        let mut report = ResultImportReport {
            file: sha.clone(),
            rows: rows.len() + unreadable.len(),
            applied: 0,
            already_imported: 0,
            rejected: unreadable
                .into_iter()
                .map(|r| RejectedResult { line: r.line, din: String::new(), test: String::new(), reasons: r.reasons })
                .collect(),
            quarantined: vec![],
        };
        for row in rows {
            let key = format!("{sha}:{}", row.line);
            let source = format!("instrument file {}{}", &sha[..12], row.instrument.as_deref().map(|i| format!(" ({i})")).unwrap_or_default());
            let input = ResultInput { test: row.test.clone(), phase: row.phase.clone(), value: row.result.clone() };
            let reject = |reasons: Vec<String>| RejectedResult { line: row.line, din: row.din.clone(), test: row.test.clone(), reasons };
            let din = match crate::components::parse_din(&row.din) {
                Ok(d) => d,
                Err(e) => {
                    report.rejected.push(reject(vec![e.to_string()]));
                    continue;
                }
            };
            let mut tx = self.store.begin_write().await?;
            if tx.import_key_taken(&key).await? {
                tx.rollback().await?;
                report.already_imported += 1;
                continue;
            }
            match self.apply_result(&mut tx, actor, &din, &input, &source, Some(key)).await {
                Ok(out) => {
                    tx.commit().await?;
                    report.applied += 1;
                    report.quarantined.extend(out.quarantined);
                }
                Err(AppError::Invalid(e)) => {
                    tx.rollback().await?;
                    report.rejected.push(reject(e.0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect()));
                }
                Err(AppError::Store(store::StoreError::Duplicate { .. })) => {
                    report.already_imported += 1;
                }
                Err(e @ (AppError::NotFound(_) | AppError::Conflict(_))) => {
                    tx.rollback().await?;
                    report.rejected.push(reject(vec![e.to_string()]));
                }
                Err(e) => return Err(e),
            }
        }
        report.rejected.sort_by_key(|r| r.line);
        Ok(report)
    }
}
