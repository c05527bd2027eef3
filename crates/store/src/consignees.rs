//! Lookback and recall to the consignee: recall cases naming units, the notices sent
//! to each hospital that received an affected unit, the hospital's acknowledgement, and
//! the supplemental result of a lookback case.
//!
//! A case is either a lookback case (its units are those of its earlier donations) or a
//! recall case (its units are named); the queries below take either id.

use crate::components::{COLUMNS, LATEST};
use crate::inventory::LOCATION_OF_UNIT;
use crate::reference::latest_hospital_version;
use crate::{on_pool, on_tx, Backend, ComponentRow, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RecallCaseRow {
    pub id: Uuid,
    pub number: String,
    pub kind: String,
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
}

/// A unit of a case with where it is now and what the hospital reported.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CaseUnitRow {
    #[sqlx(flatten)]
    pub unit: ComponentRow,
    pub location_code: Option<String>,
    pub location_name: Option<String>,
    pub disposition: Option<String>,
    pub disposition_at: Option<DateTime<Utc>>,
}

/// A shipment of a case's unit to a consignee.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CaseShipmentRow {
    pub component_id: Uuid,
    pub din: String,
    pub product_code: String,
    pub shipment_number: String,
    pub hospital_id: Uuid,
    pub hospital_code: String,
    pub hospital_name: String,
    pub contact_email: Option<String>,
    pub shipped_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConsigneeNotificationRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_kind: String,
    pub hospital_id: Uuid,
    pub kind: String,
    pub due_on: Option<NaiveDate>,
    pub email_to: String,
    pub sent_at: DateTime<Utc>,
    pub sent_by: String,
}

/// A notice with its hospital and its acknowledgement, if any.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NoticeRow {
    #[sqlx(flatten)]
    pub notice: ConsigneeNotificationRow,
    pub hospital_code: String,
    pub hospital_name: String,
    pub note: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
}

