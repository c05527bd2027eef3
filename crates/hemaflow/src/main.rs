//! `hemaflow`: the command line of the blood services platform.

mod audit_cmd;
mod bench;
mod config;
mod isbt;
mod recruit;
mod rules;

use anyhow::{bail, Context};
use app::demo::{DemoOptions, DEFAULT_DONORS, DEFAULT_SEED};
use app::users::NewUserInput;
use app::{Actor, App, Settings, Store};
use clap::{CommandFactory, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Read;
use std::process::ExitCode;
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(name = "hemaflow", version, about = "Operations platform of a blood services provider")]
struct Cli {
    /// Database: sqlite://PATH (embedded, the default) or postgres://USER@HOST:PORT/DB.
    #[arg(long, global = true, env = "HEMAFLOW_DATABASE_URL", default_value = "sqlite://hemaflow.db")]
    database: String,
    /// Optional TOML file of settings (keys are the long flag names, e.g. listen = "0.0.0.0:8080").
    #[arg(long, global = true, env = "HEMAFLOW_CONFIG")]
    config: Option<String>,
    /// Log filter (tracing syntax), e.g. info or hemaflow=debug,sqlx=info.
    #[arg(long, global = true, env = "HEMAFLOW_LOG", default_value = "info,sqlx=warn")]
    log: String,
    /// Log format: text or json.
    #[arg(long, global = true, env = "HEMAFLOW_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web server (UI and API).
    Serve(ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Fill an empty database with the demo blood centre, without serving.
    Demo(DemoArgs),
    /// Manage users and API tokens.
    #[command(subcommand)]
    User(UserCommand),
    /// Work with the audit trail.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
    /// ISBT 128: check characters, DINs and decoding scans.
    #[command(subcommand)]
    Isbt(isbt::IsbtCommand),
    /// Eligibility rules: decide a case (JSON on stdin), write the validation evidence.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Render a 100 mm unit label as PDF, SVG or ZPL (no database needed).
    Label(LabelArgs),
    /// Assign DINs and manage pre-printed DIN label sets.
    #[command(subcommand)]
    Din(DinCommand),
    /// Import a centre's existing records from CSV.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Recruitment: return propensity scores.
    #[command(subcommand)]
    Recruit(recruit::RecruitCommand),
    /// Donor appointments.
    #[command(subcommand)]
    Appointments(AppointmentsCommand),
    /// Print timings of the database (run on a copy: it writes test records).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Donor searches (name, phone, email, number), registration and the rare-donor search.
    Search(bench::BenchSearchArgs),
    /// Segment previews at the size of the database given: the first, the next ones, one after a write.
    Segments(bench::BenchSegmentsArgs),
    /// The release gate's property on random histories of events (no database): no unit
    /// failing a condition is ever available. Exits non-zero on the first violation.
    Release(bench::BenchReleaseArgs),
}

#[derive(Subcommand, Debug)]
enum AppointmentsCommand {
    /// Email a reminder for each of tomorrow's appointments that has not had one
    /// (donors with email consent only; safe to run as often as you like).
    Remind {
        #[command(flatten)]
        facility: FacilityArgs,
        #[command(flatten)]
        mail: MailArgs,
    },
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// Donors: donor_number, first_name, last_name, birth_date, sex [, blood_group, email, phone, preferred_site, middle_name].
    Donors { file: String },
    /// Donations: donor_number, procedure, collected_on [, site].
    Donations { file: String },
}

#[derive(clap::Args, Debug)]
struct LabelArgs {
    /// DIN: A999926123456, =A99992612345600 or "A9999 26 123456 [T]".
    #[arg(long)]
    din: String,
    /// ABO/RhD: O+, A NEG, or ISBT 128 data such as =%5100.
    #[arg(long)]
    blood_group: String,
    /// Product code: PDC, donation type and division, e.g. E0398V00.
    #[arg(long)]
    product: String,
    /// Expiry, local time: YYYY-MM-DDTHH:MM.
    #[arg(long)]
    expires: String,
    /// Collection date, YYYY-MM-DD.
    #[arg(long)]
    collected: Option<String>,
    /// pdf, svg or zpl.
    #[arg(long, default_value = "pdf", value_parser = ["pdf", "svg", "zpl"])]
    format: String,
    /// ZPL printer resolution in dots per millimetre (8 = 203 dpi, 12 = 300 dpi).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(6..=24))]
    dpmm: u32,
    /// Where to write the label (default: standard output).
    #[arg(long, short)]
    output: Option<String>,
    #[command(flatten)]
    facility: FacilityArgs,
}

#[derive(Subcommand, Debug)]
enum DinCommand {
    /// Hand out the next DIN of this facility (--fin) for the year at a site.
    Next {
        #[arg(long)]
        site: String,
        #[command(flatten)]
        facility: FacilityArgs,
    },
    /// Record a scanned pre-printed DIN label as used.
    Preprinted {
        scan: String,
        #[command(flatten)]
        facility: FacilityArgs,
    },
    /// Register a set of pre-printed DIN labels: sequences FIRST..=LAST of YEAR.
    RegisterSet {
        #[arg(long)]
        year: i64,
        #[arg(long)]
        first: i64,
        #[arg(long)]
        last: i64,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        facility: FacilityArgs,
    },
    /// List registered pre-printed label sets.
    Sets,
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HEMAFLOW_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Generate the demo blood centre first if the database is empty.
    #[arg(long, env = "HEMAFLOW_DEMO")]
    demo: bool,
    #[command(flatten)]
    demo_args: DemoArgs,
    /// Hours a login session lasts.
    #[arg(long, env = "HEMAFLOW_SESSION_HOURS", default_value_t = 8, value_parser = clap::value_parser!(i64).range(1..=72))]
    session_hours: i64,
    /// Failed logins in a row before an account is locked (then back-off doubles).
    #[arg(long, env = "HEMAFLOW_LOCKOUT_THRESHOLD", default_value_t = 5, value_parser = clap::value_parser!(i64).range(1..=100))]
    lockout_threshold: i64,
    /// Mark session cookies Secure (set when served over HTTPS).
    #[arg(long, env = "HEMAFLOW_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Campaign SMS are posted here as JSON {to, text, campaign, donor_number}.
    #[arg(long, env = "HEMAFLOW_SMS_WEBHOOK_URL")]
    sms_webhook_url: Option<String>,
    #[command(flatten)]
    facility: FacilityArgs,
    #[command(flatten)]
    mail: MailArgs,
    /// Send appointment reminders every hour while serving (needs --smtp-url).
    #[arg(long, env = "HEMAFLOW_SEND_REMINDERS")]
    send_reminders: bool,
    #[command(flatten)]
    outbox: OutboxArgs,
    #[command(flatten)]
    distribution: DistributionArgs,
    /// Milliseconds a donor search may run before it is stopped and the person is
    /// asked to narrow it (keeps slow searches from holding database connections).
    #[arg(long, env = "HEMAFLOW_SEARCH_TIMEOUT_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    search_timeout_ms: u64,
}

/// Delivery of campaign messages (email, SMS) by the worker in every server.
#[derive(clap::Args, Debug, Clone)]
struct OutboxArgs {
    /// Campaign messages sent per second, shared by every server on the database.
    #[arg(long, env = "HEMAFLOW_CAMPAIGN_RATE", default_value_t = 5.0)]
    campaign_rate: f64,
    /// Attempts of a campaign message before it is given up as failed.
    #[arg(long, env = "HEMAFLOW_CAMPAIGN_MAX_ATTEMPTS", default_value_t = 5, value_parser = clap::value_parser!(i64).range(1..=50))]
    campaign_max_attempts: i64,
    /// Seconds before a failed campaign message is tried again; doubles with each attempt, at most an hour.
    #[arg(long, env = "HEMAFLOW_CAMPAIGN_RETRY_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    campaign_retry_seconds: u64,
    /// Seconds a server's claim on a campaign message holds; if that server stops,
    /// another one sends the message once the claim has run out.
    #[arg(long, env = "HEMAFLOW_CAMPAIGN_LEASE_SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(10..=3600))]
    campaign_lease_seconds: u64,
}

impl OutboxArgs {
    fn settings(&self) -> anyhow::Result<app::recruitment::OutboxSettings> {
        if !(self.campaign_rate.is_finite() && self.campaign_rate > 0.0 && self.campaign_rate <= 1000.0) {
            bail!("--campaign-rate must be more than 0 and at most 1000 messages per second, not {}", self.campaign_rate);
        }
        Ok(app::recruitment::OutboxSettings {
            rate_per_second: self.campaign_rate,
            max_attempts: self.campaign_max_attempts,
            retry_after: std::time::Duration::from_secs(self.campaign_retry_seconds),
            lease: std::time::Duration::from_secs(self.campaign_lease_seconds),
            ..Default::default()
        })
    }
}

/// Outgoing email (booking confirmations, reminders, campaigns). `Debug` hides the
/// password of the SMTP URL.
#[derive(clap::Args, Clone)]
struct MailArgs {
    /// SMTP server for outgoing email: smtp://HOST:PORT (plain), smtp://HOST?tls=required
    /// (STARTTLS) or smtps://HOST (TLS), optionally with USER:PASSWORD@. No email without it.
    #[arg(long, env = "HEMAFLOW_SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender of hemaflow's emails.
    #[arg(long, env = "HEMAFLOW_MAIL_FROM", default_value = "hemaflow <no-reply@localhost>")]
    mail_from: String,
    /// Base URL people reach this server at, for links in emails and public pages.
    #[arg(long, env = "HEMAFLOW_PUBLIC_URL", default_value = "http://localhost:8080")]
    public_url: String,
    /// Days a donor's personal booking link stays valid.
    #[arg(long, env = "HEMAFLOW_BOOKING_LINK_DAYS", default_value_t = 14, value_parser = clap::value_parser!(i64).range(1..=90))]
    booking_link_days: i64,
}

impl std::fmt::Debug for MailArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailArgs")
            .field("smtp_url", &self.smtp_url.as_deref().map(app::redact_url))
            .field("mail_from", &self.mail_from)
            .field("public_url", &self.public_url)
            .field("booking_link_days", &self.booking_link_days)
            .finish()
    }
}

