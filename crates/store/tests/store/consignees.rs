//! Recall cases in the store, the same story on SQLite and PostgreSQL: read back as
//! written, numbers unique, never changed or deleted.

use store::{RecallCaseRow, Store, StoreError};
use uuid::Uuid;

contract!(recall_cases_are_unique_and_append_only);

fn recall(number: &str) -> RecallCaseRow {
    RecallCaseRow {
        id: Uuid::now_v7(),
        number: number.into(),
        kind: "withdrawal".into(),
        reason: "bag lot 7731".into(),
        opened_at: store::now(),
        opened_by: "quality".into(),
    }
}

async fn recall_cases_are_unique_and_append_only(s: Store) {
    let r = recall("RC-2026-000001");
    let mut tx = s.begin_write().await.unwrap();
    tx.insert_recall_case(&r, &[]).await.unwrap();
    tx.commit().await.unwrap();
    let back = s.recall_case(r.id).await.unwrap().unwrap();
    assert_eq!((back.number.as_str(), back.kind.as_str(), back.reason.as_str()), ("RC-2026-000001", "withdrawal", "bag lot 7731"));
    assert_eq!(s.recall_cases(10).await.unwrap().len(), 1);
    assert!(s.case_units(r.id).await.unwrap().is_empty());
    assert!(s.case_shipments(r.id).await.unwrap().is_empty());
    assert!(s.notices_of_case(r.id).await.unwrap().is_empty());

    let mut tx = s.begin_write().await.unwrap();
    let e = tx.insert_recall_case(&recall("RC-2026-000001"), &[]).await.unwrap_err();
    assert!(matches!(e, StoreError::Duplicate { .. }), "{e}");
    drop(tx);
    for sql in ["UPDATE recall_cases SET reason = 'x'", "DELETE FROM recall_cases"] {
        let e = s.execute_raw_for_tests(sql).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
    assert_eq!(s.recall_case(r.id).await.unwrap().unwrap().reason, "bag lot 7731");
}
