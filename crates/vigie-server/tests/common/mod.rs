//! A real server on loopback over a real SQLite file, and devices that enrol and log in
//! the way the app does.

#![allow(dead_code)]

pub mod live;

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use chrono::Utc;
use ed25519_dalek::{Signer, SigningKey};
use vigie_server::api::AppState;
use vigie_server::audit::Actor;
use vigie_server::config::Config;
use vigie_server::db::Db;
use vigie_server::model::{DeviceState, NewUser, Role};

pub struct TestServer {
    pub base: String,
    pub db: Arc<Db>,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub http: reqwest::Client,
}

impl TestServer {
    /// A server over a SQLite file.
    pub async fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("platform.sqlite3").display());
        TestServer::start_with(url, dir).await
    }

    /// A server over a fresh database in the PostgreSQL test cluster, or `None` (with a
    /// message) outside `cargo xtask test`, which always provides one. Its `db` must be
    /// called from blocking threads (`spawn_blocking`): the PostgreSQL client is synchronous.
    pub async fn start_postgres() -> Option<TestServer> {
        let Ok(base) = std::env::var("VIGIE_TEST_POSTGRES_URL") else {
            assert!(
                std::env::var_os("VIGIE_REQUIRE_POSTGRES").is_none(),
                "VIGIE_REQUIRE_POSTGRES is set without VIGIE_TEST_POSTGRES_URL"
            );
            eprintln!(
                "PostgreSQL run NOT done: no VIGIE_TEST_POSTGRES_URL (`cargo xtask test` starts a cluster and sets it)"
            );
            return None;
        };
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).unwrap();
        let name = format!("vigie_{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>());
        let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
        tokio::task::spawn_blocking(move || {
            let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
            admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        })
        .await
        .unwrap();
        Some(TestServer::start_with(url, tempfile::tempdir().unwrap()).await)
    }

    async fn start_with(database_url: String, dir: tempfile::TempDir) -> TestServer {
        // Internal errors are logged, not sent: show them in the test's output.
        let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn").try_init();
        let config = Config { database_url, ..Config::default() };
        let c = config.clone();
        let db = tokio::task::spawn_blocking(move || vigie_server::open_db(&c)).await.unwrap().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(db.clone(), config);
        tokio::spawn(vigie_server::serve(listener, state, async {
            let _ = rx.await;
        }));
        TestServer { base, db, dir, shutdown: Some(tx), http: reqwest::Client::new() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("platform.sqlite3")
    }

    pub fn add_unit(&self, code: &str) {
        self.db
            .add_unit(
                code,
                &format!("Unité {code}"),
                Actor::console().entry("unit.add", serde_json::json!({ "code": code })),
            )
            .unwrap();
    }

    pub fn add_user(&self, rio: &str, unit: &str, role: Role) {
        let u = NewUser {
            rio: rio.into(),
            name: format!("Agent {rio}"),
            rank: "brigadier".into(),
            qualite: "OPJ".into(),
            unit: unit.into(),
            role,
        };
        self.db
            .add_user(&u, Utc::now(), Actor::console().entry("user.add", serde_json::json!({ "rio": rio })))
            .unwrap();
    }

    /// A user in `unit` with `role`, with an enrolled, approved device logged in.
    pub async fn session(&self, rio: &str, unit: &str, role: Role) -> Device {
        self.add_user(rio, unit, role);
        let mut d = Device::new(rio);
        d.enrol(self).await.unwrap();
        self.approve(d.id.unwrap());
        d.login(self).await.unwrap();
        d
    }

    pub fn approve(&self, id: i64) {
        self.decide(id, DeviceState::Approved);
    }

    pub fn decide(&self, id: i64, state: DeviceState) {
        self.db
            .decide_device(
                id,
                state,
                "console:test",
                Utc::now(),
                Actor::console().entry("device.decide", serde_json::json!({ "device": id })),
            )
            .unwrap();
    }
}

