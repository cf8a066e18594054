//! The registry sync protocol, shared by the platform and the app (versioned), and the
//! description of the offline basemap areas they exchange ([`AreaInfo`]).
//!
//! The platform's registry has a version that grows by one with each change set (an
//! import, a moderation decision). Every camera row remembers the version that last
//! touched it, deleted ones included (tombstones). A device holds a [`Replica`] of one
//! [`Area`] at some version and asks for what changed since; the answer is built by
//! [`build_update`] from the rows changed since that version, and applied by
//! [`Replica::apply`]. A device that missed any number of versions gets every change
//! since its own version in one delta, so it converges to the platform's exact state.

use std::collections::BTreeMap;

use crate::camera::{Camera, CameraId};
use crate::geo::LatLon;

/// The protocol version spoken by this build.
pub const PROTOCOL_VERSION: u32 = 1;

/// The part of the registry a device keeps.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Area {
    /// Southern edge, degrees.
    pub south: f64,
    /// Western edge, degrees.
    pub west: f64,
    /// Northern edge, degrees.
    pub north: f64,
    /// Eastern edge, degrees.
    pub east: f64,
}

impl Area {
    /// An area, checked: edges in range, south ≤ north, west ≤ east (no antimeridian
    /// crossing: none of Vigie's territories needs one).
    pub fn new(south: f64, west: f64, north: f64, east: f64) -> Result<Area, String> {
        let ok = |v: f64, lim: f64| v.is_finite() && v.abs() <= lim;
        if !(ok(south, 90.0) && ok(north, 90.0) && ok(west, 180.0) && ok(east, 180.0)) {
            return Err("area: an edge is out of range".into());
        }
        if south > north || west > east {
            return Err("area: south must be ≤ north and west ≤ east".into());
        }
        Ok(Area { south, west, north, east })
    }

    /// Whether `p` is inside (edges included).
    pub fn contains(&self, p: LatLon) -> bool {
        (self.south..=self.north).contains(&p.lat()) && (self.west..=self.east).contains(&p.lon())
    }

    /// Whether any placement of the camera is inside.
    pub fn covers(&self, camera: &Camera) -> bool {
        camera.placements.iter().any(|p| self.contains(p.position))
    }
}

/// A camera row as the platform stores it: its last version, and the camera unless it
/// was deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionedRow {
    /// The camera's id.
    pub id: CameraId,
    /// The registry version that last touched it.
    pub version: u64,
    /// The camera; `None` once deleted.
    pub camera: Option<Camera>,
}

/// What the platform sends a device.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RegistryUpdate {
    /// Everything in the area, at `version`.
    Full {
        /// Protocol version.
        protocol: u32,
        /// The registry version.
        version: u64,
        /// The area.
        area: Area,
        /// Every camera in it.
        cameras: Vec<Camera>,
    },
    /// What changed in the area between `from` (exclusive) and `to` (inclusive).
    Delta {
        /// Protocol version.
        protocol: u32,
        /// The version the device has.
        from: u64,
        /// The version it will have.
        to: u64,
        /// The area.
        area: Area,
        /// Cameras added or changed in the area.
        upserts: Vec<Camera>,
        /// Cameras deleted, or moved out of the area.
        deletions: Vec<CameraId>,
    },
}

/// Builds the answer for a device at `since` (`None`: it has nothing) from the rows
/// changed after `since` (all rows when `None`), at registry version `current`.
pub fn build_update(
    rows: impl IntoIterator<Item = VersionedRow>,
    since: Option<u64>,
    current: u64,
    area: Area,
) -> RegistryUpdate {
    match since {
        None => {
            let cameras = rows.into_iter().filter_map(|r| r.camera).filter(|c| area.covers(c)).collect();
            RegistryUpdate::Full { protocol: PROTOCOL_VERSION, version: current, area, cameras }
        }
        Some(from) => {
            let (mut upserts, mut deletions) = (Vec::new(), Vec::new());
            for r in rows.into_iter().filter(|r| r.version > from) {
                match r.camera {
                    Some(c) if area.covers(&c) => upserts.push(c),
                    _ => deletions.push(r.id),
                }
            }
            RegistryUpdate::Delta { protocol: PROTOCOL_VERSION, from, to: current, area, upserts, deletions }
        }
    }
}

