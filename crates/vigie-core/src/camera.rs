//! The camera model.
//!
//! A [`Camera`] is one recording device with a holder (who receives the requisition), a
//! type, a status and a retention period. Where it stands and where it looks is a list of
//! [`Placement`]s, each valid over a period: a fixed camera has one placement valid for
//! ever; a nomad camera (moved from site to site) has several, and every question about a
//! moment uses the placement valid at that moment. A [`SiteId`] groups the cameras of one
//! installation point (a PTZ and a panoramic on the same pole, say).

use std::collections::BTreeMap;
use std::fmt;

use crate::geo::LatLon;
use crate::Timestamp;

/// Stable identifier of a camera: `osm:node/123`, `geojson:…`, an id from the holder's
/// own file, or a device-generated one for private cameras added in the field.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct CameraId(pub String);

impl fmt::Display for CameraId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Identifier of an installation site grouping several cameras.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SiteId(pub String);

/// Public (a commune, a CSU, the State) or private (shops, banks, car parks).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraKind {
    /// Operated by a public authority.
    #[default]
    Public,
    /// Operated by a private holder.
    Private,
}

/// Mechanical type, which decides what a camera can see.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraType {
    /// Looks one way (or several fixed ways).
    Fixed,
    /// Pan-tilt-zoom: can turn to any direction within its range.
    Panning,
    /// Dome: usually motorised or panoramic, treated as able to look any direction.
    Dome,
    /// Not stated by the source.
    #[default]
    Unknown,
}

/// Whether the camera records, as last verified.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraStatus {
    /// Verified recording.
    Operational,
    /// Verified not recording.
    OutOfOrder,
    /// Nobody knows.
    #[default]
    Unknown,
}

/// A status and when it was verified.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct StatusReport {
    /// The status observed.
    pub status: CameraStatus,
    /// When it was observed; `None` if never verified.
    pub verified_at: Option<Timestamp>,
}

impl StatusReport {
    /// The status that applies to a moment: a verified status holds from its verification
    /// on; before it (or without a verification time) nothing is known, so a camera found
    /// out of order today may well have recorded last week.
    pub fn status_at(&self, at: Timestamp) -> CameraStatus {
        match self.verified_at {
            Some(v) if at >= v => self.status,
            _ => CameraStatus::Unknown,
        }
    }
}

/// Who holds the recordings, hence who receives the requisition.
#[derive(Clone, PartialEq, Eq, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Holder {
    /// Name of the organisation or person ("Ville de Grenoble — CSU", "Tabac du Port").
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Functional e-mail address.
    pub email: Option<String>,
}

/// One viewing direction.
#[derive(Clone, Copy, PartialEq, Debug, serde::Serialize, serde::Deserialize)]
pub struct View {
    /// Centre of the view, degrees clockwise from true north.
    pub azimuth_deg: f64,
    /// Horizontal field of view, degrees (360 for a panoramic view).
    pub fov_deg: f64,
    /// Distance up to which a person or a vehicle is identifiable, metres.
    pub range_m: f64,
}

/// A period `[from, to)`; an open end is unbounded.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Validity {
    /// Start, inclusive; `None` is "always was".
    pub from: Option<Timestamp>,
    /// End, exclusive; `None` is "still is".
    pub to: Option<Timestamp>,
}

impl Validity {
    /// Valid at every moment.
    pub const ALWAYS: Validity = Validity { from: None, to: None };

    /// Whether `at` falls in the period.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.from.is_none_or(|f| at >= f) && self.to.is_none_or(|t| at < t)
    }
}

/// Where a camera stands and looks during a period.
#[derive(Clone, PartialEq, Debug, serde::Serialize, serde::Deserialize)]
pub struct Placement {
    /// When this placement holds.
    pub valid: Validity,
    /// Position of the camera.
    pub position: LatLon,
    /// Its viewing directions; empty when the source gives none.
    pub views: Vec<View>,
}

/// Where a camera's description came from.
#[derive(Clone, PartialEq, Eq, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// The source (file name, "osm", "terrain" for a camera added by an officer…).
    pub source: String,
    /// The record's reference in that source (feature index, OSM id, CSV line).
    pub reference: Option<String>,
}

/// Ranges used when a source gives none, metres: what a typical camera of the type
/// identifies a person at.
pub const DEFAULT_RANGE_FIXED_M: f64 = 50.0;
/// Default range of a panning (PTZ) or dome camera, metres.
pub const DEFAULT_RANGE_PANNING_M: f64 = 100.0;
/// Horizontal field of view assumed for a fixed camera whose source gives a direction
/// but no field of view, degrees.
pub const DEFAULT_FOV_DEG: f64 = 60.0;

/// A camera.
#[derive(Clone, PartialEq, Debug, serde::Serialize, serde::Deserialize)]
pub struct Camera {
    /// Stable identifier.
    pub id: CameraId,
    /// The installation site it belongs to, if grouped.
    pub site: Option<SiteId>,
    /// A human label for the place ("BD SUCHET / RAPHAEL").
    pub label: Option<String>,
    /// Public or private.
    pub kind: CameraKind,
    /// Who to requisition; `None` until someone finds out.
    pub holder: Option<Holder>,
    /// Mechanical type.
    pub camera_type: CameraType,
    /// Height of the mount above ground, metres.
    pub mount_height_m: Option<f64>,
    /// Placements over time; at most one is valid at any moment.
    pub placements: Vec<Placement>,
    /// Last verified status.
    pub status: StatusReport,
    /// How long recordings are kept, days; `None` when unknown (the legal maximum then
    /// applies, see [`crate::retention`]).
    pub retention_days: Option<u32>,
    /// The source's own tags or columns, kept verbatim.
    pub tags: BTreeMap<String, String>,
    /// Where this description came from.
    pub provenance: Provenance,
}

