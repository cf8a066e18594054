//! Benchmark harness run by `cargo xtask bench`.
//!
//! Builds a synthetic national registry (1,000,000 cameras by default, clustered in
//! towns like real deployments), then times the domain queries of `vigie-core` and the
//! same k-nearest and radius questions answered by SQLite's R*Tree over the same data in
//! the same run, and a 1 M-feature GeoJSON import. Every answer of the SQLite baseline is
//! checked against the index's, so the comparison is between equal results.
//!
//! Figures are printed as a table with the targets of the issue, saved to
//! `target/bench/last.json`, and compared with the previous run on this machine.
//!
//! Usage: `vigie-bench [--cameras N] [--queries N] [--out PATH] [--only index|sqlite|import]`.

mod data;
mod sqlite;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::time::Instant;

use vigie_bench::{once, report, summarize, time_each, Figure};
use vigie_core::import::{self, ImportOptions};
use vigie_core::{CameraIndex, Route};

struct Args {
    cameras: usize,
    queries: usize,
    out: PathBuf,
    /// Run only the sections whose name contains this (`index`, `sqlite`, `import`).
    only: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        cameras: 1_000_000,
        queries: 2_000,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench/last.json"),
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--cameras" => a.cameras = value()?.parse().map_err(|e| format!("--cameras: {e}"))?,
            "--queries" => a.queries = value()?.parse().map_err(|e| format!("--queries: {e}"))?,
            "--out" => a.out = PathBuf::from(value()?),
            "--only" => a.only = Some(value()?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("vigie-bench: {e}");
            std::process::exit(2);
        }
    };
    let figures = run(&args);
    let ratios = [
        (
            "k=50 nearest: index faster than SQLite R*Tree by",
            "k=50 nearest (index)",
            "k=50 nearest (SQLite R*Tree)",
            Some(10.0),
        ),
        (
            "radius 300 m: index faster than SQLite R*Tree by",
            "radius 300 m (index)",
            "radius 300 m (SQLite R*Tree)",
            None,
        ),
    ];
    report(&figures, &ratios, &args.out);
}

fn run(args: &Args) -> Vec<Figure> {
    let n = args.cameras;
    let q = args.queries;
    let mut figures = Vec::new();
    eprintln!("generating {n} cameras…");
    let cameras = data::cameras(n, 7);
    let queries = data::query_points(&cameras, q, 11);
    let at = data::moment();

    let section = |name: &str| args.only.as_deref().is_none_or(|o| name.contains(o));
    let t = Instant::now();
    let index = CameraIndex::new(cameras).expect("generated cameras are valid");
    figures.push(once(&format!("build index ({n} cameras)"), t.elapsed()));

    if section("index") {
        figures.push(summarize(
            "k=50 nearest (index)",
            time_each(q, |i| index.nearest(queries[i], 50, at).len()),
            Some(50.0),
        ));
        figures.push(summarize(
            "radius 300 m (index)",
            time_each(q, |i| index.within(queries[i], 300.0, at).len()),
            None,
        ));
        figures.push(summarize(
            "who saw P at T (index)",
            time_each(q, |i| index.seeing(queries[i], at).len()),
            Some(200.0),
        ));
        let routes: Vec<Route> = (0..q.min(500)).map(|i| data::route_5km(queries[i], at, i as u64)).collect();
        figures.push(summarize(
            "5 km route (index)",
            time_each(routes.len(), |i| index.along_route(&routes[i]).len()),
            None,
        ));
    }

    if section("sqlite") {
        eprintln!("loading the same cameras into SQLite's R*Tree…");
        let t = Instant::now();
        let db = sqlite::RTreeDb::load(index.cameras());
        figures.push(once("load SQLite R*Tree", t.elapsed()));
        // Equal answers first: a baseline that answers something else measures nothing.
        for p in queries.iter().take(200) {
            let ours: Vec<_> = index.nearest(*p, 50, at).iter().map(|n| n.camera.id.0.clone()).collect();
            assert_eq!(db.nearest(*p, 50), ours, "SQLite and the index disagree on k-nearest at {p}");
            let ours: Vec<_> = index.within(*p, 300.0, at).iter().map(|n| n.camera.id.0.clone()).collect();
            assert_eq!(db.within(*p, 300.0), ours, "SQLite and the index disagree on radius at {p}");
        }
        figures.push(summarize(
            "k=50 nearest (SQLite R*Tree)",
            time_each(q, |i| db.nearest(queries[i], 50).len()),
            None,
        ));
        figures.push(summarize(
            "radius 300 m (SQLite R*Tree)",
            time_each(q, |i| db.within(queries[i], 300.0).len()),
            None,
        ));
        drop(db);
    }

    if section("import") {
        eprintln!("writing a {n}-feature GeoJSON file in memory…");
        let geojson = data::geojson(index.cameras());
        drop(index);
        let opts = ImportOptions { source: "bench.geojson".into(), ..ImportOptions::default() };
        let mut imports = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let out = import::import(geojson.as_bytes(), &opts).expect("generated GeoJSON imports");
            imports.push(t.elapsed());
            assert_eq!(out.report.imported, n);
        }
        let mb = geojson.len() as f64 / 1e6;
        figures.push(summarize(&format!("GeoJSON import ({n} features, {mb:.0} MB)"), imports, Some(5_000_000.0)));
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole harness on a small registry: it runs, its SQLite baseline agrees with the
    /// index (asserted inside `run`), and it reports every figure.
    #[test]
    fn the_harness_runs_and_its_baseline_agrees() {
        let args =
            Args { cameras: 5_000, queries: 50, out: std::env::temp_dir().join("vigie-bench-test.json"), only: None };
        let figures = run(&args);
        let names: Vec<&str> = figures.iter().map(|f| f.name.as_str()).collect();
        for expected in
            ["k=50 nearest (index)", "k=50 nearest (SQLite R*Tree)", "who saw P at T (index)", "5 km route (index)"]
        {
            assert!(names.contains(&expected), "{expected} missing from {names:?}");
        }
        assert!(figures.iter().all(|f| f.median_us >= 0.0));
    }
}
