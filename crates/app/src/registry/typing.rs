//! Blood group determinations and their discrepancies, and special attributes
//! (antigens, CMV, HbS, IgA, HLA): recording, resolving, and the views of a family's
//! history. Decisions (the first determination sets the group; who may resolve) are
//! taken on rows read under the donor's lock.

#[allow(unused_imports)]
use super::*;

impl App {
    /// The blood group history of a resolved donor and what it says.
    pub(crate) async fn blood_group_view(&self, r: &ResolvedDonor) -> Result<BloodGroupView> {
        let dets = self.store.determinations_of(&r.family).await?;
        let res = self.store.resolutions_of(&r.family).await?;
        Ok(blood_group_from(&r.donor, &dets, &res, &self.family_numbers(r)))
    }

    fn family_numbers(&self, r: &ResolvedDonor) -> std::collections::HashMap<Uuid, String> {
        let mut m: std::collections::HashMap<Uuid, String> = r.merges.iter().map(|(m, n)| (m.duplicate_id, n.clone())).collect();
        m.insert(r.donor.id, r.donor.donor_number.clone());
        m
    }

    pub(crate) async fn attributes_view(&self, r: &ResolvedDonor) -> Result<AttributesView> {
        let rows = self.store.attribute_results_of(&r.family).await?;
        Ok(attributes_from(&rows, &self.family_numbers(r)))
    }

    /// True when the donor's blood group history holds an unresolved discrepancy; the
    /// release of the donor's units must check this.
    pub async fn blood_group_discrepancy(&self, donor_number: &str) -> Result<bool> {
        let r = self.resolve_donor(donor_number).await?;
        Ok(self.blood_group_view(&r).await?.discrepancy)
    }

    /// Records a blood group determination. The first one sets the donor's historical
    /// group; a later one that disagrees raises the discrepancy flag.
    pub async fn record_blood_group(&self, actor: &Actor, number: &str, input: &BloodGroupInput) -> Result<BloodGroupView> {
        actor.require(Permission::RecordTyping)?;
        let mut e = FieldErrors::default();
        let group = e.take(parse_group(&input.abo, &input.rhd));
        let (on, source, din) = result_origin(&mut e, &input.determined_on, &input.source, &input.din, self.today());
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let (group, on, source) = (group.expect("checked"), on.expect("checked"), source.expect("checked"));
        let mut tx = self.store.begin_write().await?;
        let (r, before) = locked_blood_group(&mut tx, number).await?;
        let row = DeterminationRow {
            id: Uuid::now_v7(),
            donor_id: r.donor.id,
            group: store::Group(group),
            determined_on: on,
            source,
            din,
            entered_by: actor.username.clone(),
            entered_at: store::now(),
        };
        tx.insert_determinations(std::slice::from_ref(&row)).await?;
        // The first determination sets the group; decided on the history read under the lock.
        if before.group.is_none() {
            tx.set_donor_group(r.donor.id, row.group.0).await?;
        }
        tx.append_audit(
            AuditDraft::new(&actor.username, "donor.blood_group", "donor", &r.donor.donor_number)
                .donor(&r.donor.donor_number)
                .before(serde_json::json!({"group": before.group, "status": before.status}))
                .after(serde_json::json!({"determination": {"group": group.to_string(), "determined_on": on, "source": row.source, "din": row.din}})),
        )
        .await?;
        tx.commit().await?;
        let r = self.resolve_donor(number).await?;
        self.blood_group_view(&r).await
    }

