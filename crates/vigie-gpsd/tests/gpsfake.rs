//! The gpsd source against a real gpsd: Debian's `gpsfake` replays an NMEA log (written
//! here with `vigie_e2e::nmea`: a car driving east through Monaco, losing the sky at the
//! end) into a real gpsd on a free loopback port, and the source reads it over TCP.

use std::time::{Duration, Instant};

use chrono::Utc;
use vigie_core::position::{assess, FixPolicy, FixProblem};
use vigie_e2e::nmea::{self, Gpsfake};
use vigie_gpsd::GpsdSource;

/// The positions the log drives through, as NMEA can say them (4 decimals of minutes).
fn positions() -> Vec<(f64, f64)> {
    (0..20).map(|i| (43.7384, 7.4246 + i as f64 * 0.0002)).collect()
}

/// 30 s: 5 s without the sky, 20 fixes driving east, 5 s without the sky again.
fn drive() -> Vec<nmea::Fix> {
    let fix = positions();
    (0..30usize)
        .map(|i| {
            let (lat, lon) = fix[i.saturating_sub(5).min(19)];
            nmea::Fix { lat, lon, locked: (5..25).contains(&i) }
        })
        .collect()
}

#[test]
fn a_replayed_drive_gives_fixes_and_losing_the_sky_gives_no_fix() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("drive.nmea");
    std::fs::write(&log, nmea::log(&drive(), Utc::now(), Duration::from_secs(1))).unwrap();
    let fake = Gpsfake::start(&log, 0.1).unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut source = loop {
        match GpsdSource::connect(fake.addr.as_str()) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("gpsd never answered: {e}"),
        }
    };
    let policy = FixPolicy::default();
    let expected = positions();
    let (mut fixes, mut lost_after_fix, mut imprecise) = (Vec::new(), false, 0);
    while Instant::now() < deadline && !lost_after_fix {
        let raw = match source.next_reading() {
            Ok(r) => r,
            Err(vigie_gpsd::GpsdError::Closed) => break,
            Err(e) => panic!("{e}"),
        };
        match assess(raw, Utc::now(), &policy) {
            Ok(fix) => fixes.push(fix),
            Err(FixProblem::NoLock) if !fixes.is_empty() => lost_after_fix = true,
            Err(FixProblem::NoLock) => {}
            // gpsd's first estimates after a lock can be wide: refused, never used.
            Err(FixProblem::Imprecise { .. }) => imprecise += 1,
            Err(other) => panic!("unexpected refusal: {other} for {raw:?}"),
        }
    }
    assert!(fixes.len() >= 5, "only {} fixes ({imprecise} refused as imprecise)", fixes.len());
    for f in &fixes {
        let p = f.position;
        assert!(
            expected.iter().any(|(lat, lon)| (p.lat() - lat).abs() < 2e-6 && (p.lon() - lon).abs() < 2e-6),
            "{p} is not on the replayed drive"
        );
        assert_eq!(f.source, vigie_core::position::FixSource::Gpsd);
    }
    assert!(fixes.windows(2).all(|w| w[0].position.lon() <= w[1].position.lon()), "driving east, in order");
    assert!(lost_after_fix, "losing the sky must read as no fix, never as the last position");
}
