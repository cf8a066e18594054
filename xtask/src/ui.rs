//! `cargo xtask ui`: builds the Leptos UI (src-ui) to wasm into `src-ui/dist`.
//! (Being written: route A rustup target, route B Debian rustc-web + build-std.)

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

/// Builds the UI; returns the dist directory.
pub fn build(_opts: &Options) -> anyhow::Result<std::path::PathBuf> {
    anyhow::bail!("not written yet")
}
