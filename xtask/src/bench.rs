//! `cargo xtask bench`: runs the benchmark harness (crates/vigie-bench) in release mode.

pub fn run(args: &[String]) -> anyhow::Result<()> {
    crate::run_cmd(crate::cargo().args(["run", "--release", "-p", "vigie-bench", "--"]).args(args))
}
