//! A real SMTP server for tests: `scripts/smtp-sink.py` (aiosmtpd) saving every
//! message it receives into a temporary directory.
//!
//! `SmtpSink::start()` is `None` when aiosmtpd is not installed, unless
//! HEMAFLOW_REQUIRE_SMTP=1 (set by scripts/test), which makes that a failure.
//! Recipients at `@bounce.test` are refused with 550, like a bounce.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpSink {
    /// For `Settings::smtp_url`, e.g. `smtp://127.0.0.1:40123`.
    pub url: String,
    dir: tempfile::TempDir,
    child: Child,
    // Held open: the sink exits when it closes (if the test process dies).
    _stdin: Option<ChildStdin>,
}

/// One received message, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedEmail {
    /// Envelope recipients.
    pub to: Vec<String>,
    pub subject: String,
    /// The plain-text body, with `\n` line ends.
    pub body: String,
    pub html: Option<String>,
    /// Header name (lower case) → value.
    pub headers: std::collections::BTreeMap<String, String>,
}

fn python() -> &'static str {
    // Debian's interpreter is the one with python3-aiosmtpd, whatever PATH says.
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink.py")
}

impl SmtpSink {
    pub fn start() -> Option<SmtpSink> {
        let required = std::env::var("HEMAFLOW_REQUIRE_SMTP").is_ok_and(|v| v == "1");
        let available = Command::new(python()).args(["-c", "import aiosmtpd"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
        if !available {
            assert!(!required, "HEMAFLOW_REQUIRE_SMTP=1 but aiosmtpd is missing (apt-get install python3-aiosmtpd)");
            eprintln!("skipping: aiosmtpd is not installed (python3-aiosmtpd)");
            return None;
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut child = Command::new(python())
            .arg(script())
            .arg(dir.path())
            .arg("0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting scripts/smtp-sink.py");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line).expect("reading the sink's first line");
        let port = line.trim().strip_prefix("ready ").unwrap_or_else(|| panic!("smtp-sink.py said '{line}' instead of 'ready PORT'")).to_string();
        Some(SmtpSink { url: format!("smtp://127.0.0.1:{port}"), dir, child, _stdin: stdin })
    }

    /// Messages received so far, in order of arrival.
    pub fn messages(&self) -> Vec<ReceivedEmail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("sink directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| {
                let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).expect("message file")).expect("message JSON");
                let s = |k: &str| v[k].as_str().unwrap_or_default().replace("\r\n", "\n");
                ReceivedEmail {
                    to: v["to"].as_array().into_iter().flatten().filter_map(|x| x.as_str().map(String::from)).collect(),
                    subject: s("subject"),
                    body: s("text"),
                    html: v["html"].as_str().map(|h| h.replace("\r\n", "\n")),
                    headers: v["headers"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, x)| (k.clone(), x.as_str().unwrap_or_default().to_string()))
                        .collect(),
                }
            })
            .collect()
    }

    /// Waits until at least `n` messages arrived; panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedEmail> {
        let start = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(start.elapsed() < timeout, "expected {n} emails within {timeout:?}, received {}: {got:?}", got.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first `http…` link in a text that contains `needle`.
pub fn link_containing(text: &str, needle: &str) -> Option<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| c == '<' || c == '>' || c == '(' || c == ')' || c == '"'))
        .find(|w| w.starts_with("http") && w.contains(needle))
        .map(String::from)
}
