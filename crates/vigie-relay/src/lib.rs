//! The live body-cam relay (issue "Live body-cam streams"). Its sans-IO pieces so far:
//! [`h264`] (access units, keyframes, picture size) and [`fmp4`] (the fragmented MP4 that
//! Media Source Extensions play, one fragment per frame), [`clock`] (when a frame was
//! captured, from the sender's reports), [`stamp`] (capture times drawn
//! into pixels, to measure delay end to end), [`stream::Stream`] (access units in, fMP4
//! fragments out per viewer), and its fan-out: frames go in with [`Fanout::push`], each viewer's writer takes them
//! out with [`Fanout::poll`]; no socket, no clock, no thread here, so the policy is tested
//! exhaustively and the network code around it stays dumb.
//!
//! The policy, from the issue: a new viewer starts at a keyframe (it receives the current
//! group of pictures from its keyframe on, so the first image decodes at once); a viewer
//! that falls behind by more than its budget drops what it has queued and resumes at the
//! next keyframe, instead of falling further behind; the relay never waits for a viewer.

pub mod clock;
pub mod fmp4;
pub mod h264;
pub mod stamp;
pub mod stream;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// One encoded frame (an H.264 access unit, say), shared by every viewer's queue, in the
/// two forms viewers take: an fMP4 fragment (WebSocket + MSE) and the Annex B access unit
/// (WebRTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Presentation time, milliseconds.
    pub pts_ms: u64,
    /// Whether decoding can start here.
    pub keyframe: bool,
    /// The bytes, shared: the fMP4 fragment (`prft`, `moof`, `mdat`).
    pub data: Arc<[u8]>,
    /// The access unit in Annex B (start codes), with the parameter sets before a keyframe.
    pub annexb: Arc<[u8]>,
    /// When the frame was captured, Unix milliseconds.
    pub captured_unix_ms: u64,
}

/// A viewer's handle.
pub type ViewerId = u64;

#[derive(Debug, Default)]
struct Viewer {
    queue: VecDeque<Frame>,
    bytes: usize,
    /// Dropped its backlog: waits for the next keyframe.
    waiting_keyframe: bool,
    /// Frames never delivered to it.
    dropped: u64,
}

/// The fan-out of one stream to its viewers.
#[derive(Debug)]
pub struct Fanout {
    /// The frames since the last keyframe (a late joiner starts with them).
    gop: Vec<Frame>,
    viewers: HashMap<ViewerId, Viewer>,
    /// The most a viewer may have queued, bytes; beyond, it drops to the next keyframe.
    budget: usize,
}

/// A viewer's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewerStats {
    /// Bytes queued now.
    pub queued_bytes: usize,
    /// Frames it never received (dropped because it was too slow).
    pub dropped: u64,
}

impl Fanout {
    /// A fan-out whose viewers may each lag by up to `budget` bytes.
    pub fn new(budget: usize) -> Fanout {
        Fanout { gop: Vec::new(), viewers: HashMap::new(), budget }
    }

    /// Adds a viewer; it starts at the current group's keyframe (or the next keyframe if
    /// none came yet).
    pub fn join(&mut self, id: ViewerId) {
        let mut v = Viewer::default();
        if self.gop.first().is_some_and(|f| f.keyframe) {
            for f in &self.gop {
                v.bytes += f.data.len();
                v.queue.push_back(f.clone());
            }
        } else {
            v.waiting_keyframe = true;
        }
        self.viewers.insert(id, v);
    }

    /// Removes a viewer.
    pub fn leave(&mut self, id: ViewerId) {
        self.viewers.remove(&id);
    }

    /// A frame from the publisher, queued for every viewer (never blocks).
    pub fn push(&mut self, frame: Frame) {
        if frame.keyframe {
            self.gop.clear();
        }
        if frame.keyframe || !self.gop.is_empty() {
            self.gop.push(frame.clone());
        }
        for v in self.viewers.values_mut() {
            if v.waiting_keyframe && !frame.keyframe {
                v.dropped += 1;
                continue;
            }
            v.waiting_keyframe = false;
            v.bytes += frame.data.len();
            v.queue.push_back(frame.clone());
            if v.bytes > self.budget {
                // Too far behind: drop the backlog, resume at the next keyframe.
                v.dropped += v.queue.len() as u64;
                v.queue.clear();
                v.bytes = 0;
                v.waiting_keyframe = true;
            }
        }
    }

