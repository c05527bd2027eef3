//! Recruitment: segments of the donor pool, return propensity scores, campaigns by
//! email, SMS and phone with what came of each contact, and collection needs.

use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::eligibility::DeferralEntry;
use domain::recruitment::propensity::{self, DeferralSpan, DonorHistory};
use domain::recruitment::{fill_template, template_fields, CheckedFilter, PoolDonor, SegmentFilter, MERGE_FIELDS};
use domain::{AuditDraft, BloodGroup, DonationProcedure, FieldError, FieldErrors, Permission, Sex};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::{CallOutcomeRow, CampaignRow, ContactListRow, ContactRow, PoolRow, SegmentRow, TargetRow};
use uuid::Uuid;

/// Days after a contact in which a donation or booking is credited to the campaign.
pub const ATTRIBUTION_DAYS: i64 = 30;
/// Weeks of history behind the expected weekly collections.
pub const FORECAST_WEEKS: i64 = 8;

/// The pool read once, in bulk: donors, their donations, deferrals and last contact.
pub struct Pool {
    pub rows: Vec<PoolRow>,
    pub donors: Vec<PoolDonor>,
    pub histories: Vec<DonorHistory>,
    /// The eligibility rule versions (built-in and stored) segments decide with.
    pub rules: std::sync::Arc<domain::eligibility::RuleBook>,
}

fn group_of(abo: &Option<String>, rhd: &Option<String>) -> Option<BloodGroup> {
    match (abo, rhd) {
        (Some(a), Some(r)) => BloodGroup::parse(&format!("{a}{}", if r == "pos" { "+" } else { "-" })).ok(),
        _ => None,
    }
}

fn group_label(abo: &Option<String>, rhd: &Option<String>) -> String {
    group_of(abo, rhd).map(|g| g.to_string()).unwrap_or_default()
}

