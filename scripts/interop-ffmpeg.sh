#!/usr/bin/env bash
# Interop: FFmpeg plays the simulator's video. `siyi-bridge sim --video-port 0`, then ffprobe and
# ffmpeg (third-party RTSP clients and H.264 decoders) on the URI it prints: the stream's codec
# and size over RTSP/TCP (interleaved), and 60 pictures decoded without an error over TCP and
# over UDP (ffmpeg's default transport).
# Optional: without ffprobe it says so and passes (install: apt-get install -y ffmpeg).
# Last line: 'N passed, N failed'; exit status non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
if ! command -v ffprobe >/dev/null 2>&1 || ! command -v ffmpeg >/dev/null 2>&1; then
    echo "SKIP: ffprobe / ffmpeg not installed (apt-get install -y ffmpeg); 0 passed, 0 failed"
    exit 0
fi
cargo build --release -q --bin siyi-bridge || { echo "0 passed, 1 failed (build)"; exit 1; }
BIN="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/siyi-bridge"
LOG=$(mktemp)
OUT=$(mktemp)
"$BIN" sim --listen 127.0.0.1:0 --boot-time-ms 0 --video-port 0 >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait 2>/dev/null; rm -f "$LOG" "$OUT"' EXIT INT TERM
URI=
for _ in $(seq 100); do
    URI=$(grep -o 'rtsp://127\.0\.0\.1:[0-9]*/main\.264' "$LOG" | head -1)
    [ -n "$URI" ] && break
    sleep 0.1
done
if [ -z "$URI" ]; then
    echo "  FAIL  the simulator printed no video URI:"; tail -5 "$LOG"
    echo "0 passed, 1 failed"; exit 1
fi
echo "siyi-bridge simulator video with FFmpeg ($(ffmpeg -version | head -1 | cut -d' ' -f1-3)) on $URI"
PASS=0
FAIL=0
pass() { PASS=$((PASS + 1)); echo "  pass  $1"; }
fail() { FAIL=$((FAIL + 1)); echo "  FAIL  $1"; tail -5 "$OUT"; }

timeout 30 ffprobe -v error -rtsp_transport tcp -select_streams v:0 \
    -show_entries stream=codec_name,width,height -of default=nw=1 "$URI" >"$OUT" 2>&1
if grep -q '^codec_name=h264$' "$OUT" && grep -q '^width=1280$' "$OUT" && grep -q '^height=720$' "$OUT"; then
    pass "ffprobe (RTSP over TCP): h264 1280x720"
else
    fail "ffprobe (RTSP over TCP): expected h264 1280x720"
fi
for transport in tcp udp; do
    if timeout 60 ffmpeg -nostdin -v error -rtsp_transport "$transport" -i "$URI" \
        -frames:v 60 -f null - >"$OUT" 2>&1 && ! grep -qi 'error' "$OUT"; then
        pass "ffmpeg (RTSP over ${transport^^}): 60 pictures decoded, no error"
    else
        fail "ffmpeg (RTSP over ${transport^^}): 60 pictures without an error"
    fi
done
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
