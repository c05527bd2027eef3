//! Use cases racing each other on both back ends.

use app::donors::NewDonorInput;
use app::{Actor, App};

async fn simultaneous_registrations_get_distinct_numbers(app: App) {
    let mut tasks = Vec::new();
    for i in 0..12 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let input = NewDonorInput {
                first_name: format!("Ann{i}"),
                last_name: format!("Racer{i}"),
                birth_date: format!("1980-01-{:02}", i + 1),
                sex: "F".into(),
                ..Default::default()
            };
            app.register_donor(&Actor::operator(), &input).await.map(|d| d.donor_number).map_err(|e| e.to_string())
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap().expect("every registration goes through"));
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 12, "{numbers:?}");
}

async fn the_same_person_registered_twice_at_once_is_caught(app: App) {
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let input = NewDonorInput {
                first_name: "Bea".into(),
                last_name: "Twice".into(),
                birth_date: "1979-05-05".into(),
                sex: "F".into(),
                ..Default::default()
            };
            app.register_donor(&Actor::operator(), &input).await.is_ok()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap());
    }
    assert_eq!(ok, 1, "the others see the first as a possible duplicate");
}

use app::donors::DeferralInput;
use app::registry::{BloodGroupInput, MergeInput};
use app::screening::ScreeningInput;
use app::AppError;
use domain::questionnaire::{Answer, Ask, YesNo};
use domain::SiteInput;
use std::collections::BTreeMap;

/// An app with a DIN facility, a site in `site_zone` and the facility clock in `facility_zone`.
async fn centre(app: &App, site_zone: &str) {
    app.create_site(
        &Actor::operator(),
        &SiteInput {
            code: "MAIN".into(),
            name: "Main".into(),
            kind: "fixed".into(),
            time_zone: site_zone.into(),
            active: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

fn with_facility(app: App, zone: chrono_tz::Tz) -> App {
    let mut settings = app.settings.clone();
    settings.fin = Some("A9998".into());
    settings.time_zone = zone;
    App::new(app.store.clone(), settings)
}

async fn donors(app: &App, n: usize) -> Vec<String> {
    let mut csv = String::from("donor_number,first_name,last_name,birth_date,sex\n");
    let numbers: Vec<String> = (1..=n).map(|i| format!("D{:07}", i)).collect();
    for (i, number) in numbers.iter().enumerate() {
        csv.push_str(&format!("{number},Lee{i},Park{i},1970-01-{:02},M\n", 1 + i % 28));
    }
    app.import_donors(&Actor::operator(), "d.csv", csv.as_bytes(), chrono::Utc::now().date_naive(), |_, _| {}).await.unwrap();
    numbers
}

async fn eligible_visit(app: &App, number: &str) -> uuid::Uuid {
    let op = Actor::operator();
    let q = app.questions_for(&op, number).await.unwrap();
    let answers: BTreeMap<String, Answer> =
        q.questions.iter().map(|q| (q.id.clone(), Answer::Flag(matches!(q.ask, Ask::YesNo { defer_on: YesNo::No, .. })))).collect();
    let input = ScreeningInput {
        procedure: "whole_blood".into(),
        site: "MAIN".into(),
        weight_kg: Some(serde_json::json!(80)),
        height_cm: None,
        screening: serde_json::json!({"hemoglobin_g_dl": 14.5, "pulse_bpm": 70, "bp_systolic": 120, "bp_diastolic": 80, "temperature_c": 36.7}),
        answers,
    };
    let v = app.record_screening(&op, number, &input).await.unwrap();
    assert!(v.decision.eligible, "{:?}", v.decision.reasons);
    v.id
}

/// Holds the audit chain head (and on SQLite the write lock) while racing use cases start,
/// so that each reaches its first blocking write with its reads done: without row locks
/// on the donor, both would then act on what they read.
async fn gate(app: &App) -> store::WriteTx {
    let mut tx = app.store.begin_write().await.unwrap();
    tx.append_audit(domain::AuditDraft::new("test", "test.gate", "test", 1)).await.unwrap();
    tx
}

async fn open_gate(tx: store::WriteTx) {
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    drop(tx);
}

async fn donations_of(app: &App, number: &str) -> usize {
    let d = app.store.donor_by_number(number).await.unwrap().unwrap();
    app.store.donations_of(d.id).await.unwrap().len()
}

async fn parallel_collections_from_one_visit_give_one_donation(app: App) {
    let app = with_facility(app, chrono_tz::America::Chicago);
    centre(&app, "America/Chicago").await;
    let number = donors(&app, 1).await.remove(0);
    let visit = eligible_visit(&app, &number).await;
    let g = gate(&app).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move { app.collect_from_screening(&Actor::operator(), visit, None).await.is_ok() }));
    }
    open_gate(g).await;
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap());
    }
    assert_eq!(ok, 1);
    assert_eq!(donations_of(&app, &number).await, 1);
}

