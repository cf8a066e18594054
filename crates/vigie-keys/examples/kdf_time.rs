//! How long the default Argon2id setting takes to open a key on this machine: run it in
//! release (`cargo run --release -p vigie-keys --example kdf_time`). A measurement to
//! report, never asserted anywhere.

use std::time::Instant;

use vigie_keys::{open, seal, KdfParams};

fn main() {
    let params = KdfParams::default();
    let sealed = seal(&[7; 32], "482915", params, [1; 16], [2; 24]).expect("seals");
    let mut times: Vec<f64> = (0..15)
        .map(|_| {
            let start = Instant::now();
            open(&sealed, "482915").expect("opens");
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "open with m_kib={} t={} p={}: min {:.1} ms, median {:.1} ms, max {:.1} ms ({} runs){}",
        params.m_kib,
        params.t,
        params.p,
        times[0],
        times[times.len() / 2],
        times[times.len() - 1],
        times.len(),
        if cfg!(debug_assertions) { " — debug build, run with --release" } else { "" },
    );
}
