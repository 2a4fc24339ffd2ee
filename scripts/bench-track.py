#!/usr/bin/env python3
"""Benchmark of `siyi-bridge track` against OpenCV's KCF, CSRT and MOSSE on generated sequences.

The generator draws drone-like views with exact ground truth: a textured target (car, person,
boat) on a multi-octave textured background with roads, seen by a panning camera; one challenge
per sequence: scale change, rotation, motion blur, camera shake, partial and full occlusion, a
similar distractor crossing, low contrast, noise + JPEG artefacts, a small target. Each sequence
is written as a mono .y4m to a temporary directory (nothing is kept unless --keep DIR), then
every tracker runs on the same frames (OpenCV on one thread, update time only).

Metrics (OTB, Wu et al. 2013): success AUC (mean over IoU thresholds 0, 0.05, ..., 1 of the
share of frames with IoU above it), precision at 20 px (share of frames with a centre error
≤ 20 px), failure rate (share of frames whose box does not overlap the truth at all), ms per
frame (update only: `ms` of our JSON lines; time.perf_counter around OpenCV's update).

  scripts/.venv-track/bin/python scripts/bench-track.py                # full run (~5 min)
  scripts/.venv-track/bin/python scripts/bench-track.py --quick --only ours --floor-auc 0.4
  (scripts/track-regression.sh sets up the venv and runs the CI subset.)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

try:
    import cv2
except ImportError:  # the regression subset needs only numpy
    cv2 = None

W, H = 1280, 720
CHALLENGES = ["baseline", "scale", "rotation", "blur", "shake", "occlusion", "distractor",
              "lowcontrast", "noise", "small"]


# ---------------------------------------------------------------------------------------------
# Generator


def smooth_noise(rng, h, w, cell):
    """Value noise of lattice `cell` px: random grid bilinearly/cubically upsampled (0..1)."""
    gh, gw = max(2, h // cell + 2), max(2, w // cell + 2)
    g = rng.random((gh, gw)).astype(np.float32)
    if cv2 is not None:
        up = cv2.resize(g, (gw * cell, gh * cell), interpolation=cv2.INTER_CUBIC)
    else:
        up = np.kron(g, np.ones((cell, cell), np.float32))
    return up[:h, :w]


def make_background(rng, h, w):
    """An aerial-looking texture: fields (large noise), grass (fine noise), a few roads."""
    bg = (0.45 * smooth_noise(rng, h, w, 160) + 0.3 * smooth_noise(rng, h, w, 40)
          + 0.15 * smooth_noise(rng, h, w, 9) + 0.1 * smooth_noise(rng, h, w, 3))
    bg = 50 + 140 * bg
    for _ in range(3):
        if cv2 is None:
            break
        p0 = (int(rng.integers(0, w)), 0)
        p1 = (int(rng.integers(0, w)), h - 1)
        if rng.random() < 0.5:
            p0, p1 = (0, int(rng.integers(0, h))), (w - 1, int(rng.integers(0, h)))
        cv2.line(bg, p0, p1, float(rng.uniform(90, 170)), int(rng.integers(10, 24)))
    return bg.astype(np.float32)


def make_sprite(rng, kind, w, h):
    """A target texture and its alpha mask (float32, h × w) at its native size."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = (xx + 0.5) / w, (yy + 0.5) / h
    base = float(rng.uniform(20, 235))
    tex = base + 40 * (smooth_noise(rng, h, w, max(2, w // 8)) - 0.5)
    if kind == "car":
        mask = np.ones((h, w), np.float32)
        # windscreen and rear window: dark bands; a roof of another shade
        tex = np.where((u > 0.22) & (u < 0.34) & (v > 0.12) & (v < 0.88), base * 0.3, tex)
        tex = np.where((u > 0.70) & (u < 0.78) & (v > 0.15) & (v < 0.85), base * 0.35, tex)
        tex = np.where((u >= 0.34) & (u <= 0.70) & (v > 0.18) & (v < 0.82),
                       np.clip(base + 45 * (1 if base < 128 else -1), 0, 255), tex)
        # soft corners
        r = np.minimum(np.minimum(u, 1 - u) * w, np.minimum(v, 1 - v) * h)
        mask = np.clip(r / 2.0, 0, 1)
    elif kind == "person":
        head = ((u - 0.5) ** 2 / 0.09 + (v - 0.12) ** 2 / 0.012) < 1
        body = ((u - 0.5) ** 2 / 0.16 + (v - 0.55) ** 2 / 0.2) < 1
        mask = (head | body).astype(np.float32)
        tex = np.where(head, 200 - base * 0.3, tex)
        tex = np.where(v > 0.7, base * 0.5 + 30, tex)  # trousers
    else:  # boat
        hull = ((u - 0.5) ** 2 / 0.25 + (v - 0.5) ** 2 / 0.2) < 1
        mask = hull.astype(np.float32)
        tex = np.where((u > 0.4) & (u < 0.65) & (v > 0.3) & (v < 0.7), 240 - base * 0.5, tex)
    return tex.astype(np.float32), mask.astype(np.float32)


class Sequence:
    """One generated sequence: `frames()` yields (uint8 frame, truth box x, y, w, h)."""

    def __init__(self, challenge, seed, n_frames):
        self.challenge, self.seed, self.n = challenge, seed, n_frames
        rng = np.random.default_rng(seed * 1000 + CHALLENGES.index(challenge))
        self.rng = rng
        self.kind = ["car", "person", "boat"][seed % 3]
        size = {"car": (56, 30), "person": (22, 50), "boat": (70, 30)}[self.kind]
        if challenge == "small":
            size = (max(10, size[0] // 3), max(10, size[1] // 3))
        self.size = size
        self.margin = 420
        self.world = make_background(rng, H + 2 * self.margin, W + 2 * self.margin)
        tw, th = size[0] * 2, size[1] * 2  # sprites drawn at 2× and shrunk: smoother edges
        self.tex, self.mask = make_sprite(rng, self.kind, tw, th)
        if challenge == "lowcontrast":
            m = float(self.world.mean())
            self.tex = m + 0.18 * (self.tex - self.tex.mean()) + 6
        if challenge == "distractor":
            self.dtex, self.dmask = self.tex + rng.normal(0, 8, self.tex.shape).astype(np.float32), self.mask
        if challenge == "occlusion":
            oh, ow = 100, 100
            self.occ = make_background(rng, oh, ow) * 0.8 + 30
        angle = rng.uniform(0, 2 * np.pi)
        speed = {"blur": 4.0, "shake": 3.0, "occlusion": 5.0 * 50 / n_frames}.get(challenge, rng.uniform(1.5, 3.5))
        self.v = np.array([np.cos(angle), np.sin(angle)]) * speed
        self.p0 = np.array([W / 2, H / 2]) - self.v * n_frames / 2
        self.pan_v = rng.normal(0, 1.5, 2) if challenge != "blur" else np.array([10.0, 0.0])

    def target_at(self, k):
        wob = np.array([np.sin(k * 0.05 + self.seed), np.cos(k * 0.037 + 2 * self.seed)]) * 25
        c = self.p0 + self.v * k + wob
        s = 1.0
        if self.challenge == "scale":
            s = 1.0 + 1.0 * k / self.n if self.seed % 2 == 0 else 1.0 - 0.45 * k / self.n
        angle = 90.0 * k / self.n if self.challenge == "rotation" else 0.0
        return c, s, angle

    def frames(self):
        pan = np.zeros(2)
        for k in range(self.n):
            pan = pan + self.pan_v
            shake = self.rng.normal(0, 6, 2) if self.challenge == "shake" else np.zeros(2)
            off = pan + shake
            ox, oy = self.margin + off[0], self.margin + off[1]
            ox = float(np.clip(ox, 0, 2 * self.margin))
            oy = float(np.clip(oy, 0, 2 * self.margin))
            m = np.float32([[1, 0, -ox], [0, 1, -oy]])
            frame = cv2.warpAffine(self.world, m, (W, H), flags=cv2.INTER_LINEAR)
            c, s, angle = self.target_at(k)
            c = c + shake  # the shake moves the whole view, target included
            box = self.draw(frame, self.tex, self.mask, c, s, angle)
            if self.challenge == "distractor":
                # a twin crossing the target's path at the middle of the sequence
                dc = c + np.array([1.4 * self.size[0], 0]) * (1 - 2 * k / self.n) * 2.5 \
                    + np.array([0, 1.2 * self.size[1]])
                self.draw(frame, self.dtex, self.dmask, dc, 1.0, 0.0)
            if self.challenge == "occlusion":
                # the target passes under it after 55 % of the sequence (clear at the start)
                c_mid, _, _ = self.target_at(int(self.n * 0.55))
                oh, ow = self.occ.shape
                x0, y0 = int(c_mid[0] - ow / 2), int(c_mid[1] - oh / 2)
                x1, y1 = max(0, x0), max(0, y0)
                x2, y2 = min(W, x0 + ow), min(H, y0 + oh)
                if x2 > x1 and y2 > y1:
                    frame[y1:y2, x1:x2] = self.occ[y1 - y0:y2 - y0, x1 - x0:x2 - x0]
            if self.challenge == "blur":
                kern = np.zeros((1, 11), np.float32)
                kern[:] = 1 / 11
                frame = cv2.filter2D(frame, -1, kern)
            if self.challenge == "noise":
                frame = frame + self.rng.normal(0, 10, frame.shape).astype(np.float32)
            out = np.clip(frame, 0, 255).astype(np.uint8)
            if self.challenge == "noise":
                ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, 30])
                out = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
            yield out, box

    def draw(self, frame, tex, mask, c, s, angle):
        """Composites the sprite at centre c, scale s, rotation angle°; returns its truth box."""
        th, tw = tex.shape
        w, h = self.size[0] * s, self.size[1] * s
        a = cv2.getRotationMatrix2D((tw / 2, th / 2), angle, 1.0)
        k = w / tw
        a = a * k
        a[0, 2] += c[0] - k * tw / 2
        a[1, 2] += c[1] - k * th / 2
        t = cv2.warpAffine(tex, a, (W, H), flags=cv2.INTER_LINEAR)
        mk = cv2.warpAffine(mask, a, (W, H), flags=cv2.INTER_LINEAR)
        frame *= 1 - mk
        frame += t * mk
        ys, xs = np.nonzero(mk > 0.5)
        if len(xs) == 0:
            return (float(c[0] - w / 2), float(c[1] - h / 2), float(w), float(h))
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def write_y4m(path, frames):
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W%d H%d F30:1 Ip A1:1 Cmono\n" % (W, H))
        for fr in frames:
            f.write(b"FRAME\n")
            f.write(fr.tobytes())


# ---------------------------------------------------------------------------------------------
# Trackers


def run_ours(binary, y4m, init):
    out = y4m + ".jsonl"
    x, y, w, h = init
    cmd = [binary, "track", "--video", y4m, "--init", f"{x},{y},{w},{h}", "--out", out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"siyi-bridge track failed: {r.stderr.strip()}")
    boxes, ms = [], []
    with open(out) as f:
        for line in f:
            j = json.loads(line)
            boxes.append((j["x"], j["y"], j["w"], j["h"]))
            if j["frame"] > 0:
                ms.append(j["ms"])
    return boxes, ms, r.stderr.strip()


def opencv_factory(name):
    if name == "kcf":
        return cv2.TrackerKCF_create
    if name == "csrt":
        return cv2.TrackerCSRT_create
    if name == "mosse":
        return cv2.legacy.TrackerMOSSE_create
    raise ValueError(name)


def run_opencv(name, frames, init):
    tracker = opencv_factory(name)()
    bgr = [cv2.cvtColor(f, cv2.COLOR_GRAY2BGR) for f in frames]
    x, y, w, h = init
    tracker.init(bgr[0], (int(round(x)), int(round(y)), int(round(w)), int(round(h))))
    boxes, ms = [tuple(init)], []
    last = tuple(init)
    for f in bgr[1:]:
        t = time.perf_counter()
        ok, b = tracker.update(f)
        ms.append((time.perf_counter() - t) * 1e3)
        if ok:
            last = tuple(float(v) for v in b)
        boxes.append(last)
    return boxes, ms


# ---------------------------------------------------------------------------------------------
# Metrics


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def scores(pred, truth):
    ious = np.array([iou(p, t) for p, t in zip(pred[1:], truth[1:])])
    cerr = np.array([np.hypot(p[0] + p[2] / 2 - t[0] - t[2] / 2, p[1] + p[3] / 2 - t[1] - t[3] / 2)
                     for p, t in zip(pred[1:], truth[1:])])
    thresholds = np.linspace(0, 1, 21)
    auc = float(np.mean([(ious > t).mean() for t in thresholds]))
    return {"auc": auc, "prec20": float((cerr <= 20).mean()), "fail": float((ious <= 0).mean()),
            "ious": ious, "cerr": cerr}


def aggregate(rows):
    ious = np.concatenate([r["ious"] for r in rows])
    cerr = np.concatenate([r["cerr"] for r in rows])
    thresholds = np.linspace(0, 1, 21)
    ms = np.concatenate([r["ms"] for r in rows])
    return {"auc": float(np.mean([(ious > t).mean() for t in thresholds])),
            "prec20": float((cerr <= 20).mean()), "fail": float((ious <= 0).mean()),
            "ms": float(ms.mean()), "p50": float(np.percentile(ms, 50)),
            "p99": float(np.percentile(ms, 99))}


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=None, help="siyi-bridge binary (default target/release)")
    ap.add_argument("--quick", action="store_true", help="the CI subset: 4 short sequences")
    ap.add_argument("--frames", type=int, default=None, help="frames per sequence (150; quick 50)")
    ap.add_argument("--seeds", type=int, default=None, help="sequences per challenge (2; quick 1)")
    ap.add_argument("--only", default="ours,kcf,csrt,mosse", help="trackers, comma-separated")
    ap.add_argument("--challenges", default=None, help="challenges, comma-separated")
    ap.add_argument("--floor-auc", type=float, default=None, help="exit 1 if our AUC is below")
    ap.add_argument("--keep", default=None, help="keep the .y4m and JSON files in this directory")
    args = ap.parse_args()
    if cv2 is None:
        raise SystemExit("needs opencv-contrib-python-headless (scripts/track-regression.sh sets up a venv)")
    cv2.setNumThreads(1)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = args.bin or os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target")),
                                      "release", "siyi-bridge")
    trackers = args.only.split(",")
    if args.challenges:
        challenges = args.challenges.split(",")
    elif args.quick:
        challenges = ["baseline", "occlusion", "scale", "small"]
    else:
        challenges = CHALLENGES
    n_frames = args.frames or (50 if args.quick else 150)
    seeds = args.seeds or (1 if args.quick else 2)
    results = {t: {} for t in trackers}
    tmp = tempfile.TemporaryDirectory()
    outdir = args.keep or tmp.name
    os.makedirs(outdir, exist_ok=True)
    t_start = time.time()
    for ch in challenges:
        for seed in range(seeds):
            seq = Sequence(ch, seed, n_frames)
            frames, truth = [], []
            for fr, box in seq.frames():
                frames.append(fr)
                truth.append(box)
            path = os.path.join(outdir, f"{ch}-{seed}.y4m")
            write_y4m(path, frames)
            with open(path + ".truth.json", "w") as f:
                json.dump(truth, f)
            for t in trackers:
                if t == "ours":
                    boxes, ms, _ = run_ours(binary, path, truth[0])
                else:
                    boxes, ms = run_opencv(t, frames, truth[0])
                s = scores(boxes, truth)
                s["ms"] = np.array(ms)
                results[t].setdefault(ch, []).append(s)
            if not args.keep:
                os.remove(path)  # 138 MB per 150 frames: keep the disk free
            print(f"  {ch}-{seed} ({seq.kind}, {n_frames} frames): "
                  + ", ".join(f"{t} {results[t][ch][-1]['auc']:.3f}" for t in trackers), file=sys.stderr)
    print(f"\n{len(challenges) * seeds} sequences x {n_frames} frames at {W}x{H}, "
          f"{time.time() - t_start:.0f} s\n")
    head = f"{'challenge':<12}" + "".join(f" | {t:>26}" for t in trackers)
    print(head)
    print(f"{'':<12}" + "".join(f" | {'AUC  P@20  fail  ms':>26}" for _ in trackers))
    print("-" * len(head))
    for ch in challenges + ["overall"]:
        line = f"{ch:<12}"
        for t in trackers:
            rows = [r for c in challenges for r in results[t][c]] if ch == "overall" else results[t][ch]
            a = aggregate(rows)
            line += f" | {a['auc']:.3f} {a['prec20']:.3f} {a['fail']:.3f} {a['ms']:6.2f}"
        print(line)
    print(f"\nms per frame p50 / p99 (update only; a shared machine makes these noisy)")
    print(f"{'challenge':<12}" + "".join(f" | {t:>13}" for t in trackers))
    for ch in challenges + ["overall"]:
        line = f"{ch:<12}"
        for t in trackers:
            rows = [r for c in challenges for r in results[t][c]] if ch == "overall" else results[t][ch]
            a = aggregate(rows)
            line += f" | {a['p50']:6.2f} {a['p99']:6.2f}"
        print(line)
    print()
    for t in trackers:
        a = aggregate([r for c in challenges for r in results[t][c]])
        print(f"{t}: ms per frame mean {a['ms']:.2f} p50 {a['p50']:.2f} p99 {a['p99']:.2f} "
              f"({1e3 / a['ms'] if a['ms'] > 0 else 0:.0f} frames/s)")
    if args.floor_auc is not None and "ours" in trackers:
        a = aggregate([r for c in challenges for r in results["ours"][c]])
        if a["auc"] < args.floor_auc:
            print(f"FAIL: our success AUC {a['auc']:.3f} is below the floor {args.floor_auc}")
            return 1
        print(f"ok: our success AUC {a['auc']:.3f} >= floor {args.floor_auc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