async fn two_visits_of_one_donor_give_one_donation(app: App) {
    let app = with_facility(app, chrono_tz::America::Chicago);
    centre(&app, "America/Chicago").await;
    let numbers = donors(&app, 2).await;
    // At the same instant: one of the two collections wins.
    let (a, b) = (eligible_visit(&app, &numbers[0]).await, eligible_visit(&app, &numbers[0]).await);
    let g = gate(&app).await;
    let (x, y, _) = tokio::join!(
        {
            let app = app.clone();
            tokio::spawn(async move { app.collect_from_screening(&Actor::operator(), a, None).await })
        },
        {
            let app = app.clone();
            tokio::spawn(async move { app.collect_from_screening(&Actor::operator(), b, None).await })
        },
        open_gate(g),
    );
    let results = [x.unwrap(), y.unwrap()];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    let refused = results.into_iter().find_map(Result::err).unwrap();
    assert!(matches!(&refused, AppError::Ineligible { .. }), "{refused:?}");
    assert_eq!(donations_of(&app, &numbers[0]).await, 1);
    // One after the other: the second visit is decided again and refused with the reason.
    let (a, b) = (eligible_visit(&app, &numbers[1]).await, eligible_visit(&app, &numbers[1]).await);
    app.collect_from_screening(&Actor::operator(), a, None).await.unwrap();
    match app.collect_from_screening(&Actor::operator(), b, None).await {
        Err(AppError::Ineligible { decision, .. }) => {
            assert!(decision.reasons.iter().any(|r| r.code == "INTERVAL_RBC_AFTER_WB"), "{:?}", decision.reasons)
        }
        other => panic!("the second collection of the day must be refused: {other:?}"),
    }
    assert_eq!(donations_of(&app, &numbers[1]).await, 1);
}

async fn a_deferral_and_a_collection_never_both_act_on_stale_facts(app: App) {
    let app = with_facility(app, chrono_tz::America::Chicago);
    centre(&app, "America/Chicago").await;
    for number in donors(&app, 4).await {
        let visit = eligible_visit(&app, &number).await;
        let g = gate(&app).await;
        let (c, d, _) = tokio::join!(
            {
                let app = app.clone();
                tokio::spawn(async move { app.collect_from_screening(&Actor::operator(), visit, None).await })
            },
            {
                let (app, number) = (app.clone(), number.clone());
                tokio::spawn(async move {
                    let input = DeferralInput {
                        kind: "permanent".into(),
                        reason_code: "HIV_REACTIVE".into(),
                        reason: "confirmed positive".into(),
                        ..Default::default()
                    };
                    app.defer_donor(&Actor::operator(), &number, &input).await
                })
            },
            open_gate(g),
        );
        let deferral = d.unwrap().expect("the deferral always goes in");
        match c.unwrap() {
            // The collection came first: it was committed before the deferral was entered.
            Ok(_) => {
                let donor = app.store.donor_by_number(&number).await.unwrap().unwrap();
                let donation = app.store.donations_of(donor.id).await.unwrap().remove(0);
                assert!(donation.collected_at < deferral.entered_at, "a donation collected after the deferral was entered");
            }
            Err(e) => assert!(e.to_string().contains("deferred"), "{e}"),
        }
    }
}

async fn opposite_merges_at_once_give_one_merge(app: App) {
    centre(&app, "America/Chicago").await;
    let numbers = donors(&app, 8).await;
    for pair in numbers.chunks(2) {
        let (a, b) = (pair[0].clone(), pair[1].clone());
        let merge = |app: App, into: String, dup: String| {
            tokio::spawn(async move {
                let input = MergeInput { duplicate: dup, reason: "same person".into(), confirm_different_details: true };
                app.merge_donors(&Actor::operator(), &into, &input).await
            })
        };
        let g = gate(&app).await;
        let (x, y, _) = tokio::join!(merge(app.clone(), a.clone(), b.clone()), merge(app.clone(), b.clone(), a.clone()), open_gate(g));
        let results = [x.unwrap(), y.unwrap()];
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        let mut ids = Vec::new();
        for n in [&a, &b] {
            ids.push(app.store.donor_by_number(n).await.unwrap().unwrap().id);
        }
        let merges = app.store.merged_donor_ids(&ids).await.unwrap();
        assert_eq!(merges.len(), 1, "{merges:?}");
    }
}

async fn the_first_blood_group_determination_sets_the_group_once(app: App) {
    centre(&app, "America/Chicago").await;
    for number in donors(&app, 4).await {
        let record = |app: App, number: String, abo: &'static str| {
            tokio::spawn(async move {
                let input = BloodGroupInput { abo: abo.into(), rhd: "pos".into(), ..Default::default() };
                app.record_blood_group(&Actor::operator(), &number, &input).await.map(|_| ())
            })
        };
        let g = gate(&app).await;
        let (x, y, _) = tokio::join!(record(app.clone(), number.clone(), "A"), record(app.clone(), number.clone(), "B"), open_gate(g));
        x.unwrap().unwrap();
        y.unwrap().unwrap();
        let donor = app.store.donor_by_number(&number).await.unwrap().unwrap();
        let dets = app.store.determinations_of(&[donor.id]).await.unwrap();
        assert_eq!(dets.len(), 2);
        // The group on record is the one entered first; the second raises the discrepancy.
        assert_eq!(donor.group.0, Some(dets[0].group.0), "{dets:?}");
        assert!(app.blood_group_discrepancy(&number).await.unwrap());
    }
}

