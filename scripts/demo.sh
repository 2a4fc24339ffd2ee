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
if ! timeout 60 "$PY" scripts/demo.py "$PORT"; then
    echo "demo failed; the bridge's log (last 20 lines):"
    tail -20 "$LOG"
    exit 1
fi
