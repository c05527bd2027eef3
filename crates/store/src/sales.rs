//! Hospital sales: orders with their lines and states, the units reserved for them,
//! shipments with their containers and scanned units (the consignee record), and the
//! gap-free document numbers. Decisions read through the write transaction, with the
//! order's and the units' rows locked on PostgreSQL.

use crate::components::{ComponentRow, COLUMNS, LATEST};
use crate::inventory::{kinds_sql, RELEASED_GROUP, RELEASED_GROUP_OF_UNIT};
use crate::reference::latest_hospital_version;
use crate::{on_pool, on_tx, Backend, Result, Store, WriteTx};
use chrono::{DateTime, Utc};
use domain::inventory::ProductClass;
use domain::order::{Channel, OrderState, Priority, ShippingClass};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub number: String,
    pub hospital_id: Uuid,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    pub due_at: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub reference: String,
    pub note: String,
    pub placed_at: DateTime<Utc>,
    pub placed_by: String,
}

/// An order with where it stands and its hospital.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OrderCurrent {
    #[sqlx(flatten)]
    pub order: OrderRow,
    #[sqlx(try_from = "String")]
    pub state: OrderState,
    pub state_at: DateTime<Utc>,
    pub hospital_code: String,
    pub hospital_name: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OrderLineRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub line_no: i64,
    #[sqlx(try_from = "String")]
    pub product: ProductClass,
    pub blood_group: Option<String>,
    pub quantity: i64,
    pub requirements: String,
    pub antigens: String,
    pub max_age_days: Option<i64>,
    pub substitution: bool,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OrderStateRow {
    pub order_id: Uuid,
    pub seq: i64,
    #[sqlx(try_from = "String")]
    pub state: OrderState,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ShortfallRow {
    pub id: Uuid,
    pub order_line_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub missing: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AllocationRow {
    pub id: Uuid,
    pub order_line_id: Uuid,
    pub component_id: Uuid,
    pub allocated_at: DateTime<Utc>,
    pub allocated_by: String,
    pub warning: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
    pub end_reason: Option<String>,
}

/// A reservation with its unit (the reservation's columns prefixed, as both have an id).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AllocatedUnit {
    #[sqlx(flatten)]
    pub unit: ComponentRow,
    pub allocation_id: Uuid,
    pub order_line_id: Uuid,
    pub allocated_at: DateTime<Utc>,
    pub allocated_by: String,
    pub warning: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
    pub end_reason: Option<String>,
    pub blood_group: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ShipmentRow {
    pub id: Uuid,
    pub number: String,
    pub order_id: Uuid,
    pub hospital_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub courier: Option<String>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub shipped_by: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    pub received_by: Option<String>,
    pub receipt_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ContainerRow {
    pub id: Uuid,
    pub shipment_id: Uuid,
    pub seq: i64,
    #[sqlx(try_from = "String")]
    pub shipping_class: ShippingClass,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ShipmentItemRow {
    pub id: Uuid,
    pub shipment_id: Uuid,
    pub container_id: Uuid,
    pub component_id: Uuid,
    pub allocation_id: Uuid,
    pub scanned: String,
    pub packed_at: DateTime<Utc>,
    pub packed_by: String,
    pub short_dated_confirmed: bool,
}

/// A packed unit with its unit and container.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PackedUnit {
    #[sqlx(flatten)]
    pub unit: ComponentRow,
    pub container_id: Uuid,
    pub allocation_id: Uuid,
    pub packed_at: DateTime<Utc>,
    pub packed_by: String,
    pub short_dated_confirmed: bool,
    pub container_seq: i64,
    pub blood_group: Option<String>,
}

/// A unit shipped to a consignee: which hospital, which shipment, when.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConsigneeRow {
    pub component_id: Uuid,
    pub shipment_number: String,
    pub hospital_id: Uuid,
    pub hospital_code: String,
    pub hospital_name: String,
    pub shipped_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
}

/// What allocation reads of a unit besides its row: released group, collection time,
/// donor and donation.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CandidateRow {
    #[sqlx(flatten)]
    pub unit: ComponentRow,
    pub blood_group: Option<String>,
    pub collected_at: Option<DateTime<Utc>>,
    pub donor_id: Option<Uuid>,
}

const CURRENT_ORDER: &str = concat!(
    "SELECT o.*, st.state, st.changed_at AS state_at, h.code AS hospital_code, hv.name AS hospital_name \
     FROM orders o JOIN order_states st ON st.order_id = o.id AND st.seq = (SELECT MAX(x.seq) FROM order_states x WHERE x.order_id = o.id) \
     JOIN hospitals h ON h.id = o.hospital_id ",
    latest_hospital_version!()
);
const ALLOCATION_COLUMNS: &str =
    "a.id, a.order_line_id, a.component_id, a.allocated_at, a.allocated_by, a.warning, a.ended_at, a.ended_by, a.end_reason";
const ALLOCATED_UNIT: &str =
    "a.id AS allocation_id, a.order_line_id, a.allocated_at, a.allocated_by, a.warning, a.ended_at, a.ended_by, a.end_reason";
const PACKED_UNIT: &str = "i.container_id, i.allocation_id, i.packed_at, i.packed_by, i.short_dated_confirmed";

impl Store {
    /// Orders, newest first; only one hospital's when `hospital` is given.
    pub async fn orders(&self, hospital: Option<Uuid>, limit: i64) -> Result<Vec<OrderCurrent>> {
        let sql = format!("{CURRENT_ORDER} WHERE ($1 IS NULL OR o.hospital_id = $1) ORDER BY o.placed_at DESC, o.number DESC LIMIT $2");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(hospital).bind(limit).fetch_all(p).await?))
    }

    pub async fn order(&self, number: &str) -> Result<Option<OrderCurrent>> {
        let sql = format!("{CURRENT_ORDER} WHERE o.number = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(number).fetch_optional(p).await?))
    }

    pub async fn order_by_id(&self, id: Uuid) -> Result<Option<OrderCurrent>> {
        let sql = format!("{CURRENT_ORDER} WHERE o.id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    pub async fn order_lines(&self, order_id: Uuid) -> Result<Vec<OrderLineRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM order_lines WHERE order_id = $1 ORDER BY line_no").bind(order_id).fetch_all(p).await?))
    }

    pub async fn order_states(&self, order_id: Uuid) -> Result<Vec<OrderStateRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM order_states WHERE order_id = $1 ORDER BY seq").bind(order_id).fetch_all(p).await?))
    }

    /// The latest shortfall of each line of the order.
    pub async fn shortfalls(&self, order_id: Uuid) -> Result<Vec<ShortfallRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT f.* FROM line_shortfalls f JOIN order_lines l ON l.id = f.order_line_id WHERE l.order_id = $1 \
             AND f.recorded_at = (SELECT MAX(g.recorded_at) FROM line_shortfalls g WHERE g.order_line_id = f.order_line_id) ORDER BY l.line_no")
            .bind(order_id).fetch_all(p).await?))
    }

    /// Every reservation of the order (open and ended) with its unit.
    pub async fn allocations_of_order(&self, order_id: Uuid) -> Result<Vec<AllocatedUnit>> {
        let sql = format!(
            "SELECT {COLUMNS}, {ALLOCATED_UNIT}, {RELEASED_GROUP} FROM allocations a JOIN order_lines l ON l.id = a.order_line_id \
             JOIN components c ON c.id = a.component_id {LATEST} WHERE l.order_id = $1 ORDER BY l.line_no, a.allocated_at, c.din"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(order_id).fetch_all(p).await?))
    }

    pub async fn shipments_of_order(&self, order_id: Uuid) -> Result<Vec<ShipmentRow>> {
        Ok(
            on_pool!(self, p => sqlx::query_as("SELECT * FROM shipments WHERE order_id = $1 ORDER BY created_at, number").bind(order_id).fetch_all(p).await?),
        )
    }

    pub async fn shipment(&self, number: &str) -> Result<Option<ShipmentRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM shipments WHERE number = $1").bind(number).fetch_optional(p).await?))
    }

    /// Shipments, newest first; only one hospital's when `hospital` is given.
    pub async fn shipments(&self, hospital: Option<Uuid>, limit: i64) -> Result<Vec<ShipmentRow>> {
        Ok(
            on_pool!(self, p => sqlx::query_as("SELECT * FROM shipments WHERE ($1 IS NULL OR hospital_id = $1) ORDER BY created_at DESC, number DESC LIMIT $2")
            .bind(hospital).bind(limit).fetch_all(p).await?),
        )
    }

    pub async fn containers(&self, shipment_id: Uuid) -> Result<Vec<ContainerRow>> {
        Ok(
            on_pool!(self, p => sqlx::query_as("SELECT * FROM shipment_containers WHERE shipment_id = $1 ORDER BY seq").bind(shipment_id).fetch_all(p).await?),
        )
    }

    pub async fn packed_units(&self, shipment_id: Uuid) -> Result<Vec<PackedUnit>> {
        let sql = format!(
            "SELECT {COLUMNS}, {PACKED_UNIT}, k.seq AS container_seq, {RELEASED_GROUP} FROM shipment_items i \
             JOIN shipment_containers k ON k.id = i.container_id JOIN components c ON c.id = i.component_id {LATEST} \
             WHERE i.shipment_id = $1 ORDER BY k.seq, i.packed_at, c.din"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(shipment_id).fetch_all(p).await?))
    }

    /// Every consignee the unit was shipped to, in order; a plasma unit given in an
    /// apheresis procedure names the patient's hospital, under the request's number.
    pub async fn consignees_of(&self, component_id: Uuid) -> Result<Vec<ConsigneeRow>> {
        const SQL: &str = concat!(
            "SELECT i.component_id, s.number AS shipment_number, s.hospital_id, h.code AS hospital_code, hv.name AS hospital_name, s.shipped_at, s.received_at \
             FROM shipment_items i JOIN shipments s ON s.id = i.shipment_id JOIN hospitals h ON h.id = s.hospital_id ",
            latest_hospital_version!(),
            " WHERE i.component_id = $1 AND s.shipped_at IS NOT NULL \
             UNION ALL \
             SELECT g.component_id, r.number AS shipment_number, r.hospital_id, h.code AS hospital_code, hv.name AS hospital_name, \
               g.scanned_at AS shipped_at, g.scanned_at AS received_at \
             FROM apheresis_plasma_units g JOIN apheresis_procedures p ON p.id = g.procedure_id \
             JOIN apheresis_treatments t ON t.id = p.treatment_id JOIN apheresis_requests r ON r.id = t.request_id \
             JOIN hospitals h ON h.id = r.hospital_id ",
            latest_hospital_version!(),
            " WHERE g.component_id = $1 ORDER BY shipped_at"
        );
        Ok(on_pool!(self, p => sqlx::query_as(SQL)
            .bind(component_id).fetch_all(p).await?))
    }
}

