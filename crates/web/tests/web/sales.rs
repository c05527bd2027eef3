//! Hospital orders through the API, on both back ends: the portal order through
//! allocation, scanned packing, shipment and receipt; every refusal; and the races
//! (two orders for the last unit, two picks of one unit, two shipments of one box).

use crate::common;

use common::units::{released_red_cells, released_red_cells_of, scan};
use common::{problem, ApiClient, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The text of a PDF as poppler's pdftotext reads it.
fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) reads the PDFs; install poppler-utils");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn place(api: &ApiClient, body: Value) -> Value {
    let r = api.post_json("/api/v1/orders", body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

fn red_cells(group: &str, quantity: i64) -> Value {
    json!({"product": "red_cells", "blood_group": group, "quantity": quantity})
}

async fn state_of(api: &ApiClient, din: &str, code: &str) -> String {
    let g: Value = api.get(&format!("/api/v1/components/{din}/{code}")).await.json().await.unwrap();
    g["unit"]["state"].as_str().unwrap().to_string()
}

async fn an_order_goes_from_the_portal_to_receipt(t: TestApp) {
    let (din, red, ffp) = released_red_cells(&t, "Portal").await;
    let hospital = t.api_as("hospital").await;
    let dist = t.api_as("distribution").await;
    let lab = t.api_as("lab").await;

    let o = place(&hospital, json!({"priority": "asap", "reference": "PO-77", "lines": [red_cells("O-", 1)]})).await;
    let number = o["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("ORD-") && number.ends_with("000001"), "{number}");
    assert_eq!(
        (o["state"].as_str(), o["hospital_code"].as_str(), o["channel"].as_str()),
        (Some("received"), Some("H-OWN"), Some("Hospital system (API)"))
    );
    assert_eq!(o["lines"][0]["words"], "1 × O- red cells");

    let o: Value = dist.post_json(&format!("/api/v1/orders/{number}/allocate"), json!(null)).await.json().await.unwrap();
    assert_eq!(o["state"], "allocated", "{o}");
    assert_eq!((o["lines"][0]["reserved"].as_i64(), o["allocations"][0]["din"].as_str()), (Some(1), Some(din.as_str())));
    assert_eq!(state_of(&lab, &din, &red).await, "reserved");

    // Packing: the FFP is not reserved for this order; the red cells go in a refrigerated box.
    let pack = format!("/api/v1/orders/{number}/pack");
    let head = t.audit_head().await;
    let r = dist.post_json(&pack, json!({"scan": scan(&din, &ffp, "O-")})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("is not reserved for order"));
    let r = dist.post_json(&pack, json!({"scan": "W1234"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "scan");
    assert_eq!(t.audit_head().await, head, "refusals change nothing");
    let r = dist.post_json(&pack, json!({"scan": scan(&din, &red, "O-")})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let s: Value = r.json().await.unwrap();
    let shipment = s["number"].as_str().unwrap().to_string();
    assert_eq!((s["state"].as_str(), s["containers"][0]["shipping_class"].as_str()), (Some("packing"), Some("refrigerated")));
    let r = dist.post_json(&pack, json!({"scan": scan(&din, &red, "O-")})).await;
    assert!(problem(r).await["detail"].as_str().unwrap().contains("already packed"));

    // Shipping needs a courier; then the unit is the hospital's and cannot ship again.
    let ship = format!("/api/v1/shipments/{shipment}/ship");
    assert_eq!(problem(dist.post_json(&ship, json!({"courier": " "})).await).await["errors"][0]["field"], "courier");
    assert_eq!(hospital.post_json(&ship, json!({"courier": "Me"})).await.status(), StatusCode::FORBIDDEN);
    let r = dist.post_json(&ship, json!({"courier": "MedExpress van 3"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(state_of(&lab, &din, &red).await, "shipped");
    let r = dist.post_json(&ship, json!({"courier": "again"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("already shipped"));
    let o: Value = hospital.get(&format!("/api/v1/orders/{number}")).await.json().await.unwrap();
    assert_eq!((o["state"].as_str(), o["lines"][0]["shipped"].as_i64()), (Some("shipped"), Some(1)));

    // The hospital confirms receipt, once; the order is delivered.
    let receipt = format!("/api/v1/shipments/{shipment}/receipt");
    assert_eq!(dist.post_json(&receipt, json!({})).await.status(), StatusCode::FORBIDDEN);
    let r = hospital.post_json(&receipt, json!({"note": "all in range"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(hospital.post_json(&receipt, json!({})).await.status(), StatusCode::CONFLICT);
    let o: Value = hospital.get(&format!("/api/v1/orders/{number}")).await.json().await.unwrap();
    assert_eq!(o["state"], "delivered");
    let states: Vec<&str> = o["history"].as_array().unwrap().iter().map(|h| h["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["received", "allocated", "shipped", "delivered"]);
    let list: Value = hospital.get("/api/v1/shipments").await.json().await.unwrap();
    assert_eq!(list[0]["state"], "received");
}

async fn orders_are_refused_with_their_reason(t: TestApp) {
    let hospital = t.api_as("hospital").await;
    let dist = t.api_as("distribution").await;
    let admin = t.api_as("admin").await;
    let head = t.audit_head().await;

    // A bad order names its fields.
    let r = hospital.post_json("/api/v1/orders", json!({"priority": "whenever", "lines": [{"product": "red_cells", "quantity": 0}]})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = problem(r).await["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    for f in ["priority", "lines[0].blood_group", "lines[0].quantity"] {
        assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
    }
    // A hospital user orders for their own hospital only, and never sees another's orders.
    let r = hospital.post_json("/api/v1/orders", json!({"hospital": "H-OTHER", "priority": "stat", "lines": [red_cells("O-", 1)]})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Staff taking a phone call name the hospital.
    let r = dist.post_json("/api/v1/orders", json!({"priority": "stat", "lines": [red_cells("O-", 1)]})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "hospital");
    assert_eq!(t.audit_head().await, head, "refusals change nothing");
    let other = place(&dist, json!({"hospital": "H-OTHER", "priority": "routine", "lines": [red_cells("A+", 2)]})).await;
    let number = other["number"].as_str().unwrap();
    assert_eq!(other["channel"], "Phone, entered by distribution");
    assert_eq!(hospital.get(&format!("/api/v1/orders/{number}")).await.status(), StatusCode::NOT_FOUND);
    let mine: Value = hospital.get("/api/v1/orders").await.json().await.unwrap();
    assert!(mine.as_array().unwrap().iter().all(|o| o["hospital_code"] == "H-OWN"), "{mine}");
    assert_eq!(hospital.post_json(&format!("/api/v1/orders/{number}/cancel"), json!({"reason": "x"})).await.status(), StatusCode::NOT_FOUND);

    // An account on credit hold takes no orders.
    let body = json!({"reason": "invoices unpaid", "hospital": {"code": "H-OTHER", "name": "Other Hospital", "status": "on_hold"}});
    let r = admin.put_json(&format!("/api/v1/hospitals/{}", t.other_hospital), body).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let head = t.audit_head().await;
    let before: Value = dist.get("/api/v1/orders").await.json().await.unwrap();
    let r = dist.post_json("/api/v1/orders", json!({"hospital": "H-OTHER", "priority": "stat", "lines": [red_cells("O-", 1)]})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("credit hold"));
    let after: Value = dist.get("/api/v1/orders").await.json().await.unwrap();
    assert_eq!(before.as_array().unwrap().len(), after.as_array().unwrap().len());
    assert_eq!(t.audit_head().await, head);
}

async fn only_released_compatible_units_are_allocated(t: TestApp) {
    let (din, red, ffp) = released_red_cells(&t, "Oneg").await;
    let (a_din, a_red, _) = released_red_cells_of(&t, "Apos", "A+").await;
    let hospital = t.api_as("hospital").await;
    let dist = t.api_as("distribution").await;
    let lab = t.api_as("lab").await;
    let o =
        place(&hospital, json!({"priority": "routine", "lines": [red_cells("O-", 1), {"product": "plasma", "blood_group": "O-", "quantity": 1}]}))
            .await;
    let number = o["number"].as_str().unwrap().to_string();
    let pick = format!("/api/v1/orders/{number}/picks");
    let head = t.audit_head().await;
    // The FFP is still in processing: not released stock.
    let r = dist.post_json(&pick, json!({"line": 2, "scan": scan(&din, &ffp, "O-")})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("not released stock"));
    // A+ red cells for an O- line: incompatible.
    let r = dist.post_json(&pick, json!({"line": 1, "scan": scan(&a_din, &a_red, "A+")})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("red cells carry antigens"));
    // O- red cells for the plasma line: the wrong product.
    let r = dist.post_json(&pick, json!({"line": 2, "scan": scan(&din, &red, "O-")})).await;
    assert!(problem(r).await["detail"].as_str().unwrap().contains("the line asks for plasma"));
    let r = dist.post_json(&pick, json!({"line": 9, "scan": scan(&din, &red, "O-")})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "line");
    assert_eq!(t.audit_head().await, head, "refusals change nothing");

    // Proposal: the O- unit for line 1; line 2 waits with its reason.
    let o: Value = dist.post_json(&format!("/api/v1/orders/{number}/allocate"), json!(null)).await.json().await.unwrap();
    assert_eq!(o["state"], "partly_allocated", "{o}");
    assert_eq!(o["allocations"][0]["din"], din);
    let reason = o["lines"][1]["short_reason"].as_str().unwrap();
    assert!(reason.contains("1 of 1 O- plasma not in stock"), "{reason}");

    // Release the FFP; it then goes to line 2. A unit picked twice is refused.
    let r = lab.post_json(&format!("/api/v1/components/{din}/{ffp}/release"), json!({"scan": scan(&din, &ffp, "O-"), "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let r = dist.post_json(&pick, json!({"line": 1, "scan": scan(&din, &red, "O-")})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "line 1 has its unit");
    let r = dist.post_json(&pick, json!({"line": 2, "scan": scan(&din, &ffp, "O-")})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let o: Value = r.json().await.unwrap();
    assert_eq!(o["state"], "allocated");
    assert!(o["lines"][1]["short_reason"].is_null());

    // Frozen plasma and refrigerated red cells never share a container.
    let pack = format!("/api/v1/orders/{number}/pack");
    let r = dist.post_json(&pack, json!({"scan": scan(&din, &red, "O-")})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = dist.post_json(&pack, json!({"scan": scan(&din, &ffp, "O-"), "container": 1})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(r).await;
    assert_eq!(p["errors"][0]["field"], "container");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("never mixed"), "{p}");
    let s: Value = dist.post_json(&pack, json!({"scan": scan(&din, &ffp, "O-")})).await.json().await.unwrap();
    let classes: Vec<&str> = s["containers"].as_array().unwrap().iter().map(|k| k["shipping_class"].as_str().unwrap()).collect();
    assert_eq!(classes, ["refrigerated", "frozen"]);

    // A reserved unit given back returns to stock; a cancelled order frees its units.
    let o2 = place(&hospital, json!({"priority": "routine", "lines": [red_cells("A+", 1)]})).await;
    let n2 = o2["number"].as_str().unwrap();
    let o2: Value = dist.post_json(&format!("/api/v1/orders/{n2}/allocate"), json!(null)).await.json().await.unwrap();
    assert_eq!(o2["allocations"][0]["din"], a_din);
    assert_eq!(state_of(&lab, &a_din, &a_red).await, "reserved");
    let r = hospital.post_json(&format!("/api/v1/orders/{n2}/cancel"), json!({"reason": " "})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "reason");
    let r = hospital.post_json(&format!("/api/v1/orders/{n2}/cancel"), json!({"reason": "patient transferred"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(state_of(&lab, &a_din, &a_red).await, "available");
    let r = dist.post_json(&format!("/api/v1/orders/{n2}/allocate"), json!(null)).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "a cancelled order takes no units");
}

async fn two_orders_racing_for_the_last_unit_never_both_get_it(t: TestApp) {
    let (din, red, _) = released_red_cells(&t, "Last").await;
    let hospital = t.api_as("hospital").await;
    let a = t.api_as("distribution").await;
    let b = t.api_as("distribution").await;
    let first = place(&hospital, json!({"priority": "stat", "lines": [red_cells("O-", 1)]})).await;
    let second = place(&hospital, json!({"priority": "stat", "lines": [red_cells("O-", 1)]})).await;
    let (n1, n2) = (first["number"].as_str().unwrap(), second["number"].as_str().unwrap());
    let (p1, p2) = (format!("/api/v1/orders/{n1}/allocate"), format!("/api/v1/orders/{n2}/allocate"));
    let (r1, r2) = tokio::join!(a.post_json(&p1, json!(null)), b.post_json(&p2, json!(null)));
    assert_eq!((r1.status(), r2.status()), (StatusCode::OK, StatusCode::OK));
    let (o1, o2): (Value, Value) = (r1.json().await.unwrap(), r2.json().await.unwrap());
    let got: Vec<&Value> = [&o1, &o2].into_iter().filter(|o| !o["allocations"].as_array().unwrap().is_empty()).collect();
    assert_eq!(got.len(), 1, "exactly one order gets the unit: {o1} {o2}");
    assert_eq!(got[0]["allocations"][0]["din"], din);
    let loser = if o1["allocations"].as_array().unwrap().is_empty() { &o1 } else { &o2 };
    assert!(loser["lines"][0]["short_reason"].as_str().unwrap().contains("not in stock"), "{loser}");
    let winner = got[0]["number"].as_str().unwrap().to_string();
    let loser = loser["number"].as_str().unwrap().to_string();

    // Two picks of one unit for two orders: the unit is reserved already for one.
    let r = a.post_json(&format!("/api/v1/orders/{loser}/picks"), json!({"line": 1, "scan": scan(&din, &red, "O-")})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Two shipments of the same box at once: one leaves, the other is refused.
    let r = a.post_json(&format!("/api/v1/orders/{winner}/pack"), json!({"scan": scan(&din, &red, "O-")})).await;
    let s: Value = r.json().await.unwrap();
    let ship = format!("/api/v1/shipments/{}/ship", s["number"].as_str().unwrap());
    let (r1, r2) = tokio::join!(a.post_json(&ship, json!({"courier": "A"})), b.post_json(&ship, json!({"courier": "B"})));
    let mut codes = [r1.status(), r2.status()];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT]);
    let consignees: Value = t.api_as("lab").await.get(&format!("/api/v1/components/{din}/{red}")).await.json().await.unwrap();
    assert_eq!(consignees["unit"]["state"], "shipped");
}

async fn two_parallel_picks_of_the_last_unit_reserve_it_once(t: TestApp) {
    let (din, red, _) = released_red_cells(&t, "Pick").await;
    let hospital = t.api_as("hospital").await;
    let a = t.api_as("distribution").await;
    let b = t.api_as("distribution").await;
    let n1 = place(&hospital, json!({"priority": "stat", "lines": [red_cells("O-", 1)]})).await["number"].as_str().unwrap().to_string();
    let n2 = place(&hospital, json!({"priority": "stat", "lines": [red_cells("O-", 1)]})).await["number"].as_str().unwrap().to_string();
    let body = json!({"line": 1, "scan": scan(&din, &red, "O-")});
    let (p1, p2) = (format!("/api/v1/orders/{n1}/picks"), format!("/api/v1/orders/{n2}/picks"));
    let (r1, r2) = tokio::join!(a.post_json(&p1, body.clone()), b.post_json(&p2, body.clone()));
    let mut codes = [r1.status(), r2.status()];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT]);
    let o1: Value = a.get(&format!("/api/v1/orders/{n1}")).await.json().await.unwrap();
    let o2: Value = a.get(&format!("/api/v1/orders/{n2}")).await.json().await.unwrap();
    assert_eq!(o1["allocations"].as_array().unwrap().len() + o2["allocations"].as_array().unwrap().len(), 1);
}

async fn the_order_pages_take_an_order_through_to_receipt(t: TestApp) {
    let (din, red, ffp) = released_red_cells(&t, "Pages").await;
    let h = t.login_as("hospital").await;
    let html = h.client.get(t.url("/orders/new")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("order-form") && !html.contains("f-hospital"), "a hospital user does not choose the hospital");
    // Errors appear next to their fields, in the row they belong to; nothing is placed.
    let bad = [("_csrf", h.csrf.as_str()), ("priority", "stat"), ("product_2", "red_cells"), ("quantity_2", "two"), ("antigens_2", "Q")];
    let r = h.client.post(t.url("/orders")).form(&bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("give the number of units") && html.contains("order-error"), "{html}");
    let bad = [("_csrf", h.csrf.as_str()), ("priority", "stat"), ("product_3", "red_cells"), ("quantity_3", "2")];
    let html = h.client.post(t.url("/orders")).form(&bad).send().await.unwrap().text().await.unwrap();
    let line3 = &html[html.find("id=\"line-3\"").unwrap()..];
    assert!(line3[..line3.find("</fieldset>").unwrap()].contains("say which ABO/RhD group"), "the error sits in line 3");
    let form = [
        ("_csrf", h.csrf.as_str()),
        ("priority", "asap"),
        ("reference", "WARD 7"),
        ("product_1", "red_cells"),
        ("group_1", "O-"),
        ("quantity_1", "1"),
        ("substitution_1", "on"),
    ];
    let r = h.client.post(t.url("/orders")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let url = r.headers()["location"].to_str().unwrap().to_string();
    assert!(url.starts_with("/orders/ORD-"), "{url}");
    let number = url.rsplit('/').next().unwrap().to_string();
    let html = h.client.get(t.url(&url)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("1 × O- red cells (compatible groups accepted)") && html.contains("Received"), "{html}");
    assert!(!html.contains("allocate-form") && !html.contains("pack-form"), "the hospital does not allocate");

    // Distribution: propose, pack (a wrong unit refused beside the scan field), ship.
    let d = t.login_as("distribution").await;
    let order_page = format!("/orders/{number}");
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let c = d.client.clone();
        let mut f = form;
        f.push(("_csrf", d.csrf.clone()));
        let url = t.url(&path);
        async move { c.post(url).form(&f).send().await.unwrap() }
    };
    let get = |client: reqwest::Client, path: String| {
        let url = t.url(&path);
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(post(format!("/orders/{number}/allocate"), vec![]).await.status(), StatusCode::SEE_OTHER);
    let html = get(d.client.clone(), order_page.clone()).await;
    assert!(html.contains(&din) && html.contains("pack-form"), "{html}");
    let r = post(format!("/orders/{number}/pack"), vec![("scan", scan(&din, &ffp, "O-"))]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-pack\"") && html.contains("is not reserved for order"), "{html}");
    assert_eq!(post(format!("/orders/{number}/pack"), vec![("scan", scan(&din, &red, "O-"))]).await.status(), StatusCode::SEE_OTHER);
    let html = get(d.client.clone(), order_page.clone()).await;
    assert!(html.contains("Container 1: Refrigerated") && html.contains("ship-form"), "{html}");
    let shipment = html[html.find("Shipment SH-").unwrap() + 9..].split_whitespace().next().unwrap().to_string();
    let r = post(format!("/shipments/{shipment}/ship"), vec![("courier", String::new())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("say who carries it"));
    assert_eq!(post(format!("/shipments/{shipment}/ship"), vec![("courier", "Van 2".into())]).await.status(), StatusCode::SEE_OTHER);
    let html = get(d.client.clone(), order_page.clone()).await;
    assert!(html.contains("on its way") && html.contains("with Van 2"), "{html}");

    // The papers travel with the boxes: an independent reader finds the unit on them.
    let r = h.client.get(t.url(&format!("/shipments/{shipment}/packing-list.pdf"))).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let text = pdf_text(&r.bytes().await.unwrap());
    assert!(text.contains(&din) && text.contains(&shipment) && text.contains("Own Hospital"), "{text}");
    let r = d.client.get(t.url(&format!("/shipments/{shipment}/manifest.pdf"))).send().await.unwrap();
    let text = pdf_text(&r.bytes().await.unwrap());
    assert!(text.contains(&din) && text.contains("Van 2"), "{text}");

    // The hospital sees the shipment and confirms receipt.
    let html = get(h.client.clone(), "/orders".into()).await;
    assert!(html.contains(&number) && html.contains(&shipment), "{html}");
    let html = get(h.client.clone(), order_page.clone()).await;
    assert!(html.contains("receive-form"));
    let r = h.client.post(t.url(&format!("/shipments/{shipment}/receipt"))).form(&[("_csrf", h.csrf.as_str()), ("note", "")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = get(h.client.clone(), order_page).await;
    assert!(html.contains("Delivered") && !html.contains("receive-form"), "{html}");
}

/// A released O- red cell unit shipped to H-OWN (and received): the DIN, its red cell and FFP codes.
async fn shipped_unit(t: &TestApp, name: &str) -> (String, String, String) {
    let (din, red, ffp) = released_red_cells(t, name).await;
    let hospital = t.api_as("hospital").await;
    let dist = t.api_as("distribution").await;
    let o = place(&hospital, json!({"priority": "routine", "lines": [red_cells("O-", 1)]})).await;
    let number = o["number"].as_str().unwrap();
    let o: Value = dist.post_json(&format!("/api/v1/orders/{number}/allocate"), json!(null)).await.json().await.unwrap();
    assert_eq!(o["allocations"][0]["din"], din, "{o}");
    let s: Value = dist.post_json(&format!("/api/v1/orders/{number}/pack"), json!({"scan": scan(&din, &red, "O-")})).await.json().await.unwrap();
    let shipment = s["number"].as_str().unwrap();
    assert_eq!(dist.post_json(&format!("/api/v1/shipments/{shipment}/ship"), json!({"courier": "Van"})).await.status(), StatusCode::OK);
    (din, red, ffp)
}

/// Two of the same request at once, from two sessions: the statuses, sorted.
async fn twice_at_once(a: &ApiClient, b: &ApiClient, path: &str, body: Value) -> [StatusCode; 2] {
    let (r1, r2) = tokio::join!(a.post_json(path, body.clone()), b.post_json(path, body.clone()));
    let mut codes = [r1.status(), r2.status()];
    codes.sort();
    codes
}

/// Each step after allocation, sent twice at once: exactly one is done.
async fn packing_receipt_return_and_report_each_happen_once_under_races(t: TestApp) {
    let (din, red, _) = released_red_cells(&t, "Race").await;
    let (h1, h2) = (t.api_as("hospital").await, t.api_as("hospital").await);
    let (d1, d2) = (t.api_as("distribution").await, t.api_as("distribution").await);
    let o = place(&h1, json!({"priority": "routine", "lines": [red_cells("O-", 1)]})).await;
    let number = o["number"].as_str().unwrap();
    assert_eq!(d1.post_json(&format!("/api/v1/orders/{number}/allocate"), json!(null)).await.status(), StatusCode::OK);
    let unit = scan(&din, &red, "O-");
    let pack = format!("/api/v1/orders/{number}/pack");
    assert_eq!(twice_at_once(&d1, &d2, &pack, json!({"scan": unit})).await, [StatusCode::OK, StatusCode::CONFLICT], "one pack");
    let order: Value = d1.get(&format!("/api/v1/orders/{number}")).await.json().await.unwrap();
    assert_eq!(order["shipments"].as_array().unwrap().len(), 1, "{order}");
    let shipment = order["shipments"][0]["number"].as_str().unwrap().to_string();
    let sh: Value = d1.get(&format!("/api/v1/shipments/{shipment}")).await.json().await.unwrap();
    assert_eq!(sh["units"].as_array().unwrap().len(), 1, "the unit is packed once: {sh}");
    assert_eq!(d1.post_json(&format!("/api/v1/shipments/{shipment}/ship"), json!({"courier": "Van"})).await.status(), StatusCode::OK);
    let receipt = format!("/api/v1/shipments/{shipment}/receipt");
    assert_eq!(twice_at_once(&h1, &h2, &receipt, json!({})).await, [StatusCode::OK, StatusCode::CONFLICT], "one receipt");
    let back = json!({"scan": unit, "temperature_c": 4.0, "temperature_kept": true});
    assert_eq!(twice_at_once(&d1, &d2, "/api/v1/returns", back).await, [StatusCode::CREATED, StatusCode::CONFLICT], "one return");
    let returns: Value = d1.get("/api/v1/returns").await.json().await.unwrap();
    assert_eq!(returns.as_array().unwrap().iter().filter(|r| r["din"] == din).count(), 1, "{returns}");

    // Another unit, shipped and received, reported twice at once.
    let (din2, red2, _) = shipped_unit(&t, "Race2").await;
    let report = json!({"scan": scan(&din2, &red2, "O-"), "disposition": "transfused"});
    assert_eq!(twice_at_once(&h1, &h2, "/api/v1/dispositions", report).await, [StatusCode::CREATED, StatusCode::CONFLICT], "one report");
    let reports: Value = h1.get("/api/v1/dispositions").await.json().await.unwrap();
    assert_eq!(reports.as_array().unwrap().iter().filter(|r| r["din"] == din2).count(), 1, "{reports}");
}

async fn returns_go_back_through_inspection_and_the_gate(t: TestApp) {
    let (din, red, ffp) = shipped_unit(&t, "Back").await;
    let dist = t.api_as("distribution").await;
    let lab = t.api_as("lab").await;
    let hospital = t.api_as("hospital").await;
    let head = t.audit_head().await;
    // Only a shipped unit comes back; the hospital does not record returns itself.
    let r = dist.post_json("/api/v1/returns", json!({"scan": scan(&din, &ffp, "O-"), "temperature_c": 4.0, "temperature_kept": true})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("only a unit shipped"));
    assert_eq!(
        hospital.post_json("/api/v1/returns", json!({"scan": scan(&din, &red, "O-"), "temperature_c": 4.0, "temperature_kept": true})).await.status(),
        StatusCode::FORBIDDEN
    );
    let r = dist.post_json("/api/v1/returns/inspections", json!({"scan": scan(&din, &red, "O-"), "passed": true})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "nothing to inspect yet");
    // The reading on arrival is needed, and must be one a unit can have.
    let r = dist.post_json("/api/v1/returns", json!({"scan": scan(&din, &red, "O-"), "temperature_kept": true})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "temperature_c");
    let r = dist.post_json("/api/v1/returns", json!({"scan": scan(&din, &red, "O-"), "temperature_c": 300.0, "temperature_kept": true})).await;
    let p = problem(r).await;
    assert_eq!(p["errors"][0]["field"], "temperature_c");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("not a reading"), "{p}");
    assert_eq!(t.audit_head().await, head);
    // On the page, the reading's error sits beside the reading.
    let d = t.login_as("distribution").await;
    let head = t.audit_head().await;
    let form = [("_csrf", d.csrf.as_str()), ("scan", &scan(&din, &red, "O-")), ("temperature_c", "cold"), ("temperature_kept", "yes")];
    let r = d.client.post(t.url("/returns")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let field = &html[html.find("f-return-temperature").unwrap()..];
    assert!(field[..field.find("</div>").unwrap()].contains("write the reading as degrees Celsius"), "{html}");
    assert_eq!(t.audit_head().await, head);

    let r = dist
        .post_json(
            "/api/v1/returns",
            json!({"scan": scan(&din, &red, "O-"), "temperature_c": 4.0, "temperature_kept": true, "note": "surgery cancelled"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["hospital_code"].as_str(), v["outcome"].as_str()), (Some("H-OWN"), Some("waiting for inspection")));
    assert_eq!(state_of(&lab, &din, &red).await, "returned");
    // A failed inspection needs its finding; a pass sends the unit to quarantine, and the
    // laboratory releases it again through the gate.
    let r = dist.post_json("/api/v1/returns/inspections", json!({"scan": scan(&din, &red, "O-"), "passed": false})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "note");
    let r = dist.post_json("/api/v1/returns/inspections", json!({"scan": scan(&din, &red, "O-"), "passed": true})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(state_of(&lab, &din, &red).await, "quarantine");
    let r = lab.post_json(&format!("/api/v1/components/{din}/{red}/release"), json!({"scan": scan(&din, &red, "O-"), "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    assert_eq!(state_of(&lab, &din, &red).await, "available");
    let list: Value = hospital.get("/api/v1/returns").await.json().await.unwrap();
    assert!(list[0]["outcome"].as_str().unwrap().contains("passed inspection"), "{list}");

    // Shipped again and returned out of temperature: discarded at once.
    let o = place(&hospital, json!({"priority": "routine", "lines": [red_cells("O-", 1)]})).await;
    let number = o["number"].as_str().unwrap();
    dist.post_json(&format!("/api/v1/orders/{number}/allocate"), json!(null)).await;
    let s: Value = dist.post_json(&format!("/api/v1/orders/{number}/pack"), json!({"scan": scan(&din, &red, "O-")})).await.json().await.unwrap();
    dist.post_json(&format!("/api/v1/shipments/{}/ship", s["number"].as_str().unwrap()), json!({"courier": "Van"})).await;
    let r = dist.post_json("/api/v1/returns", json!({"scan": scan(&din, &red, "O-"), "temperature_c": 14.5, "temperature_kept": true})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let outcome = v["outcome"].as_str().unwrap();
    assert!(outcome.starts_with("discarded") && outcome.contains("14.5 °C") && outcome.contains("1 to 10 °C"), "{outcome}");
    assert_eq!(state_of(&lab, &din, &red).await, "discarded");
}

async fn hospitals_report_the_fate_of_their_units(t: TestApp) {
    let (din, red, ffp) = shipped_unit(&t, "Fate").await;
    let hospital = t.api_as("hospital").await;
    let dist = t.api_as("distribution").await;
    let lab = t.api_as("lab").await;
    let head = t.audit_head().await;
    // A unit the hospital never received, a wrong word, a future time: refused, nothing changed.
    let r = hospital.post_json("/api/v1/dispositions", json!({"scan": scan(&din, &ffp, "O-"), "disposition": "transfused"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("never received"));
    let r = hospital.post_json("/api/v1/dispositions", json!({"scan": scan(&din, &red, "O-"), "disposition": "lost"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "disposition");
    let r = hospital
        .post_json(
            "/api/v1/dispositions",
            json!({"scan": scan(&din, &red, "O-"), "disposition": "transfused", "occurred_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(problem(r).await["errors"][0]["field"], "occurred_at");
    assert_eq!(
        dist.post_json("/api/v1/dispositions", json!({"scan": scan(&din, &red, "O-"), "disposition": "transfused"})).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.audit_head().await, head);

    let r = hospital.post_json("/api/v1/dispositions", json!({"scan": scan(&din, &red, "O-"), "disposition": "transfused", "note": "bed 12"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    assert_eq!(state_of(&lab, &din, &red).await, "transfused");
    let r = hospital.post_json("/api/v1/dispositions", json!({"scan": scan(&din, &red, "O-"), "disposition": "wasted"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "once");
    let list: Value = dist.get("/api/v1/dispositions").await.json().await.unwrap();
    assert_eq!((list[0]["din"].as_str(), list[0]["disposition"].as_str()), (Some(din.as_str()), Some("transfused")));
    // A transfused unit does not come back.
    let r = dist.post_json("/api/v1/returns", json!({"scan": scan(&din, &red, "O-"), "temperature_c": 4.0, "temperature_kept": true})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

async fn a_return_past_its_time_limit_is_refused(t: TestApp) {
    let (din, red, _) = shipped_unit(&t, "Late").await;
    let dist = t.api_as("distribution").await;
    let head = t.audit_head().await;
    let r = dist.post_json("/api/v1/returns", json!({"scan": scan(&din, &red, "O-"), "temperature_c": 4.0, "temperature_kept": true})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("returns are accepted within 0 hours"));
    assert_eq!(t.audit_head().await, head);
    assert_eq!(state_of(&t.api_as("lab").await, &din, &red).await, "shipped");
}

mod a_return_past_its_time_limit {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let t = crate::common::spawn_app_with(store::Backend::Sqlite, |s| s.returns.window_hours = 0).await.unwrap();
        super::a_return_past_its_time_limit_is_refused(t).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(t) = crate::common::spawn_app_with(store::Backend::Postgres, |s| s.returns.window_hours = 0).await {
            super::a_return_past_its_time_limit_is_refused(t).await;
        }
    }
}

async fn supply_views_count_the_service_and_feed_recruitment(t: TestApp) {
    let admin = t.api_as("admin").await;
    let body =
        json!({"reason": "blood bank contact", "hospital": {"code": "H-OWN", "name": "Own Hospital", "contact_email": "bloodbank@own.example.org"}});
    assert!(admin.put_json(&format!("/api/v1/hospitals/{}", t.own_hospital), body).await.status().is_success());
    let (_din, _red, _) = shipped_unit(&t, "Supply").await;
    let sales = t.api_as("sales").await;
    let dist = t.api_as("distribution").await;
    let hospital = t.api_as("hospital").await;
    let v: Value = sales.get("/api/v1/supply").await.json().await.unwrap();
    assert_eq!(
        (v["customers"]["active"].as_i64(), v["customers"]["new"].as_i64(), v["customers"]["lost"].as_i64()),
        (Some(1), Some(1), Some(0)),
        "{v}"
    );
    let own = v["hospitals"].as_array().unwrap().iter().find(|h| h["code"] == "H-OWN").unwrap();
    assert_eq!((own["units_ordered"].as_i64(), own["units_shipped"].as_i64(), own["fill_rate"].as_f64()), (Some(1), Some(1), Some(100.0)), "{own}");
    assert_eq!((own["orders_shipped"].as_i64(), own["on_time_rate"].as_f64()), (Some(1), Some(100.0)));
    assert_eq!(v["months"][0]["shipped"], 1);
    // The only O- red cell unit left: no stock against demand, so O- red cells are critical.
    let line = v["supply"].as_array().unwrap().iter().find(|l| l["product"] == "red_cells" && l["group"] == "O-").unwrap();
    assert_eq!((line["days_of_supply"].as_f64(), line["critical"].as_bool()), (Some(0.0), Some(true)), "{line}");
    // The recruitment needs put the short group first.
    let r = admin.put_json("/api/v1/recruitment/targets", json!({"blood_group": "A+", "procedure": "whole_blood", "units_per_week": 50})).await;
    assert!(r.status().is_success());
    let r = admin.put_json("/api/v1/recruitment/targets", json!({"blood_group": "O-", "procedure": "whole_blood", "units_per_week": 1})).await;
    assert!(r.status().is_success());
    let needs: Value = admin.get("/api/v1/recruitment/needs").await.json().await.unwrap();
    assert_eq!((needs[0]["blood_group"].as_str(), needs[0]["short"].as_bool()), (Some("O-"), Some(true)), "{needs}");

    // A shortage notice: refused without a message or from a hospital; then sent to each hospital with a contact.
    let head = t.audit_head().await;
    let r = dist.post_json("/api/v1/shortage-notices", json!({"product": "red_cells", "blood_group": "O-", "message": " "})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "message");
    let r = dist.post_json("/api/v1/shortage-notices", json!({"product": "blood", "message": "x"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "product");
    let r = hospital.post_json("/api/v1/shortage-notices", json!({"product": "red_cells", "message": "x"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);
    let r = dist
        .post_json(
            "/api/v1/shortage-notices",
            json!({"product": "red_cells", "blood_group": "O-", "message": "Order O- only for O- patients today."}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let n: Value = r.json().await.unwrap();
    assert_eq!((n["recipients"].as_i64(), n["days_of_supply"].as_f64()), (Some(1), Some(0.0)), "{n}");
    let seen: Value = hospital.get("/api/v1/shortage-notices").await.json().await.unwrap();
    assert!(seen[0]["message"].as_str().unwrap().contains("O- only"), "{seen}");

    // Each table as CSV.
    let s = t.login_as("sales").await;
    let csv = s.client.get(t.url("/sales/supply/hospitals.csv")).send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with("hospital,name,orders") && csv.contains("H-OWN,Own Hospital,1,1,1,100.0"), "{csv}");
    let html = s.client.get(t.url("/sales/supply")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("CRITICAL") && html.contains("<svg") && html.contains("Order O- only"), "the page shows it");
    assert_eq!(s.client.get(t.url("/sales/supply/secrets.csv")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

async fn standing_orders_top_the_shelf_up_once_a_day(t: TestApp) {
    let sales = t.api_as("sales").await;
    let hospital = t.api_as("hospital").await;
    let head = t.audit_head().await;
    let every_day = json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
    let r = sales
        .post_json(
            "/api/v1/standing-orders",
            json!({"hospital": "H-OWN", "product": "red_cells", "par_level": 0, "weekdays": [], "time_of_day": "7am"}),
        )
        .await;
    let p = problem(r).await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["blood_group", "par_level", "weekdays", "time_of_day"], "{p}");
    let body =
        json!({"hospital": "H-OWN", "product": "red_cells", "blood_group": "O-", "par_level": 3, "weekdays": every_day, "time_of_day": "00:00"});
    assert_eq!(hospital.post_json("/api/v1/standing-orders", body.clone()).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);
    let r = sales.post_json("/api/v1/standing-orders", body.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let so: Value = r.json().await.unwrap();
    assert_eq!(sales.post_json("/api/v1/standing-orders", body).await.status(), StatusCode::CONFLICT, "one per product and group");

    // One unit already on the hospital's shelf: the job orders two, once, even when two
    // servers run it at the same moment.
    shipped_unit(&t, "Shelf").await;
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(t.app.run_standing_orders(now), t.app.run_standing_orders(now));
    let placed: Vec<String> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    assert_eq!(placed.len(), 1, "{placed:?}");
    assert!(t.app.run_standing_orders(now).await.unwrap().is_empty(), "once a day");
    let o: Value = hospital.get(&format!("/api/v1/orders/{}", placed[0])).await.json().await.unwrap();
    assert_eq!((o["priority"].as_str(), o["channel"].as_str()), (Some("standing"), Some("Standing order")));
    assert_eq!(o["lines"][0]["words"], "2 × O- red cells (compatible groups accepted)");
    let list: Value = hospital.get("/api/v1/standing-orders").await.json().await.unwrap();
    assert!(list[0]["last_note"].as_str().unwrap().contains("1 on the shelf, par 3, 2 ordered"), "{list}");

    // Ended, it orders no more.
    let id = so["id"].as_str().unwrap();
    let r = sales.post_json(&format!("/api/v1/standing-orders/{id}/end"), json!({"reason": ""})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "reason");
    let r = sales.post_json(&format!("/api/v1/standing-orders/{id}/end"), json!({"reason": "contract ended"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sales.post_json(&format!("/api/v1/standing-orders/{id}/end"), json!({"reason": "again"})).await.status(), StatusCode::CONFLICT);
}

both_backends!(
    standing_orders_top_the_shelf_up_once_a_day,
    supply_views_count_the_service_and_feed_recruitment,
    returns_go_back_through_inspection_and_the_gate,
    hospitals_report_the_fate_of_their_units,
    the_order_pages_take_an_order_through_to_receipt,
    an_order_goes_from_the_portal_to_receipt,
    orders_are_refused_with_their_reason,
    only_released_compatible_units_are_allocated,
    two_orders_racing_for_the_last_unit_never_both_get_it,
    two_parallel_picks_of_the_last_unit_reserve_it_once,
    packing_receipt_return_and_report_each_happen_once_under_races,
);
