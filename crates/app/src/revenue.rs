//! Revenue for sales: net invoiced (before tax, credit notes deducted) by month, by
//! account and by product, over the last twelve months. A month is the month of the
//! invoice date; a credit note counts in the month it was issued, under the product of
//! the line it corrects; a return credit counts under the product returned.

use crate::{Actor, App, Result};
use chrono::{Datelike, Months, NaiveDate};
use domain::component::ComponentKind;
use domain::inventory::ProductClass;
use domain::Permission;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use store::RevenueRow;
use uuid::Uuid;

/// Months the revenue views cover, the current one included.
pub const REVENUE_MONTHS: u32 = 12;

/// What a line of revenue was for, as the revenue tables name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevenueSource {
    Product(ProductClass),
    /// A product line whose unit is not known (an adjustment of a product line).
    OtherProducts,
    Delivery,
    Apheresis,
    Adjustments,
}

impl RevenueSource {
    pub fn title(self) -> &'static str {
        match self {
            Self::Product(p) => p.title(),
            Self::OtherProducts => "Other products",
            Self::Delivery => "Delivery",
            Self::Apheresis => "Therapeutic apheresis",
            Self::Adjustments => "Adjustments",
        }
    }

    fn of(line_kind: &str, component_kind: Option<&str>) -> Self {
        match line_kind {
            "product" | "surcharge" | "return_credit" => {
                component_kind.and_then(|k| ComponentKind::parse(k).ok()).map_or(Self::OtherProducts, |k| Self::Product(ProductClass::of(k)))
            }
            "delivery" => Self::Delivery,
            "apheresis" => Self::Apheresis,
            _ => Self::Adjustments,
        }
    }
}

/// A month's net revenue, in total and per source (in the order of `sources`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevenueMonth {
    /// `2026-11`
    pub month: String,
    pub by_source_cents: Vec<i64>,
    pub net_cents: i64,
}

/// One account's or one source's net revenue and its share of the total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevenueShare {
    /// The hospital's code, or the source's title.
    pub key: String,
    pub name: String,
    pub net_cents: i64,
    /// Percentage of the total, one decimal.
    pub share: Option<f64>,
}

/// Revenue in one currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revenue {
    pub currency: String,
    pub from: NaiveDate,
    /// The columns of the month table, in a fixed order.
    pub sources: Vec<String>,
    pub months: Vec<RevenueMonth>,
    /// Largest first.
    pub accounts: Vec<RevenueShare>,
    pub products: Vec<RevenueShare>,
    pub net_cents: i64,
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole != 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The revenue tables from summed invoice lines, one per currency; `names` gives each
/// hospital's code and name. Months without revenue between the first and the last
/// month shown are listed with zeros, so a gap is seen as a gap.
pub fn revenue_figures(rows: &[RevenueRow], names: &HashMap<Uuid, (String, String)>, from: NaiveDate) -> Vec<Revenue> {
    let mut by_currency: BTreeMap<&str, Vec<&RevenueRow>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.issued_on >= from) {
        by_currency.entry(r.currency.as_str()).or_default().push(r);
    }
    by_currency
        .into_iter()
        .map(|(currency, rows)| {
            let mut sources: Vec<RevenueSource> = rows.iter().map(|r| RevenueSource::of(&r.line_kind, r.component_kind.as_deref())).collect();
            sources.sort();
            sources.dedup();
            let column = |s: RevenueSource| sources.iter().position(|x| *x == s).expect("listed");
            let mut months: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            let mut accounts: HashMap<Uuid, i64> = HashMap::new();
            let mut products = vec![0i64; sources.len()];
            for r in &rows {
                let c = column(RevenueSource::of(&r.line_kind, r.component_kind.as_deref()));
                months.entry(r.issued_on.format("%Y-%m").to_string()).or_insert_with(|| vec![0; sources.len()])[c] += r.net_cents;
                *accounts.entry(r.hospital_id).or_default() += r.net_cents;
                products[c] += r.net_cents;
            }
            if let (Some(first), Some(last)) = (months.keys().next().cloned(), months.keys().last().cloned()) {
                let mut day = NaiveDate::parse_from_str(&format!("{first}-01"), "%Y-%m-%d").expect("a month");
                while day.format("%Y-%m").to_string() < last {
                    months.entry(day.format("%Y-%m").to_string()).or_insert_with(|| vec![0; sources.len()]);
                    day = day.checked_add_months(Months::new(1)).expect("a month");
                }
            }
            let net_cents: i64 = products.iter().sum();
            let mut accounts: Vec<RevenueShare> = accounts
                .into_iter()
                .map(|(id, cents)| {
                    let (key, name) = names.get(&id).cloned().unwrap_or_else(|| (id.to_string(), "unknown account".into()));
                    RevenueShare { key, name, net_cents: cents, share: share(cents, net_cents) }
                })
                .collect();
            accounts.sort_by(|a, b| b.net_cents.cmp(&a.net_cents).then_with(|| a.key.cmp(&b.key)));
            let mut products: Vec<RevenueShare> = sources
                .iter()
                .zip(products)
                .map(|(s, cents)| RevenueShare { key: s.title().into(), name: s.title().into(), net_cents: cents, share: share(cents, net_cents) })
                .collect();
            products.sort_by(|a, b| b.net_cents.cmp(&a.net_cents).then_with(|| a.key.cmp(&b.key)));
            Revenue {
                currency: currency.to_string(),
                from,
                sources: sources.iter().map(|s| s.title().to_string()).collect(),
                months: months.into_iter().map(|(month, by)| RevenueMonth { month, net_cents: by.iter().sum(), by_source_cents: by }).collect(),
                accounts,
                products,
                net_cents,
            }
        })
        .collect()
}

