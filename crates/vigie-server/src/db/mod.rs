//! The platform's storage: one SQLite file (WAL) by default, or PostgreSQL.
//!
//! Every unit of work is one transaction, and the audit entry describing it is written in
//! that same transaction: an import whose audit entry cannot be written did not happen.
//! The SQL is written once; [`backend`] runs it on either engine. Calls are synchronous;
//! the HTTP layer runs them on Tokio's blocking pool.

mod backend;
mod live;

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use vigie_core::audit::{AuditEntry, AuditHead, NewAuditEntry};
use vigie_core::auth::{fingerprint, PublicKey};
use vigie_core::document::Document;
use vigie_core::proof::{Countersignature, KnownKey, Proof};
use vigie_core::sync::VersionedRow;
use vigie_core::{Camera, CameraId, Timestamp};

use self::backend::{Backend, Row, SqlError, Tx, Value};
pub use self::live::LiveStreamRecord;
use crate::model::{DeviceInfo, DeviceState, NewUser, Principal, Profile, Role};
use vigie_core::act::IssuingService;

/// Storage errors, naming what was being done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The engine refused.
    #[error("{doing}: {message}")]
    Query {
        /// What was being done.
        doing: &'static str,
        /// The engine's message.
        message: String,
    },
    /// The database cannot be reached or opened.
    #[error("{0}")]
    Connect(String),
    /// A referenced thing does not exist (`unit BT-38`, `device 12`).
    #[error("{0} does not exist")]
    NotFound(String),
    /// A thing that already exists (`unit BT-38`).
    #[error("{0} already exists")]
    Exists(String),
    /// A thing that is over and may no longer change (`live stream bc-1`).
    #[error("{0} has ended")]
    Ended(String),
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

impl From<SqlError> for DbError {
    fn from(e: SqlError) -> Self {
        DbError::Query { doing: "running a statement", message: e.message }
    }
}

/// Maps an engine error to what the caller was doing.
fn q(doing: &'static str) -> impl Fn(SqlError) -> DbError {
    move |e| DbError::Query { doing, message: e.message }
}

/// Maps a unique violation to [`DbError::Exists`] naming `what`.
fn unique(doing: &'static str, what: String) -> impl FnOnce(SqlError) -> DbError {
    move |e| if e.unique { DbError::Exists(what) } else { DbError::Query { doing, message: e.message } }
}

/// Typed access to a row's columns; a wrong type is damaged data, named.
trait RowExt {
    fn int(&self, i: usize) -> Result<i64, DbError>;
    fn text(&self, i: usize) -> Result<String, DbError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, DbError>;
    fn blob(&self, i: usize) -> Result<Vec<u8>, DbError>;
    fn opt_real(&self, i: usize) -> Result<Option<f64>, DbError>;
}

impl RowExt for Row {
    fn int(&self, i: usize) -> Result<i64, DbError> {
        match self.get(i) {
            Some(Value::Int(v)) => Ok(*v),
            other => Err(DbError::Corrupt(format!("column {i}: expected an integer, found {other:?}"))),
        }
    }
    fn text(&self, i: usize) -> Result<String, DbError> {
        match self.get(i) {
            Some(Value::Text(v)) => Ok(v.clone()),
            other => Err(DbError::Corrupt(format!("column {i}: expected text, found {other:?}"))),
        }
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        match self.get(i) {
            Some(Value::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
    fn opt_real(&self, i: usize) -> Result<Option<f64>, DbError> {
        match self.get(i) {
            Some(Value::Null) => Ok(None),
            Some(Value::Real(v)) => Ok(Some(*v)),
            other => Err(DbError::Corrupt(format!("column {i}: expected a number, found {other:?}"))),
        }
    }
    fn blob(&self, i: usize) -> Result<Vec<u8>, DbError> {
        match self.get(i) {
            Some(Value::Blob(v)) => Ok(v.clone()),
            other => Err(DbError::Corrupt(format!("column {i}: expected bytes, found {other:?}"))),
        }
    }
}

fn one(rows: Vec<Row>) -> Option<Row> {
    rows.into_iter().next()
}

/// Schema migrations, in order, with the engine's type tokens (see [`Backend::ddl`]).
/// Never edit a released one: add a new one at the end.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE units (
    id {ID},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT, phone TEXT, email TEXT
);
CREATE TABLE users (
    id {ID},
    rio TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    rank TEXT NOT NULL,
    qualite TEXT NOT NULL,
    unit_id {INT} NOT NULL REFERENCES units (id),
    role TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'csu_operator', 'admin')),
    created_at TEXT NOT NULL
);
CREATE TABLE devices (
    id {ID},
    user_id {INT} NOT NULL REFERENCES users (id),
    public_key {BLOB} NOT NULL UNIQUE,
    name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused', 'revoked')),
    requested_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT
);
CREATE TABLE challenges (
    device_id {INT} NOT NULL REFERENCES devices (id),
    nonce {BLOB} NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE TABLE tokens (
    hash {BLOB} PRIMARY KEY,
    device_id {INT} NOT NULL REFERENCES devices (id),
    expires_at TEXT NOT NULL
);
CREATE TABLE registry_state (id {INT} PRIMARY KEY CHECK (id = 1), version {INT} NOT NULL);
INSERT INTO registry_state VALUES (1, 0);
CREATE TABLE cameras (
    id TEXT PRIMARY KEY,
    version {INT} NOT NULL,
    lat {REAL},
    lon {REAL},
    body TEXT,
    source TEXT
);
CREATE INDEX cameras_by_version ON cameras (version);
CREATE TABLE audit_log (
    seq {INT} PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT, unit TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    motif TEXT, procedure TEXT,
    prev_hash {BLOB} NOT NULL,
    hash {BLOB} NOT NULL
);
CREATE TABLE audit_head (id {INT} PRIMARY KEY CHECK (id = 1), seq {INT} NOT NULL, hash {BLOB} NOT NULL);
",
    "
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    author TEXT NOT NULL,
    device_id {INT} NOT NULL REFERENCES devices (id),
    unit TEXT NOT NULL,
    created_at TEXT NOT NULL,
    replaces TEXT,
    canonical {BLOB} NOT NULL,
    signature {BLOB} NOT NULL,
    digest {BLOB} NOT NULL,
    status TEXT NOT NULL,
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    comment TEXT,
    countersigned_by TEXT,
    countersignature {BLOB}
);
CREATE INDEX documents_by_unit ON documents (unit, status);
CREATE INDEX documents_by_author ON documents (author);
",
    "
CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    author TEXT NOT NULL,
    device_id {INT} NOT NULL REFERENCES devices (id),
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
    "
ALTER TABLE documents ADD COLUMN countersigned_device {INT} REFERENCES devices (id);
ALTER TABLE documents ADD COLUMN countersigned_at TEXT;
",
    "
CREATE TABLE live_streams (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    source TEXT NOT NULL,
    publisher_key_hash {BLOB} NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    ended_at TEXT,
    ended_by TEXT,
    lat {REAL},
    lon {REAL},
    position_at TEXT
);
CREATE TABLE live_grants (
    stream_id TEXT NOT NULL REFERENCES live_streams (id),
    unit TEXT NOT NULL,
    motif TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (stream_id, unit)
);
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
    backend: Backend,
    describe: String,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("database", &self.describe).finish()
    }
}

impl Db {
    /// Opens (creating and migrating) the SQLite database at `path`.
    pub fn open_sqlite(path: &Path) -> Result<Db, DbError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbError::Connect(format!("cannot create {}: {e}", dir.display())))?;
        }
        let open = |e: rusqlite::Error| DbError::Connect(format!("{}: {e}", path.display()));
        let conn = rusqlite::Connection::open(path).map_err(open)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(open)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(open)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(open)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(open)?;
        Db::migrate(Db { backend: Backend::Sqlite(Mutex::new(conn)), describe: format!("SQLite {}", path.display()) })
    }

    /// Connects to PostgreSQL at `url` (`postgres://user@host:port/db`) and migrates it.
    pub fn open_postgres(url: &str) -> Result<Db, DbError> {
        let client =
            postgres::Client::connect(url, postgres::NoTls).map_err(|e| DbError::Connect(format!("{url}: {e}")))?;
        let describe = format!("PostgreSQL {}", url.split('@').next_back().unwrap_or(url));
        Db::migrate(Db { backend: Backend::Postgres(Mutex::new(backend::PgClient::new(client))), describe })
    }

    fn migrate(db: Db) -> Result<Db, DbError> {
        db.backend
            .batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            .map_err(q("preparing migrations"))?;
        let found = db.backend.transaction(|tx| -> Result<u32, DbError> {
            let rows = tx.query("SELECT version FROM schema_version", &[]).map_err(q("reading the schema version"))?;
            Ok(match one(rows) {
                Some(r) => r.int(0)? as u32,
                None => {
                    tx.exec("INSERT INTO schema_version VALUES (0)", &[])
                        .map_err(q("initialising the schema version"))?;
                    0
                }
            })
        })?;
        if found as usize > MIGRATIONS.len() {
            return Err(DbError::NewerSchema { found, supported: MIGRATIONS.len() as u32 });
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let ddl = format!("BEGIN; {} UPDATE schema_version SET version = {}; COMMIT;", db.backend.ddl(step), i + 1);
            db.backend.batch(&ddl).map_err(q("migrating the schema"))?;
        }
        Ok(db)
    }

    /// Which database this is, for people.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// The engine: `SQLite` or `PostgreSQL`.
    pub fn engine(&self) -> &'static str {
        self.backend.name()
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<T, DbError>) -> Result<T, DbError> {
        self.backend.transaction(f)
    }

    /// Runs `f` in one transaction that also appends `audit` (sealed after the current
    /// head); commits only if both succeed.
    fn unit_of_work<T>(
        &self,
        audit: NewAuditEntry,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.backend.transaction(|tx| {
            let out = f(tx)?;
            append_audit(tx, audit)?;
            Ok(out)
        })
    }

    /// Appends an audit entry on its own (a read, a refused request).
    pub fn audit(&self, entry: NewAuditEntry) -> Result<(), DbError> {
        self.unit_of_work(entry, |_| Ok(()))
    }

    // ---- units and users

    /// Adds a unit with its name only.
    pub fn add_unit(&self, code: &str, name: &str, audit: NewAuditEntry) -> Result<i64, DbError> {
        let service = IssuingService { unit: code.into(), name: name.into(), ..IssuingService::default() };
        self.add_service(&service, audit)
    }

    /// Adds a unit as a service that issues requisitions: code, name and the contact a
    /// holder answers (printed on every act).
    pub fn add_service(&self, s: &IssuingService, audit: NewAuditEntry) -> Result<i64, DbError> {
        let opt = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_string());
        self.unit_of_work(audit, |tx| {
            let rows = tx
                .query(
                    "INSERT INTO units (code, name, address, phone, email) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                    &[
                        (&s.unit).into(),
                        (&s.name).into(),
                        opt(&s.address).into(),
                        opt(&s.phone).into(),
                        opt(&s.email).into(),
                    ],
                )
                .map_err(unique("adding a unit", format!("unit {}", s.unit)))?;
            one(rows).ok_or_else(|| DbError::Corrupt("no id returned".into()))?.int(0)
        })
    }

    /// What an officer's acts print about them: rank, qualité, and their unit as the
    /// issuing service.
    pub fn profile(&self, rio: &str) -> Result<Profile, DbError> {
        let rows = self.read(|tx| {
            tx.query(
                "SELECT u.rank, u.qualite, un.code, un.name, un.address, un.phone, un.email
                 FROM users u JOIN units un ON un.id = u.unit_id WHERE u.rio = ?1",
                &[rio.into()],
            )
            .map_err(q("reading a profile"))
        })?;
        let r = one(rows).ok_or_else(|| DbError::NotFound(format!("user {rio}")))?;
        Ok(Profile {
            rank: r.text(0)?,
            qualite: r.text(1)?,
            service: IssuingService {
                unit: r.text(2)?,
                name: r.text(3)?,
                address: r.opt_text(4)?.unwrap_or_default(),
                phone: r.opt_text(5)?.unwrap_or_default(),
                email: r.opt_text(6)?.unwrap_or_default(),
            },
        })
    }

    /// Fails unless unit `code` exists.
    pub fn unit_exists(&self, code: &str) -> Result<(), DbError> {
        let rows = self
            .read(|tx| tx.query("SELECT id FROM units WHERE code = ?1", &[code.into()]).map_err(q("finding a unit")))?;
        one(rows).map(|_| ()).ok_or_else(|| DbError::NotFound(format!("unit {code}")))
    }

    /// Adds a user to an existing unit.
    pub fn add_user(&self, u: &NewUser, at: Timestamp, audit: NewAuditEntry) -> Result<i64, DbError> {
        self.unit_of_work(audit, |tx| {
            let unit = one(tx.query("SELECT id FROM units WHERE code = ?1", &[(&u.unit).into()]).map_err(q("finding the unit"))?)
                .ok_or_else(|| DbError::NotFound(format!("unit {}", u.unit)))?
                .int(0)?;
            let rows = tx
                .query(
                    "INSERT INTO users (rio, name, rank, qualite, unit_id, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                    &[(&u.rio).into(), (&u.name).into(), (&u.rank).into(), (&u.qualite).into(), unit.into(), u.role.as_str().into(), ts(at).into()],
                )
                .map_err(unique("adding a user", format!("user {}", u.rio)))?;
            one(rows).ok_or_else(|| DbError::Corrupt("no id returned".into()))?.int(0)
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
            let user = one(tx.query("SELECT id FROM users WHERE rio = ?1", &[rio.into()]).map_err(q("finding the user"))?)
                .ok_or_else(|| DbError::NotFound(format!("user {rio}")))?
                .int(0)?;
            let rows = tx
                .query(
                    "INSERT INTO devices (user_id, public_key, name, state, requested_at) VALUES (?1, ?2, ?3, 'pending', ?4) RETURNING id",
                    &[user.into(), (&public_key[..]).into(), name.into(), ts(at).into()],
                )
                .map_err(unique("recording the enrolment", "a device with this key".into()))?;
            one(rows).ok_or_else(|| DbError::Corrupt("no id returned".into()))?.int(0)
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
                .exec(
                    "UPDATE devices SET state = ?2, decided_at = ?3, decided_by = ?4 WHERE id = ?1",
                    &[id.into(), state.as_str().into(), ts(at).into(), by.into()],
                )
                .map_err(q("deciding on a device"))?;
            if n == 0 {
                return Err(DbError::NotFound(format!("device {id}")));
            }
            if state != DeviceState::Approved {
                tx.exec("DELETE FROM tokens WHERE device_id = ?1", &[id.into()])
                    .map_err(q("dropping the device's tokens"))?;
            }
            Ok(())
        })
    }

    /// Every device, with its user.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>, DbError> {
        self.devices_where("", &[])
    }

    /// One device.
    pub fn device(&self, id: i64) -> Result<DeviceInfo, DbError> {
        self.devices_where("WHERE d.id = ?1", &[id.into()])?
            .pop()
            .ok_or_else(|| DbError::NotFound(format!("device {id}")))
    }

    fn devices_where(&self, clause: &str, args: &[Value]) -> Result<Vec<DeviceInfo>, DbError> {
        let sql = format!(
            "SELECT d.id, d.name, d.state, d.public_key, d.requested_at, u.rio, u.name, u.role, un.code
             FROM devices d JOIN users u ON u.id = d.user_id JOIN units un ON un.id = u.unit_id {clause} ORDER BY d.id"
        );
        let rows = self.read(|tx| tx.query(&sql, args).map_err(q("listing devices")))?;
        rows.iter()
            .map(|r| {
                let id = r.int(0)?;
                let state = r.text(2)?;
                let role = r.text(7)?;
                Ok(DeviceInfo {
                    id,
                    name: r.text(1)?,
                    state: DeviceState::parse(&state)
                        .ok_or_else(|| DbError::Corrupt(format!("device {id}: state {state}")))?,
                    public_key: r
                        .blob(3)?
                        .try_into()
                        .map_err(|_| DbError::Corrupt(format!("device {id}: key length")))?,
                    requested_at: parse_ts(&r.text(4)?)?,
                    rio: r.text(5)?,
                    user_name: r.text(6)?,
                    role: Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("device {id}: role {role}")))?,
                    unit: r.text(8)?,
                })
            })
            .collect()
    }

    // ---- login

    /// Stores a login challenge for a device.
    pub fn add_challenge(&self, device: i64, nonce: &[u8], expires_at: Timestamp) -> Result<(), DbError> {
        self.backend.transaction(|tx| {
            tx.exec("DELETE FROM challenges WHERE expires_at < ?1", &[ts(Utc::now()).into()])
                .map_err(q("pruning challenges"))?;
            tx.exec(
                "INSERT INTO challenges VALUES (?1, ?2, ?3)",
                &[device.into(), nonce.into(), ts(expires_at).into()],
            )
            .map_err(q("storing a challenge"))?;
            Ok(())
        })
    }

    /// Consumes a challenge: true once if it exists and has not expired.
    pub fn take_challenge(&self, device: i64, nonce: &[u8], now: Timestamp) -> Result<bool, DbError> {
        self.backend.transaction(|tx| {
            let rows = tx
                .query(
                    "DELETE FROM challenges WHERE device_id = ?1 AND nonce = ?2 RETURNING expires_at",
                    &[device.into(), nonce.into()],
                )
                .map_err(q("consuming a challenge"))?;
            match one(rows) {
                Some(r) => Ok(parse_ts(&r.text(0)?)? > now),
                None => Ok(false),
            }
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
            tx.exec("DELETE FROM tokens WHERE expires_at < ?1", &[ts(Utc::now()).into()])
                .map_err(q("pruning tokens"))?;
            tx.exec(
                "INSERT INTO tokens VALUES (?1, ?2, ?3)",
                &[(&hash[..]).into(), device.into(), ts(expires_at).into()],
            )
            .map_err(q("storing a token"))?;
            Ok(())
        })
    }

    /// Who a token belongs to, if it is valid now and its device is still approved.
    pub fn principal(&self, hash: &[u8; 32], now: Timestamp) -> Result<Option<Principal>, DbError> {
        let rows = self.read(|tx| {
            tx.query(
                "SELECT t.expires_at, d.id, u.rio, u.name, u.role, un.code, d.state
                 FROM tokens t JOIN devices d ON d.id = t.device_id JOIN users u ON u.id = d.user_id JOIN units un ON un.id = u.unit_id
                 WHERE t.hash = ?1",
                &[(&hash[..]).into()],
            )
            .map_err(q("checking a token"))
        })?;
        let Some(r) = one(rows) else { return Ok(None) };
        if parse_ts(&r.text(0)?)? <= now || r.text(6)? != "approved" {
            return Ok(None);
        }
        let rio = r.text(2)?;
        let role = r.text(4)?;
        let role = Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("user {rio}: role {role}")))?;
        Ok(Some(Principal { device: r.int(1)?, rio, name: r.text(3)?, role, unit: r.text(5)? }))
    }

    // ---- registry

    /// The registry version.
    pub fn registry_version(&self) -> Result<u64, DbError> {
        self.read(|tx| registry_version(tx)).map(|v| v as u64)
    }

    /// Inserts or updates cameras as one new registry version (none if nothing changed).
    pub fn import(
        &self,
        cameras: &[Camera],
        source: &str,
        audit: impl FnOnce(&ImportSummary) -> NewAuditEntry,
    ) -> Result<ImportSummary, DbError> {
        self.backend.transaction(|tx| {
            let current = registry_version(tx)?;
            let next = current + 1;
            let mut s = ImportSummary { version: current as u64, inserted: 0, updated: 0, unchanged: 0 };
            for c in cameras {
                let body = serde_json::to_string(c).expect("a camera serialises");
                let old = one(tx
                    .query("SELECT body FROM cameras WHERE id = ?1", &[(&c.id.0).into()])
                    .map_err(q("reading a camera"))?);
                match old {
                    Some(r) if r.opt_text(0)?.as_deref() == Some(body.as_str()) => {
                        s.unchanged += 1;
                        continue;
                    }
                    Some(_) => s.updated += 1,
                    None => s.inserted += 1,
                }
                upsert_camera(tx, c, &body, next, source)?;
            }
            if s.inserted + s.updated > 0 {
                set_registry_version(tx, next)?;
                s.version = next as u64;
            }
            append_audit(tx, audit(&s))?;
            Ok(s)
        })
    }

    /// Deletes cameras (tombstones) as one new registry version.
    pub fn delete_cameras(&self, ids: &[CameraId], audit: NewAuditEntry) -> Result<u64, DbError> {
        self.unit_of_work(audit, |tx| {
            let next = registry_version(tx)? + 1;
            for id in ids {
                tx.exec(
                    "UPDATE cameras SET version = ?2, body = NULL, lat = NULL, lon = NULL WHERE id = ?1 AND body IS NOT NULL",
                    &[(&id.0).into(), next.into()],
                )
                .map_err(q("deleting a camera"))?;
            }
            set_registry_version(tx, next)?;
            Ok(next as u64)
        })
    }

    /// The registry version and the rows changed after `since` (every live row when
    /// `None`), read in one transaction so they agree.
    pub fn rows_since(&self, since: Option<u64>) -> Result<(u64, Vec<VersionedRow>), DbError> {
        self.read(|tx| {
            let version = registry_version(tx)?;
            let rows = match since {
                None => tx.query("SELECT id, version, body FROM cameras WHERE body IS NOT NULL ORDER BY id", &[]),
                Some(v) => tx.query(
                    "SELECT id, version, body FROM cameras WHERE version > ?1 ORDER BY id",
                    &[(v as i64).into()],
                ),
            }
            .map_err(q("reading the registry"))?;
            let rows = rows
                .iter()
                .map(|r| {
                    let id = r.text(0)?;
                    let camera = r
                        .opt_text(2)?
                        .map(|b| {
                            serde_json::from_str::<Camera>(&b)
                                .map_err(|e| DbError::Corrupt(format!("camera {id}: {e}")))
                        })
                        .transpose()?;
                    Ok(VersionedRow { id: CameraId(id), version: r.int(1)? as u64, camera })
                })
                .collect::<Result<Vec<_>, DbError>>()?;
            Ok((version as u64, rows))
        })
    }

    // ---- documents

    /// Stores a signed document once. A second push of the same document (same id, same
    /// bytes, same signature) changes nothing and says so; the same id with other content
    /// is refused.
    pub fn receive_document(&self, d: &NewDocument<'_>, audit: NewAuditEntry) -> Result<Received, DbError> {
        self.backend.transaction(|tx| {
            let existing = one(
                tx.query("SELECT digest, signature, status FROM documents WHERE id = ?1", &[d.id.into()])
                    .map_err(q("looking the document up"))?,
            );
            if let Some(r) = existing {
                if r.blob(0)? == d.digest && r.blob(1)? == d.signature {
                    return Ok(Received::Already(parse_status(&r.text(2)?)?));
                }
                return Err(DbError::Exists(format!("another document with id {}", d.id)));
            }
            let now = ts(d.received_at);
            tx.exec(
                "INSERT INTO documents (id, kind, author, device_id, unit, created_at, replaces, canonical, signature, digest, status, received_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'received', ?11, ?11)",
                &[
                    d.id.into(),
                    d.kind.into(),
                    d.author.into(),
                    d.device.into(),
                    d.unit.into(),
                    ts(d.created_at).into(),
                    d.replaces.into(),
                    d.canonical.into(),
                    d.signature.into(),
                    (&d.digest[..]).into(),
                    now.into(),
                ],
            )
            .map_err(unique("storing the document", format!("another document with id {}", d.id)))?;
            append_audit(tx, audit)?;
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
        let sql = format!(
            "SELECT d.id, d.kind, d.author, d.unit, d.created_at, d.canonical, d.digest, d.status, d.updated_at, d.comment,
                    d.countersigned_by, d.signature, ad.public_key, d.countersignature, cd.public_key, d.countersigned_at
             FROM documents d JOIN devices ad ON ad.id = d.device_id LEFT JOIN devices cd ON cd.id = d.countersigned_device
             WHERE {clause} ORDER BY d.received_at DESC, d.id"
        );
        let rows = self.read(|tx| tx.query(&sql, &[arg.into()]).map_err(q("reading documents")))?;
        rows.iter()
            .map(|r| {
                let id = r.text(0)?;
                let corrupt = |what: &str| DbError::Corrupt(format!("document {id}: {what}"));
                let key = |i: usize| -> Result<PublicKey, DbError> {
                    r.blob(i)?.try_into().map_err(|_| corrupt("key length"))
                };
                let document: Document = serde_json::from_slice(&r.blob(5)?).map_err(|e| corrupt(&e.to_string()))?;
                let countersigned_by = r.opt_text(10)?;
                let countersignature = match (&countersigned_by, r.get(13), r.get(14)) {
                    (Some(rio), Some(Value::Blob(sig)), Some(Value::Blob(_))) => Some(Countersignature {
                        rio: rio.clone(),
                        key: fingerprint(&key(14)?),
                        at: r.opt_text(15)?.map(|t| parse_ts(&t)).transpose()?.unwrap_or(parse_ts(&r.text(8)?)?),
                        signature: sig.clone(),
                    }),
                    _ => None,
                };
                Ok(DocumentRecord {
                    proof: Proof {
                        document,
                        signature: r.blob(11)?,
                        author_key: fingerprint(&key(12)?),
                        countersignature,
                    },
                    digest: r.blob(6)?.try_into().map_err(|_| corrupt("digest length"))?,
                    status: parse_status(&r.text(7)?)?,
                    updated_at: parse_ts(&r.text(8)?)?,
                    comment: r.opt_text(9)?,
                    countersigned_by,
                    kind: r.text(1)?,
                    author: r.text(2)?,
                    unit: r.text(3)?,
                    created_at: parse_ts(&r.text(4)?)?,
                    id,
                })
            })
            .collect()
    }

    /// The document whose canonical bytes hash to `digest`, if the platform has it.
    pub fn document_by_digest(&self, digest: &[u8; 32]) -> Result<Option<DocumentRecord>, DbError> {
        let rows = self.read(|tx| {
            tx.query("SELECT id FROM documents WHERE digest = ?1", &[(&digest[..]).into()])
                .map_err(q("looking a document up by its digest"))
        })?;
        match one(rows) {
            Some(r) => Ok(Some(self.document(&r.text(0)?)?)),
            None => Ok(None),
        }
    }

    /// Every device key ever enrolled, with its user: what signatures are checked against
    /// (a revoked device's earlier signatures stay valid, and are said to be).
    pub fn key_directory(&self) -> Result<Vec<KnownKey>, DbError> {
        Ok(self
            .devices_where("", &[])?
            .into_iter()
            .filter(|d| d.state != DeviceState::Pending && d.state != DeviceState::Refused)
            .map(|d| KnownKey {
                public_key: d.public_key,
                device: d.id as u64,
                rio: d.rio,
                name: d.user_name,
                unit: d.unit,
                supervisor: d.role == Role::Supervisor,
                revoked: d.state == DeviceState::Revoked,
            })
            .collect())
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
                .exec(
                    "UPDATE documents SET status = ?2, updated_at = ?3, comment = ?4, countersigned_by = ?5, countersignature = ?6,
                            countersigned_device = ?8, countersigned_at = ?9
                     WHERE id = ?1 AND status = ?7",
                    &[
                        id.into(),
                        decision.to.as_str().into(),
                        ts(decision.at).into(),
                        decision.comment.into(),
                        decision.by.into(),
                        decision.countersignature.into(),
                        decision.from.as_str().into(),
                        decision.countersignature.map(|_| decision.device).into(),
                        decision.countersignature.map(|_| ts(decision.at)).into(),
                    ],
                )
                .map_err(q("deciding on a document"))?;
            if n == 0 {
                return Err(DbError::Exists(format!("a decision on document {id}")));
            }
            Ok(())
        })
    }

    /// Records a later status (sent to the holder, acknowledged, fulfilled), keeping the
    /// countersignature; refused if the document moved meanwhile.
    pub fn update_document_status(
        &self,
        id: &str,
        d: &DocumentDecision<'_>,
        audit: NewAuditEntry,
    ) -> Result<(), DbError> {
        self.unit_of_work(audit, |tx| {
            let n = tx
                .exec(
                    "UPDATE documents SET status = ?2, updated_at = ?3, comment = ?4 WHERE id = ?1 AND status = ?5",
                    &[id.into(), d.to.as_str().into(), ts(d.at).into(), d.comment.into(), d.from.as_str().into()],
                )
                .map_err(q("updating a document's status"))?;
            if n == 0 {
                return Err(DbError::Exists(format!("a newer status of document {id}")));
            }
            Ok(())
        })
    }

    // ---- private cameras submitted from the field

    /// Stores a submission once (same id and same description: nothing changes).
    pub fn submit_camera(&self, sub: &NewSubmission<'_>, audit: NewAuditEntry) -> Result<Submitted, DbError> {
        self.backend.transaction(|tx| {
            let existing = one(tx
                .query("SELECT body, author FROM submissions WHERE id = ?1", &[sub.id.into()])
                .map_err(q("looking the submission up"))?);
            if let Some(r) = existing {
                if r.text(0)? == sub.body && r.text(1)? == sub.author {
                    return Ok(Submitted::Already);
                }
                return Err(DbError::Exists(format!("another submission with id {}", sub.id)));
            }
            tx.exec(
                "INSERT INTO submissions (id, author, device_id, unit, body, state, duplicate_of, submitted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7)",
                &[
                    sub.id.into(),
                    sub.author.into(),
                    sub.device.into(),
                    sub.unit.into(),
                    sub.body.into(),
                    sub.duplicate_of.into(),
                    ts(sub.at).into(),
                ],
            )
            .map_err(unique("storing the submission", format!("another submission with id {}", sub.id)))?;
            append_audit(tx, audit)?;
            Ok(Submitted::New)
        })
    }

    /// Submissions by an author, oldest first.
    pub fn submissions_of(&self, author: &str) -> Result<Vec<Submission>, DbError> {
        self.submissions_where("author = ?1", &[author.into()])
    }

    /// Submissions awaiting moderation, oldest first.
    pub fn pending_submissions(&self) -> Result<Vec<Submission>, DbError> {
        self.submissions_where("state = 'pending'", &[])
    }

    /// One submission, whatever its state.
    pub fn submission(&self, id: &str) -> Result<Submission, DbError> {
        self.submissions_where("id = ?1", &[id.into()])?
            .pop()
            .ok_or_else(|| DbError::NotFound(format!("submission {id}")))
    }

    fn submissions_where(&self, clause: &str, args: &[Value]) -> Result<Vec<Submission>, DbError> {
        let sql = format!(
            "SELECT id, author, unit, body, state, duplicate_of, submitted_at, note FROM submissions WHERE {clause} ORDER BY submitted_at, id"
        );
        let rows = self.read(|tx| tx.query(&sql, args).map_err(q("reading submissions")))?;
        rows.iter()
            .map(|r| {
                let id = r.text(0)?;
                Ok(Submission {
                    camera: serde_json::from_str(&r.text(3)?)
                        .map_err(|e| DbError::Corrupt(format!("submission {id}: {e}")))?,
                    author: r.text(1)?,
                    unit: r.text(2)?,
                    state: r.text(4)?,
                    duplicate_of: r.opt_text(5)?,
                    submitted_at: parse_ts(&r.text(6)?)?,
                    note: r.opt_text(7)?,
                    id,
                })
            })
            .collect()
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
                .exec(
                    "UPDATE submissions SET state = ?2, decided_at = ?3, decided_by = ?4, note = ?5 WHERE id = ?1 AND state = 'pending'",
                    &[id.into(), state.into(), ts(Utc::now()).into(), by.into(), note.into()],
                )
                .map_err(q("deciding on a submission"))?;
            if n == 0 {
                let exists = !tx.query("SELECT 1 FROM submissions WHERE id = ?1", &[id.into()]).map_err(q("looking the submission up"))?.is_empty();
                return Err(if exists {
                    DbError::Exists(format!("a decision on submission {id}"))
                } else {
                    DbError::NotFound(format!("submission {id}"))
                });
            }
            if let Some(c) = camera {
                let next = registry_version(tx)? + 1;
                upsert_camera(tx, c, &serde_json::to_string(c).expect("a camera serialises"), next, "terrain")?;
                set_registry_version(tx, next)?;
            }
            Ok(())
        })
    }

    // ---- audit

    /// The whole audit log in order, and its recorded head.
    pub fn audit_log(&self) -> Result<(Vec<AuditEntry>, Option<AuditHead>), DbError> {
        self.read(|tx| {
            let rows = tx
                .query(
                    "SELECT seq, at, actor, role, unit, action, detail, motif, procedure, prev_hash, hash FROM audit_log ORDER BY seq",
                    &[],
                )
                .map_err(q("reading the audit log"))?;
            let entries = rows
                .iter()
                .map(|r| {
                    let seq = r.int(0)?;
                    let hash = |i: usize| -> Result<[u8; 32], DbError> {
                        r.blob(i)?.try_into().map_err(|_| DbError::Corrupt(format!("audit entry {seq}: hash length")))
                    };
                    Ok(AuditEntry {
                        seq: seq as u64,
                        event: NewAuditEntry {
                            at: parse_ts(&r.text(1)?)?,
                            actor: r.text(2)?,
                            role: r.opt_text(3)?,
                            unit: r.opt_text(4)?,
                            action: r.text(5)?,
                            detail: r.text(6)?,
                            motif: r.opt_text(7)?,
                            procedure: r.opt_text(8)?,
                        },
                        prev_hash: hash(9)?,
                        hash: hash(10)?,
                    })
                })
                .collect::<Result<Vec<_>, DbError>>()?;
            Ok((entries, head(tx)?))
        })
    }
}

