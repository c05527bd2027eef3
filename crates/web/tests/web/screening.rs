//! Screening visits (questionnaire + measurements → decision → collection) and the
//! rule and questionnaire versions quality stores, over HTTP.

use crate::common;

use common::{problem, Session, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn one_donor(t: &TestApp) {
    let op = app::Actor::operator();
    let today = chrono::Utc::now().date_naive();
    t.app
        .import_donors(&op, "d.csv", b"donor_number,first_name,last_name,birth_date,sex\nD0000001,Lee,Park,1970-01-01,M\n", today, |_, _| {})
        .await
        .unwrap();
}

/// "No" to every question (and "yes, I feel well").
async fn clean_answers(s: &Session, t: &TestApp) -> serde_json::Map<String, Value> {
    let q: Value = s.client.get(t.url("/api/v1/questionnaire")).send().await.unwrap().json().await.unwrap();
    q["questions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["sex"].is_null() || x["sex"] == "M")
        .map(|x| (x["id"].as_str().unwrap().to_string(), json!(x["defer_on"] == "no")))
        .collect()
}

fn visit(answers: &serde_json::Map<String, Value>) -> Value {
    json!({
        "procedure": "whole_blood", "site": "MAIN", "weight_kg": 80,
        "screening": {"hemoglobin_g_dl": 14.2, "pulse_bpm": 70, "bp_systolic": 120, "bp_diastolic": 80, "temperature_c": 36.7},
        "answers": answers,
    })
}

async fn post(t: &TestApp, s: &Session, path: &str, body: Value) -> reqwest::Response {
    s.client.post(t.url(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap()
}

async fn an_eligible_visit_leads_to_one_collection(t: TestApp) {
    one_donor(&t).await;
    let s = t.login_as("collector").await;
    let answers = clean_answers(&s, &t).await;
    let r = post(&t, &s, "/api/v1/donors/D0000001/screenings", visit(&answers)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["decision"]["eligible"], true, "{v}");
    assert_eq!(v["questionnaire_version"], "Q1");
    let id = v["id"].as_str().unwrap().to_string();

    let r = post(&t, &s, &format!("/api/v1/screenings/{id}/collection"), json!({})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    let din = c["din"]["din"].as_str().unwrap().to_string();
    assert!(din.starts_with("A9998"));
    let r = post(&t, &s, &format!("/api/v1/screenings/{id}/collection"), json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "one donation per visit");
    let v: Value = s.client.get(t.url(&format!("/api/v1/screenings/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["donation"]["din"], din.as_str());

    // Screened again the same day: the 8-week interval and low hemoglobin both count.
    let mut low = visit(&answers);
    low["screening"]["hemoglobin_g_dl"] = json!(12.1);
    let v: Value = post(&t, &s, "/api/v1/donors/D0000001/screenings", low).await.json().await.unwrap();
    assert_eq!(v["decision"]["eligible"], false);
    let codes: Vec<&str> = v["decision"]["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"HB_MALE") && codes.contains(&"INTERVAL_RBC_AFTER_WB"), "{codes:?}");
    // Decided for every procedure: platelets do not wait 8 weeks after whole blood.
    let platelets = v["by_procedure"].as_array().unwrap().iter().find(|d| d["procedure"] == "platelets").unwrap();
    assert!(!platelets["reasons"].as_array().unwrap().iter().any(|r| r == "INTERVAL_RBC_AFTER_WB"), "{platelets}");
    assert_eq!(v["by_procedure"].as_array().unwrap().len(), 6);
    let r = post(&t, &s, &format!("/api/v1/screenings/{}/collection", v["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "nothing is collected from an ineligible visit");
    let list: Value = s.client.get(t.url("/api/v1/donors/D0000001/screenings")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);

    // The pages show the same.
    let html = s.client.get(t.url(&format!("/screenings/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&din) && html.contains("Eligible for whole blood"));
}

async fn answers_become_deferrals_and_reasons(t: TestApp) {
    one_donor(&t).await;
    let s = t.login_as("collector").await;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::America::Chicago).date_naive();
    let mut answers = clean_answers(&s, &t).await;
    answers.insert("tattoo".into(), json!({"date": (today - chrono::Duration::days(10)).to_string()}));
    answers.insert("feeling_well".into(), json!(false));
    let v: Value = post(&t, &s, "/api/v1/donors/D0000001/screenings", visit(&answers)).await.json().await.unwrap();
    let codes: Vec<&str> = v["decision"]["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["EVENT_TATTOO", "Q_NOT_WELL"], "{v}");
    let tattoo_clears = (today - chrono::Duration::days(10)).checked_add_months(chrono::Months::new(3)).unwrap();
    assert_eq!(v["decision"]["next_eligible_date"], tattoo_clears.to_string());

    answers.insert("hiv_positive".into(), json!(true));
    let head = t.audit_head().await;
    let v: Value = post(&t, &s, "/api/v1/donors/D0000001/screenings", visit(&answers)).await.json().await.unwrap();
    assert_eq!(v["deferrals_entered"], json!(["HIV_POSITIVE"]));
    assert!(v["decision"]["next_eligible_date"].is_null(), "an indefinite deferral has no end");
    assert_eq!(t.audit_head().await, head + 2, "the deferral and the visit are audited together");
    let p: Value = s.client.get(t.url("/api/v1/donors/D0000001")).send().await.unwrap().json().await.unwrap();
    assert_eq!(p["deferrals"][0]["reason_code"], "HIV_POSITIVE");
    assert_eq!(p["deferrals"][0]["kind"], "indefinite");
}

/// A change to a good visit that makes it bad.
type Change = Box<dyn Fn(&mut Value)>;

async fn impossible_or_incomplete_visits_are_refused_and_nothing_is_written(t: TestApp) {
    one_donor(&t).await;
    let s = t.login_as("collector").await;
    let answers = clean_answers(&s, &t).await;
    let lab = t.login_as("lab").await;
    let head = t.audit_head().await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive().to_string();
    let cases: Vec<(&str, Change)> = vec![
        ("pulse 0", Box::new(|v: &mut Value| v["screening"]["pulse_bpm"] = json!(0))),
        ("weight 3 kg", Box::new(|v: &mut Value| v["weight_kg"] = json!(3))),
        ("hemoglobin 45", Box::new(|v: &mut Value| v["screening"]["hemoglobin_g_dl"] = json!(45))),
        ("unanswered", Box::new(|v: &mut Value| drop(v["answers"].as_object_mut().unwrap().remove("tattoo")))),
        ("unknown question", Box::new(|v: &mut Value| v["answers"]["sunburn"] = json!(false))),
        ("date in the future", Box::new(move |v: &mut Value| v["answers"]["piercing"] = json!({"date": tomorrow}))),
        ("yes without date", Box::new(|v: &mut Value| v["answers"]["piercing"] = json!(true))),
        ("unknown medicine", Box::new(|v: &mut Value| v["answers"]["medications"] = json!([{"name": "aspirin-x", "last_dose": "2026-01-01"}]))),
        ("unknown site", Box::new(|v: &mut Value| v["site"] = json!("NOPE"))),
        ("unknown procedure", Box::new(|v: &mut Value| v["procedure"] = json!("granulocytes"))),
    ];
    for (name, change) in cases {
        let mut body = visit(&answers);
        change(&mut body);
        let r = post(&t, &s, "/api/v1/donors/D0000001/screenings", body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(!problem(r).await["errors"].as_array().unwrap().is_empty(), "{name}");
    }
    let mut extra = visit(&answers);
    extra["mood"] = json!("good");
    assert_eq!(post(&t, &s, "/api/v1/donors/D0000001/screenings", extra).await.status(), StatusCode::UNPROCESSABLE_ENTITY, "unknown key");
    assert_eq!(post(&t, &s, "/api/v1/donors/D0000009/screenings", visit(&answers)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(post(&t, &lab, "/api/v1/donors/D0000001/screenings", visit(&answers)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head, "refusals write nothing");
    let list: Value = s.client.get(t.url("/api/v1/donors/D0000001/screenings")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list, json!([]));

    // The form shows the errors next to the fields.
    let html = s.client.get(t.url("/donors/D0000001/screening")).send().await.unwrap().text().await.unwrap();
    let csrf = common::csrf_of(&html);
    let r = s
        .client
        .post(t.url("/donors/D0000001/screening"))
        .form(&[("_csrf", csrf.as_str()), ("procedure", "whole_blood"), ("site", "MAIN"), ("pulse_bpm", "0"), ("weight_kg", "abc")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("is not a number"), "weight error shown");
    assert_eq!(t.audit_head().await, head);
}

async fn quality_stores_rule_versions_that_decide_from_their_date(t: TestApp) {
    let today = chrono::Utc::now().date_naive();
    let q = t.login_as("quality").await;
    let v1 = domain::eligibility::RuleBook::defaults().versions()[0].clone();
    let mut draft = serde_json::to_value(v1.draft_successor("2", today)).unwrap();
    // A stricter temperature limit with its boundary cases moved along.
    let rules = draft["rules"].as_array_mut().unwrap();
    let temp = rules.iter_mut().find(|r| r["code"] == "TEMPERATURE").unwrap();
    temp["check"]["max"] = json!(37.4);
    let collector = t.login_as("collector").await;
    let head = t.audit_head().await;

    // Refusals: no reason, cases that no longer hold, retroactive, not a rule set, wrong role.
    let r = post(&t, &q, "/api/v1/rules/eligibility/versions", json!({"version": draft, "reason": " "})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(&t, &q, "/api/v1/rules/eligibility/versions", json!({"version": draft, "reason": "stricter fever limit"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(r).await["detail"].to_string().contains("TEMPERATURE"), "the failing case is named");
    let mut past = serde_json::to_value(v1.draft_successor("2", today - chrono::Duration::days(1))).unwrap();
    past["effective_from"] = json!((today - chrono::Duration::days(1)).to_string());
    let r = post(&t, &q, "/api/v1/rules/eligibility/versions", json!({"version": past, "reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(&t, &q, "/api/v1/rules/eligibility/versions", json!({"version": {"version": "2"}, "reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(&t, &collector, "/api/v1/rules/eligibility/versions", json!({"version": draft, "reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head, "refusals write nothing");

    let temp = draft["rules"].as_array_mut().unwrap().iter_mut().find(|r| r["code"] == "TEMPERATURE").unwrap();
    for case in temp["cases"].as_array_mut().unwrap() {
        match case["name"].as_str().unwrap() {
            "37.5 °C" => *case = json!({"name": "37.4 °C", "expect": "pass", "patch": {"screening": {"temperature_c": 37.4}}}),
            "37.6 °C" => case["patch"]["screening"]["temperature_c"] = json!(37.5),
            _ => {}
        }
    }
    let r = post(&t, &q, "/api/v1/rules/eligibility/versions", json!({"version": draft, "reason": "stricter fever limit"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    assert_eq!(t.audit_head().await, head + 1);
    let r = post(&t, &q, "/api/v1/rules/eligibility/versions", json!({"version": draft, "reason": "again"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a version name is used once");

    let versions: Value = q.client.get(t.url("/api/v1/rules/eligibility/versions")).send().await.unwrap().json().await.unwrap();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[1]["version"], "2");
    assert_eq!(versions[1]["entered_by"], "quality");

    // Cases dated from today are decided by version 2, earlier ones by version 1.
    let case = |date: chrono::NaiveDate| {
        json!({"date": date.to_string(), "procedure": "whole_blood", "donor": {"sex": "M", "birth_date": "1980-01-01", "weight_kg": 80},
               "screening": {"hemoglobin_g_dl": 14, "pulse_bpm": 70, "bp_systolic": 120, "bp_diastolic": 80, "temperature_c": 37.5}})
    };
    let d: Value = post(&t, &q, "/api/v1/rules/eligibility", case(today)).await.json().await.unwrap();
    assert_eq!((d["rule_version"].as_str(), d["eligible"].as_bool()), (Some("2"), Some(false)), "{d}");
    let d: Value = post(&t, &q, "/api/v1/rules/eligibility", case(today - chrono::Duration::days(1))).await.json().await.unwrap();
    assert_eq!((d["rule_version"].as_str(), d["eligible"].as_bool()), (Some("1"), Some(true)), "{d}");
    let html = q.client.get(t.url("/quality/rules")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("stricter fever limit") && html.contains("id=\"rules-form\""));
}

async fn quality_stores_questionnaire_versions(t: TestApp) {
    one_donor(&t).await;
    let today = chrono::Utc::now().date_naive();
    let q = t.login_as("quality").await;
    let mut v: Value = serde_json::from_str(domain::questionnaire::DEFAULT_QUESTIONNAIRE_JSON).unwrap();
    v["version"] = json!("Q2");
    v["effective_from"] = json!(today.to_string());
    let head = t.audit_head().await;
    let mut bad = v.clone();
    bad["questions"][0]["answer"] = json!("maybe");
    assert_eq!(post(&t, &q, "/api/v1/questionnaires", json!({"version": bad, "reason": "x"})).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut no_rule = v.clone();
    no_rule["questions"].as_array_mut().unwrap().retain(|x| x["id"] != "tattoo");
    assert_eq!(t.audit_head().await, head);
    let r = post(&t, &q, "/api/v1/questionnaires", json!({"version": no_rule, "reason": "tattoo question moved to the intake form"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Today's visits are asked version Q2: the tattoo answer is no longer a question.
    let c = t.login_as("collector").await;
    let mut answers = clean_answers(&c, &t).await;
    assert!(!answers.contains_key("tattoo"));
    answers.insert("tattoo".into(), json!(false));
    let r = post(&t, &c, "/api/v1/donors/D0000001/screenings", visit(&answers)).await;
    // A visit is dated on its site's calendar (MAIN is in Chicago): until that calendar
    // reaches the version's first day, the site still asks version Q1.
    let site_day = chrono::Utc::now().with_timezone(&chrono_tz::America::Chicago).date_naive();
    let expected = if site_day >= today { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::CREATED };
    assert_eq!(r.status(), expected);
}

async fn a_visit_marks_todays_appointment_attended(t: TestApp) {
    one_donor(&t).await;
    // Today's appointment at MAIN, written straight to the store (booking refuses past
    // slots, and the test may run late in the day).
    let now = store::now();
    let donor = t.app.store.donor_by_number("D0000001").await.unwrap().unwrap();
    let id = uuid::Uuid::now_v7();
    let mut tx = t.app.store.begin_write().await.unwrap();
    tx.insert_appointment(&store::AppointmentRow {
        id,
        donor_id: donor.id,
        site_id: t.site_id,
        drive_session_id: None,
        procedure: "whole_blood".into(),
        resource: "chair".into(),
        slot_start: now,
        slot_end: now + chrono::Duration::minutes(15),
        seat: 1,
        status: domain::appointment::AppointmentStatus::Booked,
        booked_at: now,
        booked_by: "test".into(),
        booked_via: "staff".into(),
        cancel_token_hash: "test-cancel-hash".into(),
        status_changed_at: None,
        status_changed_by: None,
        cancel_reason: None,
        reminder_sent_at: None,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let s = t.login_as("collector").await;
    let answers = clean_answers(&s, &t).await;
    let v: Value = post(&t, &s, "/api/v1/donors/D0000001/screenings", visit(&answers)).await.json().await.unwrap();
    assert_eq!(v["appointment_attended"], id.to_string(), "{v}");
    assert_eq!(t.app.store.appointment(id).await.unwrap().unwrap().status, domain::appointment::AppointmentStatus::Attended);
    let v: Value = post(&t, &s, "/api/v1/donors/D0000001/screenings", visit(&answers)).await.json().await.unwrap();
    assert!(v["appointment_attended"].is_null(), "an appointment is attended once");
}

/// Rule version 2 of the tests: the tattoo deferral lengthened to 4 months, its
/// boundary cases moved along, in force from today.
fn tattoo_four_months(today: chrono::NaiveDate) -> Value {
    let v1 = domain::eligibility::RuleBook::defaults().versions()[0].clone();
    let mut draft = serde_json::to_value(v1.draft_successor("2", today)).unwrap();
    let base: chrono::NaiveDate = draft["baseline_case"]["date"].as_str().unwrap().parse().unwrap();
    let pass = base.checked_sub_months(chrono::Months::new(4)).unwrap();
    let tattoo = draft["rules"].as_array_mut().unwrap().iter_mut().find(|r| r["code"] == "EVENT_TATTOO").unwrap();
    tattoo["check"]["defer"] = json!({"months": 4});
    tattoo["cases"] = json!([
        {"name": "tattoo 4 months ago", "expect": "pass", "patch": {"events": [{"kind": "tattoo", "date": pass.to_string()}]}},
        {"name": "tattoo a day less than 4 months ago", "expect": "fail",
         "patch": {"events": [{"kind": "tattoo", "date": (pass + chrono::Duration::days(1)).to_string()}]},
         "next_eligible_date": (base + chrono::Duration::days(1)).to_string()},
    ]);
    draft
}

/// The questions say `{period}`: a new rule period changes the question asked.
async fn a_question_names_the_period_of_the_rule_in_force(t: TestApp) {
    let today = chrono::Utc::now().date_naive();
    let q = t.login_as("quality").await;
    let tattoo_text =
        |v: &Value| v["questions"].as_array().unwrap().iter().find(|x| x["id"] == "tattoo").unwrap()["text"].as_str().unwrap().to_string();
    let before: Value = q.client.get(t.url("/api/v1/questionnaire")).send().await.unwrap().json().await.unwrap();
    assert!(tattoo_text(&before).starts_with("In the past 3 months, "), "{}", tattoo_text(&before));
    let r =
        post(&t, &q, "/api/v1/rules/eligibility/versions", json!({"version": tattoo_four_months(today), "reason": "longer tattoo deferral"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let after: Value = q.client.get(t.url("/api/v1/questionnaire")).send().await.unwrap().json().await.unwrap();
    assert!(tattoo_text(&after).starts_with("In the past 4 months, "), "{}", tattoo_text(&after));
    assert!(!after.to_string().contains("{period}"));
}

/// A question that names its period in words must name the rule's; storing either
/// side so that they disagree is refused and writes nothing.
async fn a_question_and_its_rule_never_disagree_on_the_period(t: TestApp) {
    let today = chrono::Utc::now().date_naive();
    let q = t.login_as("quality").await;
    let mut v: Value = serde_json::from_str(domain::questionnaire::DEFAULT_QUESTIONNAIRE_JSON).unwrap();
    v["version"] = json!("Q2");
    v["effective_from"] = json!(today.to_string());
    let set_tattoo = |v: &mut Value, text: &str| {
        v["questions"].as_array_mut().unwrap().iter_mut().find(|x| x["id"] == "tattoo").unwrap()["text"] = json!(text);
    };
    let head = t.audit_head().await;
    let mut two = v.clone();
    set_tattoo(&mut two, "In the past 2 months, have you had a tattoo? (date)");
    let r = post(&t, &q, "/api/v1/questionnaires", json!({"version": two, "reason": "shorter window"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let detail = problem(r).await.to_string();
    assert!(detail.contains("tattoo") && detail.contains("past 2 months") && detail.contains("3 months"), "{detail}");
    assert_eq!(t.audit_head().await, head);

    set_tattoo(&mut v, "In the past 3 months, have you had a tattoo? (date)");
    let r = post(&t, &q, "/api/v1/questionnaires", json!({"version": v, "reason": "the period in words"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let head = t.audit_head().await;
    // Now the rule cannot move away from the words.
    let r =
        post(&t, &q, "/api/v1/rules/eligibility/versions", json!({"version": tattoo_four_months(today), "reason": "longer tattoo deferral"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let detail = problem(r).await.to_string();
    assert!(detail.contains("Q2") && detail.contains("tattoo") && detail.contains("{period}"), "{detail}");
    assert_eq!(t.audit_head().await, head, "refusals write nothing");
}

both_backends!(
    a_question_names_the_period_of_the_rule_in_force,
    a_question_and_its_rule_never_disagree_on_the_period,
    a_visit_marks_todays_appointment_attended,
    an_eligible_visit_leads_to_one_collection,
    answers_become_deferrals_and_reasons,
    impossible_or_incomplete_visits_are_refused_and_nothing_is_written,
    quality_stores_rule_versions_that_decide_from_their_date,
    quality_stores_questionnaire_versions,
);

/// Quality changes one rule through its form: every error next to its field, the
/// boundary cases shown, nothing stored until they hold; then the version decides.
async fn quality_changes_a_rule_through_its_form(t: TestApp) {
    let today = chrono::Utc::now().date_naive().to_string();
    let q = t.login_as("quality").await;
    let html = q.client.get(t.url("/quality/rules")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("href=\"/quality/rules/EVENT_TATTOO\""), "each rule links to its form");
    let html = q.client.get(t.url("/quality/rules/EVENT_TATTOO")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("name=\"period\"") && html.contains("value=\"3\"") && html.contains("<option value=\"months\" selected>"));
    let head = t.audit_head().await;
    let form = |period: &str, title: &str, reason: &str, action: &str| {
        vec![
            ("_csrf", q.csrf.clone()),
            ("period", period.to_string()),
            ("period_unit", "months".to_string()),
            ("title", title.to_string()),
            ("source", "21 CFR 630.10(e)".to_string()),
            ("version", "2".to_string()),
            ("effective_from", today.clone()),
            ("reason", reason.to_string()),
            ("action", action.to_string()),
        ]
    };
    let send = |f: Vec<(&'static str, String)>| q.client.post(t.url("/quality/rules/EVENT_TATTOO")).form(&f).send();

    // Several mistakes at once: each next to its field, nothing stored.
    let r = send(form("4", "Tattoo not applied at a state-regulated entity: 3 months", "", "store")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-title\">still says “3 months”; the rule now says 4 months"), "{html}");
    assert!(html.contains("id=\"e-reason\">say why the rule changes"));
    assert!(html.contains("value=\"4\""), "the entered number is kept");
    let r = send(form("four", "Tattoo: 4 months", "longer", "check")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"e-period\">&#39;four&#39; is not a whole number"));
    assert_eq!(t.audit_head().await, head, "refusals write nothing");

    // Checking shows the new boundary cases and the question that follows the rule; it stores nothing.
    let r = send(form("4", "Tattoo not applied at a state-regulated entity: 4 months", "", "check")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("tattoo exactly 4 months before") && html.contains("tattoo a day less than 4 months before"), "{html}");
    assert!(html.contains("Every case holds") && html.contains("In the past 4 months"));
    assert!(html.contains("tattoo 3 months ago"), "the retired case is named");
    assert_eq!(t.audit_head().await, head);

    // A number that breaks other rules' cases cannot be stored.
    let r = q
        .client
        .post(t.url("/quality/rules/WEIGHT"))
        .form(&[
            ("_csrf", q.csrf.as_str()),
            ("min", "90"),
            ("max", ""),
            ("title", "Weight at least 90 kg"),
            ("source", "x"),
            ("version", "2"),
            ("effective_from", today.as_str()),
            ("reason", "test"),
            ("action", "store"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Other rules that break") && html.contains("cannot be stored"), "{html}");
    assert_eq!(t.audit_head().await, head);

    // Stored when everything holds; today's cases are decided by it.
    let r = send(form("4", "Tattoo not applied at a state-regulated entity: 4 months", "FDA guidance revised", "store")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Version 2 stored"));
    assert_eq!(t.audit_head().await, head + 1);
    let versions: Value = q.client.get(t.url("/api/v1/rules/eligibility/versions")).send().await.unwrap().json().await.unwrap();
    assert_eq!(versions[1]["version"], "2");
    let r = q.client.get(t.url("/api/v1/questionnaire")).send().await.unwrap().text().await.unwrap();
    assert!(r.contains("past 4 months"), "the question follows the rule");

    // The API does the same: a check answers 200 with the cases, a bad entry 422 by field.
    // Version 2 decides from today: the next change starts tomorrow.
    let today = (chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string();
    let api = |body: Value| q.client.post(t.url("/api/v1/rules/eligibility/TEMPERATURE/change")).header("x-csrf-token", &q.csrf).json(&body).send();
    let r = api(json!({"numbers": {"max": 37.8}, "title": "Oral temperature not above 37.8 °C", "effective_from": today})).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert!(v["cases"].as_array().unwrap().iter().any(|c| c["name"] == "temperature 37.9 °C" && c["as_expected"] == true), "{v}");
    let r = api(json!({"numbers": {"max": 37.8}, "effective_from": today, "store": true, "reason": "x"})).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "the title still names 37.5");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["field"], "title", "{v}");
    assert_eq!(t.audit_head().await, head + 1);
}

both_backends!(quality_changes_a_rule_through_its_form);
