//! NMEA logs for gpsd's `gpsfake`, and gpsfake itself on a free loopback port: how the
//! tests give the app a car's GNSS position without hardware or D-Bus.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One fix of a log: where, and whether the receiver has the sky.
#[derive(Debug, Clone, Copy)]
pub struct Fix {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// `false`: the receiver reports no fix.
    pub locked: bool,
}

fn checksum(body: &str) -> String {
    format!("{:02X}", body.bytes().fold(0u8, |a, b| a ^ b))
}

fn sentence(body: String) -> String {
    format!("${body}*{}\r\n", checksum(&body))
}

/// `43.7384` → `4344.3040`, with the hemisphere.
fn angle(deg: f64, width: usize, pos: char, neg: char) -> (String, char) {
    let d = deg.abs();
    let whole = d.trunc();
    let minutes = (d - whole) * 60.0;
    (format!("{:0width$}{:07.4}", whole as u32, minutes, width = width), if deg >= 0.0 { pos } else { neg })
}

/// An NMEA log (RMC, GGA and GSA per fix) whose fixes are `step` apart from `start`.
pub fn log(fixes: &[Fix], start: chrono::DateTime<chrono::Utc>, step: Duration) -> String {
    let mut out = String::new();
    for (i, f) in fixes.iter().enumerate() {
        let t = start + chrono::Duration::from_std(step * i as u32).unwrap();
        let (hms, dmy) = (t.format("%H%M%S.%f").to_string()[..9].to_string(), t.format("%d%m%y").to_string());
        if f.locked {
            let (la, ns) = angle(f.lat, 2, 'N', 'S');
            let (lo, ew) = angle(f.lon, 3, 'E', 'W');
            out += &sentence(format!("GPRMC,{hms},A,{la},{ns},{lo},{ew},0.0,0.0,{dmy},,,A"));
            out += &sentence(format!("GPGGA,{hms},{la},{ns},{lo},{ew},1,09,0.9,12.0,M,47.0,M,,"));
            out += &sentence("GPGSA,A,3,04,05,09,12,24,25,29,31,,,,,1.6,0.9,1.3".to_string());
        } else {
            out += &sentence(format!("GPRMC,{hms},V,,,,,,,{dmy},,,N"));
            out += &sentence(format!("GPGGA,{hms},,,,,0,00,99.9,,M,,M,,"));
        }
    }
    out
}

/// A gpsd fed by `gpsfake` from a log, on a free loopback port; killed when dropped.
pub struct Gpsfake {
    child: Child,
    /// `127.0.0.1:<port>`, where gpsd listens.
    pub addr: String,
}

impl Gpsfake {
    /// Replays `log` once, one sentence every `cycle` seconds (`gpsfake -1 -c`).
    pub fn start(log: &Path, cycle: f64) -> Result<Gpsfake, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("gpsfake")
            .args(["-q", "-1", "-c", &cycle.to_string(), "-P", &port.to_string()])
            .arg(log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("gpsfake (Debian's gpsd-clients; cargo xtask test installs it): {e}"))?;
        Ok(Gpsfake { child, addr: format!("127.0.0.1:{port}") })
    }
}

impl Drop for Gpsfake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