impl MailArgs {
    fn settings(&self, base: Settings) -> anyhow::Result<Settings> {
        if let Some(url) = &self.smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                bail!("--smtp-url must start with smtp:// or smtps://");
            }
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            bail!("--public-url must start with http:// or https://");
        }
        Ok(Settings {
            smtp_url: self.smtp_url.clone(),
            mail_from: self.mail_from.clone(),
            public_url: self.public_url.clone(),
            booking_link_days: self.booking_link_days,
            ..base
        })
    }
}

/// How hospital orders are filled and returns taken back (see docs/sales.md).
#[derive(clap::Args, Debug, Clone)]
struct DistributionArgs {
    /// O-negative red cells kept in stock for O-negative patients: given to a line of
    /// another group only above this many.
    #[arg(long, env = "HEMAFLOW_O_NEGATIVE_RESERVE", default_value_t = 10)]
    o_negative_reserve: i64,
    /// A unit expiring within this many hours is short-dated (sent only when confirmed).
    #[arg(long, env = "HEMAFLOW_SHORT_DATED_HOURS", default_value_t = 72)]
    short_dated_hours: i64,
    /// The same for platelets.
    #[arg(long, env = "HEMAFLOW_SHORT_DATED_HOURS_PLATELETS", default_value_t = 24)]
    short_dated_hours_platelets: i64,
    /// Hours after shipment within which a unit comes back for inspection.
    #[arg(long, env = "HEMAFLOW_RETURN_WINDOW_HOURS", default_value_t = 72)]
    return_window_hours: i64,
    /// Days of supply below which a product and group is critical (recruit first,
    /// send a shortage notice).
    #[arg(long, env = "HEMAFLOW_CRITICAL_DAYS_OF_SUPPLY", default_value_t = 2.0)]
    critical_days_of_supply: f64,
}

