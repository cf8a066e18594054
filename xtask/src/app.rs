//! `cargo xtask run`: the main job. Starts the platform (`vigie-server` over a SQLite file
//! in `target/demo`, seeded once from `../shared/data`: the Monaco OSM cameras, the Paris
//! Préfecture de police plan, a demo unit and its users, and the Monaco basemap built from
//! the OSM extract), then the app, which enrols as the demo officer (DEMO-001); the
//! demo approves it as an administrator would, and the app downloads the Monaco area and
//! opens on it. Stopping the app stops the platform.

use std::path::PathBuf;
use std::process::Command;

use crate::{setup, ui};

/// `cargo xtask run`: set-up, build, then start the app in the foreground.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(a) = args.first() {
        anyhow::bail!("unknown option for `run`: {a}");
    }
    if !has_display() {
        eprintln!(
            "\
Pas d'écran : ni DISPLAY ni WAYLAND_DISPLAY n'est défini, la fenêtre ne peut pas s'ouvrir.
No display: neither DISPLAY nor WAYLAND_DISPLAY is set, so the window cannot open.
Sur une machine sans écran, lancez-la dans un serveur X virtuel :
On a headless machine, run it inside a virtual X server:
    xvfb-run -a cargo xtask run"
        );
        std::process::exit(1);
    }
    setup::apt(setup::APT_PACKAGES)?;
    let platform = Platform::start()?;
    let bodycam = Bodycam::start(&platform);
    let bin = build_app()?;
    eprintln!("app: {} (platform at {})", bin.display(), platform.url);
    let app_data = crate::target_dir().join("demo/app");
    let mut app = Command::new(&bin)
        .current_dir(crate::root())
        .env("VIGIE_DATA_DIR", &app_data)
        // The demo officer's PIN (it seals the device key; the « Compte » screen asks for it
        // after a restart before syncing).
        .env("VIGIE_ENROL", format!("{},DEMO-001,{DEMO_DEVICE},{DEMO_PIN}", platform.url))
        .env("VIGIE_AUTO_AREA", "monaco")
        .env("VIGIE_SYNC_INTERVAL_S", "5")
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", bin.display()))?;
    platform.approve_demo_device(&mut app);
    let status = app.wait()?;
    drop(bodycam);
    drop(platform);
    anyhow::ensure!(status.success(), "the app exited with {status}");
    Ok(())
}

/// The demo officer's PIN.
const DEMO_PIN: &str = "246810";

/// The name the demo app enrols under.
const DEMO_DEVICE: &str = "Démo Vigie (cargo xtask run)";

/// The demo platform, stopped (SIGINT, then SIGKILL) when dropped.
struct Platform {
    child: std::process::Child,
    url: String,
    server: PathBuf,
    database_url: String,
}

const DEMO_LISTEN: &str = "127.0.0.1:8787";

