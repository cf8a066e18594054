//! The relay's fragmented MP4, read back by a real demuxer and decoder (Debian's ffmpeg):
//! an H.264 stream from x264 becomes one init segment and one fragment per frame, which
//! ffprobe and ffmpeg read whole, at the right size, every frame decoding.

use std::process::Command;

use vigie_relay::{fmp4, h264};

fn tool(name: &str) -> String {
    let path = format!("/usr/bin/{name}");
    assert!(std::path::Path::new(&path).exists(), "{path} is missing: install ffmpeg (`cargo xtask test` does)");
    path
}

/// `frames` frames of x264 at `size`, Annex B, a keyframe every `gop`.
fn encode(dir: &std::path::Path, size: &str, profile: &str, frames: u32, gop: u32) -> Vec<u8> {
    let out = dir.join(format!("{profile}.h264"));
    let status = Command::new(tool("ffmpeg"))
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", &format!("testsrc=size={size}:rate=25")])
        .args(["-frames:v", &frames.to_string(), "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", profile])
        .args(["-g", &gop.to_string(), "-bf", "0", "-f", "h264"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(out).unwrap()
}

fn mux(stream: &[u8]) -> (Vec<u8>, Vec<bool>) {
    let nals = h264::split_nals(stream);
    let units = h264::access_units(&nals);
    let sps = nals.iter().find(|n| h264::nal_type(n) == h264::nal::SPS).unwrap();
    let pps = nals.iter().find(|n| h264::nal_type(n) == h264::nal::PPS).unwrap();
    let (mut file, _) = fmp4::init_segment(sps, pps).unwrap();
    let mut keys = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        let key = h264::is_keyframe(unit);
        keys.push(key);
        file.extend(fmp4::media_segment(i as u32 + 1, i as u64 * 3600, 3600, unit, key));
    }
    (file, keys)
}

fn probe(file: &std::path::Path) -> serde_json::Value {
    let out = Command::new(tool("ffprobe"))
        .args(["-v", "error", "-count_frames", "-show_entries", "stream=codec_name,width,height,nb_read_frames"])
        .args(["-of", "json"])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["streams"][0].clone()
}

#[test]
fn every_frame_of_the_fragmented_stream_is_read_and_decoded() {
    let dir = tempfile::tempdir().unwrap();
    for (size, profile, w, h) in [("320x240", "baseline", 320, 240), ("640x360", "high", 640, 360)] {
        let (file, keys) = mux(&encode(dir.path(), size, profile, 50, 25));
        assert_eq!(keys.iter().filter(|k| **k).count(), 2, "{profile}: a keyframe every 25 frames");
        assert!(keys[0] && keys[25], "{profile}");
        let path = dir.path().join(format!("{profile}.mp4"));
        std::fs::write(&path, &file).unwrap();
        let s = probe(&path);
        assert_eq!(s["codec_name"], "h264", "{profile}: {s}");
        assert_eq!((s["width"].as_u64(), s["height"].as_u64()), (Some(w), Some(h)), "{profile}");
        assert_eq!(s["nb_read_frames"], "50", "{profile}: {s}");
        let decode = Command::new(tool("ffmpeg"))
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-f", "null", "-"])
            .output()
            .unwrap();
        assert!(
            decode.status.success() && decode.stderr.is_empty(),
            "{profile}: {}",
            String::from_utf8_lossy(&decode.stderr)
        );
    }
}

#[test]
fn a_late_joiner_starting_at_a_keyframe_decodes_from_its_first_fragment() {
    let dir = tempfile::tempdir().unwrap();
    let stream = encode(dir.path(), "320x240", "baseline", 50, 25);
    let nals = h264::split_nals(&stream);
    let units = h264::access_units(&nals);
    let sps = nals.iter().find(|n| h264::nal_type(n) == h264::nal::SPS).unwrap();
    let pps = nals.iter().find(|n| h264::nal_type(n) == h264::nal::PPS).unwrap();
    // Joins at the second keyframe: the init segment, then fragments from frame 25 on.
    let (mut file, _) = fmp4::init_segment(sps, pps).unwrap();
    for (i, unit) in units.iter().enumerate().skip(25) {
        file.extend(fmp4::media_segment(i as u32 + 1, i as u64 * 3600, 3600, unit, h264::is_keyframe(unit)));
    }
    let path = dir.path().join("late.mp4");
    std::fs::write(&path, &file).unwrap();
    assert_eq!(probe(&path)["nb_read_frames"], "25");
    let decode =
        Command::new(tool("ffmpeg")).args(["-v", "error", "-i"]).arg(&path).args(["-f", "null", "-"]).output().unwrap();
    assert!(decode.stderr.is_empty(), "{}", String::from_utf8_lossy(&decode.stderr));
}
