//! The sales and supply views: the customer base, service to each hospital (fill rate,
//! on-time rate), what left stock month by month (shipped, outdated, wasted, returned),
//! days of supply by product and group with the groups below their critical level, and
//! the shortage notice distribution sends to every hospital.

use crate::mail::OutgoingEmail;
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Duration, Utc};
use domain::inventory::ProductClass;
use domain::{AccountStatus, AuditDraft, BloodGroup, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use store::ShortageNoticeRow;
use uuid::Uuid;

/// Days the service figures look back.
pub const SERVICE_WINDOW_DAYS: i64 = 90;
/// An account is active when it ordered within this many days, lost when it ordered
/// before but not within them.
pub const ACTIVE_DAYS: i64 = 30;

#[derive(Debug, Clone, Serialize)]
pub struct CustomerBase {
    pub accounts: i64,
    /// Ordered within the last 30 days.
    pub active: i64,
    /// First order within the last 30 days.
    pub new: i64,
    /// Ordered before, but not within the last 30 days.
    pub lost: i64,
    pub on_hold: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HospitalService {
    pub code: String,
    pub name: String,
    pub orders: i64,
    pub units_ordered: i64,
    pub units_shipped: i64,
    /// Units shipped over units ordered, as a percentage.
    pub fill_rate: Option<f64>,
    pub orders_shipped: i64,
    pub orders_on_time: i64,
    /// Orders whose first shipment left by the due time, over orders shipped.
    pub on_time_rate: Option<f64>,
    pub last_order: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MonthFigures {
    /// `2026-11`, in the facility's time zone.
    pub month: String,
    pub shipped: i64,
    /// Expired in the centre's storage.
    pub outdated: i64,
    /// Wasted or expired at a hospital, as the hospitals reported.
    pub wasted_at_hospitals: i64,
    pub returned: i64,
    /// Outdated over (shipped + outdated), as a percentage.
    pub outdate_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SupplyLine {
    pub product: ProductClass,
    pub product_title: String,
    pub group: String,
    pub available: i64,
    pub daily_demand: f64,
    pub days_of_supply: Option<f64>,
    /// Below the critical level while there is demand.
    pub critical: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoticeView {
    pub product: String,
    pub blood_group: Option<String>,
    pub message: String,
    pub days_of_supply: Option<f64>,
    pub recipients: i64,
    pub sent_local: String,
    pub sent_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SupplyView {
    pub window_days: i64,
    pub critical_days: f64,
    pub customers: CustomerBase,
    pub hospitals: Vec<HospitalService>,
    pub months: Vec<MonthFigures>,
    pub supply: Vec<SupplyLine>,
    pub notices: Vec<NoticeView>,
    /// Net invoiced by month, account and product, one entry per currency; empty for
    /// staff who do not see invoices.
    pub revenue: Vec<crate::revenue::Revenue>,
}

/// A shortage notice to every hospital.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortageInput {
    pub product: String,
    /// "O-"; empty for every group.
    #[serde(default)]
    pub blood_group: String,
    pub message: String,
}

fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

impl App {
    /// Days of supply by product and group from the stock views, with the critical flag.
    pub async fn supply_lines(&self, now: DateTime<Utc>) -> Result<Vec<SupplyLine>> {
        let inv = self.inventory(&Actor::operator(), now).await?;
        let critical = self.settings.critical_days_of_supply;
        Ok(inv
            .stock
            .into_iter()
            .map(|l| SupplyLine {
                critical: l.daily_demand > 0.0 && l.days_of_supply.is_none_or(|d| d < critical),
                product: l.class,
                product_title: l.class_title,
                group: l.group,
                available: l.available,
                daily_demand: l.daily_demand,
                days_of_supply: l.days_of_supply,
            })
            .collect())
    }

    pub async fn supply(&self, actor: &Actor, now: DateTime<Utc>) -> Result<SupplyView> {
        actor.require(Permission::ViewOrders)?;
        let since = now - Duration::days(SERVICE_WINDOW_DAYS);
        let active_since = now - Duration::days(ACTIVE_DAYS);
        let hospitals = self.store.list_hospitals().await?;
        let orders: HashMap<Uuid, store::HospitalOrders> = self.store.hospital_orders(since).await?.into_iter().map(|h| (h.hospital_id, h)).collect();
        let ordered: HashMap<Uuid, i64> = self.store.units_ordered(since).await?.into_iter().collect();
        let shipped: HashMap<Uuid, i64> = self.store.units_shipped_for_orders(since).await?.into_iter().collect();
        let on_time: HashMap<Uuid, (i64, i64)> = self.store.orders_on_time(since).await?.into_iter().map(|(h, n, t)| (h, (n, t))).collect();
        let customers = CustomerBase {
            accounts: hospitals.len() as i64,
            active: orders.values().filter(|o| o.last_order >= active_since).count() as i64,
            new: orders.values().filter(|o| o.first_order >= active_since).count() as i64,
            lost: orders.values().filter(|o| o.last_order < active_since).count() as i64,
            on_hold: hospitals.iter().filter(|h| h.fields.status == AccountStatus::OnHold).count() as i64,
        };
        let mut service: Vec<HospitalService> = hospitals
            .iter()
            .map(|h| {
                let o = orders.get(&h.id);
                let (units_ordered, units_shipped) = (ordered.get(&h.id).copied().unwrap_or(0), shipped.get(&h.id).copied().unwrap_or(0));
                let (orders_shipped, orders_on_time) = on_time.get(&h.id).copied().unwrap_or((0, 0));
                HospitalService {
                    code: h.fields.code.as_str().to_string(),
                    name: h.fields.name.clone(),
                    orders: o.map_or(0, |o| o.orders_in_window),
                    units_ordered,
                    units_shipped,
                    fill_rate: percent(units_shipped, units_ordered),
                    orders_shipped,
                    orders_on_time,
                    on_time_rate: percent(orders_on_time, orders_shipped),
                    last_order: o.map(|o| self.local_time(o.last_order)),
                }
            })
            .collect();
        service.sort_by(|a, b| b.units_ordered.cmp(&a.units_ordered).then_with(|| a.code.cmp(&b.code)));
        let mut months: BTreeMap<String, MonthFigures> = BTreeMap::new();
        for e in self.store.supply_events(since).await? {
            let month = e.at.with_timezone(&self.settings.time_zone).format("%Y-%m").to_string();
            let m = months.entry(month.clone()).or_insert_with(|| MonthFigures { month, ..Default::default() });
            match e.kind.as_str() {
                "shipped" => m.shipped += 1,
                "outdated" => m.outdated += 1,
                "returned" => m.returned += 1,
                _ => m.wasted_at_hospitals += 1,
            }
        }
        let months = months
            .into_values()
            .map(|mut m| {
                m.outdate_rate = percent(m.outdated, m.shipped + m.outdated);
                m
            })
            .collect();
        Ok(SupplyView {
            window_days: SERVICE_WINDOW_DAYS,
            critical_days: self.settings.critical_days_of_supply,
            customers,
            hospitals: service,
            months,
            supply: self.supply_lines(now).await?,
            notices: self.shortage_notices(actor).await?,
            revenue: self.revenue(actor).await?,
        })
    }

    /// Shortage notices sent, newest first (staff and hospital users see them all).
    pub async fn shortage_notices(&self, actor: &Actor) -> Result<Vec<NoticeView>> {
        if !actor.can(Permission::ViewOrders) && !actor.can(Permission::PlaceOrders) {
            return Err(AppError::Forbidden("shortage notices are for distribution, sales and hospitals".into()));
        }
        Ok(self
            .store
            .shortage_notices(50)
            .await?
            .into_iter()
            .map(|n| NoticeView {
                product: n.product,
                blood_group: n.blood_group,
                message: n.message,
                days_of_supply: n.days_of_supply,
                recipients: n.recipients,
                sent_local: self.local_time(n.sent_at),
                sent_by: n.sent_by,
            })
            .collect())
    }

    /// Sends a shortage notice to every active hospital's contact by email and shows it
    /// in their portal. The notice is recorded (and audited) before the emails go out.
    pub async fn send_shortage_notice(&self, actor: &Actor, input: &ShortageInput) -> Result<NoticeView> {
        actor.require(Permission::SendShortageNotices)?;
        let mut e = FieldErrors::default();
        let product = e.take(ProductClass::parse(&input.product).map_err(|m| FieldError::new("product", m)));
        let group = match input.blood_group.trim() {
            "" => None,
            g => e.take(BloodGroup::parse(g)),
        };
        let message = input.message.trim();
        if message.is_empty() {
            e.0.push(FieldError::new("message", "say what the hospitals should do (e.g. order only what is needed today)"));
        } else if message.chars().count() > 2000 {
            e.0.push(FieldError::new("message", "keep the message to 2000 characters"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let product = product.expect("checked");
        let now = store::now();
        let days = self
            .supply_lines(now)
            .await?
            .into_iter()
            .find(|l| l.product == product && group.is_some_and(|g| g.to_string() == l.group))
            .and_then(|l| l.days_of_supply);
        let what = format!("{}{}", group.map(|g| format!("{g} ")).unwrap_or_default(), product.title().to_lowercase());
        let mut tx = self.store.begin_write().await?;
        let recipients: Vec<(String, String)> = tx
            .hospitals_in_tx()
            .await?
            .into_iter()
            .filter(|h| h.fields.status == AccountStatus::Active)
            .filter_map(|h| h.fields.contact_email.clone().map(|m| (h.fields.code.as_str().to_string(), m)))
            .collect();
        let row = ShortageNoticeRow {
            id: Uuid::now_v7(),
            product: product.title().to_string(),
            blood_group: group.map(|g| g.to_string()),
            message: message.to_string(),
            days_of_supply: days,
            recipients: recipients.len() as i64,
            sent_at: now,
            sent_by: actor.username.clone(),
        };
        tx.insert_shortage_notice(&row).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "shortage.notice", "shortage_notice", row.id).after(serde_json::json!({
            "product": product.as_str(), "blood_group": row.blood_group, "message": message, "days_of_supply": days,
            "hospitals": recipients.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>(),
        })))
        .await?;
        tx.commit().await?;
        let days_text = days.map(|d| format!(" We hold {d:.1} days of supply.")).unwrap_or_default();
        for (code, to) in &recipients {
            let email = OutgoingEmail {
                to: to.clone(),
                subject: format!("Shortage notice: {what}"),
                text: format!(
                    "{}\n\nShortage of {what}.{days_text}\n\n{message}\n\nThis notice went to every hospital we supply. Your orders stay open in the portal.\n",
                    self.settings.facility_name
                ),
                kind: "shortage.notice".into(),
                related: Some(format!("{} {code}", row.id)),
                ..Default::default()
            };
            // A hospital whose mail server refuses still sees the notice in its portal.
            if let Err(e) = self.send_email(&email).await {
                tracing::warn!(hospital = %code, error = %e, "shortage notice email not delivered");
            }
        }
        Ok(NoticeView {
            product: row.product,
            blood_group: row.blood_group,
            message: row.message,
            days_of_supply: row.days_of_supply,
            recipients: row.recipients,
            sent_local: self.local_time(now),
            sent_by: row.sent_by,
        })
    }
}
