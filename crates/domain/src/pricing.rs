//! Contract prices and invoice arithmetic for products sold to hospitals (and, next,
//! therapeutic apheresis charged to them).
//!
//! Money is whole cents (`i64`) everywhere; percentages are [`Percent`], kept in
//! hundredths of a percent, so no float ever touches an amount. Every percentage of
//! an amount is rounded half away from zero to the cent ([`percent_of`]), so a credit
//! note that negates a line gets exactly the negated tax.

use crate::inventory::ProductClass;
use crate::validation::{FieldError, FieldErrors};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A percentage from 0 to 100 with at most two decimals (`7.5`, `12.25`), held as
/// hundredths of a percent. In JSON it is a plain number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u32);

impl Percent {
    pub const ZERO: Self = Self(0);
    pub const HUNDRED: Self = Self(10_000);

    /// `hundredths` of a percent: 750 is 7.5 %. `None` above 100 %.
    pub fn from_hundredths(hundredths: u32) -> Option<Self> {
        (hundredths <= 10_000).then_some(Self(hundredths))
    }

    /// A whole percentage; `None` above 100.
    pub fn whole(percent: u32) -> Option<Self> {
        percent.checked_mul(100).and_then(Self::from_hundredths)
    }

    pub fn hundredths(self) -> u32 {
        self.0
    }

    fn from_number(v: f64) -> Result<Self, String> {
        let h = v * 100.0;
        let rounded = h.round();
        if !v.is_finite() || !(0.0..=100.0).contains(&v) {
            return Err(format!("{v} is not a percentage from 0 to 100"));
        }
        if (h - rounded).abs() > 1e-6 {
            return Err(format!("{v} has more than two decimals"));
        }
        Ok(Self(rounded as u32))
    }
}

impl fmt::Display for Percent {
    /// `7.5%`, `10%`, `12.25%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        match frac {
            0 => write!(f, "{whole}%"),
            x if x % 10 == 0 => write!(f, "{whole}.{}%", x / 10),
            x => write!(f, "{whole}.{x:02}%"),
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_multiple_of(100) {
            s.serialize_u32(self.0 / 100)
        } else {
            s.serialize_f64(f64::from(self.0) / 100.0)
        }
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Self::from_number(v).map_err(serde::de::Error::custom)
    }
}

/// `share` of `amount_cents`, rounded half away from zero to the cent:
/// 7.5 % of 1 010 cents is 75.75 → 76; of −1 010 cents, −76.
pub fn percent_of(amount_cents: i64, share: Percent) -> i64 {
    let num = i128::from(amount_cents) * i128::from(share.0);
    let half_away = (num.abs() * 2 + 10_000) / 20_000;
    let v = if num < 0 { -half_away } else { half_away };
    // |amount × share| ≤ |amount|, so it always fits back.
    v as i64
}

/// Cents as people read them: `1,234.56`, `-0.05`.
pub fn format_cents(cents: i64) -> String {
    let abs = cents.unsigned_abs();
    let (units, rest) = (abs / 100, abs % 100);
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{grouped}.{rest:02}", if cents < 0 { "-" } else { "" })
}

/// The prices of one contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceList {
    /// ISO 4217 code, three capital letters (`USD`, `EUR`).
    pub currency: String,
    pub products: Vec<ProductPrice>,
    #[serde(default)]
    pub surcharges: Vec<Surcharge>,
    #[serde(default)]
    pub volume_tiers: Vec<VolumeTier>,
    pub delivery_fee_cents: DeliveryFees,
    /// Share of the unit price credited for a return accepted back into stock.
    #[serde(default)]
    pub return_credit_percent: Percent,
    pub payment_terms_days: u32,
    #[serde(default)]
    pub tax_percent: Percent,
    /// Therapeutic apheresis services, by procedure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apheresis: Vec<apheresis::ApheresisPrice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductPrice {
    pub product: ProductClass,
    pub unit_cents: i64,
}

/// An extra charge per unit that carries an attribute (`irradiated`, `CMV-negative`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Surcharge {
    pub attribute: String,
    pub unit_cents: i64,
}

