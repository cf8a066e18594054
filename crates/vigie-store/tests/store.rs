//! The device store on real SQLite files in a temporary folder.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use chrono::{TimeZone, Utc};
use vigie_core::geo::{LatLon, LocalFrame};
use vigie_core::{Camera, Timestamp, View};
use vigie_store::{PrivateState, Store, StoreError, LATEST_VERSION};

fn t(h: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, h, 0, 0).unwrap()
}

/// `n` cameras on a grid around Monaco, ids prefixed by `tag`.
fn cameras(tag: &str, n: usize) -> impl Iterator<Item = Camera> + '_ {
    let frame = LocalFrame::new(LatLon::new(43.7384, 7.4246).unwrap());
    (0..n).map(move |i| {
        let p = frame.unproject((i % 100) as f64 * 10.0, (i / 100) as f64 * 10.0).unwrap();
        Camera::fixed_at(
            format!("{tag}-{i:07}"),
            p,
            vec![View { azimuth_deg: (i * 7 % 360) as f64, fov_deg: 70.0, range_m: 40.0 }],
        )
    })
}

#[test]
fn the_registry_round_trips_with_its_origin() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("vigie.sqlite3")).unwrap();
    assert_eq!(store.registry_info().unwrap(), None);
    let original: Vec<Camera> = cameras("a", 250).collect();
    assert_eq!(store.replace_registry(42, t(8), "https://csu.example", original.clone()).unwrap(), 250);
    drop(store);

    let store = Store::open(dir.path().join("vigie.sqlite3")).unwrap();
    let info = store.registry_info().unwrap().unwrap();
    assert_eq!(
        (info.version, info.fetched_at, info.source.as_str(), info.cameras),
        (42, t(8), "https://csu.example", 250)
    );
    assert_eq!(store.registry().unwrap(), original, "cameras come back exactly as stored");
    let index = store.index().unwrap();
    let near = index.nearest(original[0].placements[0].position, 3, t(9));
    assert_eq!(near[0].camera.id, original[0].id);
}

#[test]
fn a_failed_replacement_keeps_the_previous_registry() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("vigie.sqlite3")).unwrap();
    store.replace_registry(1, t(8), "platform", cameras("old", 30)).unwrap();
    let mut broken: Vec<Camera> = cameras("new", 50).collect();
    broken[40].placements[0].views[0].range_m = -3.0;
    let err = store.replace_registry(2, t(9), "platform", broken).unwrap_err();
    assert_eq!(err.to_string(), "camera new-0000040: placements[0].views[0].range_m: -3 not in (0, 5000]");
    let info = store.registry_info().unwrap().unwrap();
    assert_eq!((info.version, info.cameras), (1, 30));
    assert!(store.registry().unwrap().iter().all(|c| c.id.0.starts_with("old-")));
}

/// Not a test on its own: the child process of `a_kill_mid_import_keeps_the_previous_registry`.
/// It starts replacing the registry, says so, and hangs inside the transaction until killed.
#[test]
#[ignore = "run by a_kill_mid_import_keeps_the_previous_registry as its child"]
fn child_replaces_registry_until_killed() {
    let path = std::env::var("VIGIE_STORE_CRASH_CHILD").expect("run by the crash test");
    let mut store = Store::open(&path).unwrap();
    let endless = cameras("new", 1_000_000).enumerate().map(|(i, c)| {
        if i == 5_000 {
            println!("MID-IMPORT");
            std::io::Write::flush(&mut std::io::stdout()).unwrap();
            std::thread::sleep(std::time::Duration::from_secs(600));
        }
        c
    });
    store.replace_registry(2, t(9), "platform", endless).unwrap();
    unreachable!("the parent kills this process mid-import");
}

#[test]
fn a_kill_mid_import_keeps_the_previous_registry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.sqlite3");
    let mut store = Store::open(&path).unwrap();
    let before: Vec<Camera> = cameras("old", 1_000).collect();
    store.replace_registry(1, t(8), "platform", before.clone()).unwrap();
    drop(store);

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_replaces_registry_until_killed", "--ignored", "--nocapture", "--test-threads=1"])
        .env("VIGIE_STORE_CRASH_CHILD", &path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut mid = false;
    for line in lines {
        if line.unwrap().contains("MID-IMPORT") {
            mid = true;
            break;
        }
    }
    assert!(mid, "the child never reached the middle of its import");
    // 5,000 rows of the new registry are written inside the open transaction now.
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());

    let store = Store::open(&path).unwrap();
    let info = store.registry_info().unwrap().unwrap();
    assert_eq!((info.version, info.cameras), (1, 1_000));
    assert_eq!(store.registry().unwrap(), before);
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
}

