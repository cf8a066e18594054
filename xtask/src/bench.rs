//! `cargo xtask bench`: the benchmark harnesses, in release mode, one after the other (so
//! they do not compete for the two cores): the core's (crates/vigie-bench) and the
//! platform's (crates/vigie-server/benches). Each prints its figures and compares them
//! with its previous run on this machine. Options are passed to the core harness.

pub fn run(args: &[String]) -> anyhow::Result<()> {
    crate::run_cmd(crate::cargo().args(["run", "--release", "-p", "vigie-bench", "--"]).args(args))?;
    crate::run_cmd(crate::cargo().args(["bench", "-p", "vigie-server", "--bench", "documents"]))
}
