//! A relayed stream's viewers, read back by ffmpeg: one from the start, a late joiner in
//! the middle of a group of pictures, and a slow one that falls behind and skips ahead —
//! each gets bytes that decode from their first frame, without an error.

use std::process::Command;

use vigie_relay::h264;
use vigie_relay::stream::{Ingested, Stream};

fn encode(dir: &std::path::Path) -> Vec<u8> {
    assert!(std::path::Path::new("/usr/bin/ffmpeg").exists(), "install ffmpeg (`cargo xtask test` does)");
    let out = dir.join("cam.h264");
    let status = Command::new("/usr/bin/ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-frames:v", "100"])
        .args(["-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "25", "-bf", "0", "-f", "h264"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(out).unwrap()
}

/// Decodes `bytes` with ffmpeg: the frames it decoded, and what it complained about.
fn decode(dir: &std::path::Path, name: &str, bytes: &[u8]) -> (usize, String) {
    let path = dir.join(format!("{name}.mp4"));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("/usr/bin/ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&path)
        .args(["-f", "framemd5", "-"])
        .output()
        .unwrap();
    let frames = String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.starts_with('#')).count();
    (frames, String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn every_viewer_decodes_from_its_first_frame() {
    let dir = tempfile::tempdir().unwrap();
    let stream = encode(dir.path());
    let nals = h264::split_nals(&stream);
    let units = h264::access_units(&nals);
    assert_eq!(units.len(), 100);

    // A budget of two of the largest frames: the slow viewer below falls further behind.
    let size = |u: &Vec<&[u8]>| u.iter().map(|n| n.len() + 4).sum::<usize>() + 200;
    let budget = units.iter().map(size).max().unwrap() * 2;
    assert!(units[30..70].iter().map(size).sum::<usize>() > budget, "the test's premise");
    let mut s = Stream::new(budget);
    assert!(s.join(1).is_none(), "no parameters yet: nothing to start with");
    let mut got: Vec<Vec<u8>> = vec![Vec::new(); 4];
    let mut first_key: Vec<Option<bool>> = vec![None; 4];
    for (i, unit) in units.iter().enumerate() {
        let captured = 1_790_000_000_000 + i as u64 * 40;
        assert!(matches!(s.ingest(unit, i as u64 * 3600, captured), Ingested::Relayed { .. }));
        // Viewer 1 from the first frame, viewer 2 mid-group (frame 30), viewer 3 too, but slow.
        for (viewer, at) in [(1u64, 0usize), (2, 30), (3, 30)] {
            if i == at {
                got[viewer as usize].extend(s.join(viewer).unwrap().iter());
            }
        }
        // Viewers 1 and 2 keep up; viewer 3 reads nothing from frame 30 to 70.
        for viewer in [1u64, 2, 3] {
            if viewer == 3 && (30..70).contains(&i) {
                continue;
            }
            while let Some(f) = s.poll(viewer) {
                first_key[viewer as usize].get_or_insert(f.keyframe);
                // Each fragment says when its frame was captured, for the player's clock.
                let (ms, decode_time) = vigie_relay::fmp4::read_prft(&f.data).expect("a prft box first");
                assert_eq!((ms - 1_790_000_000_000) / 40 * 3600, decode_time);
                got[viewer as usize].extend(f.data.iter());
            }
        }
    }
    assert_eq!(s.info().map(|i| (i.width, i.height)), Some((320, 240)));
    assert!(s.stats(3).unwrap().dropped > 0, "the slow viewer skipped ahead");
    for viewer in 1..=3 {
        assert_eq!(first_key[viewer], Some(true), "viewer {viewer} starts at a keyframe");
        let (frames, errors) = decode(dir.path(), &format!("viewer{viewer}"), &got[viewer]);
        assert!(errors.is_empty(), "viewer {viewer}: {errors}");
        let expected = match viewer {
            1 => 100,
            2 => 75, // from the keyframe at 25
            _ => frames,
        };
        assert_eq!(frames, expected, "viewer {viewer}");
        if viewer == 3 {
            assert!((25..75).contains(&frames), "the slow viewer lost frames but decodes the rest: {frames}");
        }
    }
}