/// The schema of version 1 exactly as the first release wrote it.
const SCHEMA_V1: &str = "
    CREATE TABLE registry_meta (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, fetched_at TEXT NOT NULL, source TEXT NOT NULL);
    CREATE TABLE cameras (id TEXT PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;
    PRAGMA user_version = 1;";

#[test]
fn a_store_from_an_older_version_is_migrated_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    let cam = cameras("v1", 1).next().unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        conn.execute("INSERT INTO registry_meta VALUES (1, 7, '2026-11-01T10:00:00.000Z', 'platform')", []).unwrap();
        let p = cam.placements[0].position;
        conn.execute(
            "INSERT INTO cameras VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![cam.id.0, p.lat(), p.lon(), serde_json::to_string(&cam).unwrap()],
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(store.registry_info().unwrap().unwrap().version, 7);
    assert_eq!(store.registry().unwrap(), vec![cam]);
    // What version 2 added works on the migrated file.
    store.set_setting("lang", "fr").unwrap();
    assert_eq!(store.setting("lang").unwrap().as_deref(), Some("fr"));
}

/// The app restarted while its previous run still holds the file (closing a WAL database
/// takes an exclusive lock to checkpoint it): the new run waits instead of failing.
#[test]
fn the_store_opens_while_a_closing_app_still_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.sqlite3");
    drop(Store::open(&path).unwrap());
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(holder);
    });
    let store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.registry_info().unwrap(), None);
    release.join().unwrap();
}

#[test]
fn a_store_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.sqlite3");
    rusqlite::Connection::open(&path).unwrap().execute_batch("PRAGMA user_version = 99;").unwrap();
    match Store::open(&path).unwrap_err() {
        StoreError::NewerSchema { found, supported, .. } => assert_eq!((found, supported), (99, LATEST_VERSION)),
        other => panic!("{other}"),
    }
    let v: u32 = rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, 99);
}

#[test]
fn private_cameras_wait_for_moderation_and_show_on_the_map() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("vigie.sqlite3")).unwrap();
    store.replace_registry(3, t(8), "platform", cameras("reg", 10)).unwrap();
    let shop = LocalFrame::new(LatLon::new(43.7384, 7.4246).unwrap()).unproject(5.0, 5.0).unwrap();
    let mut cam = Camera::fixed_at("device-1/1", shop, vec![View { azimuth_deg: 180.0, fov_deg: 90.0, range_m: 20.0 }]);
    cam.kind = vigie_core::CameraKind::Private;
    store.add_private_camera(&cam, t(10)).unwrap();
    assert!(matches!(store.add_private_camera(&cam, t(10)), Err(StoreError::Sqlite { .. })), "same id twice");

    let index = store.index().unwrap();
    assert_eq!(index.len(), 11);
    assert_eq!(index.nearest(shop, 1, t(11))[0].camera.id.0, "device-1/1");

    assert!(store.set_private_state("device-1/1", PrivateState::Merged, Some("reg-0000000"), t(12)).unwrap());
    assert!(!store.set_private_state("nope", PrivateState::Refused, None, t(12)).unwrap());
    let mine = store.private_cameras().unwrap();
    assert_eq!(
        (mine[0].state, mine[0].note.as_deref(), mine[0].updated_at),
        (PrivateState::Merged, Some("reg-0000000"), t(12))
    );
    assert_eq!(store.index().unwrap().len(), 10, "a merged camera is the registry's now");
}

#[test]
fn registry_updates_apply_in_order_or_not_at_all() {
    use vigie_core::sync::{build_update, Area, VersionedRow};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("vigie.sqlite3")).unwrap();
    let area = Area::new(43.0, 7.0, 44.0, 8.0).unwrap();
    let row = |c: Camera, version: u64| VersionedRow { id: c.id.clone(), version, camera: Some(c) };
    let v1: Vec<VersionedRow> = cameras("c", 5).map(|c| row(c, 1)).collect();
    store.apply_update(build_update(v1.clone(), None, 1, area), t(8), "platform").unwrap();
    let info = store.registry_info().unwrap().unwrap();
    assert_eq!((info.version, info.cameras, info.area), (1, 5, Some(area)));

    // Version 2 changes c-0000001 and deletes c-0000002; version 3 adds c-0000009.
    let mut changed = cameras("c", 2).nth(1).unwrap();
    changed.retention_days = Some(7);
    let gone = VersionedRow { id: vigie_core::CameraId("c-0000002".into()), version: 2, camera: None };
    let added = row(cameras("c", 10).nth(9).unwrap(), 3);
    let rows = vec![row(changed.clone(), 2), gone, added];
    // A delta from version 2 does not apply to a store at version 1: refused, nothing changed.
    let early = build_update(rows.clone(), Some(2), 3, area);
    assert!(matches!(store.apply_update(early, t(9), "platform"), Err(StoreError::Sync { .. })));
    assert_eq!(store.registry_info().unwrap().unwrap().version, 1);
    // From version 1 it applies.
    assert_eq!(store.apply_update(build_update(rows, Some(1), 3, area), t(9), "platform").unwrap(), 3);
    let ids: Vec<String> = store.registry().unwrap().into_iter().map(|c| c.id.0).collect();
    assert_eq!(ids, ["c-0000000", "c-0000001", "c-0000003", "c-0000004", "c-0000009"]);
    assert_eq!(store.registry().unwrap()[1].retention_days, Some(7));
    // A registry replaced from a file has no area: a later delta for the area is refused.
    store.replace_registry(4, t(10), "file.geojson", cameras("f", 2)).unwrap();
    assert_eq!(store.registry_info().unwrap().unwrap().area, None);
    let later = build_update(Vec::new(), Some(4), 5, area);
    assert!(matches!(store.apply_update(later, t(11), "platform"), Err(StoreError::Sync { .. })));
}
