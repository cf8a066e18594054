//! What the app does, without Tauri: the device's identity and enrolment, sync with the
//! platform, the cameras around a point, private cameras, offline areas and their tiles.
//!
//! Commands (`commands.rs`) are one-line shells over [`Service`]; the tests drive it
//! directly against a real store file and a real platform over loopback.
//!
//! The device key is sealed under the officer's PIN (`vigie-keys`) and only ever held
//! in memory once unlocked; browsing offline needs no PIN, talking to the platform does.
//!
//! Locking: the UI's queries use one store connection behind a mutex and never wait on
//! the network; a sync opens its own connection (SQLite in WAL mode lets both work at
//! once), so a slow or dead network never freezes the screen.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ed25519_dalek::SigningKey;
use pmtiles::{AsyncPmTilesReader, MmapBackend, NoCache, TileCoord};
use vigie_client::{Client, ClientError};
use vigie_core::around::{around, AroundQuery};
use vigie_core::position::{FixSource, RawFix};
use vigie_core::sync::{Area, AreaInfo};
use vigie_core::{Camera, CameraIndex, CameraKind, CameraType, Holder, LatLon, Provenance, Timestamp, View};
use vigie_store::{PrivateCamera, Store};
use vigie_view::{
    Account, AppError, AreaProgress, AreaView, Around, AroundRequest, CameraCard, DataAge, Link, NewPrivateCamera,
    Overview, PositionView, SyncReport,
};

use crate::position::Positions;
use crate::views;

mod live;
mod requisitions;

/// Where the map opens before any area is on the device: Monaco, the demo's area.
const DEFAULT_HOME: [f64; 3] = [7.4246, 43.7384, 14.0];

fn err(code: &str, message: impl Into<String>) -> AppError {
    AppError { code: code.into(), message: message.into() }
}

fn store_err(e: vigie_store::StoreError) -> AppError {
    err("store", format!("stockage de l'appareil / device storage: {e}"))
}

fn client_err(e: ClientError) -> AppError {
    match &e {
        ClientError::Offline(_) => err("offline", e.to_string()),
        ClientError::Refused { code, .. } => err(code, e.to_string()),
        _ => err("platform", e.to_string()),
    }
}

/// Settings keys in the store.
mod key {
    pub const SERVER: &str = "server";
    pub const RIO: &str = "rio";
    pub const DEVICE_NAME: &str = "device_name";
    pub const DEVICE_ID: &str = "device_id";
    /// `pending`, `enrolled`, `refused:<message>`.
    pub const ENROLMENT: &str = "enrolment";
    /// The officer's profile from the platform (JSON of `vigie_client::Me`): what acts print.
    pub const PROFILE: &str = "profile";
    /// The drafts being written (JSON of `Vec<vigie_view::DraftForm>`).
    pub const DRAFTS: &str = "drafts";
}

/// A basemap area on the device, as recorded when its download completed.
#[derive(Clone)]
struct LocalArea {
    info: AreaInfo,
    reader: Arc<AsyncPmTilesReader<MmapBackend, NoCache>>,
}

/// The app, minus its window.
pub struct Service {
    dir: PathBuf,
    store: Mutex<Store>,
    index: Mutex<Option<Arc<CameraIndex>>>,
    positions: Arc<Positions>,
    link: Mutex<Link>,
    /// One sync at a time.
    sync_lock: tokio::sync::Mutex<()>,
    areas: tokio::sync::RwLock<HashMap<String, LocalArea>>,
    /// The device key, once the officer unlocked it with their PIN (never on disk in clear).
    key: Mutex<Option<SigningKey>>,
    /// Running downloads, with their "pause" flags.
    downloads: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// The last platform area list, for when the network goes.
    remote_areas: Mutex<Vec<AreaInfo>>,
    /// A logged-in client for « En direct », which asks every few seconds: one login, not
    /// one per question.
    live_client: tokio::sync::Mutex<Option<vigie_client::Client>>,
}

