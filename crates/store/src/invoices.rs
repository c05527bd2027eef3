//! Hospital contracts with their price lists, invoices and credit notes with their
//! lines, what each line was for, and payments. Invoicing reads through the write
//! transaction with the hospital's row locked on PostgreSQL, so two invoicing requests
//! for one account queue; `invoiced_sources` refuses a second charge of the same
//! shipped unit, delivery or return whatever the code does.

use crate::reference::latest_hospital_version;
use crate::{on_pool, on_tx, Backend, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ContractRow {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub number: String,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// The price list as JSON.
    pub price_list: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InvoiceRow {
    pub id: Uuid,
    pub number: String,
    /// `invoice` or `credit_note`.
    pub kind: String,
    pub hospital_id: Uuid,
    pub contract_id: Uuid,
    pub credits_invoice_id: Option<Uuid>,
    pub covers: String,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub payment_terms_days: i64,
    pub currency: String,
    pub net_cents: i64,
    pub tax_cents: i64,
    pub total_cents: i64,
    pub reason: String,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InvoiceLineRow {
    pub invoice_id: Uuid,
    pub line_no: i64,
    pub kind: String,
    pub description: String,
    pub reference: String,
    pub quantity: i64,
    pub unit_cents: i64,
    pub amount_cents: i64,
    pub tax_hundredths: i64,
    pub credits_line: Option<i64>,
    /// `shipment_item`, `shipment`, `return`, `procedure`.
    pub source_kind: Option<String>,
    pub source_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PaymentRow {
    pub invoice_id: Uuid,
    pub paid_on: NaiveDate,
    pub amount_cents: i64,
    pub reference: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

/// An invoice or credit note with its account, payment and how much of it was credited.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InvoiceListRow {
    #[sqlx(flatten)]
    pub invoice: InvoiceRow,
    pub hospital_code: String,
    pub hospital_name: String,
    /// On a credit note: the invoice it corrects.
    pub credits_number: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
    /// Lines with something to credit (a positive amount).
    pub creditable_lines: i64,
    /// Lines credited by credit notes.
    pub credited_lines: i64,
    /// The total of the credit notes against it (0 or negative).
    pub credited_cents: i64,
}

/// A shipped unit as invoicing reads it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BillableItem {
    pub item_id: Uuid,
    pub shipment_id: Uuid,
    pub shipment_number: String,
    pub shipped_at: Option<DateTime<Utc>>,
    pub component_id: Uuid,
    pub donation_id: Option<Uuid>,
    pub din: String,
    pub product_code: String,
    pub kind: String,
    pub attributes: String,
    pub priority: String,
    /// Already on an invoice.
    pub invoiced: Option<String>,
}

/// A shipment as invoicing reads it (for its delivery fee).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BillableShipment {
    pub id: Uuid,
    pub number: String,
    pub hospital_id: Uuid,
    pub shipped_at: Option<DateTime<Utc>>,
    pub priority: String,
    pub invoiced: Option<String>,
}

/// A return that passed inspection, not yet credited.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CreditableReturn {
    pub return_id: Uuid,
    pub returned_at: DateTime<Utc>,
    pub item_id: Uuid,
    pub din: String,
    pub product_code: String,
}

const LIST: &str = concat!(
    "SELECT i.*, h.code AS hospital_code, hv.name AS hospital_name, o.number AS credits_number, \
     p.paid_on, p.reference AS payment_reference, \
     (SELECT COUNT(*) FROM invoice_lines l WHERE l.invoice_id = i.id AND l.amount_cents > 0) AS creditable_lines, \
     (SELECT COUNT(DISTINCT cl.credits_line) FROM invoice_lines cl JOIN invoices cn ON cn.id = cl.invoice_id WHERE cn.credits_invoice_id = i.id) AS credited_lines, \
     CAST(COALESCE((SELECT SUM(cn.total_cents) FROM invoices cn WHERE cn.credits_invoice_id = i.id), 0) AS BIGINT) AS credited_cents \
     FROM invoices i JOIN hospitals h ON h.id = i.hospital_id ",
    latest_hospital_version!(),
    " LEFT JOIN invoices o ON o.id = i.credits_invoice_id LEFT JOIN invoice_payments p ON p.invoice_id = i.id"
);

const ITEMS: &str = "SELECT i.id AS item_id, i.shipment_id, s.number AS shipment_number, s.shipped_at, c.id AS component_id, c.donation_id, \
     c.din, c.product_code, c.kind, c.attributes, o.priority, \
     (SELECT v.number FROM invoiced_sources x JOIN invoices v ON v.id = x.invoice_id WHERE x.source_kind = 'shipment_item' AND x.source_id = i.id) AS invoiced \
     FROM shipment_items i JOIN shipments s ON s.id = i.shipment_id JOIN components c ON c.id = i.component_id JOIN orders o ON o.id = s.order_id";

const SHIPMENTS: &str = "SELECT s.id, s.number, s.hospital_id, s.shipped_at, o.priority, \
     (SELECT v.number FROM invoiced_sources x JOIN invoices v ON v.id = x.invoice_id WHERE x.source_kind = 'shipment' AND x.source_id = s.id) AS invoiced \
     FROM shipments s JOIN orders o ON o.id = s.order_id";

impl Store {
    /// The hospital's contracts, earliest first.
    pub async fn contracts(&self, hospital_id: Uuid) -> Result<Vec<ContractRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM contracts WHERE hospital_id = $1 ORDER BY effective_from, number")
            .bind(hospital_id).fetch_all(p).await?))
    }

    pub async fn contract_by_id(&self, id: Uuid) -> Result<Option<ContractRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM contracts WHERE id = $1").bind(id).fetch_optional(p).await?))
    }

    /// Invoices and credit notes, newest first; one hospital's when given.
    pub async fn invoices(&self, hospital: Option<Uuid>, limit: i64) -> Result<Vec<InvoiceListRow>> {
        let sql = format!("{LIST} WHERE ($1 IS NULL OR i.hospital_id = $1) ORDER BY i.issued_at DESC, i.number DESC LIMIT $2");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(hospital).bind(limit).fetch_all(p).await?))
    }

    pub async fn invoice(&self, number: &str) -> Result<Option<InvoiceListRow>> {
        let sql = format!("{LIST} WHERE i.number = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(number).fetch_optional(p).await?))
    }

    pub async fn invoice_lines(&self, invoice_id: Uuid) -> Result<Vec<InvoiceLineRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no")
            .bind(invoice_id).fetch_all(p).await?))
    }

    /// The credit notes issued against an invoice, in order.
    pub async fn credit_notes_of(&self, invoice_id: Uuid) -> Result<Vec<InvoiceRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM invoices WHERE credits_invoice_id = $1 ORDER BY issued_at, number")
            .bind(invoice_id).fetch_all(p).await?))
    }

    pub async fn payment_of(&self, invoice_id: Uuid) -> Result<Option<PaymentRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM invoice_payments WHERE invoice_id = $1").bind(invoice_id).fetch_optional(p).await?))
    }
}

