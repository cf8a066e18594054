//! From domain values to what the UI shows (`vigie-view`): Europe/Paris times, French
//! compass points, the camera card and the map's GeoJSON. Pure functions of their
//! arguments (`now` included), so they are tested without a window.

use chrono::Duration;
use chrono_tz::Europe::Paris;
use serde_json::{json, Value};
use vigie_core::around::AroundEntry;
use vigie_core::coverage::{self, Visibility};
use vigie_core::position::{Fix, FixSource};
use vigie_core::{Camera, CameraIndex, Timestamp};
use vigie_store::{PrivateCamera, PrivateState};
use vigie_view::{AroundRow, CameraCard, FixView};

/// `dd/mm/yyyy à HH:MM` in Europe/Paris.
pub fn local_datetime(t: Timestamp) -> String {
    t.with_timezone(&Paris).format("%d/%m/%Y à %H:%M").to_string()
}

/// `HH:MM` in Europe/Paris.
pub fn local_hm(t: Timestamp) -> String {
    t.with_timezone(&Paris).format("%H:%M").to_string()
}

/// `HH:MM:SS` in Europe/Paris.
pub fn local_hms(t: Timestamp) -> String {
    t.with_timezone(&Paris).format("%H:%M:%S").to_string()
}

/// The eight compass points, in French (O for ouest).
pub fn compass(bearing_deg: f64) -> &'static str {
    vigie_core::geo::compass_fr(bearing_deg)
}

/// The serde name of a domain enum (`in_service`, `panning`…).
fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// What a source is called beside the position.
pub fn source_label(source: FixSource) -> &'static str {
    match source {
        FixSource::Gpsd => "GPS du véhicule (gpsd)",
        FixSource::Device => "Position du téléphone",
        FixSource::ManualPin => "Repère manuel",
    }
}

/// A usable fix, for display.
pub fn fix_view(fix: &Fix) -> FixView {
    FixView {
        lat: fix.position.lat(),
        lon: fix.position.lon(),
        accuracy_m: fix.accuracy_m,
        source: name(&fix.source),
        source_label: source_label(fix.source).to_string(),
        at_local: local_hms(fix.at),
    }
}

/// The state name of a private camera.
pub fn private_state(s: PrivateState) -> &'static str {
    match s {
        PrivateState::Pending => "pending",
        PrivateState::Submitted => "submitted",
        PrivateState::Accepted => "accepted",
        PrivateState::Merged => "merged",
        PrivateState::Refused => "refused",
    }
}

/// "images de 14:32 effacées le 22/12/2026 à 14:32" (or "effacées depuis le …" once gone),
/// with "(durée légale maximale supposée)" when the camera's retention is unknown.
pub fn erased_text(moment: Timestamp, erased_at: Timestamp, now: Timestamp, known: bool) -> String {
    let verb = if erased_at <= now { "effacées depuis le" } else { "effacées le" };
    let assumed = if known { "" } else { " (durée légale maximale supposée)" };
    format!("images de {} {verb} {}{assumed}", local_hm(moment), local_datetime(erased_at))
}

/// The card of `camera` for the incident moment `at`.
pub fn card(camera: &Camera, at: Timestamp, now: Timestamp, private: Option<&PrivateCamera>) -> CameraCard {
    let placement = camera.current_placement(at);
    let retention = vigie_core::retention::retention(camera, at, now);
    let contact = camera.holder.as_ref().and_then(|h| {
        let parts: Vec<&str> = [&h.phone, &h.email, &h.address].into_iter().flatten().map(String::as_str).collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    });
    CameraCard {
        id: camera.id.0.clone(),
        title: camera.label.clone().unwrap_or_else(|| match camera.camera_type {
            vigie_core::CameraType::Dome => "Caméra dôme".into(),
            vigie_core::CameraType::Panning => "Caméra orientable".into(),
            vigie_core::CameraType::Fixed => "Caméra fixe".into(),
            _ => "Caméra".into(),
        }),
        kind: name(&camera.kind),
        camera_type: name(&camera.camera_type),
        lat: placement.position.lat(),
        lon: placement.position.lon(),
        holder: camera.holder.as_ref().map(|h| h.name.clone()),
        holder_contact: contact,
        status: name(&camera.status.status_at(at)),
        verified_local: camera.status.verified_at.map(local_datetime),
        retention_days: camera.retention_days.unwrap_or(vigie_core::LEGAL_MAX_RETENTION_DAYS),
        retention_known: retention.known,
        erased_text: erased_text(at, retention.erased_at, now, retention.known),
        urgency: name(&retention.urgency),
        private_state: private.map(|p| private_state(p.state).to_string()),
        note: private.and_then(|p| p.note.clone()),
        directions: placement.views.iter().map(|v| v.azimuth_deg).collect(),
    }
}