/// A unit named in a notice, with what the hospital said it did.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NoticeUnitRow {
    pub notification_id: Uuid,
    pub component_id: Uuid,
    pub din: String,
    pub product_code: String,
    pub shipment_number: String,
    pub action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LookbackResultRow {
    pub case_id: Uuid,
    pub result: String,
    pub tested_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

const CASE_UNITS: &str = "(c.id IN (SELECT r.component_id FROM recall_units r WHERE r.case_id = $1) \
     OR c.donation_id IN (SELECT l.donation_id FROM lookback_donations l WHERE l.case_id = $1))";

const NOTICE: &str = concat!(
    "SELECT n.*, h.code AS hospital_code, hv.name AS hospital_name, a.note, a.acknowledged_at, a.acknowledged_by \
     FROM consignee_notifications n JOIN hospitals h ON h.id = n.hospital_id ",
    latest_hospital_version!(),
    " LEFT JOIN consignee_acknowledgements a ON a.notification_id = n.id"
);

const LATEST_HOSPITAL: &str = latest_hospital_version!();

fn shipments_sql() -> String {
    format!(
        "SELECT c.id AS component_id, c.din, c.product_code, s.number AS shipment_number, s.hospital_id, h.code AS hospital_code, \
         hv.name AS hospital_name, hv.contact_email, s.shipped_at \
         FROM components c JOIN shipment_items i ON i.component_id = c.id JOIN shipments s ON s.id = i.shipment_id \
         JOIN hospitals h ON h.id = s.hospital_id {LATEST_HOSPITAL} \
         WHERE s.shipped_at IS NOT NULL AND {CASE_UNITS} ORDER BY h.code, s.shipped_at, c.din, c.product_code"
    )
}

impl Store {
    pub async fn recall_cases(&self, limit: i64) -> Result<Vec<RecallCaseRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM recall_cases ORDER BY opened_at DESC LIMIT $1").bind(limit).fetch_all(p).await?))
    }

    pub async fn recall_case(&self, id: Uuid) -> Result<Option<RecallCaseRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM recall_cases WHERE id = $1").bind(id).fetch_optional(p).await?))
    }

    pub async fn lookback_case(&self, id: Uuid) -> Result<Option<crate::LookbackListRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT l.*, d.donor_number, dn.din FROM lookback_cases l JOIN donors d ON d.id = l.donor_id \
             JOIN donations dn ON dn.id = l.donation_id WHERE l.id = $1")
            .bind(id).fetch_optional(p).await?))
    }

    /// Every unit of a case with its location (in stock) and reported disposition.
    pub async fn case_units(&self, case_id: Uuid) -> Result<Vec<CaseUnitRow>> {
        let sql = format!(
            "SELECT {COLUMNS}, loc.code AS location_code, loc.name AS location_name, ud.disposition, ud.occurred_at AS disposition_at \
             FROM components c {LATEST} {LOCATION_OF_UNIT} LEFT JOIN unit_dispositions ud ON ud.component_id = c.id \
             WHERE {CASE_UNITS} ORDER BY c.din, c.product_code"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(case_id).fetch_all(p).await?))
    }

    /// Every shipment of a case's units, by hospital.
    pub async fn case_shipments(&self, case_id: Uuid) -> Result<Vec<CaseShipmentRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(&shipments_sql()).bind(case_id).fetch_all(p).await?))
    }

    pub async fn notices_of_case(&self, case_id: Uuid) -> Result<Vec<NoticeRow>> {
        let sql = format!("{NOTICE} WHERE n.case_id = $1 ORDER BY h.code, n.sent_at");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(case_id).fetch_all(p).await?))
    }

    /// Notices, newest first; of one hospital when given.
    pub async fn notices(&self, hospital: Option<Uuid>, limit: i64) -> Result<Vec<NoticeRow>> {
        let sql = format!("{NOTICE} WHERE ($1 IS NULL OR n.hospital_id = $1) ORDER BY n.sent_at DESC LIMIT $2");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(hospital).bind(limit).fetch_all(p).await?))
    }

    pub async fn notice(&self, id: Uuid) -> Result<Option<NoticeRow>> {
        let sql = format!("{NOTICE} WHERE n.id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    pub async fn notice_units(&self, notification_id: Uuid) -> Result<Vec<NoticeUnitRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT u.notification_id, u.component_id, c.din, c.product_code, u.shipment_number, a.action \
             FROM consignee_notification_units u JOIN components c ON c.id = u.component_id \
             LEFT JOIN consignee_acknowledgement_units a ON a.notification_id = u.notification_id AND a.component_id = u.component_id \
             WHERE u.notification_id = $1 ORDER BY c.din, c.product_code")
            .bind(notification_id).fetch_all(p).await?))
    }

    /// A unit with its storage location and reported disposition.
    pub async fn unit_place(&self, component_id: Uuid) -> Result<Option<CaseUnitRow>> {
        let sql = format!(
            "SELECT {COLUMNS}, loc.code AS location_code, loc.name AS location_name, ud.disposition, ud.occurred_at AS disposition_at \
             FROM components c {LATEST} {LOCATION_OF_UNIT} LEFT JOIN unit_dispositions ud ON ud.component_id = c.id WHERE c.id = $1"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(component_id).fetch_optional(p).await?))
    }

    /// The ABO/RhD a unit was last released with.
    pub async fn released_group_of(&self, component_id: Uuid) -> Result<Option<String>> {
        let g: Option<(Option<String>,)> = on_pool!(self, p => sqlx::query_as(
            "SELECT r.blood_group FROM component_releases r WHERE r.component_id = $1 ORDER BY r.released_at DESC LIMIT 1")
            .bind(component_id).fetch_optional(p).await?);
        Ok(g.and_then(|(g,)| g))
    }

    pub async fn lookback_result(&self, case_id: Uuid) -> Result<Option<LookbackResultRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM lookback_results WHERE case_id = $1").bind(case_id).fetch_optional(p).await?))
    }
}

