#!/usr/bin/env python3
"""Interop through a real PX4 (SITL with SIH): pymavlink plays QGroundControl on PX4's
ground-station link and never talks to the bridge directly; PX4 forwards to and from
`siyi-bridge run --simulate` on its camera link (scripts/interop-px4.sh starts both).

Usage: interop_px4.py GCS_PORT SYSID RUN_DIR PX4_BIN INSTANCE -- PX4 listens for the ground
station on udp 127.0.0.1:GCS_PORT and is system SYSID; RUN_DIR holds px4.log; PX4_BIN/px4-*
are PX4's shell commands. Prints one line per check, figures as 'info' lines, and ends with
'N passed, N failed'.

Figures: command -> COMMAND_ACK latency through PX4 (p50/p99), MAVLink FTP download time, and
the loss of each of our components at the ground station, counted from the sequence numbers
(each component numbers its own messages, so a gap is a message PX4 did not forward).
"""
import math
import statistics
import struct
import subprocess
import sys
import time

from interop_common import M, Tally  # sets MAVLINK20 before pymavlink loads

from pymavlink import mavftp, mavutil  # noqa: E402

GCS_PORT, SYSID, RUN_DIR, PX4_BIN, INSTANCE = (
    int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
CAM, GIMBAL, AUTOPILOT = 100, 154, 1
t = Tally("px4")
check = t.check


class Gcs:
    """QGC's side: system 255 component 190, heartbeat at 1 Hz, every message counted."""

    def __init__(self):
        self.conn = mavutil.mavlink_connection(
            f"udpout:127.0.0.1:{GCS_PORT}", source_system=255, source_component=190,
            dialect="common")
        self.last_hb = 0.0
        self.seq = {}       # (system, component) -> last sequence number
        self.total = {}     # (system, component) -> messages received
        self.lost = {}      # (system, component) -> messages missing by the sequence numbers
        self.position = None  # PX4's latest GLOBAL_POSITION_INT
        self.attitude = None  # PX4's latest ATTITUDE
        self.captured = []  # (CAMERA_IMAGE_CAPTURED, metres from PX4's position, height)
        self.types = {}     # (system, component, type) -> count
        self.conn.mav.heartbeat_send(M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0)
        # Every message counted, also those pymavlink's FTP client reads itself.
        self.conn.message_hooks.append(lambda _conn, m: self.note(m))

    def tick(self):
        if time.time() - self.last_hb >= 1.0:
            self.conn.mav.heartbeat_send(M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0)
            self.last_hb = time.time()

    def note(self, m):
        """Counts `m` by its sender and sequence number."""
        if m.get_type() == "BAD_DATA":
            return
        key = (m.get_srcSystem(), m.get_srcComponent())
        seq = m.get_seq()
        if key in self.seq:
            self.lost[key] = self.lost.get(key, 0) + (seq - self.seq[key] - 1) % 256
        self.seq[key] = seq
        self.total[key] = self.total.get(key, 0) + 1
        k3 = key + (m.get_type(),)
        self.types[k3] = self.types.get(k3, 0) + 1
        if m.get_type() == "GLOBAL_POSITION_INT" and key == (SYSID, AUTOPILOT):
            self.position = m
        if m.get_type() == "ATTITUDE" and key == (SYSID, AUTOPILOT):
            self.attitude = m
        if m.get_type() == "CAMERA_IMAGE_CAPTURED" and key == (SYSID, CAM) and self.position:
            p = self.position
            north = (m.lat - p.lat) * 1e-7 * 111_320.0
            east = (m.lon - p.lon) * 1e-7 * 111_320.0 * math.cos(math.radians(p.lat * 1e-7))
            self.captured.append((m, math.hypot(north, east), p.relative_alt / 1000.0))

    def recv(self, timeout):
        return self.conn.recv_match(blocking=True, timeout=timeout)

    def wait(self, types, cond=lambda m: True, timeout=5.0, comp=CAM):
        types = [types] if isinstance(types, str) else types
        end = time.time() + timeout
        while time.time() < end:
            self.tick()
            m = self.recv(min(0.2, max(0.01, end - time.time())))
            if (m is not None and m.get_type() in types and m.get_srcSystem() == SYSID
                    and m.get_srcComponent() == comp and cond(m)):
                return m
        return None

    def drain(self, seconds=0.0):
        end = time.time() + seconds
        while True:
            m = self.recv(max(0.0, min(0.05, end - time.time())))
            if m is None and time.time() >= end:
                return

    def command(self, cmd, *p, comp=CAM, final=True, timeout=5.0):
        """COMMAND_LONG to (SYSID, comp); (result of the final ACK or None, seconds to the ACK)."""
        p = list(p) + [0] * (7 - len(p))
        t0 = time.perf_counter()
        self.conn.mav.command_long_send(SYSID, comp, cmd, 0, *p)
        end = time.time() + timeout
        while time.time() < end:
            a = self.wait("COMMAND_ACK", lambda m: m.command == cmd, end - time.time(), comp)
            if a is None:
                return None, None
            if final and a.result == M.MAV_RESULT_IN_PROGRESS:
                continue
            return a.result, time.perf_counter() - t0
        return None, None

    def command_int(self, cmd, *p, comp=CAM, timeout=5.0):
        """COMMAND_INT in MAV_FRAME_GLOBAL_INT (this PX4 refuses MAV_FRAME_GLOBAL with "frame
        invalid") to (SYSID, comp); (result, seconds)."""
        p = list(p) + [0] * (7 - len(p))
        t0 = time.perf_counter()
        self.conn.mav.command_int_send(SYSID, comp, M.MAV_FRAME_GLOBAL_INT, cmd, 0, 0, *p)
        a = self.wait("COMMAND_ACK", lambda m: m.command == cmd, timeout, comp)
        return (a.result, time.perf_counter() - t0) if a else (None, None)

    def request(self, msg_id, name, *p, comp=CAM, timeout=3.0):
        """REQUEST_MESSAGE(msg_id): the message, or None."""
        r, _ = self.command(M.MAV_CMD_REQUEST_MESSAGE, msg_id, *p, comp=comp)
        if r != M.MAV_RESULT_ACCEPTED:
            return None
        return self.wait(name, timeout=timeout, comp=comp)


def text(field):
    raw = field if isinstance(field, (bytes, str)) else bytes(field)
    if isinstance(raw, bytes):
        raw = raw.split(b"\0")[0].decode(errors="replace")
    return raw.rstrip("\0")


def px4_shell(*args):
    """A PX4 shell command on the running instance; what it printed (`perf` prints on stdout,
    `mavlink status` into px4.log: the lines the log grew by until it stops, at most 2 s)."""
    log = f"{RUN_DIR}/px4.log"
    with open(log, "rb") as f:
        start = f.seek(0, 2)
    r = subprocess.run([f"{PX4_BIN}/px4-{args[0]}", "--instance", INSTANCE, *args[1:]],
                       capture_output=True, text=True, timeout=10, cwd=RUN_DIR, check=False)
    if r.stdout.strip():
        return r.stdout
    size, end = start, time.time() + 2.0
    while time.time() < end:
        g.drain(0.1)
        with open(log, "rb") as f:
            now = f.seek(0, 2)
        if now == size and now > start:
            break
        size = now
    with open(log, "rb") as f:
        f.seek(start)
        return f.read().decode(errors="replace")


def forwarding_errors():
    """PX4's perf counters 'mavlink: forwarding error' (messages it could not forward; one per
    MAVLink instance), summed, or -1."""
    counts = []
    for line in px4_shell("perf").splitlines():
        if "forwarding error" in line:
            counts += [int(w) for w in line.split() if w.isdigit()][:1]
    return sum(counts) if counts else -1


T_START = time.time()
g = Gcs()
hb = g.wait("HEARTBEAT", timeout=15, comp=AUTOPILOT)
check("PX4 heartbeat on the ground-station link", hb is not None
      and hb.autopilot == M.MAV_AUTOPILOT_PX4, f"(system {SYSID})")
cam_hb = g.wait("HEARTBEAT", timeout=15)
check("camera heartbeat forwarded by PX4, with PX4's system id",
      cam_hb is not None and cam_hb.type == M.MAV_TYPE_CAMERA, f"(system {SYSID}, component 100)")
if cam_hb is None:
    t.finish()

# Discovery as QGC does it, until the simulated camera has booted.
info = None
end = time.time() + 30
while info is None and time.time() < end:
    info = g.request(M.MAVLINK_MSG_ID_CAMERA_INFORMATION, "CAMERA_INFORMATION")
    if info is None:
        g.drain(0.3)
check("CAMERA_INFORMATION", info is not None and text(info.vendor_name) == "SIYI",
      f"({text(info.model_name)}, flags {info.flags:#x})" if info else "")
if info is None:
    t.finish()
s = g.request(M.MAVLINK_MSG_ID_CAMERA_SETTINGS, "CAMERA_SETTINGS")
check("CAMERA_SETTINGS", s is not None, f"(mode {s.mode_id})" if s else "")
st = g.request(M.MAVLINK_MSG_ID_STORAGE_INFORMATION, "STORAGE_INFORMATION", 0)
check("STORAGE_INFORMATION", st is not None, f"(status {st.status})" if st else "")
cs = g.request(M.MAVLINK_MSG_ID_CAMERA_CAPTURE_STATUS, "CAMERA_CAPTURE_STATUS")
check("CAMERA_CAPTURE_STATUS", cs is not None, f"(images {cs.image_count})" if cs else "")
vi = g.request(M.MAVLINK_MSG_ID_VIDEO_STREAM_INFORMATION, "VIDEO_STREAM_INFORMATION", 0)
check("VIDEO_STREAM_INFORMATION", vi is not None and vi.stream_id == 1,
      f"({text(vi.uri)})" if vi else "")
vs = g.request(M.MAVLINK_MSG_ID_VIDEO_STREAM_STATUS, "VIDEO_STREAM_STATUS", 0)
check("VIDEO_STREAM_STATUS", vs is not None)

# A photo: geotagged with PX4's own position (the vehicle stands on the ground in SIH).
count0 = cs.image_count if cs else 0
r, _ = g.command(M.MAV_CMD_IMAGE_START_CAPTURE, 0, 0, 1)
cap = g.wait("CAMERA_IMAGE_CAPTURED", timeout=8)
pos = g.position
err_m = None
if cap is not None and pos is not None:
    north = (cap.lat - pos.lat) * 1e-7 * 111_320.0
    east = (cap.lon - pos.lon) * 1e-7 * 111_320.0 * math.cos(math.radians(pos.lat * 1e-7))
    err_m = math.hypot(north, east)
check("photo -> CAMERA_IMAGE_CAPTURED, index and file URL", r == M.MAV_RESULT_ACCEPTED
      and cap is not None and cap.capture_result == 1 and cap.image_index == count0
      and text(cap.file_url).startswith("http"),
      f"(index {getattr(cap, 'image_index', None)}, {text(cap.file_url) if cap else ''})")
check("geotag = PX4's GLOBAL_POSITION_INT", err_m is not None and err_m < 0.5
      and abs(cap.alt - pos.alt) < 500, f"({err_m:.3f} m, alt {cap.alt - pos.alt} mm off)"
      if err_m is not None else f"(position {pos is not None})")

r, _ = g.command(M.MAV_CMD_VIDEO_START_CAPTURE, 0)
ok = g.wait("CAMERA_CAPTURE_STATUS", lambda m: m.video_status == 1, timeout=5) is not None
r2, _ = g.command(M.MAV_CMD_VIDEO_STOP_CAPTURE, 0)
ok = ok and g.wait("CAMERA_CAPTURE_STATUS", lambda m: m.video_status == 0, timeout=5) is not None
check("video start and stop", ok and r == r2 == M.MAV_RESULT_ACCEPTED)

r, _ = g.command(M.MAV_CMD_SET_CAMERA_ZOOM, M.ZOOM_TYPE_RANGE, 50)
z = g.wait("CAMERA_SETTINGS", lambda m: abs(m.zoomLevel - 50) < 5, timeout=5)
check("zoom 50 % -> CAMERA_SETTINGS", r == M.MAV_RESULT_ACCEPTED and z is not None)

# Command -> ACK latency through PX4.
lat = []
for _ in range(40):
    r, dt = g.command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_CAMERA_CAPTURE_STATUS, timeout=2)
    if r == M.MAV_RESULT_ACCEPTED:
        lat.append(dt * 1000)
