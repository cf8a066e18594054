//! Importers on the real files in ../shared/data and on broken ones.

use std::path::PathBuf;

use vigie_core::camera::CameraType;
use vigie_core::import::{self, Format, ImportError, ImportOptions, Location};
use vigie_core::Holder;

/// A file of the shared real data set; fails loudly when the data set is absent.
fn shared(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "the shared data set is missing ({}: {e}); it is expected beside the repository, at ../shared/data",
            path.display()
        )
    })
}

fn opts(source: &str) -> ImportOptions {
    ImportOptions { source: source.into(), ..ImportOptions::default() }
}

#[test]
fn paris_prefecture_plan_gives_1389_cameras() {
    let mut o = opts("paris-prefecture-police-2013.geojson");
    o.holder = Some(Holder { name: "Préfecture de police".into(), ..Holder::default() });
    let out = import::import(&shared("cameras/paris-prefecture-police-2013.geojson"), &o).unwrap();
    assert_eq!(out.report.format, Some(Format::GeoJson));
    assert_eq!((out.report.read, out.report.imported, out.report.skipped.len()), (1389, 1389, 0));
    assert_eq!(out.cameras.len(), 1389);
    let first = &out.cameras[0];
    assert_eq!(first.id.0, "paris-prefecture-police-2013:1");
    assert_eq!(first.label.as_deref(), Some("BD SUCHET / RAPHAEL"));
    assert_eq!(first.holder.as_ref().unwrap().name, "Préfecture de police");
    assert_eq!(first.retention_days, None, "unknown: the legal maximum applies later");
    assert!(out.report.tags_not_understood.is_empty(), "{:?}", out.report.tags_not_understood);
    // Every camera is in Paris or at its gates (the plan covers the stadiums of Saint-Denis).
    for c in &out.cameras {
        let p = c.placements[0].position;
        assert!((48.75..48.95).contains(&p.lat()) && (2.15..2.55).contains(&p.lon()), "{} at {p}", c.id);
    }
    // Importing again gives the same ids (re-import updates, never duplicates).
    let again = import::import(&shared("cameras/paris-prefecture-police-2013.geojson"), &o).unwrap();
    assert!(out.cameras.iter().zip(&again.cameras).all(|(a, b)| a.id == b.id));
}

#[test]
fn monaco_osm_cameras_with_their_directions() {
    let out = import::import(&shared("cameras/monaco-osm-2025.geojson"), &opts("monaco-osm-2025.geojson")).unwrap();
    assert_eq!((out.report.read, out.report.imported), (16, 16));
    let cam = |id: &str| out.cameras.iter().find(|c| c.id.0 == id).unwrap();
    let c = cam("osm:node/6459866647");
    assert_eq!(c.camera_type, CameraType::Fixed);
    assert_eq!(c.placements[0].views.len(), 1);
    assert_eq!(c.placements[0].views[0].azimuth_deg, 240.0);
    assert_eq!(cam("osm:node/6473583428").placements[0].views[0].azimuth_deg, 160.0);
    assert_eq!(cam("osm:node/6482706099").placements[0].views[0].azimuth_deg, 0.0);
    let with_direction = out.cameras.iter().filter(|c| !c.placements[0].views.is_empty()).count();
    assert_eq!(with_direction, 3, "the three nodes tagged `direction`");
    assert_eq!(cam("osm:node/6471920429").camera_type, CameraType::Panning);
    assert_eq!(out.cameras.iter().filter(|c| c.camera_type == CameraType::Dome).count(), 9);
    assert_eq!(c.tags.get("camera:mount").map(String::as_str), Some("pole"), "raw tags kept");
    assert!(out.report.values_not_understood.is_empty());
}

#[test]
fn overpass_answers_are_read() {
    let json = br#"{"version": 0.6, "generator": "Overpass API", "elements": [
        {"type": "node", "id": 1, "lat": 43.73, "lon": 7.42, "tags": {"man_made": "surveillance", "camera:direction": "SW", "camera:type": "fixed"}},
        {"type": "way", "id": 2, "center": {"lat": 43.74, "lon": 7.43}, "tags": {"man_made": "surveillance", "surveillance:type": "camera"}},
        {"type": "node", "id": 3, "lat": 43.75, "lon": 7.44, "tags": {"man_made": "surveillance", "surveillance:type": "guard"}},
        {"type": "node", "id": 4, "tags": {"man_made": "surveillance"}},
        {"type": "node", "id": 5, "lat": 0, "lon": 0, "tags": {"man_made": "surveillance", "wheelchair": "no"}}
    ]}"#;
    let out = import::import(json, &opts("overpass.json")).unwrap();
    assert_eq!(out.report.format, Some(Format::Overpass));
    assert_eq!((out.report.read, out.report.imported), (5, 2));
    assert_eq!(out.cameras[0].id.0, "osm:node/1");
    assert_eq!(out.cameras[0].placements[0].views[0].azimuth_deg, 225.0);
    assert_eq!(out.cameras[1].id.0, "osm:way/2");
    let reasons: Vec<String> = out.report.skipped.iter().map(|s| format!("{}: {}", s.at, s.reason)).collect();
    assert_eq!(
        reasons,
        [
            "element 2 (node/3): not a camera (surveillance:type=guard)",
            "element 3 (node/4): no position",
            "element 4 (node/5): invalid position: position (0, 0) is what a receiver without a fix reports; refused",
        ]
    );
}