/// One "Autour de moi" row.
pub fn around_row(e: &AroundEntry<'_>, at: Timestamp, now: Timestamp, private: Option<&PrivateCamera>) -> AroundRow {
    AroundRow {
        camera: card(e.camera, at, now, private),
        distance_m: e.distance_m,
        bearing_deg: e.bearing_deg,
        compass: compass(e.bearing_deg).to_string(),
        visibility: e.visibility.map(|v| name(&v)),
    }
}

/// The map's cameras as GeoJSON: one point per camera (with `status`, `kind`, `private`
/// and `urgency` to colour it) and its field-of-view shapes (`visibility` in_view or
/// possible), both at the moment `at`.
pub fn map_geojson(index: &CameraIndex, private: &[PrivateCamera], at: Timestamp, now: Timestamp) -> Value {
    let mut features = Vec::with_capacity(index.len() * 2);
    for camera in index.cameras() {
        let placement = camera.current_placement(at);
        let own = private.iter().find(|p| p.camera.id == camera.id);
        let retention = vigie_core::retention::retention(camera, at, now);
        for o in coverage::outlines(camera, placement, 10.0) {
            let ring: Vec<[f64; 2]> = o.ring.iter().map(|p| [p.lon(), p.lat()]).collect();
            features.push(json!({
                "type": "Feature",
                "geometry": { "type": "Polygon", "coordinates": [ring] },
                "properties": {
                    "id": camera.id.0,
                    "shape": "cone",
                    "visibility": if o.visibility == Visibility::InView { "in_view" } else { "possible" },
                    "private": own.is_some(),
                }
            }));
        }
        features.push(json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [placement.position.lon(), placement.position.lat()] },
            "properties": {
                "id": camera.id.0,
                "shape": "camera",
                "status": name(&camera.status.status_at(at)),
                "kind": name(&camera.kind),
                "private": own.is_some(),
                "private_state": own.map(|p| private_state(p.state)),
                "urgency": name(&retention.urgency),
                "label": camera.label,
            }
        }));
    }
    json!({ "type": "FeatureCollection", "features": features })
}

/// Minutes between two instants, never negative.
pub fn age_minutes(then: Timestamp, now: Timestamp) -> i64 {
    (now - then).max(Duration::zero()).num_minutes()
}

