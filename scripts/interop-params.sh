#!/usr/bin/env bash
# Interop: the camera settings over PARAM_EXT (what QGC does after loading the camera
# definition), with pymavlink against `siyi-bridge run --simulate` on loopback: the list, a
# bitrate change confirmed by the camera, a read showing it, a value outside the range refused
# (VALUE_UNSUPPORTED), a bitrate the camera refuses (FAILED), and the gimbal motion mode.
# Uses scripts/.venv (scripts/interop-lib.sh creates it on first use).
# Last line: 'N passed, N failed'; exit status non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
# shellcheck source=scripts/interop-lib.sh
. scripts/interop-lib.sh
read -r P1 < <(free_ports udp)
start_bridge --simulate --sim-boot-ms 1000 --no-state --mavlink "udpout:127.0.0.1:$P1"

echo "siyi-bridge camera settings interop (pymavlink on :$P1)"
run_part scripts/interop_params.py "$P1"
finish
