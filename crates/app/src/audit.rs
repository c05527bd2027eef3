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

    /// The actions recorded in the trail, for the filter's list.
    pub async fn audit_actions(&self, actor: &Actor) -> Result<Vec<String>> {
        actor.require(Permission::ViewAudit)?;
        Ok(self.store.audit_actions().await?)
    }

    /// Every record matching the filter, newest first, in pages so that memory stays
    /// bounded by what the caller keeps. Stops after `limit` records.
    pub async fn audit_each(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        limit: i64,
        mut each: impl FnMut(&domain::AuditRecord) -> Result<()>,
    ) -> Result<i64> {
        actor.require(Permission::ViewAudit)?;
        const PAGE: i64 = 1_000;
        // Pin the end of the chain so that records written meanwhile do not shift pages.
        let filter = AuditFilter { max_seq: Some(self.store.audit_head().await?.0), ..filter.clone() };
        let mut done = 0;
        loop {
            let want = PAGE.min(limit - done);
            if want <= 0 {
                break;
            }
            let page = self.store.audit_page(&filter, want, done).await?;
            let n = page.records.len() as i64;
            for r in &page.records {
                each(r)?;
            }
            done += n;
            if n < want {
                break;
            }
        }
        Ok(done)
    }

    /// Walks the whole chain: the number of intact records, or the first break.
    pub async fn verify_audit(&self) -> Result<std::result::Result<i64, ChainBreak>> {
        Ok(self.store.verify_audit_chain().await?)
    }
}
