//! The basemap of the real Monaco extract (`../shared/data/osm`), built once, read back
//! with the readers the app and MapLibre's format use: the `pmtiles` crate's reader (as in
//! the app) and `tinymvt`'s decoder. Fails, saying so, when the data set is absent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pmtiles::{AsyncPmTilesReader, MmapBackend, TileCoord};
use prost::Message;
use tinymvt::geometry::GeometryDecoder;
use tinymvt::tag::{TagsDecoder, Value};
use tinymvt::vector_tile::{tile, Tile};
use vigie_tiles::{BuildOptions, BuildReport, Layer, Theme, TilesetInfo, FONTSTACKS};

const MONACO: &str = "monaco-2025-02-11.osm.pbf";
/// Off Monte-Carlo, some 600 m south-east of the casino: open sea.
const SEA: (f64, f64) = (43.735, 7.435);
/// The Palais princier, on the Rocher.
const PALACE: (f64, f64) = (43.7314, 7.4198);
/// The casino of Monte-Carlo.
const CASINO: (f64, f64) = (43.7395, 7.4283);

fn data(file: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/osm").join(file);
    assert!(
        p.is_file(),
        "the OSM extract {} is missing: the tests need ../shared/data beside the repository",
        p.display()
    );
    p
}

/// Monaco at zooms 12–16, built once for all the tests of this file.
fn monaco() -> &'static (PathBuf, BuildReport) {
    static BUILT: OnceLock<(PathBuf, BuildReport)> = OnceLock::new();
    BUILT.get_or_init(|| {
        // In the target dir's scratch space, replaced by each run (a static is never dropped).
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("vigie-tiles-monaco");
        let out = dir.join("monaco.pmtiles");
        let report = vigie_tiles::build_pmtiles(&data(MONACO), &out, &BuildOptions::new("monaco")).unwrap();
        (out, report)
    })
}

/// The tile of zoom `z` holding a point, and the point in that tile's 4096 units — computed
/// here from the Web Mercator formulas, not by the crate.
fn tile_of(z: u8, (lat, lon): (f64, f64)) -> ((u32, u32), [f64; 2]) {
    let n = f64::from(1u32 << z);
    let x = (lon + 180.0) / 360.0 * n;
    let lat = lat.to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    ((x as u32, y as u32), [x.fract() * 4096.0, y.fract() * 4096.0])
}

/// Reads tiles with the `pmtiles` crate's reader (the app's).
fn read_tiles(path: &Path, coords: &[(u8, u32, u32)]) -> Vec<Option<Vec<u8>>> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let reader = AsyncPmTilesReader::try_from_source(MmapBackend::try_from(path).await.unwrap()).await.unwrap();
        let mut out = Vec::new();
        for &(z, x, y) in coords {
            let t = reader.get_tile_decompressed(TileCoord::new(z, x, y).unwrap()).await.unwrap();
            out.push(t.map(|b| b.to_vec()));
        }
        out
    })
}

fn decode(bytes: &[u8]) -> Tile {
    Tile::decode(bytes).expect("a vector tile")
}

fn layer<'a>(t: &'a Tile, name: &str) -> Option<&'a tile::Layer> {
    t.layers.iter().find(|l| l.name == name)
}

