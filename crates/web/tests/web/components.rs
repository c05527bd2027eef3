//! Component manufacture over the API and the pages: separation, modifications,
//! genealogy and their refusals, on SQLite and PostgreSQL.

use crate::common;

use common::{problem, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn a_whole_blood_donation_becomes_red_cells_and_ffp_and_the_red_cells_are_irradiated(t: TestApp) {
    let (din, at) = t.recorded_donation("Separate").await;
    let lab = t.api_as("lab").await;
    let collector = t.api_as("collector").await;
    let path = format!("/api/v1/donations/{din}/separation");
    assert_eq!(collector.post_json(&path, json!({"plasma_frozen_at": at})).await.status(), StatusCode::FORBIDDEN, "the lab manufactures");
    let head = t.audit_head().await;
    let r = lab.post_json(&path, json!({"plasma_frozen_at": "soon"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "plasma_frozen_at");
    let r = lab.post_json(&path, json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "the freezing time decides the plasma");
    assert!(problem(r).await.to_string().contains("freezer"));
    assert_eq!(t.audit_head().await, head);

    let r = lab.post_json(&path, json!({"plasma_frozen_at": at})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let units: Vec<Value> = r.json().await.unwrap();
    let kinds: Vec<&str> = units.iter().map(|u| u["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["red_cells", "ffp"]);
    assert_eq!(t.audit_head().await, head + 1);
    for u in &units {
        assert!(u["product_code"].as_str().unwrap().starts_with('D'), "starter local codes: {u}");
        assert_eq!(u["state"], "in_processing");
    }
    // Red cells in AS-1: day 42 at 23:59 at the site (the dating rules, through the site's offset).
    let sites: Value = lab.get("/api/v1/sites").await.json().await.unwrap();
    let site = sites.as_array().unwrap().iter().find(|x| x["code"] == "MAIN" || x["fields"]["code"] == "MAIN").unwrap_or_else(|| panic!("{sites}"));
    let tz: chrono_tz::Tz = site["time_zone"].as_str().or(site["fields"]["time_zone"].as_str()).unwrap_or_else(|| panic!("{site}")).parse().unwrap();
    let local = chrono::DateTime::parse_from_rfc3339(&at).unwrap().with_timezone(&tz).fixed_offset().to_rfc3339();
    let d: Value = lab
        .post_json("/api/v1/rules/dating", json!({"component": "red_cells", "anticoagulant": "AS-1", "collected_at": local}))
        .await
        .json()
        .await
        .unwrap();
    let red = &units[0];
    let expected = chrono::DateTime::parse_from_rfc3339(d["expires_at"].as_str().unwrap()).unwrap();
    let got = chrono::DateTime::parse_from_rfc3339(red["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(got, expected, "collected {local}: the site's offset is applied by the server");
    assert_eq!(lab.post_json(&path, json!({"plasma_frozen_at": at})).await.status(), StatusCode::CONFLICT, "separated once");

    // The lab weighs the red cells; irradiation keeps the volume.
    let code = red["product_code"].as_str().unwrap().to_string();
    let vol = format!("/api/v1/components/{din}/{code}/volume");
    let head = t.audit_head().await;
    for bad in [json!("lots"), json!(0), json!(1500), json!(-3)] {
        let r = lab.post_json(&vol, json!({"volume_ml": bad})).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(problem(r).await["errors"][0]["field"], "volume_ml");
    }
    assert_eq!(collector.post_json(&vol, json!({"volume_ml": 285})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head, "refused volumes change nothing");
    let r = lab.post_json(&vol, json!({"volume_ml": 285})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(r.json::<Value>().await.unwrap()["volume_ml"], 285);
    assert_eq!(t.audit_head().await, head + 1);

    // Irradiation makes a new unit; the old one ends.
    let lab_ref = &lab;
    let modify = |code: &str, step: &str| {
        let path = format!("/api/v1/components/{din}/{code}/modifications");
        let body = json!({"step": step});
        async move { lab_ref.post_json(&path, body).await }
    };
    let r = modify(&code, "irradiate").await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let made: Vec<Value> = r.json().await.unwrap();
    let irradiated = made[0]["product_code"].as_str().unwrap().to_string();
    assert_ne!(irradiated, code);
    assert!(made[0]["attributes"].as_array().unwrap().contains(&json!("irradiated")));
    assert_eq!(made[0]["volume_ml"], 285, "irradiation keeps the volume");
    let r = lab.post_json(&vol, json!({"volume_ml": 280})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "an ended unit keeps its volume");
    let child_exp = chrono::DateTime::parse_from_rfc3339(made[0]["expires_at"].as_str().unwrap()).unwrap();
    assert!(child_exp <= got, "irradiation never lengthens the dating");
    let r = modify(&code, "wash").await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "the original has ended");
    assert!(problem(r).await.to_string().contains("has ended"));
    assert_eq!(modify(&irradiated, "irradiate").await.status(), StatusCode::CONFLICT, "already irradiated");
    let ffp = units[1]["product_code"].as_str().unwrap().to_string();
    let r = modify(&ffp, "irradiate").await;
    assert!(problem(r).await.to_string().contains("does not apply"));
    assert_eq!(modify(&ffp, "boil").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        lab.post_json(&format!("/api/v1/components/{din}/D9999V00/modifications"), json!({"step": "wash"})).await.status(),
        StatusCode::NOT_FOUND
    );

    // Genealogy, both ways, as JSON and as a page.
    let g: Value = lab.get(&format!("/api/v1/components/{din}/{irradiated}")).await.json().await.unwrap();
    assert_eq!(g["parents"][0]["product_code"], code.as_str(), "{g}");
    assert!(g["donor_number"].as_str().unwrap().starts_with('D'));
    assert_eq!((g["blood_group"].as_str(), g["group_confirmed"].as_bool()), (Some("O-"), Some(true)), "the donor's group on the unit");
    let g: Value = lab.get(&format!("/api/v1/components/{din}/{code}")).await.json().await.unwrap();
    assert_eq!(g["children"][0]["product_code"], irradiated.as_str());
    assert_eq!(g["siblings"][0]["product_code"], ffp.as_str(), "the FFP came from the same separation");
    assert_eq!(g["unit"]["state"], "modified");
    let s = t.login_as("lab").await;
    let html = s.client.get(t.url(&format!("/components/{din}/{irradiated}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Red Blood Cells, Irradiated") && html.contains("Made from") && html.contains("285 mL"), "component page");
    // A wrong volume on the page: the error next to the field, the value kept, nothing changed.
    let r = s
        .client
        .post(t.url(&format!("/components/{din}/{irradiated}/volume")))
        .form(&[("_csrf", s.csrf.as_str()), ("volume_ml", "2 bags")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-volume\"") && html.contains("value=\"2 bags\"") && html.contains("285 mL"), "{html}");
    // The lab's list of units in processing: the irradiated red cells and the FFP, not the ended unit.
    let html = s.client.get(t.url("/lab/units")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&irradiated) && html.contains(&ffp) && !html.contains(&format!("/components/{din}/{code}\"")), "units in processing");
}

async fn two_stations_separating_one_donation_make_one_set_of_units(t: TestApp) {
    let (din, at) = t.recorded_donation("Race Sep").await;
    let (a, b) = (t.api_as("lab").await, t.api_as("lab").await);
    let path = format!("/api/v1/donations/{din}/separation");
    let (ra, rb) = tokio::join!(a.post_json(&path, json!({"plasma_frozen_at": at})), b.post_json(&path, json!({"plasma_frozen_at": at})));
    let mut statuses = [ra.status(), rb.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let units: Vec<Value> = a.get(&format!("/api/v1/donations/{din}/components")).await.json().await.unwrap();
    assert_eq!(units.len(), 2);
}

async fn separation_needs_a_complete_collection_record(t: TestApp) {
    let din = t.collected_unit("No Record", "A", "pos", 2).await;
    let lab = t.api_as("lab").await;
    let r = lab.post_json(&format!("/api/v1/donations/{din}/separation"), json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await.to_string().contains("record the collection first"));
}

async fn thawing_ffp_makes_thawed_plasma_within_five_days(t: TestApp) {
    let (din, at) = t.recorded_donation("Thaw").await;
    let lab = t.api_as("lab").await;
    let units: Vec<Value> =
        lab.post_json(&format!("/api/v1/donations/{din}/separation"), json!({"plasma_frozen_at": at})).await.json().await.unwrap();
    let ffp = units[1]["product_code"].as_str().unwrap();
    let r = lab.post_json(&format!("/api/v1/components/{din}/{ffp}/modifications"), json!({"step": "thaw"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let made: Vec<Value> = r.json().await.unwrap();
    assert_eq!(made[0]["kind"], "thawed_plasma");
    let exp = chrono::DateTime::parse_from_rfc3339(made[0]["expires_at"].as_str().unwrap()).unwrap().with_timezone(&chrono::Utc);
    let now = chrono::Utc::now();
    assert!(exp > now && exp - now <= chrono::Duration::days(6), "{exp}");
}

both_backends!(
    a_whole_blood_donation_becomes_red_cells_and_ffp_and_the_red_cells_are_irradiated,
    two_stations_separating_one_donation_make_one_set_of_units,
    separation_needs_a_complete_collection_record,
    thawing_ffp_makes_thawed_plasma_within_five_days,
);

fn decoders_present() -> bool {
    let ok = ["ZXingReader", "dmtxread", "pdftoppm"]
        .iter()
        .all(|t| std::process::Command::new("sh").arg("-c").arg(format!("command -v {t}")).output().map(|o| o.status.success()).unwrap_or(false));
    if !ok && std::env::var("HEMAFLOW_REQUIRE_DECODERS").as_deref() == Ok("1") {
        panic!("HEMAFLOW_REQUIRE_DECODERS=1 but a decoder is missing");
    }
    ok
}

/// A unit's label comes from its record: the donor's confirmed group, the unit's product
/// code and expiry; it scans back byte for byte; ended units and unconfirmed groups are refused.
async fn a_units_label_is_printed_from_its_record_and_scans_back(t: TestApp) {
    let (din, at) = t.recorded_donation("Label").await;
    let lab = t.api_as("lab").await;
    let units: Vec<Value> =
        lab.post_json(&format!("/api/v1/donations/{din}/separation"), json!({"plasma_frozen_at": at})).await.json().await.unwrap();
    let red = units[0]["product_code"].as_str().unwrap().to_string();
    let made: Vec<Value> =
        lab.post_json(&format!("/api/v1/components/{din}/{red}/modifications"), json!({"step": "irradiate"})).await.json().await.unwrap();
    let irradiated = made[0]["product_code"].as_str().unwrap().to_string();
    let head = t.audit_head().await;
    let r = lab.post_json(&format!("/api/v1/components/{din}/{red}/label?format=pdf"), json!(null)).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "the unit before irradiation has ended");
    assert!(problem(r).await.to_string().contains("has ended"));
    assert_eq!(lab.post_json(&format!("/api/v1/components/{din}/D9999V00/label"), json!(null)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(t.audit_head().await, head, "refusals record nothing");

    let r = lab.post_json(&format!("/api/v1/components/{din}/{irradiated}/label?format=pdf"), json!(null)).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.status());
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let prints = t.app.store.label_prints(&din).await.unwrap();
    assert_eq!(prints.len(), 1);
    assert_eq!((prints[0].product_code.as_str(), prints[0].blood_group.as_str()), (irradiated.as_str(), "=%9500"), "O negative from the registry");
    assert_eq!(prints[0].expires_at.len(), 16, "local YYYY-MM-DDTHH:MM as printed: {}", prints[0].expires_at);
    if decoders_present() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("l.pdf"), &pdf).unwrap();
        let st = std::process::Command::new("pdftoppm")
            .args(["-r", "300", "-png", "-singlefile"])
            .arg(dir.path().join("l.pdf"))
            .arg(dir.path().join("l"))
            .status()
            .unwrap();
        assert!(st.success());
        let png = dir.path().join("l.png");
        let out = String::from_utf8(std::process::Command::new("ZXingReader").args(["-format", "Code128", "-1"]).arg(&png).output().unwrap().stdout)
            .unwrap();
        for data in [format!("={din}00"), "=%9500".to_string(), format!("=<{irradiated}")] {
            assert!(out.contains(&format!("\"{data}\"")), "{data} not read back: {out}");
        }
        let dm = String::from_utf8(std::process::Command::new("dmtxread").args(["-N1", "-S", "2"]).arg(&png).output().unwrap().stdout).unwrap();
        assert!(dm.trim().starts_with(&format!("=+04000={din}00=%9500=<{irradiated}&>")), "{dm}");
    }

    // A donor whose group is not confirmed: no label.
    let din2 = t.collected_unit("Unconfirmed", "B", "pos", 1).await;
    let api = t.api_as("collector").await;
    let d: Value = api.get(&format!("/api/v1/donations/{din2}")).await.json().await.unwrap();
    let at2 = d["collected_at"].as_str().unwrap().to_string();
    api.post_json(
        &format!("/api/v1/donations/{din2}/collection"),
        json!({"phlebotomist": "P", "started_at": at2, "ended_at": at2, "volume_ml": 480, "outcome": "complete", "bag_set_lot": "B1",
               "bag_set_expires_on": "2099-01-01", "anticoagulant": "CPD", "anticoagulant_lot": "A1", "anticoagulant_expires_on": "2099-01-01"}),
    )
    .await;
    let units: Vec<Value> =
        lab.post_json(&format!("/api/v1/donations/{din2}/separation"), json!({"plasma_frozen_at": at2})).await.json().await.unwrap();
    let code = units[0]["product_code"].as_str().unwrap();
    let r = lab.post_json(&format!("/api/v1/components/{din2}/{code}/label?format=svg"), json!(null)).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await.to_string().contains("not confirmed"));
}

/// An apheresis platelet collection from screening to labelled units: a double
/// collection with concurrent plasma gives two platelet units (divisions A0, B0) and FFP.
async fn a_double_platelet_collection_is_followed_to_labelled_units(t: TestApp) {
    let (_, visit) = t.eligible_visit("Apheresis", "AB", "pos", 2, "platelets").await;
    let collector = t.api_as("collector").await;
    let r = collector.post_json(&format!("/api/v1/screenings/{visit}/collection"), json!(null)).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let c: Value = r.json().await.unwrap();
    let din = c["din"]["din"].as_str().unwrap().to_string();
    let d: Value = collector.get(&format!("/api/v1/donations/{din}")).await.json().await.unwrap();
    let at = d["collected_at"].as_str().unwrap().to_string();
    let record = json!({"phlebotomist": "P", "started_at": at, "ended_at": at, "volume_ml": 550, "outcome": "complete",
        "bag_set_lot": "K1", "bag_set_expires_on": "2099-01-01", "anticoagulant": "ACD-A", "anticoagulant_lot": "A1",
        "anticoagulant_expires_on": "2099-01-01", "device_type": "Trima Accel", "device_serial": "1T0042",
        "platelet_units": 2, "concurrent_products": ["plasma"]});
    let r = collector.post_json(&format!("/api/v1/donations/{din}/collection"), record).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let lab = t.api_as("lab").await;
    let r = lab.post_json(&format!("/api/v1/donations/{din}/separation"), json!({"plasma_frozen_at": at})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let units: Vec<Value> = r.json().await.unwrap();
    let got: Vec<(&str, &str)> = units.iter().map(|u| (u["kind"].as_str().unwrap(), u["division"].as_str().unwrap())).collect();
    assert_eq!(got, [("platelets", "A0"), ("platelets", "B0"), ("ffp", "00")]);
    assert!(units.iter().all(|u| u["attributes"].as_array().unwrap().contains(&json!("apheresis"))));
    let plt = units[0]["product_code"].as_str().unwrap();
    let exp = chrono::DateTime::parse_from_rfc3339(units[0]["expires_at"].as_str().unwrap()).unwrap().with_timezone(&chrono::Utc);
    let now = chrono::Utc::now();
    assert!(exp > now + chrono::Duration::days(4) && exp <= now + chrono::Duration::days(6), "platelets: 5 days, {exp}");
    let g: Value = lab.get(&format!("/api/v1/components/{din}/{plt}")).await.json().await.unwrap();
    assert_eq!(g["siblings"].as_array().unwrap().len(), 2, "its sister unit and the plasma: {g}");
    let r = lab.post_json(&format!("/api/v1/components/{din}/{plt}/label?format=zpl"), json!(null)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let zpl = r.text().await.unwrap();
    assert!(zpl.contains(&format!("=<{plt}")), "{zpl}");
}

both_backends!(a_units_label_is_printed_from_its_record_and_scans_back, a_double_platelet_collection_is_followed_to_labelled_units);

/// The processing station: one step for a stack of scans, each unit on its own; a unit
/// scanned twice is done once; splits and pools.
async fn a_batch_applies_one_step_to_each_unit_on_its_own(t: TestApp) {
    let (a, at_a) = t.recorded_donation("Batch A").await;
    let (b, at_b) = t.recorded_donation("Batch B").await;
    let lab = t.api_as("lab").await;
    let ua: Vec<Value> = lab.post_json(&format!("/api/v1/donations/{a}/separation"), json!({"plasma_frozen_at": at_a})).await.json().await.unwrap();
    let ub: Vec<Value> = lab.post_json(&format!("/api/v1/donations/{b}/separation"), json!({"plasma_frozen_at": at_b})).await.json().await.unwrap();
    let code = |u: &Vec<Value>, i: usize| u[i]["product_code"].as_str().unwrap().to_string();
    let lines = vec![
        format!("={a}00 =<{}", code(&ua, 0)),
        format!("{a} {}", code(&ua, 0)),
        format!("{b} {}", code(&ub, 1)),
        "not a unit".to_string(),
        format!("{b} {}", code(&ub, 0)),
    ];
    let r = lab.post_json("/api/v1/processing", json!({"units": lines, "step": "irradiate"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let out: Vec<Value> = r.json().await.unwrap();
    let ok: Vec<bool> = out.iter().map(|l| l["ok"].as_bool().unwrap()).collect();
    assert_eq!(ok, [true, false, false, false, true], "{out:#?}");
    assert!(out[1]["outcome"].as_str().unwrap().contains("scanned twice"));
    assert!(out[2]["outcome"].as_str().unwrap().contains("does not apply"));
    assert!(out[3]["outcome"].as_str().unwrap().contains("no product code"));
    assert_eq!(lab.post_json("/api/v1/processing", json!({"units": lines, "step": "boil"})).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Split the FFP of A in two: divisions A0 and B0, the FFP ends; each gets half its volume.
    let r = lab.post_json(&format!("/api/v1/components/{a}/{}/volume", code(&ua, 1)), json!({"volume_ml": "251"})).await;
    assert_eq!(r.status(), StatusCode::OK, "a volume may come as text");
    let r = lab.post_json("/api/v1/processing", json!({"units": [format!("{a} {}", code(&ua, 1))], "step": "split_2"})).await;
    let out: Vec<Value> = r.json().await.unwrap();
    let made = out[0]["made"].as_array().unwrap();
    assert_eq!(made.iter().map(|m| m["division"].as_str().unwrap()).collect::<Vec<_>>(), ["A0", "B0"], "{out:?}");
    assert_eq!(made.iter().map(|m| m["volume_ml"].as_i64().unwrap()).collect::<Vec<_>>(), [125, 125]);
    // Pool: red cells are not pooled; nothing changes.
    let irr_a = out_code(&lab, &a, &code(&ua, 0)).await;
    let irr_b = out_code(&lab, &b, &code(&ub, 0)).await;
    let r = lab.post_json("/api/v1/processing", json!({"units": [format!("{a} {irr_a}"), format!("{b} {irr_b}")], "step": "pool"})).await;
    let out: Vec<Value> = r.json().await.unwrap();
    assert!(out.iter().all(|l| l["ok"] == false && l["outcome"].as_str().unwrap().contains("not pooled")), "{out:?}");
}

/// The unit made from `code` by the last step.
async fn out_code(lab: &common::ApiClient, din: &str, code: &str) -> String {
    let g: Value = lab.get(&format!("/api/v1/components/{din}/{code}")).await.json().await.unwrap();
    g["children"][0]["product_code"].as_str().unwrap().to_string()
}

/// Platelets of one group pool into a new unit with its own DIN that remembers its sources.
async fn platelets_pool_into_a_unit_with_its_own_din(t: TestApp) {
    let (_, visit) = t.eligible_visit("Pool", "O", "pos", 2, "platelets").await;
    let collector = t.api_as("collector").await;
    let c: Value = collector.post_json(&format!("/api/v1/screenings/{visit}/collection"), json!(null)).await.json().await.unwrap();
    let din = c["din"]["din"].as_str().unwrap().to_string();
    let d: Value = collector.get(&format!("/api/v1/donations/{din}")).await.json().await.unwrap();
    let at = d["collected_at"].as_str().unwrap().to_string();
    collector
        .post_json(
            &format!("/api/v1/donations/{din}/collection"),
            json!({"phlebotomist": "P", "started_at": at, "ended_at": at, "volume_ml": 500, "outcome": "complete", "bag_set_lot": "K1",
                   "bag_set_expires_on": "2099-01-01", "anticoagulant": "ACD-A", "anticoagulant_lot": "A1", "anticoagulant_expires_on": "2099-01-01",
                   "device_type": "Trima Accel", "device_serial": "1T0042", "platelet_units": 2}),
        )
        .await;
    let lab = t.api_as("lab").await;
    let units: Vec<Value> = lab.post_json(&format!("/api/v1/donations/{din}/separation"), json!({})).await.json().await.unwrap();
    let lines: Vec<String> = units.iter().map(|u| format!("{din} {}", u["product_code"].as_str().unwrap())).collect();
    for (u, ml) in units.iter().zip([281, 269]) {
        lab.post_json(&format!("/api/v1/components/{din}/{}/volume", u["product_code"].as_str().unwrap()), json!({"volume_ml": ml})).await;
    }
    let r = lab.post_json("/api/v1/processing", json!({"units": lines, "step": "pool"})).await;
    let out: Vec<Value> = r.json().await.unwrap();
    assert!(out.iter().all(|l| l["ok"] == true), "{out:?}");
    let pool = &out[0]["made"][0];
    let pool_din = pool["din"].as_str().unwrap();
    assert_ne!(pool_din, din, "a pool has its own DIN");
    assert!(pool["attributes"].as_array().unwrap().contains(&json!("pooled")));
    assert_eq!(pool["expires_at"], units[0]["expires_at"], "the pool expires with its earliest source");
    assert_eq!(pool["volume_ml"], 550, "the pool holds what its sources held");
    let g: Value = lab.get(&format!("/api/v1/components/{pool_din}/{}", pool["product_code"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(g["parents"].as_array().unwrap().len(), 2, "the pool remembers every source: {g}");
    assert!(g["donation_din"].is_null());
    let src: Value = lab.get(&format!("/api/v1/components/{din}/{}", units[0]["product_code"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(src["unit"]["state"], "pooled");
}

both_backends!(a_batch_applies_one_step_to_each_unit_on_its_own, platelets_pool_into_a_unit_with_its_own_din);
