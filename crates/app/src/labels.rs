//! Unit labels: what goes on one, checked before anything is printed, and checking
//! a label scanned back against its unit.

use crate::{Actor, App, AppError, Result};
pub use domain::labeling::LabelValues;
use domain::labeling::{
    check_label_against_record, parse_blood_group, parse_date, parse_din, parse_expiry, parse_product, LabelDonation, LabelMismatch, LabelRecord,
};
use domain::typing::BloodGroupStatus;
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use serde::Deserialize;

/// A label request as typed or sent by a system.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelInput {
    /// `A999926123456`, `=A99992612345600` or `A9999 26 123456 [T]`.
    pub din: String,
    /// `O+`, `A NEG` or `=%5100`.
    pub blood_group: String,
    /// `E0398V00` (PDC, donation type, division).
    pub product_code: String,
    /// Local `YYYY-MM-DDTHH:MM`.
    pub expires_at: String,
    /// Local `YYYY-MM-DD`.
    #[serde(default)]
    pub collected_on: String,
}

impl App {
    /// Checks a label request and records the print. Every value must be valid ISBT
    /// 128, the product must be in this centre's catalog and the expiry must not have
    /// passed; and the label must agree with the record (see
    /// [`domain::labeling::check_label_against_record`]): a DIN this facility assigned
    /// and collected a donation with, the donor's confirmed group, the collection day of
    /// the donation, an expiry within the product's dating. Refused: every broken rule
    /// is named and nothing is written. Accepted: the print (who printed what, in which
    /// format) and its audit record are written in the transaction that read the record.
    pub async fn unit_label(&self, actor: &Actor, input: &LabelInput, format: &str) -> Result<LabelValues> {
        actor.require(Permission::PrintLabels)?;
        let values = label_values(&self.settings, input)?;
        let fin = self.settings.fin.clone().ok_or_else(|| {
            AppError::Conflict("this server has no facility identification number (FIN), so no DIN can be checked; an administrator sets it".into())
        })?;
        let tz = self.settings.time_zone;
        let din = values.din.din().to_string();
        let mut tx = self.store.begin_write().await?;
        let assigned = tx.din_assignment(&din).await?.is_some_and(|a| a.fin == fin);
        let donation = tx.donation_by_din(&din).await?;
        let mut donor = None;
        let mut record = LabelRecord { fin, assigned, donation: None, group: None, group_status: BloodGroupStatus::None };
        if let Some(d) = &donation {
            // The donor's rows are locked: a determination or resolution entered meanwhile waits.
            let locked = tx
                .lock_donor_family(store::DonorKey::Id(d.donor_id))
                .await?
                .ok_or_else(|| AppError::Store(store::StoreError::Corrupt(format!("donation {} has no donor", d.id))))?;
            let dets = tx.determinations_of(&locked.family).await?;
            let res = tx.resolutions_of(&locked.family).await?;
            (record.group, record.group_status) = crate::registry::typing::assessed_group(&locked.donor, &dets, &res);
            let clocks = crate::donor_facts::SiteClocks::new(tz, &tx.list_sites().await?);
            let facility = d.collected_at.with_timezone(&tz);
            record.donation = Some(LabelDonation {
                at: facility.naive_local(),
                site_day: clocks.donation_day(d),
                other_days: vec![facility.date_naive(), d.collected_at.date_naive()],
            });
            donor = Some(locked.donor);
        }
        let dating = self.settings.catalog.get(values.product.pdc().as_str()).and_then(|e| e.dating);
        let now = chrono::Utc::now().with_timezone(&tz).naive_local();
        let refusals = check_label_against_record(&values, &record, dating, now);
        if !refusals.is_empty() {
            return Err(AppError::Invalid(FieldErrors(refusals.into_iter().map(|r| FieldError::new(r.field, r.message)).collect())));
        }
        let donor = donor.expect("a label that passed has a donation");
        let print = store::LabelPrintRow {
            id: uuid::Uuid::now_v7(),
            din: din.clone(),
            product_code: values.product.content(),
            blood_group: values.blood_groups.encode(),
            expires_at: values.expiry.date_time().to_iso(),
            collected_on: values.collected.map(|c| format!("{:04}-{:02}-{:02}", c.year(), c.month(), c.day())),
            format: format.to_string(),
            donor_id: donor.id,
            printed_by: actor.username.clone(),
            printed_at: store::now(),
        };
        tx.insert_label_print(&print).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "label.print", "din", &din).donor(&donor.donor_number).after(serde_json::json!({
            "din": values.din.encode(), "blood_group": values.blood_groups.encode(),
            "product": values.product.encode(), "expiry": values.expiry.encode(), "format": format, "print": print.id,
        })))
        .await?;
        tx.commit().await?;
        Ok(values)
    }
}

