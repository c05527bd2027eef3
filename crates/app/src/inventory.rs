//! Inventory: storage locations with their temperature class, scanned moves (a unit in
//! the wrong class is refused), temperature excursions that hold the units they touched,
//! discards with their reason, the expiry job, and the stock views.
//!
//! Each write reads what it decides on in its write transaction (the unit and the
//! location locked on PostgreSQL) and writes state and audit together.

use crate::components::{parse_din, parse_unit_line, BatchLine, ComponentView};
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Duration, Utc};
use domain::component::ComponentState;
use domain::inventory::{days_of_supply, excursion, in_storage, may_discard, wrong_storage, DiscardReason, ProductClass, TemperatureClass};
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use store::{ComponentRow, ExcursionRow, MoveRow, StockRow, StorageLocationRow};
pub use store::{DiscardRow, MoveLine};
use uuid::Uuid;

/// The days behind the average daily demand.
pub const DEMAND_WINDOW_DAYS: i64 = 28;
/// The hold kind a temperature excursion opens.
pub const EXCURSION_HOLD: &str = "temperature excursion";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    /// The code on the location's barcode, e.g. `FR-01`.
    pub code: String,
    pub name: String,
    /// `refrigerator`, `freezer`, `ultra_low_freezer` or `platelet_agitator`.
    pub temperature_class: String,
    /// The site's code.
    pub site: String,
}

/// A storage location as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocationView {
    pub code: String,
    pub name: String,
    pub temperature_class: TemperatureClass,
    pub class_title: String,
    pub site: String,
    pub units: usize,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// The unit's DIN and product code as scanned (`=A99982600063700 =<E0398V00`) or typed.
    pub unit: String,
    /// The location's code as scanned.
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoveView {
    pub din: String,
    pub product_code: String,
    pub from: Option<String>,
    pub to: String,
    pub moved_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcursionInput {
    pub location: String,
    /// Local time (`2026-12-05T03:10`) or RFC 3339.
    pub started_at: String,
    pub ended_at: String,
    pub lowest_c: String,
    pub highest_c: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExcursionView {
    pub id: Uuid,
    pub location: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub lowest_c: f64,
    pub highest_c: f64,
    /// What left the range, in words.
    pub what: String,
    pub note: String,
    /// The units put on hold, as "DIN product code".
    pub units_held: Vec<String>,
    pub recorded_by: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscardInput {
    pub reason: String,
    #[serde(default)]
    pub details: String,
}

/// Available units of one product class and ABO/RhD.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StockLine {
    pub class: ProductClass,
    pub class_title: String,
    pub group: String,
    pub available: i64,
    /// Days until the soonest of them expires.
    pub soonest_days: Option<f64>,
    pub expiring_24h: i64,
    pub expiring_48h: i64,
    /// Units shipped per day over the demand window.
    pub daily_demand: f64,
    pub days_of_supply: Option<f64>,
}

/// A unit in storage for the lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StockUnit {
    pub din: String,
    pub product_code: String,
    pub product: String,
    pub group: Option<String>,
    pub state: ComponentState,
    pub expires_at: DateTime<Utc>,
    pub hours_left: i64,
    pub location: Option<String>,
    /// Why the unit's storage is wrong, when it is.
    pub storage_flag: Option<String>,
}

/// What the inventory pages show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InventoryView {
    pub at: DateTime<Utc>,
    pub stock: Vec<StockLine>,
    pub expiring: Vec<StockUnit>,
    /// Units held back from stock by reason (a unit with two holds counts under each).
    pub quarantine_by_reason: Vec<(String, i64)>,
    pub misplaced: Vec<StockUnit>,
    pub not_put_away: i64,
    pub in_storage: i64,
    pub demand_window_days: i64,
}

fn number(field: &'static str, s: &str, e: &mut FieldErrors) -> Option<f64> {
    match s.trim().replace('−', "-").parse::<f64>() {
        Ok(v) if v.is_finite() && (-100.0..=60.0).contains(&v) => Some(v),
        Ok(_) => {
            e.0.push(FieldError::new(field, "a storage temperature lies between −100 and 60 °C"));
            None
        }
        Err(_) if s.trim().is_empty() => {
            e.0.push(FieldError::new(field, "is required"));
            None
        }
        Err(_) => {
            e.0.push(FieldError::new(field, format!("'{}' is not a temperature in °C", s.trim())));
            None
        }
    }
}

