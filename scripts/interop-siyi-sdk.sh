#!/usr/bin/env bash
# Interop check: the third-party PyPI client `siyi-sdk` (mzahana's SIYI SDK) against
# `siyi-bridge sim` on 127.0.0.1. Creates/uses the venv scripts/.venv, builds the binary, starts
# the simulator on a free loopback port, runs scripts/interop_siyi_sdk.py, always stops the
# simulator, and exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "$0")/.."
SIYI_SDK_VERSION="0.2.12"   # the version this script was tested with
VENV="scripts/.venv"
BOOT_TIME_MS="${BOOT_TIME_MS:-3000}"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -m pip show siyi-sdk 2>/dev/null | grep -qx "Version: $SIYI_SDK_VERSION"; then
    "$VENV/bin/python" -m pip install --quiet "siyi-sdk==$SIYI_SDK_VERSION"
fi

cargo build --quiet --bin siyi-bridge
BIN="${CARGO_TARGET_DIR:-target}/debug/siyi-bridge"

PORT="$("$VENV/bin/python" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')"

SIM_LOG="$(mktemp)"
"$BIN" sim --listen "127.0.0.1:$PORT" --boot-ms "$BOOT_TIME_MS" >"$SIM_LOG" 2>&1 &
SIM_PID=$!

cleanup() {
    rc=$?
    if kill -0 "$SIM_PID" 2>/dev/null; then
        kill -INT "$SIM_PID" 2>/dev/null || true
        for _ in $(seq 30); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SIM_PID" 2>/dev/null || true
    fi
    wait "$SIM_PID" 2>/dev/null || true
    if [ "$rc" -ne 0 ]; then
        echo "--- simulator log (last 30 lines) ---"
        tail -n 30 "$SIM_LOG"
    fi
    rm -f "$SIM_LOG"
    exit "$rc"
}
trap cleanup EXIT

for _ in $(seq 50); do
    grep -q "listening on" "$SIM_LOG" && break
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q "listening on" "$SIM_LOG"; then
    echo "FAIL simulator did not start"
    exit 1
fi
echo "simulator: $(grep 'listening on' "$SIM_LOG")"

timeout 120 "$VENV/bin/python" scripts/interop_siyi_sdk.py \
    --host 127.0.0.1 --port "$PORT" --boot-time-ms "$BOOT_TIME_MS"
