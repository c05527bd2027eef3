//! Release: the facts the release gate decides on, read in the write transaction with
//! the unit's and the donor's rows locked; release with an electronic signature
//! (21 CFR Part 11: the signer re-enters their password, and the record keeps signer,
//! time and meaning); and the re-check that takes released units out of available
//! stock when a later event makes them unsafe.

use crate::testing::{parse_status, rule_of, typed_group};
use crate::{Actor, App, AppError, Result};
use domain::component::ComponentState;
use domain::release::{gate, must_leave_stock, DeferralSpan, GateFacts, GroupFacts, Hold, LabelScan, Refusal, Release, RequiredTest};
use domain::typing::BloodGroupStatus;
use domain::{AuditDraft, BloodGroup, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use store::{ComponentRow, ReleaseRow, WriteTx};
use uuid::Uuid;

/// What the signer means by a release signature.
pub const RELEASE_MEANING: &str = "Released for distribution: I have checked that this unit meets every release requirement";

/// What the laboratory signer means by an emergency release.
pub const EMERGENCY_MEANING: &str = "Released before testing was complete, for a documented medical emergency (21 CFR 610.40(g))";
/// What the physician means by co-signing it.
pub const PHYSICIAN_MEANING: &str =
    "As the physician responsible, I authorise the release of this unit before its testing is complete for a medical emergency";
/// The line the unit's label carries after an emergency release.
pub const EMERGENCY_LABEL: &str = "EMERGENCY RELEASE: TESTING NOT COMPLETE";

/// An emergency release as asked for: the laboratory's signature and the physician's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyReleaseInput {
    pub scan: String,
    pub password: String,
    /// The physician's user name and password: their electronic signature.
    pub physician: String,
    pub physician_password: String,
    /// The emergency: hospital, patient or request it is for.
    pub reason: String,
}

/// A release as asked for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseInput {
    /// The label as scanned: the DIN, product code and ABO/RhD barcodes (ISBT 128 data,
    /// separated by spaces or new lines, in any order).
    pub scan: String,
    /// The signer's password: the electronic signature.
    pub password: String,
}

/// A unit's release, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleaseView {
    pub din: String,
    pub product_code: String,
    pub state: ComponentState,
    pub released_at: chrono::DateTime<chrono::Utc>,
    pub signer: String,
    pub meaning: String,
    pub emergency: bool,
}

/// Reads the scan: DIN, product code and blood groups, from ISBT 128 data structures.
pub fn read_label_scan(scan: &str) -> std::result::Result<LabelScan, String> {
    let mut din = None;
    let mut code = None;
    let mut group = None;
    for token in scan.split_whitespace() {
        let items = isbt128::decode(token).map_err(|e| format!("'{token}': {e}"))?;
        for item in items {
            match item {
                isbt128::DataStructure::Din(d) => din = Some(d.din().to_string()),
                isbt128::DataStructure::ProductCode(p) => code = Some(p.content()),
                isbt128::DataStructure::BloodGroups(b) => {
                    let g = b.group();
                    let abo = match g.abo() {
                        Some(isbt128::Abo::O) => domain::donor::Abo::O,
                        Some(isbt128::Abo::A) => domain::donor::Abo::A,
                        Some(isbt128::Abo::B) => domain::donor::Abo::B,
                        Some(isbt128::Abo::AB) => domain::donor::Abo::AB,
                        _ => return Err(format!("'{token}' states no ABO group")),
                    };
                    let rhd = match g.rhd() {
                        Some(isbt128::RhD::Positive) => true,
                        Some(isbt128::RhD::Negative) => false,
                        _ => return Err(format!("'{token}' states no RhD type")),
                    };
                    group = Some(BloodGroup::new(abo, rhd));
                }
                _ => {}
            }
        }
    }
    match (din, code) {
        (None, None) if group.is_none() => Ok(LabelScan::NotScanned),
        (Some(din), Some(product_code)) => Ok(LabelScan::Scanned { din, product_code, group }),
        (None, _) => Err("the scan holds no DIN".into()),
        (_, None) => Err("the scan holds no product code".into()),
    }
}

