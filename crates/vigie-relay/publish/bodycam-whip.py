#!/usr/bin/python3
"""A simulated body-cam that publishes by WHIP (WebRTC-HTTP ingestion, RFC 9725): GStreamer's
webrtcbin (Debian's gstreamer1.0-plugins-bad, gstreamer1.0-nice) sending `vigie-bodycam`'s
test pattern (every frame carries its capture time in pixels) encoded as a body-cam does:
H.264 by x264 at zero latency, constrained baseline (what every WebRTC peer decodes), no
B-frames, a keyframe a second. The relay takes it as it comes, untranscoded.

Non-trickle: the offer is posted once ICE gathering is complete (the relay is ICE-lite and
answers with its addresses). When the peer connection fails or is not up 5 s after the
answer, or the relay's RTCP reports (four a second) stop for 1 s, or the POST fails, the
body-cam starts again with backoff (250 ms doubling to 2 s), as a body-cam on a patchy
network does. Refused (a wrong key, a relay the operator ended: 401, 403, 409), it stops
and exits with status 2.

With --report URL it also reports the body-cam's position every second, walking along
--route (`lat,lon;lat,lon;...`), with the same key.

    bodycam-whip.py --bodycam target/debug/vigie-bodycam \\
        --whip http://127.0.0.1:8080/v1/live/bc-…/whip --key KEY
    -> prints `publishing <session URL>` once the relay answered, `connected` once media flows

Uses Debian's Python (/usr/bin/python3) for its GObject bindings.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway import parse_route, report_positions  # noqa: E402

PROG = "bodycam-whip"
RETRY_FIRST_S = 0.25
RETRY_MAX_S = 2.0
# No RTCP receiver report from the relay for this long: it is gone, start again.
SILENT_RELAY_S = 1.0
# Connected (ICE, DTLS) this long after the relay's answer at most: slower than a report
# interval on a loaded or distant link.
CONNECT_S = 5.0
CHECK_RELAY_MS = 250


def log(msg):
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


class Attempt:
    """One publication: an encoder process, a pipeline, a WHIP session."""

    def __init__(self, body, args):
        self.body = body
        self.args = args
        self.location = None
        self.done = False
        self.answered_at = None
        self.last_report = None
        self.hooked = False
        width, height = args.size.split("x")
        cmd = [args.bodycam, "--raw", "--out", "-", "--size", args.size, "--fps", str(args.fps)]
        self.encoder = subprocess.Popen(cmd, stdout=subprocess.PIPE)
        self.pipe = Gst.parse_launch(
            f"fdsrc name=src fd={self.encoder.stdout.fileno()} ! rawvideoparse format=i420 width={width} "
            f"height={height} framerate={args.fps}/1 ! x264enc tune=zerolatency speed-preset=ultrafast bframes=0 "
            f"key-int-max={args.fps} ! video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 "
            "pt=96 aggregate-mode=zero-latency ! "
            "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000 ! "
            "webrtcbin name=webrtc bundle-policy=max-bundle latency=0"
        )
        self.webrtc = self.pipe.get_by_name("webrtc")
        self.webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.webrtc.connect("notify::ice-gathering-state", self.on_gathering)
        self.webrtc.connect("notify::connection-state", self.on_connection)
        self.offered = False
        self.pipe.set_state(Gst.State.PLAYING)
        GLib.timeout_add(2000, self.post_offer)  # gathering may never say complete
        self.watch = GLib.timeout_add(CHECK_RELAY_MS, self.check_relay)

    def on_negotiation_needed(self, webrtc):
        tr = webrtc.emit("get-transceiver", 0)
        if tr is not None:
            tr.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        webrtc.emit("create-offer", None, Gst.Promise.new_with_change_func(self.on_offer, None))

    def on_offer(self, promise, _):
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply is not None and reply.has_field("offer") else None
        if offer is None:
            log(f"no offer: {reply.to_string() if reply is not None else 'no reply'}")
            GLib.idle_add(self.body.failed, self)
            return
        self.webrtc.emit("set-local-description", offer, Gst.Promise.new())

    def on_gathering(self, webrtc, _spec):
        if webrtc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(self.post_offer)

    def post_offer(self):
        if self.offered or self.done:
            return False
        desc = self.webrtc.get_property("local-description")
        if desc is None:
            return True  # not yet: try again at the next tick
        self.offered = True
        sdp = desc.sdp.as_text()
        threading.Thread(target=self.whip_post, args=(sdp,), daemon=True).start()
        return False

    def whip_post(self, sdp):
        a = self.args
        req = urllib.request.Request(a.whip, data=sdp.encode(), method="POST")
        req.add_header("Content-Type", "application/sdp")
        req.add_header("Authorization", f"Bearer {a.key}")
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                status, answer, location = r.status, r.read().decode(), r.headers.get("Location")
        except urllib.error.HTTPError as e:
            log(f"the relay answered {e.code}: {e.read().decode(errors='replace')}")
            # A wrong key, another stream's key, a relay the operator ended: asking again
            # changes nothing.
            GLib.idle_add(self.body.refused if e.code in (401, 403, 409) else self.body.failed, self)
            return
        except Exception as e:
            log(f"the relay is unreachable: {e}")
            GLib.idle_add(self.body.failed, self)
            return
        if status != 201 or not location:
            log(f"the relay answered {status} without a session")
            GLib.idle_add(self.body.failed, self)
            return
        GLib.idle_add(self.on_answer, answer, urllib.parse.urljoin(a.whip, location))

    def on_answer(self, answer, location):
        if self.done:
            return False
        self.location = location
        print(f"publishing {location}", flush=True)
        ok, msg = GstSdp.SDPMessage.new_from_text(answer)
        if ok != GstSdp.SDPResult.OK:
            log("the relay's answer is not SDP")
            self.body.failed(self)
            return False
        desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        self.webrtc.emit("set-remote-description", desc, Gst.Promise.new())
        self.answered_at = time.monotonic()
        return False

    def on_connection(self, webrtc, _spec):
        state = webrtc.get_property("connection-state")
        if state == GstWebRTC.WebRTCPeerConnectionState.CONNECTED:
            # The silence clock starts now at the latest: the first report is due within
            # a report interval, and the relay may die before sending it.
            if self.last_report is None:
                self.last_report = time.monotonic()
            print("connected", flush=True)
            GLib.idle_add(self.body.connected, self)
        elif state in (
            GstWebRTC.WebRTCPeerConnectionState.FAILED,
            GstWebRTC.WebRTCPeerConnectionState.DISCONNECTED,
            GstWebRTC.WebRTCPeerConnectionState.CLOSED,
        ):
            log(f"peer connection {state.value_nick}")
            GLib.idle_add(self.body.failed, self)

    def check_relay(self):
        """The relay's RTCP reports must keep coming once it answered."""
        if self.done:
            return False
        if self.answered_at is None:
            return True
        if not self.hooked:
            # webrtcbin's rtpbin session 0 (everything is bundled on it) says when an RTCP
            # packet arrives: the relay's receiver reports, four a second.
            rtpbin = self.webrtc.get_by_name("rtpbin")
            session = rtpbin.emit("get-internal-session", 0) if rtpbin is not None else None
            if session is not None:
                session.connect("on-receiving-rtcp", self.on_rtcp)
                self.hooked = True
        now = time.monotonic()
        if self.last_report is None:
            if now - self.answered_at > CONNECT_S:
                log(f"not connected {CONNECT_S:.0f} s after the relay's answer")
                GLib.idle_add(self.body.failed, self)
        elif now - self.last_report > SILENT_RELAY_S:
            log(f"no report from the relay for {SILENT_RELAY_S:.1f} s")
            GLib.idle_add(self.body.failed, self)
        return True

    def on_rtcp(self, _session, _buffer):
        # A streaming thread: one assignment, read by check_relay on the main loop.
        self.last_report = time.monotonic()

    def stop(self, delete):
        if self.done:
            return
        self.done = True
        GLib.source_remove(self.watch)
        if delete and self.location:
            req = urllib.request.Request(self.location, method="DELETE")
            req.add_header("Authorization", f"Bearer {self.args.key}")
            try:
                urllib.request.urlopen(req, timeout=2).read()
            except Exception:
                pass
        self.pipe.set_state(Gst.State.NULL)
        self.encoder.kill()
        self.encoder.wait()


