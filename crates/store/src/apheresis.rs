//! Therapeutic apheresis: nurses with their certifications and on-call days, devices,
//! travel times, hospitals' requests with their states, and the treatments booked.
//! Scheduling locks every nurse and device row on PostgreSQL before it reads the
//! calendars, so two bookings cannot both take the same hour.

use crate::reference::latest_hospital_version;
use crate::{on_pool, on_tx, Backend, Result, Store, WriteTx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::apheresis::catalog::{DeviceType, Procedure};
use domain::apheresis::request::{RequestState, Urgency};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NurseRow {
    pub id: Uuid,
    pub username: String,
    pub name: String,
    pub home_site: String,
    pub weekdays: String,
    pub day_start: String,
    pub day_end: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CertificationRow {
    pub id: Uuid,
    pub nurse_id: Uuid,
    #[sqlx(try_from = "String")]
    pub procedure: Procedure,
    pub expires_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OnCallRow {
    pub on_date: NaiveDate,
    pub nurse_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: Uuid,
    pub name: String,
    pub serial: String,
    #[sqlx(try_from = "String")]
    pub device_type: DeviceType,
    pub maintenance_due: NaiveDate,
    pub home_site: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TravelRow {
    pub place_a: String,
    pub place_b: String,
    pub minutes: i64,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApheresisRequestRow {
    pub id: Uuid,
    pub number: String,
    pub hospital_id: Uuid,
    pub mrn: String,
    pub patient_name: String,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub height_cm: f64,
    pub weight_kg: f64,
    pub hematocrit: f64,
    /// Red cell exchange only: the hematocrit wanted, HbS now and wanted (fractions).
    pub hematocrit_target: Option<f64>,
    pub hbs_initial: Option<f64>,
    pub hbs_target: Option<f64>,
    pub ordering_physician: String,
    pub indication: String,
    pub asfa_category: String,
    pub asfa_grade: String,
    #[sqlx(try_from = "String")]
    pub procedure: Procedure,
    pub treatments: i64,
    pub every_days: i64,
    #[sqlx(try_from = "String")]
    pub urgency: Urgency,
    pub earliest_on: Option<NaiveDate>,
    pub location: String,
    pub vascular_access: String,
    pub note: String,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A request with where it stands and its hospital.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RequestCurrent {
    #[sqlx(flatten)]
    pub request: ApheresisRequestRow,
    #[sqlx(try_from = "String")]
    pub state: RequestState,
    pub state_at: DateTime<Utc>,
    pub state_note: String,
    pub hospital_code: String,
    pub hospital_name: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RequestStateRow {
    pub request_id: Uuid,
    pub seq: i64,
    #[sqlx(try_from = "String")]
    pub state: RequestState,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TreatmentRow {
    pub id: Uuid,
    pub request_id: Uuid,
    pub seq: i64,
    pub nurse_id: Uuid,
    pub device_id: Uuid,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub booked_at: DateTime<Utc>,
    pub booked_by: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
    pub end_kind: Option<String>,
    pub end_reason: Option<String>,
}

/// A treatment with what a calendar shows of it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TreatmentLine {
    #[sqlx(flatten)]
    pub treatment: TreatmentRow,
    pub request_number: String,
    pub hospital_id: Uuid,
    #[sqlx(try_from = "String")]
    pub procedure: Procedure,
    pub treatments: i64,
    pub patient_name: String,
    pub location: String,
    pub nurse_name: String,
    pub nurse_username: String,
    pub device_name: String,
    pub device_serial: String,
}

const CURRENT_REQUEST: &str = concat!(
    "SELECT r.*, st.state, st.changed_at AS state_at, st.note AS state_note, h.code AS hospital_code, hv.name AS hospital_name \
     FROM apheresis_requests r JOIN apheresis_request_states st ON st.request_id = r.id \
       AND st.seq = (SELECT MAX(x.seq) FROM apheresis_request_states x WHERE x.request_id = r.id) \
     JOIN hospitals h ON h.id = r.hospital_id ",
    latest_hospital_version!()
);

const TREATMENT_LINE: &str = "SELECT t.*, r.number AS request_number, r.hospital_id, r.procedure, r.treatments, r.patient_name, r.location, \
     n.name AS nurse_name, n.username AS nurse_username, d.name AS device_name, d.serial AS device_serial \
     FROM apheresis_treatments t JOIN apheresis_requests r ON r.id = t.request_id \
     JOIN apheresis_nurses n ON n.id = t.nurse_id JOIN apheresis_devices d ON d.id = t.device_id";

/// The latest certification per nurse and procedure.
const LATEST_CERTIFICATIONS: &str = "SELECT c.* FROM apheresis_certifications c WHERE c.recorded_at = \
     (SELECT MAX(x.recorded_at) FROM apheresis_certifications x WHERE x.nurse_id = c.nurse_id AND x.procedure = c.procedure) \
     ORDER BY c.nurse_id, c.procedure";

impl Store {
    pub async fn apheresis_nurses(&self) -> Result<Vec<NurseRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM apheresis_nurses ORDER BY name").fetch_all(p).await?))
    }

    pub async fn apheresis_nurse_by_username(&self, username: &str) -> Result<Option<NurseRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM apheresis_nurses WHERE username = $1").bind(username).fetch_optional(p).await?))
    }

    pub async fn nurse_certifications(&self) -> Result<Vec<CertificationRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(LATEST_CERTIFICATIONS).fetch_all(p).await?))
    }

    pub async fn on_call_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<OnCallRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM apheresis_on_call WHERE on_date >= $1 AND on_date <= $2 ORDER BY on_date")
            .bind(from).bind(to).fetch_all(p).await?))
    }

    pub async fn apheresis_devices(&self) -> Result<Vec<DeviceRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM apheresis_devices ORDER BY name, serial").fetch_all(p).await?))
    }

    pub async fn travel_times(&self) -> Result<Vec<TravelRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM travel_times ORDER BY place_a, place_b").fetch_all(p).await?))
    }

    /// Requests, newest first; only one hospital's when `hospital` is given.
    pub async fn apheresis_requests(&self, hospital: Option<Uuid>, limit: i64) -> Result<Vec<RequestCurrent>> {
        let sql = format!("{CURRENT_REQUEST} WHERE ($1 IS NULL OR r.hospital_id = $1) ORDER BY r.created_at DESC, r.number DESC LIMIT $2");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(hospital).bind(limit).fetch_all(p).await?))
    }

    /// How many requests stand in a state now.
    pub async fn count_apheresis_requests_in(&self, state: RequestState) -> Result<i64> {
        Ok(on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM apheresis_request_states st WHERE st.state = $1 \
             AND st.seq = (SELECT MAX(x.seq) FROM apheresis_request_states x WHERE x.request_id = st.request_id)")
            .bind(state.as_str()).fetch_one(p).await?))
    }

    pub async fn apheresis_request(&self, number: &str) -> Result<Option<RequestCurrent>> {
        let sql = format!("{CURRENT_REQUEST} WHERE r.number = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(number).fetch_optional(p).await?))
    }

    pub async fn apheresis_request_states(&self, request_id: Uuid) -> Result<Vec<RequestStateRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM apheresis_request_states WHERE request_id = $1 ORDER BY seq")
            .bind(request_id).fetch_all(p).await?))
    }

    /// Every booking of a request, open and ended, in order.
    pub async fn treatments_of_request(&self, request_id: Uuid) -> Result<Vec<TreatmentLine>> {
        let sql = format!("{TREATMENT_LINE} WHERE t.request_id = $1 ORDER BY t.seq, t.booked_at");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(request_id).fetch_all(p).await?))
    }

    /// Open bookings that start in [from, to), in time order.
    pub async fn treatments_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<TreatmentLine>> {
        let sql = format!("{TREATMENT_LINE} WHERE t.ended_at IS NULL AND t.starts_at >= $1 AND t.starts_at < $2 ORDER BY t.starts_at, n.name");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(from).bind(to).fetch_all(p).await?))
    }
}

