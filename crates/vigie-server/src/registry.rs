//! Registry use cases shared by the HTTP API and the administration CLI: import a file,
//! cameras near a point, cameras that could have seen a point. Both shells call these and
//! only format the result.

use std::path::Path;

use vigie_core::import::{self, ImportOptions, ImportReport};
use vigie_core::retention::{self, Urgency};
use vigie_core::{CameraIndex, LatLon, Timestamp, Visibility};

use crate::db::{Db, DbError, ImportSummary};

/// Builds the index over the live registry; returns it with its version.
pub fn load_index(db: &Db) -> Result<(u64, CameraIndex), DbError> {
    let (version, rows) = db.rows_since(None)?;
    let cameras = rows.into_iter().filter_map(|r| r.camera).collect();
    let index = CameraIndex::new(cameras).map_err(|e| DbError::Corrupt(e.to_string()))?;
    Ok((version, index))
}

/// Imports a camera file into the registry as one new version, with its audit entry.
pub fn import_file(
    db: &Db,
    path: &Path,
    options: &ImportOptions,
    actor: &crate::audit::Actor,
) -> anyhow::Result<(ImportReport, ImportSummary)> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let outcome = import::import(&bytes, options).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let report = outcome.report;
    let source = options.source.clone();
    let summary = db.import(&outcome.cameras, &source, |s| {
        actor.entry(
            "registry.import",
            serde_json::json!({
                "file": source, "read": report.read, "imported": report.imported, "skipped": report.skipped.len(),
                "inserted": s.inserted, "updated": s.updated, "unchanged": s.unchanged, "version": s.version,
            }),
        )
    })?;
    Ok((report, summary))
}

/// A camera in an answer, as people and the wire see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CameraHit {
    /// Id.
    pub id: String,
    /// Place label.
    pub label: Option<String>,
    /// Holder to requisition.
    pub holder: Option<String>,
    /// Position.
    pub lat: f64,
    /// Position.
    pub lon: f64,
    /// Distance from the point asked about, metres.
    pub distance_m: f64,
    /// Bearing from the point to the camera, degrees.
    pub bearing_deg: f64,
    /// For "seeing": in view or possibly.
    pub visibility: Option<Visibility>,
    /// When footage of the moment asked about is erased.
    pub erased_at: Timestamp,
    /// Hours left before erasure, from now (negative: lost).
    pub remaining_hours: f64,
    /// Urgency of a requisition.
    pub urgency: Urgency,
    /// Whether the retention period is the holder's own (else the legal maximum).
    pub retention_known: bool,
}

fn hit(
    c: &vigie_core::Camera,
    p: LatLon,
    pos: LatLon,
    distance_m: f64,
    visibility: Option<Visibility>,
    at: Timestamp,
    now: Timestamp,
) -> CameraHit {
    let r = retention::retention(c, at, now);
    CameraHit {
        id: c.id.0.clone(),
        label: c.label.clone(),
        holder: c.holder.as_ref().map(|h| h.name.clone()),
        lat: pos.lat(),
        lon: pos.lon(),
        distance_m: (distance_m * 10.0).round() / 10.0,
        bearing_deg: vigie_core::geo::bearing_deg(p, pos).round(),
        visibility,
        erased_at: r.erased_at,
        remaining_hours: (r.remaining.num_minutes() as f64 / 60.0 * 10.0).round() / 10.0,
        urgency: r.urgency,
        retention_known: r.known,
    }
}

/// Cameras within `radius_m` of `p` (their placement at `at`), nearest first, at most `limit`.
pub fn near(
    index: &CameraIndex,
    p: LatLon,
    radius_m: f64,
    limit: usize,
    at: Timestamp,
    now: Timestamp,
) -> Vec<CameraHit> {
    index
        .within(p, radius_m, at)
        .into_iter()
        .take(limit)
        .map(|n| hit(n.camera, p, n.position, n.distance_m, None, at, now))
        .collect()
}

/// Cameras that could have seen `p` at `at`, nearest first, with the erasure time of
/// their footage of `at`.
pub fn seeing(index: &CameraIndex, p: LatLon, at: Timestamp, now: Timestamp) -> Vec<CameraHit> {
    index
        .seeing(p, at)
        .into_iter()
        .map(|s| hit(s.camera, p, s.position, s.distance_m, Some(s.visibility), at, now))
        .collect()
}

/// Options of an import from the CLI: the file name as provenance, holder and retention
/// for the whole file.
pub fn import_options(path: &Path, holder: Option<vigie_core::Holder>, retention_days: Option<u32>) -> ImportOptions {
    ImportOptions {
        source: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        holder,
        retention_days,
        ..ImportOptions::default()
    }
}
