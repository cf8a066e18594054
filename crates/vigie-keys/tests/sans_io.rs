//! The crate's sources never touch files, sockets, threads, the clock or randomness, like
//! `vigie-core`'s (xtask's tidy test checks the core; this one checks this crate).

use std::path::PathBuf;

#[test]
fn the_sources_do_no_io() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let forbidden = [
        "std::fs",
        "std::net",
        "std::thread",
        "std::process",
        "std::env",
        "File::",
        "SystemTime",
        "Instant",
        "thread_rng",
        "OsRng",
        "getrandom",
        "rand_core",
        "println!",
        "eprintln!",
    ];
    let mut checked = 0;
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // The documentation may name what the caller uses (`getrandom::fill`); code may not.
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for bad in forbidden {
            assert!(!code.contains(bad), "{} uses {bad}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 4, "found only {checked} files in {}", src.display());
}
