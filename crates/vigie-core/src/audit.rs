//! The tamper-evident audit log: entries chained by SHA-256.
//!
//! Each entry's hash covers its own fields and the previous entry's hash, so changing an
//! entry breaks its hash, deleting or reordering entries breaks the next entry's link, and
//! cutting the tail off is caught by comparing with the recorded head. The encoding
//! hashed is fixed ([`AuditEntry::canonical_bytes`]) and independent of any database.

use sha2::{Digest, Sha256};

use crate::Timestamp;

/// The last entry of a log: its sequence number and hash.
pub type AuditHead = (u64, [u8; 32]);

/// The hash that precedes the first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// One audit log entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// What happened, who, when.
    pub event: NewAuditEntry,
    /// Hash of the previous entry ([`GENESIS`] for the first).
    pub prev_hash: [u8; 32],
    /// Hash of this entry.
    pub hash: [u8; 32],
}

/// An event to log: what the log records of it, before the log assigns `seq` and the
/// hashes ([`NewAuditEntry::seal`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewAuditEntry {
    /// When it happened (UTC).
    pub at: Timestamp,
    /// Who: a user's RIO, `console:<user>` for the administration CLI, or `device:<id>`.
    pub actor: String,
    /// The actor's role then.
    pub role: Option<String>,
    /// The actor's unit then.
    pub unit: Option<String>,
    /// What: `registry.read`, `registry.import`, `device.approved`, `requisition.receive`…
    pub action: String,
    /// Details (the area read, the camera, the document id…), as compact JSON text.
    pub detail: String,
    /// The motif given, when known.
    pub motif: Option<String>,
    /// The procedure number, when known.
    pub procedure: Option<String>,
}

impl NewAuditEntry {
    /// The entry sealed after `prev` (`None` for the first entry of the log).
    pub fn seal(self, prev: Option<AuditHead>) -> AuditEntry {
        let (seq, prev_hash) = prev.map_or((1, GENESIS), |(s, h)| (s + 1, h));
        let mut e = AuditEntry { seq, event: self, prev_hash, hash: [0; 32] };
        e.hash = e.compute_hash();
        e
    }
}

impl AuditEntry {
    /// The bytes hashed: a version tag, then each field as a length-prefixed UTF-8 string
    /// (absent fields as length `u32::MAX`), the time as RFC 3339 UTC with nanoseconds,
    /// then the previous hash.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let ev = &self.event;
        let mut out = Vec::with_capacity(128 + ev.detail.len());
        out.extend_from_slice(b"vigie-audit-v1\0");
        out.extend_from_slice(&self.seq.to_be_bytes());
        let at = ev.at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        for field in [
            Some(at.as_str()),
            Some(ev.actor.as_str()),
            ev.role.as_deref(),
            ev.unit.as_deref(),
            Some(ev.action.as_str()),
            Some(ev.detail.as_str()),
            ev.motif.as_deref(),
            ev.procedure.as_deref(),
        ] {
            match field {
                Some(s) => {
                    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
                    out.extend_from_slice(s.as_bytes());
                }
                None => out.extend_from_slice(&u32::MAX.to_be_bytes()),
            }
        }
        out.extend_from_slice(&self.prev_hash);
        out
    }

    /// The hash this entry should carry.
    pub fn compute_hash(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }
}

/// The first entry that breaks the chain, and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The entry's content does not match its hash: it was changed.
    #[error("entry {seq}: its content does not match its hash (changed after it was written)")]
    Altered {
        /// The entry.
        seq: u64,
    },
    /// The entry does not follow the one before it: entries were deleted, inserted or
    /// reordered.
    #[error("entry {seq}: does not follow entry {after} (entries deleted, inserted or reordered)")]
    Broken {
        /// The entry.
        seq: u64,
        /// The entry read just before it (0: none).
        after: u64,
    },
    /// The log ends before the recorded head: its last entries were removed.
    #[error("the log ends at entry {last} but its recorded head is entry {head}")]
    Truncated {
        /// The last entry present.
        last: u64,
        /// The recorded head.
        head: u64,
    },
}

/// Checks a whole log, in storage order, against its recorded head `(seq, hash)`.
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    head: Option<AuditHead>,
) -> Result<u64, ChainError> {
    let mut prev: Option<&AuditEntry> = None;
    let mut count = 0;
    for e in entries {
        let (want_seq, want_prev) = prev.map_or((1, GENESIS), |p| (p.seq + 1, p.hash));
        if e.compute_hash() != e.hash {
            return Err(ChainError::Altered { seq: e.seq });
        }
        if e.seq != want_seq || e.prev_hash != want_prev {
            return Err(ChainError::Broken { seq: e.seq, after: prev.map_or(0, |p| p.seq) });
        }
        prev = Some(e);
        count += 1;
    }
    let last = prev.map(|p| (p.seq, p.hash));
    match (last, head) {
        (_, None) => Ok(count),
        (Some(l), Some(h)) if l == h => Ok(count),
        (Some((seq, _)), Some((head_seq, _))) if seq < head_seq => {
            Err(ChainError::Truncated { last: seq, head: head_seq })
        }
        (None, Some((head_seq, _))) => Err(ChainError::Truncated { last: 0, head: head_seq }),
        (Some((seq, _)), Some(_)) => Err(ChainError::Altered { seq }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn log(n: u64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let e = NewAuditEntry {
                at: chrono::Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, i as u32).unwrap(),
                actor: "RIO-1".into(),
                role: Some("officer".into()),
                unit: Some("BT-Grenoble".into()),
                action: "registry.read".into(),
                detail: format!("{{\"n\":{i}}}"),
                motif: None,
                procedure: None,
            };
            let sealed = e.seal(out.last().map(|p| (p.seq, p.hash)));
            out.push(sealed);
        }
        out
    }

    fn head(l: &[AuditEntry]) -> Option<AuditHead> {
        l.last().map(|e| (e.seq, e.hash))
    }

    #[test]
    fn an_intact_log_verifies() {
        let l = log(5);
        assert_eq!(verify_chain(&l, head(&l)), Ok(5));
        assert_eq!(verify_chain(&[], None), Ok(0));
    }

    #[test]
    fn every_kind_of_edit_is_caught_and_named() {
        let l = log(6);
        let h = head(&l);
        let mut changed = l.clone();
        changed[2].event.detail = "{\"n\":99}".into();
        assert_eq!(verify_chain(&changed, h), Err(ChainError::Altered { seq: 3 }));

        let mut deleted = l.clone();
        deleted.remove(3);
        assert_eq!(verify_chain(&deleted, h), Err(ChainError::Broken { seq: 5, after: 3 }));

        let mut reordered = l.clone();
        reordered.swap(1, 2);
        assert_eq!(verify_chain(&reordered, h), Err(ChainError::Broken { seq: 3, after: 1 }));

        let truncated = &l[..4];
        assert_eq!(verify_chain(truncated, h), Err(ChainError::Truncated { last: 4, head: 6 }));

        // Rewriting an entry and re-hashing it still breaks the next link.
        let mut rehashed = l.clone();
        rehashed[2].event.actor = "someone-else".into();
        rehashed[2].hash = rehashed[2].compute_hash();
        assert_eq!(verify_chain(&rehashed, h), Err(ChainError::Broken { seq: 4, after: 3 }));
    }
}
