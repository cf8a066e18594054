//! `cargo xtask bench`: the benchmark harnesses, in release mode, one after the other (so
//! they do not compete for the two cores): the core's (crates/vigie-bench), the
//! platform's (crates/vigie-server/benches), then the app's: the UI bundle's size, the
//! time from starting the app to its map being interactive, and the walk from app open to
//! a signed requisition (taps, and each step's response). Each prints its figures and
//! compares them with its previous run on this machine. Options are passed to the core
//! harness; `--only-app` runs the app's alone.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    if args.iter().any(|a| a == "--only-app") {
        return app();
    }
    crate::run_cmd(crate::cargo().args(["run", "--release", "-p", "vigie-bench", "--"]).args(args))?;
    crate::run_cmd(crate::cargo().args(["bench", "-p", "vigie-server", "--bench", "documents"]))?;
    crate::run_cmd(crate::cargo().args(["bench", "-p", "vigie-server", "--bench", "live"]))?;
    app()
}

/// How many times the app is started.
const STARTS: usize = 7;

/// The UI bundle and the app's time to an interactive map.
fn app() -> anyhow::Result<()> {
    crate::setup::apt(crate::setup::APT_PACKAGES)?;
    let dist = crate::ui::build(&crate::ui::Options::default())?;
    // The release app, as officers get it (the embedded UI needs `custom-protocol`).
    crate::run_cmd(crate::cargo().args(["build", "--release", "-p", "vigie-app", "--features", "custom-protocol"]))?;
    let bin = crate::target_dir().join("release").join(format!("vigie-app{}", std::env::consts::EXE_SUFFIX));

    let mut figures: Vec<(String, f64)> = Vec::new();
    let mut total = (0u64, 0u64);
    for (name, rel) in [
        ("wasm", "vigie_ui_bg.wasm"),
        ("wasm-bindgen JS", "vigie_ui.js"),
        ("map bridge JS", ""),
        ("MapLibre GL JS", "maplibre/maplibre-gl.js"),
        ("MapLibre CSS", "maplibre/maplibre-gl.css"),
        ("index.html", "index.html"),
    ] {
        let path = if rel.is_empty() { find(&dist.join("snippets"), "bridge.js")? } else { dist.join(rel) };
        let (raw, gz) = sizes(&path)?;
        total = (total.0 + raw, total.1 + gz);
        figures.push((format!("{name} (kB)"), raw as f64 / 1e3));
        figures.push((format!("{name} gzip (kB)"), gz as f64 / 1e3));
    }
    figures.push(("bundle total (kB)".into(), total.0 as f64 / 1e3));
    figures.push(("bundle total gzip (kB)".into(), total.1 as f64 / 1e3));

    // A device with the Monaco area on it, offline, no position source.
    let device = crate::target_dir().join("bench/app-device");
    let _ = std::fs::remove_dir_all(&device);
    std::fs::create_dir_all(device.join("areas"))?;
    let basemap = crate::target_dir().join("basemap");
    let osm = crate::root().join("../shared/data/osm/monaco-2025-02-11.osm.pbf");
    if !basemap.join("monaco.pmtiles").is_file() {
        anyhow::ensure!(osm.is_file(), "../shared/data is absent ({}): no basemap to measure with", osm.display());
        crate::tiles::build_area(&osm, &basemap, "monaco")?;
    }
    let tiles = device.join("areas/monaco.pmtiles");
    std::fs::copy(basemap.join("monaco.pmtiles"), &tiles)?;
    let info = vigie_tiles::TilesetInfo::read(&tiles)?;
    // What the app records after a download (`vigie_core::sync::AreaInfo`); the hash only
    // matters against the platform's list, and the bench is offline.
    let area = format!(
        r#"{{"id":"monaco","name":"Monaco","bounds":{:?},"center":{:?},"min_zoom":{},"max_zoom":{},"bytes":{},"sha256":""}}"#,
        info.bounds,
        info.center,
        info.min_zoom,
        info.max_zoom,
        std::fs::metadata(&tiles)?.len()
    );
    std::fs::write(device.join("areas/monaco.json"), area)?;

    let mut times = Vec::new();
    for i in 0..STARTS {
        let ms = time_to_map(&bin, &device)?;
        eprintln!("  start {}: map interactive after {ms:.0} ms", i + 1);
        // The first start pays for cold caches (fonts, shaders); report it apart.
        if i == 0 {
            figures.push(("first start to interactive map (ms)".into(), ms));
        } else {
            times.push(ms);
        }
    }
    times.sort_by(f64::total_cmp);
    figures.push(("start to interactive map, median (ms)".into(), times[times.len() / 2]));
    figures.push(("start to interactive map, worst (ms)".into(), *times.last().unwrap()));
    figures.extend(walk(&bin)?);
    figures.extend(live(&bin)?);
    report(&figures, &crate::target_dir().join("bench/app.txt"))
}