impl WriteTx {
    pub async fn insert_apheresis_nurse(&mut self, n: &NurseRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO apheresis_nurses (id, username, name, home_site, weekdays, day_start, day_end, created_at, created_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(n.id).bind(&n.username).bind(&n.name).bind(&n.home_site).bind(&n.weekdays).bind(&n.day_start).bind(&n.day_end)
            .bind(n.created_at).bind(&n.created_by).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn apheresis_nurse_by_username_in_tx(&mut self, username: &str) -> Result<Option<NurseRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM apheresis_nurses WHERE username = $1").bind(username).fetch_optional(c).await?))
    }

    pub async fn insert_certification(&mut self, r: &CertificationRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO apheresis_certifications (id, nurse_id, procedure, expires_on, recorded_at, recorded_by) \
            VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(r.id).bind(r.nurse_id).bind(r.procedure.as_str()).bind(r.expires_on).bind(r.recorded_at).bind(&r.recorded_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Puts a nurse on call for a day: false when already on call that day.
    pub async fn insert_on_call(&mut self, r: &OnCallRow) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query("INSERT INTO apheresis_on_call (on_date, nurse_id, recorded_at, recorded_by) VALUES ($1, $2, $3, $4) \
            ON CONFLICT DO NOTHING")
            .bind(r.on_date).bind(r.nurse_id).bind(r.recorded_at).bind(&r.recorded_by).execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    pub async fn insert_apheresis_device(&mut self, d: &DeviceRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO apheresis_devices (id, name, serial, device_type, maintenance_due, home_site, created_at, created_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(d.id).bind(&d.name).bind(&d.serial).bind(d.device_type.as_str()).bind(d.maintenance_due).bind(&d.home_site)
            .bind(d.created_at).bind(&d.created_by).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn apheresis_device_by_serial_in_tx(&mut self, serial: &str) -> Result<Option<DeviceRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM apheresis_devices WHERE serial = $1").bind(serial).fetch_optional(c).await?))
    }

    /// Records the device's next maintenance due date (after a service).
    pub async fn set_device_maintenance(&mut self, id: Uuid, due: NaiveDate) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE apheresis_devices SET maintenance_due = $2 WHERE id = $1").bind(id).bind(due).execute(c).await?.rows_affected());
        Ok(())
    }

    /// Sets the travel time between two places (stored once, alphabetical).
    pub async fn upsert_travel_time(&mut self, a: &str, b: &str, minutes: i64, at: DateTime<Utc>, by: &str) -> Result<()> {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        on_tx!(self, c => sqlx::query("INSERT INTO travel_times (place_a, place_b, minutes, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5) \
            ON CONFLICT (place_a, place_b) DO UPDATE SET minutes = excluded.minutes, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by")
            .bind(a).bind(b).bind(minutes).bind(at).bind(by).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_apheresis_request(&mut self, r: &ApheresisRequestRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO apheresis_requests (id, number, hospital_id, mrn, patient_name, birth_date, sex, height_cm, weight_kg, \
            hematocrit, ordering_physician, indication, asfa_category, asfa_grade, procedure, treatments, every_days, urgency, earliest_on, location, \
            vascular_access, note, channel, created_at, created_by, hematocrit_target, hbs_initial, hbs_target) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)")
            .bind(r.id).bind(&r.number).bind(r.hospital_id).bind(&r.mrn).bind(&r.patient_name).bind(r.birth_date).bind(&r.sex)
            .bind(r.height_cm).bind(r.weight_kg).bind(r.hematocrit).bind(&r.ordering_physician).bind(&r.indication)
            .bind(&r.asfa_category).bind(&r.asfa_grade).bind(r.procedure.as_str()).bind(r.treatments).bind(r.every_days)
            .bind(r.urgency.as_str()).bind(r.earliest_on).bind(&r.location).bind(&r.vascular_access).bind(&r.note).bind(&r.channel)
            .bind(r.created_at).bind(&r.created_by).bind(r.hematocrit_target).bind(r.hbs_initial).bind(r.hbs_target)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn add_apheresis_request_state(
        &mut self,
        request_id: Uuid,
        state: RequestState,
        at: DateTime<Utc>,
        by: &str,
        note: &str,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO apheresis_request_states (request_id, seq, state, changed_at, changed_by, note) \
            VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM apheresis_request_states WHERE request_id = $1), $2, $3, $4, $5)")
            .bind(request_id).bind(state.as_str()).bind(at).bind(by).bind(note).execute(c).await?.rows_affected());
        Ok(())
    }

    /// The request, its row locked on PostgreSQL (two decisions on one request queue).
    pub async fn apheresis_request_for_update(&mut self, number: &str) -> Result<Option<RequestCurrent>> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT id FROM apheresis_requests WHERE number = $1 FOR UPDATE").bind(number).execute(c).await?.rows_affected());
        }
        let sql = format!("{CURRENT_REQUEST} WHERE r.number = $1");
        Ok(on_tx!(self, c => sqlx::query_as(&sql).bind(number).fetch_optional(c).await?))
    }

