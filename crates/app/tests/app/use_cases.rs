//! Use cases against a real store, on both back ends.

use app::demo::DemoOptions;
use app::users::NewUserInput;
use app::{Actor, App, AppError, Settings};
use chrono::NaiveDate;
use domain::{HospitalInput, SiteInput};
use store::{AuditFilter, Backend};

both_backends!(
    demo_centre_is_complete_and_audited,
    demo_refuses_a_database_that_has_data,
    demo_registry_has_typing_a_discrepancy_and_a_duplicate,
    wrong_passwords_lock_the_account_with_back_off,
    hospital_users_see_only_their_own_account,
    refused_changes_write_nothing,
    edits_keep_old_values_in_versions_and_audit,
    revoked_and_expired_tokens_are_refused,
    dins_are_handed_out_in_sequence_never_twice,
    preprinted_label_sets_are_registered_skipped_and_used_once,
    labels_are_checked_before_printing,
    imports_take_good_rows_and_report_the_rest,
);

fn small_demo() -> DemoOptions {
    DemoOptions { seed: 11, donors: 60, as_of: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap() }
}

async fn demo_centre_is_complete_and_audited(app: App) {
    let mut calls = 0;
    let s = app.generate_demo(small_demo(), |_, _| calls += 1).await.unwrap();
    assert!(calls >= 1);
    assert_eq!((s.sites, s.hospitals, s.donors), (7, 20, 60));
    assert_eq!(s.logins.len(), 11);
    assert!(s.donations > 60, "{} donations", s.donations);
    let o = app.overview(&Actor::operator()).await.unwrap();
    assert_eq!(o.donors, 61, "60 donors and one likely duplicate registered again");
    assert_eq!(o.donations as u64, s.donations);
    // sites + hospitals + users + donors + donations, each with its own audit record,
    // then the demo's deferrals, screening visits and the like
    assert!(o.audit_records as u64 > 7 + 20 + 9 + 60 + s.donations, "{} audit records", o.audit_records);
    let deferred = app.donor_profile(&Actor::operator(), "D0000057").await.unwrap();
    assert_eq!(deferred.deferrals[0].reason_code, "CJD_RISK", "the demo's register has entries of each kind");
    let screened = app.screenings_of(&Actor::operator(), "D0000055").await.unwrap();
    assert_eq!(screened.len(), 1, "today's demo screening visits");
    let booked = app.store.count_appointments().await.unwrap();
    assert!(booked > 0, "the demo books appointments");
    // and the demo recruitment (targets, segments, campaigns, call outcomes)
    let mut recruitment = 0;
    for entity_type in ["recruitment_target", "segment", "campaign", "campaign_contact"] {
        let f = app::AuditFilter { entity_type: Some(entity_type.into()), ..Default::default() };
        recruitment += app.store.audit_page(&f, 1, 0).await.unwrap().total as u64;
    }
    assert!(recruitment >= 11 + 3 + 2, "targets, segments, past campaigns: {recruitment}");
    // The apheresis service: requests in each state before a procedure, the scheduled
    // ones booked whole in the coming two weeks, a nurse seeing their own calendar.
    let op = Actor::operator();
    let requests = app.apheresis_requests(&op, 100).await.unwrap();
    let states: std::collections::BTreeSet<&str> = requests.iter().map(|r| r.state.as_str()).collect();
    for st in ["submitted", "info_requested", "accepted", "rejected", "scheduled", "cancelled", "completed"] {
        assert!(states.contains(st), "no demo request is {st}: {states:?}");
    }
    // The imported history: completed courses, every treatment signed, none in two places.
    let completed: Vec<_> = requests.iter().filter(|r| r.state.as_str() == "completed").collect();
    assert!(completed.len() >= 15, "{} completed requests in the history", completed.len());
    for r in &completed {
        let row = app.store.apheresis_request(&r.number).await.unwrap().unwrap();
        let records = app.store.procedures_of_request(row.request.id).await.unwrap();
        assert_eq!(records.len() as i64, r.treatments, "{} done whole", r.number);
        assert!(records.iter().all(|p| p.signed_at.is_some_and(|s| s < store::now())), "{} signed", r.number);
    }
    let report = app.apheresis_report(&op, store::now()).await.unwrap();
    let done: i64 = report.procedures_by_month.iter().map(|c| c.count).sum();
    assert!(done >= 30, "{done} procedures in the report");
    assert!(report.emergent_median_minutes.is_some(), "emergent calls in the history");
    assert!(report.nurses_done.iter().any(|u| u.busy_minutes > 0));
    let mut booked = 0;
    for r in requests.iter().filter(|r| r.state.as_str() == "scheduled") {
        let d = app.apheresis_request(&op, &r.number).await.unwrap();
        assert_eq!(d.treatments.len() as i64, r.treatments, "{} booked whole", r.number);
        booked += d.treatments.len();
    }
    assert!(booked >= 10, "{booked} treatments booked");
    let session = app.login("apheresis_nurse", "apheresis_nurse-demo-pass").await.unwrap();
    let (nurse, _) = app.session_actor(&session.token).await.unwrap().unwrap();
    let week = app.apheresis_calendar(&nurse, &app::apheresis_schedule::CalendarQuery { span: "week".into(), ..Default::default() }).await.unwrap();
    assert_eq!(week.nurse, "apheresis_nurse");
    // The coordinator's dashboard counts the requests waiting for a decision.
    let session = app.login("apheresis", "apheresis-demo-pass").await.unwrap();
    let (coordinator, _) = app.session_actor(&session.token).await.unwrap().unwrap();
    let dash = app.dashboard(&coordinator).await.unwrap();
    let waiting = dash.sections.iter().flat_map(|s| &s.figures).find(|f| f.key == "apheresis-waiting").expect("the waiting figure").value;
    assert_eq!(waiting, requests.iter().filter(|r| r.state.as_str() == "submitted").count() as i64);
    assert!(waiting >= 2, "{waiting} waiting");
    let o = app.overview(&Actor::operator()).await.unwrap();
    assert_eq!(app.verify_audit().await.unwrap(), Ok(o.audit_records));
    for l in &s.logins {
        app.login(&l.username, &l.password).await.unwrap();
    }
}

