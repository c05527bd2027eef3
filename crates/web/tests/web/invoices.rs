//! Contracts and invoicing through the API and pages, on both back ends: a contract,
//! a shipment invoiced and printed and paid; a month invoiced with a return credit;
//! credit notes; every refusal; two invoicing requests racing for one shipment.

use crate::common;

use chrono::Datelike;
use common::units::{released_red_cells, scan};
use common::{problem, ApiClient, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn price_list() -> Value {
    json!({
        "currency": "USD",
        "products": [{"product": "red_cells", "unit_cents": 21000}, {"product": "plasma", "unit_cents": 6000}],
        "surcharges": [{"attribute": "irradiated", "unit_cents": 2500}],
        "delivery_fee_cents": {"routine": 4500, "urgent": 15000},
        "return_credit_percent": 80,
        "payment_terms_days": 30,
        "tax_percent": 0
    })
}

fn year() -> i32 {
    chrono::Utc::now().year()
}

async fn add_contract(t: &TestApp, hospital: uuid::Uuid) -> Value {
    let sales = t.api_as("sales").await;
    let r = sales
        .post_json(&format!("/api/v1/hospitals/{hospital}/contracts"), json!({"effective_from": "2020-01-01", "price_list": price_list()}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// A released O- red cell unit ordered (`priority`) for `hospital` (None: the portal
/// user's own), reserved and packed: (shipment number, DIN, product code).
async fn packed(t: &TestApp, name: &str, hospital: Option<&str>, priority: &str) -> (String, String, String) {
    let (din, red, _) = released_red_cells(t, name).await;
    let dist = t.api_as("distribution").await;
    let mut body = json!({"priority": priority, "lines": [{"product": "red_cells", "blood_group": "O-", "quantity": 1}]});
    let placer = match hospital {
        Some(code) => {
            body["hospital"] = json!(code);
            t.api_as("distribution").await
        }
        None => t.api_as("hospital").await,
    };
    let r = placer.post_json("/api/v1/orders", body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let o: Value = r.json().await.unwrap();
    let number = o["number"].as_str().unwrap();
    let o: Value = dist.post_json(&format!("/api/v1/orders/{number}/allocate"), json!(null)).await.json().await.unwrap();
    assert_eq!(o["allocations"][0]["din"], din, "{o}");
    let s: Value = dist.post_json(&format!("/api/v1/orders/{number}/pack"), json!({"scan": scan(&din, &red, "O-")})).await.json().await.unwrap();
    (s["number"].as_str().unwrap().to_string(), din, red)
}

async fn ship(t: &TestApp, shipment: &str) {
    let dist = t.api_as("distribution").await;
    let r = dist.post_json(&format!("/api/v1/shipments/{shipment}/ship"), json!({"courier": "Van"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

async fn shipped(t: &TestApp, name: &str, hospital: Option<&str>, priority: &str) -> (String, String, String) {
    let p = packed(t, name, hospital, priority).await;
    ship(t, &p.0).await;
    p
}

async fn invoice(api: &ApiClient, shipment: &str) -> Value {
    let r = api.post_json(&format!("/api/v1/shipments/{shipment}/invoice"), json!(null)).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoice.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is needed to check invoices");
    assert!(out.status.success(), "pdftotext refused the PDF: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn a_shipment_goes_from_contract_to_paid_invoice(t: TestApp) {
    let sales = t.api_as("sales").await;
    let hospital = t.api_as("hospital").await;
    let contract = add_contract(&t, t.own_hospital).await;
    assert_eq!(contract["number"], format!("C-H-OWN-2020-1"));
    assert_eq!(contract["standing"], "in force");
    let own: Value = hospital.get(&format!("/api/v1/hospitals/{}/contracts", t.own_hospital)).await.json().await.unwrap();
    assert_eq!(own[0]["number"], "C-H-OWN-2020-1", "the hospital sees its own contract");
    assert!(own[0]["summary"][0].as_str().unwrap().starts_with("Red cells: 210.00 USD"), "{own}");

    // An order packed but not shipped is not invoiced.
    let (shipment, din, red) = packed(&t, "Inv", None, "stat").await;
    let head = t.audit_head().await;
    let r = sales.post_json(&format!("/api/v1/shipments/{shipment}/invoice"), json!(null)).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("invoicing an unshipped order"));
    assert_eq!(hospital.post_json(&format!("/api/v1/shipments/{shipment}/invoice"), json!(null)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head, "refusals change nothing");
    ship(&t, &shipment).await;

    let inv = invoice(&sales, &shipment).await;
    let number = inv["number"].as_str().unwrap().to_string();
    assert_eq!(number, format!("INV-{}-000001", year()));
    assert_eq!((inv["hospital_code"].as_str(), inv["status"].as_str(), inv["currency"].as_str()), (Some("H-OWN"), Some("issued"), Some("USD")));
    let lines = inv["lines"].as_array().unwrap();
    assert_eq!(lines[0]["kind"], "product");
    assert_eq!(lines[0]["amount_cents"], 21000);
    assert_eq!(lines[0]["reference"], format!("{din} {red}"));
    let last = lines.last().unwrap();
    assert_eq!((last["description"].as_str(), last["amount_cents"].as_i64()), (Some("Urgent delivery"), Some(15000)), "STAT is urgent");
    let sum: i64 = lines.iter().map(|l| l["amount_cents"].as_i64().unwrap()).sum();
    assert_eq!(inv["total_cents"].as_i64(), Some(sum));
    assert_eq!(inv["outstanding_cents"].as_i64(), Some(sum));

    // Invoicing it again is refused, and the refusal leaves no gap in the numbers.
    let r = sales.post_json(&format!("/api/v1/shipments/{shipment}/invoice"), json!(null)).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains(&format!("already invoiced on {number}")));

    // The printed invoice carries the unit.
    let s = t.login_as("sales").await;
    let r = s.client.get(t.url(&format!("/invoices/{number}.pdf"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let text = pdf_text(&r.bytes().await.unwrap());
    assert!(text.contains(&din) && text.contains(&number) && text.contains("Urgent delivery"), "{text}");
    let page = s.client.get(t.url(&format!("/invoices/{number}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Record the payment") && page.contains(&din), "sales see the payment form");

    // The hospital sees its own invoice; another hospital's is not found.
    let mine: Value = hospital.get(&format!("/api/v1/invoices/{number}")).await.json().await.unwrap();
    assert_eq!(mine["number"], number.as_str());
    add_contract(&t, t.other_hospital).await;
    let (other_shipment, _, _) = shipped(&t, "Other", Some("H-OTHER"), "routine").await;
    let other = invoice(&sales, &other_shipment).await;
    assert_eq!(other["number"], format!("INV-{}-000002", year()), "gap-free after the refusals");
    assert_eq!(other["lines"].as_array().unwrap().last().unwrap()["description"], "Routine delivery");
    let other_number = other["number"].as_str().unwrap();
    assert_eq!(hospital.get(&format!("/api/v1/invoices/{other_number}")).await.status(), StatusCode::NOT_FOUND);
    let hs = t.login_as("hospital").await;
    assert_eq!(hs.client.get(t.url(&format!("/invoices/{other_number}.pdf"))).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(hs.client.get(t.url(&format!("/invoices/{other_number}"))).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let list: Value = hospital.get("/api/v1/invoices").await.json().await.unwrap();
    assert!(list.as_array().unwrap().iter().all(|i| i["hospital_code"] == "H-OWN") && !list.as_array().unwrap().is_empty(), "{list}");
    assert_eq!(hospital.get(&format!("/api/v1/hospitals/{}/contracts", t.other_hospital)).await.status(), StatusCode::NOT_FOUND);

    // A payment is recorded once, in full, not in the future.
    let pay = format!("/api/v1/invoices/{number}/payments");
    let today = chrono::Utc::now().date_naive();
    let head = t.audit_head().await;
    let r = sales.post_json(&pay, json!({"paid_on": today.to_string(), "amount_cents": 100, "reference": "BANK-1"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "amount_cents");
    let r = sales.post_json(&pay, json!({"paid_on": (today + chrono::Days::new(3)).to_string(), "reference": "BANK-1"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "paid_on");
    let r = sales.post_json(&pay, json!({"paid_on": today.to_string(), "reference": " "})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "reference");
    assert_eq!(hospital.post_json(&pay, json!({"paid_on": today.to_string(), "reference": "x"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);
    let r = sales.post_json(&pay, json!({"paid_on": today.to_string(), "amount_cents": sum, "reference": "BANK-1"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let paid: Value = r.json().await.unwrap();
    assert_eq!((paid["status"].as_str(), paid["outstanding_cents"].as_i64()), (Some("paid"), Some(0)));
    let r = sales.post_json(&pay, json!({"paid_on": today.to_string(), "reference": "BANK-2"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("already paid"));
    let paid_list: Value = sales.get("/api/v1/invoices?status=paid").await.json().await.unwrap();
    assert_eq!(paid_list.as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap()).collect::<Vec<_>>(), vec![number.as_str()]);
    let r = sales.get("/api/v1/invoices?status=lost").await;
    assert_eq!(problem(r).await["errors"][0]["field"], "status");

    // Accounting's CSV: one row per invoice.
    let csv = s.client.get(t.url("/sales/invoices.csv")).send().await.unwrap().text().await.unwrap();
    let mut rows = csv.lines();
    assert!(rows.next().unwrap().starts_with("number,type,date,account,account_name,covers,currency,net,tax,total,status,due"));
    let row = csv.lines().find(|l| l.starts_with(&number)).expect("the invoice is in the CSV");
    assert!(row.contains(&format!(",{}.{:02},", sum / 100, sum % 100)) && row.contains(",paid,"), "{row}");
    let list = s.client.get(t.url("/sales/invoices")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains(&number) && list.contains(other_number) && list.contains("Paid on"), "the list page");
}

async fn a_month_is_invoiced_with_its_return_credits(t: TestApp) {
    let sales = t.api_as("sales").await;
    let dist = t.api_as("distribution").await;
    add_contract(&t, t.own_hospital).await;
    let (_, din_a, red_a) = shipped(&t, "Back", None, "routine").await;
    let r = dist.post_json("/api/v1/returns", json!({"scan": scan(&din_a, &red_a, "O-"), "temperature_c": 4.0, "temperature_kept": true})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let r = dist.post_json("/api/v1/returns/inspections", json!({"scan": scan(&din_a, &red_a, "O-"), "passed": true})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let (_, din_b, _) = shipped(&t, "Kept", None, "routine").await;

    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let url = format!("/api/v1/hospitals/{}/invoices", t.own_hospital);
    let head = t.audit_head().await;
    for bad in ["2026-13", "November", ""] {
        let r = sales.post_json(&url, json!({"month": bad})).await;
        assert_eq!(problem(r).await["errors"][0]["field"], "month", "{bad}");
    }
    assert_eq!(t.audit_head().await, head);
    let r = sales.post_json(&url, json!({"month": month})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let inv: Value = r.json().await.unwrap();
    let lines = inv["lines"].as_array().unwrap();
    let of = |kind: &str| lines.iter().filter(|l| l["kind"] == kind).cloned().collect::<Vec<_>>();
    assert_eq!(of("product").len(), 2, "{inv}");
    assert!(of("product").iter().any(|l| l["reference"].as_str().unwrap().starts_with(&din_b)));
    assert_eq!(of("delivery").iter().map(|l| l["amount_cents"].as_i64().unwrap()).collect::<Vec<_>>(), vec![4500, 4500]);
    let credit = of("return_credit");
    assert_eq!(credit.len(), 1, "{inv}");
    // 80 % of the 210.00 the returned unit was charged.
    assert_eq!((credit[0]["amount_cents"].as_i64(), credit[0]["reference"].as_str()), (Some(-16800), Some(format!("{din_a} {red_a}").as_str())));
    assert_eq!(inv["total_cents"].as_i64(), Some(21000 * 2 + 4500 * 2 - 16800));

    // Nothing is invoiced twice.
    let r = sales.post_json(&url, json!({"month": month})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("nothing to invoice for H-OWN"));

    // Credit notes: reason needed, real lines only, a line once, never a credit line,
    // never a credit note of a credit note.
    let number = inv["number"].as_str().unwrap();
    let cn_url = format!("/api/v1/invoices/{number}/credit-notes");
    let credit_index = lines.iter().position(|l| l["kind"] == "return_credit").unwrap();
    let head = t.audit_head().await;
    assert_eq!(problem(sales.post_json(&cn_url, json!({"lines": [0]})).await).await["errors"][0]["field"], "reason");
    assert_eq!(problem(sales.post_json(&cn_url, json!({"lines": [99], "reason": "x"})).await).await["errors"][0]["field"], "lines");
    assert_eq!(problem(sales.post_json(&cn_url, json!({"lines": [], "reason": "x"})).await).await["errors"][0]["field"], "lines");
    let r = sales.post_json(&cn_url, json!({"lines": [credit_index], "reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("has nothing to credit"));
    assert_eq!(t.audit_head().await, head);
    let r = sales.post_json(&cn_url, json!({"lines": [0], "reason": "unit damaged in transit"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let cn: Value = r.json().await.unwrap();
    assert_eq!(cn["number"], format!("CN-{}-000001", year()));
    assert_eq!((cn["credits"].as_str(), cn["total_cents"].as_i64()), (Some(number), Some(-21000)));
    let r = sales.post_json(&cn_url, json!({"lines": [0], "reason": "again"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("already credited"));
    let r = sales.post_json(&format!("/api/v1/invoices/{}/credit-notes", cn["number"].as_str().unwrap()), json!({"lines": [0], "reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let after: Value = sales.get(&format!("/api/v1/invoices/{number}")).await.json().await.unwrap();
    assert_eq!(after["lines"][0]["credited_by"], cn["number"]);
    assert_eq!(after["outstanding_cents"].as_i64(), Some(21000 + 4500 * 2 - 16800));
    // The payment is of what is left after the credit note.
    let today = chrono::Utc::now().date_naive().to_string();
    let r = sales
        .post_json(&format!("/api/v1/invoices/{number}/payments"), json!({"paid_on": today, "amount_cents": inv["total_cents"], "reference": "B"}))
        .await;
    assert_eq!(problem(r).await["errors"][0]["field"], "amount_cents");

    // Revenue: the invoice less its return credit and its credit note, under the
    // product each line was for.
    let net = 21000 * 2 + 4500 * 2 - 16800 - 21000;
    let supply: Value = sales.get("/api/v1/supply").await.json().await.unwrap();
    let revenue = &supply["revenue"][0];
    assert_eq!((revenue["currency"].as_str(), revenue["net_cents"].as_i64()), (Some("USD"), Some(net)), "{revenue}");
    let product = |name: &str| revenue["products"].as_array().unwrap().iter().find(|p| p["key"] == name).map(|p| p["net_cents"].as_i64().unwrap());
    assert_eq!((product("Red cells"), product("Delivery")), (Some(21000 * 2 - 16800 - 21000), Some(9000)), "{revenue}");
    assert_eq!(revenue["accounts"][0]["key"], "H-OWN");
    assert_eq!(revenue["accounts"][0]["share"].as_f64(), Some(100.0));
    assert_eq!(revenue["months"].as_array().unwrap().last().unwrap()["month"], month.as_str());
    let s = t.login_as("sales").await;
    let csv = s.client.get(t.url("/sales/supply/revenue-months.csv")).send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with("month,currency,") && csv.contains(&format!("{month},USD,")), "{csv}");
    assert!(csv.lines().nth(1).unwrap().ends_with(&format!(",{}.{:02}", net / 100, net % 100)), "{csv}");
    let csv = s.client.get(t.url("/sales/supply/revenue-accounts.csv")).send().await.unwrap().text().await.unwrap();
    assert!(csv.contains(&format!("H-OWN,Own Hospital,USD,{}.{:02},100.0", net / 100, net % 100)), "{csv}");
    let page = s.client.get(t.url("/sales/supply")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Net revenue") && page.contains(&domain::pricing::format_cents(net)), "the page shows the revenue");
    // Distribution sees the supply figures but not the money.
    let supply: Value = dist.get("/api/v1/supply").await.json().await.unwrap();
    assert_eq!(supply["revenue"], json!([]));
    let d = t.login_as("distribution").await;
    assert_eq!(d.client.get(t.url("/sales/supply/revenue-months.csv")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let page = d.client.get(t.url("/sales/supply")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("Net revenue"));
}

async fn contracts_and_invoices_are_refused_with_their_reason(t: TestApp) {
    let sales = t.api_as("sales").await;
    let hospital = t.api_as("hospital").await;
    let url = format!("/api/v1/hospitals/{}/contracts", t.own_hospital);
    let head = t.audit_head().await;
    // A bad price list names its fields.
    let mut bad = price_list();
    bad["products"][0]["unit_cents"] = json!(-5);
    bad["currency"] = json!("dollars");
    let r = sales.post_json(&url, json!({"effective_from": "2020-01-01", "price_list": bad})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = problem(r).await["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert!(fields.contains(&"price_list.currency".to_string()) && fields.contains(&"price_list.products[0].unit_cents".to_string()), "{fields:?}");
    let r = sales.post_json(&url, json!({"effective_from": "2020-01-01", "price_list": "{not json"})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "price_list");
    let r = sales.post_json(&url, json!({"effective_from": "01/02/2020", "effective_to": "2019-01-01", "price_list": price_list()})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "effective_from");
    let r = sales.post_json(&url, json!({"effective_from": "2020-02-01", "effective_to": "2020-01-01", "price_list": price_list()})).await;
    assert_eq!(problem(r).await["errors"][0]["field"], "effective_to");
    assert_eq!(hospital.post_json(&url, json!({"effective_from": "2020-01-01", "price_list": price_list()})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.audit_head().await, head);

    // No contract yet: the unit cannot be priced.
    let (shipment, _, _) = shipped(&t, "NoDeal", None, "routine").await;
    let r = sales.post_json(&format!("/api/v1/shipments/{shipment}/invoice"), json!(null)).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let detail = problem(r).await["detail"].as_str().unwrap().to_string();
    let today = chrono::Utc::now().date_naive().to_string();
    assert!(detail.contains("no contract is in force for H-OWN") && detail.contains(&today), "{detail}");

    // Contracts in force on one day twice are refused; a later start supersedes.
    let first: Value = sales
        .post_json(&url, json!({"effective_from": "2020-01-01", "effective_to": "2030-12-31", "price_list": price_list()}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["number"], "C-H-OWN-2020-1");
    let r = sales.post_json(&url, json!({"effective_from": "2025-01-01", "price_list": price_list()})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(problem(r).await["detail"].as_str().unwrap().contains("C-H-OWN-2020-1 runs from 2020-01-01 to 2030-12-31"));
    let r = sales.post_json(&url, json!({"effective_from": "2031-01-01", "price_list": price_list()})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let later: Value = r.json().await.unwrap();
    assert_eq!((later["number"].as_str(), later["standing"].as_str()), (Some("C-H-OWN-2031-1"), Some("starts 2031-01-01")));
    let all: Value = sales.get(&url).await.json().await.unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);

    // Now it can be invoiced; unknown shipments and invoices are not found.
    invoice(&sales, &shipment).await;
    assert_eq!(sales.post_json("/api/v1/shipments/SH-2026-999999/invoice", json!(null)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(sales.get("/api/v1/invoices/INV-2026-999999").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(sales.get("/api/v1/invoices/nonsense").await.status(), StatusCode::NOT_FOUND);

    // The contract page shows the contracts in words; the form refuses a bad list readably.
    let s = t.login_as("sales").await;
    let page = s.client.get(t.url("/sales/contracts")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("C-H-OWN-2020-1") && page.contains("Red cells: 210.00 USD a unit"), "contracts page");
    let r = s
        .client
        .post(t.url("/sales/contracts"))
        .form(&[("_csrf", s.csrf.as_str()), ("hospital", &t.own_hospital.to_string()), ("effective_from", "2032-01-01"), ("price_list", "{}")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Price list"), "the refusal is shown next to the form");
    // The simple form: prices typed as money, no JSON.
    let simple = |red: &'static str| {
        vec![
            ("_csrf", s.csrf.clone()),
            ("hospital", t.own_hospital.to_string()),
            ("effective_from", "2032-01-01".to_string()),
            ("currency", "usd".to_string()),
            ("price_red_cells", red.to_string()),
            ("price_plasma", "60".to_string()),
            ("surcharge_irradiated", "25.00".to_string()),
            ("fee_routine", "45.00".to_string()),
            ("fee_urgent", "150".to_string()),
            ("tier_units", "100".to_string()),
            ("tier_percent", "7.5".to_string()),
            ("return_percent", "80".to_string()),
            ("terms_days", "45".to_string()),
            ("tax_percent", "0".to_string()),
            ("price_list", String::new()),
        ]
    };
    let r = s.client.post(t.url("/sales/contracts")).form(&simple("21O.00")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Red cells price: &#39;21O.00&#39; is not an amount like 210.00"), "{html}");
    assert!(html.contains("value=\"21O.00\""), "what was typed is kept");
    let r = s.client.post(t.url("/sales/contracts")).form(&simple("1,210.5")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Contract C-H-OWN-2032-1 added"));
    let all: Value = sales.get(&url).await.json().await.unwrap();
    let c = &all[0];
    assert_eq!(c["number"], "C-H-OWN-2032-1");
    assert_eq!(c["price_list"]["currency"], "USD");
    assert_eq!(c["price_list"]["products"], json!([{"product": "red_cells", "unit_cents": 121050}, {"product": "plasma", "unit_cents": 6000}]));
    assert_eq!(c["price_list"]["volume_tiers"], json!([{"min_units": 100, "discount_percent": 7.5}]));
    assert_eq!((c["price_list"]["payment_terms_days"].as_i64(), c["price_list"]["delivery_fee_cents"]["urgent"].as_i64()), (Some(45), Some(15000)));
}

async fn two_invoices_of_one_shipment_racing_give_one_invoice(t: TestApp) {
    add_contract(&t, t.own_hospital).await;
    let (shipment, _, _) = shipped(&t, "Race", None, "routine").await;
    let a = t.api_as("sales").await;
    let b = t.api_as("sales").await;
    let url = format!("/api/v1/shipments/{shipment}/invoice");
    let (ra, rb) = tokio::join!(a.post_json(&url, json!(null)), b.post_json(&url, json!(null)));
    let mut statuses = vec![ra.status(), rb.status()];
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::CREATED, StatusCode::CONFLICT]);
    let list: Value = a.get("/api/v1/invoices").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["number"], format!("INV-{}-000001", year()));
    // The month run finds the shipment already invoiced.
    let r = a
        .post_json(&format!("/api/v1/hospitals/{}/invoices", t.own_hospital), json!({"month": chrono::Utc::now().format("%Y-%m").to_string()}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

async fn the_invoice_pages_issue_credit_and_take_payments(t: TestApp) {
    add_contract(&t, t.own_hospital).await;
    let (shipment, din, _) = shipped(&t, "Pages", None, "asap").await;
    let s = t.login_as("sales").await;
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let mut f = form;
        f.push(("_csrf", s.csrf.clone()));
        s.client.post(t.url(&path)).form(&f).send()
    };
    // A shipment typed wrong is refused on the list page, in words.
    let r = post("/sales/invoices/shipment".into(), vec![("shipment", "SH-2000-000001".into())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("no shipment SH-2000-000001"));
    let r = post("/sales/invoices/shipment".into(), vec![("shipment", shipment.to_lowercase())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let number = to.trim_start_matches("/invoices/").to_string();
    let page = s.client.get(t.url(&to)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&din) && page.contains("Urgent delivery") && page.contains("Issued, due"), "invoice page");
    assert!(!page.contains("shipment_item") && !page.contains("unit_cents"), "no internal codes on the page");

    // The payment form: the reference is needed; a credit note first lowers what is due.
    let r = post(format!("/invoices/{number}/payments"), vec![("paid_on", chrono::Utc::now().date_naive().to_string()), ("reference", "".into())])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Reference: is required"));
    let r = post(format!("/invoices/{number}/credit-notes"), vec![("reason", "delivery was late".into())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("choose at least one invoice line"));
    let inv: Value = t.api_as("sales").await.get(&format!("/api/v1/invoices/{number}")).await.json().await.unwrap();
    let delivery = inv["lines"].as_array().unwrap().iter().position(|l| l["kind"] == "delivery").unwrap();
    let r =
        post(format!("/invoices/{number}/credit-notes"), vec![("line", delivery.to_string()), ("reason", "delivery was late".into())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cn_page = s.client.get(t.url(r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(cn_page.contains("Credit note CN-") && cn_page.contains("delivery was late") && cn_page.contains("-150.00"), "credit note page");
    let r =
        post(format!("/invoices/{number}/payments"), vec![("paid_on", chrono::Utc::now().date_naive().to_string()), ("reference", "BANK-7".into())])
            .await
            .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = s.client.get(t.url(&to)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Paid on") && page.contains("BANK-7") && page.contains("credited by"), "paid invoice page");
    let after: Value = t.api_as("sales").await.get(&format!("/api/v1/invoices/{number}")).await.json().await.unwrap();
    assert_eq!(after["status"], "paid");

    // The hospital user has no forms, only its invoice and the PDF link.
    let h = t.login_as("hospital").await;
    let page = h.client.get(t.url(&to)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Printable invoice (PDF)") && !page.contains("Record the payment") && !page.contains("Issue a credit note"));
    let list = h.client.get(t.url("/sales/invoices")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains(&number) && !list.contains("Invoice a month"));
}

both_backends!(
    a_shipment_goes_from_contract_to_paid_invoice,
    a_month_is_invoiced_with_its_return_credits,
    contracts_and_invoices_are_refused_with_their_reason,
    two_invoices_of_one_shipment_racing_give_one_invoice,
    the_invoice_pages_issue_credit_and_take_payments,
);
