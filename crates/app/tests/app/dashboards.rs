//! Dashboard figures per role, on both back ends: seeded records counted, records
//! out of scope (another site, another day, resolved, merged, revoked) not counted,
//! and every figure equal to the length of the list it links to.

use app::dashboard::{Dashboard, Figure};
use app::donors::DeferralInput;
use app::registry::{BloodGroupInput, MergeInput, ResolutionInput};
use app::users::NewUserInput;
use app::{Actor, App};
use chrono::{Duration, TimeZone, Utc};
use domain::{Role, Roles, SiteInput};
use store::{DinAssignment, DonationRow, DonorRow, ScreeningVisitRow};
use uuid::Uuid;

both_backends!(
    quality_counts_open_discrepancies_deferrals_for_review_and_possible_duplicates,
    collector_counts_each_sites_own_day,
    lab_counts_the_dins_of_the_facility_day,
    admin_counts_active_users_expiring_tokens_and_checks_the_chain,
    sections_follow_the_roles_main_work_first,
);

fn actor(roles: &[Role]) -> Actor {
    Actor { roles: Roles::new(roles.iter().copied()).unwrap(), username: "tester".into(), display_name: "Tester".into(), ..Actor::operator() }
}

fn figure<'a>(d: &'a Dashboard, key: &str) -> &'a Figure {
    d.sections
        .iter()
        .flat_map(|s| s.figures.iter().chain(s.sites.iter().flat_map(|x| x.figures.iter())))
        .find(|f| f.key == key)
        .unwrap_or_else(|| panic!("no figure {key} in {d:#?}"))
}

/// Donors D0000001…D00000nn, each O+ on record, born 1980-01-nn.
async fn donors(app: &App, n: usize) -> Vec<DonorRow> {
    let mut csv = String::from("donor_number,first_name,last_name,birth_date,sex,blood_group,email,phone\n");
    for i in 1..=n {
        csv.push_str(&format!("D{i:07},First{i},Last{i},1980-01-{i:02},F,O+,d{i}@example.org,+1 217-555-{i:04}\n"));
    }
    let r = app.import_donors(&Actor::operator(), "d.csv", csv.as_bytes(), Utc::now().date_naive(), |_, _| {}).await.unwrap();
    assert_eq!(r.accepted, n as u64, "{r:?}");
    let mut out = Vec::new();
    for i in 1..=n {
        out.push(app.store.donor_by_number(&format!("D{i:07}")).await.unwrap().unwrap());
    }
    out
}

fn group(abo: &str, rhd: &str) -> BloodGroupInput {
    BloodGroupInput { abo: abo.into(), rhd: rhd.into(), source: Some("lab".into()), ..Default::default() }
}

fn deferral(kind: &str) -> DeferralInput {
    DeferralInput {
        kind: kind.into(),
        reason_code: if kind == "temporary" { "TATTOO".into() } else { "HBV_REACTIVE".into() },
        reason: "test".into(),
        starts_on: None,
        until: (kind == "temporary").then(|| (Utc::now().date_naive() + Duration::days(90)).to_string()),
    }
}

async fn quality_counts_open_discrepancies_deferrals_for_review_and_possible_duplicates(app: App) {
    let op = Actor::operator();
    let d = donors(&app, 10).await;
    let n = |i: usize| d[i - 1].donor_number.clone();
    // Discrepancies: 1 disagrees (open); 2 agrees; 3 disagreed and was resolved.
    app.record_blood_group(&op, &n(1), &group("A", "pos")).await.unwrap();
    app.record_blood_group(&op, &n(2), &group("O", "pos")).await.unwrap();
    app.record_blood_group(&op, &n(3), &group("B", "pos")).await.unwrap();
    // Resolved by another person than the one who typed it (separation of duties).
    app.resolve_blood_group(&actor(&[Role::Quality]), &n(3), &ResolutionInput { abo: "O".into(), rhd: "pos".into(), reason: "retyped".into() })
        .await
        .unwrap();
    // Deferrals: 4 indefinite (waits); 5 indefinite, reentered; 6 temporary; 7 indefinite, entered in error.
    app.defer_donor(&op, &n(4), &deferral("indefinite")).await.unwrap();
    let e = app.defer_donor(&op, &n(5), &deferral("indefinite")).await.unwrap();
    app.reenter_donor(&op, e.id, "reviewed: donor may give again").await.unwrap();
    app.defer_donor(&op, &n(6), &deferral("temporary")).await.unwrap();
    let g = app.defer_donor(&op, &n(7), &deferral("indefinite")).await.unwrap();
    app.correct_deferral(&op, g.id, "wrong donor").await.unwrap();
    // Duplicates: 8 registered again as 11 (not merged); 9 registered again as 12, merged.
    let mut tx = app.store.begin_write().await.unwrap();
    for (orig, number) in [(7usize, "D0000011"), (8, "D0000012")] {
        let row = DonorRow { id: Uuid::now_v7(), donor_number: number.into(), email: None, phone: Some("+1 555 0100".into()), ..d[orig].clone() };
        tx.insert_donor(&row).await.unwrap();
    }
    tx.commit().await.unwrap();
    app.merge_donors(&op, &n(9), &MergeInput { duplicate: "D0000012".into(), reason: "same person".into(), confirm_different_details: true })
        .await
        .unwrap();

    let q = actor(&[Role::Quality]);
    let dash = app.dashboard(&q).await.unwrap();
    assert_eq!(dash.sections.len(), 1);
    for (key, list, expected) in [
        ("quality-discrepancies", "discrepancies", vec![n(1)]),
        ("quality-deferrals", "deferral_review", vec![n(4)]),
        ("quality-duplicates", "possible_duplicates", vec![n(8), "D0000011".to_string()]),
    ] {
        let f = figure(&dash, key);
        let w = app.worklist(&q, list, "", "").await.unwrap();
        let mut got: Vec<String> = w.donors.iter().map(|x| x.donor_number.clone()).collect();
        got.sort();
        assert_eq!(got, expected, "{list}");
        assert_eq!(f.value, expected.len() as i64, "{key}");
        assert_eq!(f.href.as_deref(), Some(format!("/donors?list={list}").as_str()));
    }
    assert!(app.worklist(&q, "everything", "", "").await.is_err(), "an unknown list is refused");
}

