//! The therapeutic apheresis service over HTTP: a hospital's request goes through the
//! coordinator's decision to a booked series; refusals (impossible patient, another
//! hospital's patient, uncertified nurse, overdue device, overlap, travel) change
//! nothing; two coordinators moving treatments into one slot at once: one wins.

use crate::common;

use app::users::NewUserInput;
use app::Actor;
use chrono::{Duration, NaiveDate, Utc};
use common::{problem, ApiClient, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub(crate) fn day(n: i64) -> String {
    (today() + Duration::days(n)).to_string()
}

pub(crate) async fn ok(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let body = r.text().await.unwrap();
    assert!(status.is_success(), "{what}: {status} {body}");
    if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body).unwrap()
    }
}

pub(crate) async fn user(t: &TestApp, username: &str, role: &str, hospital: Option<&str>) {
    t.app
        .create_user(
            &Actor::operator(),
            &NewUserInput {
                username: username.into(),
                password: PASSWORD.into(),
                roles: vec![role.into()],
                hospital: hospital.map(Into::into),
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

/// One nurse working every day 07:00–19:00 from MAIN, certified for plasma exchange;
/// one centrifugal device; MAIN is 30 min from H-OWN and 45 from H-OTHER, which are
/// 40 min apart.
pub(crate) async fn service(t: &TestApp) -> ApiClient {
    let coord = t.api_as("apheresis").await;
    for (a, b, m) in [("MAIN", "H-OWN", 30), ("MAIN", "H-OTHER", 45), ("H-OWN", "H-OTHER", 40)] {
        ok(coord.post_json("/api/v1/apheresis/travel-times", json!({"from": a, "to": b, "minutes": m})).await, "travel").await;
    }
    let every_day = json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
    let nurse = json!({"username": "apheresis_nurse", "name": "Nurse Ames", "home_site": "MAIN", "weekdays": every_day, "day_start": "07:00", "day_end": "19:00"});
    ok(coord.post_json("/api/v1/apheresis/nurses", nurse).await, "nurse").await;
    ok(
        coord
            .post_json("/api/v1/apheresis/nurses/apheresis_nurse/certifications", json!({"procedure": "plasma_exchange", "expires_on": day(365)}))
            .await,
        "cert",
    )
    .await;
    let device = json!({"name": "Optia 1", "serial": "SN-1", "device_type": "centrifugal", "maintenance_due": day(365), "home_site": "MAIN"});
    ok(coord.post_json("/api/v1/apheresis/devices", device).await, "device").await;
    coord
}

pub(crate) fn ttp(treatments: i64, every_days: i64) -> Value {
    json!({
        "mrn": "MRN-4471", "patient_name": "Ada Example", "birth_date": "1971-03-02", "sex": "F",
        "height_cm": 165, "weight_kg": 60, "hematocrit": 0.40,
        "ordering_physician": "Dr. R. Haematology", "indication": "Thrombotic thrombocytopenic purpura (TTP)",
        "asfa_category": "I", "asfa_grade": "1A", "procedure": "plasma_exchange",
        "treatments": treatments, "every_days": every_days, "urgency": "scheduled", "earliest_on": day(1),
        "location": "ICU bed 4", "vascular_access": "Central venous catheter"
    })
}

/// Submitted by `by`, accepted by the coordinator; the request's number.
pub(crate) async fn accepted(by: &ApiClient, coord: &ApiClient, body: Value) -> String {
    let r = ok(by.post_json("/api/v1/apheresis/requests", body).await, "submit").await;
    let number = r["number"].as_str().unwrap().to_string();
    ok(coord.post_json(&format!("/api/v1/apheresis/requests/{number}/decision"), json!({"decision": "accept"})).await, "accept").await;
    number
}

fn at(d: i64, hm: &str) -> String {
    format!("{}T{hm}:00Z", day(d))
}

async fn a_request_goes_from_the_hospital_to_a_booked_series(t: TestApp) {
    let coord = service(&t).await;
    let hospital = t.api_as("hospital").await;
    user(&t, "hospital2", "hospital", Some("H-OTHER")).await;
    let other = t.api_as("hospital2").await;
    let nurse = t.api_as("apheresis_nurse").await;

    let r = hospital.post_json("/api/v1/apheresis/requests", ttp(3, 2)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let req: Value = r.json().await.unwrap();
    let number = req["number"].as_str().unwrap().to_string();
    assert_eq!((req["state"].as_str(), req["channel"].as_str(), req["hospital_code"].as_str()), (Some("submitted"), Some("api"), Some("H-OWN")));
    let path = format!("/api/v1/apheresis/requests/{number}");

    // Another hospital's user and a nurse not booked on it do not see the patient.
    let r = other.get(&path).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!problem(r).await.to_string().contains("Ada"), "no patient detail in the refusal");
    assert_eq!(ok(other.get("/api/v1/apheresis/requests").await, "list").await, json!([]));
    assert_eq!(nurse.get(&path).await.status(), StatusCode::NOT_FOUND);

    // Ask, answer, accept.
    let head = t.audit_head().await;
    let r = coord.post_json(&format!("{path}/decision"), json!({"decision": "ask", "note": " "})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "note");
    assert_eq!(t.audit_head().await, head, "a refused decision writes nothing");
    let asked = ok(coord.post_json(&format!("{path}/decision"), json!({"decision": "ask", "note": "Latest platelet count?"})).await, "ask").await;
    assert_eq!(asked["state"], "info_requested");
    assert_eq!(ok(hospital.get(&path).await, "read").await["request"]["state_note"], "Latest platelet count?");
    let r = coord.post_json(&format!("{path}/schedule"), json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "not accepted yet");
    ok(hospital.post_json(&format!("{path}/answer"), json!({"note": "12 × 10⁹/L this morning"})).await, "answer").await;
    let r = coord.post_json(&format!("{path}/decision"), json!({"decision": "accept"})).await;
    assert_eq!(ok(r, "accept").await["state"], "accepted");
    let r = coord.post_json(&format!("{path}/decision"), json!({"decision": "reject", "note": "too late"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "decided once");

    // The series: tomorrow, the day after next and two days later, 07:30 (30 min from
    // MAIN after a 07:00 start), 135 min each.
    let booked = ok(coord.post_json(&format!("{path}/schedule"), json!({})).await, "schedule").await;
    assert_eq!(booked["request"]["state"], "scheduled");
    let ts = booked["treatments"].as_array().unwrap();
    assert_eq!(ts.len(), 3);
    for (i, t) in ts.iter().enumerate() {
        assert_eq!(t["seq"], i as i64 + 1);
        assert_eq!(t["starts_at"], at(1 + 2 * i as i64, "07:30"), "{t}");
        assert_eq!(t["ends_at"], at(1 + 2 * i as i64, "09:45"));
        assert_eq!(t["nurse_username"], "apheresis_nurse");
        assert_eq!(t["device"], "Optia 1 (SN-1)");
    }
    // The plan: the worked example's woman, plasma for TTP.
    let plan = &booked["plan"];
    assert_eq!(plan["volumes"]["plasma_volume_ml"].as_f64(), Some(2261.0), "{plan}");
    assert_eq!(plan["fluids"]["plasma_units"], 10);

    // Now the nurse sees it, and their calendar holds the three treatments.
    assert_eq!(ok(nurse.get(&path).await, "nurse reads").await["request"]["number"], number.as_str());
    let cal = ok(nurse.get(&format!("/api/v1/apheresis/calendar?date={}&span=week&nurse=someone-else", day(1))).await, "calendar").await;
    assert_eq!(cal["nurse"], "apheresis_nurse", "a nurse sees their own calendar whatever the filter");
    let n: usize = cal["days"].as_array().unwrap().iter().map(|d| d["treatments"].as_array().unwrap().len()).sum();
    assert_eq!(n, 3);
    let cal = ok(other.get(&format!("/api/v1/apheresis/calendar?date={}", day(1))).await, "other calendar").await;
    assert_eq!(cal["hospital"], "H-OTHER");
    assert!(cal["days"].as_array().unwrap().iter().all(|d| d["treatments"].as_array().unwrap().is_empty()), "nothing of H-OWN");

    // The pages: the hospital user's request page in their words, the coordinator's calendar.
    let s = t.login_as("hospital").await;
    let html = s.client.get(t.url(&format!("/apheresis/{number}"))).send().await.unwrap().text().await.unwrap();
    for words in ["Ada Example", "Category I (first-line therapy), grade 1A", "plasma, which replaces ADAMTS13", "Scheduled"] {
        assert!(html.contains(words), "{words} missing from the request page");
    }
    let s = t.login_as("apheresis").await;
    let html = s.client.get(t.url(&format!("/apheresis/calendar?date={}", day(1)))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("07:30–09:45") && html.contains("Nurse Ames"), "calendar page");

    // Cancelling the request ends its bookings.
    let r = hospital.post_json(&format!("{path}/cancel"), json!({"note": ""})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = other.post_json(&format!("{path}/cancel"), json!({"note": "not ours"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    ok(hospital.post_json(&format!("{path}/cancel"), json!({"note": "patient transferred"})).await, "cancel").await;
    let d = ok(coord.get(&path).await, "read").await;
    assert_eq!(d["request"]["state"], "cancelled");
    assert!(d["treatments"].as_array().unwrap().iter().all(|t| t["ended"] == "cancelled"));
}

async fn bad_requests_and_bookings_are_refused_and_change_nothing(t: TestApp) {
    let coord = service(&t).await;
    let hospital = t.api_as("hospital").await;
    user(&t, "hospital2", "hospital", Some("H-OTHER")).await;
    let other = t.api_as("hospital2").await;

    // An impossible patient: every bad field named, nothing written.
    let head = t.audit_head().await;
    let mut bad = ttp(1, 1);
    bad["height_cm"] = json!(1.65);
    bad["hematocrit"] = json!(40);
    bad["asfa_grade"] = json!("3Z");
    let r = hospital.post_json("/api/v1/apheresis/requests", bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = problem(r).await["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert_eq!(fields, ["height_cm", "hematocrit", "asfa_grade"]);
    assert_eq!(t.audit_head().await, head);

    // Two series on one nurse and one device: the second waits for the first and the
    // drive between the hospitals (09:45 + 40 min → 10:30).
    let first = accepted(&hospital, &coord, ttp(1, 1)).await;
    let second = accepted(&other, &coord, ttp(1, 1)).await;
    ok(coord.post_json(&format!("/api/v1/apheresis/requests/{first}/schedule"), json!({})).await, "first").await;
    let b = ok(coord.post_json(&format!("/api/v1/apheresis/requests/{second}/schedule"), json!({})).await, "second").await;
    let moved = &b["treatments"][0];
    assert_eq!(moved["starts_at"], at(1, "10:30"), "{moved}");
    let id = moved["id"].as_str().unwrap().to_string();
    let move_path = format!("/api/v1/apheresis/treatments/{id}/reschedule");

    // A second nurse without the certification, a device past its maintenance date.
    user(&t, "nurse2", "apheresis_nurse", None).await;
    let nurse2 = json!({"username": "nurse2", "name": "Nurse Brook", "home_site": "MAIN", "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "day_start": "07:00", "day_end": "19:00"});
    ok(coord.post_json("/api/v1/apheresis/nurses", nurse2).await, "nurse2").await;
    let old = json!({"name": "Optia 0", "serial": "SN-OLD", "device_type": "centrifugal", "maintenance_due": day(-1), "home_site": "MAIN"});
    ok(coord.post_json("/api/v1/apheresis/devices", old).await, "old device").await;

    let head = t.audit_head().await;
    let local = |d: i64, hm: &str| format!("{}T{hm}", day(d));
    for (nurse, device, start, field, words) in [
        ("nurse2", "SN-1", local(2, "12:00"), "nurse", "not certified"),
        ("apheresis_nurse", "SN-OLD", local(2, "12:00"), "device", "maintenance"),
        ("apheresis_nurse", "SN-1", local(1, "08:00"), "nurse", "booked at H-OWN"),
        ("apheresis_nurse", "SN-1", local(1, "10:00"), "nurse", "40 min away"),
        ("apheresis_nurse", "SN-1", local(1, "18:00"), "nurse", "works 07:00–19:00"),
        ("nobody", "SN-1", local(2, "12:00"), "nurse", "no nurse"),
        ("apheresis_nurse", "SN-1", "tomorrow".to_string(), "starts_at", "not a local date"),
    ] {
        let r = coord.post_json(&move_path, json!({"nurse": nurse, "device": device, "starts_at": start, "reason": "hospital asked"})).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{nurse} {device} {start}");
        let p = problem(r).await;
        let e = p["errors"].as_array().unwrap().iter().find(|e| e["field"] == field).unwrap_or_else(|| panic!("{field} not refused: {p}"));
        assert!(e["message"].as_str().unwrap().contains(words), "{p}");
    }
    let r = coord.post_json(&move_path, json!({"nurse": "apheresis_nurse", "device": "SN-1", "starts_at": local(2, "12:00"), "reason": ""})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "reason");
    assert_eq!(t.audit_head().await, head, "refused moves write nothing");
    // Scheduling a procedure nobody is certified for: the series is refused whole.
    let mut ecp = ttp(2, 7);
    ecp["procedure"] = json!("photopheresis");
    let third = accepted(&hospital, &coord, ecp).await;
    let r = coord.post_json(&format!("/api/v1/apheresis/requests/{third}/schedule"), json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let p = problem(r).await;
    assert!(p["detail"].as_str().unwrap().contains("no nurse holds a valid certification for extracorporeal photopheresis"), "{p}");
    assert_eq!(ok(coord.get(&format!("/api/v1/apheresis/requests/{third}")).await, "third").await["request"]["state"], "accepted");

    // A valid move: the old booking stays, marked moved.
    let moved = ok(
        coord
            .post_json(&move_path, json!({"nurse": "apheresis_nurse", "device": "SN-1", "starts_at": local(2, "12:00"), "reason": "hospital asked"}))
            .await,
        "move",
    )
    .await;
    assert_eq!(moved["starts_at"], at(2, "12:00"));
    let d = ok(coord.get(&format!("/api/v1/apheresis/requests/{second}")).await, "second").await;
    let kinds: Vec<Value> = d["treatments"].as_array().unwrap().iter().map(|t| t["ended"].clone()).collect();
    assert_eq!(kinds, [json!("rescheduled"), Value::Null]);
    // Moving the ended booking again is refused.
    let r =
        coord.post_json(&move_path, json!({"nurse": "apheresis_nurse", "device": "SN-1", "starts_at": local(3, "12:00"), "reason": "again"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // The hospital and the nurse may not manage; the other hospital cannot read.
    assert_eq!(hospital.post_json(&format!("/api/v1/apheresis/requests/{third}/schedule"), json!({})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.api_as("apheresis_nurse").await.post_json("/api/v1/apheresis/travel-times", json!({})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(other.get(&format!("/api/v1/apheresis/requests/{first}")).await.status(), StatusCode::NOT_FOUND);
}

/// An emergent request: the first treatment goes to the nurse on call, no sooner than
/// their drive from home allows. Only Nurse Brook is certified for leukapheresis and works
/// only on a day three days off, so today and tomorrow only a turn on call lets her take it.
async fn an_emergent_request_goes_to_the_nurse_on_call(t: TestApp) {
    let coord = service(&t).await;
    user(&t, "nurse2", "apheresis_nurse", None).await;
    let off = (today() + Duration::days(3)).format("%a").to_string().to_lowercase();
    ok(coord.post_json("/api/v1/apheresis/nurses", json!({"username": "nurse2", "name": "Nurse Brook", "home_site": "MAIN", "weekdays": [off], "day_start": "07:00", "day_end": "19:00"})).await, "nurse2").await;
    ok(
        coord.post_json("/api/v1/apheresis/nurses/nurse2/certifications", json!({"procedure": "leukocytapheresis", "expires_on": day(365)})).await,
        "cert",
    )
    .await;
    let hospital = t.api_as("hospital").await;
    let mut body = ttp(1, 1);
    body["urgency"] = json!("emergent");
    body["earliest_on"] = json!("");
    body["procedure"] = json!("leukocytapheresis");
    body["indication"] = json!("Hyperleukocytosis with leukostasis");
    let number = accepted(&hospital, &coord, body).await;
    let r = coord.post_json(&format!("/api/v1/apheresis/requests/{number}/schedule"), json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "nobody certified on call or at work");
    assert!(problem(r).await["detail"].as_str().unwrap().contains("on call"));
    for d in [0, 1] {
        let r = coord.post_json("/api/v1/apheresis/on-call", json!({"nurse": "nurse2", "date": day(d)})).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let r = coord.post_json("/api/v1/apheresis/on-call", json!({"nurse": "nurse2", "date": day(0)})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "on call once a day");
    let called = Utc::now();
    let d = ok(coord.post_json(&format!("/api/v1/apheresis/requests/{number}/schedule"), json!({})).await, "schedule").await;
    let first = &d["treatments"][0];
    assert_eq!(first["nurse_username"], "nurse2", "{first}");
    let starts: chrono::DateTime<Utc> = first["starts_at"].as_str().unwrap().parse().unwrap();
    assert!(starts >= called + Duration::minutes(30), "30 min from MAIN to H-OWN: {starts} after a call at {called}");
    assert!(starts <= called + Duration::hours(24), "within the day: {starts}");
    // The report measures the wait from the call to the first treatment.
    let rep = ok(coord.get("/api/v1/apheresis/reports").await, "reports").await;
    let w = &rep["emergent"][0];
    assert_eq!(w["number"], number.as_str());
    assert!(w["minutes"].as_i64().unwrap() >= 30, "{w}");
    assert_eq!(rep["emergent_median_minutes"], w["minutes"]);
}

/// Two coordinators move two treatments into the same nurse's same hour at once:
/// exactly one wins, on both back ends (the calendars are read under lock).
async fn two_moves_into_one_slot_at_once_one_wins(t: TestApp) {
    let coord = service(&t).await;
    let hospital = t.api_as("hospital").await;
    let a = accepted(&hospital, &coord, ttp(1, 1)).await;
    let b = accepted(&hospital, &coord, ttp(1, 1)).await;
    let mut ids = vec![];
    for n in [&a, &b] {
        let d = ok(coord.post_json(&format!("/api/v1/apheresis/requests/{n}/schedule"), json!({})).await, "schedule").await;
        ids.push(d["treatments"][0]["id"].as_str().unwrap().to_string());
    }
    let coord2 = t.api_as("apheresis").await;
    for round in 0..3 {
        let start = format!("{}T{}:00", day(4 + round), 9 + round);
        let body = json!({"nurse": "apheresis_nurse", "device": "SN-1", "starts_at": start, "reason": "race"});
        let (p1, p2) = (format!("/api/v1/apheresis/treatments/{}/reschedule", ids[0]), format!("/api/v1/apheresis/treatments/{}/reschedule", ids[1]));
        let (r1, r2) = tokio::join!(coord.post_json(&p1, body.clone()), coord2.post_json(&p2, body.clone()));
        let (s1, s2) = (r1.status(), r2.status());
        let wins = [s1, s2].iter().filter(|s| s.is_success()).count();
        assert_eq!(wins, 1, "round {round}: {s1} {s2}");
        for (r, i) in [(r1, 0), (r2, 1)] {
            if r.status().is_success() {
                let v: Value = r.json().await.unwrap();
                ids[i] = v["id"].as_str().unwrap().to_string();
            } else {
                assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
            }
        }
    }
    // Never two open bookings of the nurse overlapping.
    let cal = ok(coord.get(&format!("/api/v1/apheresis/calendar?date={}&span=week", day(1))).await, "calendar").await;
    let mut spans: Vec<(String, String)> = cal["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| {
            d["treatments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| (t["starts_at"].as_str().unwrap().to_string(), t["ends_at"].as_str().unwrap().to_string()))
        })
        .collect();
    spans.sort();
    assert_eq!(spans.len(), 2);
    assert!(spans[0].1 <= spans[1].0, "{spans:?}");
}

both_backends!(a_request_goes_from_the_hospital_to_a_booked_series);
both_backends!(bad_requests_and_bookings_are_refused_and_change_nothing);
both_backends!(two_moves_into_one_slot_at_once_one_wins);
both_backends!(an_emergent_request_goes_to_the_nurse_on_call);
