//! The live relay's WebRTC peers: WHEP viewers (the stream's frames out as RTP, where the
//! webview has `RTCPeerConnection`) and WHIP publishers (a body-cam's frames in). str0m
//! does WebRTC sans-IO; this module is its socket and timer loop, and the glue to the
//! relay's [`Stream`](vigie_relay::stream::Stream): H.264 as it came, never transcoded.
//!
//! Each peer gets UDP sockets of its own, one per host candidate: the address it reached
//! the platform's HTTP on, first, and the host's other IPv4 addresses (a peer on this
//! very host may not use loopback: libnice never does). The platform is ICE-lite: the
//! peer's own candidates are not needed (browsers hide theirs behind mDNS names anyway),
//! it finds us.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{KeyframeRequestKind, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{AbsCaptureTime, Extension};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vigie_relay::clock::{self, SenderClock};
use vigie_relay::ViewerId;

use crate::live::{unix_ms, Relay};

/// A peer that has not connected (ICE and DTLS) by then is dropped.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The RTP header extension id the platform offers for the capture time.
const ABS_CAPTURE_TIME_ID: u8 = 7;
/// How often the relay sends its RTCP reports (str0m's defaults: 1 s for video, 5 s for audio).
const RTCP_REPORT_INTERVAL: Duration = Duration::from_millis(250);

/// Which way the video goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// WHEP: the peer receives.
    Viewer,
    /// WHIP: the peer sends.
    Publisher,
}

/// A peer whose offer was answered, not yet connected.
pub struct Peer {
    rtc: Rtc,
    sockets: Vec<Arc<UdpSocket>>,
    /// Datagrams from every socket: (bytes, from, to).
    incoming: mpsc::Receiver<(Vec<u8>, SocketAddr, SocketAddr)>,
    readers: Vec<tokio::task::AbortHandle>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        for r in &self.readers {
            r.abort();
        }
    }
}

/// Where the platform offers to be reached: `first` (the address the peer reached the
/// HTTP API on), then the host's other IPv4 addresses that are up (loopback only if
/// `first` is).
fn host_addresses(first: IpAddr) -> Vec<IpAddr> {
    let mut out = vec![first];
    let others = if_addrs::get_if_addrs().unwrap_or_default().into_iter().filter(|i| {
        i.is_oper_up() && !i.is_link_local() && i.ip().is_ipv4() && (first.is_loopback() || !i.is_loopback())
    });
    for i in others {
        if !out.contains(&i.ip()) {
            out.push(i.ip());
        }
    }
    out
}

/// Answers the peer's SDP `offer`, listening on `ip`: the SDP answer and the peer to run.
/// Errors (for the HTTP answer, 400) say what the offer lacks.
pub async fn answer(offer: &str, ip: IpAddr, side: Side) -> Result<(String, Peer), String> {
    let parsed = SdpOffer::from_sdp_string(offer).map_err(|e| format!("the body is not an SDP offer: {e}"))?;
    if !offer.lines().any(|l| l.starts_with("m=video")) {
        return Err("the offer has no video".into());
    }
    if !offer.to_ascii_uppercase().contains("H264/90000") {
        return Err("the offer has no H.264: the relay passes the body-cam's H.264 through, untranscoded".into());
    }
    let rtc = RtcConfig::new()
        .set_ice_lite(true)
        .clear_codecs()
        .enable_h264(true)
        .set_extension(ABS_CAPTURE_TIME_ID, Extension::AbsoluteCaptureTime)
        // Reports four times a second rather than every second (video) or five (audio; str0m
        // counts a stream without RTX, as body-cams send, as audio): a WHIP body-cam notices
        // from the reports' silence within a second that the relay is gone (and publishes
        // again), a viewer gets the capture clock sooner. A few small packets a second.
        .set_rtcp_report_interval_video(RTCP_REPORT_INTERVAL)
        .set_rtcp_report_interval_audio(RTCP_REPORT_INTERVAL)
        .build(Instant::now());
    let (tx, incoming) = mpsc::channel(256);
    // Built first, so that its reader tasks end with it whatever happens below.
    let mut peer = Peer { rtc, sockets: Vec::new(), incoming, readers: Vec::new() };
    for (i, addr) in host_addresses(ip).into_iter().enumerate() {
        let socket = match UdpSocket::bind(SocketAddr::new(addr, 0)).await {
            Ok(s) => Arc::new(s),
            Err(e) if i == 0 => return Err(format!("no UDP port on {addr}: {e}")),
            Err(_) => continue, // an address going away: the others remain
        };
        let local = socket.local_addr().map_err(|e| e.to_string())?;
        let Ok(candidate) = Candidate::host(local, "udp") else { continue };
        peer.rtc.add_local_candidate(candidate);
        peer.readers.push(tokio::spawn(read(socket.clone(), local, tx.clone())).abort_handle());
        peer.sockets.push(socket);
    }
    let answer = peer.rtc.sdp_api().accept_offer(parsed).map_err(|e| format!("the offer cannot be answered: {e}"))?;
    let sdp = answer.to_sdp_string();
    // What the peer wants must be what this side does.
    let wanted = match side {
        Side::Viewer => "a=sendonly",
        Side::Publisher => "a=recvonly",
    };
    if !sdp.lines().any(|l| l == wanted) {
        let what = match side {
            Side::Viewer => "a viewer's offer must receive video (recvonly)",
            Side::Publisher => "a publisher's offer must send video (sendonly)",
        };
        return Err(what.into());
    }
    Ok((sdp, peer))
}

