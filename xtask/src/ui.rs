//! `cargo xtask ui`: builds the Leptos UI (src-ui) to wasm into `src-ui/dist`.
//!
//! Route A (standard): rustup's `wasm32-unknown-unknown` target and the workspace's cargo,
//! in the shared target dir. Route B (fallback, when rustup cannot add the target, or with
//! `--fallback`): Debian's `rustc-web` + `rust-web-src` with `-Zbuild-std` and rustup's
//! `rust-lld` as linker, in its own target dir (`target/wasm-fallback`): another compiler
//! must not share build artefacts. Both end with `wasm-bindgen --target web` (the CLI at
//! exactly the lock file's `wasm-bindgen` version) and a copy of `src-ui/index.html`.
//! Nothing is fetched at run time: the page loads only files from `dist/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

const TARGET: &str = "wasm32-unknown-unknown";
/// Debian packages of route B.
const FALLBACK_APT: &[&str] = &["rustc-web", "cargo-web", "rust-web-src"];
/// The file stem of the wasm-bindgen output (`vigie_ui.js`, `vigie_ui_bg.wasm`), which
/// `src-ui/index.html` imports.
const OUT_NAME: &str = "vigie_ui";

/// How to build the UI.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Force the fallback route (Debian `rustc-web` + `-Zbuild-std`).
    pub fallback: bool,
}

impl Options {
    pub fn from_args(args: &[String]) -> anyhow::Result<Options> {
        let mut o = Options::default();
        for a in args {
            match a.as_str() {
                "--fallback" => o.fallback = true,
                other => anyhow::bail!("unknown option for `ui`: {other}"),
            }
        }
        Ok(o)
    }
}

/// Builds the UI; returns the dist directory (`src-ui/dist`).
pub fn build(opts: &Options) -> anyhow::Result<PathBuf> {
    let wasm = if opts.fallback {
        build_route_b()?
    } else {
        match ensure_rustup_target() {
            Ok(()) => build_route_a()?,
            Err(e) => {
                eprintln!("rustup cannot provide {TARGET} ({e:#}); using the fallback route (Debian rustc-web)");
                build_route_b()?
            }
        }
    };
    let dist = crate::root().join("src-ui/dist");
    npm_ci()?;
    bindgen(&wasm, &dist)?;
    copy_if_changed(&crate::root().join("src-ui/index.html"), &dist.join("index.html"))?;
    let maplibre = crate::root().join("src-ui/node_modules/maplibre-gl");
    std::fs::create_dir_all(dist.join("maplibre"))?;
    for f in ["dist/maplibre-gl.js", "dist/maplibre-gl.css", "LICENSE.txt"] {
        let from = maplibre.join(f);
        copy_if_changed(&from, &dist.join("maplibre").join(from.file_name().unwrap()))?;
    }
    glyphs(&dist.join("glyphs"))?;
    eprintln!("UI built into {}", dist.display());
    Ok(dist)
}

/// Adds the rustup target unless it is already installed.
fn ensure_rustup_target() -> anyhow::Result<()> {
    let out = Command::new("rustup").args(["target", "list", "--installed"]).output().context("cannot run rustup")?;
    if out.status.success() && String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == TARGET) {
        return Ok(());
    }
    crate::run_cmd(Command::new("rustup").args(["target", "add", TARGET]))
}

/// Route A: rustup's target, the shared target dir. Returns the built `.wasm`.
fn build_route_a() -> anyhow::Result<PathBuf> {
    crate::run_cmd(crate::cargo().args(["build", "--release", "--target", TARGET, "-p", "vigie-ui"]))?;
    Ok(crate::target_dir().join(TARGET).join("release/vigie-ui.wasm"))
}

/// Route B: Debian's rustc-web with build-std, its own target dir. Returns the built `.wasm`.
fn build_route_b() -> anyhow::Result<PathBuf> {
    crate::setup::apt(FALLBACK_APT)?;
    let rustc = Path::new("/usr/bin/rustc");
    anyhow::ensure!(rustc.is_file(), "{} is missing after installing rustc-web", rustc.display());
    // rustup's own rust-lld links the wasm (Debian's rustc-web ships no rust-lld).
    let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output().context("cannot run rustup's rustc")?;
    anyhow::ensure!(sysroot.status.success(), "`rustc --print sysroot` failed");
    let lld = PathBuf::from(String::from_utf8(sysroot.stdout)?.trim())
        .join("lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld");
    anyhow::ensure!(lld.is_file(), "rust-lld not found at {}", lld.display());
    let target_dir = crate::target_dir().join("wasm-fallback");
    // Debian's cargo of the same release as its rustc and std sources (build-std reads
    // the std workspace, which follows its own cargo).
    let cargo = Path::new("/usr/bin/cargo");
    anyhow::ensure!(cargo.is_file(), "{} is missing after installing cargo-web", cargo.display());
    crate::run_cmd(
        Command::new(cargo)
            .current_dir(crate::root())
            .env("RUSTC", rustc)
            // Without it cargo ignores `-Z` silently and fails with "can't find crate for core".
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", &lld)
            .arg("build")
            .arg("--release")
            .arg("-Zbuild-std=std,panic_abort")
            .args(["--target", TARGET, "-p", "vigie-ui", "--target-dir"])
            .arg(&target_dir),
    )?;
    Ok(target_dir.join(TARGET).join("release/vigie-ui.wasm"))
}

