//! Private cameras submitted by officers: recognising one already known, and merging the
//! two instead of copying it.
//!
//! Two descriptions are of the same camera when they stand within [`SAME_PLACE_M`] of
//! each other and look the same way: their first views' azimuths differ by at most
//! [`SAME_DIRECTION_DEG`], or either has no recorded direction (a direction is what an
//! officer's note adds most often, not a reason to have two cameras).

use std::collections::BTreeMap;

use crate::camera::Camera;
use crate::geo::angle_between_deg;
use crate::index::CameraIndex;
use crate::Timestamp;

/// Within this distance, metres, two cameras may be the same.
pub const SAME_PLACE_M: f64 = 5.0;
/// Within this angle, degrees, two views look the same way.
pub const SAME_DIRECTION_DEG: f64 = 30.0;

/// The registry camera that `candidate` duplicates, if any: the nearest one at the same
/// place looking the same way (placements at `at`).
pub fn find_duplicate<'a>(index: &'a CameraIndex, candidate: &Camera, at: Timestamp) -> Option<&'a Camera> {
    let placement = candidate.placement_at(at).unwrap_or_else(|| candidate.current_placement(at));
    let direction = placement.views.first().map(|v| v.azimuth_deg);
    index
        .within(placement.position, SAME_PLACE_M, at)
        .into_iter()
        .filter(|n| n.camera.id != candidate.id)
        .find(|n| {
            let theirs = n.camera.placement_at(at).and_then(|p| p.views.first()).map(|v| v.azimuth_deg);
            match (direction, theirs) {
                (Some(a), Some(b)) => angle_between_deg(a, b) <= SAME_DIRECTION_DEG,
                _ => true,
            }
        })
        .map(|n| n.camera)
}

/// `existing` completed by what `submitted` knows and it did not: views, holder and
/// contacts, retention, type, height, label, tags (existing values win; the registry's
/// description is the reference). The position stays the registry's.
pub fn merge(existing: &Camera, submitted: &Camera) -> Camera {
    let mut out = existing.clone();
    if let (Some(theirs), Some(mine)) = (submitted.placements.first(), out.placements.last_mut()) {
        if mine.views.is_empty() && !theirs.views.is_empty() {
            mine.views = theirs.views.clone();
        }
    }
    match (&mut out.holder, &submitted.holder) {
        (None, Some(h)) => out.holder = Some(h.clone()),
        (Some(mine), Some(theirs)) if mine.name == theirs.name || mine.name.trim().is_empty() => {
            mine.address = mine.address.take().or_else(|| theirs.address.clone());
            mine.phone = mine.phone.take().or_else(|| theirs.phone.clone());
            mine.email = mine.email.take().or_else(|| theirs.email.clone());
        }
        _ => {}
    }
    out.retention_days = out.retention_days.or(submitted.retention_days);
    if out.camera_type == crate::camera::CameraType::Unknown {
        out.camera_type = submitted.camera_type;
    }
    out.mount_height_m = out.mount_height_m.or(submitted.mount_height_m);
    out.label = out.label.take().or_else(|| submitted.label.clone());
    let mut tags: BTreeMap<String, String> = submitted.tags.clone();
    tags.extend(out.tags.clone());
    out.tags = tags;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::{CameraKind, Holder, View};
    use crate::geo::{LatLon, LocalFrame};
    use chrono::TimeZone;

    fn at() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
    }

    fn cam(id: &str, east: f64, azimuth: Option<f64>) -> Camera {
        let p = LocalFrame::new(LatLon::new(45.1885, 5.7245).unwrap()).unproject(east, 0.0).unwrap();
        let views = azimuth.map(|a| vec![View { azimuth_deg: a, fov_deg: 60.0, range_m: 30.0 }]).unwrap_or_default();
        Camera::fixed_at(id, p, views)
    }

    #[test]
    fn duplicates_are_the_same_place_looking_the_same_way() {
        let index = CameraIndex::new(vec![cam("reg-1", 0.0, Some(90.0)), cam("reg-2", 20.0, None)]).unwrap();
        let check = |c: Camera| find_duplicate(&index, &c, at()).map(|d| d.id.0.clone());
        assert_eq!(check(cam("new", 3.0, Some(110.0))), Some("reg-1".into()), "3 m away, 20° apart");
        assert_eq!(check(cam("new", 3.0, Some(130.0))), None, "40° apart: another camera on the same pole");
        assert_eq!(check(cam("new", 6.0, Some(90.0))), None, "6 m away");
        assert_eq!(check(cam("new", 2.0, None)), Some("reg-1".into()), "no direction given");
        assert_eq!(check(cam("new", 21.0, Some(270.0))), Some("reg-2".into()), "the registry's has no direction");
    }

    #[test]
    fn merging_completes_the_registry_without_overriding_it() {
        let mut existing = cam("reg-1", 0.0, None);
        existing.holder =
            Some(Holder { name: "Tabac du Port".into(), phone: Some("04 76 00 00 00".into()), ..Holder::default() });
        existing.tags.insert("source".into(), "osm".into());
        let mut submitted = cam("dev-1/7", 2.0, Some(200.0));
        submitted.kind = CameraKind::Private;
        submitted.holder = Some(Holder {
            name: "Tabac du Port".into(),
            phone: Some("06 00 00 00 00".into()),
            email: Some("contact@tabac.example".into()),
            ..Holder::default()
        });
        submitted.retention_days = Some(15);
        submitted.tags.insert("source".into(), "terrain".into());
        submitted.tags.insert("note".into(), "au-dessus de la porte".into());
        let merged = merge(&existing, &submitted);
        assert_eq!(merged.id.0, "reg-1");
        assert_eq!(merged.placements[0].position, existing.placements[0].position);
        assert_eq!(merged.placements[0].views[0].azimuth_deg, 200.0);
        let h = merged.holder.unwrap();
        assert_eq!((h.phone.as_deref(), h.email.as_deref()), (Some("04 76 00 00 00"), Some("contact@tabac.example")));
        assert_eq!(merged.retention_days, Some(15));
        assert_eq!(merged.tags["source"], "osm");
        assert_eq!(merged.tags["note"], "au-dessus de la porte");
    }
}
