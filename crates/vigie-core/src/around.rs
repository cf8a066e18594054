//! "Autour de moi": the cameras around a point, as the officer needs them listed — nearest
//! first, with the direction to look, whether each could have seen the point at the
//! moment of the incident, and how long its footage of that moment remains.
//!
//! The app's list, the platform's `cameras near|seeing` and their HTTP twins all build
//! their rows here, so they agree.

use crate::camera::{Camera, CameraStatus};
use crate::coverage::{self, Visibility};
use crate::geo::{self, LatLon};
use crate::index::CameraIndex;
use crate::retention::{self, RetentionStatus};
use crate::Timestamp;

/// One camera around the point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AroundEntry<'a> {
    /// The camera.
    pub camera: &'a Camera,
    /// Where it stood at the moment asked about.
    pub position: LatLon,
    /// Distance from the point, metres.
    pub distance_m: f64,
    /// Direction from the point to the camera, degrees clockwise from north.
    pub bearing_deg: f64,
    /// Whether it could have seen the point at that moment (`None`: it could not, or it
    /// was known to be out of order).
    pub visibility: Option<Visibility>,
    /// Its status at that moment.
    pub status: CameraStatus,
    /// When its footage of that moment is erased, seen from `now`.
    pub retention: RetentionStatus,
}

/// What to list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AroundQuery {
    /// The point (the officer's position, or a point pressed on the map).
    pub point: LatLon,
    /// The moment of the incident.
    pub at: Timestamp,
    /// Now, for the retention countdown.
    pub now: Timestamp,
    /// How far to look, metres.
    pub radius_m: f64,
    /// At most this many rows.
    pub limit: usize,
    /// Only the cameras that could have seen the point ("pouvaient voir ce point").
    pub only_seeing: bool,
}

/// The rows of the list, nearest first. With `only_seeing`, the radius still bounds the
/// search, and every camera whose field of view reached the point is listed.
pub fn around<'a>(index: &'a CameraIndex, q: &AroundQuery) -> Vec<AroundEntry<'a>> {
    let rows = index.within(q.point, q.radius_m, q.at).into_iter().map(|n| {
        let status = n.camera.status.status_at(q.at);
        let visibility = match (status, n.camera.placement_at(q.at)) {
            (CameraStatus::OutOfOrder, _) | (_, None) => None,
            (_, Some(pl)) => coverage::visibility(n.camera, pl, q.point),
        };
        AroundEntry {
            camera: n.camera,
            position: n.position,
            distance_m: n.distance_m,
            bearing_deg: geo::bearing_deg(q.point, n.position),
            visibility,
            status,
            retention: retention::retention(n.camera, q.at, q.now),
        }
    });
    rows.filter(|r| !q.only_seeing || r.visibility.is_some()).take(q.limit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::{CameraType, StatusReport, View};
    use crate::geo::LocalFrame;
    use crate::retention::Urgency;
    use chrono::TimeZone;

    #[test]
    fn the_list_an_officer_reads() {
        let incident = chrono::Utc.with_ymd_and_hms(2026, 11, 20, 22, 30, 0).unwrap();
        let now = incident + chrono::Duration::days(5);
        let here = LatLon::new(45.1885, 5.7245).unwrap();
        let f = LocalFrame::new(here);
        // 20 m south looking north: sees us. 10 m east looking east: does not. 30 m north,
        // out of order since before the incident. A PTZ 60 m west: possibly.
        let mut facing = Camera::fixed_at(
            "facing",
            f.unproject(0.0, -20.0).unwrap(),
            vec![View { azimuth_deg: 0.0, fov_deg: 60.0, range_m: 40.0 }],
        );
        facing.retention_days = Some(7);
        let away = Camera::fixed_at(
            "away",
            f.unproject(10.0, 0.0).unwrap(),
            vec![View { azimuth_deg: 90.0, fov_deg: 60.0, range_m: 40.0 }],
        );
        let mut broken = Camera::fixed_at(
            "broken",
            f.unproject(0.0, 30.0).unwrap(),
            vec![View { azimuth_deg: 180.0, fov_deg: 90.0, range_m: 50.0 }],
        );
        broken.status =
            StatusReport { status: CameraStatus::OutOfOrder, verified_at: Some(incident - chrono::Duration::days(1)) };
        let mut ptz = Camera::fixed_at("ptz", f.unproject(-60.0, 0.0).unwrap(), vec![]);
        ptz.camera_type = CameraType::Panning;
        let index = CameraIndex::new(vec![facing, away, broken, ptz]).unwrap();
        let q = AroundQuery { point: here, at: incident, now, radius_m: 300.0, limit: 50, only_seeing: false };
        let rows = around(&index, &q);
        let summary: Vec<(&str, i64, i64, Option<Visibility>)> = rows
            .iter()
            .map(|r| (r.camera.id.0.as_str(), r.distance_m.round() as i64, r.bearing_deg.round() as i64, r.visibility))
            .collect();
        assert_eq!(
            summary,
            [
                ("away", 10, 90, None),
                ("facing", 20, 180, Some(Visibility::InView)),
                ("broken", 30, 0, None),
                ("ptz", 60, 270, Some(Visibility::Possible)),
            ]
        );
        assert_eq!(
            (rows[1].retention.urgency, rows[1].retention.known),
            (Urgency::Critical, true),
            "7 days kept, 5 gone: 48 h left"
        );
        assert_eq!(rows[2].status, CameraStatus::OutOfOrder);
        let seeing: Vec<&str> =
            around(&index, &AroundQuery { only_seeing: true, ..q }).iter().map(|r| r.camera.id.0.as_str()).collect();
        assert_eq!(seeing, ["facing", "ptz"]);
        assert_eq!(around(&index, &AroundQuery { limit: 1, ..q }).len(), 1);
    }
}