impl WriteTx {
    /// Locks the hospital's row on PostgreSQL, so contract and invoicing decisions for
    /// one account queue (SQLite's write transaction already runs alone).
    pub async fn lock_hospital(&mut self, hospital_id: Uuid) -> Result<()> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT id FROM hospitals WHERE id = $1 FOR UPDATE").bind(hospital_id).execute(c).await?.rows_affected());
        }
        Ok(())
    }

    pub async fn contracts_in_tx(&mut self, hospital_id: Uuid) -> Result<Vec<ContractRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM contracts WHERE hospital_id = $1 ORDER BY effective_from, number")
            .bind(hospital_id).fetch_all(c).await?))
    }

    pub async fn insert_contract(&mut self, k: &ContractRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO contracts (id, hospital_id, number, effective_from, effective_to, price_list, created_at, created_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(k.id).bind(k.hospital_id).bind(&k.number).bind(k.effective_from).bind(k.effective_to).bind(&k.price_list)
            .bind(k.created_at).bind(&k.created_by).execute(c).await?.rows_affected());
        Ok(())
    }

    /// The units of one shipment, with the invoice already charging each (if any).
    pub async fn billable_items_of_shipment(&mut self, shipment_id: Uuid) -> Result<Vec<BillableItem>> {
        let sql = format!("{ITEMS} WHERE s.id = $1 ORDER BY c.din, c.product_code");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(shipment_id).fetch_all(c).await?))
    }

    /// Units shipped to the hospital in `[from, to)` not yet invoiced.
    pub async fn uninvoiced_items(&mut self, hospital_id: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<BillableItem>> {
        let sql = format!(
            "{ITEMS} WHERE s.hospital_id = $1 AND s.shipped_at >= $2 AND s.shipped_at < $3 \
             AND NOT EXISTS (SELECT 1 FROM invoiced_sources x WHERE x.source_kind = 'shipment_item' AND x.source_id = i.id) \
             ORDER BY s.shipped_at, s.number, c.din, c.product_code"
        );
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(hospital_id).bind(from).bind(to).fetch_all(c).await?))
    }

    pub async fn billable_shipment(&mut self, shipment_id: Uuid) -> Result<Option<BillableShipment>> {
        let sql = format!("{SHIPMENTS} WHERE s.id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(shipment_id).fetch_optional(c).await?))
    }

    /// Shipments to the hospital shipped in `[from, to)` whose delivery is not yet invoiced.
    pub async fn uninvoiced_shipments(&mut self, hospital_id: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<BillableShipment>> {
        let sql = format!(
            "{SHIPMENTS} WHERE s.hospital_id = $1 AND s.shipped_at >= $2 AND s.shipped_at < $3 \
             AND NOT EXISTS (SELECT 1 FROM invoiced_sources x WHERE x.source_kind = 'shipment' AND x.source_id = s.id) ORDER BY s.shipped_at, s.number"
        );
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(hospital_id).bind(from).bind(to).fetch_all(c).await?))
    }

    /// Units shipped to the hospital in `[from, to]`: the month's volume for the tiers.
    pub async fn units_shipped_between(&mut self, hospital_id: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<i64> {
        let (n,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "SELECT COUNT(*) FROM shipment_items i JOIN shipments s ON s.id = i.shipment_id \
             WHERE s.hospital_id = $1 AND s.shipped_at >= $2 AND s.shipped_at <= $3")
            .bind(hospital_id).bind(from).bind(to).fetch_one(c).await?);
        Ok(n)
    }

    /// Returns by the hospital before `to` that passed inspection and are not yet credited.
    pub async fn creditable_returns(&mut self, hospital_id: Uuid, to: DateTime<Utc>) -> Result<Vec<CreditableReturn>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT r.id AS return_id, r.returned_at, si.id AS item_id, c.din, c.product_code FROM unit_returns r \
             JOIN return_inspections n ON n.return_id = r.id JOIN components c ON c.id = r.component_id \
             JOIN shipment_items si ON si.shipment_id = r.shipment_id AND si.component_id = r.component_id \
             WHERE r.hospital_id = $1 AND r.returned_at < $2 AND n.passed = $3 \
             AND NOT EXISTS (SELECT 1 FROM invoiced_sources x WHERE x.source_kind = 'return' AND x.source_id = r.id) ORDER BY r.returned_at")
            .bind(hospital_id).bind(to).bind(true).fetch_all(c).await?))
    }

    /// What a shipped unit was charged, net of credit notes: its product and surcharge lines.
    pub async fn charged_for_item(&mut self, item_id: Uuid) -> Result<i64> {
        let (n,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM invoice_lines \
             WHERE source_kind = 'shipment_item' AND source_id = $1 AND kind IN ('product', 'surcharge')")
            .bind(item_id).fetch_one(c).await?);
        Ok(n)
    }

    /// The invoice, its row locked on PostgreSQL.
    pub async fn invoice_for_update(&mut self, number: &str) -> Result<Option<InvoiceRow>> {
        let sql = if self.backend() == Backend::Postgres {
            "SELECT * FROM invoices WHERE number = $1 FOR UPDATE"
        } else {
            "SELECT * FROM invoices WHERE number = $1"
        };
        Ok(on_tx!(self, c => sqlx::query_as(sql).bind(number).fetch_optional(c).await?))
    }

    pub async fn invoice_lines_in_tx(&mut self, invoice_id: Uuid) -> Result<Vec<InvoiceLineRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no")
            .bind(invoice_id).fetch_all(c).await?))
    }

    /// The lines of every credit note against the invoice.
    pub async fn credit_lines_of_in_tx(&mut self, invoice_id: Uuid) -> Result<Vec<InvoiceLineRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT l.* FROM invoice_lines l JOIN invoices n ON n.id = l.invoice_id WHERE n.credits_invoice_id = $1 ORDER BY n.issued_at, l.line_no")
            .bind(invoice_id).fetch_all(c).await?))
    }

    pub async fn payment_of_in_tx(&mut self, invoice_id: Uuid) -> Result<Option<PaymentRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM invoice_payments WHERE invoice_id = $1").bind(invoice_id).fetch_optional(c).await?))
    }

    pub async fn insert_invoice(&mut self, i: &InvoiceRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO invoices (id, number, kind, hospital_id, contract_id, credits_invoice_id, covers, issued_on, due_on, \
            payment_terms_days, currency, net_cents, tax_cents, total_cents, reason, issued_at, issued_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)")
            .bind(i.id).bind(&i.number).bind(&i.kind).bind(i.hospital_id).bind(i.contract_id).bind(i.credits_invoice_id).bind(&i.covers)
            .bind(i.issued_on).bind(i.due_on).bind(i.payment_terms_days).bind(&i.currency).bind(i.net_cents).bind(i.tax_cents)
            .bind(i.total_cents).bind(&i.reason).bind(i.issued_at).bind(&i.issued_by).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_invoice_line(&mut self, l: &InvoiceLineRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO invoice_lines (invoice_id, line_no, kind, description, reference, quantity, unit_cents, \
            amount_cents, tax_hundredths, credits_line, source_kind, source_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
            .bind(l.invoice_id).bind(l.line_no).bind(&l.kind).bind(&l.description).bind(&l.reference).bind(l.quantity).bind(l.unit_cents)
            .bind(l.amount_cents).bind(l.tax_hundredths).bind(l.credits_line).bind(&l.source_kind).bind(l.source_id)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Records that `invoice_id` charges or credits this source; a second time is a
    /// duplicate (the primary key).
    pub async fn insert_invoiced_source(&mut self, source_kind: &str, source_id: Uuid, invoice_id: Uuid) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO invoiced_sources (source_kind, source_id, invoice_id) VALUES ($1, $2, $3)")
            .bind(source_kind).bind(source_id).bind(invoice_id).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_payment(&mut self, p: &PaymentRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO invoice_payments (invoice_id, paid_on, amount_cents, reference, recorded_at, recorded_by) \
            VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(p.invoice_id).bind(p.paid_on).bind(p.amount_cents).bind(&p.reference).bind(p.recorded_at).bind(&p.recorded_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}
