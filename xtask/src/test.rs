//! `cargo xtask test`: set-up, then every check and test of the workspace.

pub fn run(_args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}
