#!/usr/bin/env bash
# Interop: point-and-track end to end. `siyi-bridge run --simulate` with the example tracker
# (scripts/tracker_client.py) on its tracker API instead of the built-in simulated one, and
# third-party MAVLink clients (pymavlink, MAVSDK from PyPI) sending QGC's tracking commands.
# Uses scripts/.venv (created by scripts/interop-mavlink.sh, or here on first use).
# Last line: 'N passed, N failed'; exit status non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
# shellcheck source=scripts/interop-lib.sh
. scripts/interop-lib.sh
read -r P1 P2 PT < <(free_ports udp udp tcp)
TLOG=$(mktemp)
CLEANUP_FILES+=("$TLOG")

start_bridge --simulate --sim-boot-ms 1000 --no-state \
    --sim-tracker off --tracker-api "127.0.0.1:$PT" \
    --mavlink "udpout:127.0.0.1:$P1" --mavlink "udpout:127.0.0.1:$P2"
# The example tracker connects once the API listens.
for _ in $(seq 50); do
    grep -q "tracker API listening" "$LOG" && break
    sleep 0.1
done
python3 scripts/tracker_client.py --api "127.0.0.1:$PT" --exit-after 100 >"$TLOG" 2>&1 &
PIDS+=($!)

echo "siyi-bridge tracking interop (pymavlink on :$P1, MAVSDK on :$P2, tracker API on :$PT)"
PART_TIMEOUT_S=150 run_part scripts/interop_tracking.py "$P1" "$P2"
if grep -q '"track_rectangle"' "$TLOG"; then
    PASS=$((PASS + 1)); echo "  pass  tracking: the example tracker received the requests"
else
    FAIL=$((FAIL + 1)); echo "  FAIL  tracking: the example tracker received no track_rectangle"
fi
if [ "$FAIL" -ne 0 ]; then
    echo "tracker log (last 10 lines):"
    tail -10 "$TLOG"
fi
finish
