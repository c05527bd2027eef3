//! Hospital orders: placing an order (portal, API or phone), allocating units to it
//! (proposed or picked by hand), giving units back and cancelling. Packing, shipping and
//! the hospital's receipt are in [`crate::shipping`].
//!
//! Each command has the one shape of DESIGN.md: open the write transaction; read the
//! order, the units and the hospital through it, locked on PostgreSQL; decide with
//! `domain::order`; write the change and its audit record; commit.

use crate::components::{batch::parse_unit_line, ComponentView};
use crate::shipping::shipment_state;
use crate::testing::attribute_words;
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Datelike, Utc};
use domain::component::{parse_attributes, ComponentState};
use domain::inventory::ProductClass;
use domain::order::{fit, line_words, parse_requirements, propose, requirements_text, Candidate, Channel, Line, OrderInput, OrderState};
use domain::{AccountStatus, AuditDraft, BloodGroup, FieldError, HospitalAccount, Permission};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use store::{AllocatedUnit, AllocationRow, CandidateRow, OrderCurrent, OrderLineRow, OrderRow, ShipmentRow, ShortfallRow};
use uuid::Uuid;

pub use crate::shipping::{ContainerView, PackInput, PackedView, ReceiveInput, ShipInput, ShipmentView};

/// A line of an order as staff and the hospital read it.
#[derive(Debug, Clone, Serialize)]
pub struct LineView {
    pub line_no: i64,
    pub product: ProductClass,
    pub blood_group: Option<String>,
    pub quantity: i64,
    pub requirements: Vec<String>,
    pub antigens: Vec<String>,
    pub max_age_days: Option<i64>,
    pub substitution: bool,
    pub words: String,
    /// Units reserved now (not yet shipped).
    pub reserved: i64,
    pub shipped: i64,
    /// Why the line is short, when it is (a back-order).
    pub short_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AllocationView {
    pub id: Uuid,
    pub line_no: i64,
    pub din: String,
    pub product_code: String,
    pub product: String,
    pub blood_group: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub expires_local: String,
    pub warning: Option<String>,
    pub state: String,
    pub ended: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StateView {
    pub state: OrderState,
    pub title: &'static str,
    pub at: DateTime<Utc>,
    pub at_local: String,
    pub by: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShipmentSummary {
    pub number: String,
    pub state: &'static str,
    pub created_at: DateTime<Utc>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub shipped_local: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    pub received_local: Option<String>,
    pub courier: Option<String>,
}

/// An order with its lines, reserved units, shipments and history.
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    pub number: String,
    pub hospital_code: String,
    pub hospital_name: String,
    pub priority: domain::order::Priority,
    pub priority_title: &'static str,
    pub due_at: DateTime<Utc>,
    pub due_local: String,
    pub channel: &'static str,
    pub reference: String,
    pub note: String,
    pub placed_at: DateTime<Utc>,
    pub placed_local: String,
    pub placed_by: String,
    pub state: OrderState,
    pub state_title: &'static str,
    pub lines: Vec<LineView>,
    pub allocations: Vec<AllocationView>,
    pub shipments: Vec<ShipmentSummary>,
    pub history: Vec<StateView>,
}

/// One row of an order list.
#[derive(Debug, Clone, Serialize)]
pub struct OrderListItem {
    pub number: String,
    pub hospital_code: String,
    pub hospital_name: String,
    pub priority: domain::order::Priority,
    pub priority_title: &'static str,
    pub due_at: DateTime<Utc>,
    pub due_local: String,
    pub placed_local: String,
    pub state: OrderState,
    pub state_title: &'static str,
    pub overdue: bool,
}

/// A unit picked by hand for a line (scanned or typed).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickInput {
    pub line: i64,
    pub scan: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    pub reason: String,
}

fn line_of(row: &OrderLineRow) -> Line {
    Line {
        product: row.product,
        group: row.blood_group.as_deref().and_then(|g| BloodGroup::parse(g).ok()),
        quantity: row.quantity,
        requirements: parse_requirements(&row.requirements).unwrap_or_default(),
        antigens: row.antigens.split(',').filter(|a| !a.is_empty()).map(String::from).collect(),
        max_age_days: row.max_age_days,
        substitution: row.substitution,
    }
}

fn order_number(year: i32, seq: i64) -> String {
    format!("ORD-{year}-{seq:06}")
}

impl App {
    /// The hospital an order is for: a hospital user's own (asking for another is
    /// refused), the code staff give when they take a phone call.
    async fn ordering_hospital(&self, tx: &mut store::WriteTx, actor: &Actor, code: &str) -> Result<HospitalAccount> {
        let code = code.trim();
        if let Some(own) = actor.hospital_id {
            let h = tx.hospital(own).await?.ok_or_else(|| AppError::Forbidden("your user belongs to no hospital account".into()))?;
            if !code.is_empty() && !code.eq_ignore_ascii_case(h.fields.code.as_str()) {
                return Err(AppError::Forbidden(format!(
                    "you order for your own hospital ({}) only; another hospital orders through its own users",
                    h.fields.code.as_str()
                )));
            }
            return Ok(h);
        }
        if code.is_empty() {
            return Err(FieldError::new("hospital", "say which hospital account the order is for").into());
        }
        tx.hospital_by_code(&code.to_ascii_uppercase())
            .await?
            .ok_or_else(|| FieldError::new("hospital", format!("no hospital account has the code '{code}'")).into())
    }

