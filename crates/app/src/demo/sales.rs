//! Demo: thirteen weeks of hospital sales, then today's orders.
//!
//! The history is imported, like the donor history: the whole blood donations of the
//! last thirteen weeks become red cell and plasma units, released a day after
//! collection and put away; the open hospitals order most days (routine mostly, some
//! ASAP and STAT), the same allocation rules as the live system (`domain::order::propose`)
//! fill the lines first-expiring-first-out, short lines are recorded with their reason,
//! shipments leave the same day and arrive within hours. A few units come back and are
//! released again, one is discarded out of temperature, hospitals report transfusions,
//! waste and expiry, and units nobody ordered expire on the shelf (the outdates).
//! Today's orders then go through the use cases staff and hospitals use.

use super::demo_actor;
use crate::sales::{PackInput, ReceiveInput, ShipInput};
use crate::{Actor, App, Result};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use domain::component::{Attribute, ComponentKind, ComponentState};
use domain::inventory::{DiscardReason, ProductClass};
use domain::order::{
    propose, requirements_text, AllocationPolicy, Candidate, Channel, Line, LineInput, OrderInput, OrderState, Priority, Requirement, ShippingClass,
};
use domain::{AccountStatus, AuditDraft, BloodGroup, DonationProcedure};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeSet, HashMap};
use store::{AllocationRow, ContainerRow, DiscardRow, DispositionRow, InspectionRow, MoveRow, OrderLineRow, OrderRow, ReleaseRow, ReturnRow};
use store::{NewComponent, ShipmentItemRow, ShipmentRow, ShortfallRow};
use uuid::Uuid;

/// How often patients of each group need red cells (the donor population's shares,
/// O+ 38%, O- 7%, A+ 34%, A- 6%, B+ 9%, B- 2%, AB+ 3%, AB- 1%, in BloodGroup::ALL order).
const PATIENT_WEIGHTS: [u32; 8] = [38, 7, 34, 6, 9, 2, 3, 1];

/// A unit of the imported history while the days run.
struct Unit {
    id: Uuid,
    din: String,
    code: String,
    kind: ComponentKind,
    group: BloodGroup,
    collected_at: DateTime<Utc>,
    released_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    taken: bool,
}

/// An index drawn with the given weights.
pub(super) fn pick<R: Rng>(rng: &mut R, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut roll = rng.gen_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if roll < *w {
            return i;
        }
        roll -= w;
    }
    weights.len() - 1
}

impl App {
    pub(crate) async fn demo_sales(&self, actor: &Actor, seed: u64, as_of: NaiveDate) -> Result<()> {
        self.demo_contracts(as_of).await?;
        self.demo_sales_history(actor, seed, as_of).await?;
        self.demo_sales_today().await?;
        self.demo_invoices(as_of).await
    }

    /// Every open account has a contract from the start of the year before the history.
    async fn demo_contracts(&self, as_of: NaiveDate) -> Result<()> {
        let sales = demo_actor(&[domain::Role::Sales], None);
        let from = NaiveDate::from_ymd_opt((as_of - Duration::days(120)).year(), 1, 1).expect("a day");
        for (i, h) in self.store.list_hospitals().await?.into_iter().enumerate() {
            if h.fields.status == AccountStatus::Closed {
                continue;
            }
            // Bigger customers negotiated a little less per red cell unit.
            let red = 21_000 - (i as i64 % 4) * 500;
            let list = serde_json::json!({
                "currency": "USD",
                "products": [{"product": "red_cells", "unit_cents": red}, {"product": "platelets", "unit_cents": 52_550},
                             {"product": "plasma", "unit_cents": 6_000}, {"product": "cryo", "unit_cents": 9_000},
                             {"product": "whole_blood", "unit_cents": 23_000}],
                "surcharges": [{"attribute": "irradiated", "unit_cents": 2_500}, {"attribute": "leukoreduced", "unit_cents": 1_500},
                               {"attribute": "CMV-negative", "unit_cents": 1_250}, {"attribute": "washed", "unit_cents": 6_000}],
                "volume_tiers": [{"min_units": 100, "discount_percent": 5}, {"min_units": 500, "discount_percent": 7.5}],
                "delivery_fee_cents": {"routine": 4_500, "urgent": 15_000},
                "return_credit_percent": 80,
                "payment_terms_days": 30,
                "tax_percent": 0,
                // Demo prices of the apheresis service (base fee, disposables, surcharges).
                "apheresis": [
                    {"procedure": "plasma_exchange", "base_cents": 145_000, "supplies_cents": 38_000, "after_hours_cents": 30_000, "emergency_cents": 60_000},
                    {"procedure": "red_cell_exchange", "base_cents": 165_000, "supplies_cents": 42_000, "after_hours_cents": 30_000, "emergency_cents": 60_000},
                    {"procedure": "leukocytapheresis", "base_cents": 150_000, "supplies_cents": 40_000, "after_hours_cents": 30_000, "emergency_cents": 60_000},
                    {"procedure": "photopheresis", "base_cents": 210_000, "supplies_cents": 95_000, "after_hours_cents": 30_000, "emergency_cents": 60_000},
                    {"procedure": "ldl_apheresis", "base_cents": 190_000, "supplies_cents": 120_000, "after_hours_cents": 30_000, "emergency_cents": 60_000}
                ]
            });
            let input = crate::invoices::ContractInput { effective_from: from.to_string(), effective_to: None, price_list: list };
            self.add_contract(&sales, h.id, &input).await?;
        }
        Ok(())
    }

