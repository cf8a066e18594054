//! The device store: one SQLite file holding what the field app keeps offline.
//!
//! - the cached camera registry, with the platform version it came from and when;
//! - the private cameras the officer added, with their moderation state;
//! - the outbox: signed documents until the platform has them, their statuses and history;
//! - settings.
//!
//! # Contract
//!
//! Every write is one transaction: a crash (or a kill) in the middle of replacing the
//! registry leaves the previous registry whole. The file is in WAL mode, so readers never
//! wait for a writer. Opening a file written by an older version migrates it forward, one
//! numbered migration at a time, each in its own transaction; a file written by a newer
//! version is refused rather than damaged.
//!
//! Cameras are stored as their JSON form (`vigie_core::Camera` is `Serialize`) next to the
//! columns the store queries on; the domain logic stays in `vigie-core`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod migrations;
mod outbox;

pub use outbox::{DocumentEvent, OutboxEntry};

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use vigie_core::sync::RegistryUpdate;
use vigie_core::{Camera, CameraIndex, Timestamp};

pub use migrations::LATEST_VERSION;

/// Errors of the store, each naming what it was doing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite refused an operation.
    #[error("{path}: {doing}: {source}")]
    Sqlite {
        /// The store file.
        path: PathBuf,
        /// What the store was doing.
        doing: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A row that does not read back as what it should be.
    #[error("{path}: table {table}, row {key}: {message}")]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// The row's key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The file was written by a newer version of Vigie.
    #[error("{path}: written by a newer Vigie (schema {found}, this version knows up to {supported}); not opened, to avoid damaging it")]
    NewerSchema {
        /// The store file.
        path: PathBuf,
        /// Its schema version.
        found: u32,
        /// The newest this build knows.
        supported: u32,
    },
    /// A registry update that does not apply to the cached registry (a delta from another
    /// version or area, another protocol): nothing was changed; fetch a full package.
    #[error("{path}: {source}")]
    Sync {
        /// The store file.
        path: PathBuf,
        /// Why the update does not apply.
        source: vigie_core::sync::SyncError,
    },
    /// The officer cannot cancel this document.
    #[error("document {id}: {source}")]
    Cancel {
        /// The document.
        id: String,
        /// Why.
        source: vigie_core::outbox::CancelError,
    },
    /// No such document in the outbox.
    #[error("document {0} is not on this device")]
    UnknownDocument(String),
    /// A camera that breaks the model's invariants.
    #[error("camera {id}: {problem}")]
    InvalidCamera {
        /// Its id.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

/// Where the cached registry came from.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryInfo {
    /// The platform's registry version.
    pub version: u64,
    /// When the device fetched it.
    pub fetched_at: Timestamp,
    /// The platform (its address) or file it came from.
    pub source: String,
    /// Cameras in it.
    pub cameras: u64,
    /// The area it covers (none for a registry stored without one).
    pub area: Option<vigie_core::sync::Area>,
}

/// Where a private camera added in the field stands with the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateState {
    /// Saved on the device, not yet sent.
    Pending,
    /// Sent; awaiting moderation.
    Submitted,
    /// Accepted into the registry.
    Accepted,
    /// Recognised as a camera already known, and merged with it.
    Merged,
    /// Refused by a moderator.
    Refused,
}

impl PrivateState {
    fn as_str(self) -> &'static str {
        match self {
            PrivateState::Pending => "pending",
            PrivateState::Submitted => "submitted",
            PrivateState::Accepted => "accepted",
            PrivateState::Merged => "merged",
            PrivateState::Refused => "refused",
        }
    }

    fn parse(s: &str) -> Option<PrivateState> {
        Some(match s {
            "pending" => PrivateState::Pending,
            "submitted" => PrivateState::Submitted,
            "accepted" => PrivateState::Accepted,
            "merged" => PrivateState::Merged,
            "refused" => PrivateState::Refused,
            _ => return None,
        })
    }
}

/// A private camera added on the device.
#[derive(Debug, Clone, PartialEq)]
pub struct PrivateCamera {
    /// The camera as the officer described it.
    pub camera: Camera,
    /// Its moderation state.
    pub state: PrivateState,
    /// When it was added.
    pub created_at: Timestamp,
    /// When its state last changed.
    pub updated_at: Timestamp,
    /// The moderator's note (the camera it was merged with, why it was refused…).
    pub note: Option<String>,
}

