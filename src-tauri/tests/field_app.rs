//! The field app end to end, as an officer uses it, on the real Tauri window
//! (tauri-driver with WebKitWebDriver, under Xvfb) against the real platform over loopback
//! and a real gpsd fed by gpsfake:
//!
//! enrol → an administrator approves → download the Monaco area → **the platform stops**
//! → with no network the map draws the basemap and the cameras (pixels checked), "Autour
//! de moi" lists the cameras nearest the car's GNSS position in the right order, a private
//! camera is added and survives an app restart → the platform comes back, sync, and the
//! camera is in the moderation queue.
//!
//! Screenshots go to `target/e2e-screenshots/`.

use std::path::PathBuf;
use std::time::Duration;

use crate::common;
use crate::common::{screenshots, shared, Platform};
use serde_json::json;
use vigie_core::around::{around, AroundQuery};
use vigie_core::{CameraIndex, LatLon};
use vigie_e2e::webdriver::{self, Driver, Session};

/// The car's position: Place du Casino, Monte-Carlo.
const CAR: (f64, f64) = (43.73940, 7.42760);

/// The order "Autour de moi" must show, computed from the same file with the domain crate.
fn expected_order(point: LatLon, radius_m: f64) -> Vec<String> {
    expected_cameras(point, radius_m).into_iter().map(|c| c.2).collect()
}

/// The cameras around `point`, nearest first: `(lat, lon, id)`.
fn expected_cameras(point: LatLon, radius_m: f64) -> Vec<(f64, f64, String)> {
    let file = shared("cameras/monaco-osm-2025.geojson");
    let bytes = std::fs::read(&file).unwrap();
    let options = vigie_server::registry::import_options(&file, None, Some(15));
    let imported = vigie_core::import::import(&bytes, &options).unwrap();
    let index = CameraIndex::new(imported.cameras).unwrap();
    let now = chrono::Utc::now();
    let q = AroundQuery { point, at: now, now, radius_m, limit: 200, only_seeing: false };
    around(&index, &q).iter().map(|e| (e.position.lat(), e.position.lon(), e.camera.id.0.clone())).collect()
}

fn ids_in_list(s: &Session<'_>) -> Vec<String> {
    s.find_all("#around-list li")
        .unwrap()
        .iter()
        .map(|e| s.attribute(e, "data-id").unwrap().unwrap_or_default())
        .collect()
}

fn map_stats(s: &Session<'_>) -> serde_json::Value {
    let v = s.execute("return window.vigieMap ? window.vigieMap.stats() : null", json!([])).unwrap();
    serde_json::from_str(v.as_str().unwrap_or("null")).unwrap_or_default()
}

