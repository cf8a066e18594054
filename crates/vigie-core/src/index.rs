//! The spatial index over cameras and its questions.
//!
//! Each placement of each camera is a point of an R*-tree ([`rstar`]) in 3-D: its position
//! on a sphere of mean Earth radius. Chord length on the sphere grows strictly with the
//! great-circle distance, so the tree orders candidates correctly anywhere on Earth (no
//! seam at a UTM zone or the antimeridian). The answers themselves use the exact local
//! distance of [`crate::geo`]; the tree only has to never miss a candidate, which the
//! conservative [`CHORD_SLACK`] bound guarantees. Property tests check every query against
//! brute force on random data.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use chrono::Duration;
use rstar::primitives::GeomWithData;
use rstar::RTree;

use crate::camera::{Camera, CameraStatus};
use crate::coverage::{self, Visibility};
use crate::geo::{self, LatLon, LocalFrame};
use crate::Timestamp;

/// Lower bound of (local distance ÷ great-circle distance on the mean sphere) for the
/// distances these queries handle (up to hundreds of kilometres): the ellipsoid's radii
/// differ from the mean radius by < 0.7 %, the local projection by < 2 % at 1,000 km.
/// 0.9 leaves a wide margin at the cost of looking at a few more candidates.
const CHORD_SLACK: f64 = 0.9;

/// Route segments longer than this are split so each piece stays local.
const MAX_ROUTE_PIECE_M: f64 = 1_000.0;

/// One placement of one camera, as stored in the tree's leaves: everything a query needs
/// to accept or reject a candidate is here, so scanning candidates never chases a pointer
/// into the cameras (which at a million cameras costs a cache miss each).
#[derive(Clone, Copy, Debug)]
struct Entry {
    camera: u32,
    placement: u32,
    position: LatLon,
    /// Validity as nanoseconds since the epoch, `[from, to)`, open ends as `i64::MIN/MAX`.
    from_ns: i64,
    to_ns: i64,
}

impl Entry {
    fn valid_at(&self, at_ns: i64) -> bool {
        self.from_ns <= at_ns && at_ns < self.to_ns
    }
}

/// Nanoseconds since the epoch, saturating outside 1677–2262 (exact for every real date).
fn nanos(t: Timestamp) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 { i64::MIN } else { i64::MAX })
}

type Point = GeomWithData<[f64; 3], Entry>;

/// Wider nodes than rstar's default (6): fewer levels and more contiguous leaves, which
/// measured faster for k-nearest over a million points.
#[derive(Debug, Clone, Copy)]
struct Params;

impl rstar::RTreeParams for Params {
    const MIN_SIZE: usize = 8;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = rstar::RStarInsertionStrategy;
}

/// Cameras and a spatial index over all their placements.
#[derive(Debug, Clone)]
pub struct CameraIndex {
    /// Sorted by id, so an index is also the tie-break order.
    cameras: Vec<Camera>,
    tree: RTree<Point, Params>,
    /// The largest reach of any placement, metres: how far "who could see" must look.
    max_reach_m: f64,
}

/// Why cameras could not be indexed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// A camera breaks an invariant of the model.
    #[error("camera {id}: {problem}")]
    InvalidCamera {
        /// Its id.
        id: String,
        /// What is wrong, naming the field.
        problem: String,
    },
    /// Two cameras share an id.
    #[error("camera id {0} appears twice")]
    DuplicateId(String),
}

/// A camera near a point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near<'a> {
    /// The camera.
    pub camera: &'a Camera,
    /// Its position at the moment asked about.
    pub position: LatLon,
    /// Distance from the point, metres.
    pub distance_m: f64,
}

impl Near<'_> {
    /// Bearing from `from` (the point asked about) to the camera, degrees clockwise from
    /// north. Computed on demand: most callers show it for a few results only.
    pub fn bearing_from(&self, from: LatLon) -> f64 {
        geo::bearing_deg(from, self.position)
    }
}