    /// Places an order. A hospital on credit hold, or closed, is refused.
    pub async fn place_order(&self, actor: &Actor, input: &OrderInput) -> Result<OrderView> {
        actor.require(Permission::PlaceOrders)?;
        let now = store::now();
        let fields = input.validate(now)?;
        let channel = if actor.hospital_id.is_some() {
            if actor.via_token {
                Channel::Api
            } else {
                Channel::Portal
            }
        } else {
            Channel::Phone
        };
        let mut tx = self.store.begin_write().await?;
        let hospital = self.ordering_hospital(&mut tx, actor, &input.hospital).await?;
        match hospital.fields.status {
            AccountStatus::Active => {}
            AccountStatus::OnHold => {
                return Err(AppError::Conflict(format!(
                    "the account {} ({}) is on credit hold: no orders are taken until accounts lift the hold",
                    hospital.fields.code.as_str(),
                    hospital.fields.name
                )))
            }
            AccountStatus::Closed => {
                return Err(AppError::Conflict(format!("the account {} is closed: it takes no orders", hospital.fields.code.as_str())))
            }
        }
        let order = self.write_order(&mut tx, &actor.username, &hospital, &fields, channel, now).await?;
        tx.commit().await?;
        self.order(actor, &order.number).await
    }

    /// Stores a checked order for the hospital with its lines, its first state and its
    /// audit record, in the caller's transaction (the number is taken in it).
    pub(crate) async fn write_order(
        &self,
        tx: &mut store::WriteTx,
        by: &str,
        hospital: &HospitalAccount,
        fields: &domain::order::OrderFields,
        channel: Channel,
        now: DateTime<Utc>,
    ) -> Result<OrderRow> {
        let year = now.year();
        let seq = tx.next_document_number("ORD", year).await?;
        let order = OrderRow {
            id: Uuid::now_v7(),
            number: order_number(year, seq),
            hospital_id: hospital.id,
            priority: fields.priority,
            due_at: fields.due_at,
            channel,
            reference: fields.reference.clone(),
            note: fields.note.clone(),
            placed_at: now,
            placed_by: by.to_string(),
        };
        tx.insert_order(&order).await?;
        for (i, l) in fields.lines.iter().enumerate() {
            tx.insert_order_line(&OrderLineRow {
                id: Uuid::now_v7(),
                order_id: order.id,
                line_no: i as i64 + 1,
                product: l.product,
                blood_group: l.group.map(|g| g.to_string()),
                quantity: l.quantity,
                requirements: requirements_text(&l.requirements),
                antigens: l.antigens.join(","),
                max_age_days: l.max_age_days,
                substitution: l.substitution,
            })
            .await?;
        }
        tx.add_order_state(order.id, OrderState::Received, now, by, channel.title()).await?;
        tx.append_audit(AuditDraft::new(by, "order.place", "order", order.id).after(serde_json::json!({
            "number": order.number, "hospital": hospital.fields.code.as_str(), "priority": fields.priority.as_str(),
            "due_at": fields.due_at, "channel": channel.as_str(),
            "lines": fields.lines.iter().map(line_words).collect::<Vec<_>>(),
        })))
        .await?;
        Ok(order)
    }

