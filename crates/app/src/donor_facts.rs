//! What the eligibility engine needs from a donor's record: the donation history and
//! the register entries in force, each donation dated by its site's clock.
//!
//! A donation's day is the local day of the site where it was collected (instants are
//! stored in UTC); a donation with no site (imported history) takes the facility's day.
//! A visit's "today" is its site's day too, so the history and the visit never read
//! two different calendars.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::eligibility::{DeferralEntry, DeferralKind, PastDonation};
use domain::DonationProcedure;
use std::collections::HashMap;
use store::{DeferralRow, DonationRow};
use uuid::Uuid;

/// The clock of each site and of the facility.
#[derive(Debug, Clone)]
pub(crate) struct SiteClocks {
    facility: Tz,
    sites: HashMap<Uuid, Tz>,
}

impl SiteClocks {
    pub(crate) fn new(facility: Tz, sites: &[domain::Site]) -> Self {
        Self { facility, sites: sites.iter().map(|s| (s.id, s.fields.time_zone.tz())).collect() }
    }

    pub(crate) fn zone_of(&self, site: Option<Uuid>) -> Tz {
        site.and_then(|id| self.sites.get(&id).copied()).unwrap_or(self.facility)
    }

    /// The local day at `site` of an instant.
    pub(crate) fn day_at(&self, site: Option<Uuid>, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone_of(site)).date_naive()
    }

    /// The day a donation was given, on its site's calendar.
    pub(crate) fn donation_day(&self, d: &DonationRow) -> NaiveDate {
        self.day_at(d.site_id, d.collected_at)
    }
}

/// Donations given on or before `today`, as the engine reads them.
pub(crate) fn history(donations: &[DonationRow], clocks: &SiteClocks, today: NaiveDate) -> Vec<PastDonation> {
    donations.iter().map(|d| PastDonation { procedure: d.procedure, date: clocks.donation_day(d) }).filter(|p| p.date <= today).collect()
}

/// The register entry as the engine reads it, if it still counts (not reentered, not
/// marked as entered in error).
pub(crate) fn register_entry(d: &DeferralRow) -> Option<DeferralEntry> {
    if !d.in_force() {
        return None;
    }
    match d.kind {
        DeferralKind::Temporary => d.until.map(|until| DeferralEntry::Temporary { until }),
        DeferralKind::Indefinite => Some(DeferralEntry::Indefinite {}),
        DeferralKind::Permanent => Some(DeferralEntry::Permanent {}),
    }
}

/// Register entries that have started by `today`.
pub(crate) fn register(deferrals: &[DeferralRow], today: NaiveDate) -> Vec<DeferralEntry> {
    deferrals.iter().filter(|d| has_started(d, today)).filter_map(register_entry).collect()
}

/// An entry counts from its first day on the visit's calendar, and in any case from the
/// moment it was entered when its first day had already begun somewhere on Earth then
/// (UTC+14): an entry made "today" on the facility's calendar is not put off by a site
/// west of the facility whose calendar still shows yesterday. Erring this way defers.
fn has_started(d: &DeferralRow, today: NaiveDate) -> bool {
    d.starts_on <= today || d.starts_on <= (d.entered_at + chrono::Duration::hours(14)).date_naive()
}

/// The engine's outlook on `today` for one procedure, before any measurement: when the
/// donor may next give and what stands in the way until then.
pub(crate) fn outlook(
    rules: &domain::eligibility::RuleBook,
    sex: domain::Sex,
    birth_date: NaiveDate,
    history: &[PastDonation],
    register: &[DeferralEntry],
    today: NaiveDate,
    procedure: DonationProcedure,
) -> Result<domain::eligibility::Decision, domain::eligibility::CaseError> {
    let case = domain::eligibility::EligibilityCase {
        date: today,
        procedure,
        donor: domain::eligibility::DonorFacts { sex, birth_date, weight_kg: None, height_cm: None },
        screening: Default::default(),
        history: history.to_vec(),
        medications: vec![],
        events: vec![],
        deferrals: register.to_vec(),
    };
    let mut d = domain::eligibility::evaluate(rules, &case)?;
    // Measurements are taken at the visit; they are not obstacles yet.
    d.reasons.retain(|r| !r.code.ends_with("_NOT_MEASURED"));
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn donation(site: Option<Uuid>, at: DateTime<Utc>) -> DonationRow {
        DonationRow {
            id: Uuid::now_v7(),
            donor_id: Uuid::nil(),
            din: None,
            procedure: DonationProcedure::WholeBlood,
            site_id: site,
            collected_at: at,
        }
    }

    #[test]
    fn an_evening_donation_west_of_the_facility_keeps_its_sites_day() {
        let site = Uuid::now_v7();
        let clocks = SiteClocks { facility: chrono_tz::America::Chicago, sites: HashMap::from([(site, chrono_tz::America::Los_Angeles)]) };
        // 23:30 in Los Angeles on 3 December is already 4 December in Chicago.
        let at = chrono_tz::America::Los_Angeles.with_ymd_and_hms(2026, 12, 3, 23, 30, 0).unwrap().with_timezone(&Utc);
        let d = donation(Some(site), at);
        let dec3 = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(clocks.donation_day(&d), dec3);
        assert_eq!(history(std::slice::from_ref(&d), &clocks, dec3).len(), 1, "the donation is in the history of the same evening");
        // Without a site the facility's calendar applies.
        let imported = donation(None, at);
        assert_eq!(clocks.donation_day(&imported), dec3.succ_opt().unwrap());
    }

    #[test]
    fn an_entry_made_today_counts_at_a_site_still_on_yesterday() {
        let entered = Utc.with_ymd_and_hms(2026, 12, 5, 0, 30, 0).unwrap();
        let dec5 = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let d = DeferralRow::entered(Uuid::nil(), DeferralKind::Permanent, "X", "x", dec5, None, entered, "quality");
        // 18:30 on 4 December in Chicago: the entry's first day has begun elsewhere.
        assert_eq!(register(std::slice::from_ref(&d), dec5.pred_opt().unwrap()), vec![DeferralEntry::Permanent {}]);
        // A deferral planned to start next month does not count yet.
        let later = DeferralRow::entered(Uuid::nil(), DeferralKind::Permanent, "X", "x", dec5 + chrono::Duration::days(30), None, entered, "quality");
        assert!(register(&[later], dec5).is_empty());
    }

    #[test]
    fn corrected_and_reentered_entries_do_not_count() {
        let on = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let mut d = DeferralRow::entered(Uuid::nil(), DeferralKind::Permanent, "X", "x", on, None, Utc::now(), "quality");
        assert_eq!(register(&[d.clone()], on), vec![DeferralEntry::Permanent {}]);
        d.corrected_at = Some(Utc::now());
        assert!(register(&[d.clone()], on).is_empty());
        d.corrected_at = None;
        d.reentered_at = Some(Utc::now());
        assert!(register(&[d], on).is_empty());
    }
}
