"""Offline engine: scripts, keyframes and interpolated clips with no network and no keys."""

from __future__ import annotations

from avpe_desktop.engines.base import Engine
from avpe_desktop.engines.local.analyst import LocalCharacterAnalyst
from avpe_desktop.engines.local.painter import LocalFramePainter
from avpe_desktop.engines.local.script import LocalScriptWriter
from avpe_desktop.engines.local.video import LocalVideoMaker

LOCAL_POLL_INTERVAL = 0.25
"""Offline clips take seconds, so polling often costs nothing and shows progress sooner."""


def local_engine() -> Engine:
    return Engine(
        name="local",
        writer=LocalScriptWriter(),
        analyst=LocalCharacterAnalyst(),
        painter=LocalFramePainter(),
        video=LocalVideoMaker(),
        poll_interval=LOCAL_POLL_INTERVAL,
    )
