//! The `hemaflow` binary as an operator uses it.

use std::path::Path;
use std::process::{Command, Output};

fn hemaflow(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hemaflow"))
        .current_dir(dir)
        .env_remove("HEMAFLOW_DATABASE_URL")
        .env_remove("HEMAFLOW_CONFIG")
        .args(args)
        .output()
        .expect("run hemaflow")
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    assert!(!o.status.success(), "should have failed: {}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs SQL straight against the file, as someone with disk access could.
fn tamper(db: &Path, sql: &str) {
    let url = format!("sqlite://{}", db.display());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = store::Store::connect(&url).await.unwrap();
        for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            store.execute_raw_for_tests(stmt).await.unwrap();
        }
        store.close().await;
    });
}

#[test]
fn audit_verify_catches_an_edited_row_and_a_deleted_row() {
    for (case, sql, broken_seq) in [
        ("edit", "DROP TRIGGER audit_records_no_update; UPDATE audit_records SET actor = 'mallory' WHERE seq = 7", 7),
        ("delete", "DROP TRIGGER audit_records_no_delete; DELETE FROM audit_records WHERE seq = 12", 12),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = ok(&hemaflow(dir.path(), &["demo", "--demo-donors", "3"]));
        assert!(out.contains("demo centre ready"), "{out}");
        assert!(dir.path().join("hemaflow.db").exists(), "default database is hemaflow.db in the working directory");
        let out = ok(&hemaflow(dir.path(), &["audit", "verify"]));
        assert!(out.contains("audit chain intact"), "{out}");

        tamper(&dir.path().join("hemaflow.db"), sql);
        let o = hemaflow(dir.path(), &["audit", "verify"]);
        let msg = err(&o);
        assert!(msg.contains(&format!("record {broken_seq}")), "{case}: {msg}");
    }
}

#[test]
fn audit_verify_catches_a_row_cut_from_the_end() {
    let dir = tempfile::tempdir().unwrap();
    ok(&hemaflow(dir.path(), &["demo", "--demo-donors", "2"]));
    tamper(
        &dir.path().join("hemaflow.db"),
        "DROP TRIGGER audit_records_no_delete; DELETE FROM audit_records WHERE seq = (SELECT MAX(seq) FROM audit_records)",
    );
    let msg = err(&hemaflow(dir.path(), &["audit", "verify"]));
    assert!(msg.contains("chain head"), "{msg}");
}

#[test]
fn user_add_token_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&hemaflow(dir.path(), &["user", "add", "boss", "--role", "admin", "--role", "quality"]));
    assert!(out.contains("created user boss (admin,quality)"), "{out}");
    assert!(out.contains("password: "), "a generated password is printed");
    let msg = err(&hemaflow(dir.path(), &["user", "add", "boss", "--role", "lab"]));
    assert!(msg.contains("already taken"), "{msg}");
    let msg = err(&hemaflow(dir.path(), &["user", "add", "newbie", "--role", "wizard"]));
    assert!(msg.contains("unknown role 'wizard'"), "{msg}");
    let msg = err(&hemaflow(dir.path(), &["user", "add", "portal", "--role", "hospital"]));
    assert!(msg.contains("hospital"), "{msg}");

    let out = ok(&hemaflow(dir.path(), &["user", "token", "create", "boss", "--name", "LIS", "--expires-days", "30"]));
    let secret = out.lines().last().unwrap();
    assert!(secret.starts_with("hft_"), "{out}");
    let id = out.split_whitespace().nth(1).unwrap().to_string();
    let list = ok(&hemaflow(dir.path(), &["user", "token", "list"]));
    assert!(list.contains("LIS") && list.contains("active") && !list.contains(secret));
    ok(&hemaflow(dir.path(), &["user", "token", "revoke", &id, "--reason", "rotated"]));
    assert!(ok(&hemaflow(dir.path(), &["user", "token", "list"])).contains("revoked"));
    let msg = err(&hemaflow(dir.path(), &["user", "token", "revoke", &id]));
    assert!(msg.contains("already revoked"), "{msg}");
    let msg = err(&hemaflow(dir.path(), &["user", "token", "revoke", "nope"]));
    assert!(msg.contains("not a token id"), "{msg}");

    let users = ok(&hemaflow(dir.path(), &["user", "list"]));
    assert!(users.contains("boss"));
    ok(&hemaflow(dir.path(), &["user", "deactivate", "boss", "--reason", "left the company"]));
    assert!(ok(&hemaflow(dir.path(), &["user", "list"])).contains("deactivated"));
    assert!(ok(&hemaflow(dir.path(), &["audit", "verify"])).contains("intact"));
}

