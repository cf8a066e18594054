//! `cargo xtask run`: the main job. Starts the platform (`vigie-server` over a SQLite file
//! in `target/demo`, seeded once from `../shared/data`: the Monaco OSM cameras, the Paris
//! Préfecture de police plan, a demo unit and its users), then the app; stopping the app
//! stops the platform.

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
    let bin = build_app()?;
    eprintln!("app: {} (platform at {})", bin.display(), platform.url);
    let status = Command::new(&bin)
        .current_dir(crate::root())
        .status()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", bin.display()))?;
    drop(platform);
    anyhow::ensure!(status.success(), "the app exited with {status}");
    Ok(())
}

/// The demo platform, stopped (SIGINT, then SIGKILL) when dropped.
struct Platform {
    child: std::process::Child,
    url: String,
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
            seed(&cli)?;
            std::fs::write(&seeded, "seeded from ../shared/data\n")?;
        }
        anyhow::ensure!(
            std::net::TcpListener::bind(DEMO_LISTEN).is_ok(),
            "{DEMO_LISTEN} is taken: stop what listens there (another `cargo xtask run`?)"
        );
        let child = Command::new(&server)
            .arg("serve")
            .env("VIGIE_DATABASE_URL", &database_url)
            .env("VIGIE_LISTEN", DEMO_LISTEN)
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", server.display()))?;
        let platform = Platform { child, url: format!("http://{DEMO_LISTEN}") };
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

/// Seeds the demo platform: the real camera files, a unit, an officer, a supervisor and
/// an administrator (whose devices an administrator approves with `vigie-server device`).
fn seed(cli: &dyn Fn(&[&str]) -> anyhow::Result<()>) -> anyhow::Result<()> {
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
