"""An emulator per test, a library in the test's folder, and a queue on the Google engine."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pipeline_helpers import google_on

from avpe_desktop.engines.base import Engine
from avpe_desktop.pipeline.progress import ProgressEvent
from avpe_desktop.pipeline.queue import RenderQueue
from avpe_desktop.storage.sqlite_library import SqliteLibrary
from avpe_desktop.testing.emulator import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture
def library(tmp_path: Path) -> Iterator[SqliteLibrary]:
    with SqliteLibrary(tmp_path / "library.db") as lib:
        yield lib


@pytest.fixture
def events() -> list[ProgressEvent]:
    return []


@pytest.fixture
def make_queue(
    library: SqliteLibrary, tmp_path: Path, emulator: Emulator, events: list[ProgressEvent]
) -> Callable[..., RenderQueue]:
    def make(
        engine: Engine | None = None, clock: Callable[[], float] = time.monotonic
    ) -> RenderQueue:
        chosen = engine or google_on(emulator.base_url)
        return RenderQueue(
            library,
            tmp_path / "workspace",
            tmp_path / "lib",
            lambda _name: chosen,
            events.append,
            clock=clock,
        )

    return make
