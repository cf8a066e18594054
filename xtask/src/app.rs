//! `cargo xtask run`: builds the UI and the app shell, then starts the app.
//!
//! [`build_app`] is shared with `cargo xtask test`, which needs the built binary for the
//! end-to-end tests.

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
    let bin = build_app()?;
    let status = Command::new(&bin)
        .current_dir(crate::root())
        .status()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", bin.display()))?;
    anyhow::ensure!(status.success(), "the app exited with {status}");
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
