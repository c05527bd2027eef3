//! Component manufacture: separating a donation into its components and modifying a
//! unit. Each step reads what it depends on in its write transaction (the donation or
//! the unit locked on PostgreSQL), plans with the domain, takes product codes from the
//! catalog and expiry from the dating rules, and writes the new units, the ended
//! unit's state and the audit record together: one failure never half-applies a step.

use crate::donor_facts::SiteClocks;
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, FixedOffset, Utc};
use domain::catalog::ProductSpec;
use domain::collection::{parse_time, CollectionOutcome};
use domain::component::{
    attributes_text, parse_attributes, plan_modification, plan_separation, Attribute, ComponentKind, ComponentState, Modification, Planned,
    Separation,
};
use domain::dating::{expiry, Anticoagulant, DatingBook, DatingCase, DatingComponent, DatingModification, ModificationKind};
use domain::{AuditDraft, DonationProcedure, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use store::{ComponentRow, NewComponent};
use uuid::Uuid;

pub(crate) mod batch;
mod label;

pub use batch::{parse_unit_line, BatchLine};

/// A unit as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentView {
    pub din: String,
    /// The 8 content characters, e.g. `E0398V00`.
    pub product_code: String,
    pub division: String,
    pub kind: ComponentKind,
    /// The product in words: `Red Blood Cells, Leukocytes Reduced, Irradiated`.
    pub product: String,
    pub attributes: Vec<Attribute>,
    pub anticoagulant: String,
    pub additive_solution: Option<String>,
    /// As weighed at processing; unknown until recorded.
    pub volume_ml: Option<i64>,
    pub expires_at: DateTime<Utc>,
    pub state: ComponentState,
    pub state_title: String,
    pub step: String,
    pub why: String,
    pub made_at: DateTime<Utc>,
    pub made_by: String,
}

impl ComponentView {
    pub(crate) fn of(r: &ComponentRow) -> Self {
        let attributes: Vec<Attribute> = parse_attributes(&r.attributes).unwrap_or_default().into_iter().collect();
        let mut product = r.kind.title().to_string();
        for a in &attributes {
            product.push_str(", ");
            product.push_str(a.title());
        }
        Self {
            din: r.din.clone(),
            product_code: r.product_code.clone(),
            division: r.product_code.get(6..8).unwrap_or("00").to_string(),
            kind: r.kind,
            product,
            attributes,
            anticoagulant: r.anticoagulant.clone(),
            additive_solution: r.additive_solution.clone(),
            volume_ml: r.volume_ml,
            expires_at: r.expires_at,
            state: r.state,
            state_title: r.state.title().to_string(),
            step: r.step.clone(),
            why: r.why.clone(),
            made_at: r.made_at,
            made_by: r.made_by.clone(),
        }
    }
}

/// Separation as entered: the times that decide the products (local at the site, or
/// ISO 8601 with an offset).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeparationInput {
    /// When the plasma went into the freezer.
    #[serde(default)]
    pub plasma_frozen_at: String,
    /// Whole blood: also separate platelets, at this time.
    #[serde(default)]
    pub platelets_separated_at: String,
}

/// A modification as entered.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModificationInput {
    /// leukoreduce, irradiate, wash, volume_reduce, freeze, thaw, make_cryo
    pub step: String,
    /// When it was done (default: now).
    #[serde(default)]
    pub at: String,
}

/// A unit with its place in the family.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Genealogy {
    pub unit: ComponentView,
    /// The donation the unit comes from (none for a pool, made from several).
    pub donation_din: Option<String>,
    pub donor_number: Option<String>,
    /// The donor's ABO/RhD as the registry has it ("O-"), and whether it is confirmed.
    pub blood_group: Option<String>,
    pub group_confirmed: bool,
    /// Special testing of the donation ("CMV-negative", "HbS-negative").
    pub special_attributes: Vec<String>,
    pub parents: Vec<ComponentView>,
    pub children: Vec<ComponentView>,
    /// Other units made in the same step from the same source (or donation).
    pub siblings: Vec<ComponentView>,
    /// Every unit made from this one, at any depth.
    pub descendants: Vec<ComponentView>,
    pub history: Vec<StateLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateLine {
    pub state: String,
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: Option<String>,
}

