//! Figures of the sales and supply views: orders and service per hospital, what left
//! stock and how, and the shortage notices sent. Aggregates run in the database; the
//! months are cut in the facility's time zone by the caller.

use crate::{on_pool, on_tx, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// Orders of one hospital: all time and since the window's start.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HospitalOrders {
    pub hospital_id: Uuid,
    pub first_order: DateTime<Utc>,
    pub last_order: DateTime<Utc>,
    pub orders_in_window: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ShortageNoticeRow {
    pub id: Uuid,
    pub product: String,
    pub blood_group: Option<String>,
    pub message: String,
    pub days_of_supply: Option<f64>,
    pub recipients: i64,
    pub sent_at: DateTime<Utc>,
    pub sent_by: String,
}

/// One event that counts in the monthly figures: what happened and when.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SupplyEvent {
    /// shipped, outdated (expired in the centre), wasted or expired (at a hospital), returned
    pub kind: String,
    pub product_kind: String,
    pub at: DateTime<Utc>,
}

/// Net invoiced on one day to one account for one kind of line and component kind.
/// Credit note lines count (negative) under the line they correct.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RevenueRow {
    pub issued_on: NaiveDate,
    pub hospital_id: Uuid,
    pub currency: String,
    /// product, surcharge, delivery, return_credit, apheresis, adjustment
    pub line_kind: String,
    /// The component the line charges or credits, when it is for a unit.
    pub component_kind: Option<String>,
    pub net_cents: i64,
}

impl Store {
    /// Invoice and credit note lines issued since `since`, summed by day, account,
    /// currency, kind of line and component kind.
    pub async fn revenue(&self, since: NaiveDate) -> Result<Vec<RevenueRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT issued_on, hospital_id, currency, line_kind, component_kind, CAST(SUM(amount_cents) AS BIGINT) AS net_cents FROM ( \
               SELECT i.issued_on, i.hospital_id, i.currency, COALESCE(o.kind, l.kind) AS line_kind, l.amount_cents, \
                 (SELECT c.kind FROM components c WHERE c.id = CASE COALESCE(l.source_kind, o.source_kind) \
                    WHEN 'shipment_item' THEN (SELECT si.component_id FROM shipment_items si WHERE si.id = COALESCE(l.source_id, o.source_id)) \
                    WHEN 'return' THEN (SELECT r.component_id FROM unit_returns r WHERE r.id = COALESCE(l.source_id, o.source_id)) END) AS component_kind \
               FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
               LEFT JOIN invoice_lines o ON o.invoice_id = i.credits_invoice_id AND o.line_no = l.credits_line \
               WHERE i.issued_on >= $1) x \
             GROUP BY issued_on, hospital_id, currency, line_kind, component_kind")
            .bind(since).fetch_all(p).await?))
    }

    pub async fn hospital_orders(&self, since: DateTime<Utc>) -> Result<Vec<HospitalOrders>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT hospital_id, MIN(placed_at) AS first_order, MAX(placed_at) AS last_order, \
             CAST(SUM(CASE WHEN placed_at >= $1 THEN 1 ELSE 0 END) AS BIGINT) AS orders_in_window FROM orders GROUP BY hospital_id")
            .bind(since).fetch_all(p).await?))
    }

    /// Units ordered per hospital by orders placed since `since`.
    pub async fn units_ordered(&self, since: DateTime<Utc>) -> Result<Vec<(Uuid, i64)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT o.hospital_id, CAST(SUM(l.quantity) AS BIGINT) FROM order_lines l JOIN orders o ON o.id = l.order_id \
             WHERE o.placed_at >= $1 GROUP BY o.hospital_id")
            .bind(since).fetch_all(p).await?))
    }

    /// Units shipped per hospital for orders placed since `since`.
    pub async fn units_shipped_for_orders(&self, since: DateTime<Utc>) -> Result<Vec<(Uuid, i64)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT s.hospital_id, COUNT(*) FROM shipment_items i JOIN shipments s ON s.id = i.shipment_id JOIN orders o ON o.id = s.order_id \
             WHERE o.placed_at >= $1 AND s.shipped_at IS NOT NULL GROUP BY s.hospital_id")
            .bind(since).fetch_all(p).await?))
    }

    /// Per hospital, orders placed since `since` that shipped, and how many of them
    /// shipped first by their due time.
    pub async fn orders_on_time(&self, since: DateTime<Utc>) -> Result<Vec<(Uuid, i64, i64)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT o.hospital_id, COUNT(*), CAST(SUM(CASE WHEN f.first_shipped <= o.due_at THEN 1 ELSE 0 END) AS BIGINT) FROM orders o \
             JOIN (SELECT order_id, MIN(shipped_at) AS first_shipped FROM shipments WHERE shipped_at IS NOT NULL GROUP BY order_id) f ON f.order_id = o.id \
             WHERE o.placed_at >= $1 GROUP BY o.hospital_id")
            .bind(since).fetch_all(p).await?))
    }

    /// What left stock since `since`, and how: shipments, outdates in the centre,
    /// waste and expiry reported by hospitals, returns.
    pub async fn supply_events(&self, since: DateTime<Utc>) -> Result<Vec<SupplyEvent>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT 'shipped' AS kind, c.kind AS product_kind, s.shipped_at AS at FROM shipment_items i JOIN shipments s ON s.id = i.shipment_id \
               JOIN components c ON c.id = i.component_id WHERE s.shipped_at >= $1 \
             UNION ALL SELECT 'outdated', c.kind, d.discarded_at FROM component_discards d JOIN components c ON c.id = d.component_id \
               WHERE d.reason = 'expired' AND d.discarded_at >= $1 \
             UNION ALL SELECT d.disposition, c.kind, d.occurred_at FROM unit_dispositions d JOIN components c ON c.id = d.component_id \
               WHERE d.disposition <> 'transfused' AND d.occurred_at >= $1 \
             UNION ALL SELECT 'returned', c.kind, r.returned_at FROM unit_returns r JOIN components c ON c.id = r.component_id WHERE r.returned_at >= $1")
            .bind(since).fetch_all(p).await?))
    }

    pub async fn shortage_notices(&self, limit: i64) -> Result<Vec<ShortageNoticeRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM shortage_notices ORDER BY sent_at DESC LIMIT $1").bind(limit).fetch_all(p).await?))
    }
}

impl WriteTx {
    pub async fn insert_shortage_notice(&mut self, n: &ShortageNoticeRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO shortage_notices (id, product, blood_group, message, days_of_supply, recipients, sent_at, sent_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(n.id).bind(&n.product).bind(&n.blood_group).bind(&n.message).bind(n.days_of_supply).bind(n.recipients).bind(n.sent_at).bind(&n.sent_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}
