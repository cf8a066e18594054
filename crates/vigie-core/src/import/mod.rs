//! Importers of camera files: GeoJSON, OpenStreetMap (Overpass JSON) and CSV.
//!
//! Importers are tolerant and explicit. A record that cannot become a camera (no position,
//! a (0, 0) position, a line instead of a point, a surveillance node that is not a camera)
//! is skipped, and the [`ImportReport`] says which one and why; tags or values the
//! importer did not understand are counted, and kept verbatim on the camera. A file that
//! is not what it claims (broken JSON, a CSV without the declared columns) is an
//! [`ImportError`] naming the line, column or feature. Nothing here panics on input.
//!
//! Ids are stable, so importing the same file twice gives the same cameras: the record's
//! own id when it has one (`osm:node/…` for OpenStreetMap objects, else
//! `<prefix>:<id>`), otherwise a hash of its position and label.

mod csv;
mod geojson;
mod osm;
mod overpass;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

pub use self::csv::CsvColumns;
pub use self::osm::{parse_direction, DirectionError};

use crate::camera::{Camera, CameraId, CameraKind, Holder, Placement, Provenance, StatusReport, Validity};
use crate::geo::LatLon;

/// What an import applies to every camera of a file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Name of the source, kept as each camera's provenance (a file name, say).
    pub source: String,
    /// Prefix of the ids built from the records' own ids; defaults to `source`.
    pub id_prefix: Option<String>,
    /// The holder of every camera of the file (overrides an `operator` tag).
    pub holder: Option<Holder>,
    /// The retention of every camera of the file, days.
    pub retention_days: Option<u32>,
    /// Public or private, for the whole file (an `operator:type=private` tag overrides
    /// `Public`).
    pub kind: CameraKind,
    /// The column map of a CSV file; `CsvColumns::default()` when `None`.
    pub csv: Option<CsvColumns>,
}

/// A file format the importers know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A GeoJSON FeatureCollection of points.
    GeoJson,
    /// Overpass API JSON (`elements` of OSM nodes, or ways with `center`).
    Overpass,
    /// Comma-, semicolon- or tab-separated values with a header line.
    Csv,
}

/// Where in a file a record is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// A GeoJSON feature, by its index in `features` (0-based) and its id if any.
    Feature {
        /// Index in the `features` array.
        index: usize,
        /// The feature's id.
        id: Option<String>,
    },
    /// An Overpass element, by index and OSM id.
    Element {
        /// Index in the `elements` array.
        index: usize,
        /// `node/123`.
        id: Option<String>,
    },
    /// A CSV line (1-based, the header is line 1).
    Line(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Feature { index, id: Some(id) } => write!(f, "feature {index} ({id})"),
            Location::Feature { index, id: None } => write!(f, "feature {index}"),
            Location::Element { index, id: Some(id) } => write!(f, "element {index} ({id})"),
            Location::Element { index, id: None } => write!(f, "element {index}"),
            Location::Line(l) => write!(f, "line {l}"),
        }
    }
}

/// A record that did not become a camera.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Where it is.
    pub at: Location,
    /// Why it was skipped, in plain words.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// The format read.
    pub format: Option<Format>,
    /// Records read.
    pub read: usize,
    /// Cameras produced.
    pub imported: usize,
    /// Records skipped, with the reason.
    pub skipped: Vec<Skipped>,
    /// Tag keys (or CSV columns) not understood, with the number of records carrying them.
    /// They are kept verbatim on the cameras.
    pub tags_not_understood: BTreeMap<String, usize>,
    /// Values of known tags that could not be read (`direction=foo`), with their count.
    pub values_not_understood: BTreeMap<String, usize>,
}

/// Cameras and the report of their import.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    /// The cameras.
    pub cameras: Vec<Camera>,
    /// What happened.
    pub report: ImportReport,
}

/// A file the importers cannot read at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Not JSON, or JSON of the wrong shape.
    #[error("line {line}, column {column}{}: {message}", feature.map(|i| format!(" (feature {i})")).unwrap_or_default())]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The record being read, when the error is inside one.
        feature: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// JSON, but neither a FeatureCollection nor an Overpass answer.
    #[error("not a camera file: {0}")]
    UnknownFormat(String),
    /// A CSV file that is malformed or lacks a declared column.
    #[error("line {line}: {message}")]
    Csv {
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The file is not UTF-8.
    #[error("byte {0}: the file is not UTF-8 text")]
    NotUtf8(usize),
}

/// Recognises the format of `bytes` from their content.
pub fn detect(bytes: &[u8]) -> Result<Format, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::NotUtf8(e.valid_up_to()))?;
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if !body.starts_with('{') {
        return Ok(Format::Csv);
    }
    // The distinguishing key is near the top in every producer we know; look at the first
    // 64 KiB only, so detection costs nothing on a large file.
    let head = &body[..floor_char_boundary(body, 64 * 1024)];
    let geo = ["\"FeatureCollection\"", "\"features\""].iter().filter_map(|k| head.find(k)).min();
    let ovp = head.find("\"elements\"");
    match (geo, ovp) {
        (Some(g), Some(o)) if o < g => Ok(Format::Overpass),
        (Some(_), _) => Ok(Format::GeoJson),
        (None, Some(_)) => Ok(Format::Overpass),
        (None, None) => {
            Err(ImportError::UnknownFormat("JSON without `features` (GeoJSON) or `elements` (Overpass)".into()))
        }
    }
}

/// Imports `bytes`, whose format is recognised from their content.
pub fn import(bytes: &[u8], options: &ImportOptions) -> Result<ImportOutcome, ImportError> {
    let format = detect(bytes)?;
    import_as(format, bytes, options)
}

