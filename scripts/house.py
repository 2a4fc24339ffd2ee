#!/usr/bin/env python3
"""The house plan, read from the code: which part of `src/` uses which, drawn as a table, and
checked against the rules in docs/architecture.md ("The rooms").

Reads every `use crate::…`, `use super::…` and inline `crate::…` path in src/ (comments and
strings stripped), resolves it to the file that defines it, and reports
  * the rooms (core/camera, core/link, io, sim, …) and the arrows between them;
  * arrows docs/architecture.md does not allow ("upward" arrows);
  * import circles between rooms, and between the files of one room (a child importing its
    parent's mod.rs while the parent imports the child, and longer loops);
  * files above the size limit.
Exit status 1 if any rule is broken. Usage: python3 scripts/house.py [--draw]
"""
import os
import re
import sys
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
MAX_LINES = 620  # "no file above ~600 lines"

# Which room may use which (docs/architecture.md, "The rooms"). Every room may use itself, siyi-protocol and
# external crates; `root` (lib.rs/main.rs) may use everything; test/fuzz helpers too.
ALLOWED = {
    "app": {"io", "core/*", "sim", "sim/stream", "config", "record", "cli"},
    "cli": {"app", "io", "core/*", "sim", "sim/stream", "config", "record"},
    "config": {"io", "core/*"},
    "io": {"core/*", "record"},
    "record": {"core/hex"},
    "sim": set(),
    # The simulated camera's video (render, H.264, RTP, RTSP): only the pure sim/scene.rs.
    "sim/stream": {"sim"},
    "core/bridge": {"core/camera", "core/link", "core/mavlink", "core/gimbal", "core/tracking",
                    "core/media"},
    "core/camera": {"core/link", "core/mavlink", "core/tracking", "core/media", "core/geo",
                    "core/gimbal"},
    "core/gimbal": {"core/link", "core/mavlink", "core/geo"},
    "core/tracking": {"core/link", "core/mavlink", "core/geo", "core/gimbal", "core/text"},
    "core/media": {"core/geo"},
    "core/probe": {"core/media", "core/hex"},
    "core/link": set(),
    "core/mavlink": {"core/text"},
    "core/geo": set(),
    "core/hex": set(),
    "core/text": set(),
}
FREE = {"root", "testing", "fuzzing"}