    /// The next frame for viewer `id`, if any (its writer calls this when the socket can
    /// take more).
    pub fn poll(&mut self, id: ViewerId) -> Option<Frame> {
        let v = self.viewers.get_mut(&id)?;
        let f = v.queue.pop_front()?;
        v.bytes -= f.data.len();
        Some(f)
    }

    /// A viewer's counters.
    pub fn stats(&self, id: ViewerId) -> Option<ViewerStats> {
        self.viewers.get(&id).map(|v| ViewerStats { queued_bytes: v.bytes, dropped: v.dropped })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(pts_ms: u64, keyframe: bool, len: usize) -> Frame {
        Frame { pts_ms, keyframe, data: vec![0u8; len].into(), annexb: Arc::from([]), captured_unix_ms: 0 }
    }

    #[test]
    fn a_late_viewer_starts_at_the_keyframe_and_a_slow_one_skips_to_the_next() {
        let mut f = Fanout::new(10_000);
        f.join(1); // before any keyframe: waits for one
        f.push(frame(0, false, 100));
        f.push(frame(40, true, 3_000));
        f.push(frame(80, false, 500));
        f.join(2); // mid-group: gets the group from its keyframe
        assert_eq!(f.poll(2).map(|x| (x.pts_ms, x.keyframe)), Some((40, true)));
        assert_eq!(f.poll(2).map(|x| x.pts_ms), Some(80));
        assert_eq!(
            f.poll(1).map(|x| (x.pts_ms, x.keyframe)),
            Some((40, true)),
            "the frame before the keyframe is skipped"
        );
        assert_eq!(f.stats(1).unwrap().dropped, 1);

        // Viewer 2 stops reading: past its budget it drops everything, then resumes at
        // the next keyframe; viewer 1 keeps up and loses nothing.
        for i in 0..30 {
            let pts = 120 + i * 40;
            f.push(frame(pts, i % 10 == 0, 1_000));
            while f.poll(1).is_some() {}
        }
        let s = f.stats(2).unwrap();
        assert!(s.queued_bytes <= 10_000, "{s:?}");
        assert!(s.dropped > 0);
        assert!(f.poll(2).unwrap().keyframe, "after a drop, the first frame decodes");
        assert_eq!(f.stats(1).unwrap().dropped, 1);
    }

    proptest! {
        /// Whatever the frames and however viewers read: every viewer receives frames in
        /// order, starts at a keyframe, resumes at a keyframe after any gap, and never has
        /// more than its budget (plus one frame) queued.
        #[test]
        fn every_viewer_decodes_whatever_happens(
            frames in proptest::collection::vec((any::<bool>(), 1usize..4_000), 1..300),
            reads in proptest::collection::vec(0usize..4, 1..300),
            joins in proptest::collection::vec(0usize..300, 1..4),
        ) {
            let budget = 12_000;
            let mut f = Fanout::new(budget);
            let mut got: HashMap<ViewerId, Vec<Frame>> = HashMap::new();
            for (i, (key, len)) in frames.iter().enumerate() {
                for (v, at) in joins.iter().enumerate() {
                    if *at == i {
                        f.join(v as u64);
                        got.insert(v as u64, Vec::new());
                    }
                }
                f.push(frame(i as u64, *key || i == 0, *len));
                for (v, out) in got.iter_mut() {
                    for _ in 0..reads[i % reads.len()] * (*v as usize + 1) {
                        if let Some(x) = f.poll(*v) { out.push(x) }
                    }
                    let s = f.stats(*v).unwrap();
                    prop_assert!(s.queued_bytes <= budget + 4_000);
                }
            }
            for out in got.values() {
                if let Some(first) = out.first() {
                    prop_assert!(first.keyframe);
                }
                for w in out.windows(2) {
                    prop_assert!(w[0].pts_ms < w[1].pts_ms);
                    if w[1].pts_ms != w[0].pts_ms + 1 {
                        prop_assert!(w[1].keyframe, "after a gap at {} comes {}", w[0].pts_ms, w[1].pts_ms);
                    }
                }
            }
        }
    }
}
