#!/usr/bin/env bash
# The tracker's accuracy regression check (scripts/test.sh): 4 short generated sequences
# (baseline, occlusion, scale, small target; 50 frames at 1280x720) through `siyi-bridge track`,
# scored by scripts/bench-track.py against an accuracy floor well below the benchmark figure (so
# run-to-run noise cannot fail it; the tracker is deterministic anyway, the floor guards against
# regressions). The venv (scripts/.venv-track: numpy + opencv-contrib-python-headless from PyPI)
# is created on first use. The full comparison with OpenCV is a benchmark:
#   scripts/.venv-track/bin/python scripts/bench-track.py
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=scripts/.venv-track
PY=$VENV/bin/python
FLOOR_AUC=${TRACK_FLOOR_AUC:-0.45}
if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
fi
if ! "$PY" -c 'import cv2, numpy' 2>/dev/null; then
    "$VENV/bin/pip" install -q opencv-contrib-python-headless numpy </dev/null
fi
cargo build --release -q --bin siyi-bridge </dev/null
BIN="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/siyi-bridge"
"$PY" scripts/bench-track.py --quick --only ours --bin "$BIN" --floor-auc "$FLOOR_AUC" </dev/null
