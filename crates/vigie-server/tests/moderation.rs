//! Private cameras from the field: submitted once whatever the retries, moderated by
//! administrators, merged into a known camera instead of copied, and the outcome visible
//! to the officer who submitted it.

use crate::common;

use crate::common::{Device, TestServer};
use vigie_core::camera::{CameraKind, CameraType, Holder, View};
use vigie_core::{Camera, LatLon, LocalFrame};
use vigie_server::audit::Actor;
use vigie_server::model::Role;

fn private(device: &Device, n: u32, near: LatLon, east: f64, north: f64, azimuth: f64) -> Camera {
    let p = LocalFrame::new(near).unproject(east, north).unwrap();
    let mut c = Camera::fixed_at(
        format!("dev{}:{n:08}", device.id.unwrap()),
        p,
        vec![View { azimuth_deg: azimuth, fov_deg: 70.0, range_m: 25.0 }],
    );
    c.kind = CameraKind::Private;
    c.camera_type = CameraType::Fixed;
    c.holder = Some(Holder {
        name: "Bijouterie du Rocher".into(),
        phone: Some("+377 93 00 00 00".into()),
        ..Holder::default()
    });
    c.retention_days = Some(10);
    c
}

async fn submit(s: &TestServer, by: &Device, c: &Camera) -> (u16, serde_json::Value) {
    let r =
        s.http.post(s.url("/v1/private-cameras")).bearer_auth(by.token.as_ref().unwrap()).json(c).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn post_json(s: &TestServer, by: &Device, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let r = s.http.post(s.url(path)).bearer_auth(by.token.as_ref().unwrap()).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn submitted_cameras_are_moderated_and_duplicates_merged_not_copied() {
    let s = TestServer::start().await;
    s.add_unit("DSP-98");
    let officer = s.session("OFF-1", "DSP-98", Role::Officer).await;
    let other = s.session("OFF-2", "DSP-98", Role::Officer).await;
    let admin = s.session("ADM-1", "DSP-98", Role::Admin).await;
    let file = common::shared("cameras/monaco-osm-2025.geojson");
    let options = vigie_server::registry::import_options(&file, None, None);
    vigie_server::registry::import_file(&s.db, &file, &options, &Actor::console()).unwrap();
    let known = LatLon::new(43.7332957, 7.4155145).unwrap(); // osm:node/6459866647, fixed, looking 240°

    let fresh = private(&officer, 1, known, 120.0, 80.0, 10.0);
    let (status, body) = submit(&s, &officer, &fresh).await;
    assert_eq!((status, body["duplicate_of"].is_null()), (201, true));
    assert_eq!(submit(&s, &officer, &fresh).await.0, 200, "a retry changes nothing");
    assert_eq!(submit(&s, &other, &fresh).await.0, 400, "another device cannot use this device's ids");

    let duplicate = private(&officer, 2, known, 2.0, 1.0, 250.0);
    let (status, body) = submit(&s, &officer, &duplicate).await;
    assert_eq!((status, body["duplicate_of"].as_str()), (201, Some("osm:node/6459866647")));
    let refused = private(&officer, 3, known, -300.0, 10.0, 90.0);
    assert_eq!(submit(&s, &officer, &refused).await.0, 201);

    assert_eq!(officer.get(&s, "/v1/moderation").await.0, 403);
    let (_, queue) = admin.get(&s, "/v1/moderation").await;
    assert_eq!(queue.as_array().unwrap().len(), 3);

    let version_before = s.db.registry_version().unwrap();
    let (status, body) =
        post_json(&s, &admin, &format!("/v1/moderation/{}/accept", fresh.id), serde_json::json!({})).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("accepted")));
    let (status, body) =
        post_json(&s, &admin, &format!("/v1/moderation/{}/accept", duplicate.id), serde_json::json!({})).await;
    assert_eq!(
        (status, body["state"].as_str(), body["camera"].as_str()),
        (200, Some("merged"), Some("osm:node/6459866647"))
    );
    let (status, _) = post_json(
        &s,
        &admin,
        &format!("/v1/moderation/{}/refuse", refused.id),
        serde_json::json!({ "comment": "Caméra factice" }),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        post_json(&s, &admin, &format!("/v1/moderation/{}/accept", refused.id), serde_json::json!({})).await.0,
        409
    );

    // The registry: the fresh camera is in it, the duplicate is not copied, the known
    // camera learnt its holder and retention.
    assert_eq!(s.db.registry_version().unwrap(), version_before + 2);
    let (_, rows) = s.db.rows_since(None).unwrap();
    let cams: Vec<Camera> = rows.into_iter().filter_map(|r| r.camera).collect();
    assert_eq!(cams.len(), 17);
    assert!(cams.iter().any(|c| c.id == fresh.id));
    assert!(!cams.iter().any(|c| c.id == duplicate.id));
    let merged = cams.iter().find(|c| c.id.0 == "osm:node/6459866647").unwrap();
    assert_eq!(merged.holder.as_ref().unwrap().name, "Bijouterie du Rocher");
    assert_eq!(merged.retention_days, Some(10));
    assert_eq!(merged.placements[0].views[0].azimuth_deg, 240.0, "the registry's own direction stays");

    // The officer sees every outcome.
    let (_, mine) = officer.get(&s, "/v1/private-cameras").await;
    let state = |id: &str| {
        let m = mine.as_array().unwrap().iter().find(|m| m["id"] == id).unwrap();
        (m["state"].as_str().unwrap().to_string(), m["note"].as_str().map(str::to_string))
    };
    assert_eq!(state(&fresh.id.0), ("accepted".into(), None));
    assert_eq!(state(&duplicate.id.0), ("merged".into(), Some("osm:node/6459866647".into())));
    assert_eq!(state(&refused.id.0), ("refused".into(), Some("Caméra factice".into())));
    let (_, queue) = admin.get(&s, "/v1/moderation").await;
    assert!(queue.as_array().unwrap().is_empty());
}
