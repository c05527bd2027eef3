//! The store contract: the same stories run unchanged against SQLite and PostgreSQL.

use chrono::{Duration, TimeZone, Utc};
use domain::{AuditDraft, HospitalInput, SiteInput};
use store::test_support::fresh;
use store::{AuditFilter, Backend, SessionRecord, Store, StoreError, UserRecord, VersionStamp};
use uuid::Uuid;

contract!(
    sites_and_hospitals_are_versioned_never_overwritten,
    duplicate_codes_and_usernames_are_refused,
    users_sessions_and_tokens_round_trip,
    audit_chain_links_and_verifies,
    audit_filters_and_pages,
    concurrent_writers_keep_one_chain,
    rolled_back_transaction_leaves_nothing,
    regulated_rows_cannot_be_changed_behind_the_product,
    registry_histories_are_append_only_and_attributes_keep_the_latest,
    donations_are_append_only_and_a_collected_one_needs_a_visit,
    din_counters_never_repeat_under_concurrency,
    din_assignments_are_unique_and_label_sets_found_by_range,
    a_donor_row_reads_its_blood_group_typed_or_not_at_all,
);

fn stamp(by: &str) -> VersionStamp {
    VersionStamp { at: Utc::now(), by: by.into(), reason: None }
}

fn site_input(code: &str) -> SiteInput {
    SiteInput {
        code: code.into(),
        name: format!("Site {code}"),
        kind: "fixed".into(),
        address: "1 Main St".into(),
        city: "Springfield".into(),
        region: "IL".into(),
        time_zone: "America/Chicago".into(),
        active: true,
    }
}

fn user(name: &str) -> UserRecord {
    UserRecord {
        id: Uuid::now_v7(),
        username: name.into(),
        display_name: name.to_uppercase(),
        email: None,
        password_hash: "$argon2id$placeholder".into(),
        roles: "lab".into(),
        hospital_id: None,
        active: true,
        failed_logins: 0,
        locked_until: None,
        created_at: store::now(),
    }
}

