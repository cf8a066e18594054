//! The platform's storage: one SQLite file (WAL) by default.
//!
//! Every unit of work is one transaction, and the audit entry describing it is written in
//! that same transaction: an import whose audit entry cannot be written did not happen.
//! Calls are synchronous; the HTTP layer runs them on Tokio's blocking pool.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use vigie_core::audit::{AuditEntry, AuditHead, NewAuditEntry};
use vigie_core::auth::PublicKey;
use vigie_core::sync::VersionedRow;
use vigie_core::{Camera, CameraId, Timestamp};

use crate::model::{DeviceInfo, DeviceState, NewUser, Principal, Role};

/// Storage errors, naming what was being done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// SQLite refused.
    #[error("{doing}: {source}")]
    Sqlite {
        /// What was being done.
        doing: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A referenced thing does not exist (`unit BT-38`, `device 12`).
    #[error("{0} does not exist")]
    NotFound(String),
    /// A thing that already exists (`unit BT-38`).
    #[error("{0} already exists")]
    Exists(String),
    /// A stored row that does not read back.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// A schema newer than this build.
    #[error("the database was written by a newer Vigie (schema {found}, this build knows up to {supported})")]
    NewerSchema {
        /// Found.
        found: u32,
        /// Supported.
        supported: u32,
    },
}

fn sql(doing: &'static str) -> impl Fn(rusqlite::Error) -> DbError {
    move |source| DbError::Sqlite { doing, source }
}

fn unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT, phone TEXT, email TEXT
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    rio TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    rank TEXT NOT NULL,
    qualite TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units (id),
    role TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'csu_operator', 'admin')),
    created_at TEXT NOT NULL
);
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    public_key BLOB NOT NULL UNIQUE,
    name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused', 'revoked')),
    requested_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT
);
CREATE TABLE challenges (
    device_id INTEGER NOT NULL REFERENCES devices (id),
    nonce BLOB NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE TABLE tokens (
    hash BLOB PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id),
    expires_at TEXT NOT NULL
);
CREATE TABLE registry_state (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO registry_state VALUES (1, 0);
CREATE TABLE cameras (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    lat REAL,
    lon REAL,
    body TEXT,
    source TEXT
);
CREATE INDEX cameras_by_version ON cameras (version);
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT, unit TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    motif TEXT, procedure TEXT,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash BLOB NOT NULL);
",
    "
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    author TEXT NOT NULL,
    device_id INTEGER NOT NULL REFERENCES devices (id),
    unit TEXT NOT NULL,
    created_at TEXT NOT NULL,
    replaces TEXT,
    canonical BLOB NOT NULL,
    signature BLOB NOT NULL,
    digest BLOB NOT NULL,
    status TEXT NOT NULL,
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    comment TEXT,
    countersigned_by TEXT,
    countersignature BLOB
);
CREATE INDEX documents_by_unit ON documents (unit, status);
CREATE INDEX documents_by_author ON documents (author);
",
    "
CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    author TEXT NOT NULL,
    device_id INTEGER NOT NULL REFERENCES devices (id),
    unit TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'merged', 'refused')),
    duplicate_of TEXT,
    submitted_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT,
    note TEXT
);
CREATE INDEX submissions_by_state ON submissions (state);
CREATE INDEX submissions_by_author ON submissions (author);
",
];

/// What an import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// The registry version after the import (unchanged if nothing changed).
    pub version: u64,
    /// Cameras new to the registry.
    pub inserted: usize,
    /// Cameras whose description changed.
    pub updated: usize,
    /// Cameras already known exactly.
    pub unchanged: usize,
}

/// The platform database.
pub struct Db {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.path).finish()
    }
}

