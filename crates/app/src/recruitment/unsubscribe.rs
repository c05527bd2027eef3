//! A donor's unsubscribe link.

use super::hash_token;
use crate::{App, AppError, Result};
use domain::AuditDraft;
use serde::Serialize;

/// What a donor sees when following an unsubscribe link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnsubscribeView {
    pub first_name: String,
    pub already: bool,
}

impl App {
    /// Who an unsubscribe link belongs to (the link itself is the credential).
    pub async fn unsubscribe_info(&self, token: &str) -> Result<UnsubscribeView> {
        let c = self
            .store
            .contact_by_unsubscribe_hash(&hash_token(token.trim()))
            .await?
            .ok_or_else(|| AppError::NotFound("this unsubscribe link is not valid".into()))?;
        let pool = self.store.pool_donors().await?;
        let d = pool.iter().find(|d| d.id == c.donor_id).ok_or_else(|| AppError::NotFound("this unsubscribe link is not valid".into()))?;
        Ok(UnsubscribeView { first_name: d.first_name.clone(), already: !d.consent_email })
    }

    /// Withdraws the donor's consent to email (audited as the donor's own act).
    pub async fn unsubscribe(&self, token: &str) -> Result<UnsubscribeView> {
        let mut tx = self.store.begin_write().await?;
        let c = tx
            .contact_by_unsubscribe_hash(&hash_token(token.trim()))
            .await?
            .ok_or_else(|| AppError::NotFound("this unsubscribe link is not valid".into()))?;
        let info = self.unsubscribe_info(token).await?;
        let donor = self.store.pool_donors().await?.into_iter().find(|d| d.id == c.donor_id).expect("found above");
        if !info.already {
            tx.unsubscribe(c.id, c.donor_id, store::now()).await?;
            tx.append_audit(
                AuditDraft::new("donor:unsubscribe-link", "donor.consent_withdrawn", "donor", &donor.donor_number)
                    .before(serde_json::json!({"consent_email": true}))
                    .after(serde_json::json!({"consent_email": false}))
                    .reason(Some(format!("unsubscribe link of campaign {}", c.campaign_id))),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(UnsubscribeView { first_name: info.first_name, already: info.already })
    }
}
