//! Reading OpenStreetMap surveillance tags (and the same keys in other files).
//!
//! Tags in the wild are messy: `direction` instead of `camera:direction`; degrees, compass
//! points (`NE`) or ranges (`90-270`), several separated by `;`; `camera:angle` is the
//! tilt, not the field of view. What is understood shapes the camera; the rest is counted
//! in the report and kept verbatim.

use std::collections::BTreeMap;

use crate::camera::{CameraType, SiteId, View, DEFAULT_FOV_DEG, DEFAULT_RANGE_FIXED_M, DEFAULT_RANGE_PANNING_M};
use crate::geo::normalize_deg;

/// What the tags of one record say.
#[derive(Debug, Default)]
pub(crate) struct Meaning {
    pub camera_type: CameraType,
    pub views: Vec<View>,
    pub height_m: Option<f64>,
    pub label: Option<String>,
    pub operator: Option<String>,
    pub private: bool,
    pub site: Option<SiteId>,
    pub retention_days: Option<u32>,
    /// Keys nobody here knows.
    pub unknown_keys: Vec<String>,
    /// `key=value` of known keys whose value could not be read.
    pub bad_values: Vec<String>,
}

/// Keys understood as metadata: kept, used for the label where relevant, never reported.
fn is_meta_key(key: &str) -> bool {
    matches!(
        key,
        "man_made"
            | "surveillance"
            | "surveillance:zone"
            | "camera:mount"
            | "camera:angle"
            | "name"
            | "NOM"
            | "nom"
            | "label"
            | "description"
            | "note"
            | "source"
            | "check_date"
            | "survey:date"
            | "start_date"
            | "fixme"
            | "FIXME"
            | "ref"
            | "id"
            | "@id"
            | "@version"
            | "@timestamp"
            | "@user"
            | "@uid"
            | "@changeset"
            | "@type"
            | "operator:type"
            | "operator:wikidata"
            | "lit"
            | "level"
            | "indoor"
            | "contact:phone"
            | "contact:email"
            | "phone"
            | "email"
    )
}

/// Reads the tags of one record. `Err` is a reason to skip it: it is not a camera.
pub(crate) fn interpret(tags: &BTreeMap<String, String>) -> Result<Meaning, String> {
    if let Some(m) = tags.get("man_made") {
        if m != "surveillance" {
            return Err(format!("not a surveillance device (man_made={m})"));
        }
    }
    if let Some(t) = tags.get("surveillance:type") {
        if !matches!(t.as_str(), "camera" | "ALPR" | "alpr") {
            return Err(format!("not a camera (surveillance:type={t})"));
        }
    }
    let mut m = Meaning::default();
    let mut directions: Option<&str> = None;
    for (key, value) in tags {
        let value = value.trim();
        match key.as_str() {
            "surveillance:type" => {}
            "camera:direction" => directions = Some(value),
            // `direction` only when `camera:direction` is absent (BTreeMap order puts
            // `camera:direction` first).
            "direction" => {
                directions.get_or_insert(value);
            }
            "camera:type" => {
                m.camera_type = match value.to_ascii_lowercase().as_str() {
                    "fixed" | "static" => CameraType::Fixed,
                    "panning" | "ptz" => CameraType::Panning,
                    "dome" => CameraType::Dome,
                    _ => {
                        m.bad_values.push(format!("camera:type={value}"));
                        CameraType::Unknown
                    }
                }
            }
            "height" | "camera:height" => match parse_metres(value) {
                Some(h) => m.height_m = Some(h),
                None => m.bad_values.push(format!("{key}={value}")),
            },
            "operator" => m.operator = Some(value.to_string()).filter(|s| !s.is_empty()),
            "site" => m.site = Some(SiteId(value.to_string())).filter(|s| !s.0.is_empty()),
            "retention" | "retention_days" => match value.trim_end_matches(['d', 'j', ' ']).parse::<u32>() {
                Ok(d) => m.retention_days = Some(d),
                Err(_) => m.bad_values.push(format!("{key}={value}")),
            },
            k if is_meta_key(k) => {}
            _ => m.unknown_keys.push(key.clone()),
        }
    }
    if tags.get("operator:type").is_some_and(|t| t == "private") {
        m.private = true;
    }
    m.label = ["name", "NOM", "nom", "label", "description"]
        .iter()
        .find_map(|k| tags.get(*k))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(d) = directions {
        let range = if matches!(m.camera_type, CameraType::Panning | CameraType::Dome) {
            DEFAULT_RANGE_PANNING_M
        } else {
            DEFAULT_RANGE_FIXED_M
        };
        match parse_direction(d) {
            Ok(dirs) => {
                m.views = dirs
                    .into_iter()
                    .map(|(azimuth_deg, fov_deg)| View { azimuth_deg, fov_deg, range_m: range })
                    .collect();
                if m.camera_type == CameraType::Unknown {
                    // A direction without a type: OSM's default reading is a fixed camera.
                    m.camera_type = CameraType::Fixed;
                }
            }
            Err(_) => m.bad_values.push(format!("direction={d}")),
        }
    }
    Ok(m)
}

