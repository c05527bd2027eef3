//! The Outbox page: messages kept instead of sent because this server has no mail
//! server (email) or SMS webhook (SMS) configured. They are never sent later.

use crate::{Actor, App, Result};
use domain::Permission;
use serde::Serialize;
use uuid::Uuid;

/// Messages per Outbox page.
pub const CAPTURED_PER_PAGE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapturedView {
    pub id: Uuid,
    /// `email` or `sms`.
    pub channel: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// What the message is, in words ("Campaign message", "Booking confirmation").
    pub what: String,
    pub campaign_id: Option<Uuid>,
    pub donor_number: Option<String>,
    /// When it was captured, in the facility's time with its zone ("2026-12-04 09:15 CST").
    pub captured_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapturedPage {
    pub messages: Vec<CapturedView>,
    pub total: i64,
    /// 1-based.
    pub page: i64,
    pub pages: i64,
    /// True while emails are being captured (no mail server configured).
    pub capturing_email: bool,
    /// True while SMS messages are being captured (no SMS webhook configured).
    pub capturing_sms: bool,
}

fn what(kind: &str) -> String {
    match kind {
        "campaign" => "Campaign message".into(),
        "appointment.confirmation" => "Booking confirmation".into(),
        "appointment.reminder" => "Appointment reminder".into(),
        other => other.replace(['.', '_'], " "),
    }
}

impl App {
    /// One page (1-based) of captured messages, newest first. Admins and recruiters
    /// only: the messages hold personal booking and unsubscribe links.
    pub async fn captured_mail(&self, actor: &Actor, page: i64) -> Result<CapturedPage> {
        actor.require(Permission::ManageRecruitment)?;
        let page = page.max(1);
        let (rows, total) = self.store.captured_page((page - 1) * CAPTURED_PER_PAGE, CAPTURED_PER_PAGE).await?;
        let messages = rows
            .into_iter()
            .map(|m| CapturedView {
                id: m.id,
                what: what(&m.kind),
                channel: m.channel.as_str().to_string(),
                to: m.to_address,
                subject: m.subject,
                body: m.body,
                campaign_id: m.campaign_id,
                donor_number: m.donor_number,
                captured_at: self.local_time(m.captured_at),
            })
            .collect();
        Ok(CapturedPage {
            messages,
            total,
            page,
            pages: ((total + CAPTURED_PER_PAGE - 1) / CAPTURED_PER_PAGE).max(1),
            capturing_email: !self.mail_available(),
            capturing_sms: !self.sms_available(),
        })
    }
}
