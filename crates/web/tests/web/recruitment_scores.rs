//! Stored return propensity scores over HTTP: previews and campaigns read the newest
//! run instead of scoring the pool per request, say when there is none, and a day's
//! run is computed once however many ask for it.

use crate::common;

use chrono::{Duration, Utc};
use common::{problem, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Three donors: a regular one, a lapsed one and one who never gave; all consent to phone.
async fn seed(t: &TestApp) {
    let op = app::Actor::operator();
    let today = Utc::now().date_naive();
    let donors = "donor_number,first_name,last_name,birth_date,sex,blood_group,email,phone\n\
        D0000001,Ann,Ames,1980-01-01,F,O-,ann@example.org,+1 217-555-0001\n\
        D0000002,Bob,Burr,1990-02-02,M,O-,bob@example.org,+1 217-555-0002\n\
        D0000003,Cid,Cole,1970-03-03,M,O-,cid@example.org,+1 217-555-0003\n";
    t.app.import_donors(&op, "d.csv", donors.as_bytes(), today, |_, _| {}).await.unwrap();
    let d = |n: i64| (today - Duration::days(n)).to_string();
    let mut donations = String::from("donor_number,procedure,collected_on\n");
    for n in [70, 140, 210, 280, 350, 420] {
        donations.push_str(&format!("D0000001,whole_blood,{}\n", d(n)));
    }
    donations.push_str(&format!("D0000002,whole_blood,{}\n", d(700)));
    t.app.import_donations(&op, "x.csv", donations.as_bytes(), today, |_, _| {}).await.unwrap();
    let mut tx = t.app.store.begin_write().await.unwrap();
    for number in ["D0000001", "D0000002", "D0000003"] {
        let donor = tx.donor_by_number(number).await.unwrap().unwrap();
        let c = store::DonorContact { consent_phone: true, ..Default::default() };
        tx.set_donor_contact(donor.id, &c).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn post(s: &common::Session, t: &TestApp, path: &str, body: Value) -> reqwest::Response {
    s.client.post(t.url(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap()
}

async fn previews_and_campaigns_read_the_stored_run(t: TestApp) {
    seed(&t).await;
    let s = t.login_as("recruiter").await;
    let preview = |f: Value| {
        let s = &s;
        let t = &t;
        async move { post(s, t, "/api/v1/segments/preview", json!({"filter": f})).await.json::<Value>().await.unwrap() }
    };
    // No run yet: counted, listed by number with score 0, and said so.
    let v = preview(json!({})).await;
    assert_eq!(v["count"], 3);
    assert_eq!(v["scores_as_of"], Value::Null);
    assert!(v["sample"].as_array().unwrap().iter().all(|m| m["score"] == 0.0), "{v}");
    let page =
        s.client.post(t.url("/recruitment/segments")).form(&[("_csrf", s.csrf.as_str()), ("name", "All"), ("preview", "1")]).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("Scores are not computed yet"));
    // A campaign cannot be targeted without scores: refused, nothing written.
    let seg: Value = post(&s, &t, "/api/v1/segments", json!({"name": "O-", "filter": {"blood_groups": ["O-"]}})).await.json().await.unwrap();
    let head = t.audit_head().await;
    let campaign = json!({"name": "Calls", "segment_id": seg["id"], "channel": "phone", "body": "Hello {{first_name}}", "limit": 2});
    let p = problem(post(&s, &t, "/api/v1/campaigns", campaign.clone()).await).await;
    assert_eq!(p["status"], 409);
    assert!(p.to_string().contains("not computed yet"), "{p}");
    assert_eq!(t.audit_head().await, head, "nothing written");

    // The day's run (the server's daily job): audited once.
    let today = Utc::now().date_naive();
    let done = t.app.score_pool(&app::Actor::operator(), today).await.unwrap();
    assert!(matches!(done, app::recruitment_scores::PoolScoring::Computed { .. }), "{done:?}");
    assert_eq!(t.audit_head().await, head + 1);
    let v = preview(json!({})).await;
    assert_eq!(v["scores_as_of"], today.to_string());
    let order: Vec<&str> = v["sample"].as_array().unwrap().iter().map(|m| m["donor_number"].as_str().unwrap()).collect();
    assert_eq!(order[0], "D0000001", "the regular donor first: {v}");
    let stored: Vec<f64> = v["sample"].as_array().unwrap().iter().map(|m| m["score"].as_f64().unwrap()).collect();
    // New history does not move the preview until the next run: nothing is scored per request.
    let donor = t.app.store.donor_by_number("D0000003").await.unwrap().unwrap();
    let mut tx = t.app.store.begin_write().await.unwrap();
    for n in [10, 80, 150] {
        tx.insert_imported_donation(&store::DonationRow {
            id: uuid::Uuid::now_v7(),
            donor_id: donor.id,
            din: None,
            procedure: domain::DonationProcedure::WholeBlood,
            site_id: None,
            collected_at: Utc::now() - Duration::days(n),
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let again = preview(json!({})).await;
    assert_eq!(again["sample"].as_array().unwrap().iter().map(|m| m["score"].as_f64().unwrap()).collect::<Vec<_>>(), stored);
    // Asking for the same day again computes nothing.
    let head = t.audit_head().await;
    let second = t.app.score_pool(&app::Actor::operator(), today).await.unwrap();
    assert!(matches!(second, app::recruitment_scores::PoolScoring::AlreadyDone { .. }), "{second:?}");
    assert_eq!(t.audit_head().await, head);
    // Now the campaign is targeted by the stored scores.
    let r = post(&s, &t, "/api/v1/campaigns", campaign).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    let detail: Value = s.client.get(t.url(&format!("/api/v1/campaigns/{}", c["id"].as_str().unwrap()))).send().await.unwrap().json().await.unwrap();
    assert_eq!(detail["contacts"][0]["donor_number"], "D0000001");
    assert_eq!(detail["contacts"][0]["score"].as_f64().unwrap(), stored[0]);
}

async fn concurrent_runs_of_one_day_compute_once(t: TestApp) {
    seed(&t).await;
    let today = Utc::now().date_naive();
    let head = t.audit_head().await;
    let mut tasks = vec![];
    for _ in 0..4 {
        let a = t.app.clone();
        tasks.push(tokio::spawn(async move { a.score_pool(&app::Actor::operator(), today).await.unwrap() }));
    }
    let mut computed = 0;
    for task in tasks {
        if matches!(task.await.unwrap(), app::recruitment_scores::PoolScoring::Computed { .. }) {
            computed += 1;
        }
    }
    assert_eq!(computed, 1, "one of four computes the day; the others find it claimed or done");
    assert_eq!(t.audit_head().await, head + 1, "one audited run");
    let run = t.app.latest_score_run(&app::Actor::operator()).await.unwrap().unwrap();
    assert_eq!((run.donors, run.status.as_str()), (3, "done"));
    assert_eq!(run.candidates.len(), 4);
    assert_eq!(run.candidates.iter().filter(|c| c.chosen).count(), 1);
    // A collector may not run the job.
    let collector = app::Actor {
        user_id: None,
        username: "collector".into(),
        display_name: "Collector".into(),
        roles: domain::Roles::new([domain::Role::Collector]).unwrap(),
        hospital_id: None,
        via_token: false,
    };
    assert!(matches!(t.app.score_pool(&collector, today + Duration::days(1)).await, Err(app::AppError::Forbidden(_))));
    assert_eq!(t.app.store.score_runs(10).await.unwrap().len(), 1);
}

both_backends!(previews_and_campaigns_read_the_stored_run, concurrent_runs_of_one_day_compute_once);
