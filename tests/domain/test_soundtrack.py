"""The soundtrack lives in content.json under a key of its own: seed scripts are untouched by
it, and a script with one keeps every setting through a write and a read."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from test_seed_shapes import SEED_CONTENT_RESPONSE

from avpe_desktop.domain import Content, LoudnessPreset, Soundtrack, SoundtrackSettings


def test_a_seed_script_reads_and_writes_exactly_as_before() -> None:
    text = json.dumps(SEED_CONTENT_RESPONSE, indent=2, ensure_ascii=False)
    content = Content.from_seed_json(text)
    assert content.soundtrack is None
    assert content.to_seed_json() == text
    assert "soundtrack" not in content.to_seed_json()


def test_a_soundtrack_round_trips_beside_the_seed_keys() -> None:
    soundtrack = Soundtrack(
        file="soundtrack-0123456789ab.mp3",
        start=12.5,
        gain_db=-3.0,
        fade_in=1.0,
        fade_out=4.0,
        keep_clip_audio=False,
        ducking=True,
        duck_db=14.0,
        duck_attack_ms=35.0,
        duck_release_ms=900.0,
        loudness=LoudnessPreset.BROADCAST,
    )
    content = Content.from_seed(SEED_CONTENT_RESPONSE).model_copy(update={"soundtrack": soundtrack})

    written = json.loads(content.to_seed_json())
    again = Content.from_seed_json(content.to_seed_json())

    assert again == content
    seed_keys = SEED_CONTENT_RESPONSE["content"]
    assert {k: written["content"][k] for k in seed_keys} == seed_keys
    assert written["content"]["soundtrack"]["loudness"] == "broadcast"
    assert written["content"]["soundtrack"]["start"] == 12.5


def test_a_renumbered_script_keeps_its_soundtrack() -> None:
    content = Content.from_seed(SEED_CONTENT_RESPONSE).model_copy(
        update={"soundtrack": Soundtrack(file="song.wav")}
    )
    assert content.renumbered(content.segments * 2).soundtrack == content.soundtrack


def test_defaults_are_the_social_preset_with_ducking() -> None:
    settings = SoundtrackSettings()
    assert settings.loudness is LoudnessPreset.SOCIAL
    assert (settings.loudness.target.integrated_lufs, settings.loudness.target.true_peak_dbtp) == (
        -14.0,
        -1.0,
    )
    assert settings.ducking and settings.keep_clip_audio
    assert settings.start == 0.0 and settings.gain_db == 0.0


@pytest.mark.parametrize(
    ("preset", "lufs", "label"),
    [
        (LoudnessPreset.SOCIAL, -14.0, "Social and streaming"),
        (LoudnessPreset.PODCAST, -16.0, "Podcast"),
        (LoudnessPreset.BROADCAST, -23.0, "Broadcast"),
    ],
)
def test_each_preset_names_its_target(preset: LoudnessPreset, lufs: float, label: str) -> None:
    assert preset.target.integrated_lufs == lufs
    assert preset.target.true_peak_dbtp == -1.0
    assert preset.label == label


def test_the_settings_of_a_soundtrack_leave_its_file_out() -> None:
    soundtrack = Soundtrack(file="song.flac", gain_db=-6.0, duck_db=8.0)
    assert soundtrack.settings == SoundtrackSettings(gain_db=-6.0, duck_db=8.0)


@pytest.mark.parametrize(
    "name", ["../outside.mp3", "/etc/passwd", "music/song.mp3", "a\\b.mp3", ".."]
)
def test_the_file_must_be_a_name_inside_the_project_folder(name: str) -> None:
    with pytest.raises(ValidationError, match="file name in the project folder"):
        Soundtrack(file=name)


@pytest.mark.parametrize(
    "bad",
    [{"start": -1.0}, {"fade_in": -0.5}, {"duck_db": -3.0}, {"loudness": "loud"}],
)
def test_out_of_range_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SoundtrackSettings.model_validate(bad)
