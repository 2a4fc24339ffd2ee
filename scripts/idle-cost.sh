#!/usr/bin/env bash
# The idle cost of the bridge: `siyi-bridge run` alone with its camera (no ground station, no
# tracker, no web server use), the camera being `siyi-bridge sim` in another process, both on
# 127.0.0.1. Reads the bridge's CPU ticks (utime + stime, /proc/PID/stat) over a window after a
# warm-up, and its RSS (VmRSS) at the end.
#
# Usage: scripts/idle-cost.sh [SECONDS (default 60)] [BINARY (default target/release/siyi-bridge)]
# More `run` flags in $IDLE_FLAGS (e.g. IDLE_FLAGS="--builtin-tracker off").
# Prints: idle CPU in % of one core and RSS in MB. A benchmark: it prints figures, asserts nothing.
set -euo pipefail
secs=${1:-60}
bin=${2:-target/release/siyi-bridge}
[ -x "$bin" ] || { echo "idle-cost: $bin not found (cargo build --release)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'kill $sim $bridge 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
gcs=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" sim --listen "127.0.0.1:$port" --boot-time-ms 100 >"$tmp/sim.log" 2>&1 &
sim=$!
# The MAVLink endpoint is a port where nothing listens: heartbeats and statuses go out as they
# would with no ground station; --tracker-api off and --no-media keep the other listeners out.
RUST_LOG=${RUST_LOG:-info} "$bin" run --camera "127.0.0.1:$port" --mavlink "udpout:127.0.0.1:$gcs" \
  --no-state --tracker-api off --no-media ${IDLE_FLAGS:-} >"$tmp/bridge.log" 2>&1 &
bridge=$!
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
sleep 5 # warm-up: the camera is identified, the polls run
t0=$(ticks $bridge); s0=$(ticks $sim); w0=$(date +%s.%N)
sleep "$secs"
t1=$(ticks $bridge); s1=$(ticks $sim); w1=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$bridge/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$bridge/status")
# RSS splits into anonymous memory (the bridge's own) and file pages (the binary and libc,
# shared and clean: what a bigger binary adds).
anon=$(awk '/RssAnon/ {print $2}' "/proc/$bridge/status")
file=$(awk '/RssFile/ {print $2}' "/proc/$bridge/status")
python3 - "$t0" "$t1" "$s0" "$s1" "$w0" "$w1" "$hz" "$rss" "$hwm" "$anon" "$file" <<'PY'
import sys
t0, t1, s0, s1 = map(int, sys.argv[1:5]); w0, w1 = map(float, sys.argv[5:7]); hz = int(sys.argv[7])
rss, hwm, anon, file = map(int, sys.argv[8:12])
wall = w1 - w0
print(f"bridge idle CPU {100 * (t1 - t0) / hz / wall:.3f} % of a core over {wall:.1f} s "
      f"({t1 - t0} ticks at {hz}/s)   (target <= 0.1 %)")
print(f"bridge RSS      {rss / 1024:.1f} MB (peak {hwm / 1024:.1f} MB; anonymous {anon / 1024:.1f} MB, "
      f"file pages {file / 1024:.1f} MB)   (target <= 6 MB)")
print(f"simulator CPU   {100 * (s1 - s0) / hz / wall:.3f} % of a core (another process)")
PY
grep -c . "$tmp/bridge.log" | sed 's/^/bridge log lines: /'
