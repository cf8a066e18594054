//! Reading an OpenStreetMap extract (`.osm.pbf`, with `osmpbf`) into the features of the
//! basemap's layers, in the Mercator unit square.
//!
//! Two passes over the file: the first finds the multipolygon relations worth drawing and
//! the ways they are made of; the second keeps every node's position, turns the ways into
//! lines and areas as soon as they are read (nodes come before ways in a PBF file), and the
//! relations into polygons at the end. Memory grows with the extract: fine for a city or a
//! département, not for a country.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use osmpbf::{BlobDecode, BlobReader, Element, RelMemberType};

use crate::coastline;
use crate::geom::{self, Rect, P};
use crate::layers::{self, Kind, Layer};
use crate::TilesError;

/// A value of a feature's attribute.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Str(String),
    Bool(bool),
}

/// One feature of one layer: geometry in the Mercator unit square (y down).
#[derive(Clone, Debug)]
pub(crate) struct Feature {
    pub layer: Layer,
    /// The first zoom it appears at.
    pub min_zoom: u8,
    pub props: Vec<(&'static str, Value)>,
    pub geom: Geom,
    /// Its extent, for finding the tiles it touches.
    pub bbox: Rect,
}

/// Points, lines (one or more), or one polygon (outer ring, then holes; open rings).
#[derive(Clone, Debug)]
pub(crate) enum Geom {
    Point(P),
    Lines(Vec<Vec<P>>),
    Polygon(Vec<Vec<P>>),
}

/// What the builder takes from the extract.
#[derive(Debug)]
pub(crate) struct Extract {
    /// West, south, east, north in degrees: the header's box, else the nodes' extent.
    pub bounds: [f64; 4],
    /// The header's replication timestamp (seconds since 1970), when it has one.
    pub timestamp: Option<i64>,
    pub features: Vec<Feature>,
    /// Elements left out, and why (missing nodes, broken multipolygons…).
    pub warnings: Vec<String>,
}

/// A way kept for the second pass: its tags matter, or a relation needs it.
struct WayData {
    refs: Vec<i64>,
}

/// Reads `path`.
pub(crate) fn read(path: &Path) -> Result<Extract, TilesError> {
    let pbf_err = |source| TilesError::Pbf { path: path.to_path_buf(), source };

    // Pass 1: the header, and the relations we draw with the ways they need.
    let mut header_bounds = None;
    let mut timestamp = None;
    let mut relations: Vec<RelationData> = Vec::new();
    let mut needed_ways: HashSet<i64> = HashSet::new();
    let mut relation_errors: Vec<String> = Vec::new();
    for blob in BlobReader::from_path(path).map_err(pbf_err)? {
        let blob = blob.map_err(pbf_err)?;
        match blob.decode().map_err(pbf_err)? {
            BlobDecode::OsmHeader(h) => {
                if let Some(b) = h.bbox() {
                    header_bounds = Some([b.left, b.bottom, b.right, b.top]);
                }
                timestamp = h.osmosis_replication_timestamp();
            }
            BlobDecode::OsmData(block) => {
                for group in block.groups() {
                    for r in group.relations() {
                        let tags: Vec<(&str, &str)> = r.tags().collect();
                        if tag(&tags, "type") != Some("multipolygon") || layers::area_layers(&tags).is_empty() {
                            continue;
                        }
                        let mut members = Vec::new();
                        for m in r.members() {
                            if m.member_type != RelMemberType::Way {
                                continue;
                            }
                            match m.role() {
                                Ok(role) => {
                                    needed_ways.insert(m.member_id);
                                    members.push((m.member_id, role != "inner"));
                                }
                                Err(e) => relation_errors.push(format!("relation {}: member role: {e}", r.id())),
                            }
                        }
                        relations.push(RelationData {
                            id: r.id(),
                            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                            members,
                        });
                    }
                }
            }
            BlobDecode::Unknown(_) => {}
        }
    }

    // Pass 2: nodes, ways.
    let mut reader = Reader {
        nodes: HashMap::new(),
        ways: HashMap::new(),
        needed_ways,
        features: Vec::new(),
        coastline: Vec::new(),
        warnings: relation_errors,
        node_bounds: None,
    };
    for blob in BlobReader::from_path(path).map_err(pbf_err)? {
        let blob = blob.map_err(pbf_err)?;
        if let BlobDecode::OsmData(block) = blob.decode().map_err(pbf_err)? {
            block.for_each_element(|e| reader.element(e));
        }
    }
    for rel in &relations {
        reader.relation(rel);
    }

    let bounds = header_bounds
        .or(reader.node_bounds.map(|r| [r.min[0], r.min[1], r.max[0], r.max[1]]))
        .ok_or_else(|| TilesError::EmptyExtract { path: path.to_path_buf() })?;

    // The sea, in degrees (nodes are kept in the Mercator square), then as features.
    let joined = geom::join(std::mem::take(&mut reader.coastline), false);
    let chains: Vec<Vec<P>> = joined
        .iter()
        .filter_map(|c| reader.resolve("coastline way", 0, c))
        .map(|c| c.into_iter().map(geom::unmercator).collect())
        .collect();
    let bbox = Rect { min: [bounds[0], bounds[1]], max: [bounds[2], bounds[3]] };
    for poly in coastline::sea(&chains, &bbox) {
        let rings: Vec<Vec<P>> =
            poly.into_iter().map(|r| r.into_iter().map(|[lon, lat]| geom::mercator(lon, lat)).collect()).collect();
        reader.push(Layer::Water, 0, vec![("class", Value::Str("sea".into()))], Geom::Polygon(rings));
    }

    Ok(Extract { bounds, timestamp, features: reader.features, warnings: reader.warnings })
}

/// A multipolygon relation to draw.
struct RelationData {
    id: i64,
    tags: Vec<(String, String)>,
    /// Way id, and whether it is an outer member (anything but `inner`).
    members: Vec<(i64, bool)>,
}

/// The state of the second pass.
struct Reader {
    /// Every node's position, in the Mercator square.
    nodes: HashMap<i64, P>,
    /// Ways relations need.
    ways: HashMap<i64, WayData>,
    needed_ways: HashSet<i64>,
    features: Vec<Feature>,
    /// `natural=coastline` ways (node ids).
    coastline: Vec<Vec<i64>>,
    warnings: Vec<String>,
    /// The nodes' extent in degrees.
    node_bounds: Option<Rect>,
}

/// The value of `key` among `tags`.
pub(crate) fn tag<'a>(tags: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

impl Reader {
    fn element(&mut self, e: Element<'_>) {
        match e {
            Element::Node(n) => {
                let tags: Vec<(&str, &str)> = n.tags().collect();
                self.node(n.id(), n.lon(), n.lat(), &tags);
            }
            Element::DenseNode(n) => {
                let tags: Vec<(&str, &str)> = n.tags().collect();
                self.node(n.id(), n.lon(), n.lat(), &tags);
            }
            Element::Way(w) => {
                let tags: Vec<(&str, &str)> = w.tags().collect();
                let refs: Vec<i64> = w.refs().collect();
                self.way(w.id(), refs, &tags);
            }
            Element::Relation(_) => {}
        }
    }

