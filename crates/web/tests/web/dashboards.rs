//! Every role's dashboard over HTTP: its own sections, numbers with thousands
//! separators, and each count linking to a list that shows the same number.

use crate::common;

use app::Actor;
use chrono::Utc;
use common::TestApp;
use reqwest::StatusCode;
use store::{DonorRow, ScreeningVisitRow};
use uuid::Uuid;

/// Records for every role's figures: a discrepancy, an indefinite deferral, a
/// duplicate, a visit waiting for collection, a DIN, a short target, an expiring token.
async fn seed(t: &TestApp) {
    let op = Actor::operator();
    let today = Utc::now().date_naive();
    let csv = "donor_number,first_name,last_name,birth_date,sex,blood_group,email,phone\n\
               D0000001,Ann,Able,1980-01-01,F,O+,ann@example.org,+1 217-555-0001\n\
               D0000002,Ben,Baker,1981-02-02,M,A-,ben@example.org,+1 217-555-0002\n\
               D0000003,Cy,Cole,1982-03-03,M,B+,cy@example.org,+1 217-555-0003\n";
    t.app.import_donors(&op, "d.csv", csv.as_bytes(), today, |_, _| {}).await.unwrap();
    let input = app::registry::BloodGroupInput { abo: "A".into(), rhd: "pos".into(), source: Some("lab".into()), ..Default::default() };
    t.app.record_blood_group(&op, "D0000001", &input).await.unwrap();
    let deferral = app::donors::DeferralInput {
        kind: "indefinite".into(),
        reason_code: "HBV_REACTIVE".into(),
        reason: "test".into(),
        starts_on: None,
        until: None,
    };
    t.app.defer_donor(&op, "D0000002", &deferral).await.unwrap();
    let c = t.app.store.donor_by_number("D0000003").await.unwrap().unwrap();
    let site_day = Utc::now().with_timezone(&chrono_tz::America::Chicago).date_naive();
    let mut tx = t.app.store.begin_write().await.unwrap();
    tx.insert_donor(&DonorRow { id: Uuid::now_v7(), donor_number: "D0000004".into(), email: None, ..c.clone() }).await.unwrap();
    tx.insert_screening_visit(&ScreeningVisitRow {
        id: Uuid::now_v7(),
        donor_id: c.id,
        site_id: t.site_id,
        screened_on: site_day,
        procedure: "whole_blood".into(),
        questionnaire_version: "test".into(),
        rule_version: "test".into(),
        answers_json: "{}".into(),
        case_json: "{}".into(),
        decision_json: "{}".into(),
        eligible: true,
        screened_at: Utc::now(),
        screened_by: "collector".into(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    t.app.assign_din(&op, "MAIN").await.unwrap();
    let target = app::recruitment::TargetInput { blood_group: "O-".into(), procedure: "whole_blood".into(), units_per_week: 1500 };
    t.app.set_target(&op, &target).await.unwrap();
    t.app.create_api_token(&op, "lab", "analyser", Some(5)).await.unwrap();
}

/// (key, href, value) of every linked figure on a dashboard.
fn figures(html: &str) -> Vec<(String, String, i64)> {
    let mut out = Vec::new();
    for part in html.split("id=\"fig-").skip(1) {
        let key = part[..part.find('"').unwrap()].to_string();
        let Some(a) = part.find("<a class=\"num\" href=\"") else { continue };
        let rest = &part[a + 21..];
        let href = rest[..rest.find('"').unwrap()].replace("&amp;", "&").replace("&#38;", "&");
        let v = &rest[rest.find('>').unwrap() + 1..];
        let text = &v[..v.find('<').unwrap()];
        out.push((key, href, text.replace(',', "").parse().unwrap()));
    }
    out
}

/// Rows in the body of the table with this id.
fn rows(html: &str, id: &str) -> i64 {
    let start = html.find(&format!("<table id=\"{id}\"")).unwrap_or_else(|| panic!("no table {id}"));
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..];
    body.matches("<tr").count() as i64
}

/// The count the linked list shows.
fn count_on(href: &str, html: &str) -> i64 {
    let lead = |id: &str| {
        let s = html.find(&format!("id=\"{id}\">")).unwrap_or_else(|| panic!("no #{id} on {href}: {html}"));
        let t = &html[s + id.len() + 6..];
        t[..t.find(' ').unwrap()].replace(',', "").parse::<i64>().unwrap()
    };
    if href.starts_with("/donors?") {
        lead("donors-count")
    } else if href.starts_with("/lab/dins/assigned") {
        lead("dins-count")
    } else if href == "/lab/units" {
        assert_eq!(lead("units-count"), rows(html, "units-table"), "every unit is listed");
        lead("units-count")
    } else if href.starts_with("/outbox") {
        lead("outbox-count")
    } else if href.starts_with("/appointments") {
        if html.contains("<table id=\"appointments-table\"") {
            rows(html, "appointments-table")
        } else {
            0
        }
    } else if href.contains("users=active") {
        rows(html, "users-table")
    } else if href.contains("tokens=expiring") {
        rows(html, "tokens-table")
    } else if href.contains("campaigns=running") {
        rows(html, "campaigns-table")
    } else if href.contains("needs=short") {
        rows(html, "needs-table")
    } else if href == "/hospitals" {
        rows(html, "hospitals-table")
    } else {
        panic!("no list known for {href}")
    }
}

/// (role, headings on its dashboard, figures with their values)
type Expectation = (&'static str, &'static [&'static str], &'static [(&'static str, i64)]);

async fn every_count_links_to_a_list_of_the_same_number(t: TestApp) {
    seed(&t).await;
    let expect: &[Expectation] = &[
        ("collector", &["Collection staff", "Main donor centre"], &[("collector-screened-MAIN", 1), ("collector-waiting-MAIN", 1)]),
        ("lab", &["Laboratory"], &[("lab-dins-today", 1), ("lab-units", 0)]),
        ("quality", &["Quality"], &[("quality-discrepancies", 1), ("quality-deferrals", 1), ("quality-duplicates", 2)]),
        ("recruiter", &["Donor recruiter", "Needs by blood group", "Running campaigns"], &[("recruiter-short", 1), ("recruiter-campaigns", 0)]),
        ("admin", &["Administrator", "Audit trail intact"], &[("admin-tokens", 1)]),
        ("sales", &["Sales / account manager"], &[("sales-hospitals", 2)]),
        ("hospital", &["Hospital user", "Your account"], &[]),
    ];
    for (role, headings, values) in expect {
        let s = t.login_as(role).await;
        let html = s.client.get(t.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(!html.contains("arrive"), "{role}: no promises of modules");
        for h in *headings {
            assert!(html.contains(h), "{role}: '{h}' missing");
        }
        let figs = figures(&html);
        for (key, v) in *values {
            let f = figs.iter().find(|f| f.0 == *key).unwrap_or_else(|| panic!("{role}: no {key} in {figs:?}"));
            assert_eq!(f.2, *v, "{role}: {key}");
        }
        for (key, href, value) in &figs {
            let r = s.client.get(t.url(href)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{role}: {key} links to {href}");
            let list = r.text().await.unwrap();
            assert_eq!(count_on(href, &list), *value, "{role}: {key} says {value}, {href} shows otherwise");
        }
    }
    // The recruiter's target is a big number: shown with a thousands separator.
    let s = t.login_as("recruiter").await;
    let html = s.client.get(t.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(">1,500<"), "target per week with a separator");
    let active = t.login_as("admin").await.client.get(t.url("/")).send().await.unwrap().text().await.unwrap();
    let users = figures(&active).into_iter().find(|f| f.0 == "admin-users").unwrap().2;
    assert!(users >= 9, "one user per role, all active: {users}");
}

/// Wrong filters get a readable message and a 4xx, not a list.
async fn wrong_list_filters_are_refused_with_a_message(t: TestApp) {
    let s = t.login_as("quality").await;
    let r = s.client.get(t.url("/donors?list=everyone")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("there is no donor list called &#39;everyone&#39;"));
    let r = s.client.get(t.url("/donors?list=waiting&site=NOWHERE&date=2026-01-01")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = s.client.get(t.url("/donors?list=waiting&site=MAIN&date=someday")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let lab = t.login_as("lab").await;
    let r = lab.client.get(t.url("/lab/dins/assigned?date=31.12.2026")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("form-error"));
    let c = t.login_as("collector").await;
    let r = c.client.get(t.url(&format!("/appointments?site={}&status=maybe", t.site_id))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("is not an appointment status"));
    // Lists stay behind their permissions.
    let hospital = t.login_as("hospital").await;
    assert_eq!(hospital.client.get(t.url("/donors?list=discrepancies")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(t.login_as("recruiter").await.client.get(t.url("/lab/dins/assigned")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
}

both_backends!(every_count_links_to_a_list_of_the_same_number, wrong_list_filters_are_refused_with_a_message);