    /// Quality states the correct group after a discrepancy, with the grounds. The flag
    /// clears; every determination stays in the history.
    pub async fn resolve_blood_group(&self, actor: &Actor, number: &str, input: &ResolutionInput) -> Result<BloodGroupView> {
        actor.require(Permission::ResolveBloodGroups)?;
        let mut e = FieldErrors::default();
        let group = e.take(parse_group(&input.abo, &input.rhd));
        let reason = input.reason.trim().to_string();
        if reason.is_empty() {
            e.0.push(FieldError::new("reason", "say how the correct group was established"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let group = group.expect("checked");
        let mut tx = self.store.begin_write().await?;
        let (r, before) = locked_blood_group(&mut tx, number).await?;
        if !before.discrepancy {
            return Err(AppError::Conflict(format!("donor {} has no blood group discrepancy to resolve", r.donor.donor_number)));
        }
        // Separation of duties: whoever recorded a determination of this discrepancy
        // (one entered since the last resolution) does not resolve it.
        let since = before.resolutions.iter().map(|x| x.resolved_at).max();
        if let Some(own) = before.determinations.iter().find(|d| d.entered_by == actor.username && since.is_none_or(|s| d.entered_at > s)) {
            return Err(AppError::Forbidden(format!(
                "you recorded the {} determination of {} in this discrepancy; another person must resolve it",
                own.group,
                own.entered_at.format("%Y-%m-%d")
            )));
        }
        let row = ResolutionRow {
            id: Uuid::now_v7(),
            donor_id: r.donor.id,
            group: store::Group(group),
            reason: reason.clone(),
            resolved_by: actor.username.clone(),
            resolved_at: store::now(),
        };
        tx.insert_resolution(&row).await?;
        tx.set_donor_group(r.donor.id, row.group.0).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "donor.blood_group_resolve", "donor", &r.donor.donor_number)
                .donor(&r.donor.donor_number)
                .before(serde_json::json!({"group": before.group, "status": before.status}))
                .after(serde_json::json!({"group": group.to_string()}))
                .reason(Some(reason)),
        )
        .await?;
        tx.commit().await?;
        let r = self.resolve_donor(number).await?;
        self.blood_group_view(&r).await
    }

    /// Records special attribute results (antigens, CMV, HbS, IgA, HLA); each becomes
    /// the current value of its attribute, and the earlier ones stay in the history.
    pub async fn record_attributes(&self, actor: &Actor, number: &str, input: &AttributesInput) -> Result<AttributesView> {
        actor.require(Permission::RecordTyping)?;
        let mut e = FieldErrors::default();
        let mut values: Vec<(String, String)> = Vec::new();
        let given = |o: &Option<String>| o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        if let Some(a) = given(&input.antigens) {
            if let Some(list) = e.take(parse_antigens("antigens", &a)) {
                values.extend(list.into_iter().map(|r| (format!("antigen:{}", r.antigen), r.sign().to_string())));
            }
        }
        for (attr, raw) in [(Attribute::Cmv, &input.cmv), (Attribute::Hbs, &input.hbs), (Attribute::Iga, &input.iga)] {
            if let Some(s) = given(raw) {
                let field = match attr {
                    Attribute::Cmv => "cmv",
                    Attribute::Hbs => "hbs",
                    Attribute::Iga => "iga",
                };
                if let Some(v) = e.take(attr.parse_value(field, &s)) {
                    values.push((attr.key().into(), v.into()));
                }
            }
        }
        if let Some(h) = given(&input.hla) {
            if let Some(v) = e.take(check_hla("hla", &h)) {
                values.push(("hla".into(), v));
            }
        }
        let (on, source, din) = result_origin(&mut e, &input.determined_on, &input.source, &input.din, self.today());
        if e.is_empty() && values.is_empty() {
            e.0.push(FieldError::new("attributes", "give at least one result: antigens, cmv, hbs, iga or hla"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let (on, source) = (on.expect("checked"), source.expect("checked"));
        self.refuse_merged(number).await?;
        let r = self.resolve_donor(number).await?;
        let at = store::now();
        let rows: Vec<AttributeResultRow> = values
            .iter()
            .map(|(a, v)| AttributeResultRow {
                id: Uuid::now_v7(),
                donor_id: r.donor.id,
                attribute: a.clone(),
                value: v.clone(),
                determined_on: on,
                source: source.clone(),
                din: din.clone(),
                entered_by: actor.username.clone(),
                entered_at: at,
            })
            .collect();
        let mut tx = self.store.begin_write().await?;
        tx.insert_attribute_results(&rows).await?;
        let recorded: serde_json::Map<String, serde_json::Value> = values.iter().map(|(a, v)| (a.clone(), serde_json::json!(v))).collect();
        tx.append_audit(
            AuditDraft::new(&actor.username, "donor.attributes", "donor", &r.donor.donor_number)
                .donor(&r.donor.donor_number)
                .after(serde_json::json!({"results": recorded, "determined_on": on, "source": source, "din": din})),
        )
        .await?;
        tx.commit().await?;
        self.attributes_view(&r).await
    }
}

/// The attributes view of one donor family from its results (oldest first).
pub(crate) fn attributes_from(rows: &[AttributeResultRow], numbers: &std::collections::HashMap<Uuid, String>) -> AttributesView {
    let mut v = AttributesView::default();
    // Rows come oldest first: the last one of each attribute is its current value.
    for x in rows {
        match x.attribute.as_str() {
            "cmv" => v.cmv = Some(x.value.clone()),
            "hbs" => v.hbs = Some(x.value.clone()),
            "iga" => v.iga = Some(x.value.clone()),
            "hla" => v.hla = Some(x.value.clone()),
            a => {
                if let Some(name) = a.strip_prefix("antigen:") {
                    match v.antigens.iter_mut().find(|g| g.antigen == name) {
                        Some(g) => g.result = x.value.clone(),
                        None => v.antigens.push(AntigenValue { antigen: name.into(), result: x.value.clone() }),
                    }
                }
            }
        }
    }
    v.antigens.sort_by_key(|a| ANTIGENS.iter().position(|n| *n == a.antigen).unwrap_or(usize::MAX));
    v.history = rows
        .iter()
        .rev()
        .map(|x| AttributeResultView {
            donor_number: numbers.get(&x.donor_id).cloned().unwrap_or_default(),
            attribute: x.attribute.clone(),
            value: x.value.clone(),
            determined_on: x.determined_on,
            source: x.source.clone(),
            din: x.din.clone(),
            entered_by: x.entered_by.clone(),
            entered_at: x.entered_at,
        })
        .collect();
    v
}

/// The historical group of a donor family and its status: `donor` is the surviving
/// record, `dets` and `res` the family's determinations and resolutions.
pub(crate) fn assessed_group(donor: &DonorRow, dets: &[DeterminationRow], res: &[ResolutionRow]) -> (Option<BloodGroup>, BloodGroupStatus) {
    // Determinations and resolutions in the order they were entered.
    let mut events: Vec<(DateTime<Utc>, GroupEvent)> = Vec::new();
    for d in dets {
        events.push((d.entered_at, GroupEvent::Determination(d.group.0)));
    }
    for x in res {
        events.push((x.resolved_at, GroupEvent::Resolution(x.group.0)));
    }
    events.sort_by_key(|(at, _)| *at);
    let evs: Vec<GroupEvent> = events.into_iter().map(|(_, e)| e).collect();
    assess_blood_group(donor.group.0, &evs)
}

/// The blood group view of one donor family: `donor` is the surviving record,
/// `dets` and `res` the family's determinations and resolutions in entry order.
pub(crate) fn blood_group_from(
    donor: &DonorRow,
    dets: &[DeterminationRow],
    res: &[ResolutionRow],
    numbers: &std::collections::HashMap<Uuid, String>,
) -> BloodGroupView {
    let (group, status) = assessed_group(donor, dets, res);
    BloodGroupView {
        group: group.map(|g| g.to_string()),
        status,
        discrepancy: status == BloodGroupStatus::Discrepancy,
        determinations: dets
            .iter()
            .rev()
            .map(|d| DeterminationView {
                donor_number: numbers.get(&d.donor_id).cloned().unwrap_or_default(),
                group: d.group.0.to_string(),
                determined_on: d.determined_on,
                source: d.source.clone(),
                din: d.din.clone(),
                entered_by: d.entered_by.clone(),
                entered_at: d.entered_at,
                discordant: group.map(|g| g.to_string()) != Some(d.group.0.to_string()),
            })
            .collect(),
        resolutions: res
            .iter()
            .rev()
            .map(|x| ResolutionView {
                group: x.group.0.to_string(),
                reason: x.reason.clone(),
                resolved_by: x.resolved_by.clone(),
                resolved_at: x.resolved_at,
            })
            .collect(),
    }
}

/// Records the ABO/RhD typing of a donation as a determination in the donor's blood
/// group history (the donor's rows are locked by the caller). The first determination
/// sets the donor's group; one that disagrees raises the discrepancy, which holds the
/// donor's units at the release gate until quality resolves it.
pub(crate) async fn record_donation_typing(
    tx: &mut store::WriteTx,
    locked: &store::LockedDonor,
    group: BloodGroup,
    on: chrono::NaiveDate,
    din: &str,
    by: &str,
) -> Result<()> {
    let dets = tx.determinations_of(&locked.family).await?;
    let row = DeterminationRow {
        id: Uuid::now_v7(),
        donor_id: locked.donor.id,
        group: store::Group(group),
        determined_on: on,
        source: "lab".into(),
        din: Some(din.to_string()),
        entered_by: by.to_string(),
        entered_at: store::now(),
    };
    tx.insert_determinations(std::slice::from_ref(&row)).await?;
    if dets.is_empty() && locked.donor.group.0.is_none() {
        tx.set_donor_group(locked.donor.id, group).await?;
    }
    Ok(())
}

/// The donor's family with its rows locked, and its blood group as the rows read
/// under the lock say. Refuses a number merged into another record.
async fn locked_blood_group(tx: &mut store::WriteTx, number: &str) -> Result<(store::LockedDonor, BloodGroupView)> {
    let locked = tx.lock_donor_family(store::DonorKey::Number(number.trim())).await?.ok_or_else(|| not_found(number))?;
    if locked.is_merged_away() {
        let to = &locked.donor.donor_number;
        return Err(AppError::Conflict(format!("donor {} was merged into {to}; use {to} instead", locked.asked.donor_number)));
    }
    let dets = tx.determinations_of(&locked.family).await?;
    let res = tx.resolutions_of(&locked.family).await?;
    let numbers: std::collections::HashMap<Uuid, String> =
        tx.donors_by_ids(&locked.family).await?.into_iter().map(|d| (d.id, d.donor_number)).collect();
    let view = blood_group_from(&locked.donor, &dets, &res, &numbers);
    Ok((locked, view))
}