/// A recent donation the lab may label, with what the record says.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LabelCandidate {
    pub din: String,
    pub donor_number: String,
    /// "O-"; empty when the donor has no group yet.
    pub blood_group: String,
    /// The registry confirmed the group (two agreeing determinations, no open discrepancy).
    pub confirmed: bool,
    /// The collection day on its site's calendar.
    pub collected_on: chrono::NaiveDate,
    pub procedure: String,
}

impl App {
    /// Donations with a DIN from the last 42 days (the longest red cell dating), newest
    /// first, each with its donor's group as the registry assesses it: what the Labels
    /// page offers to print from.
    pub async fn label_candidates(&self, actor: &Actor, limit: i64) -> Result<Vec<LabelCandidate>> {
        actor.require(Permission::PrintLabels)?;
        let since = chrono::Utc::now() - chrono::Duration::days(42);
        let donations = self.store.donations_with_din_since(since, limit).await?;
        let clocks = crate::donor_facts::SiteClocks::new(self.settings.time_zone, &self.store.list_sites().await?);
        let mut out = Vec::with_capacity(donations.len());
        for d in donations {
            let Some(asked) = self.store.donor_by_id(d.donor_id).await? else { continue };
            let r = self.resolve_donor(&asked.donor_number).await?;
            let dets = self.store.determinations_of(&r.family).await?;
            let res = self.store.resolutions_of(&r.family).await?;
            let (group, status) = crate::registry::typing::assessed_group(&r.donor, &dets, &res);
            out.push(LabelCandidate {
                din: d.din.clone().unwrap_or_default(),
                donor_number: r.donor.donor_number.clone(),
                blood_group: group.map(|g| g.to_string()).unwrap_or_default(),
                confirmed: status == BloodGroupStatus::Confirmed,
                collected_on: clocks.donation_day(&d),
                procedure: d.procedure.as_str().to_string(),
            });
        }
        Ok(out)
    }
}

/// The checks of [`App::unit_label`] that need no record: valid ISBT 128 values, a
/// product in the catalog, an expiry still ahead.
pub fn label_values(settings: &crate::Settings, input: &LabelInput) -> Result<LabelValues> {
    let mut e = FieldErrors::default();
    let din = e.take(parse_din("din", &input.din));
    let blood_groups = e.take(parse_blood_group("blood_group", &input.blood_group));
    let product = e.take(parse_product("product_code", &input.product_code));
    let expiry = e.take(parse_expiry("expires_at", &input.expires_at));
    let collected = if input.collected_on.trim().is_empty() { None } else { e.take(parse_date("collected_on", &input.collected_on)) };
    let entry = product.as_ref().and_then(|p| {
        let pdc = p.pdc().to_string();
        let found = settings.catalog.get(&pdc).cloned();
        if found.is_none() {
            e.0.push(FieldError::new("product_code", format!("product {pdc} is not in this centre's product catalog")));
        }
        found
    });
    if let Some(x) = &expiry {
        // ISBT 128 times are the facility's local time; ISO text compares in order.
        let now = chrono::Utc::now().with_timezone(&settings.time_zone).naive_local().format("%Y-%m-%dT%H:%M").to_string();
        if x.date_time().to_iso() < now {
            e.0.push(FieldError::new("expires_at", format!("the unit expired on {}; an expired unit is not labelled", x.date_time().human())));
        }
    }
    if !e.is_empty() {
        return Err(AppError::Invalid(e));
    }
    let entry = entry.expect("checked");
    Ok(LabelValues {
        facility: settings.facility_name.clone(),
        din: din.expect("checked"),
        blood_groups: blood_groups.expect("checked"),
        product: product.expect("checked"),
        expiry: expiry.expect("checked"),
        collected,
        description: entry.description.split('|').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
    })
}

impl App {
    /// Checks scans of a label against the unit's DIN and product code.
    pub fn verify_label(&self, actor: &Actor, din: &str, product_code: &str, scans: &[String]) -> Result<()> {
        actor.require(Permission::PrintLabels)?;
        let mut e = FieldErrors::default();
        let din = e.take(parse_din("din", din));
        let product = e.take(parse_product("product_code", product_code));
        if scans.iter().all(|s| s.trim().is_empty()) {
            e.0.push(FieldError::new("scans", "scan the label's DIN and product barcodes"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let scans: Vec<&str> = scans.iter().map(String::as_str).filter(|s| !s.trim().is_empty()).collect();
        domain::labeling::verify_label(&din.expect("checked"), &product.expect("checked"), &scans).map_err(|m| {
            let field = match m {
                LabelMismatch::WrongDin { .. } | LabelMismatch::NoDin => "din",
                LabelMismatch::WrongProduct { .. } | LabelMismatch::NoProduct => "product_code",
                LabelMismatch::Unreadable(_) => "scans",
            };
            AppError::Invalid(FieldErrors(vec![FieldError::new(field, m.to_string())]))
        })
    }
}