/// A relayed stream as « En direct » lists it; `me` is where the officer is.
pub fn live_item(s: &vigie_client::RemoteStream, me: Option<vigie_core::LatLon>) -> vigie_view::LiveItem {
    let state = s.relay.as_ref().map_or("connecting", |r| r.state.as_str()).to_string();
    let state_text = match state.as_str() {
        "live" => "en direct / live",
        "lost" => "flux interrompu / stream interrupted",
        "ended" => "terminé / ended",
        _ => "connexion… / connecting…",
    }
    .to_string();
    let from_me = match (me, &s.position) {
        (Some(me), Some((p, _))) => {
            Some((vigie_core::geo::distance_m(me, *p), compass(vigie_core::geo::bearing_deg(me, *p)).to_string()))
        }
        _ => None,
    };
    vigie_view::LiveItem {
        id: s.id.clone(),
        label: s.label.clone(),
        motif: s.motif.clone(),
        state,
        state_text,
        position: s.position.map(|(p, _)| [p.lon(), p.lat()]),
        position_time: s.position.map(|(_, at)| local_hms(at)),
        from_me,
        grants: s
            .grants
            .iter()
            .map(|g| vigie_view::LiveGrant {
                unit: g.unit.clone(),
                motif: g.motif.clone(),
                by: format!("{}, {}", g.by, local_hms(g.at)),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use vigie_core::{LatLon, View};

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn erased_text_is_in_paris_time_and_says_when_assumed() {
        // 13:32 UTC is 14:32 in Paris in winter; 30 days later (legal maximum assumed).
        let moment = utc(2026, 11, 22, 13, 32);
        let text = erased_text(moment, moment + Duration::days(30), moment, false);
        assert_eq!(text, "images de 14:32 effacées le 22/12/2026 à 14:32 (durée légale maximale supposée)");
        // Summer time: 12:00 UTC is 14:00 in Paris; already erased.
        let summer = utc(2026, 7, 1, 12, 0);
        let text = erased_text(summer, summer + Duration::days(7), utc(2026, 11, 1, 0, 0), true);
        assert_eq!(text, "images de 14:00 effacées depuis le 08/07/2026 à 14:00");
    }

    #[test]
    fn compass_points_are_french() {
        let got: Vec<&str> = [0.0, 44.0, 46.0, 90.0, 180.0, 225.0, 270.0, 315.0, 359.0].map(compass).to_vec();
        assert_eq!(got, ["N", "NE", "NE", "E", "S", "SO", "O", "NO", "N"]);
    }

    #[test]
    fn map_has_a_point_and_a_cone_per_fixed_camera() {
        let p = LatLon::new(43.7384, 7.4246).unwrap();
        let mut cam = Camera::fixed_at("c1", p, vec![View { azimuth_deg: 240.0, fov_deg: 60.0, range_m: 50.0 }]);
        cam.retention_days = Some(10);
        let index = CameraIndex::new(vec![cam]).unwrap();
        let now = utc(2026, 11, 22, 8, 0);
        let v = map_geojson(&index, &[], now, now);
        let features = v["features"].as_array().unwrap();
        assert_eq!(features.len(), 2);
        assert_eq!(features[0]["properties"]["shape"], "cone");
        assert_eq!(features[0]["properties"]["visibility"], "in_view");
        assert_eq!(features[1]["geometry"]["coordinates"], json!([7.4246, 43.7384]));
        assert_eq!(features[1]["properties"]["urgency"], "later");
        assert_eq!(features[1]["properties"]["private"], false);
    }

    #[test]
    fn a_live_stream_says_its_state_and_where_the_body_cam_is_from_me() {
        let at = chrono::Utc::now();
        let cam = vigie_core::LatLon::new(43.7394, 7.4276).unwrap();
        let stream = vigie_client::RemoteStream {
            id: "bc-1".into(),
            label: "Caméra-piéton 12".into(),
            motif: "rixe".into(),
            position: Some((cam, at)),
            relay: Some(vigie_client::RemoteRelay {
                state: "live".into(),
                error: None,
                width: Some(640),
                height: Some(360),
            }),
            grants: vec![vigie_client::RemoteGrant {
                unit: "BAC-NORD".into(),
                motif: "rixe place Grenette".into(),
                by: "CSU-1".into(),
                at: chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 22, 13, 2, 7).unwrap(),
            }],
        };
        // 300 m south of the body-cam.
        let me = vigie_core::LatLon::new(43.7367, 7.4276).unwrap();
        let item = live_item(&stream, Some(me));
        assert_eq!(item.state_text, "en direct / live");
        assert_eq!(item.position, Some([7.4276, 43.7394]));
        let (m, dir) = item.from_me.unwrap();
        assert!((295.0..305.0).contains(&m), "{m}");
        assert_eq!(dir, "N");
        assert_eq!(item.position_time, Some(local_hms(at)));
        // Who granted it, at what time in Paris (14:02:07 in winter).
        assert_eq!(item.grants[0].by, "CSU-1, 14:02:07");
        assert_eq!((item.grants[0].unit.as_str(), item.grants[0].motif.as_str()), ("BAC-NORD", "rixe place Grenette"));
        let lost = vigie_client::RemoteStream { relay: None, position: None, ..stream };
        let item = live_item(&lost, Some(me));
        assert_eq!((item.state.as_str(), item.from_me), ("connecting", None));
    }
}
