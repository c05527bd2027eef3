//! Dashboards: what each person must do now, per role. Every figure is the length of
//! a list a page shows (the worklists here, the day's appointments, the DINs of a
//! day…), read by the same function the page uses, so a count and the list it links
//! to always agree.
//!
//! "Today" is the site's local day for a site's figures and the facility's local
//! day otherwise; every time shown carries its zone.

use crate::donors::DonorSummary;
use crate::recruitment::{CampaignView, NeedView, ATTRIBUTION_DAYS};
use crate::users::ApiTokenView;
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::apheresis::request::RequestState;
use domain::{parse_day, FieldError, Permission, Role};
use serde::Serialize;
use std::collections::HashSet;
use store::{DinAssignment, DonorRow};
use uuid::Uuid;

/// API tokens expiring within this many days are flagged on the admin dashboard.
pub const TOKEN_WARNING_DAYS: i64 = 14;

/// Longer chains are not walked on every admin page load (it reads every record);
/// the dashboard then says to run `hemaflow audit verify`.
pub const AUDIT_CHECK_ON_PAGE: i64 = 25_000;

/// The order of sections for a person with several roles: hands-on daily work first.
const MAIN_WORK_FIRST: [Role; 11] = [
    Role::Collector,
    Role::Lab,
    Role::Quality,
    Role::Physician,
    Role::Recruiter,
    Role::Distribution,
    Role::Apheresis,
    Role::ApheresisNurse,
    Role::Sales,
    Role::Hospital,
    Role::Admin,
];

/// One number on a dashboard and the list it counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// Stable id for the page and tests, e.g. `quality-discrepancies`.
    pub key: String,
    pub label: String,
    pub value: i64,
    /// The list filtered to exactly these records.
    pub href: Option<String>,
}

impl Figure {
    fn new(key: impl Into<String>, label: impl Into<String>, value: usize, href: Option<String>) -> Self {
        Self { key: key.into(), label: label.into(), value: value as i64, href }
    }
}

/// A site's day for collection staff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteToday {
    pub site_id: Uuid,
    pub code: String,
    pub name: String,
    /// The site's local day.
    pub date: NaiveDate,
    /// The site's zone abbreviation (e.g. CST).
    pub zone: String,
    /// Opening hours today, when it takes donors.
    pub hours: Option<String>,
    /// Appointments today (not cancelled), screened today, waiting for collection.
    pub figures: Vec<Figure>,
}

/// What a signed-in person with one role must see now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub role: Role,
    pub title: String,
    /// One plain sentence on what this section is for.
    pub intro: String,
    pub figures: Vec<Figure>,
    /// Collection staff: each site with something on today.
    pub sites: Vec<SiteToday>,
    /// Recruiters: targets against expected collections.
    pub needs: Vec<NeedView>,
    /// Recruiters: campaigns sending or within their response window.
    pub campaigns: Vec<CampaignView>,
    /// Admin: the state of the audit chain.
    pub audit: Option<AuditChain>,
    /// Quick links (label, href).
    pub links: Vec<(String, String)>,
}

impl Section {
    fn new(role: Role, intro: &str) -> Self {
        Self {
            role,
            title: role.title().to_string(),
            intro: intro.to_string(),
            figures: vec![],
            sites: vec![],
            needs: vec![],
            campaigns: vec![],
            audit: None,
            links: vec![],
        }
    }
}

/// The audit chain as last checked (on this page load).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditChain {
    /// Records checked when intact.
    pub intact: Option<i64>,
    /// The first broken record and what is wrong with it.
    pub broken_at: Option<(i64, String)>,
    /// Records in the chain.
    pub records: i64,
    /// When it was checked, facility time with zone.
    pub checked_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// The facility's local day.
    pub today: NaiveDate,
    /// Now in the facility's time, with the zone ("2026-12-04 09:15 CST").
    pub now: String,
    /// Sections in order: the person's main work first.
    pub sections: Vec<Section>,
}

/// A DIN handed out, as the lab reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignedDinView {
    pub din: String,
    /// next number, pre-printed label, imported
    pub how: String,
    /// Facility time with zone.
    pub assigned_at: String,
    pub assigned_by: String,
}

/// A list of donors a dashboard figure links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Worklist {
    /// Blood group determinations that disagree, not yet resolved.
    Discrepancies,
    /// Indefinite deferrals neither reentered nor marked as entered in error.
    DeferralReview,
    /// Live records that may be one person (same birth date and name, email or phone).
    PossibleDuplicates,
    /// Screened at a site on a day.
    Screened,
    /// Found eligible at a site on a day, no donation recorded yet.
    Waiting,
}