fn dating_component(kind: ComponentKind) -> Option<DatingComponent> {
    Some(match kind {
        ComponentKind::WholeBlood => DatingComponent::WholeBlood,
        ComponentKind::RedCells => DatingComponent::RedCells,
        ComponentKind::RedCellsFrozen => DatingComponent::RedCellsFrozen,
        ComponentKind::Platelets => DatingComponent::Platelets,
        ComponentKind::Ffp => DatingComponent::Ffp,
        ComponentKind::Pf24 => DatingComponent::Pf24,
        ComponentKind::Plasma => DatingComponent::Plasma,
        ComponentKind::SourcePlasma => DatingComponent::SourcePlasma,
        ComponentKind::Cryo => DatingComponent::Cryo,
        ComponentKind::CryoReducedPlasma => DatingComponent::CryoReducedPlasma,
        // Thawed plasma is dated as the FFP or PF24 it was, with the thawing.
        ComponentKind::ThawedPlasma => return None,
    })
}

fn solution(s: &str) -> Result<Anticoagulant> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| AppError::Conflict(format!("the dating rules do not know the solution '{s}'")))
}

fn dating_refusal(e: domain::dating::DatingError) -> AppError {
    AppError::Conflict(format!("the dating rules refuse this unit: {e}"))
}

pub(crate) fn parse_din(din: &str) -> Result<String> {
    Ok(domain::labeling::parse_din("din", din)?.din().to_string())
}

impl App {
    pub(crate) fn product_code(&self, spec: &ProductSpec, procedure: Option<DonationProcedure>, division: &str) -> Result<(String, String)> {
        let (pdc, description) = self
            .settings
            .catalog
            .code_for(spec)
            .ok_or_else(|| AppError::Conflict(format!("the product catalog has no code for {}", spec.description())))?;
        let collection_type = if procedure == Some(DonationProcedure::Autologous) { '1' } else { 'V' };
        let code = isbt128::ProductCode::from_parts(&pdc, &format!("{collection_type}{division}"))
            .map_err(|e| AppError::Conflict(format!("product code {pdc}: {e}")))?;
        Ok((code.content(), description))
    }

