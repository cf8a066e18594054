//! Cutting features into Mapbox Vector Tiles: each feature is projected into the tiles it
//! touches (4096 units a side), clipped to the tile plus a buffer, simplified for the zoom,
//! snapped to the integer grid and encoded with `tinymvt`.

use std::collections::{BTreeMap, HashMap};

use tinymvt::geometry::GeometryEncoder;
use tinymvt::tag::TagsEncoder;
use tinymvt::vector_tile::{tile, Tile};

use crate::geom::{self, Rect, P};
use crate::layers::Layer;
use crate::osm::{Feature, Geom, Value};

/// Tile units a side.
pub(crate) use crate::EXTENT;
/// What is kept around each tile, in tile units (1/64 of the tile), so that lines and fills
/// join without seams.
const BUFFER: f64 = 64.0;

/// The encoded tiles of one zoom, by `(x, y)`.
pub(crate) type ZoomTiles = BTreeMap<(u32, u32), Vec<u8>>;

/// The tile columns and rows of zoom `z` a rectangle of the Mercator square touches.
pub(crate) fn tile_range(r: &Rect, z: u8) -> (std::ops::RangeInclusive<u32>, std::ops::RangeInclusive<u32>) {
    let n = f64::from(1u32 << z);
    let max = (1u32 << z) - 1;
    let cell = |v: f64| ((v * n).floor().max(0.0) as u32).min(max);
    (cell(r.min[0])..=cell(r.max[0]), cell(r.min[1])..=cell(r.max[1]))
}

/// Builds the tiles of zoom `z` covering `area` (Mercator square) from `features`.
/// `max_zoom` is the deepest zoom built: there geometry is kept at full precision, since
/// maps zoom past it by stretching those tiles.
pub(crate) fn zoom_tiles(features: &[Feature], area: &Rect, z: u8, max_zoom: u8) -> ZoomTiles {
    let (xs, ys) = tile_range(area, z);
    let n = f64::from(1u32 << z);
    let ext = f64::from(EXTENT);
    let pad = BUFFER / ext / n; // the buffer, in the Mercator square
                                // Tolerance of simplification and smallest area kept, in tile units (a 4096-unit tile is
                                // drawn 512 px wide by MapLibre: 8 units a pixel).
    let (tolerance, min_area2) = if z >= max_zoom { (1.0, 0.0) } else { (4.0, 2.0 * 64.0) };
    let clip = Rect { min: [-BUFFER, -BUFFER], max: [ext + BUFFER, ext + BUFFER] };

    let mut tiles: HashMap<(u32, u32), TileBuilder> = HashMap::new();
    for f in features.iter().filter(|f| f.min_zoom <= z) {
        let grown =
            Rect { min: [f.bbox.min[0] - pad, f.bbox.min[1] - pad], max: [f.bbox.max[0] + pad, f.bbox.max[1] + pad] };
        let (fx, fy) = tile_range(&grown, z);
        for x in *fx.start().max(xs.start())..=*fx.end().min(xs.end()) {
            for y in *fy.start().max(ys.start())..=*fy.end().min(ys.end()) {
                let local = |p: &P| [(p[0] * n - f64::from(x)) * ext, (p[1] * n - f64::from(y)) * ext];
                let mut enc = GeometryEncoder::new();
                let kind = match &f.geom {
                    Geom::Point(p) => {
                        let q = local(p);
                        // Only in the tile it lies in: a label repeated in the next tile's
                        // buffer would be drawn twice.
                        if !(0.0..ext).contains(&q[0]) || !(0.0..ext).contains(&q[1]) {
                            continue;
                        }
                        enc.add_points([snap(q)]);
                        tile::GeomType::Point
                    }
                    Geom::Lines(lines) => {
                        let mut any = false;
                        for line in lines {
                            let pts: Vec<P> = line.iter().map(local).collect();
                            for piece in geom::clip_line(&pts, &clip) {
                                let mut s: Vec<[i32; 2]> =
                                    geom::simplify(&piece, tolerance).into_iter().map(snap).collect();
                                s.dedup();
                                if s.len() >= 2 {
                                    enc.add_linestring(s);
                                    any = true;
                                }
                            }
                        }
                        if !any {
                            continue;
                        }
                        tile::GeomType::Linestring
                    }
                    Geom::Polygon(rings) => {
                        let mut out: Vec<Vec<[i32; 2]>> = Vec::new();
                        for (i, ring) in rings.iter().enumerate() {
                            let pts: Vec<P> = ring.iter().map(local).collect();
                            let clipped = geom::clip_ring(&pts, &clip);
                            let mut s: Vec<[i32; 2]> =
                                geom::simplify_ring(&clipped, tolerance).into_iter().map(snap).collect();
                            s.dedup();
                            while s.len() > 1 && s.first() == s.last() {
                                s.pop();
                            }
                            let a = area2_i(&s);
                            if s.len() < 3 || a == 0 || (a.unsigned_abs() as f64) < min_area2 {
                                if i == 0 {
                                    break; // no outer ring, no polygon
                                }
                                continue;
                            }
                            // MVT: the outer ring has a positive area in tile coordinates
                            // (clockwise on screen), holes a negative one.
                            if (i == 0) != (a > 0) {
                                s.reverse();
                            }
                            out.push(s);
                        }
                        if out.is_empty() {
                            continue;
                        }
                        for ring in out {
                            enc.add_ring(ring);
                        }
                        tile::GeomType::Polygon
                    }
                };
                tiles.entry((x, y)).or_default().add(f.layer, kind, enc.into_vec(), &f.props);
            }
        }
    }
    tiles.into_iter().map(|(xy, t)| (xy, t.encode())).collect()
}

/// Rounds to the tile grid.
fn snap(p: P) -> [i32; 2] {
    [p[0].round() as i32, p[1].round() as i32]
}

/// Twice the signed area of an integer ring, positive when clockwise on screen.
fn area2_i(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

/// The features of one tile, by layer.
#[derive(Default)]
struct TileBuilder {
    layers: BTreeMap<usize, (Layer, Vec<tile::Feature>, TagsEncoder)>,
}

impl TileBuilder {
    fn add(&mut self, layer: Layer, kind: tile::GeomType, geometry: Vec<u32>, props: &[(&'static str, Value)]) {
        let order = Layer::ALL.iter().position(|l| *l == layer).unwrap_or(usize::MAX);
        let (_, features, tags) = self.layers.entry(order).or_insert_with(|| (layer, Vec::new(), TagsEncoder::new()));
        for (k, v) in props {
            match v {
                Value::Str(s) => tags.add(k, s.as_str()),
                Value::Bool(b) => tags.add(k, *b),
            }
        }
        features.push(tile::Feature { id: None, tags: tags.take_tags(), r#type: Some(kind as i32), geometry });
    }

    fn encode(self) -> Vec<u8> {
        let layers = self
            .layers
            .into_values()
            .map(|(layer, features, tags)| {
                let (keys, values) = tags.into_keys_and_values();
                tile::Layer { version: 2, name: layer.name().to_string(), features, keys, values, extent: Some(EXTENT) }
            })
            .collect();
        prost::Message::encode_to_vec(&Tile { layers })
    }
}