    /// The full months of the history invoiced per account; all but the last month paid.
    async fn demo_invoices(&self, as_of: NaiveDate) -> Result<()> {
        let sales = demo_actor(&[domain::Role::Sales], None);
        let this_month = NaiveDate::from_ymd_opt(as_of.year(), as_of.month(), 1).expect("a day");
        let mut months = vec![];
        let mut m = this_month;
        for _ in 0..3 {
            m = (m - Duration::days(1)).with_day(1).expect("a day");
            months.push(m);
        }
        months.reverse();
        for h in self.store.list_hospitals().await? {
            for (i, month) in months.iter().enumerate() {
                let input = crate::invoices::MonthInput { month: month.format("%Y-%m").to_string() };
                match self.invoice_month(&sales, h.id, &input).await {
                    // A month whose return credits outweigh its charges leaves nothing to pay.
                    Ok(inv) if i + 1 < months.len() && inv.summary.total_cents > 0 => {
                        let today = Utc::now().with_timezone(&self.settings.time_zone).date_naive();
                        let pay = crate::invoices::PaymentInput {
                            paid_on: today.to_string(),
                            amount_cents: None,
                            reference: format!("ACH {}", inv.summary.number),
                        };
                        self.record_payment(&sales, &inv.summary.number, &pay).await?;
                    }
                    Ok(_) => {}
                    // A month with nothing shipped to the account has no invoice.
                    Err(crate::AppError::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    async fn demo_sales_history(&self, actor: &Actor, seed: u64, as_of: NaiveDate) -> Result<()> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5a1e5);
        let noon = Utc.from_utc_datetime(&as_of.and_hms_opt(12, 0, 0).expect("noon"));
        let (start, end) = (noon - Duration::days(91), noon - Duration::days(2));
        let numbers: HashMap<Uuid, String> = self.store.all_donors().await?.into_iter().map(|d| (d.id, d.donor_number)).collect();
        let mut donations: Vec<_> = self
            .store
            .donations_with_din_since(start, 1_000_000)
            .await?
            .into_iter()
            .filter(|d| d.collected_at < end && d.procedure == DonationProcedure::WholeBlood)
            .collect();
        donations.sort_by_key(|d| d.collected_at);
        // Only donors whose group two determinations confirm give units the gate passes.
        let mut groups: HashMap<Uuid, BloodGroup> = HashMap::new();
        let mut looked = std::collections::HashSet::new();
        for d in &donations {
            if !looked.insert(d.donor_id) {
                continue;
            }
            let Some(number) = numbers.get(&d.donor_id) else { continue };
            let view = self.blood_group_view(&self.resolve_donor(number).await?).await?;
            if view.status != domain::typing::BloodGroupStatus::Confirmed {
                continue;
            }
            if let Some(g) = view.group.as_deref().and_then(|g| BloodGroup::parse(g).ok()) {
                groups.insert(d.donor_id, g);
            }
        }
        donations.retain(|d| groups.contains_key(&d.donor_id));
        let red_spec = domain::catalog::ProductSpec {
            kind: ComponentKind::RedCells,
            attributes: BTreeSet::from([Attribute::Leukoreduced]),
            anticoagulant: "CPD".into(),
            additive: Some("AS-1".into()),
        };
        let ffp_spec =
            domain::catalog::ProductSpec { kind: ComponentKind::Ffp, attributes: BTreeSet::new(), anticoagulant: "CPD".into(), additive: None };
        let red_code = self.product_code(&red_spec, Some(DonationProcedure::WholeBlood), "00")?.0;
        let ffp_code = self.product_code(&ffp_spec, Some(DonationProcedure::WholeBlood), "00")?.0;
        let fridge = self.store.storage_location("FR-01").await?.map(|l| l.id);
        let freezer = self.store.storage_location("FZ-01").await?.map(|l| l.id);
        let hospitals: Vec<_> = self.store.list_hospitals().await?.into_iter().filter(|h| h.fields.status == AccountStatus::Active).collect();
        let policy = AllocationPolicy::default();
        // Demand follows supply: about 85% of the red cells collected are ordered, in
        // orders of about 3.75 units, bigger hospitals more often.
        let weights: Vec<f64> = (0..hospitals.len()).map(|i| 1.0 - (i as f64 / hospitals.len().max(1) as f64) * 0.7).collect();
        let orders_per_day = 0.85 * donations.len() as f64 / 91.0 / 3.75;
        let weight_sum: f64 = weights.iter().sum();
        let lab = "lab";
        let mut units: Vec<Unit> = Vec::new();
        let mut next = 0;
        let mut day = start;
        while day < end {
            let day_end = day + Duration::days(1);
            let mut tx = self.store.begin_write().await?;
            // The day's collections become units, released and put away the next day.
            while next < donations.len() && donations[next].collected_at < day_end {
                let d = &donations[next];
                next += 1;
                let group = groups[&d.donor_id];
                let din = d.din.clone().unwrap_or_default();
                // Its tests, as the laboratory entered them: all final and non-reactive.
                let ctx = domain::testing::OrderContext {
                    procedure: d.procedure,
                    collected_on: d.collected_at.date_naive(),
                    region: Some("IL".into()),
                    history: vec![],
                };
                let (version, orders) =
                    domain::testing::orders_for(crate::testing::testing_book(), &ctx).map_err(|e| crate::AppError::Conflict(e.to_string()))?;
                for (seq, o) in orders.iter().enumerate() {
                    let order = store::TestOrderRow {
                        id: Uuid::now_v7(),
                        donation_id: d.id,
                        test_code: o.code.clone(),
                        title: o.title.clone(),
                        rules_version: version.clone(),
                        why: o.why.clone(),
                        ordered_at: d.collected_at,
                        ordered_by: lab.into(),
                    };
                    tx.insert_test_order(&order).await?;
                    let typing = crate::testing::rule_of(&o.code, ctx.collected_on).is_some_and(|r| r.kind == domain::testing::TestKind::Typing);
                    tx.insert_test_result(&store::TestResultRow {
                        id: Uuid::now_v7(),
                        order_id: order.id,
                        seq: seq as i64 + 1,
                        phase: "initial".into(),
                        value: if typing { group.to_string() } else { "non-reactive".into() },
                        status_after: "nonreactive".into(),
                        entered_at: d.collected_at + Duration::hours(20),
                        entered_by: lab.into(),
                        source: "manual".into(),
                        import_key: None,
                    })
                    .await?;
                }
                for (kind, code, days, location) in [(ComponentKind::RedCells, &red_code, 42, fridge), (ComponentKind::Ffp, &ffp_code, 365, freezer)]
                {
                    let made = d.collected_at + Duration::hours(3);
                    let released = d.collected_at + Duration::hours(28);
                    let unit = NewComponent {
                        id: Uuid::now_v7(),
                        donation_id: Some(d.id),
                        din: din.clone(),
                        product_code: code.clone(),
                        kind,
                        attributes: if kind == ComponentKind::RedCells { "leukoreduced".into() } else { String::new() },
                        anticoagulant: "CPD".into(),
                        additive_solution: (kind == ComponentKind::RedCells).then(|| "AS-1".into()),
                        volume_ml: Some(if kind == ComponentKind::RedCells { 320 } else { 250 }),
                        expires_at: d.collected_at + Duration::days(days),
                        dating_case: "{}".into(),
                        step: "separation".into(),
                        why: "imported history (demo)".into(),
                        made_at: made,
                        made_by: lab.into(),
                    };
                    tx.insert_component(&unit, ComponentState::InProcessing).await?;
                    tx.insert_release(&ReleaseRow {
                        id: Uuid::now_v7(),
                        component_id: unit.id,
                        released_at: released,
                        signer: lab.into(),
                        meaning: "released by the laboratory (imported history)".into(),
                        emergency: false,
                        physician: None,
                        physician_meaning: None,
                        scanned: format!("{din} {code}"),
                        blood_group: Some(group.to_string()),
                    })
                    .await?;
                    tx.add_component_state(unit.id, ComponentState::Available, released, lab, Some("released")).await?;
                    if let Some(location) = location {
                        let m = MoveRow {
                            id: Uuid::now_v7(),
                            component_id: unit.id,
                            location_id: location,
                            moved_at: released + Duration::minutes(10),
                            moved_by: lab.into(),
                            scanned: format!("{din} {code}"),
                        };
                        tx.insert_move(&m).await?;
                    }
                    units.push(Unit {
                        id: unit.id,
                        din: din.clone(),
                        code: code.clone(),
                        kind,
                        group,
                        collected_at: d.collected_at,
                        released_at: released,
                        expires_at: unit.expires_at,
                        taken: false,
                    });
                }
            }
            // The hospitals' orders of the day, filled by the allocation rules.
            for (hi, h) in hospitals.iter().enumerate() {
                if !rng.gen_bool((orders_per_day * weights[hi] / weight_sum).clamp(0.0, 0.95)) {
                    continue;
                }
                let placed = day + Duration::hours(14 + (hi as i64 % 6)) + Duration::minutes(rng.gen_range(0..50));
                let priority = match rng.gen_range(0..100) {
                    0..=4 => Priority::Stat,
                    5..=19 => Priority::Asap,
                    _ => Priority::Routine,
                };
                let mut lines = vec![];
                for _ in 0..rng.gen_range(1..=2) {
                    let group = BloodGroup::ALL[pick(&mut rng, &PATIENT_WEIGHTS)];
                    lines.push(Line {
                        product: ProductClass::RedCells,
                        group: Some(group),
                        quantity: rng.gen_range(1..=4),
                        requirements: BTreeSet::new(),
                        antigens: vec![],
                        max_age_days: None,
                        substitution: rng.gen_bool(0.6),
                    });
                }
                if rng.gen_bool(0.2) {
                    let group = BloodGroup::ALL[pick(&mut rng, &PATIENT_WEIGHTS)];
                    lines.push(Line {
                        product: ProductClass::Plasma,
                        group: Some(group),
                        quantity: rng.gen_range(2..=4),
                        requirements: BTreeSet::new(),
                        antigens: vec![],
                        max_age_days: None,
                        substitution: true,
                    });
                }
                self.demo_history_order(&mut tx, actor, h.id, h.fields.code.as_str(), placed, priority, &lines, &mut units, &policy, &mut rng)
                    .await?;
            }
            // Units nobody took expire on the shelf.
            for u in units.iter_mut().filter(|u| !u.taken && u.expires_at <= day_end) {
                u.taken = true;
                tx.add_component_state(u.id, ComponentState::Discarded, u.expires_at, "system:expiry", Some("expired")).await?;
                tx.insert_discard(&DiscardRow {
                    component_id: u.id,
                    reason: DiscardReason::Expired,
                    details: "expired on the shelf".into(),
                    discarded_at: u.expires_at,
                    discarded_by: "system:expiry".into(),
                })
                .await?;
            }
            tx.commit().await?;
            day = day_end;
        }
        Ok(())
    }

    /// One imported order: lines, allocation, shipment, receipt, and what became of the units.
    #[allow(clippy::too_many_arguments)]
    async fn demo_history_order(
        &self,
        tx: &mut store::WriteTx,
        actor: &Actor,
        hospital: Uuid,
        hospital_code: &str,
        placed: DateTime<Utc>,
        priority: Priority,
        lines: &[Line],
        units: &mut [Unit],
        policy: &AllocationPolicy,
        rng: &mut ChaCha8Rng,
    ) -> Result<()> {
        let year = placed.year();
        let seq = tx.next_document_number("ORD", year).await?;
        let order = OrderRow {
            id: Uuid::now_v7(),
            number: format!("ORD-{year}-{seq:06}"),
            hospital_id: hospital,
            priority,
            due_at: priority.default_due(placed),
            channel: if rng.gen_bool(0.7) { Channel::Portal } else { Channel::Phone },
            reference: String::new(),
            note: String::new(),
            placed_at: placed,
            placed_by: "hospital".into(),
        };
        tx.insert_order(&order).await?;
        tx.add_order_state(order.id, OrderState::Received, placed, "hospital", order.channel.title()).await?;
        let allocated = placed + Duration::minutes(if priority == Priority::Stat { 10 } else { 40 });
        let shipped = allocated + Duration::minutes(if priority == Priority::Routine { 150 } else { 30 });
        let received = shipped + Duration::minutes(if priority == Priority::Routine { 90 } else { 35 });
        let candidates: Vec<Candidate> = units
            .iter()
            .filter(|u| !u.taken && u.released_at <= allocated && u.expires_at > shipped)
            .map(|u| Candidate {
                id: u.id,
                din: u.din.clone(),
                product_code: u.code.clone(),
                kind: u.kind,
                state: ComponentState::Available,
                group: Some(u.group),
                attributes: BTreeSet::new(),
                special: vec![],
                antigens_negative: vec![],
                collected_at: Some(u.collected_at),
                expires_at: u.expires_at,
                open_holds: 0,
            })
            .collect();
        let mut o_negative =
            candidates.iter().filter(|c| c.kind == ComponentKind::RedCells && c.group.is_some_and(|g| g.to_string() == "O-")).count() as i64;
        let mut taken = BTreeSet::new();
        let mut picked: Vec<(Uuid, Uuid)> = vec![];
        let mut short = 0;
        for (i, l) in lines.iter().enumerate() {
            let line = OrderLineRow {
                id: Uuid::now_v7(),
                order_id: order.id,
                line_no: i as i64 + 1,
                product: l.product,
                blood_group: l.group.map(|g| g.to_string()),
                quantity: l.quantity,
                requirements: requirements_text(&l.requirements),
                antigens: String::new(),
                max_age_days: None,
                substitution: l.substitution,
            };
            tx.insert_order_line(&line).await?;
            let p = propose(l, l.quantity, &candidates, &taken, &mut o_negative, policy, allocated);
            for pick in &p.picks {
                taken.insert(pick.unit);
                picked.push((line.id, pick.unit));
            }
            let (missing, reason) = p.short.unwrap_or((0, String::new()));
            short += missing;
            tx.insert_shortfall(&ShortfallRow { id: Uuid::now_v7(), order_line_id: line.id, recorded_at: allocated, missing, reason }).await?;
        }
        if picked.is_empty() {
            tx.add_order_state(
                order.id,
                OrderState::Cancelled,
                allocated + Duration::hours(6),
                "hospital",
                "nothing in stock; the hospital found units elsewhere",
            )
            .await?;
            return Ok(());
        }
        let state = if short > 0 { OrderState::PartlyAllocated } else { OrderState::Allocated };
        tx.add_order_state(order.id, state, allocated, "distribution", &format!("{} unit(s) reserved", picked.len())).await?;
        let sseq = tx.next_document_number("SH", year).await?;
        let shipment = ShipmentRow {
            id: Uuid::now_v7(),
            number: format!("SH-{year}-{sseq:06}"),
            order_id: order.id,
            hospital_id: hospital,
            created_at: allocated + Duration::minutes(5),
            created_by: "distribution".into(),
            courier: None,
            shipped_at: None,
            shipped_by: None,
            received_at: None,
            received_by: None,
            receipt_note: None,
        };
        tx.insert_shipment(&shipment).await?;
        let mut containers: Vec<ContainerRow> = vec![];
        for (line_id, unit_id) in &picked {
            let u = units.iter_mut().find(|u| u.id == *unit_id).expect("a picked unit");
            u.taken = true;
            let class = ShippingClass::of(u.kind);
            let container = match containers.iter().find(|k| k.shipping_class == class) {
                Some(k) => k.clone(),
                None => {
                    let k = ContainerRow { id: Uuid::now_v7(), shipment_id: shipment.id, seq: containers.len() as i64 + 1, shipping_class: class };
                    tx.insert_container(&k).await?;
                    containers.push(k.clone());
                    k
                }
            };
            let a = AllocationRow {
                id: Uuid::now_v7(),
                order_line_id: *line_id,
                component_id: u.id,
                allocated_at: allocated,
                allocated_by: "distribution".into(),
                warning: None,
                ended_at: None,
                ended_by: None,
                end_reason: None,
            };
            tx.insert_allocation(&a).await?;
            tx.add_component_state(u.id, ComponentState::Reserved, allocated, "distribution", Some("reserved for a hospital order")).await?;
            tx.insert_shipment_item(&ShipmentItemRow {
                id: Uuid::now_v7(),
                shipment_id: shipment.id,
                container_id: container.id,
                component_id: u.id,
                allocation_id: a.id,
                scanned: format!("{} {}", u.din, u.code),
                packed_at: shipped - Duration::minutes(10),
                packed_by: "distribution".into(),
                short_dated_confirmed: false,
            })
            .await?;
            tx.add_component_state(
                u.id,
                ComponentState::Shipped,
                shipped,
                "distribution",
                Some(&format!("shipped in {} to {hospital_code}", shipment.number)),
            )
            .await?;
            tx.end_allocation(a.id, shipped, "distribution", "shipped").await?;
            // What became of the unit: most transfused within days, a few returned or wasted.
            let roll = rng.gen_range(0..1000);
            let fate_at = shipped + Duration::hours(rng.gen_range(6..96));
            if fate_at > store::now() {
                continue;
            }
            if roll < 20 {
                // Returned unused within the day, inspected and released again.
                let back = shipped + Duration::hours(20);
                // Read on arrival: inside the product's transport range, or (rarely) warm.
                let range = domain::order::TransportRange::of(u.kind);
                let reading = match (range.min_c, range.max_c, roll >= 4) {
                    (Some(a), Some(b), true) => (a + b) / 2.0,
                    (None, Some(b), true) => b - 7.0,
                    (_, Some(b), false) => b + 3.0,
                    (Some(a), None, _) => a + 2.0,
                    (None, None, _) => 4.0,
                };
                let r = ReturnRow {
                    id: Uuid::now_v7(),
                    component_id: u.id,
                    hospital_id: hospital,
                    shipment_id: shipment.id,
                    returned_at: back,
                    recorded_by: "distribution".into(),
                    temperature_kept: true,
                    note: "surgery cancelled".into(),
                    outcome: if roll >= 4 { "awaiting_inspection" } else { "discarded" }.into(),
                    temperature_c: Some(reading),
                };
                tx.insert_return(&r).await?;
                tx.add_component_state(u.id, ComponentState::Returned, back, "distribution", Some("returned")).await?;
                if roll < 4 {
                    tx.add_component_state(u.id, ComponentState::Discarded, back, "distribution", Some("returned out of temperature")).await?;
                    tx.insert_discard(&DiscardRow {
                        component_id: u.id,
                        reason: DiscardReason::TemperatureExcursion,
                        details: format!(
                            "returned by {hospital_code}; {}",
                            domain::order::return_discard_reason(u.kind, reading, true).unwrap_or_else(|| "its temperature was not kept".into())
                        ),
                        discarded_at: back,
                        discarded_by: "distribution".into(),
                    })
                    .await?;
                } else {
                    let at = back + Duration::hours(1);
                    tx.insert_inspection(&InspectionRow {
                        return_id: r.id,
                        inspected_at: at,
                        inspected_by: "distribution".into(),
                        passed: true,
                        note: String::new(),
                    })
                    .await?;
                    tx.add_component_state(u.id, ComponentState::Quarantine, at, "distribution", Some("return passed inspection")).await?;
                    tx.insert_release(&ReleaseRow {
                        id: Uuid::now_v7(),
                        component_id: u.id,
                        released_at: at + Duration::hours(1),
                        signer: "lab".into(),
                        meaning: "released again after a return (imported history)".into(),
                        emergency: false,
                        physician: None,
                        physician_meaning: None,
                        scanned: format!("{} {}", u.din, u.code),
                        blood_group: Some(u.group.to_string()),
                    })
                    .await?;
                    tx.add_component_state(u.id, ComponentState::Available, at + Duration::hours(1), "lab", Some("released again")).await?;
                    u.taken = false;
                    u.released_at = at + Duration::hours(1);
                }
                continue;
            }
            let (disposition, state) = match roll {
                20..=59 => ("wasted", ComponentState::Discarded),
                60..=69 => ("expired", ComponentState::Discarded),
                _ => ("transfused", ComponentState::Transfused),
            };
            let at = fate_at.min(u.expires_at);
            tx.insert_disposition(&DispositionRow {
                component_id: u.id,
                hospital_id: hospital,
                disposition: disposition.into(),
                occurred_at: at,
                reported_at: at + Duration::hours(2),
                reported_by: "hospital".into(),
                note: String::new(),
            })
            .await?;
            tx.add_component_state(u.id, state, at + Duration::hours(2), "hospital", Some(&format!("{disposition} at {hospital_code}"))).await?;
        }
        tx.mark_shipped(shipment.id, shipped, "distribution", ["MedExpress", "Riverside van 1", "Riverside van 2"][rng.gen_range(0..3)]).await?;
        tx.mark_received(shipment.id, received, "hospital", "").await?;
        let final_state = if short > 0 { OrderState::PartlyAllocated } else { OrderState::Shipped };
        tx.add_order_state(
            order.id,
            final_state,
            shipped,
            "distribution",
            &format!("shipment {} left with {} unit(s)", shipment.number, picked.len()),
        )
        .await?;
        if short == 0 {
            tx.add_order_state(order.id, OrderState::Delivered, received, "hospital", &format!("shipment {} received", shipment.number)).await?;
        } else {
            tx.add_order_state(
                order.id,
                OrderState::Cancelled,
                received + Duration::hours(12),
                "hospital",
                &format!("{short} unit(s) short; the back-order was closed"),
            )
            .await?;
        }
        tx.append_audit(AuditDraft::new(&actor.username, "order.import", "order", order.id).after(serde_json::json!({
            "number": order.number, "hospital": hospital_code, "placed_at": placed, "shipment": shipment.number, "units": picked.len(), "short": short,
        })))
        .await?;
        Ok(())
    }

    /// Today: an order from the portal shipped and received, a STAT order reserved and
    /// waiting to be packed, and an order whose irradiated AB- line is back-ordered.
    async fn demo_sales_today(&self) -> Result<()> {
        let hospitals = self.store.list_hospitals().await?;
        let Some(own) = hospitals.iter().find(|h| h.fields.code.as_str() == super::HOSPITALS[0].0) else { return Ok(()) };
        let portal = demo_actor(&[domain::Role::Hospital], Some(own.id));
        let dist = demo_actor(&[domain::Role::Distribution, domain::Role::Sales], None);
        let line = |product: &str, group: &str, quantity: i64, requirements: &[Requirement], substitution: bool| LineInput {
            product: product.into(),
            blood_group: group.into(),
            quantity,
            requirements: requirements.iter().map(|r| r.as_str().to_string()).collect(),
            substitution,
            ..Default::default()
        };
        let routine = OrderInput {
            priority: "routine".into(),
            reference: "PO-4471".into(),
            lines: vec![line("red_cells", "O+", 2, &[], true), line("plasma", "A+", 2, &[], true)],
            ..Default::default()
        };
        let o = self.place_order(&portal, &routine).await?;
        let o = self.allocate_order(&dist, &o.number).await?;
        // The hospital declines short-dated units: they go back to stock.
        for a in o.allocations.iter().filter(|a| a.ended.is_none() && a.warning.is_some()) {
            self.unreserve(&dist, &o.number, a.id).await?;
        }
        for a in o.allocations.iter().filter(|a| a.ended.is_none() && a.warning.is_none()) {
            self.pack_unit(
                &dist,
                &o.number,
                &PackInput { scan: format!("{} {}", a.din, a.product_code), container: None, short_dated_confirmed: false },
            )
            .await?;
        }
        if let Some(s) = self.order(&dist, &o.number).await?.shipments.first() {
            self.ship(&dist, &s.number, &ShipInput { courier: "Riverside van 1".into() }).await?;
            self.receive_shipment(&portal, &s.number, &ReceiveInput { note: "all units in range".into() }).await?;
        }
        let stat = OrderInput {
            priority: "stat".into(),
            note: "trauma bay 2, massive transfusion protocol activated".into(),
            lines: vec![line("red_cells", "O-", 2, &[], false)],
            ..Default::default()
        };
        let o = self.place_order(&portal, &stat).await?;
        self.allocate_order(&dist, &o.number).await?;
        let special = OrderInput {
            priority: "asap".into(),
            reference: "Oncology ward 4".into(),
            lines: vec![line("red_cells", "AB-", 2, &[Requirement::Irradiated, Requirement::CmvNegative], false)],
            ..Default::default()
        };
        let o = self.place_order(&portal, &special).await?;
        self.allocate_order(&dist, &o.number).await?;
        // St Mary's keeps six O+ red cells on its shelf, topped up three mornings a week.
        let standing = domain::order::StandingInput {
            hospital: own.fields.code.as_str().into(),
            product: "red_cells".into(),
            blood_group: "O+".into(),
            par_level: 6,
            weekdays: ["mon", "wed", "fri"].into_iter().map(String::from).collect(),
            time_of_day: "06:00".into(),
        };
        self.add_standing_order(&dist, &standing).await?;
        self.demo_withdrawal().await
    }

    /// A market withdrawal of two units that went to two hospitals: both notified, one
    /// has acknowledged (quarantined), the other not yet.
    async fn demo_withdrawal(&self) -> Result<()> {
        let quality = demo_actor(&[domain::Role::Quality], None);
        let mut picked: Vec<(String, String, Uuid, String)> = vec![];
        for sh in self.store.shipments(None, 300).await? {
            if picked.iter().any(|p| p.2 == sh.hospital_id) {
                continue;
            }
            let Some(h) = self.store.hospital(sh.hospital_id).await? else { continue };
            if h.fields.contact_email.is_none() || h.fields.status != AccountStatus::Active {
                continue;
            }
            if let Some(u) = self.store.packed_units(sh.id).await?.into_iter().find(|u| u.unit.state == ComponentState::Shipped) {
                picked.push((u.unit.din, u.unit.product_code, sh.hospital_id, h.fields.code.as_str().to_string()));
            }
            if picked.len() == 2 {
                break;
            }
        }
        if picked.len() < 2 {
            return Ok(());
        }
        let case = self
            .open_recall(
                &quality,
                &crate::consignees::RecallInput {
                    kind: "withdrawal".into(),
                    reason: "bag set lot BS2609-02 withdrawn by its manufacturer: the port may leak".into(),
                    units: picked.iter().map(|(d, c, _, _)| format!("{d} {c}")).collect(),
                },
            )
            .await?;
        for (_, _, _, code) in &picked {
            self.send_consignee_notice(&quality, case.id, &crate::consignees::NoticeInput { hospital: code.clone(), kind: String::new() }).await?;
        }
        let (din, product_code, hospital, _) = &picked[0];
        let notices = self.consignee_notices(&demo_actor(&[domain::Role::Hospital], Some(*hospital)), 10).await?;
        if let Some(n) = notices.first() {
            let ack = crate::consignees::AckInput {
                units: vec![crate::consignees::AckUnit { din: din.clone(), product_code: product_code.clone(), action: "quarantined".into() }],
                note: "unit found in the blood bank refrigerator and set aside".into(),
            };
            self.acknowledge_notice(&demo_actor(&[domain::Role::Hospital], Some(*hospital)), n.id, &ack).await?;
        }
        Ok(())
    }
}
