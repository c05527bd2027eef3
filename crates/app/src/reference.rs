//! Sites and hospital accounts. Edits never overwrite: each is a new version with who,
//! when and why, and the audit record keeps the before and after values.

use crate::{Actor, App, AppError, Result};
use domain::{AuditDraft, FieldError, HospitalAccount, HospitalInput, Permission, Site, SiteInput};
use store::{VersionInfo, VersionStamp};
use uuid::Uuid;

fn stamp(actor: &Actor, reason: Option<String>) -> VersionStamp {
    VersionStamp { at: store::now(), by: actor.username.clone(), reason: reason.filter(|r| !r.trim().is_empty()) }
}

fn require_reason(reason: &Option<String>) -> Result<()> {
    match reason.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => Ok(()),
        _ => Err(FieldError::new("reason", "say why this record is being changed").into()),
    }
}

impl App {
    pub async fn list_sites(&self, actor: &Actor) -> Result<Vec<Site>> {
        actor.require(Permission::ViewSites)?;
        Ok(self.store.list_sites().await?)
    }

    pub async fn site(&self, actor: &Actor, id: Uuid) -> Result<(Site, Vec<VersionInfo>)> {
        actor.require(Permission::ViewSites)?;
        let site = self.store.site(id).await?.ok_or_else(|| AppError::NotFound(format!("no site has the id {id}")))?;
        Ok((site, self.store.site_history(id).await?))
    }

    pub async fn create_site(&self, actor: &Actor, input: &SiteInput) -> Result<Site> {
        actor.require(Permission::ManageSites)?;
        let fields = input.validate()?;
        let mut tx = self.store.begin_write().await?;
        if tx.site_by_code(fields.code.as_str()).await?.is_some() {
            return Err(AppError::Conflict(format!("a site with the code '{}' already exists", fields.code.as_str())));
        }
        let site = tx.insert_site(Uuid::now_v7(), &fields, &stamp(actor, None)).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "site.create", "site", site.id).after(&site)).await?;
        tx.commit().await?;
        Ok(site)
    }

    /// Records a corrected version of a site. The code is the site's identity and stays.
    pub async fn update_site(&self, actor: &Actor, id: Uuid, input: &SiteInput, reason: Option<String>) -> Result<Site> {
        actor.require(Permission::ManageSites)?;
        let fields = input.validate()?;
        require_reason(&reason)?;
        let mut tx = self.store.begin_write().await?;
        let current = tx.site(id).await?.ok_or_else(|| AppError::NotFound(format!("no site has the id {id}")))?;
        if current.fields.code != fields.code {
            return Err(FieldError::new("code", format!("a site's code cannot change (it is '{}')", current.fields.code.as_str())).into());
        }
        if current.fields == fields {
            return Err(AppError::Conflict("nothing changed: the new version would equal the current one".into()));
        }
        let updated = tx.add_site_version(&current, &fields, &stamp(actor, reason.clone())).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "site.update", "site", id).before(&current).after(&updated).reason(reason)).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Every hospital for staff who may see them; only their own for a hospital user.
    pub async fn list_hospitals(&self, actor: &Actor) -> Result<Vec<HospitalAccount>> {
        if actor.can(Permission::ViewHospitals) {
            return Ok(self.store.list_hospitals().await?);
        }
        actor.require(Permission::ViewOwnHospital)?;
        let own = match actor.hospital_id {
            Some(id) => self.store.hospital(id).await?,
            None => None,
        };
        Ok(own.into_iter().collect())
    }

    /// A hospital user asking for another hospital gets "not found", never a hint
    /// that the account exists.
    pub async fn hospital(&self, actor: &Actor, id: Uuid) -> Result<(HospitalAccount, Vec<VersionInfo>)> {
        let not_found = || AppError::NotFound(format!("no hospital account has the id {id}"));
        if !actor.can(Permission::ViewHospitals) {
            actor.require(Permission::ViewOwnHospital)?;
            if actor.hospital_id != Some(id) {
                return Err(not_found());
            }
        }
        let h = self.store.hospital(id).await?.ok_or_else(not_found)?;
        Ok((h, self.store.hospital_history(id).await?))
    }

    pub async fn create_hospital(&self, actor: &Actor, input: &HospitalInput) -> Result<HospitalAccount> {
        actor.require(Permission::ManageHospitals)?;
        let fields = input.validate()?;
        let mut tx = self.store.begin_write().await?;
        if let Some(code) = &fields.delivery_site {
            if tx.site_by_code(code).await?.is_none() {
                return Err(FieldError::new("delivery_site", format!("no site has the code '{code}'")).into());
            }
        }
        if tx.hospital_by_code(fields.code.as_str()).await?.is_some() {
            return Err(AppError::Conflict(format!("a hospital account with the code '{}' already exists", fields.code.as_str())));
        }
        let h = tx.insert_hospital(Uuid::now_v7(), &fields, &stamp(actor, None)).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "hospital.create", "hospital", h.id).after(&h)).await?;
        tx.commit().await?;
        Ok(h)
    }

    pub async fn update_hospital(&self, actor: &Actor, id: Uuid, input: &HospitalInput, reason: Option<String>) -> Result<HospitalAccount> {
        actor.require(Permission::ManageHospitals)?;
        let fields = input.validate()?;
        require_reason(&reason)?;
        let mut tx = self.store.begin_write().await?;
        let current = tx.hospital(id).await?.ok_or_else(|| AppError::NotFound(format!("no hospital account has the id {id}")))?;
        if current.fields.code != fields.code {
            return Err(FieldError::new("code", format!("an account's code cannot change (it is '{}')", current.fields.code.as_str())).into());
        }
        if let Some(code) = &fields.delivery_site {
            if tx.site_by_code(code).await?.is_none() {
                return Err(FieldError::new("delivery_site", format!("no site has the code '{code}'")).into());
            }
        }
        if current.fields == fields {
            return Err(AppError::Conflict("nothing changed: the new version would equal the current one".into()));
        }
        let updated = tx.add_hospital_version(&current, &fields, &stamp(actor, reason.clone())).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "hospital.update", "hospital", id).before(&current).after(&updated).reason(reason)).await?;
        tx.commit().await?;
        Ok(updated)
    }
}
