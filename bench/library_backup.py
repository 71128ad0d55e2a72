"""What a library backup costs at start-up, against copying the same bytes safely.

Fills a library with characters and projects until it is about `--megabytes` MB, then times,
best of 5:

- `SqliteLibrary.backup`: SQLite's online backup into a temporary file, its integrity check,
  the fsync and rename (`atomic_output`) and the pruning;
- the physical floor: `shutil.copyfile` of the library file into `atomic_output` (flushed and
  renamed), what any safe copy of those bytes costs;
- `backup_if_due` when today's backup exists already: what every later start pays;
- opening the library, for scale.

    .venv/bin/python bench/library_backup.py --megabytes 5
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from avpe_desktop.domain import Character, CharacterDetails, Content, Project, Segment
from avpe_desktop.storage.atomic import atomic_output
from avpe_desktop.storage.sqlite_library import SqliteLibrary

GOAL = 4.0
"""A backup may cost a few safe copies: it also reads the copy back whole for its integrity
check and prunes old backups."""


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def fill(library: SqliteLibrary, megabytes: float) -> None:
    """Characters with long descriptions and projects with full scripts, as a busy creator
    would have after some months."""
    number = 0
    while library.path.stat().st_size < megabytes * 1_000_000:
        for _ in range(50):
            number += 1
            details = CharacterDetails(personality=f"curious and kind, number {number} " * 40)
            library.add_character(
                Character(name=f"Character {number}", image=f"c/{number}.png", details=details)
            )
            segments = [
                Segment(
                    segment=i,
                    first_frame_description=f"Scene {i} opens on a quiet room " * 8,
                    last_frame_description=f"Scene {i} closes on the box " * 8,
                    scene="A quiet room",
                    action="steps closer",
                )
                for i in range(1, 8)
            ]
            title = f"Video {number}"
            library.save_project(
                Project(title=title, folder=title, content=Content(title=title, segments=segments))
            )
        with contextlib.closing(sqlite3.connect(library.path)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the size on disk, not in -wal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "library.sqlite3"
        with SqliteLibrary(path) as library:
            fill(library, args.megabytes)
            size = path.stat().st_size
            backup = best_of(5, library.backup)

            def copy_bytes() -> None:
                with atomic_output(Path(tmp) / "copy.sqlite3") as target:
                    shutil.copyfile(path, target)

            floor = best_of(5, copy_bytes)
            not_due = best_of(5, library.backup_if_due)
        opening = best_of(5, lambda: SqliteLibrary(path).close())
    print(f"library: {size / 1_000_000:.1f} MB")
    print(f"backup (copy + integrity check + fsync + prune): {backup * 1000:.1f} ms")
    print(f"safe copy of the same bytes (copy + fsync + rename): {floor * 1000:.1f} ms")
    print(f"  backup / safe copy: {backup / floor:.1f}x")
    print(f"later starts the same day (backup_if_due, not due): {not_due * 1000:.2f} ms")
    print(f"opening the library, for scale: {opening * 1000:.1f} ms")
    print(f"  first start of the day / opening: {(backup + opening) / opening:.1f}x")
    ratio = backup / floor
    verdict = "ok" if ratio <= GOAL else "short"
    print(f"backup_vs_safe_copy: {ratio:.1f} (goal <= {GOAL:g}) {verdict}")


if __name__ == "__main__":
    main()
