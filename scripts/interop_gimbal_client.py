#!/usr/bin/env python3
"""Interop check: pymavlink playing PX4 with MNT_MODE_OUT=3 (PX4 as a *client* of the bridge's
gimbal manager) and pymavlink playing QGC, against a running `siyi-bridge run --simulate`.

Usage: interop_gimbal_client.py PX4_PORT QGC_PORT -- listens on udpin 127.0.0.1:PORT for each
(`siyi-bridge run --mavlink udpout:127.0.0.1:PORT`). PX4_PORT is the one interop_gimbal.py uses
next: the bridge takes an autopilot's messages only from the link its heartbeat came on. Prints one line per check and ends with
'N passed, N failed'; exit status 1 when anything failed.

What PX4 does in that mode (src/modules/gimbal, OutputToGimbalManager): heartbeat at 1 Hz; it
finds the manager from GIMBAL_MANAGER_STATUS (an older variant also asks for
GIMBAL_MANAGER_INFORMATION by a broadcast REQUEST_MESSAGE); when a ROI or mission pointing
starts it sends DO_GIMBAL_MANAGER_CONFIGURE with its own ids as primary control, streams
GIMBAL_MANAGER_SET_PITCHYAW every loop, and releases with −3 when idle. It never asks for
GIMBAL_DEVICE_INFORMATION and never sends GIMBAL_DEVICE_SET_ATTITUDE, so the bridge stays the
manager. Run before interop_gimbal.py (PX4 as manager makes the bridge step down).
"""
import math
import os
import sys
import time

os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil  # noqa: E402

from interop_common import Link, Tally  # noqa: E402

M = mavutil.mavlink
GIMBAL = 154
t = Tally("gimbal-client")
check = t.check
last_hb = [0.0]


def px4_heartbeat():
    if time.time() - last_hb[0] >= 1.0:
        px4.conn.mav.heartbeat_send(M.MAV_TYPE_QUADROTOR, M.MAV_AUTOPILOT_PX4, 0, 0,
                                    M.MAV_STATE_ACTIVE)
        qgc.conn.mav.heartbeat_send(M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0,
                                    M.MAV_STATE_ACTIVE)
        last_hb[0] = time.time()


px4 = Link(int(sys.argv[1]), 1, 1, GIMBAL, tick=px4_heartbeat)
qgc = Link(int(sys.argv[2]), 255, 190, GIMBAL, tick=px4_heartbeat)


def drain(link):
    while link.conn.recv_match(blocking=False) is not None:
        pass


def status(link, cond=lambda m: True, timeout=3.0):
    drain(link)
    return link.wait("GIMBAL_MANAGER_STATUS", cond, timeout)


def controllers(s):
    return ((s.primary_control_sysid, s.primary_control_compid),
            (s.secondary_control_sysid, s.secondary_control_compid)) if s else None


def q_to_pitch_yaw(q):
    w, x, y, z = q
    pitch = math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x))))
    yaw = math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return math.degrees(pitch), math.degrees(yaw)


# Wait for the bridge's gimbal heartbeat on both links (udpin learns where to send from it).
hb = None
end = time.time() + 15
while time.time() < end and hb is None:
    hb = px4.wait("HEARTBEAT", timeout=1)
qgc.wait("HEARTBEAT", timeout=3)
check("gimbal component heartbeats", hb is not None)
if hb is None:
    t.finish()
px4.sysid = qgc.sysid = hb.get_srcSystem()
last_hb[0] = 0.0
px4_heartbeat()

# Discovery as PX4 does it: the manager's status stream, and the broadcast request.
ms = status(px4, timeout=4)
check("PX4 finds the manager from GIMBAL_MANAGER_STATUS (device 154)",
      ms is not None and ms.gimbal_device_id == GIMBAL, f"(control {controllers(ms)})")
px4.conn.mav.command_long_send(0, 0, M.MAV_CMD_REQUEST_MESSAGE, 0,
                               M.MAVLINK_MSG_ID_GIMBAL_MANAGER_INFORMATION, 0, 0, 0, 0, 0, 0)
