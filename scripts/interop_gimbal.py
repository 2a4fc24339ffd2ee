#!/usr/bin/env python3
"""Interop check: pymavlink playing PX4 (system 1, component 1, gimbal manager with
MNT_MODE_OUT = MAVLink v2) against a running `siyi-bridge run --simulate`.

Usage: interop_gimbal.py PORT   -- listens on udpin 127.0.0.1:PORT, where the bridge sends
(`siyi-bridge run --mavlink udpout:127.0.0.1:PORT`). Prints one line per check and ends with
'N passed, N failed'; exit status 1 when anything failed.

What PX4 does (src/modules/gimbal): heartbeat at 1 Hz, REQUEST_MESSAGE(GIMBAL_DEVICE_INFORMATION)
broadcast at 1 Hz until answered, then GIMBAL_DEVICE_SET_ATTITUDE at 5 Hz to the component that
answered. The gimbal device must report GIMBAL_DEVICE_ATTITUDE_STATUS that follows, and the
bridge must stop playing the gimbal manager.
"""
import math
import os
import sys
import time

os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil  # noqa: E402

from interop_common import Tally  # noqa: E402

M = mavutil.mavlink
PORT = int(sys.argv[1])
GIMBAL = 154
t = Tally("gimbal")
check = t.check



conn = mavutil.mavlink_connection(
    f"udpin:127.0.0.1:{PORT}", source_system=1, source_component=1, dialect="common"
)
last_hb = 0.0


def heartbeat():
    global last_hb
    if time.time() - last_hb >= 1.0:
        conn.mav.heartbeat_send(M.MAV_TYPE_QUADROTOR, M.MAV_AUTOPILOT_PX4, 0, 0, M.MAV_STATE_ACTIVE)
        last_hb = time.time()


def wait(types, cond=lambda m: True, timeout=5.0, comp=GIMBAL):
    end = time.time() + timeout
    while time.time() < end:
        heartbeat()
        m = conn.recv_match(type=types, blocking=True, timeout=min(0.2, max(0.01, end - time.time())))
        if m is not None and m.get_srcComponent() == comp and cond(m):
            return m
    return None


def euler_to_q(roll, pitch, yaw):
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return [cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy]


def q_to_pitch_yaw(q):
    w, x, y, z = q
    pitch = math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x))))
    yaw = math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return math.degrees(pitch), math.degrees(yaw)


# Wait for the bridge (its first frames reach us once it runs), then say hello as PX4.
hb = None
end = time.time() + 15
while time.time() < end and hb is None:
    heartbeat()
    hb = wait("HEARTBEAT", timeout=1)
check("gimbal device heartbeat (MAV_TYPE_GIMBAL, component 154)",
      hb is not None and hb.type == M.MAV_TYPE_GIMBAL, f"(type {getattr(hb, 'type', None)})")
if hb is None:
    t.finish()
sysid = hb.get_srcSystem()
# PX4 heartbeats all the time: its heartbeat is out before its requests (the first one above
# went nowhere: udpin knows where to send only after the bridge's first frame). The bridge
# trusts set-points and requests as PX4's only from the link its heartbeat came on.
last_hb = 0.0
heartbeat()
time.sleep(0.2)

# Before an autopilot manages it, the bridge is the manager (QGC's view).
ms = wait("GIMBAL_MANAGER_STATUS", timeout=3)
check("manager status while no autopilot manages the gimbal", ms is not None
      and ms.gimbal_device_id == GIMBAL)

# PX4's discovery: REQUEST_MESSAGE(GIMBAL_DEVICE_INFORMATION), broadcast, 1 Hz until answered.
info = None
end = time.time() + 40
while time.time() < end and info is None:
    conn.mav.command_long_send(0, 0, M.MAV_CMD_REQUEST_MESSAGE, 0,
                               M.MAVLINK_MSG_ID_GIMBAL_DEVICE_INFORMATION, 0, 0, 0, 0, 0, 0)
    info = wait("GIMBAL_DEVICE_INFORMATION", timeout=1)