/// From `min_units` units in the invoice's calendar month (all products together),
/// product prices are `discount_percent` lower.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeTier {
    pub min_units: i64,
    pub discount_percent: Percent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryFees {
    pub routine: i64,
    /// STAT and ASAP orders.
    pub urgent: i64,
}

/// Longest payment term a price list may give.
pub const MAX_PAYMENT_TERMS_DAYS: u32 = 365;

/// The largest price, surcharge or fee a list may hold: 1,000,000.00 (a typing slip
/// above it, such as a DIN pasted into a price, is refused rather than invoiced).
pub const MAX_PRICE_CENTS: i64 = 100_000_000;

/// Why a price, surcharge or fee is refused, if it is.
fn price_problem(cents: i64, what: &str) -> Option<String> {
    if cents < 0 {
        Some(format!("{cents} is negative; a {what} is 0 or more"))
    } else if cents > MAX_PRICE_CENTS {
        Some(format!("{cents} cents is more than {} (amounts are in cents: 21000 is 210.00)", format_cents(MAX_PRICE_CENTS)))
    } else {
        None
    }
}

fn same_attribute(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl PriceList {
    /// Reads a price list from JSON and checks it; every error names its field
    /// (`price_list` when the text is not JSON at all).
    pub fn from_json(text: &str) -> Result<Self, FieldErrors> {
        let list: Self = crate::eligibility::json_at_path(text, "price_list").map_err(|(field, message)| {
            // A syntax error before any field is known comes back as `?`.
            let field = if field.starts_with('?') { "price_list".to_string() } else { field };
            FieldErrors(vec![FieldError::new(field, message)])
        })?;
        list.validate()?;
        Ok(list)
    }

    /// Every problem of the list at once, each on its field (`products[2].unit_cents`).
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = Vec::new();
        let mut err = |field: String, message: String| errors.push(FieldError::new(field, message));
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            err("currency".into(), format!("'{}' is not a currency code (three capital letters, e.g. USD)", self.currency));
        }
        if self.products.is_empty() {
            err("products".into(), "lists no product; a price list needs at least one".into());
        }
        for (i, p) in self.products.iter().enumerate() {
            if let Some(m) = price_problem(p.unit_cents, "price") {
                err(format!("products[{i}].unit_cents"), m);
            }
            if let Some(j) = self.products[..i].iter().position(|q| q.product == p.product) {
                err(format!("products[{i}].product"), format!("{} is already priced at products[{j}]", p.product.title()));
            }
        }
        for (i, s) in self.surcharges.iter().enumerate() {
            if s.attribute.trim().is_empty() {
                err(format!("surcharges[{i}].attribute"), "is required (e.g. irradiated)".into());
            } else if let Some(j) = self.surcharges[..i].iter().position(|t| same_attribute(&t.attribute, &s.attribute)) {
                err(format!("surcharges[{i}].attribute"), format!("'{}' already has a surcharge at surcharges[{j}]", s.attribute.trim()));
            }
            if let Some(m) = price_problem(s.unit_cents, "surcharge") {
                err(format!("surcharges[{i}].unit_cents"), m);
            }
        }
        for (i, t) in self.volume_tiers.iter().enumerate() {
            if t.min_units < 1 {
                err(format!("volume_tiers[{i}].min_units"), format!("{} is below 1 unit", t.min_units));
            }
            if t.discount_percent >= Percent::HUNDRED {
                err(
                    format!("volume_tiers[{i}].discount_percent"),
                    "a discount of 100% gives products away; use a lower discount or an adjustment line".into(),
                );
            }
            if let Some(prev) = i.checked_sub(1).map(|j| &self.volume_tiers[j]) {
                if t.min_units <= prev.min_units {
                    err(
                        format!("volume_tiers[{i}].min_units"),
                        format!("{} must be more than the previous tier's {} units", t.min_units, prev.min_units),
                    );
                }
                if t.discount_percent <= prev.discount_percent {
                    err(
                        format!("volume_tiers[{i}].discount_percent"),
                        format!("{} must be more than the previous tier's {}", t.discount_percent, prev.discount_percent),
                    );
                }
            }
        }
        for (name, v) in [("routine", self.delivery_fee_cents.routine), ("urgent", self.delivery_fee_cents.urgent)] {
            if let Some(m) = price_problem(v, "fee") {
                err(format!("delivery_fee_cents.{name}"), m);
            }
        }
        if self.payment_terms_days > MAX_PAYMENT_TERMS_DAYS {
            err("payment_terms_days".into(), format!("{} days is more than {MAX_PAYMENT_TERMS_DAYS}", self.payment_terms_days));
        }
        for (field, message) in apheresis::problems(self) {
            err(field, message);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(FieldErrors(errors))
        }
    }

    /// The tier reached with `month_units` units this month, the highest one.
    pub fn tier_for(&self, month_units: i64) -> Option<&VolumeTier> {
        self.volume_tiers.iter().filter(|t| month_units >= t.min_units).max_by_key(|t| t.min_units)
    }

    pub fn product_price(&self, product: ProductClass) -> Option<i64> {
        self.products.iter().find(|p| p.product == product).map(|p| p.unit_cents)
    }

    pub fn surcharge(&self, attribute: &str) -> Option<&Surcharge> {
        self.surcharges.iter().find(|s| same_attribute(&s.attribute, attribute))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("{} is not on this price list; add it to the contract's prices before invoicing it", .0.title())]
    ProductNotListed(ProductClass),
    #[error("{0} units this month is negative; count the units invoiced this month")]
    NegativeUnits(i64),
    #[error("{quantity} × {unit_cents} cents does not fit in an amount")]
    AmountOverflow { quantity: i64, unit_cents: i64 },
    #[error("invoice line {0} does not exist (the invoice has {1} lines)")]
    NoSuchLine(usize, usize),
    #[error("invoice line {0} is chosen twice; a line is credited once")]
    LineChosenTwice(usize),
    #[error("a credit note cannot be credited; issue a new invoice for the amount instead")]
    CreditOfCredit,
    #[error("invoice line {line} ({description}) has nothing to credit: its amount is {amount}")]
    NothingToCredit { line: usize, description: String, amount: String },
    #[error("invoice line {line} ({description}) was already credited by an earlier credit note")]
    AlreadyCredited { line: usize, description: String },
    #[error("choose at least one invoice line to credit")]
    NoLinesChosen,
}

