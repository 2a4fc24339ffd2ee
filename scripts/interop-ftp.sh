#!/usr/bin/env bash
# Interop: pymavlink's MAVLink FTP client (pymavlink.mavftp) downloads the camera definition
# named in CAMERA_INFORMATION from `siyi-bridge run --simulate` on loopback, lxml parses it and
# the six camera settings are checked; the download time over loopback is measured (median of
# 20). Uses scripts/.venv (scripts/interop-lib.sh).
# Last line: 'N passed, N failed'; exit status non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
# shellcheck source=scripts/interop-lib.sh
. scripts/interop-lib.sh
read -r P1 < <(free_ports udp)
start_bridge --simulate --sim-boot-ms 1000 --no-state --mavlink "udpout:127.0.0.1:$P1"

echo "siyi-bridge FTP interop (pymavlink.mavftp on :$P1)"
run_part scripts/interop_ftp.py "$P1" src/core/settings/siyi_a8_mini.xml 20
finish
