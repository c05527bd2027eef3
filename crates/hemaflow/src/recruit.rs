//! `hemaflow recruit`: return propensity scores from the command line.

use anyhow::Context;
use app::{Actor, App, Settings};
use clap::Subcommand;
use std::io::Write;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum RecruitCommand {
    /// Print `donor_number,score` (probability of a donation in the 30 days from
    /// --as-of), learned only from history before --as-of; the held-out AUC and the
    /// training size go to standard error.
    Scores {
        /// YYYY-MM-DD
        #[arg(long)]
        as_of: String,
        /// The facility's IANA time zone, for the local date of each donation (default UTC).
        #[arg(long, env = "HEMAFLOW_TIME_ZONE")]
        time_zone: Option<String>,
    },
}

pub async fn run(database: &str, cmd: RecruitCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RecruitCommand::Scores { as_of, time_zone } => {
            let as_of = chrono::NaiveDate::parse_from_str(as_of.trim(), "%Y-%m-%d")
                .with_context(|| format!("--as-of '{as_of}' is not a date (YYYY-MM-DD)"))?;
            let mut settings = Settings::default();
            if let Some(tz) = time_zone {
                settings.time_zone = domain::TimeZoneName::parse(&tz).map_err(|e| anyhow::anyhow!("--time-zone: {}", e.message))?.tz();
            }
            let store = app::Store::open(database).await.with_context(|| format!("opening database {}", store::redact_url(database)))?;
            let app = App::new(store, settings);
            let s = app.recruitment_scores(&Actor::operator(), as_of).await?;
            let mut out = interop::csv_export::CsvTable::new(std::io::stdout().lock(), ["donor_number", "score"])?;
            for line in &s.scores {
                out.row([line.donor_number.clone(), format!("{:.4}", line.score)])?;
            }
            out.finish()?.flush()?;
            match s.auc {
                Some(auc) => eprintln!("held-out AUC {auc:.4}; trained on {} donors (as of {}, 30-day horizon)", s.n, s.as_of),
                None => eprintln!("held-out AUC not defined (held-out donors all gave or none did); trained on {} donors", s.n),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
