# Shared by the interop scripts (sourced, not run): the Python venv with pymavlink and MAVSDK
# (scripts/.venv, created and filled from PyPI on first use), the release binary, and free
# loopback ports. Sets PY and BIN; on failure prints the 'N passed, N failed' line and exits.
VENV=scripts/.venv
PY=$VENV/bin/python
if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV" || { echo "0 passed, 1 failed (cannot create $VENV)"; exit 1; }
fi
if ! "$PY" -c 'import pymavlink, mavsdk' 2>/dev/null; then
    "$VENV/bin/pip" install -q pymavlink mavsdk || { echo "0 passed, 1 failed (pip install)"; exit 1; }
fi
cargo build --release -q --bin siyi-bridge || { echo "0 passed, 1 failed (build)"; exit 1; }
BIN="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/siyi-bridge"  # honours CARGO_TARGET_DIR

# free_ports udp|tcp ...: one free loopback port per argument, chosen by the OS.
free_ports() {
    "$PY" - "$@" <<'PYEOF'
import socket, sys
kinds = {"udp": socket.SOCK_DGRAM, "tcp": socket.SOCK_STREAM}
socks = [socket.socket(socket.AF_INET, kinds[k]) for k in sys.argv[1:]]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PYEOF
}

# The processes a script starts (the bridge first), stopped at exit, and its temporary files
# (LOG: the bridge's stderr), removed at exit. A script adds its own to PIDS / CLEANUP_FILES.
LOG=$(mktemp)
PIDS=()
CLEANUP_FILES=("$LOG")
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "${CLEANUP_FILES[@]}"
}
trap cleanup EXIT INT TERM

# start_bridge ARGS...: `siyi-bridge run ARGS...` in the background, its stderr in $LOG.
start_bridge() {
    RUST_LOG=${RUST_LOG:-info} "$BIN" run "$@" 2>"$LOG" &
    PIDS+=($!)
}

# run_part SCRIPT ARGS...: runs a Python half (at most PART_TIMEOUT_S, default 120 s), prints
# its lines and adds its last 'N passed, N failed' line to PASS / FAIL (a half that does not
# finish is one failure).
PASS=0
FAIL=0
run_part() {
    local out last
    out=$(timeout "${PART_TIMEOUT_S:-120}" "$PY" "$@" 2>&1)
    echo "$out" | grep -v ' passed, .* failed$'
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

# finish: one more failure if the bridge died; on any failure the bridge's log tail; then the
# 'N passed, N failed' line and the exit status.
finish() {
    if ! kill -0 "${PIDS[0]}" 2>/dev/null; then
        echo "  FAIL  the bridge died"
        FAIL=$((FAIL + 1))
    fi
    if [ "$FAIL" -ne 0 ]; then
        echo "bridge log (last 20 lines):"
        tail -20 "$LOG"
    fi
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
}
