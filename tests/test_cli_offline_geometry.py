"""The script that failed a clip offline renders whole through `avpe render`.

Grumble, "Grumble tries to bake a cake", 3 segments, default settings: the offline writer wrote
this script, and its segment 3 failed every time with "LinAlgError('Singular matrix')" (the
painter's close-up of a kitchen shelf matched many points onto one). The script is kept here as
it was written, so the reproduction does not depend on what the writer writes today.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from cake_chain import CAKE_CHAIN

from avpe_desktop.cli import main


def _cake_script() -> dict[str, object]:
    segments = [
        {
            "segment": number,
            "first_frame_description": CAKE_CHAIN[number - 1],
            "last_frame_description": CAKE_CHAIN[number],
            "scene": "Grumble bakes a cake",
            "action": "Moves through the kitchen",
            "creature_sounds": [],
            "camera": "Tracking Grumble",
        }
        for number in (1, 2, 3)
    ]
    return {
        "content": {"title": "Grumble's Big Day", "segments": segments, "format": "daily_character"}
    }


def test_the_cake_script_renders_every_segment_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grumble = resources.files("avpe_desktop").joinpath("resources", "characters", "grumble.jpg")
    image = tmp_path / "grumble.jpg"
    image.write_bytes(grumble.read_bytes())
    assert main(["--engine", "local", "character", "add", str(image), "--name", "Grumble"]) == 0
    script = tmp_path / "cake.json"
    script.write_text(json.dumps(_cake_script()))
    capsys.readouterr()
    argv = ["--engine", "local", "render", str(script), "--character", "Grumble", "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["success_count"] == result["total_segments"] == 3
