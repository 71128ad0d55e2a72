"""Step keys change with every input that decides a result, and reuse checks the file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from avpe_desktop.domain import Job, Project, StepKind, StepStatus
from avpe_desktop.engines.base import FrameRequest, VideoRequest
from avpe_desktop.engines.local import local_engine
from avpe_desktop.pipeline.steps import Ledger, frame_key, video_key
from avpe_desktop.storage.layout import allocate_project_folder
from avpe_desktop.storage.sqlite_library import SqliteLibrary
from avpe_desktop.testing.sample_script import garden_script


def test_frame_and_video_keys_cover_every_input() -> None:
    engine = local_engine()
    frame = FrameRequest(description="Floof waves", references=(b"char", b"prev"))
    base = frame_key(engine, StepKind.KEYFRAME, frame)
    assert base == frame_key(engine, StepKind.KEYFRAME, dataclasses.replace(frame))
    changes = [
        {"description": "Floof jumps"},
        {"references": (b"char", b"other previous frame")},
        {"references": (b"char",)},
        {"seed": 1},
        {"caption": "Title"},
        {"character_description": "fluffy"},
    ]
    keys = {frame_key(engine, StepKind.KEYFRAME, dataclasses.replace(frame, **c)) for c in changes}
    assert base not in keys and len(keys) == len(changes)
    assert frame_key(engine, StepKind.THUMBNAIL, frame) != base

    video = VideoRequest(prompt="walk", first_frame=b"a", last_frame=b"b", duration=4)
    changes_v = [
        {"prompt": "run"},
        {"first_frame": b"c"},
        {"last_frame": b"c"},
        {"duration": 6},
        {"generate_audio": False},
        {"seed": 3},
        {"negative_prompt": "blur"},
        {"creature_sounds": ("purr",)},
    ]
    vkeys = {video_key(engine, dataclasses.replace(video, **c)) for c in changes_v}
    assert video_key(engine, video) not in vkeys and len(vkeys) == len(changes_v)


def test_reuse_checks_the_result_file(tmp_path: Path) -> None:
    layout = allocate_project_folder(tmp_path, "daily_character", "T").ensure()
    with SqliteLibrary(tmp_path / "lib.db") as library:
        project = Project(title="T", folder=layout.relative, content=garden_script(1))
        library.save_project(project)
        first = Job(project_id=project.id, engine="local")
        library.save_job(first)
        ledger = Ledger(library, first, layout)
        step = ledger.step(StepKind.KEYFRAME, "k1", 1)
        ledger.finish(ledger.begin(step, 0.5), b"paid image")
        assert ledger.spent() == 0.5

        second = Job(project_id=project.id, engine="local")
        library.save_job(second)
        again = Ledger(library, second, layout)
        reused = again.step(StepKind.KEYFRAME, "k1", 1)
        assert again.result(reused) == b"paid image"
        assert again.current("k1").status is StepStatus.DONE and again.spent() == 0.0

        # A damaged result is not trusted: the step must be redone.
        Path(again.current("k1").result_path or "").write_bytes(b"tampered")
        third = Job(project_id=project.id, engine="local")
        library.save_job(third)
        fresh = Ledger(library, third, layout)
        assert fresh.result(fresh.step(StepKind.KEYFRAME, "k1", 1)) is None

        # A result written just before a crash (file, no DONE row) is adopted, not repaid.
        crashed = Ledger(library, third, layout)
        step = crashed.begin(crashed.step(StepKind.VIDEO, "v1", 1), 1.0)
        layout.step_result("v1", ".mp4").write_bytes(b"clip")
        assert Ledger(library, third, layout).result(step) == b"clip"
