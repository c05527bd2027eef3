//! Labels and DINs over HTTP: rendered labels scan, refusals change nothing.

use crate::common;

use common::{problem, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use std::process::Command;

fn today() -> chrono::NaiveDate {
    // The test facility's clock is UTC.
    chrono::Utc::now().date_naive()
}

/// A label for a unit collected today from an A- donor: irradiated red cells (28 days).
fn label_body(din: &str) -> serde_json::Value {
    let expires = today() + chrono::Duration::days(20);
    json!({"din": din, "blood_group": "A-", "product_code": "E0398V00", "expires_at": format!("{expires}T23:59"), "collected_on": today().to_string()})
}

/// The ISBT 128 expiry data of `label_body` (`&>` cyyjjj hhmm).
fn expiry_data() -> String {
    use chrono::Datelike;
    let e = today() + chrono::Duration::days(20);
    format!("&>{}{:02}{:03}2359", (e.year() / 100) % 10, e.year() % 100, e.ordinal())
}

fn decoders_present() -> bool {
    let ok = ["ZXingReader", "dmtxread", "pdftoppm"]
        .iter()
        .all(|t| Command::new("sh").arg("-c").arg(format!("command -v {t}")).output().map(|o| o.status.success()).unwrap_or(false));
    if !ok && std::env::var("HEMAFLOW_REQUIRE_DECODERS").as_deref() == Ok("1") {
        panic!("HEMAFLOW_REQUIRE_DECODERS=1 but a decoder is missing");
    }
    ok
}

async fn label_pdf_from_the_api_scans_back(t: TestApp) {
    let din = t.collected_unit("Scan", "A", "neg", 2).await;
    let api = t.api_as("lab").await;
    let r = api.post_json("/api/v1/labels?format=pdf", label_body(&din)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    if decoders_present() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("l.pdf"), &pdf).unwrap();
        let st = Command::new("pdftoppm")
            .args(["-r", "300", "-png", "-singlefile"])
            .arg(dir.path().join("l.pdf"))
            .arg(dir.path().join("l"))
            .status()
            .unwrap();
        assert!(st.success());
        let png = dir.path().join("l.png");
        let out = String::from_utf8(Command::new("ZXingReader").args(["-format", "Code128", "-1"]).arg(&png).output().unwrap().stdout).unwrap();
        let din_data = format!("={din}00");
        for data in [din_data.as_str(), "=%0600", "=<E0398V00", expiry_data().as_str()] {
            assert!(out.contains(&format!("\"{data}\"")), "{data} not read back from the server's PDF: {out}");
        }
        let dm = String::from_utf8(Command::new("dmtxread").args(["-N1", "-S", "2"]).arg(&png).output().unwrap().stdout).unwrap();
        assert_eq!(dm.trim(), format!("=+04000{din_data}=%0600=<E0398V00{}", expiry_data()));
    }
    let svg = api.post_json("/api/v1/labels?format=svg", label_body(&din)).await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let zpl = api.post_json("/api/v1/labels?format=zpl", label_body(&din)).await.text().await.unwrap();
    assert!(zpl.starts_with("^XA") && zpl.contains(&format!("^FD={din}00^FS")));
    let audit: serde_json::Value = t.api().get("/api/v1/audit?action=label.print").await.json().await.unwrap();
    assert_eq!(audit["total"], 3);
    // Each print is recorded: who printed what, in which format.
    let prints = t.app.store.label_prints(&din).await.unwrap();
    assert_eq!(prints.iter().map(|p| p.format.as_str()).collect::<Vec<_>>(), ["pdf", "svg", "zpl"]);
    assert!(prints.iter().all(|p| p.printed_by == "lab" && p.product_code == "E0398V00" && p.blood_group == "=%0600"));
}