/// The label scan a release needs, or its error by the `scan` field.
fn scanned_label(scan: &str, e: &mut FieldErrors) -> Option<LabelScan> {
    match read_label_scan(scan) {
        Ok(LabelScan::NotScanned) => {
            e.0.push(FieldError::new("scan", "scan the unit's label: its DIN, product code and ABO/RhD barcodes"));
            None
        }
        Ok(l) => Some(l),
        Err(m) => {
            e.0.push(FieldError::new("scan", m));
            None
        }
    }
}

/// The gate's facts for one unit of a donation (a pool is checked source by source).
async fn donation_facts(app: &App, tx: &mut WriteTx, unit: &ComponentRow, source: &ComponentRow, label: LabelScan) -> Result<GateFacts> {
    let donation_id = source.donation_id.ok_or_else(|| AppError::Conflict(format!("unit {} {} has no donation", source.din, source.product_code)))?;
    let d = tx.donation_by_id(donation_id).await?.ok_or_else(|| AppError::NotFound("the unit's donation".into()))?;
    let sites = tx.list_sites().await?;
    let clocks = crate::donor_facts::SiteClocks::new(app.settings.time_zone, &sites);
    let day = clocks.day_at(d.site_id, d.collected_at);
    let locked = tx.lock_donor_family(store::DonorKey::Id(d.donor_id)).await?.ok_or_else(|| AppError::NotFound("the unit's donor".into()))?;
    let deferrals = locked
        .deferrals
        .iter()
        .filter(|x| x.corrected_at.is_none())
        .map(|x| {
            // `until` is the day the donor may give again; a reentry ends it early.
            let mut ends_on = x.until.map(|u| u.pred_opt().unwrap_or(u));
            if let Some(r) = x.reentered_at {
                let last = r.date_naive().pred_opt().unwrap_or(r.date_naive());
                ends_on = Some(ends_on.map_or(last, |e| e.min(last)));
            }
            DeferralSpan { starts_on: x.starts_on, ends_on, reason: x.reason.clone() }
        })
        .collect();
    let orders = tx.test_orders_in_tx(d.id).await?;
    let results = tx.test_results_in_tx(d.id).await?;
    let tests = orders
        .iter()
        .map(|o| {
            let status =
                results.iter().rev().find(|r| r.order_id == o.id).map_or(domain::testing::Status::Pending, |r| parse_status(&r.status_after));
            let blocks = rule_of(&o.test_code, day).map_or(domain::testing::Blocks::All, |r| r.blocks());
            RequiredTest { code: o.test_code.clone(), title: o.title.clone(), status, blocks }
        })
        .collect();
    let dets = tx.determinations_of(&locked.family).await?;
    let res = tx.resolutions_of(&locked.family).await?;
    let (history, status) = crate::registry::typing::assessed_group(&locked.donor, &dets, &res);
    let mut holds: Vec<Hold> = Vec::new();
    for id in [unit.id, source.id] {
        for h in tx.open_holds_in_tx(id).await? {
            if !holds.iter().any(|x| x.reason == h.reason && x.kind == h.kind) {
                holds.push(Hold { kind: h.kind, reason: h.reason });
            }
        }
    }
    Ok(GateFacts {
        now: chrono::Utc::now(),
        din: unit.din.clone(),
        product_code: unit.product_code.clone(),
        kind: unit.kind,
        state: unit.state,
        expires_at: unit.expires_at,
        collected_on: day,
        // A donation is only made from a screening whose decision was eligible (the
        // collection use case refuses otherwise); imported donations make no units.
        eligible_at_collection: true,
        deferrals,
        tests,
        group: GroupFacts {
            donation: typed_group(&orders, &results),
            history: if status == BloodGroupStatus::Confirmed { history } else { None },
            open_discrepancy: status == BloodGroupStatus::Discrepancy,
        },
        processing_fault: None,
        qc: crate::quality::qc_facts(tx, unit).await?,
        holds,
        label,
    })
}