/// `npm ci` in src-ui when node_modules does not match package-lock.json (MapLibre GL JS,
/// binaryen). The npm registry is reachable at build time; nothing is fetched at run time.
fn npm_ci() -> anyhow::Result<()> {
    let ui = crate::root().join("src-ui");
    let lock = std::fs::read(ui.join("package-lock.json")).context("reading src-ui/package-lock.json")?;
    // npm writes its own copy of the lock file into node_modules after an install.
    let installed = std::fs::read_to_string(ui.join("node_modules/.vigie-lock")).unwrap_or_default();
    let want = format!("{:x}", fnv(&lock));
    if installed == want && ui.join("node_modules/maplibre-gl/dist/maplibre-gl.js").is_file() {
        return Ok(());
    }
    if Command::new("npm").arg("--version").output().is_err() {
        crate::setup::apt(&["nodejs", "npm"])?;
    }
    crate::run_cmd(Command::new("npm").current_dir(&ui).args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]))?;
    std::fs::write(ui.join("node_modules/.vigie-lock"), want)?;
    Ok(())
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3))
}

/// The map's label glyphs (SDF PBFs) from Debian's DejaVu fonts, made by vigie-tiles;
/// skipped when already there.
fn glyphs(out: &Path) -> anyhow::Result<()> {
    if out.join("DejaVu Sans Book/0-255.pbf").is_file() {
        return Ok(());
    }
    crate::tiles::glyphs(out)
}

/// Generates the JS glue and the final wasm into `dist` with the wasm-bindgen CLI, at
/// exactly the version in Cargo.lock (installed once, without `--locked`: its own lock
/// file wants a crate version the index lacks). Skipped when `dist` is newer than `wasm`.
fn bindgen(wasm: &Path, dist: &Path) -> anyhow::Result<()> {
    let version = crate::setup::locked_version("wasm-bindgen")?;
    crate::setup::cargo_tool("wasm-bindgen", "wasm-bindgen-cli", &version, false)?;
    let outputs = [dist.join(format!("{OUT_NAME}.js")), dist.join(format!("{OUT_NAME}_bg.wasm"))];
    let built = mtime(wasm).with_context(|| format!("{} was not built", wasm.display()))?;
    // What the outputs were made from: the CLI version and the input (routes A and B differ).
    let stamp = crate::target_dir().join("vigie-ui-bindgen.stamp");
    let made_from = format!("{version} {}", wasm.display());
    let up_to_date = outputs.iter().all(|o| mtime(o).is_some_and(|t| t >= built))
        && std::fs::read_to_string(&stamp).is_ok_and(|v| v == made_from);
    if up_to_date {
        return Ok(());
    }
    std::fs::create_dir_all(dist)?;
    crate::run_cmd(
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--no-typescript", "--out-name", OUT_NAME, "--out-dir"])
            .arg(dist)
            .arg(wasm),
    )?;
    // Size matters on a phone over a weak network: binaryen's wasm-opt from npm (Debian's
    // binaryen 108 produces a module that fails to load).
    let wasm_out = &outputs[1];
    let opt = crate::root().join("src-ui/node_modules/.bin/wasm-opt");
    crate::run_cmd(
        Command::new(&opt)
            // The features rustc's wasm32 target enables by default.
            .args(["-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext"])
            .args(["--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue", "-o"])
            .arg(wasm_out)
            .arg(wasm_out),
    )?;
    std::fs::write(&stamp, made_from)?;
    for o in &outputs {
        let size = std::fs::metadata(o)?.len();
        eprintln!("  {} {} kB", o.file_name().unwrap().to_string_lossy(), size.div_ceil(1000));
    }
    Ok(())
}

/// Copies `from` to `to` unless `to` already has the same bytes (keeps its mtime, so the
/// app is not rebuilt for nothing).
fn copy_if_changed(from: &Path, to: &Path) -> anyhow::Result<()> {
    let new = std::fs::read(from).with_context(|| format!("reading {}", from.display()))?;
    if std::fs::read(to).is_ok_and(|old| old == new) {
        return Ok(());
    }
    std::fs::write(to, new).with_context(|| format!("writing {}", to.display()))
}

fn mtime(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}