check("40 commands acknowledged through PX4", len(lat) == 40, f"({len(lat)})")
if lat:
    lat.sort()
    print(f"  info  px4: command -> ACK through PX4: p50 {statistics.median(lat):.1f} ms, "
          f"p99 {lat[min(len(lat) - 1, int(len(lat) * 0.99))]:.1f} ms ({len(lat)} commands)")


def lost_of(comp):
    return g.lost.get((SYSID, comp), 0), g.total.get((SYSID, comp), 0)


fwd_start = forwarding_errors()
print(f"  info  px4: PX4's forwarding errors after discovery, photo, video, zoom: {fwd_start}")
# The camera definition over MAVLink FTP (the path from CAMERA_INFORMATION).
uri = text(info.cam_definition_uri)
path = "/" + uri[len("mftp://"):] if uri.startswith("mftp://") else None
check("definition URI is mftp://", path is not None, uri)
if path:
    g.drain(0.5)
    lost0, total0 = lost_of(CAM)
    ftp_in0 = g.types.get((SYSID, CAM, "FILE_TRANSFER_PROTOCOL"), 0)
    fwd0 = forwarding_errors()
    ftp = mavftp.MAVFTP(g.conn, SYSID, CAM)
    times, sizes = [], []
    for _ in range(3):
        got = {}

        def keep(fh, got=got):
            got["data"] = fh.read()

        t0 = time.perf_counter()
        ftp.cmd_get([path], callback=keep)
        ret = ftp.process_ftp_reply("OpenFileRO", timeout=20)
        times.append(time.perf_counter() - t0)
        sizes.append(len(got.get("data") or b""))
        if ret.error_code != mavftp.FtpError.Success:
            break
    check("definition downloaded over FTP through PX4 (3 times)", len(sizes) == 3
          and all(n > 1000 for n in sizes) and len(set(sizes)) == 1, f"({sizes} bytes)")
    g.drain(0.5)
    lost1, total1 = lost_of(CAM)
    fwd1 = forwarding_errors()
    ftp_in = g.types.get((SYSID, CAM, "FILE_TRANSFER_PROTOCOL"), 0) - ftp_in0
    print(f"  info  px4: FTP download through PX4: p50 {statistics.median(times) * 1000:.0f} ms,"
          f" max {max(times) * 1000:.0f} ms; {ftp_in} FTP replies arrived; camera messages "
          f"missing by sequence meanwhile {lost1 - lost0} of {total1 - total0 + lost1 - lost0};"
          f" PX4 forwarding errors meanwhile {fwd1 - fwd0}")

