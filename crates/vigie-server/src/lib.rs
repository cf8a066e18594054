//! The Vigie platform: the camera registry, accounts, units and device keys, the sync API
//! and the tamper-evident audit log, over one SQLite file or PostgreSQL.
//!
//! Layers: `api` (HTTP shell: extract, call, map errors) and the administration CLI in
//! `main.rs` both call `db` (storage, one transaction per unit of work with its audit
//! entry) and `registry` (use cases); `areas` describes and serves the offline basemap
//! files; `verify` checks a printed requisition against the enrolled keys. Domain logic
//! lives in `vigie-core`, the printed document in `vigie-pdf`.
#![forbid(unsafe_code)]

pub mod api;
pub mod areas;
pub mod audit;
pub mod config;
pub mod db;
pub mod live;
pub mod model;
pub mod openapi;
pub mod registry;
pub mod rtc;
pub mod verify;

use std::sync::Arc;

/// What the platform keeps of a bearer secret (a session token, a live viewing token, a
/// stream's publisher key): its SHA-256, the key it is found under.
pub fn secret_hash(secret: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(secret.as_bytes()).into()
}

/// Opens the database named by the configuration.
pub fn open_db(config: &config::Config) -> anyhow::Result<Arc<db::Db>> {
    let db = match config.database()? {
        config::Database::Sqlite(path) => db::Db::open_sqlite(&path),
        config::Database::Postgres(url) => db::Db::open_postgres(&url),
    };
    Ok(Arc::new(db.map_err(|e| anyhow::anyhow!("database_url: {e}"))?))
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<api::AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The relay pulls the streams it relayed before a restart at once.
    let streams = {
        let db = state.db.clone();
        tokio::task::spawn_blocking(move || db.live_streams(false))
            .await
            .map_err(std::io::Error::other)?
            .map_err(std::io::Error::other)?
    };
    for s in &streams {
        state.live.start(&s.id, &s.source);
    }
    let app = api::router(state.clone()).into_make_service_with_connect_info::<api::Addrs>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    state.live.stop_all();
    served
}
