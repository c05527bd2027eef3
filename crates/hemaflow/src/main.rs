//! `hemaflow`: the command line of the blood services platform.

mod config;
mod isbt;

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
    Audit(AuditCommand),
    /// ISBT 128: check characters, DINs and decoding scans.
    #[command(subcommand)]
    Isbt(isbt::IsbtCommand),
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

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Walk the hash chain; exit 1 naming the first broken record.
    Verify,
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
        Command::Audit(AuditCommand::Verify) => {
            let app = App::new(open(&cli.database).await?, Settings::default());
            match app.verify_audit().await? {
                Ok(n) => println!("audit chain intact: {n} records verified"),
                Err(brk) => {
                    eprintln!("audit chain BROKEN at record {}: {}", brk.seq, brk.problem);
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn generate_demo(app: &App, args: &DemoArgs) -> anyhow::Result<()> {
    let bar = ProgressBar::new(args.donors as u64);
    bar.set_style(
        ProgressStyle::with_template("demo centre {bar:40.red/white} {pos}/{len} donors ({eta} left)").expect("template").progress_chars("█▉ "),
    );
    let opts = DemoOptions { seed: args.seed, donors: args.donors, ..Default::default() };
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
    let store = open(database).await?;
    tracing::info!(database = %store::redact_url(database), backend = store.backend().as_str(), "database ready");
    let app = App::new(store, Settings { session_hours: args.session_hours, lockout_threshold: args.lockout_threshold });
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
    let listener = tokio::net::TcpListener::bind(&args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!("hemaflow listening on http://{addr}");
    tracing::info!(%addr, "listening");
    web::serve(listener, web::AppState::new(app.clone(), args.secure_cookies), shutdown_signal()).await?;
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
    // 16 hex characters from the OS random source is plenty for a first password.
    Uuid::new_v4().simple().to_string()[..16].to_string()
}
