//! The simulated body-cam for the live tests of every crate: `vigie-bodycam` (the test
//! pattern stamped with its capture time) behind its RTSP gateway,
//! `crates/vigie-relay/publish/bodycam-rtsp.py`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A simulated body-cam's script in `crates/vigie-relay/publish/`.
pub fn publish_script(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/vigie-relay/publish")).join(name)
}

/// `vigie-bodycam`, built by `cargo test --workspace` beside the calling test's binary.
pub fn bodycam_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("vigie-bodycam");
    assert!(
        bin.exists(),
        "{} is missing: `cargo build -p vigie-relay --bin vigie-bodycam` (cargo xtask test builds it)",
        bin.display()
    );
    bin
}

/// The simulated body-cam and its RTSP gateway, stopped when dropped.
pub struct RtspPublisher {
    /// `rtsp://…`, once it listens.
    pub url: String,
    child: Child,
}

impl RtspPublisher {
    /// Starts it on a free port; with `report` = (position URL, key, route) it also
    /// reports positions.
    pub fn start(report: Option<(&str, &str, &str)>) -> RtspPublisher {
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(publish_script("bodycam-rtsp.py")).arg("--bodycam").arg(bodycam_binary());
        cmd.args(["--port", "0", "--size", "640x360"]);
        if let Some((url, key, route)) = report {
            cmd.args(["--report", url, "--key", key, "--route", route]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 (cargo xtask test installs python3-gi and gir1.2-gst-rtsp-server-1.0)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("the publisher did not start: {line:?}"))
            .to_string();
        RtspPublisher { url, child }
    }
}

impl Drop for RtspPublisher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