fn visit(donor: &DonorRow, site: Uuid, on: chrono::NaiveDate, eligible: bool) -> ScreeningVisitRow {
    ScreeningVisitRow {
        id: Uuid::now_v7(),
        donor_id: donor.id,
        site_id: site,
        screened_on: on,
        procedure: "whole_blood".into(),
        questionnaire_version: "test".into(),
        rule_version: "test".into(),
        answers_json: "{}".into(),
        case_json: "{}".into(),
        decision_json: "{}".into(),
        eligible,
        screened_at: Utc::now(),
        screened_by: "tester".into(),
    }
}

async fn collector_counts_each_sites_own_day(app: App) {
    let op = Actor::operator();
    let site = |code: &str, tz: &str| SiteInput {
        code: code.into(),
        name: format!("{code} centre"),
        kind: "fixed".into(),
        time_zone: tz.into(),
        active: true,
        ..Default::default()
    };
    let main = app.create_site(&op, &site("MAIN", "America/Chicago")).await.unwrap();
    let north = app.create_site(&op, &site("NORTH", "Pacific/Auckland")).await.unwrap();
    let now = Utc::now();
    let main_today = now.with_timezone(&chrono_tz::America::Chicago).date_naive();
    let north_today = now.with_timezone(&chrono_tz::Pacific::Auckland).date_naive();
    let d = donors(&app, 6).await;
    let mut tx = app.store.begin_write().await.unwrap();
    // MAIN today: 1 collected, 2 waits, 3 not eligible. MAIN yesterday: 5 (not today). NORTH today: 4.
    let v1 = visit(&d[0], main.id, main_today, true);
    for v in [&v1, &visit(&d[1], main.id, main_today, true), &visit(&d[2], main.id, main_today, false)] {
        tx.insert_screening_visit(v).await.unwrap();
    }
    tx.insert_screening_visit(&visit(&d[4], main.id, main_today - Duration::days(1), true)).await.unwrap();
    tx.insert_screening_visit(&visit(&d[3], north.id, north_today, true)).await.unwrap();
    let donation = DonationRow {
        id: Uuid::now_v7(),
        donor_id: d[0].id,
        din: None,
        procedure: domain::DonationProcedure::WholeBlood,
        site_id: Some(main.id),
        collected_at: now,
    };
    tx.insert_donation_after_screening(&donation, v1.id).await.unwrap();
    tx.commit().await.unwrap();

    let c = actor(&[Role::Collector]);
    let dash = app.dashboard(&c).await.unwrap();
    let s = &dash.sections[0];
    assert_eq!(s.role, Role::Collector);
    let m = s.sites.iter().find(|x| x.code == "MAIN").expect("MAIN has work today");
    assert_eq!((m.date, m.zone.as_str()), (main_today, now.with_timezone(&chrono_tz::America::Chicago).format("%Z").to_string().as_str()));
    assert_eq!(figure(&dash, "collector-screened-MAIN").value, 3);
    assert_eq!(figure(&dash, "collector-waiting-MAIN").value, 1);
    assert_eq!(figure(&dash, "collector-appointments-MAIN").value, 0);
    assert_eq!(figure(&dash, "collector-screened-NORTH").value, 1);
    assert_eq!(figure(&dash, "collector-waiting-NORTH").value, 1);
    let w = app.worklist(&c, "waiting", "MAIN", &main_today.to_string()).await.unwrap();
    assert_eq!(w.donors.iter().map(|x| x.donor_number.as_str()).collect::<Vec<_>>(), [d[1].donor_number.as_str()]);
    let w = app.worklist(&c, "screened", "MAIN", &main_today.to_string()).await.unwrap();
    assert_eq!(w.donors.len(), 3);
    assert_eq!(figure(&dash, "collector-screened-MAIN").href.as_deref(), Some(format!("/donors?list=screened&site=MAIN&date={main_today}").as_str()));
    assert!(app.worklist(&c, "waiting", "", "").await.is_err(), "a site's list needs the site");
}

