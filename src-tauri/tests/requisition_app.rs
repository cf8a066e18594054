//! A requisition end to end, on the real Tauri window (tauri-driver + WebKitWebDriver under
//! Xvfb) against the real platform over loopback, and a second app instance for the
//! supervisor:
//!
//! offline, from app open, the officer drafts a 77-1-1 requisition for the nearest camera
//! that saw the car's position → blocked, the authorisation missing → adds it → signs with
//! the PIN → the outbox shows it queued (taps counted, each step's response timed) → the
//! platform comes back, sync → the supervisor's app countersigns → the officer's app shows
//! « contresignée » → its PDF is written, `vigie-server verify` accepts it and rejects a
//! copy with one byte changed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use vigie_e2e::nmea::{self, Gpsfake};
use vigie_e2e::webdriver::{self, Driver, Session};

mod common;
use common::{approve, screenshots, shared, Platform};

/// The car's position: Place du Casino, Monte-Carlo.
const CAR: (f64, f64) = (43.73940, 7.42760);
const OFFICER_PIN: &str = "482915";
const SUPERVISOR_PIN: &str = "739164";

/// A tap-by-tap walk: counts the taps and times each step from the tap to the app's answer
/// on screen (polled as fast as WebDriver answers, so an upper bound).
struct Walk<'a> {
    s: &'a Session<'a>,
    taps: usize,
    steps: Vec<(String, usize, Duration)>,
}

