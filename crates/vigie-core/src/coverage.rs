//! Whether a camera's field of view reaches a point, or which part of a route segment.
//!
//! The reach of a placement is either a set of sectors (a fixed camera with known views:
//! the point is **in view**) or a disk (a panning or dome camera, or any camera whose
//! direction is unknown: the point is **possibly** seen). Panning cameras that state a
//! nominal view report points inside it as in view and the rest of their disk as possible.
//! All computations happen in the camera's [`LocalFrame`], x east and y north, in metres.

use crate::camera::{Camera, Placement, View};
use crate::geo::{angle_between_deg, azimuth_deg, LatLon, LocalFrame};

/// How sure we are that a camera covered a point.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Inside a stated view and its range.
    InView,
    /// Within range of a camera that can turn, or whose direction nobody recorded.
    Possible,
}

/// Farthest distance at which this placement may see anything, metres.
pub fn reach_m(camera: &Camera, placement: &Placement) -> f64 {
    let views = placement.views.iter().map(|v| v.range_m).fold(0.0, f64::max);
    if placement.views.is_empty() || camera.can_pan() {
        views.max(camera.default_range_m())
    } else {
        views
    }
}

/// Whether `placement` of `camera` covers `p`, and how surely.
pub fn visibility(camera: &Camera, placement: &Placement, p: LatLon) -> Option<Visibility> {
    let (x, y) = LocalFrame::new(placement.position).project(p);
    visibility_xy(camera, placement, x, y)
}

fn visibility_xy(camera: &Camera, placement: &Placement, x: f64, y: f64) -> Option<Visibility> {
    let d = x.hypot(y);
    let az = azimuth_deg(x, y);
    if placement.views.iter().any(|v| in_sector(v, d, az)) {
        return Some(Visibility::InView);
    }
    if (placement.views.is_empty() || camera.can_pan()) && d <= reach_m(camera, placement) {
        return Some(Visibility::Possible);
    }
    None
}

fn in_sector(v: &View, d: f64, az: f64) -> bool {
    d <= v.range_m && (d == 0.0 || v.fov_deg >= 360.0 || angle_between_deg(az, v.azimuth_deg) <= v.fov_deg / 2.0)
}

