//! Use cases of hemaflow. Each public function checks the actor's authority, applies
//! the domain rules and writes the state change together with its audit record in
//! one store transaction. Nothing here knows about HTTP or the command line.

pub mod apheresis;
pub mod apheresis_procedure;
pub mod apheresis_report;
pub mod apheresis_schedule;
pub mod appointments;
pub mod audit;
pub mod auth;
pub mod collection;
pub mod collection_record;
pub mod components;
pub mod consignees;
pub mod dashboard;
pub mod demo;
pub mod dins;
mod donor_facts;
pub mod donors;
pub mod eligibility;
mod error;
pub mod follow_up;
pub mod import;
pub mod inventory;
pub mod invoices;
pub mod labels;
pub mod mail;
pub mod policy;
pub mod quality;
pub mod recruitment;
pub mod recruitment_scores;
pub mod reference;
pub mod register;
pub mod registry;
pub mod release;
pub mod returns;
pub mod revenue;
pub mod sales;
pub mod screening;
pub mod shipping;
pub mod standing;
pub mod supply;
pub mod testing;
pub mod trace;
pub mod users;

pub use error::AppError;
pub use store::{AuditFilter, AuditPage, Backend, Store, VersionInfo};

use domain::{Permission, Role, Roles};
use uuid::Uuid;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Settings the use cases need (the binary declares and loads them). `Debug` hides
/// the passwords inside the mail server and SMS webhook URLs.
#[derive(Clone)]
pub struct Settings {
    /// How long a login session lasts.
    pub session_hours: i64,
    /// Sign-in attempts in a row for one user name from one address before that name
    /// is locked from that address for a while (then back-off doubles).
    pub lockout_threshold: i64,
    /// Sign-in attempts (any names) one address may make per 15 minutes.
    pub login_attempts_per_address: i64,
    /// Requests to the public link pages (booking, cancel, unsubscribe) one address
    /// may make per 10 minutes.
    pub link_requests_per_address: i64,
    /// This establishment's ISBT 128 facility identification number; DINs are
    /// assigned only when it is set.
    pub fin: Option<String>,
    /// Printed on labels above the DIN.
    pub facility_name: String,
    /// The facility's clock: label expiry times are local to it.
    pub time_zone: chrono_tz::Tz,
    /// Product codes known to this centre (public defaults plus its own file).
    pub catalog: domain::catalog::ProductCatalog,
    /// Versions of the donor eligibility rules, each with its effective date.
    pub eligibility: std::sync::Arc<domain::eligibility::RuleBook>,
    /// Where SMS messages of campaigns are posted as JSON `{to, text, campaign, donor_number}`.
    pub sms_webhook_url: Option<String>,
    /// Where email goes out: `smtp://host:port` (plain), `smtp://host?tls=required`
    /// (STARTTLS) or `smtps://host` (TLS), with optional `user:password@`. No email
    /// is sent when unset.
    pub smtp_url: Option<String>,
    /// The sender of hemaflow's emails, e.g. `Blood centre <no-reply@example.org>`.
    pub mail_from: String,
    /// The base URL people reach this server at, for links in emails and pages.
    pub public_url: String,
    /// Days a donor's personal booking link stays valid.
    pub booking_link_days: i64,
    /// Delivery of campaign messages (see `recruitment::outbox`).
    pub outbox: recruitment::OutboxSettings,
    /// How units are proposed for hospital orders (O-negative reserve, short-dated window).
    pub allocation: domain::order::AllocationPolicy,
    /// How long after shipment a unit may come back for inspection.
    pub returns: domain::order::ReturnPolicy,
    /// Days of supply below which a product and group is short (shown as critical,
    /// first on the recruitment needs, and a reason for a shortage notice).
    pub critical_days_of_supply: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_hours: 8,
            lockout_threshold: 5,
            login_attempts_per_address: 30,
            link_requests_per_address: 120,
            fin: None,
            facility_name: "hemaflow blood centre".into(),
            time_zone: chrono_tz::UTC,
            catalog: domain::catalog::ProductCatalog::defaults(),
            eligibility: std::sync::Arc::new(domain::eligibility::RuleBook::defaults()),
            sms_webhook_url: None,
            smtp_url: None,
            mail_from: "hemaflow <no-reply@localhost>".into(),
            public_url: "http://localhost:8080".into(),
            booking_link_days: 14,
            allocation: domain::order::AllocationPolicy::default(),
            returns: domain::order::ReturnPolicy::default(),
            critical_days_of_supply: 2.0,
            outbox: Default::default(),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("session_hours", &self.session_hours)
            .field("lockout_threshold", &self.lockout_threshold)
            .field("login_attempts_per_address", &self.login_attempts_per_address)
            .field("link_requests_per_address", &self.link_requests_per_address)
            .field("fin", &self.fin)
            .field("facility_name", &self.facility_name)
            .field("time_zone", &self.time_zone)
            .field("catalog", &format_args!("{} product codes", self.catalog.iter().count()))
            .field("eligibility", &format_args!("{} rule versions", self.eligibility.versions().len()))
            .field("sms_webhook_url", &self.sms_webhook_url.as_deref().map(redact_url))
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("public_url", &self.public_url)
            .field("booking_link_days", &self.booking_link_days)
            .finish()
    }
}

