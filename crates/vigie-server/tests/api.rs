//! The platform over real HTTP on loopback: authentication on every route, enrolment and
//! revocation, roles, the registry sync, and the audit trail of it all.

use crate::common;

use crate::common::{Device, TestServer};
use vigie_core::sync::{RegistryUpdate, Replica};
use vigie_server::audit::Actor;
use vigie_server::model::{DeviceState, Role};

fn path_of(route: &str) -> String {
    route.replace("{id}", "1").replace("{session}", "1")
}

#[tokio::test]
async fn every_route_refuses_a_request_without_valid_credentials() {
    let s = TestServer::start().await;
    s.add_unit("BT-38");
    let admin = s.session("ADM-1", "BT-38", Role::Admin).await;
    let anonymous = Device::new("nobody");
    let forged = Device { token: Some("not-a-token".into()), ..Device::new("nobody") };
    for (method, route, who_may) in vigie_server::api::ROUTES {
        let path = path_of(route);
        if who_may.starts_with("public") {
            // Open by design (holders): it must still refuse what is not an authentic document.
            let r = s.http.post(s.url(&path)).json(&serde_json::json!({})).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 422, "{route} accepted an empty document");
            continue;
        }
        for who in [&anonymous, &forged] {
            let status = match *method {
                "GET" => who.get(&s, &path).await.0,
                "DELETE" => {
                    let mut req = s.http.delete(s.url(&path));
                    if let Some(t) = &who.token {
                        req = req.bearer_auth(t);
                    }
                    req.send().await.unwrap().status().as_u16()
                }
                _ => {
                    // Signed routes get an unsigned (empty) body; session routes no body.
                    let mut req = s.http.post(s.url(&path)).json(&serde_json::json!({}));
                    if let Some(t) = &who.token {
                        req = req.bearer_auth(t);
                    }
                    req.send().await.unwrap().status().as_u16()
                }
            };
            // A WHEP session is ended by the token that opened it, at its address: a token
            // that opened no session there finds none.
            let unknown_address = who_may.contains("unguessable address") && status == 404;
            assert!(
                matches!(status, 400 | 401 | 422) || unknown_address,
                "{method} {route} answered {status} to a request without valid credentials"
            );
            assert_ne!(status, 200);
        }
    }
    // The same routes answer a real session: the refusals above are about credentials.
    assert_eq!(admin.get(&s, "/v1/me").await.0, 200);
    assert_eq!(admin.get(&s, "/v1/devices").await.0, 200);
    // The served description lists exactly the routes above.
    let (status, doc) = admin.get(&s, "/v1/openapi.json").await;
    assert_eq!((status, doc["openapi"].as_str()), (200, Some("3.1.0")));
    for (method, route, _) in vigie_server::api::ROUTES {
        assert!(doc["paths"][route].get(method.to_ascii_lowercase()).is_some(), "{method} {route} not described");
    }
    let described: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(described, vigie_server::api::ROUTES.len());
}

#[tokio::test]
async fn a_device_enrols_waits_is_approved_and_is_stopped_at_once_when_revoked() {
    let s = TestServer::start().await;
    s.add_unit("BT-38");
    s.add_user("RIO-1", "BT-38", Role::Officer);
    let mut d = Device::new("RIO-1");
    d.enrol(&s).await.unwrap();
    let (status, body) = d.login(&s).await.unwrap_err();
    assert_eq!((status, body["code"].as_str()), (403, Some("device_pending")));

    s.approve(d.id.unwrap());
    d.login(&s).await.unwrap();
    let (status, me) = d.get(&s, "/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(
        (me["rio"].as_str(), me["role"].as_str(), me["unit"].as_str()),
        (Some("RIO-1"), Some("officer"), Some("BT-38"))
    );

    s.decide(d.id.unwrap(), DeviceState::Revoked);
    assert_eq!(d.get(&s, "/v1/me").await.0, 401, "the live token dies with the revocation");
    let (status, body) = d.login(&s).await.unwrap_err();
    assert_eq!((status, body["code"].as_str()), (403, Some("device_revoked")));
}