impl Worklist {
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s.trim() {
            "discrepancies" => Worklist::Discrepancies,
            "deferral_review" => Worklist::DeferralReview,
            "possible_duplicates" => Worklist::PossibleDuplicates,
            "screened" => Worklist::Screened,
            "waiting" => Worklist::Waiting,
            other => return Err(FieldError::new("list", format!("there is no donor list called '{other}'")).into()),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Worklist::Discrepancies => "discrepancies",
            Worklist::DeferralReview => "deferral_review",
            Worklist::PossibleDuplicates => "possible_duplicates",
            Worklist::Screened => "screened",
            Worklist::Waiting => "waiting",
        }
    }

    /// Whether the list is of one site's day.
    pub fn per_site(self) -> bool {
        matches!(self, Worklist::Screened | Worklist::Waiting)
    }
}

/// A worklist with what it means.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorklistView {
    pub list: Worklist,
    pub title: String,
    pub explanation: String,
    pub donors: Vec<DonorSummary>,
}

/// A campaign is running while its messages go out and for the days after it in
/// which responses are credited to it.
pub fn campaign_running(c: &CampaignView, now: DateTime<Utc>) -> bool {
    c.delivery.as_ref().is_some_and(|d| !d.finished) || now - c.created_at <= Duration::days(ATTRIBUTION_DAYS)
}

/// A live token that stops working within [`TOKEN_WARNING_DAYS`].
pub fn token_expiring(t: &ApiTokenView, now: DateTime<Utc>) -> bool {
    t.revoked_at.is_none() && t.expires_at.is_some_and(|e| e > now && e <= now + Duration::days(TOKEN_WARNING_DAYS))
}

fn zone_of(tz: chrono_tz::Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%Z").to_string()
}

/// `[start, end)` of a local day in UTC.
fn day_bounds(tz: chrono_tz::Tz, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).expect("midnight");
        tz.from_local_datetime(&midnight).earliest().map(|t| t.with_timezone(&Utc)).unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
    };
    (start(day), start(day + Duration::days(1)))
}

impl App {
    /// The dashboard of the signed-in person: one section per role they hold.
    pub async fn dashboard(&self, actor: &Actor) -> Result<Dashboard> {
        let now = Utc::now();
        let mut sections = Vec::new();
        for role in MAIN_WORK_FIRST.into_iter().filter(|r| actor.roles.contains(*r)) {
            sections.push(match role {
                Role::Collector => self.collector_section(actor, now).await?,
                Role::Lab => self.lab_section(actor, now).await?,
                Role::Quality => self.quality_section(actor).await?,
                Role::Recruiter => self.recruiter_section(actor, now).await?,
                Role::Admin => self.admin_section(actor, now).await?,
                Role::Hospital => self.hospital_section(actor).await?,
                Role::Physician => self.physician_section().await?,
                Role::Apheresis | Role::ApheresisNurse => self.apheresis_section(actor, role, now).await?,
                Role::Distribution | Role::Sales => self.accounts_section(actor, role).await?,
            });
        }
        Ok(Dashboard { today: self.today(), now: self.local_time(now), sections })
    }

