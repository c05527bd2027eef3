//! `hemaflow bench segments`: how long a segment preview takes, the first one (which
//! reads the whole pool) and the next ones (which find it unchanged), and one after a
//! write (which reads it again). It writes one audit record, so run it on a copy.
//!
//! `hemaflow bench release`: the release gate's property on random histories of events,
//! spread over the cores, with how many histories, events, releases and removals ran.
//!
//! `hemaflow bench search`: how long the donor searches, a registration and the
//! rare-donor search take on the database given. It reads the donors on file to pick
//! its search terms (every n-th donor, so the same database gives the same terms) and
//! registers a few test donors (named "Benchmark"), so run it on a copy.

use anyhow::Context;
use app::donors::NewDonorInput;
use app::{Actor, App};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchSearchArgs {
    /// Searches of each kind.
    #[arg(long, default_value_t = 200)]
    pub queries: usize,
    /// Registrations (each adds a donor named "Benchmark").
    #[arg(long, default_value_t = 20)]
    pub registrations: usize,
    /// Phone searches running at once while plain number lookups are timed.
    #[arg(long, default_value_t = 4)]
    pub parallel_phone: usize,
}

#[derive(clap::Args, Debug)]
pub struct BenchSegmentsArgs {
    /// Previews of each filter after the first.
    #[arg(long, default_value_t = 20)]
    pub previews: usize,
}

#[derive(clap::Args, Debug)]
pub struct BenchReleaseArgs {
    /// Random histories to run.
    #[arg(long, default_value_t = 100_000)]
    pub histories: u64,
    /// Events in each history.
    #[arg(long, default_value_t = 100)]
    pub events: usize,
    /// Seed of the first history (the others follow it).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Runs the histories on every core; prints the figures; fails on a violation.
pub fn release(args: &BenchReleaseArgs) -> anyhow::Result<std::process::ExitCode> {
    use domain::release::sim;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let started = Instant::now();
    let per = args.histories.div_ceil(threads);
    let results: Vec<Result<sim::Outcome, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let first = args.seed + t * per;
                let n = per.min(args.histories.saturating_sub(t * per));
                s.spawn(move || sim::run_many(first, n, args.events))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a worker panicked".into()))).collect()
    });
    let elapsed = started.elapsed();
    let mut total = sim::Outcome::default();
    for r in results {
        match r {
            Ok(o) => total += o,
            Err(violation) => {
                eprintln!("release gate VIOLATED: {violation}");
                return Ok(std::process::ExitCode::FAILURE);
            }
        }
    }
    println!(
        "release gate property: {} histories of {} events, seeds {}..{}",
        fmt_n(args.histories),
        args.events,
        args.seed,
        args.seed + args.histories
    );
    println!("  events          {:>12}", fmt_n(total.events));
    println!("  releases        {:>12}  ({} emergency)", fmt_n(total.releases), fmt_n(total.emergency_releases));
    println!("  refused         {:>12}", fmt_n(total.refused_releases));
    println!("  left stock      {:>12}  (available units taken out by a later event)", fmt_n(total.removals));
    println!("  results refused {:>12}", fmt_n(total.refused_results));
    println!("  violations      {:>12}", 0);
    println!(
        "  time            {:>10.1} s on {threads} thread(s), {:.0} histories/s",
        elapsed.as_secs_f64(),
        args.histories as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    Ok(std::process::ExitCode::SUCCESS)
}

fn fmt_n(n: u64) -> String {
    render::number::thousands(i64::try_from(n).unwrap_or(i64::MAX))
}

struct Figures(Vec<Duration>);

