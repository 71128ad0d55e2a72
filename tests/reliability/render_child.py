"""Child process of the render crash test: resumes every unfinished job against the
emulator the test hosts, exactly as `avpe jobs resume` does after a crash.

    python render_child.py LIBRARY_DB WORKSPACE LIBRARY_DIR EMULATOR_URL
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from pipeline_helpers import google_on

from avpe_desktop.pipeline.queue import RenderQueue
from avpe_desktop.storage.sqlite_library import SqliteLibrary


async def main(db: str, workspace: str, library_dir: str, base_url: str) -> int:
    engine = google_on(base_url)
    with SqliteLibrary(db) as library:
        queue = RenderQueue(library, Path(workspace), Path(library_dir), lambda _n: engine)
        jobs = await queue.resume_unfinished()
    print(" ".join(job.status.value for job in jobs), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:5])))
