//! Donor searches through indexes, the time bound of interactive reads, and donor
//! numbers from the sequence, on both back ends.

use app::donors::{donor_query, NewDonorInput};
use app::registry::{AttributesInput, DonorPatch, MergeInput};
use app::{Actor, App, AppError};
use store::{DonorQuery, RareQuery, StoreError};

both_backends!(
    names_are_found_by_prefix_whatever_the_case_and_accents,
    phones_are_found_by_their_last_digits_in_any_formatting,
    emails_are_found_whole_in_any_case,
    an_edit_moves_the_donor_to_the_new_name,
    every_search_reads_an_index_not_every_donor,
    a_slow_search_is_stopped_and_the_connection_works_afterwards,
    donors_recorded_before_the_keys_get_them_at_migration,
    imported_numbers_do_not_break_registration,
    registration_finds_duplicates_by_folded_name_email_and_phone,
    rare_search_gives_each_hit_its_family_history,
);

fn op() -> Actor {
    Actor::operator()
}

const DONORS: &str = "donor_number,first_name,last_name,birth_date,sex,blood_group,email,phone\n\
    D0000001,Anna,Müller,1980-01-02,F,O-,Anna.Mueller@Example.org,+1 (217) 555-0101\n\
    D0000002,Jörg,Muller,1975-03-04,M,A+,,217.555.0199\n\
    D0000003,Ángel,Núñez,1990-05-06,M,O-,angel@example.org,(312) 555 7788\n\
    D0000004,Mary,O'Brien,1985-07-08,F,B+,,3125557789\n\
    D0000005,Muriel,Smith-Jones,1970-09-10,F,AB-,,\n\
    D0000006,Sean,de la Cruz,1966-11-12,M,O+,sean@example.org,\n";

async fn with_donors(app: &App) {
    let r = app.import_donors(&op(), "donors.csv", DONORS.as_bytes(), app.today(), |_, _| {}).await.unwrap();
    assert_eq!(r.accepted, 6, "{:?}", r.rejected);
}

async fn numbers(app: &App, q: &str) -> Vec<String> {
    app.search_donors(&op(), q).await.unwrap_or_else(|e| panic!("{q}: {e}")).into_iter().map(|d| d.donor_number).collect()
}

async fn names_are_found_by_prefix_whatever_the_case_and_accents(app: App) {
    with_donors(&app).await;
    // Last name prefix, any case, with or without the accent; by last, then first name.
    assert_eq!(numbers(&app, "mul").await, ["D0000001", "D0000002"]);
    assert_eq!(numbers(&app, "MÜL").await, ["D0000001", "D0000002"]);
    assert_eq!(numbers(&app, "Müller, Anna").await, ["D0000001"]);
    assert_eq!(numbers(&app, "muller, j").await, ["D0000002"]);
    assert_eq!(numbers(&app, "anna mül").await, ["D0000001"]);
    assert_eq!(numbers(&app, "Jorg").await, ["D0000002"], "a first name starts a search too");
    assert_eq!(numbers(&app, "mu").await, ["D0000001", "D0000002", "D0000005"], "Muriel Smith-Jones by her first name");
    for q in ["obrien", "O'Brien", "o'bri", "mary obr"] {
        assert_eq!(numbers(&app, q).await, ["D0000004"], "{q}");
    }
    for q in ["smith jones", "Smith-Jones, Muriel", "muriel smith"] {
        assert_eq!(numbers(&app, q).await, ["D0000005"], "{q}");
    }
    for q in ["de la cruz", "De La Cruz, Sean", "sean de la"] {
        assert_eq!(numbers(&app, q).await, ["D0000006"], "{q}");
    }
    assert_eq!(numbers(&app, "nunez angel").await, ["D0000003"]);
    assert!(numbers(&app, "anna muller x").await.is_empty());
    assert!(numbers(&app, "ller").await.is_empty(), "a search matches the start of a name, not its middle");
}

