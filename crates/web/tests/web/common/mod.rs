//! `spawn_app()`: the real server on port 0 with a fresh database, and a client with
//! helpers to sign in as each role.

#![allow(dead_code)]

pub mod smtp;
pub mod units;

use app::users::NewUserInput;
use app::{Actor, App};
use domain::{HospitalInput, Role, SiteInput};
use reqwest::{Client, Response, StatusCode};
use store::test_support::TestDb;
use store::Backend;
use uuid::Uuid;

pub const PASSWORD: &str = "test-password-1";

pub struct TestApp {
    pub addr: String,
    pub app: App,
    pub site_id: Uuid,
    /// The hospital the hospital user belongs to, and another one.
    pub own_hospital: Uuid,
    pub other_hospital: Uuid,
    pub token_id: Uuid,
    pub admin_token: String,
    /// The database's URL (a second server can connect to it).
    pub db_url: String,
    _db: TestDb,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// Stops the campaign outbox worker (when the app runs one).
    pub stop_worker: tokio::sync::watch::Sender<bool>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.stop_worker.send(true);
    }
}

/// Starts hemaflow with one user per role (user name = role name), one site and two
/// hospital accounts. `None` when the back end is not available here.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// `spawn_app` with settings adjusted first (e.g. `s.smtp_url = Some(sink.url.clone())`).
/// `public_url` is the test server's own address.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut app::Settings)) -> Option<TestApp> {
    spawn_app_opts(backend, adjust, true).await
}