impl Service {
    /// Opens (creating if needed) the app's data in `dir`: the store file, the device key,
    /// the downloaded areas.
    pub async fn open(dir: &Path) -> Result<Arc<Service>, AppError> {
        std::fs::create_dir_all(dir.join("areas"))
            .map_err(|e| err("io", format!("{}: {e}", dir.join("areas").display())))?;
        let store = Store::open(dir.join("vigie.sqlite")).map_err(store_err)?;
        let service = Service {
            dir: dir.to_path_buf(),
            store: Mutex::new(store),
            index: Mutex::new(None),
            positions: Arc::new(Positions::default()),
            link: Mutex::new(Link::default()),
            sync_lock: tokio::sync::Mutex::new(()),
            areas: tokio::sync::RwLock::new(HashMap::new()),
            key: Mutex::new(None),
            downloads: Mutex::new(HashMap::new()),
            remote_areas: Mutex::new(Vec::new()),
            live_client: tokio::sync::Mutex::new(None),
        };
        service.load_areas().await?;
        Ok(Arc::new(service))
    }

    /// The position sources.
    pub fn positions(&self) -> &Arc<Positions> {
        &self.positions
    }

    fn area_path(&self, id: &str) -> PathBuf {
        self.dir.join("areas").join(format!("{id}.pmtiles"))
    }

    async fn load_areas(&self) -> Result<(), AppError> {
        let mut found = HashMap::new();
        let entries = std::fs::read_dir(self.dir.join("areas")).map_err(|e| err("io", e.to_string()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                let Ok(bytes) = std::fs::read(&path) else { continue };
                let Ok(info) = serde_json::from_slice::<AreaInfo>(&bytes) else { continue };
                let tiles = self.area_path(&info.id);
                if !tiles.exists() {
                    continue;
                }
                match AsyncPmTilesReader::new_with_path(&tiles).await {
                    Ok(reader) => {
                        found.insert(info.id.clone(), LocalArea { info, reader: Arc::new(reader) });
                    }
                    Err(e) => eprintln!("vigie: {}: {e}", tiles.display()),
                }
            }
        }
        *self.areas.write().await = found;
        Ok(())
    }

    fn setting(&self, key: &str) -> Option<String> {
        self.store.lock().unwrap().setting(key).ok().flatten()
    }

    fn set_settings(&self, pairs: &[(&str, &str)]) -> Result<(), AppError> {
        let mut store = self.store.lock().unwrap();
        for (k, v) in pairs {
            store.set_setting(k, v).map_err(store_err)?;
        }
        Ok(())
    }

    fn sealed_path(&self) -> PathBuf {
        self.dir.join("device-key.sealed.json")
    }

    /// Whether the device key waits for the officer's PIN (enrolled, not yet unlocked).
    pub fn locked(&self) -> bool {
        self.key.lock().unwrap().is_none() && (self.sealed_path().exists() || self.legacy_path().exists())
    }

    /// Where builds before the sealed key kept it in clear; sealed at the next unlock.
    fn legacy_path(&self) -> PathBuf {
        self.dir.join("device.key")
    }

    /// The device's key, once unlocked.
    fn device_key(&self) -> Result<SigningKey, AppError> {
        self.key.lock().unwrap().clone().ok_or_else(|| {
            err("locked", "appareil verrouillé : saisissez votre code PIN / device locked: enter your PIN")
        })
    }