async fn phones_are_found_by_their_last_digits_in_any_formatting(app: App) {
    with_donors(&app).await;
    assert_eq!(numbers(&app, "2175550101").await, ["D0000001"]);
    assert_eq!(numbers(&app, "+1 217-555-0101").await, ["D0000001"]);
    assert_eq!(numbers(&app, "(217) 555 0199").await, ["D0000002"]);
    assert_eq!(numbers(&app, "0101").await, ["D0000001"]);
    assert_eq!(numbers(&app, "555-7789").await, ["D0000004"]);
    assert_eq!(numbers(&app, "5557788").await, ["D0000003"]);
    assert!(numbers(&app, "9999999").await.is_empty());
    let short = app.search_donors(&op(), "101").await.unwrap_err();
    assert!(matches!(short, AppError::Invalid(_)), "{short}");
}

async fn emails_are_found_whole_in_any_case(app: App) {
    with_donors(&app).await;
    assert_eq!(numbers(&app, "anna.mueller@example.ORG").await, ["D0000001"]);
    assert_eq!(numbers(&app, " SEAN@example.org ").await, ["D0000006"]);
    assert!(numbers(&app, "anna@example.org").await.is_empty(), "an email is matched whole, not as a part");
}

async fn an_edit_moves_the_donor_to_the_new_name(app: App) {
    with_donors(&app).await;
    let patch =
        DonorPatch { last_name: Some("Łukasiewicz".into()), phone: Some("+44 20 7946 0958".into()), reason: "married".into(), ..Default::default() };
    app.edit_donor(&op(), "D0000005", &patch).await.unwrap();
    assert_eq!(numbers(&app, "lukas").await, ["D0000005"]);
    assert_eq!(numbers(&app, "muriel lukasiewicz").await, ["D0000005"]);
    assert!(numbers(&app, "smith").await.is_empty(), "the old name no longer finds her");
    assert_eq!(numbers(&app, "7946 0958").await, ["D0000005"]);
}

async fn every_search_reads_an_index_not_every_donor(app: App) {
    with_donors(&app).await;
    let store = &app.store;
    let queries = [
        donor_query("D0000001").unwrap(),
        donor_query("A999826000123").unwrap(),
        donor_query("mul").unwrap(),
        donor_query("Müller, Anna").unwrap(),
        donor_query("Anna Müller").unwrap(),
        donor_query("217 555 0101").unwrap(),
        donor_query("0101").unwrap(),
        donor_query("anna@example.org").unwrap(),
    ];
    let mut plans = Vec::new();
    for q in &queries {
        plans.extend(store.donor_search_plans(q).await.unwrap());
    }
    plans.extend(store.duplicate_check_plans(chrono::NaiveDate::from_ymd_opt(1980, 1, 2).unwrap(), "a@b.org", "2175550101").await.unwrap());
    for rq in [
        RareQuery { abo: Some("O".into()), rhd: Some("neg".into()), ..Default::default() },
        RareQuery { attributes: vec![("antigen:K".into(), "-".into()), ("cmv".into(), "negative".into())], ..Default::default() },
        RareQuery { abo: Some("O".into()), hla: Some("A*02:01".into()), ..Default::default() },
    ] {
        plans.extend(store.rare_donor_plans(&rq).await.unwrap());
    }
    assert!(plans.len() >= 12);
    for p in &plans {
        eprintln!("{}\n  {}", p.sql, p.lines.join("\n  "));
        assert!(!p.lines.is_empty(), "no plan for {}", p.sql);
        if let Some(line) = p.full_scan_of_donors() {
            panic!("a search reads every donor ({line}):\n{}\n{}", p.sql, p.lines.join("\n"));
        }
    }
    // The check itself finds a scan where there is one.
    let scan = store.plans_for_tests("SELECT id FROM donors WHERE lower(last_name) LIKE 'mul%'").await.unwrap();
    assert!(scan.full_scan_of_donors().is_some(), "{:?}", scan.lines);
    assert!(matches!(donor_query("mul").unwrap(), DonorQuery::Name(k) if k == "mul"));
}

