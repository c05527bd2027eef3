//! Recruitment over HTTP: segments, scores, campaigns by phone and SMS, call outcomes,
//! needs, and every refusal with nothing written.

use crate::common;

use chrono::{Duration, Utc};
use common::{problem, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// Five donors with histories and consents:
/// D1 Ann O- lapsed (gave 400 and 250 days ago), consents email, sms, phone
/// D2 Bob A+ first-time (20 days ago), consents email
/// D3 Cid O- never donated, no consent
/// D4 Dee O- lapsed first-timer (one donation, 300 days ago), consents sms and phone
/// D5 Eve B- regular (3 donations, last 60 days ago), consents phone
async fn seed(t: &TestApp) {
    let op = app::Actor::operator();
    let today = Utc::now().date_naive();
    let donors = "donor_number,first_name,last_name,birth_date,sex,blood_group,email,phone\n\
        D0000001,Ann,Ames,1980-01-01,F,O-,ann@example.org,+1 217-555-0001\n\
        D0000002,Bob,Burr,1990-02-02,M,A+,bob@example.org,+1 217-555-0002\n\
        D0000003,Cid,Cole,1970-03-03,M,O-,cid@example.org,+1 217-555-0003\n\
        D0000004,Dee,Dunn,1985-04-04,F,O-,,+1 217-555-0004\n\
        D0000005,Eve,Ezra,1975-05-05,F,B-,eve@example.org,+1 217-555-0005\n";
    t.app.import_donors(&op, "d.csv", donors.as_bytes(), today, |_, _| {}).await.unwrap();
    let d = |n: i64| (today - Duration::days(n)).to_string();
    let donations = format!(
        "donor_number,procedure,collected_on\nD0000001,whole_blood,{}\nD0000001,whole_blood,{}\nD0000002,whole_blood,{}\nD0000004,whole_blood,{}\nD0000005,whole_blood,{}\nD0000005,whole_blood,{}\nD0000005,whole_blood,{}\n",
        d(400), d(250), d(20), d(300), d(300), d(180), d(60)
    );
    t.app.import_donations(&op, "x.csv", donations.as_bytes(), today, |_, _| {}).await.unwrap();
    let mut tx = t.app.store.begin_write().await.unwrap();
    for (number, email, sms, phone) in
        [("D0000001", true, true, true), ("D0000002", true, false, false), ("D0000004", false, true, true), ("D0000005", false, false, true)]
    {
        let donor = tx.donor_by_number(number).await.unwrap().unwrap();
        let c = store::DonorContact { consent_email: email, consent_sms: sms, consent_phone: phone, ..Default::default() };
        tx.set_donor_contact(donor.id, &c).await.unwrap();
    }
    tx.commit().await.unwrap();
    // The day's stored scores, as the server's daily job writes them.
    t.app.score_pool(&op, today).await.unwrap();
}

fn numbers(v: &Value, key: &str) -> Vec<String> {
    let mut n: Vec<String> = v[key].as_array().unwrap().iter().map(|x| x["donor_number"].as_str().unwrap().to_string()).collect();
    n.sort();
    n
}

async fn post(s: &common::Session, t: &TestApp, path: &str, body: Value) -> reqwest::Response {
    s.client.post(t.url(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap()
}

async fn put(s: &common::Session, t: &TestApp, path: &str, body: Value) -> reqwest::Response {
    s.client.put(t.url(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap()
}

/// Waits until the outbox worker gave every message of the campaign its outcome;
/// returns the campaign with its contacts.
async fn delivered(s: &common::Session, t: &TestApp, id: &str) -> Value {
    for _ in 0..400 {
        let d: Value = s.client.get(t.url(&format!("/api/v1/campaigns/{id}"))).send().await.unwrap().json().await.unwrap();
        if d["campaign"]["delivery"]["finished"] == true {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("campaign {id} was not delivered within 20 s");
}

async fn segment(s: &common::Session, t: &TestApp, name: &str, filter: Value) -> String {
    let r = post(s, t, "/api/v1/segments", json!({"name": name, "filter": filter})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

async fn segments_select_donors_and_refusals_write_nothing(t: TestApp) {
    seed(&t).await;
    let s = t.login_as("recruiter").await;
    let preview = |f: Value| {
        let s = &s;
        let t = &t;
        async move {
            let r = post(s, t, "/api/v1/segments/preview", json!({"filter": f})).await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    let v = preview(json!({"blood_groups": ["O-"], "lapsed_months": 6})).await;
    assert_eq!((v["count"].as_u64(), numbers(&v, "sample")), (Some(2), vec!["D0000001".to_string(), "D0000004".to_string()]));
    assert_eq!(numbers(&preview(json!({"history": "first_time"})).await, "sample"), ["D0000002", "D0000004"]);
    assert_eq!(numbers(&preview(json!({"history": "never"})).await, "sample"), ["D0000003"]);
    assert_eq!(numbers(&preview(json!({"consent": "sms"})).await, "sample"), ["D0000001", "D0000004"]);
    // Bob gave whole blood 20 days ago: not eligible for whole blood for 56 days.
    let eligible = numbers(&preview(json!({"eligible_for": "whole_blood"})).await, "sample");
    assert!(!eligible.contains(&"D0000002".to_string()) && eligible.contains(&"D0000001".to_string()), "{eligible:?}");
    let later = (Utc::now().date_naive() + Duration::days(40)).to_string();
    assert!(numbers(&preview(json!({"eligible_for": "whole_blood", "eligible_on": later})).await, "sample").contains(&"D0000002".to_string()));

    let id = segment(&s, &t, "Lapsed O-", json!({"blood_groups": ["O-"], "lapsed_months": 6})).await;
    let q = t.login_as("quality").await;
    let head = t.audit_head().await;
    // Refusals: unknown key, bad values, a taken name, a role that may only look.
    for (body, status) in [
        (json!({"name": "CMV neg", "filter": {"cmv": "neg"}}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"name": "Bad", "filter": {"blood_groups": ["C+"], "consent": "fax"}}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"name": "", "filter": {}}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"name": "lapsed o-", "filter": {}}), StatusCode::CONFLICT),
    ] {
        let r = post(&s, &t, "/api/v1/segments", body.clone()).await;
        assert_eq!(r.status(), status, "{body}");
        let p = problem(r).await;
        if status == StatusCode::UNPROCESSABLE_ENTITY && body["filter"].get("cmv").is_some() {
            assert!(p["detail"].as_str().unwrap().contains("cmv") || p.to_string().contains("cmv"), "{p}");
        }
    }
    assert_eq!(post(&q, &t, "/api/v1/segments", json!({"name": "Q", "filter": {}})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(put(&q, &t, &format!("/api/v1/segments/{id}"), json!({"name": "Q", "filter": {}})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head, "refusals write nothing");
    let all: Value = s.client.get(t.url("/api/v1/segments")).send().await.unwrap().json().await.unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1);

    // Quality sees the segment and its donors.
    let got: Value = q.client.get(t.url(&format!("/api/v1/segments/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["preview"]["count"], 2);
    let r = put(&s, &t, &format!("/api/v1/segments/{id}"), json!({"name": "Lapsed O- by SMS", "filter": {"blood_groups": ["O-"], "consent": "sms"}}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let audit = t.app.store.audit_page(&app::AuditFilter { entity_type: Some("segment".into()), ..Default::default() }, 100, 0).await.unwrap();
    let upd = audit.records.iter().find(|r| r.action == "segment.update").expect("update audited");
    assert!(upd.before.as_ref().unwrap().to_string().contains("lapsed_months") && upd.after.as_ref().unwrap().to_string().contains("sms"));

    // The page: the form previews without saving, and shows the saved segment's donors.
    let html = s.client.get(t.url(&format!("/recruitment/segments/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<span id=\"segment-count\">2</span>") && html.contains("D0000004"), "{html}");
    let r = s
        .client
        .post(t.url("/recruitment/segments"))
        .form(&[("_csrf", s.csrf.as_str()), ("name", "Never"), ("history", "never"), ("preview", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("<span id=\"segment-count\">1</span>"));
    let all: Value = s.client.get(t.url("/api/v1/segments")).send().await.unwrap().json().await.unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1, "a preview saves nothing");
}

async fn scores_come_from_history_before_as_of(t: TestApp) {
    seed(&t).await;
    let s = t.login_as("quality").await;
    let as_of = Utc::now().date_naive() - Duration::days(10);
    let get = |q: String| s.client.get(t.url(&format!("/api/v1/recruitment/scores{q}"))).send();
    let v: Value = get(format!("?as_of={as_of}")).await.unwrap().json().await.unwrap();
    assert_eq!(v["as_of"], as_of.to_string());
    let scores = v["scores"].as_array().unwrap();
    let order: Vec<&str> = scores.iter().map(|x| x["donor_number"].as_str().unwrap()).collect();
    assert_eq!(order, ["D0000001", "D0000002", "D0000003", "D0000004", "D0000005"]);
    assert!(scores.iter().all(|x| (0.0..=1.0).contains(&x["score"].as_f64().unwrap())));
    assert!(v["n"].as_u64().unwrap() <= 5 * 12, "at most 12 monthly snapshots of 5 donors");
    let candidates = v["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 4, "{v}");
    assert_eq!(candidates.iter().filter(|c| c["chosen"] == true).count(), 1);
    assert!(candidates.iter().any(|c| c["name"] == v["model"] && c["chosen"] == true));
    // A donation on or after as_of changes nothing.
    let donor = t.app.store.donor_by_number("D0000003").await.unwrap().unwrap();
    let mut tx = t.app.store.begin_write().await.unwrap();
    let at = as_of.and_hms_opt(12, 0, 0).unwrap().and_utc();
    tx.insert_imported_donation(&store::DonationRow {
        id: uuid::Uuid::now_v7(),
        donor_id: donor.id,
        din: None,
        procedure: domain::DonationProcedure::WholeBlood,
        site_id: None,
        collected_at: at,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let again: Value = get(format!("?as_of={as_of}")).await.unwrap().json().await.unwrap();
    assert_eq!(again, v, "no information on or after as_of");
    let r = get("?as_of=yesterday".into()).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let c = t.login_as("collector").await;
    assert_eq!(c.client.get(t.url("/api/v1/recruitment/scores")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
}

async fn phone_campaign_gives_a_call_list_and_records_outcomes(t: TestApp) {
    seed(&t).await;
    let s = t.login_as("recruiter").await;
    let seg = segment(&s, &t, "O- and B-", json!({"blood_groups": ["O-", "B-"]})).await;
    let q = t.login_as("quality").await;
    let head = t.audit_head().await;
    // Refusals first.
    let base =
        json!({"name": "Call round", "segment_id": seg, "channel": "phone", "body": "Hello {{first_name}}", "limit": 10, "cost_per_contact": 2.5});
    let mut bad = base.clone();
    bad["body"] = json!("Hello {{nickname}}");
    let p = problem(post(&s, &t, "/api/v1/campaigns", bad).await).await;
    assert_eq!(p["status"], 422);
    assert!(p.to_string().contains("nickname"), "{p}");
    let mut bad = base.clone();
    bad["segment_id"] = json!(uuid::Uuid::now_v7().to_string());
    assert_eq!(post(&s, &t, "/api/v1/campaigns", bad).await.status(), StatusCode::NOT_FOUND);
    let never = segment(&s, &t, "Never gave", json!({"history": "never"})).await;
    let mut bad = base.clone();
    bad["segment_id"] = json!(never);
    let p = problem(post(&s, &t, "/api/v1/campaigns", bad).await).await;
    assert_eq!(p["status"], 409, "Cid gave no consent: {p}");
    assert_eq!(post(&q, &t, "/api/v1/campaigns", base.clone()).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head + 1, "only the second segment was written");
    let none: Value = s.client.get(t.url("/api/v1/campaigns")).send().await.unwrap().json().await.unwrap();
    assert_eq!(none.as_array().unwrap().len(), 0);

    let r = post(&s, &t, "/api/v1/campaigns", base.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["stats"]["contacts"], 3, "Ann, Dee and Eve consented to phone; Cid did not: {c}");
    assert_eq!(c["stats"]["contacted"], 0, "nobody called yet");

    let csv = s.client.get(t.url(&format!("/api/v1/campaigns/{id}/calls.csv"))).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "rank,donor_number,first_name,last_name,blood_group,phone,score,status,last_outcome");
    assert_eq!(lines.len(), 4);
    let mut listed: Vec<&str> = lines[1..].iter().map(|l| l.split(',').nth(1).unwrap()).collect();
    listed.sort();
    assert_eq!(listed, ["D0000001", "D0000004", "D0000005"]);
    let detail: Value = s.client.get(t.url(&format!("/api/v1/campaigns/{id}"))).send().await.unwrap().json().await.unwrap();
    let contacts = detail["contacts"].as_array().unwrap();
    let scores: Vec<f64> = contacts.iter().map(|x| x["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "ranked by score: {scores:?}");
    for (i, x) in contacts.iter().enumerate() {
        let cells: Vec<&str> = lines[i + 1].split(',').collect();
        assert_eq!(cells[0], (i + 1).to_string());
        assert_eq!(cells[1], x["donor_number"]);
        // A cell starting with '+' could be read as a formula: the CSV writer neutralises it.
        assert_eq!(cells[5].strip_prefix('\'').unwrap_or(cells[5]), x["address"]);
        assert!(!cells[5].starts_with('+'), "{}", cells[5]);
        assert_eq!(cells[6], format!("{:.4}", x["score"].as_f64().unwrap()));
        assert_eq!(cells[7], "listed");
    }
    let ann = contacts.iter().find(|x| x["donor_number"] == "D0000001").unwrap()["id"].as_str().unwrap().to_string();
    let dee = contacts.iter().find(|x| x["donor_number"] == "D0000004").unwrap()["id"].as_str().unwrap().to_string();

    // Outcomes: refusals write nothing.
    let head = t.audit_head().await;
    assert_eq!(
        post(&s, &t, &format!("/api/v1/contacts/{ann}/outcome"), json!({"outcome": "maybe"})).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(post(&q, &t, &format!("/api/v1/contacts/{ann}/outcome"), json!({"outcome": "booked"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);
    // The call-outcome screen (a page form) and the API.
    let r = s
        .client
        .post(t.url(&format!("/recruitment/contacts/{ann}/outcome")))
        .form(&[("_csrf", s.csrf.as_str()), ("outcome", "booked"), ("note", "Saturday 10:00"), ("campaign", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(post(&s, &t, &format!("/api/v1/contacts/{dee}/outcome"), json!({"outcome": "no_answer"})).await.status(), StatusCode::CREATED);
    // Ann gives after the call: credited to the campaign.
    let donor = t.app.store.donor_by_number("D0000001").await.unwrap().unwrap();
    let mut tx = t.app.store.begin_write().await.unwrap();
    tx.insert_imported_donation(&store::DonationRow {
        id: uuid::Uuid::now_v7(),
        donor_id: donor.id,
        din: None,
        procedure: domain::DonationProcedure::DoubleRedCells,
        site_id: None,
        collected_at: store::now() + Duration::hours(1),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let c: Value = s.client.get(t.url(&format!("/api/v1/campaigns/{id}"))).send().await.unwrap().json().await.unwrap();
    let st = &c["campaign"]["stats"];
    assert_eq!((st["contacted"].as_i64(), st["delivered"].as_i64(), st["bookings"].as_i64()), (Some(2), Some(1), Some(1)), "{st}");
    assert_eq!((st["donated"].as_i64(), st["units"].as_i64()), (Some(1), Some(2)), "double red cells: 2 units");
    assert_eq!(st["response_rate"].as_f64(), Some(0.5));
    assert_eq!(st["conversion"].as_f64(), Some(0.5));
    assert_eq!(st["cost"].as_f64(), Some(5.0));
    assert_eq!(st["cost_per_unit"].as_f64(), Some(2.5));
    let csv = s.client.get(t.url(&format!("/api/v1/campaigns/{id}/calls.csv"))).send().await.unwrap().text().await.unwrap();
    assert!(csv.lines().any(|l| l.contains("D0000001") && l.ends_with(",called,booked")), "{csv}");
    let audit =
        t.app.store.audit_page(&app::AuditFilter { action: Some("campaign.call_outcome".into()), ..Default::default() }, 100, 0).await.unwrap();
    assert_eq!(audit.records.len(), 2);

    // The dashboard pages.
    let html = q.client.get(t.url(&format!("/recruitment/campaigns/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"campaign-stats\"") && html.contains("<svg") && html.contains("Saturday 10:00"));
    assert!(!html.contains("/outcome\""), "quality sees no call form");
    let html = s.client.get(t.url("/recruitment")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Call round") && html.contains("50.0%") && html.contains("href=\"/recruitment\""));
}

/// A local HTTP listener that records each JSON body; answers 400 for one number.
async fn sms_gateway() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let router = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let g = g.clone();
            async move {
                let refuse = v["to"] == "+1 217-555-0004";
                g.lock().unwrap().push(v);
                if refuse {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::ACCEPTED
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, got)
}

async fn sms_campaign(backend: store::Backend) {
    let (url, got) = sms_gateway().await;
    let Some(t) = common::spawn_app_with(backend, |s| s.sms_webhook_url = Some(url)).await else { return };
    seed(&t).await;
    let s = t.login_as("recruiter").await;
    let seg = segment(&s, &t, "Everyone", json!({})).await;
    let body = json!({"name": "SMS drive", "segment_id": seg, "channel": "sms", "body": "Hi {{first_name}}, {{blood_group}} donors needed ({{donor_number}})", "limit": 10});
    let r = post(&s, &t, "/api/v1/campaigns", body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["delivery"]["total"], 2, "queued, sent by the worker: {c}");
    let c = delivered(&s, &t, c["id"].as_str().unwrap()).await["campaign"].clone();
    let mut posts = got.lock().unwrap().clone();
    posts.sort_by_key(|p| p["donor_number"].as_str().unwrap().to_string());
    assert_eq!(posts.len(), 2, "only Ann and Dee consented to SMS: {posts:?}");
    assert_eq!(
        posts[0],
        json!({"to": "+1 217-555-0001", "text": "Hi Ann, O- donors needed (D0000001)", "campaign": c["id"], "donor_number": "D0000001"})
    );
    assert_eq!(posts[1]["to"], "+1 217-555-0004");
    let st = &c["stats"];
    assert_eq!((st["contacted"].as_i64(), st["delivered"].as_i64(), st["bounced"].as_i64()), (Some(2), Some(1), Some(1)), "{st}");
    // Refusals: nothing posted, nothing written.
    let head = t.audit_head().await;
    let r = post(&s, &t, "/api/v1/campaigns", json!({"name": "x", "segment_id": seg, "channel": "sms", "body": "{{shoe_size}}", "limit": 5})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(&s, &t, "/api/v1/campaigns", json!({"name": "x", "segment_id": seg, "channel": "fax", "body": "hi", "limit": 5, "extra": 1})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let first_time = segment(&s, &t, "A+ first-timers", json!({"history": "first_time", "blood_groups": ["A+"]})).await;
    let r = post(&s, &t, "/api/v1/campaigns", json!({"name": "x", "segment_id": first_time, "channel": "sms", "body": "hi", "limit": 5})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "Bob gave no SMS consent");
    assert_eq!(t.audit_head().await, head + 1, "only the segment");
    assert_eq!(got.lock().unwrap().len(), 2);
    let cs: Value = s.client.get(t.url("/api/v1/campaigns")).send().await.unwrap().json().await.unwrap();
    assert_eq!(cs.as_array().unwrap().len(), 1);
    let csv = s.client.get(t.url(&format!("/api/v1/campaigns/{}/calls.csv", c["id"].as_str().unwrap()))).send().await.unwrap();
    assert_eq!(csv.status(), StatusCode::CONFLICT, "call lists are for phone campaigns");
    // The donor page lists the campaign's contact for those who see recruitment.
    let html = s.client.get(t.url("/donors/D0000001")).send().await.unwrap().text().await.unwrap();
    let section = &html[html.find("id=\"donor-campaigns\"").expect("campaigns section")..];
    assert!(section.contains("sms") && section.contains("sent"), "{}", &section[..section.len().min(600)]);
    let lab = t.login_as("lab").await;
    let html = lab.client.get(t.url("/donors/D0000001")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("donor-campaigns"), "the lab does not see recruitment");
}

mod sms_campaign_posts_to_the_webhook_for_consenting_donors {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::sms_campaign(store::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::sms_campaign(store::Backend::Postgres).await;
    }
}

async fn targets_show_the_gap_biggest_shortfall_first(t: TestApp) {
    seed(&t).await;
    let s = t.login_as("recruiter").await;
    let q = t.login_as("quality").await;
    let head = t.audit_head().await;
    for bad in [
        json!({"blood_group": "C+", "procedure": "whole_blood", "units_per_week": 5}),
        json!({"blood_group": "O-", "procedure": "granulocytes", "units_per_week": 5}),
        json!({"blood_group": "O-", "procedure": "whole_blood", "units_per_week": -1}),
    ] {
        assert_eq!(put(&s, &t, "/api/v1/recruitment/targets", bad).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        put(&q, &t, "/api/v1/recruitment/targets", json!({"blood_group": "O-", "procedure": "whole_blood", "units_per_week": 5})).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.audit_head().await, head);
    let r = put(&s, &t, "/api/v1/recruitment/targets", json!({"blood_group": "A+", "procedure": "whole_blood", "units_per_week": 2})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    // Bob (A+) gave once in the last 8 weeks: 1/8 = 0.1 a week expected (rounded).
    assert_eq!((v["expected_per_week"].as_f64(), v["gap"].as_f64()), (Some(0.1), Some(1.9)), "{v}");
    put(&s, &t, "/api/v1/recruitment/targets", json!({"blood_group": "O-", "procedure": "whole_blood", "units_per_week": 8})).await;
    put(&s, &t, "/api/v1/recruitment/targets", json!({"blood_group": "B-", "procedure": "platelets", "units_per_week": 0})).await;
    put(&s, &t, "/api/v1/recruitment/targets", json!({"blood_group": "O-", "procedure": "whole_blood", "units_per_week": 6})).await;
    let needs: Value = q.client.get(t.url("/api/v1/recruitment/needs")).send().await.unwrap().json().await.unwrap();
    let order: Vec<(String, f64)> =
        needs.as_array().unwrap().iter().map(|n| (n["blood_group"].as_str().unwrap().to_string(), n["gap"].as_f64().unwrap())).collect();
    assert_eq!(order, [("O-".to_string(), 6.0), ("A+".to_string(), 1.9), ("B-".to_string(), 0.0)]);
    let audit = t.app.store.audit_page(&app::AuditFilter { action: Some("recruitment.target".into()), ..Default::default() }, 100, 0).await.unwrap();
    assert_eq!(audit.records.len(), 4);
    let change = audit.records.iter().find(|r| r.before.is_some()).expect("the change of O- has a before");
    assert_eq!(serde_json::from_str::<Value>(change.before.as_ref().unwrap()).unwrap()["units_per_week"], 8);
    // The page: the form sets a target; a bad one is shown on the form.
    let r = s
        .client
        .post(t.url("/recruitment/targets"))
        .form(&[("_csrf", s.csrf.as_str()), ("blood_group", "AB-"), ("procedure", "plasma"), ("units_per_week", "lots")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = s.client.get(t.url("/recruitment")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"needs-table\"") && html.contains("short 6") && html.contains("<svg"), "{html}");
    assert!(html.contains("id=\"target-form\""));
    let html = q.client.get(t.url("/recruitment")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("id=\"target-form\""), "quality only looks");
}

async fn anon_get_status(url: &str) -> StatusCode {
    common::client().get(url).send().await.unwrap().status()
}

async fn email_campaign(backend: store::Backend) {
    let Some(sink) = common::smtp::SmtpSink::start() else { return };
    let Some(t) = common::spawn_app_with(backend, |s| s.smtp_url = Some(sink.url.clone())).await else { return };
    seed(&t).await;
    let op = app::Actor::operator();
    let today = Utc::now().date_naive();
    let fay = "donor_number,first_name,last_name,birth_date,sex,blood_group,email\nD0000006,Fay,Fox,1992-06-06,F,O-,fay@bounce.test\n";
    t.app.import_donors(&op, "f.csv", fay.as_bytes(), today, |_, _| {}).await.unwrap();
    let mut tx = t.app.store.begin_write().await.unwrap();
    let id = tx.donor_by_number("D0000006").await.unwrap().unwrap().id;
    tx.set_donor_contact(id, &store::DonorContact { consent_email: true, ..Default::default() }).await.unwrap();
    tx.commit().await.unwrap();
    let s = t.login_as("recruiter").await;
    let q = t.login_as("quality").await;
    let seg = segment(&s, &t, "Everyone", json!({})).await;
    let head = t.audit_head().await;
    let base = json!({"name": "Spring appeal", "segment_id": seg, "channel": "email", "limit": 10, "cost_per_contact": 0.1,
        "subject": "{{first_name}}, we need {{blood_group}}",
        "body": "Dear {{first_name}} {{last_name}} ({{donor_number}}),\nplease give again.\nBook: {{booking_url}}\nUnsubscribe: {{unsubscribe_url}}\n"});
    let mut bad = base.clone();
    bad["subject"] = json!("{{first_name}} {{nickname}}");
    let p = problem(post(&s, &t, "/api/v1/campaigns", bad).await).await;
    assert_eq!((p["status"].as_i64(), p["errors"][0]["field"].as_str()), (Some(422), Some("subject")), "{p}");
    assert_eq!(t.audit_head().await, head);
    assert!(sink.messages().is_empty());

    let r = post(&s, &t, "/api/v1/campaigns", base.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    let cid = c["id"].as_str().unwrap().to_string();
    let c = delivered(&s, &t, &cid).await["campaign"].clone();
    assert_eq!((c["delivery"]["sent"].as_i64(), c["delivery"]["bounced"].as_i64()), (Some(2), Some(1)), "{c}");
    let st = &c["stats"];
    assert_eq!(
        (st["contacted"].as_i64(), st["delivered"].as_i64(), st["bounced"].as_i64()),
        (Some(3), Some(2), Some(1)),
        "Ann, Bob; Fay bounced: {st}"
    );
    let got = sink.wait_for(2, std::time::Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2);
    let ann = got.iter().find(|m| m.to == ["ann@example.org"]).expect("Ann got the email");
    assert_eq!(ann.subject, "Ann, we need O-");
    assert!(ann.body.starts_with("Dear Ann Ames (D0000001),\nplease give again."), "{:?}", ann.body);
    let link = common::smtp::link_containing(&ann.body, "/unsubscribe/").expect("unsubscribe link in the text");
    assert!(link.starts_with(&t.addr), "{link}");
    assert_eq!(ann.headers["list-unsubscribe"], format!("<{link}>"));
    let detail: Value = s.client.get(t.url(&format!("/api/v1/campaigns/{cid}"))).send().await.unwrap().json().await.unwrap();
    let fay = detail["contacts"].as_array().unwrap().iter().find(|x| x["donor_number"] == "D0000006").unwrap().clone();
    assert_eq!(fay["status"], "bounced");
    assert!(fay["detail"].as_str().unwrap().contains("550"), "{fay}");
    let booking = common::smtp::link_containing(&ann.body, "/book/").expect("personal booking link in the text");
    assert!(booking.starts_with(&t.addr), "{booking}");
    assert_eq!(anon_get_status(&booking).await, StatusCode::OK, "the booking link works");

    // Ann books an appointment after the email: a booking of the campaign.
    let hours: Vec<Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| json!({"day": d, "opens": "08:00", "closes": "12:00"})).collect();
    let r = t
        .api()
        .put_json(
            &format!("/api/v1/sites/{}/schedule", t.site_id),
            json!({"slot_minutes": 30, "chairs": 2, "machines": 1, "hours": hours, "reason": "hours"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let site = t.app.store.site(t.site_id).await.unwrap().unwrap();
    let tomorrow = Utc::now().with_timezone(&site.fields.time_zone.tz()).date_naive() + Duration::days(1);
    let r = t
        .api()
        .post_json(
            "/api/v1/appointments",
            json!({"donor_number": "D0000001", "site": "MAIN", "date": tomorrow.to_string(), "time": "08:00", "procedure": "whole_blood"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let c: Value = s.client.get(t.url(&format!("/api/v1/campaigns/{cid}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(c["campaign"]["stats"]["bookings"], 1, "{}", c["campaign"]["stats"]);

    // The link: GET asks, POST withdraws consent (audited); a made-up token is 404.
    let anon = common::client();
    let page = anon.get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("action=\"/unsubscribe/"));
    let consent = |n: &'static str| {
        let t = &t;
        async move { t.app.store.pool_donors().await.unwrap().into_iter().find(|d| d.donor_number == n).unwrap().consent_email }
    };
    assert!(consent("D0000001").await, "a GET changes nothing");
    let done = anon.post(&link).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("id=\"unsubscribed\""));
    assert!(!consent("D0000001").await);
    let audit =
        t.app.store.audit_page(&app::AuditFilter { action: Some("donor.consent_withdrawn".into()), ..Default::default() }, 10, 0).await.unwrap();
    assert_eq!((audit.records.len(), audit.records[0].entity_id.as_str()), (1, "D0000001"));
    assert_eq!(anon.post(&link).send().await.unwrap().status(), StatusCode::OK, "twice is harmless");
    assert_eq!(
        t.app
            .store
            .audit_page(&app::AuditFilter { action: Some("donor.consent_withdrawn".into()), ..Default::default() }, 10, 0)
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(anon.get(t.url("/unsubscribe/0123abcd")).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // A later bounce reported by the mail system; refusals write nothing.
    let head = t.audit_head().await;
    let bounces = format!("/api/v1/campaigns/{cid}/bounces");
    assert_eq!(post(&s, &t, &bounces, json!({"email": "not-an-address"})).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(post(&s, &t, &bounces, json!({"email": "eve@example.org"})).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(post(&q, &t, &bounces, json!({"email": "bob@example.org"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);
    let r = post(&s, &t, &bounces, json!({"email": "BOB@example.org"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let c: Value = s.client.get(t.url(&format!("/api/v1/campaigns/{cid}"))).send().await.unwrap().json().await.unwrap();
    let st = &c["campaign"]["stats"];
    assert_eq!((st["delivered"].as_i64(), st["bounced"].as_i64(), st["unsubscribed"].as_i64()), (Some(1), Some(2), Some(1)), "{st}");
    assert_eq!(st["responses"].as_i64(), Some(1), "the unsubscribe is a response");
    assert!((st["cost"].as_f64().unwrap() - 0.3).abs() < 1e-9);

    // Contacted today: out of a "not contacted in 10 days" segment; Ann withdrew consent.
    let v: Value = post(&s, &t, "/api/v1/segments/preview", json!({"filter": {"not_contacted_days": 10}})).await.json().await.unwrap();
    assert_eq!(numbers(&v, "sample"), ["D0000003", "D0000004", "D0000005"]);
    let mut again = base.clone();
    again["name"] = json!("Second appeal");
    let c: Value = post(&s, &t, "/api/v1/campaigns", again).await.json().await.unwrap();
    let d = delivered(&s, &t, c["id"].as_str().unwrap()).await;
    assert_eq!(numbers(&d, "contacts"), ["D0000002", "D0000006"], "no email to Ann after she unsubscribed");
}

mod email_campaign_reaches_the_smtp_server_and_unsubscribe_works {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::email_campaign(store::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::email_campaign(store::Backend::Postgres).await;
    }
}

async fn segments_select_by_typing(t: TestApp) {
    seed(&t).await;
    let lab = t.login_as("lab").await;
    for (n, body) in [
        ("D0000001", json!({"cmv": "negative", "antigens": "K-, E-"})),
        ("D0000003", json!({"cmv": "negative", "antigens": "K+"})),
        ("D0000004", json!({"cmv": "positive"})),
    ] {
        assert_eq!(post(&lab, &t, &format!("/api/v1/donors/{n}/attributes"), body).await.status(), StatusCode::CREATED);
    }
    let s = t.login_as("recruiter").await;
    let preview = |f: Value| post(&s, &t, "/api/v1/segments/preview", json!({"filter": f}));
    let v: Value = preview(json!({"blood_groups": ["O-"], "cmv": "negative"})).await.json().await.unwrap();
    assert_eq!(numbers(&v, "sample"), ["D0000001", "D0000003"]);
    let v: Value = preview(json!({"cmv": "negative", "antigens": "K-"})).await.json().await.unwrap();
    assert_eq!(numbers(&v, "sample"), ["D0000001"]);
    let head = t.audit_head().await;
    for bad in [json!({"cmv": "maybe"}), json!({"antigens": "Q+"}), json!({"iga": "low"})] {
        assert_eq!(preview(bad.clone()).await.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let r = post(&s, &t, "/api/v1/segments", json!({"name": "bad typing", "filter": bad})).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert_eq!(t.audit_head().await, head, "refused segments write nothing");
    segment(&s, &t, "CMV-negative O-", json!({"blood_groups": ["O-"], "cmv": "negative"})).await;
}

/// The server keeps the pool it read for the next preview; a write by any server (here
/// through another `App` on the same database) makes it read the pool again.
async fn a_preview_sees_what_another_server_wrote_since_the_last_one(t: TestApp) {
    seed(&t).await;
    let s = t.login_as("recruiter").await;
    let never = || async { post(&s, &t, "/api/v1/segments/preview", json!({"filter": {"history": "never"}})).await.json::<Value>().await.unwrap() };
    assert_eq!(numbers(&never().await, "sample"), ["D0000003"]);
    assert_eq!(numbers(&never().await, "sample"), ["D0000003"], "the same answer from the kept pool");
    let today = Utc::now().date_naive();
    let csv = format!("donor_number,procedure,collected_on\nD0000003,whole_blood,{}\n", today - Duration::days(90));
    t.app.import_donations(&app::Actor::operator(), "late.csv", csv.as_bytes(), today, |_, _| {}).await.unwrap();
    let v = never().await;
    assert_eq!(v["count"], 0, "Cid gave blood since the last preview: {v}");
}

both_backends!(
    a_preview_sees_what_another_server_wrote_since_the_last_one,
    segments_select_by_typing,
    segments_select_donors_and_refusals_write_nothing,
    scores_come_from_history_before_as_of,
    phone_campaign_gives_a_call_list_and_records_outcomes,
    targets_show_the_gap_biggest_shortfall_first,
);