impl Db {
    /// Opens (creating and migrating) the SQLite database at `path`.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbError::Corrupt(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut conn = Connection::open(path).map_err(sql("opening the database"))?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql("switching to WAL"))?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql("setting synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(sql("enabling foreign keys"))?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(sql("setting the busy timeout"))?;
        let found: u32 =
            conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(sql("reading the schema version"))?;
        if found as usize > MIGRATIONS.len() {
            return Err(DbError::NewerSchema { found, supported: MIGRATIONS.len() as u32 });
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = conn.transaction().map_err(sql("starting a migration"))?;
            tx.execute_batch(step).map_err(sql("migrating the schema"))?;
            tx.pragma_update(None, "user_version", i as u32 + 1).map_err(sql("recording the schema version"))?;
            tx.commit().map_err(sql("committing a migration"))?;
        }
        Ok(Db { conn: Mutex::new(conn), path: path.to_path_buf() })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, DbError>) -> Result<T, DbError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn)
    }

    /// Runs `f` in one transaction that also appends `audit` (sealed after the current
    /// head); commits only if both succeed.
    fn unit_of_work<T>(
        &self,
        audit: NewAuditEntry,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.with(|conn| {
            let tx = conn.transaction().map_err(sql("starting a transaction"))?;
            let out = f(&tx)?;
            append_audit(&tx, audit)?;
            tx.commit().map_err(sql("committing"))?;
            Ok(out)
        })
    }

    /// Appends an audit entry on its own (a read, a refused request).
    pub fn audit(&self, entry: NewAuditEntry) -> Result<(), DbError> {
        self.unit_of_work(entry, |_| Ok(()))
    }

    // ---- units and users

    /// Adds a unit.
    pub fn add_unit(&self, code: &str, name: &str, audit: NewAuditEntry) -> Result<i64, DbError> {
        self.unit_of_work(audit, |tx| {
            tx.execute("INSERT INTO units (code, name) VALUES (?1, ?2)", params![code, name]).map_err(|e| {
                if unique_violation(&e) {
                    DbError::Exists(format!("unit {code}"))
                } else {
                    sql("adding a unit")(e)
                }
            })?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Adds a user to an existing unit.
    pub fn add_user(&self, u: &NewUser, at: Timestamp, audit: NewAuditEntry) -> Result<i64, DbError> {
        self.unit_of_work(audit, |tx| {
            let unit: i64 = tx
                .query_row("SELECT id FROM units WHERE code = ?1", [&u.unit], |r| r.get(0))
                .optional()
                .map_err(sql("finding the unit"))?
                .ok_or_else(|| DbError::NotFound(format!("unit {}", u.unit)))?;
            tx.execute(
                "INSERT INTO users (rio, name, rank, qualite, unit_id, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![u.rio, u.name, u.rank, u.qualite, unit, u.role.as_str(), ts(at)],
            )
            .map_err(|e| if unique_violation(&e) { DbError::Exists(format!("user {}", u.rio)) } else { sql("adding a user")(e) })?;
            Ok(tx.last_insert_rowid())
        })
    }

    // ---- devices

    /// Records an enrolment request for the user with `rio`; the device starts pending.
    pub fn request_enrolment(
        &self,
        public_key: &PublicKey,
        rio: &str,
        name: &str,
        at: Timestamp,
        audit: NewAuditEntry,
    ) -> Result<i64, DbError> {
        self.unit_of_work(audit, |tx| {
            let user: i64 = tx
                .query_row("SELECT id FROM users WHERE rio = ?1", [rio], |r| r.get(0))
                .optional()
                .map_err(sql("finding the user"))?
                .ok_or_else(|| DbError::NotFound(format!("user {rio}")))?;
            tx.execute(
                "INSERT INTO devices (user_id, public_key, name, state, requested_at) VALUES (?1, ?2, ?3, 'pending', ?4)",
                params![user, &public_key[..], name, ts(at)],
            )
            .map_err(|e| if unique_violation(&e) { DbError::Exists("a device with this key".into()) } else { sql("recording the enrolment")(e) })?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Approves, refuses or revokes a device. Revoking also drops its tokens at once.
    pub fn decide_device(
        &self,
        id: i64,
        state: DeviceState,
        by: &str,
        at: Timestamp,
        audit: NewAuditEntry,
    ) -> Result<(), DbError> {
        self.unit_of_work(audit, |tx| {
            let n = tx
                .execute(
                    "UPDATE devices SET state = ?2, decided_at = ?3, decided_by = ?4 WHERE id = ?1",
                    params![id, state.as_str(), ts(at), by],
                )
                .map_err(sql("deciding on a device"))?;
            if n == 0 {
                return Err(DbError::NotFound(format!("device {id}")));
            }
            if state != DeviceState::Approved {
                tx.execute("DELETE FROM tokens WHERE device_id = ?1", [id])
                    .map_err(sql("dropping the device's tokens"))?;
            }
            Ok(())
        })
    }

    /// Every device, with its user.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>, DbError> {
        self.with(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT d.id, d.name, d.state, d.public_key, d.requested_at, u.rio, u.name, u.role, un.code
                     FROM devices d JOIN users u ON u.id = d.user_id JOIN units un ON un.id = u.unit_id ORDER BY d.id",
                )
                .map_err(sql("listing devices"))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, String>(8)?,
                    ))
                })
                .map_err(sql("listing devices"))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, name, state, key, requested, rio, user_name, role, unit) =
                    row.map_err(sql("listing devices"))?;
                out.push(DeviceInfo {
                    id,
                    name,
                    state: DeviceState::parse(&state)
                        .ok_or_else(|| DbError::Corrupt(format!("device {id}: state {state}")))?,
                    public_key: key.try_into().map_err(|_| DbError::Corrupt(format!("device {id}: key length")))?,
                    requested_at: parse_ts(&requested)?,
                    rio,
                    user_name,
                    role: Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("device {id}: role {role}")))?,
                    unit,
                });
            }
            Ok(out)
        })
    }

    /// One device.
    pub fn device(&self, id: i64) -> Result<DeviceInfo, DbError> {
        self.devices()?.into_iter().find(|d| d.id == id).ok_or_else(|| DbError::NotFound(format!("device {id}")))
    }

    // ---- login

    /// Stores a login challenge for a device.
    pub fn add_challenge(&self, device: i64, nonce: &[u8], expires_at: Timestamp) -> Result<(), DbError> {
        self.with(|conn| {
            conn.execute("DELETE FROM challenges WHERE expires_at < ?1", [ts(Utc::now())])
                .map_err(sql("pruning challenges"))?;
            conn.execute("INSERT INTO challenges VALUES (?1, ?2, ?3)", params![device, nonce, ts(expires_at)])
                .map_err(sql("storing a challenge"))?;
            Ok(())
        })
    }

    /// Consumes a challenge: true once if it exists and has not expired.
    pub fn take_challenge(&self, device: i64, nonce: &[u8], now: Timestamp) -> Result<bool, DbError> {
        self.with(|conn| {
            let expires: Option<String> = conn
                .query_row(
                    "DELETE FROM challenges WHERE device_id = ?1 AND nonce = ?2 RETURNING expires_at",
                    params![device, nonce],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql("consuming a challenge"))?;
            Ok(match expires {
                Some(e) => parse_ts(&e)? > now,
                None => false,
            })
        })
    }

    /// Stores a session token (its SHA-256 only).
    pub fn add_token(
        &self,
        hash: &[u8; 32],
        device: i64,
        expires_at: Timestamp,
        audit: NewAuditEntry,
    ) -> Result<(), DbError> {
        self.unit_of_work(audit, |tx| {
            tx.execute("DELETE FROM tokens WHERE expires_at < ?1", [ts(Utc::now())]).map_err(sql("pruning tokens"))?;
            tx.execute("INSERT INTO tokens VALUES (?1, ?2, ?3)", params![&hash[..], device, ts(expires_at)])
                .map_err(sql("storing a token"))?;
            Ok(())
        })
    }

    /// Who a token belongs to, if it is valid now and its device is still approved.
    pub fn principal(&self, hash: &[u8; 32], now: Timestamp) -> Result<Option<Principal>, DbError> {
        self.with(|conn| {
            let row = conn
                .query_row(
                    "SELECT t.expires_at, d.id, u.rio, u.name, u.role, un.code, d.state
                     FROM tokens t JOIN devices d ON d.id = t.device_id JOIN users u ON u.id = d.user_id JOIN units un ON un.id = u.unit_id
                     WHERE t.hash = ?1",
                    [&hash[..]],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?, r.get::<_, String>(5)?, r.get::<_, String>(6)?)),
                )
                .optional()
                .map_err(sql("checking a token"))?;
            let Some((expires, device, rio, name, role, unit, state)) = row else { return Ok(None) };
            if parse_ts(&expires)? <= now || state != "approved" {
                return Ok(None);
            }
            let role = Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("user {rio}: role {role}")))?;
            Ok(Some(Principal { device, rio, name, role, unit }))
        })
    }

    // ---- registry

    /// The registry version.
    pub fn registry_version(&self) -> Result<u64, DbError> {
        self.with(|conn| {
            conn.query_row("SELECT version FROM registry_state WHERE id = 1", [], |r| r.get::<_, i64>(0))
                .map(|v| v as u64)
                .map_err(sql("reading the registry version"))
        })
    }

    /// Inserts or updates cameras as one new registry version (none if nothing changed).
    pub fn import(
        &self,
        cameras: &[Camera],
        source: &str,
        audit: impl FnOnce(&ImportSummary) -> NewAuditEntry,
    ) -> Result<ImportSummary, DbError> {
        self.with(|conn| {
            let tx = conn.transaction().map_err(sql("starting the import"))?;
            let current: i64 = tx.query_row("SELECT version FROM registry_state WHERE id = 1", [], |r| r.get(0)).map_err(sql("reading the registry version"))?;
            let next = current + 1;
            let mut s = ImportSummary { version: current as u64, inserted: 0, updated: 0, unchanged: 0 };
            {
                let mut get = tx.prepare_cached("SELECT body FROM cameras WHERE id = ?1").map_err(sql("preparing the import"))?;
                let mut put = tx
                    .prepare_cached(
                        "INSERT INTO cameras (id, version, lat, lon, body, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (id) DO UPDATE SET version = excluded.version, lat = excluded.lat, lon = excluded.lon, body = excluded.body, source = excluded.source",
                    )
                    .map_err(sql("preparing the import"))?;
                for c in cameras {
                    let body = serde_json::to_string(c).expect("a camera serialises");
                    let old: Option<Option<String>> = get.query_row([&c.id.0], |r| r.get(0)).optional().map_err(sql("reading a camera"))?;
                    match old {
                        Some(Some(b)) if b == body => {
                            s.unchanged += 1;
                            continue;
                        }
                        Some(_) => s.updated += 1,
                        None => s.inserted += 1,
                    }
                    let p = c.placements[0].position;
                    put.execute(params![c.id.0, next, p.lat(), p.lon(), body, source]).map_err(sql("writing a camera"))?;
                }
            }
            if s.inserted + s.updated > 0 {
                tx.execute("UPDATE registry_state SET version = ?1 WHERE id = 1", [next]).map_err(sql("bumping the registry version"))?;
                s.version = next as u64;
            }
            append_audit(&tx, audit(&s))?;
            tx.commit().map_err(sql("committing the import"))?;
            Ok(s)
        })
    }

    /// Deletes cameras (tombstones) as one new registry version.
    pub fn delete_cameras(&self, ids: &[CameraId], audit: NewAuditEntry) -> Result<u64, DbError> {
        self.unit_of_work(audit, |tx| {
            let next: i64 = tx.query_row("SELECT version + 1 FROM registry_state WHERE id = 1", [], |r| r.get(0)).map_err(sql("reading the registry version"))?;
            for id in ids {
                tx.execute("UPDATE cameras SET version = ?2, body = NULL, lat = NULL, lon = NULL WHERE id = ?1 AND body IS NOT NULL", params![id.0, next])
                    .map_err(sql("deleting a camera"))?;
            }
            tx.execute("UPDATE registry_state SET version = ?1 WHERE id = 1", [next]).map_err(sql("bumping the registry version"))?;
            Ok(next as u64)
        })
    }

    /// The registry version and the rows changed after `since` (every live row when
    /// `None`), read in one transaction so they agree.
    pub fn rows_since(&self, since: Option<u64>) -> Result<(u64, Vec<VersionedRow>), DbError> {
        self.with(|conn| {
            let tx = conn.transaction().map_err(sql("starting a registry read"))?;
            let version: i64 = tx
                .query_row("SELECT version FROM registry_state WHERE id = 1", [], |r| r.get(0))
                .map_err(sql("reading the registry version"))?;
            let mut rows = Vec::new();
            {
                let (query, bound) = match since {
                    None => ("SELECT id, version, body FROM cameras WHERE body IS NOT NULL ORDER BY id", -1i64),
                    Some(v) => ("SELECT id, version, body FROM cameras WHERE version > ?1 ORDER BY id", v as i64),
                };
                let mut stmt = tx.prepare_cached(query).map_err(sql("reading the registry"))?;
                let mapped =
                    if since.is_some() { stmt.query_map([bound], row_parts) } else { stmt.query_map([], row_parts) }
                        .map_err(sql("reading the registry"))?;
                for r in mapped {
                    let (id, v, body) = r.map_err(sql("reading the registry"))?;
                    let camera = body
                        .map(|b| {
                            serde_json::from_str::<Camera>(&b)
                                .map_err(|e| DbError::Corrupt(format!("camera {id}: {e}")))
                        })
                        .transpose()?;
                    rows.push(VersionedRow { id: CameraId(id), version: v as u64, camera });
                }
            }
            tx.commit().map_err(sql("ending a registry read"))?;
            Ok((version as u64, rows))
        })
    }

    // ---- documents

    /// Stores a signed document once. A second push of the same document (same id, same
    /// bytes, same signature) changes nothing and says so; the same id with other content
    /// is refused.
    pub fn receive_document(&self, d: &NewDocument<'_>, audit: NewAuditEntry) -> Result<Received, DbError> {
        self.with(|conn| {
            let tx = conn.transaction().map_err(sql("starting to receive a document"))?;
            let existing: Option<(Vec<u8>, Vec<u8>, String)> = tx
                .query_row("SELECT digest, signature, status FROM documents WHERE id = ?1", [d.id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
                .map_err(sql("looking the document up"))?;
            if let Some((digest, signature, status)) = existing {
                if digest == d.digest && signature == d.signature {
                    return Ok(Received::Already(parse_status(&status)?));
                }
                return Err(DbError::Exists(format!("another document with id {}", d.id)));
            }
            let now = ts(d.received_at);
            tx.execute(
                "INSERT INTO documents (id, kind, author, device_id, unit, created_at, replaces, canonical, signature, digest, status, received_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'received', ?11, ?11)",
                params![d.id, d.kind, d.author, d.device, d.unit, ts(d.created_at), d.replaces, d.canonical, d.signature, &d.digest[..], now],
            )
            .map_err(sql("storing the document"))?;
            append_audit(&tx, audit)?;
            tx.commit().map_err(sql("committing the document"))?;
            Ok(Received::New)
        })
    }

    /// One document.
    pub fn document(&self, id: &str) -> Result<DocumentRecord, DbError> {
        self.documents_where("d.id = ?1", id)?.pop().ok_or_else(|| DbError::NotFound(format!("document {id}")))
    }

    /// The documents of an author, newest first.
    pub fn documents_of(&self, author: &str) -> Result<Vec<DocumentRecord>, DbError> {
        self.documents_where("d.author = ?1", author)
    }

    /// The documents of a unit awaiting review, oldest first.
    pub fn pending_for_unit(&self, unit: &str) -> Result<Vec<DocumentRecord>, DbError> {
        let mut v = self.documents_where("d.unit = ?1 AND d.status = 'received'", unit)?;
        v.reverse();
        Ok(v)
    }

    fn documents_where(&self, clause: &str, arg: &str) -> Result<Vec<DocumentRecord>, DbError> {
        self.with(|conn| {
            let q = format!(
                "SELECT d.id, d.kind, d.author, d.unit, d.created_at, d.canonical, d.digest, d.status, d.updated_at, d.comment, d.countersigned_by
                 FROM documents d WHERE {clause} ORDER BY d.received_at DESC, d.id"
            );
            let mut stmt = conn.prepare(&q).map_err(sql("reading documents"))?;
            let rows = stmt
                .query_map([arg], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Vec<u8>>(5)?,
                        r.get::<_, Vec<u8>>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, Option<String>>(9)?,
                        r.get::<_, Option<String>>(10)?,
                    ))
                })
                .map_err(sql("reading documents"))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, kind, author, unit, created, canonical, digest, status, updated, comment, by) =
                    row.map_err(sql("reading documents"))?;
                out.push(DocumentRecord {
                    document: serde_json::from_slice(&canonical).map_err(|e| DbError::Corrupt(format!("document {id}: {e}")))?,
                    digest: digest.try_into().map_err(|_| DbError::Corrupt(format!("document {id}: digest length")))?,
                    status: parse_status(&status)?,
                    updated_at: parse_ts(&updated)?,
                    comment,
                    countersigned_by: by,
                    id,
                    kind,
                    author,
                    unit,
                    created_at: parse_ts(&created)?,
                });
            }
            Ok(out)
        })
    }

    /// Moves a document from `from` to `to` (a supervisor's decision), with the comment or
    /// countersignature; refused if it is no longer in `from`.
    pub fn decide_document(
        &self,
        id: &str,
        decision: &DocumentDecision<'_>,
        audit: NewAuditEntry,
    ) -> Result<(), DbError> {
        self.unit_of_work(audit, |tx| {
            let n = tx
                .execute(
                    "UPDATE documents SET status = ?2, updated_at = ?3, comment = ?4, countersigned_by = ?5, countersignature = ?6
                     WHERE id = ?1 AND status = ?7",
                    params![
                        id,
                        decision.to.as_str(),
                        ts(decision.at),
                        decision.comment,
                        decision.by,
                        decision.countersignature,
                        decision.from.as_str()
                    ],
                )
                .map_err(sql("deciding on a document"))?;
            if n == 0 {
                return Err(DbError::Exists(format!("a decision on document {id}")));
            }
            Ok(())
        })
    }

    // ---- private cameras submitted from the field

    /// Stores a submission once (same id and same description: nothing changes).
    pub fn submit_camera(&self, sub: &NewSubmission<'_>, audit: NewAuditEntry) -> Result<Submitted, DbError> {
        self.with(|conn| {
            let tx = conn.transaction().map_err(sql("starting a submission"))?;
            let existing: Option<(String, String, String)> = tx
                .query_row("SELECT body, state, author FROM submissions WHERE id = ?1", [sub.id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
                .map_err(sql("looking the submission up"))?;
            if let Some((body, _, author)) = existing {
                if body == sub.body && author == sub.author {
                    return Ok(Submitted::Already);
                }
                return Err(DbError::Exists(format!("another submission with id {}", sub.id)));
            }
            tx.execute(
                "INSERT INTO submissions (id, author, device_id, unit, body, state, duplicate_of, submitted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7)",
                params![sub.id, sub.author, sub.device, sub.unit, sub.body, sub.duplicate_of, ts(sub.at)],
            )
            .map_err(sql("storing the submission"))?;
            append_audit(&tx, audit)?;
            tx.commit().map_err(sql("committing the submission"))?;
            Ok(Submitted::New)
        })
    }

    /// Submissions by an author, oldest first.
    pub fn submissions_of(&self, author: &str) -> Result<Vec<Submission>, DbError> {
        self.submissions_where("author = ?1", &[author])
    }

    /// Submissions awaiting moderation, oldest first.
    pub fn pending_submissions(&self) -> Result<Vec<Submission>, DbError> {
        self.submissions_where("state = 'pending'", &[])
    }

    /// One submission, whatever its state.
    pub fn submission(&self, id: &str) -> Result<Submission, DbError> {
        self.submissions_where("id = ?1", &[id])?.pop().ok_or_else(|| DbError::NotFound(format!("submission {id}")))
    }

    fn submissions_where(&self, clause: &str, args: &[&str]) -> Result<Vec<Submission>, DbError> {
        self.with(|conn| {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT id, author, unit, body, state, duplicate_of, submitted_at, note FROM submissions WHERE {clause} ORDER BY submitted_at, id"
                ))
                .map_err(sql("reading submissions"))?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<String>>(7)?,
                    ))
                })
                .map_err(sql("reading submissions"))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, author, unit, body, state, duplicate_of, at, note) = row.map_err(sql("reading submissions"))?;
                out.push(Submission {
                    camera: serde_json::from_str(&body).map_err(|e| DbError::Corrupt(format!("submission {id}: {e}")))?,
                    id,
                    author,
                    unit,
                    state,
                    duplicate_of,
                    submitted_at: parse_ts(&at)?,
                    note,
                });
            }
            Ok(out)
        })
    }

    /// Decides on a pending submission: `camera` (the new camera, or the merged registry
    /// camera) goes into the registry as a new version, or nothing does (refused).
    pub fn decide_submission(
        &self,
        id: &str,
        state: &str,
        camera: Option<&Camera>,
        by: &str,
        note: Option<&str>,
        audit: NewAuditEntry,
    ) -> Result<(), DbError> {
        self.unit_of_work(audit, |tx| {
            let n = tx
                .execute(
                    "UPDATE submissions SET state = ?2, decided_at = ?3, decided_by = ?4, note = ?5 WHERE id = ?1 AND state = 'pending'",
                    params![id, state, ts(Utc::now()), by, note],
                )
                .map_err(sql("deciding on a submission"))?;
            if n == 0 {
                let exists = tx
                    .query_row("SELECT 1 FROM submissions WHERE id = ?1", [id], |_| Ok(()))
                    .optional()
                    .map_err(sql("looking the submission up"))?
                    .is_some();
                return Err(if exists {
                    DbError::Exists(format!("a decision on submission {id}"))
                } else {
                    DbError::NotFound(format!("submission {id}"))
                });
            }
            if let Some(c) = camera {
                let next: i64 = tx
                    .query_row("SELECT version + 1 FROM registry_state WHERE id = 1", [], |r| r.get(0))
                    .map_err(sql("reading the registry version"))?;
                let p = c.placements[0].position;
                tx.execute(
                    "INSERT INTO cameras (id, version, lat, lon, body, source) VALUES (?1, ?2, ?3, ?4, ?5, 'terrain')
                     ON CONFLICT (id) DO UPDATE SET version = excluded.version, lat = excluded.lat, lon = excluded.lon, body = excluded.body",
                    params![c.id.0, next, p.lat(), p.lon(), serde_json::to_string(c).expect("a camera serialises")],
                )
                .map_err(sql("writing the camera"))?;
                tx.execute("UPDATE registry_state SET version = ?1 WHERE id = 1", [next]).map_err(sql("bumping the registry version"))?;
            }
            Ok(())
        })
    }

    // ---- audit

    /// The whole audit log in storage order, and its recorded head.
    pub fn audit_log(&self) -> Result<(Vec<AuditEntry>, Option<AuditHead>), DbError> {
        self.with(|conn| {
            let mut stmt = conn
                .prepare("SELECT seq, at, actor, role, unit, action, detail, motif, procedure, prev_hash, hash FROM audit_log ORDER BY rowid")
                .map_err(sql("reading the audit log"))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, Option<String>>(8)?,
                        r.get::<_, Vec<u8>>(9)?,
                        r.get::<_, Vec<u8>>(10)?,
                    ))
                })
                .map_err(sql("reading the audit log"))?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, at, actor, role, unit, action, detail, motif, procedure, prev, hash) = row.map_err(sql("reading the audit log"))?;
                out.push(AuditEntry {
                    seq: seq as u64,
                    at: parse_ts(&at)?,
                    actor,
                    role,
                    unit,
                    action,
                    detail,
                    motif,
                    procedure,
                    prev_hash: prev.try_into().map_err(|_| DbError::Corrupt(format!("audit entry {seq}: hash length")))?,
                    hash: hash.try_into().map_err(|_| DbError::Corrupt(format!("audit entry {seq}: hash length")))?,
                });
            }
            let head = head(conn)?;
            Ok((out, head))
        })
    }
}

