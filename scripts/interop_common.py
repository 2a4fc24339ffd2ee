"""What the interop scripts share: the pass/fail tally and a pymavlink link that waits for
messages from one component and sends commands to it. Python standard library + pymavlink."""
import asyncio
import os
import sys
import time

os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil  # noqa: E402

M = mavutil.mavlink


class Tally:
    """Counts checks and prints one line each ('  pass  WHO: NAME DETAIL')."""

    def __init__(self, who):
        self.who = who
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"  {'pass' if ok else 'FAIL'}  {self.who}: {name} {detail}", flush=True)
        return ok

    def finish(self):
        """Prints the last line ('N passed, N failed') and exits non-zero on any failure."""
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


async def first(agen, cond=lambda x: True, timeout=10.0):
    """The first item of async generator `agen` for which `cond` holds, or None after `timeout` s."""
    async def go():
        async for x in agen:
            if cond(x):
                return x
    try:
        return await asyncio.wait_for(go(), timeout)
    except asyncio.TimeoutError:
        return None


class Link:
    """pymavlink on udpin 127.0.0.1:PORT as (system, component), talking to component `comp`."""

    def __init__(self, port, system, component, comp, tick=None):
        self.conn = mavutil.mavlink_connection(
            f"udpin:127.0.0.1:{port}", source_system=system, source_component=component,
            dialect="common")
        self.comp = comp
        self.sysid = 1
        self.tick = tick or (lambda: None)  # called while waiting (heartbeats)

    def wait(self, types, cond=lambda m: True, timeout=5.0, comp=None):
        """The next message of `types` from `comp` (default: ours) for which `cond` holds."""
        comp = self.comp if comp is None else comp
        end = time.time() + timeout
        while time.time() < end:
            self.tick()
            left = end - time.time()
            m = self.conn.recv_match(type=types, blocking=True, timeout=min(0.2, max(0.01, left)))
            if m is not None and m.get_srcComponent() == comp and cond(m):
                return m
        return None

    def command(self, cmd, *p, final=True, timeout=5.0, comp=None):
        """COMMAND_LONG `cmd` with params `p`; the result of its (final) COMMAND_ACK, or None."""
        comp = self.comp if comp is None else comp
        p = list(p) + [0] * (7 - len(p))
        self.conn.mav.command_long_send(self.sysid, comp, cmd, 0, *p)
        end = time.time() + timeout
        while time.time() < end:
            a = self.wait("COMMAND_ACK", lambda m: m.command == cmd, end - time.time(), comp)
            if a is None:
                return None
            if final and a.result == M.MAV_RESULT_IN_PROGRESS:
                continue
            return a.result
        return None
