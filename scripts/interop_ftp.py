#!/usr/bin/env python3
"""Interop check: pymavlink's own MAVLink FTP client (pymavlink.mavftp) fetches the camera
definition from a running siyi-bridge, as a ground station would: the URI from
CAMERA_INFORMATION, the file over FTP from the camera component, then lxml parses it.

Usage: interop_ftp.py PORT XML [DOWNLOADS] -- listens on udpin 127.0.0.1:PORT (the bridge sends
there with `--mavlink udpout:127.0.0.1:PORT`); XML is the repository's copy of the definition
to compare with; DOWNLOADS (default 20) downloads are timed, the median is printed. Prints one
line per check and ends with 'N passed, N failed'; exit status 1 when anything failed.
"""
import logging
import statistics
import sys
import time

from lxml import etree
from pymavlink import mavftp

from interop_common import M, Link, Tally

PORT = int(sys.argv[1])
REPO_XML = open(sys.argv[2], "rb").read()
DOWNLOADS = int(sys.argv[3]) if len(sys.argv) > 3 else 20
CAM = 100
PARAMS = ["CAM_MODE", "GIMBAL_MODE", "STREAM_RES", "STREAM_BITRATE", "STREAM_CODEC", "REC_RES"]
logging.basicConfig(level=logging.WARNING)

t = Tally("ftp")
link = Link(PORT, 255, 190, CAM)
hb = link.wait("HEARTBEAT", timeout=10)
t.check("camera heartbeat", hb is not None)
if hb is None:
    t.finish()
link.sysid = hb.get_srcSystem()

info = None
end = time.time() + 20
while info is None and time.time() < end:  # the simulated camera boots first
    if link.command(M.MAV_CMD_REQUEST_MESSAGE, 259) == M.MAV_RESULT_ACCEPTED:
        info = link.wait("CAMERA_INFORMATION", timeout=2)
    else:
        link.wait("HEARTBEAT", timeout=1.5)
t.check("CAMERA_INFORMATION", info is not None)
if info is None:
    t.finish()
uri = info.cam_definition_uri
uri = uri.decode() if isinstance(uri, bytes) else uri
uri = uri.rstrip("\0")
t.check("definition URI is mftp://", uri.startswith("mftp://"), uri)
path = "/" + uri[len("mftp://"):]  # what QGroundControl asks for

ftp = mavftp.MAVFTP(link.conn, link.sysid, CAM)


def heartbeat():
    """As every ground station does: the bridge bursts and sends file data only to a sender
    that heartbeats (within 10 s)."""
    link.conn.mav.heartbeat_send(M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0)


def download():
    heartbeat()
    got = {}

    def keep(fh):
        got["data"] = fh.read()

    ftp.cmd_get([path], callback=keep)
    ret = ftp.process_ftp_reply("OpenFileRO", timeout=10)
    return ret, got.get("data")


heartbeat()
ret = ftp.cmd_list(["/"])
names = [e.name for e in (ret.directory_listing or [])]
t.check("ListDirectory / names the definition", path[1:] in names, str(names))

ret, data = download()
t.check("download succeeds", ret.error_code == mavftp.FtpError.Success and data is not None,
        f"error {ret.error_code}")
if data is None:
    t.finish()
t.check("the downloaded file is the repository's", data == REPO_XML,
        f"{len(data)} of {len(REPO_XML)} bytes")

root = etree.fromstring(data)
t.check("root element", root.tag == "mavlinkcamera", root.tag)
definition = root.find("definition")
t.check("definition version = cam_definition_version",
        definition is not None and definition.get("version") == str(info.cam_definition_version),
        f"{definition.get('version') if definition is not None else None} "
        f"vs {info.cam_definition_version}")
t.check("model and vendor",
        (definition.findtext("model"), definition.findtext("vendor")) == ("A8 mini", "SIYI"))
params = root.findall("parameters/parameter")
t.check("the six parameters", [p.get("name") for p in params] == PARAMS,
        str([p.get("name") for p in params]))
for p in params:
    values = [o.get("value") for o in p.findall("options/option")]
    ok = (p.get("type") == "uint32" and p.findtext("description")
          and (p.get("default") in values if values
               else int(p.get("min")) <= int(p.get("default")) <= int(p.get("max"))))
    t.check(f"{p.get('name')} complete", bool(ok))

times = []
for _ in range(DOWNLOADS):
    t0 = time.perf_counter()
    ret, data = download()
    times.append(time.perf_counter() - t0)
    if data != REPO_XML:
        break
t.check(f"{DOWNLOADS} more downloads, all identical", len(times) == DOWNLOADS and data == REPO_XML)
if times:
    print(f"  info  ftp: definition ({len(REPO_XML)} bytes) download over loopback: "
          f"p50 {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms "
          f"({len(times)} downloads)")
t.finish()
