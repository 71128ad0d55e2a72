"""Offline engine: scripts, keyframes and interpolated clips with no network and no keys.

Its parts import OpenCV and numpy (a third of a second), which the app's first screen does
not need, so they load when an engine is first built.
"""

from __future__ import annotations

from avpe_desktop.engines.base import Engine

LOCAL_POLL_INTERVAL = 0.25
"""Offline clips take seconds, so polling often costs nothing and shows progress sooner."""


def local_engine() -> Engine:
    from avpe_desktop.engines.local.analyst import LocalCharacterAnalyst
    from avpe_desktop.engines.local.painter import LocalFramePainter
    from avpe_desktop.engines.local.script import LocalScriptWriter
    from avpe_desktop.engines.local.video import LocalVideoMaker

    return Engine(
        name="local",
        writer=LocalScriptWriter(),
        analyst=LocalCharacterAnalyst(),
        painter=LocalFramePainter(),
        video=LocalVideoMaker(),
        poll_interval=LOCAL_POLL_INTERVAL,
    )
