//! The simulated body-cam: every frame, once encoded by x264 and decoded again by ffmpeg,
//! still says when it was captured, frame after frame, in real time.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

#[test]
fn capture_times_survive_encoding_and_decoding() {
    assert!(std::path::Path::new("/usr/bin/ffmpeg").exists(), "install ffmpeg (`cargo xtask test` does)");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cam.h264");
    let before = now_ms();
    let status = Command::new(env!("CARGO_BIN_EXE_vigie-bodycam"))
        .args(["--frames", "50", "--fps", "25", "--size", "640x360", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let after = now_ms();
    let raw = Command::new("/usr/bin/ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&out)
        .args(["-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .unwrap();
    assert!(raw.status.success(), "{}", String::from_utf8_lossy(&raw.stderr));
    let (w, h) = (640, 360);
    let stamps: Vec<Option<u64>> = raw.stdout.chunks(w * h).map(|f| vigie_relay::stamp::read(f, w, h)).collect();
    assert_eq!(stamps.len(), 50);
    let stamps: Vec<u64> = stamps.into_iter().map(|s| s.expect("every frame's stamp reads back")).collect();
    assert!(stamps.iter().all(|s| (before..=after).contains(s)), "{before}..{after}: {stamps:?}");
    let mut gaps: Vec<u64> =
        stamps.windows(2).map(|p| p[1].checked_sub(p[0]).expect("capture times increase")).collect();
    gaps.sort_unstable();
    assert!((30..=50).contains(&gaps[gaps.len() / 2]), "25 frames a second: median gap {} ms", gaps[gaps.len() / 2]);
}
