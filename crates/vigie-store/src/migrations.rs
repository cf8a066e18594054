//! Numbered schema migrations, applied in order, each in its own transaction.
//!
//! The schema version is SQLite's `PRAGMA user_version`. A migration is never edited once
//! released: a change is a new entry at the end of [`MIGRATIONS`].

use std::path::Path;

use rusqlite::Connection;

use crate::StoreError;

/// Migration `i` (0-based) brings the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the cached registry.
    "CREATE TABLE registry_meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        fetched_at TEXT NOT NULL,
        source TEXT NOT NULL
     );
     CREATE TABLE cameras (
        id TEXT PRIMARY KEY,
        lat REAL NOT NULL,
        lon REAL NOT NULL,
        body TEXT NOT NULL
     ) WITHOUT ROWID;",
    // 2: private cameras added in the field, and settings.
    "CREATE TABLE private_cameras (
        id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'submitted', 'accepted', 'merged', 'refused')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        note TEXT
     );
     CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // 3: the area the cached registry covers (JSON), for registry deltas.
    "ALTER TABLE registry_meta ADD COLUMN area TEXT;",
    // 4: signed documents waiting for, or back from, the platform; and their history.
    "CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        proof TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'cancelled', 'refused')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error TEXT,
        may_have_left INTEGER NOT NULL DEFAULT 0,
        platform_status TEXT,
        comment TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
     );
     CREATE TABLE document_events (
        seq INTEGER PRIMARY KEY,
        document TEXT NOT NULL REFERENCES outbox (id),
        at TEXT NOT NULL,
        what TEXT NOT NULL,
        detail TEXT
     );
     CREATE INDEX document_events_by_document ON document_events (document, seq);",
];

/// The schema version this build writes.
pub const LATEST_VERSION: u32 = MIGRATIONS.len() as u32;

pub(crate) fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Applies the migrations `conn` lacks.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let sql = |doing: &'static str| move |source| StoreError::Sqlite { path: path.to_path_buf(), doing, source };
    let found = version(conn).map_err(sql("reading the schema version"))?;
    if found > LATEST_VERSION {
        return Err(StoreError::NewerSchema { path: path.to_path_buf(), found, supported: LATEST_VERSION });
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction().map_err(sql("starting a migration"))?;
        tx.execute_batch(step).map_err(sql("migrating the schema"))?;
        tx.pragma_update(None, "user_version", i as u32 + 1).map_err(sql("recording the schema version"))?;
        tx.commit().map_err(sql("committing a migration"))?;
    }
    Ok(())
}