/// The first day of the month `months - 1` months before `today`'s.
pub fn window_start(today: NaiveDate, months: u32) -> NaiveDate {
    let first = today.with_day(1).expect("day 1");
    first.checked_sub_months(Months::new(months.saturating_sub(1))).unwrap_or(first)
}

impl App {
    /// Revenue of the last twelve months, for those who see invoices (empty for others).
    pub async fn revenue(&self, actor: &Actor) -> Result<Vec<Revenue>> {
        if !actor.can(Permission::ViewInvoices) {
            return Ok(vec![]);
        }
        let from = window_start(self.today(), REVENUE_MONTHS);
        let rows = self.store.revenue(from).await?;
        let names = self.store.list_hospitals().await?.into_iter().map(|h| (h.id, (h.fields.code.as_str().to_string(), h.fields.name))).collect();
        Ok(revenue_figures(&rows, &names, from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: &str, hospital: Uuid, kind: &str, component: Option<&str>, cents: i64) -> RevenueRow {
        RevenueRow {
            issued_on: day.parse().unwrap(),
            hospital_id: hospital,
            currency: "USD".into(),
            line_kind: kind.into(),
            component_kind: component.map(Into::into),
            net_cents: cents,
        }
    }

    #[test]
    fn credits_are_deducted_under_their_product_and_gaps_show_as_zero_months() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let names = HashMap::from([(a, ("H1".to_string(), "North".to_string())), (b, ("H2".to_string(), "South".to_string()))]);
        let rows = vec![
            row("2026-09-03", a, "product", Some("red_cells"), 40_000),
            row("2026-09-03", a, "surcharge", Some("red_cells_frozen"), 2_500),
            row("2026-09-03", a, "delivery", None, 3_000),
            row("2026-11-02", b, "product", Some("platelets"), 50_000),
            row("2026-11-20", a, "return_credit", Some("red_cells"), -20_000),
            // Before the window: left out.
            row("2025-01-01", b, "product", Some("red_cells"), 99_999),
        ];
        let r = &revenue_figures(&rows, &names, "2026-01-01".parse().unwrap())[0];
        assert_eq!(r.net_cents, 75_500);
        assert_eq!(
            r.months.iter().map(|m| (m.month.as_str(), m.net_cents)).collect::<Vec<_>>(),
            [("2026-09", 45_500), ("2026-10", 0), ("2026-11", 30_000)]
        );
        assert_eq!(r.accounts[0].key, "H2");
        assert_eq!(r.accounts[0].share, Some(66.2));
        let red = r.products.iter().find(|p| p.key == "Red cells").map(|p| p.net_cents);
        assert_eq!(red, Some(22_500), "{:?}", r.products);
        assert!(r.products.iter().any(|p| p.key == "Delivery" && p.net_cents == 3_000));
        assert_eq!(r.months[0].by_source_cents.iter().sum::<i64>(), 45_500);
    }

    #[test]
    fn each_currency_has_its_own_tables_and_an_unknown_unit_is_named_so() {
        let a = Uuid::now_v7();
        let mut eur = row("2026-10-01", a, "product", None, 1_000);
        eur.currency = "EUR".into();
        let rows = vec![row("2026-10-01", a, "adjustment", None, -500), eur];
        let r = revenue_figures(&rows, &HashMap::new(), "2026-01-01".parse().unwrap());
        assert_eq!(r.iter().map(|r| r.currency.as_str()).collect::<Vec<_>>(), ["EUR", "USD"]);
        assert_eq!(r[0].products[0].key, "Other products");
        assert_eq!(r[1].products[0].key, "Adjustments");
        assert_eq!(r[1].accounts[0].name, "unknown account");
    }

    #[test]
    fn the_window_starts_on_the_first_of_the_month_eleven_months_back() {
        assert_eq!(window_start("2026-12-05".parse().unwrap(), 12), "2026-01-01".parse::<NaiveDate>().unwrap());
        assert_eq!(window_start("2026-03-31".parse().unwrap(), 1), "2026-03-01".parse::<NaiveDate>().unwrap());
    }
}
