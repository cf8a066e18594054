//! What the live window tests share: the frame stamps read back from what the page shows.

use serde_json::json;
use vigie_e2e::webdriver::Session;

/// Page-side: at each video frame presented (requestVideoFrameCallback, or each
/// animation frame where there is none), the stamp's row of pixels, the page's clock and
/// the time the player shows. Returns whether requestVideoFrameCallback exists.
pub const COLLECT: &str = r#"
const c = document.createElement('canvas');
const ctx = c.getContext('2d', { willReadFrequently: true });
window.__stamps = [];
// The player replaces its <video> when it reconnects: take the current one each time.
const next = () => {
  const v = document.getElementById('live-video');
  if (v && v.requestVideoFrameCallback) v.requestVideoFrameCallback(grab); else requestAnimationFrame(grab);
};
const grab = (_, meta) => {
  const v = document.getElementById('live-video');
  if (v && v.videoWidth) {
    const w = v.videoWidth, b = Math.floor(w / 58);
    c.width = w; c.height = b;
    ctx.drawImage(v, 0, 0, w, v.videoHeight, 0, 0, w, v.videoHeight);
    const px = ctx.getImageData(0, 0, w, b).data;
    const row = [];
    for (let x = 0; x < w; x++) {
      const i = ((b >> 1) * w + x) * 4;
      row.push(Math.round(0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2]));
    }
    window.__stamps.push({ at: Date.now(), w, h: v.videoHeight, b, row,
                           shown: window.vigieLive.stats().shownCaptureMs,
                           frame: meta ? meta.presentedFrames : null });
    if (window.__stamps.length > 400) window.__stamps.shift();
  }
  if (window.__collecting) next();
};
window.__collecting = true;
next();
return !!HTMLVideoElement.prototype.requestVideoFrameCallback;
"#;

/// A frame the page showed whose stamp reads back.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    /// The page's clock when it was shown, ms since the Unix epoch.
    pub at: u64,
    /// The capture time in its pixels.
    pub stamp: u64,
    /// The capture time the player showed on screen then.
    pub shown: Option<u64>,
}

/// The frames the page sampled since the last [`take_stamps`].
pub struct Stamps {
    pub sampled: usize,
    pub seen: Vec<Seen>,
    /// The frames whose stamp does not read back, described for a failure's message: their
    /// place among the samples, their size and each block's luma.
    pub unread: Vec<String>,
}

impl Stamps {
    /// Capture → shown delays, sorted.
    pub fn delays(&self) -> Vec<u64> {
        let mut d: Vec<u64> = self.seen.iter().map(|s| s.at.saturating_sub(s.stamp)).collect();
        d.sort_unstable();
        d
    }
}

pub fn take_stamps(s: &Session) -> Stamps {
    let v = s.execute("const s = window.__stamps; window.__stamps = []; return s;", json!([])).unwrap();
    let all = v.as_array().cloned().unwrap_or_default();
    let (mut seen, mut unread) = (Vec::new(), Vec::new());
    for (i, e) in all.iter().enumerate() {
        let (w, b) = (e["w"].as_u64().unwrap_or(0) as usize, e["b"].as_u64().unwrap_or(0) as usize);
        let row: Vec<u8> =
            e["row"].as_array().map(|r| r.iter().map(|p| p.as_u64().unwrap_or(0) as u8).collect()).unwrap_or_default();
        // A plane with the stamp's middle row at its place (`read` samples it there).
        let mut luma = vec![0u8; w * b];
        if row.len() == w && b > 0 {
            luma[(b / 2) * w..(b / 2 + 1) * w].copy_from_slice(&row);
        }
        match (vigie_relay::stamp::read(&luma, w, b), e["at"].as_u64()) {
            (Some(stamp), Some(at)) => seen.push(Seen { at, stamp, shown: e["shown"].as_u64() }),
            _ => {
                let blocks: Vec<u8> = (0..58).filter_map(|k| row.get(k * b + b / 2).copied()).collect();
                unread.push(format!(
                    "sample {i} of {}, {w}×{} (presented frame {}): blocks {blocks:?}",
                    all.len(),
                    e["h"],
                    e["frame"]
                ));
            }
        }
    }
    Stamps { sampled: all.len(), seen, unread }
}

pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