impl DistributionArgs {
    fn settings(&self, base: Settings) -> anyhow::Result<Settings> {
        for (name, v) in [
            ("--o-negative-reserve", self.o_negative_reserve),
            ("--short-dated-hours", self.short_dated_hours),
            ("--short-dated-hours-platelets", self.short_dated_hours_platelets),
            ("--return-window-hours", self.return_window_hours),
        ] {
            if !(0..=10_000).contains(&v) {
                bail!("{name} {v}: give a number from 0 to 10000");
            }
        }
        if !(self.critical_days_of_supply.is_finite() && (0.0..=60.0).contains(&self.critical_days_of_supply)) {
            bail!("--critical-days-of-supply {}: give a number of days from 0 to 60", self.critical_days_of_supply);
        }
        Ok(Settings {
            allocation: domain::order::AllocationPolicy {
                o_negative_reserve: self.o_negative_reserve,
                short_dated_hours: self.short_dated_hours,
                short_dated_hours_platelets: self.short_dated_hours_platelets,
            },
            returns: domain::order::ReturnPolicy { window_hours: self.return_window_hours },
            critical_days_of_supply: self.critical_days_of_supply,
            ..base
        })
    }
}

/// Who this establishment is on its labels.
#[derive(clap::Args, Debug, Clone)]
struct FacilityArgs {
    /// ISBT 128 facility identification number; DINs are assigned only when set
    /// (with --demo and no FIN, the test FIN A9998 is used).
    #[arg(long, env = "HEMAFLOW_FIN")]
    fin: Option<String>,
    /// Facility name printed on labels.
    #[arg(long, env = "HEMAFLOW_FACILITY_NAME", default_value = "hemaflow blood centre")]
    facility_name: String,
    /// The facility's IANA time zone: label expiry times are local to it
    /// (with --demo and none given, America/Chicago).
    #[arg(long, env = "HEMAFLOW_TIME_ZONE")]
    time_zone: Option<String>,
    /// CSV of this centre's product codes (columns code, class, storage, dating,
    /// description), added to the public defaults.
    #[arg(long, env = "HEMAFLOW_PRODUCT_CATALOG")]
    product_catalog: Option<String>,
}

