//! The outbox: signed documents kept on the device until the platform has them, then
//! with the statuses it reports back; and each document's history.
//!
//! Every change is one transaction with its history event, so a kill at any point leaves
//! either the state before or the state after. The rules (when to retry, what may be
//! cancelled) are `vigie_core::outbox`'s; this module only keeps them.

use rusqlite::{params, OptionalExtension};
use vigie_core::document::DocumentStatus;
use vigie_core::outbox::{Delivery, OutboxState};
use vigie_core::proof::{Countersignature, Proof};
use vigie_core::Timestamp;

use crate::{parse_ts, ts, Store, StoreError};

/// A document in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// The document, its signature and (once pulled back) its countersignature.
    pub proof: Proof,
    /// Its delivery to the platform.
    pub delivery: Delivery,
    /// Where it stands on the platform, once it is there.
    pub platform_status: Option<DocumentStatus>,
    /// The supervisor's comment (a returned document).
    pub comment: Option<String>,
    /// When it was signed and queued.
    pub created_at: Timestamp,
    /// Its last change.
    pub updated_at: Timestamp,
}

/// One step of a document's history on the device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocumentEvent {
    /// When.
    pub at: Timestamp,
    /// What: `signed`, `push_failed`, `sent`, `refused`, `cancelled`, `status`.
    pub what: String,
    /// Details (the error, the new status and comment).
    pub detail: Option<String>,
}

const COLUMNS: &str =
    "id, proof, state, attempts, next_attempt_at, last_error, may_have_left, platform_status, comment, created_at, updated_at";

impl Store {
    /// Queues a document just signed (with its history's first event), in one transaction.
    pub fn queue_document(&mut self, proof: &Proof, now: Timestamp) -> Result<(), StoreError> {
        let body = serde_json::to_string(proof).expect("a proof serialises");
        let id = &proof.document.id;
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(sql(&path, "starting to queue a document"))?;
        tx.execute(
            "INSERT INTO outbox (id, proof, state, created_at, updated_at) VALUES (?1, ?2, 'queued', ?3, ?3)",
            params![id, body, ts(now)],
        )
        .map_err(sql(&path, "queueing a document"))?;
        event(&tx, id, now, "signed", proof.document.replaces.as_deref().map(|r| format!("remplace {r}")))
            .map_err(sql(&path, "recording a document event"))?;
        tx.commit().map_err(sql(&path, "committing a queued document"))
    }

