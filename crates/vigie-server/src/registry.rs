//! Registry use cases shared by the HTTP API and the administration CLI: import a file,
//! cameras near a point, cameras that could have seen a point. Both shells call these and
//! only format the result.

use std::path::Path;

use vigie_core::around::{around, AroundEntry, AroundQuery};
use vigie_core::import::{self, ImportOptions, ImportReport};
use vigie_core::retention::Urgency;
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

impl From<AroundEntry<'_>> for CameraHit {
    fn from(r: AroundEntry<'_>) -> CameraHit {
        CameraHit {
            id: r.camera.id.0.clone(),
            label: r.camera.label.clone(),
            holder: r.camera.holder.as_ref().map(|h| h.name.clone()),
            lat: r.position.lat(),
            lon: r.position.lon(),
            distance_m: (r.distance_m * 10.0).round() / 10.0,
            bearing_deg: r.bearing_deg.round(),
            visibility: r.visibility,
            erased_at: r.retention.erased_at,
            remaining_hours: (r.retention.remaining.num_minutes() as f64 / 60.0 * 10.0).round() / 10.0,
            urgency: r.retention.urgency,
            retention_known: r.retention.known,
        }
    }
}

/// Cameras within `radius_m` of `p` (their placement at `at`), nearest first, at most
/// `limit`, each saying whether it could have seen `p` then.
pub fn near(
    index: &CameraIndex,
    p: LatLon,
    radius_m: f64,
    limit: usize,
    at: Timestamp,
    now: Timestamp,
) -> Vec<CameraHit> {
    let q = AroundQuery { point: p, at, now, radius_m, limit, only_seeing: false };
    around(index, &q).into_iter().map(CameraHit::from).collect()
}

/// Cameras that could have seen `p` at `at`, nearest first, with the erasure time of
/// their footage of `at`.
pub fn seeing(index: &CameraIndex, p: LatLon, at: Timestamp, now: Timestamp) -> Vec<CameraHit> {
    let q = AroundQuery { point: p, at, now, radius_m: index.max_reach_m(), limit: usize::MAX, only_seeing: true };
    around(index, &q).into_iter().map(CameraHit::from).collect()
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