/// The units a unit comes from that carry a donation: itself, or a pool's sources (at any depth).
async fn donation_sources(tx: &mut WriteTx, unit: &ComponentRow) -> Result<Vec<ComponentRow>> {
    let mut out = Vec::new();
    let mut frontier = vec![unit.clone()];
    while let Some(u) = frontier.pop() {
        if u.donation_id.is_some() {
            out.push(u);
            continue;
        }
        for s in tx.component_sources_in_tx(u.id).await? {
            frontier.push(s);
        }
        if out.len() + frontier.len() > 1_000 {
            return Err(AppError::Conflict(format!("unit {} {} has too many sources to check", unit.din, unit.product_code)));
        }
    }
    Ok(out)
}

/// Every reason the gate gives for the unit (a pool: for each source, once).
pub(crate) async fn gate_unit(
    app: &App,
    tx: &mut WriteTx,
    unit: &ComponentRow,
    label: LabelScan,
    how: Release,
    leaving: bool,
) -> Result<Vec<Refusal>> {
    let mut all: Vec<Refusal> = Vec::new();
    for s in donation_sources(tx, unit).await? {
        let mut facts = donation_facts(app, tx, unit, &s, label.clone()).await?;
        if unit.donation_id.is_none() {
            // A pool's group is its sources' (checked by the pool rules); the label says pooled.
            facts.group.history = facts.group.history.or(facts.group.donation);
            if let LabelScan::Scanned { group, .. } = &mut facts.label {
                *group = facts.group.history;
            }
        }
        let refusals = if leaving { must_leave_stock(&facts, how) } else { gate(&facts, how) };
        for r in refusals {
            if !all.contains(&r) {
                all.push(r);
            }
        }
    }
    Ok(all)
}

/// After an event on a donation: its available units that no longer pass the gate go
/// back to quarantine. Returns them as "DIN product code".
pub(crate) async fn regate_donation(app: &App, tx: &mut WriteTx, actor: &Actor, donation_id: Uuid, why: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for u in tx.components_of_donation_for_update(donation_id).await? {
        if regate_unit(app, tx, actor, &u, why).await? {
            out.push(format!("{} {}", u.din, u.product_code));
        }
    }
    Ok(out)
}