#[tokio::test]
async fn enrolment_needs_the_key_an_existing_user_and_a_fresh_signature() {
    let s = TestServer::start().await;
    s.add_unit("BT-38");
    s.add_user("RIO-1", "BT-38", Role::Officer);
    let mut unknown = Device::new("RIO-404");
    assert_eq!(unknown.enrol(&s).await.unwrap_err().0, 404);

    // A signature by another key than the one presented.
    let d = Device::new("RIO-1");
    let thief = Device::new("RIO-1");
    let at = chrono::Utc::now();
    let public = d.key.verifying_key().to_bytes();
    let msg = vigie_core::auth::enrolment_message(&public, "RIO-1", "x", at);
    use ed25519_dalek::Signer;
    let body = serde_json::json!({
        "public_key": common::b64(&public), "rio": "RIO-1", "device_name": "x", "at": at,
        "signature": common::b64(&thief.key.sign(&msg).to_bytes()),
    });
    let r = s.http.post(s.url("/v1/enrolments")).json(&body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // A login challenge can be answered once only.
    let mut ok = Device::new("RIO-1");
    ok.enrol(&s).await.unwrap();
    s.approve(ok.id.unwrap());
    let id = ok.id.unwrap();
    let c: serde_json::Value = s
        .http
        .post(s.url("/v1/auth/challenge"))
        .json(&serde_json::json!({ "device_id": id }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let nonce =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, c["nonce"].as_str().unwrap()).unwrap();
    let sig = ok.key.sign(&vigie_core::auth::challenge_message(id as u64, &nonce)).to_bytes();
    let body = serde_json::json!({ "device_id": id, "nonce": common::b64(&nonce), "signature": common::b64(&sig) });
    assert_eq!(s.http.post(s.url("/v1/auth/token")).json(&body).send().await.unwrap().status().as_u16(), 200);
    assert_eq!(
        s.http.post(s.url("/v1/auth/token")).json(&body).send().await.unwrap().status().as_u16(),
        401,
        "replayed challenge"
    );
}

#[tokio::test]
async fn roles_decide_who_administers_and_who_reads_the_audit_log() {
    let s = TestServer::start().await;
    s.add_unit("BT-38");
    s.add_unit("CSU-GRE");
    let officer = s.session("OFF-1", "BT-38", Role::Officer).await;
    let supervisor = s.session("SUP-1", "BT-38", Role::Supervisor).await;
    let other_supervisor = s.session("SUP-2", "CSU-GRE", Role::Supervisor).await;
    let csu = s.session("CSU-1", "CSU-GRE", Role::CsuOperator).await;
    let admin = s.session("ADM-1", "CSU-GRE", Role::Admin).await;
    for (who, name) in [
        (&officer, "officer"),
        (&supervisor, "supervisor"),
        (&other_supervisor, "supervisor of another unit"),
        (&csu, "csu_operator"),
    ] {
        assert_eq!(who.get(&s, "/v1/audit").await.0, 403, "{name} reads the audit log");
        assert_eq!(who.get(&s, "/v1/devices").await.0, 403, "{name} lists devices");
        assert_eq!(who.post(&s, "/v1/devices/1/revoke").await, 403, "{name} revokes a device");
        assert_eq!(
            who.get(&s, "/v1/registry?south=43.7&west=7.4&north=43.76&east=7.44").await.0,
            200,
            "{name} reads the registry"
        );
    }
    assert_eq!(admin.get(&s, "/v1/audit").await.0, 200);
    let (_, devices) = admin.get(&s, "/v1/devices").await;
    assert_eq!(devices.as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn the_registry_syncs_by_full_package_then_deltas_and_every_read_is_audited() {
    let s = TestServer::start().await;
    s.add_unit("BT-98");
    let officer = s.session("OFF-1", "BT-98", Role::Officer).await;
    let admin = s.session("ADM-1", "BT-98", Role::Admin).await;
    let file = common::shared("cameras/monaco-osm-2025.geojson");
    let options = vigie_server::registry::import_options(&file, None, Some(15));
    let (report, summary) = vigie_server::registry::import_file(&s.db, &file, &options, &Actor::console()).unwrap();
    assert_eq!((report.imported, summary.inserted, summary.version), (16, 16, 1));

    let monaco = "south=43.72&west=7.40&north=43.76&east=7.44";
    let (status, full) = officer.get(&s, &format!("/v1/registry?{monaco}")).await;
    assert_eq!(status, 200);
    let mut replica = Replica::default();
    replica.apply(serde_json::from_value::<RegistryUpdate>(full).unwrap()).unwrap();
    assert_eq!((replica.version, replica.cameras.len()), (Some(1), 16));

    // The same file again changes nothing; one camera deleted is version 2.
    let (_, again) = vigie_server::registry::import_file(&s.db, &file, &options, &Actor::console()).unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged, again.version), (0, 0, 16, 1));
    let gone = vigie_core::CameraId("osm:node/6459866647".into());
    s.db.delete_cameras(std::slice::from_ref(&gone), Actor::console().entry("registry.delete", serde_json::json!({})))
        .unwrap();
    let (_, delta) = officer.get(&s, &format!("/v1/registry?{monaco}&since=1")).await;
    assert_eq!(delta["kind"], "delta");
    replica.apply(serde_json::from_value::<RegistryUpdate>(delta).unwrap()).unwrap();
    assert_eq!((replica.version, replica.cameras.len()), (Some(2), 15));
    assert!(!replica.cameras.contains_key(&gone));

    let (_, log) = admin.get(&s, "/v1/audit?limit=1000").await;
    let reads: Vec<&serde_json::Value> =
        log["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "registry.read").collect();
    assert_eq!(reads.len(), 2);
    assert_eq!(
        (reads[0]["actor"].as_str(), reads[0]["role"].as_str(), reads[0]["unit"].as_str()),
        (Some("OFF-1"), Some("officer"), Some("BT-98"))
    );
    let (status, body) = officer.get(&s, &format!("/v1/registry?{monaco}&since=99")).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = officer.get(&s, "/v1/registry?south=43.8&west=7.4&north=43.7&east=7.44").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
}

#[tokio::test]
async fn cameras_near_and_seeing_answer_with_retention() {
    let s = TestServer::start().await;
    s.add_unit("BT-98");
    let officer = s.session("OFF-1", "BT-98", Role::Officer).await;
    let file = common::shared("cameras/monaco-osm-2025.geojson");
    let options = vigie_server::registry::import_options(&file, None, Some(7));
    vigie_server::registry::import_file(&s.db, &file, &options, &Actor::console()).unwrap();
    // 20 m in front of node/6459866647 (fixed, looking 240°).
    let cam = vigie_core::LatLon::new(43.7332957, 7.4155145).unwrap();
    let az = 240f64.to_radians();
    let p = vigie_core::LocalFrame::new(cam).unproject(20.0 * az.sin(), 20.0 * az.cos()).unwrap();
    // The incident was two days ago: five of the seven days of retention are left.
    let at = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (status, seeing) =
        officer.get(&s, &format!("/v1/cameras/seeing?lat={}&lon={}&at={at}&motif=test", p.lat(), p.lon())).await;
    assert_eq!(status, 200);
    let first = &seeing.as_array().unwrap()[0];
    assert_eq!((first["id"].as_str(), first["visibility"].as_str()), (Some("osm:node/6459866647"), Some("in_view")));
    assert_eq!(first["urgency"], "soon", "5 days left");
    let hours = first["remaining_hours"].as_f64().unwrap();
    assert!((119.0..=120.0).contains(&hours), "{hours}");
    let (status, near) =
        officer.get(&s, &format!("/v1/cameras/near?lat={}&lon={}&radius_m=500", p.lat(), p.lon())).await;
    assert_eq!(status, 200);
    let d: Vec<f64> = near.as_array().unwrap().iter().map(|h| h["distance_m"].as_f64().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]) && !d.is_empty(), "{d:?}");
    let (status, body) = officer.get(&s, "/v1/cameras/near?lat=0&lon=0").await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("(0, 0)"), "{body}");
}