fn registry_version(tx: &mut dyn Tx) -> Result<i64, DbError> {
    one(tx.query("SELECT version FROM registry_state WHERE id = 1", &[]).map_err(q("reading the registry version"))?)
        .ok_or_else(|| DbError::Corrupt("registry_state is empty".into()))?
        .int(0)
}

fn set_registry_version(tx: &mut dyn Tx, v: i64) -> Result<(), DbError> {
    tx.exec("UPDATE registry_state SET version = ?1 WHERE id = 1", &[v.into()])
        .map_err(q("bumping the registry version"))?;
    Ok(())
}

fn upsert_camera(tx: &mut dyn Tx, c: &Camera, body: &str, version: i64, source: &str) -> Result<(), DbError> {
    let p = c.placements[0].position;
    tx.exec(
        "INSERT INTO cameras (id, version, lat, lon, body, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, lat = excluded.lat, lon = excluded.lon, body = excluded.body, source = excluded.source",
        &[(&c.id.0).into(), version.into(), p.lat().into(), p.lon().into(), body.into(), source.into()],
    )
    .map_err(q("writing a camera"))?;
    Ok(())
}

fn head(tx: &mut dyn Tx) -> Result<Option<AuditHead>, DbError> {
    let rows = tx.query("SELECT seq, hash FROM audit_head WHERE id = 1", &[]).map_err(q("reading the audit head"))?;
    one(rows)
        .map(|r| {
            Ok((
                r.int(0)? as u64,
                r.blob(1)?.try_into().map_err(|_| DbError::Corrupt("audit head: hash length".into()))?,
            ))
        })
        .transpose()
}