async fn a_slow_search_is_stopped_and_the_connection_works_afterwards(app: App) {
    with_donors(&app).await;
    let store = app.store.clone().with_read_limit(std::time::Duration::from_millis(300));
    let slow = match store.backend() {
        store::Backend::Postgres => "SELECT 1::BIGINT FROM pg_sleep(3)",
        store::Backend::Sqlite => "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) SELECT COUNT(*) FROM n",
    };
    let started = std::time::Instant::now();
    let e = store.bounded_scalar_for_tests(slow).await.unwrap_err();
    assert!(matches!(e, StoreError::TooSlow(_)), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "stopped at the bound, not at the end");
    let e: AppError = e.into();
    assert!(matches!(&e, AppError::Unavailable(m) if m.contains("narrow it")), "{e}");
    // Every pooled connection still answers quick searches (the bound is disarmed).
    for _ in 0..12 {
        assert_eq!(store.bounded_scalar_for_tests("SELECT CAST(7 AS BIGINT)").await.unwrap(), 7);
        assert_eq!(store.search_donors(&donor_query("mul").unwrap(), 10).await.unwrap().len(), 2);
    }
}

async fn donors_recorded_before_the_keys_get_them_at_migration(app: App) {
    with_donors(&app).await;
    // As a database migrated from before the keys existed would hold them.
    app.store.execute_raw_for_tests("UPDATE donors SET search_lf = NULL, search_fl = NULL, phone_rev = NULL, email_key = NULL").await.unwrap();
    assert!(numbers(&app, "mul").await.is_empty());
    app.store.migrate().await.unwrap();
    assert_eq!(numbers(&app, "mul").await.len(), 2);
    assert_eq!(numbers(&app, "ANGEL@example.org").await, ["D0000003"]);
    assert_eq!(numbers(&app, "0101").await, ["D0000001"]);
}

async fn imported_numbers_do_not_break_registration(app: App) {
    let csv = "donor_number,first_name,last_name,birth_date,sex\nDA0001,Old,Series,1970-01-01,F\nD0000099,High,Number,1971-01-01,M\n";
    let r = app.import_donors(&op(), "old.csv", csv.as_bytes(), app.today(), |_, _| {}).await.unwrap();
    assert_eq!(r.accepted, 2);
    let mut got = vec!["DA0001".to_string(), "D0000099".to_string()];
    for i in 0..3 {
        let input = NewDonorInput {
            first_name: format!("New{i}"),
            last_name: format!("Person{i}"),
            birth_date: format!("1990-02-{:02}", i + 1),
            sex: "F".into(),
            ..Default::default()
        };
        got.push(app.register_donor(&op(), &input).await.map_err(|e| e.to_string()).unwrap().donor_number);
    }
    assert_eq!(&got[2..], ["D0000100", "D0000101", "D0000102"]);
    // A number taken by other means (not through the sequence) is skipped, not reused.
    app.store
        .execute_raw_for_tests(&format!(
            "INSERT INTO donors (id, donor_number, first_name, last_name, birth_date, sex, created_at) \
             VALUES ({}, 'D0000103', 'Side', 'Door', '1960-01-01', 'M', '2026-01-01T00:00:00Z')",
            match app.store.backend() {
                store::Backend::Sqlite => "randomblob(16)".to_string(),
                store::Backend::Postgres => format!("'{}'", uuid::Uuid::now_v7()),
            }
        ))
        .await
        .unwrap();
    let input =
        NewDonorInput { first_name: "Next".into(), last_name: "One".into(), birth_date: "1991-03-03".into(), sex: "M".into(), ..Default::default() };
    assert_eq!(app.register_donor(&op(), &input).await.map_err(|e| e.to_string()).unwrap().donor_number, "D0000104");
}