/// A candidate answer: ordered by (distance, camera index, placement), carrying the
/// position so that building the answer needs no look-up into the cameras.
#[derive(Clone, Copy, Debug)]
struct Hit {
    distance: OrdF64,
    camera: u32,
    placement: u32,
    position: LatLon,
}

impl Hit {
    fn key(&self) -> (OrdF64, u32, u32) {
        (self.distance, self.camera, self.placement)
    }
}

impl PartialEq for Hit {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Hit {}

impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Hit {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// A camera that could have seen a point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sighting<'a> {
    /// The camera.
    pub camera: &'a Camera,
    /// Its position at that moment.
    pub position: LatLon,
    /// Distance from the camera to the point, metres.
    pub distance_m: f64,
    /// In a stated view, or only possibly.
    pub visibility: Visibility,
    /// Its status at that moment (operational or unknown; out-of-order cameras are left out).
    pub status: CameraStatus,
}

/// A route: positions with the times they were passed, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    points: Vec<(LatLon, Timestamp)>,
}

/// Why a route is not usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// Fewer than two points.
    #[error("a route needs at least two points, got {0}")]
    TooShort(usize),
    /// Time goes backwards.
    #[error("point {0} is earlier than the point before it")]
    TimeGoesBack(usize),
}

impl Route {
    /// A route through `points`, whose times must not decrease.
    pub fn new(points: Vec<(LatLon, Timestamp)>) -> Result<Route, RouteError> {
        if points.len() < 2 {
            return Err(RouteError::TooShort(points.len()));
        }
        if let Some(i) = points.windows(2).position(|w| w[1].1 < w[0].1) {
            return Err(RouteError::TimeGoesBack(i + 1));
        }
        Ok(Route { points })
    }

    /// The points of the route.
    pub fn points(&self) -> &[(LatLon, Timestamp)] {
        &self.points
    }

    /// Pieces of at most [`MAX_ROUTE_PIECE_M`], interpolated linearly in space and time.
    fn pieces(&self) -> Vec<((LatLon, Timestamp), (LatLon, Timestamp))> {
        let mut out = Vec::new();
        for w in self.points.windows(2) {
            let ((a, ta), (b, tb)) = (w[0], w[1]);
            let n = (geo::distance_m(a, b) / MAX_ROUTE_PIECE_M).ceil().max(1.0) as usize;
            let frame = LocalFrame::new(a);
            let (bx, by) = frame.project(b);
            let mut prev = (a, ta);
            for i in 1..=n {
                let s = i as f64 / n as f64;
                let next = if i == n {
                    (b, tb)
                } else {
                    // Off the globe or onto (0, 0) cannot happen between two valid points
                    // a kilometre apart; fall back to the end point if it ever did.
                    (frame.unproject(bx * s, by * s).unwrap_or(b), lerp_time(ta, tb, s))
                };
                out.push((prev, next));
                prev = next;
            }
        }
        out
    }
}

/// A time window `[from, to]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// Start.
    pub from: Timestamp,
    /// End.
    pub to: Timestamp,
}

/// A camera that a route passed through the reach of.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutePass<'a> {
    /// The camera.
    pub camera: &'a Camera,
    /// When the route was within its reach, in order, disjoint.
    pub windows: Vec<TimeWindow>,
    /// `InView` if any part was inside a stated view.
    pub visibility: Visibility,
}