async fn sites_and_hospitals_are_versioned_never_overwritten(store: Store) {
    let mut tx = store.begin_write().await.unwrap();
    let site = tx.insert_site(Uuid::now_v7(), &site_input("MAIN").validate().unwrap(), &stamp("admin")).await.unwrap();
    let mut h = HospitalInput {
        code: "H-STMARY".into(),
        name: "St Mary's".into(),
        delivery_site: "MAIN".into(),
        status: "active".into(),
        ..Default::default()
    };
    let hosp = tx.insert_hospital(Uuid::now_v7(), &h.validate().unwrap(), &stamp("admin")).await.unwrap();
    tx.commit().await.unwrap();

    h.name = "St Mary's Medical Center".into();
    h.status = "on_hold".into();
    let mut tx = store.begin_write().await.unwrap();
    let current = tx.hospital(hosp.id).await.unwrap().unwrap();
    let s = VersionStamp { reason: Some("renamed after merger".into()), ..stamp("sales") };
    let v2 = tx.add_hospital_version(&current, &h.validate().unwrap(), &s).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(v2.version, 2);

    let now = store.hospital(hosp.id).await.unwrap().unwrap();
    assert_eq!(now.version, 2);
    assert_eq!(now.fields.name, "St Mary's Medical Center");
    assert_eq!(now.fields.delivery_site.as_deref(), Some("MAIN"));
    let hist = store.hospital_history(hosp.id).await.unwrap();
    assert_eq!(hist.iter().map(|v| v.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(hist[0].reason.as_deref(), Some("renamed after merger"));
    assert_eq!(store.list_hospitals().await.unwrap().len(), 1);
    assert_eq!(store.list_sites().await.unwrap()[0].id, site.id);
    assert_eq!(store.site(site.id).await.unwrap().unwrap().fields.time_zone.as_str(), "America/Chicago");
}

async fn duplicate_codes_and_usernames_are_refused(store: Store) {
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_site(Uuid::now_v7(), &site_input("MAIN").validate().unwrap(), &stamp("a")).await.unwrap();
    tx.insert_user(&user("lab1")).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin_write().await.unwrap();
    let e = tx.insert_site(Uuid::now_v7(), &site_input("MAIN").validate().unwrap(), &stamp("a")).await.unwrap_err();
    assert!(matches!(e, StoreError::Duplicate { .. }), "{e:?}");
    drop(tx);
    let mut tx = store.begin_write().await.unwrap();
    let e = tx.insert_user(&user("lab1")).await.unwrap_err();
    assert!(matches!(e, StoreError::Duplicate { .. }), "{e:?}");
    drop(tx);
    assert_eq!(store.list_sites().await.unwrap().len(), 1);
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

async fn users_sessions_and_tokens_round_trip(store: Store) {
    let u = user("quality1");
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_user(&u).await.unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 9, 30, 0).unwrap();
    let session =
        SessionRecord { token_hash: "abc".into(), user_id: u.id, csrf_token: "csrf".into(), created_at: t0, expires_at: t0 + Duration::hours(8) };
    tx.insert_session(&session).await.unwrap();
    let token = store::ApiTokenRecord {
        id: Uuid::now_v7(),
        user_id: u.id,
        name: "LIS interface".into(),
        token_hash: "hash1".into(),
        created_at: t0,
        created_by: "admin".into(),
        expires_at: None,
        revoked_at: None,
    };
    tx.insert_api_token(&token).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(store.user_by_username("quality1").await.unwrap().unwrap(), u);
    assert_eq!(store.session("abc").await.unwrap().unwrap(), session);
    assert_eq!(store.api_token_by_hash("hash1").await.unwrap().unwrap(), token);

    let mut tx = store.begin_write().await.unwrap();
    let mut locked = u.clone();
    locked.failed_logins = 5;
    locked.locked_until = Some(t0 + Duration::minutes(1));
    tx.update_user(&locked).await.unwrap();
    tx.revoke_api_token(token.id, t0).await.unwrap();
    assert_eq!(tx.delete_expired_sessions(t0 + Duration::hours(9)).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert_eq!(store.user(u.id).await.unwrap().unwrap(), locked);
    assert_eq!(store.api_token_by_hash("hash1").await.unwrap().unwrap().revoked_at, Some(t0));
    assert!(store.session("abc").await.unwrap().is_none());
}

async fn append(store: &Store, n: usize, actor: &str) {
    for i in 0..n {
        let mut tx = store.begin_write().await.unwrap();
        tx.append_audit(AuditDraft::new(actor, "site.create", "site", format!("{actor}-{i}")).after(serde_json::json!({"i": i}))).await.unwrap();
        tx.commit().await.unwrap();
    }
}

async fn audit_chain_links_and_verifies(store: Store) {
    assert_eq!(store.verify_audit_chain().await.unwrap(), Ok(0));
    append(&store, 3, "admin").await;
    let page = store.audit_page(&AuditFilter::default(), 10, 0).await.unwrap();
    assert_eq!(page.total, 3);
    let r = &page.records;
    assert_eq!(r[0].seq, 3);
    assert_eq!(r[0].prev_hash, r[1].hash);
    assert_eq!(r[2].prev_hash, domain::GENESIS_HASH);
    // What was read back hashes to what was written: the round trip is exact.
    for rec in r {
        assert_eq!(rec.compute_hash(), rec.hash);
    }
    assert_eq!(store.verify_audit_chain().await.unwrap(), Ok(3));
    assert_eq!(store.audit_head().await.unwrap(), (3, r[0].hash.clone()));
}

async fn audit_filters_and_pages(store: Store) {
    append(&store, 4, "alice").await;
    append(&store, 3, "bob").await;
    let by_bob = AuditFilter { actor: Some("bob".into()), ..Default::default() };
    let p = store.audit_page(&by_bob, 2, 0).await.unwrap();
    assert_eq!(p.total, 3);
    assert_eq!(p.records.len(), 2);
    let p2 = store.audit_page(&by_bob, 2, 2).await.unwrap();
    assert_eq!(p2.records.len(), 1);
    assert!(p2.records.iter().all(|r| r.actor == "bob"));
    let one = AuditFilter { entity_type: Some("site".into()), entity_id: Some("alice-2".into()), ..Default::default() };
    assert_eq!(store.audit_page(&one, 10, 0).await.unwrap().total, 1);
    let future = AuditFilter { from: Some(Utc::now() + Duration::days(1)), ..Default::default() };
    assert_eq!(store.audit_page(&future, 10, 0).await.unwrap().total, 0);
    let past = AuditFilter { to: Some(Utc::now() + Duration::days(1)), from: Some(Utc::now() - Duration::days(1)), ..Default::default() };
    assert_eq!(store.audit_page(&past, 10, 0).await.unwrap().total, 7);
    let pinned = AuditFilter { max_seq: Some(5), actor: Some("bob".into()), ..Default::default() };
    let p = store.audit_page(&pinned, 10, 0).await.unwrap();
    assert_eq!(p.records.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![5]);
}

async fn concurrent_writers_keep_one_chain(store: Store) {
    let tasks: Vec<_> = (0..6)
        .map(|w| {
            let s = store.clone();
            tokio::spawn(async move { append(&s, 10, &format!("writer{w}")).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.verify_audit_chain().await.unwrap(), Ok(60));
}

async fn rolled_back_transaction_leaves_nothing(store: Store) {
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_site(Uuid::now_v7(), &site_input("GONE").validate().unwrap(), &stamp("a")).await.unwrap();
    tx.append_audit(AuditDraft::new("a", "site.create", "site", "GONE")).await.unwrap();
    drop(tx);
    assert!(store.list_sites().await.unwrap().is_empty());
    assert_eq!(store.audit_head().await.unwrap().0, 0);
    assert_eq!(store.verify_audit_chain().await.unwrap(), Ok(0));
}

async fn regulated_rows_cannot_be_changed_behind_the_product(store: Store) {
    append(&store, 2, "admin").await;
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_site(Uuid::now_v7(), &site_input("MAIN").validate().unwrap(), &stamp("a")).await.unwrap();
    tx.commit().await.unwrap();
    for sql in [
        "UPDATE audit_records SET actor = 'mallory' WHERE seq = 1",
        "DELETE FROM audit_records WHERE seq = 2",
        "UPDATE site_versions SET name = 'forged'",
        "DELETE FROM site_versions",
    ] {
        let e = store.execute_raw_for_tests(sql).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
    assert_eq!(store.verify_audit_chain().await.unwrap(), Ok(2));
    let _ = Backend::Sqlite;
    let _ = fresh;
}

async fn din_counters_never_repeat_under_concurrency(store: Store) {
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..25 {
                    let mut tx = s.begin_write().await.unwrap();
                    got.push(tx.next_din_seq("A9998", 2026).await.unwrap());
                    tx.commit().await.unwrap();
                }
                got
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    assert_eq!(all, (1..=100).collect::<Vec<i64>>());
    // Years and facilities count separately; raising never lowers.
    let mut tx = store.begin_write().await.unwrap();
    assert_eq!(tx.next_din_seq("A9998", 2027).await.unwrap(), 1);
    tx.raise_din_seq("A9998", 2026, 50).await.unwrap();
    assert_eq!(tx.din_last_seq("A9998", 2026).await.unwrap(), 100);
    tx.raise_din_seq("A9998", 2026, 500).await.unwrap();
    assert_eq!(tx.next_din_seq("A9998", 2026).await.unwrap(), 501);
    tx.commit().await.unwrap();
}

async fn din_assignments_are_unique_and_label_sets_found_by_range(store: Store) {
    let set = store::DinLabelSet {
        id: Uuid::now_v7(),
        fin: "A9998".into(),
        year: 2026,
        first_seq: 900_000,
        last_seq: 900_999,
        registered_at: store::now(),
        registered_by: "lab".into(),
        note: Some("box 12".into()),
    };
    let a = store::DinAssignment {
        din: "A999826900001".into(),
        fin: "A9998".into(),
        year: 2026,
        seq: 900_001,
        source: "preprinted".into(),
        label_set_id: Some(set.id),
        assigned_at: store::now(),
        assigned_by: "collector".into(),
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_din_label_set(&set).await.unwrap();
    assert_eq!(tx.din_label_set_containing("A9998", 2026, 900_500).await.unwrap(), Some(set.clone()));
    assert_eq!(tx.din_label_set_containing("A9998", 2026, 901_000).await.unwrap(), None);
    assert_eq!(tx.din_label_sets_overlapping("A9998", 2026, 900_999, 901_500).await.unwrap().len(), 1);
    assert!(tx.din_label_sets_overlapping("A9998", 2026, 901_000, 901_500).await.unwrap().is_empty());
    tx.insert_din_assignment(&a).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin_write().await.unwrap();
    assert!(matches!(tx.insert_din_assignment(&a).await, Err(StoreError::Duplicate { .. })));
    drop(tx);
    assert_eq!(store.din_assignment("A999826900001").await.unwrap(), Some(a));
    assert!(store.execute_raw_for_tests("DELETE FROM din_assignments").await.unwrap_err().to_string().contains("append-only"));
}

fn donor(n: u32) -> store::DonorRow {
    store::DonorRow {
        id: Uuid::now_v7(),
        donor_number: format!("D{n:07}"),
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        birth_date: chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(),
        sex: domain::Sex::Female,
        group: store::GroupOnRecord(None),
        email: None,
        phone: None,
        preferred_site: None,
        created_at: store::now(),
    }
}

/// The group on a donor's record is read as one typed value: a half-written or unknown
/// group fails the read instead of showing up as "no group" (which would look eligible
/// for any segment or label that does not ask).
async fn a_donor_row_reads_its_blood_group_typed_or_not_at_all(store: Store) {
    let o_neg = domain::BloodGroup::parse("O-").unwrap();
    let d = store::DonorRow { group: store::GroupOnRecord(Some(o_neg)), ..donor(7) };
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_donor(&d).await.unwrap();
    tx.commit().await.unwrap();
    let read = store.donor_by_number("D0000007").await.unwrap().unwrap();
    assert_eq!(read.group.0, Some(o_neg));
    assert_eq!(read.group.columns(), (Some("O"), Some("neg")));
    for (sql, want) in [
        ("UPDATE donors SET rhd = NULL WHERE donor_number = 'D0000007'", "half recorded"),
        ("UPDATE donors SET rhd = 'neg', abo = 'C' WHERE donor_number = 'D0000007'", "not an ABO group"),
        ("UPDATE donors SET abo = 'O', rhd = 'weak' WHERE donor_number = 'D0000007'", "not an RhD type"),
    ] {
        store.execute_raw_for_tests(sql).await.unwrap();
        let e = store.donor_by_number("D0000007").await.unwrap_err().to_string();
        assert!(e.contains(want), "{sql}: {e}");
    }
    store.execute_raw_for_tests("UPDATE donors SET abo = NULL, rhd = NULL WHERE donor_number = 'D0000007'").await.unwrap();
    assert_eq!(store.donor_by_number("D0000007").await.unwrap().unwrap().group.0, None);
}

async fn registry_histories_are_append_only_and_attributes_keep_the_latest(store: Store) {
    let (a, b) = (donor(1), donor(2));
    let at = store::now();
    let result = |attribute: &str, value: &str, minutes: i64| store::AttributeResultRow {
        id: Uuid::now_v7(),
        donor_id: a.id,
        attribute: attribute.into(),
        value: value.into(),
        determined_on: at.date_naive(),
        source: "lab".into(),
        din: None,
        entered_by: "lab".into(),
        entered_at: at + Duration::minutes(minutes),
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_donor(&a).await.unwrap();
    tx.insert_donor(&b).await.unwrap();
    tx.insert_donor_version(&store::DonorVersionRow {
        donor_id: a.id,
        version: 1,
        recorded_at: at,
        recorded_by: "x".into(),
        reason: "as registered".into(),
        snapshot: "{}".into(),
    })
    .await
    .unwrap();
    tx.insert_merge(&store::MergeRow { duplicate_id: b.id, survivor_id: a.id, merged_at: at, merged_by: "q".into(), reason: "same".into() })
        .await
        .unwrap();
    tx.insert_determinations(&[store::DeterminationRow {
        id: Uuid::now_v7(),
        donor_id: a.id,
        group: store::Group(domain::BloodGroup::parse("O-").unwrap()),
        determined_on: at.date_naive(),
        source: "lab".into(),
        din: None,
        entered_by: "lab".into(),
        entered_at: at,
    }])
    .await
    .unwrap();
    tx.insert_resolution(&store::ResolutionRow {
        id: Uuid::now_v7(),
        donor_id: a.id,
        group: store::Group(domain::BloodGroup::parse("O-").unwrap()),
        reason: "r".into(),
        resolved_by: "q".into(),
        resolved_at: at,
    })
    .await
    .unwrap();
    // Two results for CMV in one batch: the later one is current.
    tx.insert_attribute_results(&[result("cmv", "positive", 0), result("antigen:K", "-", 0), result("cmv", "negative", 1)]).await.unwrap();
    tx.commit().await.unwrap();
    let q = store::RareQuery { attributes: vec![("cmv".into(), "negative".into())], ..Default::default() };
    assert_eq!(store.rare_donors(&q, 10).await.unwrap().len(), 1);
    let q = store::RareQuery { attributes: vec![("cmv".into(), "positive".into())], ..Default::default() };
    assert!(store.rare_donors(&q, 10).await.unwrap().is_empty());
    assert_eq!(store.attribute_results_of(&[a.id]).await.unwrap().len(), 3);
    for sql in [
        "UPDATE donor_versions SET reason = 'forged'",
        "DELETE FROM donor_versions",
        "DELETE FROM donor_merges",
        "UPDATE donor_merges SET reason = 'x'",
        "UPDATE blood_group_determinations SET abo = 'A'",
        "DELETE FROM blood_group_determinations",
        "DELETE FROM blood_group_resolutions",
        "UPDATE donor_attribute_results SET value = '+'",
        "DELETE FROM donor_attribute_results",
    ] {
        let e = store.execute_raw_for_tests(sql).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
}

async fn donations_are_append_only_and_a_collected_one_needs_a_visit(store: Store) {
    let d = donor(1);
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_donor(&d).await.unwrap();
    let donation = store::DonationRow {
        id: Uuid::now_v7(),
        donor_id: d.id,
        din: Some("A999826000001".into()),
        procedure: domain::DonationProcedure::WholeBlood,
        site_id: None,
        collected_at: store::now(),
    };
    tx.insert_imported_donation(&donation).await.unwrap();
    let deferral = store::DeferralRow::entered(
        d.id,
        domain::eligibility::DeferralKind::Permanent,
        "CJD_RISK",
        "x",
        store::now().date_naive(),
        None,
        store::now(),
        "quality",
    );
    tx.insert_deferral(&deferral).await.unwrap();
    tx.insert_deferral_correction(deferral.id, store::now(), "quality", "wrong donor").await.unwrap();
    tx.commit().await.unwrap();
    // A donation collected here without a screening visit is refused by the schema itself.
    let e = store
        .execute_raw_for_tests(&format!(
            "INSERT INTO donations (id, donor_id, procedure, collected_at, origin) VALUES ('{}', '{}', 'whole_blood', '2026-01-01T00:00:00Z', 'collected')",
            Uuid::now_v7(),
            d.id
        ))
        .await
        .unwrap_err();
    assert!(e.to_string().to_lowercase().contains("check"), "{e}");
    for sql in [
        "UPDATE donations SET procedure = 'plasma'",
        "DELETE FROM donations",
        "UPDATE donor_deferral_corrections SET reason = 'x'",
        "DELETE FROM donor_deferral_corrections",
    ] {
        let e = store.execute_raw_for_tests(sql).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
    let mut tx = store.begin_write().await.unwrap();
    let back = tx.deferral(deferral.id).await.unwrap().unwrap();
    assert!(!back.in_force());
    assert_eq!(back.correction_reason.as_deref(), Some("wrong donor"));
    assert_eq!(store.donations_of(d.id).await.unwrap(), vec![donation]);
}
