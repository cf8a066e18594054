//! The basemap's MapLibre style (v8), in a day and a night palette.
//!
//! One vector source, [`SOURCE`] (`basemap`), whose `tiles` is the URL template given
//! (with `{z}`, `{x}`, `{y}`); `glyphs` is the URL template of the label glyphs (with
//! `{fontstack}` and `{range}`), whose fontstacks are [`crate::FONTSTACKS`]. No sprite:
//! labels are text only. Every layer of the tiles ([`crate::Layer`]) is drawn.

use serde_json::{json, Value};

use crate::{ATTRIBUTION, DEFAULT_MAX_ZOOM, DEFAULT_MIN_ZOOM, FONTSTACKS};

/// The name of the style's one vector source.
pub const SOURCE: &str = "basemap";

/// The palette.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Theme {
    /// Light, for daylight.
    #[default]
    Day,
    /// Dark and dim, for use in a car at night.
    Night,
}

/// The colours of one theme.
struct Palette {
    background: &'static str,
    water: &'static str,
    waterway: &'static str,
    residential: &'static str,
    commercial: &'static str,
    industrial: &'static str,
    cemetery: &'static str,
    landuse: &'static str,
    park: &'static str,
    wood: &'static str,
    beach: &'static str,
    building: &'static str,
    building_outline: &'static str,
    casing: &'static str,
    motorway: &'static str,
    trunk: &'static str,
    primary: &'static str,
    road: &'static str,
    path: &'static str,
    rail: &'static str,
    text: &'static str,
    halo: &'static str,
    water_text: &'static str,
    police: &'static str,
    hospital: &'static str,
}

const DAY: Palette = Palette {
    background: "#f3f1ec",
    water: "#b6d2e0",
    waterway: "#a3c6d9",
    residential: "#ebe8e2",
    commercial: "#f0e6e4",
    industrial: "#e8e4ec",
    cemetery: "#dce4d6",
    landuse: "#eeebe5",
    park: "#d7e7cc",
    wood: "#c8deba",
    beach: "#f3ead0",
    building: "#ddd7cf",
    building_outline: "#cbc3b9",
    casing: "#cdc6bc",
    motorway: "#efc28f",
    trunk: "#f4d3a5",
    primary: "#f9e6bd",
    road: "#ffffff",
    path: "#a89c8f",
    rail: "#9c9c9c",
    text: "#3a3a3a",
    halo: "#ffffff",
    water_text: "#4d7c96",
    police: "#1f4f8f",
    hospital: "#a52a2a",
};

const NIGHT: Palette = Palette {
    background: "#15181d",
    water: "#0c1f2b",
    waterway: "#12324a",
    residential: "#1a1d22",
    commercial: "#1e1c21",
    industrial: "#1c1c22",
    cemetery: "#17201a",
    landuse: "#191c21",
    park: "#15211a",
    wood: "#132019",
    beach: "#24221a",
    building: "#23272e",
    building_outline: "#2c3139",
    casing: "#0e1013",
    motorway: "#5c4c33",
    trunk: "#4f4532",
    primary: "#474237",
    road: "#33373e",
    path: "#4a4f57",
    rail: "#51555c",
    text: "#aeb4bd",
    halo: "#0b0d10",
    water_text: "#5d88a3",
    police: "#7fa6d6",
    hospital: "#d08a8a",
};

/// Road classes from the most to the least important.
const ROAD_CLASSES: [&str; 8] = ["motorway", "trunk", "primary", "secondary", "tertiary", "minor", "service", "path"];