/// Why an update cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// A protocol this build does not speak.
    #[error("protocol {0} is not supported (this build speaks {PROTOCOL_VERSION})")]
    Protocol(u32),
    /// A delta that does not start where the replica is.
    #[error("the update starts at version {from} but this replica is at {have:?}")]
    Gap {
        /// Where the delta starts.
        from: u64,
        /// Where the replica is.
        have: Option<u64>,
    },
    /// An update for another area.
    #[error("the update is for another area")]
    OtherArea,
}

/// A device's copy of one area of the registry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Replica {
    /// The version held; `None` before the first package.
    pub version: Option<u64>,
    /// The area held.
    pub area: Option<Area>,
    /// The cameras, by id.
    pub cameras: BTreeMap<CameraId, Camera>,
}

impl RegistryUpdate {
    /// Whether this update may be applied to a copy at `version` of `area` (`None`: the
    /// device has nothing yet): the protocol is spoken, and a delta starts exactly where the
    /// copy is, for the same area. Every holder of a copy (the in-memory [`Replica`], the
    /// device store) checks this before applying anything.
    pub fn check_applies_to(&self, version: Option<u64>, area: Option<Area>) -> Result<(), SyncError> {
        match self {
            RegistryUpdate::Full { protocol, .. } => check_protocol(*protocol),
            RegistryUpdate::Delta { protocol, from, area: theirs, .. } => {
                check_protocol(*protocol)?;
                if version != Some(*from) {
                    return Err(SyncError::Gap { from: *from, have: version });
                }
                if area != Some(*theirs) {
                    return Err(SyncError::OtherArea);
                }
                Ok(())
            }
        }
    }
}

impl Replica {
    /// Applies an update; nothing changes if it is refused.
    pub fn apply(&mut self, update: RegistryUpdate) -> Result<(), SyncError> {
        update.check_applies_to(self.version, self.area)?;
        match update {
            RegistryUpdate::Full { version, area, cameras, .. } => {
                self.cameras = cameras.into_iter().map(|c| (c.id.clone(), c)).collect();
                self.version = Some(version);
                self.area = Some(area);
            }
            RegistryUpdate::Delta { to, upserts, deletions, .. } => {
                for id in deletions {
                    self.cameras.remove(&id);
                }
                for c in upserts {
                    self.cameras.insert(c.id.clone(), c);
                }
                self.version = Some(to);
            }
        }
        Ok(())
    }
}

fn check_protocol(p: u32) -> Result<(), SyncError> {
    if p == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(SyncError::Protocol(p))
    }
}

/// An offline basemap area the platform offers: one PMTiles v3 file of vector tiles that
/// the app downloads (resumably) and shows with no network. `GET /v1/areas` lists them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AreaInfo {
    /// The file's stem on the platform, `[a-z0-9-]+` (see [`AreaInfo::valid_id`]).
    pub id: String,
    /// For people: the PMTiles metadata's `name`, else the id.
    pub name: String,
    /// `[west, south, east, north]`, degrees.
    pub bounds: [f64; 4],
    /// `[lon, lat]`, degrees.
    pub center: [f64; 2],
    /// The lowest zoom level with tiles.
    pub min_zoom: u8,
    /// The highest zoom level with tiles.
    pub max_zoom: u8,
    /// The file's size.
    pub bytes: u64,
    /// SHA-256 of the whole file, lowercase hex; also the download's `ETag`.
    pub sha256: String,
    /// When the tiles were built, when the file says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub built_at: Option<crate::Timestamp>,
}