async fn demo_registry_has_typing_a_discrepancy_and_a_duplicate(app: App) {
    app.generate_demo(DemoOptions { donors: 400, ..small_demo() }, |_, _| {}).await.unwrap();
    let op = Actor::operator();
    let pairs = |s: &[(&str, &str)]| s.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    let rare = app.rare_donors(&op, &pairs(&[("abo", "O"), ("rhd", "neg"), ("antigens", "K-,E-,c-")])).await.unwrap();
    assert!(!rare.is_empty(), "O- K- E- c- donors exist");
    for r in &rare {
        assert_eq!(r.donor.blood_group.as_deref(), Some("O-"));
        assert!(r.attributes.phenotype().contains("c-") && r.attributes.phenotype().contains("K-"));
    }
    let cmv_neg = app.rare_donors(&op, &pairs(&[("cmv", "negative")])).await.unwrap();
    assert!(cmv_neg.len() >= 30, "{} CMV-negative donors", cmv_neg.len());
    // Most donors' groups are confirmed by two or more determinations; exactly one discrepancy.
    let (mut confirmed, mut discrepancies) = (0, 0);
    for n in 1..=400u32 {
        let number = domain::DonorNumber::sequential(n).as_str().to_string();
        let p = app.donor_profile(&op, &number).await.unwrap();
        if p.blood_group.status == domain::typing::BloodGroupStatus::Confirmed {
            confirmed += 1;
        }
        if app.blood_group_discrepancy(&number).await.unwrap() {
            discrepancies += 1;
        }
    }
    assert!(confirmed > 250, "{confirmed} confirmed");
    assert_eq!(discrepancies, 1);
    // The likely duplicate is caught by the registration check and not merged yet.
    let dup = app.donor_profile(&op, "D0000401").await.unwrap();
    assert!(dup.merged_from.is_empty() && dup.merged_number.is_none());
    let original = app.donor_profile(&op, "D0000017").await.unwrap();
    assert_eq!((dup.donor.last_name.as_str(), dup.donor.birth_date), (original.donor.last_name.as_str(), original.donor.birth_date));
}