    /// Creates the device key, sealed under `pin` (Argon2id + XChaCha20-Poly1305, see
    /// `vigie-keys`); it is never written in clear. A key already there is kept (and must
    /// open with `pin`).
    fn create_key(&self, pin: &str) -> Result<SigningKey, AppError> {
        if self.sealed_path().exists() {
            self.unlock(pin)?;
            return self.device_key();
        }
        vigie_keys::check_pin(pin).map_err(|p| err("weak_pin", format!("code PIN refusé / PIN refused: {p}")))?;
        let mut random = [0u8; vigie_keys::RANDOM_LEN];
        getrandom::fill(&mut random).map_err(|e| err("key", e.to_string()))?;
        let (key, sealed) = vigie_keys::new_sealed_key_from_random_bytes(pin, kdf_params(), &mut random)
            .map_err(|e| err("key", e.to_string()))?;
        let path = self.sealed_path();
        let tmp = path.with_extension("json.tmp");
        write_private(&tmp, sealed.to_json().as_bytes()).map_err(|e| err("io", format!("{}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, &path).map_err(|e| err("io", format!("{}: {e}", path.display())))?;
        *self.key.lock().unwrap() = Some(key.clone());
        Ok(key)
    }

    /// Opens the sealed device key with the officer's PIN, for this session.
    pub fn unlock(&self, pin: &str) -> Result<(), AppError> {
        let path = self.sealed_path();
        let legacy = self.legacy_path();
        if !path.exists() && legacy.exists() {
            // A key left in clear by an earlier build: seal it under this PIN, then remove it.
            let bytes = std::fs::read(&legacy).map_err(|e| err("io", format!("{}: {e}", legacy.display())))?;
            let seed: [u8; 32] =
                bytes.try_into().map_err(|_| err("key", format!("{}: not a 32-byte key", legacy.display())))?;
            vigie_keys::check_pin(pin).map_err(|p| err("weak_pin", format!("code PIN refusé / PIN refused: {p}")))?;
            let mut random = [0u8; vigie_keys::SALT_LEN + vigie_keys::NONCE_LEN];
            getrandom::fill(&mut random).map_err(|e| err("key", e.to_string()))?;
            let (salt, nonce) = random.split_at(vigie_keys::SALT_LEN);
            let sealed =
                vigie_keys::seal(&seed, pin, kdf_params(), salt.try_into().unwrap(), nonce.try_into().unwrap())
                    .map_err(|e| err("key", e.to_string()))?;
            let tmp = path.with_extension("json.tmp");
            write_private(&tmp, sealed.to_json().as_bytes())
                .map_err(|e| err("io", format!("{}: {e}", tmp.display())))?;
            std::fs::rename(&tmp, &path).map_err(|e| err("io", format!("{}: {e}", path.display())))?;
            std::fs::remove_file(&legacy).map_err(|e| err("io", format!("{}: {e}", legacy.display())))?;
        }
        let json = std::fs::read_to_string(&path).map_err(|e| err("io", format!("{}: {e}", path.display())))?;
        let sealed =
            vigie_keys::SealedKey::from_json(&json).map_err(|e| err("key", format!("{}: {e}", path.display())))?;
        let key = vigie_keys::open(&sealed, pin).map_err(|e| match e {
            vigie_keys::KeyError::WrongPin => err("wrong_pin", "code PIN incorrect / wrong PIN"),
            other => err("key", other.to_string()),
        })?;
        *self.key.lock().unwrap() = Some(key);
        Ok(())
    }

    /// Enrolment state from the settings.
    pub fn account(&self) -> Account {
        let server = self.setting(key::SERVER).unwrap_or_default();
        let rio = self.setting(key::RIO).unwrap_or_default();
        let device_id = self.setting(key::DEVICE_ID).and_then(|s| s.parse().ok());
        match (self.setting(key::ENROLMENT).as_deref(), device_id) {
            (Some("enrolled"), Some(device_id)) => Account::Enrolled { server, rio, device_id },
            (Some("pending"), Some(device_id)) => Account::Pending { server, rio, device_id },
            (Some(s), _) if s.starts_with("refused:") => {
                Account::Refused { server, message: s.trim_start_matches("refused:").to_string() }
            }
            _ => Account::NotEnrolled,
        }
    }

    /// Asks the platform at `server` to enrol this device for the officer `rio`.
    pub async fn enrol(&self, server: &str, rio: &str, device_name: &str, pin: &str) -> Result<Account, AppError> {
        let server = server.trim().trim_end_matches('/');
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(err("invalid", "adresse du serveur : http(s)://… / server address: http(s)://…"));
        }
        if rio.trim().is_empty() {
            return Err(err("invalid", "RIO : obligatoire / RIO: required"));
        }
        let name = if device_name.trim().is_empty() { "terminal Vigie" } else { device_name.trim() };
        let key = self.create_key(pin)?;
        let id = Client::new(server).enrol(&key, rio.trim(), name).await.map_err(client_err)?;
        self.set_settings(&[
            (key::SERVER, server),
            (key::RIO, rio.trim()),
            (key::DEVICE_NAME, name),
            (key::DEVICE_ID, &id.to_string()),
            (key::ENROLMENT, "pending"),
        ])?;
        Ok(self.account())
    }

    /// What the header shows.
    pub async fn overview(&self, now: Timestamp) -> Result<Overview, AppError> {
        let (info, private) = {
            let store = self.store.lock().unwrap();
            (store.registry_info().map_err(store_err)?, store.private_cameras().map_err(store_err)?)
        };
        let areas = self.areas.read().await;
        // Where the officer is; else the first area's centre; else the demo's area.
        let home = match self.positions.current(now) {
            Ok(fix) => [fix.position.lon(), fix.position.lat(), 16.0],
            Err(_) => areas.values().next().map(|a| [a.info.center[0], a.info.center[1], 15.0]).unwrap_or(DEFAULT_HOME),
        };
        Ok(Overview {
            account: self.account(),
            link: self.link.lock().unwrap().clone(),
            data: info.as_ref().map(|i| DataAge {
                cameras: i.cameras,
                private_cameras: private.len() as u64,
                version: i.version,
                fetched_at_local: views::local_datetime(i.fetched_at),
                age_minutes: views::age_minutes(i.fetched_at, now),
            }),
            areas_on_device: areas.len(),
            locked: self.locked(),
            home,
            mobile: cfg!(any(target_os = "android", target_os = "ios")),
            role: self.profile().map(|p| p.role),
            outbox_queued: self.queued_documents(),
            cameras_stamp: format!(
                "{}/{}/{}",
                info.as_ref().map(|i| i.version).unwrap_or(0),
                private.len(),
                private.iter().map(|p| p.updated_at).max().map(|t| t.to_rfc3339()).unwrap_or_default()
            ),
        })
    }

    /// Where the officer is.
    pub fn position(&self, now: Timestamp) -> PositionView {
        match self.positions.current(now) {
            Ok(fix) => {
                PositionView { fix: Some(views::fix_view(&fix)), problem: None, sources: self.positions.sources() }
            }
            Err(p) => PositionView { fix: None, problem: Some(p.to_string()), sources: self.positions.sources() },
        }
    }

    /// Places the manual pin at `[lon, lat]`, or removes it.
    pub fn set_pin(&self, pin: Option<[f64; 2]>) -> Result<(), AppError> {
        let pin = match pin {
            Some([lon, lat]) => Some(LatLon::new(lat, lon).map_err(|e| err("invalid", e.to_string()))?),
            None => None,
        };
        self.positions.set_pin(pin);
        Ok(())
    }

    /// A reading of the phone's location service (the UI reads the plugin).
    pub fn report_device_fix(&self, lat: f64, lon: f64, accuracy_m: Option<f64>, at: Timestamp) {
        self.positions.report_device(RawFix {
            source: FixSource::Device,
            lat: Some(lat),
            lon: Some(lon),
            locked: true,
            accuracy_m,
            at: Some(at),
        });
    }

    fn index(&self) -> Result<Arc<CameraIndex>, AppError> {
        let mut cached = self.index.lock().unwrap();
        if let Some(i) = cached.as_ref() {
            return Ok(Arc::clone(i));
        }
        let index = Arc::new(self.store.lock().unwrap().index().map_err(store_err)?);
        *cached = Some(Arc::clone(&index));
        Ok(index)
    }

    fn invalidate(&self) {
        *self.index.lock().unwrap() = None;
    }

    fn private_cameras(&self) -> Result<Vec<PrivateCamera>, AppError> {
        self.store.lock().unwrap().private_cameras().map_err(store_err)
    }

    /// The cameras and their fields of view for the map, at the incident time `at`.
    pub fn map_data(&self, at: Timestamp, now: Timestamp) -> Result<serde_json::Value, AppError> {
        let index = self.index()?;
        Ok(views::map_geojson(&index, &self.private_cameras()?, at, now))
    }

    /// One camera's card.
    pub fn camera(&self, id: &str, at: Timestamp, now: Timestamp) -> Result<CameraCard, AppError> {
        let index = self.index()?;
        let private = self.private_cameras()?;
        let camera =
            index.get(id).ok_or_else(|| err("not_found", format!("caméra inconnue / unknown camera: {id}")))?;
        Ok(views::card(camera, at, now, private.iter().find(|p| p.camera.id.0 == id)))
    }

    /// "Autour de moi": around the pressed point, or the officer's position.
    pub fn around(&self, req: &AroundRequest, now: Timestamp) -> Result<Around, AppError> {
        let at = parse_time(req.at.as_deref(), now)?;
        let (point, label) = match req.point {
            Some([lon, lat]) => (
                LatLon::new(lat, lon).map_err(|e| err("invalid", e.to_string()))?,
                "Point choisi sur la carte".to_string(),
            ),
            None => {
                let fix = self.positions.current(now).map_err(|p| err("no_position", p.to_string()))?;
                (fix.position, views::source_label(fix.source).to_string())
            }
        };
        let index = self.index()?;
        let private = self.private_cameras()?;
        let q = AroundQuery {
            point,
            at,
            now,
            radius_m: req.radius_m.clamp(10.0, 5_000.0),
            limit: 200,
            only_seeing: req.only_seeing,
        };
        let rows = around(&index, &q)
            .iter()
            .map(|e| views::around_row(e, at, now, private.iter().find(|p| p.camera.id == e.camera.id)))
            .collect();
        Ok(Around { point: [point.lon(), point.lat()], point_label: label, at_local: views::local_datetime(at), rows })
    }

    /// Saves a private camera on the device at once (pending until the next sync).
    pub fn add_private_camera(&self, new: &NewPrivateCamera, now: Timestamp) -> Result<CameraCard, AppError> {
        let position = LatLon::new(new.lat, new.lon).map_err(|e| err("invalid", format!("position: {e}")))?;
        if new.holder_name.trim().is_empty() {
            return Err(err("invalid", "détenteur : obligatoire / holder: required"));
        }
        let camera_type = match new.camera_type.as_str() {
            "fixed" => CameraType::Fixed,
            "panning" => CameraType::Panning,
            "dome" => CameraType::Dome,
            _ => CameraType::Unknown,
        };
        let views = match new.azimuth_deg {
            Some(az) if az.is_finite() => vec![View {
                azimuth_deg: vigie_core::geo::normalize_deg(az),
                fov_deg: vigie_core::camera::DEFAULT_FOV_DEG,
                range_m: vigie_core::camera::DEFAULT_RANGE_FIXED_M,
            }],
            _ => vec![],
        };
        let device_id = self.setting(key::DEVICE_ID).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut camera = Camera::fixed_at(vigie_client::new_private_camera_id(device_id), position, views);
        camera.kind = CameraKind::Private;
        camera.camera_type = camera_type;
        camera.label = Some(new.holder_name.trim().to_string());
        let contact = new.holder_contact.trim();
        camera.holder = Some(Holder {
            name: new.holder_name.trim().to_string(),
            address: None,
            phone: (!contact.is_empty() && !contact.contains('@')).then(|| contact.to_string()),
            email: contact.contains('@').then(|| contact.to_string()),
        });
        camera.retention_days = new.retention_days.filter(|d| (1..=vigie_core::LEGAL_MAX_RETENTION_DAYS).contains(d));
        if !new.note.trim().is_empty() {
            camera.tags.insert("note".into(), new.note.trim().to_string());
        }
        camera.tags.insert("position_source".into(), new.position_source.clone());
        camera.provenance = Provenance { source: "terrain".into(), reference: None };
        self.store.lock().unwrap().add_private_camera(&camera, now).map_err(store_err)?;
        self.invalidate();
        self.camera(&camera.id.0, now, now)
    }

    fn client(&self) -> Result<(Client, SigningKey, i64), AppError> {
        let server = self
            .setting(key::SERVER)
            .ok_or_else(|| err("not_enrolled", "appareil non inscrit / device not enrolled"))?;
        let id = self
            .setting(key::DEVICE_ID)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| err("not_enrolled", "appareil non inscrit / device not enrolled"))?;
        Ok((Client::new(&server), self.device_key()?, id))
    }

    fn note_link(&self, online: bool, message: String) {
        let mut link = self.link.lock().unwrap();
        link.online = online;
        link.syncing = false;
        link.last_attempt_local = Some(views::local_hms(chrono::Utc::now()));
        link.last_message = Some(message);
    }

    /// "Synchroniser" pressed: everything, the outbox's backoff skipped.
    pub async fn sync(&self) -> Result<SyncReport, AppError> {
        self.sync_with(true).await
    }

    /// The background loop's sync: documents whose retry is not due yet wait.
    pub async fn sync_auto(&self) -> Result<SyncReport, AppError> {
        self.sync_with(false).await
    }

    /// Logs in, pulls the officer's profile, pushes the outbox and brings back document
    /// statuses, brings the registry of the downloaded areas up to date, sends the private
    /// cameras and brings back moderation decisions. Records whether the platform answered.
    async fn sync_with(&self, on_demand: bool) -> Result<SyncReport, AppError> {
        let _one = self.sync_lock.lock().await;
        self.link.lock().unwrap().syncing = true;
        let result = self.sync_inner(on_demand).await;
        match &result {
            Ok(r) => {
                self.note_link(true, format!("synchronisé : {} caméras / synced: {} cameras", r.cameras, r.cameras))
            }
            // Only an answer from the platform means it was reached.
            Err(e) => {
                self.note_link(!matches!(e.code.as_str(), "offline" | "locked" | "not_enrolled"), e.message.clone())
            }
        }
        result
    }

    async fn sync_inner(&self, on_demand: bool) -> Result<SyncReport, AppError> {
        let (mut client, key, device_id) = self.client()?;
        match client.login(&key, device_id).await {
            Ok(()) => self.set_settings(&[(key::ENROLMENT, "enrolled")])?,
            Err(ClientError::Refused { code, message, .. }) if code == "device_refused" || code == "device_revoked" => {
                self.set_settings(&[(key::ENROLMENT, &format!("refused:{message}"))])?;
                return Err(err(&code, message));
            }
            Err(e) => return Err(client_err(e)),
        }
        let me = client.me().await.map_err(client_err)?;
        self.set_settings(&[(key::PROFILE, &serde_json::to_string(&me).map_err(|e| err("platform", e.to_string()))?)])?;
        let mut store = Store::open(self.dir.join("vigie.sqlite")).map_err(store_err)?;
        // Signed documents first: they are what a lost minute costs most.
        let documents = client.sync_outbox(&mut store, on_demand, jitter).await.map_err(client_err)?;
        if let Ok(list) = client.areas().await {
            *self.remote_areas.lock().unwrap() = list;
        }
        let area = self.registry_area().await;
        let version = match area {
            Some(area) => client.sync_registry(&mut store, area).await.map_err(client_err)?,
            None => store.registry_info().map_err(store_err)?.map(|i| i.version).unwrap_or(0),
        };
        let private = client.sync_private_cameras(&mut store).await.map_err(client_err)?;
        let cameras = store.registry_info().map_err(store_err)?.map(|i| i.cameras).unwrap_or(0);
        self.invalidate();
        Ok(SyncReport {
            version,
            cameras,
            submitted: private.submitted,
            decided: private.decided,
            documents_sent: documents.sent,
            documents_updated: documents.updated,
        })
    }

    /// The registry to keep: the box around every downloaded area.
    async fn registry_area(&self) -> Option<Area> {
        let areas = self.areas.read().await;
        let mut it = areas.values().map(|a| a.info.bounds);
        let first = it.next()?;
        let [w, s, e, n] = it.fold(first, |a, b| [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]);
        Area::new(s, w, n, e).ok()
    }

    /// The areas offered by the platform (the last list seen, when offline) and those on
    /// the device.
    pub async fn areas(&self) -> Result<Vec<AreaView>, AppError> {
        if let Ok((mut client, key, id)) = self.client() {
            if client.login(&key, id).await.is_ok() {
                if let Ok(list) = client.areas().await {
                    *self.remote_areas.lock().unwrap() = list;
                }
            }
        }
        let remote = self.remote_areas.lock().unwrap().clone();
        let local = self.areas.read().await;
        let downloading = self.downloads.lock().unwrap().keys().cloned().collect::<Vec<_>>();
        let mut out: Vec<AreaView> = remote
            .iter()
            .map(|a| AreaView {
                id: a.id.clone(),
                name: a.name.clone(),
                bounds: a.bounds,
                bytes: a.bytes,
                on_device: local.get(&a.id).is_some_and(|l| l.info.sha256 == a.sha256),
                partial_bytes: part_len(&self.area_path(&a.id)),
                downloading: downloading.contains(&a.id),
                on_platform: true,
            })
            .collect();
        for l in local.values() {
            if !remote.iter().any(|r| r.id == l.info.id) {
                out.push(AreaView {
                    id: l.info.id.clone(),
                    name: l.info.name.clone(),
                    bounds: l.info.bounds,
                    bytes: l.info.bytes,
                    on_device: true,
                    partial_bytes: 0,
                    downloading: false,
                    on_platform: false,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Downloads (or resumes) the area `id`, reporting progress; then syncs the registry of
    /// the new area. Returns when done, paused or failed (the partial file is kept).
    pub async fn download_area(&self, id: &str, progress: impl Fn(AreaProgress) + Send) -> Result<(), AppError> {
        let (mut client, key, device_id) = self.client()?;
        client.login(&key, device_id).await.map_err(client_err)?;
        let list = client.areas().await.map_err(client_err)?;
        *self.remote_areas.lock().unwrap() = list.clone();
        let info = list
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| err("not_found", format!("zone inconnue / unknown area: {id}")))?;
        let pause = Arc::new(AtomicBool::new(false));
        {
            let mut running = self.downloads.lock().unwrap();
            if running.contains_key(id) {
                return Err(err("busy", "téléchargement déjà en cours / download already running"));
            }
            running.insert(id.to_string(), Arc::clone(&pause));
        }
        let dest = self.area_path(id);
        let report = |state: &str, done: u64, message: Option<String>| {
            progress(AreaProgress { id: id.to_string(), done, total: info.bytes, state: state.into(), message })
        };
        let result = client
            .download_area(&info, &dest, |p| {
                report("running", p.done_bytes, None);
                if pause.load(Ordering::Relaxed) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .await;
        self.downloads.lock().unwrap().remove(id);
        match result {
            Ok(vigie_client::DownloadOutcome::Complete { .. }) => {
                let json = serde_json::to_vec_pretty(&info).map_err(|e| err("io", e.to_string()))?;
                let meta = dest.with_extension("json");
                std::fs::write(&meta, json).map_err(|e| err("io", format!("{}: {e}", meta.display())))?;
                let reader = AsyncPmTilesReader::new_with_path(&dest)
                    .await
                    .map_err(|e| err("tiles", format!("{}: {e}", dest.display())))?;
                self.areas
                    .write()
                    .await
                    .insert(id.to_string(), LocalArea { info: info.clone(), reader: Arc::new(reader) });
                report("done", info.bytes, None);
                // The cameras of the new area, while the network is there.
                if let Err(e) = self.sync().await {
                    eprintln!("vigie: sync after download: {e}");
                }
                Ok(())
            }
            Ok(_) => {
                report("paused", part_len(&dest), None);
                Ok(())
            }
            Err(e) => {
                let e = client_err(e);
                report("failed", part_len(&dest), Some(e.message.clone()));
                Err(e)
            }
        }
    }

    /// Asks a running download to stop after its current chunk (it resumes later).
    pub fn pause_download(&self, id: &str) {
        if let Some(flag) = self.downloads.lock().unwrap().get(id) {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// Removes an area from the device (its tiles, metadata and any partial download).
    pub async fn delete_area(&self, id: &str) -> Result<(), AppError> {
        self.areas.write().await.remove(id);
        let path = self.area_path(id);
        for p in [
            path.with_extension("json"),
            path.with_extension("pmtiles.part"),
            path.with_extension("pmtiles.part.etag"),
            path,
        ] {
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(err("io", format!("{}: {e}", p.display()))),
            }
        }
        Ok(())
    }

    /// The vector tile z/x/y from whichever downloaded area has it (uncompressed MVT).
    pub async fn tile(&self, z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
        let coord = TileCoord::new(z, x, y).ok()?;
        let areas: Vec<LocalArea> = self.areas.read().await.values().cloned().collect();
        for a in areas {
            if let Ok(Some(t)) = a.reader.get_tile_decompressed(coord).await {
                return Some(t.to_vec());
            }
        }
        None
    }

    /// The zoom range the downloaded areas cover.
    pub async fn zooms(&self) -> (u8, u8) {
        let areas = self.areas.read().await;
        let min = areas.values().map(|a| a.info.min_zoom).min().unwrap_or(12);
        let max = areas.values().map(|a| a.info.max_zoom).max().unwrap_or(16);
        (min, max)
    }
}

/// The PIN's key derivation: the phone-sized default (19 MiB, 2 passes), or, for the
/// end-to-end tests only, `VIGIE_TEST_FAST_KDF=1` (debug builds of Argon2 are slow).
fn kdf_params() -> vigie_keys::KdfParams {
    if cfg!(debug_assertions) && std::env::var_os("VIGIE_TEST_FAST_KDF").is_some_and(|v| v == "1") {
        vigie_keys::KdfParams::fast_for_tests()
    } else {
        vigie_keys::KdfParams::default()
    }
}

/// A number in [0, 1) to spread outbox retries.
fn jitter() -> f64 {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).map(|_| f64::from(u32::from_le_bytes(b)) / 4_294_967_296.0).unwrap_or(0.5)
}

/// Length of the partial download beside `dest`.
fn part_len(dest: &Path) -> u64 {
    std::fs::metadata(dest.with_extension("pmtiles.part")).map(|m| m.len()).unwrap_or(0)
}

/// An RFC 3339 time from the UI, or `now`.
pub fn parse_time(at: Option<&str>, now: Timestamp) -> Result<Timestamp, AppError> {
    match at.filter(|s| !s.is_empty()) {
        None => Ok(now),
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| err("invalid", format!("heure des faits / incident time `{s}`: {e}"))),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
