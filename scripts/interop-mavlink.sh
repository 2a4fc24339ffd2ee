#!/usr/bin/env bash
# Interop: third-party MAVLink clients (pymavlink, MAVSDK from PyPI: camera and gimbal
# plugins) against `siyi-bridge run --simulate` on loopback; last, pymavlink playing PX4 against the gimbal
# component (interop_gimbal.py, run after the others: PX4's requests make the bridge step down
# as gimbal manager). Creates scripts/.venv on first use (scripts/interop-lib.sh).
# Last line: 'N passed, N failed'; exit status non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
# shellcheck source=scripts/interop-lib.sh
. scripts/interop-lib.sh
read -r P1 P2 P3 P4 < <(free_ports udp udp udp udp)
STATE=$(mktemp -d)
LOG=$(mktemp)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$STATE"
}
trap cleanup EXIT INT TERM

RUST_LOG=${RUST_LOG:-info} "$BIN" run --simulate --sim-boot-ms 1000 \
    --mavlink "udpout:127.0.0.1:$P1" --mavlink "udpout:127.0.0.1:$P2" \
    --mavlink "udpout:127.0.0.1:$P3" --mavlink "udpout:127.0.0.1:$P4" \
    --state-dir "$STATE" --stream-uri rtsp://127.0.0.1:8554/main.264 2>"$LOG" &
PIDS+=($!)

PASS=0
FAIL=0
run_part() {
    local out
    out=$(timeout 120 "$PY" "$@" 2>&1)
    echo "$out" | grep -v ' passed, .* failed$'
    local last
    last=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
    if [ -z "$last" ]; then
        echo "  FAIL  $1 did not finish"
        echo "$out" | tail -5
        FAIL=$((FAIL + 1))
        return
    fi
    PASS=$((PASS + $(echo "$last" | cut -d' ' -f1)))
    FAIL=$((FAIL + $(echo "$last" | cut -d' ' -f3)))
}

echo "siyi-bridge interop (pymavlink on :$P1, MAVSDK on :$P2, MAVSDK gimbal on :$P4, pymavlink as PX4 on :$P3)"
run_part scripts/interop_pymavlink.py "$P1"
run_part scripts/interop_mavsdk.py "$P2"
run_part scripts/interop_mavsdk_gimbal.py "$P4"
run_part scripts/interop_gimbal.py "$P3"

if ! kill -0 "${PIDS[0]}" 2>/dev/null; then
    echo "  FAIL  the bridge died; its log:"
    tail -20 "$LOG"
    FAIL=$((FAIL + 1))
fi
if [ "$FAIL" -ne 0 ]; then
    echo "bridge log (last 20 lines):"
    tail -20 "$LOG"
fi
rm -f "$LOG"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
