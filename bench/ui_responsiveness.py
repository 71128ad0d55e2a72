"""How long the GUI's event loop stalls while a render runs through the render queue panel.

Starts the real main window offscreen on a qasync loop (as `avpe-desktop` does), with a
sample character and a 7-segment offline script (4 s clips, 720p) open in the timeline, then
presses Render. While the job runs, a 5 ms precise QTimer records when it fires: any gap
between two ticks is time in which the window could not have repainted or answered a click.
The stall reported is the whole gap (so it includes the 5 ms period; an idle loop shows
about 5 ms). People notice a stall of about 50 ms and more.

To say where a long stall came from, the calls the UI thread makes into the library and the
queue panel's refreshes are timed as well, and each of the longest stalls is listed with the
timed calls inside it and the render's step at that moment.

    .venv/bin/python bench/ui_responsiveness.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

GOAL_MS = 50.0
TICK_MS = 5
SAMPLE_AFTER_MS = 20
SETTLE_SECONDS = 1.0
"""The window's first paint and keyframe thumbnails finish before Render is pressed, as they
would before a person pressed it."""
SEGMENTS = 7


@dataclass
class Timed:
    """Calls made on the UI thread, with when they ended and how long they took."""

    calls: list[tuple[str, float, float]] = field(default_factory=list)

    def wrap(self, owner: object, name: str, label: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)
        main = threading.main_thread()

        def timed(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is not main:
                return original(*args, **kwargs)
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                end = time.perf_counter()
                self.calls.append((label, end, end - start))

        setattr(owner, name, timed)

    def within(self, start: float, end: float) -> dict[str, tuple[int, float]]:
        inside: dict[str, tuple[int, float]] = {}
        for label, ended, seconds in self.calls:
            if start <= ended <= end:
                count, total = inside.get(label, (0, 0.0))
                inside[label] = (count + 1, total + seconds)
        return inside

    def summary(self, label: str) -> tuple[int, float, float]:
        times = [s for name, _e, s in self.calls if name == label]
        return len(times), max(times, default=0.0), sum(times)


class StallMonitor:
    """A precise timer's ticks; gaps between them are stalls of the Qt (and asyncio) loop.

    A watchdog thread samples the UI thread's stack whenever a tick is more than
    `SAMPLE_AFTER_MS` late, so a stall can be traced to the code that caused it."""

    def __init__(self, note: Callable[[], str]) -> None:
        from PySide6.QtCore import Qt, QTimer

        self._note = note
        self.ticks: list[float] = []
        self.notes: list[str] = []
        self.samples: list[tuple[float, str]] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._watching = False
        self._main_id = threading.main_thread().ident

    def start(self) -> None:
        self.ticks = [time.perf_counter()]
        self.notes = [self._note()]
        self._timer.start()
        self._watching = True
        threading.Thread(target=self._watch, daemon=True).start()

    def stop(self) -> None:
        self._timer.stop()
        self._watching = False

    def _watch(self) -> None:
        last_sampled = 0.0
        while self._watching:
            time.sleep(0.002)
            now = time.perf_counter()
            late = now - self.ticks[-1]
            if late > SAMPLE_AFTER_MS / 1000 and now - last_sampled > 0.01:
                frame = sys._current_frames().get(self._main_id or 0)
                if frame is not None:
                    self.samples.append((now, _where(frame)))
                    last_sampled = now

    def samples_within(self, start: float, end: float) -> list[str]:
        return [where for moment, where in self.samples if start <= moment <= end]

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())
        self.notes.append(self._note())

    def gaps(self) -> list[tuple[float, float, float, str]]:
        """(gap seconds, start, end, what the render was doing just before it)."""
        return [
            (end - start, start, end, note)
            for start, end, note in zip(self.ticks, self.ticks[1:], self.notes, strict=False)
        ]


def _where(frame: FrameType) -> str:
    """The innermost few frames of the project's code (and what it called), outermost last."""
    parts = []
    for summary in traceback.extract_stack(frame)[::-1][:8]:
        short = summary.filename.rsplit("site-packages/", 1)[-1].rsplit("/main/", 1)[-1]
        parts.append(f"{short}:{summary.lineno} {summary.name}")
    return " < ".join(parts)


def prepare(home: Path) -> None:
    """A library with one analysed sample character and a 7-segment offline script, set to
    open at start-up, so the render starts from the timeline as a creator's would."""
    from avpe_desktop.characters import analyse_character, import_character
    from avpe_desktop.config import EngineChoice
    from avpe_desktop.context import AppContext
    from avpe_desktop.domain import Brief, RenderSettings
    from avpe_desktop.engines.local import local_engine
    from avpe_desktop.pipeline.screenwriter import write_script
    from avpe_desktop.projects import create_project
    from avpe_desktop.ui.resources import sample_characters

    os.environ["AVPE_HOME"] = str(home)
    settings = RenderSettings(resolution="720p", aspect_ratio="16:9", duration=4)
    engine = local_engine()
    with AppContext.open() as ctx:
        character = import_character(ctx.library, ctx.dirs.data, sample_characters()[0], "Floof")
        character = asyncio.run(
            analyse_character(ctx.library, ctx.dirs.data, character, engine.analyst)
        )
        brief = Brief(
            idea="Floof discovers a mysterious box", character_name="Floof", num_segments=SEGMENTS
        )
        content = asyncio.run(write_script(engine.writer, brief, character.details))
        project, _layout = create_project(
            ctx.library, ctx.workspace, content, settings, character.id, brief
        )
        ctx.settings = ctx.settings.model_copy(
            update={
                "engine": EngineChoice.LOCAL,
                "render": settings,
                "last_project_id": project.id,
            }
        )
        ctx.save_settings()