    /// Separates a donation into its components, once, from its complete collection record.
    pub async fn separate_donation(&self, actor: &Actor, din: &str, input: &SeparationInput) -> Result<Vec<ComponentView>> {
        actor.require(Permission::ManufactureComponents)?;
        let din = parse_din(din)?;
        let sites = self.store.list_sites().await?;
        let clocks = SiteClocks::new(self.settings.time_zone, &sites);
        let mut tx = self.store.begin_write().await?;
        let d = tx.donation_with_din_for_update(&din).await?.ok_or_else(|| AppError::NotFound(format!("no donation has the DIN {din}")))?;
        let tz = clocks.zone_of(d.site_id);
        let mut e = FieldErrors::default();
        let when = |field: &'static str, s: &str, e: &mut FieldErrors| {
            if s.trim().is_empty() {
                None
            } else {
                e.take(parse_time(field, s, tz))
            }
        };
        let frozen = when("plasma_frozen_at", &input.plasma_frozen_at, &mut e);
        let platelets = when("platelets_separated_at", &input.platelets_separated_at, &mut e);
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        if let Some((at, by)) = tx.separation_of(d.id).await? {
            return Err(AppError::Conflict(format!("donation {din} was separated already, by {by} at {}", self.local_time(at))));
        }
        let record = tx
            .latest_collection_record(d.id)
            .await?
            .ok_or_else(|| AppError::Conflict(format!("donation {din} has no collection record yet; record the collection first")))?;
        let now = Utc::now();
        let plan = plan_separation(
            &Separation {
                procedure: d.procedure,
                complete: record.outcome == CollectionOutcome::Complete,
                collected_at: record.started_at,
                plasma_frozen_at: frozen,
                platelets_separated_at: platelets,
                platelet_units: record.platelet_units,
                concurrent_products: record.concurrent_products.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect(),
                leukoreduced: false,
            },
            now,
        )
        .map_err(|e| AppError::Conflict(e.to_string()))?;
        let collected: DateTime<FixedOffset> = record.started_at.with_timezone(&tz).fixed_offset();
        let book = DatingBook::defaults();
        let mut made = Vec::new();
        for p in &plan {
            let additive = if p.kind == ComponentKind::RedCells { record.additive_solution.clone() } else { None };
            let case = DatingCase {
                component: dating_component(p.kind).expect("separation makes dated products"),
                anticoagulant: solution(additive.as_deref().unwrap_or(&record.anticoagulant))?,
                collected_at: collected,
                bacterial_control: None,
                modifications: vec![],
            };
            let dating = expiry(&book, &case).map_err(dating_refusal)?;
            let spec = ProductSpec {
                kind: p.kind,
                attributes: p.attributes.clone(),
                anticoagulant: record.anticoagulant.clone(),
                additive: additive.clone(),
            };
            let (code, _) = self.product_code(&spec, Some(d.procedure), &p.division)?;
            let unit = NewComponent {
                id: Uuid::now_v7(),
                donation_id: Some(d.id),
                din: din.clone(),
                product_code: code,
                kind: p.kind,
                attributes: attributes_text(&p.attributes),
                anticoagulant: record.anticoagulant.clone(),
                additive_solution: additive,
                volume_ml: None,
                expires_at: dating.expires_at.with_timezone(&Utc),
                dating_case: serde_json::to_string(&case).expect("a dating case serialises"),
                step: "separation".into(),
                why: format!("{}; dated by the rule \"{}\"", p.why, dating.rule_title),
                made_at: store::now(),
                made_by: actor.username.clone(),
            };
            tx.insert_component(&unit, ComponentState::InProcessing).await?;
            made.push(unit);
        }
        tx.insert_separation(d.id, store::now(), &actor.username).await?;
        let donor = self.store.donor_by_id(d.donor_id).await?.map(|x| x.donor_number).unwrap_or_default();
        let units: Vec<serde_json::Value> =
            made.iter().map(|u| serde_json::json!({"product_code": u.product_code, "product": u.kind.title(), "expires_at": u.expires_at})).collect();
        tx.append_audit(
            AuditDraft::new(&actor.username, "donation.separate", "donation", d.id)
                .donor(&donor)
                .after(serde_json::json!({"din": din, "units": units})),
        )
        .await?;
        tx.commit().await?;
        let rows = self.store.components_of_donation(d.id).await?;
        Ok(rows.iter().map(ComponentView::of).collect())
    }

    /// Applies one step to a unit: the unit ends and the new unit(s) are made from it.
    pub async fn modify_component(&self, actor: &Actor, din: &str, product_code: &str, input: &ModificationInput) -> Result<Vec<ComponentView>> {
        actor.require(Permission::ManufactureComponents)?;
        let din = parse_din(din)?;
        let step = Modification::parse(&input.step).map_err(|m| AppError::from(FieldError::new("step", m)))?;
        let mut tx = self.store.begin_write().await?;
        let unit = tx
            .component_for_update(&din, product_code.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no unit {din} {}", product_code.trim())))?;
        let sites = self.store.list_sites().await?;
        let clocks = SiteClocks::new(self.settings.time_zone, &sites);
        let case: DatingCase = serde_json::from_str(&unit.dating_case)
            .map_err(|e| AppError::Store(store::StoreError::Corrupt(format!("unit {din} {}: {e}", unit.product_code))))?;
        let tz = match unit.donation_id {
            Some(id) => {
                let site = self.store.donation_site(id).await?;
                clocks.zone_of(site)
            }
            None => self.settings.time_zone,
        };
        let now = Utc::now();
        let at = if input.at.trim().is_empty() { now } else { parse_time("at", &input.at, tz)? };
        if at > now {
            return Err(FieldError::new("at", "is in the future").into());
        }
        if at < unit.made_at {
            return Err(FieldError::new("at", "is before the unit was made").into());
        }
        let facts = domain::component::UnitFacts {
            kind: unit.kind,
            attributes: parse_attributes(&unit.attributes).unwrap_or_default(),
            state: unit.state,
            division: unit.product_code.get(6..8).unwrap_or("00").to_string(),
            din: din.clone(),
            blood_group: None,
        };
        let plan: Vec<Planned> = plan_modification(&facts, step).map_err(|e| AppError::Conflict(e.to_string()))?;
        let book = DatingBook::defaults();
        let donation = match unit.donation_id {
            Some(id) => tx.donation_by_id(id).await?,
            None => None,
        };
        let mut made = Vec::new();
        for p in &plan {
            let mut new_case = case.clone();
            let at_fixed = at.with_timezone(case.collected_at.offset());
            match step {
                Modification::Freeze => new_case.component = DatingComponent::RedCellsFrozen,
                Modification::MakeCryo => new_case.component = dating_component(p.kind).expect("cryo products are dated"),
                other => new_case.modifications.push(DatingModification {
                    at: at_fixed,
                    kind: match other {
                        Modification::Leukoreduce => ModificationKind::Leukoreduced,
                        Modification::Irradiate => ModificationKind::Irradiated,
                        Modification::Wash => ModificationKind::Washed,
                        Modification::VolumeReduce => ModificationKind::VolumeReduced,
                        _ => ModificationKind::Thawed,
                    },
                }),
            }
            let dating = expiry(&book, &new_case).map_err(dating_refusal)?;
            if dating.expires_at.with_timezone(&Utc) <= at {
                return Err(AppError::Conflict(format!("{din} {} would expire at once; the step is not done", unit.kind)));
            }
            let spec = ProductSpec {
                kind: p.kind,
                attributes: p.attributes.clone(),
                anticoagulant: unit.anticoagulant.clone(),
                additive: unit.additive_solution.clone(),
            };
            let (code, _) = self.product_code(&spec, donation.as_ref().map(|d| d.procedure), &p.division)?;
            let new = NewComponent {
                id: Uuid::now_v7(),
                donation_id: unit.donation_id,
                din: din.clone(),
                product_code: code,
                kind: p.kind,
                attributes: attributes_text(&p.attributes),
                anticoagulant: unit.anticoagulant.clone(),
                additive_solution: unit.additive_solution.clone(),
                volume_ml: if step.keeps_volume() { unit.volume_ml } else { None },
                expires_at: dating.expires_at.with_timezone(&Utc),
                dating_case: serde_json::to_string(&new_case).expect("a dating case serialises"),
                step: step.as_str().into(),
                why: format!("{} at {}; dated by the rule \"{}\"", p.why, self.local_time(at), dating.rule_title),
                made_at: store::now(),
                made_by: actor.username.clone(),
            };
            tx.insert_component(&new, ComponentState::InProcessing).await.map_err(|e| match e {
                store::StoreError::Duplicate { .. } => AppError::Conflict(format!("unit {din} {} exists already", new.product_code)),
                other => other.into(),
            })?;
            tx.insert_component_source(new.id, unit.id).await?;
            made.push(new);
        }
        tx.add_component_state(unit.id, ComponentState::Modified, store::now(), &actor.username, Some(step.title())).await?;
        let donor = match &donation {
            Some(d) => self.store.donor_by_id(d.donor_id).await?.map(|x| x.donor_number).unwrap_or_default(),
            None => String::new(),
        };
        let units: Vec<serde_json::Value> =
            made.iter().map(|u| serde_json::json!({"product_code": u.product_code, "expires_at": u.expires_at})).collect();
        let mut audit = AuditDraft::new(&actor.username, "component.modify", "component", unit.id)
            .before(serde_json::json!({"din": din, "product_code": unit.product_code, "state": unit.state.as_str()}))
            .after(serde_json::json!({"step": step.as_str(), "at": at, "made": units}));
        if !donor.is_empty() {
            audit = audit.donor(&donor);
        }
        tx.append_audit(audit).await?;
        tx.commit().await?;
        let mut out = Vec::new();
        for n in &made {
            if let Some(r) = self.store.component(&n.din, &n.product_code).await? {
                out.push(ComponentView::of(&r));
            }
        }
        Ok(out)
    }

    /// The units of a donation, by DIN.
    pub async fn donation_components(&self, actor: &Actor, din: &str) -> Result<Vec<ComponentView>> {
        actor.require(Permission::ViewDonors)?;
        let din = parse_din(din)?;
        let d = self.store.donation_with_din(&din).await?.ok_or_else(|| AppError::NotFound(format!("no donation has the DIN {din}")))?;
        Ok(self.store.components_of_donation(d.id).await?.iter().map(ComponentView::of).collect())
    }

    /// A unit with its donation, donor, parents, children, siblings and descendants.
    pub async fn component_genealogy(&self, actor: &Actor, din: &str, product_code: &str) -> Result<Genealogy> {
        actor.require(Permission::ViewDonors)?;
        let din = parse_din(din)?;
        let (rows, links) = self.store.genealogy(std::slice::from_ref(&din)).await?;
        let unit = rows
            .iter()
            .find(|r| r.din == din && r.product_code == product_code.trim())
            .ok_or_else(|| AppError::NotFound(format!("no unit {din} {}", product_code.trim())))?;
        let view = |id: Uuid| rows.iter().find(|r| r.id == id).map(ComponentView::of);
        let parents_of = |id: Uuid| links.iter().filter(move |l| l.component_id == id).map(|l| l.source_id);
        let children_of = |id: Uuid| links.iter().filter(move |l| l.source_id == id).map(|l| l.component_id);
        let parents: Vec<Uuid> = parents_of(unit.id).collect();
        let siblings: Vec<ComponentView> = if parents.is_empty() {
            rows.iter()
                .filter(|r| r.id != unit.id && r.donation_id == unit.donation_id && r.step == unit.step && parents_of(r.id).next().is_none())
                .map(ComponentView::of)
                .collect()
        } else {
            parents.iter().flat_map(|p| children_of(*p)).filter(|id| *id != unit.id).filter_map(view).collect()
        };
        let mut descendants = Vec::new();
        let mut frontier: Vec<Uuid> = vec![unit.id];
        while let Some(id) = frontier.pop() {
            for c in children_of(id) {
                if !descendants.iter().any(|d: &ComponentView| rows.iter().any(|r| r.id == c && r.product_code == d.product_code && r.din == d.din)) {
                    if let Some(v) = view(c) {
                        descendants.push(v);
                    }
                    frontier.push(c);
                }
            }
        }
        let donor_number = match unit.donation_id {
            Some(id) => match self.store.donation_donor(id).await? {
                Some(donor) => self.store.donor_by_id(donor).await?.map(|d| d.donor_number),
                None => None,
            },
            None => None,
        };
        let (blood_group, group_confirmed) = match &donor_number {
            Some(n) => {
                let v = self.blood_group_view(&self.resolve_donor(n).await?).await?;
                (v.group, v.status == domain::typing::BloodGroupStatus::Confirmed)
            }
            None => (None, false),
        };
        let history = self
            .store
            .component_states(unit.id)
            .await?
            .into_iter()
            .map(|s| StateLine {
                state: ComponentState::parse(&s.state).map(|x| x.title().to_string()).unwrap_or(s.state),
                at: s.at,
                by: s.by_user,
                reason: s.reason,
            })
            .collect();
        let special_attributes = match unit.donation_id {
            Some(_) => self.donation_testing(actor, &din).await?.special_attributes,
            None => vec![],
        };
        Ok(Genealogy {
            special_attributes,
            unit: ComponentView::of(unit),
            donation_din: unit.donation_id.map(|_| din.clone()),
            donor_number,
            blood_group,
            group_confirmed,
            parents: parents.into_iter().filter_map(view).collect(),
            children: children_of(unit.id).filter_map(view).collect(),
            siblings,
            descendants,
            history,
        })
    }
}