    /// Every document of the outbox, newest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM outbox ORDER BY created_at DESC, id"))
            .map_err(self.sqlite("reading the outbox"))?;
        let rows = stmt.query_map([], Raw::read).map_err(self.sqlite("reading the outbox"))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(self.entry(r.map_err(self.sqlite("reading the outbox"))?)?);
        }
        Ok(out)
    }

    /// How many documents wait to leave the device (a count, for the header: nothing is
    /// parsed).
    pub fn outbox_queued(&self) -> Result<usize, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM outbox WHERE state = 'queued'", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(self.sqlite("counting the outbox"))
    }

    /// One document of the outbox.
    pub fn outbox_entry(&self, id: &str) -> Result<OutboxEntry, StoreError> {
        let raw = self
            .conn
            .query_row(&format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"), [id], Raw::read)
            .optional()
            .map_err(self.sqlite("reading a document"))?
            .ok_or_else(|| StoreError::UnknownDocument(id.into()))?;
        self.entry(raw)
    }

    /// Records that a push of `id` begins (before the request leaves): returns the
    /// delivery as it was, for [`Delivery::after`]'s `left_before`.
    pub fn begin_push(&mut self, id: &str, now: Timestamp) -> Result<Delivery, StoreError> {
        let before = self.outbox_entry(id)?.delivery;
        let mut d = before.clone();
        d.begin();
        self.save_delivery(id, &d, now, None)?;
        Ok(before)
    }

    /// Records how a push ended: the delivery after it, and a history event.
    pub fn end_push(&mut self, id: &str, d: &Delivery, now: Timestamp) -> Result<(), StoreError> {
        let what = match d.state {
            OutboxState::Sent => ("sent", None),
            OutboxState::Refused => ("refused", d.last_error.clone()),
            _ => ("push_failed", d.last_error.clone()),
        };
        self.save_delivery(id, d, now, Some(what))
    }

    fn save_delivery(
        &mut self,
        id: &str,
        d: &Delivery,
        now: Timestamp,
        what: Option<(&str, Option<String>)>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(sql(&path, "starting a delivery update"))?;
        let n = tx
            .execute(
                "UPDATE outbox SET state = ?2, attempts = ?3, next_attempt_at = ?4, last_error = ?5, may_have_left = ?6,
                        updated_at = ?7 WHERE id = ?1",
                params![
                    id,
                    d.state.as_str(),
                    d.attempts,
                    d.next_attempt_at.map(ts),
                    d.last_error,
                    d.may_have_left,
                    ts(now)
                ],
            )
            .map_err(sql(&path, "updating a delivery"))?;
        if n == 0 {
            return Err(StoreError::UnknownDocument(id.into()));
        }
        if let Some((what, detail)) = what {
            event(&tx, id, now, what, detail).map_err(sql(&path, "recording a document event"))?;
        }
        tx.commit().map_err(sql(&path, "committing a delivery update"))
    }

    /// The officer cancels a queued document that surely never left the device.
    pub fn cancel_document(&mut self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        let mut d = self.outbox_entry(id)?.delivery;
        d.cancel().map_err(|source| StoreError::Cancel { id: id.into(), source })?;
        self.save_delivery(id, &d, now, Some(("cancelled", None)))
    }

    /// Records what the platform reports about a sent document; returns whether anything
    /// changed (an event is written only then).
    pub fn record_platform_status(
        &mut self,
        id: &str,
        status: DocumentStatus,
        comment: Option<&str>,
        countersignature: Option<&Countersignature>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let e = self.outbox_entry(id)?;
        let mut proof = e.proof.clone();
        if let Some(c) = countersignature {
            proof.countersignature = Some(c.clone());
        }
        if e.platform_status == Some(status) && e.comment.as_deref() == comment && proof == e.proof {
            return Ok(false);
        }
        let body = serde_json::to_string(&proof).expect("a proof serialises");
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(sql(&path, "starting a status update"))?;
        // A status seen means the platform has it, whatever the outbox thought.
        tx.execute(
            "UPDATE outbox SET platform_status = ?2, comment = ?3, proof = ?4, updated_at = ?5,
                    state = 'sent', next_attempt_at = NULL, last_error = NULL, may_have_left = 1 WHERE id = ?1",
            params![id, status.as_str(), comment, body, ts(now)],
        )
        .map_err(sql(&path, "updating a document's status"))?;
        let detail = match comment {
            Some(c) => format!("{} : {c}", status.as_str()),
            None => status.as_str().to_string(),
        };
        event(&tx, id, now, "status", Some(detail)).map_err(sql(&path, "recording a document event"))?;
        tx.commit().map_err(sql(&path, "committing a status update"))?;
        Ok(true)
    }

    /// Adds a step to a document's history (its PDF written, say).
    pub fn note_document_event(
        &mut self,
        id: &str,
        what: &str,
        detail: Option<String>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.outbox_entry(id)?;
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(sql(&path, "starting a document event"))?;
        event(&tx, id, now, what, detail).map_err(sql(&path, "recording a document event"))?;
        tx.commit().map_err(sql(&path, "committing a document event"))
    }

    /// A document's history, oldest first.
    pub fn document_history(&self, id: &str) -> Result<Vec<DocumentEvent>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT at, what, detail FROM document_events WHERE document = ?1 ORDER BY seq")
            .map_err(self.sqlite("reading a document's history"))?;
        let rows = stmt
            .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?)))
            .map_err(self.sqlite("reading a document's history"))?;
        let mut out = Vec::new();
        for r in rows {
            let (at, what, detail) = r.map_err(self.sqlite("reading a document's history"))?;
            let at = parse_ts(&at).map_err(|m| self.corrupt("document_events", id, m))?;
            out.push(DocumentEvent { at, what, detail });
        }
        Ok(out)
    }

    fn entry(&self, r: Raw) -> Result<OutboxEntry, StoreError> {
        let bad = |m: String| self.corrupt("outbox", &r.id, m);
        Ok(OutboxEntry {
            proof: serde_json::from_str(&r.proof).map_err(|e| bad(e.to_string()))?,
            delivery: Delivery {
                state: OutboxState::parse(&r.state).ok_or_else(|| bad(format!("unknown state {:?}", r.state)))?,
                attempts: r.attempts,
                next_attempt_at: r.next_attempt_at.as_deref().map(parse_ts).transpose().map_err(bad)?,
                last_error: r.last_error.clone(),
                may_have_left: r.may_have_left,
            },
            platform_status: match &r.platform_status {
                Some(s) => Some(DocumentStatus::parse(s).ok_or_else(|| bad(format!("unknown status {s:?}")))?),
                None => None,
            },
            comment: r.comment.clone(),
            created_at: parse_ts(&r.created_at).map_err(bad)?,
            updated_at: parse_ts(&r.updated_at).map_err(bad)?,
        })
    }
}

fn sql(path: &std::path::Path, doing: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Sqlite { path, doing, source }
}

fn event(
    tx: &rusqlite::Transaction<'_>,
    id: &str,
    at: Timestamp,
    what: &str,
    detail: Option<String>,
) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO document_events (document, at, what, detail) VALUES (?1, ?2, ?3, ?4)",
        params![id, ts(at), what, detail],
    )
}

struct Raw {
    id: String,
    proof: String,
    state: String,
    attempts: u32,
    next_attempt_at: Option<String>,
    last_error: Option<String>,
    may_have_left: bool,
    platform_status: Option<String>,
    comment: Option<String>,
    created_at: String,
    updated_at: String,
}

impl Raw {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
        Ok(Raw {
            id: r.get(0)?,
            proof: r.get(1)?,
            state: r.get(2)?,
            attempts: r.get(3)?,
            next_attempt_at: r.get(4)?,
            last_error: r.get(5)?,
            may_have_left: r.get(6)?,
            platform_status: r.get(7)?,
            comment: r.get(8)?,
            created_at: r.get(9)?,
            updated_at: r.get(10)?,
        })
    }
}
