//! The basemap's layers: their names, their attributes and which OpenStreetMap tags go
//! where. This is a contract: the style ([`crate::style`]) and the app rely on these names,
//! attributes and classes.
//!
//! | layer | geometry | attributes | from |
//! |---|---|---|---|
//! | `water` | polygons | `class`: `sea`, `lake`, `pond`, `river`, `basin`, `reservoir`, `pool` | the sea built from `natural=coastline`; `natural=water` (class from `water=*`), `waterway=riverbank`, `landuse=basin\|reservoir`, `leisure=swimming_pool` |
//! | `waterway` | lines | `class`: `river`, `stream`, `canal`, `drain`; `name` | `waterway=*` |
//! | `landuse` | polygons | `class`: the `landuse=*` value (`residential`, `commercial`, `industrial`, `retail`, `railway`, `cemetery`, `construction`…) | `landuse=*` not drawn as water or park |
//! | `park` | polygons | `class`: `park`, `garden`, `pitch`, `playground`, `grass`, `forest`, `meadow`, `recreation_ground`, `wood`, `scrub`, `beach` | `leisure=*`, `landuse=*`, `natural=*` of those values |
//! | `building` | polygons | — | `building=*` (not `no`), from zoom 13 |
//! | `road` | lines | `class`: `motorway`, `trunk`, `primary`, `secondary`, `tertiary`, `minor`, `service`, `path`, `rail`; `name`; `tunnel`, `bridge` (`true`, only when so) | `highway=*`, `railway=rail\|light_rail\|subway\|tram`; `minor` from zoom 13, `service` and `path` from 14 |
//! | `place` | points | `class`: the `place=*` value, or `police`, `hospital`, `townhall`; `name` | `place=*` nodes; named `amenity=police\|hospital\|townhall` (nodes, and the centre of such areas) |

#[cfg(feature = "build")]
use crate::osm::{tag, Value};

/// One layer of the basemap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Layer {
    /// Sea, lakes, rivers as areas, basins, pools.
    Water,
    /// Rivers, streams, canals, drains as lines.
    Waterway,
    /// Land use areas.
    Landuse,
    /// Parks, gardens, woods, pitches, beaches.
    Park,
    /// Buildings.
    Building,
    /// Roads, paths and railways.
    Road,
    /// Place names and police stations, hospitals, town halls.
    Place,
}

/// The geometry a layer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Points.
    Point,
    /// Lines.
    Line,
    /// Polygons.
    Polygon,
}

impl Layer {
    /// Every layer, in the order they are drawn (the tiles hold them in this order).
    pub const ALL: [Layer; 7] =
        [Layer::Water, Layer::Landuse, Layer::Park, Layer::Waterway, Layer::Building, Layer::Road, Layer::Place];

    /// The layer's name in the tiles (`source-layer` in the style).
    pub fn name(self) -> &'static str {
        match self {
            Layer::Water => "water",
            Layer::Waterway => "waterway",
            Layer::Landuse => "landuse",
            Layer::Park => "park",
            Layer::Building => "building",
            Layer::Road => "road",
            Layer::Place => "place",
        }
    }

    /// Its geometry.
    pub fn kind(self) -> Kind {
        match self {
            Layer::Water | Layer::Landuse | Layer::Park | Layer::Building => Kind::Polygon,
            Layer::Waterway | Layer::Road => Kind::Line,
            Layer::Place => Kind::Point,
        }
    }

    /// Its attributes and their types, as TileJSON's `vector_layers` lists them.
    pub fn fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Layer::Water | Layer::Landuse | Layer::Park => &[("class", "String")],
            Layer::Building => &[],
            Layer::Waterway | Layer::Place => &[("class", "String"), ("name", "String")],
            Layer::Road => &[("class", "String"), ("name", "String"), ("tunnel", "Boolean"), ("bridge", "Boolean")],
        }
    }

    /// What it holds, in a sentence.
    pub fn description(self) -> &'static str {
        match self {
            Layer::Water => "Sea (from the coastline), lakes, riverbanks, basins, reservoirs, pools",
            Layer::Waterway => "Rivers, streams, canals and drains as lines",
            Layer::Landuse => "Land use areas (residential, commercial, industrial, cemetery…)",
            Layer::Park => "Parks, gardens, pitches, playgrounds, grass, woods, scrub, beaches",
            Layer::Building => "Buildings",
            Layer::Road => "Roads, paths and railways",
            Layer::Place => "Place names; police stations, hospitals and town halls",
        }
    }
}