# PARAM_EXT: the whole list in one answer, ten times; every value must arrive each time.
fwd0 = forwarding_errors()
IDS = ["CAM_MODE", "GIMBAL_MODE", "STREAM_RES", "STREAM_BITRATE", "STREAM_CODEC", "REC_RES"]
complete = 0
received = 0
for _ in range(10):
    g.conn.mav.param_ext_request_list_send(SYSID, CAM)
    got = set()
    end = time.time() + 1.5
    while time.time() < end and len(got) < len(IDS):
        m = g.wait("PARAM_EXT_VALUE", timeout=end - time.time())
        if m is not None:
            got.add(text(m.param_id))
    received += len(got)
    complete += got == set(IDS)
check("PARAM_EXT_REQUEST_LIST: six values, ten lists in a row", complete == 10,
      f"({received} of {10 * len(IDS)} values, {complete} lists complete; PX4 forwarding "
      f"errors meanwhile {forwarding_errors() - fwd0})")
raw = struct.pack("<I", 3000).ljust(128, b"\0")
g.conn.mav.param_ext_set_send(SYSID, CAM, b"STREAM_BITRATE", raw, M.MAV_PARAM_EXT_TYPE_UINT32)
a = g.wait("PARAM_EXT_ACK", lambda m: m.param_result != M.PARAM_ACK_IN_PROGRESS, timeout=8)
check("PARAM_EXT_SET STREAM_BITRATE 3000 accepted", a is not None
      and a.param_result == M.PARAM_ACK_ACCEPTED, f"(result {getattr(a, 'param_result', None)})")