/// A donor in a segment preview or a contact list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolMember {
    pub donor_number: String,
    pub first_name: String,
    pub last_name: String,
    pub blood_group: Option<String>,
    pub score: f64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    pub name: String,
    /// The filter as JSON; unknown keys are refused.
    pub filter: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentView {
    pub id: Uuid,
    pub name: String,
    pub filter: serde_json::Value,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl SegmentView {
    fn of(s: &SegmentRow) -> Self {
        Self {
            id: s.id,
            name: s.name.clone(),
            filter: serde_json::from_str(&s.filter_json).unwrap_or(serde_json::Value::Null),
            updated_at: s.updated_at,
            updated_by: s.updated_by.clone(),
        }
    }
}

/// How many donors a segment holds today, and the best-scored of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentPreview {
    pub count: usize,
    pub sample: Vec<PoolMember>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreLine {
    pub donor_number: String,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoresView {
    pub as_of: NaiveDate,
    /// Held-out AUC (20% of donors); null when the held-out donors hold one class only.
    pub auc: Option<f64>,
    /// Training examples.
    pub n: usize,
    pub scores: Vec<ScoreLine>,
}

/// A new campaign as entered.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    pub name: String,
    pub segment_id: String,
    /// email, sms or phone
    pub channel: String,
    /// Email subject (email only).
    #[serde(default)]
    pub subject: String,
    /// Message text with merge fields; for phone, the script for the caller.
    #[serde(default)]
    pub body: String,
    /// At most this many donors, best scores first.
    pub limit: i64,
    /// What one contact costs, in the centre's currency (e.g. 0.35).
    #[serde(default)]
    pub cost_per_contact: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignStats {
    pub contacts: i64,
    pub contacted: i64,
    pub delivered: i64,
    pub bounced: i64,
    pub failed: i64,
    pub responses: i64,
    pub response_rate: f64,
    pub bookings: i64,
    pub unsubscribed: i64,
    pub donated: i64,
    pub conversion: f64,
    pub units: i64,
    pub cost: f64,
    pub cost_per_unit: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignView {
    pub id: Uuid,
    pub name: String,
    pub segment_id: Uuid,
    pub segment: String,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub contact_limit: i64,
    pub cost_per_contact: f64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub stats: CampaignStats,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactView {
    pub id: Uuid,
    pub rank: i64,
    pub donor_number: String,
    pub first_name: String,
    pub last_name: String,
    pub blood_group: String,
    pub score: f64,
    pub address: String,
    pub status: String,
    pub detail: Option<String>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub unsubscribed: bool,
    pub last_outcome: Option<String>,
    pub last_note: Option<String>,
    pub donated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignDetail {
    pub campaign: CampaignView,
    pub contacts: Vec<ContactView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallOutcomeInput {
    /// reached, booked, declined, no_answer or wrong_number
    pub outcome: String,
    #[serde(default)]
    pub note: String,
}

pub const CALL_OUTCOMES: [&str; 5] = ["reached", "booked", "declined", "no_answer", "wrong_number"];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    /// e.g. O-
    pub blood_group: String,
    pub procedure: String,
    pub units_per_week: i64,
}

/// Target against expected collections for one blood group and procedure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeedView {
    pub blood_group: String,
    pub procedure: String,
    pub target_per_week: i64,
    /// Average weekly donations over the last 8 weeks.
    pub expected_per_week: f64,
    /// target − expected; positive is a shortfall.
    pub gap: f64,
}

/// What a donor sees when following an unsubscribe link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnsubscribeView {
    pub first_name: String,
    pub already: bool,
}

pub fn hash_token(token: &str) -> String {
    crate::auth::token_hash(token)
}

fn new_token() -> String {
    crate::auth::new_secret("hfu_")
}

fn units_of(procedure: &str) -> i64 {
    // A double red cell collection yields two red cell units.
    if procedure == "double_red_cells" {
        2
    } else {
        1
    }
}

fn parse_segment_id(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s.trim()).map_err(|_| FieldError::new("segment_id", format!("'{}' is not a segment id", s.trim())).into())
}

impl App {
    /// The whole pool with histories, read in four queries.
    pub async fn load_pool(&self) -> Result<Pool> {
        let tz = self.settings.time_zone;
        let rows = self.store.pool_donors().await?;
        let sites: HashMap<Uuid, String> = self.store.list_sites().await?.into_iter().map(|s| (s.id, s.fields.code.as_str().to_string())).collect();
        let index: HashMap<Uuid, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let mut donations: Vec<Vec<(NaiveDate, DonationProcedure, Option<String>)>> = vec![vec![]; rows.len()];
        for d in self.store.pool_donations().await? {
            if let (Some(&i), Ok(p)) = (index.get(&d.donor_id), DonationProcedure::parse(&d.procedure)) {
                donations[i].push((d.collected_at.with_timezone(&tz).date_naive(), p, d.site_id.and_then(|s| sites.get(&s).cloned())));
            }
        }
        for d in &mut donations {
            d.sort_by_key(|x| x.0);
        }
        let today = self.today_local();
        let mut spans: Vec<Vec<DeferralSpan>> = vec![vec![]; rows.len()];
        let mut entries: Vec<Vec<DeferralEntry>> = vec![vec![]; rows.len()];
        for d in self.store.all_deferrals().await? {
            let Some(&i) = index.get(&d.donor_id) else { continue };
            spans[i].push(DeferralSpan {
                entered_on: d.entered_at.with_timezone(&tz).date_naive(),
                starts_on: d.starts_on,
                until: d.until,
                reentered_on: d.reentered_at.map(|r| r.with_timezone(&tz).date_naive()),
            });
            if d.reentered_at.is_none() && d.starts_on <= today {
                match d.kind.as_str() {
                    "temporary" => entries[i].extend(d.until.map(|until| DeferralEntry::Temporary { until })),
                    "indefinite" => entries[i].push(DeferralEntry::Indefinite {}),
                    _ => entries[i].push(DeferralEntry::Permanent {}),
                }
            }
        }
        let mut contacted: Vec<Option<NaiveDate>> = vec![None; rows.len()];
        for (id, at) in self.store.last_contacts().await? {
            if let Some(&i) = index.get(&id) {
                contacted[i] = Some(at.with_timezone(&tz).date_naive());
            }
        }
        let mut donors = Vec::with_capacity(rows.len());
        let mut histories = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let sex = if r.sex == "F" { Sex::Female } else { Sex::Male };
            histories.push(DonorHistory {
                donor_number: r.donor_number.clone(),
                birth_date: r.birth_date,
                female: sex == Sex::Female,
                donations: donations[i]
                    .iter()
                    .map(|(d, p, _)| (*d, !matches!(p, DonationProcedure::WholeBlood | DonationProcedure::Autologous)))
                    .collect(),
                deferrals: std::mem::take(&mut spans[i]),
            });
            let consent = [(r.consent_email, "email"), (r.consent_sms, "sms"), (r.consent_phone, "phone"), (r.consent_post, "post")]
                .into_iter()
                .filter_map(|(ok, c)| ok.then_some(c))
                .collect();
            donors.push(PoolDonor {
                sex,
                birth_date: r.birth_date,
                group: group_of(&r.abo, &r.rhd),
                preferred_site: r.preferred_site.and_then(|s| sites.get(&s).cloned()),
                donations: std::mem::take(&mut donations[i]),
                deferrals: std::mem::take(&mut entries[i]),
                last_contacted: contacted[i],
                consent,
            });
        }
        Ok(Pool { rows, donors, histories, rules: self.rule_book().await? })
    }

    fn today_local(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.settings.time_zone).date_naive()
    }

    /// Return propensity of every donor as of `as_of` (see `domain::recruitment::propensity`).
    pub async fn recruitment_scores(&self, actor: &Actor, as_of: NaiveDate) -> Result<ScoresView> {
        actor.require(Permission::ViewRecruitment)?;
        let pool = self.load_pool().await?;
        let s = propensity::score(&pool.histories, as_of);
        Ok(ScoresView {
            as_of,
            auc: s.auc,
            n: s.n,
            scores: s.scores.into_iter().map(|(donor_number, score)| ScoreLine { donor_number, score }).collect(),
        })
    }

    /// Members of a filter today with their scores, best first.
    async fn members(&self, pool: &Pool, filter: &CheckedFilter, today: NaiveDate) -> Result<Vec<(usize, f64)>> {
        // Typing criteria are matched by the registry's rare-donor query (merges included).
        let typed: Option<std::collections::HashSet<String>> = if filter.typing.is_empty() {
            None
        } else {
            let q = crate::registry::rare_query(&filter.typing)?;
            Some(self.store.rare_donors(&q, i64::MAX).await?.into_iter().map(|d| d.donor_number).collect())
        };
        let scores = propensity::score(&pool.histories, today);
        let by_number: HashMap<&str, f64> = scores.scores.iter().map(|(n, s)| (n.as_str(), *s)).collect();
        let mut out: Vec<(usize, f64)> = pool
            .donors
            .iter()
            .enumerate()
            .filter(|(i, _)| typed.as_ref().is_none_or(|t| t.contains(&pool.rows[*i].donor_number)))
            .filter(|(_, d)| filter.matches(d, today, &pool.rules))
            .map(|(i, _)| (i, by_number.get(pool.rows[i].donor_number.as_str()).copied().unwrap_or(0.0)))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| pool.rows[a.0].donor_number.cmp(&pool.rows[b.0].donor_number)));
        Ok(out)
    }

    fn member_view(pool: &Pool, i: usize, score: f64) -> PoolMember {
        let r = &pool.rows[i];
        PoolMember {
            donor_number: r.donor_number.clone(),
            first_name: r.first_name.clone(),
            last_name: r.last_name.clone(),
            blood_group: group_of(&r.abo, &r.rhd).map(|g| g.to_string()),
            score,
        }
    }

    /// Count and best-scored sample of a filter, saved or not.
    pub async fn preview_filter(&self, actor: &Actor, filter: &serde_json::Value) -> Result<SegmentPreview> {
        actor.require(Permission::ViewRecruitment)?;
        let (_, checked) = SegmentFilter::from_json(filter)?;
        let pool = self.load_pool().await?;
        let m = self.members(&pool, &checked, self.today_local()).await?;
        Ok(SegmentPreview { count: m.len(), sample: m.iter().take(20).map(|(i, s)| Self::member_view(&pool, *i, *s)).collect() })
    }

    pub async fn list_segments(&self, actor: &Actor) -> Result<Vec<SegmentView>> {
        actor.require(Permission::ViewRecruitment)?;
        Ok(self.store.list_segments().await?.iter().map(SegmentView::of).collect())
    }

    pub async fn segment(&self, actor: &Actor, id: Uuid) -> Result<SegmentView> {
        actor.require(Permission::ViewRecruitment)?;
        self.store.segment(id).await?.map(|s| SegmentView::of(&s)).ok_or_else(|| AppError::NotFound(format!("no segment has the id {id}")))
    }

    fn check_segment(input: &SegmentInput) -> Result<(String, String)> {
        let mut e = FieldErrors::default();
        let name = input.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            e.0.push(FieldError::new("name", "give the segment a name of 1 to 100 characters"));
        }
        let filter = match SegmentFilter::from_json(&input.filter) {
            Ok((f, c)) => {
                if !c.typing.is_empty() {
                    if let Err(AppError::Invalid(errs)) = crate::registry::rare_query(&c.typing) {
                        e.0.extend(errs.0);
                    }
                }
                serde_json::to_string(&f).expect("serialises")
            }
            Err(errs) => {
                e.0.extend(errs.0);
                String::new()
            }
        };
        if e.is_empty() {
            Ok((name, filter))
        } else {
            Err(AppError::Invalid(e))
        }
    }

    /// Saves a named filter (audited).
    pub async fn create_segment(&self, actor: &Actor, input: &SegmentInput) -> Result<SegmentView> {
        actor.require(Permission::ManageRecruitment)?;
        let (name, filter_json) = Self::check_segment(input)?;
        let mut tx = self.store.begin_write().await?;
        if tx.segment_by_name(&name).await?.is_some() {
            return Err(AppError::Conflict(format!("a segment named '{name}' already exists")));
        }
        let now = store::now();
        let row = SegmentRow {
            id: Uuid::now_v7(),
            name,
            filter_json,
            created_at: now,
            created_by: actor.username.clone(),
            updated_at: now,
            updated_by: actor.username.clone(),
        };
        tx.insert_segment(&row).await?;
        let view = SegmentView::of(&row);
        tx.append_audit(AuditDraft::new(&actor.username, "segment.create", "segment", row.id).after(&view)).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Renames a segment or changes its filter (audited with before and after).
    pub async fn update_segment(&self, actor: &Actor, id: Uuid, input: &SegmentInput) -> Result<SegmentView> {
        actor.require(Permission::ManageRecruitment)?;
        let (name, filter_json) = Self::check_segment(input)?;
        let mut tx = self.store.begin_write().await?;
        let old = tx.segment(id).await?.ok_or_else(|| AppError::NotFound(format!("no segment has the id {id}")))?;
        if tx.segment_by_name(&name).await?.is_some_and(|s| s.id != id) {
            return Err(AppError::Conflict(format!("a segment named '{name}' already exists")));
        }
        let row = SegmentRow { name, filter_json, updated_at: store::now(), updated_by: actor.username.clone(), ..old.clone() };
        tx.update_segment(&row).await?;
        let view = SegmentView::of(&row);
        tx.append_audit(AuditDraft::new(&actor.username, "segment.update", "segment", id).before(SegmentView::of(&old)).after(&view)).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Targets a segment: the donors who consented to the channel and have an address
    /// for it, best scores first, up to the limit; then sends (email, SMS) or lists
    /// them for calling (phone). Refused, with nothing written, when no donor qualifies.
    pub async fn create_campaign(&self, actor: &Actor, input: &CampaignInput) -> Result<CampaignView> {
        actor.require(Permission::ManageRecruitment)?;
        let mut e = FieldErrors::default();
        let name = input.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 120 {
            e.0.push(FieldError::new("name", "give the campaign a name of 1 to 120 characters"));
        }
        let segment_id = e.take(parse_segment_id(&input.segment_id).map_err(|_| FieldError::new("segment_id", "choose a segment")));
        let channel = input.channel.trim();
        if !["email", "sms", "phone"].contains(&channel) {
            e.0.push(FieldError::new("channel", format!("'{channel}' is not a campaign channel; use email, sms or phone")));
        }
        let allowed = MERGE_FIELDS;
        let mentions_booking = input.body.contains("booking_url") || input.subject.contains("booking_url");
        if mentions_booking && !actor.can(Permission::BookAppointments) {
            e.0.push(FieldError::new("body", "{{booking_url}} needs the right to book appointments"));
        }
        if input.body.trim().is_empty() {
            e.0.push(FieldError::new("body", "write the message (for phone: the caller's script)"));
        } else {
            e.take(template_fields("body", &input.body, &allowed));
        }
        if channel == "email" {
            if input.subject.trim().is_empty() {
                e.0.push(FieldError::new("subject", "an email needs a subject"));
            } else {
                e.take(template_fields("subject", &input.subject, &allowed));
            }
            if !self.mail_available() {
                e.0.push(FieldError::new("channel", "email is not configured on this server (--smtp-url)"));
            }
        }
        if channel == "sms" && self.settings.sms_webhook_url.is_none() {
            e.0.push(FieldError::new("channel", "SMS is not configured on this server (--sms-webhook-url)"));
        }
        if !(1..=10_000).contains(&input.limit) {
            e.0.push(FieldError::new("limit", "contact between 1 and 10000 donors"));
        }
        if !input.cost_per_contact.is_finite() || input.cost_per_contact < 0.0 || input.cost_per_contact > 1000.0 {
            e.0.push(FieldError::new("cost_per_contact", "give the cost of one contact, 0 to 1000"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let segment_id = segment_id.expect("checked");
        let segment = self.store.segment(segment_id).await?.ok_or_else(|| AppError::NotFound(format!("no segment has the id {segment_id}")))?;
        let filter: SegmentFilter = serde_json::from_str(&segment.filter_json).map_err(|x| AppError::Conflict(format!("segment filter: {x}")))?;
        let checked = filter.check()?;
        let pool = self.load_pool().await?;
        let today = self.today_local();
        let members = self.members(&pool, &checked, today).await?;
        let in_segment = members.len();
        let chosen: Vec<(usize, f64, String)> = members
            .into_iter()
            .filter(|(i, _)| pool.donors[*i].consent.contains(&channel))
            .filter_map(|(i, s)| {
                let r = &pool.rows[i];
                let address = if channel == "email" { r.email.clone() } else { r.phone.clone() };
                address.filter(|a| !a.trim().is_empty()).map(|a| (i, s, a))
            })
            .take(input.limit as usize)
            .collect();
        if chosen.is_empty() {
            return Err(AppError::Conflict(format!(
                "none of the {in_segment} donors in segment '{}' has consented to {channel} contact and has an address for it",
                segment.name
            )));
        }
        let now = store::now();
        let campaign = CampaignRow {
            id: Uuid::now_v7(),
            name,
            segment_id,
            channel: channel.to_string(),
            subject: input.subject.trim().to_string(),
            body: input.body.clone(),
            contact_limit: input.limit,
            cost_per_contact_cents: (input.cost_per_contact * 100.0).round() as i64,
            created_at: now,
            created_by: actor.username.clone(),
        };
        let mut tx = self.store.begin_write().await?;
        tx.insert_campaign(&campaign).await?;
        let mut outbox = Vec::new();
        for (rank, (i, score, address)) in chosen.iter().enumerate() {
            let token = (channel == "email").then(new_token);
            let contact = ContactRow {
                id: Uuid::now_v7(),
                campaign_id: campaign.id,
                donor_id: pool.rows[*i].id,
                rank: rank as i64 + 1,
                score: *score,
                address: address.clone(),
                status: if channel == "phone" { "listed".into() } else { "queued".into() },
                detail: None,
                contacted_at: None,
                unsubscribe_hash: token.as_deref().map(hash_token),
                unsubscribed_at: None,
            };
            tx.insert_contact(&contact).await?;
            outbox.push((contact, *i, token));
        }
        let numbers: Vec<&str> = chosen.iter().map(|(i, _, _)| pool.rows[*i].donor_number.as_str()).collect();
        tx.append_audit(AuditDraft::new(&actor.username, "campaign.create", "campaign", campaign.id).after(serde_json::json!({
            "name": campaign.name, "segment": segment.name, "channel": channel, "subject": campaign.subject, "body": campaign.body,
            "limit": campaign.contact_limit, "cost_per_contact_cents": campaign.cost_per_contact_cents, "donors": numbers,
        })))
        .await?;
        tx.commit().await?;
        if channel != "phone" {
            self.deliver_campaign(actor, &campaign, &pool, outbox).await?;
        }
        self.campaign_view(actor, campaign.id).await
    }

    /// Sends each queued message and records what became of it.
    async fn deliver_campaign(
        &self,
        actor: &Actor,
        campaign: &CampaignRow,
        pool: &Pool,
        outbox: Vec<(ContactRow, usize, Option<String>)>,
    ) -> Result<()> {
        let mut results = Vec::with_capacity(outbox.len());
        let uses_booking_url = [&campaign.subject, &campaign.body]
            .iter()
            .any(|t| template_fields("body", t, &MERGE_FIELDS).is_ok_and(|f| f.iter().any(|x| x == "booking_url")));
        for (contact, i, token) in outbox {
            let r = &pool.rows[i];
            let unsubscribe_url = token.as_deref().map(|t| self.unsubscribe_url(t)).unwrap_or_default();
            let group = group_label(&r.abo, &r.rhd);
            let booking_url = if uses_booking_url {
                match self.create_booking_link(actor, &r.donor_number, &crate::appointments::BookingLinkInput { valid_days: None }).await {
                    Ok(link) => link.url,
                    Err(e) => {
                        results.push((contact.id, Delivery::Failed(format!("no booking link: {e}"))));
                        continue;
                    }
                }
            } else {
                String::new()
            };
            let values = [
                ("first_name", r.first_name.as_str()),
                ("last_name", r.last_name.as_str()),
                ("donor_number", r.donor_number.as_str()),
                ("blood_group", group.as_str()),
                ("unsubscribe_url", unsubscribe_url.as_str()),
                ("booking_url", booking_url.as_str()),
            ];
            let text = fill_template(&campaign.body, &values);
            let outcome = match campaign.channel.as_str() {
                "sms" => self.send_sms(&contact.address, &text, campaign, &r.donor_number).await,
                _ => self.send_campaign_email(&contact, &fill_template(&campaign.subject, &values), &text, &unsubscribe_url, campaign.id).await,
            };
            results.push((contact.id, outcome));
        }
        let mut tx = self.store.begin_write().await?;
        let (mut sent, mut bounced, mut failed) = (0, 0, 0);
        let at = store::now();
        for (id, outcome) in &results {
            let (status, detail) = match outcome {
                Delivery::Sent => {
                    sent += 1;
                    ("sent", None)
                }
                Delivery::Bounced(d) => {
                    bounced += 1;
                    ("bounced", Some(d.as_str()))
                }
                Delivery::Failed(d) => {
                    failed += 1;
                    ("failed", Some(d.as_str()))
                }
            };
            tx.set_contact_status(*id, status, detail, Some(at)).await?;
        }
        tx.append_audit(
            AuditDraft::new(&actor.username, "campaign.send", "campaign", campaign.id)
                .after(serde_json::json!({"sent": sent, "bounced": bounced, "failed": failed})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Posts one SMS to the configured webhook: `{to, text, campaign, donor_number}`.
    async fn send_sms(&self, to: &str, text: &str, campaign: &CampaignRow, donor_number: &str) -> Delivery {
        let Some(url) = &self.settings.sms_webhook_url else {
            return Delivery::Failed("no SMS webhook is configured".into());
        };
        let body = serde_json::json!({"to": to, "text": text, "campaign": campaign.id, "donor_number": donor_number});
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build();
        let res = match client {
            Ok(c) => c.post(url).json(&body).send().await,
            Err(e) => return Delivery::Failed(e.to_string()),
        };
        match res {
            Ok(r) if r.status().is_success() => Delivery::Sent,
            Ok(r) if r.status().is_client_error() => Delivery::Bounced(format!("the SMS gateway refused the message: HTTP {}", r.status())),
            Ok(r) => Delivery::Failed(format!("the SMS gateway answered HTTP {}", r.status())),
            Err(e) => Delivery::Failed(format!("the SMS gateway could not be reached: {e}")),
        }
    }

    pub async fn list_campaigns(&self, actor: &Actor) -> Result<Vec<CampaignView>> {
        actor.require(Permission::ViewRecruitment)?;
        let campaigns = self.store.list_campaigns().await?;
        let segments: HashMap<Uuid, String> = self.store.list_segments().await?.into_iter().map(|s| (s.id, s.name)).collect();
        let contacts = self.store.campaign_contacts(None).await?;
        let outcomes = self.store.call_outcomes(None).await?;
        let donations = self.store.donations_after_contacts(None).await?;
        let bookings = self.store.bookings_after_contacts(None).await?;
        Ok(campaigns
            .iter()
            .map(|c| {
                let mine: Vec<&ContactListRow> = contacts.iter().filter(|x| x.contact.campaign_id == c.id).collect();
                view_of(c, &segments, &mine, &outcomes, &donations, &bookings).0
            })
            .collect())
    }

    async fn campaign_view(&self, actor: &Actor, id: Uuid) -> Result<CampaignView> {
        Ok(self.campaign_detail(actor, id).await?.campaign)
    }

    pub async fn campaign_detail(&self, actor: &Actor, id: Uuid) -> Result<CampaignDetail> {
        actor.require(Permission::ViewRecruitment)?;
        let c = self.store.campaign(id).await?.ok_or_else(|| AppError::NotFound(format!("no campaign has the id {id}")))?;
        let segments: HashMap<Uuid, String> = self.store.list_segments().await?.into_iter().map(|s| (s.id, s.name)).collect();
        let contacts = self.store.campaign_contacts(Some(id)).await?;
        let outcomes = self.store.call_outcomes(Some(id)).await?;
        let donations = self.store.donations_after_contacts(Some(id)).await?;
        let bookings = self.store.bookings_after_contacts(Some(id)).await?;
        let refs: Vec<&ContactListRow> = contacts.iter().collect();
        let (campaign, contacts) = view_of(&c, &segments, &refs, &outcomes, &donations, &bookings);
        Ok(CampaignDetail { campaign, contacts })
    }

    /// The call list: `rank,donor_number,first_name,last_name,blood_group,phone,score,status,last_outcome`.
    pub async fn call_list_csv(&self, actor: &Actor, id: Uuid) -> Result<String> {
        let d = self.campaign_detail(actor, id).await?;
        if d.campaign.channel != "phone" {
            return Err(AppError::Conflict(format!(
                "campaign '{}' is by {}; call lists belong to phone campaigns",
                d.campaign.name, d.campaign.channel
            )));
        }
        let header = ["rank", "donor_number", "first_name", "last_name", "blood_group", "phone", "score", "status", "last_outcome"];
        let rows = d.contacts.iter().map(|c| {
            [
                c.rank.to_string(),
                c.donor_number.clone(),
                c.first_name.clone(),
                c.last_name.clone(),
                c.blood_group.clone(),
                c.address.clone(),
                format!("{:.4}", c.score),
                c.status.clone(),
                c.last_outcome.clone().unwrap_or_default(),
            ]
        });
        Ok(interop::csv_export::table_to_string(header, rows))
    }

    /// Records the outcome of a call (append-only, audited).
    pub async fn record_call_outcome(&self, actor: &Actor, contact_id: Uuid, input: &CallOutcomeInput) -> Result<ContactRow> {
        actor.require(Permission::ManageRecruitment)?;
        let outcome = input.outcome.trim();
        if !CALL_OUTCOMES.contains(&outcome) {
            return Err(FieldError::new("outcome", format!("'{outcome}' is not a call outcome; use {}", CALL_OUTCOMES.join(", "))).into());
        }
        if input.note.chars().count() > 2000 {
            return Err(FieldError::new("note", "keep the note under 2000 characters").into());
        }
        let mut tx = self.store.begin_write().await?;
        let contact = tx.contact(contact_id).await?.ok_or_else(|| AppError::NotFound(format!("no contact has the id {contact_id}")))?;
        if !matches!(contact.status.as_str(), "listed" | "called") {
            return Err(AppError::Conflict("call outcomes are recorded for phone campaigns only".into()));
        }
        let row = CallOutcomeRow {
            id: Uuid::now_v7(),
            contact_id,
            outcome: outcome.to_string(),
            note: input.note.trim().to_string(),
            recorded_at: store::now(),
            recorded_by: actor.username.clone(),
        };
        tx.insert_call_outcome(&row).await?;
        tx.set_contact_status(contact_id, "called", None, Some(row.recorded_at)).await?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "campaign.call_outcome", "campaign_contact", contact_id)
                .after(serde_json::json!({"campaign": contact.campaign_id, "outcome": row.outcome, "note": row.note})),
        )
        .await?;
        let after = tx.contact(contact_id).await?.expect("just updated");
        tx.commit().await?;
        Ok(after)
    }

    /// A mail system reports a bounce after the send: the campaign's contact at that
    /// address is marked bounced (audited). 404 when the campaign did not write to it.
    pub async fn report_bounce(&self, actor: &Actor, campaign_id: Uuid, email: &str) -> Result<usize> {
        actor.require(Permission::ManageRecruitment)?;
        let email = email.trim();
        if !email.contains('@') {
            return Err(FieldError::new("email", format!("'{email}' is not an email address")).into());
        }
        let mut tx = self.store.begin_write().await?;
        let c = self.store.campaign(campaign_id).await?.ok_or_else(|| AppError::NotFound(format!("no campaign has the id {campaign_id}")))?;
        if c.channel != "email" {
            return Err(AppError::Conflict(format!("campaign '{}' sent no email", c.name)));
        }
        let contacts = tx.contacts_by_address(campaign_id, email).await?;
        if contacts.is_empty() {
            return Err(AppError::NotFound(format!("campaign '{}' did not write to {email}", c.name)));
        }
        for x in &contacts {
            tx.set_contact_status(x.id, "bounced", Some("reported by the mail system after sending"), None).await?;
        }
        tx.append_audit(
            AuditDraft::new(&actor.username, "campaign.bounce", "campaign", campaign_id)
                .before(serde_json::json!({"email": email, "status": contacts[0].status}))
                .after(serde_json::json!({"email": email, "status": "bounced"})),
        )
        .await?;
        tx.commit().await?;
        Ok(contacts.len())
    }

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

    /// Sets the weekly target for one blood group and procedure (audited).
    pub async fn set_target(&self, actor: &Actor, input: &TargetInput) -> Result<NeedView> {
        actor.require(Permission::ManageRecruitment)?;
        let mut e = FieldErrors::default();
        let group = e.take(BloodGroup::parse(&input.blood_group));
        let procedure = e.take(DonationProcedure::parse(&input.procedure));
        if !(0..=100_000).contains(&input.units_per_week) {
            e.0.push(FieldError::new("units_per_week", "give 0 to 100000 units per week"));
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let (group, procedure) = (group.expect("checked"), procedure.expect("checked"));
        let mut tx = self.store.begin_write().await?;
        let before = tx.target(group.abo_str(), group.rhd_str(), procedure.as_str()).await?;
        let row = TargetRow {
            abo: group.abo_str().into(),
            rhd: group.rhd_str().into(),
            procedure: procedure.as_str().into(),
            units_per_week: input.units_per_week,
            updated_at: store::now(),
            updated_by: actor.username.clone(),
        };
        tx.set_target(&row).await?;
        let key = format!("{group} {}", procedure.as_str());
        let mut draft = AuditDraft::new(&actor.username, "recruitment.target", "recruitment_target", &key)
            .after(serde_json::json!({"units_per_week": row.units_per_week}));
        if let Some(b) = before {
            draft = draft.before(serde_json::json!({"units_per_week": b.units_per_week}));
        }
        tx.append_audit(draft).await?;
        tx.commit().await?;
        let needs = self.needs(actor).await?;
        Ok(needs.into_iter().find(|n| n.blood_group == group.to_string() && n.procedure == procedure.as_str()).expect("just set"))
    }

    /// Targets against expected weekly collections, biggest shortfall first. Expected =
    /// donations of that group and procedure over the last 8 weeks / 8.
    pub async fn needs(&self, actor: &Actor) -> Result<Vec<NeedView>> {
        actor.require(Permission::ViewRecruitment)?;
        let to = Utc::now();
        let from = to - Duration::weeks(FORECAST_WEEKS);
        let counts: HashMap<(String, String, String), i64> =
            self.store.donations_by_group(from, to).await?.into_iter().map(|(a, r, p, n)| ((a, r, p), n)).collect();
        let mut out: Vec<NeedView> = self
            .store
            .list_targets()
            .await?
            .into_iter()
            .map(|t| {
                let n = counts.get(&(t.abo.clone(), t.rhd.clone(), t.procedure.clone())).copied().unwrap_or(0);
                let expected = (n as f64 / FORECAST_WEEKS as f64 * 10.0).round() / 10.0;
                NeedView {
                    blood_group: group_label(&Some(t.abo), &Some(t.rhd)),
                    procedure: t.procedure,
                    target_per_week: t.units_per_week,
                    expected_per_week: expected,
                    gap: ((t.units_per_week as f64 - expected) * 10.0).round() / 10.0,
                }
            })
            .collect();
        out.sort_by(|a, b| b.gap.total_cmp(&a.gap).then_with(|| a.blood_group.cmp(&b.blood_group)));
        Ok(out)
    }
}

/// What became of one message at send time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Delivery {
    Sent,
    /// Refused by the receiving system (SMTP 5xx at send time).
    Bounced(String),
    /// Not handed over (server unreachable, temporary failure).
    Failed(String),
}

fn view_of(
    c: &CampaignRow,
    segments: &HashMap<Uuid, String>,
    contacts: &[&ContactListRow],
    outcomes: &[CallOutcomeRow],
    donations: &[(Uuid, DateTime<Utc>, String)],
    appointments: &[(Uuid, DateTime<Utc>)],
) -> (CampaignView, Vec<ContactView>) {
    let mut views = Vec::with_capacity(contacts.len());
    let (mut contacted, mut delivered, mut bounced, mut failed, mut responses, mut bookings, mut unsubscribed, mut donated, mut units) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0);
    for x in contacts {
        let k = &x.contact;
        let mine: Vec<&CallOutcomeRow> = outcomes.iter().filter(|o| o.contact_id == k.id).collect();
        let last = mine.last();
        let gave: Vec<&(Uuid, DateTime<Utc>, String)> = donations
            .iter()
            .filter(|(id, at, _)| *id == k.id && k.contacted_at.is_some_and(|c| *at > c && *at <= c + Duration::days(ATTRIBUTION_DAYS)))
            .collect();
        match k.status.as_str() {
            "sent" => {
                contacted += 1;
                delivered += 1;
            }
            "bounced" => {
                contacted += 1;
                bounced += 1;
            }
            "failed" => {
                contacted += 1;
                failed += 1;
            }
            "called" => {
                contacted += 1;
                if mine.iter().any(|o| matches!(o.outcome.as_str(), "reached" | "booked" | "declined")) {
                    delivered += 1;
                }
            }
            _ => {}
        }
        let within = |at: &DateTime<Utc>| k.contacted_at.is_some_and(|c| *at > c && *at <= c + Duration::days(ATTRIBUTION_DAYS));
        // Booked on the phone, or an appointment booked (by staff or the donor's link) after the contact.
        let booked = mine.iter().any(|o| o.outcome == "booked") || appointments.iter().any(|(id, at)| *id == k.id && within(at));
        let answered = mine.iter().any(|o| matches!(o.outcome.as_str(), "reached" | "booked" | "declined"));
        if booked {
            bookings += 1;
        }
        if k.unsubscribed_at.is_some() {
            unsubscribed += 1;
        }
        if !gave.is_empty() {
            donated += 1;
            units += gave.iter().map(|(_, _, p)| units_of(p)).sum::<i64>();
        }
        if booked || answered || k.unsubscribed_at.is_some() || !gave.is_empty() {
            responses += 1;
        }
        views.push(ContactView {
            id: k.id,
            rank: k.rank,
            donor_number: x.donor_number.clone(),
            first_name: x.first_name.clone(),
            last_name: x.last_name.clone(),
            blood_group: group_label(&x.abo, &x.rhd),
            score: k.score,
            address: k.address.clone(),
            status: k.status.clone(),
            detail: k.detail.clone(),
            contacted_at: k.contacted_at,
            unsubscribed: k.unsubscribed_at.is_some(),
            last_outcome: last.map(|o| o.outcome.clone()),
            last_note: last.map(|o| o.note.clone()).filter(|n| !n.is_empty()),
            donated: !gave.is_empty(),
        });
    }
    let rate = |n: i64| if contacted == 0 { 0.0 } else { n as f64 / contacted as f64 };
    let cost = (c.cost_per_contact_cents * contacted) as f64 / 100.0;
    let stats = CampaignStats {
        contacts: contacts.len() as i64,
        contacted,
        delivered,
        bounced,
        failed,
        responses,
        response_rate: rate(responses),
        bookings,
        unsubscribed,
        donated,
        conversion: rate(donated),
        units,
        cost,
        cost_per_unit: (units > 0).then(|| ((cost / units as f64) * 100.0).round() / 100.0),
    };
    (
        CampaignView {
            id: c.id,
            name: c.name.clone(),
            segment_id: c.segment_id,
            segment: segments.get(&c.segment_id).cloned().unwrap_or_default(),
            channel: c.channel.clone(),
            subject: c.subject.clone(),
            body: c.body.clone(),
            contact_limit: c.contact_limit,
            cost_per_contact: c.cost_per_contact_cents as f64 / 100.0,
            created_at: c.created_at,
            created_by: c.created_by.clone(),
            stats,
        },
        views,
    )
}

// Campaign email goes through the mail module (every attempt is in `sent_emails`).
impl App {
    fn mail_available(&self) -> bool {
        self.settings.smtp_url.is_some()
    }

    fn unsubscribe_url(&self, token: &str) -> String {
        self.public_link(&format!("/unsubscribe/{token}"))
    }

    async fn send_campaign_email(&self, contact: &ContactRow, subject: &str, text: &str, unsubscribe_url: &str, campaign: Uuid) -> Delivery {
        let email = crate::mail::OutgoingEmail {
            to: contact.address.clone(),
            subject: subject.to_string(),
            text: text.to_string(),
            html: None,
            list_unsubscribe: Some(unsubscribe_url.to_string()),
            kind: "campaign".into(),
            related: Some(format!("campaign {campaign} contact {}", contact.id)),
        };
        match self.send_email(&email).await {
            Ok(sent) if sent.status == crate::mail::EmailStatus::Sent => Delivery::Sent,
            // Refused by the receiving server at send time: a bounce.
            Ok(sent) => Delivery::Bounced(sent.error.unwrap_or_else(|| "refused by the mail server".into())),
            Err(e) => Delivery::Failed(e.to_string()),
        }
    }
}

impl App {
    /// Demo recruitment: contact consents, weekly targets, three segments, two past
    /// campaigns (email and SMS, six and three weeks before `as_of`, so donations are
    /// credited to them) and a phone campaign in progress with call outcomes.
    pub(crate) async fn demo_recruitment(&self, actor: &Actor, as_of: NaiveDate) -> Result<()> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4242);
        let pool = self.store.pool_donors().await?;
        let mut tx = self.store.begin_write().await?;
        for d in &pool {
            let email = d.email.is_some() && rng.gen_bool(0.7);
            let sms = d.phone.is_some() && rng.gen_bool(0.4);
            let phone = d.phone.is_some() && rng.gen_bool(0.6);
            tx.set_consent(d.id, email, sms, phone, rng.gen_bool(0.5)).await?;
        }
        tx.commit().await?;
        for (group, procedure, units) in [
            ("O-", "whole_blood", 40),
            ("O+", "whole_blood", 90),
            ("A+", "whole_blood", 60),
            ("A-", "whole_blood", 15),
            ("B+", "whole_blood", 20),
            ("B-", "whole_blood", 6),
            ("AB+", "whole_blood", 8),
            ("AB-", "whole_blood", 3),
            ("O-", "double_red_cells", 10),
            ("A+", "platelets", 25),
            ("AB+", "plasma", 12),
        ] {
            self.set_target(actor, &TargetInput { blood_group: group.into(), procedure: procedure.into(), units_per_week: units }).await?;
        }
        let lapsed = self
            .create_segment(
                actor,
                &SegmentInput { name: "Lapsed O- (12 months)".into(), filter: serde_json::json!({"blood_groups": ["O-"], "lapsed_months": 12}) },
            )
            .await?;
        let first = self
            .create_segment(
                actor,
                &SegmentInput {
                    name: "First-time donors, not contacted for 30 days".into(),
                    filter: serde_json::json!({"history": "first_time", "not_contacted_days": 30}),
                },
            )
            .await?;
        let wb = self
            .create_segment(
                actor,
                &SegmentInput {
                    name: "Eligible for whole blood at MAIN".into(),
                    filter: serde_json::json!({"eligible_for": "whole_blood", "site": "MAIN"}),
                },
            )
            .await?;
        // Past campaigns, written as they would have been sent then.
        let pool = self.load_pool().await?;
        let consents: Vec<Vec<&str>> = pool.donors.iter().map(|d| d.consent.clone()).collect();
        for (name, segment, channel, days_before, limit, cents) in
            [("Spring email appeal", &wb, "email", 42, 400, 5), ("O- SMS alert", &lapsed, "sms", 21, 150, 8)]
        {
            let when = as_of - Duration::days(days_before);
            let at = when.and_hms_opt(9, 0, 0).expect("nine").and_utc();
            let scores = propensity::score(&pool.histories, when);
            let checked = SegmentFilter::from_json(&segment.filter).map_err(AppError::Invalid)?.1;
            let mut chosen: Vec<(usize, f64)> = (0..pool.rows.len())
                .filter(|&i| consents[i].contains(&channel) && checked.matches(&pool.donors[i], when, &pool.rules))
                .map(|i| (i, scores.scores[i].1))
                .collect();
            chosen.sort_by(|a, b| b.1.total_cmp(&a.1));
            chosen.truncate(limit);
            let campaign = CampaignRow {
                id: Uuid::now_v7(),
                name: name.into(),
                segment_id: segment.id,
                channel: channel.into(),
                subject: if channel == "email" { "{{first_name}}, your blood group {{blood_group}} is needed".into() } else { String::new() },
                body: "Dear {{first_name}}, the centre needs {{blood_group}} donors this month. {{unsubscribe_url}}".into(),
                contact_limit: limit as i64,
                cost_per_contact_cents: cents,
                created_at: at,
                created_by: actor.username.clone(),
            };
            let mut tx = self.store.begin_write().await?;
            tx.insert_campaign(&campaign).await?;
            for (rank, (i, score)) in chosen.iter().enumerate() {
                let r = &pool.rows[*i];
                let bounced = rng.gen_bool(0.03);
                tx.insert_contact(&ContactRow {
                    id: Uuid::now_v7(),
                    campaign_id: campaign.id,
                    donor_id: r.id,
                    rank: rank as i64 + 1,
                    score: *score,
                    address: if channel == "email" { r.email.clone() } else { r.phone.clone() }.unwrap_or_default(),
                    status: if bounced { "bounced" } else { "sent" }.into(),
                    detail: bounced.then(|| "550 mailbox unavailable".to_string()),
                    contacted_at: Some(at + Duration::seconds(rank as i64)),
                    unsubscribe_hash: (channel == "email").then(|| hash_token(&new_token())),
                    unsubscribed_at: (channel == "email" && rng.gen_bool(0.01)).then_some(at + Duration::days(1)),
                })
                .await?;
            }
            tx.append_audit(
                AuditDraft::new(&actor.username, "campaign.create", "campaign", campaign.id)
                    .after(serde_json::json!({"name": name, "channel": channel, "contacts": chosen.len(), "demo": true})),
            )
            .await?;
            tx.commit().await?;
        }
        // A phone round under way: the call list of first-time donors, a third called.
        let call = self
            .create_campaign(
                actor,
                &CampaignInput {
                    name: "First-timer thank-you calls".into(),
                    segment_id: first.id.to_string(),
                    channel: "phone".into(),
                    subject: String::new(),
                    body: "Thank {{first_name}} for the first donation and offer a second appointment.".into(),
                    limit: 60,
                    cost_per_contact: 1.8,
                },
            )
            .await;
        if let Ok(call) = call {
            let detail = self.campaign_detail(actor, call.id).await?;
            for c in detail.contacts.iter().take(20) {
                let outcome = ["reached", "booked", "booked", "declined", "no_answer", "no_answer", "wrong_number"][rng.gen_range(0..7)];
                let note = if outcome == "booked" { "booked for next week" } else { "" };
                self.record_call_outcome(actor, c.id, &CallOutcomeInput { outcome: outcome.into(), note: note.into() }).await?;
            }
        }
        Ok(())
    }
}

/// A campaign's contact with one donor, as the donor page lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DonorCampaignView {
    pub campaign_id: Uuid,
    pub campaign: String,
    pub channel: String,
    pub status: String,
    pub contacted_at: Option<chrono::DateTime<Utc>>,
    pub unsubscribed: bool,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
}

impl App {
    /// The campaigns that contacted this donor (merged records included), newest first.
    pub async fn donor_campaigns(&self, actor: &Actor, number: &str) -> Result<Vec<DonorCampaignView>> {
        actor.require(Permission::ViewRecruitment)?;
        let family = self.resolve_donor(number.trim()).await?.family;
        Ok(self
            .store
            .campaign_contacts_of(&family)
            .await?
            .into_iter()
            .map(|c| DonorCampaignView {
                campaign_id: c.campaign_id,
                campaign: c.campaign,
                channel: c.channel,
                status: c.status,
                contacted_at: c.contacted_at,
                unsubscribed: c.unsubscribed_at.is_some(),
                outcome: c.outcome,
                outcome_note: c.outcome_note,
            })
            .collect())
    }
}