check("GIMBAL_DEVICE_INFORMATION", info is not None
      and info.vendor_name.rstrip("\0") == "SIYI"
      and abs(math.degrees(info.pitch_min) + 90) < 0.01
      and abs(math.degrees(info.yaw_max) - 135) < 0.01,
      f"({info.vendor_name} {info.model_name}, cap 0x{info.cap_flags:x})" if info else "")

# The manager steps down: no GIMBAL_MANAGER_STATUS any more.
time.sleep(0.3)
while conn.recv_match(blocking=False) is not None:
    pass
ms = wait("GIMBAL_MANAGER_STATUS", timeout=2.5)
check("bridge no longer the manager once PX4 manages the gimbal", ms is None)


def stream_setpoint(q, rates, seconds):
    end = time.time() + seconds
    while time.time() < end:
        conn.mav.gimbal_device_set_attitude_send(
            sysid, GIMBAL, M.GIMBAL_DEVICE_FLAGS_ROLL_LOCK | M.GIMBAL_DEVICE_FLAGS_PITCH_LOCK,
            q, *rates)
        wait("GIMBAL_DEVICE_ATTITUDE_STATUS", timeout=0.2)


nan = float("nan")
stream_setpoint(euler_to_q(0, math.radians(-30), math.radians(40)), [nan, nan, nan], 3.0)
st = wait("GIMBAL_DEVICE_ATTITUDE_STATUS", timeout=1)
pitch, yaw = q_to_pitch_yaw(st.q) if st else (None, None)
check("attitude status follows the angles (pitch −30°, yaw 40° right)", st is not None
      and abs(pitch + 30) < 1.0 and abs(yaw - 40) < 1.0
      and st.flags & M.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME and st.failure_flags == 0,
      f"(pitch {pitch:.1f}, yaw {yaw:.1f})" if st else "")

# Rates: 10 °/s to the left for 2 s.
stream_setpoint([nan] * 4, [nan, 0.0, math.radians(-10)], 2.0)
st = wait("GIMBAL_DEVICE_ATTITUDE_STATUS", timeout=1)
yaw_rate = math.degrees(st.angular_velocity_z) if st else None
_, yaw2 = q_to_pitch_yaw(st.q) if st else (None, None)
check("rates turn the gimbal left at about 10 °/s", st is not None and abs(yaw_rate + 10) < 2
      and yaw2 < yaw - 10, f"(yaw rate {yaw_rate:.1f} °/s, yaw {yaw2:.1f})" if st else "")


def fresh_status():
    """The next attitude status sent after now (older ones queued meanwhile are skipped)."""
    while conn.recv_match(blocking=False) is not None:
        pass
    return wait("GIMBAL_DEVICE_ATTITUDE_STATUS", timeout=1)


# The stream stops: the gimbal stops (within 1 s of the last set-point).
time.sleep(1.5)
a = fresh_status()
time.sleep(0.5)
b = fresh_status()
check("rate motion stops when the set-points stop", a is not None and b is not None
      and abs(q_to_pitch_yaw(a.q)[1] - q_to_pitch_yaw(b.q)[1]) < 0.2)

# Neutral: back to the centre.
stream_setpoint([1, 0, 0, 0], [nan, nan, nan], 0.4)
conn.mav.gimbal_device_set_attitude_send(
    sysid, GIMBAL, M.GIMBAL_DEVICE_FLAGS_NEUTRAL, [1, 0, 0, 0], nan, nan, nan)
st = wait("GIMBAL_DEVICE_ATTITUDE_STATUS", lambda m: abs(q_to_pitch_yaw(m.q)[1]) < 0.5
          and abs(q_to_pitch_yaw(m.q)[0]) < 0.5, timeout=5)
check("neutral centres the gimbal", st is not None)

t.finish()