#[test]
fn officer_works_offline_then_syncs() {
    let _turn = common::one_window();
    webdriver::ensure_installed().unwrap_or_else(|e| panic!("{e}"));
    let app = PathBuf::from(env!("CARGO_BIN_EXE_vigie-app"));
    let tmp = tempfile::tempdir().unwrap();
    let (platform_dir, app_dir, basemap) =
        (tmp.path().join("platform"), tmp.path().join("app"), tmp.path().join("basemap"));
    for d in [&platform_dir, &app_dir, &basemap] {
        std::fs::create_dir_all(d).unwrap();
    }
    common::monaco_basemap(&basemap);
    let mut platform = Platform::new(&platform_dir, &basemap);

    let gpsd = common::car_gpsd(tmp.path(), CAR);

    let app_env = [
        ("VIGIE_DATA_DIR", app_dir.display().to_string()),
        ("VIGIE_GPSD", gpsd.addr.clone()),
        ("VIGIE_SYNC_INTERVAL_S", "3".into()),
        ("VIGIE_TEST_FAST_KDF", "1".into()),
    ];
    let driver = Driver::start(&app_env).unwrap_or_else(|e| panic!("{e}"));
    let shots = screenshots();
    let long = Duration::from_secs(60);

    // --- Enrol, approval, sync.
    let s = driver.session(&app).unwrap_or_else(|e| panic!("{e}"));
    s.click_css("#tab-account").unwrap();
    s.type_into("#server", &platform.base()).unwrap();
    s.type_into("#rio", "OFF-1").unwrap();
    s.type_into("#device-name", "Portable VL 12").unwrap();
    s.type_into("#enrol-pin", "482915").unwrap();
    s.click_css("#enrol").unwrap();
    s.wait_text("#account-state", long, |t| t.contains("attente d'approbation")).unwrap_or_else(|e| {
        let toast = s.find("#toast").and_then(|t| s.text(&t)).unwrap_or_default();
        panic!("{e}; the app said: {toast:?}")
    });
    common::approve(&platform.db, "Portable VL 12");
    s.click_css("#sync").unwrap();
    s.wait_text("#account-state", long, |t| t.starts_with("Inscrit")).unwrap();
    s.screenshot(&shots.join("1-enrolled.png")).unwrap();

    // --- Download the Monaco area: its size is shown before.
    s.click_css("#tab-areas").unwrap();
    let size = s.wait_text("#areas li[data-id=monaco]", long, |t| t.contains("Mo") || t.contains("ko")).unwrap();
    assert!(size.contains("Monaco"), "{size}");
    s.click_css("#areas li[data-id=monaco] button.download").unwrap();
    s.wait_text("#areas li[data-id=monaco]", long, |t| t.contains("sur l'appareil")).unwrap();
    s.wait_text("#data-age", long, |t| t.contains("16 caméras")).unwrap();
    s.screenshot(&shots.join("2-area-downloaded.png")).unwrap();

    // --- The network goes.
    platform.stop();
    s.wait_text("#link", long, |t| t == "Hors ligne").unwrap();

    // The map draws the basemap and the cameras from the device.
    s.click_css("#tab-map").unwrap();
    let stats = s
        .wait_script(
            "const s = window.vigieMap && JSON.parse(window.vigieMap.stats()); \
             const l = s && s.basemapLayers || {}; \
             return s && s.tilesLoaded && l.building > 0 && l.road > 0 && l.water > 0 && s.bySource.cameras > 0 \
               ? s : null",
            long,
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", map_stats(&s)));
    // Let the last frame reach the screen before reading it back.
    std::thread::sleep(Duration::from_millis(500));
    let image = s.screenshot(&shots.join("3-offline-map.png")).unwrap();
    // Pixels: the map area (below the header, above the nav) shows the basemap — its
    // buildings' colour (#ddd7cf in the day style) over a real share of it, among many
    // colours — not a blank background.
    let (x0, y0, x1, y1) = (0, 140, image.width - 60, image.height - 60);
    let area = ((x1 - x0) * (y1 - y0)) as usize;
    let (colours, buildings) = image.colours(x0, y0, x1, y1, [0xdd, 0xd7, 0xcf], 3);
    assert!(colours > 40, "the basemap drew {colours} colours only ({stats})");
    assert!(buildings * 100 > area, "buildings cover {buildings} of {area} pixels only ({stats})");
    // Tap the camera nearest the car: its card, with the erasure time of the footage.
    let nearest = expected_cameras(LatLon::new(CAR.0, CAR.1).unwrap(), 300.0)[0].clone();
    let xy =
        s.execute("return window.vigieMap.project(arguments[0], arguments[1])", json!([nearest.1, nearest.0])).unwrap();
    let xy: [f64; 2] = serde_json::from_str(xy.as_str().unwrap()).unwrap();
    s.tap(xy[0], xy[1]).unwrap();
    let erased = s.wait_text("#card-erased", long, |t| t.contains("effacées le")).unwrap();
    assert!(erased.starts_with("images de "), "{erased}");
    s.screenshot(&shots.join("3a-camera-card.png")).unwrap();
    s.click_css("#card .close").unwrap();

    // Night: the dark style replaces the day one, and the cameras stay on it.
    s.click_css("#night").unwrap();
    s.wait_script(
        "const s = window.vigieMap && JSON.parse(window.vigieMap.stats()); \
         return s && s.tilesLoaded && s.bySource.cameras > 0 && (s.basemapLayers.building || 0) > 0 ? s : null",
        long,
    )
    .unwrap_or_else(|e| panic!("night: {e}"));
    std::thread::sleep(Duration::from_millis(500));
    let night = s.screenshot(&shots.join("3b-offline-map-night.png")).unwrap();
    let (_, day_buildings) = night.colours(x0, y0, x1, y1, [0xdd, 0xd7, 0xcf], 3);
    assert!(day_buildings * 1000 < area, "the night map still shows day buildings: {day_buildings} px");
    s.click_css("#night").unwrap();

    // "Autour de moi" from the car's gpsd position: nearest first, in the domain's order.
    s.click_css("#tab-around").unwrap();
    s.wait_text(".around-point", long, |t| t.contains("GPS du véhicule")).unwrap();
    let expected = expected_order(LatLon::new(CAR.0, CAR.1).unwrap(), 300.0);
    assert!(expected.len() >= 2, "Monaco has cameras within 300 m of the casino: {expected:?}");
    let got = ids_in_list(&s);
    assert_eq!(got, expected, "Autour de moi order");
    s.screenshot(&shots.join("4-around-me.png")).unwrap();

    // A private camera, at the car's position, looking east.
    s.click_css("#tab-add").unwrap();
    s.wait_text("#add-where", long, |t| t.contains("43.7394")).unwrap();
    s.type_into("#add-azimuth", "90").unwrap();
    s.type_into("#add-holder", "Bijouterie du Casino").unwrap();
    s.type_into("#add-contact", "+377 93 00 00 00").unwrap();
    s.type_into("#add-retention", "10").unwrap();
    s.click_css("#add-save").unwrap();
    s.wait_text("#add-saved", long, |t| t.contains("Bijouterie du Casino")).unwrap();
    s.screenshot(&shots.join("5-private-camera.png")).unwrap();
    s.close().unwrap();
    drop(driver);

    // --- The app restarts, still offline: the camera is there, pending.
    let driver = Driver::start(&app_env).unwrap_or_else(|e| panic!("{e}"));
    let s = driver.session(&app).unwrap_or_else(|e| panic!("{e}"));
    s.click_css("#tab-around").unwrap();
    let first = s
        .wait_text("#around-list li", long, |t| t.contains("Bijouterie du Casino"))
        .unwrap_or_else(|e| panic!("{e}: {:?}", ids_in_list(&s)));
    assert!(first.contains("en attente d'envoi"), "{first}");
    s.screenshot(&shots.join("6-after-restart.png")).unwrap();

    // --- The network is back: a sync (the one asked for, or the automatic one just before
    // it) sends the camera to the moderation queue, and the app says so.
    platform.start();
    s.click_css("#tab-account").unwrap();
    // After a restart the device key is sealed again: a wrong PIN is refused, the right one
    // opens it. It is never on disk in clear.
    assert!(!app_dir.join("device.key").exists());
    let sealed = std::fs::read_to_string(app_dir.join("device-key.sealed.json")).unwrap();
    assert!(sealed.contains("argon2id"), "{sealed}");
    s.type_into("#unlock-pin", "000000").unwrap();
    s.click_css("#unlock").unwrap();
    s.wait_text("#toast", long, |t| t.contains("code PIN incorrect")).unwrap();
    s.click_css("#toast").unwrap();
    s.type_into("#unlock-pin", "482915").unwrap();
    s.click_css("#unlock").unwrap();
    s.wait_text("#toast", long, |t| t.contains("déverrouillé")).unwrap();
    s.click_css("#sync").unwrap();
    s.wait_text("#sync-report", long, |t| t.contains("caméras privées envoyées")).unwrap();
    let queue = platform.db.pending_submissions().unwrap();
    assert_eq!(queue.len(), 1, "the moderation queue");
    assert!(format!("{:?}", queue[0]).contains("Bijouterie du Casino"), "{:?}", queue[0]);
    s.wait_text("#link", long, |t| t == "En ligne").unwrap();
    s.click_css("#tab-around").unwrap();
    s.wait_text("#around-list li", long, |t| t.contains("envoyée, en modération")).unwrap();
    s.screenshot(&shots.join("7-synced.png")).unwrap();
    s.close().unwrap();
    drop(gpsd);
}
