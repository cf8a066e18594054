//! WGS84 positions, a local projection, distance and bearing.
//!
//! Questions about cameras are local (a camera sees tens to a few hundred metres), so the
//! geometry works in a local tangent plane: an equirectangular projection whose scales are
//! the WGS84 ellipsoid's radii of curvature at the reference latitude (meridional `M` for
//! north–south, prime vertical `N·cos φ` for east–west). Within 5 km it agrees with the
//! ellipsoidal geodesic to better than 0.05 % (the tests check ≤ 0.5 % against
//! GeographicLib), which is far below the precision of any camera position.

use std::fmt;

/// WGS84 semi-major axis, metres.
const WGS84_A: f64 = 6_378_137.0;
/// WGS84 first eccentricity squared.
const WGS84_E2: f64 = 6.694_379_990_141_316e-3;
/// Mean Earth radius (IUGG), metres; used only for the index's 3-D embedding.
pub(crate) const MEAN_RADIUS_M: f64 = 6_371_008.8;

/// A WGS84 position in decimal degrees, validated: finite, latitude in [-90, 90],
/// longitude in [-180, 180], and never exactly (0, 0), the value a GPS or a geolocation
/// API returns when it has no fix.
#[derive(Clone, Copy, PartialEq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawLatLon", into = "RawLatLon")]
pub struct LatLon {
    lat: f64,
    lon: f64,
}

/// Why a pair of numbers is not a usable position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PositionError {
    /// A coordinate is NaN or infinite.
    #[error("coordinate is not a finite number (lat {lat}, lon {lon})")]
    NotFinite {
        /// The latitude given.
        lat: f64,
        /// The longitude given.
        lon: f64,
    },
    /// Latitude outside [-90, 90].
    #[error("latitude {0} is outside [-90, 90]")]
    LatitudeOutOfRange(f64),
    /// Longitude outside [-180, 180].
    #[error("longitude {0} is outside [-180, 180]")]
    LongitudeOutOfRange(f64),
    /// Exactly (0, 0): what a receiver without a fix reports.
    #[error("position (0, 0) is what a receiver without a fix reports; refused")]
    NullIsland,
}

impl LatLon {
    /// Validates and builds a position. Errors say which coordinate is wrong.
    pub fn new(lat: f64, lon: f64) -> Result<LatLon, PositionError> {
        if !lat.is_finite() || !lon.is_finite() {
            return Err(PositionError::NotFinite { lat, lon });
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(PositionError::LatitudeOutOfRange(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(PositionError::LongitudeOutOfRange(lon));
        }
        if lat == 0.0 && lon == 0.0 {
            return Err(PositionError::NullIsland);
        }
        Ok(LatLon { lat, lon })
    }

    /// Latitude, degrees.
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Longitude, degrees.
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Point on a sphere of mean radius, in metres (Earth-centred, Earth-fixed).
    /// The chord between two such points grows strictly with the great-circle angle,
    /// which is what the spatial index relies on.
    pub(crate) fn to_sphere(self) -> [f64; 3] {
        let (phi, lam) = (self.lat.to_radians(), self.lon.to_radians());
        [MEAN_RADIUS_M * phi.cos() * lam.cos(), MEAN_RADIUS_M * phi.cos() * lam.sin(), MEAN_RADIUS_M * phi.sin()]
    }
}

impl fmt::Display for LatLon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}, {:.6}", self.lat, self.lon)
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct RawLatLon {
    lat: f64,
    lon: f64,
}

impl TryFrom<RawLatLon> for LatLon {
    type Error = PositionError;
    fn try_from(r: RawLatLon) -> Result<Self, Self::Error> {
        LatLon::new(r.lat, r.lon)
    }
}

impl From<LatLon> for RawLatLon {
    fn from(p: LatLon) -> Self {
        RawLatLon { lat: p.lat, lon: p.lon }
    }
}

/// A local tangent plane around an origin: x metres east, y metres north.
#[derive(Clone, Copy, Debug)]
pub struct LocalFrame {
    origin: LatLon,
    /// Metres per radian of latitude.
    m_per_rad_lat: f64,
    /// Metres per radian of longitude.
    m_per_rad_lon: f64,
}

impl LocalFrame {
    /// The frame centred on `origin`.
    pub fn new(origin: LatLon) -> LocalFrame {
        let phi = origin.lat.to_radians();
        let s2 = phi.sin() * phi.sin();
        let w = (1.0 - WGS84_E2 * s2).sqrt();
        let n = WGS84_A / w;
        let m = WGS84_A * (1.0 - WGS84_E2) / (w * w * w);
        LocalFrame { origin, m_per_rad_lat: m, m_per_rad_lon: n * phi.cos() }
    }