#[tokio::test]
async fn a_device_offline_for_1000_registry_versions_converges_to_the_exact_state() {
    let s = TestServer::start().await;
    s.add_unit("BT-98");
    let officer = s.session("OFF-1", "BT-98", Role::Officer).await;
    let file = common::shared("cameras/monaco-osm-2025.geojson");
    let options = vigie_server::registry::import_options(&file, None, None);
    vigie_server::registry::import_file(&s.db, &file, &options, &Actor::console()).unwrap();
    let monaco = "south=43.72&west=7.40&north=43.76&east=7.44";
    let mut replica = Replica::default();
    replica
        .apply(
            serde_json::from_value::<RegistryUpdate>(officer.get(&s, &format!("/v1/registry?{monaco}")).await.1)
                .unwrap(),
        )
        .unwrap();

    // 1,000 versions while the device is offline: cameras re-rated, moved, deleted, added,
    // some moved out of the area.
    let (_, rows) = s.db.rows_since(None).unwrap();
    let mut cameras: Vec<vigie_core::Camera> = rows.into_iter().filter_map(|r| r.camera).collect();
    for v in 0..1000usize {
        let i = v % cameras.len();
        match v % 7 {
            0 => {
                let gone = cameras[i].id.clone();
                s.db.delete_cameras(&[gone], Actor::console().entry("registry.delete", serde_json::json!({}))).unwrap();
            }
            3 => {
                // Out of the area (and back in at a later version, when 3 comes round again).
                let p = cameras[i].placements[0].position;
                let lat = if p.lat() < 43.76 { p.lat() + 0.1 } else { p.lat() - 0.1 };
                cameras[i].placements[0].position = vigie_core::LatLon::new(lat, p.lon()).unwrap();
                s.db.import(&cameras[i..=i], "test", |_| {
                    Actor::console().entry("registry.import", serde_json::json!({}))
                })
                .unwrap();
            }
            5 => {
                let mut c = cameras[i].clone();
                c.id = vigie_core::CameraId(format!("new-{v}"));
                s.db.import(&[c], "test", |_| Actor::console().entry("registry.import", serde_json::json!({})))
                    .unwrap();
            }
            _ => {
                cameras[i].retention_days = Some((v % 30) as u32 + 1);
                s.db.import(&cameras[i..=i], "test", |_| {
                    Actor::console().entry("registry.import", serde_json::json!({}))
                })
                .unwrap();
            }
        }
    }
    let version = s.db.registry_version().unwrap();
    assert_eq!(version, 1001);

    let since = replica.version.unwrap();
    let (status, delta) = officer.get(&s, &format!("/v1/registry?{monaco}&since={since}")).await;
    assert_eq!(status, 200);
    replica.apply(serde_json::from_value::<RegistryUpdate>(delta).unwrap()).unwrap();
    let mut fresh = Replica::default();
    fresh
        .apply(
            serde_json::from_value::<RegistryUpdate>(officer.get(&s, &format!("/v1/registry?{monaco}")).await.1)
                .unwrap(),
        )
        .unwrap();
    assert_eq!(replica.version, Some(version));
    assert_eq!(replica, fresh, "one delta after 1,000 versions gives exactly the platform's state");
}