/// A verified document about to be stored.
#[derive(Debug)]
pub struct NewDocument<'a> {
    /// Id.
    pub id: &'a str,
    /// Kind (`requisition`, `preservation`).
    pub kind: &'a str,
    /// Author's RIO.
    pub author: &'a str,
    /// Signing device.
    pub device: i64,
    /// Author's unit.
    pub unit: &'a str,
    /// When it was signed.
    pub created_at: Timestamp,
    /// The document it amends.
    pub replaces: Option<&'a str>,
    /// Canonical bytes.
    pub canonical: &'a [u8],
    /// Author's signature.
    pub signature: &'a [u8],
    /// SHA-256 of the canonical bytes.
    pub digest: [u8; 32],
    /// When the platform received it.
    pub received_at: Timestamp,
}

/// What receiving a document did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Stored now.
    New,
    /// The document was stored before; here is its status.
    Already(vigie_core::document::DocumentStatus),
}

/// What submitting a private camera did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// Stored now.
    New,
    /// Stored before, unchanged.
    Already,
}

/// A private camera submitted from the field, about to be stored.
#[derive(Debug)]
pub struct NewSubmission<'a> {
    /// The camera's id (chosen by the device).
    pub id: &'a str,
    /// Author's RIO.
    pub author: &'a str,
    /// Device that sent it.
    pub device: i64,
    /// Author's unit.
    pub unit: &'a str,
    /// The camera as JSON.
    pub body: &'a str,
    /// A registry camera it seems to duplicate.
    pub duplicate_of: Option<&'a str>,
    /// When it was received.
    pub at: Timestamp,
}