impl FacilityArgs {
    fn settings(&self, base: Settings) -> anyhow::Result<Settings> {
        let mut catalog = domain::catalog::ProductCatalog::defaults();
        if let Some(path) = &self.product_catalog {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading product catalog {path}"))?;
            catalog = catalog.merge(domain::catalog::ProductCatalog::from_csv(&text).with_context(|| format!("product catalog {path}"))?);
        }
        if let Some(fin) = &self.fin {
            isbt128::Fin::parse(fin).with_context(|| format!("--fin {fin}"))?;
        }
        let time_zone = match &self.time_zone {
            Some(tz) => domain::TimeZoneName::parse(tz).map_err(|e| anyhow::anyhow!("--time-zone: {}", e.message))?.tz(),
            None => base.time_zone,
        };
        Ok(Settings { fin: self.fin.clone(), facility_name: self.facility_name.clone(), catalog, time_zone, ..base })
    }
}

#[derive(clap::Args, Debug)]
struct DemoArgs {
    /// Number of demo donors.
    #[arg(long = "demo-donors", env = "HEMAFLOW_DEMO_DONORS", default_value_t = DEFAULT_DONORS)]
    donors: u32,
    /// Seed of the demo generator (same seed and day, same centre).
    #[arg(long = "demo-seed", env = "HEMAFLOW_DEMO_SEED", default_value_t = DEFAULT_SEED)]
    seed: u64,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a user. Without --password-stdin a random password is generated and printed.
    Add {
        username: String,
        /// A role (repeat for several): admin, recruiter, collector, lab, distribution, apheresis, sales, quality, hospital.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Hospital account code (hospital users only).
        #[arg(long)]
        hospital: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Deactivate a user (ends their sessions).
    Deactivate {
        username: String,
        #[arg(long)]
        reason: String,
    },
    /// Reactivate a user (also clears a lockout).
    Activate {
        username: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// API tokens for systems.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create a token for a user; the secret is printed once.
    Create {
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        expires_days: Option<i64>,
    },
    /// List tokens.
    List,
    /// Revoke a token by id.
    Revoke {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

fn init_tracing(filter: &str, format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Err(e) = config::apply_config_file(&Cli::command(), &args) {
        eprintln!("error: {e:#}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn open(url: &str) -> anyhow::Result<Store> {
    Store::open(url).await.with_context(|| format!("opening database {}", store::redact_url(url)))
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    init_tracing(&cli.log, &cli.log_format);
    match cli.command {
        Command::Serve(args) => {
            serve(&cli.database, args).await?;
        }
        Command::Migrate => {
            let store = Store::connect(&cli.database).await.with_context(|| format!("opening database {}", store::redact_url(&cli.database)))?;
            let n = store.migrate().await?;
            println!("{n} migration(s) applied to {}", store::redact_url(&cli.database));
        }
        Command::Demo(args) => {
            let app = App::new(open(&cli.database).await?, Settings::default());
            generate_demo(&app, &args).await?;
        }
        Command::User(cmd) => return user(&cli.database, cmd).await,
        Command::Isbt(cmd) => return isbt::run(cmd),
        Command::Rules(cmd) => return rules::run(cmd, &cli.database).await,
        Command::Label(args) => label(&cli.database, args).await?,
        Command::Din(cmd) => din(&cli.database, cmd).await?,
        Command::Import(cmd) => return import(&cli.database, cmd).await,
        Command::Recruit(cmd) => return recruit::run(&cli.database, cmd).await,
        Command::Appointments(AppointmentsCommand::Remind { facility, mail }) => {
            let settings = mail.settings(facility.settings(Settings::default())?)?;
            if settings.smtp_url.is_none() {
                bail!("reminders need an SMTP server: give --smtp-url (or HEMAFLOW_SMTP_URL)");
            }
            let app = App::new(open(&cli.database).await?, settings);
            let r = app.send_reminders().await?;
            println!("reminders: {} sent, {} failed, {} skipped (no email or no consent)", r.sent, r.failed, r.skipped);
            if r.failed > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Bench(BenchCommand::Search(args)) => {
            let app = std::sync::Arc::new(App::new(open(&cli.database).await?, Settings::default()));
            bench::search(app, &args).await?;
        }
        Command::Bench(BenchCommand::Release(args)) => {
            return bench::release(&args);
        }
        Command::Bench(BenchCommand::Segments(args)) => {
            let app = std::sync::Arc::new(App::new(open(&cli.database).await?, Settings::default()));
            bench::segments(app, &args).await?;
        }
        Command::Audit(cmd) => {
            let app = App::new(open(&cli.database).await?, Settings::default());
            return audit_cmd::run(&app, cmd).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn generate_demo(app: &App, args: &DemoArgs) -> anyhow::Result<()> {
    let bar = ProgressBar::new(args.donors as u64);
    bar.set_style(
        ProgressStyle::with_template("demo centre {bar:40.red/white} {pos}/{len} donors ({eta} left)").expect("template").progress_chars("█▉ "),
    );
    // The demo's day is the facility's, not the UTC date (they differ in the evening in America).
    let as_of = chrono::Utc::now().with_timezone(&app.settings.time_zone).date_naive();
    let opts = DemoOptions { seed: args.seed, donors: args.donors, as_of };
    let summary = app.generate_demo(opts, |done, _| bar.set_position(done)).await.context("generating the demo centre")?;
    bar.finish();
    println!(
        "demo centre ready: {} sites, {} hospital accounts, {} donors, {} donations",
        summary.sites, summary.hospitals, summary.donors, summary.donations
    );
    println!("demo logins (user / password):");
    for l in &summary.logins {
        println!("  {:<13} {:<24} {}", l.username, l.password, l.role.title());
    }
    Ok(())
}

async fn serve(database: &str, args: ServeArgs) -> anyhow::Result<()> {
    let store = open(database).await?.with_read_limit(std::time::Duration::from_millis(args.search_timeout_ms));
    tracing::info!(database = %store::redact_url(database), backend = store.backend().as_str(), "database ready");
    let mut facility = args.facility.clone();
    if args.demo && facility.time_zone.is_none() {
        facility.time_zone = Some("America/Chicago".into());
    }
    if args.demo && facility.fin.is_none() {
        facility.fin = Some(app::demo::DEMO_FIN.to_string());
        if facility.facility_name == "hemaflow blood centre" {
            facility.facility_name = app::demo::DEMO_FACILITY.to_string();
        }
    }
    let settings = facility.settings(Settings {
        session_hours: args.session_hours,
        lockout_threshold: args.lockout_threshold,
        sms_webhook_url: args.sms_webhook_url.clone(),
        ..Settings::default()
    })?;
    let mut settings = args.distribution.settings(args.mail.settings(settings)?)?;
    settings.outbox = args.outbox.settings()?;
    let app = App::new(store, settings);
    if args.demo {
        match generate_demo(&app, &args.demo_args).await {
            Ok(()) => {}
            Err(e) if matches!(e.downcast_ref::<app::AppError>(), Some(app::AppError::Conflict(_))) => {
                println!("database already holds data; not generating the demo centre again");
                println!("demo logins (if this database was made by --demo): user = role name, password = ROLE-demo-pass");
            }
            Err(e) => return Err(e),
        }
    }
    if args.send_reminders {
        if app.settings.smtp_url.is_none() {
            bail!("--send-reminders needs --smtp-url");
        }
        let reminders = app.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                every.tick().await;
                match reminders.send_reminders().await {
                    Ok(r) => tracing::info!(sent = r.sent, failed = r.failed, skipped = r.skipped, "appointment reminders"),
                    Err(e) => tracing::warn!(error = %e, "appointment reminders failed"),
                }
            }
        });
    }
    recruit::spawn_daily_scores(app.clone());
    spawn_expiry_job(app.clone());
    let listener = tokio::net::TcpListener::bind(&args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!("hemaflow listening on http://{addr}");
    tracing::info!(%addr, "listening");
    // The campaign outbox worker stops with the server and hands back what it has
    // not started sending.
    let (stop_worker, stop) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(app.outbox_worker().run(stop));
    let shutdown = async move {
        shutdown_signal().await;
        let _ = stop_worker.send(true);
    };
    web::serve(listener, web::AppState::new(app.clone(), args.secure_cookies), shutdown).await?;
    if tokio::time::timeout(std::time::Duration::from_secs(30), worker).await.is_err() {
        tracing::warn!("the campaign outbox worker did not stop within 30 s; its claims are taken over after their lease");
    }
    app.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn user(database: &str, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let app = App::new(open(database).await?, Settings::default());
    let op = Actor::operator();
    match cmd {
        UserCommand::Add { username, roles, display_name, email, hospital, password_stdin } => {
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s).context("reading the password from stdin")?;
                (s.trim_end_matches(['\n', '\r']).to_string(), false)
            } else {
                (app_random_password(), true)
            };
            let u = app
                .create_user(
                    &op,
                    &NewUserInput {
                        username,
                        display_name: display_name.unwrap_or_default(),
                        email: email.unwrap_or_default(),
                        password: password.clone(),
                        roles,
                        hospital,
                    },
                )
                .await?;
            println!("created user {} ({})", u.username, u.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","));
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::List => {
            for u in app.list_users(&op).await? {
                println!(
                    "{:<16} {:<28} {:<24} {}",
                    u.username,
                    u.display_name,
                    u.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","),
                    if u.active { "active" } else { "deactivated" }
                );
            }
        }
        UserCommand::Deactivate { username, reason } => {
            app.set_user_active(&op, &username, false, Some(reason)).await?;
            println!("deactivated {username}");
        }
        UserCommand::Activate { username, reason } => {
            app.set_user_active(&op, &username, true, reason).await?;
            println!("activated {username}");
        }
        UserCommand::Token(TokenCommand::Create { username, name, expires_days }) => {
            let (view, secret) = app.create_api_token(&op, &username, &name, expires_days).await?;
            println!("token {} ({}) for {}", view.id, view.name, view.username);
            println!("{secret}");
        }
        UserCommand::Token(TokenCommand::List) => {
            for t in app.list_api_tokens(&op).await? {
                let state = if t.revoked_at.is_some() { "revoked" } else { "active" };
                println!("{} {:<16} {:<24} {}", t.id, t.username, t.name, state);
            }
        }
        UserCommand::Token(TokenCommand::Revoke { id, reason }) => {
            let Ok(id) = Uuid::parse_str(&id) else { bail!("'{id}' is not a token id (see `hemaflow user token list`)") };
            app.revoke_api_token(&op, id, reason).await?;
            println!("revoked {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn app_random_password() -> String {
    // 20 hex characters (80 bits) of the one token generator is plenty for a first password.
    app::auth::new_secret("")[..20].to_string()
}

/// Prints a unit label checked against the record, as the Labels page does (the
/// command-line operator holds the lab's right to print), and records the print.
async fn label(database: &str, args: LabelArgs) -> anyhow::Result<()> {
    let settings = args.facility.settings(Settings::default())?;
    let app = App::new(open(database).await?, settings);
    let input = app::labels::LabelInput {
        din: args.din,
        blood_group: args.blood_group,
        product_code: args.product,
        expires_at: args.expires,
        collected_on: args.collected.unwrap_or_default(),
    };
    let v = app.unit_label(&Actor::operator(), &input, &args.format).await?;
    let label = render::label::UnitLabel::from_values(&v, vec![]);
    let bytes = match args.format.as_str() {
        "svg" => label.to_svg()?.into_bytes(),
        "zpl" => label.to_zpl(args.dpmm)?.into_bytes(),
        _ => label.to_pdf()?,
    };
    match args.output {
        Some(path) => {
            std::fs::write(&path, bytes).with_context(|| format!("writing {path}"))?;
            eprintln!("label for DIN {} written to {path}", v.din.eye_readable());
        }
        None => std::io::Write::write_all(&mut std::io::stdout(), &bytes)?,
    }
    Ok(())
}

async fn din(database: &str, cmd: DinCommand) -> anyhow::Result<()> {
    let store = open(database).await?;
    let op = Actor::operator();
    match cmd {
        DinCommand::Next { site, facility } => {
            let app = App::new(store, facility.settings(Settings::default())?);
            let d = app.assign_din(&op, &site).await?;
            println!("{}", d.data);
            println!("{}", d.eye_readable);
        }
        DinCommand::Preprinted { scan, facility } => {
            let app = App::new(store, facility.settings(Settings::default())?);
            let d = app.use_preprinted_din(&op, &scan).await?;
            println!("recorded pre-printed DIN {}", d.eye_readable);
        }
        DinCommand::RegisterSet { year, first, last, note, facility } => {
            let app = App::new(store, facility.settings(Settings::default())?);
            let s = app.register_din_label_set(&op, year, first, last, note).await?;
            println!("registered {} DIN labels: {} to {}", s.count, s.first, s.last);
        }
        DinCommand::Sets => {
            let app = App::new(store, Settings::default());
            for s in app.din_label_sets(&op).await? {
                println!("{} {} to {} ({} labels) by {} {}", s.id, s.first, s.last, s.count, s.registered_by, s.note.unwrap_or_default());
            }
        }
    }
    Ok(())
}

async fn import(database: &str, cmd: ImportCommand) -> anyhow::Result<ExitCode> {
    let app = App::new(open(database).await?, Settings::default());
    let (kind, file) = match &cmd {
        ImportCommand::Donors { file } => ("donors", file.clone()),
        ImportCommand::Donations { file } => ("donations", file.clone()),
    };
    let bytes = std::fs::read(&file).with_context(|| format!("reading {file}"))?;
    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template("importing {msg} {bar:40.red/white} {pos}/{len}").expect("template").progress_chars("█▉ "));
    bar.set_message(kind);
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let today = chrono::Utc::now().date_naive();
    let op = Actor::operator();
    let report = match cmd {
        ImportCommand::Donors { .. } => app.import_donors(&op, &file, &bytes, today, progress).await?,
        ImportCommand::Donations { .. } => app.import_donations(&op, &file, &bytes, today, progress).await?,
    };
    bar.finish_and_clear();
    println!("imported {} {kind} from {file} (import {}, sha256 {})", report.accepted, report.import_id, report.file_sha256);
    if report.rejected.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let rejects = format!("{file}.rejected.csv");
    let w = interop::csv_export::table_to_string(["line", "reasons"], report.rejected.iter().map(|r| [r.line.to_string(), r.reasons.join("; ")]));
    std::fs::write(&rejects, w).with_context(|| format!("writing {rejects}"))?;
    eprintln!("{} row(s) rejected and not imported; reasons in {rejects}:", report.rejected.len());
    for r in report.rejected.iter().take(10) {
        eprintln!("  line {}: {}", r.line, r.reasons.join("; "));
    }
    Ok(ExitCode::FAILURE)
}

/// Takes expired units out of stock at their expiry minute: wakes at the start of every
/// minute and discards, as expired, every unit the centre holds whose expiry has come,
/// then places the standing orders that are due.
fn spawn_expiry_job(app: app::App) {
    tokio::spawn(async move {
        loop {
            let now = chrono::Utc::now();
            match app.expire_due_units(now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(units = n, "expired units taken out of stock"),
                Err(e) => tracing::warn!(error = %e, "the expiry job failed; it tries again next minute"),
            }
            // Standing orders due by now (each placed once, whatever the number of servers).
            if let Err(e) = app.run_standing_orders(now).await {
                tracing::warn!(error = %e, "the standing order job failed; it tries again next minute");
            }
            let into_minute = chrono::Timelike::second(&now) as u64 * 1000 + chrono::Timelike::nanosecond(&now) as u64 / 1_000_000;
            tokio::time::sleep(std::time::Duration::from_millis(60_000u64.saturating_sub(into_minute).max(1))).await;
        }
    });
}
