//! Weekly opening hours of fixed sites and mobile drive sessions, kept as versions.

#[allow(unused_imports)]
use super::*;

impl App {
    // -------------------------------------------------------------- schedules

    pub async fn site_schedule(&self, actor: &Actor, site_ref: &str) -> Result<ScheduleView> {
        actor.require(Permission::ViewSites)?;
        let site = self.site_by_ref(site_ref).await?;
        let history = self.store.schedule_history(site.id).await?;
        let weekly = match history.last() {
            Some(row) => {
                let w = weekly_of(row)?;
                Some(WeeklyView {
                    version: row.version,
                    slot_minutes: w.capacity.slot_minutes,
                    chairs: w.capacity.chairs,
                    machines: w.capacity.machines,
                    hours: w
                        .hours
                        .iter()
                        .map(|h| HoursInput { day: domain::appointment::day_name(h.weekday).into(), opens: hhmm(h.opens), closes: hhmm(h.closes) })
                        .collect(),
                    hours_text: w.hours_text(),
                    entered_at: row.entered_at,
                    entered_by: row.entered_by.clone(),
                    reason: row.reason.clone(),
                })
            }
            None => None,
        };
        let today = local_date(&site, Utc::now());
        let drives = self
            .store
            .drives_between(Some(site.id), today, today + Duration::days(366))
            .await?
            .iter()
            .map(|d| DriveView {
                id: d.id,
                date: d.on_date,
                opens: hhmm(d.opens),
                closes: hhmm(d.closes),
                location: d.location.clone(),
                slot_minutes: d.slot_minutes as u32,
                chairs: d.chairs as u32,
                machines: d.machines as u32,
            })
            .collect();
        Ok(ScheduleView {
            site_id: site.id,
            site_code: site.fields.code.as_str().into(),
            site_name: site.fields.name.clone(),
            kind: site.fields.kind.as_str().into(),
            time_zone: site.fields.time_zone.as_str().into(),
            weekly,
            versions: history.len(),
            drives,
        })
    }

    /// Records a new version of a fixed site's weekly schedule (with its reason).
    pub async fn set_site_schedule(&self, actor: &Actor, site_ref: &str, input: &ScheduleInput) -> Result<ScheduleView> {
        actor.require(Permission::ManageSchedules)?;
        let site = self.site_by_ref(site_ref).await?;
        let (weekly, reason) = input.validate()?;
        if site.fields.kind != SiteKind::Fixed {
            return Err(FieldError::new("site", "a mobile site has no weekly hours; plan its drives instead").into());
        }
        let mut tx = self.store.begin_write().await?;
        let version = tx.next_schedule_version(site.id).await?;
        let row = ScheduleRow {
            id: Uuid::now_v7(),
            site_id: site.id,
            version,
            slot_minutes: weekly.capacity.slot_minutes.into(),
            chairs: weekly.capacity.chairs.into(),
            machines: weekly.capacity.machines.into(),
            hours: serde_json::to_string(&weekly.hours).expect("serialises"),
            entered_at: store::now(),
            entered_by: actor.username.clone(),
            reason: reason.clone(),
        };
        tx.insert_schedule(&row).await?;
        tx.append_audit(AuditDraft::new(&actor.username, "schedule.set", "site", site.id).after(&weekly).reason(Some(reason))).await?;
        tx.commit().await?;
        self.site_schedule(actor, &site.id.to_string()).await
    }

    /// Plans a mobile drive: a session of a mobile site on a date.
    pub async fn add_drive(&self, actor: &Actor, site_ref: &str, input: &DriveInput) -> Result<DriveView> {
        actor.require(Permission::ManageSchedules)?;
        let site = self.site_by_ref(site_ref).await?;
        let fields = input.validate(local_date(&site, Utc::now()))?;
        if site.fields.kind != SiteKind::Mobile {
            return Err(FieldError::new("site", "drives are held at mobile sites; a fixed site has weekly hours").into());
        }
        let row = DriveRow {
            id: Uuid::now_v7(),
            site_id: site.id,
            on_date: fields.date,
            opens: fields.opens,
            closes: fields.closes,
            location: fields.location.clone(),
            slot_minutes: fields.capacity.slot_minutes.into(),
            chairs: fields.capacity.chairs.into(),
            machines: fields.capacity.machines.into(),
            created_at: store::now(),
            created_by: actor.username.clone(),
        };
        let mut tx = self.store.begin_write().await?;
        tx.insert_drive(&row).await.map_err(|e| match e {
            StoreError::Duplicate { .. } => AppError::Conflict(format!("{} already has a drive on {}", site.fields.code.as_str(), fields.date)),
            e => e.into(),
        })?;
        tx.append_audit(AuditDraft::new(&actor.username, "drive.plan", "drive_session", row.id).after(&fields)).await?;
        tx.commit().await?;
        Ok(DriveView {
            id: row.id,
            date: row.on_date,
            opens: hhmm(row.opens),
            closes: hhmm(row.closes),
            location: row.location,
            slot_minutes: fields.capacity.slot_minutes,
            chairs: fields.capacity.chairs,
            machines: fields.capacity.machines,
        })
    }
}
