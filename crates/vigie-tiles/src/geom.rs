//! Plane geometry for the builder: Web Mercator, joining ways into chains, clipping to a
//! rectangle, Douglas–Peucker simplification, ring area and point-in-ring.
//!
//! Everything works on `[x, y]` pairs of `f64` in whatever plane the caller is in (degrees
//! for the coastline step, the Mercator square or a tile's 4096 units for tiling). Rings are
//! stored open: the first point is not repeated at the end.

use std::collections::HashMap;

/// A point of the plane.
pub(crate) type P = [f64; 2];

/// The largest latitude Web Mercator shows.
pub(crate) const MAX_LAT: f64 = 85.051_128_779_806_59;

/// Web Mercator as the unit square: x from 0 (180° W) to 1 (180° E), y from 0 (north edge)
/// to 1 (south edge), the orientation of tiles.
pub(crate) fn mercator(lon: f64, lat: f64) -> P {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = 0.5 - (lat.tan() + 1.0 / lat.cos()).ln() / (2.0 * std::f64::consts::PI);
    [x, y]
}

/// The inverse of [`mercator`]: `[lon, lat]` in degrees.
pub(crate) fn unmercator(p: P) -> P {
    let lon = p[0] * 360.0 - 180.0;
    let n = std::f64::consts::PI * (1.0 - 2.0 * p[1]);
    [lon, n.sinh().atan().to_degrees()]
}

/// Twice the signed area of a ring (shoelace): positive when counter-clockwise in a plane
/// whose y axis points up (clockwise on screen, where y points down).
pub(crate) fn area2(ring: &[P]) -> f64 {
    let n = ring.len();
    let mut s = 0.0;
    for i in 0..n {
        let [x0, y0] = ring[i];
        let [x1, y1] = ring[(i + 1) % n];
        s += x0 * y1 - x1 * y0;
    }
    s
}

