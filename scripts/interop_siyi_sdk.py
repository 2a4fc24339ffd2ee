#!/usr/bin/env python3
"""Interop check: the third-party PyPI package `siyi-sdk` (mzahana's SIYI SDK) against
`siyi-bridge sim` on loopback. Run by scripts/interop-siyi-sdk.sh, which starts the simulator.

Prints one PASS/FAIL line per check and a final "N passed, M failed" line; exits 1 on any failure.
Every wait is bounded.

Workarounds for siyi-sdk 0.2.12 bugs (the simulator is NOT changed to suit them):
  * parseFirmwareMsg keeps only the gimbal word (DATA bytes 4..8) and drops the camera word, so the
    camera firmware (0.0.0 while booting) cannot be read through the SDK: the subclass below keeps
    the camera word too.
  * bufferCallback calls parseRequestStreamMsg() without its arguments when a 0x25 ACK arrives,
    which raises TypeError and kills the receive thread: the subclass accepts a missing argument.
  * The hardware-id decoding swaps the two hex digits (issue #17); for an A8 mini ("73") the swap
    happens to give the right key, so this script also checks the raw ASCII id itself.
  * 0x0F / 0x80 ACKs are not parsed ("CMD ID is not recognized" warnings): the zoom is read back
    with 0x18 and the 0x05 ACK instead. The SDK logger is set to ERROR to keep the output readable.
  * disconnect() may block for the socket timeout (5 s): it is lowered to 0.5 s.
"""

import argparse
import ipaddress
import logging
import sys
import threading
import time

from siyi_sdk import SIYISDK


class PatchedSDK(SIYISDK):
    """SIYISDK with the workarounds listed in the module docstring."""

    camera_fw_hex = ""

    def parseFirmwareMsg(self, msg, seq):  # noqa: N802 (SDK naming)
        self.camera_fw_hex = msg[0:8]
        return super().parseFirmwareMsg(msg, seq)

    def parseRequestStreamMsg(self, msg="", seq=0):  # noqa: N802
        self._request_data_stream_msg.seq = seq
        if msg:
            self._request_data_stream_msg.data_type = int(msg, 16)
        return True


def fw_word(hex_str):
    """A firmware word (8 hex chars, little-endian u32) as 'major.minor.patch'."""
    if len(hex_str) != 8:
        return None
    b = bytes.fromhex(hex_str)
    return f"{b[2]}.{b[1]}.{b[0]}"


def wait_for(predicate, timeout_s, poll_s=0.05):
    """Polls predicate until true or the timeout; returns its last value."""
    deadline = time.monotonic() + timeout_s
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(poll_s)
        value = predicate()
    return value


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {name}{': ' + detail if detail else ''}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}{': ' + detail if detail else ''}", flush=True)
        return ok


def near(a, b, tol):
    return abs(a - b) <= tol


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--boot-time-ms", type=int, default=0,
                        help="the simulator's --boot-time-ms (camera firmware reads 0.0.0 until then)")
    args = parser.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        print(f"FAIL refusing non-loopback host {args.host}")
        return 1

    started = time.monotonic()
    c = Checks()
    cam = PatchedSDK(server_ip=args.host, port=args.port)
    for name in ("SIYISDK", "PatchedSDK", "SIYIMESSAGE"):
        logging.getLogger(name).setLevel(logging.ERROR)
    cam._socket.settimeout(0.5)

    if not c.check("connect (0x01 firmware replies with a changing camera SEQ)",
                   cam.connect(maxWaitTime=3.0, maxRetries=2)):
        print(f"{c.passed} passed, {c.failed} failed")
        return 1
    try:
        run_checks(cam, c, args, started)
    finally:
        cam.disconnect()
    print(f"{c.passed} passed, {c.failed} failed", flush=True)
    return 0 if c.failed == 0 else 1