    /// The order, if the actor may see it: staff every order, a hospital user only their
    /// hospital's (another hospital's order is "not found", never a hint it exists).
    async fn visible_order(&self, actor: &Actor, number: &str) -> Result<OrderCurrent> {
        let not_found = || AppError::NotFound(format!("no order {}", number.trim()));
        let o = self.store.order(number.trim()).await?.ok_or_else(not_found)?;
        self.may_see_hospital(actor, o.order.hospital_id).map_err(|_| not_found())?;
        Ok(o)
    }

    pub(crate) fn may_see_hospital(&self, actor: &Actor, hospital_id: Uuid) -> Result<()> {
        if actor.hospital_id.is_some() {
            if actor.hospital_id != Some(hospital_id) {
                return Err(AppError::NotFound("not found".into()));
            }
            return Ok(());
        }
        actor.require(Permission::ViewOrders)
    }

    pub async fn order(&self, actor: &Actor, number: &str) -> Result<OrderView> {
        let o = self.visible_order(actor, number).await?;
        let lines = self.store.order_lines(o.order.id).await?;
        let allocations = self.store.allocations_of_order(o.order.id).await?;
        let shortfalls = self.store.shortfalls(o.order.id).await?;
        let shipments = self.store.shipments_of_order(o.order.id).await?;
        let history = self.store.order_states(o.order.id).await?;
        let line_no = |id: Uuid| lines.iter().find(|l| l.id == id).map(|l| l.line_no).unwrap_or_default();
        let lines_view = lines
            .iter()
            .map(|l| {
                let mine = allocations.iter().filter(|a| a.order_line_id == l.id);
                let reserved = mine.clone().filter(|a| a.ended_at.is_none()).count() as i64;
                let shipped = mine.filter(|a| a.end_reason.as_deref() == Some("shipped")).count() as i64;
                let short_reason = shortfalls
                    .iter()
                    .find(|f| f.order_line_id == l.id && f.missing > 0)
                    .filter(|_| reserved + shipped < l.quantity && o.state.open())
                    .map(|f| f.reason.clone());
                let parsed = line_of(l);
                LineView {
                    line_no: l.line_no,
                    product: l.product,
                    blood_group: l.blood_group.clone(),
                    quantity: l.quantity,
                    requirements: parsed.requirements.iter().map(|r| r.title().to_string()).collect(),
                    antigens: parsed.antigens.clone(),
                    max_age_days: l.max_age_days,
                    substitution: l.substitution,
                    words: line_words(&parsed),
                    reserved,
                    shipped,
                    short_reason,
                }
            })
            .collect();
        Ok(OrderView {
            number: o.order.number.clone(),
            hospital_code: o.hospital_code.clone(),
            hospital_name: o.hospital_name.clone(),
            priority: o.order.priority,
            priority_title: o.order.priority.title(),
            due_at: o.order.due_at,
            due_local: self.local_time(o.order.due_at),
            channel: o.order.channel.title(),
            reference: o.order.reference.clone(),
            note: o.order.note.clone(),
            placed_at: o.order.placed_at,
            placed_local: self.local_time(o.order.placed_at),
            placed_by: o.order.placed_by.clone(),
            state: o.state,
            state_title: o.state.title(),
            lines: lines_view,
            allocations: allocations
                .iter()
                .map(|a| AllocationView {
                    id: a.allocation_id,
                    line_no: line_no(a.order_line_id),
                    din: a.unit.din.clone(),
                    product_code: a.unit.product_code.clone(),
                    product: ComponentView::of(&a.unit).product,
                    blood_group: a.blood_group.clone(),
                    expires_at: a.unit.expires_at,
                    expires_local: self.local_time(a.unit.expires_at),
                    warning: a.warning.clone().filter(|_| a.ended_at.is_none()),
                    state: a.unit.state.title().to_string(),
                    ended: a.ended_at.map(|at| format!("{} {}", a.end_reason.clone().unwrap_or_default().replace('_', " "), self.local_time(at))),
                })
                .collect(),
            shipments: shipments.iter().map(|s| self.shipment_summary(s)).collect(),
            history: history
                .iter()
                .map(|h| StateView {
                    state: h.state,
                    title: h.state.title(),
                    at: h.changed_at,
                    at_local: self.local_time(h.changed_at),
                    by: h.changed_by.clone(),
                    note: h.note.clone(),
                })
                .collect(),
        })
    }

