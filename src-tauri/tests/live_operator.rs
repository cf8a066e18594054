//! The CSU operator manages a body-cam stream in the real Tauri window (WebKitGTK under
//! Xvfb, tauri-driver) against the real platform on loopback: in « En direct », « Gérer »
//! a stream, let a unit watch it with a motif (a motif too short is refused, saying
//! why), withdraw that permission, then end the relay (a second press confirms). Each
//! decision is the platform's to check and audit; the test reads them back from it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use vigie_e2e::webdriver::{self, Driver};
use vigie_server::audit::Actor;
use vigie_server::db::LiveStreamRecord;
use vigie_server::model::{NewUser, Role};

use crate::common;
use crate::common::{approve, screenshots, Platform};

const PIN: &str = "482915";

#[test]
fn the_operator_grants_withdraws_and_ends_a_stream_from_the_window() {
    let _turn = common::one_window();
    webdriver::ensure_installed().unwrap_or_else(|e| panic!("{e}"));
    let app =
        std::env::var_os("VIGIE_E2E_APP").map(PathBuf::from).unwrap_or_else(|| env!("CARGO_BIN_EXE_vigie-app").into());
    let tmp = tempfile::tempdir().unwrap();
    let (platform_dir, device_dir, basemap) =
        (tmp.path().join("platform"), tmp.path().join("csu"), tmp.path().join("basemap"));
    for d in [&platform_dir, &device_dir, &basemap] {
        std::fs::create_dir_all(d).unwrap();
    }
    common::monaco_basemap(&basemap);
    let platform = Platform::new(&platform_dir, &basemap);
    let console = Actor::console();
    platform.db.add_unit("CSU", "Centre de supervision urbain (essai)", console.entry("unit.add", json!({}))).unwrap();
    let operator = NewUser {
        rio: "CSU-1".into(),
        name: "Opératrice Leroy".into(),
        rank: "gardien de la paix".into(),
        qualite: "APJ".into(),
        unit: "CSU".into(),
        role: Role::CsuOperator,
    };
    platform.db.add_user(&operator, chrono::Utc::now(), console.entry("user.add", json!({}))).unwrap();
    // A body-cam that will publish by WHIP: registered, not granted to anyone yet.
    let stream = LiveStreamRecord {
        id: "bc-op".into(),
        label: "Caméra-piéton 3 — patrouille Monte-Carlo".into(),
        source: "whip".into(),
        created_by: "CSU-1".into(),
        created_at: chrono::Utc::now(),
        ended_at: None,
        position: None,
        grants: Vec::new(),
    };
    platform.db.add_live_stream(&stream, &[5u8; 32], console.entry("live.source", json!({}))).unwrap();

    let env = vec![
        ("VIGIE_DATA_DIR", device_dir.display().to_string()),
        ("VIGIE_SYNC_INTERVAL_S", "2".into()),
        ("VIGIE_TEST_FAST_KDF", "1".into()),
        ("VIGIE_ENROL", format!("{},CSU-1,Poste CSU 1,{PIN}", platform.base())),
    ];
    let long = Duration::from_secs(60);
    let driver = Driver::start(&env).unwrap_or_else(|e| panic!("{e}"));
    let s = driver.session(&app).unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + long;
    while platform.db.devices().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the app never asked to enrol");
        std::thread::sleep(Duration::from_millis(200));
    }
    approve(&platform.db, "Poste CSU 1");

    // The operator sees the stream nobody may watch yet, and manages it.
    s.click_css("#tab-live").unwrap();
    s.wait_text("#live li", long, |t| t.contains("Caméra-piéton 3")).unwrap();
    s.click_css("#live li button.manage").unwrap();
    s.wait_text("#live-manage h3", long, |t| t.contains("Caméra-piéton 3")).unwrap();
    assert!(s.find_all("#live-grants li").unwrap().is_empty());

    // A motif too short: the platform refuses and the window says why.
    s.type_into("#grant-unit", "DSP-98").unwrap();
    s.type_into("#grant-motif", "rixe").unwrap();
    s.click_css("#grant-submit").unwrap();
    let refusal = s.wait_text("#live-manage-problem", long, |t| !t.is_empty()).unwrap();
    assert!(refusal.contains("motif"), "{refusal}");
    assert!(platform.db.live_stream("bc-op").unwrap().grants.is_empty());

    // A real motif: the unit may watch, the window lists it.
    let motif = "rixe avenue des Spélugues, renfort BAC";
    s.type_into("#grant-motif", motif).unwrap();
    s.click_css("#grant-submit").unwrap();
    let row = s.wait_text("#live-grants li[data-unit='DSP-98']", long, |t| t.contains("Spélugues")).unwrap();
    assert!(row.contains("CSU-1"), "who granted it: {row}");
    let grants = platform.db.live_stream("bc-op").unwrap().grants;
    assert_eq!((grants.len(), grants[0].unit.as_str(), grants[0].motif.as_str()), (1, "DSP-98", motif));
    assert_eq!(grants[0].by, "CSU-1");
    s.screenshot(&screenshots().join("l3-live-operator.png")).unwrap();

    // Withdrawn: gone from the window and from the platform.
    s.click_css("#live-grants li[data-unit='DSP-98'] button.revoke").unwrap();
    let deadline = Instant::now() + long;
    while !s.find_all("#live-grants li").unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the withdrawn unit is still listed");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(platform.db.live_stream("bc-op").unwrap().grants.is_empty());

    // Ending takes a second press, then the relay is over for everyone.
    s.click_css("#live-end").unwrap();
    s.wait_text("#live-end", long, |t| t.starts_with("Confirmer")).unwrap();
    assert!(platform.db.live_stream("bc-op").unwrap().ended_at.is_none(), "one press does not end it");
    s.click_css("#live-end").unwrap();
    let deadline = Instant::now() + long;
    while platform.db.live_stream("bc-op").unwrap().ended_at.is_none() {
        assert!(Instant::now() < deadline, "the relay was not ended");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Every decision is in the audit log, as the operator's.
    let (entries, _) = platform.db.audit_log().unwrap();
    for action in ["live.grant", "live.revoke", "live.end"] {
        assert!(
            entries.iter().any(|e| e.event.action == action && e.event.actor == "CSU-1"),
            "{action} by CSU-1 is audited"
        );
    }
    s.close().unwrap();
}
