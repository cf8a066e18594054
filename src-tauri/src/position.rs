//! The position sources behind one interface: gpsd on laptops (a thread reading the
//! patrol car's receiver), the phone's location service on Android/iOS (the UI reads
//! tauri-plugin-geolocation and reports each reading here), and a manual pin.
//!
//! Every reading is judged by `vigie_core::position::assess` when it is used, never when
//! it arrives: a fix that was fine a minute ago is stale now. A pin, when set, wins — the
//! officer put it there on purpose — and is labelled as such everywhere.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use vigie_core::position::{assess, Fix, FixPolicy, FixProblem, FixSource, RawFix};
use vigie_core::{LatLon, Timestamp};

/// The latest readings of every source.
#[derive(Default)]
pub struct Positions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    pin: Option<LatLon>,
    gpsd: Option<RawFix>,
    gpsd_addr: Option<String>,
    gpsd_error: Option<String>,
    device: Option<RawFix>,
}

impl Positions {
    /// The position to use at `now`, or why there is none.
    pub fn current(&self, now: Timestamp) -> Result<Fix, FixProblem> {
        let inner = self.inner.lock().unwrap();
        if let Some(pin) = inner.pin {
            let raw = RawFix {
                source: FixSource::ManualPin,
                lat: Some(pin.lat()),
                lon: Some(pin.lon()),
                locked: true,
                accuracy_m: None,
                at: Some(now),
            };
            return assess(raw, now, &FixPolicy::default());
        }
        // The freshest usable reading; otherwise the problem of the freshest one.
        let readings = [inner.gpsd, inner.device];
        let mut problem = None;
        for raw in readings.into_iter().flatten() {
            match assess(raw, now, &FixPolicy::default()) {
                Ok(fix) => return Ok(fix),
                Err(p) => problem = problem.or(Some(p)),
            }
        }
        Err(problem.unwrap_or(FixProblem::NoLock))
    }

    /// The sources configured, for display.
    pub fn sources(&self) -> Vec<String> {
        let inner = self.inner.lock().unwrap();
        let mut out = Vec::new();
        if let Some(a) = &inner.gpsd_addr {
            match &inner.gpsd_error {
                Some(e) => out.push(format!("gpsd {a} — {e}")),
                None => out.push(format!("gpsd {a}")),
            }
        }
        if inner.device.is_some() {
            out.push("téléphone / phone".into());
        }
        if inner.pin.is_some() {
            out.push("repère manuel / manual pin".into());
        }
        out
    }

    /// Places (or with `None` removes) the manual pin. (0, 0) is refused by `LatLon`.
    pub fn set_pin(&self, pin: Option<LatLon>) {
        self.inner.lock().unwrap().pin = pin;
    }

    /// A reading of the phone's location service.
    pub fn report_device(&self, raw: RawFix) {
        self.inner.lock().unwrap().device = Some(raw);
    }

    fn report_gpsd(&self, raw: Result<RawFix, String>) {
        let mut inner = self.inner.lock().unwrap();
        match raw {
            Ok(r) => {
                inner.gpsd = Some(r);
                inner.gpsd_error = None;
            }
            Err(e) => inner.gpsd_error = Some(e),
        }
    }

    /// Reads gpsd at `addr` on a thread of its own, for the life of the app: reconnects
    /// every 2 s when gpsd is away (the receiver may be plugged in later).
    pub fn watch_gpsd(self: &Arc<Self>, addr: String) {
        self.inner.lock().unwrap().gpsd_addr = Some(addr.clone());
        let me = Arc::clone(self);
        std::thread::Builder::new()
            .name("gpsd".into())
            .spawn(move || loop {
                match vigie_gpsd::GpsdSource::connect(addr.as_str()) {
                    Ok(mut source) => loop {
                        match source.next_reading() {
                            Ok(raw) => me.report_gpsd(Ok(raw)),
                            Err(e) => {
                                me.report_gpsd(Err(e.to_string()));
                                break;
                            }
                        }
                    },
                    Err(e) => me.report_gpsd(Err(e.to_string())),
                }
                std::thread::sleep(Duration::from_secs(2));
            })
            .expect("a thread for gpsd");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap()
    }

    fn raw(source: FixSource, lat: f64, lon: f64, locked: bool, age_s: i64) -> RawFix {
        RawFix {
            source,
            lat: Some(lat),
            lon: Some(lon),
            locked,
            accuracy_m: Some(5.0),
            at: Some(now() - chrono::Duration::seconds(age_s)),
        }
    }

    #[test]
    fn the_desktop_plugins_null_island_is_never_used() {
        let p = Positions::default();
        p.report_device(raw(FixSource::Device, 0.0, 0.0, true, 0));
        assert_eq!(p.current(now()), Err(FixProblem::NullIsland));
    }

    #[test]
    fn a_pin_wins_and_a_stale_or_unlocked_gpsd_is_refused() {
        let p = Positions::default();
        assert_eq!(p.current(now()), Err(FixProblem::NoLock), "no source at all");
        p.report_gpsd(Ok(raw(FixSource::Gpsd, 43.73, 7.42, false, 0)));
        assert_eq!(p.current(now()), Err(FixProblem::NoLock));
        p.report_gpsd(Ok(raw(FixSource::Gpsd, 43.73, 7.42, true, 120)));
        assert!(matches!(p.current(now()), Err(FixProblem::Stale { seconds: 120 })));
        p.report_gpsd(Ok(raw(FixSource::Gpsd, 43.73, 7.42, true, 1)));
        assert_eq!(p.current(now()).unwrap().source, FixSource::Gpsd);
        p.set_pin(Some(LatLon::new(43.74, 7.43).unwrap()));
        let fix = p.current(now()).unwrap();
        assert_eq!((fix.source, fix.position.lat()), (FixSource::ManualPin, 43.74));
        p.set_pin(None);
        assert_eq!(p.current(now()).unwrap().source, FixSource::Gpsd);
    }
}