/// Until labels print from component records, a label must agree with the record:
/// each case is refused with the rule it breaks named, and nothing is recorded.
async fn a_label_that_disagrees_with_the_record_is_refused(t: TestApp) {
    let din = t.collected_unit("Record", "O", "neg", 2).await;
    let unconfirmed = t.collected_unit("Once", "O", "neg", 1).await;
    let api = t.api_as("lab").await;
    let good = || {
        let mut b = label_body(&din);
        b["blood_group"] = json!("O-");
        b
    };
    let with = |key: &str, value: serde_json::Value| {
        let mut b = good();
        b[key] = value;
        b
    };
    let day = |n: i64| (today() + chrono::Duration::days(n)).to_string();
    let fin_year = &din[..7];
    let cases = [
        ("a blood group that is not the donor's", with("blood_group", json!("A+")), "blood_group", "blood group of the donor"),
        ("the wrong RhD", with("blood_group", json!("O+")), "blood_group", "blood group of the donor"),
        ("a DIN never assigned", with("din", json!(format!("{fin_year}999998"))), "din", "DIN assigned"),
        ("another facility's DIN", with("din", json!(format!("B1234{}000017", &din[5..7]))), "din", "DIN of this facility"),
        ("an assigned DIN with no donation", json!(null), "din", "DIN with a donation"),
        ("a group not confirmed yet", with("din", json!(unconfirmed)), "blood_group", "blood group confirmed"),
        (
            "red cells with a 200-day expiry",
            with("expires_at", json!(format!("{}T23:59", day(200)))),
            "expires_at",
            "expiry within the product's dating",
        ),
        ("a collection date in the future", with("collected_on", json!(day(3))), "collected_on", "collection not in the future"),
        ("a collection date that is not the donation's", with("collected_on", json!(day(-2))), "collected_on", "collection date of the donation"),
        (
            "an expiry before collection",
            {
                let mut b = with("collected_on", json!(day(30)));
                b["expires_at"] = json!(format!("{}T23:59", day(25)));
                b
            },
            "expires_at",
            "expiry after collection",
        ),
    ];
    // A DIN assigned at the DIN desk but never collected with.
    let spare: serde_json::Value = api.post_json("/api/v1/dins", json!({"site": "MAIN"})).await.json().await.unwrap();
    let head = t.audit_head().await;
    for (name, body, field, rule) in cases {
        let body = if body.is_null() { with("din", spare["din"].clone()) } else { body };
        let r = api.post_json("/api/v1/labels?format=svg", body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let p = problem(r).await;
        let errors = p["errors"].as_array().unwrap();
        assert!(
            errors.iter().any(|e| e["field"] == field && e["message"].as_str().unwrap().starts_with(&format!("{rule}: "))),
            "{name}: want {field} / {rule}, got {p}"
        );
    }
    assert_eq!(t.audit_head().await, head, "refused labels write no audit record");
    assert!(t.app.store.label_prints(&din).await.unwrap().is_empty(), "and no print");
    // The record's own values print.
    let r = api.post_json("/api/v1/labels?format=svg", good()).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(t.app.store.label_prints(&din).await.unwrap().len(), 1);
    // The audit record names the donor, so the donor's trail shows the print.
    let audit: serde_json::Value = t.api().get("/api/v1/audit?action=label.print").await.json().await.unwrap();
    assert!(audit["records"].as_array().or(audit["items"].as_array()).is_some_and(|r| !r.is_empty()), "{audit}");
}

async fn bad_label_requests_are_refused_and_not_recorded(t: TestApp) {
    let api = t.api_as("lab").await;
    let head = t.audit_head().await;
    let label_body = || label_body("A999826000123");
    let r = api.post_json("/api/v1/labels?format=png", label_body()).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "format");
    let mut b = label_body();
    b["din"] = json!("A999826000123Q");
    b["product_code"] = json!("E9999V00");
    b["expires_at"] = json!("2026-02-29T10:00");
    let p = problem(api.post_json("/api/v1/labels", b).await).await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["din", "expires_at", "product_code"]);
    let mut extra = label_body();
    extra["colour"] = json!("red");
    assert_eq!(api.post_json("/api/v1/labels", extra).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.audit_head().await, head);
}