# Point and rectangle tracking with the status stream.
r, _ = g.command(M.MAV_CMD_CAMERA_TRACK_POINT, 0.6, 0.4, 0.05)
check("CAMERA_TRACK_POINT accepted", r == M.MAV_RESULT_ACCEPTED, f"(result {r})")
r, _ = g.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, 275, 200000)
n = 0
end = time.time() + 2.0
last = None
while time.time() < end:
    m = g.wait("CAMERA_TRACKING_IMAGE_STATUS", timeout=end - time.time())
    if m is not None:
        n += 1
        last = m
check("CAMERA_TRACKING_IMAGE_STATUS streamed at 5 Hz", r == M.MAV_RESULT_ACCEPTED and 6 <= n <= 13
      and last is not None and last.tracking_mode == M.CAMERA_TRACKING_MODE_POINT, f"({n} in 2 s)")
r, _ = g.command(M.MAV_CMD_CAMERA_TRACK_RECTANGLE, 0.3, 0.2, 0.7, 0.6)
m = g.wait("CAMERA_TRACKING_IMAGE_STATUS",
           lambda m: m.tracking_mode == M.CAMERA_TRACKING_MODE_RECTANGLE, timeout=3)
check("CAMERA_TRACK_RECTANGLE accepted, status: rectangle", r == M.MAV_RESULT_ACCEPTED
      and m is not None)
