//! `cargo xtask test`: set-up, then every check and test of the workspace, in one shared
//! target dir: format, lints (native and wasm), the UI's wasm build, and every test (unit,
//! property, store crash, storage on SQLite and PostgreSQL, the server over loopback, the
//! app window under Xvfb, tidy). The app binary is built by its own tests, in the same
//! build as everything else.

use std::time::Instant;

use crate::{cargo, run_cmd, setup};

/// The tauri-driver the end-to-end tests use (2.x; 3.0 is for Tauri 3).
pub const TAURI_DRIVER: &str = "2.1.0";

pub fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(a) = args.first() {
        anyhow::bail!("`test` takes no option (got {a})");
    }
    let start = Instant::now();
    let mut steps: Vec<(&str, f64)> = Vec::new();
    let mut step = |name: &'static str, f: &mut dyn FnMut() -> anyhow::Result<()>| -> anyhow::Result<()> {
        eprintln!("\n== {name}");
        let t = Instant::now();
        f()?;
        steps.push((name, t.elapsed().as_secs_f64()));
        Ok(())
    };

    step("set-up: Debian packages", &mut || setup::apt(setup::APT_PACKAGES))?;
    // The window tests drive the real app through tauri-driver (+ Debian's WebKitWebDriver).
    step("set-up: tauri-driver", &mut || setup::cargo_tool("tauri-driver", "tauri-driver", TAURI_DRIVER, true))?;
    step("format", &mut || run_cmd(cargo().args(["fmt", "--all", "--check"])))?;
    // Both routes to wasm, so that the fallback keeps working; the standard one last, so
    // that `src-ui/dist` holds its output.
    step("UI to wasm, fallback route", &mut || {
        crate::ui::build(&crate::ui::Options { fallback: true })?;
        prune(&["wasm-fallback"])
    })?;
    step("UI to wasm", &mut || crate::ui::build(&crate::ui::Options::default()).map(|_| ()))?;
    step("lints", &mut || {
        // The whole workspace, the UI included (natively): the same features as the test
        // build below, so that both share every build script and proc macro.
        run_cmd(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
        run_cmd(cargo().args([
            "clippy",
            "-p",
            "vigie-ui",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]))?;
        // `src-ui/dist` holds the UI; nothing below reads the wasm builds.
        prune(&["release", "wasm32-unknown-unknown"])
    })?;
    step("tests", &mut || {
        // The storage tests run on both engines: a throw-away PostgreSQL cluster lives for
        // the duration of the tests and is deleted after, pass or fail.
        let pg = setup::Postgres::start()?;
        // The UI's own unit tests (formatting, languages) run natively, in the same build:
        // alone, `-p vigie-ui` resolves other features and builds the Leptos stack twice.
        run_cmd(
            cargo()
                .args(["test", "--workspace"])
                .env("VIGIE_TEST_POSTGRES_URL", &pg.url)
                .env("VIGIE_REQUIRE_POSTGRES", "1"),
        )
    })?;
    step("disk", &mut || {
        // CI's disk is finite: say what a run leaves behind.
        run_cmd(std::process::Command::new("du").args(["-sh", "target"]).current_dir(crate::root()))
    })?;

    eprintln!("\n== timings");
    for (name, secs) in &steps {
        eprintln!("{name:<28} {secs:>7.1} s");
    }
    eprintln!("{:<28} {:>7.1} s", "total", start.elapsed().as_secs_f64());
    Ok(())
}

/// CI's disk is finite (two runs died of ENOSPC): with `VIGIE_PRUNE_TARGET=1`, which
/// `.ci/run` sets, each build's output is deleted from the target dir once no later step
/// reads it. A developer's warm target dir keeps everything.
fn prune(dirs: &[&str]) -> anyhow::Result<()> {
    if std::env::var_os("VIGIE_PRUNE_TARGET").is_none_or(|v| v != "1") {
        return Ok(());
    }
    for dir in dirs {
        let path = crate::target_dir().join(dir);
        if path.exists() {
            eprintln!("(pruning {})", path.display());
            std::fs::remove_dir_all(&path).map_err(|e| anyhow::anyhow!("cannot delete {}: {e}", path.display()))?;
        }
    }
    Ok(())
}
