//! Idempotent set-up of a fresh Debian machine: apt packages, rustup targets, cargo tools.
//!
//! As root, missing apt packages are installed; otherwise the exact `sudo apt-get install`
//! line is printed and the task stops. Nothing is downloaded at run time of the app: this is
//! build-time set-up only, from the package registries.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};

/// Debian packages needed to build and test everything (Tauri's WebKitGTK stack, Xvfb for
/// the window tests, WebKitWebDriver, GStreamer's H.264 decoder, fonts, gpsd).
pub const APT_PACKAGES: &[&str] = &[
    "pkg-config",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "librsvg2-dev",
    "libayatana-appindicator3-dev",
    "libxdo-dev",
    "libssl-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "gstreamer1.0-libav",
    "fonts-dejavu-core",
    "libgl1-mesa-dri",
    "mesa-utils",
    // gpsd and gpsfake: the car GNSS source is tested against a real gpsd.
    "gpsd",
    "gpsd-clients",
    // pdftotext and pdftoppm: the printed requisition is read back by a real PDF reader.
    "poppler-utils",
    // ffmpeg and ffprobe: H.264 test streams for the live relay, and a real demuxer to read its output.
    "ffmpeg",
    // The simulated body-cam's gateway: GStreamer's RTSP server (from Debian's Python), x264
    // to encode, the RTP payloader and the parsers.
    "python3-gi",
    "gir1.2-gst-rtsp-server-1.0",
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-ugly",
    // The WHIP body-cam: GStreamer's webrtcbin (plugins-bad) and its ICE (libnice).
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-nice",
    "gir1.2-gst-plugins-bad-1.0",
    // A webview with WebRTC, for the player's WHEP path: headless Chromium (Android's
    // WebView is Chromium) driven by chromedriver.
    "chromium",
    "chromium-driver",
];

/// Installs the missing Debian packages among `pkgs`.
pub fn apt(pkgs: &[&str]) -> anyhow::Result<()> {
    let missing: Vec<&str> = pkgs.iter().copied().filter(|p| !dpkg_installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        bail!(
            "missing Debian packages; install them with:\n    sudo apt-get install -y {}\nthen run this command again",
            missing.join(" ")
        );
    }
    eprintln!("installing Debian packages: {}", missing.join(" "));
    crate::run_cmd(Command::new("apt-get").args(["update", "-qq"]))?;
    crate::run_cmd(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing),
    )
}

fn dpkg_installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// The version of `name` pinned in Cargo.lock.
pub fn locked_version(name: &str) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(crate::root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{name}\"") {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    bail!("`{name}` is not in Cargo.lock")
}

/// Makes sure `bin --version` prints `version`, installing `krate` at exactly that version
/// with `cargo install` otherwise. `locked` adds `--locked`.
pub fn cargo_tool(bin: &str, krate: &str, version: &str, locked: bool) -> anyhow::Result<()> {
    let have = Command::new(bin).arg("--version").output().ok().filter(|o| o.status.success());
    if let Some(out) = have {
        if String::from_utf8_lossy(&out.stdout).split_whitespace().any(|w| w == version) {
            return Ok(());
        }
    }
    // Tools without `--version` (tauri-driver): what cargo says it installed.
    let listed = crate::cargo().args(["install", "--list"]).output().ok();
    if listed.is_some_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l == format!("{krate} v{version}:"))) {
        return Ok(());
    }
    eprintln!("installing {krate} {version} (once per machine)");
    let mut cmd = crate::cargo();
    cmd.args(["install", krate, "--version", &format!("={version}")]);
    if locked {
        cmd.arg("--locked");
    }
    crate::run_cmd(&mut cmd)
}

/// A throw-away PostgreSQL cluster on loopback for the storage tests, stopped and deleted
/// when dropped.
pub struct Postgres {
    pub url: String,
    bin: PathBuf,
    dir: PathBuf,
    as_postgres: bool,
}

impl Postgres {
    /// Installs PostgreSQL if missing, then creates and starts a cluster in a fresh
    /// directory on a free port, trusting loopback connections, without fsync.
    pub fn start() -> anyhow::Result<Postgres> {
        apt(&["postgresql"])?;
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .context("PostgreSQL is installed under /usr/lib/postgresql")?
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|p| p.join("initdb").exists())
            .max()
            .context("no initdb under /usr/lib/postgresql/*/bin")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = std::env::temp_dir().join(format!("vigie-pg-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        // initdb refuses to run as root: the cluster then belongs to the postgres user.
        let as_postgres = is_root();
        if as_postgres {
            crate::run_cmd(Command::new("chown").args(["postgres:postgres"]).arg(&dir))?;
        }
        let pg = Postgres { url: format!("postgres://postgres@127.0.0.1:{port}/postgres"), bin, dir, as_postgres };
        pg.run("initdb", &["-A", "trust", "-U", "postgres", "--no-sync", "-D"], &[pg.dir.as_os_str()])?;
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            pg.dir.display()
        );
        let log = pg.dir.join("server.log");
        pg.run(
            "pg_ctl",
            &["-w", "-o", &opts, "-l"],
            &[log.as_os_str(), "-D".as_ref(), pg.dir.as_os_str(), "start".as_ref()],
        )?;
        eprintln!("PostgreSQL test cluster on 127.0.0.1:{port} ({})", pg.dir.display());
        Ok(pg)
    }

    fn command(&self, tool: &str) -> Command {
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(tool));
            c
        } else {
            Command::new(self.bin.join(tool))
        }
    }

    fn run(&self, tool: &str, args: &[&str], more: &[&std::ffi::OsStr]) -> anyhow::Result<()> {
        let out = self.command(tool).args(args).args(more).output().with_context(|| format!("starting {tool}"))?;
        anyhow::ensure!(
            out.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").args(["-m", "immediate", "-D"]).arg(&self.dir).arg("stop").output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.trim_ascii() == b"0").unwrap_or(false)
}
