//! Demo: thirteen weeks of the apheresis service behind today, imported like the sales
//! history. Requests arrive from the hospitals about twice a week (plasma exchange
//! courses mostly, red cell exchanges, photopheresis, LDL apheresis, a leukapheresis),
//! emergent ones at any hour to the nurse on call. Each is booked by the same scheduler
//! as the live service (`domain::apheresis::schedule::propose_series`) against the
//! calendar as it fills, so nobody is in two places at once; every treatment is recorded
//! and signed by its nurse, some reviewed by the physician, and the request completed.
//! The months before this one are invoiced with the product sales.

use super::sales::pick;
use super::{demo_actor, FEMALE, LAST, MALE};
use crate::apheresis_procedure::NURSE_MEANING;
use crate::apheresis_schedule::local_to_utc;
use crate::{Actor, App, Result};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use domain::apheresis::catalog::Procedure;
use domain::apheresis::request::{RequestState, Urgency};
use domain::apheresis::schedule::SeriesRequest;
use domain::apheresis::{ApheresisCase, Sex};
use domain::{AuditDraft, Role};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use store::{ApheresisRequestRow, OnCallRow, ProcedureRow, TreatmentRow};
use uuid::Uuid;

/// Days of history, as the sales history.
const DAYS: i64 = 91;
/// Requests over those days.
const REQUESTS: usize = 26;

