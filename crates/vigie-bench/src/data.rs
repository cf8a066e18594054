//! Deterministic synthetic data: a national registry clustered in towns, query points,
//! 5 km routes, and the registry as GeoJSON.

use chrono::{Duration, TimeZone, Utc};
use vigie_core::camera::{CameraType, View};
use vigie_core::geo::{LatLon, LocalFrame};
use vigie_core::{Camera, Route, Timestamp};

/// SplitMix64: small, fast, and the same sequence on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }
}

/// The moment every query is about.
pub fn moment() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 22, 30, 0).unwrap()
}

/// `n` cameras over mainland France: 90 % in 300 towns (sizes roughly Zipf, spread a few
/// kilometres), 10 % in the countryside; 80 % fixed with one view, 20 % PTZ domes.
pub fn cameras(n: usize, seed: u64) -> Vec<Camera> {
    let mut rng = Rng::new(seed);
    let towns: Vec<(LatLon, f64)> = (0..300)
        .map(|i| {
            let centre = LatLon::new(rng.range(43.3, 50.5), rng.range(-1.0, 7.3)).unwrap();
            (centre, 1.0 / (i as f64 + 1.0))
        })
        .collect();
    let total: f64 = towns.iter().map(|t| t.1).sum();
    (0..n)
        .map(|i| {
            let position = if rng.unit() < 0.9 {
                let mut pick = rng.unit() * total;
                let town = towns.iter().find(|t| {
                    pick -= t.1;
                    pick <= 0.0
                });
                let (centre, _) = town.unwrap_or(&towns[0]);
                let spread = 1_500.0;
                LocalFrame::new(*centre).unproject(rng.normal() * spread, rng.normal() * spread).unwrap()
            } else {
                LatLon::new(rng.range(43.3, 50.5), rng.range(-1.0, 7.3)).unwrap()
            };
            let ptz = rng.unit() < 0.2;
            let views = if ptz {
                Vec::new()
            } else {
                vec![View {
                    azimuth_deg: rng.range(0.0, 360.0),
                    fov_deg: rng.range(50.0, 100.0),
                    range_m: rng.range(25.0, 80.0),
                }]
            };
            let mut c = Camera::fixed_at(format!("bench:{i:07}"), position, views);
            c.camera_type = if ptz { CameraType::Dome } else { CameraType::Fixed };
            c
        })
        .collect()
}

/// Query points where officers would be: near a random camera, up to 150 m away.
pub fn query_points(cameras: &[Camera], n: usize, seed: u64) -> Vec<LatLon> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let c = &cameras[(rng.next_u64() % cameras.len() as u64) as usize];
            LocalFrame::new(c.placements[0].position)
                .unproject(rng.range(-150.0, 150.0), rng.range(-150.0, 150.0))
                .unwrap()
        })
        .collect()
}

/// A 5 km route from `start`: 20 legs of 250 m, wandering, at 30 km/h, ending at `end`.
pub fn route_5km(start: LatLon, end: Timestamp, seed: u64) -> Route {
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut heading = rng.range(0.0, 360.0f64).to_radians();
    let leg_s = 250.0 / (30.0 / 3.6);
    let mut t = end - Duration::milliseconds((20.0 * leg_s * 1000.0) as i64);
    let mut p = start;
    let mut pts = vec![(p, t)];
    for _ in 0..20 {
        heading += rng.range(-0.6, 0.6);
        p = LocalFrame::new(p).unproject(250.0 * heading.sin(), 250.0 * heading.cos()).unwrap();
        t += Duration::milliseconds((leg_s * 1000.0) as i64);
        pts.push((p, t));
    }
    Route::new(pts).unwrap()
}

/// The cameras as an OSM-flavoured GeoJSON FeatureCollection.
pub fn geojson(cameras: &[Camera]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(cameras.len() * 260);
    s.push_str("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (i, c) in cameras.iter().enumerate() {
        let p = c.placements[0].position;
        let (kind, dir) = match c.placements[0].views.first() {
            Some(v) => ("fixed", format!(",\"camera:direction\":\"{:.0}\"", v.azimuth_deg)),
            None => ("dome", String::new()),
        };
        let sep = if i + 1 == cameras.len() { "" } else { "," };
        writeln!(
            s,
            "{{\"type\":\"Feature\",\"id\":\"{}\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{:.7},{:.7}]}},\"properties\":{{\"man_made\":\"surveillance\",\"surveillance:type\":\"camera\",\"surveillance\":\"public\",\"camera:type\":\"{kind}\"{dir},\"camera:mount\":\"pole\",\"operator\":\"Ville\"}}}}{sep}",
            c.id, p.lon(), p.lat()
        )
        .unwrap();
    }
    s.push_str("]}\n");
    s
}