    /// Locks every nurse and device row on PostgreSQL, in a fixed order, so that two
    /// schedulers read and write the calendars one after the other. SQLite's write
    /// transaction already holds the database.
    pub async fn lock_apheresis_calendars(&mut self) -> Result<()> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT id FROM apheresis_nurses ORDER BY id FOR UPDATE").execute(&mut *c).await?.rows_affected());
            on_tx!(self, c => sqlx::query("SELECT id FROM apheresis_devices ORDER BY id FOR UPDATE").execute(&mut *c).await?.rows_affected());
        }
        Ok(())
    }

    pub async fn apheresis_nurses_in_tx(&mut self) -> Result<Vec<NurseRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM apheresis_nurses ORDER BY name").fetch_all(c).await?))
    }

    pub async fn apheresis_devices_in_tx(&mut self) -> Result<Vec<DeviceRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM apheresis_devices ORDER BY name, serial").fetch_all(c).await?))
    }

    pub async fn nurse_certifications_in_tx(&mut self) -> Result<Vec<CertificationRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(LATEST_CERTIFICATIONS).fetch_all(c).await?))
    }

    pub async fn on_call_between_in_tx(&mut self, from: NaiveDate, to: NaiveDate) -> Result<Vec<OnCallRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM apheresis_on_call WHERE on_date >= $1 AND on_date <= $2 ORDER BY on_date")
            .bind(from).bind(to).fetch_all(c).await?))
    }

    pub async fn travel_times_in_tx(&mut self) -> Result<Vec<TravelRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM travel_times").fetch_all(c).await?))
    }

    /// Open bookings that end after `from` and start before `to`.
    pub async fn open_treatments_in_tx(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<TreatmentRow>> {
        Ok(
            on_tx!(self, c => sqlx::query_as("SELECT * FROM apheresis_treatments WHERE ended_at IS NULL AND ends_at > $1 AND starts_at < $2 ORDER BY starts_at")
            .bind(from).bind(to).fetch_all(c).await?),
        )
    }

    pub async fn open_treatments_of_request_in_tx(&mut self, request_id: Uuid) -> Result<Vec<TreatmentRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM apheresis_treatments WHERE request_id = $1 AND ended_at IS NULL ORDER BY seq")
            .bind(request_id).fetch_all(c).await?))
    }

    pub async fn treatment_in_tx(&mut self, id: Uuid) -> Result<Option<TreatmentRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM apheresis_treatments WHERE id = $1").bind(id).fetch_optional(c).await?))
    }

    pub async fn insert_treatment(&mut self, t: &TreatmentRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO apheresis_treatments (id, request_id, seq, nurse_id, device_id, place, starts_at, ends_at, booked_at, booked_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(t.id).bind(t.request_id).bind(t.seq).bind(t.nurse_id).bind(t.device_id).bind(&t.place).bind(t.starts_at).bind(t.ends_at)
            .bind(t.booked_at).bind(&t.booked_by).execute(c).await?.rows_affected());
        Ok(())
    }

    /// Ends a booking (rescheduled or cancelled), once.
    pub async fn end_treatment(&mut self, id: Uuid, at: DateTime<Utc>, by: &str, kind: &str, reason: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE apheresis_treatments SET ended_at = $2, ended_by = $3, end_kind = $4, end_reason = $5 WHERE id = $1 AND ended_at IS NULL")
            .bind(id).bind(at).bind(by).bind(kind).bind(reason).execute(c).await?.rows_affected());
        Ok(())
    }
}