impl WriteTx {
    /// The next number of a series (ORD, SH, INV) in the year, in this transaction: a
    /// rolled-back write gives its number back, so numbers have no gaps. The counter's
    /// row stays locked until commit.
    pub async fn next_document_number(&mut self, series: &str, year: i32) -> Result<i64> {
        let (seq,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO document_numbers (series, year, last_seq) VALUES ($1, $2, 1) \
             ON CONFLICT (series, year) DO UPDATE SET last_seq = document_numbers.last_seq + 1 RETURNING last_seq")
            .bind(series).bind(year as i64).fetch_one(c).await?);
        Ok(seq)
    }

    pub async fn insert_order(&mut self, o: &OrderRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO orders (id, number, hospital_id, priority, due_at, channel, reference, note, placed_at, placed_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(o.id).bind(&o.number).bind(o.hospital_id).bind(o.priority.as_str()).bind(o.due_at).bind(o.channel.as_str())
            .bind(&o.reference).bind(&o.note).bind(o.placed_at).bind(&o.placed_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_order_line(&mut self, l: &OrderLineRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO order_lines (id, order_id, line_no, product, blood_group, quantity, requirements, antigens, max_age_days, substitution) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(l.id).bind(l.order_id).bind(l.line_no).bind(l.product.as_str()).bind(&l.blood_group).bind(l.quantity)
            .bind(&l.requirements).bind(&l.antigens).bind(l.max_age_days).bind(l.substitution)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn add_order_state(&mut self, order_id: Uuid, state: OrderState, at: DateTime<Utc>, by: &str, note: &str) -> Result<()> {
        let (seq,): (i64,) = on_tx!(self, c => sqlx::query_as("SELECT COALESCE(MAX(seq), 0) + 1 FROM order_states WHERE order_id = $1")
            .bind(order_id).fetch_one(c).await?);
        on_tx!(self, c => sqlx::query("INSERT INTO order_states (order_id, seq, state, changed_at, changed_by, note) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(order_id).bind(seq).bind(state.as_str()).bind(at).bind(by).bind(note)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// The order, its row locked on PostgreSQL (two allocations of one order queue).
    pub async fn order_for_update(&mut self, number: &str) -> Result<Option<OrderCurrent>> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT id FROM orders WHERE number = $1 FOR UPDATE").bind(number).execute(c).await?.rows_affected());
        }
        let sql = format!("{CURRENT_ORDER} WHERE o.number = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(number).fetch_optional(c).await?))
    }

    /// The order by id, its row locked on PostgreSQL.
    pub async fn order_by_id_for_update(&mut self, id: Uuid) -> Result<Option<OrderCurrent>> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT id FROM orders WHERE id = $1 FOR UPDATE").bind(id).execute(c).await?.rows_affected());
        }
        let sql = format!("{CURRENT_ORDER} WHERE o.id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    /// Every reservation of the order, open and ended.
    pub async fn allocations_of_order_in_tx(&mut self, order_id: Uuid) -> Result<Vec<AllocationRow>> {
        let sql = format!("SELECT {ALLOCATION_COLUMNS} FROM allocations a JOIN order_lines l ON l.id = a.order_line_id WHERE l.order_id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(order_id).fetch_all(c).await?))
    }

    pub async fn order_lines_in_tx(&mut self, order_id: Uuid) -> Result<Vec<OrderLineRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM order_lines WHERE order_id = $1 ORDER BY line_no").bind(order_id).fetch_all(c).await?))
    }

    /// The order's reservations that are still open, with their units.
    pub async fn open_allocations_in_tx(&mut self, order_id: Uuid) -> Result<Vec<AllocatedUnit>> {
        let sql = format!(
            "SELECT {COLUMNS}, {ALLOCATED_UNIT}, {RELEASED_GROUP} FROM allocations a JOIN order_lines l ON l.id = a.order_line_id \
             JOIN components c ON c.id = a.component_id {LATEST} WHERE l.order_id = $1 AND a.ended_at IS NULL ORDER BY l.line_no, c.din"
        );
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(order_id).fetch_all(c).await?))
    }

    /// Available units of these kinds, locked on PostgreSQL in id order (so two
    /// allocations never wait on each other in a cycle), read again after the lock so a
    /// unit another transaction reserved meanwhile shows as reserved.
    pub async fn candidates_for_update(&mut self, kinds: &[&str]) -> Result<Vec<CandidateRow>> {
        let kinds_sql = kinds_sql(kinds);
        if self.backend() == Backend::Postgres {
            let sql = format!("SELECT c.id FROM components c {LATEST} WHERE c.kind IN ({kinds_sql}) AND s.state = 'available' ORDER BY c.id");
            let ids: Vec<(Uuid,)> = on_tx!(self, c => sqlx::query_as(&sql).fetch_all(c).await?);
            let ids: Vec<Uuid> = ids.into_iter().map(|(id,)| id).collect();
            if !ids.is_empty() {
                let _: Vec<(Uuid,)> = self.fetch_for_ids("SELECT id FROM components WHERE id IN ({ids}) ORDER BY id FOR UPDATE", &ids).await?;
            }
        }
        let sql = format!(
            "SELECT {COLUMNS}, {RELEASED_GROUP}, d.collected_at, d.donor_id FROM components c {LATEST} LEFT JOIN donations d ON d.id = c.donation_id \
             WHERE c.kind IN ({kinds_sql}) AND s.state = 'available' ORDER BY c.expires_at, c.id"
        );
        Ok(on_tx!(self, c => sqlx::query_as(&sql).fetch_all(c).await?))
    }

    /// One unit as allocation sees it, locked on PostgreSQL.
    pub async fn candidate_for_update(&mut self, din: &str, product_code: &str) -> Result<Option<CandidateRow>> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT id FROM components WHERE din = $1 AND product_code = $2 FOR UPDATE")
                .bind(din).bind(product_code).execute(c).await?.rows_affected());
        }
        let sql = format!(
            "SELECT {COLUMNS}, {RELEASED_GROUP}, d.collected_at, d.donor_id FROM components c {LATEST} LEFT JOIN donations d ON d.id = c.donation_id \
             WHERE c.din = $1 AND c.product_code = $2"
        );
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(din).bind(product_code).fetch_optional(c).await?))
    }

    /// How many open holds each of these units has.
    pub async fn open_hold_counts_in_tx(&mut self, ids: &[Uuid]) -> Result<Vec<(Uuid, i64)>> {
        let sql = format!(
            "SELECT h.component_id, COUNT(*) FROM ({}) h WHERE h.component_id IN ({{ids}}) GROUP BY h.component_id",
            crate::testing::OPEN_HOLDS
        );
        self.fetch_for_ids(&sql, ids).await
    }

    /// The antigens each donor is typed negative for (current registry values).
    pub async fn negative_antigens_in_tx(&mut self, donor_ids: &[Uuid]) -> Result<Vec<(Uuid, String)>> {
        self.fetch_for_ids(
            "SELECT donor_id, attribute FROM donor_attributes_current WHERE donor_id IN ({ids}) AND attribute LIKE 'antigen:%' AND value = '-'",
            donor_ids,
        )
        .await
    }

    /// The special tests whose latest result is non-reactive, per donation: (donation,
    /// test code, when ordered).
    pub async fn negative_special_tests_in_tx(&mut self, donation_ids: &[Uuid]) -> Result<Vec<(Uuid, String, DateTime<Utc>)>> {
        self.fetch_for_ids(
            "SELECT o.donation_id, o.test_code, o.ordered_at FROM test_orders o JOIN test_results r ON r.order_id = o.id \
             AND r.seq = (SELECT MAX(x.seq) FROM test_results x WHERE x.order_id = o.id) \
             WHERE o.donation_id IN ({ids}) AND r.status_after = 'nonreactive'",
            donation_ids,
        )
        .await
    }

    pub async fn insert_allocation(&mut self, a: &AllocationRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO allocations (id, order_line_id, component_id, allocated_at, allocated_by, warning) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(a.id).bind(a.order_line_id).bind(a.component_id).bind(a.allocated_at).bind(&a.allocated_by).bind(&a.warning)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Ends an open reservation (shipped, given back, cancelled).
    pub async fn end_allocation(&mut self, id: Uuid, at: DateTime<Utc>, by: &str, reason: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE allocations SET ended_at = $2, ended_by = $3, end_reason = $4 WHERE id = $1 AND ended_at IS NULL")
            .bind(id).bind(at).bind(by).bind(reason).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_shortfall(&mut self, f: &ShortfallRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO line_shortfalls (id, order_line_id, recorded_at, missing, reason) VALUES ($1, $2, $3, $4, $5)")
            .bind(f.id).bind(f.order_line_id).bind(f.recorded_at).bind(f.missing).bind(&f.reason)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_shipment(&mut self, s: &ShipmentRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO shipments (id, number, order_id, hospital_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(s.id).bind(&s.number).bind(s.order_id).bind(s.hospital_id).bind(s.created_at).bind(&s.created_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// The shipment, its row locked on PostgreSQL.
    pub async fn shipment_for_update(&mut self, number: &str) -> Result<Option<ShipmentRow>> {
        let sql = if self.backend() == Backend::Postgres {
            "SELECT * FROM shipments WHERE number = $1 FOR UPDATE"
        } else {
            "SELECT * FROM shipments WHERE number = $1"
        };
        Ok(on_tx!(self, c => sqlx::query_as(sql).bind(number).fetch_optional(c).await?))
    }

    /// The open (not yet shipped) shipment of an order, if any.
    pub async fn open_shipment_in_tx(&mut self, order_id: Uuid) -> Result<Option<ShipmentRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM shipments WHERE order_id = $1 AND shipped_at IS NULL ORDER BY created_at DESC LIMIT 1")
            .bind(order_id).fetch_optional(c).await?))
    }

    pub async fn containers_in_tx(&mut self, shipment_id: Uuid) -> Result<Vec<ContainerRow>> {
        Ok(
            on_tx!(self, c => sqlx::query_as("SELECT * FROM shipment_containers WHERE shipment_id = $1 ORDER BY seq").bind(shipment_id).fetch_all(c).await?),
        )
    }

    pub async fn insert_container(&mut self, k: &ContainerRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO shipment_containers (id, shipment_id, seq, shipping_class) VALUES ($1, $2, $3, $4)")
            .bind(k.id).bind(k.shipment_id).bind(k.seq).bind(k.shipping_class.as_str())
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn packed_units_in_tx(&mut self, shipment_id: Uuid) -> Result<Vec<PackedUnit>> {
        let sql = format!(
            "SELECT {COLUMNS}, {PACKED_UNIT}, k.seq AS container_seq, {RELEASED_GROUP} FROM shipment_items i \
             JOIN shipment_containers k ON k.id = i.container_id JOIN components c ON c.id = i.component_id {LATEST} \
             WHERE i.shipment_id = $1 ORDER BY k.seq, c.din"
        );
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(shipment_id).fetch_all(c).await?))
    }

    pub async fn insert_shipment_item(&mut self, i: &ShipmentItemRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO shipment_items (id, shipment_id, container_id, component_id, allocation_id, scanned, packed_at, packed_by, short_dated_confirmed) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(i.id).bind(i.shipment_id).bind(i.container_id).bind(i.component_id).bind(i.allocation_id).bind(&i.scanned)
            .bind(i.packed_at).bind(&i.packed_by).bind(i.short_dated_confirmed)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn mark_shipped(&mut self, shipment_id: Uuid, at: DateTime<Utc>, by: &str, courier: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE shipments SET shipped_at = $2, shipped_by = $3, courier = $4 WHERE id = $1 AND shipped_at IS NULL")
            .bind(shipment_id).bind(at).bind(by).bind(courier).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn mark_received(&mut self, shipment_id: Uuid, at: DateTime<Utc>, by: &str, note: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE shipments SET received_at = $2, received_by = $3, receipt_note = $4 WHERE id = $1 AND received_at IS NULL")
            .bind(shipment_id).bind(at).bind(by).bind(note).execute(c).await?.rows_affected());
        Ok(())
    }

    /// Shipments of the order not yet received.
    pub async fn unreceived_shipments_in_tx(&mut self, order_id: Uuid) -> Result<i64> {
        let (n,): (i64,) = on_tx!(self, c => sqlx::query_as("SELECT COUNT(*) FROM shipments WHERE order_id = $1 AND received_at IS NULL")
            .bind(order_id).fetch_one(c).await?);
        Ok(n)
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReturnRow {
    pub id: Uuid,
    pub component_id: Uuid,
    pub hospital_id: Uuid,
    pub shipment_id: Uuid,
    pub returned_at: DateTime<Utc>,
    pub recorded_by: String,
    pub temperature_kept: bool,
    pub note: String,
    pub outcome: String,
    /// Read on arrival, °C.
    pub temperature_c: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InspectionRow {
    pub return_id: Uuid,
    pub inspected_at: DateTime<Utc>,
    pub inspected_by: String,
    pub passed: bool,
    pub note: String,
}

/// A return with its unit, hospital and inspection, for the lists.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReturnLine {
    #[sqlx(flatten)]
    pub ret: ReturnRow,
    pub din: String,
    pub product_code: String,
    /// The component kind's stored name (`red_cells`, `ffp`, …).
    pub component_kind: String,
    pub hospital_code: String,
    pub shipment_number: String,
    pub inspected_at: Option<DateTime<Utc>>,
    pub inspected_by: Option<String>,
    pub passed: Option<bool>,
    pub inspection_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DispositionRow {
    pub component_id: Uuid,
    pub hospital_id: Uuid,
    pub disposition: String,
    pub occurred_at: DateTime<Utc>,
    pub reported_at: DateTime<Utc>,
    pub reported_by: String,
    pub note: String,
}

/// A disposition with its unit, for the lists.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DispositionLine {
    #[sqlx(flatten)]
    pub row: DispositionRow,
    pub din: String,
    pub product_code: String,
    pub hospital_code: String,
}

impl Store {
    /// Returns, newest first; one hospital's when given.
    pub async fn returns(&self, hospital: Option<Uuid>, limit: i64) -> Result<Vec<ReturnLine>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT r.*, c.din, c.product_code, c.kind AS component_kind, h.code AS hospital_code, s.number AS shipment_number, \
             i.inspected_at, i.inspected_by, i.passed, i.note AS inspection_note \
             FROM unit_returns r JOIN components c ON c.id = r.component_id JOIN hospitals h ON h.id = r.hospital_id \
             JOIN shipments s ON s.id = r.shipment_id LEFT JOIN return_inspections i ON i.return_id = r.id \
             WHERE ($1 IS NULL OR r.hospital_id = $1) ORDER BY r.returned_at DESC LIMIT $2")
            .bind(hospital).bind(limit).fetch_all(p).await?))
    }

    /// Dispositions reported, newest first; one hospital's when given.
    pub async fn dispositions(&self, hospital: Option<Uuid>, limit: i64) -> Result<Vec<DispositionLine>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT d.*, c.din, c.product_code, h.code AS hospital_code FROM unit_dispositions d \
             JOIN components c ON c.id = d.component_id JOIN hospitals h ON h.id = d.hospital_id \
             WHERE ($1 IS NULL OR d.hospital_id = $1) ORDER BY d.reported_at DESC LIMIT $2")
            .bind(hospital).bind(limit).fetch_all(p).await?))
    }

    pub async fn disposition_of(&self, component_id: Uuid) -> Result<Option<DispositionRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM unit_dispositions WHERE component_id = $1").bind(component_id).fetch_optional(p).await?))
    }
}