class Bodycam:
    """Publishes, and starts again with backoff whenever a publication fails."""

    def __init__(self, args):
        self.args = args
        self.delay = RETRY_FIRST_S
        self.attempt = None
        self.on_refused = lambda: None
        self.start()

    def start(self):
        self.attempt = Attempt(self, self.args)
        return False

    def connected(self, attempt):
        if attempt is self.attempt:
            self.delay = RETRY_FIRST_S
        return False

    def failed(self, attempt):
        if attempt is not self.attempt or attempt.done:
            return False
        attempt.stop(delete=True)
        log(f"publishing again in {self.delay:.2f} s")
        GLib.timeout_add(int(self.delay * 1000), self.start)
        self.delay = min(self.delay * 2, RETRY_MAX_S)
        return False

    def refused(self, attempt):
        log("refused: the body-cam stops publishing")
        attempt.stop(delete=False)
        self.on_refused()
        return False

    def stop(self):
        if self.attempt:
            self.attempt.stop(delete=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bodycam", required=True, help="the vigie-bodycam binary")
    p.add_argument("--whip", required=True, help="the relay's WHIP endpoint for this stream")
    p.add_argument("--key", required=True, help="the stream's publisher key (Bearer)")
    p.add_argument("--size", default="640x360")
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--report", help="the platform's position URL for this stream")
    p.add_argument("--route", default="43.7384,7.4246", help="lat,lon;lat,lon;... walked while streaming")
    args = p.parse_args()
    route = parse_route(args.route, PROG)

    Gst.init(None)
    for element in ("webrtcbin", "x264enc", "rtph264pay", "rawvideoparse", "nicesrc"):
        if Gst.ElementFactory.find(element) is None:
            sys.exit(f"{PROG}: GStreamer element {element} is missing (gstreamer1.0-plugins-bad, -ugly, -nice)")
    loop = GLib.MainLoop()
    cam = Bodycam(args)
    stop = threading.Event()
    if args.report:
        threading.Thread(target=report_positions, args=(args.report, args.key, route, stop, PROG), daemon=True).start()

    def quit_():
        stop.set()
        cam.stop()
        loop.quit()
        return False

    for s in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, s, quit_)
    refused = []
    cam.on_refused = lambda: (refused.append(True), quit_())
    loop.run()
    sys.exit(2 if refused else 0)


if __name__ == "__main__":
    main()
