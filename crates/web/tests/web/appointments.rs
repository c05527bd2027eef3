//! Appointments end to end: schedules, booking by staff and from a personal link,
//! confirmation and reminder emails received by a real SMTP server, no overbooking
//! under concurrency, and every refusal leaving nothing written.

use crate::common;

use app::donors::NewDonorInput;
use app::Actor;
use chrono::{Duration, NaiveDate, Utc};
use common::smtp::{link_containing, SmtpSink};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration as StdDuration;
use store::Backend;

const WAIT: StdDuration = StdDuration::from_secs(10);

/// One test per back end, each with its own SMTP sink (skipped when aiosmtpd is
/// missing, unless HEMAFLOW_REQUIRE_SMTP=1).
macro_rules! with_smtp {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::*;
            async fn run(backend: Backend) {
                let Some(sink) = SmtpSink::start() else { return };
                let url = sink.url.clone();
                let Some(t) = common::spawn_app_with(backend, move |s| s.smtp_url = Some(url)).await else { return };
                super::$case(t, sink).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    )*};
}

/// Tomorrow at the test site (America/Chicago).
async fn tomorrow(t: &TestApp) -> NaiveDate {
    let site = t.app.store.site(t.site_id).await.unwrap().unwrap();
    Utc::now().with_timezone(&site.fields.time_zone.tz()).date_naive() + Duration::days(1)
}

