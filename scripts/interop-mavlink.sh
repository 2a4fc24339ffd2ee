#!/usr/bin/env bash
# Interop: third-party MAVLink clients (pymavlink, MAVSDK from PyPI: camera and gimbal
# plugins) against `siyi-bridge run --simulate` on loopback; last, pymavlink playing PX4 against the gimbal
# component (interop_gimbal.py, run after the others: PX4's requests make the bridge step down
# as gimbal manager). Creates scripts/.venv on first use.
# Last line: 'N passed, N failed'; exit status non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=scripts/.venv
PY=$VENV/bin/python

if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV" || { echo "0 passed, 1 failed (cannot create $VENV)"; exit 1; }
fi
if ! "$PY" -c 'import pymavlink, mavsdk' 2>/dev/null; then
    "$VENV/bin/pip" install -q pymavlink mavsdk || { echo "0 passed, 1 failed (pip install)"; exit 1; }
fi

cargo build --release -q --bin siyi-bridge || { echo "0 passed, 1 failed (build)"; exit 1; }
BIN=$ROOT/target/release/siyi-bridge

# Two free UDP ports on loopback (the OS picks them).
read -r P1 P2 P3 P4 < <("$PY" - <<'EOF'
import socket
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", 0))
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", 0))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.bind(("127.0.0.1", 0))
d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); d.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1], c.getsockname()[1], d.getsockname()[1])
EOF
)
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