async fn label_verification_names_the_mismatch(t: TestApp) {
    let api = t.api_as("lab").await;
    let ok = api
        .post_json("/api/v1/labels/verify", json!({"din": "A999826000123", "product_code": "E0398V00", "scans": ["=A99982600012300=<E0398V00"]}))
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let wrong = api
        .post_json("/api/v1/labels/verify", json!({"din": "A999826000124", "product_code": "E0398V00", "scans": ["=A99982600012300", "=<E0398V00"]}))
        .await;
    let p = problem(wrong).await;
    assert_eq!(p["errors"][0]["field"], "din");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("A999826000123"));
    let none = api.post_json("/api/v1/labels/verify", json!({"din": "A999826000123", "product_code": "E0398V00", "scans": []})).await;
    assert_eq!(problem(none).await["errors"][0]["field"], "scans");
}

async fn dins_are_assigned_and_preprinted_sets_managed(t: TestApp) {
    let api = t.api_as("lab").await;
    let a: serde_json::Value = api.post_json("/api/v1/dins", json!({"site": "MAIN"})).await.json().await.unwrap();
    let b: serde_json::Value = api.post_json("/api/v1/dins", json!({"site": "MAIN"})).await.json().await.unwrap();
    assert!(a["din"].as_str().unwrap().ends_with("000001"), "{a}");
    assert!(b["din"].as_str().unwrap().ends_with("000002"), "{b}");
    let year = 2000 + a["din"].as_str().unwrap()[5..7].parse::<i64>().unwrap();
    let r = api.post_json("/api/v1/din-label-sets", json!({"year": year, "first": 100, "last": 199, "note": "box 7"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = api.post_json("/api/v1/din-label-sets", json!({"year": year, "first": 150, "last": 250})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let sets: serde_json::Value = api.get("/api/v1/din-label-sets").await.json().await.unwrap();
    assert_eq!(sets[0]["count"], 100);
    let scan = format!("={}{}00015000", "A9998", &a["din"].as_str().unwrap()[5..7]);
    let r = api.post_json("/api/v1/dins/preprinted", json!({"scan": scan})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let r = api.post_json("/api/v1/dins/preprinted", json!({"scan": scan})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = api.post_json("/api/v1/dins", json!({"site": "NOWHERE"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "site");
}

async fn lab_pages_preview_download_and_assign(t: TestApp) {
    let din = t.collected_unit("Page", "O", "pos", 2).await;
    let s = t.login_as("lab").await;
    let page = s.client.get(t.url("/lab/labels")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("E0398"), "the catalog is listed");
    let form = |format: &'static str| {
        vec![
            ("_csrf", s.csrf.clone()),
            ("din", din.clone()),
            ("blood_group", "O+".into()),
            ("product_code", "E0398V00".into()),
            ("expires_at", format!("{}T23:59", today() + chrono::Duration::days(10))),
            ("format", format.into()),
        ]
    };
    let html = s.client.post(t.url("/lab/labels")).form(&form("preview")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<svg") && html.contains(&format!("{} {} {}", &din[..5], &din[5..7], &din[7..])), "{html}");
    let r = s.client.post(t.url("/lab/labels")).form(&form("pdf")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let mut bad = form("preview");
    bad[2].1 = "C+".into();
    let r = s.client.post(t.url("/lab/labels")).form(&bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("class=\"field-error\""));
    // A group that is not the donor's: the page names the rule next to the field.
    let mut wrong = form("preview");
    wrong[2].1 = "B-".into();
    let r = s.client.post(t.url("/lab/labels")).form(&wrong).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("blood group of the donor: the label says B Rh negative, but the donor&#39;s confirmed group is O Rh positive"), "{html}");

    let r = s.client.post(t.url("/lab/dins")).form(&[("_csrf", s.csrf.as_str()), ("site", "MAIN")]).send().await.unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"assigned-din\">A9998"), "{html}");
    let collector = t.login_as("collector").await;
    let html = collector.client.get(t.url("/lab/dins")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("Register a pre-printed label set"), "collectors do not register sets");
}

both_backends!(
    a_label_that_disagrees_with_the_record_is_refused,
    label_pdf_from_the_api_scans_back,
    bad_label_requests_are_refused_and_not_recorded,
    label_verification_names_the_mismatch,
    dins_are_assigned_and_preprinted_sets_managed,
    lab_pages_preview_download_and_assign,
);
