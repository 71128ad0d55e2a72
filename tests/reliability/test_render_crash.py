"""SIGKILL a render at random moments, restart it, and prove from the emulator's request log
that no paid request was ever answered twice.

The emulator runs in this (test) process, so its log survives every kill. A kill is sent
while the emulator holds its answers (`answers_held`) and only when no paid answer went out
in the last moment, so "answered" means "received by the child, which had time to record
it"; a request the child was still waiting for is logged ABANDONED (never delivered, never
paid) and is legitimately sent again by the restarted process.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from pipeline_helpers import PAID_ROUTES, google_on, make_project, paid

from avpe_desktop.domain import JobStatus
from avpe_desktop.media.probe import probe
from avpe_desktop.pipeline.queue import RenderQueue
from avpe_desktop.storage.sqlite_library import SqliteLibrary
from avpe_desktop.testing.emulator import ABANDONED, Emulator

CHILD = Path(__file__).with_name("render_child.py")
SEGMENTS = 3
QUIET = 1.0  # seconds since the last paid answer before a kill is allowed
IMAGE_LATENCY = 1.5


def _last_paid_answer(emulator: Emulator) -> float:
    times = [
        r.answered_at
        for r in emulator.requests()
        if r.route in PAID_ROUTES and r.status == 200 and r.answered_at
    ]
    return max(times, default=0.0)


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
def test_sigkill_at_random_points_never_pays_twice(tmp_path: Path) -> None:
    rng = random.Random(os.environ.get("AVPE_CRASH_SEED", "5"))
    with Emulator() as emulator, SqliteLibrary(tmp_path / "library.db") as library:
        emulator.slow("generateContent", IMAGE_LATENCY)
        emulator.slow("fetchPredictOperation", 0.2)
        project = make_project(library, tmp_path / "lib", tmp_path / "workspace", SEGMENTS)
        queue = RenderQueue(
            library,
            tmp_path / "workspace",
            tmp_path / "lib",
            lambda _name: google_on(emulator.base_url),
        )
        job = queue.submit(project)
        argv = [
            sys.executable,
            str(CHILD),
            str(tmp_path / "library.db"),
            str(tmp_path / "workspace"),
            str(tmp_path / "lib"),
            emulator.base_url,
        ]
        kills = 0
        for _run in range(12):
            child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            deadline = time.monotonic() + rng.uniform(2.0, 6.0)
            killed = False
            while child.poll() is None:
                if kills < 4 and time.monotonic() >= deadline:
                    with emulator.answers_held():
                        if time.time() - _last_paid_answer(emulator) >= QUIET:
                            child.send_signal(signal.SIGKILL)
                            child.wait()
                            killed = True
                            kills += 1
                            break
                time.sleep(0.02)
            _out, err = child.communicate()
            if not killed:
                assert child.returncode == 0, err.decode()[-2000:]
                if library.get_job(job.id).status.finished:
                    break
        final = library.get_job(job.id)

    assert kills >= 2, "the render finished before it could be killed"
    assert final.status is JobStatus.DONE, final.error
    answered = paid(emulator)
    repeated = {a for a in answered if answered.count(a) > 1}
    assert not repeated, f"paid requests answered twice: {repeated}"
    routes = [route for route, _ in answered]
    assert routes.count("generateContent") == SEGMENTS + 2  # keyframes + thumbnail
    assert routes.count("predictLongRunning") == SEGMENTS
    abandoned = [r for r in emulator.requests() if r.status == ABANDONED]
    assert all(r.route in (*PAID_ROUTES, "fetchPredictOperation") for r in abandoned)
    assert final.result is not None and final.result.merged_video is not None
    merged = final.result.merged_video.path or ""
    assert probe(merged).duration == pytest.approx(4 * SEGMENTS, abs=0.3)