/// A surcharge that applied to a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedSurcharge {
    pub attribute: String,
    pub unit_cents: i64,
}

/// The price of one unit, with its parts and the reasons in words for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitPrice {
    pub base_cents: i64,
    /// The volume discount on the base price (0 or more; subtract it).
    pub discount_cents: i64,
    pub discount_percent: Percent,
    pub surcharge_cents: i64,
    pub surcharges: Vec<AppliedSurcharge>,
    /// base − discount + surcharges.
    pub total_cents: i64,
    pub explanation: Vec<String>,
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Prices one unit of `product` carrying `attributes`, for an account that has
/// `month_units` units (all products) in the invoice's calendar month. Attributes the
/// list has no surcharge for cost nothing extra (the explanation says so); an
/// attribute named twice is charged once.
pub fn price_unit(list: &PriceList, product: ProductClass, attributes: &[&str], month_units: i64) -> Result<UnitPrice, PricingError> {
    if month_units < 0 {
        return Err(PricingError::NegativeUnits(month_units));
    }
    let base = list.product_price(product).ok_or(PricingError::ProductNotListed(product))?;
    let cur = &list.currency;
    let mut explanation = vec![format!("{}: list price {} {cur}", product.title(), format_cents(base))];
    let (discount_percent, discount) = match list.tier_for(month_units) {
        Some(t) => {
            let d = percent_of(base, t.discount_percent);
            explanation.push(format!(
                "Volume discount {} ({month_units} units this month; tier from {} units): -{}",
                t.discount_percent,
                t.min_units,
                format_cents(d)
            ));
            (t.discount_percent, d)
        }
        None => {
            if let Some(first) = list.volume_tiers.first() {
                explanation.push(format!("No volume discount ({month_units} units this month; the first tier starts at {})", first.min_units));
            }
            (Percent::ZERO, 0)
        }
    };
    let mut surcharges: Vec<AppliedSurcharge> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for a in attributes.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
        if seen.iter().any(|s| same_attribute(s, a)) {
            continue;
        }
        seen.push(a);
        match list.surcharge(a) {
            Some(s) => {
                explanation.push(format!("{} surcharge: {}", capitalised(s.attribute.trim()), format_cents(s.unit_cents)));
                surcharges.push(AppliedSurcharge { attribute: s.attribute.trim().to_string(), unit_cents: s.unit_cents });
            }
            None => explanation.push(format!("{}: no surcharge on this price list", capitalised(a))),
        }
    }
    // Saturating, so a list that was never validated cannot overflow here.
    let surcharge_cents = surcharges.iter().fold(0i64, |a, s| a.saturating_add(s.unit_cents));
    let total = (base - discount).saturating_add(surcharge_cents);
    explanation.push(format!("Unit price: {} {cur}", format_cents(total)));
    Ok(UnitPrice { base_cents: base, discount_cents: discount, discount_percent, surcharge_cents, surcharges, total_cents: total, explanation })
}

