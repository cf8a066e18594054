//! One relayed stream, sans-IO: access units in (from whichever ingest: RTSP, WHIP), the
//! init segment and one fMP4 fragment per frame out to each viewer through the
//! [`Fanout`](crate::Fanout). A viewer's writer sends [`Stream::join`]'s init segment,
//! then whatever [`Stream::poll`] gives: fragments from a keyframe on, in order, with a
//! jump to the next keyframe if it fell too far behind.

use std::sync::Arc;

use crate::fmp4;
use crate::h264::{self, nal, SpsInfo};
use crate::{Fanout, Frame, ViewerId};

/// The frame duration assumed until two frames have been seen (25 frames a second).
const DEFAULT_DURATION: u32 = fmp4::TIMESCALE / 25;

/// What became of an access unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// Relayed to the viewers.
    Relayed {
        /// It was a keyframe.
        keyframe: bool,
    },
    /// Dropped: no SPS and PPS seen yet, so nobody could decode it.
    WaitingForParameters,
    /// Dropped: its SPS does not parse.
    BadParameters,
}

/// A stream and its viewers.
#[derive(Debug)]
pub struct Stream {
    sps: Option<Vec<u8>>,
    pps: Option<Vec<u8>>,
    init: Option<Arc<[u8]>>,
    info: Option<SpsInfo>,
    fanout: Fanout,
    sequence: u32,
    first_pts: Option<u64>,
    last_pts: Option<u64>,
    duration: u32,
}

impl Stream {
    /// A stream whose viewers may each lag by `budget` bytes before skipping ahead.
    pub fn new(budget: usize) -> Stream {
        Stream {
            sps: None,
            pps: None,
            init: None,
            info: None,
            fanout: Fanout::new(budget),
            sequence: 0,
            first_pts: None,
            last_pts: None,
            duration: DEFAULT_DURATION,
        }
    }

    /// One access unit (its NAL units, no start codes) presented at `pts` (90 kHz) and
    /// captured at `captured_unix_ms` (the publisher's clock when it says, the relay's
    /// arrival time otherwise): each fragment starts with a `prft` box carrying it.
    pub fn ingest(&mut self, unit: &[&[u8]], pts: u64, captured_unix_ms: u64) -> Ingested {
        for n in unit {
            match h264::nal_type(n) {
                // The first parameter sets make the init segment; a later change would
                // need every viewer to start again, which a body-cam does not do.
                nal::SPS if self.sps.is_none() => self.sps = Some(n.to_vec()),
                nal::PPS if self.pps.is_none() => self.pps = Some(n.to_vec()),
                _ => {}
            }
        }
        if self.init.is_none() {
            let (Some(sps), Some(pps)) = (&self.sps, &self.pps) else { return Ingested::WaitingForParameters };
            match fmp4::init_segment(sps, pps) {
                Ok((init, info)) => {
                    self.init = Some(init.into());
                    self.info = Some(info);
                }
                Err(_) => {
                    self.sps = None;
                    return Ingested::BadParameters;
                }
            }
        }
        let keyframe = h264::is_keyframe(unit);
        let first = *self.first_pts.get_or_insert(pts);
        let mut pts = pts.max(first);
        if let Some(last) = self.last_pts {
            if pts > last {
                self.duration = u32::try_from(pts - last).unwrap_or(DEFAULT_DURATION);
            } else {
                // A source that repeats or goes back in time: decode times must grow, or
                // a player drops the frame.
                pts = last + u64::from(self.duration);
            }
        }
        self.last_pts = Some(pts);
        self.sequence += 1;
        let decode_time = pts.saturating_sub(first);
        let data = [
            fmp4::prft(captured_unix_ms, decode_time),
            fmp4::media_segment(self.sequence, decode_time, self.duration, unit, keyframe),
        ]
        .concat();
        self.fanout.push(Frame {
            pts_ms: decode_time * 1000 / u64::from(fmp4::TIMESCALE),
            keyframe,
            data: data.into(),
            annexb: self.annexb(unit, keyframe).into(),
            captured_unix_ms,
        });
        Ingested::Relayed { keyframe }
    }

