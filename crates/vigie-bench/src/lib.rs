//! Measuring and reporting for Vigie's benchmarks: timings summarised as median and
//! 95th percentile, printed as a table against the targets, saved as JSON, and
//! compared with the previous run on the same machine. Shared by the core benchmark
//! (`vigie-bench`) and the platform's (`cargo bench -p vigie-server`).

use std::time::{Duration, Instant};

/// One measured figure.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Figure {
    /// What was measured.
    pub name: String,
    /// Median, microseconds.
    pub median_us: f64,
    /// 95th percentile, microseconds (none for one-off measurements).
    pub p95_us: Option<f64>,
    /// The target on the median, microseconds, if any.
    pub target_us: Option<f64>,
}

/// Median and 95th percentile of `samples`.
pub fn summarize(name: &str, mut samples: Vec<Duration>, target_us: Option<f64>) -> Figure {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
    Figure { name: name.to_string(), median_us: at(0.5), p95_us: Some(at(0.95)), target_us }
}

/// Times `f(i)` for each `i < n`.
pub fn time_each<T>(n: usize, mut f: impl FnMut(usize) -> T) -> Vec<Duration> {
    (0..n)
        .map(|i| {
            let t = Instant::now();
            std::hint::black_box(f(i));
            t.elapsed()
        })
        .collect()
}

/// A one-off measurement (no distribution).
pub fn once(name: &str, elapsed: Duration) -> Figure {
    Figure { name: name.to_string(), median_us: elapsed.as_secs_f64() * 1e6, p95_us: None, target_us: None }
}

/// `b`'s median over `a`'s.
pub fn ratio(figures: &[Figure], a: &str, b: &str) -> Option<f64> {
    let find = |n: &str| figures.iter().find(|f| f.name == n).map(|f| f.median_us);
    Some(find(b)? / find(a)?)
}

/// Microseconds for people.
pub fn fmt_us(us: f64) -> String {
    if us >= 1e6 {
        format!("{:.2} s", us / 1e6)
    } else if us >= 1e3 {
        format!("{:.1} ms", us / 1e3)
    } else {
        format!("{us:.1} µs")
    }
}

/// Prints the table, the ratios `(label, fast, slow, minimum)`, saves the figures to
/// `out`, and compares with what `out` held. Returns how many targets were missed.
pub fn report(figures: &[Figure], ratios: &[(&str, &str, &str, Option<f64>)], out: &std::path::Path) -> usize {
    let previous: Option<Vec<Figure>> = std::fs::read(out).ok().and_then(|b| serde_json::from_slice(&b).ok());
    println!("\n{:<48} {:>10} {:>10} {:>10} {:>6} {:>14}", "benchmark", "median", "p95", "target", "", "vs last run");
    let mut missed = 0;
    for f in figures {
        let verdict = match f.target_us {
            Some(t) if f.median_us <= t => "ok",
            Some(_) => {
                missed += 1;
                "MISSED"
            }
            None => "",
        };
        let before = previous.as_ref().and_then(|p| p.iter().find(|g| g.name == f.name)).map(|g| {
            let change = (f.median_us / g.median_us - 1.0) * 100.0;
            format!("{change:+.1} %")
        });
        println!(
            "{:<48} {:>10} {:>10} {:>10} {:>6} {:>14}",
            f.name,
            fmt_us(f.median_us),
            f.p95_us.map(fmt_us).unwrap_or_else(|| "-".into()),
            f.target_us.map(fmt_us).unwrap_or_default(),
            verdict,
            before.unwrap_or_else(|| "-".into())
        );
    }
    println!();
    for (label, fast, slow, minimum) in ratios {
        if let Some(r) = ratio(figures, fast, slow) {
            let verdict = match minimum {
                Some(m) if r >= *m => format!("(target ≥ {m}×) ok"),
                Some(m) => {
                    missed += 1;
                    format!("(target ≥ {m}×) MISSED")
                }
                None => String::new(),
            };
            println!("{label}: {r:.1}× {verdict}");
        }
    }
    if let Some(dir) = out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(out, serde_json::to_vec_pretty(figures).expect("figures serialise")) {
        Ok(()) => println!("\nfigures saved to {} (the next run compares with them)", out.display()),
        Err(e) => eprintln!("could not save figures to {}: {e}", out.display()),
    }
    if missed > 0 {
        println!("{missed} target(s) missed");
    }
    missed
}