impl TestServer {
    /// Stops serving (its database and directory stay).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A device as the app holds it: its key, its id once enrolled, its token once logged in.
pub struct Device {
    pub key: SigningKey,
    pub rio: String,
    pub id: Option<i64>,
    pub token: Option<String>,
}

impl Device {
    pub fn new(rio: &str) -> Device {
        let mut seed = [0u8; 32];
        getrandom_fill(&mut seed);
        Device { key: SigningKey::from_bytes(&seed), rio: rio.into(), id: None, token: None }
    }

    pub async fn enrol(&mut self, s: &TestServer) -> Result<(), (u16, serde_json::Value)> {
        let at = Utc::now();
        let public = self.key.verifying_key().to_bytes();
        let msg = vigie_core::auth::enrolment_message(&public, &self.rio, "Terminal de test", at);
        let body = serde_json::json!({
            "public_key": b64(&public), "rio": self.rio, "device_name": "Terminal de test", "at": at,
            "signature": b64(&self.key.sign(&msg).to_bytes()),
        });
        let r = s.http.post(s.url("/v1/enrolments")).json(&body).send().await.unwrap();
        let status = r.status().as_u16();
        let v: serde_json::Value = r.json().await.unwrap();
        if status != 202 {
            return Err((status, v));
        }
        self.id = Some(v["device_id"].as_i64().unwrap());
        Ok(())
    }

    pub async fn login(&mut self, s: &TestServer) -> Result<(), (u16, serde_json::Value)> {
        let id = self.id.unwrap();
        let r = s
            .http
            .post(s.url("/v1/auth/challenge"))
            .json(&serde_json::json!({ "device_id": id }))
            .send()
            .await
            .unwrap();
        let c: serde_json::Value = r.json().await.unwrap();
        let nonce = base64::engine::general_purpose::STANDARD.decode(c["nonce"].as_str().unwrap()).unwrap();
        let sig = self.key.sign(&vigie_core::auth::challenge_message(id as u64, &nonce)).to_bytes();
        let r = s
            .http
            .post(s.url("/v1/auth/token"))
            .json(&serde_json::json!({ "device_id": id, "nonce": b64(&nonce), "signature": b64(&sig) }))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: serde_json::Value = r.json().await.unwrap();
        if status != 200 {
            return Err((status, v));
        }
        self.token = Some(v["token"].as_str().unwrap().to_string());
        Ok(())
    }

    pub async fn get(&self, s: &TestServer, path: &str) -> (u16, serde_json::Value) {
        let mut req = s.http.get(s.url(path));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn post(&self, s: &TestServer, path: &str) -> u16 {
        let mut req = s.http.post(s.url(path));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap().status().as_u16()
    }
}

fn getrandom_fill(b: &mut [u8]) {
    getrandom::fill(b).unwrap();
}

impl TestServer {
    /// The folder the server takes offline areas from (`basemap` beside its database).
    pub fn basemap(&self) -> PathBuf {
        self.dir.path().join("basemap")
    }
}

/// Writes a small valid PMTiles v3 archive of Monaco at `path`: `tiles` tiles of 4 KiB
/// of noise from `seed` at zoom 14 (so the file barely compresses), `metadata` as its
/// JSON metadata. Returns the file's bytes.
pub fn write_pmtiles(path: &std::path::Path, seed: u64, tiles: u32, metadata: &str) -> Vec<u8> {
    use pmtiles::{Compression, PmTilesWriter, TileCoord, TileType};
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = PmTilesWriter::new(TileType::Mvt)
        .precompressed(Compression::Gzip)
        .min_zoom(12)
        .max_zoom(14)
        .bounds(7.4, 43.72, 7.44, 43.76)
        .center(7.42, 43.74)
        .center_zoom(13)
        .metadata(metadata)
        .create(file)
        .unwrap();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in 0..tiles {
        let tile: Vec<u8> = (0..4096)
            .map(|_| {
                // xorshift64: noise without a random-number crate.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        w.add_tile(TileCoord::new(14, 8530 + i % 16, 5975 + i / 16).unwrap(), &tile).unwrap();
    }
    w.finalize().unwrap();
    std::fs::read(path).unwrap()
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A file of the shared real data set; fails loudly when it is absent.
pub fn shared(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    assert!(p.exists(), "the shared data set is missing: {} (expected beside the repository)", p.display());
    p
}