    fn node(&mut self, id: i64, lon: f64, lat: f64, tags: &[(&str, &str)]) {
        let p = geom::mercator(lon, lat);
        self.nodes.insert(id, p);
        let deg = [lon, lat];
        self.node_bounds = Some(match self.node_bounds {
            None => Rect { min: deg, max: deg },
            Some(r) => {
                Rect { min: [r.min[0].min(lon), r.min[1].min(lat)], max: [r.max[0].max(lon), r.max[1].max(lat)] }
            }
        });
        if let Some((props, min_zoom)) = layers::place(tags) {
            self.push(Layer::Place, min_zoom, props, Geom::Point(p));
        }
    }

    fn way(&mut self, id: i64, refs: Vec<i64>, tags: &[(&str, &str)]) {
        if tag(tags, "natural") == Some("coastline") {
            self.coastline.push(refs.clone());
        }
        let lines = layers::line_layers(tags);
        let closed = refs.len() >= 4 && refs.first() == refs.last();
        let areas = if closed { layers::area_layers(tags) } else { Vec::new() };
        let label = if closed { layers::area_label(tags) } else { None };
        if !lines.is_empty() || !areas.is_empty() || label.is_some() {
            if let Some(points) = self.resolve("way", id, &refs) {
                for (layer, min_zoom, props) in lines {
                    self.push(layer, min_zoom, props, Geom::Lines(vec![points.clone()]));
                }
                let mut ring = points;
                ring.pop();
                if ring.len() >= 3 {
                    if let Some((props, min_zoom)) = label {
                        self.push(Layer::Place, min_zoom, props, Geom::Point(geom::centroid(&ring)));
                    }
                    for (layer, min_zoom, props) in areas {
                        self.push(layer, min_zoom, props, Geom::Polygon(vec![ring.clone()]));
                    }
                }
            }
        }
        if self.needed_ways.contains(&id) {
            self.ways.insert(id, WayData { refs });
        }
    }