def strip(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'r#*"(?:.|\n)*?"#*', '""', text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def module_of(rel):
    parts = rel[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def room_of(mod):
    if not mod:
        return "root"
    if mod[:2] == ("sim", "stream"):
        return "sim/stream"
    if mod[0] == "core":
        return "core/" + mod[1] if len(mod) > 1 else "core"
    return mod[0]


def expand(tree):
    """`a::{b, c::{d, e}}` → ['a::b', 'a::c::d', 'a::c::e']."""
    tree = tree.strip()
    i = tree.find("{")
    if i < 0:
        return [tree.split(" as ")[0].strip()]
    head, body = tree[:i], tree[i + 1:tree.rfind("}")]
    items, depth, cur = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    items.append(cur)
    out = []
    for it in items:
        if it.strip():
            out += [head + p for p in expand(it)]
    return out


def main():
    files = {}
    for d, _, names in os.walk(ROOT):
        for n in names:
            if n.endswith(".rs"):
                rel = os.path.relpath(os.path.join(d, n), ROOT)
                files[module_of(rel)] = rel
    modules = set(files)

    def resolve(mod, path):
        segs = [s for s in path.split("::") if s]
        if not segs:
            return None
        if segs[0] == "crate":
            base, segs = [], segs[1:]
        elif segs[0] in ("super", "self"):
            base = list(mod)
            while segs and segs[0] in ("super", "self"):
                if segs.pop(0) == "super":
                    base.pop()
        else:
            # A child module named at the start of a `use` (`use child::X`).
            base = list(mod)
            if tuple(base + [segs[0]]) not in modules:
                return None
        best = None
        cur = list(base)
        if tuple(cur) in modules:
            best = tuple(cur)
        for s in segs:
            cur.append(s)
            if tuple(cur) in modules:
                best = tuple(cur)
        return best

    # `pub use child::Name;` in a module: a path through that module to `Name` leads to the
    # child's file, not to the module's own file.
    reexports = {}
    for mod, rel in files.items():
        code = strip(open(os.path.join(ROOT, rel), encoding="utf-8").read())
        for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", code):
            for p in expand(m.group(1)):
                name = p.split("::")[-1]
                if name in ("self", "*"):
                    continue
                target = resolve(mod, p)
                if target is not None and target != mod:
                    reexports[(mod, name)] = target

    def resolve_item(mod, path):
        target = resolve(mod, path)
        if target is None:
            return None
        # Follow re-exports: the segment after the module that resolved.
        segs = [x for x in path.split("::") if x]
        for name in segs:
            if (target, name) in reexports:
                seen = 0
                while (target, name) in reexports and seen < 10:
                    target = reexports[(target, name)]
                    seen += 1
                break
        return target

    file_edges = defaultdict(set)
    lines = {}
    for mod, rel in files.items():
        text = open(os.path.join(ROOT, rel), encoding="utf-8").read()
        lines[mod] = text.count("\n")
        code = strip(text)
        # Inline test modules may use their parent freely.
        code = re.split(r"#\[cfg\(test\)\]\s*mod tests", code)[0]
        # `pub(in crate::a::b)` limits who may see an item; it is not a use of `a::b`.
        code = re.sub(r"pub\(in [^)]*\)", "pub", code)
        paths = []
        for m in re.finditer(r"\buse\s+([^;]+);", code):
            paths += expand(m.group(1))
        inline = re.sub(r"\buse\s+[^;]+;", "", code)
        paths += re.findall(r"\bcrate(?:::\w+)+", inline)
        paths += re.findall(r"\bsuper(?:::\w+)+", inline)
        for p in paths:
            target = resolve_item(mod, p.replace(" ", "").replace("\n", ""))
            if target is not None and target != mod:
                # A module using its own descendant is the normal direction: keep it.
                file_edges[mod].add(target)

    room_edges = defaultdict(set)
    for a, bs in file_edges.items():
        for b in bs:
            ra, rb = room_of(a), room_of(b)
            if ra != rb:
                room_edges[ra].add(rb)

    problems = []
    for a, bs in sorted(room_edges.items()):
        if a in FREE:
            continue
        allowed = ALLOWED.get(a)
        if allowed is None:
            problems.append(f"room {a} is not in the plan (scripts/house.py ALLOWED)")
            continue
        for b in sorted(bs):
            ok = b in allowed or (b.startswith("core/") and "core/*" in allowed)
            if not ok:
                who = sorted(
                    f"{files[x]} → {files[y]}"
                    for x in file_edges for y in file_edges[x]
                    if room_of(x) == a and room_of(y) == b
                )
                problems.append(f"upward arrow {a} → {b}: " + "; ".join(who[:3]))

    def cycles(nodes, edges):
        index, low, stack, on, out = {}, {}, [], set(), []
        counter = [0]

        def visit(v):
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in edges.get(v, ()):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))

        sys.setrecursionlimit(10000)
        for v in nodes:
            if v not in index:
                visit(v)
        return out

    for c in cycles(sorted(room_edges), room_edges):
        problems.append("import circle between rooms: " + " ↔ ".join(c))
    for c in cycles(sorted(file_edges), file_edges):
        inside = sorted(f"{files[a]} → {files[b]}" for a in c for b in file_edges[a] if b in c)
        problems.append("import circle between files: " + " ↔ ".join(files[m] for m in c)
                        + ("\n      " + "\n      ".join(inside) if "--why" in sys.argv else ""))
    for mod, n in sorted(lines.items()):
        if n > MAX_LINES:
            problems.append(f"{files[mod]}: {n} lines (limit ~600)")

    if "--draw" in sys.argv:
        print("rooms and the rooms they use (from the use graph of src/):")
        for a in sorted(set(room_edges) | {room_of(m) for m in files}):
            n_files = sum(1 for m in files if room_of(m) == a)
            n_lines = sum(lines[m] for m in files if room_of(m) == a)
            uses = ", ".join(sorted(room_edges.get(a, ()))) or "—"
            print(f"  {a:<14} {n_files:>3} files {n_lines:>6} lines  → {uses}")
    print(f"house: {len(files)} files, {sum(len(v) for v in file_edges.values())} file arrows, "
          f"{sum(len(v) for v in room_edges.values())} room arrows, {len(problems)} problems")
    for p in problems:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