/// Forwards what `socket` receives to its peer's loop (drops datagrams while the loop is
/// busy: WebRTC recovers from loss, never from a stall).
async fn read(socket: Arc<UdpSocket>, local: SocketAddr, tx: mpsc::Sender<(Vec<u8>, SocketAddr, SocketAddr)>) {
    let mut buf = vec![0u8; 2000];
    while let Ok((n, from)) = socket.recv_from(&mut buf).await {
        if let Err(mpsc::error::TrySendError::Closed(_)) = tx.try_send((buf[..n].to_vec(), from, local)) {
            return;
        }
    }
}

/// What a peer's loop is told to do next.
enum Step {
    Continue,
    Stop(String),
}

impl Peer {
    /// Drains str0m's output: sends what it transmits, hands events to `on_event`; returns
    /// when str0m next wants the time.
    async fn drain(&mut self, mut on_event: impl FnMut(&mut Rtc, Event) -> Step) -> Result<Instant, String> {
        loop {
            match self.rtc.poll_output().map_err(|e| format!("webrtc: {e}"))? {
                Output::Timeout(t) => return Ok(t),
                Output::Transmit(t) => {
                    // A lost datagram is WebRTC's business (NACK, PLI), not an error here.
                    let socket = self.sockets.iter().find(|s| s.local_addr().is_ok_and(|a| a == t.source));
                    if let Some(socket) = socket {
                        let _ = socket.send_to(&t.contents, t.destination).await;
                    }
                }
                Output::Event(e) => {
                    if let Step::Stop(why) = on_event(&mut self.rtc, e) {
                        return Err(why);
                    }
                }
            }
        }
    }

    fn receive(&mut self, buf: &[u8], source: SocketAddr, destination: SocketAddr) -> Result<(), String> {
        let Ok(contents) = buf.try_into() else { return Ok(()) };
        let input = Input::Receive(Instant::now(), Receive { proto: Protocol::Udp, source, destination, contents });
        self.rtc.handle_input(input).map_err(|e| format!("webrtc: {e}"))
    }

    fn tick(&mut self) -> Result<(), String> {
        self.rtc.handle_input(Input::Timeout(Instant::now())).map_err(|e| format!("webrtc: {e}"))
    }

    /// Sends the relay's frames to a WHEP viewer until it leaves or `stop` is cancelled:
    /// the frames sent and why it stopped. The viewer joins the fan-out once connected,
    /// so its first frame is a keyframe; the frames since that keyframe go out at once,
    /// stamped a tick apart, so its jitter buffer plays the newest at once rather than
    /// staying a group of pictures behind.
    pub async fn run_viewer(mut self, relay: &Relay, viewer: ViewerId, stop: CancellationToken) -> (u64, String) {
        let started = Instant::now();
        let mut frames = relay.frames();
        let (mut mid, mut pt): (Option<Mid>, Option<Pt>) = (None, None);
        let (mut connected, mut joined, mut sent) = (false, false, 0u64);
        let why = loop {
            if connected && !joined && relay.join(viewer).is_some() {
                joined = true;
            }
            if let (true, Some(mid)) = (joined, mid) {
                let batch: Vec<_> = std::iter::from_fn(|| relay.poll(viewer)).collect();
                let newest = batch.last().map_or(0, |f| f.pts_ms * 90);
                let first = sent == 0;
                let mut failed = None;
                for (k, f) in batch.iter().enumerate() {
                    let rtp = if first { newest.saturating_sub((batch.len() - 1 - k) as u64) } else { f.pts_ms * 90 };
                    if let Err(e) = write(&mut self.rtc, mid, &mut pt, f, rtp) {
                        failed = Some(e);
                        break;
                    }
                    sent += 1;
                }
                if let Some(e) = failed {
                    break e;
                }
            }
            let timeout = match self
                .drain(|_, e| match e {
                    Event::MediaAdded(m) if m.kind == MediaKind::Video => {
                        mid = Some(m.mid);
                        Step::Continue
                    }
                    Event::Connected => {
                        connected = true;
                        Step::Continue
                    }
                    Event::IceConnectionStateChange(IceConnectionState::Disconnected) | Event::Closed => {
                        Step::Stop("viewer left".into())
                    }
                    _ => Step::Continue,
                })
                .await
            {
                Ok(t) => t,
                Err(why) => break why,
            };
            if !connected && started.elapsed() > CONNECT_TIMEOUT {
                break format!("did not connect within {CONNECT_TIMEOUT:?}");
            }
            tokio::select! {
                r = self.incoming.recv() => match r {
                    Some((buf, from, to)) => if let Err(e) = self.receive(&buf, from, to) { break e },
                    None => break "udp: no socket left".into(),
                },
                () = tokio::time::sleep_until(timeout.into()) => if let Err(e) = self.tick() { break e },
                r = frames.changed(), if joined => if r.is_err() { break "relay stopped".into() },
                () = stop.cancelled() => break "stopped".into(),
            }
        };
        self.rtc.disconnect();
        let _ = self.drain(|_, _| Step::Continue).await;
        (sent, why)
    }