fn append_audit(tx: &mut dyn Tx, entry: NewAuditEntry) -> Result<(), DbError> {
    let e = entry.seal(head(tx)?);
    tx.exec(
        "INSERT INTO audit_log (seq, at, actor, role, unit, action, detail, motif, procedure, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        &[
            (e.seq as i64).into(),
            ts(e.event.at).into(),
            (&e.event.actor).into(),
            e.event.role.as_deref().into(),
            e.event.unit.as_deref().into(),
            (&e.event.action).into(),
            (&e.event.detail).into(),
            e.event.motif.as_deref().into(),
            e.event.procedure.as_deref().into(),
            (&e.prev_hash[..]).into(),
            (&e.hash[..]).into(),
        ],
    )
    .map_err(q("appending to the audit log"))?;
    tx.exec(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        &[(e.seq as i64).into(), (&e.hash[..]).into()],
    )
    .map_err(q("moving the audit head"))?;
    Ok(())
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
    /// The document, its signatures and key fingerprints: what a printed copy carries.
    pub proof: Proof,
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
    s.serialize_str(&vigie_core::proof::hex(d))
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
    /// The supervisor's device (whose key made the countersignature).
    pub device: i64,
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

/// A timestamp as stored: RFC 3339, UTC, nanoseconds (the audit hash covers them).
pub(crate) fn ts(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn parse_ts(s: &str) -> Result<Timestamp, DbError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DbError::Corrupt(format!("time {s:?}: {e}")))
}