/// Why a direction value cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("direction {0:?} is neither degrees, a compass point nor a range")]
pub struct DirectionError(pub String);

/// Reads a direction value: `240`, `NE`, `90-270` (clockwise from 90 to 270), or several
/// separated by `;`. Returns `(azimuth, field of view)` pairs in degrees; a single
/// direction gets the default field of view, a range its own span.
pub fn parse_direction(value: &str) -> Result<Vec<(f64, f64)>, DirectionError> {
    let err = || DirectionError(value.to_string());
    let mut out = Vec::new();
    for part in value.split(';').map(str::trim) {
        if part.is_empty() {
            continue;
        }
        if let Some(az) = one_direction(part) {
            out.push((az, DEFAULT_FOV_DEG));
            continue;
        }
        // A range `a-b`; the first `-` after position 0 separates (a leading `-` is a sign).
        let split = part[1..].find('-').map(|i| i + 1).ok_or_else(err)?;
        let (a, b) = (part[..split].trim(), part[split + 1..].trim());
        let (a_raw, b_raw) = (one_direction_raw(a).ok_or_else(err)?, one_direction_raw(b).ok_or_else(err)?);
        let mut span = b_raw - a_raw;
        if span <= 0.0 {
            span += 360.0;
        }
        if !(span > 0.0 && span <= 360.0) {
            return Err(err());
        }
        out.push((normalize_deg(a_raw + span / 2.0), span));
    }
    if out.is_empty() {
        return Err(err());
    }
    Ok(out)
}

fn one_direction(s: &str) -> Option<f64> {
    one_direction_raw(s).map(normalize_deg)
}

/// Degrees (within ±360, an optional `°`) or a 16-point compass name, not normalised (so
/// that `0-360` keeps its span).
fn one_direction_raw(s: &str) -> Option<f64> {
    let s = s.trim().trim_end_matches('°').trim();
    if let Ok(d) = s.parse::<f64>() {
        return (d.is_finite() && (-360.0..=360.0).contains(&d)).then_some(d);
    }
    const POINTS: [&str; 16] =
        ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"];
    let upper = s.to_ascii_uppercase();
    // French compass: O for ouest.
    let upper = if upper.contains('O') { upper.replace('O', "W") } else { upper };
    POINTS.iter().position(|p| *p == upper).map(|i| i as f64 * 22.5)
}

/// `4`, `4.5`, `4 m`, `4,5` → metres (0 < h ≤ 300).
fn parse_metres(s: &str) -> Option<f64> {
    let s = s.trim().trim_end_matches('m').trim().replace(',', ".");
    s.parse::<f64>().ok().filter(|h| *h > 0.0 && *h <= 300.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn directions_in_every_dialect() {
        let cases: &[(&str, &[(f64, f64)])] = &[
            ("240", &[(240.0, 60.0)]),
            ("240°", &[(240.0, 60.0)]),
            ("NE", &[(45.0, 60.0)]),
            ("nno", &[(337.5, 60.0)]),
            ("90-270", &[(180.0, 180.0)]),
            ("270-90", &[(0.0, 180.0)]),
            ("0-360", &[(180.0, 360.0)]),
            ("-45", &[(315.0, 60.0)]),
            ("90;270", &[(90.0, 60.0), (270.0, 60.0)]),
            ("N-E", &[(45.0, 90.0)]),
            ("360", &[(0.0, 60.0)]),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_direction(input).unwrap(), expected.to_vec(), "{input}");
        }
        for bad in ["", "up", "400", "90-", "NE-up", ";"] {
            assert!(parse_direction(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn camera_direction_wins_over_direction() {
        let m =
            interpret(&tags(&[("camera:direction", "90"), ("direction", "180"), ("camera:type", "fixed")])).unwrap();
        assert_eq!(m.views.len(), 1);
        assert_eq!(m.views[0].azimuth_deg, 90.0);
    }

    #[test]
    fn unknown_and_unreadable_tags_are_reported() {
        let m = interpret(&tags(&[
            ("man_made", "surveillance"),
            ("camera:type", "hemispheric"),
            ("direction", "skywards"),
            ("height", "4,5 m"),
            ("colour", "grey"),
        ]))
        .unwrap();
        assert_eq!(m.unknown_keys, vec!["colour".to_string()]);
        assert_eq!(m.bad_values, vec!["camera:type=hemispheric".to_string(), "direction=skywards".to_string()]);
        assert_eq!(m.height_m, Some(4.5));
        assert!(m.views.is_empty());
    }

    #[test]
    fn non_cameras_are_refused_with_the_reason() {
        let e = interpret(&tags(&[("man_made", "surveillance"), ("surveillance:type", "guard")])).unwrap_err();
        assert_eq!(e, "not a camera (surveillance:type=guard)");
        assert!(interpret(&tags(&[("man_made", "tower")])).is_err());
    }
}
