//! The donor registry over HTTP: versioned edits, merges that keep both histories,
//! blood group history with its discrepancy flag, special attributes, rare donors.

use crate::common;

use common::{problem, Session, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn import(t: &TestApp, csv: &str) {
    let today = chrono::Utc::now().date_naive();
    t.app.import_donors(&app::Actor::operator(), "d.csv", csv.as_bytes(), today, |_, _| {}).await.unwrap();
}

async fn send(t: &TestApp, s: &Session, method: reqwest::Method, path: &str, body: Value) -> reqwest::Response {
    s.client.request(method, t.url(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap()
}

async fn post(t: &TestApp, s: &Session, path: &str, body: Value) -> reqwest::Response {
    send(t, s, reqwest::Method::POST, path, body).await
}

async fn get(t: &TestApp, s: &Session, path: &str) -> Value {
    let r = s.client.get(t.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

async fn editing_details_keeps_every_version_and_refuses_bad_input(t: TestApp) {
    let rec = t.login_as("recruiter").await;
    let maria = json!({"first_name": "Maria", "last_name": "Garcia", "birth_date": "1980-03-04", "sex": "F", "email": "maria@example.com",
        "phone": "217-555-0101", "consent": ["email"], "address": "1 Elm St", "id_document": "IL licence G123"});
    assert_eq!(send(&t, &rec, reqwest::Method::POST, "/api/v1/donors", maria).await.status(), StatusCode::CREATED);
    let before = get(&t, &rec, "/api/v1/donors/D0000001").await;
    let lab = t.login_as("lab").await;
    let head = t.audit_head().await;
    let patch = |body: Value| send(&t, &rec, reqwest::Method::PATCH, "/api/v1/donors/D0000001", body);
    let future = (chrono::Utc::now().date_naive() + chrono::Duration::days(3)).to_string();
    for (body, field) in [
        (json!({"birth_date": future, "reason": "typo"}), "birth_date"),
        (json!({"email": "maria.example.com", "reason": "new email"}), "email"),
        (json!({"phone": "call me", "reason": "new phone"}), "phone"),
        (json!({"preferred_site": "NOWHERE", "reason": "moved"}), "preferred_site"),
        (json!({"phone": "217-555-0199", "reason": "  "}), "reason"),
        (json!({"phone": "217-555-0199"}), "reason"),
        (json!({"first_name": "Maria", "reason": "no change"}), "donor"),
        (json!({"consent": ["email", "pigeon"], "reason": "x"}), "consent"),
    ] {
        let r = patch(body.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let p = problem(r).await;
        assert!(p["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{body}: {p}");
    }
    assert_eq!(patch(json!({"nickname": "Mia", "reason": "x"})).await.status(), StatusCode::UNPROCESSABLE_ENTITY, "unknown fields refused");
    let r = send(&t, &lab, reqwest::Method::PATCH, "/api/v1/donors/D0000001", json!({"phone": "217-555-0199", "reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        send(&t, &rec, reqwest::Method::PATCH, "/api/v1/donors/D0000999", json!({"phone": "217-555-0199", "reason": "x"})).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.audit_head().await, head, "refusals write nothing");
    assert_eq!(get(&t, &rec, "/api/v1/donors/D0000001").await, before);

    let r = patch(json!({"phone": "217-555-0199", "consent": ["sms", "post"], "preferred_site": "MAIN", "reason": "donor moved"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["version"], 2);
    assert_eq!(v["details"]["first_name"], "Maria", "fields not given stay");
    assert_eq!(v["details"]["email"], "maria@example.com");
    assert_eq!(v["details"]["consent"], json!({"email": false, "sms": true, "phone": false, "post": true}));
    let p = get(&t, &rec, "/api/v1/donors/D0000001").await;
    assert_eq!(p["donor"]["phone"], "217-555-0199");
    assert_eq!(p["details"]["preferred_site"], "MAIN");
    let versions = get(&t, &rec, "/api/v1/donors/D0000001/versions").await;
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["reason"], "donor moved");
    assert_eq!(versions[0]["recorded_by"], "recruiter");
    assert_eq!(versions[1]["details"]["phone"], "217-555-0101", "version 1 is the state as registered");
    let audit: Value = t.api().get("/api/v1/audit?action=donor.edit").await.json().await.unwrap();
    assert_eq!(audit["total"], 1);
    assert_eq!(audit["records"][0]["reason"], "donor moved");

    // The page form: every field is sent; a missing reason is shown on its field.
    let html = rec.client.get(t.url("/donors/D0000001/edit")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"edit-form\"") && html.contains("217-555-0199"));
    let form = |reason: &str, last: &str| {
        vec![
            ("_csrf", rec.csrf.clone()),
            ("first_name", "Maria".into()),
            ("last_name", last.into()),
            ("birth_date", "1980-03-04".into()),
            ("sex", "F".into()),
            ("email", "maria@example.com".into()),
            ("phone", "217-555-0199".into()),
            ("consent", "sms".into()),
            ("consent", "post".into()),
            ("preferred_site", "MAIN".into()),
            ("reason", reason.into()),
        ]
    };
    let r = rec.client.post(t.url("/donors/D0000001/edit")).form(&form("", "Garcia-Lopez")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("class=\"field-error\""));
    let r = rec.client.post(t.url("/donors/D0000001/edit")).form(&form("married", "Garcia-Lopez")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = rec.client.get(t.url("/donors/D0000001")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"versions-table\"") && html.contains("married") && html.contains("Garcia-Lopez"));
    assert_eq!(get(&t, &rec, "/api/v1/donors/D0000001/versions").await.as_array().unwrap().len(), 3);
}

async fn merge_keeps_both_histories_and_the_old_number_resolves(t: TestApp) {
    import(
        &t,
        "donor_number,first_name,last_name,birth_date,sex\nD0000001,Maria,Garcia,1980-03-04,F\nD0000002,Maria,Garcia,1980-03-04,F\nD0000003,Mario,Garcia,1979-01-01,M\n",
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    let last = today - chrono::Duration::days(30);
    let donations = format!("donor_number,procedure,collected_on\nD0000002,whole_blood,{last}\n");
    t.app.import_donations(&app::Actor::operator(), "x.csv", donations.as_bytes(), today, |_, _| {}).await.unwrap();
    let collector = t.login_as("collector").await;
    let until = today + chrono::Duration::days(90);
    let r = send(
        &t,
        &collector,
        reqwest::Method::POST,
        "/api/v1/donors/D0000002/deferrals",
        json!({"kind": "temporary", "reason_code": "TATTOO", "reason": "tattoo", "until": until.to_string()}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let lab = t.login_as("lab").await;
    let r = send(&t, &lab, reqwest::Method::POST, "/api/v1/donors/D0000002/blood-groups", json!({"abo": "O", "rhd": "neg"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let quality = t.login_as("quality").await;
    let head = t.audit_head().await;
    let r = post(&t, &quality, "/api/v1/donors/D0000001/merge", json!({"duplicate": "D0000001", "reason": "same"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("itself"));
    let r = post(&t, &quality, "/api/v1/donors/D0000001/merge", json!({"duplicate": "D0000002", "reason": " "})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "reason");
    let r = post(&t, &quality, "/api/v1/donors/D0000001/merge", json!({"duplicate": "D0000003", "reason": "same person"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let detail = problem(r).await["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("confirm_different_details") && detail.contains("birth date"), "{detail}");
    assert_eq!(
        post(&t, &quality, "/api/v1/donors/D0000001/merge", json!({"duplicate": "D0000999", "reason": "x"})).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        post(&t, &collector, "/api/v1/donors/D0000001/merge", json!({"duplicate": "D0000002", "reason": "x"})).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.audit_head().await, head, "refusals write nothing");
    assert!(get(&t, &quality, "/api/v1/donors/D0000001").await["merged_from"].as_array().unwrap().is_empty());

    let r =
        post(&t, &quality, "/api/v1/donors/D0000001/merge", json!({"duplicate": "D0000002", "reason": "registered twice, same ID document"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["merged_from"][0]["donor_number"], "D0000002");

    // The survivor's record now includes the duplicate's history, and so does the outlook.
    let p = get(&t, &quality, "/api/v1/donors/D0000001").await;
    assert_eq!(p["donations"].as_array().unwrap().len(), 1);
    assert_eq!(p["deferrals"].as_array().unwrap().len(), 1);
    assert_eq!(p["blood_group"]["group"], "O-");
    assert_eq!(p["donor"]["blood_group"], "O-");
    let wb = p["outlook"].as_array().unwrap().iter().find(|o| o["procedure"] == "whole_blood").unwrap();
    assert_eq!(wb["next_eligible_date"], until.to_string(), "the duplicate's deferral applies");
    // The old number resolves to the survivor.
    let p = get(&t, &quality, "/api/v1/donors/D0000002").await;
    assert_eq!(p["donor"]["donor_number"], "D0000001");
    assert_eq!(p["merged_number"], "D0000002");
    assert_eq!(p["merged_from"][0]["donor_number"], "D0000002");
    // Search shows the person once, under the surviving number.
    let found = get(&t, &quality, "/api/v1/donors?q=Garcia").await;
    let numbers: Vec<&str> = found.as_array().unwrap().iter().map(|d| d["donor_number"].as_str().unwrap()).collect();
    assert_eq!(numbers, vec!["D0000001", "D0000003"]);
    let found = get(&t, &quality, "/api/v1/donors?q=D0000002").await;
    assert_eq!(found[0]["donor_number"], "D0000001");
    // Registering the person again names the surviving record once.
    let rec = t.login_as("recruiter").await;
    let again = json!({"first_name": "Maria", "last_name": "Garcia", "birth_date": "1980-03-04", "sex": "F"});
    let r = post(&t, &rec, "/api/v1/donors", again).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let dups = problem(r).await["duplicates"].clone();
    assert_eq!(dups.as_array().unwrap().iter().map(|d| d["donor_number"].as_str().unwrap()).collect::<Vec<_>>(), vec!["D0000001"]);

    // Writes against the merged-away number are refused, naming the survivor.
    let head = t.audit_head().await;
    let screening = json!({"hemoglobin_g_dl": 13.4, "pulse_bpm": 72, "bp_systolic": 118, "bp_diastolic": 76, "temperature_c": 36.6});
    for (s, path, body) in [
        (
            &collector,
            "/api/v1/donors/D0000002/screenings",
            json!({"procedure": "plasma", "site": "MAIN", "weight_kg": 70, "screening": screening, "answers": {}}),
        ),
        (&collector, "/api/v1/donors/D0000002/deferrals", json!({"kind": "permanent", "reason_code": "CJD", "reason": "x"})),
        (&lab, "/api/v1/donors/D0000002/blood-groups", json!({"abo": "O", "rhd": "neg"})),
        (&quality, "/api/v1/donors/D0000003/merge", json!({"duplicate": "D0000002", "reason": "x", "confirm_different_details": true})),
        (&quality, "/api/v1/donors/D0000002/merge", json!({"duplicate": "D0000003", "reason": "x", "confirm_different_details": true})),
    ] {
        let r = send(&t, s, reqwest::Method::POST, path, body).await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "{path}");
        assert!(problem(r).await["detail"].as_str().unwrap().contains("D0000001"), "{path}");
    }
    let r = send(&t, &collector, reqwest::Method::PATCH, "/api/v1/donors/D0000002", json!({"phone": "217-555-0100", "reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(t.audit_head().await, head, "refusals write nothing");
    // Screening reads the merged history: the duplicate's deferral blocks the survivor.
    let q: Value = collector.client.get(t.url("/api/v1/questionnaire")).send().await.unwrap().json().await.unwrap();
    let answers: serde_json::Map<String, Value> = q["questions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["sex"].is_null() || x["sex"] == "F")
        .map(|x| (x["id"].as_str().unwrap().to_string(), json!(x["defer_on"] == "no")))
        .collect();
    let r = post(
        &t,
        &collector,
        "/api/v1/donors/D0000001/screenings",
        json!({"procedure": "plasma", "site": "MAIN", "weight_kg": 70, "screening": screening, "answers": answers}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["decision"]["eligible"], false, "{v}");
    assert!(v["decision"]["reasons"].as_array().unwrap().iter().any(|r| r["code"].as_str().unwrap().starts_with("DEFERRAL")), "{v}");
    let r = post(&t, &collector, &format!("/api/v1/screenings/{}/collection", v["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let head = t.audit_head().await;
    assert_eq!(t.audit_head().await, head);

    let audit: Value = t.api().get("/api/v1/audit?action=donor.merge").await.json().await.unwrap();
    assert_eq!(audit["total"], 1);
    let before: Value = serde_json::from_str(audit["records"][0]["before"].as_str().unwrap()).unwrap();
    assert_eq!(before["duplicate"]["donor_number"], "D0000002");
    assert_eq!(before["survivor"]["donor_number"], "D0000001");

    // Pages: the merged number says where it went; the survivor lists what it absorbed.
    let html = quality.client.get(t.url("/donors/D0000002")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"merged-into\"") && html.contains("href=\"/donors/D0000001\""));
    let html = quality.client.get(t.url("/donors/D0000001")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"merged-from\"") && html.contains("id=\"merge-form\""));
    let html = collector.client.get(t.url("/donors/D0000001")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("id=\"merge-form\""), "only quality and admin merge");
    // The page form shows a refusal on the donor page.
    let r = quality
        .client
        .post(t.url("/donors/D0000001/merge"))
        .form(&[("_csrf", quality.csrf.as_str()), ("duplicate", "D0000003"), ("reason", "same person")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("id=\"registry-error\""));
    let r = quality
        .client
        .post(t.url("/donors/D0000001/merge"))
        .form(&[
            ("_csrf", quality.csrf.as_str()),
            ("duplicate", "D0000003"),
            ("reason", "same person, typo in birth date"),
            ("confirm_different_details", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let p = get(&t, &quality, "/api/v1/donors/D0000003").await;
    assert_eq!(p["donor"]["donor_number"], "D0000001");
    assert_eq!(p["merged_from"].as_array().unwrap().len(), 2);
}

async fn blood_group_history_flags_discrepancies_until_quality_resolves(t: TestApp) {
    import(&t, "donor_number,first_name,last_name,birth_date,sex\nD0000001,Lee,Park,1970-01-01,M\n").await;
    let lab = t.login_as("lab").await;
    let rec = t.login_as("recruiter").await;
    let quality = t.login_as("quality").await;
    let head = t.audit_head().await;
    let future = (chrono::Utc::now().date_naive() + chrono::Duration::days(2)).to_string();
    for (body, field) in [
        (json!({"abo": "C", "rhd": "pos"}), "abo"),
        (json!({"abo": "A", "rhd": "weak"}), "rhd"),
        (json!({"abo": "A", "rhd": "pos", "determined_on": future}), "determined_on"),
        (json!({"abo": "A", "rhd": "pos", "source": "guess"}), "source"),
        (json!({"abo": "A", "rhd": "pos", "din": "A99982600012"}), "din"),
    ] {
        let r = post(&t, &lab, "/api/v1/donors/D0000001/blood-groups", body.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(problem(r).await["errors"][0]["field"], field, "{body}");
    }
    assert_eq!(post(&t, &rec, "/api/v1/donors/D0000001/blood-groups", json!({"abo": "A", "rhd": "pos"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);

    let r = post(&t, &lab, "/api/v1/donors/D0000001/blood-groups", json!({"abo": "A", "rhd": "pos", "source": "donor_card"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["group"].as_str(), v["status"].as_str()), (Some("A+"), Some("unconfirmed")));
    let v: Value =
        post(&t, &lab, "/api/v1/donors/D0000001/blood-groups", json!({"abo": "A", "rhd": "pos", "din": "A999826000123"})).await.json().await.unwrap();
    assert_eq!(v["status"], "confirmed");
    assert!(!t.app.blood_group_discrepancy("D0000001").await.unwrap());
    let v: Value = post(&t, &lab, "/api/v1/donors/D0000001/blood-groups", json!({"abo": "O", "rhd": "pos"})).await.json().await.unwrap();
    assert_eq!(v["status"], "discrepancy");
    assert_eq!(v["group"], "A+", "the historical group stays until resolved");
    assert!(t.app.blood_group_discrepancy("D0000001").await.unwrap());
    let p = get(&t, &lab, "/api/v1/donors/D0000001").await;
    assert_eq!(p["blood_group"]["discrepancy"], true);
    let html = lab.client.get(t.url("/donors/D0000001")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"group-discrepancy\"") && !html.contains("id=\"resolve-form\""));

    let head = t.audit_head().await;
    assert_eq!(
        post(&t, &lab, "/api/v1/donors/D0000001/blood-group-resolution", json!({"abo": "O", "rhd": "pos", "reason": "x"})).await.status(),
        StatusCode::FORBIDDEN
    );
    let r = post(&t, &quality, "/api/v1/donors/D0000001/blood-group-resolution", json!({"abo": "O", "rhd": "pos", "reason": ""})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "reason");
    assert_eq!(t.audit_head().await, head);
    assert!(t.app.blood_group_discrepancy("D0000001").await.unwrap());
    let html = quality.client.get(t.url("/donors/D0000001")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"resolve-form\""));

    let r = post(
        &t,
        &quality,
        "/api/v1/donors/D0000001/blood-group-resolution",
        json!({"abo": "O", "rhd": "pos", "reason": "repeat typing on a fresh sample: O+"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["group"].as_str(), v["discrepancy"].as_bool()), (Some("O+"), Some(false)));
    assert_eq!(v["determinations"].as_array().unwrap().len(), 3, "history keeps everything");
    assert!(!t.app.blood_group_discrepancy("D0000001").await.unwrap());
    assert_eq!(get(&t, &quality, "/api/v1/donors/D0000001").await["donor"]["blood_group"], "O+");
    let r = post(&t, &quality, "/api/v1/donors/D0000001/blood-group-resolution", json!({"abo": "O", "rhd": "pos", "reason": "again"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let audit: Value = t.api().get("/api/v1/audit?action=donor.blood_group_resolve").await.json().await.unwrap();
    assert_eq!(audit["total"], 1);
    // The lab's page form.
    let r = lab
        .client
        .post(t.url("/donors/D0000001/blood-groups"))
        .form(&[("_csrf", lab.csrf.as_str()), ("abo", "O"), ("rhd", "pos"), ("source", "lab")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(get(&t, &lab, "/api/v1/donors/D0000001").await["blood_group"]["status"], "confirmed", "two determinations agree with the resolved O+");
}

async fn attributes_have_a_history_and_rare_donors_are_found(t: TestApp) {
    import(
        &t,
        "donor_number,first_name,last_name,birth_date,sex,blood_group\nD0000001,Ann,Rare,1980-01-01,F,O-\nD0000002,Bo,Common,1981-01-01,M,O-\nD0000003,Cy,Other,1982-01-01,M,A+\n",
    )
    .await;
    let lab = t.login_as("lab").await;
    let rec = t.login_as("recruiter").await;
    let head = t.audit_head().await;
    for (body, field) in [
        (json!({"antigens": "Kell-"}), "antigens"),
        (json!({"antigens": "K"}), "antigens"),
        (json!({"cmv": "maybe"}), "cmv"),
        (json!({"iga": "negative"}), "iga"),
        (json!({"hla": "A2, B7"}), "hla"),
        (json!({}), "attributes"),
    ] {
        let r = post(&t, &lab, "/api/v1/donors/D0000001/attributes", body.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(problem(r).await["errors"][0]["field"], field, "{body}");
    }
    assert_eq!(
        post(&t, &lab, "/api/v1/donors/D0000001/attributes", json!({"antigens": "K-", "colour": "red"})).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = send(&t, &rec, reqwest::Method::POST, "/api/v1/donors/D0000001/attributes", json!({"cmv": "negative"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);

    let r = post(
        &t,
        &lab,
        "/api/v1/donors/D0000001/attributes",
        json!({"antigens": "K-, E-, c-, Fya+", "cmv": "negative", "iga": "deficient", "hla": "A*02:01, A*24:02; B*07:02, B*44:02", "hbs": "negative"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["cmv"], "negative");
    assert_eq!(v["antigens"][0], json!({"antigen": "c", "result": "-"}), "antigens in typing order");
    assert_eq!(
        post(&t, &lab, "/api/v1/donors/D0000002/attributes", json!({"antigens": "K-, E+", "cmv": "positive"})).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(post(&t, &lab, "/api/v1/donors/D0000003/attributes", json!({"antigens": "K-"})).await.status(), StatusCode::CREATED);
    // A later result becomes the current value; the earlier one stays in the history.
    let v: Value = post(&t, &lab, "/api/v1/donors/D0000002/attributes", json!({"cmv": "negative"})).await.json().await.unwrap();
    assert_eq!(v["cmv"], "negative");
    assert_eq!(v["history"].as_array().unwrap().iter().filter(|h| h["attribute"] == "cmv").count(), 2);

    let rare = |q: &str| lab.client.get(t.url(&format!("/api/v1/donors/rare?{q}"))).send();
    let numbers = |v: Value| v.as_array().unwrap().iter().map(|d| d["donor"]["donor_number"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let v: Value = rare("abo=O&rhd=neg&antigens=K-,E-,c-&cmv=negative").await.unwrap().json().await.unwrap();
    assert_eq!(numbers(v.clone()), vec!["D0000001"]);
    assert_eq!(v[0]["attributes"]["iga"], "deficient");
    assert_eq!(v[0]["next_whole_blood"], chrono::Utc::now().date_naive().to_string());
    let v: Value = rare("antigens=K-").await.unwrap().json().await.unwrap();
    assert_eq!(numbers(v), vec!["D0000001", "D0000002", "D0000003"]);
    let v: Value = rare("cmv=negative&rhd=neg").await.unwrap().json().await.unwrap();
    assert_eq!(numbers(v), vec!["D0000001", "D0000002"], "D0000002's current CMV is negative");
    let v: Value = rare("iga=deficient&hla=A*02:01").await.unwrap().json().await.unwrap();
    assert_eq!(numbers(v), vec!["D0000001"]);
    let v: Value = rare("hla=B*08:01").await.unwrap().json().await.unwrap();
    assert!(numbers(v).is_empty());
    for bad in ["", "colour=red", "antigens=Q-", "abo=C", "hbs=trait"] {
        assert_eq!(rare(bad).await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let html = lab.client.get(t.url("/donors/rare?abo=O&antigens=K-,E-")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"rare-table\"") && html.contains("D0000001") && !html.contains("D0000002"));
    let html = lab.client.get(t.url("/donors/D0000001")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"attributes-form\"") && html.contains("deficient") && html.contains("A*02:01"));
    let r = lab.client.post(t.url("/donors/D0000003/attributes")).form(&[("_csrf", lab.csrf.as_str()), ("antigens", "Q+")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = lab.client.post(t.url("/donors/D0000003/attributes")).form(&[("_csrf", lab.csrf.as_str()), ("hbs", "positive")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let audit: Value = t.api().get("/api/v1/audit?action=donor.attributes").await.json().await.unwrap();
    assert_eq!(audit["total"], 5);
}

both_backends!(editing_details_keeps_every_version_and_refuses_bad_input, merge_keeps_both_histories_and_the_old_number_resolves);
both_backends!(blood_group_history_flags_discrepancies_until_quality_resolves, attributes_have_a_history_and_rare_donors_are_found);