impl CameraIndex {
    /// Indexes `cameras`. Fails on a camera that breaks the model's invariants, or on a
    /// repeated id; the error names the camera.
    pub fn new(mut cameras: Vec<Camera>) -> Result<CameraIndex, IndexError> {
        cameras.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(w) = cameras.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(IndexError::DuplicateId(w[0].id.0.clone()));
        }
        let mut points = Vec::with_capacity(cameras.len());
        let mut max_reach_m: f64 = 0.0;
        for (ci, cam) in cameras.iter().enumerate() {
            cam.validate().map_err(|problem| IndexError::InvalidCamera { id: cam.id.0.clone(), problem })?;
            for (pi, pl) in cam.placements.iter().enumerate() {
                max_reach_m = max_reach_m.max(coverage::reach_m(cam, pl));
                let entry = Entry {
                    camera: ci as u32,
                    placement: pi as u32,
                    position: pl.position,
                    from_ns: pl.valid.from.map_or(i64::MIN, nanos),
                    to_ns: pl.valid.to.map_or(i64::MAX, nanos),
                };
                points.push(Point::new(pl.position.to_sphere(), entry));
            }
        }
        Ok(CameraIndex { cameras, tree: RTree::bulk_load_with_params(points), max_reach_m })
    }

    /// All cameras, sorted by id.
    pub fn cameras(&self) -> &[Camera] {
        &self.cameras
    }

    /// The farthest any placement may see, metres: beyond it, no camera saw anything.
    pub fn max_reach_m(&self) -> f64 {
        self.max_reach_m
    }

    /// Number of cameras.
    pub fn len(&self) -> usize {
        self.cameras.len()
    }

    /// Whether there is no camera.
    pub fn is_empty(&self) -> bool {
        self.cameras.is_empty()
    }

    /// The camera with this id.
    pub fn get(&self, id: &str) -> Option<&Camera> {
        self.cameras.binary_search_by(|c| c.id.0.as_str().cmp(id)).ok().map(|i| &self.cameras[i])
    }

    fn resolve(&self, e: &Entry) -> (&Camera, &crate::camera::Placement) {
        let cam = &self.cameras[e.camera as usize];
        (cam, &cam.placements[e.placement as usize])
    }

    /// The `k` cameras nearest to `p` (with their placement at `at`), nearest first; ties
    /// are broken by id.
    pub fn nearest(&self, p: LatLon, k: usize, at: Timestamp) -> Vec<Near<'_>> {
        if k == 0 {
            return Vec::new();
        }
        let at_ns = nanos(at);
        // Max-heap of the best k so far.
        let mut best: BinaryHeap<Hit> = BinaryHeap::with_capacity(k + 1);
        for (point, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&p.to_sphere()) {
            if best.len() == k {
                let lower_bound = geo::chord_to_arc(d2.sqrt()) * CHORD_SLACK;
                if lower_bound > best.peek().expect("k > 0").distance.0 {
                    break;
                }
            }
            let e = &point.data;
            if !e.valid_at(at_ns) {
                continue;
            }
            let key = Hit {
                distance: OrdF64(geo::distance_m(p, e.position)),
                camera: e.camera,
                placement: e.placement,
                position: e.position,
            };
            if best.len() < k {
                best.push(key);
            } else if key < *best.peek().expect("k > 0") {
                best.pop();
                best.push(key);
            }
        }
        let mut out: Vec<_> = best.into_vec();
        out.sort_unstable();
        out.into_iter().map(|h| self.near(h)).collect()
    }

    /// Every camera within `radius_m` of `p` (with its placement at `at`), nearest first.
    pub fn within(&self, p: LatLon, radius_m: f64, at: Timestamp) -> Vec<Near<'_>> {
        let at_ns = nanos(at);
        let mut hits: Vec<Hit> = self
            .candidates(p, radius_m)
            .filter(|e| e.valid_at(at_ns))
            .filter_map(|e| {
                let d = geo::distance_m(p, e.position);
                (d <= radius_m).then_some(Hit {
                    distance: OrdF64(d),
                    camera: e.camera,
                    placement: e.placement,
                    position: e.position,
                })
            })
            .collect();
        hits.sort_unstable();
        hits.into_iter().map(|h| self.near(h)).collect()
    }

    /// Every camera that could have seen `p` at `at`: its placement at `at` reaches `p`
    /// (field of view and range) and it was not known to be out of order. Nearest first.
    pub fn seeing(&self, p: LatLon, at: Timestamp) -> Vec<Sighting<'_>> {
        let at_ns = nanos(at);
        let mut hits: Vec<(OrdF64, u32, Sighting<'_>)> = self
            .candidates(p, self.max_reach_m)
            .filter(|e| e.valid_at(at_ns))
            .filter_map(|e| {
                let (cam, pl) = self.resolve(e);
                let status = cam.status.status_at(at);
                if status == CameraStatus::OutOfOrder {
                    return None;
                }
                let visibility = coverage::visibility(cam, pl, p)?;
                let distance_m = geo::distance_m(p, pl.position);
                let s = Sighting { camera: cam, position: pl.position, distance_m, visibility, status };
                Some((OrdF64(distance_m), e.camera, s))
            })
            .collect();
        hits.sort_by_key(|h| (h.0, h.1));
        hits.into_iter().map(|(_, _, s)| s).collect()
    }

    /// Every camera whose reach the route passed through, with the time windows of each
    /// pass, ordered by the start of the first window (then by id). A camera's placement
    /// and status are those at the middle of each route piece; out-of-order cameras are
    /// left out.
    pub fn along_route(&self, route: &Route) -> Vec<RoutePass<'_>> {
        let mut passes: BTreeMap<u32, (Vec<(Timestamp, Timestamp)>, Visibility)> = BTreeMap::new();
        for ((a, ta), (b, tb)) in route.pieces() {
            let mid_t = lerp_time(ta, tb, 0.5);
            let frame = LocalFrame::new(a);
            let (bx, by) = frame.project(b);
            let centre = frame.unproject(bx / 2.0, by / 2.0).unwrap_or(a);
            let half = bx.hypot(by) / 2.0;
            let mid_ns = nanos(mid_t);
            for e in self.candidates(centre, half + self.max_reach_m).filter(|e| e.valid_at(mid_ns)) {
                let (cam, pl) = self.resolve(e);
                if cam.status.status_at(mid_t) == CameraStatus::OutOfOrder {
                    continue;
                }
                let cam_frame = LocalFrame::new(pl.position);
                let parts = coverage::segment_coverage(cam, pl, cam_frame.project(a), cam_frame.project(b));
                if parts.is_empty() {
                    continue;
                }
                let slot = passes.entry(e.camera).or_insert_with(|| (Vec::new(), Visibility::Possible));
                for (s0, s1, vis) in parts {
                    slot.0.push((lerp_time(ta, tb, s0), lerp_time(ta, tb, s1)));
                    slot.1 = slot.1.min(vis);
                }
            }
        }
        let mut out: Vec<RoutePass<'_>> = passes
            .into_iter()
            .map(|(ci, (mut spans, visibility))| {
                spans.sort();
                let mut windows: Vec<TimeWindow> = Vec::new();
                for (from, to) in spans {
                    match windows.last_mut() {
                        // Pieces meet end to end: one pass, not two.
                        Some(w) if from <= w.to + Duration::seconds(1) => w.to = w.to.max(to),
                        _ => windows.push(TimeWindow { from, to }),
                    }
                }
                RoutePass { camera: &self.cameras[ci as usize], windows, visibility }
            })
            .collect();
        out.sort_by(|x, y| x.windows[0].from.cmp(&y.windows[0].from).then_with(|| x.camera.id.cmp(&y.camera.id)));
        out
    }

    /// Tree entries that may lie within `radius_m` of `p` (a superset).
    fn candidates(&self, p: LatLon, radius_m: f64) -> impl Iterator<Item = &Entry> + '_ {
        let chord = geo::arc_to_chord(radius_m / CHORD_SLACK);
        self.tree.locate_within_distance(p.to_sphere(), chord * chord).map(|pt| &pt.data)
    }

    fn near(&self, h: Hit) -> Near<'_> {
        Near { camera: &self.cameras[h.camera as usize], position: h.position, distance_m: h.distance.0 }
    }
}

fn lerp_time(a: Timestamp, b: Timestamp, s: f64) -> Timestamp {
    let span = (b - a).num_milliseconds() as f64;
    a + Duration::milliseconds((span * s).round() as i64)
}

/// An `f64` with a total order (distances are never NaN).
#[derive(Clone, Copy, Debug, PartialEq)]
struct OrdF64(f64);

impl Eq for OrdF64 {}

impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}