    /// Feeds a WHIP publisher's frames to `relay` until it leaves or `stop` is cancelled:
    /// the frames relayed and why it stopped. Frames are stamped from the publisher's
    /// sender reports (its arrival time until the first); its RTP times become the
    /// relay's times counted from its first frame, as an RTSP pull does.
    pub async fn run_publisher(mut self, relay: &Relay, stop: CancellationToken) -> (u64, String) {
        let started = Instant::now();
        let (mut connected, mut relayed, mut first_rtp) = (false, 0u64, None::<u64>);
        // Packets were lost: what follows cannot decode until the next keyframe.
        let mut broken = false;
        let why = loop {
            let timeout = match self
                .drain(|rtc, e| match e {
                    Event::Connected => {
                        connected = true;
                        Step::Continue
                    }
                    Event::MediaData(d) if d.params.spec().codec == Codec::H264 => {
                        if d.is_keyframe() {
                            broken = false;
                        } else if broken || !d.contiguous {
                            // Ask the body-cam for a keyframe at once rather than relay
                            // pictures nobody can decode.
                            if !broken {
                                if let Some(mut w) = rtc.writer(d.mid) {
                                    let _ = w.request_keyframe(d.rid, KeyframeRequestKind::Pli);
                                }
                            }
                            broken = true;
                            return Step::Continue;
                        }
                        let rtp = d.time.numer();
                        let first = *first_rtp.get_or_insert(rtp);
                        let sender = d.last_sender_info.and_then(|s| {
                            let unix_ms = s.ntp_time.duration_since(UNIX_EPOCH).ok()?.as_millis() as u64;
                            Some(SenderClock { rtp: s.rtp_time.numer() as u32, unix_ms })
                        });
                        let arrival = unix_ms().saturating_sub(d.network_time.elapsed().as_millis() as u64);
                        let captured = clock::captured_ms(sender, rtp as u32, d.time.denom(), arrival);
                        let pts = rtp.saturating_sub(first) * 90_000 / u64::from(d.time.denom().max(1));
                        let nals = vigie_relay::h264::split_nals(&d.data);
                        if matches!(relay.ingest(&nals, pts, captured), vigie_relay::stream::Ingested::Relayed { .. }) {
                            relayed += 1;
                        }
                        Step::Continue
                    }
                    Event::IceConnectionStateChange(IceConnectionState::Disconnected) | Event::Closed => {
                        Step::Stop("publisher left".into())
                    }
                    _ => Step::Continue,
                })
                .await
            {
                Ok(t) => t,
                Err(why) => break why,
            };
            if !connected && started.elapsed() > CONNECT_TIMEOUT {
                break format!("did not connect within {CONNECT_TIMEOUT:?}");
            }
            tokio::select! {
                r = self.incoming.recv() => match r {
                    Some((buf, from, to)) => if let Err(e) = self.receive(&buf, from, to) { break e },
                    None => break "udp: no socket left".into(),
                },
                () = tokio::time::sleep_until(timeout.into()) => if let Err(e) = self.tick() { break e },
                () = stop.cancelled() => break "stopped".into(),
            }
        };
        self.rtc.disconnect();
        let _ = self.drain(|_, _| Step::Continue).await;
        (relayed, why)
    }
}

/// Writes one frame to the viewer, on the H.264 payload type it accepted (chosen at the
/// first frame), stamped with its capture time: in the `abs-capture-time` extension, and
/// in the sender reports (whose wall clock is the capture's).
fn write(rtc: &mut Rtc, mid: Mid, pt: &mut Option<Pt>, f: &vigie_relay::Frame, rtp: u64) -> Result<(), String> {
    let writer = rtc.writer(mid).ok_or("the viewer's video is gone")?;
    let pt = match pt {
        Some(pt) => *pt,
        None => {
            let chosen = writer
                .payload_params()
                .filter(|p| p.spec().codec == Codec::H264 && p.spec().format.packetization_mode == Some(1))
                .map(|p| p.pt())
                .next()
                .ok_or("the viewer accepts no H.264 in packetization mode 1")?;
            *pt = Some(chosen);
            chosen
        }
    };
    let captured = UNIX_EPOCH + Duration::from_millis(f.captured_unix_ms);
    let age = SystemTime::now().duration_since(captured).unwrap_or_default();
    let wallclock = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
    writer
        .abs_capture_time(AbsCaptureTime { capture_time: captured, clock_offset: None })
        .write(pt, wallclock, MediaTime::from_90khz(rtp), Arc::clone(&f.annexb))
        .map_err(|e| format!("webrtc: {e}"))
}