impl WriteTx {
    /// The latest shipment that carried the unit out, if it has shipped.
    pub async fn last_shipment_of_unit_in_tx(&mut self, component_id: Uuid) -> Result<Option<ShipmentRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT s.* FROM shipments s JOIN shipment_items i ON i.shipment_id = s.id \
             WHERE i.component_id = $1 AND s.shipped_at IS NOT NULL ORDER BY s.shipped_at DESC LIMIT 1")
            .bind(component_id).fetch_optional(c).await?))
    }

    pub async fn insert_return(&mut self, r: &ReturnRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO unit_returns (id, component_id, hospital_id, shipment_id, returned_at, recorded_by, temperature_kept, note, outcome, temperature_c) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(r.id).bind(r.component_id).bind(r.hospital_id).bind(r.shipment_id).bind(r.returned_at).bind(&r.recorded_by)
            .bind(r.temperature_kept).bind(&r.note).bind(&r.outcome).bind(r.temperature_c)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// The unit's latest return still waiting for its inspection.
    pub async fn uninspected_return_in_tx(&mut self, component_id: Uuid) -> Result<Option<ReturnRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT r.* FROM unit_returns r WHERE r.component_id = $1 AND r.outcome = 'awaiting_inspection' \
             AND NOT EXISTS (SELECT 1 FROM return_inspections i WHERE i.return_id = r.id) ORDER BY r.returned_at DESC LIMIT 1")
            .bind(component_id).fetch_optional(c).await?))
    }

    pub async fn insert_inspection(&mut self, i: &InspectionRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO return_inspections (return_id, inspected_at, inspected_by, passed, note) VALUES ($1, $2, $3, $4, $5)")
            .bind(i.return_id).bind(i.inspected_at).bind(&i.inspected_by).bind(i.passed).bind(&i.note)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_disposition(&mut self, d: &DispositionRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO unit_dispositions (component_id, hospital_id, disposition, occurred_at, reported_at, reported_by, note) \
            VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(d.component_id).bind(d.hospital_id).bind(&d.disposition).bind(d.occurred_at).bind(d.reported_at).bind(&d.reported_by).bind(&d.note)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StandingOrderRow {
    pub id: Uuid,
    pub hospital_id: Uuid,
    #[sqlx(try_from = "String")]
    pub product: ProductClass,
    pub blood_group: Option<String>,
    pub par_level: i64,
    pub weekdays: String,
    pub time_of_day: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A standing order with its hospital and whether it has ended.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StandingOrderLine {
    #[sqlx(flatten)]
    pub row: StandingOrderRow,
    pub hospital_code: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub last_run_on: Option<chrono::NaiveDate>,
    pub last_note: Option<String>,
}

const STANDING: &str = "SELECT so.*, h.code AS hospital_code, e.ended_at, \
     (SELECT MAX(r.run_on) FROM standing_order_runs r WHERE r.standing_order_id = so.id) AS last_run_on, \
     (SELECT r.note FROM standing_order_runs r WHERE r.standing_order_id = so.id ORDER BY r.run_on DESC LIMIT 1) AS last_note \
     FROM standing_orders so JOIN hospitals h ON h.id = so.hospital_id LEFT JOIN standing_order_ends e ON e.standing_order_id = so.id";

impl Store {
    /// Standing orders, open ones first; one hospital's when given.
    pub async fn standing_orders(&self, hospital: Option<Uuid>) -> Result<Vec<StandingOrderLine>> {
        let sql = format!("{STANDING} WHERE ($1 IS NULL OR so.hospital_id = $1) ORDER BY e.ended_at IS NOT NULL, h.code, so.product, so.blood_group");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(hospital).fetch_all(p).await?))
    }
}

impl WriteTx {
    pub async fn insert_standing_order(&mut self, s: &StandingOrderRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO standing_orders (id, hospital_id, product, blood_group, par_level, weekdays, time_of_day, created_at, created_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(s.id).bind(s.hospital_id).bind(s.product.as_str()).bind(&s.blood_group).bind(s.par_level).bind(&s.weekdays).bind(&s.time_of_day)
            .bind(s.created_at).bind(&s.created_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Open standing orders, read in the transaction.
    pub async fn open_standing_orders_in_tx(&mut self) -> Result<Vec<StandingOrderLine>> {
        let sql = format!("{STANDING} WHERE e.ended_at IS NULL ORDER BY so.hospital_id, so.created_at");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).fetch_all(c).await?))
    }

    pub async fn standing_order_in_tx(&mut self, id: Uuid) -> Result<Option<StandingOrderLine>> {
        let sql = format!("{STANDING} WHERE so.id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    pub async fn end_standing_order(&mut self, id: Uuid, at: DateTime<Utc>, by: &str, reason: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO standing_order_ends (standing_order_id, ended_at, ended_by, reason) VALUES ($1, $2, $3, $4)")
            .bind(id).bind(at).bind(by).bind(reason).execute(c).await?.rows_affected());
        Ok(())
    }

    /// Claims the run of a standing order for a day: false when it ran already (here or
    /// on another server).
    pub async fn claim_standing_run(
        &mut self,
        id: Uuid,
        run_on: chrono::NaiveDate,
        at: DateTime<Utc>,
        order: Option<Uuid>,
        note: &str,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query("INSERT INTO standing_order_runs (standing_order_id, run_on, ran_at, order_id, note) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
            .bind(id).bind(run_on).bind(at).bind(order).bind(note).execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Units of a product class and group the hospital holds: shipped to it, with no
    /// disposition reported and not returned.
    pub async fn units_on_hospital_shelf(&mut self, hospital: Uuid, kinds: &[&str], group: Option<&str>) -> Result<i64> {
        let kinds_sql = kinds_sql(kinds);
        let sql = format!(
            "SELECT COUNT(*) FROM components c {LATEST} WHERE s.state = 'shipped' AND c.kind IN ({kinds_sql}) \
             AND ($2 IS NULL OR {RELEASED_GROUP_OF_UNIT} = $2) \
             AND (SELECT sh.hospital_id FROM shipment_items i JOIN shipments sh ON sh.id = i.shipment_id WHERE i.component_id = c.id \
                  ORDER BY sh.shipped_at DESC LIMIT 1) = $1"
        );
        let (n,): (i64,) = on_tx!(self, c => sqlx::query_as(&sql).bind(hospital).bind(group).fetch_one(c).await?);
        Ok(n)
    }
}
