//! Recruitment: the donor pool read in bulk for segments and scores, segments,
//! campaigns with their contacts and call outcomes, and collection targets.

use crate::donors::DeferralRow;
use crate::{on_pool, on_tx, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// One donor as segments and campaigns see them.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PoolRow {
    pub id: Uuid,
    pub donor_number: String,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: NaiveDate,
    #[sqlx(try_from = "String")]
    pub sex: domain::Sex,
    #[sqlx(flatten)]
    pub group: crate::GroupOnRecord,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub preferred_site: Option<Uuid>,
    pub consent_email: bool,
    pub consent_sms: bool,
    pub consent_phone: bool,
    pub consent_post: bool,
}

/// A donation as the pool reads it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PoolDonation {
    pub donor_id: Uuid,
    #[sqlx(try_from = "String")]
    pub procedure: domain::DonationProcedure,
    pub site_id: Option<Uuid>,
    pub collected_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SegmentRow {
    pub id: Uuid,
    pub name: String,
    pub filter_json: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: Uuid,
    pub name: String,
    pub segment_id: Uuid,
    #[sqlx(try_from = "String")]
    pub channel: domain::recruitment::CampaignChannel,
    pub subject: String,
    pub body: String,
    pub contact_limit: i64,
    pub cost_per_contact_cents: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ContactRow {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub donor_id: Uuid,
    pub rank: i64,
    pub score: f64,
    pub address: String,
    pub status: String,
    pub detail: Option<String>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub unsubscribe_hash: Option<String>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
}

/// A contact with who the donor is.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ContactListRow {
    #[sqlx(flatten)]
    pub contact: ContactRow,
    pub donor_number: String,
    pub first_name: String,
    pub last_name: String,
    #[sqlx(flatten)]
    pub group: crate::GroupOnRecord,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CallOutcomeRow {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub outcome: String,
    pub note: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TargetRow {
    #[sqlx(flatten)]
    pub group: crate::Group,
    #[sqlx(try_from = "String")]
    pub procedure: domain::DonationProcedure,
    pub units_per_week: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

const CONTACT_COLUMNS: &str =
    "c.id, c.campaign_id, c.donor_id, c.rank, c.score, c.address, c.status, c.detail, c.contacted_at, c.unsubscribe_hash, c.unsubscribed_at";
const CAMPAIGN_COLUMNS: &str = "id, name, segment_id, channel, subject, body, contact_limit, cost_per_contact_cents, created_at, created_by";
const SEGMENT_COLUMNS: &str = "id, name, filter_json, created_at, created_by, updated_at, updated_by";

impl Store {
    /// Every donor with contact consent, in donor-number order.
    pub async fn pool_donors(&self) -> Result<Vec<PoolRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, donor_number, first_name, last_name, birth_date, sex, abo, rhd, email, phone, preferred_site, \
             consent_email, consent_sms, consent_phone, consent_post FROM donors ORDER BY donor_number")
            .fetch_all(p).await?))
    }

    /// Every donation, in no particular order: one query for the whole pool.
    pub async fn pool_donations(&self) -> Result<Vec<PoolDonation>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT donor_id, procedure, site_id, collected_at FROM donations")
            .fetch_all(p).await?))
    }

    /// Every entry of the deferred-donor register with its reentry.
    pub async fn all_deferrals(&self) -> Result<Vec<DeferralRow>> {
        let sql = format!("{} ORDER BY d.entered_at", crate::donors::DEFERRAL_SELECT);
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// The last time each donor was contacted by any campaign.
    pub async fn last_contacts(&self) -> Result<Vec<(Uuid, DateTime<Utc>)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT donor_id, MAX(contacted_at) FROM campaign_contacts WHERE contacted_at IS NOT NULL GROUP BY donor_id")
            .fetch_all(p).await?))
    }

    pub async fn list_segments(&self) -> Result<Vec<SegmentRow>> {
        let sql = format!("SELECT {SEGMENT_COLUMNS} FROM recruitment_segments ORDER BY name");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    pub async fn segment(&self, id: Uuid) -> Result<Option<SegmentRow>> {
        let sql = format!("SELECT {SEGMENT_COLUMNS} FROM recruitment_segments WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    pub async fn list_campaigns(&self) -> Result<Vec<CampaignRow>> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM recruitment_campaigns ORDER BY created_at DESC");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    pub async fn campaign(&self, id: Uuid) -> Result<Option<CampaignRow>> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM recruitment_campaigns WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// Contacts of one campaign (or of all), best-ranked first.
    pub async fn campaign_contacts(&self, campaign: Option<Uuid>) -> Result<Vec<ContactListRow>> {
        let sql = format!(
            "SELECT {CONTACT_COLUMNS}, d.donor_number, d.first_name, d.last_name, d.abo, d.rhd FROM campaign_contacts c \
             JOIN donors d ON d.id = c.donor_id WHERE ($1 OR c.campaign_id = $2) ORDER BY c.campaign_id, c.rank"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(campaign.is_none()).bind(campaign.unwrap_or_default()).fetch_all(p).await?))
    }

    /// Call outcomes of one campaign (or all), oldest first.
    pub async fn call_outcomes(&self, campaign: Option<Uuid>) -> Result<Vec<CallOutcomeRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT o.id, o.contact_id, o.outcome, o.note, o.recorded_at, o.recorded_by FROM call_outcomes o \
             JOIN campaign_contacts c ON c.id = o.contact_id WHERE ($1 OR c.campaign_id = $2) ORDER BY o.recorded_at")
            .bind(campaign.is_none()).bind(campaign.unwrap_or_default()).fetch_all(p).await?))
    }

    /// (contact, collection time, procedure) of each donation a contacted donor made after the contact.
    pub async fn donations_after_contacts(&self, campaign: Option<Uuid>) -> Result<Vec<(Uuid, DateTime<Utc>, String)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT c.id, d.collected_at, d.procedure FROM campaign_contacts c JOIN donations d ON d.donor_id = c.donor_id \
             WHERE c.contacted_at IS NOT NULL AND d.collected_at > c.contacted_at AND ($1 OR c.campaign_id = $2)")
            .bind(campaign.is_none()).bind(campaign.unwrap_or_default()).fetch_all(p).await?))
    }

    /// (contact, booked at) of each appointment (not cancelled) a contacted donor booked after the contact.
    pub async fn bookings_after_contacts(&self, campaign: Option<Uuid>) -> Result<Vec<(Uuid, DateTime<Utc>)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT c.id, a.booked_at FROM campaign_contacts c JOIN appointments a ON a.donor_id = c.donor_id \
             WHERE c.contacted_at IS NOT NULL AND a.booked_at > c.contacted_at AND a.status <> 'cancelled' AND ($1 OR c.campaign_id = $2)")
            .bind(campaign.is_none()).bind(campaign.unwrap_or_default()).fetch_all(p).await?))
    }

    pub async fn contact_by_unsubscribe_hash(&self, hash: &str) -> Result<Option<ContactRow>> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM campaign_contacts c WHERE c.unsubscribe_hash = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(hash).fetch_optional(p).await?))
    }

    pub async fn list_targets(&self) -> Result<Vec<TargetRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT abo, rhd, procedure, units_per_week, updated_at, updated_by FROM recruitment_targets ORDER BY abo, rhd, procedure")
            .fetch_all(p).await?))
    }

    /// (ABO, RhD, procedure, donations) collected in `[from, to)`.
    pub async fn donations_by_group(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<(String, String, String, i64)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT d.abo, d.rhd, x.procedure, COUNT(*) FROM donations x JOIN donors d ON d.id = x.donor_id \
             WHERE d.abo IS NOT NULL AND d.rhd IS NOT NULL AND x.collected_at >= $1 AND x.collected_at < $2 GROUP BY d.abo, d.rhd, x.procedure")
            .bind(from).bind(to).fetch_all(p).await?))
    }
}

