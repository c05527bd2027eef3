//! Unit labels: what goes on one, checked before anything is printed, and checking
//! a label scanned back against its unit.

use crate::{Actor, App, AppError, Result};
pub use domain::labeling::LabelValues;
use domain::labeling::{parse_blood_group, parse_date, parse_din, parse_expiry, parse_product, LabelMismatch};
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
    /// Checks a label request: every value must be valid ISBT 128, the product must be
    /// in this centre's catalog and the expiry must not have passed. The issue of the
    /// label is audited.
    pub async fn unit_label(&self, actor: &Actor, input: &LabelInput) -> Result<LabelValues> {
        actor.require(Permission::PrintLabels)?;
        let values = label_values(&self.settings, input)?;
        let mut tx = self.store.begin_write().await?;
        tx.append_audit(AuditDraft::new(&actor.username, "label.print", "din", values.din.din()).after(serde_json::json!({
            "din": values.din.encode(), "blood_group": values.blood_groups.encode(),
            "product": values.product.encode(), "expiry": values.expiry.encode(),
        })))
        .await?;
        tx.commit().await?;
        Ok(values)
    }
}

/// The checks of [`App::unit_label`] without authority or audit (the offline CLI).
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