/// How many times the requisition walk is made.
const WALKS: usize = 3;

/// The walk from app open to a signed requisition in the outbox (the end-to-end test
/// `requisition_app`, on the release app): each step's response, median of the walks,
/// and the worst step of all.
fn walk(bin: &Path) -> anyhow::Result<Vec<(String, f64)>> {
    let report = crate::target_dir().join("bench/walk.tsv");
    let mut steps: Vec<(String, Vec<f64>)> = Vec::new();
    for i in 0..WALKS {
        let _ = std::fs::remove_file(&report);
        crate::run_cmd(app_test("requisition_app").env("VIGIE_E2E_APP", bin).env("VIGIE_WALK_REPORT", &report))?;
        let text = std::fs::read_to_string(&report).with_context(|| report.display().to_string())?;
        for (j, line) in text.lines().enumerate() {
            let (name, v) = line.split_once('\t').context("walk report line")?;
            if i == 0 {
                steps.push((name.to_string(), Vec::new()));
            }
            steps.get_mut(j).context("the walks differ")?.1.push(v.parse()?);
        }
    }
    let mut out = Vec::new();
    let mut worst: f64 = 0.0;
    for (name, mut v) in steps {
        v.sort_by(f64::total_cmp);
        if name == "taps" {
            out.push(("walk: taps to a signed requisition".to_string(), v[0]));
        } else {
            worst = worst.max(*v.last().unwrap());
            out.push((format!("walk: {name} (ms)"), v[v.len() / 2]));
        }
    }
    out.push(("walk: worst step of all walks (ms)".into(), worst));
    Ok(out)
}

/// How many times the live stream is watched in the window.
const LIVE_RUNS: usize = 3;

/// A relayed body-cam in the release app's window (the end-to-end test `live_app`): each
/// frame's capture stamp, read back from the video element, against the page's clock;
/// medians of the runs.
fn live(bin: &Path) -> anyhow::Result<Vec<(String, f64)>> {
    // The simulated body-cam the tests start (beside them, in the test profile).
    crate::run_cmd(crate::cargo().args(["build", "-p", "vigie-relay", "--bin", "vigie-bodycam"]))?;
    // WebSocket + MSE in the release app's WebKitGTK window.
    let window = medians_of_runs("live_app", "VIGIE_LIVE_REPORT", Some(bin))?;
    // WHEP in headless Chromium (the webviews with WebRTC).
    let whep = medians_of_runs("live_whep", "VIGIE_WHEP_REPORT", None)?;
    Ok(vec![
        ("live: capture → shown in the window, p50 (ms)".into(), window("p50_ms")?),
        ("live: capture → shown in the window, p95 (ms)".into(), window("p95_ms")?),
        ("live: « Regarder » → first frame shown (ms)".into(), window("first_frame_ms")?),
        ("live: relay back → picture back (ms)".into(), window("resume_ms")?),
        ("live WHEP (Chromium): capture → shown, p50 (ms)".into(), whep("p50_ms")?),
        ("live WHEP (Chromium): capture → shown, p95 (ms)".into(), whep("p95_ms")?),
        ("live WHEP (Chromium): start → first frame shown (ms)".into(), whep("first_frame_ms")?),
        ("live WHEP (Chromium): relay back → picture back (ms)".into(), whep("resume_ms")?),
    ])
}

/// `cargo test` of the app's end-to-end tests in `module` alone (they are modules of one
/// test binary, `src-tauri/tests/integration.rs`), printing what they print.
fn app_test(module: &str) -> std::process::Command {
    let mut cmd = crate::cargo();
    cmd.args(["test", "-p", "vigie-app", "--test", "integration", "--", &format!("{module}::"), "--nocapture"]);
    cmd
}