#[test]
fn config_file_supplies_settings_and_rejects_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hemaflow.toml"), "database = \"sqlite://from-config.db\"\n").unwrap();
    let out = ok(&hemaflow(dir.path(), &["--config", "hemaflow.toml", "migrate"]));
    assert!(out.contains("migration(s) applied"), "{out}");
    assert!(dir.path().join("from-config.db").exists());
    // A flag beats the file.
    ok(&hemaflow(dir.path(), &["--config", "hemaflow.toml", "--database", "sqlite://flag.db", "migrate"]));
    assert!(dir.path().join("flag.db").exists());

    std::fs::write(dir.path().join("bad.toml"), "databse = \"x\"\n").unwrap();
    let msg = err(&hemaflow(dir.path(), &["--config", "bad.toml", "migrate"]));
    assert!(msg.contains("unknown setting 'databse'"), "{msg}");
    let msg = err(&hemaflow(dir.path(), &["--config", "missing.toml", "migrate"]));
    assert!(msg.contains("missing.toml"), "{msg}");
}

#[test]
fn bad_database_url_is_a_clear_error_with_the_password_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let msg = err(&hemaflow(dir.path(), &["--database", "mysql://root:hunter2@db/x", "migrate"]));
    assert!(msg.contains("sqlite://") && !msg.contains("hunter2"), "{msg}");
}

#[test]
fn demo_refuses_a_database_with_data() {
    let dir = tempfile::tempdir().unwrap();
    ok(&hemaflow(dir.path(), &["demo", "--demo-donors", "2"]));
    let msg = err(&hemaflow(dir.path(), &["demo", "--demo-donors", "2"]));
    assert!(msg.contains("already holds data"), "{msg}");
}