/// A URL with the password of its `user:password@` part replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let hidden = if userinfo.contains(':') { format!("{user}:***") } else { user.to_string() };
            format!("{scheme}://{hidden}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// The application: the store plus settings. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    pub store: Store,
    pub settings: Settings,
    /// The rule and questionnaire versions last read from the store.
    policy: policy::SharedPolicy,
    /// The donor pool and scores as last read (segments, campaigns).
    pool_cache: std::sync::Arc<recruitment::PoolCache>,
}

impl App {
    pub fn new(store: Store, settings: Settings) -> Self {
        Self { store, settings, policy: Default::default(), pool_cache: Default::default() }
    }

    /// Today in the facility's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.settings.time_zone).date_naive()
    }

    /// An instant as staff read it: the facility's local time with its zone.
    pub fn local_time(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&self.settings.time_zone).format("%Y-%m-%d %H:%M %Z").to_string()
    }
}

/// Who is acting: a signed-in person, a system holding an API token, or the
/// operator at the command line (who has the machine and therefore every right).
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub username: String,
    pub display_name: String,
    pub roles: Roles,
    pub hospital_id: Option<Uuid>,
    pub via_token: bool,
}

impl Actor {
    /// The command-line operator. Recorded in the audit trail as `cli:<os user>`.
    pub fn operator() -> Self {
        let who = std::env::var("USER").unwrap_or_else(|_| "operator".into());
        Self {
            user_id: None,
            username: format!("cli:{who}"),
            display_name: "Command line".into(),
            // The machine's operator (imports, the demo generator) holds every staff role.
            roles: Roles::new(Role::ALL.into_iter().filter(|r| *r != Role::Hospital)).expect("staff roles"),
            hospital_id: None,
            via_token: false,
        }
    }

    pub fn can(&self, p: Permission) -> bool {
        self.roles.allows(p)
    }

    pub fn require(&self, p: Permission) -> Result<()> {
        if self.can(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("your roles ({}) do not allow this", self.roles.joined())))
        }
    }
}

/// Figures for the dashboards.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub donors: i64,
    pub donations: i64,
    pub by_group: Vec<(String, i64)>,
    pub sites: usize,
    pub hospitals: usize,
    pub audit_records: i64,
}

impl App {
    pub async fn overview(&self, actor: &Actor) -> Result<Overview> {
        let stats = self.store.donor_stats().await?;
        let hospitals = if actor.can(Permission::ViewHospitals) { self.store.list_hospitals().await?.len() } else { 0 };
        Ok(Overview {
            donors: stats.donors,
            donations: stats.donations,
            by_group: stats.by_group.into_iter().map(|(abo, rhd, n)| (format!("{abo}{}", if rhd == "pos" { "+" } else { "-" }), n)).collect(),
            sites: self.store.list_sites().await?.len(),
            hospitals,
            audit_records: self.store.audit_head().await?.0,
        })
    }
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    #[test]
    fn debug_of_settings_hides_the_mail_password() {
        let s = Settings {
            smtp_url: Some("smtps://mailer:s3cret-Pa55@mail.example.org:465?tls=required".into()),
            sms_webhook_url: Some("https://bot:hook-pw@sms.example.org/send".into()),
            ..Default::default()
        };
        let printed = format!("{s:?}");
        assert!(!printed.contains("s3cret-Pa55"), "{printed}");
        assert!(!printed.contains("hook-pw"), "{printed}");
        assert!(printed.contains("smtps://mailer:***@mail.example.org:465?tls=required"), "{printed}");
        let app_printed = format!("{:?}", Settings { smtp_url: Some("smtp://u:pw-in-app@h:25".into()), ..Default::default() });
        assert!(!app_printed.contains("pw-in-app"));
    }

    #[test]
    fn redact_url_leaves_urls_without_password_alone() {
        assert_eq!(redact_url("smtp://localhost:2525"), "smtp://localhost:2525");
        assert_eq!(redact_url("smtp://user@host"), "smtp://user@host");
        assert_eq!(redact_url("smtp://u:p@ss@host/x"), "smtp://u:***@host/x");
        assert_eq!(redact_url("not a url"), "not a url");
    }
}
