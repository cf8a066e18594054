//! The administration CLI, run as an administrator would, on a real SQLite file.

use crate::common;

use std::process::{Command, Output};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli { dir: tempfile::tempdir().unwrap() }
    }

    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("platform.sqlite3")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vigie-server"))
            .args(args)
            .env("VIGIE_DATABASE_URL", format!("sqlite://{}", self.db().display()))
            .env("VIGIE_LOG", "warn")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

#[test]
fn importing_the_paris_plan_and_asking_around_notre_dame() {
    let cli = Cli::new();
    let file = common::shared("cameras/paris-prefecture-police-2013.geojson");
    let report = cli.ok(&["import", file.to_str().unwrap(), "--holder", "Préfecture de police", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["report"]["imported"], 1389);
    assert_eq!(report["registry"]["inserted"], 1389);
    // Again: updates, never duplicates.
    let again: serde_json::Value = serde_json::from_str(&cli.ok(&[
        "import",
        file.to_str().unwrap(),
        "--holder",
        "Préfecture de police",
        "--json",
    ]))
    .unwrap();
    assert_eq!(
        (again["registry"]["inserted"].as_u64(), again["registry"]["unchanged"].as_u64()),
        (Some(0), Some(1389))
    );

    let near: serde_json::Value = serde_json::from_str(&cli.ok(&[
        "cameras",
        "near",
        "--lat",
        "48.8566",
        "--lon",
        "2.3522",
        "--radius-m",
        "500",
        "--json",
    ]))
    .unwrap();
    let near = near.as_array().unwrap();
    assert!(!near.is_empty(), "the Paris plan has cameras within 500 m of the Hôtel de Ville");
    assert!(near.iter().all(|h| h["distance_m"].as_f64().unwrap() <= 500.0 && h["holder"] == "Préfecture de police"));
    assert!(near.iter().all(|h| h["retention_known"] == false), "no retention given: the legal maximum is assumed");
    let text = cli.ok(&["cameras", "near", "--lat", "48.8566", "--lon", "2.3522", "--radius-m", "500"]);
    assert!(text.contains("effacées le"), "{text}");

    let seeing: serde_json::Value = serde_json::from_str(&cli.ok(&[
        "cameras",
        "seeing",
        "--lat",
        "48.8566",
        "--lon",
        "2.3522",
        "--at",
        "2026-11-20T21:30:00Z",
        "--json",
    ]))
    .unwrap();
    for h in seeing.as_array().unwrap() {
        assert_eq!(h["erased_at"], "2026-12-20T21:30:00Z", "30 days after the moment asked about");
        assert_eq!(h["visibility"], "possible", "the plan gives no directions");
    }

    let bad = cli.run(&["cameras", "near", "--lat", "0", "--lon", "0"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("(0, 0)"));
    assert_eq!(cli.ok(&["audit", "verify"]).trim(), "audit log intact: 5 entries");
}

#[test]
fn accounts_and_devices_from_the_console() {
    let cli = Cli::new();
    cli.ok(&["unit", "add", "--code", "BT-38", "--name", "Brigade territoriale de Grenoble"]);
    let out = cli.ok(&[
        "user",
        "add",
        "--rio",
        "RIO-1",
        "--name",
        "Camille Martin",
        "--rank",
        "adjudant",
        "--qualite",
        "OPJ",
        "--unit",
        "BT-38",
        "--role",
        "supervisor",
    ]);
    assert!(out.contains("user RIO-1 added"));
    let dup = cli.run(&["unit", "add", "--code", "BT-38", "--name", "x"]);
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("unit BT-38 already exists"));
    let nounit = cli.run(&[
        "user",
        "add",
        "--rio",
        "RIO-2",
        "--name",
        "x",
        "--rank",
        "x",
        "--qualite",
        "APJ",
        "--unit",
        "NOPE",
        "--role",
        "officer",
    ]);
    assert!(String::from_utf8_lossy(&nounit.stderr).contains("unit NOPE does not exist"));
    assert!(cli.ok(&["device", "list"]).contains("0 device(s)"));
    let missing = cli.run(&["device", "approve", "7"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("device 7 does not exist"));
}

/// Edits made directly in the database, as someone with file access would: each is
/// caught by `audit verify`, which names the first bad entry and exits non-zero.
#[test]
fn audit_verify_catches_changes_deletions_and_reordering() {
    let cli = Cli::new();
    for code in ["U1", "U2", "U3", "U4", "U5"] {
        cli.ok(&["unit", "add", "--code", code, "--name", code]);
    }
    assert_eq!(cli.ok(&["audit", "verify"]).trim(), "audit log intact: 5 entries");
    let pristine = std::fs::read(cli.db()).unwrap();
    let edits: &[(&str, &str)] = &[
        ("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3", "entry 3: its content does not match its hash"),
        ("DELETE FROM audit_log WHERE seq = 2", "entry 3: does not follow entry 1"),
        (
            // Swap two entries' places in the log (their sequence numbers).
            "UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3;
             UPDATE audit_log SET seq = 3 WHERE seq = -1;",
            "entry 2: its content does not match its hash",
        ),
        ("DELETE FROM audit_log WHERE seq = 5", "the log ends at entry 4 but its recorded head is entry 5"),
    ];
    for (sql, expected) in edits {
        std::fs::write(cli.db(), &pristine).unwrap();
        let _ = std::fs::remove_file(cli.db().with_extension("sqlite3-wal"));
        let conn = rusqlite::Connection::open(cli.db()).unwrap();
        conn.execute_batch(sql).unwrap();
        drop(conn);
        let out = cli.run(&["audit", "verify"]);
        assert_eq!(out.status.code(), Some(1), "{sql}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{sql}: {err}");
    }
}

#[test]
fn a_body_cam_stream_registered_and_granted_from_the_console() {
    let cli = Cli::new();
    cli.ok(&["unit", "add", "--code", "BAC", "--name", "BAC Nord"]);
    let bad = cli.run(&["live", "add", "--label", "Caméra-piéton 3", "--source", "http://gw/cam3"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--source: an rtsp:// URL or `whip` is expected"), "{bad:?}");
    let short =
        cli.run(&["live", "add", "--label", "C3", "--source", "rtsp://gw/cam3", "--grant", "BAC", "--motif", "x"]);
    assert!(String::from_utf8_lossy(&short.stderr).contains("--motif"), "{short:?}");
    let out = cli.ok(&[
        "live",
        "add",
        "--label",
        "Caméra-piéton 3",
        "--source",
        "rtsp://gw/cam3",
        "--grant",
        "BAC",
        "--motif",
        "interpellation rue Thiers",
    ]);
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["publisher_key"].as_str().unwrap().len(), 64);
    let db = vigie_server::db::Db::open_sqlite(&cli.db()).unwrap();
    let stream = db.live_stream(id).unwrap();
    assert_eq!(stream.source, "rtsp://gw/cam3");
    assert_eq!((stream.grants[0].unit.as_str(), stream.grants[0].motif.as_str()), ("BAC", "interpellation rue Thiers"));
    // The unit, the stream and its grant; the refused attempts wrote nothing.
    assert_eq!(cli.ok(&["audit", "verify"]).trim(), "audit log intact: 3 entries");
}