/// The largest volume a single unit can hold, to catch a weight typed for a volume.
const MAX_UNIT_VOLUME_ML: i64 = 1_000;

impl App {
    /// Records a unit's volume as weighed at processing (the latest value counts; the
    /// audit keeps the earlier one). Only a unit still in processing or quarantine.
    pub async fn record_component_volume(&self, actor: &Actor, din: &str, product_code: &str, volume_ml: &str) -> Result<ComponentView> {
        actor.require(Permission::ManufactureComponents)?;
        let din = parse_din(din)?;
        let volume: i64 = match volume_ml.trim().parse() {
            Ok(v) if (1..=MAX_UNIT_VOLUME_ML).contains(&v) => v,
            Ok(_) => return Err(FieldError::new("volume_ml", format!("must be between 1 and {MAX_UNIT_VOLUME_ML} mL")).into()),
            Err(_) => return Err(FieldError::new("volume_ml", "must be a whole number of millilitres").into()),
        };
        let mut tx = self.store.begin_write().await?;
        let unit = live_unit(&mut tx, &din, product_code, "its volume stays as it was").await?;
        tx.add_component_volume(unit.id, volume, store::now(), &actor.username).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "component.volume", "component", unit.id)
                .before(serde_json::json!({"din": din, "product_code": unit.product_code, "volume_ml": unit.volume_ml}))
                .after(serde_json::json!({"din": din, "product_code": unit.product_code, "volume_ml": volume})),
        )
        .await?;
        tx.commit().await?;
        let row = self.store.component(&din, &unit.product_code).await?.ok_or_else(|| AppError::NotFound(format!("no unit {din}")))?;
        Ok(ComponentView::of(&row))
    }
}

