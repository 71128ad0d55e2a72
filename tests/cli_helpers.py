"""Running the real `avpe` command as a creator does, for the CLI tests."""

from __future__ import annotations

import signal
import subprocess
import sys

AVPE = [sys.executable, "-m", "avpe_desktop.cli", "--engine", "local"]


def paused_demo() -> str:
    """A 2-segment offline demo stopped by Ctrl-C while its first clip renders; returns what it
    printed after the signal."""
    render = subprocess.Popen(
        [*AVPE, "demo", "--segments", "2", "--duration", "4"], stderr=subprocess.PIPE, text=True
    )
    assert render.stderr is not None
    seen = []
    for line in render.stderr:
        seen.append(line)
        if "video rendering" in line:
            render.send_signal(signal.SIGINT)
            break
    rest = render.communicate(timeout=300)[1]
    assert render.returncode == 130, "".join(seen) + rest
    return rest
