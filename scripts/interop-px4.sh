#!/usr/bin/env bash
# Interop through a real PX4: PX4 SITL (SIH, headless, ../shared/px4-sitl beside the repository)
# forwards between a ground station and `siyi-bridge run --simulate` on PX4's camera link; the
# checks (scripts/interop_px4.py, pymavlink) talk only to PX4's ground-station link, as QGC
# would. PX4 is gimbal manager (MNT_MODE_IN=4 MNT_MODE_OUT=2) of our gimbal device.
#
# PX4 runs as instance $PX4_INSTANCE (default 6: system id 7, so a message sent before the
# system id was learned shows up as system 1): it listens for the ground station on 18570+i and
# for the camera on 14280+i, and sends to the camera at 14030+i (the bridge's `udpin`). The
# ground station here binds an ephemeral port: PX4 answers whoever sends to its port.
# Without ../shared/px4-sitl (a clone without it) the script says so and skips (exit 0).
# Every process it starts (PX4, the bridge, the Python half) is stopped at exit; every wait has
# a time limit (PX4 ready 40 s, the checks 240 s). Needs zstd (tar --zstd) to unpack PX4.
# Uses scripts/.venv (scripts/interop-lib.sh). Last line: 'N passed, N failed'.
set -u
cd "$(dirname "$0")/.."
TOP=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
SITL=$(cd "$TOP/.." && pwd)/shared/px4-sitl
if [ ! -x "$SITL/px4-sitl.sh" ] || [ ! -f "$SITL/px4-sitl-runtime.tar.zst" ]; then
    echo "PX4 interop skipped: no PX4 SITL at $SITL."
    echo "  To run it, build PX4 SITL (https://docs.px4.io/main/en/dev_setup/building_px4.html:"
    echo "  'make px4_sitl_default' in a PX4-Autopilot clone), pack build/px4_sitl_default/{bin,etc}"
    echo "  as px4-sitl-runtime.tar.zst and put it with px4-sitl.sh in ../shared/px4-sitl."
    echo "0 passed, 0 failed"
    exit 0
fi
T0=$(date +%s.%N)
# shellcheck source=scripts/interop-lib.sh
. scripts/interop-lib.sh

I=${PX4_INSTANCE:-6}
SYSID=$((I + 1))
TARGET_DIR=$(mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
if ! command -v zstd >/dev/null; then
    echo "0 passed, 1 failed (zstd is missing, needed to unpack PX4: apt-get install zstd)"
    exit 1
fi
RT=$("$SITL/px4-sitl.sh" unpack "$TARGET_DIR/px4-sitl") || { echo "0 passed, 1 failed (unpack PX4)"; exit 1; }
RT=$(cd "$RT" && pwd)
RUN=$(mktemp -d)
STATE=$(mktemp -d)
CLEANUP_FILES+=("$STATE")
stop_px4() {
    PX4_INSTANCE=$I PX4_RUNTIME=$RT PX4_RUN_DIR=$RUN "$SITL/px4-sitl.sh" stop >/dev/null 2>&1
    [ "${KEEP_PX4_RUN:-0}" = 1 ] || rm -rf "$RUN"
    cleanup
}
trap stop_px4 EXIT INT TERM

# TRIG_INTERFACE=3: mission camera items reach the camera as MAVLink commands.
if ! PX4_INSTANCE=$I PX4_RUNTIME=$RT PX4_RUN_DIR=$RUN PX4_WAIT_S=40 \
    PX4_PARAMS="MNT_MODE_IN=4 MNT_MODE_OUT=2 TRIG_INTERFACE=3 TRIG_MODE=4" \
    "$SITL/px4-sitl.sh" start >"$RUN/start.txt" 2>&1; then
    cat "$RUN/start.txt"
    echo "0 passed, 1 failed (PX4 did not start)"
    exit 1
fi
T_PX4=$(date +%s.%N)

read -r PT < <(free_ports tcp)
start_bridge --simulate --sim-boot-ms 1000 --state-dir "$STATE" --tracker-api "127.0.0.1:$PT" \
    --mavlink "udpin:127.0.0.1:$((14030 + I))"

echo "siyi-bridge through PX4 SITL (instance $I, system $SYSID; ground station -> 127.0.0.1:$((18570 + I)))"
PART_TIMEOUT_S=240 run_part scripts/interop_px4.py "$((18570 + I))" "$SYSID" "$RUN" "$RT/bin" "$I"
echo "  info  px4: PX4 ready in $(awk "BEGIN{printf \"%.1f\", $T_PX4 - $T0}") s (incl. build check), whole script $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $T0}") s"
finish
