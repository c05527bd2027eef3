//! `hemaflow audit`: verify the hash chain, and checkpoints of its head kept outside
//! the database. Someone who can write to the database can rewrite records and
//! recompute every hash after them, and the chain then verifies on its own; a
//! checkpoint saved elsewhere (a file, a ticket, an email) still names the old hash,
//! so the rewrite shows. With `HEMAFLOW_AUDIT_CHECKPOINT_KEY` set, checkpoints carry
//! an HMAC-SHA256 so that a forged checkpoint file is refused too.

use anyhow::{bail, Context};
use app::App;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::process::ExitCode;

pub const KEY_ENV: &str = "HEMAFLOW_AUDIT_CHECKPOINT_KEY";

#[derive(clap::Subcommand, Debug)]
pub enum AuditCommand {
    /// Walk the hash chain; exit 1 naming the first broken record. With --checkpoint,
    /// also prove that the chain still extends every checkpoint saved in FILE.
    Verify {
        /// A file of checkpoints, one JSON line each (as printed by `audit checkpoint`).
        #[arg(long)]
        checkpoint: Option<String>,
    },
    /// Print the chain head (sequence and hash) as one JSON line to keep outside the
    /// database, e.g. `hemaflow audit checkpoint >> checkpoints.jsonl`. Signed with
    /// HMAC-SHA256 when HEMAFLOW_AUDIT_CHECKPOINT_KEY is set.
    Checkpoint,
}

/// The head of the chain at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub taken_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac: Option<String>,
}

impl Checkpoint {
    fn message(&self) -> String {
        format!("hemaflow audit checkpoint\n{}\n{}\n{}", self.seq, self.hash, self.taken_at.to_rfc3339_opts(SecondsFormat::Micros, true))
    }

    fn mac(&self, key: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(self.message().as_bytes());
        mac
    }

    pub fn sign(mut self, key: Option<&[u8]>) -> Self {
        self.hmac = key.map(|k| hex::encode(self.mac(k).finalize().into_bytes()));
        self
    }

    /// Whether the signature is right for `key` (`None`: no key configured).
    pub fn check_signature(&self, key: Option<&[u8]>) -> Result<(), String> {
        match (&self.hmac, key) {
            (None, None) => Ok(()),
            (Some(_), None) => Err(format!("checkpoint at record {} is signed; set {KEY_ENV} to the key it was signed with", self.seq)),
            (None, Some(_)) => {
                Err(format!("checkpoint at record {} is not signed, but {KEY_ENV} is set; an unsigned checkpoint is refused", self.seq))
            }
            (Some(h), Some(k)) => {
                let bytes = hex::decode(h).map_err(|_| format!("checkpoint at record {}: the hmac is not hex", self.seq))?;
                self.mac(k)
                    .verify_slice(&bytes)
                    .map_err(|_| format!("checkpoint at record {}: wrong HMAC (forged, altered, or signed with another key)", self.seq))
            }
        }
    }
}

fn key_from_env() -> Option<Vec<u8>> {
    std::env::var(KEY_ENV).ok().filter(|k| !k.is_empty()).map(String::into_bytes)
}

/// Reads a checkpoint file: one JSON object per non-empty line.
pub fn parse_checkpoints(text: &str) -> anyhow::Result<Vec<Checkpoint>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l.trim()).with_context(|| format!("line {} is not a checkpoint", i + 1)))
        .collect()
}

pub async fn run(app: &App, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Checkpoint => {
            let (seq, hash) = app.store.audit_head().await?;
            let cp = Checkpoint { seq, hash, taken_at: store::now(), hmac: None }.sign(key_from_env().as_deref());
            println!("{}", serde_json::to_string(&cp)?);
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify { checkpoint } => {
            let checkpoints = match &checkpoint {
                Some(file) => {
                    let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
                    let cps = parse_checkpoints(&text).with_context(|| format!("reading {file}"))?;
                    if cps.is_empty() {
                        bail!("{file} holds no checkpoints");
                    }
                    let key = key_from_env();
                    for cp in &cps {
                        cp.check_signature(key.as_deref()).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
                    }
                    cps
                }
                None => Vec::new(),
            };
            let n = match app.verify_audit().await? {
                Ok(n) => n,
                Err(brk) => {
                    eprintln!("audit chain BROKEN at record {}: {}", brk.seq, brk.problem);
                    return Ok(ExitCode::FAILURE);
                }
            };
            let mut bad = 0;
            for cp in &checkpoints {
                match app.store.audit_record(cp.seq).await? {
                    Some(r) if r.hash == cp.hash => {}
                    Some(r) => {
                        bad += 1;
                        eprintln!(
                            "audit chain does NOT extend the checkpoint of {}: record {} now has hash {}, the checkpoint says {} (records up to it were rewritten)",
                            cp.taken_at.format("%Y-%m-%d %H:%M:%S UTC"),
                            cp.seq,
                            r.hash,
                            cp.hash
                        );
                    }
                    None => {
                        bad += 1;
                        eprintln!(
                            "audit chain does NOT extend the checkpoint of {}: record {} is missing (the chain now ends at {n})",
                            cp.taken_at.format("%Y-%m-%d %H:%M:%S UTC"),
                            cp.seq
                        );
                    }
                }
            }
            if bad > 0 {
                return Ok(ExitCode::FAILURE);
            }
            match checkpoint {
                Some(file) => println!("audit chain intact: {n} records verified; it extends all {} checkpoint(s) in {file}", checkpoints.len()),
                None => println!("audit chain intact: {n} records verified"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp() -> Checkpoint {
        Checkpoint { seq: 42, hash: "ab".repeat(32), taken_at: DateTime::from_timestamp(1_764_000_000, 0).unwrap(), hmac: None }
    }

    #[test]
    fn a_signed_checkpoint_checks_only_with_its_key() {
        let signed = cp().sign(Some(b"right key"));
        assert!(signed.check_signature(Some(b"right key")).is_ok());
        assert!(signed.check_signature(Some(b"wrong key")).unwrap_err().contains("wrong HMAC"));
        assert!(signed.check_signature(None).unwrap_err().contains(KEY_ENV));
        let moved = Checkpoint { seq: 41, ..signed.clone() };
        assert!(moved.check_signature(Some(b"right key")).is_err(), "the HMAC covers the sequence number");
        assert!(cp().check_signature(Some(b"right key")).unwrap_err().contains("not signed"));
        assert!(cp().check_signature(None).is_ok());
    }

    #[test]
    fn checkpoint_lines_read_back() {
        let line = serde_json::to_string(&cp().sign(Some(b"k"))).unwrap();
        let text = format!("{line}\n\n{}\n", serde_json::to_string(&cp()).unwrap());
        let cps = parse_checkpoints(&text).unwrap();
        assert_eq!(cps.len(), 2);
        assert_eq!(cps[0], cp().sign(Some(b"k")));
        assert!(parse_checkpoints("{\"seq\": 1}").is_err());
    }
}
