//! Overpass API JSON: `{"elements": [{"type": "node", "id": 1, "lat": …, "lon": …, "tags": {…}}]}`.
//! Ways and relations are read when the query asked for their `center` (`out center;`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Builder, ImportError, Location, Record};

#[derive(Deserialize)]
struct Answer {
    elements: Vec<Element>,
}

#[derive(Deserialize)]
struct Element {
    #[serde(rename = "type")]
    kind: String,
    id: Option<u64>,
    lat: Option<f64>,
    lon: Option<f64>,
    center: Option<Center>,
    #[serde(default)]
    tags: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct Center {
    lat: f64,
    lon: f64,
}

pub(super) fn read(text: &str, builder: &mut Builder<'_>) -> Result<(), ImportError> {
    let answer: Answer = serde_json::from_str(text).map_err(|e| ImportError::Json {
        line: e.line(),
        column: e.column(),
        feature: None,
        message: e.to_string().rsplit_once(" at line ").map(|(m, _)| m.to_string()).unwrap_or_else(|| e.to_string()),
    })?;
    for (index, el) in answer.elements.into_iter().enumerate() {
        let own_id = el.id.map(|id| format!("{}/{id}", el.kind));
        let at = Location::Element { index, id: own_id.clone() };
        let (lat, lon) = match (el.lat, el.lon, el.center) {
            (Some(lat), Some(lon), _) => (Some(lat), Some(lon)),
            (_, _, Some(c)) => (Some(c.lat), Some(c.lon)),
            _ => (None, None),
        };
        let tags = el.tags.iter().filter_map(|(k, v)| super::value_to_tag(v).map(|v| (k.clone(), v))).collect();
        builder.record(Record { at, own_id, lat, lon, tags });
    }
    Ok(())
}
