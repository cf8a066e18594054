//! The gpsd source against a real gpsd: Debian's `gpsfake` replays an NMEA log (written
//! here: a car driving east through Monaco, losing the sky at the end) into a real gpsd on
//! a free loopback port, and the source reads it over TCP.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use vigie_core::position::{assess, FixPolicy, FixProblem};
use vigie_gpsd::GpsdSource;

fn checksum(body: &str) -> String {
    format!("{:02X}", body.bytes().fold(0u8, |a, b| a ^ b))
}

fn sentence(body: String) -> String {
    format!("${body}*{}\r\n", checksum(&body))
}

/// `43.7384` → `4344.3040`, with the hemisphere.
fn nmea_angle(deg: f64, width: usize, pos: char, neg: char) -> (String, char) {
    let d = deg.abs();
    let whole = d.trunc();
    let minutes = (d - whole) * 60.0;
    (format!("{:0width$}{:07.4}", whole as u32, minutes, width = width), if deg >= 0.0 { pos } else { neg })
}

/// The positions the log drives through, as NMEA can say them (4 decimals of minutes).
fn positions() -> Vec<(f64, f64)> {
    (0..20).map(|i| (43.7384, 7.4246 + i as f64 * 0.0002)).collect()
}

fn nmea_log() -> String {
    let start = Utc::now();
    let mut out = String::new();
    let fix = positions();
    for i in 0..30usize {
        let t = start + chrono::Duration::seconds(i as i64);
        let (hms, dmy) = (t.format("%H%M%S.00").to_string(), t.format("%d%m%y").to_string());
        let locked = (5..25).contains(&i);
        let (lat, lon) = fix[i.saturating_sub(5).min(19)];
        let (la, ns) = nmea_angle(lat, 2, 'N', 'S');
        let (lo, ew) = nmea_angle(lon, 3, 'E', 'W');
        if locked {
            out += &sentence(format!("GPRMC,{hms},A,{la},{ns},{lo},{ew},19.4,90.0,{dmy},,,A"));
            out += &sentence(format!("GPGGA,{hms},{la},{ns},{lo},{ew},1,09,0.9,12.0,M,47.0,M,,"));
            out += &sentence("GPGSA,A,3,04,05,09,12,24,25,29,31,,,,,1.6,0.9,1.3".to_string());
        } else {
            out += &sentence(format!("GPRMC,{hms},V,,,,,,,{dmy},,,N"));
            out += &sentence(format!("GPGGA,{hms},,,,,0,00,99.9,,M,,M,,"));
        }
    }
    out
}

struct Gpsfake(Child);

impl Drop for Gpsfake {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_replayed_drive_gives_fixes_and_losing_the_sky_gives_no_fix() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("drive.nmea");
    std::fs::write(&log, nmea_log()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _fake = Gpsfake(
        Command::new("gpsfake")
            .args(["-q", "-1", "-c", "0.1", "-P", &port.to_string()])
            .arg(&log)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gpsfake is installed (Debian's gpsd-clients; cargo xtask test installs it)"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut source = loop {
        match GpsdSource::connect(format!("127.0.0.1:{port}")) {
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