async fn demo_refuses_a_database_that_has_data(app: App) {
    app.generate_demo(DemoOptions { donors: 5, ..small_demo() }, |_, _| {}).await.unwrap();
    let before = app.store.audit_head().await.unwrap();
    let e = app.generate_demo(small_demo(), |_, _| {}).await.unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
    assert_eq!(app.store.audit_head().await.unwrap(), before);
}

async fn admin(app: &App) -> Actor {
    app.create_user(
        &Actor::operator(),
        &NewUserInput { username: "boss".into(), password: "boss-password-1".into(), roles: vec!["admin".into()], ..Default::default() },
    )
    .await
    .unwrap();
    app.login("boss", "boss-password-1").await.unwrap();
    let s = app.login("boss", "boss-password-1").await.unwrap();
    app.session_actor(&s.token).await.unwrap().unwrap().0
}

async fn wrong_passwords_lock_the_account_with_back_off(app: App) {
    let app = App::new(app.store.clone(), Settings { lockout_threshold: 3, ..Default::default() });
    admin(&app).await;
    for _ in 0..2 {
        assert!(matches!(app.login("boss", "nope-nope-nope").await, Err(AppError::Unauthenticated(_))));
    }
    assert!(matches!(app.login("boss", "nope-nope-nope").await, Err(AppError::LockedOut { .. })));
    // Even the right password is refused while locked.
    assert!(matches!(app.login("boss", "boss-password-1").await, Err(AppError::LockedOut { .. })));
    let failed = AuditFilter { action: Some("user.login_failed".into()), ..Default::default() };
    assert_eq!(app.store.audit_page(&failed, 10, 0).await.unwrap().total, 3);
    assert!(matches!(app.login("ghost", "whatever-pass").await, Err(AppError::Unauthenticated(_))));
}