/// What an invoice line charges or credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceLineKind {
    /// A blood product (after any volume discount).
    Product,
    /// An attribute's surcharge on a product (irradiation, CMV-negative, …).
    Surcharge,
    Delivery,
    /// A credit for a unit returned and accepted back into stock (negative).
    ReturnCredit,
    /// A therapeutic apheresis service (procedure, nurse time, disposables).
    Apheresis,
    /// A correction or agreed charge entered by sales staff.
    Adjustment,
}

impl InvoiceLineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Product => "product",
            Self::Surcharge => "surcharge",
            Self::Delivery => "delivery",
            Self::ReturnCredit => "return_credit",
            Self::Apheresis => "apheresis",
            Self::Adjustment => "adjustment",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Product => "Product",
            Self::Surcharge => "Surcharge",
            Self::Delivery => "Delivery",
            Self::ReturnCredit => "Return credit",
            Self::Apheresis => "Apheresis",
            Self::Adjustment => "Adjustment",
        }
    }
}

/// One line of an invoice or credit note. `amount_cents` is `quantity × unit_cents`;
/// negative on credits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub kind: InvoiceLineKind,
    pub description: String,
    /// What the line is for: DIN and product code, shipment number, procedure id.
    pub reference: String,
    pub quantity: i64,
    pub unit_cents: i64,
    pub amount_cents: i64,
    pub tax_percent: Percent,
    /// On a credit note: the index of the line of the credited invoice it reverses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits_line: Option<usize>,
}

impl InvoiceLine {
    pub fn new(
        kind: InvoiceLineKind,
        description: impl Into<String>,
        reference: impl Into<String>,
        quantity: i64,
        unit_cents: i64,
        tax_percent: Percent,
    ) -> Result<Self, PricingError> {
        let amount = quantity.checked_mul(unit_cents).ok_or(PricingError::AmountOverflow { quantity, unit_cents })?;
        Ok(Self {
            kind,
            description: description.into(),
            reference: reference.into(),
            quantity,
            unit_cents,
            amount_cents: amount,
            tax_percent,
            credits_line: None,
        })
    }

    /// This line's tax, rounded half away from zero to the cent.
    pub fn tax_cents(&self) -> i64 {
        percent_of(self.amount_cents, self.tax_percent)
    }
}