async fn lab_counts_the_dins_of_the_facility_day(app: App) {
    // The facility's clock is UTC in these tests: today starts at midnight UTC.
    let now = Utc::now();
    let midnight = Utc.from_utc_datetime(&now.date_naive().and_hms_opt(0, 0, 0).unwrap());
    let mut tx = app.store.begin_write().await.unwrap();
    for (seq, at) in [(1, midnight - Duration::minutes(1)), (2, midnight), (3, now)] {
        let din = format!("A999926{seq:06}");
        tx.insert_din_assignment(&DinAssignment {
            din,
            fin: "A9999".into(),
            year: 26,
            seq,
            source: "sequence".into(),
            label_set_id: None,
            assigned_at: at,
            assigned_by: "lab".into(),
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let lab = actor(&[Role::Lab]);
    let dash = app.dashboard(&lab).await.unwrap();
    let f = figure(&dash, "lab-dins-today");
    assert_eq!(f.value, 2, "yesterday's DIN is not counted");
    let today = now.date_naive().to_string();
    assert_eq!(f.href.as_deref(), Some(format!("/lab/dins/assigned?date={today}").as_str()));
    let list = app.dins_assigned_on(&lab, &today).await.unwrap();
    assert_eq!(list.iter().map(|d| d.din.as_str()).collect::<Vec<_>>(), ["A999926000003", "A999926000002"]);
    assert!(list[0].assigned_at.ends_with(" UTC"), "{}", list[0].assigned_at);
    assert!(app.dins_assigned_on(&lab, "yesterday").await.is_err());
    assert!(app.dins_assigned_on(&actor(&[Role::Recruiter]), &today).await.is_err(), "recruiters do not assign DINs");
}

async fn admin_counts_active_users_expiring_tokens_and_checks_the_chain(app: App) {
    let op = Actor::operator();
    for (name, role) in [("ann", "collector"), ("bob", "lab"), ("cat", "recruiter")] {
        let input = NewUserInput {
            username: name.into(),
            display_name: name.into(),
            email: format!("{name}@example.org"),
            password: "a-long-password-1".into(),
            roles: vec![role.into()],
            hospital: None,
        };
        app.create_user(&op, &input).await.unwrap();
    }
    app.set_user_active(&op, "cat", false, Some("left".into())).await.unwrap();
    app.create_api_token(&op, "ann", "soon", Some(3)).await.unwrap();
    app.create_api_token(&op, "ann", "later", Some(30)).await.unwrap();
    app.create_api_token(&op, "bob", "never", None).await.unwrap();
    let (revoked, _) = app.create_api_token(&op, "bob", "revoked soon", Some(2)).await.unwrap();
    app.revoke_api_token(&op, revoked.id, Some("not needed".into())).await.unwrap();

    let admin = actor(&[Role::Admin]);
    let dash = app.dashboard(&admin).await.unwrap();
    assert_eq!(figure(&dash, "admin-users").value, 2, "cat is inactive");
    assert_eq!(figure(&dash, "admin-tokens").value, 1, "only 'soon' expires within 14 days and is live");
    let chain = dash.sections[0].audit.as_ref().unwrap();
    let head = app.store.audit_head().await.unwrap().0;
    assert_eq!((chain.intact, chain.records), (Some(head), head));
    assert!(chain.checked_at.ends_with(" UTC"));
}

async fn sections_follow_the_roles_main_work_first(app: App) {
    let dash = app.dashboard(&actor(&[Role::Admin, Role::Recruiter, Role::Collector])).await.unwrap();
    let roles: Vec<Role> = dash.sections.iter().map(|s| s.role).collect();
    assert_eq!(roles, [Role::Collector, Role::Recruiter, Role::Admin]);
    assert!(dash.now.ends_with(" UTC"), "{}", dash.now);
    let texts = format!("{dash:?}");
    assert!(!texts.contains("arrive"), "no promises of modules: {texts}");
}