async fn hospital_users_see_only_their_own_account(app: App) {
    let boss = admin(&app).await;
    let mut ids = Vec::new();
    for code in ["H-ONE", "H-TWO"] {
        let h = app
            .create_hospital(&boss, &HospitalInput { code: code.into(), name: code.into(), status: "active".into(), ..Default::default() })
            .await
            .unwrap();
        ids.push(h.id);
    }
    app.create_user(
        &boss,
        &NewUserInput {
            username: "portal".into(),
            password: "portal-password".into(),
            roles: vec!["hospital".into()],
            hospital: Some("H-ONE".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let s = app.login("portal", "portal-password").await.unwrap();
    let portal = app.session_actor(&s.token).await.unwrap().unwrap().0;
    let seen = app.list_hospitals(&portal).await.unwrap();
    assert_eq!(seen.iter().map(|h| h.id).collect::<Vec<_>>(), vec![ids[0]]);
    assert!(app.hospital(&portal, ids[0]).await.is_ok());
    assert!(matches!(app.hospital(&portal, ids[1]).await, Err(AppError::NotFound(_))));
    assert!(matches!(app.list_sites(&portal).await, Err(AppError::Forbidden(_))));
    // A hospital user must name a hospital, and staff must not.
    let e = app
        .create_user(
            &boss,
            &NewUserInput { username: "p2".into(), password: "portal-password".into(), roles: vec!["hospital".into()], ..Default::default() },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Invalid(ref f) if f.message_for("hospital").is_some()), "{e:?}");
}

async fn refused_changes_write_nothing(app: App) {
    let boss = admin(&app).await;
    let head = app.store.audit_head().await.unwrap();
    let bad_site = SiteInput { code: "x y".into(), name: "".into(), kind: "boat".into(), time_zone: "Nowhere/Land".into(), ..Default::default() };
    assert!(matches!(app.create_site(&boss, &bad_site).await, Err(AppError::Invalid(_))));
    let dup = NewUserInput { username: "boss".into(), password: "another-password".into(), roles: vec!["lab".into()], ..Default::default() };
    assert!(matches!(app.create_user(&boss, &dup).await, Err(AppError::Conflict(_))));
    let unknown_role =
        NewUserInput { username: "newbie".into(), password: "another-password".into(), roles: vec!["wizard".into()], ..Default::default() };
    assert!(matches!(app.create_user(&boss, &unknown_role).await, Err(AppError::Invalid(_))));
    let h = HospitalInput { code: "H-X".into(), name: "X".into(), delivery_site: "NOPE".into(), status: "active".into(), ..Default::default() };
    assert!(matches!(app.create_hospital(&boss, &h).await, Err(AppError::Invalid(_))));
    assert_eq!(app.store.audit_head().await.unwrap(), head);
    assert!(app.store.list_sites().await.unwrap().is_empty());
    assert!(app.store.list_hospitals().await.unwrap().is_empty());
}

async fn edits_keep_old_values_in_versions_and_audit(app: App) {
    let boss = admin(&app).await;
    let mut input = SiteInput {
        code: "MAIN".into(),
        name: "Main".into(),
        kind: "fixed".into(),
        time_zone: "America/Chicago".into(),
        active: true,
        ..Default::default()
    };
    let site = app.create_site(&boss, &input).await.unwrap();
    input.name = "Main Donor Center".into();
    let e = app.update_site(&boss, site.id, &input, None).await.unwrap_err();
    assert!(matches!(e, AppError::Invalid(ref f) if f.message_for("reason").is_some()));
    let v2 = app.update_site(&boss, site.id, &input, Some("official name".into())).await.unwrap();
    assert_eq!(v2.version, 2);
    let nothing = app.update_site(&boss, site.id, &input, Some("again".into())).await.unwrap_err();
    assert!(matches!(nothing, AppError::Conflict(_)));
    input.code = "MAIN2".into();
    assert!(matches!(app.update_site(&boss, site.id, &input, Some("x".into())).await, Err(AppError::Invalid(_))));
    let (_, history) = app.site(&boss, site.id).await.unwrap();
    assert_eq!(history.len(), 2);
    let f = AuditFilter { entity_type: Some("site".into()), entity_id: Some(site.id.to_string()), ..Default::default() };
    let page = app.audit_page(&boss, &f, 1, 50).await.unwrap();
    assert_eq!(page.total, 2);
    let update = &page.records[0];
    assert_eq!(update.action, "site.update");
    assert!(update.before.as_deref().unwrap().contains("\"Main\""));
    assert!(update.after.as_deref().unwrap().contains("Main Donor Center"));
    assert_eq!(update.reason.as_deref(), Some("official name"));
}

async fn revoked_and_expired_tokens_are_refused(app: App) {
    let boss = admin(&app).await;
    let (view, secret) = app.create_api_token(&boss, "boss", "LIS", Some(30)).await.unwrap();
    assert_eq!(app.token_actor(&secret).await.unwrap().username, "boss");
    app.revoke_api_token(&boss, view.id, Some("rotated".into())).await.unwrap();
    let e = app.token_actor(&secret).await.unwrap_err().to_string();
    assert!(e.contains("revoked"), "{e}");
    assert!(app.token_actor("hft_made_up").await.is_err());
    assert!(matches!(app.create_api_token(&boss, "boss", "x", Some(0)).await, Err(AppError::Invalid(_))));
    assert!(matches!(app.create_api_token(&boss, "nobody", "x", None).await, Err(AppError::Invalid(_))));
    // A token whose expiry has passed.
    let mut tx = app.store.begin_write().await.unwrap();
    let u = tx.user_by_username("boss").await.unwrap().unwrap();
    tx.insert_api_token(&store::ApiTokenRecord {
        id: uuid::Uuid::now_v7(),
        user_id: u.id,
        name: "old".into(),
        token_hash: app::auth::token_hash("hft_old"),
        created_at: store::now() - chrono::Duration::days(40),
        created_by: "boss".into(),
        expires_at: Some(store::now() - chrono::Duration::days(10)),
        revoked_at: None,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let e = app.token_actor("hft_old").await.unwrap_err().to_string();
    assert!(e.contains("expired"), "{e}");
    let _ = Backend::Sqlite;
}

async fn din_app(app: App) -> (App, Actor) {
    let app = App::new(app.store.clone(), Settings { fin: Some("A9998".into()), ..Default::default() });
    let op = Actor::operator();
    app.create_site(
        &op,
        &SiteInput {
            code: "MAIN".into(),
            name: "Main".into(),
            kind: "fixed".into(),
            time_zone: "America/Chicago".into(),
            active: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (app, op)
}

async fn dins_are_handed_out_in_sequence_never_twice(app: App) {
    let no_fin = app.assign_din(&Actor::operator(), "MAIN").await.unwrap_err();
    assert!(matches!(no_fin, AppError::Conflict(ref m) if m.contains("--fin")), "{no_fin:?}");
    let (app, op) = din_app(app).await;
    let first = app.assign_din(&op, "MAIN").await.unwrap();
    assert!(first.din.starts_with("A9998") && first.din.ends_with("000001"), "{first:?}");
    assert_eq!(isbt128::check_character(&first.din).unwrap(), first.check_character);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (app, op) = (app.clone(), op.clone());
            tokio::spawn(async move { app.assign_din(&op, "MAIN").await.unwrap().din })
        })
        .collect();
    let mut dins = Vec::new();
    for t in tasks {
        dins.push(t.await.unwrap());
    }
    dins.sort();
    dins.dedup();
    assert_eq!(dins.len(), 8, "concurrent requests got the same DIN");
    assert!(matches!(app.assign_din(&op, "NOPE").await, Err(AppError::Invalid(_))));
    let f = AuditFilter { action: Some("din.assign".into()), ..Default::default() };
    assert_eq!(app.store.audit_page(&f, 50, 0).await.unwrap().total, 9);
}

async fn preprinted_label_sets_are_registered_skipped_and_used_once(app: App) {
    let (app, op) = din_app(app).await;
    let first = app.assign_din(&op, "MAIN").await.unwrap();
    let year: i64 = 2000 + first.din[5..7].parse::<i64>().unwrap();
    // A set must lie ahead of the counter and not overlap another.
    assert!(matches!(app.register_din_label_set(&op, year, 1, 10, None).await, Err(AppError::Invalid(_))));
    let set = app.register_din_label_set(&op, year, 2, 5, Some("box 1".into())).await.unwrap();
    assert_eq!(set.count, 4);
    assert!(matches!(app.register_din_label_set(&op, year, 5, 9, None).await, Err(AppError::Conflict(_))));
    assert!(matches!(app.register_din_label_set(&op, year, 9, 7, None).await, Err(AppError::Invalid(_))));
    // The counter skips the pre-printed numbers.
    let next = app.assign_din(&op, "MAIN").await.unwrap();
    assert!(next.din.ends_with("000006"), "{next:?}");
    // A pre-printed label is used once, and only if registered and ours.
    let label = format!("={}00", set.first);
    let used = app.use_preprinted_din(&op, &label).await.unwrap();
    assert_eq!(used.source, "preprinted");
    assert!(matches!(app.use_preprinted_din(&op, &label).await, Err(AppError::Conflict(_))));
    let outside = format!("{}{}000099", "A9998", &first.din[5..7]);
    assert!(matches!(app.use_preprinted_din(&op, &outside).await, Err(AppError::Invalid(_))));
    assert!(matches!(app.use_preprinted_din(&op, "=A99992612345600").await, Err(AppError::Invalid(_))));
    assert!(matches!(app.use_preprinted_din(&op, "=A9998").await, Err(AppError::Invalid(_))));
}

async fn labels_are_checked_before_printing(app: App) {
    let (app, op) = din_app(app).await;
    let input = app::labels::LabelInput {
        din: "A999826000123".into(),
        blood_group: "O-".into(),
        product_code: "E0398V00".into(),
        expires_at: "2099-12-31T23:59".into(),
        collected_on: "2099-11-20".into(),
    };
    // Well-formed, but the record knows no such unit: refused, nothing recorded
    // (printing from a real donation is tested over HTTP in web/tests/web/labels.rs).
    let e = app.unit_label(&op, &input, "pdf").await.unwrap_err();
    assert!(matches!(e, AppError::Invalid(ref f) if f.message_for("din").unwrap().starts_with("DIN assigned:")), "{e:?}");
    let v = app::labels::label_values(&app.settings, &input).unwrap();
    assert_eq!(v.blood_groups.encode(), "=%9500");
    assert_eq!(v.description[0], "RED BLOOD CELLS");
    let f = AuditFilter { action: Some("label.print".into()), ..Default::default() };
    assert_eq!(app.store.audit_page(&f, 5, 0).await.unwrap().total, 0);

    let unknown = app::labels::LabelInput { product_code: "E9999V00".into(), ..input.clone() };
    let e = app.unit_label(&op, &unknown, "pdf").await.unwrap_err();
    assert!(matches!(e, AppError::Invalid(ref f) if f.message_for("product_code").unwrap().contains("catalog")), "{e:?}");
    let expired = app::labels::LabelInput { expires_at: "2020-01-01T00:00".into(), ..input.clone() };
    assert!(matches!(app.unit_label(&op, &expired, "pdf").await, Err(AppError::Invalid(_))));
    let bad = app::labels::LabelInput { din: "A999826000123X".into(), blood_group: "Q+".into(), ..input.clone() };
    let e = app.unit_label(&op, &bad, "pdf").await.unwrap_err();
    assert!(matches!(e, AppError::Invalid(ref f) if f.0.len() == 2), "{e:?}");

    app.verify_label(&op, "A999826000123", "E0398V00", &["=A99982600012300=<E0398V00".into()]).unwrap();
    let e = app.verify_label(&op, "A999826000124", "E0398V00", &["=A99982600012300=<E0398V00".into()]).unwrap_err();
    assert!(e.to_string().contains("A999826000124") || matches!(e, AppError::Invalid(_)));
    let recruiter = Actor { roles: domain::Roles::new([domain::Role::Recruiter]).unwrap(), ..op };
    assert!(matches!(app.unit_label(&recruiter, &input, "pdf").await, Err(AppError::Forbidden(_))));
}

async fn imports_take_good_rows_and_report_the_rest(app: App) {
    let (app, op) = din_app(app).await;
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let donors = "donor_number,first_name,last_name,birth_date,sex,blood_group,preferred_site\n\
                  D1000001,Ann,Lee,1980-02-01,F,O-,MAIN\n\
                  D1000002,Bob,Ray,1975-07-12,M,,\n\
                  D1000001,Ann,Again,1980-02-01,F,,\n\
                  D1000003,Cy,Ng,1990-01-01,M,,NOWHERE\n\
                  D1000004,Di,Oz,2031-01-01,F,,\n";
    let head = app.store.audit_head().await.unwrap().0;
    let mut calls = 0;
    let r = app.import_donors(&op, "donors.csv", donors.as_bytes(), today, |_, _| calls += 1).await.unwrap();
    assert_eq!(r.accepted, 2);
    assert_eq!(r.rejected.iter().map(|x| x.line).collect::<Vec<_>>(), vec![4, 5, 6]);
    assert!(r.rejected[0].reasons[0].contains("line 2"), "{:?}", r.rejected[0]);
    assert!(r.rejected[1].reasons[0].contains("NOWHERE"));
    assert!(calls >= 1);
    assert_eq!(app.store.audit_head().await.unwrap().0, head + 1, "one audit record per import");
    assert!(app.store.donor_by_number("D1000004").await.unwrap().is_none());

    let donations = "donor_number,procedure,collected_on,site\n\
                     D1000001,whole_blood,2026-01-05,MAIN\n\
                     D1000001,whole_blood,2026-01-05,\n\
                     D1000002,platelets,2026-03-01,\n\
                     D9999999,plasma,2026-03-01,\n\
                     D1000002,granulocytes,2026-03-01,\n";
    let r = app.import_donations(&op, "donations.csv", donations.as_bytes(), today, |_, _| {}).await.unwrap();
    assert_eq!(r.accepted, 2);
    assert_eq!(r.rejected.iter().map(|x| x.line).collect::<Vec<_>>(), vec![3, 5, 6]);
    // Importing the same file again adds nothing: every row is a duplicate.
    let again = app.import_donations(&op, "donations.csv", donations.as_bytes(), today, |_, _| {}).await.unwrap();
    assert_eq!(again.accepted, 0);
    let ann = app.store.donor_by_number("D1000001").await.unwrap().unwrap();
    assert_eq!(app.store.donations_of(ann.id).await.unwrap().len(), 1);
    let bad_header = app.import_donations(&op, "x.csv", b"donor,when\n", today, |_, _| {}).await.unwrap_err();
    assert!(matches!(bad_header, AppError::Invalid(_)));
    let lab = Actor { roles: domain::Roles::new([domain::Role::Lab]).unwrap(), ..op };
    assert!(matches!(app.import_donors(&lab, "d.csv", donors.as_bytes(), today, |_, _| {}).await, Err(AppError::Forbidden(_))));
}