#[test]
fn isbt_check_char_din_and_decode() {
    let dir = tempfile::tempdir().unwrap();
    for (din, k) in [("A999917123456", "9"), ("W000009123456", "G"), ("A999917345628", "*"), ("A999918000001", "8")] {
        assert_eq!(ok(&hemaflow(dir.path(), &["isbt", "check-char", din])).trim(), k, "{din}");
    }
    let msg = err(&hemaflow(dir.path(), &["isbt", "check-char", "O99991712345"]));
    assert!(msg.contains("13 characters"), "{msg}");

    let out = ok(&hemaflow(dir.path(), &["isbt", "din", "--fin", "A9999", "--year", "2026", "--seq", "123456"]));
    assert_eq!(out, "=A99992612345600\nA9999 26 123456 [T]\n");
    let msg = err(&hemaflow(dir.path(), &["isbt", "din", "--fin", "A9999", "--year", "2026", "--seq", "1234567"]));
    assert!(!msg.is_empty());

    let out = ok(&hemaflow(dir.path(), &["isbt", "decode", "]C4=A99992612345600=%5100", "=<E0398V00&>0263652359"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["structure"], "001");
    assert_eq!(items[0]["data"], "=A99992612345600");
    assert_eq!(items[0]["din"], "A999926123456");
    assert_eq!(items[0]["fin"], "A9999");
    assert_eq!(items[0]["year"], 2026);
    assert_eq!(items[0]["sequence"], 123456);
    assert_eq!(items[0]["flags"], "00");
    assert_eq!(items[0]["check_character"], "T");
    assert_eq!((items[1]["abo"].as_str(), items[1]["rhd"].as_str()), (Some("O"), Some("pos")));
    assert_eq!(items[2]["product_code"], "E0398");
    assert_eq!(items[2]["donation_type"], "V");
    assert_eq!(items[2]["division"], "00");
    assert_eq!(items[3]["expires_at"], "2026-12-31T23:59");

    for (bad, needle) in [
        ("=a99992612345600", "lower-case"),
        ("&>0253662359", "day 366"),
        ("&>0253652559", "25"),
        ("=%ZZ00", "blood group"),
        ("=!123", "data identifier"),
    ] {
        let msg = err(&hemaflow(dir.path(), &["isbt", "decode", bad]));
        assert!(msg.to_lowercase().contains(&needle.to_lowercase()), "{bad}: {msg}");
    }
}

fn hemaflow_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hemaflow"))
        .current_dir(dir)
        .env_remove("HEMAFLOW_DATABASE_URL")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn rules_eligibility_decides_and_refuses_bad_cases() {
    let dir = tempfile::tempdir().unwrap();
    let case = r#"{"date":"2026-11-25","procedure":"double_red_cells","donor":{"sex":"M","birth_date":"1980-01-01","weight_kg":80,"height_cm":178},"screening":{"hemoglobin_g_dl":14.0,"pulse_bpm":66,"bp_systolic":120,"bp_diastolic":78,"temperature_c":36.7},"history":[{"procedure":"double_red_cells","date":"2026-09-01"}],"medications":[],"events":[],"deferrals":[]}"#;
    let out = ok(&hemaflow_stdin(dir.path(), &["rules", "eligibility"], case));
    let d: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["eligible"], false);
    assert_eq!(d["next_eligible_date"], "2026-12-22", "16 weeks after 2026-09-01");
    let msg = err(&hemaflow_stdin(
        dir.path(),
        &["rules", "eligibility"],
        &case.replace("\"procedure\":\"double_red_cells\",\"donor\"", "\"procedure\":\"granulocytes\",\"donor\""),
    ));
    assert!(msg.contains("granulocytes"), "{msg}");
    let msg = err(&hemaflow_stdin(dir.path(), &["rules", "eligibility"], &case.replace("\"weight_kg\":80", "\"weight_kg\":3")));
    assert!(msg.contains("weight"), "{msg}");
    let report = ok(&hemaflow(dir.path(), &["rules", "report", "--out", "evidence"]));
    assert!(!report.is_empty() || dir.path().join("evidence/eligibility-rules.md").exists());
    let md = std::fs::read_to_string(dir.path().join("evidence/eligibility-rules.md")).unwrap();
    assert!(md.contains("630.10(f)(1)"));
}

#[test]
fn rules_dating_answers_and_refuses_bad_cases() {
    let dir = tempfile::tempdir().unwrap();
    let case = r#"{"component": "red_cells", "anticoagulant": "AS-1", "collected_at": "2026-03-02T10:00:00-06:00",
        "modifications": [{"kind": "irradiated", "at": "2026-03-03T09:00:00-06:00"}]}"#;
    let d: serde_json::Value = serde_json::from_str(&ok(&hemaflow_stdin(dir.path(), &["rules", "dating"], case))).unwrap();
    assert_eq!((d["expires_at"].as_str(), d["rule"].as_str()), (Some("2026-03-31T23:59:00-06:00"), Some("RBC_IRRADIATED")), "{d}");
    let plain =
        r#"{"component": "platelets", "anticoagulant": "ACD-A", "collected_at": "2026-03-02T10:00:00+01:00", "bacterial_control": "lvds_48h"}"#;
    let d: serde_json::Value = serde_json::from_str(&ok(&hemaflow_stdin(dir.path(), &["rules", "dating"], plain))).unwrap();
    assert_eq!(d["expires_at"], "2026-03-09T23:59:00+01:00", "the answer keeps the offset given");
    for (bad, field) in [
        (case.replace(r#""AS-1""#, r#""AS-9""#), "anticoagulant"),
        (case.replace(r#""component""#, r#""colour": 1, "component""#), "colour"),
        (case.replace("2026-03-03T09:00:00-06:00", "2026-03-01T09:00:00-06:00"), "modifications[0].at"),
    ] {
        let msg = err(&hemaflow_stdin(dir.path(), &["rules", "dating"], &bad));
        assert!(msg.contains(field), "{field}: {msg}");
    }
    let report = ok(&hemaflow(dir.path(), &["rules", "dating-report"]));
    assert!(report.contains("610.53(c)") && report.contains("PROVED"), "{report}");
}

#[test]
fn rules_compatible_answers_and_refuses_bad_cases() {
    let dir = tempfile::tempdir().unwrap();
    let case = |component: &str, donor: &str, recipient: &str| {
        let g = |x: &str| {
            let (abo, rhd) = x.split_at(x.len() - 1);
            format!(r#"{{"abo": "{abo}", "rhd": "{}"}}"#, if rhd == "+" { "pos" } else { "neg" })
        };
        format!(r#"{{"component": "{component}", "donor": {}, "recipient": {}}}"#, g(donor), g(recipient))
    };
    for (component, donor, recipient, expected) in [
        ("red_cells", "O-", "AB+", true),
        ("red_cells", "A+", "O+", false),
        ("red_cells", "O+", "O-", false),
        ("plasma", "AB+", "O-", true),
        ("plasma", "O+", "A+", false),
        ("whole_blood", "A+", "AB+", false),
        ("platelets", "O+", "A+", true),
        ("cryo", "B-", "A+", true),
    ] {
        let out = ok(&hemaflow_stdin(dir.path(), &["rules", "compatible"], &case(component, donor, recipient)));
        let d: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(d["compatible"], expected, "{component} {donor} -> {recipient}: {d}");
        assert!(!d["reason"].as_str().unwrap().is_empty());
    }
    for (bad, field) in [
        (case("red_cells", "O-", "A+").replace(r#""abo": "O""#, r#""abo": "0""#), "donor.abo"),
        (case("granulocytes", "O-", "A+"), "component"),
        (case("cryo", "O-", "A+").replace(r#""component""#, r#""age": 3, "component""#), "age"),
        (case("red_cells", "O-", "A+").replace(r#""rhd": "pos""#, r#""rhd": "positive""#), "recipient.rhd"),
    ] {
        let msg = err(&hemaflow_stdin(dir.path(), &["rules", "compatible"], &bad));
        assert!(msg.contains(field), "{field}: {msg}");
    }
}

#[test]
fn rules_apheresis_plans_a_worked_example_and_refuses_impossible_patients() {
    let dir = tempfile::tempdir().unwrap();
    let man = r#"{"sex": "M", "height_cm": 180, "weight_kg": 80, "hematocrit": 0.45, "plasma_volumes": 1.5}"#;
    let p: serde_json::Value = serde_json::from_str(&ok(&hemaflow_stdin(dir.path(), &["rules", "apheresis"], man))).unwrap();
    // Nadler: 0.3669 × 1.8³ + 0.03219 × 80 + 0.6041 = 5.319 L; PV 5319 × 0.55; 1.5 PV.
    assert_eq!(p["total_blood_volume_ml"], 5319.0, "{p}");
    assert_eq!(p["plasma_volume_ml"], 2925.0);
    assert_eq!(p["exchange_volume_ml"], 4388.0);
    assert_eq!(p["fraction_removed"], 0.7769);
    for (bad, field) in [
        (man.replace("180", "1.8"), "height_cm"),
        (man.replace("0.45", "45"), "as a fraction"),
        (man.replace(r#""M""#, r#""male""#), "sex"),
        (man.replace("1.5}", "0}"), "plasma_volumes"),
        (man.replace(r#""sex""#, r#""age": 40, "sex""#), "age"),
    ] {
        let msg = err(&hemaflow_stdin(dir.path(), &["rules", "apheresis"], &bad));
        assert!(msg.contains(field), "{field}: {msg}");
    }
}

#[test]
fn rules_use_the_versions_stored_by_quality_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("h.db").display());
    let today = chrono::Utc::now().date_naive();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let app = app::App::new(store::Store::open(&url).await.unwrap(), app::Settings::default());
        let v1 = domain::eligibility::RuleBook::defaults().versions()[0].clone();
        let body = serde_json::to_string(&v1.draft_successor("2", today)).unwrap();
        app.add_rule_version(&app::Actor::operator(), &body, "annual review").await.unwrap();
        app.store.close().await;
    });
    let case = format!(
        r#"{{"date":"{today}","procedure":"whole_blood","donor":{{"sex":"M","birth_date":"1980-01-01","weight_kg":80}},"screening":{{"hemoglobin_g_dl":14.0,"pulse_bpm":66,"bp_systolic":120,"bp_diastolic":78,"temperature_c":36.7}}}}"#
    );
    let version = |args: &[&str]| {
        let d: serde_json::Value = serde_json::from_str(&ok(&hemaflow_stdin(dir.path(), args, &case))).unwrap();
        d["rule_version"].as_str().unwrap().to_string()
    };
    assert_eq!(version(&["--database", &url, "rules", "eligibility"]), "1");
    assert_eq!(version(&["--database", &url, "rules", "eligibility", "--stored"]), "2");
    let out = hemaflow(dir.path(), &["--database", &url, "rules", "report", "--stored"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("eligibility rules 2"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn import_reports_rejected_rows_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("donors.csv"),
        "donor_number,first_name,last_name,birth_date,sex\nD2000001,Al,Bo,1970-01-01,M\nD2000002,Cy,,1970-01-01,Q\n",
    )
    .unwrap();
    let o = hemaflow(dir.path(), &["import", "donors", "donors.csv"]);
    let msg = err(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("imported 1 donors"));
    assert!(msg.contains("line 3"), "{msg}");
    let rejects = std::fs::read_to_string(dir.path().join("donors.csv.rejected.csv")).unwrap();
    assert!(rejects.starts_with("line,reasons\n3,"), "{rejects}");
    std::fs::write(dir.path().join("donations.csv"), "donor_number,procedure,collected_on\nD2000001,whole_blood,2025-06-01\n").unwrap();
    assert!(ok(&hemaflow(dir.path(), &["import", "donations", "donations.csv"])).contains("imported 1 donations"));
    assert!(ok(&hemaflow(dir.path(), &["audit", "verify"])).contains("intact"));
}

#[test]
fn recruit_scores_prints_csv_from_history_before_as_of() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("r.db").display());
    let mut donors = String::from("donor_number,first_name,last_name,birth_date,sex\n");
    let mut donations = String::from("donor_number,procedure,collected_on\n");
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    for i in 1..=60 {
        donors.push_str(&format!("D{i:07},Name{i},Last{i},1980-01-01,{}\n", if i % 2 == 0 { "F" } else { "M" }));
        // Every third donor gives every 70 days; the others gave once, long ago.
        let gaps: Vec<i64> = if i % 3 == 0 { vec![20, 90, 160, 230, 300] } else { vec![400 + i] };
        for g in gaps {
            donations.push_str(&format!("D{i:07},whole_blood,{}\n", as_of - chrono::Duration::days(g)));
        }
    }
    std::fs::write(dir.path().join("donors.csv"), donors).unwrap();
    std::fs::write(dir.path().join("donations.csv"), &donations).unwrap();
    ok(&hemaflow(dir.path(), &["--database", &db, "import", "donors", "donors.csv"]));
    ok(&hemaflow(dir.path(), &["--database", &db, "import", "donations", "donations.csv"]));
    let run = hemaflow(dir.path(), &["--database", &db, "recruit", "scores", "--as-of", "2026-06-01"]);
    let out = ok(&run);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "donor_number,score");
    assert_eq!(lines.len(), 61);
    assert_eq!(lines[1].split(',').next(), Some("D0000001"));
    for l in &lines[1..] {
        let score = l.split(',').nth(1).unwrap();
        assert_eq!(score.split('.').nth(1).map(str::len), Some(4), "{l}");
        assert!((0.0..=1.0).contains(&score.parse::<f64>().unwrap()));
    }
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("held-out AUC") && stderr.contains("trained on"), "{stderr}");
    // One line per candidate model, the chosen one marked.
    assert_eq!(stderr.lines().filter(|l| l.starts_with("held-out AUC")).count(), 4, "{stderr}");
    assert_eq!(stderr.matches("<- chosen").count(), 1, "{stderr}");
    // Regular donors score higher than the lapsed.
    let score = |n: &str| lines.iter().find(|l| l.starts_with(n)).unwrap().split(',').nth(1).unwrap().parse::<f64>().unwrap();
    assert!(score("D0000003") > score("D0000004"));
    // Donations on and after the as-of date change nothing.
    std::fs::write(
        dir.path().join("later.csv"),
        "donor_number,procedure,collected_on\nD0000004,whole_blood,2026-06-01\nD0000005,whole_blood,2026-06-10\n",
    )
    .unwrap();
    ok(&hemaflow(dir.path(), &["--database", &db, "import", "donations", "later.csv"]));
    assert_eq!(ok(&hemaflow(dir.path(), &["--database", &db, "recruit", "scores", "--as-of", "2026-06-01"])), out);
    let e = err(&hemaflow(dir.path(), &["--database", &db, "recruit", "scores", "--as-of", "June"]));
    assert!(e.contains("--as-of"), "{e}");
    // The pool's stored run: computed once, found the second time.
    let first = ok(&hemaflow(dir.path(), &["--database", &db, "recruit", "score-pool", "--as-of", "2026-06-01"]));
    assert!(first.contains("computed scores as of 2026-06-01") && first.contains("(60 donors)"), "{first}");
    let again = ok(&hemaflow(dir.path(), &["--database", &db, "recruit", "score-pool", "--as-of", "2026-06-01"]));
    assert!(again.starts_with("already computed: scores as of 2026-06-01"), "{again}");
}

/// Rewrites record `seq` and recomputes every hash after it, as someone with write
/// access to the database could: the chain then verifies on its own.
fn rewrite_and_rehash(db: &Path, seq: i64) {
    let url = format!("sqlite://{}", db.display());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = store::Store::connect(&url).await.unwrap();
        store.execute_raw_for_tests("DROP TRIGGER audit_records_no_update").await.unwrap();
        let mut prev = store.audit_record(seq - 1).await.unwrap().unwrap().hash;
        let mut last = (0, String::new());
        for mut r in store.audit_records_from(seq, 1_000_000).await.unwrap() {
            if r.seq == seq {
                r.actor = "mallory".into();
            }
            r.prev_hash = prev.clone();
            r.hash = r.compute_hash();
            let sql = format!(
                "UPDATE audit_records SET actor = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                r.actor.replace('\'', "''"),
                r.prev_hash,
                r.hash,
                r.seq
            );
            store.execute_raw_for_tests(&sql).await.unwrap();
            prev = r.hash.clone();
            last = (r.seq, r.hash);
        }
        store.execute_raw_for_tests(&format!("UPDATE audit_head SET seq = {}, hash = '{}' WHERE id = 1", last.0, last.1)).await.unwrap();
        store.close().await;
    });
}

fn hemaflow_env(dir: &Path, args: &[&str], key: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hemaflow"));
    c.current_dir(dir).env_remove("HEMAFLOW_DATABASE_URL").env_remove("HEMAFLOW_CONFIG").env_remove("HEMAFLOW_AUDIT_CHECKPOINT_KEY");
    if let Some(k) = key {
        c.env("HEMAFLOW_AUDIT_CHECKPOINT_KEY", k);
    }
    c.args(args).output().expect("run hemaflow")
}

#[test]
fn a_rehashed_chain_verifies_alone_but_fails_against_a_saved_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    ok(&hemaflow(dir.path(), &["demo", "--demo-donors", "3"]));
    let line = ok(&hemaflow(dir.path(), &["audit", "checkpoint"]));
    let cp: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert!(cp["seq"].as_i64().unwrap() > 10 && cp["hash"].as_str().unwrap().len() == 64, "{line}");
    assert!(cp.get("hmac").is_none(), "no key, no signature: {line}");
    let file = dir.path().join("checkpoints.jsonl");
    std::fs::write(&file, &line).unwrap();
    let out = ok(&hemaflow(dir.path(), &["audit", "verify", "--checkpoint", "checkpoints.jsonl"]));
    assert!(out.contains("extends all 1 checkpoint(s)"), "{out}");

    // More records after the checkpoint are fine: the chain still extends it.
    ok(&hemaflow(dir.path(), &["user", "add", "newbie", "--role", "lab"]));
    ok(&hemaflow(dir.path(), &["audit", "verify", "--checkpoint", "checkpoints.jsonl"]));

    rewrite_and_rehash(&dir.path().join("hemaflow.db"), 5);
    let out = ok(&hemaflow(dir.path(), &["audit", "verify"]));
    assert!(out.contains("audit chain intact"), "the rewrite is invisible without a checkpoint: {out}");
    let msg = err(&hemaflow(dir.path(), &["audit", "verify", "--checkpoint", "checkpoints.jsonl"]));
    assert!(msg.contains("does NOT extend the checkpoint") && msg.contains(&format!("record {}", cp["seq"])), "{msg}");
}

#[test]
fn signed_checkpoints_refuse_a_wrong_key_and_a_forged_line() {
    let dir = tempfile::tempdir().unwrap();
    ok(&hemaflow(dir.path(), &["demo", "--demo-donors", "2"]));
    let line = ok(&hemaflow_env(dir.path(), &["audit", "checkpoint"], Some("the right key")));
    let cp: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(cp["hmac"].as_str().unwrap().len(), 64, "{line}");
    std::fs::write(dir.path().join("cp.jsonl"), &line).unwrap();
    ok(&hemaflow_env(dir.path(), &["audit", "verify", "--checkpoint", "cp.jsonl"], Some("the right key")));
    let msg = err(&hemaflow_env(dir.path(), &["audit", "verify", "--checkpoint", "cp.jsonl"], Some("another key")));
    assert!(msg.contains("wrong HMAC"), "{msg}");
    let msg = err(&hemaflow_env(dir.path(), &["audit", "verify", "--checkpoint", "cp.jsonl"], None));
    assert!(msg.contains("HEMAFLOW_AUDIT_CHECKPOINT_KEY"), "{msg}");
    // A forged checkpoint (another hash, the old signature) is refused.
    let mut forged = cp.clone();
    forged["hash"] = serde_json::json!("0".repeat(64));
    std::fs::write(dir.path().join("forged.jsonl"), forged.to_string()).unwrap();
    let msg = err(&hemaflow_env(dir.path(), &["audit", "verify", "--checkpoint", "forged.jsonl"], Some("the right key")));
    assert!(msg.contains("wrong HMAC"), "{msg}");
    // Without the key, an unsigned forgery naming a wrong hash still fails against the chain.
    forged.as_object_mut().unwrap().remove("hmac");
    std::fs::write(dir.path().join("unsigned.jsonl"), forged.to_string()).unwrap();
    let msg = err(&hemaflow_env(dir.path(), &["audit", "verify", "--checkpoint", "unsigned.jsonl"], None));
    assert!(msg.contains("does NOT extend"), "{msg}");
}
