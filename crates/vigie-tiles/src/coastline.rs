//! The sea, from `natural=coastline` ways: OpenStreetMap draws the coastline with the land
//! on its left, and has no polygon for the sea, so it is built here.
//!
//! In degrees (x = longitude, y = latitude, y up), inside the extract's bounding box `R`:
//! the coastline chains are turned around (sea on their left), cut to `R`; each piece that
//! leaves `R` is followed by the edge of `R`, counter-clockwise, up to the next piece that
//! enters it, until the ring closes. Those rings are the sea, counter-clockwise. Closed
//! chains wholly inside `R` are islands (clockwise once turned around): holes in the sea
//! ring around them; when nothing crosses `R`, the sea is `R` minus its islands. A chain
//! that stops inside `R` (the extract cut it) is carried straight to the nearest edge.

use crate::geom::{area2, clip_line, in_ring, Rect, P};

/// One polygon: its outer ring, then its holes, open rings in degrees.
pub(crate) type Polygon = Vec<Vec<P>>;

/// The sea inside `bbox`, from coastline chains given in their OSM direction (land on the
/// left). Empty when there is no coastline in `bbox`.
pub(crate) fn sea(chains: &[Vec<P>], bbox: &Rect) -> Vec<Polygon> {
    let mut pieces: Vec<Vec<P>> = Vec::new(); // from an edge of R to an edge of R, sea on the left
    let mut rings: Vec<Vec<P>> = Vec::new(); // closed, wholly inside R, sea on the left
    for chain in chains {
        if chain.len() < 2 {
            continue;
        }
        let mut c: Vec<P> = chain.iter().rev().copied().collect();
        let closed = c.first() == c.last();
        if closed && c.iter().all(|p| bbox.contains(*p)) {
            c.pop();
            if c.len() >= 3 {
                rings.push(c);
            }
            continue;
        }
        let cut = clip_line(&c, bbox);
        let n = cut.len();
        for (i, mut piece) in cut.into_iter().enumerate() {
            // A chain that starts or ends inside R (and not because it closes there) is
            // carried to the nearest edge.
            if i == 0 && !closed && !on_edge(piece[0], bbox) {
                piece.insert(0, nearest_on_edge(piece[0], bbox));
            }
            if i + 1 == n && !closed && !on_edge(*piece.last().unwrap(), bbox) {
                let end = nearest_on_edge(*piece.last().unwrap(), bbox);
                piece.push(end);
            }
            pieces.push(piece);
        }
    }
    let mut outers: Vec<Vec<P>> = stitch(pieces, bbox);

    let mut holes = Vec::new();
    for r in rings {
        if area2(&r) < 0.0 {
            holes.push(r); // an island
        } else {
            outers.push(r); // sea enclosed by land
        }
    }
    if outers.is_empty() {
        if holes.is_empty() {
            return Vec::new();
        }
        outers.push(corners(bbox).to_vec());
    }
    let mut polygons: Vec<Polygon> = outers.into_iter().map(|o| vec![o]).collect();
    for h in holes {
        // The smallest sea ring around the island (an island in a lagoon of an island…).
        let around = polygons
            .iter_mut()
            .filter(|p| in_ring(h[0], &p[0]))
            .min_by(|a, b| area2(&a[0]).abs().total_cmp(&area2(&b[0]).abs()));
        if let Some(p) = around {
            p.push(h);
        }
    }
    polygons
}

/// Closes the pieces into rings along the edge of `bbox`, counter-clockwise.
fn stitch(pieces: Vec<Vec<P>>, bbox: &Rect) -> Vec<Vec<P>> {
    let n = pieces.len();
    let starts: Vec<f64> = pieces.iter().map(|p| position(p[0], bbox)).collect();
    let mut used = vec![false; n];
    let mut rings = Vec::new();
    for first in 0..n {
        if used[first] {
            continue;
        }
        let mut ring: Vec<P> = Vec::new();
        let mut i = first;
        loop {
            used[i] = true;
            ring.extend_from_slice(&pieces[i]);
            let end = position(*pieces[i].last().unwrap(), bbox);
            // The next start counter-clockwise from here (the first one again closes the ring).
            let next = (0..n)
                .filter(|&j| !used[j] || j == first)
                .min_by(|&a, &b| ccw_distance(end, starts[a]).total_cmp(&ccw_distance(end, starts[b])))
                .expect("the first piece is always a candidate");
            // The corners passed on the way.
            let to = end + ccw_distance(end, starts[next]);
            let mut k = end.floor() + 1.0;
            while k < to {
                ring.push(corner(k as usize % 4, bbox));
                k += 1.0;
            }
            if next == first {
                break;
            }
            i = next;
        }
        ring.dedup();
        if ring.first() == ring.last() {
            ring.pop();
        }
        if ring.len() >= 3 && area2(&ring) > 0.0 {
            rings.push(ring);
        }
    }
    rings
}

/// How far counter-clockwise along the edge `to` is from `from` (in [0, 4)).
fn ccw_distance(from: f64, to: f64) -> f64 {
    (to - from).rem_euclid(4.0)
}