    /// `unit` with start codes, the parameter sets first if it is a keyframe without them
    /// (a WebRTC viewer joins at a keyframe and needs them there).
    fn annexb(&self, unit: &[&[u8]], keyframe: bool) -> Vec<u8> {
        let has_sps = unit.iter().any(|n| h264::nal_type(n) == nal::SPS);
        let mut params: Vec<&[u8]> = Vec::new();
        if keyframe && !has_sps {
            params.extend(self.sps.as_deref());
            params.extend(self.pps.as_deref());
        }
        let mut out = Vec::with_capacity(unit.iter().chain(&params).map(|n| n.len() + 4).sum());
        for n in params.iter().chain(unit) {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(n);
        }
        out
    }

    /// The picture size, once known.
    pub fn info(&self) -> Option<SpsInfo> {
        self.info
    }

    /// Adds a viewer; returns the init segment to send first (`None` until the stream's
    /// parameters are known: join again later).
    pub fn join(&mut self, viewer: ViewerId) -> Option<Arc<[u8]>> {
        let init = self.init.clone()?;
        self.fanout.join(viewer);
        Some(init)
    }

    /// Removes a viewer.
    pub fn leave(&mut self, viewer: ViewerId) {
        self.fanout.leave(viewer);
    }

    /// The next fragment for `viewer`, if any.
    pub fn poll(&mut self, viewer: ViewerId) -> Option<Frame> {
        self.fanout.poll(viewer)
    }

    /// A viewer's counters.
    pub fn stats(&self, viewer: ViewerId) -> Option<crate::ViewerStats> {
        self.fanout.stats(viewer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_before_the_parameter_sets_are_dropped_and_a_bad_sps_is_refused() {
        let mut s = Stream::new(1 << 20);
        let slice: &[u8] = &[0x65, 0x88, 0x84];
        assert_eq!(s.ingest(&[slice], 0, 0), Ingested::WaitingForParameters);
        assert!(s.join(1).is_none());
        let bad_sps: &[u8] = &[0x67, 0x42];
        let pps: &[u8] = &[0x68, 0xce, 0x3c, 0x80];
        assert_eq!(s.ingest(&[bad_sps, pps, slice], 3600, 0), Ingested::BadParameters);
        assert!(s.join(1).is_none());
    }

    #[test]
    fn a_keyframe_without_its_parameter_sets_gets_them_for_webrtc_viewers() {
        // x264's 320×240 baseline SPS (as in h264's tests), a PPS, an IDR and a P slice.
        let sps: &[u8] = &[
            0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03,
            0x03, 0x20, 0xf1, 0x42, 0xa4, 0x80,
        ];
        let pps: &[u8] = &[0x68, 0xce, 0x3c, 0x80];
        let idr: &[u8] = &[0x65, 0x88, 0x84, 0x21];
        let p: &[u8] = &[0x41, 0x9a, 0x02, 0x03];
        let mut s = Stream::new(1 << 20);
        s.ingest(&[sps, pps, idr], 0, 1_000);
        s.join(7).expect("parameters known");
        s.ingest(&[idr], 3600, 1_040);
        s.ingest(&[p], 7200, 1_080);
        let first = s.poll(7).unwrap();
        let again = s.poll(7).unwrap();
        let next = s.poll(7).unwrap();
        assert!(again.keyframe && !next.keyframe);
        assert_eq!(again.annexb, first.annexb, "the same keyframe, parameter sets restored");
        assert_eq!(h264::split_nals(&again.annexb), [sps, pps, idr]);
        assert_eq!(again.captured_unix_ms, 1_040);
        assert_eq!(&next.annexb[..], &[0, 0, 0, 1, 0x41, 0x9a, 0x02, 0x03], "a delta frame is sent as it came");
    }
}