    pub(crate) fn shipment_summary(&self, s: &ShipmentRow) -> ShipmentSummary {
        ShipmentSummary {
            number: s.number.clone(),
            state: shipment_state(s),
            created_at: s.created_at,
            shipped_at: s.shipped_at,
            shipped_local: s.shipped_at.map(|t| self.local_time(t)),
            received_at: s.received_at,
            received_local: s.received_at.map(|t| self.local_time(t)),
            courier: s.courier.clone(),
        }
    }

    /// Orders, newest first: every hospital's for staff, their own for a hospital user.
    /// A hospital user's own hospital, or every hospital for staff who see orders.
    pub(crate) fn own_or_all(&self, actor: &Actor) -> Result<Option<Uuid>> {
        match actor.hospital_id {
            Some(h) => Ok(Some(h)),
            None => {
                actor.require(Permission::ViewOrders)?;
                Ok(None)
            }
        }
    }

    pub async fn orders(&self, actor: &Actor, limit: i64) -> Result<Vec<OrderListItem>> {
        let hospital = self.own_or_all(actor)?;
        let now = store::now();
        Ok(self
            .store
            .orders(hospital, limit)
            .await?
            .into_iter()
            .map(|o| OrderListItem {
                overdue: o.state.open() && o.order.due_at < now,
                number: o.order.number,
                hospital_code: o.hospital_code,
                hospital_name: o.hospital_name,
                priority: o.order.priority,
                priority_title: o.order.priority.title(),
                due_local: self.local_time(o.order.due_at),
                due_at: o.order.due_at,
                placed_local: self.local_time(o.order.placed_at),
                state: o.state,
                state_title: o.state.title(),
            })
            .collect())
    }

    /// Reads the units as allocation sees them: group, attributes, special tests,
    /// antigen typing and open holds, all through the transaction.
    async fn candidates(&self, tx: &mut store::WriteTx, rows: Vec<CandidateRow>) -> Result<Vec<Candidate>> {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.unit.id).collect();
        let holds: BTreeMap<Uuid, i64> = tx.open_hold_counts_in_tx(&ids).await?.into_iter().collect();
        let donors: Vec<Uuid> = rows.iter().filter_map(|r| r.donor_id).collect::<BTreeSet<_>>().into_iter().collect();
        let mut antigens: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
        for (donor, attr) in tx.negative_antigens_in_tx(&donors).await? {
            antigens.entry(donor).or_default().push(attr.trim_start_matches("antigen:").to_string());
        }
        let donations: Vec<Uuid> = rows.iter().filter_map(|r| r.unit.donation_id).collect::<BTreeSet<_>>().into_iter().collect();
        let mut special: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
        for (donation, code, ordered_at) in tx.negative_special_tests_in_tx(&donations).await? {
            if let Some(attr) = crate::testing::rule_of(&code, ordered_at.date_naive()).and_then(|r| r.attribute_when_negative.as_deref()) {
                special.entry(donation).or_default().push(attribute_words(attr));
            }
        }
        Ok(rows
            .into_iter()
            .map(|r| Candidate {
                id: r.unit.id,
                din: r.unit.din.clone(),
                product_code: r.unit.product_code.clone(),
                kind: r.unit.kind,
                state: r.unit.state,
                group: r.blood_group.as_deref().and_then(|g| BloodGroup::parse(g).ok()),
                attributes: parse_attributes(&r.unit.attributes).unwrap_or_default(),
                special: r.unit.donation_id.and_then(|d| special.get(&d).cloned()).unwrap_or_default(),
                antigens_negative: r.donor_id.and_then(|d| antigens.get(&d).cloned()).unwrap_or_default(),
                collected_at: r.collected_at,
                expires_at: r.unit.expires_at,
                open_holds: holds.get(&r.unit.id).copied().unwrap_or_default() as usize,
            })
            .collect())
    }

    /// The order for a change by staff, locked; refused unless units may still be added.
    async fn open_order_for_update(&self, tx: &mut store::WriteTx, number: &str) -> Result<OrderCurrent> {
        let o = tx.order_for_update(number.trim()).await?.ok_or_else(|| AppError::NotFound(format!("no order {}", number.trim())))?;
        if !o.state.open() {
            return Err(AppError::Conflict(format!(
                "order {} is {}: no units are allocated to it any more",
                o.order.number,
                o.state.title().to_lowercase()
            )));
        }
        Ok(o)
    }