/// A kind of request the service sees: procedure, treatments, days apart, indication,
/// ASFA category and grade, urgency, and how often it comes (weight).
type Kind = (Procedure, i64, i64, &'static str, &'static str, &'static str, Urgency, u32);

const KINDS: &[Kind] = &[
    (Procedure::PlasmaExchange, 5, 2, "Myasthenia gravis, acute exacerbation", "I", "1B", Urgency::Urgent, 5),
    (Procedure::PlasmaExchange, 5, 2, "Guillain-Barré syndrome", "I", "1A", Urgency::Urgent, 4),
    (Procedure::PlasmaExchange, 5, 3, "Chronic inflammatory demyelinating polyneuropathy", "I", "1B", Urgency::Scheduled, 3),
    (Procedure::PlasmaExchange, 5, 2, "Neuromyelitis optica spectrum disorder, acute attack", "II", "1B", Urgency::Urgent, 2),
    (Procedure::PlasmaExchange, 2, 1, "Hyperviscosity in monoclonal gammopathy, symptomatic", "I", "1B", Urgency::Emergent, 2),
    (Procedure::RedCellExchange, 1, 1, "Sickle cell disease, acute chest syndrome, severe", "II", "1C", Urgency::Emergent, 2),
    (Procedure::RedCellExchange, 1, 1, "Sickle cell disease, chronic transfusion for stroke prevention", "I", "1A", Urgency::Scheduled, 3),
    (Procedure::Photopheresis, 2, 1, "Chronic graft-versus-host disease, skin", "II", "1C", Urgency::Scheduled, 3),
    (Procedure::LdlApheresis, 2, 14, "Familial hypercholesterolaemia, homozygous", "I", "1A", Urgency::Scheduled, 1),
    (Procedure::Leukocytapheresis, 1, 1, "Hyperleukocytosis with leukostasis in acute myeloid leukaemia", "III", "2B", Urgency::Emergent, 1),
];

/// Hospitals the nurses serve, with the ward a treatment usually happens on and the
/// physicians who order.
const PLACES: &[(&str, &str, &[&str])] = &[
    ("H-STMARY", "ICU", &["Dr. Priya Raman", "Dr. Owen Stafford"]),
    ("H-SPGEN", "Neurology ward", &["Dr. Samuel Ortiz", "Dr. Grace Holloway"]),
    ("H-RIVKIDS", "Paediatric ICU", &["Dr. Helen Abiodun"]),
    ("H-STJOHN", "Haematology day unit", &["Dr. Alice Mbeki", "Dr. Tomás Reyes"]),
    ("H-PRAIRIE", "Medical ward", &["Dr. Kenji Watanabe"]),
    ("H-LAKEVIEW", "Medical ward 3B", &["Dr. Marcus Lee"]),
    ("H-MEMORIAL", "ICU", &["Dr. Rita Chandra"]),
];

const ACCESS: &[&str] =
    &["Peripheral veins", "Central venous catheter (right internal jugular)", "Dialysis catheter", "Port", "Central venous catheter (femoral)"];

const ADVERSE: &[&str] = &[
    "Perioral tingling at 40 min (citrate); calcium gluconate given, resolved.",
    "Hypotension 86/52 at 25 min; paused, 250 mL saline, resolved; procedure completed.",
    "Access pressure alarms; line repositioned, 10 min delay.",
];

const PHYSICIAN_NOTES: &[&str] =
    &["Reviewed; tolerated well. Continue as planned.", "Reviewed. Check fibrinogen before the next exchange.", "Reviewed; response as expected."];

fn vitals(rng: &mut ChaCha8Rng) -> String {
    format!("BP {}/{}, pulse {}, SpO2 {} %", rng.gen_range(104..146), rng.gen_range(60..90), rng.gen_range(62..104), rng.gen_range(94..100))
}

/// The volumes of one procedure as a nurse would record them: processed, removed,
/// albumin, saline (mL).
fn volumes(rng: &mut ChaCha8Rng, procedure: Procedure, q: &ApheresisRequestRow) -> (i64, i64, i64, i64) {
    let sex = if q.sex == "F" { Sex::Female } else { Sex::Male };
    let case = ApheresisCase { sex, height_cm: q.height_cm, weight_kg: q.weight_kg, hematocrit: q.hematocrit, plasma_volumes: 1.0 };
    let plan = domain::apheresis::plan(&case).expect("a demo patient within the bounds");
    let round10 = |v: f64| (v / 10.0).round() as i64 * 10;
    match procedure {
        Procedure::PlasmaExchange => {
            let removed = plan.exchange_volume_ml * rng.gen_range(1.0..1.4);
            let saline = if rng.gen_bool(0.4) { round10(removed * 0.2) } else { 0 };
            (round10(removed / (1.0 - q.hematocrit) * 1.25), round10(removed), round10(removed) - saline, saline)
        }
        Procedure::RedCellExchange => {
            let red_cells = plan.total_blood_volume_ml * q.hematocrit;
            (round10(red_cells * rng.gen_range(4.0..5.0)), round10(red_cells * rng.gen_range(1.1..1.5)), 0, 250)
        }
        Procedure::Photopheresis => (round10(rng.gen_range(1_400.0..1_800.0)), round10(rng.gen_range(220.0..280.0)), 0, 0),
        Procedure::LdlApheresis => (round10(plan.plasma_volume_ml * rng.gen_range(1.5..2.0)), 0, 0, 500),
        _ => (round10(rng.gen_range(7_500.0..10_000.0)), round10(rng.gen_range(400.0..650.0)), 0, 500),
    }
}

impl App {
    pub(crate) async fn demo_apheresis_history(&self, actor: &Actor, seed: u64, as_of: NaiveDate) -> Result<()> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xa9e5);
        let tz = self.settings.time_zone;
        let now = store::now();
        let coordinator = demo_actor(&[Role::Apheresis], None).username;
        let physician = demo_actor(&[Role::Physician], None).username;
        let first_day = as_of - Duration::days(DAYS);
        // The on-call rota of the past, each nurse a day in turn.
        let nurses = self.store.apheresis_nurses().await?;
        if nurses.is_empty() {
            return Ok(());
        }
        let mut tx = self.store.begin_write().await?;
        for d in 0..DAYS {
            let nurse = &nurses[d as usize % nurses.len()];
            let on_date = first_day + Duration::days(d);
            tx.insert_on_call(&OnCallRow { on_date, nurse_id: nurse.id, recorded_at: now, recorded_by: coordinator.clone() }).await?;
        }
        tx.commit().await?;
        let hospitals = self.store.list_hospitals().await?;

        // Arrival times first, in order, so each is booked against the calendar before it.
        let weights: Vec<u32> = KINDS.iter().map(|k| k.7).collect();
        let mut arrivals: Vec<(NaiveDateTime, &Kind)> = (0..REQUESTS)
            .map(|_| {
                let kind = &KINDS[pick(&mut rng, &weights)];
                let span = (kind.1 - 1) * kind.2 + 10;
                let day = first_day + Duration::days(rng.gen_range(0..(DAYS - span).max(1)));
                let hour = if kind.6 == Urgency::Emergent { rng.gen_range(0..24) } else { rng.gen_range(8..17) };
                (day.and_time(NaiveTime::from_hms_opt(hour, rng.gen_range(0..60), 0).expect("a time")), kind)
            })
            .collect();
        arrivals.sort_by_key(|a| a.0);

        let mut done = 0;
        for (arrived, &(procedure, treatments, every_days, indication, category, grade, urgency, _)) in arrivals {
            let (code, ward, physicians) = *PLACES.choose(&mut rng).expect("a hospital");
            let Some(hospital) = hospitals.iter().find(|h| h.fields.code.as_str() == code) else { continue };
            let female = rng.gen_bool(0.5);
            let child = procedure == Procedure::RedCellExchange && rng.gen_bool(0.5);
            let (height, weight) = if child {
                (rng.gen_range(125.0..160.0_f64).round(), rng.gen_range(26.0..48.0_f64).round())
            } else if female {
                (rng.gen_range(152.0..176.0_f64).round(), rng.gen_range(50.0..95.0_f64).round())
            } else {
                (rng.gen_range(164.0..192.0_f64).round(), rng.gen_range(62.0..115.0_f64).round())
            };
            let age_years = if child { rng.gen_range(8..17) } else { rng.gen_range(22..84) };
            let hematocrit = if procedure == Procedure::RedCellExchange { rng.gen_range(0.22..0.30) } else { rng.gen_range(0.30..0.45) };
            let given = if female { FEMALE.choose(&mut rng) } else { MALE.choose(&mut rng) }.expect("names");
            let family = LAST.choose(&mut rng).expect("names");
            let accepted = arrived + Duration::minutes(if urgency == Urgency::Emergent { rng.gen_range(10..30) } else { rng.gen_range(30..180) });
            let earliest = match urgency {
                Urgency::Scheduled => (arrived.date() + Duration::days(rng.gen_range(2..6))).and_time(NaiveTime::MIN),
                _ => accepted,
            };
            let year = local_to_utc(tz, arrived).year();

            let mut tx = self.store.begin_write().await?;
            let last_day = earliest.date() + Duration::days(domain::apheresis::schedule::FIRST_DAY_SLACK + treatments * every_days + 1);
            let cal = self.calendars(&mut tx, earliest.date(), last_day, None).await?;
            let series = SeriesRequest {
                procedure,
                place: code.to_string(),
                treatments,
                every_days,
                minutes: procedure.booking_minutes(),
                emergent: urgency == Urgency::Emergent,
                earliest,
            };
            let Ok(placed) = domain::apheresis::schedule::propose_series(&series, &cal.nurses, &cal.devices, &cal.travel) else {
                continue;
            };
            // Only what has been done and signed by now belongs to the history.
            if placed.last().is_none_or(|p| local_to_utc(tz, p.end) + Duration::hours(2) > now) {
                continue;
            }
            let seq = tx.next_document_number("APH", year).await?;
            let row = ApheresisRequestRow {
                id: Uuid::now_v7(),
                number: format!("APH-{year}-{seq:05}"),
                hospital_id: hospital.id,
                mrn: format!("{}-{:06}", &code[2..4], rng.gen_range(100_000..999_999)),
                patient_name: format!("{given} {family}"),
                birth_date: arrived.date() - Duration::days(age_years * 365 + rng.gen_range(0..365)),
                sex: if female { "F" } else { "M" }.into(),
                height_cm: height,
                weight_kg: weight,
                hematocrit: (hematocrit * 100.0_f64).round() / 100.0,
                // Sickle cell exchanges are ordered to HbS 30 % at a hematocrit of 0.30.
                hematocrit_target: (procedure == Procedure::RedCellExchange).then_some(0.30),
                hbs_initial: (procedure == Procedure::RedCellExchange).then(|| (rng.gen_range(0.55..0.95_f64) * 100.0).round() / 100.0),
                hbs_target: (procedure == Procedure::RedCellExchange).then_some(0.30),
                ordering_physician: physicians.choose(&mut rng).expect("a physician").to_string(),
                indication: indication.into(),
                asfa_category: category.into(),
                asfa_grade: grade.into(),
                procedure,
                treatments,
                every_days,
                urgency,
                earliest_on: (urgency == Urgency::Scheduled).then(|| earliest.date()),
                location: format!("{ward}, bed {}", rng.gen_range(1..20)),
                vascular_access: ACCESS.choose(&mut rng).expect("an access").to_string(),
                note: String::new(),
                channel: if rng.gen_bool(0.6) { "portal" } else { "phone" }.into(),
                created_at: local_to_utc(tz, arrived),
                created_by: coordinator.clone(),
            };
            tx.insert_apheresis_request(&row).await?;
            tx.add_apheresis_request_state(row.id, RequestState::Submitted, row.created_at, &coordinator, "").await?;
            let accepted_at = local_to_utc(tz, accepted);
            tx.add_apheresis_request_state(row.id, RequestState::Accepted, accepted_at, &coordinator, "").await?;
            let booked_at = accepted_at + Duration::minutes(5);
            let first = placed[0].start.format("%Y-%m-%d %H:%M");
            tx.add_apheresis_request_state(
                row.id,
                RequestState::Scheduled,
                booked_at,
                &coordinator,
                &format!("{} treatments booked from {first}", placed.len()),
            )
            .await?;
            let mut last_signed = booked_at;
            for p in &placed {
                let nurse = cal.nurse_rows.iter().find(|n| n.id == p.nurse_id).expect("a nurse of the calendar");
                let treatment = TreatmentRow {
                    id: Uuid::now_v7(),
                    request_id: row.id,
                    seq: p.seq,
                    nurse_id: p.nurse_id,
                    device_id: p.device_id,
                    place: code.to_string(),
                    starts_at: local_to_utc(tz, p.start),
                    ends_at: local_to_utc(tz, p.end),
                    booked_at,
                    booked_by: coordinator.clone(),
                    ended_at: None,
                    ended_by: None,
                    end_kind: None,
                    end_reason: None,
                };
                tx.insert_treatment(&treatment).await?;
                let started = treatment.starts_at + Duration::minutes(rng.gen_range(5..25));
                let booked_minutes = (treatment.ends_at - treatment.starts_at).num_minutes();
                let ended = (started + Duration::minutes(booked_minutes - rng.gen_range(20..50))).min(treatment.ends_at);
                let (processed_ml, removed_ml, albumin_ml, saline_ml) = volumes(&mut rng, procedure, &row);
                let record = ProcedureRow {
                    id: Uuid::now_v7(),
                    treatment_id: treatment.id,
                    started_at: started,
                    ended_at: ended,
                    processed_ml,
                    removed_ml,
                    albumin_ml,
                    saline_ml,
                    vitals_before: vitals(&mut rng),
                    vitals_after: vitals(&mut rng),
                    adverse_events: if rng.gen_bool(0.1) { ADVERSE.choose(&mut rng).expect("an event").to_string() } else { String::new() },
                    note: String::new(),
                    recorded_at: ended + Duration::minutes(5),
                    recorded_by: nurse.username.clone(),
                    signed_at: None,
                    signed_by: None,
                    signature_meaning: None,
                    physician_note: None,
                    physician_by: None,
                    physician_at: None,
                };
                tx.insert_procedure(&record).await?;
                let signed = ended + Duration::minutes(rng.gen_range(10..40));
                tx.sign_procedure(record.id, signed, &nurse.username, NURSE_MEANING).await?;
                if rng.gen_bool(0.5) {
                    let note = PHYSICIAN_NOTES.choose(&mut rng).expect("a note");
                    tx.set_physician_note(record.id, note, signed + Duration::hours(rng.gen_range(2..20)), &physician).await?;
                }
                last_signed = last_signed.max(signed);
            }
            tx.add_apheresis_request_state(
                row.id,
                RequestState::Completed,
                last_signed,
                &placed_nurse(&cal, &placed),
                "every treatment done and signed",
            )
            .await?;
            tx.append_audit(AuditDraft::new(&actor.username, "apheresis_request.import", "apheresis_request", row.id).after(serde_json::json!({
                "number": row.number, "hospital": code, "procedure": procedure.as_str(), "treatments": placed.len(),
                "urgency": urgency.as_str(), "history": true,
            })))
            .await?;
            tx.commit().await?;
            done += 1;
        }
        tracing::info!(requests = done, "demo apheresis history imported");
        Ok(())
    }
}

/// The nurse who signed the last treatment completes the request.
fn placed_nurse(cal: &crate::apheresis_schedule::Calendars, placed: &[domain::apheresis::schedule::Placed]) -> String {
    placed.last().and_then(|p| cal.nurse_rows.iter().find(|n| n.id == p.nurse_id)).map(|n| n.username.clone()).unwrap_or_default()
}
