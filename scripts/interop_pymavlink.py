#!/usr/bin/env python3
"""Interop check: pymavlink (a third-party MAVLink stack) against a running siyi-bridge.

Usage: interop_pymavlink.py PORT   -- listens on udpin 127.0.0.1:PORT, where the bridge sends
(`siyi-bridge run --mavlink udpout:127.0.0.1:PORT`). Prints one line per check and ends with
'N passed, N failed'; exit status 1 when anything failed.
"""
import os
import sys
import time

os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil  # noqa: E402

from interop_common import Tally  # noqa: E402

M = mavutil.mavlink
PORT = int(sys.argv[1])
CAM = 100
t = Tally("pymavlink")
check = t.check


def text(field):
    raw = field if isinstance(field, (bytes, str)) else bytes(field)
    if isinstance(raw, bytes):
        raw = raw.split(b"\0")[0].decode(errors="replace")
    return raw.rstrip("\0")



conn = mavutil.mavlink_connection(
    f"udpin:127.0.0.1:{PORT}", source_system=255, source_component=190, dialect="common"
)


def wait(types, cond=lambda m: True, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        m = conn.recv_match(type=types, blocking=True, timeout=max(0.01, end - time.time()))
        if m is not None and m.get_srcComponent() == CAM and cond(m):
            return m
    return None


def command(cmd, *p, target=CAM, final=True, timeout=5.0):
    p = list(p) + [0] * (7 - len(p))
    conn.mav.command_long_send(sysid, target, cmd, 0, *p)
    end = time.time() + timeout
    while time.time() < end:
        a = wait("COMMAND_ACK", lambda m: m.command == cmd, timeout=end - time.time())
        if a is None:
            return None
        if final and a.result == M.MAV_RESULT_IN_PROGRESS:
            continue
        return a.result
    return None


hb = wait("HEARTBEAT", timeout=10)
check("camera heartbeat", hb is not None and hb.type == M.MAV_TYPE_CAMERA,
      f"(type {getattr(hb, 'type', None)}, base_mode {getattr(hb, 'base_mode', None)})")
if hb is None:
    t.failed += 1
    t.finish()
sysid = hb.get_srcSystem()
check("heartbeat autopilot INVALID, base_mode 0",
      hb.autopilot == M.MAV_AUTOPILOT_INVALID and hb.base_mode == 0)

# Discovery like QGC: REQUEST_MESSAGE / legacy alternating until the camera has booted.
info = None
end = time.time() + 30
attempt = 0
while time.time() < end and info is None:
    if attempt % 2 == 0:
        r = command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_CAMERA_INFORMATION)
    else:
        r = command(M.MAV_CMD_REQUEST_CAMERA_INFORMATION, 1)
    if r == M.MAV_RESULT_ACCEPTED:
        info = wait("CAMERA_INFORMATION", timeout=2)
    else:
        time.sleep(0.3)
    attempt += 1
check("CAMERA_INFORMATION", info is not None
      and text(info.vendor_name) == "SIYI",
      f"({text(info.vendor_name)} {text(info.model_name)} fw 0x{info.firmware_version:08x} flags 0x{info.flags:x})" if info else "")
r = command(M.MAV_CMD_REQUEST_CAMERA_INFORMATION, 1)
check("legacy REQUEST_CAMERA_INFORMATION", r == M.MAV_RESULT_ACCEPTED and wait("CAMERA_INFORMATION", timeout=2) is not None)

r = command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_CAMERA_SETTINGS)
s = wait("CAMERA_SETTINGS", timeout=2)
check("CAMERA_SETTINGS", r == M.MAV_RESULT_ACCEPTED and s is not None,
      f"(mode {s.mode_id}, zoom {s.zoomLevel:.0f} %)" if s else "")
r = command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_STORAGE_INFORMATION, 0)
st = wait("STORAGE_INFORMATION", timeout=2)
# A card is in but its size was not given (--sd-card-gib): NOT_SUPPORTED, never READY with 0 free.
check("STORAGE_INFORMATION", r == M.MAV_RESULT_ACCEPTED and st is not None
      and st.status == M.STORAGE_STATUS_NOT_SUPPORTED, f"(status {getattr(st, 'status', None)})")
r = command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_VIDEO_STREAM_INFORMATION, 0)
v = wait("VIDEO_STREAM_INFORMATION", timeout=2)
check("VIDEO_STREAM_INFORMATION", r == M.MAV_RESULT_ACCEPTED and v is not None
      and v.stream_id == 1 and v.count == 1,
      f"(id {v.stream_id}, {v.resolution_h}x{v.resolution_v} @ {v.framerate} fps, {v.uri})" if v else "")
r = command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_CAMERA_CAPTURE_STATUS)
cs = wait("CAMERA_CAPTURE_STATUS", timeout=2)
check("CAMERA_CAPTURE_STATUS", r == M.MAV_RESULT_ACCEPTED and cs is not None)
count0 = cs.image_count if cs else 0

r = command(M.MAV_CMD_IMAGE_START_CAPTURE, 0, 0, 1)
cap = wait("CAMERA_IMAGE_CAPTURED", timeout=5)
check("photo → CAMERA_IMAGE_CAPTURED", r == M.MAV_RESULT_ACCEPTED and cap is not None
      and cap.capture_result == 1 and cap.image_index == count0,
      f"(index {getattr(cap, 'image_index', None)})")

r = command(M.MAV_CMD_VIDEO_START_CAPTURE, 0)
vs = wait("CAMERA_CAPTURE_STATUS", lambda m: m.video_status == 1, timeout=5)
check("video start", r == M.MAV_RESULT_ACCEPTED and vs is not None)
r = command(M.MAV_CMD_VIDEO_STOP_CAPTURE, 0)
vs = wait("CAMERA_CAPTURE_STATUS", lambda m: m.video_status == 0, timeout=5)
check("video stop", r == M.MAV_RESULT_ACCEPTED and vs is not None)

r = command(M.MAV_CMD_SET_CAMERA_ZOOM, M.ZOOM_TYPE_RANGE, 50)
z = wait("CAMERA_SETTINGS", lambda m: abs(m.zoomLevel - 50) < 5, timeout=5)
check("zoom 50 % → CAMERA_SETTINGS", r == M.MAV_RESULT_ACCEPTED and z is not None)
r = command(M.MAV_CMD_SET_CAMERA_ZOOM, M.ZOOM_TYPE_RANGE, 150)
check("zoom out of range → DENIED", r == M.MAV_RESULT_DENIED)

r = command(42001, 1, 2, 3)
check("unknown command 42001 → UNSUPPORTED", r == M.MAV_RESULT_UNSUPPORTED, f"(got {r})")
r = command(M.MAV_CMD_REQUEST_MESSAGE, 259, target=1, timeout=0.5)
check("command for another component → no answer", r is None)

t.finish()
