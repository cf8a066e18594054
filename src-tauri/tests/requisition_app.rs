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
use vigie_e2e::webdriver::{self, Driver, Session};

use crate::common;
use crate::common::{approve, screenshots, Platform};

/// The car's position: Place du Casino, Monte-Carlo.
const CAR: (f64, f64) = (43.73940, 7.42760);
const OFFICER_PIN: &str = "482915";
const SUPERVISOR_PIN: &str = "739164";

/// A tap-by-tap walk: counts the taps and times each step inside the page, from the
/// input event to the app's answer on screen (checked at every animation frame), so the
/// figure is the app's own response, not WebDriver's.
struct Walk<'a> {
    s: &'a Session<'a>,
    taps: usize,
    steps: Vec<(String, usize, f64)>,
}

impl<'a> Walk<'a> {
    /// `taps` taps, done in the page by the script `act`, then waits until `answered` (a
    /// script body returning true).
    fn step(&mut self, what: &str, taps: usize, act: &str, answered: &str) {
        let script = format!(
            "window.__vigieStep = null; const t0 = performance.now(); {act}; \
             const check = () => {{ if ((() => {{ {answered} }})()) {{ window.__vigieStep = performance.now() - t0; }} \
             else {{ requestAnimationFrame(check); }} }}; check();"
        );
        self.s.execute(&script, json!([])).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let ms = loop {
            if let Some(ms) = self.s.execute("return window.__vigieStep", json!([])).ok().and_then(|v| v.as_f64()) {
                break ms;
            }
            if Instant::now() > deadline {
                let problems = self.s.find("#draft-problems").and_then(|e| self.s.text(&e)).unwrap_or_default();
                let toast = self.s.find("#toast").and_then(|e| self.s.text(&e)).unwrap_or_default();
                panic!(
                    "step « {what} »: the app never answered ({answered}); problems: {problems:?}; toast: {toast:?}"
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.taps += taps;
        self.steps.push((what.to_string(), taps, ms));
    }
}

/// A tap on `css`.
fn tap(css: &str) -> String {
    format!("document.querySelector({css:?}).click()")
}

/// A field tapped and filled (the keyboard's text arrives as one input event).
fn fill(css: &str, text: &str) -> String {
    format!(
        "const e = document.querySelector({css:?}); e.focus(); e.value = {text:?}; \
         e.dispatchEvent(new Event('input', {{ bubbles: true }}))"
    )
}

/// A select opened and an option chosen (two taps on a phone).
fn choose(css: &str, value: &str) -> String {
    format!(
        "const e = document.querySelector({css:?}); e.value = {value:?}; \
         e.dispatchEvent(new Event('change', {{ bubbles: true }}))"
    )
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
    let _turn = common::one_window();
    webdriver::ensure_installed().unwrap_or_else(|e| panic!("{e}"));
    // `VIGIE_E2E_APP` runs the walk on another build (the release one, for its figures).
    let app =
        std::env::var_os("VIGIE_E2E_APP").map(PathBuf::from).unwrap_or_else(|| env!("CARGO_BIN_EXE_vigie-app").into());
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
    common::monaco_basemap(&basemap);
    let mut platform = Platform::new(&platform_dir, &basemap);
    let gpsd = common::car_gpsd(tmp.path(), CAR);
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
    // The walk starts once the map has drawn everything (the officer looks at it first).
    s.wait_script(
        "const s = window.vigieMap && JSON.parse(window.vigieMap.stats()); \
         return s && s.tilesLoaded && s.bySource.cameras > 0 || null",
        long,
    )
    .unwrap_or_else(|e| {
        let st = s.execute(
            "return [window.vigieMap ? window.vigieMap.stats() : 'no map', document.body.innerText.slice(0, 400)]",
            json!([]),
        );
        panic!("{e}: the page: {st:?}")
    });
    std::thread::sleep(Duration::from_secs(1));
    let mut walk = Walk { s: &s, taps: 0, steps: Vec::new() };
    walk.step(
        "Autour de moi",
        1,
        &tap("#tab-around"),
        "return !!document.querySelector('#around-list li .sees-in_view, #around-list li .sees-possible')",
    );
    // The nearest camera that saw (or, turning, could see) the car's position.
    walk.step(
        "Réquisition pour la caméra la plus proche qui voyait",
        1,
        "[...document.querySelectorAll('#around-list li')] \
           .find(l => l.querySelector('.sees-in_view, .sees-possible')).querySelector('button.draft').click()",
        "return !!document.querySelector('#draft-procedure')",
    );
    // A select is two taps on a phone: open it, choose.
    walk.step(
        "Fondement : 77-1-1",
        2,
        &choose("#draft-basis", "77-1-1"),
        "return [...document.querySelectorAll('#draft-problems li.blocking')].some(l => l.textContent.includes('77-1-1'))",
    );
    let blocked = s.wait_text("#draft-problems", long, |t| t.contains("autorisation du procureur")).unwrap();
    assert!(blocked.contains("obligatoire"), "{blocked}");
    assert_eq!(s.execute("return document.querySelector('#draft-sign').disabled", json!([])).unwrap(), json!(true));
    s.screenshot(&shots.join("r1-77-1-1-blocked.png")).unwrap();
    walk.step(
        "Autorisation : instructions générales",
        2,
        &choose("#draft-authorisation", "general"),
        "return !!document.querySelector('#draft-reference')",
    );
    walk.step(
        "Référence de l'autorisation",
        1,
        &fill("#draft-reference", "IG-2026-04 Parquet de Monaco"),
        "return ![...document.querySelectorAll('#draft-problems li.blocking')].some(l => l.textContent.includes('77-1-1'))",
    );
    // The registry does not know who keeps these recordings: the officer names them.
    walk.step(
        "Détenteur",
        1,
        &fill("#draft-holder", "Société des Bains de Mer"),
        "return ![...document.querySelectorAll('#draft-problems li')].some(l => l.dataset.field == 'holder')",
    );
    walk.step(
        "N° de procédure",
        1,
        &fill("#draft-procedure", "2026/004512"),
        "return ![...document.querySelectorAll('#draft-problems li')].some(l => l.dataset.field == 'procedure')",
    );
    walk.step(
        "Nature des faits",
        1,
        &fill("#draft-facts", "Vol à l'arraché d'un sac à main"),
        "return !document.querySelector('#draft-sign').disabled",
    );
    let preview = s.wait_text("#draft-preview", long, |t| t.contains("Réquisition 77-1-1")).unwrap();
    assert!(preview.contains("IG-2026-04") && preview.contains("Société des Bains de Mer"), "{preview}");
    walk.step(
        "Code PIN",
        1,
        &fill("#draft-pin", OFFICER_PIN),
        "return document.querySelector('#draft-pin').value.length == 6",
    );
    walk.step(
        "Signer",
        1,
        &tap("#draft-sign"),
        "const li = document.querySelector('#outbox li'); return !!li && li.textContent.includes(\"en attente d'envoi\")",
    );
    s.screenshot(&shots.join("r2-outbox-queued.png")).unwrap();
    println!("walk from app open to a signed requisition in the outbox (offline):");
    for (what, taps, t) in &walk.steps {
        println!("  {t:>6.0} ms  {taps} tap(s)  {what}");
    }
    println!("  total {} taps", walk.taps);
    // What the first step's figure is made of: the shell's answer alone (the rest is the
    // page: the panel opening beside the map, which redraws at its new width).
    s.execute(
        "window.__vigieAround = null; const t0 = performance.now(); \
         window.__TAURI_INTERNALS__.invoke('around', { request: { point: null, at: null, radius_m: 300, only_seeing: false } }) \
           .then(() => { window.__vigieAround = performance.now() - t0; })",
        json!([]),
    )
    .unwrap();
    let around_ms = s.wait_script("return window.__vigieAround", long).unwrap();
    println!("  (the « around » command alone: {:.0} ms)", around_ms.as_f64().unwrap_or(f64::NAN));
    // `cargo xtask bench` runs this walk on the release app and collects the figures here.
    if let Some(file) = std::env::var_os("VIGIE_WALK_REPORT") {
        let mut lines: String = walk.steps.iter().map(|(what, _, ms)| format!("{what}\t{ms}\n")).collect();
        lines.push_str(&format!("taps\t{}\n", walk.taps));
        std::fs::write(file, lines).unwrap();
    }
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

    // A new draft, half typed, when the app goes away: nothing typed is lost.
    s.click_css("#tab-around").unwrap();
    s.wait_for("#around-list li button.draft", long).unwrap();
    s.click_css("#around-list li button.draft").unwrap();
    s.type_into("#draft-facts", "Rixe devant le casino").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    s.close().unwrap();
    drop(driver);
    let driver = Driver::start(&officer_env).unwrap_or_else(|e| panic!("{e}"));
    let s = driver.session(&app).unwrap_or_else(|e| panic!("{e}"));
    s.wait_text("#toast", long, |t| t.contains("Brouillon en cours repris")).unwrap();
    let facts = s.execute("return document.querySelector('#draft-facts').value", json!([])).unwrap();
    assert_eq!(facts, json!("Rixe devant le casino"));
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
