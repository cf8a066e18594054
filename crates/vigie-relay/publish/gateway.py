"""What the simulated body-cams share (bodycam-rtsp.py, bodycam-whip.py): the route the
wearer walks and the position reports the platform takes with the stream's publisher
key (`POST /v1/live/{id}/position`, one a second)."""

import json
import sys
import time
import urllib.request


def parse_route(text, prog):
    """`lat,lon;lat,lon;...` as a list of points; (0,0) is refused."""
    points = []
    for i, pair in enumerate(text.split(";")):
        try:
            lat, lon = (float(v) for v in pair.split(","))
        except ValueError:
            sys.exit(f"{prog}: --route point {i + 1} `{pair}`: expected lat,lon")
        if lat == 0 and lon == 0:
            sys.exit(f"{prog}: --route point {i + 1}: (0,0) is not a position")
        points.append((lat, lon))
    return points


def report_positions(url, key, route, stop, prog):
    """Walks the route back and forth, one step a second, posting each position."""
    step = 0
    cycle = route + route[-2:0:-1] if len(route) > 1 else route
    while not stop.is_set():
        lat, lon = cycle[step % len(cycle)]
        body = json.dumps({"lat": lat, "lon": lon, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        req = urllib.request.Request(url, data=body.encode(), method="POST")
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", f"Bearer {key}")
        try:
            urllib.request.urlopen(req, timeout=2).read()
        except Exception as e:  # the platform may be down: the gateway keeps trying
            print(f"{prog}: position not delivered: {e}", file=sys.stderr, flush=True)
        step += 1
        stop.wait(1.0)
