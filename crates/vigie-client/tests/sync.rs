//! The app's client against the real platform over loopback, syncing into a real device
//! store: enrol, wait for approval, log in, full package, delta, then the platform goes
//! away and the store still answers.

use crate::common;

use std::path::PathBuf;

use ed25519_dalek::SigningKey;
use vigie_client::{Client, ClientError};
use vigie_core::sync::Area;
use vigie_server::audit::Actor;
use vigie_store::Store;

fn shared(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    assert!(p.exists(), "the shared data set is missing: {}", p.display());
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrol_sync_and_keep_working_offline() {
    let dir = tempfile::tempdir().unwrap();
    let config = vigie_server::config::Config {
        database_url: format!("sqlite://{}", dir.path().join("platform.sqlite3").display()),
        ..Default::default()
    };
    let db = vigie_server::open_db(&config).unwrap();
    common::seed_officer(&db);
    let console = Actor::console();
    let file = shared("cameras/monaco-osm-2025.geojson");
    vigie_server::registry::import_file(
        &db,
        &file,
        &vigie_server::registry::import_options(&file, None, Some(15)),
        &console,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server =
        tokio::spawn(vigie_server::serve(listener, vigie_server::api::AppState::new(db.clone(), config), async {
            let _ = stopped.await;
        }));

    // Enrol; the platform says "pending" until an administrator approves.
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).unwrap();
    let key = SigningKey::from_bytes(&seed);
    let mut client = Client::new(&base);
    let device = client.enrol(&key, "OFF-1", "Pixel 8 de l'agent").await.unwrap();
    assert_eq!(client.login(&key, device).await.unwrap_err().code(), Some("device_pending"));
    common::approve(&db, device);
    client.login(&key, device).await.unwrap();

    // Full package into a real store file, then a delta.
    let monaco = Area::new(43.72, 7.40, 43.76, 7.44).unwrap();
    let mut store = Store::open(dir.path().join("device.sqlite3")).unwrap();
    assert_eq!(client.sync_registry(&mut store, monaco).await.unwrap(), 1);
    assert_eq!(store.registry().unwrap().len(), 16);
    db.delete_cameras(
        &[vigie_core::CameraId("osm:node/6459866647".into())],
        console.entry("registry.delete", serde_json::json!({})),
    )
    .unwrap();
    assert_eq!(client.sync_registry(&mut store, monaco).await.unwrap(), 2);
    let (_, rows) = db.rows_since(None).unwrap();
    let mut platform: Vec<_> = rows.into_iter().filter_map(|r| r.camera).collect();
    platform.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(store.registry().unwrap(), platform, "the device holds exactly the platform's registry");

    // A private camera added offline reaches moderation, and the decision comes back.
    let shop =
        vigie_core::LocalFrame::new(vigie_core::LatLon::new(43.7310, 7.4200).unwrap()).unproject(0.0, 0.0).unwrap();
    let mut cam = vigie_core::Camera::fixed_at(
        vigie_client::new_private_camera_id(device),
        shop,
        vec![vigie_core::View { azimuth_deg: 120.0, fov_deg: 80.0, range_m: 20.0 }],
    );
    cam.kind = vigie_core::CameraKind::Private;
    store.add_private_camera(&cam, chrono::Utc::now()).unwrap();
    let s = client.sync_private_cameras(&mut store).await.unwrap();
    assert_eq!((s.submitted, s.decided), (1, 0));
    assert_eq!(store.private_cameras().unwrap()[0].state, vigie_store::PrivateState::Submitted);
    assert_eq!(
        client.sync_private_cameras(&mut store).await.unwrap(),
        vigie_client::PrivateSync::default(),
        "nothing twice"
    );
    assert_eq!(db.pending_submissions().unwrap().len(), 1);
    db.decide_submission(
        &cam.id.0,
        "refused",
        None,
        "ADM",
        Some("Caméra intérieure"),
        console.entry("x", serde_json::json!({})),
    )
    .unwrap();
    assert_eq!(client.sync_private_cameras(&mut store).await.unwrap().decided, 1);
    let mine = &store.private_cameras().unwrap()[0];
    assert_eq!((mine.state, mine.note.as_deref()), (vigie_store::PrivateState::Refused, Some("Caméra intérieure")));

    // A camera the platform cannot take (a public one) is marked refused with the reason,
    // and does not block the others.
    let mut public = vigie_core::Camera::fixed_at(vigie_client::new_private_camera_id(device), shop, vec![]);
    public.kind = vigie_core::CameraKind::Public;
    store.add_private_camera(&public, chrono::Utc::now()).unwrap();
    assert_eq!(client.sync_private_cameras(&mut store).await.unwrap().decided, 1);
    let refused = store.private_cameras().unwrap().into_iter().find(|p| p.camera.id == public.id).unwrap();
    assert_eq!(refused.state, vigie_store::PrivateState::Refused);
    assert!(refused.note.unwrap().contains("private"));

    // The platform goes away: syncing says so and changes nothing; the store answers.
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    let before = store.registry_info().unwrap().unwrap();
    assert!(matches!(client.sync_registry(&mut store, monaco).await, Err(ClientError::Offline(_))));
    assert_eq!(store.registry_info().unwrap().unwrap(), before);
    let here = vigie_core::LatLon::new(43.7333, 7.4156).unwrap();
    let near = store
        .index()
        .unwrap()
        .nearest(here, 3, chrono::Utc::now())
        .into_iter()
        .map(|n| n.camera.id.0.clone())
        .collect::<Vec<_>>();
    assert_eq!(near.len(), 3);
    assert!(!near.contains(&"osm:node/6459866647".to_string()), "the deleted camera is gone offline too");
}
