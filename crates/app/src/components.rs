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
    fn product_code(&self, spec: &ProductSpec, procedure: Option<DonationProcedure>, division: &str) -> Result<(String, String)> {
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
        Ok(Genealogy {
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

impl App {
    /// The label of a unit, from its record alone: DIN, product code, the donor's
    /// confirmed ABO/RhD, the expiry from the dating rules, the product in words. Only an
    /// existing unit that has not ended or expired, whose donor's group is confirmed, is
    /// labelled; the print is recorded with its audit record in the transaction that read
    /// the unit (locked on PostgreSQL) and the donor's blood group rows.
    pub async fn component_label(&self, actor: &Actor, din: &str, product_code: &str, format: &str) -> Result<domain::labeling::LabelValues> {
        use domain::labeling::{parse_blood_group, parse_date, parse_din as din_of, parse_expiry};
        actor.require(Permission::PrintLabels)?;
        if !["pdf", "svg", "zpl", "preview"].contains(&format) {
            return Err(FieldError::new("format", format!("'{format}' is not a label format; use pdf, svg or zpl")).into());
        }
        let din = parse_din(din)?;
        let tz = self.settings.time_zone;
        let mut tx = self.store.begin_write().await?;
        let unit = tx
            .component_for_update(&din, product_code.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no unit {din} {}", product_code.trim())))?;
        if unit.state.is_ended() {
            return Err(AppError::Conflict(format!(
                "unit {din} {} has ended ({}); label the unit made from it",
                unit.product_code,
                unit.state.title().to_lowercase()
            )));
        }
        if unit.expires_at <= Utc::now() {
            return Err(AppError::Conflict(format!(
                "unit {din} {} expired at {}; an expired unit is not labelled",
                unit.product_code,
                self.local_time(unit.expires_at)
            )));
        }
        let donation_id =
            unit.donation_id.ok_or_else(|| AppError::Conflict("a pool is labelled with its own record; pools come with pooling".into()))?;
        let donation = tx
            .donation_by_id(donation_id)
            .await?
            .ok_or_else(|| AppError::Store(store::StoreError::Corrupt(format!("unit {din} has no donation"))))?;
        let locked = tx
            .lock_donor_family(store::DonorKey::Id(donation.donor_id))
            .await?
            .ok_or_else(|| AppError::Store(store::StoreError::Corrupt(format!("donation {din} has no donor"))))?;
        let dets = tx.determinations_of(&locked.family).await?;
        let res = tx.resolutions_of(&locked.family).await?;
        let (group, status) = crate::registry::typing::assessed_group(&locked.donor, &dets, &res);
        let group = match (group, status) {
            (Some(g), domain::typing::BloodGroupStatus::Confirmed) => g,
            (_, s) => {
                return Err(AppError::Conflict(format!(
                    "the donor's blood group is not confirmed ({}); a unit is labelled with a confirmed ABO/RhD only",
                    s.as_str().replace('_', " ")
                )))
            }
        };
        let clocks = SiteClocks::new(tz, &tx.list_sites().await?);
        let collected_day = clocks.donation_day(&donation);
        let code = isbt128::ProductCode::parse_content(&unit.product_code)
            .map_err(|e| AppError::Store(store::StoreError::Corrupt(format!("unit {din}: product code {}: {e}", unit.product_code))))?;
        let description: Vec<String> = match self.settings.catalog.get(code.pdc().as_str()) {
            Some(e) => e.description.split('|').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
            None => match ProductSpec::from_starter_code(code.pdc().as_str()) {
                Some(spec) => spec.description().split('|').map(str::to_string).collect(),
                None => vec![unit.kind.title().to_uppercase()],
            },
        };
        let mut description = description;
        if tx.releases_in_tx(unit.id).await?.last().is_some_and(|r| r.emergency) {
            // 21 CFR 610.40(g), 606.121(h): the label says the unit was not fully tested.
            description.push(crate::release::EMERGENCY_LABEL.into());
        }
        let expires_local = unit.expires_at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
        let values = domain::labeling::LabelValues {
            facility: self.settings.facility_name.clone(),
            din: din_of("din", &din)?,
            blood_groups: parse_blood_group("blood_group", &group.to_string())?,
            product: code,
            expiry: parse_expiry("expires_at", &expires_local)?,
            collected: Some(parse_date("collected_on", &collected_day.to_string())?),
            description,
        };
        let print = store::LabelPrintRow {
            id: Uuid::now_v7(),
            din: din.clone(),
            product_code: values.product.content(),
            blood_group: values.blood_groups.encode(),
            expires_at: expires_local,
            collected_on: Some(collected_day.to_string()),
            format: format.to_string(),
            donor_id: locked.donor.id,
            printed_by: actor.username.clone(),
            printed_at: store::now(),
        };
        tx.insert_label_print(&print).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "label.print", "component", unit.id).donor(&locked.donor.donor_number).after(
            serde_json::json!({
                "din": values.din.encode(), "blood_group": values.blood_groups.encode(), "product": values.product.encode(),
                "expiry": values.expiry.encode(), "format": format, "print": print.id, "from": "component record",
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(values)
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
        let unit = tx
            .component_for_update(&din, product_code.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no unit {din} {}", product_code.trim())))?;
        if unit.state.is_ended() {
            return Err(AppError::Conflict(format!(
                "unit {din} {} has ended ({}); its volume stays as it was",
                unit.product_code,
                unit.state.title()
            )));
        }
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

/// Reads one scanned or typed line naming a unit: its DIN and product code, as ISBT 128
/// data (`=A99982600063700 =<E0398V00`), as text (`A999826000637 E0398V00`) or with the
/// DIN's check character.
pub fn parse_unit_line(line: &str) -> std::result::Result<UnitRef, String> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let code = tokens
        .iter()
        .rev()
        .find_map(|t| {
            let c = t.strip_prefix("=<").unwrap_or(t);
            (c.len() == 8).then(|| isbt128::ProductCode::parse_content(c).ok().map(|p| p.content())).flatten()
        })
        .ok_or_else(|| format!("'{}': no product code (e.g. E0398V00 or =<E0398V00)", line.trim()))?;
    let rest: Vec<&str> = tokens.iter().copied().filter(|t| t.strip_prefix("=<").unwrap_or(t) != code).collect();
    let din = domain::labeling::parse_din("din", &rest.join(" ")).map_err(|e| format!("'{}': {}", line.trim(), e.message))?;
    Ok(UnitRef { din: din.din().to_string(), product_code: code })
}

/// One line of a processing batch and what happened to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchLine {
    pub line: String,
    pub unit: Option<UnitRef>,
    pub ok: bool,
    /// What was made, or why nothing was.
    pub outcome: String,
    pub made: Vec<ComponentView>,
}

impl App {
    /// Applies one step to each scanned unit, each in its own transaction: one unit's
    /// refusal never touches another, and a unit scanned twice is done once. `pool`
    /// pools all the units into one instead.
    pub async fn process_batch(&self, actor: &Actor, lines: &str, step: &str, at: &str) -> Result<Vec<BatchLine>> {
        actor.require(Permission::ManufactureComponents)?;
        let step = step.trim();
        if step != "pool" && !step.starts_with("split_") {
            Modification::parse(step).map_err(|m| AppError::from(FieldError::new("step", m)))?;
        }
        let mut out: Vec<BatchLine> = Vec::new();
        let mut seen: Vec<UnitRef> = Vec::new();
        for raw in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let mut line = BatchLine { line: raw.to_string(), unit: None, ok: false, outcome: String::new(), made: vec![] };
            match parse_unit_line(raw) {
                Err(m) => line.outcome = m,
                Ok(u) if seen.contains(&u) => line.outcome = format!("{} {} was scanned twice; it is processed once", u.din, u.product_code),
                Ok(u) => {
                    seen.push(u.clone());
                    line.unit = Some(u);
                }
            }
            out.push(line);
        }
        if out.is_empty() {
            return Err(FieldError::new("units", "scan or type at least one unit").into());
        }
        if step == "pool" {
            let units: Vec<UnitRef> = out.iter().filter_map(|l| l.unit.clone()).collect();
            let result = self.pool_components(actor, &units).await;
            for l in out.iter_mut().filter(|l| l.unit.is_some()) {
                match &result {
                    Ok(p) => {
                        l.ok = true;
                        l.outcome = format!("pooled into {} {}", p.din, p.product_code);
                        l.made = vec![p.clone()];
                    }
                    Err(e) => l.outcome = format!("not pooled: {e}"),
                }
            }
            return Ok(out);
        }
        for l in out.iter_mut() {
            let Some(u) = l.unit.clone() else { continue };
            let result = match step.strip_prefix("split_") {
                Some(n) => match n.parse::<usize>() {
                    Ok(parts) => self.split_component(actor, &u.din, &u.product_code, parts).await,
                    Err(_) => Err(FieldError::new("step", format!("'{step}' is not a split")).into()),
                },
                None => {
                    self.modify_component(actor, &u.din, &u.product_code, &ModificationInput { step: step.to_string(), at: at.to_string() }).await
                }
            };
            match result {
                Ok(made) => {
                    l.ok = true;
                    l.outcome = format!("made {}", made.iter().map(|m| format!("{} {}", m.product_code, m.product)).collect::<Vec<_>>().join(", "));
                    l.made = made;
                }
                Err(AppError::Invalid(e)) => l.outcome = e.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; "),
                Err(e @ (AppError::Conflict(_) | AppError::NotFound(_))) => l.outcome = e.to_string(),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
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

#[cfg(test)]
mod unit_line_tests {
    use super::*;

    #[test]
    fn scanned_and_typed_lines_name_the_same_unit() {
        let want = UnitRef { din: "A999826000637".into(), product_code: "E0398V00".into() };
        for line in ["=A99982600063700 =<E0398V00", "A999826000637 E0398V00", "  =<E0398V00   =A99982600063700 "] {
            assert_eq!(parse_unit_line(line).as_ref(), Ok(&want), "{line}");
        }
        assert!(parse_unit_line("A999826000637").unwrap_err().contains("no product code"));
        assert!(parse_unit_line("A99982600063 E0398V00").is_err());
    }
}