    async fn collector_section(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Section> {
        let mut s = Section::new(Role::Collector, "Today at each site that takes donors: who is booked, who was screened, who waits for collection.");
        for site in self.store.list_sites().await?.into_iter().filter(|x| x.fields.active) {
            let tz = site.fields.time_zone.tz();
            let date = now.with_timezone(&tz).date_naive();
            let day = date.to_string();
            let grid = self.day_grid(actor, &site.id.to_string(), &day).await?;
            let booked = grid.appointments.iter().filter(|a| a.status != "cancelled").count();
            let screened = self.store.donors_screened(site.id, date).await?.len();
            let waiting = self.store.donors_waiting(site.id, date).await?.len();
            let hours = grid.opens.as_ref().zip(grid.closes.as_ref()).map(|(o, c)| format!("{o}–{c}"));
            if booked == 0 && screened == 0 && waiting == 0 && hours.is_none() {
                continue;
            }
            let code = site.fields.code.as_str().to_string();
            let list = |w: Worklist| Some(format!("/donors?list={}&site={code}&date={day}", w.as_str()));
            s.sites.push(SiteToday {
                site_id: site.id,
                figures: vec![
                    Figure::new(
                        format!("collector-appointments-{code}"),
                        "appointments today",
                        booked,
                        Some(format!("/appointments?site={}&date={day}&status=active", site.id)),
                    ),
                    Figure::new(format!("collector-screened-{code}"), "screened today", screened, list(Worklist::Screened)),
                    Figure::new(format!("collector-waiting-{code}"), "eligible, waiting for collection", waiting, list(Worklist::Waiting)),
                ],
                zone: zone_of(tz, now),
                name: site.fields.name.clone(),
                code,
                date,
                hours,
            });
        }
        s.links = vec![("Find a donor".into(), "/donors".into()), ("Appointments".into(), "/appointments".into())];
        Ok(s)
    }

    async fn lab_section(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Section> {
        let mut s = Section::new(Role::Lab, "DINs handed out today and the units in processing, waiting for testing and release.");
        let today = now.with_timezone(&self.settings.time_zone).date_naive();
        let dins = self.dins_assigned_on(actor, &today.to_string()).await?;
        s.figures.push(Figure::new("lab-dins-today", "DINs assigned today", dins.len(), Some(format!("/lab/dins/assigned?date={today}"))));
        let units = self.store.count_components_in_processing().await?;
        s.figures.push(Figure::new("lab-units", "units in processing", units as usize, Some("/lab/units".into())));
        s.links = vec![("DINs".into(), "/lab/dins".into()), ("Labels".into(), "/lab/labels".into()), ("Processing".into(), "/lab/processing".into())];
        Ok(s)
    }

    async fn physician_section(&self) -> Result<Section> {
        let mut s = Section::new(Role::Physician, "Units released before their testing was complete, on a physician's signature.");
        let n = self.store.count_emergency_releases().await?;
        s.figures.push(Figure::new("physician-emergency", "emergency releases", n as usize, Some("/lab/units?list=emergency".into())));
        s.links = vec![("Find a donor".into(), "/donors".into())];
        Ok(s)
    }

    async fn quality_section(&self, actor: &Actor) -> Result<Section> {
        let mut s = Section::new(Role::Quality, "Records that wait for a quality decision.");
        for (w, key, label) in [
            (Worklist::Discrepancies, "quality-discrepancies", "open blood group discrepancies"),
            (Worklist::DeferralReview, "quality-deferrals", "indefinite deferrals waiting for review"),
            (Worklist::PossibleDuplicates, "quality-duplicates", "donor records that may be duplicates"),
        ] {
            let n = self.worklist_rows(actor, w, None, None).await?.len();
            s.figures.push(Figure::new(key, label, n, Some(format!("/donors?list={}", w.as_str()))));
        }
        s.links = vec![("Audit trail".into(), "/quality/audit".into()), ("Rules".into(), "/quality/rules".into())];
        Ok(s)
    }

    async fn recruiter_section(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Section> {
        let mut s = Section::new(Role::Recruiter, "Collection needs by blood group against their targets, and the campaigns still running.");
        s.needs = self.needs(actor).await?;
        for n in &mut s.needs {
            if let Ok(p) = domain::DonationProcedure::parse(&n.procedure) {
                n.procedure = domain::appointment::procedure_title(p).to_string();
            }
        }
        let running: Vec<CampaignView> = self.list_campaigns(actor).await?.into_iter().filter(|c| campaign_running(c, now)).collect();
        s.figures.push(Figure::new("recruiter-campaigns", "campaigns running", running.len(), Some("/recruitment?campaigns=running".into())));
        let short = s.needs.iter().filter(|n| n.gap > 0.0).count();
        s.figures.push(Figure::new(
            "recruiter-short",
            "weekly targets not met (group and procedure)",
            short,
            Some("/recruitment?needs=short".into()),
        ));
        if let Some(f) = self.captured_figure(actor, "recruiter-captured").await? {
            s.figures.push(f);
        }
        s.campaigns = running;
        s.links = vec![("Recruitment".into(), "/recruitment".into()), ("New campaign".into(), "/recruitment/campaigns/new".into())];
        Ok(s)
    }

    async fn admin_section(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Section> {
        let mut s = Section::new(Role::Admin, "People and systems with access, and whether the audit trail is intact.");
        let active = self.list_users(actor).await?.iter().filter(|u| u.active).count();
        s.figures.push(Figure::new("admin-users", "active users", active, Some("/admin/users?users=active".into())));
        let expiring = self.list_api_tokens(actor).await?.iter().filter(|t| token_expiring(t, now)).count();
        s.figures.push(Figure::new(
            "admin-tokens",
            format!("API tokens expiring within {TOKEN_WARNING_DAYS} days"),
            expiring,
            Some("/admin/users?tokens=expiring".into()),
        ));
        if let Some(f) = self.captured_figure(actor, "admin-captured").await? {
            s.figures.push(f);
        }
        let checked_at = self.local_time(now);
        let records = self.store.audit_head().await?.0;
        s.audit = Some(if records > AUDIT_CHECK_ON_PAGE {
            AuditChain { intact: None, broken_at: None, records, checked_at }
        } else {
            match self.verify_audit().await? {
                Ok(n) => AuditChain { intact: Some(n), broken_at: None, records, checked_at },
                Err(b) => AuditChain { intact: None, broken_at: Some((b.seq, b.problem)), records, checked_at },
            }
        });
        s.links =
            vec![("Users and tokens".into(), "/admin/users".into()), ("Sites".into(), "/sites".into()), ("Hospitals".into(), "/hospitals".into())];
        Ok(s)
    }

    async fn hospital_section(&self, actor: &Actor) -> Result<Section> {
        let mut s = Section::new(Role::Hospital, "Your hospital's account with us. Ordering blood products will be added here.");
        if let Some(h) = match actor.hospital_id {
            Some(id) => self.store.hospital(id).await?,
            None => None,
        } {
            s.intro = format!("{} ({}) — account {}.", h.fields.name, h.fields.code.as_str(), h.fields.status.as_str().replace('_', " "));
            s.links = vec![("Your account".into(), format!("/hospitals/{}", h.id))];
        }
        Ok(s)
    }

    /// Apheresis: requests waiting for a decision (the coordinator) and today's
    /// treatments (a nurse's own).
    async fn apheresis_section(&self, actor: &Actor, role: Role, now: DateTime<Utc>) -> Result<Section> {
        let nurse = role == Role::ApheresisNurse;
        let mut s = Section::new(role, if nurse { "Your treatments today." } else { "Requests to decide and today's treatments at the hospitals." });
        if !nurse {
            let waiting = self.store.count_apheresis_requests_in(RequestState::Submitted).await? as usize;
            s.figures.push(Figure::new("apheresis-waiting", "requests waiting for a decision", waiting, Some("/apheresis".into())));
        }
        let (from, to) = day_bounds(self.settings.time_zone, now.with_timezone(&self.settings.time_zone).date_naive());
        let today = self.store.treatments_between(from, to).await?.into_iter().filter(|t| !nurse || t.nurse_username == actor.username).count();
        s.figures.push(Figure::new(format!("{}-today", role.as_str()), "treatments today", today, Some("/apheresis/calendar?span=day".into())));
        s.links = vec![("Requests".into(), "/apheresis".into()), ("Calendar".into(), "/apheresis/calendar".into())];
        Ok(s)
    }

    async fn accounts_section(&self, _actor: &Actor, role: Role) -> Result<Section> {
        let intro = match role {
            Role::Sales => "Hospital accounts and their status.",
            Role::Distribution => "The hospitals you ship to.",
            _ => "The hospitals you serve.",
        };
        let mut s = Section::new(role, intro);
        let n = self.store.list_hospitals().await?.len();
        s.figures.push(Figure::new(format!("{}-hospitals", role.as_str()), "hospital accounts", n, Some("/hospitals".into())));
        s.links = vec![("Hospitals".into(), "/hospitals".into())];
        Ok(s)
    }

    /// While mail or SMS is captured (no server configured): how many messages the
    /// Outbox holds, for those who may see it.
    async fn captured_figure(&self, actor: &Actor, key: &str) -> Result<Option<Figure>> {
        if !actor.can(Permission::ManageRecruitment) || (self.mail_available() && self.sms_available()) {
            return Ok(None);
        }
        let total = self.store.captured_page(0, 0).await?.1;
        Ok(Some(Figure { key: key.into(), label: "messages captured, not sent".into(), value: total, href: Some("/outbox".into()) }))
    }

    /// DINs assigned on a day (facility time), newest first.
    pub async fn dins_assigned_on(&self, actor: &Actor, date: &str) -> Result<Vec<AssignedDinView>> {
        actor.require(Permission::AssignDins)?;
        let day = parse_day("date", date)?;
        let (from, to) = day_bounds(self.settings.time_zone, day);
        Ok(self.store.dins_assigned_between(from, to).await?.iter().map(|d| self.assigned_din_view(d)).collect())
    }

    fn assigned_din_view(&self, d: &DinAssignment) -> AssignedDinView {
        AssignedDinView {
            din: d.din.clone(),
            how: match d.source.as_str() {
                "sequence" => "next number".into(),
                "preprinted" => "pre-printed label".into(),
                "imported" => "imported".into(),
                other => other.to_string(),
            },
            assigned_at: self.local_time(d.assigned_at),
            assigned_by: d.assigned_by.clone(),
        }
    }

    /// A donor worklist. `site` (code or id) and `date` are needed for the lists of a
    /// site's day; the others ignore them.
    pub async fn worklist(&self, actor: &Actor, list: &str, site: &str, date: &str) -> Result<WorklistView> {
        actor.require(Permission::ViewDonors)?;
        let list = Worklist::parse(list)?;
        let (title, explanation) = match list {
            Worklist::Discrepancies => (
                "Open blood group discrepancies".to_string(),
                "Donors whose blood group determinations disagree and no one has stated the correct group yet. Their units cannot be released.".to_string(),
            ),
            Worklist::DeferralReview => (
                "Indefinite deferrals waiting for review".to_string(),
                "Donors with an indefinite deferral that was neither reentered nor marked as entered in error: each needs quality's review.".to_string(),
            ),
            Worklist::PossibleDuplicates => (
                "Possible duplicate donor records".to_string(),
                "Records with the same birth date and the same name, email or phone, not merged. Check each pair and merge the ones that are one person."
                    .to_string(),
            ),
            Worklist::Screened => ("Screened today".to_string(), String::new()),
            Worklist::Waiting => (
                "Waiting for collection".to_string(),
                "Found eligible at this site on this day, with no donation recorded yet.".to_string(),
            ),
        };
        let (site_id, day, title) = if list.per_site() {
            let s = self.site_by_ref(site).await?;
            let day = if date.trim().is_empty() { Utc::now().with_timezone(&s.fields.time_zone.tz()).date_naive() } else { parse_day("date", date)? };
            let t = format!("{title} at {} on {day}", s.fields.name).replace(" today at", " at");
            (Some(s.id), Some(day), t)
        } else {
            (None, None, title)
        };
        let rows = self.worklist_rows(actor, list, site_id, day).await?;
        Ok(WorklistView { list, title, explanation, donors: rows.iter().map(DonorSummary::of).collect() })
    }

    async fn worklist_rows(&self, actor: &Actor, list: Worklist, site: Option<Uuid>, day: Option<NaiveDate>) -> Result<Vec<DonorRow>> {
        actor.require(Permission::ViewDonors)?;
        let per_site = |site: Option<Uuid>, day: Option<NaiveDate>| {
            site.zip(day).ok_or_else(|| AppError::from(FieldError::new("site", "choose a site and a day for this list")))
        };
        Ok(match list {
            Worklist::Discrepancies => {
                let ids = self.store.discrepancy_candidates().await?;
                let mut seen = HashSet::new();
                let mut out = Vec::new();
                for d in self.store.donors_with_ids(&ids).await? {
                    let r = self.resolve_donor(&d.donor_number).await?;
                    if seen.insert(r.donor.id) && self.blood_group_view(&r).await?.discrepancy {
                        out.push(r.donor.clone());
                    }
                }
                out.sort_by(|a, b| a.donor_number.cmp(&b.donor_number));
                out
            }
            Worklist::DeferralReview => self.store.deferrals_for_review().await?,
            Worklist::PossibleDuplicates => {
                let pairs = self.store.possible_duplicate_pairs().await?;
                let ids: Vec<Uuid> = pairs.iter().flat_map(|(a, b)| [*a, *b]).collect::<HashSet<_>>().into_iter().collect();
                let mut rows = self.store.donors_with_ids(&ids).await?;
                // Likely pairs next to each other.
                rows.sort_by(|a, b| {
                    (&a.last_name, &a.first_name, a.birth_date, &a.donor_number).cmp(&(&b.last_name, &b.first_name, b.birth_date, &b.donor_number))
                });
                rows
            }
            Worklist::Screened => {
                let (s, d) = per_site(site, day)?;
                self.store.donors_screened(s, d).await?
            }
            Worklist::Waiting => {
                let (s, d) = per_site(site, day)?;
                self.store.donors_waiting(s, d).await?
            }
        })
    }
}