impl Camera {
    /// A camera that never moves, with default everything else.
    pub fn fixed_at(id: impl Into<String>, position: LatLon, views: Vec<View>) -> Camera {
        Camera {
            id: CameraId(id.into()),
            site: None,
            label: None,
            kind: CameraKind::Public,
            holder: None,
            camera_type: if views.is_empty() { CameraType::Unknown } else { CameraType::Fixed },
            mount_height_m: None,
            placements: vec![Placement { valid: Validity::ALWAYS, position, views }],
            status: StatusReport::default(),
            retention_days: None,
            tags: BTreeMap::new(),
            provenance: Provenance::default(),
        }
    }

    /// The placement valid at `at`, if any.
    pub fn placement_at(&self, at: Timestamp) -> Option<&Placement> {
        self.placements.iter().find(|p| p.valid.contains(at))
    }

    /// The placement valid at `at`, else the latest one: where to draw the camera on a
    /// map when the question is not about a moment.
    pub fn current_placement(&self, at: Timestamp) -> &Placement {
        self.placement_at(at).unwrap_or_else(|| {
            self.placements.iter().max_by_key(|p| p.valid.from).expect("a camera has at least one placement")
        })
    }

    /// Whether the camera can turn to any direction (so a point in range is possibly seen
    /// even outside its nominal views).
    pub fn can_pan(&self) -> bool {
        matches!(self.camera_type, CameraType::Panning | CameraType::Dome)
    }

    /// The range used when no view states one.
    pub fn default_range_m(&self) -> f64 {
        if self.can_pan() {
            DEFAULT_RANGE_PANNING_M
        } else {
            DEFAULT_RANGE_FIXED_M
        }
    }

    /// Checks the invariants the index relies on; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.0.trim().is_empty() {
            return Err("id: empty".into());
        }
        if self.placements.is_empty() {
            return Err("placements: a camera needs at least one position".into());
        }
        for (i, p) in self.placements.iter().enumerate() {
            if let (Some(f), Some(t)) = (p.valid.from, p.valid.to) {
                if t <= f {
                    return Err(format!("placements[{i}].valid: ends before it starts"));
                }
            }
            for (j, v) in p.views.iter().enumerate() {
                if !v.azimuth_deg.is_finite() {
                    return Err(format!("placements[{i}].views[{j}].azimuth_deg: not a number"));
                }
                if !(v.fov_deg > 0.0 && v.fov_deg <= 360.0) {
                    return Err(format!("placements[{i}].views[{j}].fov_deg: {} not in (0, 360]", v.fov_deg));
                }
                if !(v.range_m > 0.0 && v.range_m <= 5_000.0) {
                    return Err(format!("placements[{i}].views[{j}].range_m: {} not in (0, 5000]", v.range_m));
                }
            }
            for q in &self.placements[i + 1..] {
                if overlaps(&p.valid, &q.valid) {
                    return Err(format!("placements[{i}]: overlaps another placement in time"));
                }
            }
        }
        Ok(())
    }
}

fn overlaps(a: &Validity, b: &Validity) -> bool {
    let starts_before_end = |s: Option<Timestamp>, e: Option<Timestamp>| match (s, e) {
        (Some(s), Some(e)) => s < e,
        _ => true,
    };
    starts_before_end(a.from, b.to) && starts_before_end(b.from, a.to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(day: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_nomad_camera_answers_with_the_placement_of_the_moment() {
        let a = LatLon::new(45.19, 5.72).unwrap();
        let b = LatLon::new(45.20, 5.73).unwrap();
        let mut cam = Camera::fixed_at("nomad-1", a, vec![]);
        cam.placements = vec![
            Placement { valid: Validity { from: Some(t(1)), to: Some(t(10)) }, position: a, views: vec![] },
            Placement { valid: Validity { from: Some(t(10)), to: None }, position: b, views: vec![] },
        ];
        cam.validate().unwrap();
        assert_eq!(cam.placement_at(t(5)).unwrap().position, a);
        assert_eq!(cam.placement_at(t(10)).unwrap().position, b, "the end is exclusive");
        assert!(cam.placement_at(t(1) - chrono::Duration::seconds(1)).is_none());
        assert_eq!(cam.current_placement(t(1) - chrono::Duration::days(3)).position, b);

        cam.placements[1].valid.from = Some(t(9));
        assert!(cam.validate().unwrap_err().contains("overlaps"));
    }

    #[test]
    fn status_holds_from_its_verification_on() {
        let report = StatusReport { status: CameraStatus::OutOfOrder, verified_at: Some(t(10)) };
        assert_eq!(report.status_at(t(11)), CameraStatus::OutOfOrder);
        assert_eq!(report.status_at(t(9)), CameraStatus::Unknown);
    }
}
