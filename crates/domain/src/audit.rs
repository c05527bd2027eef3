//! The audit trail: append-only records, each carrying the hash of the one before it,
//! so that an edited, removed or reordered record is detectable.
//!
//! The hash covers every field but itself, serialised as a JSON array so that field
//! boundaries are unambiguous. Instants are cut to microseconds before sealing
//! because PostgreSQL stores no finer.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a use case says happened; the store seals it into the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditDraft {
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
    /// The donor the record concerns (donor number), whatever the entity.
    pub donor_number: Option<String>,
}

impl AuditDraft {
    pub fn new(actor: impl Into<String>, action: impl Into<String>, entity_type: impl Into<String>, entity_id: impl ToString) -> Self {
        Self {
            actor: actor.into(),
            action: action.into(),
            entity_type: entity_type.into(),
            entity_id: entity_id.to_string(),
            before: None,
            after: None,
            reason: None,
            donor_number: None,
        }
    }

    /// Names the donor the record concerns, so that filtering by donor finds it.
    pub fn donor(mut self, donor_number: impl Into<String>) -> Self {
        self.donor_number = Some(donor_number.into());
        self
    }

    pub fn before(mut self, v: impl Serialize) -> Self {
        self.before = Some(serde_json::to_value(v).expect("audit values serialise"));
        self
    }

    pub fn after(mut self, v: impl Serialize) -> Self {
        self.after = Some(serde_json::to_value(v).expect("audit values serialise"));
        self
    }

    pub fn reason(mut self, reason: Option<String>) -> Self {
        self.reason = reason.filter(|r| !r.trim().is_empty());
        self
    }

    /// Fixes the record's place in the chain and computes its hash.
    pub fn seal(self, seq: i64, at: DateTime<Utc>, prev_hash: &str) -> AuditRecord {
        let at = truncate_to_micros(at);
        let mut record = AuditRecord {
            seq,
            id: Uuid::now_v7(),
            at,
            actor: self.actor,
            action: self.action,
            entity_type: self.entity_type,
            entity_id: self.entity_id,
            before: self.before.map(|v| v.to_string()),
            after: self.after.map(|v| v.to_string()),
            reason: self.reason,
            donor_number: self.donor_number,
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        record.hash = record.compute_hash();
        record
    }
}

/// One sealed record as stored. `before`/`after` are JSON text, kept byte-exact
/// because the hash covers them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
    pub donor_number: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    pub fn compute_hash(&self) -> String {
        let mut canonical = serde_json::json!([
            self.seq,
            self.id.to_string(),
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.actor,
            self.action,
            self.entity_type,
            self.entity_id,
            self.before,
            self.after,
            self.reason,
            self.prev_hash,
        ]);
        // Records written before the donor column existed hash as they always did.
        if let Some(n) = &self.donor_number {
            canonical.as_array_mut().expect("an array").push(serde_json::json!(n));
        }
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

pub fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).expect("in range")
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit record {seq}: {problem}")]
pub struct ChainBreak {
    pub seq: i64,
    pub problem: String,
}

/// Walks records in `seq` order, checking each one against its predecessor. The
/// chain head (last sequence number and hash, kept apart from the records) catches
/// records removed from the end.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { expected_seq: 1, prev_hash: GENESIS_HASH.to_string() }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, r: &AuditRecord) -> Result<(), ChainBreak> {
        let brk = |seq, problem: String| Err(ChainBreak { seq, problem });
        if r.seq != self.expected_seq {
            return brk(self.expected_seq, format!("missing (the next record found is {})", r.seq));
        }
        if r.prev_hash != self.prev_hash {
            return brk(r.seq, "does not link to the record before it (prev_hash differs)".into());
        }
        if r.compute_hash() != r.hash {
            return brk(r.seq, "content does not match its hash (the record was altered)".into());
        }
        self.expected_seq += 1;
        self.prev_hash = r.hash.clone();
        Ok(())
    }

    /// Number of records checked so far.
    pub fn checked(&self) -> i64 {
        self.expected_seq - 1
    }

    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let last = self.expected_seq - 1;
        if head_seq != last {
            return Err(ChainBreak {
                seq: last + 1,
                problem: format!("missing: the chain head says {head_seq} records were written but only {last} are present"),
            });
        }
        if head_hash != self.prev_hash {
            return Err(ChainBreak { seq: last, problem: "does not match the hash recorded in the chain head".into() });
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let r = AuditDraft::new("admin", "site.create", "site", seq).after(serde_json::json!({"name": format!("Site {seq}")})).seal(
                    seq,
                    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap(),
                    &prev,
                );
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn verify(records: &[AuditRecord], head: (i64, &str)) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for r in records {
            v.check(r)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, (5, &c[4].hash)), Ok(5));
    }

    #[test]
    fn edited_record_is_named() {
        let mut c = chain(5);
        c[2].after = Some(r#"{"name":"Forged"}"#.into());
        let head = c[4].hash.clone();
        assert_eq!(verify(&c, (5, &head)).unwrap_err().seq, 3);
    }

    #[test]
    fn removed_middle_record_is_named() {
        let mut c = chain(5);
        c.remove(1);
        let head = c[3].hash.clone();
        let e = verify(&c, (5, &head)).unwrap_err();
        assert_eq!(e.seq, 2);
        assert!(e.problem.contains("missing"));
    }

    #[test]
    fn removed_last_record_is_caught_by_the_head() {
        let c = chain(5);
        let head = c[4].hash.clone();
        let e = verify(&c[..4], (5, &head)).unwrap_err();
        assert_eq!(e.seq, 5);
    }

    #[test]
    fn resealed_record_breaks_the_link_to_the_next() {
        let mut c = chain(3);
        c[1].reason = Some("rewritten".into());
        c[1].hash = c[1].compute_hash();
        let head = c[2].hash.clone();
        assert_eq!(verify(&c, (3, &head)).unwrap_err().seq, 3);
    }

    #[test]
    fn seal_cuts_time_to_microseconds() {
        let at = Utc.timestamp_nanos(1_764_000_000_123_456_789);
        let r = AuditDraft::new("a", "b", "c", "d").seal(1, at, GENESIS_HASH);
        assert_eq!(r.at.timestamp_subsec_nanos(), 123_456_000);
    }
}
