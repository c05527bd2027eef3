//! The deferred-donor register (21 CFR 606.160(e)): entries, reentry, and the
//! correction of an entry made in error. Nothing is edited: a reentry and a correction
//! are new records beside the entry, and the register keeps both.

use crate::donors::{parse_day, DeferralInput, DeferralView};
use crate::{Actor, App, AppError, Result};
use domain::eligibility::DeferralKind;
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use store::{DeferralRow, DonorKey};
use uuid::Uuid;

/// A register entry as entered, checked.
pub(crate) struct CheckedDeferral {
    pub kind: DeferralKind,
    pub code: String,
    pub reason: String,
    pub starts_on: chrono::NaiveDate,
    pub until: Option<chrono::NaiveDate>,
}

/// Checks a register entry typed by staff (every problem by field).
pub(crate) fn check_deferral(input: &DeferralInput, today: chrono::NaiveDate) -> Result<CheckedDeferral> {
    let mut e = FieldErrors::default();
    let kind = e.take(DeferralKind::parse(&input.kind));
    let code = input.reason_code.trim();
    if code.len() < 2 || code.len() > 32 || !code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
        e.0.push(FieldError::new("reason_code", "use 2 to 32 upper-case letters, digits or '_', e.g. LOW_HB"));
    }
    let reason = input.reason.trim();
    if reason.is_empty() {
        e.0.push(FieldError::new("reason", "say why the donor is deferred"));
    }
    let starts_on = match input.starts_on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => e.take(parse_day("starts_on", s)),
        None => Some(today),
    };
    let until = match input.until.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => e.take(parse_day("until", s)).map(Some),
        None => Some(None),
    };
    if let (Some(k), Some(start), Some(until)) = (&kind, starts_on, until) {
        match (k, until) {
            (DeferralKind::Temporary, None) => e.0.push(FieldError::new("until", "a temporary deferral needs the date the donor may give again")),
            (DeferralKind::Temporary, Some(u)) if u <= start => {
                e.0.push(FieldError::new("until", format!("{u} is not after the first day, {start}")))
            }
            (DeferralKind::Indefinite | DeferralKind::Permanent, Some(_)) => {
                e.0.push(FieldError::new("until", format!("an {} deferral has no end date", k.as_str())))
            }
            _ => {}
        }
    }
    if !e.is_empty() {
        return Err(AppError::Invalid(e));
    }
    Ok(CheckedDeferral {
        kind: kind.expect("checked"),
        code: code.to_string(),
        reason: reason.to_string(),
        starts_on: starts_on.expect("checked"),
        until: until.expect("checked"),
    })
}

impl App {
    /// Enters a donor in the register. The donor's rows are locked, so a collection in
    /// flight either comes before the entry or sees it.
    pub async fn defer_donor(&self, actor: &Actor, number: &str, input: &DeferralInput) -> Result<DeferralView> {
        actor.require(Permission::DeferDonors)?;
        let today = self.today();
        let checked = check_deferral(input, today)?;
        let mut tx = self.store.begin_write().await?;
        let locked = tx
            .lock_donor_family(DonorKey::Number(number.trim()))
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no donor has the number '{}'", number.trim())))?;
        if locked.is_merged_away() {
            let to = &locked.donor.donor_number;
            return Err(AppError::Conflict(format!("donor {} was merged into {to}; use {to} instead", locked.asked.donor_number)));
        }
        let donor = locked.donor;
        let row = DeferralRow::entered(
            donor.id,
            checked.kind,
            &checked.code,
            &checked.reason,
            checked.starts_on,
            checked.until,
            store::now(),
            &actor.username,
        );
        tx.insert_deferral(&row).await?;
        let view = DeferralView::of(&row, today);
        tx.append_audit(AuditDraft::new(&actor.username, "donor.defer", "deferral", row.id).donor(&donor.donor_number).after(&view)).await?;
        // A deferral that reaches back to a collection takes that donation's released
        // units out of available stock (post-donation information).
        for d in locked.donations.iter().filter(|d| d.collected_at.date_naive() >= checked.starts_on - chrono::Duration::days(1)) {
            crate::release::regate_donation(self, &mut tx, actor, d.id, &format!("donor deferred: {}", checked.reason)).await?;
        }
        tx.commit().await?;
        Ok(view)
    }

