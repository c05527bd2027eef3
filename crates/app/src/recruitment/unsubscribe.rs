//! A donor's unsubscribe link: withdrawing consent to email is a change of the
//! donor's details, kept as a donor version like any edit.

use super::hash_token;
use crate::{App, AppError, Result};
use domain::AuditDraft;
use serde::Serialize;
use store::{DonorRow, WriteTx};

/// What a donor sees when following an unsubscribe link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnsubscribeView {
    pub first_name: String,
    pub already: bool,
}

/// Who records the donor's own withdrawal in versions and the audit trail.
const BY_LINK: &str = "donor:unsubscribe-link";

fn invalid() -> AppError {
    AppError::NotFound("this unsubscribe link is not valid".into())
}

/// The record a contact's donor lives on now: the contact's own, or the one it was merged into.
async fn current_record(tx: &mut WriteTx, donor_id: uuid::Uuid) -> Result<DonorRow> {
    let mut id = donor_id;
    for _ in 0..1000 {
        match tx.merge_of(id).await? {
            Some(m) => id = m.survivor_id,
            None => break,
        }
    }
    tx.donor_by_id(id).await?.ok_or_else(invalid)
}

impl App {
    /// Who an unsubscribe link belongs to (the link itself is the credential).
    pub async fn unsubscribe_info(&self, token: &str) -> Result<UnsubscribeView> {
        let c = self.store.contact_by_unsubscribe_hash(&hash_token(token.trim())).await?.ok_or_else(invalid)?;
        let mut id = c.donor_id;
        for _ in 0..1000 {
            match self.store.merge_of(id).await? {
                Some(m) => id = m.survivor_id,
                None => break,
            }
        }
        let donor = self.store.donor_by_id(id).await?.ok_or_else(invalid)?;
        let consent = self.store.donor_contact(donor.id).await?;
        Ok(UnsubscribeView { first_name: donor.first_name, already: !consent.consent_email })
    }

    /// Withdraws the donor's consent to email (on the surviving record when the
    /// contacted one was merged since): a new donor version and an audit record, as
    /// the donor's own act.
    pub async fn unsubscribe(&self, token: &str) -> Result<UnsubscribeView> {
        let mut tx = self.store.begin_write().await?;
        let c = tx.contact_by_unsubscribe_hash(&hash_token(token.trim())).await?.ok_or_else(invalid)?;
        let first = current_record(&mut tx, c.donor_id).await?;
        tx.lock_donor(first.id).await?;
        let donor = tx.donor_by_id(first.id).await?.ok_or_else(invalid)?;
        let contact = tx.donor_contact(donor.id).await?;
        let already = !contact.consent_email;
        if !already {
            let at = store::now();
            let before = self.details_of(&donor, &contact).await?;
            let after = self.details_of(&donor, &store::DonorContact { consent_email: false, ..contact.clone() }).await?;
            let reason = format!("withdrew consent to email through the unsubscribe link of campaign {}", c.campaign_id);
            tx.unsubscribe(c.id, donor.id, at).await?;
            let v = crate::registry::record_donor_version(&mut tx, &donor, &before, &after, at, BY_LINK, &reason).await?;
            tx.append_audit(
                AuditDraft::new(BY_LINK, "donor.consent_withdrawn", "donor", &donor.donor_number)
                    .donor(&donor.donor_number)
                    .before(serde_json::json!({"consent_email": true}))
                    .after(serde_json::json!({"consent_email": false, "version": v.version}))
                    .reason(Some(reason)),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(UnsubscribeView { first_name: donor.first_name, already })
    }
}
