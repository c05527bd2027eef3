//! Demo recruitment data: consents, targets, segments and past campaigns.

use crate::recruitment::{hash_token, new_token, CallOutcomeInput, CampaignInput, SegmentInput, TargetInput};
use crate::{Actor, App, AppError, Result};
use chrono::{Duration, NaiveDate};
use domain::recruitment::propensity;
use domain::recruitment::SegmentFilter;
use domain::AuditDraft;
use store::{CampaignRow, ContactRow};
use uuid::Uuid;

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
                channel: domain::recruitment::CampaignChannel::parse(channel).expect("a demo channel"),
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