impl AreaInfo {
    /// Whether `id` may name an area: 1 to 64 of `a-z`, `0-9`, `-`. Ids become file names
    /// on both sides and parts of URLs, so nothing else gets through.
    pub fn valid_id(id: &str) -> bool {
        !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::LocalFrame;
    use proptest::prelude::*;

    /// The platform's registry as the sync sees it: rows with versions and tombstones.
    #[derive(Default)]
    struct Platform {
        version: u64,
        rows: BTreeMap<CameraId, VersionedRow>,
    }

    impl Platform {
        fn change(&mut self, ops: &[(u16, Option<(f64, f64)>)]) {
            self.version += 1;
            let frame = LocalFrame::new(LatLon::new(43.7384, 7.4246).unwrap());
            for (id, op) in ops {
                let id = CameraId(format!("c{id}"));
                let camera = op.map(|(e, n)| Camera::fixed_at(id.0.clone(), frame.unproject(e, n).unwrap(), vec![]));
                self.rows.insert(id.clone(), VersionedRow { id, version: self.version, camera });
            }
        }

        fn answer(&self, since: Option<u64>, area: Area) -> RegistryUpdate {
            build_update(self.rows.values().cloned(), since, self.version, area)
        }
    }

    fn area() -> Area {
        let f = LocalFrame::new(LatLon::new(43.7384, 7.4246).unwrap());
        let (sw, ne) = (f.unproject(-1000.0, -1000.0).unwrap(), f.unproject(1000.0, 1000.0).unwrap());
        Area::new(sw.lat(), sw.lon(), ne.lat(), ne.lon()).unwrap()
    }

    fn op() -> impl Strategy<Value = (u16, Option<(f64, f64)>)> {
        (0u16..60, proptest::option::weighted(0.8, (-1500.0f64..1500.0, -1500.0f64..1500.0)))
    }

    proptest! {
        /// However many versions a device misses, one delta brings it to exactly the
        /// platform's state for its area (the brute-force full package).
        #[test]
        fn a_device_offline_for_many_versions_converges(
            history in proptest::collection::vec(proptest::collection::vec(op(), 1..8), 1..120),
            sync_points in proptest::collection::btree_set(0usize..120, 0..6),
        ) {
            let mut platform = Platform::default();
            let mut device = Replica::default();
            device.apply(platform.answer(None, area())).unwrap();
            for (i, change) in history.iter().enumerate() {
                platform.change(change);
                if sync_points.contains(&i) {
                    device.apply(platform.answer(device.version, area())).unwrap();
                }
            }
            device.apply(platform.answer(device.version, area())).unwrap();
            let mut fresh = Replica::default();
            fresh.apply(platform.answer(None, area())).unwrap();
            prop_assert_eq!(&device, &fresh);
            prop_assert_eq!(device.version, Some(platform.version));
        }
    }

    #[test]
    fn a_delta_with_a_gap_is_refused_untouched() {
        let mut platform = Platform::default();
        platform.change(&[(1, Some((0.0, 0.0)))]);
        let mut device = Replica::default();
        device.apply(platform.answer(None, area())).unwrap();
        platform.change(&[(2, Some((10.0, 0.0)))]);
        platform.change(&[(3, Some((20.0, 0.0)))]);
        let stale = platform.answer(Some(2), area());
        let before = device.clone();
        assert_eq!(device.apply(stale), Err(SyncError::Gap { from: 2, have: Some(1) }));
        assert_eq!(device, before);
    }

    #[test]
    fn area_ids_are_plain_file_names_and_the_wire_form_is_pinned() {
        for ok in ["monaco", "paris-75", "a"] {
            assert!(AreaInfo::valid_id(ok), "{ok}");
        }
        for bad in ["", "Monaco", "../etc", "a.b", "a/b", "a_b", "é", &"a".repeat(65)] {
            assert!(!AreaInfo::valid_id(bad), "{bad}");
        }
        let a = AreaInfo {
            id: "monaco".into(),
            name: "Monaco".into(),
            bounds: [7.4, 43.72, 7.44, 43.76],
            center: [7.42, 43.74],
            min_zoom: 12,
            max_zoom: 16,
            bytes: 560_000,
            sha256: "ab".repeat(32),
            built_at: None,
        };
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "monaco", "name": "Monaco", "bounds": [7.4, 43.72, 7.44, 43.76], "center": [7.42, 43.74],
                "min_zoom": 12, "max_zoom": 16, "bytes": 560_000, "sha256": "ab".repeat(32),
            })
        );
        assert_eq!(serde_json::from_value::<AreaInfo>(json).unwrap(), a);
    }
}