/// A unit named by its DIN and product code (as scanned or typed).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnitRef {
    pub din: String,
    pub product_code: String,
}

impl App {
    /// Divides a unit into `parts` aliquots (divisions); the unit ends.
    pub async fn split_component(&self, actor: &Actor, din: &str, product_code: &str, parts: usize) -> Result<Vec<ComponentView>> {
        actor.require(Permission::ManufactureComponents)?;
        let din = parse_din(din)?;
        let mut tx = self.store.begin_write().await?;
        let unit = tx
            .component_for_update(&din, product_code.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no unit {din} {}", product_code.trim())))?;
        if unit.expires_at <= Utc::now() {
            return Err(AppError::Conflict(format!("unit {din} {} has expired", unit.product_code)));
        }
        let facts = unit_facts(&unit, None);
        let plan = domain::component::plan_split(&facts, parts).map_err(|e| AppError::Conflict(e.to_string()))?;
        let procedure = match unit.donation_id {
            Some(id) => tx.donation_by_id(id).await?.map(|d| d.procedure),
            None => None,
        };
        let mut made = Vec::new();
        for p in &plan {
            let spec = ProductSpec {
                kind: p.kind,
                attributes: p.attributes.clone(),
                anticoagulant: unit.anticoagulant.clone(),
                additive: unit.additive_solution.clone(),
            };
            let (code, _) = self.product_code(&spec, procedure, &p.division)?;
            let new = NewComponent {
                id: Uuid::now_v7(),
                product_code: code,
                attributes: attributes_text(&p.attributes),
                step: "split".into(),
                volume_ml: unit.volume_ml.map(|v| v / parts as i64),
                why: format!("{} of {} {}", p.why, din, unit.product_code),
                made_at: store::now(),
                made_by: actor.username.clone(),
                ..new_from(&unit)
            };
            tx.insert_component(&new, ComponentState::InProcessing).await?;
            tx.insert_component_source(new.id, unit.id).await?;
            made.push(new);
        }
        tx.add_component_state(unit.id, ComponentState::Split, store::now(), &actor.username, Some(&format!("divided into {parts}"))).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "component.split", "component", unit.id).after(serde_json::json!({
            "din": din, "product_code": unit.product_code, "parts": made.iter().map(|m| m.product_code.clone()).collect::<Vec<_>>(),
        })))
        .await?;
        tx.commit().await?;
        self.views(&made).await
    }

    /// Pools units of one product and one ABO/RhD into a new unit with its own DIN; the
    /// sources end. The pool expires with its earliest source.
    pub async fn pool_components(&self, actor: &Actor, units: &[UnitRef]) -> Result<ComponentView> {
        actor.require(Permission::ManufactureComponents)?;
        let fin = self.fin()?;
        let mut refs = Vec::new();
        for u in units {
            refs.push((parse_din(&u.din)?, u.product_code.trim().to_string()));
        }
        // Locks in one order, so two pools being made never wait on each other in a cycle.
        let mut order = refs.clone();
        order.sort();
        order.dedup();
        let mut tx = self.store.begin_write().await?;
        let mut rows = Vec::new();
        for (din, code) in &order {
            rows.push(tx.component_for_update(din, code).await?.ok_or_else(|| AppError::NotFound(format!("no unit {din} {code}")))?);
        }
        // The donors' groups, their rows locked in id order (two pools never wait on each
        // other in a cycle).
        let mut donors: Vec<(Uuid, Uuid)> = Vec::new();
        for r in &rows {
            if let Some(d) = match r.donation_id {
                Some(id) => tx.donation_by_id(id).await?,
                None => None,
            } {
                donors.push((r.id, d.donor_id));
            }
        }
        let mut donor_ids: Vec<Uuid> = donors.iter().map(|(_, d)| *d).collect();
        donor_ids.sort();
        donor_ids.dedup();
        let mut groups: std::collections::HashMap<Uuid, Option<String>> = std::collections::HashMap::new();
        for id in donor_ids {
            let locked = tx.lock_donor_family(store::DonorKey::Id(id)).await?.ok_or_else(|| AppError::NotFound("a unit's donor".into()))?;
            let dets = tx.determinations_of(&locked.family).await?;
            let res = tx.resolutions_of(&locked.family).await?;
            groups.insert(id, crate::registry::typing::assessed_group(&locked.donor, &dets, &res).0.map(|g| g.to_string()));
        }
        let mut facts = Vec::new();
        for (din, code) in &refs {
            let row = rows.iter().find(|r| &r.din == din && &r.product_code == code).expect("read above");
            if row.expires_at <= Utc::now() {
                return Err(AppError::Conflict(format!("unit {din} {code} has expired")));
            }
            let group = donors.iter().find(|(unit, _)| *unit == row.id).and_then(|(_, donor)| groups.get(donor).cloned().flatten());
            facts.push(unit_facts(row, group));
        }
        let plan = domain::component::plan_pool(&facts).map_err(|e| AppError::Conflict(e.to_string()))?;
        let earliest = rows.iter().min_by_key(|r| r.expires_at).expect("a pool has units");
        let today = self.today();
        let din = crate::dins::next_din(&mut tx, actor, &fin, chrono::Datelike::year(&today) as i64).await?;
        let spec = ProductSpec {
            kind: plan.kind,
            attributes: plan.attributes.clone(),
            anticoagulant: earliest.anticoagulant.clone(),
            additive: earliest.additive_solution.clone(),
        };
        let (code, _) = self.product_code(&spec, None, "00")?;
        let pool = NewComponent {
            id: Uuid::now_v7(),
            donation_id: None,
            din: din.din.clone(),
            product_code: code,
            kind: plan.kind,
            attributes: attributes_text(&plan.attributes),
            anticoagulant: earliest.anticoagulant.clone(),
            additive_solution: earliest.additive_solution.clone(),
            // The sum of the sources, when every one was weighed.
            volume_ml: rows.iter().map(|r| r.volume_ml).sum(),
            expires_at: earliest.expires_at,
            dating_case: earliest.dating_case.clone(),
            step: "pool".into(),
            why: format!("{}; expires with its earliest source, {} {}", plan.why, earliest.din, earliest.product_code),
            made_at: store::now(),
            made_by: actor.username.clone(),
        };
        tx.insert_component(&pool, ComponentState::InProcessing).await?;
        for r in &rows {
            tx.insert_component_source(pool.id, r.id).await?;
            tx.add_component_state(r.id, ComponentState::Pooled, store::now(), &actor.username, Some(&format!("into pool {}", pool.din))).await?;
        }
        tx.append_audit(AuditDraft::new(&actor.username, "component.pool", "component", pool.id).after(serde_json::json!({
            "din": pool.din, "product_code": pool.product_code,
            "sources": rows.iter().map(|r| serde_json::json!({"din": r.din, "product_code": r.product_code})).collect::<Vec<_>>(),
        })))
        .await?;
        tx.commit().await?;
        Ok(self.views(std::slice::from_ref(&pool)).await?.remove(0))
    }

    async fn views(&self, made: &[NewComponent]) -> Result<Vec<ComponentView>> {
        let mut out = Vec::new();
        for n in made {
            if let Some(r) = self.store.component(&n.din, &n.product_code).await? {
                out.push(ComponentView::of(&r));
            }
        }
        Ok(out)
    }
}