    /// The frame's origin.
    pub fn origin(&self) -> LatLon {
        self.origin
    }

    /// `p` in this frame, metres `(east, north)`.
    pub fn project(&self, p: LatLon) -> (f64, f64) {
        let dlon = wrap_deg(p.lon - self.origin.lon).to_radians();
        let dlat = (p.lat - self.origin.lat).to_radians();
        (dlon * self.m_per_rad_lon, dlat * self.m_per_rad_lat)
    }

    /// The position at `(east, north)` metres in this frame. `None` if that falls off the
    /// globe (beyond a pole) or exactly on (0, 0).
    pub fn unproject(&self, east: f64, north: f64) -> Option<LatLon> {
        let lat = self.origin.lat + (north / self.m_per_rad_lat).to_degrees();
        let lon = wrap_deg(self.origin.lon + (east / self.m_per_rad_lon).to_degrees());
        LatLon::new(lat, lon).ok()
    }
}

/// Distance in metres between two positions, in the local frame at their mid-latitude
/// (symmetric: `distance_m(a, b) == distance_m(b, a)`).
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    let (e, n) = offset_m(a, b);
    // Not `hypot`: its overflow care costs time on the index's hot path, and metre-scale
    // values cannot overflow.
    (e * e + n * n).sqrt()
}

/// Bearing from `a` to `b`, degrees clockwise from true north, in [0, 360).
pub fn bearing_deg(a: LatLon, b: LatLon) -> f64 {
    let (e, n) = offset_m(a, b);
    azimuth_deg(e, n)
}

/// Offset `(east, north)` in metres from `a` to `b`, in the frame at their mid-latitude.
pub fn offset_m(a: LatLon, b: LatLon) -> (f64, f64) {
    let mid = LatLon { lat: (a.lat + b.lat) / 2.0, lon: a.lon };
    let frame = LocalFrame::new(mid);
    let dlon = wrap_deg(b.lon - a.lon).to_radians();
    let dlat = (b.lat - a.lat).to_radians();
    (dlon * frame.m_per_rad_lon, dlat * frame.m_per_rad_lat)
}

/// The azimuth of the vector `(east, north)`, degrees clockwise from north in [0, 360).
pub fn azimuth_deg(east: f64, north: f64) -> f64 {
    normalize_deg(east.atan2(north).to_degrees())
}

/// `deg` brought into [0, 360).
pub fn normalize_deg(deg: f64) -> f64 {
    let d = deg.rem_euclid(360.0);
    if d >= 360.0 {
        0.0
    } else {
        d
    }
}

/// Smallest absolute angle between two azimuths, degrees in [0, 180].
pub fn angle_between_deg(a: f64, b: f64) -> f64 {
    let d = normalize_deg(a - b);
    d.min(360.0 - d)
}

/// A longitude difference brought into [-180, 180).
fn wrap_deg(d: f64) -> f64 {
    if (-180.0..180.0).contains(&d) {
        d
    } else {
        (d + 180.0).rem_euclid(360.0) - 180.0
    }
}

/// Chord length on the mean sphere that corresponds to `arc_m` metres along it.
pub(crate) fn arc_to_chord(arc_m: f64) -> f64 {
    let half = (arc_m / (2.0 * MEAN_RADIUS_M)).min(std::f64::consts::FRAC_PI_2);
    2.0 * MEAN_RADIUS_M * half.sin()
}

