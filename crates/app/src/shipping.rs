//! Packing and shipping an order: each unit scanned into a container of its temperature
//! class, the shipment sent with the consignee of every unit recorded, and the
//! hospital's receipt. Same shape as the orders: decide and write in one transaction.

use crate::components::{batch::parse_unit_line, ComponentView};
use crate::sales::ShipmentSummary;
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Datelike, Utc};
use domain::component::ComponentState;
use domain::order::{OrderState, ShippingClass};
use domain::{AuditDraft, FieldError, Permission};
use serde::{Deserialize, Serialize};
use store::{ContainerRow, ShipmentItemRow, ShipmentRow};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct PackedView {
    pub container: i64,
    pub din: String,
    pub product_code: String,
    pub product: String,
    pub blood_group: Option<String>,
    pub expires_local: String,
    pub packed_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContainerView {
    pub number: i64,
    pub shipping_class: ShippingClass,
    pub title: &'static str,
    pub units: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShipmentView {
    pub number: String,
    pub order_number: String,
    pub hospital_id: Uuid,
    pub hospital_code: String,
    pub hospital_name: String,
    pub state: &'static str,
    pub created_local: String,
    pub courier: Option<String>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub shipped_local: Option<String>,
    pub shipped_by: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    pub received_local: Option<String>,
    pub received_by: Option<String>,
    pub receipt_note: Option<String>,
    pub containers: Vec<ContainerView>,
    pub units: Vec<PackedView>,
}

/// A unit scanned at packing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackInput {
    /// The unit's DIN and product code as scanned.
    pub scan: String,
    /// The container to put it in (1, 2, …); empty: the open one of its temperature class.
    #[serde(default)]
    pub container: Option<i64>,
    /// Staff confirmed the hospital accepts a short-dated unit.
    #[serde(default)]
    pub short_dated_confirmed: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipInput {
    pub courier: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiveInput {
    #[serde(default)]
    pub note: String,
}

pub(crate) fn shipment_state(s: &ShipmentRow) -> &'static str {
    if s.received_at.is_some() {
        "received"
    } else if s.shipped_at.is_some() {
        "shipped"
    } else {
        "packing"
    }
}

fn shipment_number(year: i32, seq: i64) -> String {
    format!("SH-{year}-{seq:06}")
}

impl App {
    /// Packs a scanned unit: it must be reserved for this order, unexpired and without a
    /// hold, and go into a container of its temperature class (classes never mix).
    pub async fn pack_unit(&self, actor: &Actor, number: &str, input: &PackInput) -> Result<ShipmentView> {
        actor.require(Permission::ShipOrders)?;
        let unit_ref = parse_unit_line(&input.scan).map_err(|m| AppError::from(FieldError::new("scan", m)))?;
        let now = store::now();
        let mut tx = self.store.begin_write().await?;
        let o = tx.order_for_update(number.trim()).await?.ok_or_else(|| AppError::NotFound(format!("no order {}", number.trim())))?;
        if !matches!(o.state, OrderState::Allocated | OrderState::PartlyAllocated) {
            return Err(AppError::Conflict(format!("order {} is {}: there is nothing to pack", o.order.number, o.state.title().to_lowercase())));
        }
        let open = tx.open_allocations_in_tx(o.order.id).await?;
        let unit_words = format!("{} {}", unit_ref.din, unit_ref.product_code);
        let Some(a) = open.iter().find(|a| a.unit.din == unit_ref.din && a.unit.product_code == unit_ref.product_code) else {
            let other = tx.candidate_for_update(&unit_ref.din, &unit_ref.product_code).await?;
            return Err(match other {
                None => FieldError::new("scan", format!("no unit {unit_words}")).into(),
                Some(u) if u.unit.state == ComponentState::Shipped => AppError::Conflict(format!("unit {unit_words} has already shipped")),
                Some(u) if u.unit.state == ComponentState::Reserved => {
                    AppError::Conflict(format!("unit {unit_words} is reserved for another order; put it back"))
                }
                Some(_) => AppError::Conflict(format!("unit {unit_words} is not reserved for order {}; put it back", o.order.number)),
            });
        };
        let unit = &a.unit;
        if unit.expires_at <= now {
            return Err(AppError::Conflict(format!("unit {unit_words} has expired; put it aside for discard")));
        }
        let holds = tx.open_hold_counts_in_tx(&[unit.id]).await?;
        if unit.state != ComponentState::Reserved || !holds.is_empty() {
            return Err(AppError::Conflict(format!("unit {unit_words} is {} or on hold: it may not be shipped", unit.state.title().to_lowercase())));
        }
        let shipment = match tx.open_shipment_in_tx(o.order.id).await? {
            Some(s) => s,
            None => {
                let year = now.year();
                let seq = tx.next_document_number("SH", year).await?;
                let s = ShipmentRow {
                    id: Uuid::now_v7(),
                    number: shipment_number(year, seq),
                    order_id: o.order.id,
                    hospital_id: o.order.hospital_id,
                    created_at: now,
                    created_by: actor.username.clone(),
                    courier: None,
                    shipped_at: None,
                    shipped_by: None,
                    received_at: None,
                    received_by: None,
                    receipt_note: None,
                };
                tx.insert_shipment(&s).await?;
                s
            }
        };
        let packed = tx.packed_units_in_tx(shipment.id).await?;
        if let Some(p) = packed.iter().find(|p| p.unit.id == unit.id) {
            return Err(AppError::Conflict(format!("unit {unit_words} is already packed in container {}", p.container_seq)));
        }
        if let Some(w) = a.warning.as_ref().filter(|_| !input.short_dated_confirmed) {
            return Err(FieldError::new("short_dated_confirmed", w.clone()).into());
        }
        let class = ShippingClass::of(unit.kind);
        let containers = tx.containers_in_tx(shipment.id).await?;
        let container = match input.container {
            Some(n) => {
                let k = containers.iter().find(|k| k.seq == n).ok_or_else(|| {
                    AppError::from(FieldError::new(
                        "container",
                        format!("shipment {} has no container {n}; leave it empty to open one", shipment.number),
                    ))
                })?;
                if k.shipping_class != class {
                    return Err(FieldError::new(
                        "container",
                        format!(
                            "container {n} travels {}; unit {unit_words} travels {}: temperature classes are never mixed",
                            k.shipping_class.title().to_lowercase(),
                            class.title().to_lowercase()
                        ),
                    )
                    .into());
                }
                k.clone()
            }
            None => match containers.iter().rev().find(|k| k.shipping_class == class) {
                Some(k) => k.clone(),
                None => {
                    let k = ContainerRow { id: Uuid::now_v7(), shipment_id: shipment.id, seq: containers.len() as i64 + 1, shipping_class: class };
                    tx.insert_container(&k).await?;
                    k
                }
            },
        };
        tx.insert_shipment_item(&ShipmentItemRow {
            id: Uuid::now_v7(),
            shipment_id: shipment.id,
            container_id: container.id,
            component_id: unit.id,
            allocation_id: a.allocation_id,
            scanned: input.scan.split_whitespace().collect::<Vec<_>>().join(" "),
            packed_at: now,
            packed_by: actor.username.clone(),
            short_dated_confirmed: input.short_dated_confirmed && a.warning.is_some(),
        })
        .await?;
        tx.append_audit(AuditDraft::new(&actor.username, "shipment.pack", "shipment", shipment.id).after(serde_json::json!({
            "shipment": shipment.number, "order": o.order.number, "din": unit.din, "product_code": unit.product_code,
            "container": container.seq, "shipping_class": class.as_str(), "short_dated_confirmed": input.short_dated_confirmed,
        })))
        .await?;
        tx.commit().await?;
        self.shipment(actor, &shipment.number).await
    }

    /// Ships a packed shipment: each unit becomes the consignee's (state shipped), its
    /// reservation ends, and the order moves on.
    pub async fn ship(&self, actor: &Actor, shipment_number: &str, input: &ShipInput) -> Result<ShipmentView> {
        actor.require(Permission::ShipOrders)?;
        if input.courier.trim().is_empty() {
            return Err(FieldError::new("courier", "say who carries it (courier or driver)").into());
        }
        let now = store::now();
        let mut tx = self.store.begin_write().await?;
        let s = tx
            .shipment_for_update(shipment_number.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no shipment {}", shipment_number.trim())))?;
        if let Some(at) = s.shipped_at {
            return Err(AppError::Conflict(format!("shipment {} already shipped at {}", s.number, self.local_time(at))));
        }
        let order = tx.order_by_id_for_update(s.order_id).await?.ok_or_else(|| AppError::NotFound("the shipment's order is missing".into()))?;
        let packed = tx.packed_units_in_tx(s.id).await?;
        if packed.is_empty() {
            return Err(AppError::Conflict(format!("shipment {} has no units packed", s.number)));
        }
        let ids: Vec<Uuid> = packed.iter().map(|p| p.unit.id).collect();
        let locked = tx.units_for_update(&ids).await?;
        let holds = tx.open_hold_counts_in_tx(&ids).await?;
        let mut refusals = vec![];
        for p in &packed {
            let words = format!("{} {}", p.unit.din, p.unit.product_code);
            match locked.iter().find(|u| u.id == p.unit.id) {
                Some(u) if u.state == ComponentState::Reserved => {
                    if holds.iter().any(|(id, _)| *id == u.id) {
                        refusals.push(format!("unit {words} is on hold"));
                    }
                    // Shipping goes through the release gate: expiry, results, holds, deferrals.
                    for r in crate::release::leaving_refusals(self, &mut tx, u).await? {
                        refusals.push(format!("unit {words}: {}", r.reason));
                    }
                }
                Some(u) => refusals.push(format!("unit {words} is {}", u.state.title().to_lowercase())),
                None => refusals.push(format!("unit {words} is no longer in stock")),
            }
        }
        if !refusals.is_empty() {
            return Err(AppError::Conflict(format!("shipment {} may not leave: {}", s.number, refusals.join("; "))));
        }
        let open = tx.open_allocations_in_tx(s.order_id).await?;
        for p in &packed {
            tx.add_component_state(
                p.unit.id,
                ComponentState::Shipped,
                now,
                &actor.username,
                Some(&format!("shipped in {} to {}", s.number, order.hospital_code)),
            )
            .await?;
            if let Some(a) = open.iter().find(|a| a.allocation_id == p.allocation_id) {
                tx.end_allocation(a.allocation_id, now, &actor.username, "shipped").await?;
            }
        }
        tx.mark_shipped(s.id, now, &actor.username, input.courier.trim()).await?;
        let note = format!("shipment {} left with {} unit(s), courier {}", s.number, packed.len(), input.courier.trim());
        let state = self.settle_order_state(&mut tx, actor, &order, &note, now).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "shipment.ship", "shipment", s.id).after(serde_json::json!({
            "shipment": s.number, "order": order.order.number, "consignee": order.hospital_code, "courier": input.courier.trim(),
            "order_state": state.as_str(),
            "units": packed.iter().map(|p| format!("{} {}", p.unit.din, p.unit.product_code)).collect::<Vec<_>>(),
        })))
        .await?;
        tx.commit().await?;
        self.shipment(actor, &s.number).await
    }

    /// The hospital confirms a shipment arrived. When every shipment of a fully shipped
    /// order has arrived, the order is delivered.
    pub async fn receive_shipment(&self, actor: &Actor, shipment_number: &str, input: &ReceiveInput) -> Result<ShipmentView> {
        actor.require(Permission::ReceiveShipments)?;
        let not_found = || AppError::NotFound(format!("no shipment {}", shipment_number.trim()));
        let now = store::now();
        let mut tx = self.store.begin_write().await?;
        let s = tx.shipment_for_update(shipment_number.trim()).await?.ok_or_else(not_found)?;
        if actor.hospital_id != Some(s.hospital_id) {
            return Err(not_found());
        }
        if s.shipped_at.is_none() {
            return Err(AppError::Conflict(format!("shipment {} has not left the centre yet", s.number)));
        }
        if let Some(at) = s.received_at {
            return Err(AppError::Conflict(format!("shipment {} was already received at {}", s.number, self.local_time(at))));
        }
        tx.mark_received(s.id, now, &actor.username, input.note.trim()).await?;
        let order = tx.order_by_id_for_update(s.order_id).await?.ok_or_else(not_found)?;
        if order.state == OrderState::Shipped && tx.unreceived_shipments_in_tx(order.order.id).await? == 0 {
            tx.add_order_state(order.order.id, OrderState::Delivered, now, &actor.username, &format!("shipment {} received", s.number)).await?;
        }
        tx.append_audit(
            AuditDraft::new(&actor.username, "shipment.receive", "shipment", s.id)
                .after(serde_json::json!({"shipment": s.number, "note": input.note.trim()})),
        )
        .await?;
        tx.commit().await?;
        self.shipment(actor, &s.number).await
    }

    pub async fn shipment(&self, actor: &Actor, number: &str) -> Result<ShipmentView> {
        let not_found = || AppError::NotFound(format!("no shipment {}", number.trim()));
        let s = self.store.shipment(number.trim()).await?.ok_or_else(not_found)?;
        self.may_see_hospital(actor, s.hospital_id).map_err(|e| if matches!(e, AppError::NotFound(_)) { not_found() } else { e })?;
        let order = self.store.order_by_id(s.order_id).await?.ok_or_else(not_found)?;
        let containers = self.store.containers(s.id).await?;
        let packed = self.store.packed_units(s.id).await?;
        Ok(ShipmentView {
            number: s.number.clone(),
            order_number: order.order.number.clone(),
            hospital_id: s.hospital_id,
            hospital_code: order.hospital_code.clone(),
            hospital_name: order.hospital_name.clone(),
            state: shipment_state(&s),
            created_local: self.local_time(s.created_at),
            courier: s.courier.clone(),
            shipped_at: s.shipped_at,
            shipped_local: s.shipped_at.map(|t| self.local_time(t)),
            shipped_by: s.shipped_by.clone(),
            received_at: s.received_at,
            received_local: s.received_at.map(|t| self.local_time(t)),
            received_by: s.received_by.clone(),
            receipt_note: s.receipt_note.clone(),
            containers: containers
                .iter()
                .map(|k| ContainerView {
                    number: k.seq,
                    shipping_class: k.shipping_class,
                    title: k.shipping_class.title(),
                    units: packed.iter().filter(|p| p.container_id == k.id).count(),
                })
                .collect(),
            units: packed
                .iter()
                .map(|p| PackedView {
                    container: p.container_seq,
                    din: p.unit.din.clone(),
                    product_code: p.unit.product_code.clone(),
                    product: ComponentView::of(&p.unit).product,
                    blood_group: p.blood_group.clone(),
                    expires_local: self.local_time(p.unit.expires_at),
                    packed_by: p.packed_by.clone(),
                })
                .collect(),
        })
    }

    /// Shipments, newest first: every hospital's for staff, their own for a hospital user.
    pub async fn shipments(&self, actor: &Actor, limit: i64) -> Result<Vec<ShipmentSummary>> {
        let hospital = self.own_or_all(actor)?;
        Ok(self.store.shipments(hospital, limit).await?.iter().map(|s| self.shipment_summary(s)).collect())
    }
}