#[tokio::test]
async fn registry_packages_travel_compressed() {
    let s = TestServer::start().await;
    s.add_unit("BT-75");
    let officer = s.session("OFF-1", "BT-75", Role::Officer).await;
    let file = common::shared("cameras/paris-prefecture-police-2013.geojson");
    let options = vigie_server::registry::import_options(&file, None, None);
    vigie_server::registry::import_file(&s.db, &file, &options, &Actor::console()).unwrap();
    let url = s.url("/v1/registry?south=48.7&west=2.1&north=49.0&east=2.6");
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let plain = raw.get(&url).bearer_auth(officer.token.as_ref().unwrap()).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().await.unwrap().len();
    let gz = raw
        .get(&url)
        .bearer_auth(officer.token.as_ref().unwrap())
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers().get("content-encoding").unwrap(), "gzip");
    let gz_len = gz.bytes().await.unwrap().len();
    assert!(gz_len * 5 < plain_len, "1,389 cameras: {plain_len} bytes plain, {gz_len} gzipped");
}

/// The main flow once more over PostgreSQL: enrol, approve, log in, import, sync, revoke.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_flow_over_postgresql() {
    let Some(s) = TestServer::start_postgres().await else { return };
    let db = s.db.clone();
    tokio::task::spawn_blocking(move || {
        db.add_unit("BT-98", "Sûreté publique", Actor::console().entry("unit.add", serde_json::json!({}))).unwrap();
    })
    .await
    .unwrap();
    let officer = {
        let db = s.db.clone();
        tokio::task::spawn_blocking(move || {
            let u = vigie_server::model::NewUser {
                rio: "OFF-1".into(),
                name: "Agent".into(),
                rank: "gardien".into(),
                qualite: "APJ".into(),
                unit: "BT-98".into(),
                role: Role::Officer,
            };
            db.add_user(&u, chrono::Utc::now(), Actor::console().entry("user.add", serde_json::json!({}))).unwrap();
        })
        .await
        .unwrap();
        let mut d = Device::new("OFF-1");
        d.enrol(&s).await.unwrap();
        let (db, id) = (s.db.clone(), d.id.unwrap());
        tokio::task::spawn_blocking(move || {
            db.decide_device(
                id,
                DeviceState::Approved,
                "console",
                chrono::Utc::now(),
                Actor::console().entry("device.approve", serde_json::json!({})),
            )
            .unwrap()
        })
        .await
        .unwrap();
        d.login(&s).await.unwrap();
        d
    };
    let db = s.db.clone();
    tokio::task::spawn_blocking(move || {
        let file = common::shared("cameras/monaco-osm-2025.geojson");
        let options = vigie_server::registry::import_options(&file, None, None);
        vigie_server::registry::import_file(&db, &file, &options, &Actor::console()).unwrap();
    })
    .await
    .unwrap();
    let (status, full) = officer.get(&s, "/v1/registry?south=43.72&west=7.40&north=43.76&east=7.44").await;
    assert_eq!(status, 200);
    let mut replica = Replica::default();
    replica.apply(serde_json::from_value::<RegistryUpdate>(full).unwrap()).unwrap();
    assert_eq!(replica.cameras.len(), 16);
    let (status, near) = officer.get(&s, "/v1/cameras/near?lat=43.7333&lon=7.4155&radius_m=300").await;
    assert_eq!(status, 200);
    assert!(!near.as_array().unwrap().is_empty());
    let (db, id) = (s.db.clone(), officer.id.unwrap());
    tokio::task::spawn_blocking(move || {
        db.decide_device(
            id,
            DeviceState::Revoked,
            "console",
            chrono::Utc::now(),
            Actor::console().entry("device.revoke", serde_json::json!({})),
        )
        .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(officer.get(&s, "/v1/me").await.0, 401);
    let db = s.db.clone();
    let (log, head) = tokio::task::spawn_blocking(move || db.audit_log().unwrap()).await.unwrap();
    assert!(vigie_core::audit::verify_chain(&log, head).unwrap() >= 8);
}
