#!/usr/bin/env python3
"""Interop check: point-and-track through siyi-bridge with third-party MAVLink clients.

Usage: interop_tracking.py PYMAVLINK_PORT MAVSDK_PORT -- the bridge sends to udpin
127.0.0.1:PORT for each client (`--mavlink udpout:127.0.0.1:PORT`), and a tracker
(scripts/tracker_client.py) is connected to its tracker API. pymavlink: tracking flags,
CAMERA_TRACK_POINT/RECTANGLE, CAMERA_TRACKING_IMAGE_STATUS after SET_MESSAGE_INTERVAL(275),
bad coordinates denied, stop; MAVSDK: the Camera plugin's track_point, track_rectangle and
track_stop. Ends with 'N passed, N failed'.
"""
import asyncio
import sys
import time

from interop_common import M, Link, Tally

PORT, MAVSDK_PORT = int(sys.argv[1]), int(sys.argv[2])
CAM = 100
HAS_TRACKING = (M.CAMERA_CAP_FLAGS_HAS_TRACKING_POINT
                | M.CAMERA_CAP_FLAGS_HAS_TRACKING_RECTANGLE)
t = Tally("tracking")
check = t.check
link = Link(PORT, 255, 190, CAM)
wait, command = link.wait, link.command


def gcs_heartbeat():
    link.conn.mav.heartbeat_send(M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0)


hb = wait("HEARTBEAT", timeout=15)
if not check("camera heartbeat", hb is not None):
    t.finish()
link.sysid = hb.get_srcSystem()

# The camera boots, then CAMERA_INFORMATION says it can track (a tracker is connected).
flags = 0
end = time.time() + 20
while time.time() < end and not flags & HAS_TRACKING:
    gcs_heartbeat()
    if command(M.MAV_CMD_REQUEST_MESSAGE, 259) == M.MAV_RESULT_ACCEPTED:
        info = wait("CAMERA_INFORMATION", timeout=2)
        flags = info.flags if info else 0
    if not flags & HAS_TRACKING:
        time.sleep(0.5)
check("HAS_TRACKING_POINT and _RECTANGLE advertised", flags & HAS_TRACKING == HAS_TRACKING,
      f"(flags {flags:#x})")

r = command(M.MAV_CMD_CAMERA_TRACK_POINT, 0.6, 0.4, 0.05)
check("CAMERA_TRACK_POINT accepted", r == M.MAV_RESULT_ACCEPTED, f"(result {r})")
r = command(M.MAV_CMD_SET_MESSAGE_INTERVAL, 275, 500000)
check("SET_MESSAGE_INTERVAL(275, 500 ms) accepted", r == M.MAV_RESULT_ACCEPTED)
statuses = []
end = time.time() + 3.2
while time.time() < end:
    gcs_heartbeat()
    s = wait("CAMERA_TRACKING_IMAGE_STATUS", timeout=end - time.time())
    if s is not None:
        statuses.append(s)
check("CAMERA_TRACKING_IMAGE_STATUS streamed about every 500 ms", 4 <= len(statuses) <= 9,
      f"({len(statuses)} in 3.2 s)")
last = statuses[-1] if statuses else None
check("status: active, point, target data in status",
      last is not None and last.tracking_status == M.CAMERA_TRACKING_STATUS_FLAGS_ACTIVE
      and last.tracking_mode == M.CAMERA_TRACKING_MODE_POINT
      and last.target_data & M.CAMERA_TRACKING_TARGET_DATA_IN_STATUS
      and abs(last.point_y - 0.4) < 0.01,
      f"({last.point_x:.3f}, {last.point_y:.3f} r {last.radius:.2f})" if last else "")

r = command(M.MAV_CMD_CAMERA_TRACK_RECTANGLE, 0.7, 0.2, 0.3, 0.6)
check("an inverted rectangle is denied", r == M.MAV_RESULT_DENIED, f"(result {r})")
r = command(M.MAV_CMD_CAMERA_TRACK_POINT, float("nan"), 0.5, 0.05)
check("a NaN point is denied", r == M.MAV_RESULT_DENIED, f"(result {r})")
r = command(M.MAV_CMD_CAMERA_TRACK_RECTANGLE, 0.3, 0.2, 0.7, 0.6)
check("CAMERA_TRACK_RECTANGLE accepted", r == M.MAV_RESULT_ACCEPTED, f"(result {r})")
s = wait("CAMERA_TRACKING_IMAGE_STATUS",
         lambda m: m.tracking_mode == M.CAMERA_TRACKING_MODE_RECTANGLE, timeout=3)
check("status: rectangle", s is not None and abs(s.rec_top_y - 0.2) < 0.01,
      f"({s.rec_top_x:.3f},{s.rec_top_y:.3f})-({s.rec_bottom_x:.3f},{s.rec_bottom_y:.3f})"
      if s else "")
r = command(M.MAV_CMD_CAMERA_STOP_TRACKING)
check("CAMERA_STOP_TRACKING accepted", r == M.MAV_RESULT_ACCEPTED)
s = wait("CAMERA_TRACKING_IMAGE_STATUS",
         lambda m: m.tracking_status == M.CAMERA_TRACKING_STATUS_FLAGS_IDLE, timeout=3)
check("status: idle", s is not None)
command(M.MAV_CMD_SET_MESSAGE_INTERVAL, 275, -1)
link.conn.recv_match(type="CAMERA_TRACKING_IMAGE_STATUS", blocking=True, timeout=0.3)
s = wait("CAMERA_TRACKING_IMAGE_STATUS", timeout=1.5)
check("interval -1 stops the stream", s is None)


async def mavsdk_part():
    from mavsdk.asyncio import Mavsdk, Configuration
    from mavsdk import ComponentType
    from mavsdk.asyncio.plugins.camera import CameraAsync

    config = Configuration.create_with_component_type(ComponentType.GROUND_STATION)
    async with Mavsdk(config) as mavsdk:
        await mavsdk.add_any_connection(f"udpin://127.0.0.1:{MAVSDK_PORT}")
        system = None
        for _ in range(100):
            for s in await mavsdk.get_systems():
                if await s.has_camera():
                    system = s
            if system:
                break
            await asyncio.sleep(0.2)
        check("MAVSDK: camera discovered", system is not None)
        if system is None:
            return
        camera = CameraAsync(system)
        for name, call in [
            ("track_point", lambda: camera.track_point(CAM, 0.45, 0.55, 0.05)),
            ("track_rectangle", lambda: camera.track_rectangle(CAM, 0.4, 0.4, 0.6, 0.6)),
            ("track_stop", lambda: camera.track_stop(CAM)),
        ]:
            try:
                await asyncio.wait_for(call(), 10)
                check(f"MAVSDK: {name}", True)
            except Exception as e:  # noqa: BLE001
                check(f"MAVSDK: {name}", False, repr(e))


asyncio.run(mavsdk_part())
t.finish()