def idle_poll_seconds(library: Any, rounds: int = 2000) -> float:
    """What one poll costs the poll thread when no process wrote anything."""
    mark = library.job_changes().mark
    start = time.perf_counter()
    for _ in range(rounds):
        library.job_changes(mark)
    return (time.perf_counter() - start) / rounds


def run_gui() -> tuple[StallMonitor, Timed, float, str, float]:
    from PySide6.QtWidgets import QApplication

    from avpe_desktop.context import AppContext
    from avpe_desktop.ui.app import create_application, install_loop
    from avpe_desktop.ui.main_window import MainWindow
    from avpe_desktop.ui.queue_panel import JobCard
    from avpe_desktop.ui.render_queue import JobView
    from avpe_desktop.ui.timeline import ClipCard

    app = create_application([sys.argv[0]])
    loop = install_loop(app)
    ctx = AppContext.open()
    timed = Timed()
    for name in ("save_step", "save_job", "get_job", "list_steps", "find_done_step"):
        timed.wrap(ctx.library, name, f"library.{name}")
    window = MainWindow(ctx)
    timed.wrap(window.queue, "_refresh", "queue view refresh (library read)")
    timed.wrap(JobCard, "refresh", "queue card update")
    timed.wrap(window.project_view, "show_render_state", "timeline + preview refresh")
    timed.wrap(ClipCard, "paintEvent", "timeline clip paint")
    timed.wrap(window.queue, "submit", "submit (job saved, character snapshot)")
    timed.wrap(window.queue, "_poll", "queue poll for other processes' jobs (start)")
    timed.wrap(window.queue, "_show_changes", "queue poll results shown")
    job: list[JobView] = []
    monitor = StallMonitor(lambda: job[0].message if job else "starting up")
    ended = asyncio.Event()
    seconds = 0.0

    async def drive() -> None:
        nonlocal seconds
        while not window.ready:
            await asyncio.sleep(0.05)
        await asyncio.sleep(SETTLE_SECONDS)
        monitor.start()
        started = time.perf_counter()
        view = window.render_project()
        if view is None:
            raise SystemExit(f"The render did not start: {window.banner.text}")
        job.append(view)
        window.queue.jobFinished.connect(lambda _view: ended.set())
        await ended.wait()
        seconds = time.perf_counter() - started
        await asyncio.sleep(0.2)  # the last refreshes, after the job is saved
        monitor.stop()

    window.resize(1440, 900)
    window.show()
    try:
        with loop:
            loop.run_until_complete(drive())
            window.close()
        idle_poll = idle_poll_seconds(ctx.library)
    finally:
        ctx.close()
    QApplication.processEvents()
    status = job[0].status.value if job else "not started"
    return monitor, timed, seconds, status, idle_poll


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=5, help="longest stalls to explain")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="avpe-ui-bench-") as tmp:
        prepare(Path(tmp))
        monitor, timed, seconds, status, idle_poll = run_gui()
    gaps = monitor.gaps()
    if not gaps:
        raise SystemExit("The stall monitor never ticked.")
    lengths = sorted(gap for gap, *_ in gaps)
    longest_ms = lengths[-1] * 1000
    p99_ms = lengths[min(len(lengths) - 1, int(len(lengths) * 0.99))] * 1000
    print(
        f"render: {SEGMENTS} segments, 4 s clips, 720p, offline engine, through the GUI's "
        f"queue; job {status}"
    )
    print(f"render wall time: {seconds:.1f} s")
    print(
        f"loop ticks: {len(gaps)} (every {TICK_MS} ms when idle); median gap "
        f"{statistics.median(lengths) * 1000:.1f} ms"
    )
    print("longest stalls (ms) and what was happening just before (timed calls inside):")
    for gap, start, end, note in sorted(gaps, reverse=True)[: args.top]:
        inside = timed.within(start, end)
        calls = ", ".join(
            f"{label} x{count} {total * 1000:.1f} ms"
            for label, (count, total) in sorted(inside.items(), key=lambda kv: -kv[1][1])
        )
        print(f"  {gap * 1000:6.1f}  at {start - monitor.ticks[0]:5.1f} s  {note!r}")
        if calls:
            print(f"          {calls}")
        for where in dict.fromkeys(monitor.samples_within(start, end)):
            print(f"          in {where}")
    print("UI-thread calls during the render (count, longest, total):")
    for label in sorted({label for label, _e, _s in timed.calls}):
        count, longest, total = timed.summary(label)
        print(f"  {label}: {count}, {longest * 1000:.1f} ms, {total * 1000:.0f} ms")
    print(f"idle poll (job_changes, nothing written since): {idle_poll * 1e6:.0f} µs")
    print(f"99th percentile gap: {p99_ms:.1f} ms")
    print(f"longest stall: {longest_ms:.1f} ms")
    verdict = "ok" if longest_ms < GOAL_MS else "short"
    print(f"ui_longest_stall_ms: {longest_ms:.1f} (goal < {GOAL_MS:g}) {verdict}")


if __name__ == "__main__":
    main()