/// A feature's attributes, the first zoom it appears at.
#[cfg(feature = "build")]
type Props = Vec<(&'static str, Value)>;

#[cfg(feature = "build")]
fn class(c: &str) -> Props {
    vec![("class", Value::Str(c.to_string()))]
}

/// The value of `key` unless it is absent or `no`.
#[cfg(feature = "build")]
fn yes<'a>(tags: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    tag(tags, key).filter(|v| *v != "no")
}

/// Adds `name` when the feature has one.
#[cfg(feature = "build")]
fn with_name(mut props: Props, tags: &[(&str, &str)]) -> Props {
    if let Some(name) = tag(tags, "name").filter(|n| !n.trim().is_empty()) {
        props.push(("name", Value::Str(name.to_string())));
    }
    props
}

/// The area layers a closed way or a multipolygon goes into.
#[cfg(feature = "build")]
pub(crate) fn area_layers(tags: &[(&str, &str)]) -> Vec<(Layer, u8, Props)> {
    let mut out = Vec::new();
    let landuse = tag(tags, "landuse");
    let leisure = tag(tags, "leisure");
    let natural = tag(tags, "natural");
    // Water.
    let water = match (natural, tag(tags, "waterway"), landuse, leisure) {
        (Some("water"), ..) => Some(match tag(tags, "water") {
            Some("river" | "canal" | "stream" | "oxbow") => "river",
            Some("pond") => "pond",
            Some("reservoir") => "reservoir",
            Some("basin") => "basin",
            Some("swimming_pool") => "pool",
            _ => "lake",
        }),
        (_, Some("riverbank"), ..) => Some("river"),
        (_, _, Some("basin"), _) => Some("basin"),
        (_, _, Some("reservoir"), _) => Some("reservoir"),
        (_, _, _, Some("swimming_pool")) => Some("pool"),
        _ => None,
    };
    if let Some(c) = water {
        out.push((Layer::Water, 0, class(c)));
    }
    // Parks and green areas.
    let park = match (leisure, landuse, natural) {
        (Some(v @ ("park" | "garden" | "pitch" | "playground")), ..) => Some(v),
        (_, Some(v @ ("grass" | "forest" | "meadow" | "recreation_ground")), _) => Some(v),
        (_, _, Some(v @ ("wood" | "scrub" | "beach"))) => Some(v),
        _ => None,
    };
    if let Some(c) = park {
        out.push((Layer::Park, 0, class(c)));
    }
    // Other land use.
    if let Some(l) = landuse {
        let taken = matches!(l, "basin" | "reservoir" | "grass" | "forest" | "meadow" | "recreation_ground");
        if !taken && !l.is_empty() {
            out.push((Layer::Landuse, 0, class(l)));
        }
    }
    if yes(tags, "building").is_some() {
        out.push((Layer::Building, 13, Vec::new()));
    }
    out
}

/// The line layers a way goes into (roads, railways, waterways).
#[cfg(feature = "build")]
pub(crate) fn line_layers(tags: &[(&str, &str)]) -> Vec<(Layer, u8, Props)> {
    let mut out = Vec::new();
    let road = match tag(tags, "highway") {
        _ if tag(tags, "area") == Some("yes") => None,
        Some("motorway" | "motorway_link") => Some(("motorway", 0)),
        Some("trunk" | "trunk_link") => Some(("trunk", 0)),
        Some("primary" | "primary_link") => Some(("primary", 0)),
        Some("secondary" | "secondary_link") => Some(("secondary", 0)),
        Some("tertiary" | "tertiary_link") => Some(("tertiary", 0)),
        Some("residential" | "unclassified" | "living_street" | "pedestrian" | "road" | "busway") => {
            Some(("minor", 13))
        }
        Some("service" | "track") => Some(("service", 14)),
        Some("footway" | "path" | "cycleway" | "steps" | "bridleway" | "corridor") => Some(("path", 14)),
        _ => match tag(tags, "railway") {
            Some("rail" | "light_rail" | "subway" | "tram" | "narrow_gauge" | "funicular") => Some(("rail", 0)),
            _ => None,
        },
    };
    if let Some((c, min_zoom)) = road {
        let mut props = with_name(class(c), tags);
        if yes(tags, "tunnel").is_some() || tag(tags, "covered") == Some("yes") {
            props.push(("tunnel", Value::Bool(true)));
        }
        if yes(tags, "bridge").is_some() {
            props.push(("bridge", Value::Bool(true)));
        }
        out.push((Layer::Road, min_zoom, props));
    }
    if let Some(w @ ("river" | "stream" | "canal" | "drain")) = tag(tags, "waterway") {
        out.push((Layer::Waterway, if w == "river" || w == "canal" { 0 } else { 13 }, with_name(class(w), tags)));
    }
    out
}

