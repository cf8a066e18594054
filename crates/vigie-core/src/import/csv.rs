//! CSV files with a header line and a declared column map.
//!
//! The separator is recognised from the header (`;` is common in French exports, where
//! decimals may then use a comma: `48,8566`). Columns the map does not name are kept as
//! tags and reported as not understood.

use std::collections::BTreeMap;

use super::{Builder, ImportError, Location, Record};

/// Which column holds what. Only `lat` and `lon` are required; the others are read when
/// named. Names are matched exactly against the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvColumns {
    /// Latitude, decimal degrees.
    pub lat: String,
    /// Longitude, decimal degrees.
    pub lon: String,
    /// The record's own id.
    pub id: Option<String>,
    /// A label for the place.
    pub label: Option<String>,
    /// Direction: degrees, a compass point or a range (as in OSM).
    pub direction: Option<String>,
    /// Camera type: fixed, panning, dome.
    pub camera_type: Option<String>,
    /// Holder (operator) name.
    pub holder: Option<String>,
    /// Retention, days.
    pub retention_days: Option<String>,
    /// Mount height, metres.
    pub height: Option<String>,
    /// Installation site id.
    pub site: Option<String>,
}

impl Default for CsvColumns {
    fn default() -> Self {
        CsvColumns {
            lat: "lat".into(),
            lon: "lon".into(),
            id: Some("id".into()),
            label: Some("name".into()),
            direction: Some("direction".into()),
            camera_type: Some("camera_type".into()),
            holder: Some("operator".into()),
            retention_days: Some("retention_days".into()),
            height: Some("height".into()),
            site: Some("site".into()),
        }
    }
}

impl CsvColumns {
    /// The OSM-style tag each mapped column feeds.
    fn tag_of(&self, column: &str) -> Option<&'static str> {
        let named = |c: &Option<String>| c.as_deref() == Some(column);
        if named(&self.label) {
            Some("name")
        } else if named(&self.direction) {
            Some("camera:direction")
        } else if named(&self.camera_type) {
            Some("camera:type")
        } else if named(&self.holder) {
            Some("operator")
        } else if named(&self.retention_days) {
            Some("retention_days")
        } else if named(&self.height) {
            Some("height")
        } else if named(&self.site) {
            Some("site")
        } else {
            None
        }
    }
}

pub(super) fn read(text: &str, columns: CsvColumns, builder: &mut Builder<'_>) -> Result<(), ImportError> {
    let first_line = text.lines().next().unwrap_or("");
    let delimiter =
        [b';', b'\t', b','].into_iter().max_by_key(|d| first_line.bytes().filter(|b| b == d).count()).unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(false).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| csv_error(&e, 1))?.clone();
    let find = |name: &str| header.iter().position(|h| h.trim() == name);
    let missing = |name: &str| ImportError::Csv {
        line: 1,
        message: format!(
            "the header has no column {name:?} (columns: {})",
            header.iter().collect::<Vec<_>>().join(", ")
        ),
    };
    let lat_col = find(&columns.lat).ok_or_else(|| missing(&columns.lat))?;
    let lon_col = find(&columns.lon).ok_or_else(|| missing(&columns.lon))?;
    let id_col = columns.id.as_deref().and_then(find);
    // Per column: the tag it feeds, or its own name (kept, reported as not understood).
    let roles: Vec<Option<&'static str>> = header.iter().map(|h| columns.tag_of(h.trim())).collect();
    let decimal_comma = delimiter != b',';
    for row in reader.records() {
        let row = row.map_err(|e| csv_error(&e, 0))?;
        let line = row.position().map(|p| p.line()).unwrap_or(0);
        let number = |i: usize| -> Option<f64> {
            let s = row.get(i)?.trim();
            let s = if decimal_comma { s.replace(',', ".") } else { s.to_string() };
            s.parse().ok()
        };
        let mut tags = BTreeMap::new();
        for (i, value) in row.iter().enumerate() {
            if i == lat_col || i == lon_col || Some(i) == id_col || value.trim().is_empty() {
                continue;
            }
            let key = roles[i].map(str::to_string).unwrap_or_else(|| header[i].trim().to_string());
            tags.insert(key, value.trim().to_string());
        }
        let own_id = id_col.and_then(|i| row.get(i)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let (lat, lon) = (number(lat_col), number(lon_col));
        if lat.is_none() || lon.is_none() {
            let raw = format!("{:?}, {:?}", row.get(lat_col).unwrap_or(""), row.get(lon_col).unwrap_or(""));
            builder.reject(Location::Line(line), format!("latitude/longitude are not numbers: {raw}"));
            continue;
        }
        builder.record(Record { at: Location::Line(line), own_id, lat, lon, tags });
    }
    Ok(())
}

fn csv_error(e: &csv::Error, default_line: u64) -> ImportError {
    let line = e.position().map(|p| p.line()).unwrap_or(default_line);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
        _ => e.to_string(),
    };
    ImportError::Csv { line, message }
}
