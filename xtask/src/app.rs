//! `cargo xtask run`: builds and starts the app shell.
//! (Being written.)

pub fn run(_args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}