impl App {
    /// The unit, its row locked; one released already is refused with who released it.
    async fn unit_to_release(&self, tx: &mut WriteTx, din: &str, product_code: &str) -> Result<ComponentRow> {
        let unit = tx
            .component_for_update(din, product_code.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no unit {din} {}", product_code.trim())))?;
        if unit.state == ComponentState::Available {
            let by = tx.releases_in_tx(unit.id).await?.pop();
            return Err(AppError::Conflict(match by {
                Some(r) => format!("unit {din} {} was released already, by {} at {}", unit.product_code, r.signer, self.local_time(r.released_at)),
                None => format!("unit {din} {} is released already", unit.product_code),
            }));
        }
        Ok(unit)
    }

    /// Releases a unit before its testing is complete, for a medical emergency: the
    /// laboratory signs, a physician co-signs with their own password, the gate allows
    /// pending tests but nothing else, and the release and the unit's label say so. A
    /// later reactive result takes the unit out of stock and is recorded as an alert.
    pub async fn emergency_release(&self, actor: &Actor, din: &str, product_code: &str, input: &EmergencyReleaseInput) -> Result<ReleaseView> {
        actor.require(Permission::ReleaseComponents)?;
        let din = crate::components::parse_din(din)?;
        let mut e = FieldErrors::default();
        let label = scanned_label(&input.scan, &mut e);
        if input.password.is_empty() || !self.password_is(&actor.username, &input.password).await? {
            e.0.push(FieldError::new("password", "the password is not right; the release is not signed"));
        }
        let physician = input.physician.trim();
        match self.store.user_by_username(physician).await?.filter(|u| u.active) {
            _ if physician.is_empty() => e.0.push(FieldError::new("physician", "the physician who authorises the release signs too")),
            _ if physician.eq_ignore_ascii_case(&actor.username) => {
                e.0.push(FieldError::new("physician", "the physician is another person than the laboratory signer"))
            }
            Some(u) if crate::auth::actor_of(&u, false).is_ok_and(|a| a.can(Permission::SignEmergencyRelease)) => {
                if !self.password_is(&u.username, &input.physician_password).await? {
                    e.0.push(FieldError::new("physician_password", "the physician's password is not right; the release is not signed"));
                }
            }
            _ => e.0.push(FieldError::new("physician", format!("'{physician}' is not a physician who may authorise an emergency release"))),
        }
        if input.reason.trim().is_empty() {
            e.0.push(FieldError::new("reason", "say which emergency: the hospital, the patient or the request"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let label = label.expect("checked");
        let scanned_group = match &label {
            LabelScan::Scanned { group, .. } => group.map(|g| g.to_string()),
            LabelScan::NotScanned => None,
        };
        let mut tx = self.store.begin_write().await?;
        let unit = self.unit_to_release(&mut tx, &din, product_code).await?;
        let refusals = gate_unit(self, &mut tx, &unit, label, Release::Emergency, false).await?;
        if !refusals.is_empty() {
            return Err(AppError::NotReleasable { unit: format!("{din} {}", unit.product_code), refusals });
        }
        let row = ReleaseRow {
            id: Uuid::now_v7(),
            component_id: unit.id,
            released_at: store::now(),
            signer: actor.username.clone(),
            meaning: format!("{EMERGENCY_MEANING}: {}", input.reason.trim()),
            emergency: true,
            physician: Some(physician.to_string()),
            physician_meaning: Some(PHYSICIAN_MEANING.into()),
            scanned: input.scan.split_whitespace().collect::<Vec<_>>().join(" "),
            blood_group: scanned_group,
        };
        let signatures = serde_json::json!({"emergency": true, "reason": input.reason.trim(),
            "signatures": [{"signer": row.signer, "meaning": EMERGENCY_MEANING}, {"signer": physician, "meaning": PHYSICIAN_MEANING}]});
        write_release(tx, actor, &unit, row, "EMERGENCY release before testing was complete", signatures).await
    }

    /// What stands between a unit and release now (the label scan aside).
    pub async fn release_check(&self, actor: &Actor, din: &str, product_code: &str) -> Result<Vec<Refusal>> {
        actor.require(Permission::ViewDonors)?;
        let din = crate::components::parse_din(din)?;
        let mut tx = self.store.begin_write().await?;
        let unit = tx
            .component_for_update(&din, product_code.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no unit {din} {}", product_code.trim())))?;
        let reasons = gate_unit(self, &mut tx, &unit, LabelScan::NotScanned, Release::Standard, false).await?;
        tx.rollback().await?;
        Ok(reasons.into_iter().filter(|r| r.code != "label_not_scanned").collect())
    }

    /// Releases a unit through the gate, signed with the signer's password. Two people
    /// releasing the same unit at once: the unit's row is locked, one releases, the
    /// other is told it is released already.
    pub async fn release_component(&self, actor: &Actor, din: &str, product_code: &str, input: &ReleaseInput) -> Result<ReleaseView> {
        actor.require(Permission::ReleaseComponents)?;
        let din = crate::components::parse_din(din)?;
        let mut e = FieldErrors::default();
        let label = scanned_label(&input.scan, &mut e);
        if input.password.is_empty() {
            e.0.push(FieldError::new("password", "sign with your password"));
        } else if !self.password_is(&actor.username, &input.password).await? {
            e.0.push(FieldError::new("password", "the password is not right; the release is not signed"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let label = label.expect("checked");
        let scanned_group = match &label {
            LabelScan::Scanned { group, .. } => group.map(|g| g.to_string()),
            LabelScan::NotScanned => None,
        };
        let mut tx = self.store.begin_write().await?;
        let unit = self.unit_to_release(&mut tx, &din, product_code).await?;
        let refusals = gate_unit(self, &mut tx, &unit, label, Release::Standard, false).await?;
        if !refusals.is_empty() {
            return Err(AppError::NotReleasable { unit: format!("{din} {}", unit.product_code), refusals });
        }
        let row = ReleaseRow {
            id: Uuid::now_v7(),
            component_id: unit.id,
            released_at: store::now(),
            signer: actor.username.clone(),
            meaning: RELEASE_MEANING.into(),
            emergency: false,
            physician: None,
            physician_meaning: None,
            scanned: input.scan.split_whitespace().collect::<Vec<_>>().join(" "),
            blood_group: scanned_group,
        };
        let signature = serde_json::json!({"signature": {"signer": row.signer, "at": row.released_at, "meaning": row.meaning}});
        write_release(tx, actor, &unit, row, "released through the gate, signed", signature).await
    }
}

/// Writes a release that passed the gate: the signed record, the unit's new state and
/// the audit record, then commits.
async fn write_release(
    mut tx: store::WriteTx,
    actor: &Actor,
    unit: &ComponentRow,
    row: ReleaseRow,
    note: &str,
    signatures: serde_json::Value,
) -> Result<ReleaseView> {
    tx.insert_release(&row).await?;
    tx.add_component_state(unit.id, ComponentState::Available, row.released_at, &actor.username, Some(note)).await?;
    let mut after = serde_json::json!({"state": "available", "at": row.released_at, "scanned": row.scanned});
    if let (Some(after), serde_json::Value::Object(signed)) = (after.as_object_mut(), signatures) {
        after.extend(signed);
    }
    let action = if row.emergency { "component.emergency_release" } else { "component.release" };
    tx.append_audit(
        AuditDraft::new(&actor.username, action, "component", unit.id)
            .before(serde_json::json!({"din": unit.din, "product_code": unit.product_code, "state": unit.state.as_str()}))
            .after(after),
    )
    .await?;
    tx.commit().await?;
    Ok(ReleaseView {
        din: unit.din.clone(),
        product_code: unit.product_code.clone(),
        state: ComponentState::Available,
        released_at: row.released_at,
        signer: row.signer,
        meaning: row.meaning,
        emergency: row.emergency,
    })
}

/// After an event on a unit: an available unit that no longer passes the gate goes
/// back to quarantine with the reasons. Returns whether it left stock.
/// Why a released unit may not stay in stock or leave it now (the gate without the
/// checks made only at the moment of release); empty when it may.
pub(crate) async fn leaving_refusals(app: &App, tx: &mut WriteTx, unit: &ComponentRow) -> Result<Vec<Refusal>> {
    let how = if tx.releases_in_tx(unit.id).await?.last().is_some_and(|r| r.emergency) { Release::Emergency } else { Release::Standard };
    gate_unit(app, tx, unit, LabelScan::NotScanned, how, true).await
}

pub(crate) async fn regate_unit(app: &App, tx: &mut WriteTx, actor: &Actor, unit: &ComponentRow, why: &str) -> Result<bool> {
    if unit.state != ComponentState::Available {
        return Ok(false);
    }
    let reasons = leaving_refusals(app, tx, unit).await?;
    if reasons.is_empty() {
        return Ok(false);
    }
    let text = format!("{why}: {}", reasons.iter().map(|r| r.reason.as_str()).collect::<Vec<_>>().join("; "));
    tx.add_component_state(unit.id, ComponentState::Quarantine, store::now(), &actor.username, Some(&text)).await?;
    tx.append_audit(
        AuditDraft::new(&actor.username, "component.quarantine", "component", unit.id)
            .before(serde_json::json!({"din": unit.din, "product_code": unit.product_code, "state": "available"}))
            .after(serde_json::json!({"state": "quarantine", "reasons": reasons})),
    )
    .await?;
    Ok(true)
}