r, _ = g.command(M.MAV_CMD_CAMERA_STOP_TRACKING)
m = g.wait("CAMERA_TRACKING_IMAGE_STATUS",
           lambda m: m.tracking_status == M.CAMERA_TRACKING_STATUS_FLAGS_IDLE, timeout=3)
check("CAMERA_STOP_TRACKING, status: idle", r == M.MAV_RESULT_ACCEPTED and m is not None)
g.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, 275, -1)


# PX4 as gimbal manager (MNT_MODE_IN=4 MNT_MODE_OUT=2) of our gimbal device.
def pitch_yaw(q):
    w, x, y, z = q
    pitch = math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x))))
    yaw = math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return math.degrees(pitch), math.degrees(yaw)


pm = g.wait("GIMBAL_MANAGER_INFORMATION", timeout=0.1, comp=AUTOPILOT)
dev = g.wait("GIMBAL_DEVICE_ATTITUDE_STATUS", timeout=5, comp=GIMBAL)
check("gimbal device status forwarded by PX4", dev is not None)
g.drain(1.5)
before = g.types.get((SYSID, GIMBAL, "GIMBAL_MANAGER_STATUS"), 0)
g.drain(2.5)
check("our gimbal manager stepped down for PX4's",
      g.types.get((SYSID, GIMBAL, "GIMBAL_MANAGER_STATUS"), 0) == before
      and g.types.get((SYSID, AUTOPILOT, "GIMBAL_MANAGER_STATUS"), 0) > 0)
r, _ = g.command(M.MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE, 255, 190, -1, -1, 0, 0, 0, comp=AUTOPILOT)
check("DO_GIMBAL_MANAGER_CONFIGURE (QGC in control) accepted by PX4", r == M.MAV_RESULT_ACCEPTED,
      f"(result {r})")
flags = M.GIMBAL_MANAGER_FLAGS_ROLL_LOCK | M.GIMBAL_MANAGER_FLAGS_PITCH_LOCK
r, _ = g.command(M.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, -30, 40, math.nan, math.nan, flags, 0, 0,
                 comp=AUTOPILOT)
st = g.wait("GIMBAL_DEVICE_ATTITUDE_STATUS",
            lambda m: abs(pitch_yaw(m.q)[0] + 30) < 1 and abs(pitch_yaw(m.q)[1] - 40) < 1.5,
            timeout=8, comp=GIMBAL)
