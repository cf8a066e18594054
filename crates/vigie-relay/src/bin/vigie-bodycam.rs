//! `vigie-bodycam`: a simulated body-cam for tests, demos and benchmarks. It draws a test
//! pattern whose every frame carries its capture time in pixels (`vigie_relay::stamp`),
//! in real time, and has Debian's ffmpeg encode it with x264 (zero latency, no B-frames,
//! a keyframe every second) as H.264 Annex B to a file or stdout.
//!
//! ```sh
//! vigie-bodycam --out cam.h264 --frames 250 --size 640x360 --fps 25
//! ```

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Options {
    out: String,
    frames: u64,
    width: usize,
    height: usize,
    fps: u64,
}

fn options() -> Result<Options, String> {
    let mut o = Options { out: "-".into(), frames: u64::MAX, width: 640, height: 360, fps: 25 };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a}: a value is expected"));
        match a.as_str() {
            "--out" => o.out = value()?,
            "--frames" => o.frames = value()?.parse().map_err(|e| format!("--frames: {e}"))?,
            "--fps" => o.fps = value()?.parse().map_err(|e| format!("--fps: {e}"))?,
            "--size" => {
                let v = value()?;
                let (w, h) = v.split_once('x').ok_or(format!("--size {v}: WIDTHxHEIGHT"))?;
                o.width = w.parse().map_err(|e| format!("--size: {e}"))?;
                o.height = h.parse().map_err(|e| format!("--size: {e}"))?;
            }
            other => return Err(format!("unknown argument {other} (--out FILE|-, --frames N, --size WxH, --fps N)")),
        }
    }
    if o.width % 2 == 1 || o.height % 2 == 1 || vigie_relay::stamp::block_size(o.width).is_none() {
        return Err(format!("--size {}x{}: even sizes, at least 464 pixels wide", o.width, o.height));
    }
    if o.fps == 0 {
        return Err("--fps: at least 1".into());
    }
    Ok(o)
}

fn main() -> std::process::ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("vigie-bodycam: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut ffmpeg = match Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p"])
        .args(["-s", &format!("{}x{}", o.width, o.height), "-r", &o.fps.to_string(), "-i", "-"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0"])
        .args(["-g", &o.fps.to_string(), "-pix_fmt", "yuv420p", "-f", "h264", &o.out])
        .stdin(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vigie-bodycam: ffmpeg: {e} (Debian package ffmpeg)");
            return std::process::ExitCode::from(1);
        }
    };
    let mut stdin = ffmpeg.stdin.take().expect("piped");
    let (w, h) = (o.width, o.height);
    let mut frame = vec![0u8; w * h * 3 / 2];
    let start = Instant::now();
    let period = Duration::from_nanos(1_000_000_000 / o.fps);
    for n in 0..o.frames {
        // Real time: frame n is captured at start + n periods.
        if let Some(wait) = (start + period * n as u32).checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let (luma, chroma) = frame.split_at_mut(w * h);
        luma.fill(96);
        chroma.fill(128);
        // A bar sweeping across, so the picture moves like a body-cam's.
        let x0 = (n as usize * 8) % w;
        for y in h / 3..h {
            let row = &mut luma[y * w..(y + 1) * w];
            row[x0..(x0 + 24).min(w)].fill(200);
        }
        let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        vigie_relay::stamp::draw(luma, w, h, ms);
        if stdin.write_all(&frame).is_err() {
            break;
        }
    }
    drop(stdin);
    match ffmpeg.wait() {
        Ok(s) if s.success() => std::process::ExitCode::SUCCESS,
        _ => std::process::ExitCode::from(1),
    }
}