/// A stored submission.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submission {
    /// Id.
    pub id: String,
    /// Author's RIO.
    pub author: String,
    /// Author's unit.
    pub unit: String,
    /// The camera as described.
    pub camera: Camera,
    /// `pending`, `accepted`, `merged`, `refused`.
    pub state: String,
    /// The registry camera it duplicates (found on submission).
    pub duplicate_of: Option<String>,
    /// When it was received.
    pub submitted_at: Timestamp,
    /// The moderator's note (why refused, which camera it was merged into).
    pub note: Option<String>,
}

/// A stored document and where it stands.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DocumentRecord {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Author's RIO.
    pub author: String,
    /// Author's unit.
    pub unit: String,
    /// When it was signed.
    pub created_at: Timestamp,
    /// The document as signed.
    pub document: serde_json::Value,
    /// SHA-256 of its canonical bytes.
    #[serde(serialize_with = "hex_digest")]
    pub digest: [u8; 32],
    /// Status.
    pub status: vigie_core::document::DocumentStatus,
    /// When the status last changed.
    pub updated_at: Timestamp,
    /// The supervisor's comment (returned documents).
    pub comment: Option<String>,
    /// The supervisor who countersigned.
    pub countersigned_by: Option<String>,
}

fn hex_digest<S: serde::Serializer>(d: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::api::hex(d))
}