def run_checks(cam, c, args, started):
    # Firmware: the camera word reads 0.0.0 while booting, then the real version.
    wait_for(lambda: cam.camera_fw_hex, 2.0)
    first_camera_fw = fw_word(cam.camera_fw_hex)
    if args.boot_time_ms >= 3000:
        c.check("camera firmware reads 0.0.0 while booting", first_camera_fw == "0.0.0",
                f"camera {first_camera_fw}")
    remaining_s = max(0.0, args.boot_time_ms / 1000 - (time.monotonic() - started)) + 3.0
    wait_for(lambda: fw_word(cam.camera_fw_hex) not in (None, "0.0.0"), remaining_s)
    gimbal_fw = fw_word(cam.getFirmwareVersion())
    camera_fw = fw_word(cam.camera_fw_hex)
    c.check("firmware after boot", camera_fw == "0.2.8" and gimbal_fw == "0.3.9",
            f"camera {camera_fw}, gimbal {gimbal_fw}")

    # Hardware id / model.
    wait_for(lambda: cam.getCameraTypeString(), 2.0)
    try:
        raw_id = bytes.fromhex(cam.getHardwareID()).rstrip(b"\0").decode("ascii")
    except ValueError:
        raw_id = "?"
    c.check("hardware id is an A8 mini",
            cam.getCameraTypeString() == "A8 mini" and raw_id.startswith("73") and len(raw_id) == 12,
            f"model {cam.getCameraTypeString()!r}, id {raw_id!r}")

    # Attitude: the SDK polls 0x0D at 50 Hz; replies keep arriving with fresh SEQs.
    seq0 = cam._att_msg.seq
    time.sleep(0.3)
    c.check("attitude stream of 0x0D replies", cam._att_msg.seq != seq0,
            f"attitude {cam.getAttitude()}, seq {seq0} -> {cam._att_msg.seq}")

    # Recording state (0x0A byte 3) and the 0x0C toggle.
    def record_state():
        cam.requestGimbalInfo()
        time.sleep(0.1)
        return cam.getRecordingState()

    state0 = wait_for(lambda: record_state() in (0, 1), 2.0) and cam.getRecordingState()
    c.check("recording state readable (not recording)", state0 == 0, f"record_sta {state0}")
    cam.requestRecording()
    on = wait_for(lambda: record_state() == 1, 3.0)
    c.check("record toggle starts recording", bool(on), f"record_sta {cam.getRecordingState()}")
    cam.requestRecording()
    off = wait_for(lambda: record_state() == 0, 3.0)
    c.check("record toggle stops recording", bool(off), f"record_sta {cam.getRecordingState()}")

    # Photo: no ACK, then a 0x0B push with code 0.
    cam._funcFeedback_msg.info_type = None
    cam.requestPhoto()
    got = wait_for(lambda: cam.getFunctionFeedback() is not None, 2.0)
    c.check("photo -> 0x0B feedback 0 (photo OK)", bool(got) and cam.getFunctionFeedback() == 0,
            f"feedback {cam.getFunctionFeedback()}")

    # Zoom: absolute (0x0F) read back with 0x18, clamped at 6.0; continuous (0x05) with its ACK.
    def current_zoom(target):
        cam.requestCurrentZoomLevel()
        time.sleep(0.1)
        return near(cam.getCurrentZoomLevel(), target, 0.01)

    cam.requestAbsoluteZoom(3.5)
    c.check("absolute zoom 3.5 read back by 0x18", wait_for(lambda: current_zoom(3.5), 2.0),
            f"zoom {cam.getCurrentZoomLevel()}")
    cam.requestAbsoluteZoom(9.0)
    c.check("absolute zoom 9.0 clamps to 6.0", wait_for(lambda: current_zoom(6.0), 2.0),
            f"zoom {cam.getCurrentZoomLevel()}")
    cam.requestAbsoluteZoom(1.0)
    wait_for(lambda: current_zoom(1.0), 2.0)
    cam.requestZoomIn()
    time.sleep(0.6)
    cam.requestZoomHold()
    time.sleep(0.2)
    level = cam.getZoomLevel()
    c.check("continuous zoom in, stop ACK carries zoom x10", 1.5 <= level <= 2.4,
            f"0x05 ACK zoom {level} after ~0.6 s at 1.5x/s")

    # Set angles (0x0E) and watch the attitude converge (SIYI yaw positive = left).
    cam.requestSetAngles(30.0, -45.0)
    ok = wait_for(lambda: near(cam.getAttitude()[0], 30.0, 0.2) and near(cam.getAttitude()[1], -45.0, 0.2), 3.0)
    c.check("set angles (30, -45) converge", bool(ok), f"attitude {cam.getAttitude()}")

    # The SDK's own closed loop on 0x07 rates (it negates yaw, so it only converges when
    # positive turn_yaw decreases SIYI yaw). It has no timeout of its own: run it in a thread.
    loop = threading.Thread(target=cam.setGimbalRotation, args=(-20, -30), kwargs={"err_thresh": 1.0, "kp": 4},
                            daemon=True)
    loop.start()
    loop.join(timeout=10.0)
    c.check("SDK rate loop (0x07) converges to (-20, -30)", not loop.is_alive()
            and near(cam.getAttitude()[0], -20.0, 1.5) and near(cam.getAttitude()[1], -30.0, 1.5),
            f"attitude {cam.getAttitude()}")

    # Centering (0x08): ACK sta 1, back to 0/0.
    cam._center_msg.success = False
    cam.requestCenterGimbal()
    acked = wait_for(lambda: cam.getCenteringFeedback(), 2.0)
    centred = wait_for(lambda: near(cam.getAttitude()[0], 0.0, 0.2) and near(cam.getAttitude()[1], 0.0, 0.2), 3.0)
    c.check("center ACK and attitude back to 0/0", bool(acked) and bool(centred),
            f"attitude {cam.getAttitude()}")

    # Motion modes via 0x0C 3/4/5, read from 0x0A byte 4.
    def mode_is(m):
        cam.requestGimbalInfo()
        time.sleep(0.1)
        return cam.getMotionMode() == m

    for name, request, mode in (("lock", cam.requestLockMode, 0), ("follow", cam.requestFollowMode, 1),
                                ("FPV", cam.requestFPVMode, 2)):
        request()
        c.check(f"{name} mode shows in 0x0A", wait_for(lambda: mode_is(mode), 2.0),
                f"mode {cam.getMotionMode()}")


if __name__ == "__main__":
    sys.exit(main())