/// The lines for one unit: the product at its discounted price, then one line per
/// surcharge. `reference` is the unit (DIN and product code).
pub fn unit_lines(list: &PriceList, product: ProductClass, price: &UnitPrice, reference: &str) -> Vec<InvoiceLine> {
    let description = if price.discount_cents > 0 {
        format!("{} ({} volume discount)", product.title(), price.discount_percent)
    } else {
        product.title().to_string()
    };
    let line = |kind, description: String, unit_cents| InvoiceLine {
        kind,
        description,
        reference: reference.to_string(),
        quantity: 1,
        unit_cents,
        amount_cents: unit_cents,
        tax_percent: list.tax_percent,
        credits_line: None,
    };
    let mut lines = vec![line(InvoiceLineKind::Product, description, price.base_cents - price.discount_cents)];
    for s in &price.surcharges {
        lines.push(line(InvoiceLineKind::Surcharge, format!("{} surcharge", capitalised(&s.attribute)), s.unit_cents));
    }
    lines
}

/// The delivery fee for one shipment; `urgent` for STAT and ASAP orders.
pub fn delivery_line(list: &PriceList, urgent: bool, shipment: &str) -> InvoiceLine {
    let (what, fee) =
        if urgent { ("Urgent delivery", list.delivery_fee_cents.urgent) } else { ("Routine delivery", list.delivery_fee_cents.routine) };
    InvoiceLine {
        kind: InvoiceLineKind::Delivery,
        description: what.to_string(),
        reference: shipment.to_string(),
        quantity: 1,
        unit_cents: fee,
        amount_cents: fee,
        tax_percent: list.tax_percent,
        credits_line: None,
    }
}

/// The credit for a unit returned and accepted back into stock: the list's return
/// share of what the unit was charged (`charged_cents`, product and surcharges),
/// as a negative line.
pub fn return_credit_line(list: &PriceList, charged_cents: i64, reference: &str) -> InvoiceLine {
    let credit = -percent_of(charged_cents, list.return_credit_percent);
    InvoiceLine {
        kind: InvoiceLineKind::ReturnCredit,
        description: format!("Return credit ({} of {})", list.return_credit_percent, format_cents(charged_cents)),
        reference: reference.to_string(),
        quantity: 1,
        unit_cents: credit,
        amount_cents: credit,
        tax_percent: list.tax_percent,
        credits_line: None,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceTotals {
    pub net_cents: i64,
    pub tax_cents: i64,
    pub total_cents: i64,
}

/// Net, tax and total of some lines. Tax is computed and rounded on each line (half
/// away from zero to the cent), then added up, so every line's tax can be shown
/// and a credit note's tax is exactly the negated tax of the lines it credits.
pub fn totals(lines: &[InvoiceLine]) -> InvoiceTotals {
    let net: i64 = lines.iter().map(|l| l.amount_cents).sum();
    let tax: i64 = lines.iter().map(InvoiceLine::tax_cents).sum();
    InvoiceTotals { net_cents: net, tax_cents: tax, total_cents: net + tax }
}

/// The day payment is due: `terms_days` calendar days after the issue day.
pub fn due_date(issued: NaiveDate, terms_days: u32) -> NaiveDate {
    issued.checked_add_days(Days::new(terms_days.into())).unwrap_or(NaiveDate::MAX)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Issued,
    Paid,
    Overdue,
    /// Wholly cancelled by a credit note.
    Credited,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Paid => "paid",
            Self::Overdue => "overdue",
            Self::Credited => "credited",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Issued => "Issued",
            Self::Paid => "Paid",
            Self::Overdue => "Overdue",
            Self::Credited => "Credited",
        }
    }
}

/// An invoice's status on `today`: credited (wholly, by a credit note) wins, then
/// paid (a payment recorded on or before today), then overdue from the day after the
/// due date; otherwise issued.
pub fn status_on(today: NaiveDate, due: NaiveDate, paid_on: Option<NaiveDate>, credited: bool) -> InvoiceStatus {
    if credited {
        InvoiceStatus::Credited
    } else if paid_on.is_some_and(|p| p <= today) {
        InvoiceStatus::Paid
    } else if today > due {
        InvoiceStatus::Overdue
    } else {
        InvoiceStatus::Issued
    }
}

