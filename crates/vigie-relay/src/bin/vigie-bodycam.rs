//! `vigie-bodycam`: a simulated body-cam for tests, demos and benchmarks. It draws a test
//! pattern whose every frame carries its capture time in pixels (`vigie_relay::stamp`),
//! in real time, and has Debian's ffmpeg encode it with x264 (zero latency, no B-frames,
//! a keyframe every second) as H.264 Annex B to a file or stdout. With `--raw` it writes
//! the raw I420 frames instead, for an encoder of the caller's (the simulated docking
//! gateway, `publish/bodycam-rtsp.py`, encodes them in its GStreamer pipeline).
//!
//! ```sh
//! vigie-bodycam --out cam.h264 --frames 250 --size 640x360 --fps 25
//! vigie-bodycam --raw --out - | ...
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
    raw: bool,
}

fn options() -> Result<Options, String> {
    let mut o = Options { out: "-".into(), frames: u64::MAX, width: 640, height: 360, fps: 25, raw: false };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a}: a value is expected"));
        match a.as_str() {
            "--out" => o.out = value()?,
            "--raw" => o.raw = true,
            "--frames" => o.frames = value()?.parse().map_err(|e| format!("--frames: {e}"))?,
            "--fps" => o.fps = value()?.parse().map_err(|e| format!("--fps: {e}"))?,
            "--size" => {
                let v = value()?;
                let (w, h) = v.split_once('x').ok_or(format!("--size {v}: WIDTHxHEIGHT"))?;
                o.width = w.parse().map_err(|e| format!("--size: {e}"))?;
                o.height = h.parse().map_err(|e| format!("--size: {e}"))?;
            }
            other => {
                return Err(format!("unknown argument {other} (--out FILE|-, --frames N, --size WxH, --fps N, --raw)"))
            }
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
    if o.raw {
        let out: Box<dyn Write> = if o.out == "-" {
            Box::new(std::io::stdout().lock())
        } else {
            match std::fs::File::create(&o.out) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    eprintln!("vigie-bodycam: {}: {e}", o.out);
                    return std::process::ExitCode::from(1);
                }
            }
        };
        return match capture(&o, out) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            // The reader went away (the gateway stopped its encoder): a normal end.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("vigie-bodycam: {}: {e}", o.out);
                std::process::ExitCode::from(1)
            }
        };
    }
    let mut ffmpeg = match Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p"])
        .args(["-s", &format!("{}x{}", o.width, o.height), "-r", &o.fps.to_string(), "-i", "-"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0"])
        .args(["-g", &o.fps.to_string(), "-pix_fmt", "yuv420p", "-flush_packets", "1", "-f", "h264", &o.out])
        .stdin(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vigie-bodycam: ffmpeg: {e} (Debian package ffmpeg)");
            return std::process::ExitCode::from(1);
        }
    };
    let stdin = ffmpeg.stdin.take().expect("piped");
    // ffmpeg stopping early shows in its exit status below.
    let _ = capture(&o, stdin);
    match ffmpeg.wait() {
        Ok(s) if s.success() => std::process::ExitCode::SUCCESS,
        _ => std::process::ExitCode::from(1),
    }
}

/// Draws the frames in real time, each stamped with its capture time, into `out`.
fn capture(o: &Options, mut out: impl Write) -> std::io::Result<()> {
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
        out.write_all(&frame)?;
        out.flush()?;
    }
    Ok(())
}
