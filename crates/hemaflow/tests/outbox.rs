//! `hemaflow serve` runs the campaign outbox worker and stops it on SIGTERM; its
//! settings are checked before the server starts.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn serve(dir: &std::path::Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hemaflow"));
    c.current_dir(dir)
        .env_remove("HEMAFLOW_DATABASE_URL")
        .env_remove("HEMAFLOW_CONFIG")
        .args(["--database", "sqlite://serve.db", "serve", "--listen", "127.0.0.1:0"])
        .args(extra);
    c
}

#[test]
fn campaign_rate_out_of_range_is_refused_from_flag_and_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = serve(dir.path(), &["--campaign-rate", "0"]).output().unwrap();
    assert!(!o.status.success());
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(msg.contains("--campaign-rate must be more than 0"), "{msg}");
    let o = serve(dir.path(), &["--campaign-lease-seconds", "1"]).output().unwrap();
    assert!(!o.status.success(), "a lease under 10 s is refused");
    std::fs::write(dir.path().join("h.toml"), "campaign_rate = 2000.5\n").unwrap();
    let o = serve(dir.path(), &[]).env("HEMAFLOW_CONFIG", "h.toml").output().unwrap();
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && msg.contains("at most 1000"), "{msg}");
}

#[cfg(unix)]
#[test]
fn serve_runs_the_outbox_worker_and_stops_it_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h.toml"), "campaign_rate = 2.5\n").unwrap();
    let mut child =
        serve(dir.path(), &[]).env("HEMAFLOW_CONFIG", "h.toml").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("hemaflow listening on http://127.0.0.1:"), "{line}");
    // The signal handler is installed once the server runs (just after that line).
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("campaign outbox worker started"), "{log}");
    assert!(log.contains("campaign outbox worker stopped"), "{log}");
}