    fn relation(&mut self, rel: &RelationData) {
        let tags: Vec<(&str, &str)> = rel.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut outer_ways = Vec::new();
        let mut inner_ways = Vec::new();
        for &(way, outer) in &rel.members {
            match self.ways.get(&way) {
                Some(w) => (if outer { &mut outer_ways } else { &mut inner_ways }).push(w.refs.clone()),
                None => self
                    .warnings
                    .push(format!("relation {}: way {way} is not in the extract; drawn without it", rel.id)),
            }
        }
        let mut rings = |ways: Vec<Vec<i64>>, what: &str| -> Vec<Vec<P>> {
            let mut out = Vec::new();
            for chain in geom::join(ways, true) {
                if chain.len() < 4 || chain.first() != chain.last() {
                    self.warnings.push(format!("relation {}: an {what} ring does not close; left out", rel.id));
                    continue;
                }
                if let Some(mut pts) = self.resolve("relation", rel.id, &chain) {
                    pts.pop();
                    if pts.len() >= 3 {
                        out.push(pts);
                    }
                }
            }
            out
        };
        let outers = rings(outer_ways, "outer");
        let inners = rings(inner_ways, "inner");
        if outers.is_empty() {
            self.warnings.push(format!("relation {}: no closed outer ring; left out", rel.id));
            return;
        }
        let mut polygons: Vec<Vec<Vec<P>>> = outers.into_iter().map(|o| vec![o]).collect();
        for inner in inners {
            if let Some(p) = polygons.iter_mut().find(|p| geom::in_ring(inner[0], &p[0])) {
                p.push(inner);
            }
        }
        if let Some((props, min_zoom)) = layers::area_label(&tags) {
            self.push(Layer::Place, min_zoom, props, Geom::Point(geom::centroid(&polygons[0][0])));
        }
        for (layer, min_zoom, props) in layers::area_layers(&tags) {
            for p in &polygons {
                self.push(layer, min_zoom, props.clone(), Geom::Polygon(p.clone()));
            }
        }
    }

    /// The positions of `refs`; nodes missing from the extract are skipped (and said so).
    fn resolve(&mut self, what: &str, id: i64, refs: &[i64]) -> Option<Vec<P>> {
        let points: Vec<P> = refs.iter().filter_map(|r| self.nodes.get(r).copied()).collect();
        if points.len() < refs.len() {
            let id = if id == 0 { String::new() } else { format!(" {id}") };
            self.warnings.push(format!(
                "{what}{id}: {} of its {} nodes are not in the extract",
                refs.len() - points.len(),
                refs.len()
            ));
        }
        (points.len() >= 2).then_some(points)
    }

    fn push(&mut self, layer: Layer, min_zoom: u8, props: Vec<(&'static str, Value)>, geom: Geom) {
        let bbox = match &geom {
            Geom::Point(p) => Some(Rect { min: *p, max: *p }),
            Geom::Lines(ls) => Rect::around(ls.iter().flatten().copied()),
            Geom::Polygon(rings) => Rect::around(rings[0].iter().copied()),
        }
        .expect("features have points");
        debug_assert_eq!(
            layer.kind(),
            match geom {
                Geom::Point(_) => Kind::Point,
                Geom::Lines(_) => Kind::Line,
                Geom::Polygon(_) => Kind::Polygon,
            }
        );
        self.features.push(Feature { layer, min_zoom, props, geom, bbox });
    }
}