/// MAIN opens every day 08:00–12:00 in 30-minute slots with `chairs` chairs and
/// `machines` apheresis machines.
async fn open_main(t: &TestApp, chairs: i64, machines: i64) {
    let hours: Vec<Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| json!({"day": d, "opens": "08:00", "closes": "12:00"})).collect();
    let r = t
        .api()
        .put_json(
            &format!("/api/v1/sites/{}/schedule", t.site_id),
            json!({"slot_minutes": 30, "chairs": chairs, "machines": machines, "hours": hours, "reason": "opening hours"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

/// Registers a donor; `email` with consent to email unless `consent` is false.
async fn donor(t: &TestApp, first: &str, last: &str, email: &str, consent: bool) -> String {
    let input = NewDonorInput {
        first_name: first.into(),
        last_name: last.into(),
        birth_date: "1985-03-14".into(),
        sex: "F".into(),
        email: email.into(),
        consent: if consent { vec!["email".into()] } else { vec![] },
        not_a_duplicate: true,
        ..Default::default()
    };
    match t.app.register_donor(&Actor::operator(), &input).await {
        Ok(d) => d.donor_number,
        Err(e) => panic!("registering {first} {last}: {e:?}"),
    }
}

async fn book(t: &TestApp, number: &str, date: NaiveDate, time: &str, procedure: &str) -> reqwest::Response {
    t.api()
        .post_json(
            "/api/v1/appointments",
            json!({"donor_number": number, "site": "MAIN", "date": date.to_string(), "time": time, "procedure": procedure}),
        )
        .await
}

async fn grid(t: &TestApp, date: NaiveDate) -> Value {
    let r = t.api().get(&format!("/api/v1/appointments?site=MAIN&date={date}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn slot<'a>(g: &'a Value, time: &str) -> &'a Value {
    g["slots"].as_array().unwrap().iter().find(|s| s["time"] == time).unwrap_or_else(|| panic!("no slot {time} in {g}"))
}

/// What a refusal must not have changed.
async fn written(t: &TestApp) -> (i64, i64, usize) {
    (t.audit_head().await, t.app.store.count_appointments().await.unwrap(), t.app.store.recent_sent_emails(None, 1000).await.unwrap().len())
}

async fn staff_booking_confirms_by_email_and_its_link_cancels(t: TestApp, sink: SmtpSink) {
    open_main(&t, 2, 1).await;
    let ann = donor(&t, "Ann", "Archer", "ann@example.org", true).await;
    let day = tomorrow(&t).await;
    let r = book(&t, &ann, day, "08:30", "whole_blood").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let booked: Value = r.json().await.unwrap();
    assert_eq!(booked["status"], "booked");
    assert_eq!(booked["seat"], 1);
    assert_eq!(booked["confirmation_email"], "sent");
    let g = grid(&t, day).await;
    assert_eq!(slot(&g, "08:30")["chair"], json!({"capacity": 2, "booked": 1, "free": 1}));
    assert_eq!(slot(&g, "08:30")["machine"]["free"], 1);

    let mail = &sink.wait_for(1, WAIT).await[0];
    assert_eq!(mail.to, vec!["ann@example.org".to_string()]);
    assert_eq!(mail.subject, format!("Your donation appointment on {day} at 08:30"));
    assert!(mail.body.contains("Dear Ann") && mail.body.contains("Main donor centre") && mail.body.contains("Whole blood"), "{}", mail.body);
    let cancel = link_containing(&mail.body, "/book/cancel/").expect("a cancel link");
    assert!(cancel.starts_with(&t.addr), "{cancel} is on this server");

    // The link works: a confirmation page, then the cancellation.
    let c = common::client();
    let page = c.get(&cancel).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Cancel your appointment?"));
    let done = c.post(&cancel).form(&[("reason", "ill")]).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("cancelled"));
    let a = t.app.store.appointment(booked["id"].as_str().unwrap().parse().unwrap()).await.unwrap().unwrap();
    assert_eq!((a.status.as_str(), a.cancel_reason.as_deref()), ("cancelled", Some("ill")));
    assert_eq!(slot(&grid(&t, day).await, "08:30")["chair"]["free"], 2, "the seat is free again");
    // Twice is refused and changes nothing.
    let before = written(&t).await;
    assert_eq!(c.post(&cancel).form(&[("reason", "again")]).send().await.unwrap().status(), StatusCode::CONFLICT);
    assert_eq!(written(&t).await, before);
    // The seat can be booked again.
    assert_eq!(book(&t, &ann, day, "08:30", "whole_blood").await.status(), StatusCode::CREATED);
}

async fn reminders_go_out_once_and_only_with_consent(t: TestApp, sink: SmtpSink) {
    open_main(&t, 2, 1).await;
    let bea = donor(&t, "Bea", "Baker", "bea@example.org", true).await;
    let cal = donor(&t, "Cal", "Cooper", "cal@example.org", false).await;
    let day = tomorrow(&t).await;
    assert_eq!(book(&t, &bea, day, "09:00", "whole_blood").await.status(), StatusCode::CREATED);
    let r: Value = book(&t, &cal, day, "09:00", "plasma").await.json().await.unwrap();
    assert_eq!(r["confirmation_email"], "not sent: no consent to email");
    // Not tomorrow: no reminder yet.
    assert_eq!(book(&t, &bea, day + Duration::days(1), "09:00", "whole_blood").await.status(), StatusCode::CREATED);
    assert_eq!(sink.wait_for(2, WAIT).await.len(), 2, "two confirmations to Bea");

    let first = t.app.send_reminders().await.unwrap();
    assert_eq!((first.sent, first.failed, first.skipped), (1, 0, 1));
    let got = sink.wait_for(3, WAIT).await;
    let reminder = got.iter().find(|m| m.subject.starts_with("Reminder")).expect("a reminder");
    assert_eq!(reminder.to, vec!["bea@example.org".to_string()]);
    assert!(reminder.body.contains("tomorrow") && reminder.body.contains("09:00"));
    assert!(got.iter().all(|m| m.to != vec!["cal@example.org".to_string()]), "nothing to Cal without consent");

    let again = t.app.send_reminders().await.unwrap();
    assert_eq!((again.sent, again.failed), (0, 0));
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 3, "never twice");
    assert_eq!(t.app.store.recent_sent_emails(Some("appointment.reminder"), 10).await.unwrap().len(), 1);
}

async fn public_link_books_and_expired_or_unknown_links_book_nothing(t: TestApp, sink: SmtpSink) {
    open_main(&t, 1, 0).await;
    let dee = donor(&t, "Dee", "Dawson", "dee@example.org", true).await;
    let r = t.api().post_json(&format!("/api/v1/donors/{dee}/booking-links"), json!({})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let link: Value = r.json().await.unwrap();
    let url = link["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/book/hfb_", t.addr)), "{url}");
    let expires: chrono::DateTime<Utc> = link["expires_at"].as_str().unwrap().parse().unwrap();
    assert!((expires - Utc::now() - Duration::days(14)).num_minutes().abs() < 5, "default 14 days");

    let c = common::client();
    let day = tomorrow(&t).await;
    let page = c.get(format!("{url}?date={day}")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Hello Dee"), "{html}");
    let choice = format!("{}|{day}|10:00|whole_blood", t.site_id);
    assert!(html.contains(&choice), "10:00 whole blood is offered on {day}");
    assert!(!html.contains("|plasma"), "no machines: no plasma on offer");

    // A cross-site form post is refused before anything happens.
    let before = written(&t).await;
    let evil = c.post(&url).header("origin", "http://evil.example").form(&[("choice", choice.as_str())]).send().await.unwrap();
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    assert_eq!(written(&t).await, before);

    // A signed-in staff member's browser may use the public form too (no session CSRF asked).
    let staff = t.login_as("lab").await;
    let r = staff.client.post(&url).form(&[("choice", choice.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.text().await.unwrap().contains("You are booked"));
    let mine = t.app.store.appointments_of_donor(t.app.store.donor_by_number(&dee).await.unwrap().unwrap().id).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].booked_via.as_str(), mine[0].booked_by.as_str()), ("link", &*format!("donor:{dee} (booking link)")));
    let mail = &sink.wait_for(1, WAIT).await[0];
    assert_eq!(mail.to, vec!["dee@example.org".to_string()]);
    assert!(mail.subject.contains("10:00"));

    // The slot is full now (one chair): the page no longer offers it and a post is a 409.
    let html = c.get(format!("{url}?date={day}")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains(&choice));
    let before = written(&t).await;
    let full = c.post(&url).form(&[("choice", choice.as_str())]).send().await.unwrap();
    assert_eq!(full.status(), StatusCode::CONFLICT);
    // One appointment at a time from a link.
    let later = format!("{}|{day}|11:30|whole_blood", t.site_id);
    let second = c.post(&url).form(&[("choice", later.as_str())]).send().await.unwrap();
    assert_eq!(second.status(), StatusCode::CONFLICT);
    assert!(second.text().await.unwrap().contains("already have an appointment"));
    assert_eq!(written(&t).await, before);

    // Unknown and expired links: clear pages, nothing booked.
    let unknown = c.get(t.url("/book/hfb_0000")).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown.text().await.unwrap().contains("not known"));
    let token = "hfb_expired_for_test";
    let donor_id = t.app.store.donor_by_number(&dee).await.unwrap().unwrap().id;
    let mut tx = t.app.store.begin_write().await.unwrap();
    tx.insert_booking_link(&store::BookingLinkRow {
        id: uuid::Uuid::now_v7(),
        donor_id,
        token_hash: app::auth::token_hash(token),
        created_at: store::now() - Duration::days(15),
        created_by: "test".into(),
        expires_at: store::now() - Duration::days(1),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let before = written(&t).await;
    let gone = c.get(t.url(&format!("/book/{token}"))).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::GONE);
    assert!(gone.text().await.unwrap().contains("expired"));
    let other = format!("{}|{day}|11:00|whole_blood", t.site_id);
    let gone = c.post(t.url(&format!("/book/{token}"))).form(&[("choice", other.as_str())]).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::GONE);
    let nothing = c.post(t.url("/book/hfb_0000")).form(&[("choice", other.as_str())]).send().await.unwrap();
    assert_eq!(nothing.status(), StatusCode::NOT_FOUND);
    assert_eq!(written(&t).await, before);
}

async fn concurrent_bookings_never_overbook(t: TestApp, _sink: SmtpSink) {
    open_main(&t, 3, 0).await;
    let day = tomorrow(&t).await;
    let mut numbers = Vec::new();
    for i in 0..12 {
        numbers.push(donor(&t, &format!("Eve{i}"), &format!("Evans{i}"), &format!("eve{i}@example.org"), false).await);
    }
    // One seat goes first, so the race is for the last two.
    assert_eq!(book(&t, &numbers[0], day, "11:30", "whole_blood").await.status(), StatusCode::CREATED);
    let tasks: Vec<_> = numbers[1..]
        .iter()
        .map(|n| {
            let (api, n) = (t.api(), n.clone());
            tokio::spawn(async move {
                api.post_json(
                    "/api/v1/appointments",
                    json!({"donor_number": n, "site": "MAIN", "date": day.to_string(), "time": "11:30", "procedure": "whole_blood"}),
                )
                .await
            })
        })
        .collect();
    let mut created = 0;
    let mut full = 0;
    for task in tasks {
        let r = task.await.unwrap();
        match r.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                let p = common::problem(r).await;
                assert!(p["detail"].as_str().unwrap().contains("full"), "{p}");
                full += 1;
            }
            other => panic!("unexpected {other}: {}", r.text().await.unwrap()),
        }
    }
    assert_eq!((created, full), (2, 9));
    let g = grid(&t, day).await;
    assert_eq!(slot(&g, "11:30")["chair"], json!({"capacity": 3, "booked": 3, "free": 0}));
    let mut seats: Vec<i64> = g["appointments"].as_array().unwrap().iter().map(|a| a["seat"].as_i64().unwrap()).collect();
    seats.sort();
    assert_eq!(seats, vec![1, 2, 3]);
    assert_eq!(t.app.store.count_appointments().await.unwrap(), 3);

    // The guarantee is the database's: a second live appointment on a seat is refused
    // whatever the code above it does; a cancelled one holds no seat.
    let id = g["appointments"][0]["id"].as_str().unwrap().parse().unwrap();
    let taken = t.app.store.appointment(id).await.unwrap().unwrap();
    let copy = store::AppointmentRow { id: uuid::Uuid::now_v7(), cancel_token_hash: "another".into(), donor_id: taken.donor_id, ..taken.clone() };
    let mut tx = t.app.store.begin_write().await.unwrap();
    assert!(matches!(tx.insert_appointment(&copy).await, Err(store::StoreError::Duplicate { .. })));
    drop(tx);
    let mut tx = t.app.store.begin_write().await.unwrap();
    tx.insert_appointment(&store::AppointmentRow { status: domain::appointment::AppointmentStatus::Cancelled, ..copy }).await.unwrap();
    tx.commit().await.unwrap();
}

