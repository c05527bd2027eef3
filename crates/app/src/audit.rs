//! Reading and verifying the audit trail.

use crate::{Actor, App, Result};
use domain::{ChainBreak, Permission};
use store::{AuditFilter, AuditPage};

impl App {
    pub async fn audit_page(&self, actor: &Actor, filter: &AuditFilter, page: i64, per_page: i64) -> Result<AuditPage> {
        actor.require(Permission::ViewAudit)?;
        let per_page = per_page.clamp(1, 500);
        let page = page.max(1);
        Ok(self.store.audit_page(filter, per_page, (page - 1) * per_page).await?)
    }

    /// Walks the whole chain: the number of intact records, or the first break.
    pub async fn verify_audit(&self) -> Result<std::result::Result<i64, ChainBreak>> {
        Ok(self.store.verify_audit_chain().await?)
    }
}
