//! Campaigns: targeting a segment, the contact list, call outcomes, bounces and results.

use super::DeliveryProgress;
use super::{hash_token, new_token, units_of, ATTRIBUTION_DAYS};
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Duration, Utc};
use domain::recruitment::{template_fields, SegmentFilter, MERGE_FIELDS};
use domain::{AuditDraft, FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::{CallOutcomeRow, CampaignRow, ContactListRow, ContactRow, OutboxCounts};
use uuid::Uuid;

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
    /// Kept in the Outbox, not sent (no mail server or SMS webhook): not counted as
    /// contacted or delivered.
    pub captured: i64,
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
    /// How far the messages have gone out (email and SMS; none for phone).
    pub delivery: Option<DeliveryProgress>,
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

fn parse_segment_id(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s.trim()).map_err(|_| FieldError::new("segment_id", format!("'{}' is not a segment id", s.trim())).into())
}

impl App {
    /// Targets a segment: the donors who consented to the channel and have an address
    /// for it, best scores first, up to the limit; then queues their messages (email,
    /// SMS) for the outbox worker or lists them for calling (phone). Returns at once.
    /// Refused, with nothing written, when no donor qualifies.
    pub async fn create_campaign(&self, actor: &Actor, input: &CampaignInput) -> Result<CampaignView> {
        actor.require(Permission::ManageRecruitment)?;
        let mut e = FieldErrors::default();
        let name = input.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 120 {
            e.0.push(FieldError::new("name", "give the campaign a name of 1 to 120 characters"));
        }
        let segment_id = e.take(parse_segment_id(&input.segment_id).map_err(|_| FieldError::new("segment_id", "choose a segment")));
        let typed_channel = e.take(domain::recruitment::CampaignChannel::parse(&input.channel));
        let channel = typed_channel.map(domain::recruitment::CampaignChannel::as_str).unwrap_or("");
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
        self.require_scores().await?;
        let pool = self.pool_snapshot().await?;
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
            channel: typed_channel.expect("checked"),
            subject: input.subject.trim().to_string(),
            body: input.body.clone(),
            contact_limit: input.limit,
            cost_per_contact_cents: (input.cost_per_contact * 100.0).round() as i64,
            created_at: now,
            created_by: actor.username.clone(),
        };
        let uses_booking_url = [&campaign.subject, &campaign.body]
            .iter()
            .any(|t| template_fields("body", t, &MERGE_FIELDS).is_ok_and(|f| f.iter().any(|x| x == "booking_url")));
        // The contacts, their messages (email, SMS) and the audit record in one
        // transaction: the outbox worker delivers them after the request returns.
        let mut tx = self.store.begin_write().await?;
        tx.insert_campaign(&campaign).await?;
        let mut queued = 0;
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
            if channel != "phone" {
                self.queue_message(&mut tx, actor, &campaign, &contact, &pool.rows[*i], token.as_deref(), uses_booking_url).await?;
                queued += 1;
            }
        }
        let numbers: Vec<&str> = chosen.iter().map(|(i, _, _)| pool.rows[*i].donor_number.as_str()).collect();
        tx.append_audit(AuditDraft::new(&actor.username, "campaign.create", "campaign", campaign.id).after(serde_json::json!({
            "name": campaign.name, "segment": segment.name, "channel": channel, "subject": campaign.subject, "body": campaign.body,
            "limit": campaign.contact_limit, "cost_per_contact_cents": campaign.cost_per_contact_cents, "donors": numbers,
            "queued": queued,
        })))
        .await?;
        tx.commit().await?;
        self.campaign_view(actor, campaign.id).await
    }

    pub async fn list_campaigns(&self, actor: &Actor) -> Result<Vec<CampaignView>> {
        actor.require(Permission::ViewRecruitment)?;
        let campaigns = self.store.list_campaigns().await?;
        let segments: HashMap<Uuid, String> = self.store.list_segments().await?.into_iter().map(|s| (s.id, s.name)).collect();
        let counts = self.store.outbox_counts(None).await?;
        let contacts = self.store.campaign_contacts(None).await?;
        let outcomes = self.store.call_outcomes(None).await?;
        let donations = self.store.donations_after_contacts(None).await?;
        let bookings = self.store.bookings_after_contacts(None).await?;
        Ok(campaigns
            .iter()
            .map(|c| {
                let mine: Vec<&ContactListRow> = contacts.iter().filter(|x| x.contact.campaign_id == c.id).collect();
                let progress = progress_of(c, &counts);
                view_of(c, &segments, &mine, &outcomes, &donations, &bookings, progress).0
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
        // Progress first: a message's outcome and its contact change in one transaction,
        // so contacts read after the counts are at least as far along.
        let counts = self.store.outbox_counts(Some(id)).await?;
        let contacts = self.store.campaign_contacts(Some(id)).await?;
        let outcomes = self.store.call_outcomes(Some(id)).await?;
        let donations = self.store.donations_after_contacts(Some(id)).await?;
        let bookings = self.store.bookings_after_contacts(Some(id)).await?;
        let refs: Vec<&ContactListRow> = contacts.iter().collect();
        let (campaign, contacts) = view_of(&c, &segments, &refs, &outcomes, &donations, &bookings, progress_of(&c, &counts));
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
        let donor = tx.donor_by_id(contact.donor_id).await?.ok_or_else(|| AppError::NotFound(format!("no donor has the id {}", contact.donor_id)))?;
        tx.append_audit(
            AuditDraft::new(&actor.username, "campaign.call_outcome", "campaign_contact", contact_id)
                .donor(&donor.donor_number)
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
        if c.channel != domain::recruitment::CampaignChannel::Email {
            return Err(AppError::Conflict(format!("campaign '{}' sent no email", c.name)));
        }
        let contacts = tx.contacts_by_address(campaign_id, email).await?;
        if contacts.is_empty() {
            return Err(AppError::NotFound(format!("campaign '{}' did not write to {email}", c.name)));
        }
        for x in &contacts {
            tx.set_contact_status(x.id, "bounced", Some("reported by the mail system after sending"), None).await?;
        }
        let mut draft = AuditDraft::new(&actor.username, "campaign.bounce", "campaign", campaign_id)
            .before(serde_json::json!({"email": email, "status": contacts[0].status}))
            .after(serde_json::json!({"email": email, "status": "bounced"}));
        // An address one donor uses: the record concerns that donor.
        if contacts.iter().all(|x| x.donor_id == contacts[0].donor_id) {
            if let Some(d) = tx.donor_by_id(contacts[0].donor_id).await? {
                draft = draft.donor(d.donor_number);
            }
        }
        tx.append_audit(draft).await?;
        tx.commit().await?;
        Ok(contacts.len())
    }
}

/// Delivery progress of an email or SMS campaign; none for phone campaigns and for
/// campaigns sent before the outbox existed (no messages in it).
fn progress_of(c: &CampaignRow, counts: &[(Uuid, OutboxCounts)]) -> Option<DeliveryProgress> {
    counts.iter().find(|(id, _)| *id == c.id && c.channel != domain::recruitment::CampaignChannel::Phone).map(|(_, n)| (*n).into())
}

fn view_of(
    c: &CampaignRow,
    segments: &HashMap<Uuid, String>,
    contacts: &[&ContactListRow],
    outcomes: &[CallOutcomeRow],
    donations: &[(Uuid, DateTime<Utc>, String)],
    appointments: &[(Uuid, DateTime<Utc>)],
    delivery: Option<DeliveryProgress>,
) -> (CampaignView, Vec<ContactView>) {
    let mut views = Vec::with_capacity(contacts.len());
    let (mut contacted, mut delivered, mut bounced, mut failed, mut responses, mut bookings, mut unsubscribed, mut donated, mut units) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0);
    let mut captured = 0;
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
            "captured" => captured += 1,
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
            blood_group: x.group.0.map(|g| g.to_string()).unwrap_or_default(),
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
        captured,
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
            channel: c.channel.as_str().to_string(),
            subject: c.subject.clone(),
            body: c.body.clone(),
            contact_limit: c.contact_limit,
            cost_per_contact: c.cost_per_contact_cents as f64 / 100.0,
            created_at: c.created_at,
            created_by: c.created_by.clone(),
            stats,
            delivery,
        },
        views,
    )
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
                channel: c.channel.as_str().to_string(),
                status: c.status,
                contacted_at: c.contacted_at,
                unsubscribed: c.unsubscribed_at.is_some(),
                outcome: c.outcome,
                outcome_note: c.outcome_note,
            })
            .collect())
    }
}