impl WriteTx {
    pub async fn segment_by_name(&mut self, name: &str) -> Result<Option<SegmentRow>> {
        let sql = format!("SELECT {SEGMENT_COLUMNS} FROM recruitment_segments WHERE lower(name) = lower($1)");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(name).fetch_optional(c).await?))
    }

    pub async fn segment(&mut self, id: Uuid) -> Result<Option<SegmentRow>> {
        let sql = format!("SELECT {SEGMENT_COLUMNS} FROM recruitment_segments WHERE id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    pub async fn insert_segment(&mut self, s: &SegmentRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO recruitment_segments (id, name, filter_json, created_at, created_by, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(s.id).bind(&s.name).bind(&s.filter_json).bind(s.created_at).bind(&s.created_by).bind(s.updated_at).bind(&s.updated_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn update_segment(&mut self, s: &SegmentRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE recruitment_segments SET name = $2, filter_json = $3, updated_at = $4, updated_by = $5 WHERE id = $1")
            .bind(s.id).bind(&s.name).bind(&s.filter_json).bind(s.updated_at).bind(&s.updated_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_campaign(&mut self, x: &CampaignRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO recruitment_campaigns (id, name, segment_id, channel, subject, body, contact_limit, cost_per_contact_cents, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(x.id).bind(&x.name).bind(x.segment_id).bind(x.channel.as_str()).bind(&x.subject).bind(&x.body).bind(x.contact_limit)
            .bind(x.cost_per_contact_cents).bind(x.created_at).bind(&x.created_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_contact(&mut self, x: &ContactRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO campaign_contacts (id, campaign_id, donor_id, rank, score, address, status, detail, contacted_at, unsubscribe_hash, unsubscribed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(x.id).bind(x.campaign_id).bind(x.donor_id).bind(x.rank).bind(x.score).bind(&x.address).bind(&x.status).bind(&x.detail)
            .bind(x.contacted_at).bind(&x.unsubscribe_hash).bind(x.unsubscribed_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Records what became of a send or a call.
    pub async fn set_contact_status(&mut self, id: Uuid, status: &str, detail: Option<&str>, contacted_at: Option<DateTime<Utc>>) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE campaign_contacts SET status = $2, detail = $3, contacted_at = COALESCE(contacted_at, $4) WHERE id = $1")
            .bind(id).bind(status).bind(detail).bind(contacted_at)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn contact(&mut self, id: Uuid) -> Result<Option<ContactRow>> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM campaign_contacts c WHERE c.id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    /// The campaign's contacts sent to this address (case-insensitive).
    pub async fn contacts_by_address(&mut self, campaign: Uuid, address: &str) -> Result<Vec<ContactRow>> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM campaign_contacts c WHERE c.campaign_id = $1 AND lower(c.address) = lower($2)");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(campaign).bind(address).fetch_all(c).await?))
    }

    pub async fn contact_by_unsubscribe_hash(&mut self, hash: &str) -> Result<Option<ContactRow>> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM campaign_contacts c WHERE c.unsubscribe_hash = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(hash).fetch_optional(c).await?))
    }

    /// The donor withdrew email consent through a campaign's link.
    pub async fn unsubscribe(&mut self, contact_id: Uuid, donor_id: Uuid, at: DateTime<Utc>) -> Result<()> {
        on_tx!(self, c => {
            sqlx::query("UPDATE campaign_contacts SET unsubscribed_at = $2 WHERE id = $1").bind(contact_id).bind(at).execute(&mut *c).await?;
            sqlx::query("UPDATE donors SET consent_email = $2 WHERE id = $1").bind(donor_id).bind(false).execute(&mut *c).await?.rows_affected()
        });
        Ok(())
    }

    pub async fn insert_call_outcome(&mut self, o: &CallOutcomeRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO call_outcomes (id, contact_id, outcome, note, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(o.id).bind(o.contact_id).bind(&o.outcome).bind(&o.note).bind(o.recorded_at).bind(&o.recorded_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn target(&mut self, group: domain::BloodGroup, procedure: domain::DonationProcedure) -> Result<Option<TargetRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT abo, rhd, procedure, units_per_week, updated_at, updated_by FROM recruitment_targets WHERE abo = $1 AND rhd = $2 AND procedure = $3")
            .bind(group.abo_str()).bind(group.rhd_str()).bind(procedure.as_str()).fetch_optional(c).await?))
    }

    pub async fn set_target(&mut self, t: &TargetRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO recruitment_targets (abo, rhd, procedure, units_per_week, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (abo, rhd, procedure) DO UPDATE SET units_per_week = excluded.units_per_week, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
            .bind(t.group.0.abo_str()).bind(t.group.0.rhd_str()).bind(t.procedure.as_str()).bind(t.units_per_week).bind(t.updated_at).bind(&t.updated_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}

impl WriteTx {
    /// Sets only the consent columns of a donor.
    pub async fn set_consent(&mut self, donor_id: Uuid, email: bool, sms: bool, phone: bool, post: bool) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE donors SET consent_email = $2, consent_sms = $3, consent_phone = $4, consent_post = $5 WHERE id = $1")
            .bind(donor_id).bind(email).bind(sms).bind(phone).bind(post)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}

/// One campaign contact of a donor, for the donor page.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DonorCampaignContact {
    pub campaign_id: Uuid,
    pub campaign: String,
    #[sqlx(try_from = "String")]
    pub channel: domain::recruitment::CampaignChannel,
    pub status: String,
    pub contacted_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
    /// The latest call outcome, if the donor was called.
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
}

impl Store {
    /// Campaign contacts of these donor records (a donor and the records merged into it), newest first.
    pub async fn campaign_contacts_of(&self, donor_ids: &[Uuid]) -> Result<Vec<DonorCampaignContact>> {
        self.fetch_for_ids(
            "SELECT c.id AS campaign_id, c.name AS campaign, c.channel, k.status, k.contacted_at, k.unsubscribed_at, \
             (SELECT o.outcome FROM call_outcomes o WHERE o.contact_id = k.id ORDER BY o.recorded_at DESC LIMIT 1) AS outcome, \
             (SELECT o.note FROM call_outcomes o WHERE o.contact_id = k.id ORDER BY o.recorded_at DESC LIMIT 1) AS outcome_note \
             FROM campaign_contacts k JOIN recruitment_campaigns c ON c.id = k.campaign_id WHERE k.donor_id IN ({ids}) \
             ORDER BY c.created_at DESC",
            donor_ids,
        )
        .await
    }
}

impl Store {
    /// Every merge as (duplicate, survivor): the pool leaves duplicates out and counts
    /// their history for the survivor.
    pub async fn all_donor_merges(&self) -> Result<Vec<(Uuid, Uuid)>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT duplicate_id, survivor_id FROM donor_merges").fetch_all(p).await?))
    }
}