with_smtp!(
    staff_booking_confirms_by_email_and_its_link_cancels,
    reminders_go_out_once_and_only_with_consent,
    public_link_books_and_expired_or_unknown_links_book_nothing,
    concurrent_bookings_never_overbook,
);

async fn every_refusal_leaves_nothing_written(t: TestApp) {
    open_main(&t, 2, 0).await;
    let fay = donor(&t, "Fay", "Fisher", "fay@example.org", true).await;
    let gus = donor(&t, "Gus", "Grant", "gus@example.org", true).await;
    let day = tomorrow(&t).await;
    assert_eq!(book(&t, &fay, day, "10:00", "whole_blood").await.status(), StatusCode::CREATED);
    let deferral = app::donors::DeferralInput {
        kind: "temporary".into(),
        reason_code: "LOW_HB".into(),
        reason: "hemoglobin low".into(),
        starts_on: None,
        until: Some((day + Duration::days(30)).to_string()),
    };
    t.app.defer_donor(&Actor::operator(), &gus, &deferral).await.unwrap();
    let yesterday = day - Duration::days(2);
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"donor_number": fay, "site": "MAIN", "date": day.to_string(), "time": "13:00", "procedure": "plasma"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not the start of a slot",
        ),
        (
            json!({"donor_number": fay, "site": "MAIN", "date": day.to_string(), "time": "10:10", "procedure": "whole_blood"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not the start of a slot",
        ),
        (
            json!({"donor_number": fay, "site": "MAIN", "date": yesterday.to_string(), "time": "10:00", "procedure": "whole_blood"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "in the past",
        ),
        (
            json!({"donor_number": fay, "site": "MAIN", "date": day.to_string(), "time": "11:00", "procedure": "platelets"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no apheresis machines",
        ),
        (
            json!({"donor_number": fay, "site": "MAIN", "date": day.to_string(), "time": "11:00", "procedure": "autologous"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not booked as appointments",
        ),
        (
            json!({"donor_number": fay, "site": "MAIN", "date": day.to_string(), "time": "10:00", "procedure": "whole_blood"}),
            StatusCode::CONFLICT,
            "already has an appointment",
        ),
        (
            json!({"donor_number": gus, "site": "MAIN", "date": day.to_string(), "time": "10:00", "procedure": "whole_blood"}),
            StatusCode::CONFLICT,
            "may give",
        ),
        (
            json!({"donor_number": "D9999999", "site": "MAIN", "date": day.to_string(), "time": "10:00", "procedure": "whole_blood"}),
            StatusCode::NOT_FOUND,
            "no donor",
        ),
        (
            json!({"donor_number": fay, "site": "NOPE", "date": day.to_string(), "time": "10:00", "procedure": "whole_blood"}),
            StatusCode::NOT_FOUND,
            "no site",
        ),
        (
            json!({"donor_number": fay, "site": "MAIN", "date": "tomorrow", "time": "25:00", "procedure": "blood"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a date",
        ),
        (
            json!({"donor_number": fay, "site": "MAIN", "date": day.to_string(), "time": "10:00", "procedure": "whole_blood", "extra": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "extra",
        ),
    ];
    for (body, status, says) in cases {
        let before = written(&t).await;
        let r = t.api().post_json("/api/v1/appointments", body.clone()).await;
        assert_eq!(r.status(), status, "{body}");
        let p = common::problem(r).await;
        assert!(p.to_string().contains(says), "{body}: {p}");
        assert_eq!(written(&t).await, before, "{body} wrote something");
    }
    // A role without the permission.
    let lab = t.login_as("lab").await;
    let before = written(&t).await;
    let r = lab
        .client
        .post(t.url("/api/v1/appointments"))
        .header("x-csrf-token", &lab.csrf)
        .json(&json!({"donor_number": gus, "site": "MAIN", "date": day.to_string(), "time": "09:00", "procedure": "whole_blood"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(written(&t).await, before);

    // Cancellation and attendance refusals.
    let g = grid(&t, day).await;
    let id = g["appointments"][0]["id"].as_str().unwrap().to_string();
    let before = written(&t).await;
    let r = t.api().post_json(&format!("/api/v1/appointments/{id}/cancel"), json!({"reason": " "})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = t.api().post_json(&format!("/api/v1/appointments/{id}/attendance"), json!({"attended": true})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "attendance before the day");
    let r = t.api().post_json(&format!("/api/v1/appointments/{}/cancel", uuid::Uuid::now_v7()), json!({"reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(written(&t).await, before);
    let r = t.api().post_json(&format!("/api/v1/appointments/{id}/cancel"), json!({"reason": "donor called"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "cancelled");
    assert_eq!(t.audit_head().await, before.0 + 1, "the cancellation is audited");
}

async fn schedules_are_versioned_and_drives_planned(t: TestApp) {
    let api = t.api();
    let path = format!("/api/v1/sites/{}/schedule", t.site_id);
    let empty: Value = api.get(&path).await.json().await.unwrap();
    assert_eq!((empty["weekly"].clone(), empty["versions"].clone()), (Value::Null, json!(0)));
    // Without a schedule the site takes no bookings.
    let day = tomorrow(&t).await;
    let n = donor(&t, "Hal", "Hughes", "hal@example.org", true).await;
    assert_eq!(book(&t, &n, day, "08:00", "whole_blood").await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let before = written(&t).await;
    let bad = json!({"slot_minutes": 7, "chairs": -1, "machines": 0, "hours": [{"day": "funday", "opens": "8", "closes": "16:00"}], "reason": ""});
    let r = api.put_json(&path, bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = common::problem(r).await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["slot_minutes", "chairs", "hours", "reason"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    assert_eq!(written(&t).await, before);

    open_main(&t, 2, 1).await;
    open_main(&t, 3, 1).await;
    let v: Value = api.get(&path).await.json().await.unwrap();
    assert_eq!((v["versions"].clone(), v["weekly"]["version"].clone(), v["weekly"]["chairs"].clone()), (json!(2), json!(2), json!(3)));
    assert_eq!(v["weekly"]["hours"][0], json!({"day": "mon", "opens": "08:00", "closes": "12:00"}));

    // Drives belong to mobile sites.
    let drive =
        json!({"date": day.to_string(), "opens": "09:00", "closes": "11:00", "location": "Town hall, room 2", "slot_minutes": 20, "chairs": 4});
    let r = api.post_json(&format!("/api/v1/sites/{}/drives", t.site_id), drive.clone()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mobile = t
        .app
        .create_site(
            &Actor::operator(),
            &domain::SiteInput {
                code: "BUS1".into(),
                name: "Bloodmobile 1".into(),
                kind: "mobile".into(),
                time_zone: "America/Chicago".into(),
                active: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let r = api.post_json(&format!("/api/v1/sites/{}/drives", mobile.id), drive.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let before = written(&t).await;
    let r = api.post_json("/api/v1/sites/BUS1/drives", drive.clone()).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "one drive per site and day");
    let past = json!({"date": "2020-01-01", "opens": "09:00", "closes": "11:00", "location": "x", "slot_minutes": 20, "chairs": 4});
    assert_eq!(api.post_json("/api/v1/sites/BUS1/drives", past).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(written(&t).await, before);
    let r = api
        .post_json(
            "/api/v1/appointments",
            json!({"donor_number": n, "site": "BUS1", "date": day.to_string(), "time": "10:20", "procedure": "whole_blood"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["location"], "Town hall, room 2");
    let g: Value = api.get(&format!("/api/v1/appointments?site=BUS1&date={day}")).await.json().await.unwrap();
    assert_eq!(g["slots"].as_array().unwrap().len(), 6);
    assert_eq!(g["location"], "Town hall, room 2");
}

async fn staff_page_books_and_donor_page_lists(t: TestApp) {
    open_main(&t, 2, 1).await;
    let n = donor(&t, "Ida", "Ingram", "ida@example.org", true).await;
    let day = tomorrow(&t).await;
    let s = t.login_as("recruiter").await;
    let html = s.client.get(t.url(&format!("/appointments?site={}&date={day}", t.site_id))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"slot-grid\"") && html.contains("data-nav=\"appointments\""));
    assert!(!html.contains("id=\"schedule-form\""), "recruiters do not edit schedules");
    let form = [
        ("_csrf", s.csrf.as_str()),
        ("site", &t.site_id.to_string()),
        ("date", &day.to_string()),
        ("time", "09:30"),
        ("donor_number", &n),
        ("procedure", "plasma"),
    ];
    let r = s.client.post(t.url("/appointments")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Booked Ida Ingram")
            && html.contains("Confirmation email: not sent: captured in the Outbox because no mail server is configured"),
        "{html}"
    );
    // The same again is a conflict shown on the page.
    let r = s.client.post(t.url("/appointments")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let donor_page = s.client.get(t.url(&format!("/donors/{n}"))).send().await.unwrap().text().await.unwrap();
    assert!(donor_page.contains("id=\"donor-appointments-table\"") && donor_page.contains("Plasma (apheresis)"), "{donor_page}");
    let r = s.client.post(t.url(&format!("/donors/{n}/booking-links"))).form(&[("_csrf", s.csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.text().await.unwrap().contains("/book/hfb_"));
    // Collectors manage schedules from the page.
    let c = t.login_as("collector").await;
    let html = c.client.get(t.url("/appointments")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"schedule-form\""));
    let r = c
        .client
        .post(t.url("/appointments/schedule"))
        .form(&[
            ("_csrf", c.csrf.as_str()),
            ("site", &t.site_id.to_string()),
            ("date", &day.to_string()),
            ("hours", "mon-sun 07:00-12:00"),
            ("slot_minutes", "30"),
            ("chairs", "2"),
            ("machines", "1"),
            ("reason", "earlier start"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let g = grid(&t, day).await;
    assert_eq!(g["opens"], "07:00");
}

both_backends!(every_refusal_leaves_nothing_written, schedules_are_versioned_and_drives_planned, staff_page_books_and_donor_page_lists);

/// No mail server: the confirmation is kept in the Outbox, marked not sent, and
/// nothing is recorded as sent.
async fn booking_confirmation_without_a_mail_server_is_captured(t: TestApp) {
    open_main(&t, 2, 1).await;
    let dee = donor(&t, "Dee", "Dunn", "dee@example.org", true).await;
    let day = tomorrow(&t).await;
    let r: Value = book(&t, &dee, day, "09:00", "whole_blood").await.json().await.unwrap();
    assert_eq!(r["confirmation_email"], "not sent: captured in the Outbox because no mail server is configured");
    let kept = t.app.store.captured_about(r["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].kind.as_str(), kept[0].to_address.as_str()), ("appointment.confirmation", "dee@example.org"));
    assert!(kept[0].body.contains("Dear Dee") && kept[0].body.contains("/book/cancel/"), "{}", kept[0].body);
    assert!(t.app.store.sent_emails_about(r["id"].as_str().unwrap()).await.unwrap().is_empty(), "nothing counts as sent");
    let s = t.login_as("recruiter").await;
    let html = s.client.get(t.url("/outbox")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Not sent — captured because no mail server is configured."), "{html}");
    assert!(html.contains("Booking confirmation") && html.contains("dee@example.org") && html.contains(&dee), "{html}");
}

both_backends!(booking_confirmation_without_a_mail_server_is_captured);