    /// Reenters an indefinitely deferred donor (after the follow-up the reason calls
    /// for). Permanent deferrals are never lifted; temporary ones end by themselves.
    pub async fn reenter_donor(&self, actor: &Actor, deferral_id: Uuid, reason: &str) -> Result<DeferralView> {
        actor.require(Permission::ReenterDonors)?;
        if reason.trim().is_empty() {
            return Err(FieldError::new("reason", "say on what grounds the donor is reentered").into());
        }
        let mut tx = self.store.begin_write().await?;
        let (d, number) = locked_deferral(&mut tx, deferral_id).await?;
        match d.kind {
            DeferralKind::Permanent => return Err(AppError::Conflict("a permanent deferral is never lifted".into())),
            DeferralKind::Temporary => return Err(AppError::Conflict("a temporary deferral ends by itself on its end date".into())),
            DeferralKind::Indefinite => {}
        }
        if d.reentered_at.is_some() {
            return Err(AppError::Conflict("the donor has already been reentered from this deferral".into()));
        }
        if d.corrected_at.is_some() {
            return Err(AppError::Conflict("this deferral was marked as entered in error; it no longer counts".into()));
        }
        let at = store::now();
        tx.insert_reentry(deferral_id, at, &actor.username, reason.trim()).await?;
        let after = DeferralRow {
            reentered_at: Some(at),
            reentered_by: Some(actor.username.clone()),
            reentry_reason: Some(reason.trim().into()),
            ..d.clone()
        };
        self.finish_register_change(tx, actor, "donor.reenter", &number, &d, &after, reason).await
    }

    /// Marks a register entry as entered in error (wrong donor, wrong code…). The entry
    /// stays on the register with the correction beside it, and counts for nothing from
    /// now on. Enter the right deferral, if any, as a new entry.
    pub async fn correct_deferral(&self, actor: &Actor, deferral_id: Uuid, reason: &str) -> Result<DeferralView> {
        actor.require(Permission::ReenterDonors)?;
        if reason.trim().is_empty() {
            return Err(FieldError::new("reason", "say what was wrong with the entry").into());
        }
        let mut tx = self.store.begin_write().await?;
        let (d, number) = locked_deferral(&mut tx, deferral_id).await?;
        if d.corrected_at.is_some() {
            return Err(AppError::Conflict("this deferral has already been marked as entered in error".into()));
        }
        let at = store::now();
        tx.insert_deferral_correction(deferral_id, at, &actor.username, reason.trim()).await?;
        let after = DeferralRow {
            corrected_at: Some(at),
            corrected_by: Some(actor.username.clone()),
            correction_reason: Some(reason.trim().into()),
            ..d.clone()
        };
        self.finish_register_change(tx, actor, "donor.deferral_correct", &number, &d, &after, reason).await
    }

    /// Audits a reentry or correction with the entry before and after, and commits.
    #[allow(clippy::too_many_arguments)]
    async fn finish_register_change(
        &self,
        mut tx: store::WriteTx,
        actor: &Actor,
        action: &str,
        number: &str,
        before: &DeferralRow,
        after: &DeferralRow,
        reason: &str,
    ) -> Result<DeferralView> {
        let today = self.today();
        let (before, after) = (DeferralView::of(before, today), DeferralView::of(after, today));
        tx.append_audit(
            AuditDraft::new(&actor.username, action, "deferral", after.id)
                .donor(number)
                .before(&before)
                .after(&after)
                .reason(Some(reason.trim().into())),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// The entry and its donor's number, with the donor's rows locked.
async fn locked_deferral(tx: &mut store::WriteTx, deferral_id: Uuid) -> Result<(DeferralRow, String)> {
    let not_found = || AppError::NotFound(format!("no deferral has the id {deferral_id}"));
    let d = tx.deferral(deferral_id).await?.ok_or_else(not_found)?;
    let locked = tx.lock_donor_family(DonorKey::Id(d.donor_id)).await?.ok_or_else(not_found)?;
    // Read again under the lock: a reentry or correction may have landed meanwhile.
    let d = locked.deferrals.into_iter().find(|x| x.id == deferral_id).ok_or_else(not_found)?;
    Ok((d, locked.donor.donor_number))
}