/// The unit, locked for the step, refused when it has ended (split, pooled, discarded…):
/// `instead` says what to do then.
async fn live_unit(tx: &mut store::WriteTx, din: &str, product_code: &str, instead: &str) -> Result<ComponentRow> {
    let unit = tx
        .component_for_update(din, product_code.trim())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no unit {din} {}", product_code.trim())))?;
    if unit.state.is_ended() {
        return Err(AppError::Conflict(format!("unit {din} {} has ended ({}); {instead}", unit.product_code, unit.state.title().to_lowercase())));
    }
    Ok(unit)
}

fn unit_facts(unit: &ComponentRow, blood_group: Option<String>) -> domain::component::UnitFacts {
    domain::component::UnitFacts {
        kind: unit.kind,
        attributes: parse_attributes(&unit.attributes).unwrap_or_default(),
        state: unit.state,
        division: unit.product_code.get(6..8).unwrap_or("00").to_string(),
        din: unit.din.clone(),
        blood_group,
    }
}

/// A new unit carrying over what a step does not change.
fn new_from(unit: &ComponentRow) -> NewComponent {
    NewComponent {
        id: unit.id,
        donation_id: unit.donation_id,
        din: unit.din.clone(),
        product_code: unit.product_code.clone(),
        kind: unit.kind,
        attributes: unit.attributes.clone(),
        anticoagulant: unit.anticoagulant.clone(),
        additive_solution: unit.additive_solution.clone(),
        volume_ml: unit.volume_ml,
        expires_at: unit.expires_at,
        dating_case: unit.dating_case.clone(),
        step: unit.step.clone(),
        why: unit.why.clone(),
        made_at: unit.made_at,
        made_by: unit.made_by.clone(),
    }
}

impl App {
    /// Units in processing (waiting for testing and release): how many, and the newest `limit`.
    /// Units released before their testing was complete, newest first.
    pub async fn emergency_released_units(&self, actor: &Actor, limit: i64) -> Result<(i64, Vec<ComponentView>)> {
        actor.require(Permission::ViewDonors)?;
        let total = self.store.count_emergency_releases().await?;
        Ok((total, self.store.emergency_released_components(limit).await?.iter().map(ComponentView::of).collect()))
    }

    pub async fn units_in_processing(&self, actor: &Actor, limit: i64) -> Result<(i64, Vec<ComponentView>)> {
        actor.require(Permission::ViewDonors)?;
        let total = self.store.count_components_in_processing().await?;
        Ok((total, self.store.components_in_processing(limit).await?.iter().map(ComponentView::of).collect()))
    }
}