/// Runs end-to-end test `test` of the app crate [`LIVE_RUNS`] times, each writing its
/// figures (`key\tvalue` lines) where `report_var` says: the median of each figure.
fn medians_of_runs(
    test: &str,
    report_var: &str,
    app: Option<&Path>,
) -> anyhow::Result<impl Fn(&str) -> anyhow::Result<f64>> {
    let report = crate::target_dir().join(format!("bench/{test}.tsv"));
    let mut runs: Vec<std::collections::HashMap<String, f64>> = Vec::new();
    for _ in 0..LIVE_RUNS {
        let _ = std::fs::remove_file(&report);
        let mut cmd = app_test(test);
        cmd.env(report_var, &report);
        if let Some(app) = app {
            cmd.env("VIGIE_E2E_APP", app);
        }
        crate::run_cmd(&mut cmd)?;
        let text = std::fs::read_to_string(&report).with_context(|| report.display().to_string())?;
        runs.push(
            text.lines()
                .filter_map(|l| l.split_once('\t').and_then(|(k, v)| Some((k.to_string(), v.parse().ok()?))))
                .collect(),
        );
    }
    Ok(move |key: &str| -> anyhow::Result<f64> {
        let mut v: Vec<f64> =
            runs.iter().map(|r| r.get(key).copied().context(key.to_string())).collect::<Result<_, _>>()?;
        v.sort_by(f64::total_cmp);
        Ok(v[v.len() / 2])
    })
}

/// Starts the app under Xvfb in smoke mode and returns the milliseconds from its exec to
/// `VIGIE_UI_READY`, which the UI sends on the map's first `idle` (style, basemap tiles and
/// cameras drawn, nothing moving: it answers taps).
fn time_to_map(bin: &Path, device: &Path) -> anyhow::Result<f64> {
    let mut child = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24", "sh", "-c", "date +%s%N; exec \"$0\""])
        .arg(bin)
        .env("VIGIE_SMOKE", "1")
        .env("VIGIE_DATA_DIR", device)
        .env("VIGIE_GPSD", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("xvfb-run")?;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started: u128 = lines.next().context("no start time")??.trim().parse()?;
    let deadline = SystemTime::now() + Duration::from_secs(60);
    for line in lines {
        let line = line?;
        if line.starts_with("VIGIE_UI_READY") {
            let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
            child.wait()?;
            return Ok((now - started) as f64 / 1e6);
        }
        anyhow::ensure!(SystemTime::now() < deadline, "the map was not ready within a minute");
    }
    let _ = child.kill();
    anyhow::bail!("the app ended without drawing its map")
}

/// Raw and gzip -9 sizes of a file.
fn sizes(path: &Path) -> anyhow::Result<(u64, u64)> {
    let raw = std::fs::metadata(path).with_context(|| path.display().to_string())?.len();
    let gz = Command::new("gzip").args(["-9", "-c"]).arg(path).output().context("gzip")?.stdout.len() as u64;
    Ok((raw, gz))
}

/// The first file named `name` under `dir`.
fn find(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    for entry in std::fs::read_dir(dir).with_context(|| dir.display().to_string())? {
        let p = entry?.path();
        if p.is_dir() {
            if let Ok(found) = find(&p, name) {
                return Ok(found);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Ok(p);
        }
    }
    anyhow::bail!("no {name} under {}", dir.display())
}

/// Prints the figures beside the previous run's (kept in `file` as `name<TAB>value`).
fn report(figures: &[(String, f64)], file: &Path) -> anyhow::Result<()> {
    let before: std::collections::HashMap<String, f64> = std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('\t').and_then(|(k, v)| Some((k.to_string(), v.parse().ok()?))))
        .collect();
    eprintln!("\n== app: bundle and start (this machine; previous run in {})", file.display());
    for (name, value) in figures {
        match before.get(name) {
            Some(b) if *b > 0.0 => eprintln!("{name:<42} {value:>9.1}   (before {b:.1}, ×{:.2})", value / b),
            _ => eprintln!("{name:<42} {value:>9.1}"),
        }
    }
    std::fs::create_dir_all(file.parent().unwrap())?;
    let text: String = figures.iter().map(|(n, v)| format!("{n}\t{v}\n")).collect();
    std::fs::write(file, text)?;
    Ok(())
}