/// The parts `[s0, s1]` of the segment `a + s·(b − a)`, `s ∈ [0, 1]` (in the camera's
/// frame) that the placement covers, sorted and disjoint, with the best visibility on each.
pub fn segment_coverage(
    camera: &Camera,
    placement: &Placement,
    a: (f64, f64),
    b: (f64, f64),
) -> Vec<(f64, f64, Visibility)> {
    let seg = Segment { a, d: (b.0 - a.0, b.1 - a.1) };
    let in_view = union(placement.views.iter().flat_map(|v| seg.sector(v)).collect());
    if !(placement.views.is_empty() || camera.can_pan()) {
        return in_view.into_iter().map(|(s0, s1)| (s0, s1, Visibility::InView)).collect();
    }
    // A disk, with the in-view parts carved out of it.
    let Some((d0, d1)) = seg.disk(reach_m(camera, placement)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut cursor = d0;
    for (s0, s1) in in_view {
        if s0 > cursor {
            out.push((cursor, s0, Visibility::Possible));
        }
        out.push((s0, s1, Visibility::InView));
        cursor = cursor.max(s1);
    }
    if d1 > cursor {
        out.push((cursor, d1, Visibility::Possible));
    }
    out
}

/// A segment `a + s·d`, `s ∈ [0, 1]`.
struct Segment {
    a: (f64, f64),
    d: (f64, f64),
}

impl Segment {
    /// Where `|a + s·d| ≤ r`.
    fn disk(&self, r: f64) -> Option<(f64, f64)> {
        let (ax, ay) = self.a;
        let (dx, dy) = self.d;
        let qa = dx * dx + dy * dy;
        let qb = 2.0 * (ax * dx + ay * dy);
        let qc = ax * ax + ay * ay - r * r;
        if qa < 1e-12 {
            return (qc <= 0.0).then_some((0.0, 1.0));
        }
        let disc = qb * qb - 4.0 * qa * qc;
        if disc < 0.0 {
            return None;
        }
        let sq = disc.sqrt();
        clip((-qb - sq) / (2.0 * qa), (-qb + sq) / (2.0 * qa))
    }

    /// Where `n · (a + s·d) ≥ 0`.
    fn half_plane(&self, n: (f64, f64)) -> Option<(f64, f64)> {
        let c0 = n.0 * self.a.0 + n.1 * self.a.1;
        let c1 = n.0 * self.d.0 + n.1 * self.d.1;
        if c1.abs() < 1e-12 {
            return (c0 >= 0.0).then_some((0.0, 1.0));
        }
        let root = -c0 / c1;
        if c1 > 0.0 {
            clip(root, 1.0)
        } else {
            clip(0.0, root)
        }
    }

    /// Where the point is inside the wedge `[centre − half, centre + half]`, `half ≤ 90°`.
    fn wedge(&self, centre: f64, half: f64) -> Option<(f64, f64)> {
        let (lo, hi) = ((centre - half).to_radians(), (centre + half).to_radians());
        // Clockwise of the `lo` ray: n = (cos lo, −sin lo); anticlockwise of `hi`: n = (−cos hi, sin hi).
        let (a0, a1) = self.half_plane((lo.cos(), -lo.sin()))?;
        let (b0, b1) = self.half_plane((-hi.cos(), hi.sin()))?;
        clip(a0.max(b0), a1.min(b1))
    }

    /// Where the point is inside the view's sector (within its range and angle).
    fn sector(&self, v: &View) -> Vec<(f64, f64)> {
        let Some((d0, d1)) = self.disk(v.range_m) else {
            return Vec::new();
        };
        let half = v.fov_deg / 2.0;
        if v.fov_deg >= 360.0 {
            return vec![(d0, d1)];
        }
        if half <= 90.0 {
            return self
                .wedge(v.azimuth_deg, half)
                .and_then(|(w0, w1)| clip(d0.max(w0), d1.min(w1)))
                .into_iter()
                .collect();
        }
        // Wider than a half-plane: the disk minus the narrow wedge behind the camera.
        let Some((c0, c1)) = self.wedge(v.azimuth_deg + 180.0, 180.0 - half) else {
            return vec![(d0, d1)];
        };
        [clip(d0, d1.min(c0)), clip(d0.max(c1), d1)].into_iter().flatten().collect()
    }
}

fn clip(lo: f64, hi: f64) -> Option<(f64, f64)> {
    let (lo, hi) = (lo.max(0.0), hi.min(1.0));
    (lo <= hi).then_some((lo, hi))
}

fn union(mut parts: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    parts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(parts.len());
    for (s0, s1) in parts {
        match out.last_mut() {
            Some(last) if s0 <= last.1 => last.1 = last.1.max(s1),
            _ => out.push((s0, s1)),
        }
    }
    out
}

/// What the map draws of a placement's reach.
#[derive(Clone, PartialEq, Debug)]
pub struct Outline {
    /// The closed ring (first point repeated last), clockwise seen from above.
    pub ring: Vec<LatLon>,
    /// `InView` for a stated view's sector, `Possible` for the disk of a camera that can
    /// turn or whose direction nobody recorded.
    pub visibility: Visibility,
}

/// The shapes to draw for `placement` of `camera`: one sector per stated view, plus the
/// disk of possible reach when the camera can turn or has no stated view — the same rule
/// as [`visibility`], so what the map shows is what "Autour de moi" answers. Arcs are
/// drawn with one vertex every `step_deg` degrees at most.
pub fn outlines(camera: &Camera, placement: &Placement, step_deg: f64) -> Vec<Outline> {
    let frame = LocalFrame::new(placement.position);
    let step = step_deg.clamp(1.0, 90.0);
    let arc = |centre: f64, width: f64, range: f64, with_apex: bool| -> Vec<LatLon> {
        let n = (width / step).ceil().max(1.0) as usize;
        let start = centre - width / 2.0;
        let mut ring: Vec<LatLon> = Vec::with_capacity(n + 3);
        if with_apex {
            ring.push(placement.position);
        }
        for i in 0..=n {
            let az = (start + width * i as f64 / n as f64).to_radians();
            // Only (0, 0) can fail here, and a ring vertex there is simply skipped.
            ring.extend(frame.unproject(range * az.sin(), range * az.cos()));
        }
        if let Some(&first) = ring.first() {
            ring.push(first);
        }
        ring
    };
    let mut out = Vec::new();
    if placement.views.is_empty() || camera.can_pan() {
        out.push(Outline {
            ring: arc(0.0, 360.0, reach_m(camera, placement), false),
            visibility: Visibility::Possible,
        });
    }
    for v in &placement.views {
        let full = v.fov_deg >= 360.0;
        let width = v.fov_deg.clamp(0.0, 360.0);
        out.push(Outline { ring: arc(v.azimuth_deg, width, v.range_m, !full), visibility: Visibility::InView });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::CameraType;
    use proptest::prelude::*;

    fn cam(views: Vec<View>, camera_type: CameraType) -> Camera {
        let mut c = Camera::fixed_at("c", LatLon::new(48.8566, 2.3522).unwrap(), views);
        c.camera_type = camera_type;
        c
    }

    fn view(azimuth_deg: f64, fov_deg: f64, range_m: f64) -> View {
        View { azimuth_deg, fov_deg, range_m }
    }

    fn at(c: &Camera, east: f64, north: f64) -> Option<Visibility> {
        let p = LocalFrame::new(c.placements[0].position).unproject(east, north).unwrap();
        visibility(c, &c.placements[0], p)
    }

    #[test]
    fn a_fixed_camera_sees_only_its_sector() {
        let c = cam(vec![view(90.0, 60.0, 40.0)], CameraType::Fixed);
        assert_eq!(at(&c, 30.0, 0.0), Some(Visibility::InView), "straight ahead, in range");
        assert_eq!(at(&c, 30.0, 15.0), Some(Visibility::InView), "26.6° off axis < 30°");
        assert_eq!(at(&c, 30.0, 20.0), None, "33.7° off axis > 30°");
        assert_eq!(at(&c, 45.0, 0.0), None, "beyond range");
        assert_eq!(at(&c, -10.0, 0.0), None, "behind");
    }

    #[test]
    fn a_panning_camera_possibly_sees_all_around() {
        let c = cam(vec![view(0.0, 40.0, 80.0)], CameraType::Panning);
        assert_eq!(at(&c, 0.0, 70.0), Some(Visibility::InView));
        assert_eq!(at(&c, 0.0, -70.0), Some(Visibility::Possible));
        assert_eq!(at(&c, 0.0, -101.0), None, "beyond the default PTZ range");
        let unknown = cam(vec![], CameraType::Unknown);
        assert_eq!(at(&unknown, 30.0, -30.0), Some(Visibility::Possible));
        assert_eq!(at(&unknown, 40.0, -40.0), None, "56 m > 50 m default range");
    }

    #[test]
    fn segment_through_a_sector() {
        let c = cam(vec![view(0.0, 90.0, 100.0)], CameraType::Fixed);
        // A street crossing 50 m north of the camera, west to east, 200 m long.
        let parts = segment_coverage(&c, &c.placements[0], (-100.0, 50.0), (100.0, 50.0));
        assert_eq!(parts.len(), 1);
        let (s0, s1, v) = parts[0];
        assert_eq!(v, Visibility::InView);
        // The 45° edges cut the line at x = ±50 m: s = 0.25 and 0.75.
        assert!((s0 - 0.25).abs() < 1e-9 && (s1 - 0.75).abs() < 1e-9, "{s0} {s1}");
    }

    fn sample_agrees(c: &Camera, a: (f64, f64), b: (f64, f64)) -> Result<(), TestCaseError> {
        let parts = segment_coverage(c, &c.placements[0], a, b);
        for w in parts.windows(2) {
            prop_assert!(w[0].1 <= w[1].0 + 1e-12, "sorted and disjoint: {parts:?}");
        }
        for i in 0..=400 {
            let s = i as f64 / 400.0;
            let (x, y) = (a.0 + s * (b.0 - a.0), a.1 + s * (b.1 - a.1));
            let point = visibility_xy(c, &c.placements[0], x, y);
            let interval = parts.iter().find(|(s0, s1, _)| *s0 - 1e-9 <= s && s <= *s1 + 1e-9).map(|p| p.2);
            // Boundaries are shared by two parts or by a part and the outside: only
            // interior samples must agree exactly.
            let near_edge = parts.iter().any(|(s0, s1, _)| (s - s0).abs() < 1e-6 || (s - s1).abs() < 1e-6);
            if !near_edge {
                prop_assert_eq!(point, interval, "s = {}, parts {:?}", s, parts);
            }
        }
        Ok(())
    }

    proptest! {
        /// The analytic segment intervals agree with the point test along the segment, for
        /// every sector width (narrow, half-plane, wider than a half-plane, panoramic) and
        /// every camera type.
        #[test]
        fn segment_coverage_agrees_with_point_tests(
            az in 0.0f64..360.0, fov in 1.0f64..=360.0, range in 5.0f64..200.0,
            second in proptest::option::of((0.0f64..360.0, 1.0f64..=360.0)),
            pan in any::<bool>(),
            ax in -300.0f64..300.0, ay in -300.0f64..300.0, bx in -300.0f64..300.0, by in -300.0f64..300.0,
        ) {
            let mut views = vec![view(az, fov, range)];
            if let Some((az2, fov2)) = second {
                views.push(view(az2, fov2, range * 0.7));
            }
            let c = cam(views, if pan { CameraType::Panning } else { CameraType::Fixed });
            sample_agrees(&c, (ax, ay), (bx, by))?;
        }
    }
    #[test]
    fn outlines_match_what_visibility_answers() {
        let view = View { azimuth_deg: 90.0, fov_deg: 60.0, range_m: 40.0 };
        let fixed = cam(vec![view], CameraType::Fixed);
        let pl = &fixed.placements[0];
        let shapes = outlines(&fixed, pl, 5.0);
        assert_eq!(shapes.len(), 1, "a fixed camera with one view draws one sector");
        let ring = &shapes[0].ring;
        assert_eq!(shapes[0].visibility, Visibility::InView);
        assert_eq!(ring.first(), ring.last(), "the ring is closed");
        assert_eq!(ring[0], pl.position, "a sector starts at the camera");
        // Every arc vertex is at the view's range and inside its angle.
        let frame = LocalFrame::new(pl.position);
        for p in &ring[1..ring.len() - 1] {
            let (x, y) = frame.project(*p);
            assert!((x.hypot(y) - 40.0).abs() < 0.01, "vertex at {} m", x.hypot(y));
            assert!(angle_between_deg(azimuth_deg(x, y), 90.0) <= 30.0 + 1e-6);
        }
        assert!(ring.len() >= 60 / 5 + 3, "the arc has a vertex every 5° at most");

        let dome = cam(vec![], CameraType::Dome);
        let shapes = outlines(&dome, &dome.placements[0], 10.0);
        assert_eq!(shapes.len(), 1);
        assert_eq!(shapes[0].visibility, Visibility::Possible);
        let (x, y) = LocalFrame::new(dome.placements[0].position).project(shapes[0].ring[3]);
        assert!((x.hypot(y) - reach_m(&dome, &dome.placements[0])).abs() < 0.01);
    }
}