/// The label of a place node: `place=*`, or a named police station, hospital or town hall.
#[cfg(feature = "build")]
pub(crate) fn place(tags: &[(&str, &str)]) -> Option<(Props, u8)> {
    if let Some(p) = tag(tags, "place") {
        let props = with_name(class(p), tags);
        return (props.len() > 1).then_some((props, 0));
    }
    area_label(tags)
}

/// The label of an area worth a point of its own: a named police station, hospital or town hall.
#[cfg(feature = "build")]
pub(crate) fn area_label(tags: &[(&str, &str)]) -> Option<(Props, u8)> {
    let a @ ("police" | "hospital" | "townhall") = tag(tags, "amenity")? else {
        return None;
    };
    let props = with_name(class(a), tags);
    (props.len() > 1).then_some((props, 0))
}

#[cfg(all(test, feature = "build"))]
mod tests {
    use super::*;

    fn names(v: Vec<(Layer, u8, Props)>) -> Vec<(&'static str, u8, Option<Value>)> {
        v.into_iter()
            .map(|(l, z, p)| (l.name(), z, p.into_iter().find(|(k, _)| *k == "class").map(|(_, v)| v)))
            .collect()
    }

    fn s(v: &str) -> Option<Value> {
        Some(Value::Str(v.into()))
    }

    #[test]
    fn areas_go_to_their_layer() {
        assert_eq!(names(area_layers(&[("natural", "water")])), vec![("water", 0, s("lake"))]);
        assert_eq!(names(area_layers(&[("leisure", "swimming_pool")])), vec![("water", 0, s("pool"))]);
        assert_eq!(names(area_layers(&[("landuse", "grass")])), vec![("park", 0, s("grass"))]);
        assert_eq!(names(area_layers(&[("landuse", "cemetery")])), vec![("landuse", 0, s("cemetery"))]);
        assert_eq!(names(area_layers(&[("building", "yes")])), vec![("building", 13, None)]);
        assert!(area_layers(&[("building", "no")]).is_empty());
        assert!(area_layers(&[("natural", "coastline")]).is_empty());
    }

    #[test]
    fn roads_have_a_class_a_name_and_flags() {
        let r = line_layers(&[("highway", "primary_link"), ("name", "Boulevard"), ("tunnel", "yes")]);
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].2,
            vec![
                ("class", Value::Str("primary".into())),
                ("name", Value::Str("Boulevard".into())),
                ("tunnel", Value::Bool(true))
            ]
        );
        assert_eq!(names(line_layers(&[("highway", "steps")])), vec![("road", 14, s("path"))]);
        assert_eq!(names(line_layers(&[("railway", "tram")])), vec![("road", 0, s("rail"))]);
        assert!(line_layers(&[("highway", "pedestrian"), ("area", "yes")]).is_empty());
        assert!(line_layers(&[("railway", "abandoned")]).is_empty());
    }

    #[test]
    fn places_need_a_name() {
        assert!(place(&[("place", "suburb")]).is_none());
        assert!(place(&[("amenity", "police")]).is_none());
        let (p, _) = place(&[("amenity", "police"), ("name", "Sûreté publique")]).unwrap();
        assert_eq!(p[0].1, Value::Str("police".into()));
        assert!(place(&[("amenity", "school"), ("name", "École")]).is_none());
    }
}