/// The MapLibre style for `theme`, its tiles at `tiles_url` (with `{z}/{x}/{y}`) and its
/// glyphs at `glyphs_url` (with `{fontstack}` and `{range}`). The source's zoom range is
/// the builder's default (12–16); set `/sources/basemap/minzoom|maxzoom` to a tileset's own.
pub fn style(tiles_url: &str, glyphs_url: &str, theme: Theme) -> Value {
    let c = match theme {
        Theme::Day => &DAY,
        Theme::Night => &NIGHT,
    };
    let [book, bold] = FONTSTACKS;
    let class = || json!(["get", "class"]);
    let is_class = |classes: &[&str]| json!(["in", ["get", "class"], ["literal", classes]]);
    // Line widths (px) per road class at zooms 12, 14, 16, 18.
    let widths = |casing: f64| -> Value {
        let stop = |z: u32, w: [f64; 8]| -> Vec<Value> {
            let mut m = vec![json!("match"), class()];
            for (k, w) in ROAD_CLASSES.iter().zip(w) {
                m.push(json!(k));
                m.push(json!(if w > 0.0 { w + casing } else { 0.0 }));
            }
            m.push(json!(0.0));
            vec![json!(z), Value::Array(m)]
        };
        let mut e = vec![json!("interpolate"), json!(["exponential", 1.6]), json!(["zoom"])];
        e.extend(stop(12, [2.0, 1.8, 1.5, 1.2, 1.0, 0.5, 0.0, 0.0]));
        e.extend(stop(14, [4.5, 4.0, 3.5, 3.0, 2.6, 1.8, 0.8, 0.6]));
        e.extend(stop(16, [10.0, 9.0, 8.5, 7.5, 7.0, 5.5, 2.8, 1.2]));
        e.extend(stop(18, [26.0, 24.0, 22.0, 20.0, 18.0, 15.0, 8.0, 2.5]));
        Value::Array(e)
    };
    let rank = json!([
        "match",
        ["get", "class"],
        "motorway",
        8,
        "trunk",
        7,
        "primary",
        6,
        "secondary",
        5,
        "tertiary",
        4,
        "minor",
        3,
        "service",
        2,
        1
    ]);
    let tunnel_opacity = json!(["case", ["==", ["get", "tunnel"], true], 0.45, 1.0]);
    let text_paint = |color: &str| json!({ "text-color": color, "text-halo-color": c.halo, "text-halo-width": 1.4, "text-halo-blur": 0.5 });

    let layers = vec![
        json!({ "id": "background", "type": "background", "paint": { "background-color": c.background } }),
        json!({
            "id": "landuse", "type": "fill", "source": SOURCE, "source-layer": "landuse",
            "paint": {
                "fill-color": ["match", class(),
                    "residential", c.residential,
                    ["commercial", "retail"], c.commercial,
                    ["industrial", "railway", "construction", "brownfield"], c.industrial,
                    "cemetery", c.cemetery,
                    c.landuse],
            },
        }),
        json!({
            "id": "park", "type": "fill", "source": SOURCE, "source-layer": "park",
            "paint": {
                "fill-color": ["match", class(), ["forest", "wood", "scrub"], c.wood, "beach", c.beach, c.park],
            },
        }),
        json!({ "id": "water", "type": "fill", "source": SOURCE, "source-layer": "water", "paint": { "fill-color": c.water } }),
        json!({
            "id": "waterway", "type": "line", "source": SOURCE, "source-layer": "waterway",
            "layout": { "line-cap": "round", "line-join": "round" },
            "paint": {
                "line-color": c.waterway,
                "line-width": ["interpolate", ["exponential", 1.5], ["zoom"], 12, ["match", class(), ["river", "canal"], 1.5, 0.6], 18, ["match", class(), ["river", "canal"], 10, 3]],
            },
        }),
        json!({
            "id": "building", "type": "fill", "source": SOURCE, "source-layer": "building", "minzoom": 13,
            "paint": {
                "fill-color": c.building,
                "fill-outline-color": c.building_outline,
                "fill-opacity": ["interpolate", ["linear"], ["zoom"], 13, 0.5, 15, 1.0],
            },
        }),
        json!({
            "id": "road-casing", "type": "line", "source": SOURCE, "source-layer": "road",
            "filter": is_class(&ROAD_CLASSES[..7]),
            "layout": { "line-cap": "round", "line-join": "round", "line-sort-key": rank },
            "paint": { "line-color": c.casing, "line-width": widths(1.5), "line-opacity": tunnel_opacity },
        }),
        json!({
            "id": "road-path", "type": "line", "source": SOURCE, "source-layer": "road", "minzoom": 14,
            "filter": ["==", class(), "path"],
            "layout": { "line-join": "round" },
            "paint": { "line-color": c.path, "line-width": widths(0.0), "line-dasharray": [2, 1.5], "line-opacity": tunnel_opacity },
        }),
        json!({
            "id": "road", "type": "line", "source": SOURCE, "source-layer": "road",
            "filter": is_class(&ROAD_CLASSES[..7]),
            "layout": { "line-cap": "round", "line-join": "round", "line-sort-key": rank },
            "paint": {
                "line-color": ["match", class(), "motorway", c.motorway, "trunk", c.trunk, ["primary", "secondary"], c.primary, c.road],
                "line-width": widths(0.0),
                "line-opacity": tunnel_opacity,
            },
        }),
        json!({
            "id": "rail", "type": "line", "source": SOURCE, "source-layer": "road",
            "filter": ["==", class(), "rail"],
            "paint": {
                "line-color": c.rail,
                "line-width": ["interpolate", ["linear"], ["zoom"], 12, 0.8, 16, 1.6, 18, 3],
                "line-dasharray": [3, 2],
                "line-opacity": tunnel_opacity,
            },
        }),
        json!({
            "id": "waterway-label", "type": "symbol", "source": SOURCE, "source-layer": "waterway", "minzoom": 14,
            "filter": ["has", "name"],
            "layout": {
                "symbol-placement": "line", "text-field": ["get", "name"], "text-font": [book],
                "text-size": 11, "text-letter-spacing": 0.05,
            },
            "paint": text_paint(c.water_text),
        }),
        json!({
            "id": "road-label", "type": "symbol", "source": SOURCE, "source-layer": "road", "minzoom": 13,
            "filter": ["all", ["has", "name"], ["!=", class(), "rail"]],
            "layout": {
                "symbol-placement": "line",
                "symbol-spacing": 300,
                "symbol-sort-key": ["-", 10, rank],
                "text-field": ["get", "name"],
                "text-font": [book],
                "text-size": ["interpolate", ["linear"], ["zoom"], 13, 10, 16, 12.5, 18, 14],
                "text-max-angle": 35,
                "text-padding": 4,
            },
            "paint": text_paint(c.text),
        }),
        json!({
            "id": "poi-label", "type": "symbol", "source": SOURCE, "source-layer": "place", "minzoom": 14,
            "filter": is_class(&["police", "hospital", "townhall"]),
            "layout": {
                "text-field": ["get", "name"], "text-font": [bold],
                "text-size": 12, "text-max-width": 9, "text-padding": 2,
            },
            "paint": {
                "text-color": ["match", class(), "police", c.police, "hospital", c.hospital, c.text],
                "text-halo-color": c.halo, "text-halo-width": 1.4, "text-halo-blur": 0.5,
            },
        }),
        json!({
            "id": "place-label-minor", "type": "symbol", "source": SOURCE, "source-layer": "place", "minzoom": 14,
            "filter": ["!", is_class(&["police", "hospital", "townhall", "city", "town", "village", "suburb"])],
            "layout": { "text-field": ["get", "name"], "text-font": [book], "text-size": 12, "text-max-width": 8 },
            "paint": text_paint(c.text),
        }),
        json!({
            "id": "place-label", "type": "symbol", "source": SOURCE, "source-layer": "place",
            "filter": is_class(&["city", "town", "village", "suburb"]),
            "layout": {
                "text-field": ["get", "name"], "text-font": [bold],
                "text-size": ["match", class(), ["city", "town"], 16, 13],
                "text-max-width": 8,
                "text-transform": ["match", class(), "suburb", "uppercase", "none"],
                "text-letter-spacing": ["match", class(), "suburb", 0.08, 0.0],
            },
            "paint": text_paint(c.text),
        }),
    ];

    json!({
        "version": 8,
        "name": match theme { Theme::Day => "Vigie (jour)", Theme::Night => "Vigie (nuit)" },
        "glyphs": glyphs_url,
        "sources": {
            SOURCE: {
                "type": "vector",
                "tiles": [tiles_url],
                "minzoom": DEFAULT_MIN_ZOOM,
                "maxzoom": DEFAULT_MAX_ZOOM,
                "attribution": ATTRIBUTION,
            },
        },
        "layers": layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_style_has_one_source_and_the_placeholders() {
        for theme in [Theme::Day, Theme::Night] {
            let s = style("vigie://localhost/tiles/{z}/{x}/{y}.mvt", "g/{fontstack}/{range}.pbf", theme);
            assert_eq!(s["version"], 8);
            assert_eq!(s["sources"].as_object().unwrap().len(), 1);
            assert_eq!(s["sources"]["basemap"]["tiles"][0], "vigie://localhost/tiles/{z}/{x}/{y}.mvt");
            assert_eq!(s["glyphs"], "g/{fontstack}/{range}.pbf");
            let ids: Vec<&str> = s["layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
            let mut unique = ids.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), ids.len(), "layer ids are unique: {ids:?}");
        }
        let day = style("t/{z}/{x}/{y}", "g/{fontstack}/{range}", Theme::Day);
        let night = style("t/{z}/{x}/{y}", "g/{fontstack}/{range}", Theme::Night);
        assert_ne!(day["layers"][0]["paint"], night["layers"][0]["paint"]);
    }
}
