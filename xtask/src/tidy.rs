//! Repository policy as tests: the domain core stays pure, every Rust file says what it
//! is, and no file reaches the internet at run time.

use std::path::{Path, PathBuf};
use std::process::Command;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | "node_modules" | "dist" | ".git" | "gen") {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file starts with a `//!` comment saying what it is for.
#[test]
fn every_rust_file_starts_with_a_doc_comment() {
    let mut files = Vec::new();
    rust_files(&crate::root(), &mut files);
    assert!(files.len() > 10, "found only {} files: wrong root?", files.len());
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().trim_start().starts_with("//!"))
        .map(|f| f.strip_prefix(crate::root()).unwrap().display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a leading `//!` doc comment: {missing:?}");
}

/// `vigie-core` depends on nothing that does I/O, async, databases or UI, directly or
/// through its dependencies.
#[test]
fn the_core_has_no_io_dependencies() {
    let out = Command::new(env!("CARGO"))
        .current_dir(crate::root())
        .args(["tree", "-p", "vigie-core", "--edges", "normal", "--prefix", "none", "--format", "{p}"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    let forbidden = [
        "tokio",
        "async-std",
        "futures",
        "rusqlite",
        "libsqlite3-sys",
        "sqlx",
        "axum",
        "hyper",
        "reqwest",
        "tauri",
        "leptos",
        "rand",
        "getrandom",
        "mio",
    ];
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        assert!(!forbidden.contains(&name), "vigie-core depends on {name}:\n{tree}");
    }
}

/// The sans-IO crates' sources (the domain core, the sealing of the officer's key, the
/// printed act, the live relay's library but not its `vigie-bodycam` binary) never touch
/// files, sockets, threads, the clock or randomness: salt, nonce and "now" are arguments. Their tests may read fixtures; those live under `tests/`. Comments may name
/// what the caller uses (`getrandom::fill`); code may not.
#[test]
fn the_sans_io_sources_do_no_io() {
    let mut files = Vec::new();
    for krate in ["crates/vigie-core/src", "crates/vigie-keys/src", "crates/vigie-pdf/src", "crates/vigie-relay/src"] {
        rust_files(&crate::root().join(krate), &mut files);
    }
    files.retain(|f| !f.components().any(|c| c.as_os_str() == "bin"));
    for expected in ["sealed.rs", "layout.rs", "fmp4.rs"] {
        assert!(files.iter().any(|f| f.ends_with(expected)), "{expected} was not found among the sans-IO sources");
    }
    let forbidden = [
        "std::fs",
        "std::net",
        "std::thread",
        "std::process",
        "std::env",
        "File::",
        "SystemTime",
        "Instant::now",
        "Utc::now",
        "Local::now",
        "thread_rng",
        "OsRng",
        "getrandom",
        "println!",
        "eprintln!",
    ];
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // Unit-test modules sit at the end of a file, after `#[cfg(test)]`.
        let code: Vec<&str> =
            text.split("#[cfg(test)]").next().unwrap().lines().filter(|l| !l.trim_start().starts_with("//")).collect();
        for bad in forbidden {
            assert!(!code.iter().any(|l| l.contains(bad)), "{} uses {bad}", f.display());
        }
    }
}

/// The app never loads anything from the internet: no CDN, no online tiles.
#[test]
fn the_app_loads_nothing_from_the_internet() {
    let mut files = Vec::new();
    for dir in ["src-ui", "src-tauri", "assets"] {
        let d = crate::root().join(dir);
        if d.exists() {
            collect_all(&d, &mut files);
        }
    }
    let hosts = [
        "unpkg.com",
        "cdn.",
        "jsdelivr",
        "cdnjs",
        "esm.sh",
        "tile.openstreetmap",
        "api.maptiler",
        "demotiles",
        "fonts.googleapis",
    ];
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
        for h in hosts {
            assert!(!text.contains(h), "{} refers to {h}", f.display());
        }
    }
}

fn collect_all(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !matches!(name.to_string_lossy().as_ref(), "target" | "node_modules" | "dist" | "gen" | "icons") {
                collect_all(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}