impl WriteTx {
    pub async fn apheresis_request_by_id_in_tx(&mut self, id: Uuid) -> Result<Option<ApheresisRequestRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM apheresis_requests WHERE id = $1").bind(id).fetch_optional(c).await?))
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProcedureRow {
    pub id: Uuid,
    pub treatment_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub processed_ml: i64,
    pub removed_ml: i64,
    pub albumin_ml: i64,
    pub saline_ml: i64,
    pub vitals_before: String,
    pub vitals_after: String,
    pub adverse_events: String,
    pub note: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub signed_at: Option<DateTime<Utc>>,
    pub signed_by: Option<String>,
    pub signature_meaning: Option<String>,
    pub physician_note: Option<String>,
    pub physician_by: Option<String>,
    pub physician_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AmendmentRow {
    pub id: Uuid,
    pub procedure_id: Uuid,
    pub field: String,
    pub before_value: String,
    pub after_value: String,
    pub reason: String,
    pub amended_at: DateTime<Utc>,
    pub amended_by: String,
}

/// A plasma unit given in a procedure, with its label identity.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PlasmaGivenRow {
    pub procedure_id: Uuid,
    pub component_id: Uuid,
    pub scanned: String,
    pub scanned_at: DateTime<Utc>,
    pub scanned_by: String,
    pub din: String,
    pub product_code: String,
}

const PLASMA_GIVEN: &str = "SELECT g.*, c.din, c.product_code FROM apheresis_plasma_units g JOIN components c ON c.id = g.component_id";

impl Store {
    pub async fn treatment_line(&self, id: Uuid) -> Result<Option<TreatmentLine>> {
        let sql = format!("{TREATMENT_LINE} WHERE t.id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    pub async fn procedure_of_treatment(&self, treatment_id: Uuid) -> Result<Option<ProcedureRow>> {
        Ok(
            on_pool!(self, p => sqlx::query_as("SELECT * FROM apheresis_procedures WHERE treatment_id = $1").bind(treatment_id).fetch_optional(p).await?),
        )
    }

    pub async fn procedure_amendments(&self, procedure_id: Uuid) -> Result<Vec<AmendmentRow>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM apheresis_amendments WHERE procedure_id = $1 ORDER BY amended_at, id")
            .bind(procedure_id).fetch_all(p).await?))
    }

    pub async fn plasma_given(&self, procedure_id: Uuid) -> Result<Vec<PlasmaGivenRow>> {
        let sql = format!("{PLASMA_GIVEN} WHERE g.procedure_id = $1 ORDER BY g.scanned_at");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(procedure_id).fetch_all(p).await?))
    }

    /// The signed procedures of a request's bookings, by treatment.
    pub async fn procedures_of_request(&self, request_id: Uuid) -> Result<Vec<ProcedureRow>> {
        Ok(
            on_pool!(self, p => sqlx::query_as("SELECT p.* FROM apheresis_procedures p JOIN apheresis_treatments t ON t.id = p.treatment_id WHERE t.request_id = $1")
            .bind(request_id).fetch_all(p).await?),
        )
    }
}