/// A supervisor's decision on a document.
#[derive(Debug)]
pub struct DocumentDecision<'a> {
    /// The status it must be in.
    pub from: vigie_core::document::DocumentStatus,
    /// The status it moves to.
    pub to: vigie_core::document::DocumentStatus,
    /// The supervisor's RIO.
    pub by: &'a str,
    /// When.
    pub at: Timestamp,
    /// The comment (when returned).
    pub comment: Option<&'a str>,
    /// The countersignature (when countersigned).
    pub countersignature: Option<&'a [u8]>,
}

fn parse_status(s: &str) -> Result<vigie_core::document::DocumentStatus, DbError> {
    vigie_core::document::DocumentStatus::parse(s).ok_or_else(|| DbError::Corrupt(format!("document status {s:?}")))
}

type RowParts = (String, i64, Option<String>);

fn row_parts(r: &rusqlite::Row<'_>) -> rusqlite::Result<RowParts> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

fn head(conn: &Connection) -> Result<Option<AuditHead>, DbError> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(sql("reading the audit head"))?;
    row.map(|(s, h)| Ok((s as u64, h.try_into().map_err(|_| DbError::Corrupt("audit head: hash length".into()))?)))
        .transpose()
}

fn append_audit(tx: &Transaction<'_>, entry: NewAuditEntry) -> Result<(), DbError> {
    let e = entry.seal(head(tx)?);
    tx.execute(
        "INSERT INTO audit_log (seq, at, actor, role, unit, action, detail, motif, procedure, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            e.seq as i64,
            ts(e.at),
            e.actor,
            e.role,
            e.unit,
            e.action,
            e.detail,
            e.motif,
            e.procedure,
            &e.prev_hash[..],
            &e.hash[..]
        ],
    )
    .map_err(sql("appending to the audit log"))?;
    tx.execute(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        params![e.seq as i64, &e.hash[..]],
    )
    .map_err(sql("moving the audit head"))?;
    Ok(())
}

/// A timestamp as stored: RFC 3339, UTC, nanoseconds (the audit hash covers them).
pub(crate) fn ts(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn parse_ts(s: &str) -> Result<Timestamp, DbError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DbError::Corrupt(format!("time {s:?}: {e}")))
}
