#!/usr/bin/env python3
"""Interop check: the camera settings over PARAM_EXT, with pymavlink, as QGC uses them.

Usage: interop_params.py PORT   -- listens on udpin 127.0.0.1:PORT, where the bridge sends.
Every setting is MAV_PARAM_EXT_TYPE_UINT32: a little-endian u32 in the first 4 bytes of the
128-byte value. The value bytes are read from the raw payload (pymavlink turns char arrays
into strings cut at the first zero byte). Ends with 'N passed, N failed'.
"""
import struct
import sys
import time

from interop_common import M, Link, Tally

PORT = int(sys.argv[1])
CAM = 100
UINT32 = M.MAV_PARAM_EXT_TYPE_UINT32
IDS = ["CAM_MODE", "GIMBAL_MODE", "STREAM_RES", "STREAM_BITRATE", "STREAM_CODEC", "REC_RES"]
t = Tally("params")
check = t.check
link = Link(PORT, 255, 190, CAM)


def payload(m, size):
    """The message's payload, the zero bytes MAVLink 2 trims put back."""
    buf = bytes(m.get_msgbuf())
    return buf[10:10 + buf[1]].ljust(size, b"\0")


def value_of(m):
    """(param_id, u32 value, param_type) of a PARAM_EXT_VALUE or PARAM_EXT_ACK."""
    if m.get_type() == "PARAM_EXT_VALUE":
        p = payload(m, 149)
        return p[4:20].split(b"\0")[0].decode(), struct.unpack("<I", p[20:24])[0], p[148]
    p = payload(m, 146)
    return p[:16].split(b"\0")[0].decode(), struct.unpack("<I", p[16:20])[0], p[144]


def request_list():
    link.conn.mav.param_ext_request_list_send(link.sysid, CAM)


def read(pid):
    link.conn.mav.param_ext_request_read_send(link.sysid, CAM, pid.encode(), -1)
    m = link.wait("PARAM_EXT_VALUE", lambda m: value_of(m)[0] == pid, timeout=3)
    return value_of(m)[1] if m else None


def set_param(pid, value, timeout=8):
    """PARAM_EXT_SET; (result, value) of the final PARAM_EXT_ACK (IN_PROGRESS skipped)."""
    raw = struct.pack("<I", value).ljust(128, b"\0")
    link.conn.mav.param_ext_set_send(link.sysid, CAM, pid.encode(), raw, UINT32)
    end = time.time() + timeout
    while time.time() < end:
        a = link.wait("PARAM_EXT_ACK", lambda m: value_of(m)[0] == pid, timeout=end - time.time())
        if a is None:
            return None, None
        if a.param_result != M.PARAM_ACK_IN_PROGRESS:
            return a.param_result, value_of(a)[1]
    return None, None


hb = link.wait("HEARTBEAT", timeout=10)
check("camera heartbeat", hb is not None)
if hb is None:
    t.finish()
link.sysid = hb.get_srcSystem()

# The list, asked again until the camera has booted and reported every value.
values = {}
end = time.time() + 30
while time.time() < end and len(values) < len(IDS):
    request_list()
    stop = time.time() + 1.5
    while time.time() < stop:
        m = link.wait("PARAM_EXT_VALUE", timeout=stop - time.time())
        if m is None:
            break
        pid, v, ptype = value_of(m)
        values[pid] = (v, m.param_index, m.param_count, ptype)
check("PARAM_EXT_REQUEST_LIST → six values", sorted(values) == sorted(IDS), f"({values})")
check("index, count and type", all(
    values.get(pid, (0, -1, 0, 0))[1:] == (i, len(IDS), UINT32) for i, pid in enumerate(IDS)))
check("values from the simulated camera",
      [values.get(pid, (None,))[0] for pid in IDS] == [0, 1, 0, 4000, 2, 2],
      f"({[values.get(pid, (None,))[0] for pid in IDS]})")

r, v = set_param("STREAM_BITRATE", 3000)
check("PARAM_EXT_SET STREAM_BITRATE 3000 → ACCEPTED", r == M.PARAM_ACK_ACCEPTED and v == 3000,
      f"(result {r}, value {v})")
v = read("STREAM_BITRATE")
check("PARAM_EXT_REQUEST_READ shows 3000", v == 3000, f"(value {v})")
r, v = set_param("STREAM_BITRATE", 9000)
check("STREAM_BITRATE 9000 → VALUE_UNSUPPORTED, still 3000",
      r == M.PARAM_ACK_VALUE_UNSUPPORTED and v == 3000, f"(result {r}, value {v})")
r, v = set_param("STREAM_BITRATE", 1800)
why = link.wait("STATUSTEXT", lambda m: "refused" in m.text, timeout=2)
check("STREAM_BITRATE 1800 at 1080p → FAILED (the camera refuses), still 3000",
      r == M.PARAM_ACK_FAILED and v == 3000 and why is not None,
      f"(result {r}, value {v}, text {why.text if why else None!r})")

r, v = set_param("GIMBAL_MODE", 2)
check("GIMBAL_MODE FPV → ACCEPTED", r == M.PARAM_ACK_ACCEPTED and v == 2, f"(result {r}, value {v})")
v = read("GIMBAL_MODE")
check("GIMBAL_MODE reads FPV", v == 2, f"(value {v})")
r, v = set_param("GIMBAL_MODE", 1)
check("GIMBAL_MODE back to Follow", r == M.PARAM_ACK_ACCEPTED and v == 1, f"(result {r}, value {v})")

r, v = set_param("CAM_MODE", 1)
s = link.wait("CAMERA_SETTINGS", lambda m: m.mode_id == 1, timeout=2)
check("CAM_MODE Video → ACCEPTED and CAMERA_SETTINGS", r == M.PARAM_ACK_ACCEPTED and s is not None)
link.command(M.MAV_CMD_SET_CAMERA_MODE, 0, 0)
m = link.wait("PARAM_EXT_VALUE", lambda m: value_of(m)[0] == "CAM_MODE", timeout=2)
check("SET_CAMERA_MODE Photo → CAM_MODE 0", m is not None and value_of(m)[1] == 0)

r, v = set_param("ISO", 100)
check("unknown setting → FAILED", r == M.PARAM_ACK_FAILED, f"(result {r})")

t.finish()