/// Where a point on the edge of `r` is, going counter-clockwise from the south-west
/// corner: 0–1 along the south edge, 1–2 the east, 2–3 the north, 3–4 the west.
fn position(p: P, r: &Rect) -> f64 {
    let p = nearest_on_edge(p, r);
    let (w, h) = (r.max[0] - r.min[0], r.max[1] - r.min[1]);
    let eps = 1e-12 * w.max(h).max(1.0);
    if (p[1] - r.min[1]).abs() <= eps && p[0] < r.max[0] - eps {
        (p[0] - r.min[0]) / w
    } else if (p[0] - r.max[0]).abs() <= eps && p[1] < r.max[1] - eps {
        1.0 + (p[1] - r.min[1]) / h
    } else if (p[1] - r.max[1]).abs() <= eps && p[0] > r.min[0] + eps {
        2.0 + (r.max[0] - p[0]) / w
    } else {
        3.0 + (r.max[1] - p[1]) / h
    }
}

/// The corner at position `k` (see [`position`]): 0 south-west, 1 south-east, 2 north-east,
/// 3 north-west.
fn corner(k: usize, r: &Rect) -> P {
    corners(r)[k]
}

/// The corners of `r`, counter-clockwise from the south-west one.
fn corners(r: &Rect) -> [P; 4] {
    [[r.min[0], r.min[1]], [r.max[0], r.min[1]], [r.max[0], r.max[1]], [r.min[0], r.max[1]]]
}

/// Whether `p` lies on the edge of `r`.
fn on_edge(p: P, r: &Rect) -> bool {
    p[0] == r.min[0] || p[0] == r.max[0] || p[1] == r.min[1] || p[1] == r.max[1]
}

/// The point of the edge of `r` nearest to `p` (for a point inside `r`).
fn nearest_on_edge(p: P, r: &Rect) -> P {
    let p = [p[0].clamp(r.min[0], r.max[0]), p[1].clamp(r.min[1], r.max[1])];
    let d = [p[0] - r.min[0], r.max[0] - p[0], p[1] - r.min[1], r.max[1] - p[1]];
    let k = (0..4).min_by(|&a, &b| d[a].total_cmp(&d[b])).unwrap();
    match k {
        0 => [r.min[0], p[1]],
        1 => [r.max[0], p[1]],
        2 => [p[0], r.min[1]],
        _ => [p[0], r.max[1]],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Rect = Rect { min: [0.0, 0.0], max: [10.0, 10.0] };

    fn area(polys: &[Polygon]) -> f64 {
        polys.iter().map(|p| p.iter().map(|r| area2(r) / 2.0).sum::<f64>()).sum()
    }

    fn in_sea(polys: &[Polygon], p: P) -> bool {
        polys.iter().any(|poly| in_ring(p, &poly[0]) && !poly[1..].iter().any(|h| in_ring(p, h)))
    }

    #[test]
    fn a_straight_coast_leaves_the_sea_on_its_right() {
        // Westwards across R at y = 4: land on the left (south), sea north.
        let sea = sea(&[vec![[12.0, 4.0], [-2.0, 4.0]]], &R);
        assert_eq!(area(&sea), 60.0);
        assert!(in_sea(&sea, [5.0, 8.0]) && !in_sea(&sea, [5.0, 2.0]));
        // Eastwards: the other side.
        let sea = super::sea(&[vec![[-2.0, 4.0], [12.0, 4.0]]], &R);
        assert_eq!(area(&sea), 40.0);
        assert!(in_sea(&sea, [5.0, 2.0]));
    }

    #[test]
    fn a_bay_and_a_headland() {
        // A coast entering by the east edge, going west, north, then east out by the east
        // edge again: it turns right each time, so its left (the land) is outside the loop
        // and the sea is the bay inside it.
        let coast = vec![[12.0, 2.0], [4.0, 2.0], [4.0, 8.0], [12.0, 8.0]];
        let sea = sea(std::slice::from_ref(&coast), &R);
        assert!((area(&sea) - 36.0).abs() < 1e-9, "{sea:?}");
        assert!(in_sea(&sea, [7.0, 5.0]) && !in_sea(&sea, [2.0, 5.0]));
        // Drawn the other way round, the loop is a headland in the sea.
        let mut headland = coast;
        headland.reverse();
        let sea = super::sea(&[headland], &R);
        assert!((area(&sea) - 64.0).abs() < 1e-9, "{sea:?}");
        assert!(in_sea(&sea, [2.0, 5.0]) && !in_sea(&sea, [7.0, 5.0]));
    }

    #[test]
    fn islands_are_holes_in_the_sea() {
        // Only an island (counter-clockwise: land on the left, inside).
        let island = vec![[2.0, 2.0], [4.0, 2.0], [4.0, 4.0], [2.0, 4.0], [2.0, 2.0]];
        let sea = sea(std::slice::from_ref(&island), &R);
        assert_eq!(area(&sea), 96.0);
        assert!(!in_sea(&sea, [3.0, 3.0]) && in_sea(&sea, [8.0, 8.0]));
        // An island off a straight coast lies in that coast's sea.
        let sea = super::sea(&[vec![[12.0, 1.0], [-2.0, 1.0]], island], &R);
        assert_eq!(area(&sea), 86.0);
        assert_eq!(sea.len(), 1);
        assert_eq!(sea[0].len(), 2);
    }

    #[test]
    fn chains_cut_short_are_carried_to_the_nearest_edge() {
        // Starts inside R near the east edge, ends inside near the west edge.
        let sea = sea(&[vec![[9.5, 6.0], [0.5, 6.0]]], &R);
        assert!((area(&sea) - 40.0).abs() < 1e-9);
    }

    #[test]
    fn no_coastline_no_sea() {
        assert!(sea(&[], &R).is_empty());
        assert!(sea(&[vec![[20.0, 20.0], [30.0, 20.0]]], &R).is_empty());
    }
}