impl WriteTx {
    /// The treatment, its row locked on PostgreSQL (two records of one treatment queue).
    pub async fn treatment_for_update(&mut self, id: Uuid) -> Result<Option<TreatmentRow>> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, c => sqlx::query("SELECT id FROM apheresis_treatments WHERE id = $1 FOR UPDATE").bind(id).execute(c).await?.rows_affected());
        }
        self.treatment_in_tx(id).await
    }

    pub async fn procedure_of_treatment_in_tx(&mut self, treatment_id: Uuid) -> Result<Option<ProcedureRow>> {
        Ok(
            on_tx!(self, c => sqlx::query_as("SELECT * FROM apheresis_procedures WHERE treatment_id = $1").bind(treatment_id).fetch_optional(c).await?),
        )
    }

    pub async fn insert_procedure(&mut self, r: &ProcedureRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO apheresis_procedures (id, treatment_id, started_at, ended_at, processed_ml, removed_ml, albumin_ml, saline_ml, \
            vitals_before, vitals_after, adverse_events, note, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
            .bind(r.id).bind(r.treatment_id).bind(r.started_at).bind(r.ended_at).bind(r.processed_ml).bind(r.removed_ml).bind(r.albumin_ml)
            .bind(r.saline_ml).bind(&r.vitals_before).bind(&r.vitals_after).bind(&r.adverse_events).bind(&r.note).bind(r.recorded_at).bind(&r.recorded_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    /// Rewrites an unsigned record (the database refuses a signed one).
    pub async fn update_procedure_draft(&mut self, r: &ProcedureRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE apheresis_procedures SET started_at = $2, ended_at = $3, processed_ml = $4, removed_ml = $5, albumin_ml = $6, \
            saline_ml = $7, vitals_before = $8, vitals_after = $9, adverse_events = $10, note = $11, recorded_at = $12, recorded_by = $13 WHERE id = $1")
            .bind(r.id).bind(r.started_at).bind(r.ended_at).bind(r.processed_ml).bind(r.removed_ml).bind(r.albumin_ml).bind(r.saline_ml)
            .bind(&r.vitals_before).bind(&r.vitals_after).bind(&r.adverse_events).bind(&r.note).bind(r.recorded_at).bind(&r.recorded_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn sign_procedure(&mut self, id: Uuid, at: DateTime<Utc>, by: &str, meaning: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE apheresis_procedures SET signed_at = $2, signed_by = $3, signature_meaning = $4 WHERE id = $1")
            .bind(id).bind(at).bind(by).bind(meaning).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn set_physician_note(&mut self, id: Uuid, note: &str, at: DateTime<Utc>, by: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE apheresis_procedures SET physician_note = $2, physician_at = $3, physician_by = $4 WHERE id = $1")
            .bind(id).bind(note).bind(at).bind(by).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn insert_amendment(&mut self, a: &AmendmentRow) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO apheresis_amendments (id, procedure_id, field, before_value, after_value, reason, amended_at, amended_by) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(a.id).bind(a.procedure_id).bind(&a.field).bind(&a.before_value).bind(&a.after_value).bind(&a.reason).bind(a.amended_at).bind(&a.amended_by)
            .execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn procedure_amendments_in_tx(&mut self, procedure_id: Uuid) -> Result<Vec<AmendmentRow>> {
        Ok(on_tx!(self, c => sqlx::query_as("SELECT * FROM apheresis_amendments WHERE procedure_id = $1 ORDER BY amended_at, id")
            .bind(procedure_id).fetch_all(c).await?))
    }

    pub async fn insert_plasma_given(&mut self, procedure_id: Uuid, component_id: Uuid, scanned: &str, at: DateTime<Utc>, by: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO apheresis_plasma_units (procedure_id, component_id, scanned, scanned_at, scanned_by) VALUES ($1, $2, $3, $4, $5)")
            .bind(procedure_id).bind(component_id).bind(scanned).bind(at).bind(by).execute(c).await?.rows_affected());
        Ok(())
    }

    /// Open bookings of a request with no signed record.
    pub async fn unsigned_treatments_of_request(&mut self, request_id: Uuid) -> Result<i64> {
        let (n,): (i64,) = on_tx!(self, c => sqlx::query_as("SELECT COUNT(*) FROM apheresis_treatments t LEFT JOIN apheresis_procedures p ON p.treatment_id = t.id \
            WHERE t.request_id = $1 AND t.ended_at IS NULL AND (p.id IS NULL OR p.signed_at IS NULL)")
            .bind(request_id).fetch_one(c).await?);
        Ok(n)
    }
}

/// A signed procedure not yet invoiced, with what its charge depends on.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BillableProcedure {
    pub procedure_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub seq: i64,
    pub request_number: String,
    #[sqlx(try_from = "String")]
    pub procedure: Procedure,
    #[sqlx(try_from = "String")]
    pub urgency: Urgency,
    pub treatments: i64,
}

impl WriteTx {
    /// Signed procedures of the hospital's patients that started in [from, to), not yet
    /// invoiced.
    pub async fn uninvoiced_procedures(&mut self, hospital_id: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<BillableProcedure>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT p.id AS procedure_id, p.started_at, p.ended_at, t.seq, r.number AS request_number, r.procedure, r.urgency, r.treatments \
             FROM apheresis_procedures p JOIN apheresis_treatments t ON t.id = p.treatment_id JOIN apheresis_requests r ON r.id = t.request_id \
             WHERE r.hospital_id = $1 AND p.signed_at IS NOT NULL AND p.started_at >= $2 AND p.started_at < $3 \
             AND NOT EXISTS (SELECT 1 FROM invoiced_sources x WHERE x.source_kind = 'procedure' AND x.source_id = p.id) \
             ORDER BY p.started_at, r.number")
            .bind(hospital_id).bind(from).bind(to).fetch_all(c).await?))
    }
}

/// A signed procedure as the reports count it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProcedureFactRow {
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub hospital_code: String,
    #[sqlx(try_from = "String")]
    pub procedure: Procedure,
    pub nurse: String,
    pub device: String,
}

/// An emergent request and when its first treatment started (or is booked to).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EmergentWaitRow {
    pub number: String,
    pub hospital_code: String,
    pub created_at: DateTime<Utc>,
    pub first_start: DateTime<Utc>,
}

