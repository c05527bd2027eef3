//! Hospital contracts and invoicing.
//!
//! A contract gives a hospital account its price list from an effective date; a later
//! contract supersedes an open-ended one from its own start, and periods that would put
//! two contracts in force on one day are refused. Invoices charge shipped units (priced
//! from the contract in force on the ship day), delivery fees and credit returns that
//! passed inspection; each unit, delivery and return is invoiced once (a key in the
//! database refuses a second time). Issued invoices never change: corrections are
//! credit notes; a payment is recorded once, in full. Invoice lines name what they are
//! for (a shipped unit, a shipment, a return; later an apheresis procedure).

use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use domain::inventory::ProductClass;
use domain::pricing::{
    credit_note_lines, delivery_line, due_date, format_cents, price_unit, return_credit_line, status_on, totals, unit_lines, DocumentKind,
    InvoiceLine, InvoiceLineKind, InvoiceNumber, InvoiceStatus, Percent, PriceList, PricingError,
};
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use store::{ContractRow, InvoiceLineRow, InvoiceListRow, InvoiceRow, PaymentRow, WriteTx};
use uuid::Uuid;

/// A new contract for a hospital account.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    /// `2026-01-01`.
    pub effective_from: String,
    /// Last day in force; absent: until a later contract starts.
    #[serde(default)]
    pub effective_to: Option<String>,
    /// The price list: a JSON object, or its text.
    pub price_list: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContractView {
    pub number: String,
    pub hospital_code: String,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// In words: "in force", "from 2027-01-01", "ended 2026-12-31", "superseded by C-…".
    pub standing: String,
    pub in_force: bool,
    pub price_list: PriceList,
    /// The prices in words, for staff and hospital users.
    pub summary: Vec<String>,
    pub created_by: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthInput {
    /// `2026-11`.
    pub month: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditNoteInput {
    /// Indexes of the invoice's lines to credit, from 0 as shown.
    #[serde(default)]
    pub lines: Vec<usize>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// `2026-12-01`.
    pub paid_on: String,
    /// The amount received; must be the whole amount due (absent: the amount due).
    #[serde(default)]
    pub amount_cents: Option<i64>,
    #[serde(default)]
    pub reference: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineView {
    pub index: usize,
    pub kind: &'static str,
    pub kind_title: &'static str,
    pub description: String,
    pub reference: String,
    pub quantity: i64,
    pub unit_cents: i64,
    pub unit_price: String,
    pub amount_cents: i64,
    pub amount: String,
    pub tax_percent: String,
    /// On an invoice: the credit note that reversed this line.
    pub credited_by: Option<String>,
    /// On a credit note: the line of the invoice it reverses.
    pub credits_line: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentRef {
    pub number: String,
    pub total: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct InvoiceSummary {
    pub number: String,
    pub kind: &'static str,
    pub kind_title: &'static str,
    pub hospital_code: String,
    pub hospital_name: String,
    pub covers: String,
    pub issued_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub currency: String,
    pub net_cents: i64,
    pub tax_cents: i64,
    pub total_cents: i64,
    pub net: String,
    pub tax: String,
    pub total: String,
    pub status: &'static str,
    /// In words, e.g. "Overdue (due 2026-12-01)", "Paid on 2026-11-20".
    pub status_words: String,
    pub overdue: bool,
    pub paid_on: Option<NaiveDate>,
    /// On a credit note: the invoice it corrects.
    pub credits: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InvoiceView {
    #[serde(flatten)]
    pub summary: InvoiceSummary,
    pub hospital_id: Uuid,
    pub contract: String,
    pub payment_terms_days: i64,
    pub reason: String,
    pub issued_by: String,
    pub lines: Vec<LineView>,
    pub credit_notes: Vec<DocumentRef>,
    pub payment_reference: Option<String>,
    /// What is left to pay: the total less credit notes (0 once paid).
    pub outstanding_cents: i64,
    pub outstanding: String,
    /// The hospital's address lines, for the printed invoice.
    pub recipient: Vec<String>,
}

fn parse_day(field: &'static str, s: &str) -> std::result::Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| FieldError::new(field, format!("'{}' is not a date like 2026-11-30", s.trim())))
}

/// The contract in force on `day`: the latest one started on or before it, unless that
/// one ended before the day.
pub fn contract_in_force(contracts: &[ContractRow], day: NaiveDate) -> Option<&ContractRow> {
    contracts.iter().filter(|c| c.effective_from <= day).max_by_key(|c| c.effective_from).filter(|c| c.effective_to.is_none_or(|to| to >= day))
}

/// Why a new contract's period is refused: two contracts in force on one day. An
/// open-ended contract is superseded from the day a later one starts.
pub fn contract_overlap(existing: &[ContractRow], from: NaiveDate, to: Option<NaiveDate>) -> Option<String> {
    for e in existing {
        if e.effective_from == from {
            return Some(format!("contract {} already starts on {from}; two contracts cannot start on the same day", e.number));
        }
        if let Some(end) = e.effective_to {
            if e.effective_from < from && end >= from {
                return Some(format!(
                    "contract {} runs from {} to {end}; a new contract may start from {} (the day after it ends)",
                    e.number,
                    e.effective_from,
                    end.succ_opt().unwrap_or(end)
                ));
            }
        }
        if let Some(to) = to {
            if from < e.effective_from && e.effective_from <= to {
                return Some(format!(
                    "contract {} starts on {} while this one would run to {to}; end this one before {} or leave its end open",
                    e.number, e.effective_from, e.effective_from
                ));
            }
        }
    }
    None
}

fn price_list_words(l: &PriceList) -> Vec<String> {
    let cur = &l.currency;
    let mut w: Vec<String> = l.products.iter().map(|p| format!("{}: {} {cur} a unit", p.product.title(), format_cents(p.unit_cents))).collect();
    for s in &l.surcharges {
        let mut a = s.attribute.trim().chars();
        let name: String = a.next().map(|f| f.to_uppercase().chain(a).collect()).unwrap_or_default();
        w.push(format!("{name} surcharge: {} {cur}", format_cents(s.unit_cents)));
    }
    for t in &l.volume_tiers {
        w.push(format!("From {} units a month: {} off product prices", t.min_units, t.discount_percent));
    }
    w.push(format!(
        "Delivery: {} routine, {} urgent (STAT, ASAP)",
        format_cents(l.delivery_fee_cents.routine),
        format_cents(l.delivery_fee_cents.urgent)
    ));
    w.push(format!("Returns accepted back into stock are credited at {} of their charge", l.return_credit_percent));
    w.push(format!("Payment due {} days after the invoice date; tax {}", l.payment_terms_days, l.tax_percent));
    w
}

fn line_to_domain(r: &InvoiceLineRow) -> InvoiceLine {
    let kind = match r.kind.as_str() {
        "product" => InvoiceLineKind::Product,
        "surcharge" => InvoiceLineKind::Surcharge,
        "delivery" => InvoiceLineKind::Delivery,
        "return_credit" => InvoiceLineKind::ReturnCredit,
        "apheresis" => InvoiceLineKind::Apheresis,
        _ => InvoiceLineKind::Adjustment,
    };
    InvoiceLine {
        kind,
        description: r.description.clone(),
        reference: r.reference.clone(),
        quantity: r.quantity,
        unit_cents: r.unit_cents,
        amount_cents: r.amount_cents,
        tax_percent: Percent::from_hundredths(r.tax_hundredths.clamp(0, 10_000) as u32).unwrap_or(Percent::ZERO),
        credits_line: r.credits_line.map(|i| i as usize),
    }
}

/// A line being written, with what it is for.
struct Draft {
    line: InvoiceLine,
    source: Option<(&'static str, Uuid)>,
}

fn pricing_conflict(e: PricingError) -> AppError {
    match e {
        PricingError::NoSuchLine(..) | PricingError::LineChosenTwice(_) | PricingError::NoLinesChosen => {
            FieldError::new("lines", e.to_string()).into()
        }
        other => AppError::Conflict(other.to_string()),
    }
}

fn month_title(first: NaiveDate) -> String {
    first.format("%B %Y").to_string()
}

impl App {
    fn local_day(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.settings.time_zone).date_naive()
    }

    /// The instant a local day starts.
    fn day_start(&self, day: NaiveDate) -> DateTime<Utc> {
        let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        self.settings.time_zone.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc)).unwrap_or_else(|| naive.and_utc())
    }

    /// Whose contracts the actor may see: one hospital (their own) or any.
    fn may_see_account(&self, actor: &Actor, hospital_id: Uuid, staff: Permission) -> Result<()> {
        match actor.hospital_id {
            Some(h) if h == hospital_id => actor.require(Permission::ViewOwnHospital),
            Some(_) => Err(AppError::NotFound(format!("no hospital account has the id {hospital_id}"))),
            None => actor.require(staff),
        }
    }

    fn contract_view(&self, c: &ContractRow, all: &[ContractRow], code: &str) -> Result<ContractView> {
        let list = PriceList::from_json(&c.price_list)?;
        let today = self.today();
        let in_force = contract_in_force(all, today).is_some_and(|x| x.id == c.id);
        let standing = if in_force {
            "in force".to_string()
        } else if c.effective_from > today {
            format!("starts {}", c.effective_from)
        } else if let Some(to) = c.effective_to.filter(|to| *to < today) {
            format!("ended {to}")
        } else {
            let later = all.iter().filter(|x| x.effective_from > c.effective_from && x.effective_from <= today).min_by_key(|x| x.effective_from);
            later.map(|x| format!("superseded by {} from {}", x.number, x.effective_from)).unwrap_or_else(|| "not in force".into())
        };
        Ok(ContractView {
            number: c.number.clone(),
            hospital_code: code.to_string(),
            effective_from: c.effective_from,
            effective_to: c.effective_to,
            standing,
            in_force,
            summary: price_list_words(&list),
            price_list: list,
            created_by: c.created_by.clone(),
        })
    }

    /// A hospital's contracts, latest first: staff who see contracts, or the hospital's own users.
    pub async fn contracts(&self, actor: &Actor, hospital_id: Uuid) -> Result<Vec<ContractView>> {
        self.may_see_account(actor, hospital_id, Permission::ViewContracts)?;
        let h = self.store.hospital(hospital_id).await?.ok_or_else(|| AppError::NotFound(format!("no hospital account has the id {hospital_id}")))?;
        let all = self.store.contracts(hospital_id).await?;
        let mut out = all.iter().map(|c| self.contract_view(c, &all, h.fields.code.as_str())).collect::<Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    /// Adds a contract: number `C-<hospital>-<year>-<n>` (gap-free), a checked price list,
    /// and a period that leaves one contract in force on any day.
    pub async fn add_contract(&self, actor: &Actor, hospital_id: Uuid, input: &ContractInput) -> Result<ContractView> {
        actor.require(Permission::ManageContracts)?;
        let mut errors = Vec::new();
        let from = parse_day("effective_from", &input.effective_from).map_err(|e| errors.push(e)).ok();
        let to = match input.effective_to.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => parse_day("effective_to", s).map_err(|e| errors.push(e)).ok(),
            None => None,
        };
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                errors.push(FieldError::new("effective_to", format!("{t} is before the start {f}")));
            }
        }
        let text = match &input.price_list {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            v => v.to_string(),
        };
        let list = if text.trim().is_empty() {
            errors.push(FieldError::new("price_list", "is required: the contract's prices as JSON (see docs/pricing.md)"));
            None
        } else {
            match PriceList::from_json(&text) {
                Ok(l) => Some(l),
                Err(e) => {
                    errors.extend(e.0.into_iter().map(|x| {
                        let field = if x.field == "price_list" || x.field.starts_with("price_list.") {
                            x.field.to_string()
                        } else {
                            format!("price_list.{}", x.field)
                        };
                        FieldError::new(field, x.message)
                    }));
                    None
                }
            }
        };
        let (Some(from), Some(list), true) = (from, list, errors.is_empty()) else {
            return Err(FieldErrors(errors).into());
        };
        let mut tx = self.store.begin_write().await?;
        tx.lock_hospital(hospital_id).await?;
        let h = tx.hospital(hospital_id).await?.ok_or_else(|| AppError::NotFound(format!("no hospital account has the id {hospital_id}")))?;
        let existing = tx.contracts_in_tx(hospital_id).await?;
        if let Some(why) = contract_overlap(&existing, from, to) {
            return Err(AppError::Conflict(format!("{} would have two contracts in force: {why}", h.fields.code.as_str())));
        }
        let code = h.fields.code.as_str().to_string();
        let year = from.year();
        let seq = tx.next_document_number(&format!("C-{code}"), year).await?;
        let row = ContractRow {
            id: Uuid::now_v7(),
            hospital_id,
            number: format!("C-{code}-{year}-{seq}"),
            effective_from: from,
            effective_to: to,
            price_list: serde_json::to_string(&list).map_err(|e| AppError::Conflict(e.to_string()))?,
            created_at: store::now(),
            created_by: actor.username.clone(),
        };
        tx.insert_contract(&row).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "contract.add", "contract", row.id).after(serde_json::json!({
            "number": row.number, "hospital": code, "effective_from": from, "effective_to": to, "price_list": list,
        })))
        .await?;
        tx.commit().await?;
        let mut all = existing;
        all.push(row.clone());
        self.contract_view(&row, &all, &code)
    }

    /// Prices the units and delivery fees into lines. `volume` gives the month's unit
    /// count for a unit's tier.
    async fn price_items(
        &self,
        tx: &mut WriteTx,
        code: &str,
        contracts: &[ContractRow],
        items: &[store::BillableItem],
        volume: &BTreeMap<NaiveDate, i64>,
        used: &mut BTreeSet<Uuid>,
    ) -> Result<Vec<Draft>> {
        let donations: Vec<Uuid> = items.iter().filter_map(|i| i.donation_id).collect::<BTreeSet<_>>().into_iter().collect();
        let mut special: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
        for (donation, test, ordered_at) in tx.negative_special_tests_in_tx(&donations).await? {
            if let Some(attr) = crate::testing::rule_of(&test, ordered_at.date_naive()).and_then(|r| r.attribute_when_negative.as_deref()) {
                special.entry(donation).or_default().push(crate::testing::attribute_words(attr));
            }
        }
        let mut out = Vec::new();
        for i in items {
            let shipped = i
                .shipped_at
                .ok_or_else(|| AppError::Conflict(format!("invoicing an unshipped order: shipment {} has not shipped", i.shipment_number)))?;
            let day = self.local_day(shipped);
            let c = contract_in_force(contracts, day).ok_or_else(|| no_contract(code, day))?;
            used.insert(c.id);
            let list = PriceList::from_json(&c.price_list)?;
            let kind = domain::component::ComponentKind::parse(&i.kind)
                .map_err(|e| AppError::Conflict(format!("unit {} {}: {e}", i.din, i.product_code)))?;
            let mut attrs: Vec<String> = i.attributes.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
            if let Some(s) = i.donation_id.and_then(|d| special.get(&d)) {
                attrs.extend(s.iter().cloned());
            }
            let attrs: Vec<&str> = attrs.iter().map(String::as_str).collect();
            let product = ProductClass::of(kind);
            let month_units = volume.get(&day).copied().unwrap_or(0);
            let price = price_unit(&list, product, &attrs, month_units)
                .map_err(|e| AppError::Conflict(format!("unit {} {} under contract {}: {e}", i.din, i.product_code, c.number)))?;
            for line in unit_lines(&list, product, &price, &format!("{} {}", i.din, i.product_code)) {
                out.push(Draft { line, source: Some(("shipment_item", i.item_id)) });
            }
        }
        Ok(out)
    }

    fn delivery_draft(&self, code: &str, contracts: &[ContractRow], s: &store::BillableShipment, used: &mut BTreeSet<Uuid>) -> Result<Draft> {
        let shipped =
            s.shipped_at.ok_or_else(|| AppError::Conflict(format!("invoicing an unshipped order: shipment {} has not shipped", s.number)))?;
        let day = self.local_day(shipped);
        let c = contract_in_force(contracts, day).ok_or_else(|| no_contract(code, day))?;
        used.insert(c.id);
        let list = PriceList::from_json(&c.price_list)?;
        let urgent = matches!(s.priority.as_str(), "stat" | "asap");
        Ok(Draft { line: delivery_line(&list, urgent, &s.number), source: Some(("shipment", s.id)) })
    }

    /// Writes an invoice with its lines and the sources it charges, and its audit record.
    #[allow(clippy::too_many_arguments)]
    async fn write_invoice(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        hospital_id: Uuid,
        code: &str,
        contract: &ContractRow,
        covers: String,
        drafts: Vec<Draft>,
    ) -> Result<String> {
        let list = PriceList::from_json(&contract.price_list)?;
        let today = self.today();
        let seq = tx.next_document_number("INV", today.year()).await?;
        let number = InvoiceNumber::new(DocumentKind::Invoice, today.year(), seq as u64)
            .ok_or_else(|| AppError::Conflict("the invoice number is out of range".into()))?
            .to_string();
        let lines: Vec<InvoiceLine> = drafts.iter().map(|d| d.line.clone()).collect();
        let t = totals(&lines);
        let row = InvoiceRow {
            id: Uuid::now_v7(),
            number: number.clone(),
            kind: "invoice".into(),
            hospital_id,
            contract_id: contract.id,
            credits_invoice_id: None,
            covers: covers.clone(),
            issued_on: today,
            due_on: due_date(today, list.payment_terms_days),
            payment_terms_days: list.payment_terms_days.into(),
            currency: list.currency.clone(),
            net_cents: t.net_cents,
            tax_cents: t.tax_cents,
            total_cents: t.total_cents,
            reason: String::new(),
            issued_at: store::now(),
            issued_by: actor.username.clone(),
        };
        tx.insert_invoice(&row).await?;
        let mut sources = BTreeSet::new();
        for (n, d) in drafts.iter().enumerate() {
            tx.insert_invoice_line(&line_row(row.id, n, &d.line, d.source)).await?;
            if let Some(s) = d.source {
                sources.insert(s);
            }
        }
        for (kind, id) in &sources {
            tx.insert_invoiced_source(kind, *id, row.id).await?;
        }
        tx.append_audit(AuditDraft::new(&actor.username, "invoice.issue", "invoice", row.id).after(serde_json::json!({
            "number": number, "hospital": code, "covers": covers, "contract": contract.number, "lines": lines.len(),
            "net_cents": t.net_cents, "tax_cents": t.tax_cents, "total_cents": t.total_cents, "due_on": row.due_on,
        })))
        .await?;
        Ok(number)
    }

    /// Invoices one shipped shipment: a line per unit and surcharge, and its delivery fee.
    pub async fn invoice_shipment(&self, actor: &Actor, shipment: &str) -> Result<InvoiceView> {
        actor.require(Permission::ManageInvoices)?;
        let number = shipment.trim().to_ascii_uppercase();
        let mut tx = self.store.begin_write().await?;
        let s = tx.shipment_for_update(&number).await?.ok_or_else(|| AppError::NotFound(format!("no shipment {number}")))?;
        tx.lock_hospital(s.hospital_id).await?;
        let Some(shipped_at) = s.shipped_at else {
            return Err(AppError::Conflict(format!(
                "invoicing an unshipped order: shipment {number} has not shipped yet; invoice it once it has left"
            )));
        };
        let h = tx.hospital(s.hospital_id).await?.ok_or_else(|| AppError::NotFound(format!("no hospital for shipment {number}")))?;
        let code = format!("{} ({})", h.fields.code.as_str(), h.fields.name);
        let items = tx.billable_items_of_shipment(s.id).await?;
        let delivery = tx.billable_shipment(s.id).await?.ok_or_else(|| AppError::NotFound(format!("no shipment {number}")))?;
        if let Some(inv) = delivery.invoiced.as_ref().or_else(|| items.iter().find_map(|i| i.invoiced.as_ref())) {
            return Err(AppError::Conflict(format!("shipment {number} is already invoiced on {inv}; a shipment is invoiced once")));
        }
        let contracts = tx.contracts_in_tx(s.hospital_id).await?;
        let day = self.local_day(shipped_at);
        let contract = contract_in_force(&contracts, day).cloned().ok_or_else(|| no_contract(&code, day))?;
        let month_start = self.day_start(day.with_day(1).unwrap_or(day));
        let volume = BTreeMap::from([(day, tx.units_shipped_between(s.hospital_id, month_start, shipped_at).await?)]);
        let mut used = BTreeSet::new();
        let mut drafts = self.price_items(&mut tx, &code, &contracts, &items, &volume, &mut used).await?;
        drafts.push(self.delivery_draft(&code, &contracts, &delivery, &mut used)?);
        let inv = self.write_invoice(&mut tx, actor, s.hospital_id, &code, &contract, format!("shipment {number}"), drafts).await?;
        tx.commit().await?;
        self.invoice(actor, &inv).await
    }

    /// Invoices a hospital's month: every shipped unit and delivery of the month not yet
    /// invoiced, and credits for returns that passed inspection, not yet credited.
    pub async fn invoice_month(&self, actor: &Actor, hospital_id: Uuid, input: &MonthInput) -> Result<InvoiceView> {
        actor.require(Permission::ManageInvoices)?;
        let first = NaiveDate::parse_from_str(&format!("{}-01", input.month.trim()), "%Y-%m-%d")
            .map_err(|_| FieldError::new("month", format!("'{}' is not a month like 2026-11", input.month.trim())))?;
        let today = self.today();
        if first > today {
            return Err(FieldError::new("month", format!("{} has not started yet", month_title(first))).into());
        }
        let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
        let (from, to) = (self.day_start(first), self.day_start(next));
        let mut tx = self.store.begin_write().await?;
        tx.lock_hospital(hospital_id).await?;
        let h = tx.hospital(hospital_id).await?.ok_or_else(|| AppError::NotFound(format!("no hospital account has the id {hospital_id}")))?;
        let code = format!("{} ({})", h.fields.code.as_str(), h.fields.name);
        let contracts = tx.contracts_in_tx(hospital_id).await?;
        let items = tx.uninvoiced_items(hospital_id, from, to).await?;
        let shipments = tx.uninvoiced_shipments(hospital_id, from, to).await?;
        let returns = tx.creditable_returns(hospital_id, to).await?;
        let month_units = tx.units_shipped_between(hospital_id, from, to).await?;
        let volume: BTreeMap<NaiveDate, i64> = items.iter().filter_map(|i| i.shipped_at).map(|t| (self.local_day(t), month_units)).collect();
        let mut used = BTreeSet::new();
        let mut drafts = self.price_items(&mut tx, &code, &contracts, &items, &volume, &mut used).await?;
        for s in &shipments {
            drafts.push(self.delivery_draft(&code, &contracts, s, &mut used)?);
        }
        for r in &returns {
            let here: i64 = drafts
                .iter()
                .filter(|d| {
                    d.source == Some(("shipment_item", r.item_id)) && matches!(d.line.kind, InvoiceLineKind::Product | InvoiceLineKind::Surcharge)
                })
                .map(|d| d.line.amount_cents)
                .sum();
            let charged = tx.charged_for_item(r.item_id).await? + here;
            if charged <= 0 {
                // Never charged (or the charge was credited): nothing to give back yet.
                continue;
            }
            let day = self.local_day(r.returned_at);
            let c = contract_in_force(&contracts, day).ok_or_else(|| no_contract(&code, day))?;
            used.insert(c.id);
            let list = PriceList::from_json(&c.price_list)?;
            drafts.push(Draft {
                line: return_credit_line(&list, charged, &format!("{} {}", r.din, r.product_code)),
                source: Some(("return", r.return_id)),
            });
        }
        for p in tx.uninvoiced_procedures(hospital_id, from, to).await? {
            drafts.extend(self.procedure_drafts(&code, &contracts, &p, &mut used)?);
        }
        if drafts.is_empty() {
            return Err(AppError::Conflict(format!(
                "nothing to invoice for {code} in {}: no shipped unit, delivery, return credit or apheresis procedure is waiting",
                month_title(first)
            )));
        }
        let last_day = next.pred_opt().unwrap_or(first).min(today);
        let contract = contract_in_force(&contracts, last_day)
            .filter(|c| used.contains(&c.id))
            .or_else(|| contracts.iter().filter(|c| used.contains(&c.id)).max_by_key(|c| c.effective_from))
            .cloned()
            .ok_or_else(|| no_contract(&code, last_day))?;
        let inv = self.write_invoice(&mut tx, actor, hospital_id, &code, &contract, month_title(first), drafts).await?;
        tx.commit().await?;
        self.invoice(actor, &inv).await
    }

    /// A credit note reversing chosen lines of an invoice, with the reason.
    pub async fn credit_note(&self, actor: &Actor, number: &str, input: &CreditNoteInput) -> Result<InvoiceView> {
        actor.require(Permission::ManageInvoices)?;
        let number = InvoiceNumber::parse(number).map_err(|e| AppError::NotFound(e.to_string()))?.to_string();
        let reason = input.reason.trim();
        if reason.is_empty() {
            return Err(FieldError::new("reason", "is required: why the invoice is corrected").into());
        }
        let mut tx = self.store.begin_write().await?;
        let inv = tx.invoice_for_update(&number).await?.ok_or_else(|| AppError::NotFound(format!("no invoice {number}")))?;
        if inv.kind != "invoice" {
            return Err(pricing_conflict(PricingError::CreditOfCredit));
        }
        let original: Vec<InvoiceLineRow> = tx.invoice_lines_in_tx(inv.id).await?;
        let earlier: Vec<InvoiceLineRow> = tx.credit_lines_of_in_tx(inv.id).await?;
        let lines = credit_note_lines(
            &original.iter().map(line_to_domain).collect::<Vec<_>>(),
            &earlier.iter().map(line_to_domain).collect::<Vec<_>>(),
            &input.lines,
        )
        .map_err(pricing_conflict)?;
        let today = self.today();
        let seq = tx.next_document_number("CN", today.year()).await?;
        let cn = InvoiceNumber::new(DocumentKind::CreditNote, today.year(), seq as u64)
            .ok_or_else(|| AppError::Conflict("the credit note number is out of range".into()))?
            .to_string();
        let t = totals(&lines);
        let row = InvoiceRow {
            id: Uuid::now_v7(),
            number: cn.clone(),
            kind: "credit_note".into(),
            hospital_id: inv.hospital_id,
            contract_id: inv.contract_id,
            credits_invoice_id: Some(inv.id),
            covers: format!("correction of {number}"),
            issued_on: today,
            due_on: today,
            payment_terms_days: 0,
            currency: inv.currency.clone(),
            net_cents: t.net_cents,
            tax_cents: t.tax_cents,
            total_cents: t.total_cents,
            reason: reason.to_string(),
            issued_at: store::now(),
            issued_by: actor.username.clone(),
        };
        tx.insert_invoice(&row).await?;
        for (n, l) in lines.iter().enumerate() {
            let src = l.credits_line.and_then(|i| original.get(i)).and_then(|o| o.source_kind.as_deref().zip(o.source_id));
            let mut r = line_row(row.id, n, l, None);
            if let Some((k, id)) = src {
                r.source_kind = Some(k.to_string());
                r.source_id = Some(id);
            }
            tx.insert_invoice_line(&r).await?;
        }
        tx.append_audit(
            AuditDraft::new(&actor.username, "invoice.credit", "invoice", row.id)
                .after(serde_json::json!({"number": cn, "credits": number, "lines": input.lines, "total_cents": t.total_cents}))
                .reason(Some(reason.to_string())),
        )
        .await?;
        tx.commit().await?;
        self.invoice(actor, &cn).await
    }

    /// Records the payment of an invoice, once and in full.
    pub async fn record_payment(&self, actor: &Actor, number: &str, input: &PaymentInput) -> Result<InvoiceView> {
        actor.require(Permission::ManageInvoices)?;
        let number = InvoiceNumber::parse(number).map_err(|e| AppError::NotFound(e.to_string()))?.to_string();
        let today = self.today();
        let mut errors = Vec::new();
        let paid_on = parse_day("paid_on", &input.paid_on).map_err(|e| errors.push(e)).ok();
        if let Some(d) = paid_on.filter(|d| *d > today) {
            errors.push(FieldError::new("paid_on", format!("{d} is in the future; record a payment once it is received")));
        }
        let reference = input.reference.trim();
        if reference.is_empty() {
            errors.push(FieldError::new("reference", "is required: the bank or remittance reference"));
        }
        let (Some(paid_on), true) = (paid_on, errors.is_empty()) else {
            return Err(FieldErrors(errors).into());
        };
        let mut tx = self.store.begin_write().await?;
        let inv = tx.invoice_for_update(&number).await?.ok_or_else(|| AppError::NotFound(format!("no invoice {number}")))?;
        if inv.kind != "invoice" {
            return Err(AppError::Conflict(format!("{number} is a credit note; there is nothing to pay on it")));
        }
        if let Some(p) = tx.payment_of_in_tx(inv.id).await? {
            return Err(AppError::Conflict(format!(
                "{number} was already paid on {} (reference {}); a payment is recorded once",
                p.paid_on, p.reference
            )));
        }
        if paid_on < inv.issued_on {
            return Err(FieldError::new("paid_on", format!("{paid_on} is before the invoice date {}", inv.issued_on)).into());
        }
        let credits = tx.credit_lines_of_in_tx(inv.id).await?;
        let credited = totals(&credits.iter().map(line_to_domain).collect::<Vec<_>>()).total_cents;
        let due = inv.total_cents + credited;
        if due <= 0 {
            return Err(AppError::Conflict(format!("{number} has nothing left to pay (credit notes cover {})", format_cents(-credited))));
        }
        let amount = input.amount_cents.unwrap_or(due);
        if amount != due {
            return Err(FieldError::new(
                "amount_cents",
                format!("{} is not the amount due, {} {}; a payment is recorded in full", format_cents(amount), format_cents(due), inv.currency),
            )
            .into());
        }
        let p = PaymentRow {
            invoice_id: inv.id,
            paid_on,
            amount_cents: amount,
            reference: reference.to_string(),
            recorded_at: store::now(),
            recorded_by: actor.username.clone(),
        };
        tx.insert_payment(&p).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "invoice.pay", "invoice", inv.id).after(serde_json::json!({
            "number": number, "paid_on": paid_on, "amount_cents": amount, "reference": reference,
        })))
        .await?;
        tx.commit().await?;
        self.invoice(actor, &number).await
    }

    fn summary(&self, r: &InvoiceListRow) -> InvoiceSummary {
        let i = &r.invoice;
        let credit_note = i.kind == "credit_note";
        let wholly_credited = r.creditable_lines > 0 && r.credited_lines >= r.creditable_lines;
        let status = status_on(self.today(), i.due_on, r.paid_on, wholly_credited);
        let status_words = if credit_note {
            format!("Credit note to {}", r.credits_number.clone().unwrap_or_default())
        } else {
            match status {
                InvoiceStatus::Paid => format!("Paid on {}", r.paid_on.map(|d| d.to_string()).unwrap_or_default()),
                InvoiceStatus::Overdue => format!("Overdue (was due {})", i.due_on),
                InvoiceStatus::Credited => "Credited in full".into(),
                InvoiceStatus::Issued => format!("Issued, due {}", i.due_on),
            }
        };
        InvoiceSummary {
            number: i.number.clone(),
            kind: if credit_note { "credit_note" } else { "invoice" },
            kind_title: if credit_note { "Credit note" } else { "Invoice" },
            hospital_code: r.hospital_code.clone(),
            hospital_name: r.hospital_name.clone(),
            covers: i.covers.clone(),
            issued_on: i.issued_on,
            due_on: (!credit_note).then_some(i.due_on),
            currency: i.currency.clone(),
            net_cents: i.net_cents,
            tax_cents: i.tax_cents,
            total_cents: i.total_cents,
            net: format_cents(i.net_cents),
            tax: format_cents(i.tax_cents),
            total: format_cents(i.total_cents),
            status: if credit_note { "credit_note" } else { status.as_str() },
            status_words,
            overdue: !credit_note && status == InvoiceStatus::Overdue,
            paid_on: r.paid_on,
            credits: r.credits_number.clone(),
        }
    }

    fn invoice_scope(&self, actor: &Actor) -> Result<Option<Uuid>> {
        match actor.hospital_id {
            Some(h) => {
                actor.require(Permission::ViewOwnHospital)?;
                Ok(Some(h))
            }
            None => {
                actor.require(Permission::ViewInvoices)?;
                Ok(None)
            }
        }
    }

    /// Invoices and credit notes, newest first (a hospital user: their own), optionally
    /// only those with one status (`issued`, `paid`, `overdue`, `credited`, `credit_note`).
    pub async fn invoices(&self, actor: &Actor, status: Option<&str>, limit: i64) -> Result<Vec<InvoiceSummary>> {
        let scope = self.invoice_scope(actor)?;
        let status = status.map(str::trim).filter(|s| !s.is_empty());
        if let Some(s) = status {
            if !["issued", "paid", "overdue", "credited", "credit_note"].contains(&s) {
                return Err(FieldError::new("status", format!("'{s}' is not a status: issued, paid, overdue, credited or credit_note")).into());
            }
        }
        Ok(self.store.invoices(scope, limit).await?.iter().map(|r| self.summary(r)).filter(|s| status.is_none_or(|x| x == s.status)).collect())
    }

    /// One invoice or credit note with its lines (another hospital's is not found).
    pub async fn invoice(&self, actor: &Actor, number: &str) -> Result<InvoiceView> {
        let scope = self.invoice_scope(actor)?;
        let not_found = || AppError::NotFound(format!("no invoice {}", number.trim()));
        let parsed = InvoiceNumber::parse(number).map_err(|_| not_found())?.to_string();
        let r = self.store.invoice(&parsed).await?.ok_or_else(not_found)?;
        if scope.is_some_and(|h| h != r.invoice.hospital_id) {
            return Err(not_found());
        }
        let i = &r.invoice;
        let lines = self.store.invoice_lines(i.id).await?;
        let notes = self.store.credit_notes_of(i.id).await?;
        let mut credited_by: BTreeMap<i64, String> = BTreeMap::new();
        for n in &notes {
            for l in self.store.invoice_lines(n.id).await? {
                if let Some(k) = l.credits_line {
                    credited_by.insert(k, n.number.clone());
                }
            }
        }
        let payment = self.store.payment_of(i.id).await?;
        let credited: i64 = notes.iter().map(|n| n.total_cents).sum();
        let outstanding = if i.kind != "invoice" || payment.is_some() { 0 } else { (i.total_cents + credited).max(0) };
        let contract = self.store.contract_by_id(i.contract_id).await?.map(|c| c.number).unwrap_or_default();
        let h = self.store.hospital(i.hospital_id).await?;
        let recipient = h
            .map(|h| {
                let mut v = vec![h.fields.name.clone()];
                v.extend(h.fields.address.clone());
                v.extend(h.fields.city.clone());
                v
            })
            .unwrap_or_default();
        Ok(InvoiceView {
            summary: self.summary(&r),
            hospital_id: i.hospital_id,
            contract,
            payment_terms_days: i.payment_terms_days,
            reason: i.reason.clone(),
            issued_by: i.issued_by.clone(),
            lines: lines
                .iter()
                .enumerate()
                .map(|(n, l)| {
                    let d = line_to_domain(l);
                    LineView {
                        index: n,
                        kind: d.kind.as_str(),
                        kind_title: d.kind.title(),
                        description: l.description.clone(),
                        reference: l.reference.clone(),
                        quantity: l.quantity,
                        unit_cents: l.unit_cents,
                        unit_price: format_cents(l.unit_cents),
                        amount_cents: l.amount_cents,
                        amount: format_cents(l.amount_cents),
                        tax_percent: d.tax_percent.to_string(),
                        credited_by: credited_by.get(&l.line_no).cloned(),
                        credits_line: l.credits_line,
                    }
                })
                .collect(),
            credit_notes: notes.iter().map(|n| DocumentRef { number: n.number.clone(), total: format_cents(n.total_cents) }).collect(),
            payment_reference: payment.map(|p| p.reference),
            outstanding_cents: outstanding,
            outstanding: format_cents(outstanding),
            recipient,
        })
    }
}

fn no_contract(code: &str, day: NaiveDate) -> AppError {
    AppError::Conflict(format!("no contract is in force for {code} on {day}; add the hospital's contract before invoicing"))
}

fn line_row(invoice_id: Uuid, n: usize, l: &InvoiceLine, source: Option<(&'static str, Uuid)>) -> InvoiceLineRow {
    InvoiceLineRow {
        invoice_id,
        line_no: n as i64,
        kind: l.kind.as_str().to_string(),
        description: l.description.clone(),
        reference: l.reference.clone(),
        quantity: l.quantity,
        unit_cents: l.unit_cents,
        amount_cents: l.amount_cents,
        tax_hundredths: l.tax_percent.hundredths().into(),
        credits_line: l.credits_line.map(|i| i as i64),
        source_kind: source.map(|s| s.0.to_string()),
        source_id: source.map(|s| s.1),
    }
}

mod apheresis;

#[cfg(test)]
mod tests;
