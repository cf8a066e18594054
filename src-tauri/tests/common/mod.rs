//! What the app's end-to-end tests share: the shared data set, the screenshots folder,
//! and the platform in this process (stoppable, restartable on the same address), with
//! the unit DSP-98, its officer OFF-1 and its supervisor SUP-1, and the Monaco cameras.
#![allow(dead_code)]

pub mod live;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use vigie_server::audit::Actor;
use vigie_server::model::{DeviceState, NewUser, Role};

/// Held by every test that opens a window or a browser, for its whole run: they take
/// turns, so that each has the two cores to itself (the live tests assert latencies). A
/// test that failed while holding it does not stop the others.
pub fn one_window() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn shared(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data").join(rel);
    assert!(p.exists(), "the shared data set is missing: {} (it sits beside the repository)", p.display());
    p
}

pub fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots")
}

/// The platform, in this process on its own runtime, on a fixed loopback port so that it
/// can be stopped and started again at the same address.
pub struct Platform {
    pub runtime: tokio::runtime::Runtime,
    pub db: Arc<vigie_server::db::Db>,
    /// The running platform's state (its relay's viewing tokens, say).
    pub state: Option<Arc<vigie_server::api::AppState>>,
    config: vigie_server::config::Config,
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Platform {
    pub fn new(dir: &Path, basemap: &Path) -> Platform {
        let config = vigie_server::config::Config {
            database_url: format!("sqlite://{}", dir.join("platform.sqlite3").display()),
            basemap_dir: Some(basemap.to_path_buf()),
            ..Default::default()
        };
        let db = vigie_server::open_db(&config).unwrap();
        let console = Actor::console();
        db.add_unit("DSP-98", "Sûreté publique de Monaco (essai)", console.entry("unit.add", json!({}))).unwrap();
        let officer = NewUser {
            rio: "OFF-1".into(),
            name: "Agent Martin".into(),
            rank: "brigadier-chef".into(),
            qualite: "OPJ".into(),
            unit: "DSP-98".into(),
            role: Role::Officer,
        };
        db.add_user(&officer, chrono::Utc::now(), console.entry("user.add", json!({}))).unwrap();
        let supervisor = NewUser {
            rio: "SUP-1".into(),
            name: "Capitaine Roux".into(),
            rank: "capitaine".into(),
            qualite: "OPJ".into(),
            unit: "DSP-98".into(),
            role: Role::Supervisor,
        };
        db.add_user(&supervisor, chrono::Utc::now(), console.entry("user.add", json!({}))).unwrap();
        let file = shared("cameras/monaco-osm-2025.geojson");
        let options = vigie_server::registry::import_options(&file, None, Some(15));
        vigie_server::registry::import_file(&db, &file, &options, &console).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let mut p = Platform { runtime, db, config, addr, state: None, stop: None, task: None };
        p.start();
        p
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn start(&mut self) {
        let listener = self.runtime.block_on(tokio::net::TcpListener::bind(self.addr)).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = vigie_server::api::AppState::new(self.db.clone(), self.config.clone());
        self.state = Some(state.clone());
        self.task = Some(self.runtime.spawn(vigie_server::serve(listener, state, async {
            let _ = stopped.await;
        })));
        self.stop = Some(stop);
    }

    /// Stops serving: the port refuses connections, as when the network is gone.
    pub fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = self.runtime.block_on(t);
        }
    }
}

/// Approves the device called `name`, as an administrator would.
pub fn approve(db: &vigie_server::db::Db, name: &str) -> i64 {
    let device = db.devices().unwrap().into_iter().find(|d| d.name == name).expect("the device asked to enrol");
    let console = Actor::console();
    db.decide_device(
        device.id,
        DeviceState::Approved,
        "console",
        chrono::Utc::now(),
        console.entry("device.approve", json!({})),
    )
    .unwrap();
    device.id
}

/// Builds the Monaco basemap the platform offers into `dir`, from the OpenStreetMap extract.
pub fn monaco_basemap(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    vigie_tiles::build_pmtiles(
        &shared("osm/monaco-2025-02-11.osm.pbf"),
        &dir.join("monaco.pmtiles"),
        &vigie_tiles::BuildOptions::new("Monaco"),
    )
    .unwrap();
}

/// The car's receiver at `(lat, lon)` through a real gpsd: a fix every 0.6 s for 10 minutes.
pub fn car_gpsd(dir: &Path, (lat, lon): (f64, f64)) -> vigie_e2e::nmea::Gpsfake {
    use vigie_e2e::nmea;
    let fixes = vec![nmea::Fix { lat, lon, locked: true }; 1000];
    let log = dir.join("car.nmea");
    std::fs::write(&log, nmea::log(&fixes, chrono::Utc::now(), std::time::Duration::from_millis(600))).unwrap();
    nmea::Gpsfake::start(&log, 0.2).unwrap_or_else(|e| panic!("{e}"))
}
