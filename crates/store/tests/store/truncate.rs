//! On PostgreSQL, TRUNCATE (which skips row triggers) is refused on the audit trail
//! and every append-only table.

use store::test_support::fresh;
use store::Backend;

#[tokio::test]
async fn truncate_of_audited_tables_is_refused_on_postgres() {
    let Some(db) = fresh(Backend::Postgres).await else { return };
    let tables = [
        "audit_records",
        "audit_head",
        "donations",
        "donor_deferrals",
        "donor_reentries",
        "donor_versions",
        "blood_group_determinations",
        "blood_group_resolutions",
        "screening_visits",
        "policy_versions",
        "site_versions",
        "hospital_versions",
        "din_assignments",
        "sent_emails",
        "call_outcomes",
        "captured_messages",
        "label_prints",
        "collection_records",
        "donor_reactions",
        "components",
        "component_sources",
        "component_states",
        "donation_separations",
        "component_volumes",
        "test_orders",
        "test_results",
        "component_holds",
        "component_hold_lifts",
        "donor_notifications",
        "lookback_cases",
        "lookback_donations",
        "component_releases",
        "deviations",
        "deviation_versions",
        "deviation_units",
        "component_qc_results",
    ];
    for t in tables {
        let e = db.store.execute_raw_for_tests(&format!("TRUNCATE {t} CASCADE")).await.expect_err(t);
        assert!(e.to_string().contains("TRUNCATE is refused"), "{t}: {e}");
    }
    // Every table that refuses row updates and deletes also refuses TRUNCATE.
    let unprotected: Vec<String> = {
        let rows = db
            .store
            .execute_raw_for_tests(
                "DO $$ DECLARE n int; BEGIN
                   SELECT count(*) INTO n FROM pg_trigger a
                   WHERE a.tgname LIKE '%_append_only' AND NOT EXISTS (
                     SELECT 1 FROM pg_trigger b WHERE b.tgrelid = a.tgrelid AND b.tgname LIKE '%_no_truncate');
                   IF n > 0 THEN RAISE EXCEPTION '% append-only table(s) accept TRUNCATE', n; END IF;
                 END $$",
            )
            .await;
        rows.err().map(|e| vec![e.to_string()]).unwrap_or_default()
    };
    assert!(unprotected.is_empty(), "{unprotected:?}");
    // Ordinary tables still truncate (the trigger is not on everything).
    db.store.execute_raw_for_tests("TRUNCATE rate_limits").await.unwrap();
}
