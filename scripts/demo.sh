#!/usr/bin/env bash
# A look at the bridge without QGroundControl: starts `siyi-bridge run --simulate` on a free
# loopback port, then scripts/demo.py (pymavlink) discovers the camera, reads what it says about
# itself, takes a photo and prints what comes back. Creates scripts/.venv on first use.
# Usage: bash scripts/demo.sh
set -u
cd "$(dirname "$0")/.."
# shellcheck source=scripts/interop-lib.sh
. scripts/interop-lib.sh
read -r PORT < <(free_ports udp)
STATE=$(mktemp -d)
CLEANUP_FILES+=("$STATE")

echo "starting: siyi-bridge run --simulate --mavlink udpout:127.0.0.1:$PORT"
start_bridge --simulate --sim-boot-ms 1000 --mavlink "udpout:127.0.0.1:$PORT" --state-dir "$STATE"
# The demo runs while the bridge lives: a bridge that stops (e.g. a port in use) is said at once,
# with its log, instead of after the demo's own time limit.
timeout 60 "$PY" scripts/demo.py "$PORT" &
DEMO=$!
PIDS+=("$DEMO")
while kill -0 "$DEMO" 2>/dev/null; do
    if ! kill -0 "${PIDS[0]}" 2>/dev/null; then
        kill "$DEMO" 2>/dev/null
        echo "the bridge stopped; its log (last 20 lines):"
        tail -20 "$LOG"
        exit 1
    fi
    sleep 0.2
done
if ! wait "$DEMO"; then
    echo "demo failed; the bridge's log (last 20 lines):"
    tail -20 "$LOG"
    exit 1
fi