/// An open store file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the store at `path` and migrates it to the latest schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        let err = |doing| {
            let path = path.clone();
            move |source| StoreError::Sqlite { path, doing, source }
        };
        let mut conn = Connection::open(&path).map_err(err("opening"))?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err("switching to WAL"))?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(err("setting synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(err("enabling foreign keys"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(err("setting the busy timeout"))?;
        migrations::migrate(&mut conn, &path)?;
        Ok(Store { conn, path })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrations::version(&self.conn).map_err(self.sqlite("reading the schema version"))
    }

    fn sqlite(&self, doing: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite { path: self.path.clone(), doing, source }
    }

    /// Replaces the cached registry with `cameras`, fetched at `fetched_at` from `source`
    /// at platform version `version`, in one transaction: until it commits, readers see the
    /// previous registry, and if it never commits (crash, kill, an invalid camera) the
    /// previous registry stays.
    pub fn replace_registry(
        &mut self,
        version: u64,
        fetched_at: Timestamp,
        source: &str,
        cameras: impl IntoIterator<Item = Camera>,
    ) -> Result<u64, StoreError> {
        let path = self.path.clone();
        let sql = |doing: &'static str| {
            let path = path.clone();
            move |source| StoreError::Sqlite { path, doing, source }
        };
        let tx = self.conn.transaction().map_err(sql("starting the registry replacement"))?;
        tx.execute("DELETE FROM cameras", []).map_err(sql("clearing the registry"))?;
        let count = insert_cameras(&tx, &path, cameras)?;
        tx.execute(
            "INSERT INTO registry_meta (id, version, fetched_at, source, area) VALUES (1, ?1, ?2, ?3, NULL)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, fetched_at = excluded.fetched_at,
             source = excluded.source, area = NULL",
            params![version as i64, ts(fetched_at), source],
        )
        .map_err(sql("recording the registry version"))?;
        tx.commit().map_err(sql("committing the registry"))?;
        Ok(count)
    }

    /// Applies a registry update from the platform (a full package for an area, or the
    /// delta since the cached version) in one transaction. A delta that does not start at
    /// the cached version and area changes nothing and is refused ([`StoreError::Sync`]).
    /// Returns the registry version now cached.
    pub fn apply_update(
        &mut self,
        update: RegistryUpdate,
        fetched_at: Timestamp,
        source: &str,
    ) -> Result<u64, StoreError> {
        let info = self.registry_info()?;
        update
            .check_applies_to(info.as_ref().map(|i| i.version), info.as_ref().and_then(|i| i.area))
            .map_err(|source| StoreError::Sync { path: self.path.clone(), source })?;
        let path = self.path.clone();
        let sql = |doing: &'static str| {
            let path = path.clone();
            move |source| StoreError::Sqlite { path, doing, source }
        };
        let tx = self.conn.transaction().map_err(sql("starting a registry update"))?;
        let (version, area) = match update {
            RegistryUpdate::Full { version, area, cameras, .. } => {
                tx.execute("DELETE FROM cameras", []).map_err(sql("clearing the registry"))?;
                insert_cameras(&tx, &path, cameras)?;
                (version, area)
            }
            RegistryUpdate::Delta { to, area, upserts, deletions, .. } => {
                for id in &deletions {
                    tx.execute("DELETE FROM cameras WHERE id = ?1", [&id.0]).map_err(sql("deleting a camera"))?;
                }
                for id in upserts.iter().map(|c| &c.id.0) {
                    tx.execute("DELETE FROM cameras WHERE id = ?1", [id]).map_err(sql("replacing a camera"))?;
                }
                insert_cameras(&tx, &path, upserts)?;
                (to, area)
            }
        };
        tx.execute(
            "INSERT INTO registry_meta (id, version, fetched_at, source, area) VALUES (1, ?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, fetched_at = excluded.fetched_at,
             source = excluded.source, area = excluded.area",
            params![version as i64, ts(fetched_at), source, serde_json::to_string(&area).expect("an area serialises")],
        )
        .map_err(sql("recording the registry version"))?;
        tx.commit().map_err(sql("committing the registry update"))?;
        Ok(version)
    }

    /// The cached registry's origin, if a registry was ever stored.
    pub fn registry_info(&self) -> Result<Option<RegistryInfo>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT version, fetched_at, source, (SELECT count(*) FROM cameras), area FROM registry_meta WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(self.sqlite("reading the registry version"))?;
        row.map(|(version, fetched_at, source, n, area)| {
            Ok(RegistryInfo {
                version: version as u64,
                fetched_at: parse_ts(&fetched_at).map_err(|m| self.corrupt("registry_meta", "1", m))?,
                source,
                cameras: n as u64,
                area: area
                    .map(|a| {
                        serde_json::from_str(&a).map_err(|e| self.corrupt("registry_meta", "1", format!("area: {e}")))
                    })
                    .transpose()?,
            })
        })
        .transpose()
    }

    /// Every camera of the cached registry, by id.
    pub fn registry(&self) -> Result<Vec<Camera>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, body FROM cameras ORDER BY id")
            .map_err(self.sqlite("reading the registry"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(self.sqlite("reading the registry"))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, body) = row.map_err(self.sqlite("reading the registry"))?;
            out.push(serde_json::from_str(&body).map_err(|e| self.corrupt("cameras", &id, e.to_string()))?);
        }
        Ok(out)
    }

    /// The registry and the officer's own private cameras not yet merged or refused,
    /// indexed for the queries of `vigie-core`.
    pub fn index(&self) -> Result<CameraIndex, StoreError> {
        let mut cameras = self.registry()?;
        let known: std::collections::HashSet<_> = cameras.iter().map(|c| c.id.clone()).collect();
        for p in self.private_cameras()? {
            if matches!(p.state, PrivateState::Pending | PrivateState::Submitted) && !known.contains(&p.camera.id) {
                cameras.push(p.camera);
            }
        }
        CameraIndex::new(cameras).map_err(|e| match e {
            vigie_core::index::IndexError::InvalidCamera { id, problem } => StoreError::InvalidCamera { id, problem },
            other => StoreError::InvalidCamera { id: String::new(), problem: other.to_string() },
        })
    }

    /// Saves a private camera added in the field, as pending.
    pub fn add_private_camera(&mut self, camera: &Camera, now: Timestamp) -> Result<(), StoreError> {
        camera.validate().map_err(|problem| StoreError::InvalidCamera { id: camera.id.0.clone(), problem })?;
        let body = serde_json::to_string(camera).expect("a camera serialises");
        self.conn
            .execute(
                "INSERT INTO private_cameras (id, body, state, created_at, updated_at) VALUES (?1, ?2, 'pending', ?3, ?3)",
                params![camera.id.0, body, ts(now)],
            )
            .map_err(self.sqlite("saving a private camera"))?;
        Ok(())
    }

    /// Moves a private camera to `state`, with the moderator's note. Returns whether it exists.
    pub fn set_private_state(
        &mut self,
        id: &str,
        state: PrivateState,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE private_cameras SET state = ?2, note = ?3, updated_at = ?4 WHERE id = ?1",
                params![id, state.as_str(), note, ts(now)],
            )
            .map_err(self.sqlite("updating a private camera"))?;
        Ok(n == 1)
    }

    /// The private cameras added on this device, oldest first.
    pub fn private_cameras(&self) -> Result<Vec<PrivateCamera>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, body, state, created_at, updated_at, note FROM private_cameras ORDER BY created_at, id",
            )
            .map_err(self.sqlite("reading private cameras"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .map_err(self.sqlite("reading private cameras"))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, body, state, created, updated, note) = row.map_err(self.sqlite("reading private cameras"))?;
            let bad = |m: String| self.corrupt("private_cameras", &id, m);
            out.push(PrivateCamera {
                camera: serde_json::from_str(&body).map_err(|e| bad(e.to_string()))?,
                state: PrivateState::parse(&state).ok_or_else(|| bad(format!("unknown state {state:?}")))?,
                created_at: parse_ts(&created).map_err(bad)?,
                updated_at: parse_ts(&updated).map_err(bad)?,
                note,
            });
        }
        Ok(out)
    }

    /// A setting's value.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.sqlite("reading a setting"))
    }

    /// Sets a setting.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .map_err(self.sqlite("writing a setting"))?;
        Ok(())
    }

    fn corrupt(&self, table: &'static str, key: &str, message: String) -> StoreError {
        StoreError::Corrupt { path: self.path.clone(), table, key: key.to_string(), message }
    }
}

fn insert_cameras(
    tx: &Transaction<'_>,
    path: &Path,
    cameras: impl IntoIterator<Item = Camera>,
) -> Result<u64, StoreError> {
    let sql = |doing: &'static str| move |source| StoreError::Sqlite { path: path.to_path_buf(), doing, source };
    let mut stmt = tx
        .prepare_cached("INSERT INTO cameras (id, lat, lon, body) VALUES (?1, ?2, ?3, ?4)")
        .map_err(sql("preparing the camera insert"))?;
    let mut n = 0u64;
    for cam in cameras {
        cam.validate().map_err(|problem| StoreError::InvalidCamera { id: cam.id.0.clone(), problem })?;
        let p = cam.placements[0].position;
        let body = serde_json::to_string(&cam).expect("a camera serialises");
        stmt.execute(params![cam.id.0, p.lat(), p.lon(), body]).map_err(sql("inserting a camera"))?;
        n += 1;
    }
    Ok(n)
}

fn ts(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_ts(s: &str) -> Result<Timestamp, String> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|e| format!("time {s:?}: {e}"))
}