fn stock_unit(r: &StockRow, now: DateTime<Utc>) -> StockUnit {
    let class = r.location_class.as_deref().and_then(|c| TemperatureClass::parse(c).ok());
    let location = r.location_code.clone();
    StockUnit {
        din: r.unit.din.clone(),
        product_code: r.unit.product_code.clone(),
        product: r.unit.kind.title().into(),
        group: r.blood_group.clone(),
        state: r.unit.state,
        expires_at: r.unit.expires_at,
        hours_left: (r.unit.expires_at - now).num_hours(),
        storage_flag: class.and_then(|c| wrong_storage(r.unit.kind, c, r.location_name.as_deref().unwrap_or_default())),
        location,
    }
}

impl App {
    pub async fn add_storage_location(&self, actor: &Actor, input: &LocationInput) -> Result<LocationView> {
        actor.require(Permission::ManageStorage)?;
        let mut e = FieldErrors::default();
        let code = input.code.trim().to_uppercase();
        if code.is_empty() || code.len() > 20 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            e.0.push(FieldError::new("code", "1 to 20 letters, digits or dashes, as on the location's barcode"));
        }
        if input.name.trim().is_empty() {
            e.0.push(FieldError::new("name", "is required"));
        }
        let class = TemperatureClass::parse(&input.temperature_class).map_err(|m| e.0.push(FieldError::new("temperature_class", m))).ok();
        let mut tx = self.store.begin_write().await?;
        let site = tx.site_by_code(input.site.trim()).await?;
        if site.is_none() {
            e.0.push(FieldError::new("site", format!("no site '{}'", input.site.trim())));
        }
        if !code.is_empty() && tx.storage_location_in_tx(&code).await?.is_some() {
            e.0.push(FieldError::new("code", format!("{code} is taken by another location")));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let (site, class) = (site.expect("checked"), class.expect("checked"));
        let row = StorageLocationRow {
            id: Uuid::now_v7(),
            code: code.clone(),
            name: input.name.trim().to_string(),
            temperature_class: class,
            site_id: site.id,
            created_at: store::now(),
            created_by: actor.username.clone(),
        };
        tx.insert_storage_location(&row).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "storage.location_added", "storage_location", row.id).after(serde_json::json!({
            "code": row.code, "name": row.name, "temperature_class": class.as_str(), "site": site.fields.code.as_str(),
        })))
        .await?;
        tx.commit().await?;
        Ok(LocationView {
            code,
            name: row.name,
            temperature_class: class,
            class_title: class.title().into(),
            site: site.fields.code.as_str().to_string(),
            units: 0,
        })
    }

    pub async fn storage_locations(&self, actor: &Actor) -> Result<Vec<LocationView>> {
        actor.require(Permission::ViewInventory)?;
        let stock = self.store.stock().await?;
        let sites = self.store.list_sites().await?;
        Ok(self
            .store
            .storage_locations()
            .await?
            .into_iter()
            .map(|l| LocationView {
                units: stock.iter().filter(|s| s.location_code.as_deref() == Some(l.code.as_str())).count(),
                site: sites.iter().find(|s| s.id == l.site_id).map(|s| s.fields.code.as_str().to_string()).unwrap_or_default(),
                class_title: l.temperature_class.title().into(),
                code: l.code,
                name: l.name,
                temperature_class: l.temperature_class,
            })
            .collect())
    }

    /// Puts a scanned unit into a scanned location. A unit whose storage the location's
    /// class does not keep is refused, and nothing is recorded.
    pub async fn move_unit(&self, actor: &Actor, input: &MoveInput) -> Result<MoveView> {
        actor.require(Permission::MoveUnits)?;
        let mut e = FieldErrors::default();
        let unit = parse_unit_line(&input.unit).map_err(|m| e.0.push(FieldError::new("unit", m))).ok();
        let code = input.location.trim().to_uppercase();
        if code.is_empty() {
            e.0.push(FieldError::new("location", "scan the location's barcode"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let unit = unit.expect("checked");
        let mut tx = self.store.begin_write().await?;
        let location = tx
            .storage_location_in_tx(&code)
            .await?
            .ok_or_else(|| AppError::from(FieldError::new("location", format!("no storage location '{code}'"))))?;
        let row = tx
            .component_for_update(&unit.din, &unit.product_code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no unit {} {}", unit.din, unit.product_code)))?;
        if !in_storage(row.state) {
            return Err(AppError::Conflict(format!(
                "unit {} {} is {}; only a unit the centre holds is put away",
                row.din,
                row.product_code,
                row.state.title().to_lowercase()
            )));
        }
        if let Some(why) = wrong_storage(row.kind, location.temperature_class, &location.name) {
            return Err(FieldError::new("location", format!("wrong storage: {why}; the unit stays where it was")).into());
        }
        let from = tx.unit_location_in_tx(row.id).await?;
        if from.as_ref().is_some_and(|f| f.id == location.id) {
            return Err(AppError::Conflict(format!("unit {} {} is in {} ({}) already", row.din, row.product_code, location.name, location.code)));
        }
        let m = MoveRow {
            id: Uuid::now_v7(),
            component_id: row.id,
            location_id: location.id,
            moved_at: store::now(),
            moved_by: actor.username.clone(),
            scanned: input.unit.split_whitespace().collect::<Vec<_>>().join(" "),
        };
        tx.insert_move(&m).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "component.move", "component", row.id)
                .before(serde_json::json!({"din": row.din, "product_code": row.product_code, "location": from.as_ref().map(|f| f.code.clone())}))
                .after(serde_json::json!({"location": location.code, "scanned": m.scanned})),
        )
        .await?;
        tx.commit().await?;
        Ok(MoveView { din: row.din, product_code: row.product_code, from: from.map(|f| f.code), to: location.code, moved_at: m.moved_at })
    }

    /// Moves each scanned unit into one location, each in its own transaction: a refused
    /// unit never stops the others.
    pub async fn move_units(&self, actor: &Actor, lines: &str, location: &str) -> Result<Vec<BatchLine>> {
        actor.require(Permission::MoveUnits)?;
        if location.trim().is_empty() {
            return Err(FieldError::new("location", "scan the location's barcode").into());
        }
        if self.store.storage_location(&location.trim().to_uppercase()).await?.is_none() {
            return Err(FieldError::new("location", format!("no storage location '{}'", location.trim())).into());
        }
        let mut out = Vec::new();
        for raw in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let mut line = BatchLine { line: raw.to_string(), unit: parse_unit_line(raw).ok(), ok: false, outcome: String::new(), made: vec![] };
            match self.move_unit(actor, &MoveInput { unit: raw.to_string(), location: location.to_string() }).await {
                Ok(m) => {
                    line.ok = true;
                    line.outcome = format!("put in {}", m.to);
                }
                Err(AppError::Invalid(e)) => line.outcome = e.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; "),
                Err(e @ (AppError::Conflict(_) | AppError::NotFound(_))) => line.outcome = e.to_string(),
                Err(e) => return Err(e),
            }
            out.push(line);
        }
        if out.is_empty() {
            return Err(FieldError::new("units", "scan or type at least one unit").into());
        }
        Ok(out)
    }

    /// Records a temperature reading outside a location's range: every unit still in
    /// storage that was in the location during the excursion goes on hold (and out of
    /// available stock) in the same transaction.
    pub async fn record_excursion(&self, actor: &Actor, input: &ExcursionInput) -> Result<ExcursionView> {
        actor.require(Permission::RecordExcursions)?;
        let tz = self.settings.time_zone;
        let mut e = FieldErrors::default();
        let started = domain::collection::parse_time("started_at", &input.started_at, tz).map_err(|f| e.0.push(f)).ok();
        let ended = domain::collection::parse_time("ended_at", &input.ended_at, tz).map_err(|f| e.0.push(f)).ok();
        let lowest = number("lowest_c", &input.lowest_c, &mut e);
        let highest = number("highest_c", &input.highest_c, &mut e);
        if let (Some(s), Some(t)) = (started, ended) {
            if t < s {
                e.0.push(FieldError::new("ended_at", "ends before it started"));
            } else if t > Utc::now() + Duration::minutes(5) {
                e.0.push(FieldError::new("ended_at", "is in the future; record an excursion once it has ended"));
            }
        }
        if let (Some(l), Some(h)) = (lowest, highest) {
            if l > h {
                e.0.push(FieldError::new("lowest_c", "is above the highest reading"));
            }
        }
        let code = input.location.trim().to_uppercase();
        let mut tx = self.store.begin_write().await?;
        let location = tx.storage_location_in_tx(&code).await?;
        match &location {
            None => e.0.push(FieldError::new("location", format!("no storage location '{}'", input.location.trim()))),
            Some(l) => {
                if let (Some(lo), Some(hi)) = (lowest, highest) {
                    if lo <= hi && excursion(l.temperature_class, lo, hi).is_none() {
                        e.0.push(FieldError::new(
                            "highest_c",
                            format!("{lo} to {hi} °C is within the range of a {}; this is no excursion", l.temperature_class.title().to_lowercase()),
                        ));
                    }
                }
            }
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let (location, started, ended, lowest, highest) =
            (location.expect("checked"), started.expect("checked"), ended.expect("checked"), lowest.expect("checked"), highest.expect("checked"));
        let what = excursion(location.temperature_class, lowest, highest).expect("checked");
        let id = Uuid::now_v7();
        let reason = format!("{} ({}) from {} to {}: {what}", location.name, location.code, self.local_time(started), self.local_time(ended));
        let now = store::now();
        let mut held = Vec::new();
        for u in tx.units_in_location_during(location.id, started, ended).await? {
            crate::testing::hold(&mut tx, &u, EXCURSION_HOLD, &reason, Some(id), &actor.username).await?;
            if matches!(u.state, ComponentState::Available | ComponentState::Reserved | ComponentState::Returned) {
                tx.add_component_state(u.id, ComponentState::Quarantine, now, &actor.username, Some(&format!("temperature excursion in {reason}")))
                    .await?;
            }
            held.push(format!("{} {}", u.din, u.product_code));
        }
        let row = ExcursionRow {
            id,
            location_id: location.id,
            started_at: started,
            ended_at: ended,
            lowest_c: lowest,
            highest_c: highest,
            note: input.note.trim().to_string(),
            units_held: held.len() as i64,
            recorded_at: now,
            recorded_by: actor.username.clone(),
        };
        tx.insert_excursion(&row).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "storage.excursion", "storage_location", location.id).after(serde_json::json!({
            "location": location.code, "started_at": started, "ended_at": ended, "lowest_c": lowest, "highest_c": highest,
            "what": what, "note": row.note, "units_held": held,
        })))
        .await?;
        tx.commit().await?;
        Ok(ExcursionView {
            id,
            location: location.code,
            started_at: started,
            ended_at: ended,
            lowest_c: lowest,
            highest_c: highest,
            what,
            note: row.note,
            units_held: held,
            recorded_by: row.recorded_by,
        })
    }

    /// Excursions recorded, newest first.
    pub async fn excursions(&self, actor: &Actor, limit: i64) -> Result<Vec<ExcursionView>> {
        actor.require(Permission::ViewInventory)?;
        let locations = self.store.storage_locations().await?;
        Ok(self
            .store
            .excursions(limit)
            .await?
            .into_iter()
            .map(|(r, code)| {
                let class = locations.iter().find(|l| l.id == r.location_id).map(|l| l.temperature_class);
                ExcursionView {
                    id: r.id,
                    what: class.and_then(|c| excursion(c, r.lowest_c, r.highest_c)).unwrap_or_default(),
                    location: code,
                    started_at: r.started_at,
                    ended_at: r.ended_at,
                    lowest_c: r.lowest_c,
                    highest_c: r.highest_c,
                    note: r.note,
                    units_held: vec![format!("{} units", r.units_held)],
                    recorded_by: r.recorded_by,
                }
            })
            .collect())
    }

    /// Discards a unit the centre holds, with the reason; the unit ends.
    pub async fn discard_unit(&self, actor: &Actor, din: &str, product_code: &str, input: &DiscardInput) -> Result<ComponentView> {
        actor.require(Permission::DiscardUnits)?;
        let din = parse_din(din)?;
        let reason = DiscardReason::parse(&input.reason).map_err(|m| AppError::from(FieldError::new("reason", m)))?;
        let details = input.details.trim();
        if reason.needs_details() && details.is_empty() {
            return Err(FieldError::new("details", format!("say what was seen ({})", reason.title().to_lowercase())).into());
        }
        let mut tx = self.store.begin_write().await?;
        let unit = tx
            .component_for_update(&din, product_code.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no unit {din} {}", product_code.trim())))?;
        if !may_discard(unit.state) {
            return Err(AppError::Conflict(format!(
                "unit {din} {} is {}; only a unit the centre holds is discarded",
                unit.product_code,
                unit.state.title().to_lowercase()
            )));
        }
        self.write_discard(&mut tx, &actor.username, &unit, reason, details).await?;
        tx.commit().await?;
        let row = self.store.component(&din, &unit.product_code).await?.ok_or_else(|| AppError::NotFound(format!("no unit {din}")))?;
        Ok(ComponentView::of(&row))
    }

    pub(crate) async fn write_discard(
        &self,
        tx: &mut store::WriteTx,
        by: &str,
        unit: &ComponentRow,
        reason: DiscardReason,
        details: &str,
    ) -> Result<()> {
        let at = store::now();
        let words = if details.is_empty() { reason.title().to_string() } else { format!("{}: {details}", reason.title()) };
        tx.add_component_state(unit.id, ComponentState::Discarded, at, by, Some(&words)).await?;
        tx.insert_discard(&DiscardRow {
            component_id: unit.id,
            reason,
            details: details.to_string(),
            discarded_at: at,
            discarded_by: by.to_string(),
        })
        .await?;
        tx.append_audit(
            AuditDraft::new(by, "component.discard", "component", unit.id)
                .before(serde_json::json!({"din": unit.din, "product_code": unit.product_code, "state": unit.state.as_str()}))
                .after(serde_json::json!({"state": "discarded", "reason": reason.as_str(), "details": details})),
        )
        .await?;
        Ok(())
    }

    /// The expiry job: every unit the centre holds whose expiry has come is discarded as
    /// expired. Run every minute (and safe to run on several servers at once: each unit
    /// is re-read in the write transaction that discards it). Returns how many.
    pub async fn expire_due_units(&self, now: DateTime<Utc>) -> Result<usize> {
        const BATCH: i64 = 200;
        let mut done = 0;
        loop {
            let due = self.store.expired_in_storage(now, BATCH).await?;
            if due.is_empty() {
                return Ok(done);
            }
            let ids: Vec<Uuid> = due.iter().map(|u| u.id).collect();
            let mut tx = self.store.begin_write().await?;
            let mut n = 0;
            for u in tx.units_for_update(&ids).await?.iter().filter(|u| u.expires_at <= now) {
                let details = format!("expired at {}", self.local_time(u.expires_at));
                self.write_discard(&mut tx, EXPIRY_JOB, u, DiscardReason::Expired, &details).await?;
                n += 1;
            }
            tx.commit().await?;
            done += n;
            if n == 0 || due.len() < BATCH as usize {
                return Ok(done);
            }
        }
    }

    /// The stock views: available units by product class and ABO/RhD with days to
    /// expiry and days of supply, units expiring within 48 hours, quarantine by reason,
    /// and units stored in the wrong class of storage.
    pub async fn inventory(&self, actor: &Actor, now: DateTime<Utc>) -> Result<InventoryView> {
        actor.require(Permission::ViewInventory)?;
        let stock = self.store.stock().await?;
        let issued = self.store.issued_since(now - Duration::days(DEMAND_WINDOW_DAYS)).await?;
        let hold_kinds = self.store.open_hold_kinds_in_stock().await?;
        let mut lines: BTreeMap<(ProductClass, String), StockLine> = BTreeMap::new();
        let mut line = |class: ProductClass, group: &str| -> (ProductClass, String) {
            let key = (class, group.to_string());
            lines.entry(key.clone()).or_insert_with(|| StockLine {
                class,
                class_title: class.title().into(),
                group: group.to_string(),
                available: 0,
                soonest_days: None,
                expiring_24h: 0,
                expiring_48h: 0,
                daily_demand: 0.0,
                days_of_supply: None,
            });
            key
        };
        let mut keys = Vec::new();
        for s in stock.iter().filter(|s| s.unit.state == ComponentState::Available) {
            keys.push((line(ProductClass::of(s.unit.kind), s.blood_group.as_deref().unwrap_or("?")), s));
        }
        let mut demand: BTreeMap<(ProductClass, String), i64> = BTreeMap::new();
        for i in &issued {
            let key = line(ProductClass::of(i.kind), i.blood_group.as_deref().unwrap_or("?"));
            *demand.entry(key).or_default() += 1;
        }
        for (key, s) in keys {
            let l = lines.get_mut(&key).expect("made above");
            l.available += 1;
            let days = (s.unit.expires_at - now).num_minutes() as f64 / (24.0 * 60.0);
            l.soonest_days = Some(l.soonest_days.map_or(days, |d: f64| d.min(days)));
            let hours = (s.unit.expires_at - now).num_hours();
            if hours < 24 {
                l.expiring_24h += 1;
            }
            if hours < 48 {
                l.expiring_48h += 1;
            }
        }
        for (key, l) in lines.iter_mut() {
            let n = demand.get(key).copied().unwrap_or(0);
            l.daily_demand = n as f64 / DEMAND_WINDOW_DAYS as f64;
            l.days_of_supply = days_of_supply(l.available, n, DEMAND_WINDOW_DAYS);
        }
        let expiring = stock
            .iter()
            .filter(|s| matches!(s.unit.state, ComponentState::Available | ComponentState::Reserved) && s.unit.expires_at - now < Duration::hours(48))
            .map(|s| stock_unit(s, now))
            .collect();
        let mut reasons: BTreeMap<String, i64> = BTreeMap::new();
        for s in stock.iter().filter(|s| s.unit.state.is_unreleased()) {
            let kinds: Vec<&String> = hold_kinds.iter().filter(|(id, _)| *id == s.unit.id).map(|(_, k)| k).collect();
            if kinds.is_empty() {
                let why = if s.unit.state == ComponentState::InProcessing { "awaiting tests or release" } else { "quarantined, no open hold" };
                *reasons.entry(why.into()).or_default() += 1;
            }
            let mut seen: Vec<&String> = Vec::new();
            for k in kinds {
                if !seen.contains(&k) {
                    *reasons.entry(k.clone()).or_default() += 1;
                    seen.push(k);
                }
            }
        }
        let mut quarantine_by_reason: Vec<(String, i64)> = reasons.into_iter().collect();
        quarantine_by_reason.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(InventoryView {
            at: now,
            stock: lines.into_values().filter(|l| l.available > 0 || l.daily_demand > 0.0).collect(),
            expiring,
            quarantine_by_reason,
            misplaced: stock.iter().map(|s| stock_unit(s, now)).filter(|u| u.storage_flag.is_some()).collect(),
            not_put_away: stock.iter().filter(|s| s.location_code.is_none()).count() as i64,
            in_storage: stock.len() as i64,
            demand_window_days: DEMAND_WINDOW_DAYS,
        })
    }

    /// A unit's storage history and discard, for its page.
    pub async fn unit_storage(&self, actor: &Actor, din: &str, product_code: &str) -> Result<(Vec<store::MoveLine>, Option<DiscardRow>)> {
        actor.require(Permission::ViewDonors)?;
        let din = parse_din(din)?;
        let unit = self.store.component(&din, product_code.trim()).await?.ok_or_else(|| AppError::NotFound(format!("no unit {din}")))?;
        Ok((self.store.moves_of(unit.id).await?, self.store.discard_of(unit.id).await?))
    }
}

/// Who the expiry job is in the audit trail.
pub const EXPIRY_JOB: &str = "system:expiry";