last = g.wait("GIMBAL_DEVICE_ATTITUDE_STATUS", timeout=1, comp=GIMBAL) if st is None else st
check("DO_GIMBAL_MANAGER_PITCHYAW through PX4 moves our gimbal (pitch -30, yaw 40)",
      r == M.MAV_RESULT_ACCEPTED and st is not None,
      "(result {}, pitch {:.1f}, yaw {:.1f})".format(r, *pitch_yaw(last.q)) if last else "")


# DO_SET_ROI_LOCATION: PX4 points our gimbal at a place 100 m north, 100 m east, 50 m below.
def roi_expected():
    """(pitch, yaw relative to the vehicle) towards the ROI from PX4's position and heading."""
    pos, att = g.position, g.attitude
    if pos is None or att is None:
        return None
    north = (roi_lat - pos.lat) * 1e-7 * 111_320.0
    east = (roi_lon - pos.lon) * 1e-7 * 111_320.0 * math.cos(math.radians(pos.lat * 1e-7))
    down = pos.alt / 1000.0 - roi_alt
    pitch = -math.degrees(math.atan2(down, math.hypot(north, east)))
    yaw = math.degrees(math.atan2(east, north) - att.yaw)
    return pitch, (yaw + 180.0) % 360.0 - 180.0


def angle_off(m):
    want = roi_expected()
    if want is None:
        return 999.0
    p, y = pitch_yaw(m.q)
    if m.flags & M.GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME and g.attitude is not None:
        y -= math.degrees(g.attitude.yaw)
    return max(abs(p - want[0]), abs((y - want[1] + 180.0) % 360.0 - 180.0))


pos0 = g.position
roi_lat = pos0.lat + int(100 / 111_320.0 * 1e7)
roi_lon = pos0.lon + int(100 / (111_320.0 * math.cos(math.radians(pos0.lat * 1e-7))) * 1e7)
roi_alt = pos0.alt / 1000.0 - 50.0
r, _ = g.command_int(M.MAV_CMD_DO_SET_ROI_LOCATION, 0, 0, 0, 0, roi_lat, roi_lon, roi_alt,
                     comp=AUTOPILOT)
st = g.wait("GIMBAL_DEVICE_ATTITUDE_STATUS", lambda m: angle_off(m) < 1.5, timeout=8,
            comp=GIMBAL)
last = st or g.wait("GIMBAL_DEVICE_ATTITUDE_STATUS", timeout=1, comp=GIMBAL)
check("DO_SET_ROI_LOCATION through PX4 points our gimbal at it (within 1.5 deg)",
      r == M.MAV_RESULT_ACCEPTED and st is not None,
      "(result {}, want {}, off {:.2f} deg)".format(
          r, tuple(round(v, 1) for v in roi_expected() or ()), angle_off(last) if last else 999))
g.command(M.MAV_CMD_DO_SET_ROI_NONE, 0, comp=AUTOPILOT)


# A short mission flown by SIH: takeoff, then waypoints each followed by a camera item.
def mission_items(home):
    lat0, lon0, alt = home.lat, home.lon, 10.0
    deg_n = 1e7 / 111_320.0
    deg_e = deg_n / math.cos(math.radians(lat0 * 1e-7))
    fr = M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
    items = [(M.MAV_CMD_NAV_TAKEOFF, fr, [0, 0, 0, math.nan], lat0, lon0, alt)]
    for k, (n, e) in enumerate(MISSION_POINTS):
        items.append((M.MAV_CMD_NAV_WAYPOINT, fr, [0, 1, 0, math.nan],
                      lat0 + int(n * deg_n), lon0 + int(e * deg_e), alt))
        items.append((M.MAV_CMD_IMAGE_START_CAPTURE, M.MAV_FRAME_MISSION, [0, 0, 1, k + 1],
                      0, 0, 0))
    items.append((M.MAV_CMD_NAV_RETURN_TO_LAUNCH, M.MAV_FRAME_MISSION, [0, 0, 0, 0], 0, 0, 0))
    return items