impl<'a> Walk<'a> {
    /// `taps` taps done by `act`, then waits until `answered` (a script returning true).
    fn step(&mut self, what: &str, taps: usize, act: impl FnOnce(&Session<'_>), answered: &str) {
        let t0 = Instant::now();
        act(self.s);
        let deadline = t0 + Duration::from_secs(30);
        loop {
            if self.s.execute(answered, json!([])).map(|v| v == json!(true)).unwrap_or(false) {
                break;
            }
            if Instant::now() > deadline {
                let problems = self.s.find("#draft-problems").and_then(|e| self.s.text(&e)).unwrap_or_default();
                let toast = self.s.find("#toast").and_then(|e| self.s.text(&e)).unwrap_or_default();
                panic!("step « {what} »: the app never answered ({answered}); problems: {problems:?}; toast: {toast:?}");
            }
        }
        self.taps += taps;
        self.steps.push((what.to_string(), taps, t0.elapsed()));
    }
}

fn vigie_server_bin() -> PathBuf {
    // Built beside this test by `cargo test --workspace` (cargo xtask test).
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("vigie-server");
    assert!(bin.exists(), "{} is missing: build the workspace (`cargo xtask test` does)", bin.display());
    bin
}

#[test]
fn requisition_signed_offline_countersigned_and_verified() {
    webdriver::ensure_installed().unwrap_or_else(|e| panic!("{e}"));
    let app = PathBuf::from(env!("CARGO_BIN_EXE_vigie-app"));
    let tmp = tempfile::tempdir().unwrap();
    let (platform_dir, officer_dir, supervisor_dir, basemap) = (
        tmp.path().join("platform"),
        tmp.path().join("officer"),
        tmp.path().join("supervisor"),
        tmp.path().join("basemap"),
    );
    for d in [&platform_dir, &officer_dir, &supervisor_dir, &basemap] {
        std::fs::create_dir_all(d).unwrap();
    }
    vigie_tiles::build_pmtiles(
        &shared("osm/monaco-2025-02-11.osm.pbf"),
        &basemap.join("monaco.pmtiles"),
        &vigie_tiles::BuildOptions::new("Monaco"),
    )
    .unwrap();
    let mut platform = Platform::new(&platform_dir, &basemap);
    let fixes = vec![nmea::Fix { lat: CAR.0, lon: CAR.1, locked: true }; 1000];
    let log = tmp.path().join("car.nmea");
    std::fs::write(&log, nmea::log(&fixes, chrono::Utc::now(), Duration::from_millis(600))).unwrap();
    let gpsd = Gpsfake::start(&log, 0.2).unwrap_or_else(|e| panic!("{e}"));
    let shots = screenshots();
    let long = Duration::from_secs(60);
    let app_env = |dir: &PathBuf, enrol: String| {
        vec![
            ("VIGIE_DATA_DIR", dir.display().to_string()),
            ("VIGIE_GPSD", gpsd.addr.clone()),
            ("VIGIE_SYNC_INTERVAL_S", "2".into()),
            ("VIGIE_TEST_FAST_KDF", "1".into()),
            ("VIGIE_AUTO_AREA", "monaco".into()),
            ("VIGIE_ENROL", enrol),
        ]
    };
    let officer_env = app_env(&officer_dir, format!("{},OFF-1,Portable VL 12,{OFFICER_PIN}", platform.base()));

    // --- The officer's device enrols, is approved, takes the Monaco area and cameras.
    {
        let driver = Driver::start(&officer_env).unwrap_or_else(|e| panic!("{e}"));
        let s = driver.session(&app).unwrap_or_else(|e| panic!("{e}"));
        let deadline = Instant::now() + long;
        while platform.db.devices().unwrap().is_empty() {
            assert!(Instant::now() < deadline, "the app never asked to enrol");
            std::thread::sleep(Duration::from_millis(200));
        }
        approve(&platform.db, "Portable VL 12");
        s.wait_text("#data-age", long, |t| t.contains("16 caméras")).unwrap();
        s.close().unwrap();
    }

    // --- The network goes; the app opens again, and the walk begins.
    platform.stop();
    let driver = Driver::start(&officer_env).unwrap_or_else(|e| panic!("{e}"));
    let s = driver.session(&app).unwrap_or_else(|e| panic!("{e}"));
    s.wait_text("#link", long, |t| t == "Hors ligne").unwrap();
    s.wait_script("return window.vigieMap && JSON.parse(window.vigieMap.stats()).bySource.cameras > 0 || null", long)
        .unwrap();
    let mut walk = Walk { s: &s, taps: 0, steps: Vec::new() };
    walk.step(
        "Autour de moi",
        1,
        |s| s.click_css("#tab-around").unwrap(),
        "return !!document.querySelector('#around-list li .sees-in_view, #around-list li .sees-possible')",
    );
    // The nearest camera that saw (or, turning, could see) the car's position.
    walk.step(
        "Réquisition pour la caméra la plus proche qui voyait",
        1,
        |s| {
            s.execute(
                "const li = [...document.querySelectorAll('#around-list li')] \
                   .find(l => l.querySelector('.sees-in_view, .sees-possible')); \
                 li.querySelector('button.draft').click();",
                json!([]),
            )
            .unwrap();
        },
        "return !!document.querySelector('#draft-procedure')",
    );
    // A select is two taps on a phone: open it, choose.
    walk.step(
        "Fondement : 77-1-1",
        2,
        |s| select(s, "#draft-basis", "77-1-1"),
        "return [...document.querySelectorAll('#draft-problems li.blocking')].some(l => l.textContent.includes('77-1-1'))",
    );
    let blocked = s.wait_text("#draft-problems", long, |t| t.contains("autorisation du procureur")).unwrap();
    assert!(blocked.contains("obligatoire"), "{blocked}");
    assert!(!s.execute("return document.querySelector('#draft-sign').disabled", json!([])).unwrap().is_null());
    assert_eq!(s.execute("return document.querySelector('#draft-sign').disabled", json!([])).unwrap(), json!(true));
    s.screenshot(&shots.join("r1-77-1-1-blocked.png")).unwrap();
    walk.step(
        "Autorisation : instructions générales",
        2,
        |s| select(s, "#draft-authorisation", "general"),
        "return !!document.querySelector('#draft-reference')",
    );
    walk.step(
        "Référence de l'autorisation",
        1,
        |s| s.type_into("#draft-reference", "IG-2026-04 Parquet de Monaco").unwrap(),
        "return ![...document.querySelectorAll('#draft-problems li.blocking')].some(l => l.textContent.includes('77-1-1'))",
    );
    // The registry does not know who keeps these recordings: the officer names them.
    walk.step(
        "Détenteur",
        1,
        |s| s.type_into("#draft-holder", "Société des Bains de Mer").unwrap(),
        "return ![...document.querySelectorAll('#draft-problems li')].some(l => l.dataset.field == 'holder')",
    );
    walk.step(
        "N° de procédure",
        1,
        |s| s.type_into("#draft-procedure", "2026/004512").unwrap(),
        "return ![...document.querySelectorAll('#draft-problems li')].some(l => l.dataset.field == 'procedure')",
    );
    walk.step(
        "Nature des faits",
        1,
        |s| s.type_into("#draft-facts", "Vol à l'arraché d'un sac à main").unwrap(),
        "return !document.querySelector('#draft-sign').disabled",
    );
    walk.step(
        "Code PIN",
        1,
        |s| s.type_into("#draft-pin", OFFICER_PIN).unwrap(),
        "return document.querySelector('#draft-pin').value.length == 6",
    );
    walk.step(
        "Signer",
        1,
        |s| s.click_css("#draft-sign").unwrap(),
        "const li = document.querySelector('#outbox li'); return !!li && li.textContent.includes(\"en attente d'envoi\")",
    );
    s.screenshot(&shots.join("r2-outbox-queued.png")).unwrap();
    println!("walk from app open to a signed requisition in the outbox (offline):");
    for (what, taps, t) in &walk.steps {
        println!("  {:>4} ms  {taps} tap(s)  {what}", t.as_millis());
    }
    println!("  total {} taps", walk.taps);
    let taps = walk.taps;
    assert!(taps <= 12, "{taps} taps from app open to a signed requisition");
    let queued = s.wait_text("#outbox li", long, |t| t.contains("Réquisition 77-1-1")).unwrap();
    assert!(queued.contains("effacées le"), "retention shown on the document: {queued}");

    // --- The network comes back: the automatic sync pushes it.
    platform.start();
    s.wait_text("#outbox li", long, |t| t.contains("reçue")).unwrap();
    let docs = platform.db.documents_of("OFF-1").unwrap();
    assert_eq!(docs.len(), 1);
    let doc_id = docs[0].id.clone();
    s.close().unwrap();
    drop(driver);

    // --- The supervisor's app: « Relecture », countersign with the PIN.
    {
        let env = app_env(&supervisor_dir, format!("{},SUP-1,Poste chef de poste,{SUPERVISOR_PIN}", platform.base()));
        let driver = Driver::start(&env).unwrap_or_else(|e| panic!("{e}"));
        let s = driver.session(&app).unwrap_or_else(|e| panic!("{e}"));
        let deadline = Instant::now() + long;
        while !platform.db.devices().unwrap().iter().any(|d| d.name == "Poste chef de poste") {
            assert!(Instant::now() < deadline, "the supervisor's app never asked to enrol");
            std::thread::sleep(Duration::from_millis(200));
        }
        approve(&platform.db, "Poste chef de poste");
        s.wait_for("#tab-review", long).unwrap();
        s.click_css("#tab-review").unwrap();
        let item = s.wait_text(&format!("#review li[data-id='{doc_id}']"), long, |t| t.contains("77-1-1")).unwrap();
        assert!(item.contains("Vol à l'arraché") && item.contains("Agent Martin"), "{item}");
        s.type_into("#review-pin", SUPERVISOR_PIN).unwrap();
        s.click_css(&format!("#review li[data-id='{doc_id}'] button.countersign")).unwrap();
        s.wait_text("#toast", long, |t| t.contains("Contresignée")).unwrap();
        s.screenshot(&shots.join("r3-supervisor-countersigned.png")).unwrap();
        s.close().unwrap();
    }

    // --- The officer sees « contresignée », prints the PDF.
    let driver = Driver::start(&officer_env).unwrap_or_else(|e| panic!("{e}"));
    let s = driver.session(&app).unwrap_or_else(|e| panic!("{e}"));
    s.click_css("#tab-outbox").unwrap();
    s.wait_text("#outbox li", long, |t| t.contains("contresignée")).unwrap();
    s.click_css("#outbox li button.pdf").unwrap();
    let path = s.wait_text("#pdf-path", long, |t| t.ends_with(".pdf")).unwrap();
    let pdf = PathBuf::from(path.trim_start_matches("PDF :").trim());
    s.screenshot(&shots.join("r4-officer-countersigned.png")).unwrap();
    s.close().unwrap();
    drop(driver);

    // --- `vigie-server verify` accepts it, and refuses a copy with one byte changed.
    let verify = |file: &PathBuf| {
        std::process::Command::new(vigie_server_bin())
            .args(["verify"])
            .arg(file)
            .env("VIGIE_DATABASE_URL", format!("sqlite://{}", platform_dir.join("platform.sqlite3").display()))
            .output()
            .unwrap()
    };
    let ok = verify(&pdf);
    let said = String::from_utf8_lossy(&ok.stdout).to_string();
    assert!(ok.status.success(), "{said}{}", String::from_utf8_lossy(&ok.stderr));
    assert!(said.contains("authentique") && said.contains("contresigné par Capitaine Roux"), "{said}");
    let mut bytes = std::fs::read(&pdf).unwrap();
    let at = bytes.windows(4).position(|w| w == b"2026").unwrap();
    bytes[at + 3] = b'7';
    let copy = tmp.path().join("copy.pdf");
    std::fs::write(&copy, bytes).unwrap();
    let bad = verify(&copy);
    assert_eq!(bad.status.code(), Some(1), "{}", String::from_utf8_lossy(&bad.stdout));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("REFUSÉ"));
    drop(gpsd);
}

/// Chooses `value` in the select `css`, as a tap on it then on the option would.
fn select(s: &Session<'_>, css: &str, value: &str) {
    s.click_css(css).unwrap();
    s.click_css(&format!("{css} option[value='{value}']")).unwrap();
}