/// Whether `p` is inside `ring` (even–odd rule; points on the edge may go either way).
pub(crate) fn in_ring(p: P, ring: &[P]) -> bool {
    let n = ring.len();
    let mut inside = false;
    let mut j = n.wrapping_sub(1);
    for i in 0..n {
        let [xi, yi] = ring[i];
        let [xj, yj] = ring[j];
        if (yi > p[1]) != (yj > p[1]) && p[0] < (xj - xi) * (p[1] - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// The area-weighted centroid of a ring (its first point when the ring is degenerate).
pub(crate) fn centroid(ring: &[P]) -> P {
    let n = ring.len();
    let (mut cx, mut cy, mut a) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let [x0, y0] = ring[i];
        let [x1, y1] = ring[(i + 1) % n];
        let cross = x0 * y1 - x1 * y0;
        a += cross;
        cx += (x0 + x1) * cross;
        cy += (y0 + y1) * cross;
    }
    if a.abs() < 1e-300 {
        return ring.first().copied().unwrap_or([0.0, 0.0]);
    }
    [cx / (3.0 * a), cy / (3.0 * a)]
}

/// An axis-aligned rectangle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rect {
    pub min: P,
    pub max: P,
}

impl Rect {
    /// The smallest rectangle holding every point (`None` when there is none).
    pub fn around(points: impl IntoIterator<Item = P>) -> Option<Rect> {
        let mut it = points.into_iter();
        let first = it.next()?;
        let mut r = Rect { min: first, max: first };
        for p in it {
            r.min = [r.min[0].min(p[0]), r.min[1].min(p[1])];
            r.max = [r.max[0].max(p[0]), r.max[1].max(p[1])];
        }
        Some(r)
    }

    /// Whether `p` is inside or on the edge.
    pub fn contains(&self, p: P) -> bool {
        p[0] >= self.min[0] && p[0] <= self.max[0] && p[1] >= self.min[1] && p[1] <= self.max[1]
    }
}

/// Clips a closed ring to `r` (Sutherland–Hodgman). A concave ring cut in several pieces
/// comes back as one ring joined by zero-width bridges along the edge of `r`, which fill
/// renderers draw correctly; this is what tilers do, and `r` includes the tile's buffer so
/// the bridges lie outside what is seen.
pub(crate) fn clip_ring(ring: &[P], r: &Rect) -> Vec<P> {
    let mut out: Vec<P> = ring.to_vec();
    // Each edge: (axis, bound, keep points whose coordinate is >= bound?)
    for (axis, bound, keep_greater) in
        [(0, r.min[0], true), (0, r.max[0], false), (1, r.min[1], true), (1, r.max[1], false)]
    {
        if out.is_empty() {
            break;
        }
        let inside = |p: &P| if keep_greater { p[axis] >= bound } else { p[axis] <= bound };
        let input = std::mem::take(&mut out);
        let n = input.len();
        for i in 0..n {
            let cur = input[i];
            let prev = input[(i + n - 1) % n];
            let (cin, pin) = (inside(&cur), inside(&prev));
            if cin {
                if !pin {
                    out.push(intersect(prev, cur, axis, bound));
                }
                out.push(cur);
            } else if pin {
                out.push(intersect(prev, cur, axis, bound));
            }
        }
    }
    out
}

/// The point of segment `a`–`b` where coordinate `axis` equals `bound`.
fn intersect(a: P, b: P, axis: usize, bound: f64) -> P {
    let t = (bound - a[axis]) / (b[axis] - a[axis]);
    let mut p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
    p[axis] = bound; // exactly on the edge, whatever the rounding
    p
}

/// Clips a polyline to `r` (Liang–Barsky on each segment): the pieces inside, in order.
pub(crate) fn clip_line(line: &[P], r: &Rect) -> Vec<Vec<P>> {
    let mut pieces = Vec::new();
    let mut cur: Vec<P> = Vec::new();
    for w in line.windows(2) {
        match clip_segment(w[0], w[1], r) {
            Some((a, b, b_is_end)) => {
                if cur.last() != Some(&a) {
                    if cur.len() >= 2 {
                        pieces.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    cur.push(a);
                }
                cur.push(b);
                if !b_is_end {
                    // The segment leaves the rectangle: the piece ends here.
                    pieces.push(std::mem::take(&mut cur));
                }
            }
            None => {
                if cur.len() >= 2 {
                    pieces.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() >= 2 {
        pieces.push(cur);
    }
    pieces
}

/// The part of segment `a`–`b` inside `r`, and whether it ends at `b` itself.
fn clip_segment(a: P, b: P, r: &Rect) -> Option<(P, P, bool)> {
    let d = [b[0] - a[0], b[1] - a[1]];
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for axis in 0..2 {
        for (p, q) in [(-d[axis], a[axis] - r.min[axis]), (d[axis], r.max[axis] - a[axis])] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            [a[0] + d[0] * t, a[1] + d[1] * t]
        }
    };
    Some((at(t0), at(t1), t1 == 1.0))
}

/// Douglas–Peucker: the points of `line` that keep it within `tolerance` of the original
/// (the first and last are always kept).
pub(crate) fn simplify(line: &[P], tolerance: f64) -> Vec<P> {
    if line.len() < 3 || tolerance <= 0.0 {
        return line.to_vec();
    }
    let mut keep = vec![false; line.len()];
    keep[0] = true;
    keep[line.len() - 1] = true;
    let mut stack = vec![(0, line.len() - 1)];
    let t2 = tolerance * tolerance;
    while let Some((first, last)) = stack.pop() {
        let mut max = 0.0;
        let mut index = first;
        for (i, p) in line.iter().enumerate().take(last).skip(first + 1) {
            let d = segment_distance2(*p, line[first], line[last]);
            if d > max {
                max = d;
                index = i;
            }
        }
        if max > t2 {
            keep[index] = true;
            stack.push((first, index));
            stack.push((index, last));
        }
    }
    line.iter().zip(keep).filter(|(_, k)| *k).map(|(p, _)| *p).collect()
}

/// Simplifies a closed ring: as a line from its first point back to it.
pub(crate) fn simplify_ring(ring: &[P], tolerance: f64) -> Vec<P> {
    if ring.len() < 4 {
        return ring.to_vec();
    }
    let mut closed = ring.to_vec();
    closed.push(ring[0]);
    let mut s = simplify(&closed, tolerance);
    s.pop();
    s
}

/// The squared distance from `p` to segment `a`–`b`.
fn segment_distance2(p: P, a: P, b: P) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 { 0.0 } else { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0) };
    let (ex, ey) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    ex * ex + ey * ey
}

/// Joins ways (lists of node ids) that share end nodes into the longest chains. With
/// `reversible`, a way may be turned around to fit (multipolygon rings); without it, only
/// the end of one way meets the start of the next (the coastline, whose direction tells
/// land from sea). A chain whose first and last ids are equal is closed.
pub(crate) fn join(ways: Vec<Vec<i64>>, reversible: bool) -> Vec<Vec<i64>> {
    let ways: Vec<Vec<i64>> = ways.into_iter().filter(|w| w.len() >= 2).collect();
    let mut by_start: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut by_end: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, w) in ways.iter().enumerate() {
        if w.first() != w.last() {
            by_start.entry(w[0]).or_default().push(i);
            by_end.entry(*w.last().unwrap()).or_default().push(i);
        }
    }
    let mut used = vec![false; ways.len()];
    let take = |map: &HashMap<i64, Vec<usize>>, id: i64, used: &mut Vec<bool>| -> Option<usize> {
        let j = *map.get(&id)?.iter().find(|&&j| !used[j])?;
        used[j] = true;
        Some(j)
    };
    let mut chains = Vec::new();
    for i in 0..ways.len() {
        if used[i] {
            continue;
        }
        used[i] = true;
        let mut chain = ways[i].clone();
        // Forwards from the end.
        while chain.first() != chain.last() {
            let end = *chain.last().unwrap();
            if let Some(j) = take(&by_start, end, &mut used) {
                chain.extend_from_slice(&ways[j][1..]);
            } else if let Some(j) = reversible.then(|| take(&by_end, end, &mut used)).flatten() {
                chain.extend(ways[j].iter().rev().skip(1));
            } else {
                break;
            }
        }
        // Backwards from the start.
        while chain.first() != chain.last() {
            let start = chain[0];
            let before: Vec<i64> = if let Some(j) = take(&by_end, start, &mut used) {
                ways[j][..ways[j].len() - 1].to_vec()
            } else if let Some(j) = reversible.then(|| take(&by_start, start, &mut used)).flatten() {
                ways[j].iter().rev().take(ways[j].len() - 1).copied().collect()
            } else {
                break;
            };
            chain.splice(0..0, before);
        }
        chains.push(chain);
    }
    chains
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<P> {
        vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    }

    #[test]
    fn mercator_round_trips_and_is_oriented_like_tiles() {
        let [x, y] = mercator(7.42, 43.73);
        let [lon, lat] = unmercator([x, y]);
        assert!((lon - 7.42).abs() < 1e-9 && (lat - 43.73).abs() < 1e-9);
        assert!(mercator(0.0, 10.0)[1] < mercator(0.0, 0.0)[1], "north is up, y grows southwards");
        assert_eq!(mercator(-180.0, 0.0), [0.0, 0.5]);
    }

    #[test]
    fn areas_points_and_centroids() {
        let s = square(0.0, 0.0, 2.0, 2.0);
        assert_eq!(area2(&s), 8.0);
        let mut r = s.clone();
        r.reverse();
        assert_eq!(area2(&r), -8.0);
        assert!(in_ring([1.0, 1.0], &s) && !in_ring([3.0, 1.0], &s));
        assert_eq!(centroid(&s), [1.0, 1.0]);
    }

    #[test]
    fn rings_are_clipped_to_the_rectangle() {
        let r = Rect { min: [0.0, 0.0], max: [10.0, 10.0] };
        let clipped = clip_ring(&square(-5.0, -5.0, 5.0, 5.0), &r);
        assert_eq!(area2(&clipped), 50.0);
        assert!(clipped.iter().all(|p| r.contains(*p)));
        assert!(clip_ring(&square(20.0, 20.0, 30.0, 30.0), &r).is_empty());
        // A ring around the rectangle becomes the rectangle.
        assert_eq!(area2(&clip_ring(&square(-1.0, -1.0, 11.0, 11.0), &r)), 200.0);
    }

    #[test]
    fn lines_are_cut_where_they_leave_and_reenter() {
        let r = Rect { min: [0.0, 0.0], max: [10.0, 10.0] };
        let line = [[-5.0, 5.0], [5.0, 5.0], [5.0, 15.0], [8.0, 15.0], [8.0, 5.0], [15.0, 5.0]];
        let pieces = clip_line(&line, &r);
        assert_eq!(pieces, vec![vec![[0.0, 5.0], [5.0, 5.0], [5.0, 10.0]], vec![[8.0, 10.0], [8.0, 5.0], [10.0, 5.0]]]);
        assert!(clip_line(&[[20.0, 0.0], [30.0, 0.0]], &r).is_empty());
        assert_eq!(clip_line(&[[1.0, 1.0], [2.0, 2.0]], &r), vec![vec![[1.0, 1.0], [2.0, 2.0]]]);
    }

    #[test]
    fn simplification_keeps_the_shape_within_tolerance() {
        let line = [[0.0, 0.0], [1.0, 0.1], [2.0, -0.1], [3.0, 5.0], [4.0, 6.0], [5.0, 7.0]];
        assert_eq!(simplify(&line, 0.5), vec![[0.0, 0.0], [2.0, -0.1], [3.0, 5.0], [5.0, 7.0]]);
        assert_eq!(simplify(&line, 0.0).len(), line.len());
    }

    #[test]
    fn ways_join_into_chains_and_rings() {
        // Two halves of a ring, the second drawn backwards.
        let rings = join(vec![vec![1, 2, 3], vec![1, 4, 3]], true);
        assert_eq!(rings, vec![vec![1, 2, 3, 4, 1]]);
        // Without turning ways around, they stay apart.
        assert_eq!(join(vec![vec![1, 2, 3], vec![1, 4, 3]], false).len(), 2);
        // A chain found from its middle grows both ways.
        assert_eq!(join(vec![vec![2, 3], vec![3, 4], vec![1, 2]], false), vec![vec![1, 2, 3, 4]]);
    }
}
