//! `cargo xtask tiles OSM_EXTRACT.osm.pbf [--out DIR] [--name NAME] [--minzoom N] [--maxzoom N]`:
//! the offline basemap of an OpenStreetMap extract, `DIR/NAME.pmtiles` (vector tiles) and
//! `DIR/glyphs/{fontstack}/{range}.pbf` (label glyphs), by the `vigie-tiles` library.
//!
//! `DIR` defaults to `target/basemap`; `NAME` to the file's name before its date
//! (`monaco-2025-02-11.osm.pbf` → `monaco`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut osm: Option<PathBuf> = None;
    let mut out: Option<PathBuf> = None;
    let mut name: Option<String> = None;
    let mut options = vigie_tiles::BuildOptions::new("");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--name" => name = Some(value()?.clone()),
            "--minzoom" => options.min_zoom = value()?.parse().with_context(|| format!("{a}: a zoom level"))?,
            "--maxzoom" => options.max_zoom = value()?.parse().with_context(|| format!("{a}: a zoom level"))?,
            s if s.starts_with("--") => bail!("unknown option {s}"),
            s if osm.is_none() => osm = Some(PathBuf::from(s)),
            s => bail!("one extract at a time (got {s} too)"),
        }
    }
    let Some(osm) = osm else {
        bail!("usage: cargo xtask tiles OSM_EXTRACT.osm.pbf [--out DIR] [--name NAME] [--minzoom N] [--maxzoom N]")
    };
    options.name = match name {
        Some(n) => n,
        None => name_of(&osm),
    };
    let out = out.unwrap_or_else(|| crate::target_dir().join("basemap"));
    build(&osm, &out, &options)?;
    glyphs(&out.join("glyphs"))
}

/// Builds `dir/NAME.pmtiles` from `osm` at the default zooms (the demo's basemap).
pub fn build_area(osm: &Path, dir: &Path, name: &str) -> anyhow::Result<()> {
    build(osm, dir, &vigie_tiles::BuildOptions::new(name)).map(|_| ())
}

/// Builds `dir/{options.name}.pmtiles` from `osm` and says what it built.
fn build(osm: &Path, dir: &Path, options: &vigie_tiles::BuildOptions) -> anyhow::Result<vigie_tiles::BuildReport> {
    let pmtiles = dir.join(format!("{}.pmtiles", options.name));
    eprintln!("basemap: building {} from {}", pmtiles.display(), osm.display());
    let t = Instant::now();
    let report = vigie_tiles::build_pmtiles(osm, &pmtiles, options)?;
    let time = t.elapsed();
    for w in report.warnings.iter().take(10) {
        eprintln!("  note: {w}");
    }
    if report.warnings.len() > 10 {
        eprintln!("  note: … and {} more", report.warnings.len() - 10);
    }
    let per_zoom: Vec<String> = report.tiles_per_zoom.iter().map(|(z, n)| format!("z{z}: {n}")).collect();
    let [w, s, e, n] = report.bounds;
    eprintln!(
        "  {} tiles ({}), {} features, {:.1} kB, {:.2} s (reading {:.2} s, tiles {:.2} s)\n  bounds {w:.4},{s:.4},{e:.4},{n:.4}; OSM data of {}",
        report.tiles(),
        per_zoom.join(", "),
        report.features,
        report.bytes as f64 / 1024.0,
        time.as_secs_f64(),
        report.read_time.as_secs_f64(),
        report.tile_time.as_secs_f64(),
        report.osm_timestamp.as_deref().unwrap_or("unknown date"),
    );
    Ok(report)
}

/// Renders the label glyphs the style uses into `dir/{fontstack}/{range}.pbf`.
pub fn glyphs(dir: &Path) -> anyhow::Result<()> {
    let t = Instant::now();
    let g = vigie_tiles::build_glyphs(dir)?;
    eprintln!(
        "glyphs: {} ({} files, {} glyphs, {:.1} kB, {:.2} s)",
        g.dir.display(),
        g.files,
        g.glyphs,
        g.bytes as f64 / 1024.0,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `monaco-2025-02-11.osm.pbf` → `monaco`: the file's name without its extensions and date.
fn name_of(osm: &Path) -> String {
    let file = osm.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = file.split('.').next().unwrap_or_default();
    let parts: Vec<&str> = stem.split('-').collect();
    // Cut at the first part that starts a date (four digits).
    let end =
        parts.iter().position(|p| p.len() >= 4 && p[..4].chars().all(|c| c.is_ascii_digit())).unwrap_or(parts.len());
    let name = parts[..end.max(1)].join("-");
    if name.is_empty() {
        "basemap".to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::name_of;
    use std::path::Path;

    #[test]
    fn names_drop_the_date_and_extensions() {
        assert_eq!(name_of(Path::new("../shared/data/osm/monaco-2025-02-11.osm.pbf")), "monaco");
        assert_eq!(name_of(Path::new("saint-barthelemy-2014.osm.pbf")), "saint-barthelemy");
        assert_eq!(name_of(Path::new("ile-de-france-latest.osm.pbf")), "ile-de-france-latest");
        assert_eq!(name_of(Path::new("2024-extract.osm.pbf")), "2024");
    }
}