async fn registration_finds_duplicates_by_folded_name_email_and_phone(app: App) {
    with_donors(&app).await;
    let refused = |r: Result<app::donors::DonorSummary, app::donors::RegisterError>| match r {
        Err(app::donors::RegisterError::PossibleDuplicates(d)) => d.0.into_iter().map(|x| x.donor_number).collect::<Vec<_>>(),
        other => panic!("expected possible duplicates, got {other:?}"),
    };
    let same_name = NewDonorInput {
        first_name: "ANNA".into(),
        last_name: "Mueller".into(),
        birth_date: "1980-01-02".into(),
        sex: "F".into(),
        ..Default::default()
    };
    // "Mueller" is not "Müller" folded ("muller"); the birth date alone is not enough.
    assert!(app.register_donor(&op(), &same_name).await.is_ok());
    let accented = NewDonorInput {
        first_name: "Angel".into(),
        last_name: "NUNEZ".into(),
        birth_date: "1990-05-06".into(),
        sex: "M".into(),
        ..Default::default()
    };
    assert_eq!(refused(app.register_donor(&op(), &accented).await), ["D0000003"]);
    let by_email = NewDonorInput {
        first_name: "Someone".into(),
        last_name: "Else".into(),
        birth_date: "2000-01-01".into(),
        sex: "F".into(),
        email: "SEAN@EXAMPLE.ORG".into(),
        ..Default::default()
    };
    assert_eq!(refused(app.register_donor(&op(), &by_email).await), ["D0000006"]);
    let by_phone = NewDonorInput {
        first_name: "Other".into(),
        last_name: "Person".into(),
        birth_date: "2001-01-01".into(),
        sex: "M".into(),
        phone: "312-555-7788".into(),
        ..Default::default()
    };
    assert_eq!(refused(app.register_donor(&op(), &by_phone).await), ["D0000003"]);
}

async fn rare_search_gives_each_hit_its_family_history(app: App) {
    with_donors(&app).await;
    let k_neg = AttributesInput { antigens: Some("K-".into()), cmv: Some("negative".into()), ..Default::default() };
    // The duplicate record holds the typing; the survivor is found through it.
    app.record_attributes(&op(), "D0000003", &k_neg).await.unwrap();
    app.merge_donors(&op(), "D0000001", &MergeInput { duplicate: "D0000003".into(), reason: "same person".into(), confirm_different_details: true })
        .await
        .unwrap();
    app.record_attributes(&op(), "D0000004", &AttributesInput { antigens: Some("K-".into()), ..Default::default() }).await.unwrap();
    let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    let hits = app.rare_donors(&op(), &pairs(&[("antigens", "K-")])).await.unwrap();
    let found: Vec<&str> = hits.iter().map(|h| h.donor.donor_number.as_str()).collect();
    assert_eq!(found, ["D0000001", "D0000004"]);
    assert_eq!(hits[0].attributes.cmv.as_deref(), Some("negative"));
    assert_eq!(hits[0].attributes.history.iter().filter(|h| h.donor_number == "D0000003").count(), 2);
    assert_eq!(hits[0].donor.blood_group.as_deref(), Some("O-"));
    assert!(hits[1].attributes.cmv.is_none());
    for h in &hits {
        let profile = app.donor_profile(&op(), &h.donor.donor_number).await.unwrap();
        assert_eq!(h.attributes, profile.attributes);
        assert_eq!(h.blood_group_status, profile.blood_group.status);
        let wb = profile.outlook.iter().find(|o| o.procedure == domain::DonationProcedure::WholeBlood).unwrap();
        assert_eq!(h.next_whole_blood, wb.next_eligible_date);
    }
    let both = app.rare_donors(&op(), &pairs(&[("antigens", "K-"), ("cmv", "negative")])).await.unwrap();
    assert_eq!(both.iter().map(|h| h.donor.donor_number.as_str()).collect::<Vec<_>>(), ["D0000001"]);
    let o_neg = app.rare_donors(&op(), &pairs(&[("abo", "O"), ("rhd", "neg")])).await.unwrap();
    assert_eq!(o_neg.iter().map(|h| h.donor.donor_number.as_str()).collect::<Vec<_>>(), ["D0000001"], "the merged-away record is not a hit");
}
