#!/usr/bin/env bash
# Interop: third-party MAVLink clients (pymavlink, MAVSDK from PyPI: camera and gimbal
# plugins) against `siyi-bridge run --simulate` on loopback; pymavlink playing PX4 as a client of
# the bridge's gimbal manager (interop_gimbal_client.py, PX4's MNT_MODE_OUT=3) with pymavlink as
# QGC; last, pymavlink playing PX4 against the gimbal
# component (interop_gimbal.py, run after the others: PX4's requests make the bridge step down
# as gimbal manager). Creates scripts/.venv on first use (scripts/interop-lib.sh).
# Last line: 'N passed, N failed'; exit status non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
# shellcheck source=scripts/interop-lib.sh
. scripts/interop-lib.sh
read -r P1 P2 P3 P4 < <(free_ports udp udp udp udp)
STATE=$(mktemp -d)
CLEANUP_FILES+=("$STATE")

start_bridge --simulate --sim-boot-ms 1000 \
    --mavlink "udpout:127.0.0.1:$P1" --mavlink "udpout:127.0.0.1:$P2" \
    --mavlink "udpout:127.0.0.1:$P3" --mavlink "udpout:127.0.0.1:$P4" \
    --state-dir "$STATE" --stream-uri rtsp://127.0.0.1:8554/main.264

echo "siyi-bridge interop (pymavlink on :$P1, MAVSDK on :$P2, MAVSDK gimbal on :$P4, pymavlink as PX4 on :$P3)"
run_part scripts/interop_pymavlink.py "$P1"
run_part scripts/interop_mavsdk.py "$P2"
run_part scripts/interop_mavsdk_gimbal.py "$P4"
# PX4 as a client of the bridge's manager (MNT_MODE_OUT=3) on PX4's port, QGC on pymavlink's.
run_part scripts/interop_gimbal_client.py "$P3" "$P1"
run_part scripts/interop_gimbal.py "$P3"

finish
