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
