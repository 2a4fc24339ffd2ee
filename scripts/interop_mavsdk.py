#!/usr/bin/env python3
"""Interop check: MAVSDK (PyPI `mavsdk`, native binding) camera plugin against siyi-bridge.

Usage: interop_mavsdk.py PORT   -- MAVSDK listens on udpin://127.0.0.1:PORT, where the bridge sends
(`siyi-bridge run --mavlink udpout:127.0.0.1:PORT`). Ends with 'N passed, N failed'.
"""
import asyncio
import sys
import urllib.request

from mavsdk.asyncio import Mavsdk, Configuration
from mavsdk import ComponentType
from mavsdk.asyncio.plugins.camera import CameraAsync
from mavsdk.plugins.camera import Storage
from interop_common import Tally, first

PORT = int(sys.argv[1])
t = Tally("mavsdk")
check = t.check



async def main():
    config = Configuration.create_with_component_type(ComponentType.GROUND_STATION)
    async with Mavsdk(config) as mavsdk:
        await mavsdk.add_any_connection(f"udpin://127.0.0.1:{PORT}")
        system = None
        for _ in range(100):
            systems = await mavsdk.get_systems()
            for s in systems:
                if await s.has_camera():
                    system = s
            if system:
                break
            await asyncio.sleep(0.2)
        check("system with a camera discovered", system is not None)
        if system is None:
            return
        camera = CameraAsync(system)
        cams = await first(camera.subscribe_camera_list(), lambda cl: len(cl.cameras) > 0, 30)
        info = cams.cameras[0] if cams else None
        check("camera list / information", info is not None and info.vendor_name == "SIYI",
              f"({info.vendor_name} {info.model_name}, compid {info.component_id})" if info else "")
        if info is None:
            return
        cid = info.component_id

        # MAVSDK polls STORAGE_INFORMATION every 5 s and VIDEO_STREAM_INFORMATION every 20 s.
        storage_task = asyncio.ensure_future(first(
            camera.subscribe_storage(), lambda u: u.component_id == cid, 12))
        stream_task = asyncio.ensure_future(first(
            camera.subscribe_video_stream_info(),
            lambda u: u.component_id == cid and u.video_stream_info.settings.uri != "", 30))

        captures = camera.subscribe_capture_info()
        cap_task = asyncio.ensure_future(first(captures, timeout=10))
        await asyncio.sleep(0.2)
        try:
            await camera.take_photo(cid)
            check("take_photo", True)
        except Exception as e:  # noqa: BLE001
            check("take_photo", False, repr(e))
        cap = await cap_task
        check("capture info received", cap is not None and cap.is_success,
              f"(index {cap.index})" if cap else "")
        url = cap.file_url if cap else ""
        check("capture info has the photo's file URL", url.startswith("http://127.0.0.1:"),
              f"({url})")
        jpeg = b""
        if url.startswith("http://127.0.0.1:"):
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    jpeg = r.read()
            except Exception as e:  # noqa: BLE001
                check("file URL serves the photo", False, repr(e))
        if jpeg:
            check("file URL serves a JPEG", jpeg[:2] == b"\xff\xd8" and jpeg[-2:] == b"\xff\xd9",
                  f"({len(jpeg)} bytes)")

        video_on_task = asyncio.ensure_future(first(
            camera.subscribe_storage(), lambda u: u.component_id == cid and u.storage.video_on, 12))
        try:
            await camera.start_video(cid)
            check("start_video", True)
        except Exception as e:  # noqa: BLE001
            check("start_video", False, repr(e))
        vo = await video_on_task
        check("storage update shows video on", vo is not None,
              f"(recording {vo.storage.recording_time_s:.1f} s)" if vo else "")
        try:
            await camera.stop_video(cid)
            check("stop_video", True)
        except Exception as e:  # noqa: BLE001
            check("stop_video", False, repr(e))

        try:
            await camera.zoom_range(cid, 50.0)
            check("zoom_range 50 %", True)
        except Exception as e:  # noqa: BLE001
            check("zoom_range 50 %", False, repr(e))

        su = await storage_task
        check("storage update", su is not None,
              f"(status {su.storage.storage_status}, type {su.storage.storage_type})" if su else "")
        # Card size unknown (no --sd-card-gib): NotSupported, never READY with 0 free.
        check("storage status is NOT_SUPPORTED", su is not None
              and su.storage.storage_status == Storage.StorageStatus.NOT_SUPPORTED,
              f"({su.storage.storage_status})" if su else "")
        vu = await stream_task
        v = vu.video_stream_info if vu else None
        check("video stream info", v is not None and v.settings.uri.startswith("rtsp://"),
              f"(id {v.stream_id}, {v.settings.uri})" if v else "")


asyncio.run(main())
t.finish()
