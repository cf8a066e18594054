#!/usr/bin/python3
"""A simulated body-cam behind its docking gateway: an RTSP server (GStreamer's
gst-rtsp-server, Debian's gir1.2-gst-rtsp-server-1.0) whose stream is `vigie-bodycam`'s
test pattern (every frame carries its capture time in pixels) encoded as a body-cam does:
H.264 by x264 at zero latency, no B-frames, a keyframe a second. The relay pulls it like a
VMS's or a gateway's stream.

Each RTSP client gets its own encoder, started when it connects and stopped when it
leaves, so a relay that restarts finds the camera again.

With --report URL and --key KEY it also reports the body-cam's position to the platform
every second, walking along --route (`lat,lon;lat,lon;...`), as the gateway does.

    bodycam-rtsp.py --bodycam target/debug/vigie-bodycam --port 0
    -> prints `ready rtsp://127.0.0.1:PORT/bodycam` once it listens

Uses Debian's Python (/usr/bin/python3) for its GObject bindings.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway import parse_route, report_positions  # noqa: E402


class Factory(GstRtspServer.RTSPMediaFactory):
    def __init__(self, args):
        super().__init__()
        self.args = args
        # rawvideoparse times each frame from the frame rate, so RTP timestamps advance by
        # exactly one frame each; config-interval=-1 repeats the parameter sets before
        # every keyframe, so a client may join late.
        width, height = args.size.split("x")
        self.set_launch(
            f"( fdsrc name=src ! rawvideoparse format=i420 width={width} height={height} "
            f"framerate={args.fps}/1 ! x264enc tune=zerolatency speed-preset=ultrafast bframes=0 "
            f"key-int-max={args.fps} ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
        self.set_shared(False)
        self.set_latency(0)
        self.connect("media-configure", self.on_configure)

    def on_configure(self, _factory, media):
        a = self.args
        cmd = [a.bodycam, "--raw", "--out", "-", "--size", a.size, "--fps", str(a.fps)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
        media.get_element().get_by_name("src").set_property("fd", proc.stdout.fileno())
        print(f"bodycam-rtsp: client connected, encoder {proc.pid} started", file=sys.stderr, flush=True)

        def stop(_media):
            proc.kill()
            proc.wait()
            print(f"bodycam-rtsp: client left, encoder {proc.pid} stopped", file=sys.stderr, flush=True)

        media.connect("unprepared", stop)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bodycam", required=True, help="the vigie-bodycam binary")
    p.add_argument("--port", type=int, default=8554, help="RTSP port (0: any free one)")
    p.add_argument("--path", default="/bodycam")
    p.add_argument("--size", default="640x360")
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--report", help="the platform's position URL for this stream")
    p.add_argument("--key", help="the stream's publisher key (Bearer)")
    p.add_argument("--route", default="43.7384,7.4246", help="lat,lon;lat,lon;... walked while streaming")
    args = p.parse_args()
    if args.report and not args.key:
        sys.exit("bodycam-rtsp: --report needs --key")
    route = parse_route(args.route, "bodycam-rtsp")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    server.get_mount_points().add_factory(args.path, Factory(args))
    if server.attach(None) == 0:
        sys.exit(f"bodycam-rtsp: cannot listen on port {args.port}")
    print(f"ready rtsp://127.0.0.1:{server.get_bound_port()}{args.path}", flush=True)

    stop = threading.Event()
    if args.report:
        threading.Thread(target=report_positions, args=(args.report, args.key, route, stop, "bodycam-rtsp"), daemon=True).start()
    loop = GLib.MainLoop()
    for s in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, s, loop.quit)
    loop.run()
    stop.set()


if __name__ == "__main__":
    main()