    /// Units a line still needs: its quantity less those reserved or shipped for it.
    fn still_needed(line: &OrderLineRow, allocations: &[AllocationRow]) -> i64 {
        let filled =
            allocations.iter().filter(|a| a.order_line_id == line.id && (a.ended_at.is_none() || a.end_reason.as_deref() == Some("shipped"))).count()
                as i64;
        (line.quantity - filled).max(0)
    }

    async fn reserve(
        &self,
        tx: &mut store::WriteTx,
        actor: &Actor,
        line_id: Uuid,
        unit: Uuid,
        warning: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        tx.insert_allocation(&AllocationRow {
            id: Uuid::now_v7(),
            order_line_id: line_id,
            component_id: unit,
            allocated_at: at,
            allocated_by: actor.username.clone(),
            warning,
            ended_at: None,
            ended_by: None,
            end_reason: None,
        })
        .await?;
        tx.add_component_state(unit, ComponentState::Reserved, at, &actor.username, Some("reserved for a hospital order")).await?;
        Ok(())
    }

    /// The order's state after a change of its reservations: allocated when every line
    /// is filled, partly allocated when some units are reserved, received otherwise.
    pub(crate) async fn settle_order_state(
        &self,
        tx: &mut store::WriteTx,
        actor: &Actor,
        o: &OrderCurrent,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<OrderState> {
        let lines = tx.order_lines_in_tx(o.order.id).await?;
        let all = self.all_allocations_in_tx(tx, o.order.id).await?;
        let missing: i64 = lines.iter().map(|l| Self::still_needed(l, &all)).sum();
        let open = all.iter().filter(|a| a.ended_at.is_none()).count();
        let shipped = all.iter().any(|a| a.end_reason.as_deref() == Some("shipped"));
        let state = if missing == 0 && open == 0 && shipped {
            OrderState::Shipped
        } else if missing == 0 {
            OrderState::Allocated
        } else if open > 0 || shipped {
            OrderState::PartlyAllocated
        } else {
            OrderState::Received
        };
        if state != o.state || !note.is_empty() {
            tx.add_order_state(o.order.id, state, at, &actor.username, note).await?;
        }
        Ok(state)
    }

    async fn all_allocations_in_tx(&self, tx: &mut store::WriteTx, order_id: Uuid) -> Result<Vec<AllocationRow>> {
        Ok(tx.allocations_of_order_in_tx(order_id).await?)
    }

    /// Proposes and reserves units for every line still short, and records why a line
    /// stays short (a back-order). Two orders racing for the last unit: one gets it.
    pub async fn allocate_order(&self, actor: &Actor, number: &str) -> Result<OrderView> {
        actor.require(Permission::AllocateOrders)?;
        let now = store::now();
        let policy = self.settings.allocation;
        let mut tx = self.store.begin_write().await?;
        let o = self.open_order_for_update(&mut tx, number).await?;
        let lines = tx.order_lines_in_tx(o.order.id).await?;
        let existing = self.all_allocations_in_tx(&mut tx, o.order.id).await?;
        let mut kinds: Vec<&str> = lines.iter().flat_map(|l| l.product.kinds()).collect();
        // O-negative red cells are counted across the whole stock for the reserve.
        kinds.extend(ProductClass::RedCells.kinds());
        kinds.sort_unstable();
        kinds.dedup();
        let rows = tx.candidates_for_update(&kinds).await?;
        let units: BTreeMap<Uuid, store::ComponentRow> = rows.iter().map(|r| (r.unit.id, r.unit.clone())).collect();
        let candidates = self.candidates(&mut tx, rows).await?;
        let mut o_negative = candidates
            .iter()
            .filter(|c| ProductClass::of(c.kind) == ProductClass::RedCells && c.open_holds == 0 && c.expires_at > now)
            .filter(|c| c.group.is_some_and(|g| g.abo == domain::donor::Abo::O && !g.rhd_positive))
            .count() as i64;
        let mut taken = BTreeSet::new();
        let mut reserved = vec![];
        let mut short = vec![];
        for l in &lines {
            let needed = Self::still_needed(l, &existing);
            if needed == 0 {
                continue;
            }
            let line = line_of(l);
            // Every pick goes through the release gate once more; a unit it refuses is
            // passed over and the line proposed again without it.
            let p = loop {
                let mut counter = o_negative;
                let p = propose(&line, needed, &candidates, &taken, &mut counter, &policy, now);
                let mut refused = false;
                for pick in &p.picks {
                    if let Some(u) = units.get(&pick.unit) {
                        if !crate::release::leaving_refusals(self, &mut tx, u).await?.is_empty() {
                            taken.insert(pick.unit);
                            refused = true;
                        }
                    }
                }
                if !refused {
                    o_negative = counter;
                    break p;
                }
            };
            for pick in &p.picks {
                taken.insert(pick.unit);
                self.reserve(&mut tx, actor, l.id, pick.unit, pick.warning.clone(), now).await?;
                if let Some(c) = candidates.iter().find(|c| c.id == pick.unit) {
                    reserved.push(format!("line {}: {} {}", l.line_no, c.din, c.product_code));
                }
            }
            let (missing, reason) = p.short.clone().unwrap_or((0, String::new()));
            tx.insert_shortfall(&ShortfallRow { id: Uuid::now_v7(), order_line_id: l.id, recorded_at: now, missing, reason: reason.clone() }).await?;
            if missing > 0 {
                short.push(format!("line {}: {reason}", l.line_no));
            }
        }
        let note = if short.is_empty() {
            format!("{} unit(s) reserved", reserved.len())
        } else {
            format!("{} unit(s) reserved; back-order — {}", reserved.len(), short.join("; "))
        };
        let state = self.settle_order_state(&mut tx, actor, &o, &note, now).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "order.allocate", "order", o.order.id)
                .before(serde_json::json!({"state": o.state.as_str()}))
                .after(serde_json::json!({"state": state.as_str(), "reserved": reserved, "short": short})),
        )
        .await?;
        tx.commit().await?;
        self.order(actor, number).await
    }

    /// Reserves one unit picked by hand (scanned) for a line: the same rules as a
    /// proposal, every refusal with its reason.
    pub async fn pick_unit(&self, actor: &Actor, number: &str, input: &PickInput) -> Result<OrderView> {
        actor.require(Permission::AllocateOrders)?;
        let unit_ref = parse_unit_line(&input.scan).map_err(|m| AppError::from(FieldError::new("scan", m)))?;
        let now = store::now();
        let policy = self.settings.allocation;
        let mut tx = self.store.begin_write().await?;
        let o = self.open_order_for_update(&mut tx, number).await?;
        let lines = tx.order_lines_in_tx(o.order.id).await?;
        let l = lines
            .iter()
            .find(|l| l.line_no == input.line)
            .ok_or_else(|| AppError::from(FieldError::new("line", format!("order {} has no line {}", o.order.number, input.line))))?;
        let existing = self.all_allocations_in_tx(&mut tx, o.order.id).await?;
        if Self::still_needed(l, &existing) == 0 {
            return Err(AppError::Conflict(format!("line {} of order {} has all its units", l.line_no, o.order.number)));
        }
        let row = tx
            .candidate_for_update(&unit_ref.din, &unit_ref.product_code)
            .await?
            .ok_or_else(|| AppError::from(FieldError::new("scan", format!("no unit {} {}", unit_ref.din, unit_ref.product_code))))?;
        let unit = self.candidates(&mut tx, vec![row]).await?.remove(0);
        // The O-negative reserve counts the whole available stock.
        let stock = tx.candidates_for_update(&ProductClass::RedCells.kinds()).await?;
        let o_negative = stock.iter().filter(|c| c.blood_group.as_deref() == Some("O-")).count() as i64;
        let spare = o_negative - policy.o_negative_reserve;
        let f = fit(&line_of(l), &unit, now, &policy, spare).map_err(|(_, why)| AppError::Conflict(why))?;
        self.reserve(&mut tx, actor, l.id, unit.id, f.warning, now).await?;
        let note = format!("{} {} picked by hand for line {}", unit.din, unit.product_code, l.line_no);
        let state = self.settle_order_state(&mut tx, actor, &o, &note, now).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "order.pick", "order", o.order.id)
                .after(serde_json::json!({"state": state.as_str(), "line": l.line_no, "din": unit.din, "product_code": unit.product_code})),
        )
        .await?;
        tx.commit().await?;
        self.order(actor, number).await
    }

    /// Gives a reserved (not yet packed) unit back to stock.
    pub async fn unreserve(&self, actor: &Actor, number: &str, allocation: Uuid) -> Result<OrderView> {
        actor.require(Permission::AllocateOrders)?;
        let now = store::now();
        let mut tx = self.store.begin_write().await?;
        let o = self.open_order_for_update(&mut tx, number).await?;
        let open = tx.open_allocations_in_tx(o.order.id).await?;
        let a = open
            .iter()
            .find(|a| a.allocation_id == allocation)
            .ok_or_else(|| AppError::NotFound(format!("order {} has no open reservation {allocation}", o.order.number)))?;
        if let Some(s) = tx.open_shipment_in_tx(o.order.id).await? {
            if tx.packed_units_in_tx(s.id).await?.iter().any(|p| p.allocation_id == a.allocation_id) {
                return Err(AppError::Conflict(format!("unit {} {} is packed in shipment {}", a.unit.din, a.unit.product_code, s.number)));
            }
        }
        self.end_reservation(&mut tx, actor, a, "given_back", now).await?;
        let note = format!("{} {} given back to stock", a.unit.din, a.unit.product_code);
        self.settle_order_state(&mut tx, actor, &o, &note, now).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "order.unreserve", "order", o.order.id)
                .after(serde_json::json!({"din": a.unit.din, "product_code": a.unit.product_code})),
        )
        .await?;
        tx.commit().await?;
        self.order(actor, number).await
    }

    async fn end_reservation(&self, tx: &mut store::WriteTx, actor: &Actor, a: &AllocatedUnit, reason: &str, at: DateTime<Utc>) -> Result<()> {
        tx.end_allocation(a.allocation_id, at, &actor.username, reason).await?;
        if a.unit.state == ComponentState::Reserved {
            tx.add_component_state(a.unit.id, ComponentState::Available, at, &actor.username, Some("reservation ended; back in stock")).await?;
        }
        Ok(())
    }

    /// Cancels an order not yet shipped (the hospital or distribution): its reserved
    /// units go back to stock.
    pub async fn cancel_order(&self, actor: &Actor, number: &str, input: &CancelInput) -> Result<OrderView> {
        if actor.hospital_id.is_some() {
            actor.require(Permission::PlaceOrders)?;
        } else {
            actor.require(Permission::AllocateOrders)?;
        }
        if input.reason.trim().is_empty() {
            return Err(FieldError::new("reason", "say why the order is cancelled").into());
        }
        let now = store::now();
        let mut tx = self.store.begin_write().await?;
        let o = tx.order_for_update(number.trim()).await?.ok_or_else(|| AppError::NotFound(format!("no order {}", number.trim())))?;
        if actor.hospital_id.is_some() && actor.hospital_id != Some(o.order.hospital_id) {
            return Err(AppError::NotFound(format!("no order {}", number.trim())));
        }
        if !o.state.open() {
            return Err(AppError::Conflict(format!("order {} is {}: it can no longer be cancelled", o.order.number, o.state.title().to_lowercase())));
        }
        if let Some(s) = tx.open_shipment_in_tx(o.order.id).await? {
            if !tx.packed_units_in_tx(s.id).await?.is_empty() {
                return Err(AppError::Conflict(format!("shipment {} is being packed: unpack it before cancelling", s.number)));
            }
        }
        let all = self.all_allocations_in_tx(&mut tx, o.order.id).await?;
        if all.iter().any(|a| a.end_reason.as_deref() == Some("shipped")) {
            return Err(AppError::Conflict(format!("part of order {} has shipped: it can no longer be cancelled", o.order.number)));
        }
        let open = tx.open_allocations_in_tx(o.order.id).await?;
        for a in &open {
            self.end_reservation(&mut tx, actor, a, "cancelled", now).await?;
        }
        tx.add_order_state(o.order.id, OrderState::Cancelled, now, &actor.username, input.reason.trim()).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "order.cancel", "order", o.order.id)
                .before(serde_json::json!({"state": o.state.as_str()}))
                .after(serde_json::json!({"state": "cancelled", "reason": input.reason.trim(), "units_back_in_stock": open.len()}))
                .reason(Some(input.reason.trim().to_string())),
        )
        .await?;
        tx.commit().await?;
        self.order(actor, number).await
    }
}