/// Arc length on the mean sphere for a chord of `chord_m` metres.
pub(crate) fn chord_to_arc(chord_m: f64) -> f64 {
    2.0 * MEAN_RADIUS_M * (chord_m / (2.0 * MEAN_RADIUS_M)).min(1.0).asin()
}

/// The eight compass points of a bearing, in French (O for ouest), as people and printed
/// requisitions name directions.
pub fn compass_fr(bearing_deg: f64) -> &'static str {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SO", "O", "NO"];
    POINTS[((bearing_deg.rem_euclid(360.0) + 22.5) / 45.0) as usize % 8]
}

#[cfg(test)]
mod tests {
    use super::*;
    use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
    use proptest::prelude::*;

    fn p(lat: f64, lon: f64) -> LatLon {
        LatLon::new(lat, lon).unwrap()
    }

    #[test]
    fn refuses_null_island_and_nonsense() {
        assert_eq!(LatLon::new(0.0, 0.0), Err(PositionError::NullIsland));
        assert!(matches!(LatLon::new(f64::NAN, 2.0), Err(PositionError::NotFinite { .. })));
        assert_eq!(LatLon::new(91.0, 2.0), Err(PositionError::LatitudeOutOfRange(91.0)));
        assert_eq!(LatLon::new(48.0, 181.0), Err(PositionError::LongitudeOutOfRange(181.0)));
        assert!(LatLon::new(0.0, 2.0).is_ok(), "the equator and the meridian are fine");
        let json = r#"{"lat":0.0,"lon":0.0}"#;
        assert!(serde_json::from_str::<LatLon>(json).is_err(), "deserialising validates too");
    }

    #[test]
    fn bearings_point_the_right_way() {
        let notre_dame = p(48.8530, 2.3499);
        let north = LocalFrame::new(notre_dame).unproject(0.0, 100.0).unwrap();
        let east = LocalFrame::new(notre_dame).unproject(100.0, 0.0).unwrap();
        assert!(bearing_deg(notre_dame, north) < 1e-9 || bearing_deg(notre_dame, north) > 360.0 - 1e-9);
        assert!((bearing_deg(notre_dame, east) - 90.0).abs() < 1e-6);
        assert!((bearing_deg(east, notre_dame) - 270.0).abs() < 1e-6);
        assert!((distance_m(notre_dame, north) - 100.0).abs() < 1e-3);
        assert!((angle_between_deg(350.0, 10.0) - 20.0).abs() < 1e-12);
    }

    #[test]
    fn crossing_the_antimeridian_is_short() {
        let a = p(-16.5, 179.999);
        let b = p(-16.5, -179.999);
        assert!(distance_m(a, b) < 300.0, "{}", distance_m(a, b));
    }

    proptest! {
        /// The local projection against the WGS84 geodesic (Karney's algorithm): within
        /// 5 km, distance within 0.5 % and bearing within 0.5° everywhere people live.
        #[test]
        fn local_projection_matches_geodesic_within_5km(
            lat in -70.0f64..70.0, lon in -179.0f64..179.0,
            azi in 0.0f64..360.0, dist in 1.0f64..5_000.0,
        ) {
            prop_assume!(lat != 0.0 || lon != 0.0);
            let g = Geodesic::wgs84();
            let (lat2, lon2): (f64, f64) = g.direct(lat, lon, azi, dist);
            let (a, b) = (p(lat, lon), p(lat2, lon2));
            let ours = distance_m(a, b);
            let theirs: f64 = g.inverse(lat, lon, lat2, lon2);
            prop_assert!((ours - theirs).abs() / theirs <= 0.005, "{ours} vs {theirs}");
            prop_assert!(angle_between_deg(bearing_deg(a, b), azi) <= 0.5);
            let (e, n) = LocalFrame::new(a).project(b);
            prop_assert!((e.hypot(n) - theirs).abs() / theirs <= 0.005);
        }
    }
}