def upload(items):
    g.conn.mav.mission_count_send(SYSID, AUTOPILOT, len(items), M.MAV_MISSION_TYPE_MISSION)
    end = time.time() + 15
    while time.time() < end:
        m = g.wait(["MISSION_REQUEST_INT", "MISSION_REQUEST", "MISSION_ACK"],
                   timeout=end - time.time(), comp=AUTOPILOT)
        if m is None:
            return None
        if m.get_type() == "MISSION_ACK":
            return m.type
        cmd, frame, p, x, y, z = items[m.seq]
        g.conn.mav.mission_item_int_send(SYSID, AUTOPILOT, m.seq, frame, cmd, int(m.seq == 0), 1,
                                         *p, x, y, z, M.MAV_MISSION_TYPE_MISSION)
    return None


MISSION_POINTS = [(25, 0), (25, 25), (0, 25)]
home = g.position
count_before = g.types.get((SYSID, CAM, "CAMERA_IMAGE_CAPTURED"), 0)
g.captured = []
acc = upload(mission_items(home))
check("mission uploaded to PX4", acc == M.MAV_MISSION_ACCEPTED, f"(ack {acc})")
r_mode, _ = g.command(M.MAV_CMD_DO_SET_MODE, M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 4, 4,
                      comp=AUTOPILOT)
r_arm, _ = g.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1, comp=AUTOPILOT, timeout=8)
check("PX4 in mission mode and armed", r_mode == r_arm == M.MAV_RESULT_ACCEPTED,
      f"(mode {r_mode}, arm {r_arm})")
end = time.time() + 90
while time.time() < end and len(g.captured) < len(MISSION_POINTS):
    g.wait("CAMERA_IMAGE_CAPTURED", timeout=end - time.time())
g.drain(1.0)
errs = [e for _, e, _ in g.captured]
alts = [h for _, _, h in g.captured]
idx = [c.image_index for c, _, _ in g.captured]
check("mission camera items -> one photo each, geotagged where the vehicle was",
      len(g.captured) == len(MISSION_POINTS) and len(set(idx)) == len(idx)
      and all(e < 5.0 for e in errs) and all(h > 5.0 for h in alts),
      f"({len(g.captured)} photos for {len(MISSION_POINTS)} items, indices {idx}, geotag off "
      f"{', '.join(f'{e:.2f}' for e in errs)} m, {', '.join(f'{h:.1f}' for h in alts)} m up)")
g.command(M.MAV_CMD_NAV_RETURN_TO_LAUNCH, comp=AUTOPILOT)

# What reached the ground station, and what PX4 counted.
g.drain(1.0)
for comp, name in [(CAM, "camera 100"), (GIMBAL, "gimbal 154")]:
    lost, total = lost_of(comp)
    print(f"  info  px4: {name}: {total} messages at the ground station, {lost} missing by "
          f"sequence ({100.0 * lost / max(1, lost + total):.1f} %; what is addressed to PX4 "
          f"itself, e.g. the ACKs of its mission commands, is not forwarded)")
# Before PX4's heartbeat is heard a component sends only its heartbeat (and answers) as system 1,
# so that a ground station alone still finds it (README, "startup hold"); PX4 may forward such a
# heartbeat if the ground station's link is already up. Anything else under another id is a bug.
early_hb = sorted(k[:2] for k in g.types if k[0] != SYSID and k[1] in (CAM, GIMBAL)
                  and k[2] == "HEARTBEAT")
strays = sorted((k, n) for k, n in g.types.items()
                if k[0] != SYSID and k[1] in (CAM, GIMBAL) and k[2] != "HEARTBEAT")
print(f"  info  px4: heartbeats of ours under another system id (before PX4's was learned): "
      f"{early_hb or 'none'}")
check("nothing of ours but heartbeats under another system id (before PX4's was learned)",
      not strays, str(strays))
print(f"  info  px4: PX4's forwarding errors in the whole run: {forwarding_errors()}")
hb_cam = g.types.get((SYSID, CAM, "HEARTBEAT"), 0)
hb_gim = g.types.get((SYSID, GIMBAL, "HEARTBEAT"), 0)
print(f"  info  px4: heartbeats at the ground station: camera {hb_cam}, gimbal {hb_gim} in "
      f"{time.time() - T_START:.0f} s")
status = px4_shell("mavlink", "status")
for line in status.splitlines():
    if "compid:100" in line or "compid:154" in line:
        print(f"  info  px4 mavlink status (camera link): {line.strip()}")
t.finish()