impl WriteTx {
    pub async fn recall_case_in_tx(&mut self, id: Uuid) -> Result<Option<RecallCaseRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM recall_cases WHERE id = $1").bind(id).fetch_optional(c).await?))
    }

    pub async fn lookback_case_in_tx(&mut self, id: Uuid) -> Result<Option<crate::LookbackCaseRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM lookback_cases WHERE id = $1").bind(id).fetch_optional(c).await?))
    }

    /// The units of a case, their rows locked on PostgreSQL.
    pub async fn case_units_for_update(&mut self, case_id: Uuid) -> Result<Vec<ComponentRow>> {
        if self.backend() == Backend::Postgres {
            let sql = format!("SELECT c.id FROM components c WHERE {CASE_UNITS} ORDER BY c.id FOR UPDATE");
            on_tx!(self, c => sqlx::query(&sql).bind(case_id).execute(c).await?.rows_affected());
        }
        let sql = format!("SELECT {COLUMNS} FROM components c {LATEST} WHERE {CASE_UNITS} ORDER BY c.din, c.product_code");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(case_id).fetch_all(c).await?))
    }

    pub async fn case_shipments_in_tx(&mut self, case_id: Uuid) -> Result<Vec<CaseShipmentRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(&shipments_sql()).bind(case_id).fetch_all(c).await?))
    }

    pub async fn insert_recall_case(&mut self, r: &RecallCaseRow, units: &[Uuid]) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO recall_cases (id, number, kind, reason, opened_at, opened_by) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(r.id).bind(&r.number).bind(&r.kind).bind(&r.reason).bind(r.opened_at).bind(&r.opened_by)
            .execute(c).await?.rows_affected());
        for u in units {
            on_tx!(self, c => sqlx::query("INSERT INTO recall_units (case_id, component_id) VALUES ($1, $2)")
                .bind(r.id).bind(u).execute(c).await?.rows_affected());
        }
        Ok(())
    }

    /// The notice of this kind already sent to the hospital for the case, if any.
    pub async fn notice_sent_in_tx(&mut self, case_id: Uuid, hospital_id: Uuid, kind: &str) -> Result<Option<ConsigneeNotificationRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM consignee_notifications WHERE case_id = $1 AND hospital_id = $2 AND kind = $3")
            .bind(case_id).bind(hospital_id).bind(kind).fetch_optional(c).await?))
    }

    /// A notice (`(component, shipment number)` per unit named).
    pub async fn insert_notice(&mut self, n: &ConsigneeNotificationRow, units: &[(Uuid, String)]) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO consignee_notifications (id, case_id, case_kind, hospital_id, kind, due_on, email_to, sent_at, sent_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(n.id).bind(n.case_id).bind(&n.case_kind).bind(n.hospital_id).bind(&n.kind).bind(n.due_on)
            .bind(&n.email_to).bind(n.sent_at).bind(&n.sent_by)
            .execute(c).await?.rows_affected());
        for (u, shipment) in units {
            on_tx!(self, c => sqlx::query("INSERT INTO consignee_notification_units (notification_id, component_id, shipment_number) VALUES ($1, $2, $3)")
                .bind(n.id).bind(u).bind(shipment).execute(c).await?.rows_affected());
        }
        Ok(())
    }

    /// A notice with its acknowledgement, its row locked on PostgreSQL.
    pub async fn notice_for_update(&mut self, id: Uuid) -> Result<Option<NoticeRow>> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT id FROM consignee_notifications WHERE id = $1 FOR UPDATE").bind(id).execute(c).await?.rows_affected());
        }
        let sql = format!("{NOTICE} WHERE n.id = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    pub async fn notice_units_in_tx(&mut self, notification_id: Uuid) -> Result<Vec<NoticeUnitRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT u.notification_id, u.component_id, c.din, c.product_code, u.shipment_number, a.action \
             FROM consignee_notification_units u JOIN components c ON c.id = u.component_id \
             LEFT JOIN consignee_acknowledgement_units a ON a.notification_id = u.notification_id AND a.component_id = u.component_id \
             WHERE u.notification_id = $1 ORDER BY c.din, c.product_code")
            .bind(notification_id).fetch_all(c).await?))
    }

    /// The hospital's answer: a note and, per unit, what it did.
    pub async fn insert_acknowledgement(
        &mut self,
        notification_id: Uuid,
        note: &str,
        at: DateTime<Utc>,
        by: &str,
        units: &[(Uuid, String)],
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO consignee_acknowledgements (notification_id, note, acknowledged_at, acknowledged_by) VALUES ($1, $2, $3, $4)")
            .bind(notification_id).bind(note).bind(at).bind(by).execute(c).await?.rows_affected());
        for (u, action) in units {
            on_tx!(self, c => sqlx::query("INSERT INTO consignee_acknowledgement_units (notification_id, component_id, action) VALUES ($1, $2, $3)")
                .bind(notification_id).bind(u).bind(action).execute(c).await?.rows_affected());
        }
        Ok(())
    }

    pub async fn lookback_result_in_tx(&mut self, case_id: Uuid) -> Result<Option<LookbackResultRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM lookback_results WHERE case_id = $1").bind(case_id).fetch_optional(c).await?))
    }

    pub async fn insert_lookback_result(&mut self, r: &LookbackResultRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO lookback_results (case_id, result, tested_on, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5)")
            .bind(r.case_id).bind(&r.result).bind(r.tested_on).bind(r.recorded_at).bind(&r.recorded_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }
}