info = px4.wait("GIMBAL_MANAGER_INFORMATION", timeout=3)
check("GIMBAL_MANAGER_INFORMATION answers PX4's broadcast request",
      info is not None and info.gimbal_device_id == GIMBAL)

# QGC takes control first (it names itself).
r = qgc.command(M.MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE, 255, 190, -1, -1, 0, 0, GIMBAL)
check("QGC takes control", r == M.MAV_RESULT_ACCEPTED, f"(result {r})")

# A ROI starts on PX4: it takes primary control with its own ids.
r = px4.command(M.MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE, 1, 1, -1, -1, 0, 0, GIMBAL)
check("PX4 takes primary control (DO_GIMBAL_MANAGER_CONFIGURE 1/1)",
      r == M.MAV_RESULT_ACCEPTED, f"(result {r})")
ms = status(qgc, lambda m: m.primary_control_sysid == 1)
check("the manager reports PX4 primary, QGC secondary",
      controllers(ms) == ((1, 1), (255, 190)), f"({controllers(ms)})")

# PX4 streams GIMBAL_MANAGER_SET_PITCHYAW (pitch −35°, yaw 25° right, vehicle frame) at 50 Hz.
nan = float("nan")
end = time.time() + 3.0
while time.time() < end:
    px4_heartbeat()
    px4.conn.mav.gimbal_manager_set_pitchyaw_send(
        px4.sysid, GIMBAL, M.GIMBAL_MANAGER_FLAGS_PITCH_LOCK, GIMBAL,
        math.radians(-35), math.radians(25), nan, nan)
    time.sleep(0.02)
drain(qgc)
st = qgc.wait("GIMBAL_DEVICE_ATTITUDE_STATUS", timeout=2)
pitch, yaw = q_to_pitch_yaw(st.q) if st else (None, None)
check("the gimbal points where PX4 asks (pitch −35°, yaw 25°)", st is not None
      and abs(pitch + 35) < 1.0 and abs(yaw - 25) < 1.0,
      f"(pitch {pitch:.1f}, yaw {yaw:.1f})" if st else "")
ms = status(qgc)
check("the bridge is still the manager while PX4 is its client", ms is not None
      and controllers(ms)[0] == (1, 1))

# QGC asking for primary control meanwhile stays secondary.
r = qgc.command(M.MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE, -2, -2, -1, -1, 0, 0, GIMBAL)
ms = status(qgc)
check("QGC's request while PX4 holds control leaves PX4 primary",
      r == M.MAV_RESULT_ACCEPTED and controllers(ms) == ((1, 1), (255, 190)),
      f"(result {r}, {controllers(ms)})")

# PX4 idle: it releases with −3; QGC has primary control again.
r = px4.command(M.MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE, -3, -3, -1, -1, 0, 0, GIMBAL)
ms = status(qgc, lambda m: m.primary_control_sysid != 1)
check("PX4 releases (−3): QGC primary again", r == M.MAV_RESULT_ACCEPTED
      and controllers(ms) == ((255, 190), (0, 0)), f"(result {r}, {controllers(ms)})")

# PX4's set-points after the release are not obeyed; QGC's are.
for _ in range(10):
    px4.conn.mav.gimbal_manager_set_pitchyaw_send(
        px4.sysid, GIMBAL, M.GIMBAL_MANAGER_FLAGS_PITCH_LOCK, GIMBAL, math.radians(-80), 0.0,
        nan, nan)
    time.sleep(0.05)
r = qgc.command(M.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, -10, 0, nan, nan,
                M.GIMBAL_MANAGER_FLAGS_PITCH_LOCK, 0, GIMBAL)
st = qgc.wait("GIMBAL_DEVICE_ATTITUDE_STATUS",
              lambda m: abs(q_to_pitch_yaw(m.q)[0] + 10) < 1.0, timeout=5)
check("after the release QGC moves the gimbal, PX4's stale set-points do not",
      r == M.MAV_RESULT_ACCEPTED and st is not None, f"(result {r})")
r = qgc.command(M.MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE, -3, -3, -1, -1, 0, 0, GIMBAL)
check("QGC releases", r == M.MAV_RESULT_ACCEPTED)

t.finish()