#[test]
fn csv_with_a_declared_column_map() {
    let csv = "ref;latitude;longitude;orientation;kind;commune\n\
               A1;45,1885;5,7245;NE;fixed;Grenoble\n\
               A2;45,1890;5,7250;;panning;Grenoble\n\
               A3;north;5,7;;;Grenoble\n";
    let mut o = opts("grenoble.csv");
    o.retention_days = Some(7);
    o.csv = Some(import::CsvColumns {
        lat: "latitude".into(),
        lon: "longitude".into(),
        id: Some("ref".into()),
        direction: Some("orientation".into()),
        camera_type: Some("kind".into()),
        ..import::CsvColumns::default()
    });
    let out = import::import(csv.as_bytes(), &o).unwrap();
    assert_eq!(out.report.format, Some(Format::Csv));
    assert_eq!((out.report.read, out.report.imported), (3, 2));
    assert_eq!(out.cameras[0].id.0, "grenoble:A1");
    assert_eq!(out.cameras[0].placements[0].position.lat(), 45.1885);
    assert_eq!(out.cameras[0].placements[0].views[0].azimuth_deg, 45.0);
    assert_eq!(out.cameras[1].camera_type, CameraType::Panning);
    assert_eq!(out.cameras[1].retention_days, Some(7));
    assert_eq!(out.report.skipped[0].at, Location::Line(4));
    assert!(out.report.skipped[0].reason.contains("\"north\""), "{}", out.report.skipped[0].reason);
    assert_eq!(out.report.tags_not_understood.get("commune"), Some(&2), "kept and reported, on the two imported rows");

    let missing = import::import(b"x,y\n1,2\n", &opts("bad.csv")).unwrap_err();
    assert_eq!(missing.to_string(), "line 1: the header has no column \"lat\" (columns: x, y)");
    let ragged = import::import(b"lat,lon\n45.1,5.7\n45.2\n", &opts("bad.csv")).unwrap_err();
    assert_eq!(ragged, ImportError::Csv { line: 3, message: "1 fields where the header has 2".into() });
}

#[test]
fn broken_json_names_the_line_and_the_feature() {
    let text = "{\"type\": \"FeatureCollection\", \"features\": [\n\
        {\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [2.35, 48.85]}, \"properties\": {}},\n\
        {\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [2.35, 48.85]}, \"properties\": {\"a\": }}\n\
        ]}";
    let err = import::import(text.as_bytes(), &opts("broken.geojson")).unwrap_err();
    match &err {
        ImportError::Json { line, feature, .. } => {
            assert_eq!((*line, *feature), (3, Some(1)), "{err}")
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().starts_with("line 3, column "), "{err}");
    assert!(err.to_string().contains("(feature 1)"), "{err}");

    let err = import::import(br#"{"type": "Feature", "features": []}"#, &opts("x")).unwrap_err();
    assert!(err.to_string().contains("expected \"FeatureCollection\""), "{err}");
    let err = import::import(br#"{"hello": 1}"#, &opts("x")).unwrap_err();
    assert!(matches!(err, ImportError::UnknownFormat(_)), "{err}");
    assert!(matches!(import::import(b"\xff\xfe", &opts("x")).unwrap_err(), ImportError::NotUtf8(0)));
}

#[test]
fn geojson_records_that_are_not_cameras_are_skipped_with_reasons() {
    let text = r#"{"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "node/7", "geometry": {"type": "Point", "coordinates": [7.42, 43.73, 12.0]}, "properties": {"man_made": "surveillance", "direction": "up"}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[7.42, 43.73], [7.43, 43.74]]}, "properties": {}},
        {"type": "Feature", "geometry": null, "properties": {}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["a", "b"]}, "properties": null},
        {"type": "Feature", "id": "node/7", "geometry": {"type": "Point", "coordinates": [7.42, 43.73]}, "properties": {}}
    ]}"#;
    let out = import::import(text.as_bytes(), &opts("mixed.geojson")).unwrap();
    assert_eq!((out.report.read, out.report.imported), (5, 1));
    let reasons: Vec<String> = out.report.skipped.iter().map(|s| format!("{}: {}", s.at, s.reason)).collect();
    assert_eq!(
        reasons,
        [
            "feature 1: geometry LineString is not a point",
            "feature 2: no geometry",
            "feature 3: point coordinates are not [longitude, latitude]",
            "feature 4 (node/7): duplicate id osm:node/7 (first at feature 0 (node/7))",
        ]
    );
    assert_eq!(out.report.values_not_understood.get("direction=up"), Some(&1));
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Any bytes: an outcome or an error, never a panic.
        #[test]
        fn importers_never_panic_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = import::import(&bytes, &opts("garbage"));
        }

        /// A real file cut short or with one byte changed: an outcome, or an error that
        /// names where (a JSON error carries its line), never a panic.
        #[test]
        fn a_damaged_real_file_is_reported_not_fatal(cut in 0.0f64..1.0, at in 0.0f64..1.0, byte in any::<u8>()) {
            let mut bytes = shared("cameras/monaco-osm-2025.geojson");
            let i = ((bytes.len() - 1) as f64 * at) as usize;
            bytes[i] = byte;
            bytes.truncate(((bytes.len() as f64) * cut) as usize);
            match import::import(&bytes, &opts("damaged.geojson")) {
                Ok(out) => prop_assert!(out.report.imported <= 16),
                Err(ImportError::Json { line, .. }) => prop_assert!(line >= 1),
                Err(_) => {}
            }
        }
    }
}