impl Figures {
    fn line(&mut self, what: &str) -> String {
        self.0.sort();
        let n = self.0.len();
        if n == 0 {
            return format!("{what:<34} (no samples)");
        }
        let at = |q: f64| self.0[((n as f64 * q).ceil() as usize).clamp(1, n) - 1];
        format!("{what:<34} n={n:<4} p50 {:>9.2} ms  p99 {:>9.2} ms  max {:>9.2} ms", ms(at(0.5)), ms(at(0.99)), ms(*self.0.last().expect("one")))
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn timed<T, F: std::future::Future<Output = app::Result<T>>>(f: F) -> anyhow::Result<(Duration, T)> {
    let start = Instant::now();
    let v = f.await?;
    Ok((start.elapsed(), v))
}

pub async fn search(app: std::sync::Arc<App>, args: &BenchSearchArgs) -> anyhow::Result<()> {
    let op = Actor::operator();
    let donors = app.store.all_donors().await.context("reading the donors on file")?;
    anyhow::ensure!(!donors.is_empty(), "the database holds no donors; import some first (scripts/gen-donors.py writes a test set)");
    println!("database: {} donors ({})", donors.len(), app.store.backend().as_str());
    let step = (donors.len() / args.queries.max(1)).max(1);
    let picks: Vec<_> = donors.iter().step_by(step).take(args.queries).collect();
    let mut hits = 0usize;

    let mut f = Figures(vec![]);
    for d in &picks {
        let prefix: String = d.last_name.chars().take(3).collect();
        let (t, r) = timed(app.search_donors(&op, &prefix)).await?;
        hits += r.len();
        f.0.push(t);
    }
    println!("{}", f.line("name: 3 letters of the last name"));

    let mut f = Figures(vec![]);
    for d in &picks {
        let q = format!("{} {}", d.first_name, d.last_name);
        let (t, r) = timed(app.search_donors(&op, &q)).await?;
        hits += r.len();
        f.0.push(t);
    }
    println!("{}", f.line("name: \"first last\""));

    let mut f = Figures(vec![]);
    for d in &picks {
        let q = format!("{}, {}", d.last_name, d.first_name.chars().take(2).collect::<String>());
        let (t, r) = timed(app.search_donors(&op, &q)).await?;
        hits += r.len();
        f.0.push(t);
    }
    println!("{}", f.line("name: \"last, fi\""));

    let phones: Vec<String> = donors.iter().filter_map(|d| d.phone.clone()).step_by(step).take(args.queries).collect();
    let mut f = Figures(vec![]);
    for p in &phones {
        let (t, r) = timed(app.search_donors(&op, p)).await?;
        hits += r.len();
        f.0.push(t);
    }
    println!("{}", f.line("phone: whole number as typed"));

    let emails: Vec<String> = donors.iter().filter_map(|d| d.email.clone()).step_by(step).take(args.queries).collect();
    let mut f = Figures(vec![]);
    for e in &emails {
        let (t, r) = timed(app.search_donors(&op, &e.to_uppercase())).await?;
        hits += r.len();
        f.0.push(t);
    }
    println!("{}", f.line("email (upper case)"));

    let mut f = Figures(vec![]);
    for d in &picks {
        let (t, _) = timed(app.search_donors(&op, &d.donor_number)).await?;
        f.0.push(t);
    }
    println!("{}", f.line("donor number"));

    // Number lookups while phone searches keep other connections busy.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut busy = Vec::new();
    for i in 0..args.parallel_phone {
        let (app, stop, phones) = (app.clone(), stop.clone(), phones.clone());
        busy.push(tokio::spawn(async move {
            let op = Actor::operator();
            let mut n = i;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = app.search_donors(&op, &phones[n % phones.len()]).await;
                n += args_step(i);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut f = Figures(vec![]);
    for d in picks.iter().take(50) {
        let (t, _) = timed(app.search_donors(&op, &d.donor_number)).await?;
        f.0.push(t);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for b in busy {
        let _ = b.await;
    }
    println!("{}", f.line(&format!("number, {} phone searches running", args.parallel_phone)));

    let mut f = Figures(vec![]);
    let stamp = chrono::Utc::now().timestamp_millis();
    for i in 0..args.registrations {
        let input = NewDonorInput {
            first_name: format!("Bench{}", i),
            last_name: "Benchmark".into(),
            birth_date: "1990-01-01".into(),
            sex: "F".into(),
            email: format!("bench{stamp}.{i}@example.org"),
            phone: format!("555{:07}", (stamp as usize + i) % 10_000_000),
            not_a_duplicate: true,
            ..Default::default()
        };
        let start = Instant::now();
        app.register_donor(&op, &input).await.map_err(|e| anyhow::anyhow!("registration: {e}"))?;
        f.0.push(start.elapsed());
    }
    println!("{}", f.line("registration"));

    let mut f = Figures(vec![]);
    let mut rare_hits = 0;
    for _ in 0..20 {
        let q = [("abo".to_string(), "O".to_string()), ("rhd".to_string(), "neg".to_string())];
        let (t, r) = timed(app.rare_donors(&op, &q)).await?;
        rare_hits = r.len();
        f.0.push(t);
    }
    println!("{}", f.line(&format!("rare donors O- ({rare_hits} hits)")));
    println!("(searches returned {hits} donors in all)");
    Ok(())
}

fn args_step(i: usize) -> usize {
    7 + i
}

/// Filters a recruiter would preview, from broad to narrow.
const SEGMENT_FILTERS: [(&str, &str); 4] = [
    ("every donor", "{}"),
    ("O- lapsed 6 months", r#"{"blood_groups": ["O-"], "lapsed_months": 6}"#),
    ("eligible for whole blood, email", r#"{"eligible_for": "whole_blood", "consent": "email"}"#),
    ("first-timers not contacted 30 days", r#"{"history": "first_time", "not_contacted_days": 30}"#),
];

pub async fn segments(app: std::sync::Arc<App>, args: &BenchSegmentsArgs) -> anyhow::Result<()> {
    let op = Actor::operator();
    println!("database: {}", app.store.backend().as_str());
    let filters: Vec<(&str, serde_json::Value)> =
        SEGMENT_FILTERS.iter().map(|(name, f)| (*name, serde_json::from_str(f).expect("a valid filter"))).collect();
    let (first, v) = timed(app.preview_filter(&op, &filters[0].1)).await?;
    println!("{:<34} {:>9.2} ms  ({} donors)", "first preview (reads the pool)", ms(first), v.count);
    for (name, filter) in &filters {
        let mut f = Figures(vec![]);
        let mut count = 0;
        for _ in 0..args.previews {
            let (t, v) = timed(app.preview_filter(&op, filter)).await?;
            count = v.count;
            f.0.push(t);
        }
        println!("{}", f.line(&format!("{name} ({count})")));
    }
    // Any write moves the audit head; the next preview reads the pool again.
    let stamp = chrono::Utc::now().timestamp_millis();
    let input = app::recruitment::SegmentInput { name: format!("bench {stamp}"), filter: filters[1].1.clone() };
    app.create_segment(&op, &input).await.map_err(|e| anyhow::anyhow!("saving a segment: {e}"))?;
    let (after, _) = timed(app.preview_filter(&op, &filters[0].1)).await?;
    println!("{:<34} {:>9.2} ms", "preview after a write", ms(after));
    Ok(())
}