fn props(l: &tile::Layer, f: &tile::Feature) -> BTreeMap<String, Value> {
    TagsDecoder::new(&l.keys, &l.values).decode(&f.tags).unwrap().into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn text(v: Option<&Value>) -> Option<&str> {
    match v {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// Twice the signed area of a ring of tile units (positive: clockwise on screen).
fn area2(ring: &[[i32; 2]]) -> i64 {
    (0..ring.len())
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

fn in_ring(p: [f64; 2], ring: &[[i32; 2]]) -> bool {
    let mut inside = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let ([xi, yi], [xj, yj]) = (ring[i].map(f64::from), ring[j].map(f64::from));
        if (yi > p[1]) != (yj > p[1]) && p[0] < (xj - xi) * (p[1] - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// The classes of the `water` polygons of tile `z` holding `point`.
fn water_at(z: u8, point: (f64, f64)) -> Vec<String> {
    let ((x, y), p) = tile_of(z, point);
    let t = decode(read_tiles(&monaco().0, &[(z, x, y)])[0].as_deref().expect("the tile exists"));
    let Some(water) = layer(&t, "water") else { return Vec::new() };
    let mut classes = Vec::new();
    for f in &water.features {
        assert_eq!(f.r#type, Some(tile::GeomType::Polygon as i32));
        for poly in GeometryDecoder::new(&f.geometry).decode_polygons().unwrap() {
            assert!(area2(&poly[0]) > 0, "a polygon starts with its outer ring (clockwise on screen)");
            assert!(poly[1..].iter().all(|h| area2(h) < 0), "holes turn the other way");
            if in_ring(p, &poly[0]) && !poly[1..].iter().any(|h| in_ring(p, h)) {
                classes.push(text(props(water, f).get("class")).unwrap_or("?").to_string());
            }
        }
    }
    classes
}

#[test]
fn every_zoom_covers_the_extract() {
    let (path, report) = monaco();
    let zooms: Vec<u8> = report.tiles_per_zoom.iter().map(|(z, _)| *z).collect();
    assert_eq!(zooms, vec![12, 13, 14, 15, 16]);
    // The extract's box (its header's) reaches far out to sea, all of it water: nearly every
    // tile of the box has something, and none lies outside it.
    let [w, s, e, n] = report.bounds;
    assert!(
        (w - 7.4086).abs() < 1e-3 && (n - 43.7529).abs() < 1e-3 && (s - 43.4838).abs() < 1e-3,
        "{:?}",
        report.bounds
    );
    let mut coords = Vec::new();
    for &(z, count) in &report.tiles_per_zoom {
        let ((x0, y0), _) = tile_of(z, (n, w));
        let ((x1, y1), _) = tile_of(z, (s, e));
        let grid: Vec<(u8, u32, u32)> = (x0..=x1).flat_map(|x| (y0..=y1).map(move |y| (z, x, y))).collect();
        assert!(count <= grid.len() && count * 100 >= grid.len() * 98, "z{z}: {count} tiles of {}", grid.len());
        coords.extend(grid);
    }
    let tiles = read_tiles(path, &coords);
    assert_eq!(tiles.iter().flatten().count(), report.tiles(), "every tile written is in the box");
    assert!(report.tiles() > 3000 && report.tiles() < 3300, "{} tiles", report.tiles());
    assert!(report.bytes < 1_000_000, "identical sea tiles are stored once: {} bytes", report.bytes);

    // The header and metadata, as `TilesetInfo` reads them.
    let info = TilesetInfo::read(path).unwrap();
    assert_eq!((info.min_zoom, info.max_zoom, info.name.as_str()), (12, 16, "monaco"));
    assert_eq!(info.tiles, report.tiles() as u64);
    for (a, b) in info.bounds.iter().zip(report.bounds) {
        assert!((a - b).abs() < 1e-6);
    }
    assert!(info.center[0] > w && info.center[0] < e && info.center[1] > s && info.center[1] < n);
    assert_eq!(info.attribution.as_deref(), Some("© OpenStreetMap contributors, ODbL"));
    assert_eq!(info.source.as_deref(), Some(MONACO));
    assert_eq!(info.osm_timestamp.as_deref(), Some("2025-02-11T21:21:02Z"));
    let ids: Vec<&str> =
        info.metadata["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, Layer::ALL.map(Layer::name));
    // MVT tiles, gzip-compressed, gzip directories.
    let header = std::fs::read(path).unwrap();
    assert_eq!((header[97], header[98], header[99]), (2, 2, 1), "internal gzip, tiles gzip, MVT");
}

#[test]
fn a_z14_tile_of_monaco_has_its_streets_and_buildings() {
    let ((x, y), _) = tile_of(14, PALACE);
    let t = decode(read_tiles(&monaco().0, &[(14, x, y)])[0].as_deref().unwrap());
    for l in &t.layers {
        assert_eq!((l.version, l.extent), (2, Some(4096)), "layer {}", l.name);
        assert!(Layer::ALL.iter().any(|k| k.name() == l.name), "unknown layer {}", l.name);
    }
    let roads = layer(&t, "road").expect("roads");
    let mut names = BTreeSet::new();
    for f in &roads.features {
        assert_eq!(f.r#type, Some(tile::GeomType::Linestring as i32));
        let p = props(roads, f);
        let class = text(p.get("class")).unwrap();
        let classes = ["motorway", "trunk", "primary", "secondary", "tertiary", "minor", "service", "path", "rail"];
        assert!(classes.contains(&class), "road class {class}");
        if let Some(n) = text(p.get("name")) {
            names.insert(n.to_string());
        }
        for v in [p.get("tunnel"), p.get("bridge")].into_iter().flatten() {
            assert_eq!(v, &Value::Bool(true));
        }
    }
    // "1er" with a digit one: OSM spells it so in this extract.
    for street in ["Boulevard Albert 1er", "Quai des États-Unis", "Avenue de la Costa", "Boulevard Princesse Charlotte"]
    {
        assert!(names.contains(street), "{street} not among {names:?}");
    }
    assert!(
        roads.features.iter().any(|f| props(roads, f).get("tunnel") == Some(&Value::Bool(true))),
        "Monaco has tunnels"
    );
    let buildings = layer(&t, "building").expect("buildings");
    assert!(buildings.features.len() > 100, "{} buildings", buildings.features.len());
    let places = layer(&t, "place").expect("places");
    let place_names: Vec<_> =
        places.features.iter().filter_map(|f| text(props(places, f).get("name")).map(str::to_string)).collect();
    assert!(place_names.iter().any(|n| n == "Monaco-Ville"), "{place_names:?}");
    let police = places.features.iter().filter(|f| text(props(places, f).get("class")) == Some("police")).count();
    assert!(police >= 1, "the Sûreté publique is in the place layer");

    // Lower down, the smaller things go: service roads and paths from z14, streets and
    // buildings from z13.
    let classes_at = |z: u8| {
        let ((x, y), _) = tile_of(z, PALACE);
        let t = decode(read_tiles(&monaco().0, &[(z, x, y)])[0].as_deref().unwrap());
        let roads = layer(&t, "road").expect("roads");
        let classes: BTreeSet<String> =
            roads.features.iter().filter_map(|f| text(props(roads, f).get("class")).map(str::to_string)).collect();
        (classes, layer(&t, "building").is_some())
    };
    let (z14, _) = classes_at(14);
    assert!(z14.contains("service") && z14.contains("path") && z14.contains("minor"), "{z14:?}");
    let (z13, buildings13) = classes_at(13);
    assert!(z13.contains("minor") && !z13.contains("service") && !z13.contains("path") && buildings13, "{z13:?}");
    let (z12, buildings12) = classes_at(12);
    assert!(z12.contains("primary") && !z12.contains("minor") && !buildings12, "{z12:?}");
}

#[test]
fn the_sea_is_water_and_the_land_is_not() {
    for z in [12, 14, 16] {
        assert_eq!(water_at(z, SEA), vec!["sea"], "z{z}: off Monte-Carlo is sea");
        assert!(water_at(z, PALACE).is_empty(), "z{z}: the palace is on land");
        assert!(water_at(z, CASINO).is_empty(), "z{z}: the casino is on land");
    }
    // Far out, in the extract's box: a tile of sea only, the whole of it.
    let ((x, y), _) = tile_of(14, (43.55, 7.50));
    let t = decode(read_tiles(&monaco().0, &[(14, x, y)])[0].as_deref().unwrap());
    assert_eq!(t.layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), vec!["water"]);
    assert_eq!(water_at(14, (43.55, 7.50)), vec!["sea"]);
}

#[test]
fn the_glyphs_have_french_characters() {
    let dir = tempfile::tempdir().unwrap();
    let report = vigie_tiles::build_glyphs(dir.path()).unwrap();
    assert_eq!(report.files, 2 * vigie_tiles::glyphs::RANGES.len());
    for fontstack in FONTSTACKS {
        for range in ["0-255", "256-511", "8192-8447"] {
            assert!(dir.path().join(fontstack).join(format!("{range}.pbf")).is_file(), "{fontstack}/{range}");
        }
        let glyphs = |range: &str| {
            let bytes = std::fs::read(dir.path().join(fontstack).join(format!("{range}.pbf"))).unwrap();
            let g = pbf_font_tools::Glyphs::decode(&bytes[..]).unwrap();
            assert_eq!(g.stacks.len(), 1);
            assert_eq!(g.stacks[0].name, fontstack);
            assert_eq!(g.stacks[0].range, range);
            g.stacks.into_iter().next().unwrap().glyphs
        };
        let check = |range: &str, chars: &str| {
            let gs = glyphs(range);
            for c in chars.chars() {
                let g = gs.iter().find(|g| g.id == c as u32).unwrap_or_else(|| panic!("{fontstack}: no {c}"));
                let bitmap = g.bitmap.as_deref().unwrap_or_default();
                assert!(g.width > 0 && g.height > 0 && g.advance > 0, "{fontstack} {c}: {g:?}");
                // The SDF is the glyph plus a 3-pixel border on each side.
                assert_eq!(bitmap.len() as u32, (g.width + 6) * (g.height + 6), "{fontstack} {c}");
                assert!(bitmap.iter().any(|&v| v > 192), "{fontstack} {c}: an inside");
            }
        };
        check("0-255", "éèàçÉÀ«»°");
        check("256-511", "œŒ");
        check("8192-8447", "’–…€");
        // A space has an advance and no bitmap.
        let space = glyphs("0-255").into_iter().find(|g| g.id == 32).unwrap();
        assert!(space.advance > 0);
    }
}

#[test]
fn the_style_uses_only_what_was_built() {
    let (path, report) = monaco();
    // Every layer name found in the tiles.
    let mut coords = Vec::new();
    let [w, s, e, n] = report.bounds;
    for z in 12..=16 {
        let ((x0, y0), _) = tile_of(z, (n, w));
        let ((x1, y1), _) = tile_of(z, (s, e));
        coords.extend((x0..=x1).flat_map(|x| (y0..=y1).map(move |y| (z, x, y))));
    }
    let mut in_tiles = BTreeSet::new();
    for t in read_tiles(path, &coords).into_iter().flatten() {
        in_tiles.extend(decode(&t).layers.into_iter().map(|l| l.name));
    }
    assert_eq!(in_tiles, Layer::ALL.iter().map(|l| l.name().to_string()).collect(), "Monaco has every layer");

    let glyphs = tempfile::tempdir().unwrap();
    vigie_tiles::build_glyphs(glyphs.path()).unwrap();
    for theme in [Theme::Day, Theme::Night] {
        let style = vigie_tiles::style("vigie://localhost/tiles/{z}/{x}/{y}.mvt", "g/{fontstack}/{range}.pbf", theme);
        assert_eq!(style["sources"]["basemap"]["type"], "vector");
        assert_eq!(style["sources"]["basemap"]["minzoom"], 12);
        assert_eq!(style["sources"]["basemap"]["maxzoom"], 16);
        let layers = style["layers"].as_array().unwrap();
        let mut drawn = BTreeSet::new();
        for l in layers {
            if l["type"] == "background" {
                continue;
            }
            assert_eq!(l["source"], "basemap", "{}", l["id"]);
            let source_layer = l["source-layer"].as_str().unwrap();
            assert!(in_tiles.contains(source_layer), "{}: no layer {source_layer} in the tiles", l["id"]);
            drawn.insert(source_layer.to_string());
            if let Some(fonts) = l["layout"]["text-font"].as_array() {
                for f in fonts {
                    let f = f.as_str().unwrap();
                    assert!(
                        glyphs.path().join(f).join("0-255.pbf").is_file(),
                        "{}: font {f} was not generated",
                        l["id"]
                    );
                }
            }
        }
        assert_eq!(drawn, in_tiles, "every layer of the tiles is drawn");
    }
}

#[test]
fn a_small_island_builds_too() {
    // Saint-Barthélemy (2014): an island, so its sea surrounds the land on every side.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sb.pmtiles");
    let opts = BuildOptions { name: "sb".into(), min_zoom: 12, max_zoom: 14 };
    let report = vigie_tiles::build_pmtiles(&data("saint-barthelemy-2014.osm.pbf"), &out, &opts).unwrap();
    assert_eq!(report.tiles_per_zoom.iter().map(|(z, _)| *z).collect::<Vec<_>>(), vec![12, 13, 14]);
    let info = TilesetInfo::read(&out).unwrap();
    assert_eq!((info.name.as_str(), info.min_zoom, info.max_zoom), ("sb", 12, 14));
    // Around the island and between its islets, sea; the airport and the hills, land.
    let sea_at = |point: (f64, f64)| {
        let ((x, y), p) = tile_of(14, point);
        let t = decode(read_tiles(&out, &[(14, x, y)])[0].as_deref().expect("a tile"));
        let water = layer(&t, "water").expect("every tile of this extract has sea");
        water.features.iter().any(|f| {
            text(props(water, f).get("class")) == Some("sea")
                && GeometryDecoder::new(&f.geometry)
                    .decode_polygons()
                    .unwrap()
                    .iter()
                    .any(|poly| in_ring(p, &poly[0]) && !poly[1..].iter().any(|h| in_ring(p, h)))
        })
    };
    assert!(sea_at((17.95, -62.90)), "north-west of the island: sea");
    assert!(sea_at((17.93, -62.80)), "north-east of the island: sea");
    assert!(!sea_at((17.9044, -62.8436)), "the airport: land");
    assert!(!sea_at((17.905, -62.83)), "the hills east of it: land");
}

#[test]
fn bad_input_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let not_pbf = dir.path().join("nonsense.osm.pbf");
    std::fs::write(&not_pbf, b"this is not a PBF file at all").unwrap();
    let e = vigie_tiles::build_pmtiles(&not_pbf, &dir.path().join("x.pmtiles"), &BuildOptions::new("x")).unwrap_err();
    assert!(e.to_string().contains("nonsense.osm.pbf"), "{e}");
    assert!(!dir.path().join("x.pmtiles").exists() && !dir.path().join("x.pmtiles.part").exists());
    let e = vigie_tiles::build_pmtiles(
        &dir.path().join("absent.osm.pbf"),
        &dir.path().join("x.pmtiles"),
        &BuildOptions::new("x"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("absent.osm.pbf"), "{e}");
    let opts = BuildOptions { name: "x".into(), min_zoom: 15, max_zoom: 12 };
    assert!(vigie_tiles::build_pmtiles(&data(MONACO), &dir.path().join("x.pmtiles"), &opts).is_err());
    let e = TilesetInfo::read(&not_pbf).unwrap_err();
    assert!(e.to_string().contains("nonsense.osm.pbf"), "{e}");
}
