//! `cargo xtask`: the project's one entry point (build, test, run, bench).
//!
//! Plain Rust and `std::process`, no shell scripts, so it behaves the same on every
//! machine. Each task installs what it is missing first, idempotently (see `setup`).

mod app;
mod bench;
#[cfg(test)]
mod mobile_check;
mod setup;
mod test;
#[cfg(test)]
mod tidy;
mod tiles;
mod ui;

use std::path::{Path, PathBuf};

const HELP: &str = "\
cargo xtask <task> [options]

Tasks:
  test            install what is missing, build everything once, run every test
  run             start the app (later: the platform with demo data too)
  ui [--fallback] build the Leptos UI to wasm into src-ui/dist
                  (--fallback forces Debian's rustc-web + build-std route)
  bench           run the benchmarks, print figures, compare with the last run
  tiles OSM.pbf   the offline basemap: target/basemap/NAME.pmtiles + glyphs/ [--out DIR] [--name NAME] [--minzoom N] [--maxzoom N]
";

fn main() {
    if let Err(e) = run() {
        eprintln!("\nxtask: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(task) = args.first() else {
        print!("{HELP}");
        return Ok(());
    };
    let rest = &args[1..];
    match task.as_str() {
        "test" => test::run(rest),
        "run" => app::run(rest),
        "ui" => ui::build(&ui::Options::from_args(rest)?).map(|_| ()),
        "bench" => bench::run(rest),
        "tiles" => tiles::run(rest),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => {
            eprint!("unknown task `{other}`\n\n{HELP}");
            std::process::exit(2)
        }
    }
}

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The one target dir every build shares.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// `cargo`, as the one that runs us.
pub fn cargo() -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs a command, echoing it first; fails with its exit status.
pub fn run_cmd(cmd: &mut std::process::Command) -> anyhow::Result<()> {
    eprintln!("$ {}", display(cmd));
    let status = cmd.status().map_err(|e| anyhow::anyhow!("cannot start `{}`: {e}", display(cmd)))?;
    anyhow::ensure!(status.success(), "`{}` failed ({status})", display(cmd));
    Ok(())
}

/// A command line as a human would type it.
pub fn display(cmd: &std::process::Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
