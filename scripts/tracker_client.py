#!/usr/bin/env python3
"""A minimal tracker for siyi-bridge's tracker API (docs/tracker-api.md, version 1).

It connects to the bridge, says hello, accepts every request and reports the requested point
or box, drifting slowly (as if the target moved), ten times a second. It prints every line it
receives. A real tracker would run a visual tracker on the camera's RTSP video instead.

    python3 scripts/tracker_client.py                      # bridge on 127.0.0.1:14660
    python3 scripts/tracker_client.py --api 127.0.0.1:14661 --exit-after 5

Python 3 standard library only.
"""
import argparse
import json
import math
import select
import socket
import sys
import time

STATUS_PERIOD_S = 0.1  # the API wants a status at least every 250 ms


def send(sock, message):
    sock.sendall((json.dumps(message) + "\n").encode())


def status(tracking, t):
    """The status line for what we track (None = idle), drifting with time t (seconds)."""
    if tracking is None:
        return {"type": "status", "state": "idle"}
    dx = 0.02 * math.sin(t / 2.0)  # a slow drift, ±2 % of the width
    if tracking["type"] == "track_point":
        x = round(min(1.0, max(0.0, tracking["x"] + dx)), 4)
        point = {"x": x, "y": tracking["y"], "radius": tracking["radius"]}
        return {"type": "status", "state": "active", "point": point}
    box = {k: tracking[k] for k in ("top_left_x", "top_left_y", "bottom_right_x", "bottom_right_y")}
    box["top_left_x"] += dx
    box["bottom_right_x"] += dx
    box = {k: round(min(1.0, max(0.0, v)), 4) for k, v in box.items()}  # inside the picture
    return {"type": "status", "state": "active", "rectangle": box}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="127.0.0.1:14660",
                        help="the bridge's tracker API, HOST:PORT")
    parser.add_argument("--exit-after", type=float, metavar="N",
                        help="stop after N seconds (for CI)")
    args = parser.parse_args()
    host, _, port = args.api.rpartition(":")

    sock = socket.create_connection((host, int(port)), timeout=5)
    send(sock, {"type": "hello", "version": 1, "name": "tracker_client.py"})
    start = time.monotonic()
    next_status = start
    welcomed = False  # statuses only once the bridge said welcome
    tracking = None  # the request we are honouring, or None
    pending = b""
    while args.exit_after is None or time.monotonic() - start < args.exit_after:
        readable, _, _ = select.select([sock], [], [], max(0.0, next_status - time.monotonic()))
        if readable:
            data = sock.recv(4096)
            if not data:
                print("the bridge closed the connection", file=sys.stderr)
                return 1
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                print("<", line.decode(errors="replace"), flush=True)
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue  # not JSON: ignore, as the bridge does
                kind = msg.get("type")
                if kind == "welcome":
                    welcomed = True
                elif kind in ("track_point", "track_rectangle", "track_off"):
                    tracking = None if kind == "track_off" else msg
                    send(sock, {"type": "answer", "id": msg["id"], "accepted": True})
                    next_status = time.monotonic()  # report the change at once
                elif kind == "error":
                    print("refused by the bridge:", msg.get("reason"), file=sys.stderr)
                    return 1
        if welcomed and time.monotonic() >= next_status:
            send(sock, status(tracking, time.monotonic() - start))
            next_status = time.monotonic() + STATUS_PERIOD_S
    return 0


if __name__ == "__main__":
    sys.exit(main())
