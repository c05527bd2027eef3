//! Quality records in the store, the same stories on SQLite and PostgreSQL: deviation
//! numbers without gaps, versions read back latest first and never changed, numbers that
//! never repeat under concurrent openings.

use chrono::NaiveDate;
use store::{DeviationRow, DeviationVersionRow, Store};
use uuid::Uuid;

contract!(deviation_numbers_have_no_gaps_and_versions_are_append_only, deviation_numbers_never_repeat_under_concurrency);

fn version(id: Uuid, n: i64, status: &str) -> DeviationVersionRow {
    let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    DeviationVersionRow {
        deviation_id: id,
        version: n,
        status: status.into(),
        what_happened: "fridge alarm".into(),
        discovered_on: day,
        acquired_on: day,
        investigation: String::new(),
        root_cause: String::new(),
        corrective_action: String::new(),
        distributed: true,
        reportable: true,
        reported_on: None,
        report_reference: None,
        recorded_at: store::now(),
        recorded_by: "quality".into(),
        change: format!("version {n}"),
    }
}

async fn open(s: &Store, year: i64) -> (Uuid, String) {
    let mut tx = s.begin_write().await.unwrap();
    let seq = tx.next_deviation_seq(year).await.unwrap();
    let d =
        DeviationRow { id: Uuid::now_v7(), number: format!("DEV-{year}-{seq:04}"), year, seq, opened_at: store::now(), opened_by: "quality".into() };
    tx.insert_deviation(&d).await.unwrap();
    tx.insert_deviation_version(&version(d.id, 1, "open")).await.unwrap();
    tx.commit().await.unwrap();
    (d.id, d.number)
}

async fn deviation_numbers_have_no_gaps_and_versions_are_append_only(s: Store) {
    let (id, first) = open(&s, 2026).await;
    assert_eq!(first, "DEV-2026-0001");
    // A rolled-back opening gives its number back.
    let mut tx = s.begin_write().await.unwrap();
    assert_eq!(tx.next_deviation_seq(2026).await.unwrap(), 2);
    tx.rollback().await.unwrap();
    assert_eq!(open(&s, 2026).await.1, "DEV-2026-0002");
    assert_eq!(open(&s, 2027).await.1, "DEV-2027-0001", "each year counts from one");

    let mut tx = s.begin_write().await.unwrap();
    let locked = tx.deviation_for_update(&first).await.unwrap().unwrap();
    assert_eq!(locked.current.version, 1);
    tx.insert_deviation_version(&version(id, 2, "investigating")).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin_write().await.unwrap();
    assert!(tx.insert_deviation_version(&version(id, 2, "closed")).await.is_err(), "one version 2");
    tx.rollback().await.unwrap();
    let current = s.deviation(&first).await.unwrap().unwrap();
    assert_eq!((current.current.version, current.current.status.as_str()), (2, "investigating"));
    assert_eq!(s.deviation_versions(id).await.unwrap().len(), 2);
    assert_eq!(s.deviations().await.unwrap().len(), 3);
    for sql in ["UPDATE deviation_versions SET status = 'closed'", "DELETE FROM deviation_versions", "UPDATE deviations SET number = 'X'"] {
        assert!(s.execute_raw_for_tests(sql).await.is_err(), "{sql} refused");
    }
}

async fn deviation_numbers_never_repeat_under_concurrency(s: Store) {
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move { open(&s, 2026).await.1 }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap());
    }
    numbers.sort();
    let expected: Vec<String> = (1..=8).map(|n| format!("DEV-2026-{n:04}")).collect();
    assert_eq!(numbers, expected);
}
