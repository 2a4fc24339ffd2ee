#!/usr/bin/env python3
"""Interop check: MAVSDK's Gimbal plugin (PyPI `mavsdk`, native binding) against the bridge's
gimbal manager role (`siyi-bridge run --simulate`, no autopilot: the bridge is the manager).

Usage: interop_mavsdk_gimbal.py PORT -- MAVSDK listens on udpin://127.0.0.1:PORT, where the
bridge sends. Checks: gimbal list, take_control, set_angles, set_angular_rates, release_control,
and that the simulated gimbal moved, from the attitude the plugin reports. Run it before
interop_gimbal.py (pymavlink playing PX4 makes the bridge step down as manager).
Ends with 'N passed, N failed'.
"""
import asyncio
import math
import sys

from mavsdk.asyncio import Mavsdk, Configuration
from mavsdk import ComponentType
from mavsdk.asyncio.plugins.gimbal import GimbalAsync
from mavsdk.plugins.gimbal import ControlMode, GimbalMode, SendMode
from interop_common import Tally, first

PORT = int(sys.argv[1])
t = Tally("mavsdk gimbal")
check = t.check



async def attempt(name, coro):
    try:
        await coro
        check(name, True)
        return True
    except Exception as e:  # noqa: BLE001
        check(name, False, repr(e))
        return False


def near(a, b, tol):
    return not math.isnan(a) and abs(a - b) <= tol


async def main():
    config = Configuration.create_with_component_type(ComponentType.GROUND_STATION)
    async with Mavsdk(config) as mavsdk:
        await mavsdk.add_any_connection(f"udpin://127.0.0.1:{PORT}")
        system = None
        for _ in range(150):
            for s in await mavsdk.get_systems():
                if await s.has_gimbal():
                    system = s
            if system:
                break
            await asyncio.sleep(0.2)
        check("system with a gimbal discovered", system is not None)
        if system is None:
            return
        gimbal = GimbalAsync(system)
        gl = await first(gimbal.subscribe_gimbal_list(), lambda g: len(g.gimbals) > 0, 30)
        item = gl.gimbals[0] if gl else None
        check("gimbal list", item is not None,
              f"({item.vendor_name} {item.model_name}, manager {item.gimbal_manager_component_id},"
              f" device {item.gimbal_device_id})" if item else "")
        if item is None:
            return
        gid = item.gimbal_id

        await attempt("take_control (primary)", gimbal.take_control(gid, ControlMode.PRIMARY))
        cs = await first(gimbal.subscribe_control_status(),
                         lambda c: c.control_mode == ControlMode.PRIMARY, 10)
        check("control status: primary", cs is not None,
              f"(sysid {cs.sysid_primary_control}, compid {cs.compid_primary_control})" if cs else "")

        await attempt("set_angles pitch -30 yaw 20",
                      gimbal.set_angles(gid, 0.0, -30.0, 20.0, GimbalMode.YAW_FOLLOW, SendMode.ONCE))
        att = await first(
            gimbal.subscribe_attitude(),
            lambda a: near(a.euler_angle_forward.pitch_deg, -30.0, 1.5)
            and near(a.euler_angle_forward.yaw_deg, 20.0, 1.5), 15)
        e = att.euler_angle_forward if att else None
        check("the gimbal reached pitch -30 yaw 20", att is not None,
              f"(pitch {e.pitch_deg:.1f}, yaw {e.yaw_deg:.1f})" if e else "")

        start = await first(gimbal.subscribe_attitude(), timeout=5)
        yaw0 = start.euler_angle_forward.yaw_deg if start else float("nan")
        await attempt("set_angular_rates yaw 20 deg/s",
                      gimbal.set_angular_rates(gid, 0.0, 0.0, 20.0, GimbalMode.YAW_FOLLOW,
                                               SendMode.ONCE))
        moved = await first(gimbal.subscribe_attitude(),
                            lambda a: a.euler_angle_forward.yaw_deg > yaw0 + 5.0, 5)
        check("the gimbal turns right at the asked rate", moved is not None,
              f"(yaw {yaw0:.1f} -> {moved.euler_angle_forward.yaw_deg:.1f})" if moved else
              f"(yaw stayed near {yaw0:.1f})")
        await attempt("set_angular_rates 0 (stop)",
                      gimbal.set_angular_rates(gid, 0.0, 0.0, 0.0, GimbalMode.YAW_FOLLOW,
                                               SendMode.ONCE))

        await attempt("release_control", gimbal.release_control(gid))
        cs = await first(gimbal.subscribe_control_status(),
                         lambda c: c.control_mode == ControlMode.NONE, 10)
        check("control status: none", cs is not None)


asyncio.run(main())
t.finish()