/// Imports `bytes` as `format`.
pub fn import_as(format: Format, bytes: &[u8], options: &ImportOptions) -> Result<ImportOutcome, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::NotUtf8(e.valid_up_to()))?;
    let text = text.trim_start_matches('\u{feff}');
    let mut builder = Builder::new(options);
    builder.report.format = Some(format);
    match format {
        Format::GeoJson => geojson::read(text, &mut builder)?,
        Format::Overpass => overpass::read(text, &mut builder)?,
        Format::Csv => csv::read(text, options.csv.clone().unwrap_or_default(), &mut builder)?,
    }
    Ok(builder.finish())
}

/// A record as a reader found it, before interpretation.
pub(crate) struct Record {
    pub at: Location,
    /// The record's own id (`node/123`, `42`).
    pub own_id: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Tags or columns, verbatim.
    pub tags: BTreeMap<String, String>,
}

/// Turns records into cameras and keeps the report.
pub(crate) struct Builder<'o> {
    options: &'o ImportOptions,
    prefix: String,
    cameras: Vec<Camera>,
    /// Id → index in `cameras`, to refuse a second record with the same id.
    seen: HashMap<String, usize, BuildHasherDefault<Fnv>>,
    pub report: ImportReport,
}

impl<'o> Builder<'o> {
    fn new(options: &'o ImportOptions) -> Builder<'o> {
        let prefix = options.id_prefix.clone().unwrap_or_else(|| stem(&options.source).to_string());
        Builder { options, prefix, cameras: Vec::new(), seen: HashMap::default(), report: ImportReport::default() }
    }

    /// Makes room for about `n` records, so that a large file does not grow (and copy) the
    /// camera list and the id table over and over.
    pub fn reserve(&mut self, n: usize) {
        self.cameras.reserve(n);
        self.seen.reserve(n);
    }

    fn skip(&mut self, at: Location, reason: impl Into<String>) {
        self.report.skipped.push(Skipped { at, reason: reason.into() });
    }

    /// Counts a record that a reader could not even turn into a [`Record`], and why.
    pub fn reject(&mut self, at: Location, reason: impl Into<String>) {
        self.report.read += 1;
        self.skip(at, reason);
    }

    /// Interprets one record: a camera, or a skip entry in the report.
    pub fn record(&mut self, r: Record) {
        self.report.read += 1;
        let (lat, lon) = match (r.lat, r.lon) {
            (Some(lat), Some(lon)) => (lat, lon),
            _ => return self.skip(r.at, "no position"),
        };
        let position = match LatLon::new(lat, lon) {
            Ok(p) => p,
            Err(e) => return self.skip(r.at, format!("invalid position: {e}")),
        };
        let meaning = match osm::interpret(&r.tags) {
            Ok(m) => m,
            Err(reason) => return self.skip(r.at, reason),
        };
        for key in &meaning.unknown_keys {
            *self.report.tags_not_understood.entry(key.clone()).or_default() += 1;
        }
        for kv in &meaning.bad_values {
            *self.report.values_not_understood.entry(kv.clone()).or_default() += 1;
        }
        let id = match &r.own_id {
            Some(own) if is_osm_id(own) => format!("osm:{own}"),
            Some(own) => format!("{}:{own}", self.prefix),
            None => format!("{}:{}", self.prefix, content_hash(position, meaning.label.as_deref())),
        };
        if let Some(&first) = self.seen.get(&id) {
            let first = self.cameras[first].provenance.reference.clone().unwrap_or_default();
            let reason = format!("duplicate id {id} (first at {first})");
            return self.skip(r.at, reason);
        }
        self.seen.insert(id.clone(), self.cameras.len());
        let holder = self.options.holder.clone().or(meaning.operator.map(|name| Holder { name, ..Holder::default() }));
        let kind = if meaning.private { CameraKind::Private } else { self.options.kind };
        self.cameras.push(Camera {
            id: CameraId(id),
            site: meaning.site,
            label: meaning.label,
            kind,
            holder,
            camera_type: meaning.camera_type,
            mount_height_m: meaning.height_m,
            placements: vec![Placement { valid: Validity::ALWAYS, position, views: meaning.views }],
            status: StatusReport::default(),
            retention_days: self.options.retention_days.or(meaning.retention_days),
            tags: r.tags,
            provenance: Provenance { source: self.options.source.clone(), reference: Some(r.at.to_string()) },
        });
        self.report.imported += 1;
    }

    fn finish(self) -> ImportOutcome {
        ImportOutcome { cameras: self.cameras, report: self.report }
    }
}

fn is_osm_id(id: &str) -> bool {
    ["node/", "way/", "relation/"]
        .iter()
        .any(|p| id.strip_prefix(p).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
}

/// `paris.geojson` → `paris`.
fn stem(source: &str) -> &str {
    let name = source.rsplit(['/', '\\']).next().unwrap_or(source);
    let name = name.split('.').next().unwrap_or(name);
    if name.is_empty() {
        "import"
    } else {
        name
    }
}

/// FNV-1a: ids are not attacker-chosen keys worth SipHash's cost (an import is an
/// administrator's file), and hashing a million of them shows in the import's profile.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { FNV_OFFSET } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(FNV_PRIME);
        }
        self.0 = h;
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a of the position (to 1e-7°, about a centimetre) and label: a stable id for
/// records that carry none.
fn content_hash(p: LatLon, label: Option<&str>) -> String {
    let mut h = Fnv::default();
    h.write(format!("{:.7},{:.7},{}", p.lat(), p.lon(), label.unwrap_or("")).as_bytes());
    format!("h{:016x}", h.finish())
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    (0..=max).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0)
}

/// A JSON value as tag text: strings as they are, numbers and booleans printed, `null`
/// absent, arrays and objects as compact JSON.
pub(crate) fn value_to_tag(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
