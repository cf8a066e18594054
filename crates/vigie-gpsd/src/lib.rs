//! Position from a patrol car's GNSS receiver, through gpsd (JSON over TCP, port 2947).
//!
//! [`GpsdSource`] connects, asks gpsd to watch (`?WATCH={"enable":true,"json":true}`) and
//! turns each TPV report into a [`RawFix`]; `vigie_core::position::assess` then decides
//! whether it may be used (lock, freshness, accuracy, never (0, 0)). Reports of other
//! classes (SKY, DEVICE, TOFF…) are skipped. Reading blocks: run it on its own thread.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use chrono::{DateTime, Utc};
use vigie_core::position::{FixSource, RawFix};

/// The port gpsd listens on by default.
pub const DEFAULT_PORT: u16 = 2947;

/// Why gpsd cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GpsdError {
    /// No gpsd at that address.
    #[error("gpsd at {addr}: {source}")]
    Connect {
        /// The address tried.
        addr: String,
        /// The socket's error.
        source: std::io::Error,
    },
    /// The connection broke, or gpsd said something that is not its protocol.
    #[error("gpsd: {0}")]
    Protocol(String),
    /// gpsd closed the connection.
    #[error("gpsd closed the connection")]
    Closed,
}

/// A connection to gpsd, watching.
pub struct GpsdSource {
    reader: BufReader<TcpStream>,
}

impl GpsdSource {
    /// Connects to gpsd at `addr` (e.g. `127.0.0.1:2947`) and starts watching.
    pub fn connect(addr: impl ToSocketAddrs + std::fmt::Display) -> Result<GpsdSource, GpsdError> {
        let name = addr.to_string();
        let stream = TcpStream::connect(&addr).map_err(|source| GpsdError::Connect { addr: name.clone(), source })?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|source| GpsdError::Connect { addr: name, source })?;
        let mut writer = stream.try_clone().map_err(|e| GpsdError::Protocol(e.to_string()))?;
        let mut reader = BufReader::new(stream);
        gpsd_proto::handshake(&mut reader, &mut writer).map_err(|e| GpsdError::Protocol(e.to_string()))?;
        writer.flush().map_err(|e| GpsdError::Protocol(e.to_string()))?;
        Ok(GpsdSource { reader })
    }

    /// The next position report, as gpsd gave it (judge it with `position::assess`).
    pub fn next_reading(&mut self) -> Result<RawFix, GpsdError> {
        loop {
            let mut line = Vec::new();
            let n = self.reader.read_until(b'\n', &mut line).map_err(|e| GpsdError::Protocol(e.to_string()))?;
            if n == 0 {
                return Err(GpsdError::Closed);
            }
            if let Some(raw) = reading(&line)? {
                return Ok(raw);
            }
        }
    }
}

/// One line of gpsd's JSON: a reading if it is a TPV report, `None` for other reports.
pub fn reading(line: &[u8]) -> Result<Option<RawFix>, GpsdError> {
    match serde_json::from_slice::<gpsd_proto::ResponseData>(line) {
        Ok(gpsd_proto::ResponseData::Tpv(t)) => Ok(Some(raw_fix(&t))),
        Ok(_) => Ok(None),
        // A class gpsd_proto does not model (TOFF, WATCH, ERROR…) is not a position.
        Err(e) => match serde_json::from_slice::<serde_json::Value>(line) {
            Ok(v) if v.get("class").and_then(|c| c.as_str()).is_some_and(|c| c != "TPV") => Ok(None),
            _ => Err(GpsdError::Protocol(format!("unreadable report ({e}): {}", String::from_utf8_lossy(line).trim()))),
        },
    }
}

/// A TPV report as a reading: locked from a 2-D fix on, accuracy the 95 % horizontal error
/// (`eph`, else the larger of `epx` and `epy`), time from the receiver.
pub fn raw_fix(t: &gpsd_proto::Tpv) -> RawFix {
    let locked = matches!(t.mode, gpsd_proto::Mode::Fix2d | gpsd_proto::Mode::Fix3d);
    let accuracy_m = t.eph.or_else(|| match (t.epx, t.epy) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    });
    let at = t.time.as_deref().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|d| d.with_timezone(&Utc));
    RawFix { source: FixSource::Gpsd, lat: t.lat, lon: t.lon, locked, accuracy_m: accuracy_m.map(f64::from), at }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tpv_reports_become_readings_and_other_classes_are_skipped() {
        let tpv = br#"{"class":"TPV","device":"/dev/pts/1","mode":3,"time":"2026-11-22T20:59:58.000Z","lat":43.738400,"lon":7.424600,"alt":12.0,"epx":6.5,"epy":9.25}"#;
        let r = reading(tpv).unwrap().unwrap();
        assert_eq!((r.lat, r.lon, r.locked, r.accuracy_m), (Some(43.7384), Some(7.4246), true, Some(9.25)));
        assert_eq!(r.at.unwrap().to_rfc3339(), "2026-11-22T20:59:58+00:00");
        let nofix = br#"{"class":"TPV","device":"/dev/pts/1","mode":1}"#;
        let r = reading(nofix).unwrap().unwrap();
        assert!(!r.locked && r.lat.is_none());
        assert!(reading(br#"{"class":"SKY","satellites":[]}"#).unwrap().is_none());
        assert!(reading(br#"{"class":"TOFF","real_sec":1}"#).unwrap().is_none());
        assert!(reading(b"garbage").is_err());
    }
}
