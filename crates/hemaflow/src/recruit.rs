//! `hemaflow recruit`: return propensity scores from the command line.

use anyhow::Context;
use app::recruitment_scores::{CandidateView, PoolScoring, ScoreRunView};
use app::{Actor, App, Settings};
use clap::Subcommand;
use std::io::Write;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum RecruitCommand {
    /// Print `donor_number,score` (probability of a donation in the 30 days from
    /// --as-of), learned only from history before --as-of. Every candidate model's
    /// held-out AUC goes to standard error, one line each, the chosen one marked.
    Scores {
        /// YYYY-MM-DD
        #[arg(long)]
        as_of: String,
        /// The facility's IANA time zone, for the local date of each donation (default UTC).
        #[arg(long, env = "HEMAFLOW_TIME_ZONE")]
        time_zone: Option<String>,
    },
    /// Compute and store the whole pool's scores as of a day (default: today in the
    /// facility's time zone), as the server does once a day. Segment previews and
    /// campaigns rank by the newest stored run. Does nothing if that day's run exists
    /// or is being computed by another process.
    ScorePool {
        /// YYYY-MM-DD (default today)
        #[arg(long)]
        as_of: Option<String>,
        /// The facility's IANA time zone (default UTC).
        #[arg(long, env = "HEMAFLOW_TIME_ZONE")]
        time_zone: Option<String>,
    },
}

fn parse_day(s: &str) -> anyhow::Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").with_context(|| format!("--as-of '{s}' is not a date (YYYY-MM-DD)"))
}

async fn open_app(database: &str, time_zone: Option<String>) -> anyhow::Result<App> {
    let mut settings = Settings::default();
    if let Some(tz) = time_zone {
        settings.time_zone = domain::TimeZoneName::parse(&tz).map_err(|e| anyhow::anyhow!("--time-zone: {}", e.message))?.tz();
    }
    let store = app::Store::open(database).await.with_context(|| format!("opening database {}", store::redact_url(database)))?;
    Ok(App::new(store, settings))
}

fn candidate_lines(candidates: &[CandidateView]) {
    for c in candidates {
        let auc = c.auc.map_or("not defined".to_string(), |a| format!("{a:.4}"));
        let mark = if c.chosen { "  <- chosen" } else { "" };
        eprintln!("held-out AUC {auc:>11}  {:<18} {}{mark}", c.name, c.description);
    }
}

fn run_line(r: &ScoreRunView) -> String {
    format!(
        "scores as of {} by {} ({} donors), claimed by {} at {}",
        r.as_of,
        r.model.as_deref().unwrap_or("-"),
        r.donors,
        r.claimed_by,
        r.claimed_at.format("%Y-%m-%d %H:%M UTC")
    )
}

pub async fn run(database: &str, cmd: RecruitCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RecruitCommand::Scores { as_of, time_zone } => {
            let as_of = parse_day(&as_of)?;
            let app = open_app(database, time_zone).await?;
            let started = std::time::Instant::now();
            let s = app.recruitment_scores(&Actor::operator(), as_of).await?;
            let mut out = interop::csv_export::CsvTable::new(std::io::stdout().lock(), ["donor_number", "score"])?;
            for line in &s.scores {
                out.row([line.donor_number.clone(), format!("{:.4}", line.score)])?;
            }
            out.finish()?.flush()?;
            candidate_lines(&s.candidates);
            eprintln!(
                "model {}: trained on {} snapshots of {} donors before {}, checked on {} held-out donors; {} donors scored in {:.1} s",
                s.model,
                s.n,
                s.scores.len() - s.held_out_donors,
                s.as_of,
                s.held_out_donors,
                s.scores.len(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        RecruitCommand::ScorePool { as_of, time_zone } => {
            let app = open_app(database, time_zone).await?;
            let as_of = match as_of {
                Some(s) => parse_day(&s)?,
                None => chrono::Utc::now().with_timezone(&app.settings.time_zone).date_naive(),
            };
            match app.score_pool(&Actor::operator(), as_of).await? {
                PoolScoring::Computed { run, seconds } => {
                    candidate_lines(&run.candidates);
                    println!("computed {} in {seconds:.1} s", run_line(&run));
                }
                PoolScoring::AlreadyDone { run } => println!("already computed: {}", run_line(&run)),
                PoolScoring::Busy { run } => {
                    println!("being computed by {} since {}; not starting a second run", run.claimed_by, run.claimed_at.format("%Y-%m-%d %H:%M UTC"))
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The server's scoring job: at start and then every hour it asks for today's run;
/// the claim in the database makes all but the first ask of a day (on any server
/// sharing the database) a no-op, so scores are computed once a day, soon after
/// midnight in the facility's time zone.
pub fn spawn_daily_scores(app: App) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match app.daily_scores().await {
                Ok(PoolScoring::Computed { run, seconds }) => {
                    tracing::info!(as_of = %run.as_of, model = run.model.as_deref().unwrap_or("-"), donors = run.donors, seconds, "return propensity scores computed")
                }
                Ok(_) => tracing::debug!("return propensity scores of today exist"),
                Err(e) => tracing::warn!(error = %e, "return propensity scores failed"),
            }
        }
    });
}