/// The lines of a credit note that reverses lines `which` (indices) of an invoice:
/// the same lines with quantity and amounts negated, each pointing at the line it
/// credits. `earlier_credits` are the lines of credit notes already issued against
/// the same invoice; a line is credited once. Refused: a credit note as the
/// original, an unknown or repeated index, a line with nothing to credit (zero or
/// already negative, such as a return credit).
pub fn credit_note_lines(original: &[InvoiceLine], earlier_credits: &[InvoiceLine], which: &[usize]) -> Result<Vec<InvoiceLine>, PricingError> {
    if original.iter().any(|l| l.credits_line.is_some()) {
        return Err(PricingError::CreditOfCredit);
    }
    if which.is_empty() {
        return Err(PricingError::NoLinesChosen);
    }
    let mut credited: BTreeMap<usize, i64> = BTreeMap::new();
    for c in earlier_credits {
        if let Some(i) = c.credits_line {
            *credited.entry(i).or_default() += c.amount_cents;
        }
    }
    let mut out = Vec::with_capacity(which.len());
    for (k, &i) in which.iter().enumerate() {
        let line = original.get(i).ok_or(PricingError::NoSuchLine(i, original.len()))?;
        if which[..k].contains(&i) {
            return Err(PricingError::LineChosenTwice(i));
        }
        if line.amount_cents <= 0 {
            return Err(PricingError::NothingToCredit { line: i, description: line.description.clone(), amount: format_cents(line.amount_cents) });
        }
        // Lines are credited whole, so any earlier credit of the line leaves nothing.
        if credited.get(&i).is_some_and(|c| *c != 0) {
            return Err(PricingError::AlreadyCredited { line: i, description: line.description.clone() });
        }
        out.push(InvoiceLine {
            kind: line.kind,
            description: line.description.clone(),
            reference: line.reference.clone(),
            quantity: -line.quantity,
            unit_cents: line.unit_cents,
            amount_cents: -line.amount_cents,
            tax_percent: line.tax_percent,
            credits_line: Some(i),
        });
    }
    Ok(out)
}

/// Whether a number is an invoice's or a credit note's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

impl DocumentKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Invoice => "INV",
            Self::CreditNote => "CN",
        }
    }
}

/// `INV-2026-000123` (invoice) or `CN-2026-000007` (credit note): the year of issue
/// and a number in one gap-free sequence per kind and year, zero-padded to six digits
/// (longer once past 999 999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvoiceNumber {
    pub kind: DocumentKind,
    pub year: i32,
    pub sequence: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an invoice number (like INV-2026-000123, or CN-2026-000007 for a credit note)")]
pub struct InvoiceNumberError(pub String);

impl InvoiceNumber {
    /// `None` for a year outside 2000–9999 or sequence 0.
    pub fn new(kind: DocumentKind, year: i32, sequence: u64) -> Option<Self> {
        ((2000..=9999).contains(&year) && sequence >= 1).then_some(Self { kind, year, sequence })
    }

    /// Reads exactly what [`Display`](fmt::Display) writes (capitals, surrounding spaces ignored).
    pub fn parse(s: &str) -> Result<Self, InvoiceNumberError> {
        let bad = || InvoiceNumberError(s.trim().to_string());
        let t = s.trim().to_ascii_uppercase();
        let mut parts = t.split('-');
        let (Some(prefix), Some(year), Some(seq), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let kind = match prefix {
            "INV" => DocumentKind::Invoice,
            "CN" => DocumentKind::CreditNote,
            _ => return Err(bad()),
        };
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || !digits(year) || seq.len() < 6 || !digits(seq) || (seq.len() > 6 && seq.starts_with('0')) {
            return Err(bad());
        }
        let n = Self::new(kind, year.parse().map_err(|_| bad())?, seq.parse().map_err(|_| bad())?).ok_or_else(bad)?;
        Ok(n)
    }
}

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:06}", self.kind.prefix(), self.year, self.sequence)
    }
}

impl Serialize for InvoiceNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for InvoiceNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

pub mod apheresis;

#[cfg(test)]
mod tests;