/// Separation of duties: whoever recorded a determination of a discrepancy does not
/// resolve it; another person does.
async fn the_recorder_of_a_discrepancy_does_not_resolve_it(app: App) {
    use app::registry::ResolutionInput;
    centre(&app, "America/Chicago").await;
    let number = donors(&app, 1).await.remove(0);
    let lab = Actor { username: "lab-tech".into(), ..Actor::operator() };
    let quality = Actor { username: "quality-a".into(), ..Actor::operator() };
    let other = Actor { username: "quality-b".into(), ..Actor::operator() };
    let group = |abo: &str| BloodGroupInput { abo: abo.into(), rhd: "pos".into(), ..Default::default() };
    app.record_blood_group(&lab, &number, &group("A")).await.unwrap();
    app.record_blood_group(&quality, &number, &group("O")).await.unwrap();
    assert!(app.blood_group_discrepancy(&number).await.unwrap());
    let input = ResolutionInput { abo: "O".into(), rhd: "pos".into(), reason: "fresh sample typed O+".into() };
    let head = app.store.audit_head().await.unwrap();
    match app.resolve_blood_group(&quality, &number, &input).await {
        Err(AppError::Forbidden(m)) => assert!(m.contains("another person"), "{m}"),
        other => panic!("the recorder must not resolve: {other:?}"),
    }
    assert_eq!(app.store.audit_head().await.unwrap(), head, "nothing written");
    let v = app.resolve_blood_group(&other, &number, &input).await.unwrap();
    assert!(!v.discrepancy);
}

/// The facility clock is 26 hours ahead of the site's, so a donation dated on the
/// facility's calendar would always fall on a later day than the site's "today".
async fn an_evening_donation_counts_on_its_sites_day(app: App) {
    let app = with_facility(app, chrono_tz::Pacific::Kiritimati);
    centre(&app, "Etc/GMT+12").await;
    let number = donors(&app, 1).await.remove(0);
    let (a, b) = (eligible_visit(&app, &number).await, eligible_visit(&app, &number).await);
    app.collect_from_screening(&Actor::operator(), a, None).await.unwrap();
    assert!(matches!(app.collect_from_screening(&Actor::operator(), b, None).await, Err(AppError::Ineligible { .. })));
    let profile = app.donor_profile(&Actor::operator(), &number).await.unwrap();
    let site_today = chrono::Utc::now().with_timezone(&"Etc/GMT+12".parse::<chrono_tz::Tz>().unwrap()).date_naive();
    assert_eq!(profile.donations[0].collected_on, site_today, "the donation's day is its site's day");
    // Screened again the same evening: the donation is in the history.
    let op = Actor::operator();
    let q = app.questions_for(&op, &number).await.unwrap();
    let answers = q.questions.iter().map(|q| (q.id.clone(), Answer::Flag(matches!(q.ask, Ask::YesNo { defer_on: YesNo::No, .. })))).collect();
    let input = ScreeningInput {
        procedure: "whole_blood".into(),
        site: "MAIN".into(),
        weight_kg: Some(serde_json::json!(80)),
        height_cm: None,
        screening: serde_json::json!({"hemoglobin_g_dl": 14.5, "pulse_bpm": 70, "bp_systolic": 120, "bp_diastolic": 80, "temperature_c": 36.7}),
        answers,
    };
    let v = app.record_screening(&op, &number, &input).await.unwrap();
    assert!(!v.decision.eligible);
    assert!(v.decision.reasons.iter().any(|r| r.code == "INTERVAL_RBC_AFTER_WB"), "{:?}", v.decision.reasons);
}

macro_rules! both_backends {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = store::test_support::fresh(store::Backend::Sqlite).await.unwrap();
                super::$case(app::App::new(db.store.clone(), Default::default())).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(db) = store::test_support::fresh(store::Backend::Postgres).await {
                    super::$case(app::App::new(db.store.clone(), Default::default())).await;
                }
            }
        }
    )*};
}

both_backends!(
    simultaneous_registrations_get_distinct_numbers,
    the_same_person_registered_twice_at_once_is_caught,
    parallel_collections_from_one_visit_give_one_donation,
    two_visits_of_one_donor_give_one_donation,
    a_deferral_and_a_collection_never_both_act_on_stale_facts,
    opposite_merges_at_once_give_one_merge,
    the_first_blood_group_determination_sets_the_group_once,
    an_evening_donation_counts_on_its_sites_day,
    the_recorder_of_a_discrepancy_does_not_resolve_it,
);
