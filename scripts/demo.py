"""What a MAVLink client sees of `siyi-bridge run --simulate` (run by scripts/demo.sh).

Listens on the UDP port the bridge sends to, waits for the camera's heartbeat, asks for
CAMERA_INFORMATION and CAMERA_SETTINGS, takes one photo and prints CAMERA_IMAGE_CAPTURED.
"""
import sys
import time

from pymavlink import mavutil

PORT = int(sys.argv[1])
CAMERA = 100


def wait(conn, kind, timeout_s, **match):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        m = conn.recv_match(type=kind, blocking=True, timeout=0.5)
        if m is None or m.get_srcComponent() != CAMERA:
            continue
        if all(getattr(m, k) == v for k, v in match.items()):
            return m
    raise SystemExit(f"no {kind} from the camera within {timeout_s} s")


def command(conn, sysid, cmd, *params):
    p = list(params) + [0] * (7 - len(params))
    conn.mav.command_long_send(sysid, CAMERA, cmd, 0, *p)


conn = mavutil.mavlink_connection(f"udpin:127.0.0.1:{PORT}", source_system=255, source_component=190)
hb = wait(conn, "HEARTBEAT", 30)
sysid = hb.get_srcSystem()
print(f"heartbeat from system {sysid}, component {CAMERA} (type {hb.type}: camera)")
# The bridge answers the address it sends to; a heartbeat of ours makes us a known peer.
conn.mav.heartbeat_send(mavutil.mavlink.MAV_TYPE_GCS, mavutil.mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)

info = None
for _ in range(20):  # the simulated camera boots for 1 s
    command(conn, sysid, mavutil.mavlink.MAV_CMD_REQUEST_MESSAGE, 259)
    info = conn.recv_match(type="CAMERA_INFORMATION", blocking=True, timeout=1)
    if info is not None:
        break
if info is None:
    raise SystemExit("no CAMERA_INFORMATION")
text = lambda b: bytes(b).rstrip(b"\0").decode(errors="replace") if not isinstance(b, str) else b
fw = info.firmware_version
print(f"camera: {text(info.vendor_name)} {text(info.model_name)}, firmware "
      f"{fw & 0xff}.{(fw >> 8) & 0xff}.{(fw >> 16) & 0xff}, flags 0x{info.flags:x}")
if text(info.cam_definition_uri):
    print(f"camera definition: {text(info.cam_definition_uri)} (version {info.cam_definition_version})")

command(conn, sysid, mavutil.mavlink.MAV_CMD_REQUEST_MESSAGE, 260)
s = wait(conn, "CAMERA_SETTINGS", 5)
print(f"settings: mode {'video' if s.mode_id == 1 else 'photo'}, zoom level {s.zoomLevel:.0f} %")

print("taking a photo ...")
command(conn, sysid, mavutil.mavlink.MAV_CMD_IMAGE_START_CAPTURE, 0, 0, 1)
ack = None
end = time.monotonic() + 10
while time.monotonic() < end:
    m = conn.recv_match(type=["COMMAND_ACK", "CAMERA_IMAGE_CAPTURED"], blocking=True, timeout=0.5)
    if m is None:
        continue
    if m.get_type() == "COMMAND_ACK" and m.command == mavutil.mavlink.MAV_CMD_IMAGE_START_CAPTURE:
        ack = m.result
        print(f"  COMMAND_ACK result {m.result} ({mavutil.mavlink.enums['MAV_RESULT'][m.result].name})")
    elif m.get_type() == "CAMERA_IMAGE_CAPTURED":
        ok = "taken" if m.capture_result == 1 else "FAILED"
        print(f"  CAMERA_IMAGE_CAPTURED: image {m.image_index} {ok}, file {text(m.file_url) or '(none)'}")
        print("done: the camera took the photo, and the bridge said so only once it had.")
        sys.exit(0 if m.capture_result == 1 else 1)
raise SystemExit(f"no CAMERA_IMAGE_CAPTURED (last ack: {ack})")
