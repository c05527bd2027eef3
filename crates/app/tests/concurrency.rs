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

both_backends!(simultaneous_registrations_get_distinct_numbers, the_same_person_registered_twice_at_once_is_caught);
