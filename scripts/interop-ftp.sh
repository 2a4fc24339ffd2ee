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
LOG=$(mktemp)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -f "$LOG"
}
trap cleanup EXIT INT TERM

RUST_LOG=${RUST_LOG:-info} "$BIN" run --simulate --sim-boot-ms 1000 --no-state \
    --mavlink "udpout:127.0.0.1:$P1" 2>"$LOG" &
PIDS+=($!)

echo "siyi-bridge FTP interop (pymavlink.mavftp on :$P1)"
OUT=$(timeout 120 "$PY" scripts/interop_ftp.py "$P1" src/core/camera/siyi_a8_mini.xml 20 2>&1)
echo "$OUT" | grep -v ' passed, .* failed$'
LAST=$(echo "$OUT" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
PASS=0
FAIL=0
if [ -z "$LAST" ]; then
    echo "  FAIL  interop_ftp.py did not finish"
    echo "$OUT" | tail -5
    FAIL=1
else
    PASS=$(echo "$LAST" | cut -d' ' -f1)
    FAIL=$(echo "$LAST" | cut -d' ' -f3)
fi
if ! kill -0 "${PIDS[0]}" 2>/dev/null; then
    echo "  FAIL  the bridge died; its log:"
    tail -20 "$LOG"
    FAIL=$((FAIL + 1))
fi
if [ "$FAIL" -ne 0 ]; then
    echo "bridge log (last 20 lines):"
    tail -20 "$LOG"
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