/// `spawn_app_with`, choosing whether the server runs its campaign outbox worker
/// (tests of the worker itself run their own).
pub async fn spawn_app_opts(backend: Backend, adjust: impl FnOnce(&mut app::Settings), outbox_worker: bool) -> Option<TestApp> {
    let db = store::test_support::fresh(backend).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = app::Settings { fin: Some("A9998".into()), public_url: addr.clone(), ..Default::default() };
    settings.outbox.poll = std::time::Duration::from_millis(50);
    settings.outbox.rate_per_second = 200.0;
    adjust(&mut settings);
    let app = App::new(db.store.clone(), settings);
    let op = Actor::operator();
    let site = app
        .create_site(
            &op,
            &SiteInput {
                code: "MAIN".into(),
                name: "Main donor centre".into(),
                kind: "fixed".into(),
                time_zone: "America/Chicago".into(),
                active: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut hospitals = Vec::new();
    for (code, name) in [("H-OWN", "Own Hospital"), ("H-OTHER", "Other Hospital")] {
        let h = app
            .create_hospital(&op, &HospitalInput { code: code.into(), name: name.into(), status: "active".into(), ..Default::default() })
            .await
            .unwrap();
        hospitals.push(h.id);
    }
    for role in Role::ALL {
        app.create_user(
            &op,
            &NewUserInput {
                username: role.as_str().into(),
                password: PASSWORD.into(),
                roles: vec![role.as_str().into()],
                hospital: (role == Role::Hospital).then(|| "H-OWN".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let (token, admin_token) = app.create_api_token(&op, "admin", "tests", None).await.unwrap();

    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = web::AppState::new(app.clone(), false);
    tokio::spawn(web::serve(listener, state, async move {
        let _ = rx.await;
    }));
    let (stop_worker, stop) = tokio::sync::watch::channel(false);
    if outbox_worker {
        tokio::spawn(app.outbox_worker().run(stop));
    }
    Some(TestApp {
        addr,
        app,
        site_id: site.id,
        own_hospital: hospitals[0],
        other_hospital: hospitals[1],
        token_id: token.id,
        admin_token,
        db_url: db.url.clone(),
        _db: db,
        shutdown: Some(tx),
        stop_worker,
    })
}

pub fn client() -> Client {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A signed-in browser-like client and its CSRF token.
pub struct Session {
    pub client: Client,
    pub csrf: String,
}

pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"_csrf\" value=\"").expect("page has a CSRF field") + 20;
    html[at..].split('"').next().unwrap().to_string()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr, path)
    }

    pub async fn login_as(&self, username: &str) -> Session {
        let client = client();
        let r = client.post(self.url("/login")).form(&[("username", username), ("password", PASSWORD)]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login as {username}");
        let html = client.get(self.url("/")).send().await.unwrap().text().await.unwrap();
        Session { client, csrf: csrf_of(&html) }
    }

    pub async fn audit_head(&self) -> i64 {
        self.app.store.audit_head().await.unwrap().0
    }

    pub fn api(&self) -> ApiClient {
        ApiClient { base: self.addr.clone(), token: self.admin_token.clone(), client: client() }
    }

    /// An API client holding a new token of the demo user `username` (a clinical role,
    /// since the administrator holds none).
    pub async fn api_as(&self, username: &str) -> ApiClient {
        let (_, token) = self.app.create_api_token(&Actor::operator(), username, "tests", None).await.unwrap();
        ApiClient { base: self.addr.clone(), token, client: client() }
    }
}

impl TestApp {
    /// A whole blood donation collected over the API from a new donor whose group
    /// (`abo`, `rhd`: "O", "neg") two lab determinations confirm. Returns the DIN.
    pub async fn collected_unit(&self, last_name: &str, abo: &str, rhd: &str, confirmations: usize) -> String {
        let (_, id) = self.eligible_visit(last_name, abo, rhd, confirmations, "whole_blood").await;
        let collector = self.api_as("collector").await;
        let r = collector.post_json(&format!("/api/v1/screenings/{id}/collection"), serde_json::json!(null)).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let c: serde_json::Value = r.json().await.unwrap();
        c["din"]["din"].as_str().unwrap_or_else(|| panic!("no DIN in {c}")).to_string()
    }

    /// A whole blood donation with its complete collection record (CPD, AS-1): the DIN and
    /// the collection time.
    pub async fn recorded_donation(&self, name: &str) -> (String, String) {
        self.recorded_donation_of(name, "O", "neg").await
    }

    /// The same from a donor of the group given (`"A"`, `"pos"`).
    pub async fn recorded_donation_of(&self, name: &str, abo: &str, rhd: &str) -> (String, String) {
        let din = self.collected_unit(name, abo, rhd, 2).await;
        let api = self.api_as("collector").await;
        let d: serde_json::Value = api.get(&format!("/api/v1/donations/{din}")).await.json().await.unwrap();
        let at = d["collected_at"].as_str().unwrap().to_string();
        let r = api
            .post_json(
                &format!("/api/v1/donations/{din}/collection"),
                serde_json::json!({"phlebotomist": "P", "started_at": at, "ended_at": at, "volume_ml": 480, "outcome": "complete",
                       "bag_set_lot": "B1", "bag_set_expires_on": "2099-01-01", "anticoagulant": "CPD", "anticoagulant_lot": "A1",
                       "anticoagulant_expires_on": "2099-01-01", "additive_solution": "AS-1"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
        (din, at)
    }

    /// A new donor (group as in [`TestApp::collected_unit`]) screened eligible for whole
    /// blood today: the donor number and the visit id, nothing collected yet.
    pub async fn eligible_visit(&self, last_name: &str, abo: &str, rhd: &str, confirmations: usize, procedure: &str) -> (String, String) {
        let collector = self.api_as("collector").await;
        let lab = self.api_as("lab").await;
        let r = collector
            .post_json(
                "/api/v1/donors",
                serde_json::json!({"first_name": "Unit", "last_name": last_name, "birth_date": "1979-06-15", "sex": "M", "not_a_duplicate": true}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let d: serde_json::Value = r.json().await.unwrap();
        let number = d["donor_number"].as_str().or(d["donor"]["donor_number"].as_str()).unwrap().to_string();
        for when in ["2025-01-10", "2025-06-10"].iter().take(confirmations) {
            let body = serde_json::json!({"abo": abo, "rhd": rhd, "determined_on": when, "source": "lab"});
            let r = lab.post_json(&format!("/api/v1/donors/{number}/blood-groups"), body).await;
            assert!(r.status().is_success(), "determination: {}", r.text().await.unwrap());
        }
        let q: serde_json::Value = collector.get("/api/v1/questionnaire").await.json().await.unwrap();
        let answers: serde_json::Map<String, serde_json::Value> = q["questions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["sex"].is_null() || x["sex"] == "M")
            .map(|x| (x["id"].as_str().unwrap().to_string(), serde_json::json!(x["defer_on"] == "no")))
            .collect();
        let visit = serde_json::json!({
            "procedure": procedure, "site": "MAIN", "weight_kg": 80,
            "screening": {"hemoglobin_g_dl": 14.2, "pulse_bpm": 70, "bp_systolic": 120, "bp_diastolic": 80, "temperature_c": 36.7},
            "answers": answers,
        });
        let r = collector.post_json(&format!("/api/v1/donors/{number}/screenings"), visit).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: serde_json::Value = r.json().await.unwrap();
        let id = v["id"].as_str().or(v["visit"]["id"].as_str()).unwrap().to_string();
        (number, id)
    }
}

pub struct ApiClient {
    pub base: String,
    pub token: String,
    pub client: Client,
}

impl ApiClient {
    pub async fn get(&self, path: &str) -> Response {
        self.client.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await.unwrap()
    }
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> Response {
        self.client.post(format!("{}{path}", self.base)).bearer_auth(&self.token).json(&body).send().await.unwrap()
    }
    pub async fn put_json(&self, path: &str, body: serde_json::Value) -> Response {
        self.client.put(format!("{}{path}", self.base)).bearer_auth(&self.token).json(&body).send().await.unwrap()
    }
}

/// Reads a problem document and checks its shape.
pub async fn problem(r: Response) -> serde_json::Value {
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert_eq!(ct, "application/problem+json", "problem content type");
    let v: serde_json::Value = r.json().await.unwrap();
    for k in ["type", "title", "detail", "status"] {
        assert!(v.get(k).is_some(), "problem lacks {k}: {v}");
    }
    v
}

/// One test per back end for each case.
#[macro_export]
macro_rules! both_backends {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::common::spawn_app(store::Backend::Sqlite).await.unwrap();
                super::$case(t).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(t) = $crate::common::spawn_app(store::Backend::Postgres).await {
                    super::$case(t).await;
                }
            }
        }
    )*};
}