impl Platform {
    fn start() -> anyhow::Result<Platform> {
        crate::run_cmd(crate::cargo().args(["build", "-p", "vigie-server", "--bin", "vigie-server"]))?;
        let server = crate::target_dir().join("debug").join(format!("vigie-server{}", std::env::consts::EXE_SUFFIX));
        let demo = crate::target_dir().join("demo");
        std::fs::create_dir_all(&demo)?;
        let database_url = format!("sqlite://{}", demo.join("platform.sqlite3").display());
        let cli = |args: &[&str]| -> anyhow::Result<()> {
            crate::run_cmd(
                Command::new(&server).args(args).env("VIGIE_DATABASE_URL", &database_url).env("VIGIE_LOG", "warn"),
            )
        };
        let seeded = demo.join("seeded");
        if !seeded.exists() {
            seed(&cli, &server, &database_url)?;
            std::fs::write(&seeded, "seeded from ../shared/data\n")?;
        }
        // The body-cam that pushes by WHIP (added to demos seeded before it existed too).
        if !demo.join("bodycam-whip.json").exists() {
            let label = "Caméra-piéton 7 — patrouille port Hercule (WHIP)";
            let motif = "démonstration : patrouille du port Hercule";
            add_demo_stream(&server, &database_url, label, "whip", motif, "bodycam-whip.json")?;
        }
        anyhow::ensure!(
            std::net::TcpListener::bind(DEMO_LISTEN).is_ok(),
            "{DEMO_LISTEN} is taken: stop what listens there (another `cargo xtask run`?)"
        );
        let basemap = demo.join("basemap");
        let osm = crate::root().join("../shared/data/osm/monaco-2025-02-11.osm.pbf");
        if !basemap.join("monaco.pmtiles").is_file() {
            if osm.is_file() {
                crate::tiles::build_area(&osm, &basemap, "monaco")?;
            } else {
                eprintln!("../shared/data is absent ({}): the demo platform offers no basemap", osm.display());
            }
        }
        let child = Command::new(&server)
            .arg("serve")
            .env("VIGIE_DATABASE_URL", &database_url)
            .env("VIGIE_LISTEN", DEMO_LISTEN)
            .env("VIGIE_BASEMAP_DIR", &basemap)
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", server.display()))?;
        let platform = Platform { child, url: format!("http://{DEMO_LISTEN}"), server, database_url };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while std::net::TcpStream::connect(DEMO_LISTEN).is_err() {
            anyhow::ensure!(
                std::time::Instant::now() < deadline,
                "the platform did not start listening on {DEMO_LISTEN}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        eprintln!("platform: {} (database {})", platform.url, demo.join("platform.sqlite3").display());
        Ok(platform)
    }
}

impl Platform {
    /// Approves the demo app's enrolment as an administrator would (`vigie-server device
    /// approve`), once it appears; gives up after a minute or when the app exits.
    fn approve_demo_device(&self, app: &mut std::process::Child) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline && matches!(app.try_wait(), Ok(None)) {
            let out = Command::new(&self.server)
                .args(["device", "list"])
                .env("VIGIE_DATABASE_URL", &self.database_url)
                .env("VIGIE_LOG", "warn")
                .output();
            let Ok(out) = out else { return };
            let text = String::from_utf8_lossy(&out.stdout);
            let mine: Vec<(String, bool)> = text
                .lines()
                .filter(|l| l.contains(DEMO_DEVICE))
                .filter_map(|l| {
                    let mut w = l.split_whitespace();
                    Some((w.next()?.to_string(), w.next()? == "pending"))
                })
                .collect();
            if mine.iter().any(|(_, pending)| !pending) {
                return;
            }
            if let Some((id, _)) = mine.first() {
                eprintln!("demo: approving the app's device {id} as the administrator DEMO-900 would");
                let _ = Command::new(&self.server)
                    .args(["device", "approve", id])
                    .env("VIGIE_DATABASE_URL", &self.database_url)
                    .status();
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the demo's simulated body-cam serves its RTSP stream.
const DEMO_RTSP: &str = "rtsp://127.0.0.1:8554/bodycam";

/// The demo's body-cams, relayed to the demo unit: « En direct » shows them walking, one
/// behind its RTSP gateway (`crates/vigie-relay/publish/bodycam-rtsp.py`) around the
/// Casino, one publishing by WHIP itself (`bodycam-whip.py`) along the port. Stopped when
/// dropped.
struct Bodycam(Vec<std::process::Child>);

impl Bodycam {
    fn start(platform: &Platform) -> Bodycam {
        let stream = |file: &str| -> anyhow::Result<(String, String)> {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(crate::target_dir().join("demo").join(file))?)?;
            let field = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            Ok((field("id"), field("publisher_key")))
        };
        let script = |name: &str| crate::root().join("crates/vigie-relay/publish").join(name);
        let bin = crate::target_dir().join("debug").join(format!("vigie-bodycam{}", std::env::consts::EXE_SUFFIX));
        let mut children = Vec::new();
        if let Err(e) = crate::run_cmd(crate::cargo().args(["build", "-p", "vigie-relay", "--bin", "vigie-bodycam"])) {
            eprintln!("body-cams: not started ({e}); « En direct » stays empty");
            return Bodycam(children);
        }
        let rtsp = || -> anyhow::Result<std::process::Child> {
            let (id, key) = stream("bodycam.json")?;
            Ok(Command::new("/usr/bin/python3")
                .arg(script("bodycam-rtsp.py"))
                .arg("--bodycam")
                .arg(&bin)
                .args(["--port", "8554", "--key", &key])
                .args(["--report", &format!("{}/v1/live/{id}/position", platform.url)])
                .args(["--route", "43.73940,7.42760;43.73905,7.42690;43.73860,7.42780;43.73910,7.42850"])
                .stdout(std::process::Stdio::null())
                .spawn()?)
        };
        match rtsp() {
            Ok(child) => {
                eprintln!("body-cam: {DEMO_RTSP}, relayed to the demo unit (« En direct »)");
                children.push(child);
            }
            Err(e) => eprintln!("body-cam (RTSP): not started ({e})"),
        }
        let whip = || -> anyhow::Result<std::process::Child> {
            let (id, key) = stream("bodycam-whip.json")?;
            Ok(Command::new("/usr/bin/python3")
                .arg(script("bodycam-whip.py"))
                .arg("--bodycam")
                .arg(&bin)
                .args(["--whip", &format!("{}/v1/live/{id}/whip", platform.url), "--key", &key])
                .args(["--report", &format!("{}/v1/live/{id}/position", platform.url)])
                .args(["--route", "43.73480,7.42150;43.73420,7.42230;43.73360,7.42310;43.73300,7.42380"])
                .stdout(std::process::Stdio::null())
                .spawn()?)
        };
        match whip() {
            Ok(child) => {
                eprintln!("body-cam: publishing by WHIP to the platform, relayed to the demo unit");
                children.push(child);
            }
            Err(e) => eprintln!("body-cam (WHIP): not started ({e})"),
        }
        Bodycam(children)
    }
}

impl Drop for Bodycam {
    fn drop(&mut self) {
        for c in &mut self.0 {
            // SIGTERM first: the WHIP body-cam ends its session.
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Seeds the demo platform: the real camera files, a unit, an officer, a supervisor and
/// an administrator (whose devices an administrator approves with `vigie-server device`),
/// and a body-cam stream relayed to the unit (its gateway's key kept in
/// `target/demo/bodycam.json`).
fn seed(
    cli: &dyn Fn(&[&str]) -> anyhow::Result<()>,
    server: &std::path::Path,
    database_url: &str,
) -> anyhow::Result<()> {
    let data = crate::root().join("../shared/data/cameras");
    if data.is_dir() {
        let monaco = data.join("monaco-osm-2025.geojson");
        let paris = data.join("paris-prefecture-police-2013.geojson");
        cli(&["import", &monaco.to_string_lossy()])?;
        cli(&["import", &paris.to_string_lossy(), "--holder", "Préfecture de police"])?;
    } else {
        eprintln!("../shared/data is absent ({}): the demo platform starts with an empty registry", data.display());
    }
    cli(&["unit", "add", "--code", "DEMO", "--name", "Unité de démonstration"])?;
    for (rio, name, role) in [
        ("DEMO-001", "Camille Martin", "officer"),
        ("DEMO-002", "Dominique Bernard", "supervisor"),
        ("DEMO-900", "Administrateur de démonstration", "admin"),
    ] {
        cli(&[
            "user",
            "add",
            "--rio",
            rio,
            "--name",
            name,
            "--rank",
            "brigadier-chef",
            "--qualite",
            "OPJ",
            "--unit",
            "DEMO",
            "--role",
            role,
        ])?;
    }
    let label = "Caméra-piéton 12 — patrouille Casino";
    add_demo_stream(
        server,
        database_url,
        label,
        DEMO_RTSP,
        "démonstration : patrouille place du Casino",
        "bodycam.json",
    )
}

/// Registers a demo body-cam stream relayed to the demo unit; its id and publisher key go
/// to `target/demo/{file}`.
fn add_demo_stream(
    server: &std::path::Path,
    database_url: &str,
    label: &str,
    source: &str,
    motif: &str,
    file: &str,
) -> anyhow::Result<()> {
    let out = Command::new(server)
        .args(["live", "add", "--label", label, "--source", source, "--grant", "DEMO", "--motif", motif])
        .env("VIGIE_DATABASE_URL", database_url)
        .env("VIGIE_LOG", "warn")
        .output()?;
    anyhow::ensure!(out.status.success(), "vigie-server live add: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(crate::target_dir().join("demo").join(file), &out.stdout)?;
    Ok(())
}

/// Builds the UI (`cargo xtask ui`) then `vigie-app` (debug); returns the binary's path.
pub fn build_app() -> anyhow::Result<PathBuf> {
    ui::build(&ui::Options::default())?;
    crate::run_cmd(crate::cargo().args(["build", "-p", "vigie-app", "--bin", "vigie-app"]))?;
    let bin = crate::target_dir().join("debug").join(format!("vigie-app{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(bin.is_file(), "{} was not built", bin.display());
    Ok(bin)
}

/// Whether a window can open here (X11 or Wayland).
fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}