/// An apheresis invoice line's amount, by the invoice's day and currency.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ServiceRevenueRow {
    pub issued_on: NaiveDate,
    pub currency: String,
    pub amount_cents: i64,
}

impl Store {
    /// Signed procedures that started from `from` on.
    pub async fn signed_procedure_facts(&self, from: DateTime<Utc>) -> Result<Vec<ProcedureFactRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT p.started_at, p.ended_at, h.code AS hospital_code, r.procedure, n.username AS nurse, d.serial AS device \
             FROM apheresis_procedures p JOIN apheresis_treatments t ON t.id = p.treatment_id JOIN apheresis_requests r ON r.id = t.request_id \
             JOIN hospitals h ON h.id = r.hospital_id JOIN apheresis_nurses n ON n.id = t.nurse_id JOIN apheresis_devices d ON d.id = t.device_id \
             WHERE p.signed_at IS NOT NULL AND p.started_at >= $1 ORDER BY p.started_at")
            .bind(from).fetch_all(p).await?))
    }

    /// Emergent requests made from `from` on whose first treatment is booked or done.
    pub async fn emergent_waits(&self, from: DateTime<Utc>) -> Result<Vec<EmergentWaitRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT r.number, h.code AS hospital_code, r.created_at, COALESCE(p.started_at, t.starts_at) AS first_start \
             FROM apheresis_requests r JOIN hospitals h ON h.id = r.hospital_id \
             JOIN apheresis_treatments t ON t.request_id = r.id AND t.seq = 1 AND t.ended_at IS NULL \
             LEFT JOIN apheresis_procedures p ON p.treatment_id = t.id \
             WHERE r.urgency = 'emergent' AND r.created_at >= $1 ORDER BY r.created_at")
            .bind(from).fetch_all(p).await?))
    }

    /// Apheresis lines of invoices and credit notes issued from `from` on.
    pub async fn service_revenue(&self, from: NaiveDate) -> Result<Vec<ServiceRevenueRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT i.issued_on, i.currency, l.amount_cents FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
             WHERE l.kind = 'apheresis' AND i.issued_on >= $1 ORDER BY i.issued_on")
            .bind(from).fetch_all(p).await?))
    }
}
