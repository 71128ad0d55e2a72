"""Attaching a song copies it into the project and names it in content.json; a refused song
or a failed write leaves the project as it was, and a replaced song stays for undo. The
soundtrack's settings reach the mixer, and a song's analysis is made once."""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from audio_helpers import make_song, video_packets

from avpe_desktop import soundtracks
from avpe_desktop.domain import Content, LoudnessPreset, SoundtrackSettings
from avpe_desktop.media.audio_check import AudioFileError
from avpe_desktop.media.beats import MusicAnalysis
from avpe_desktop.media.encode import write_video
from avpe_desktop.soundtracks import (
    attach_soundtrack,
    mix_settings,
    score_video,
    song_analysis,
    soundtrack_path,
)
from avpe_desktop.storage.atomic import atomic_write_text
from avpe_desktop.storage.layout import ProjectLayout, allocate_project_folder
from avpe_desktop.testing.sample_script import garden_script


@pytest.fixture
def layout(tmp_path: Path) -> ProjectLayout:
    project = allocate_project_folder(tmp_path / "workspace", "music_video", "Floof").ensure()
    atomic_write_text(project.content_json, garden_script(3).to_seed_json())
    return project


def _snapshot(layout: ProjectLayout) -> dict[str, bytes]:
    """Every file of the project with its bytes."""
    return {
        str(path.relative_to(layout.root)): path.read_bytes()
        for path in sorted(layout.root.rglob("*"))
        if path.is_file()
    }


def _saved(layout: ProjectLayout) -> Content:
    return Content.from_seed_json(layout.content_json.read_bytes())


def test_a_song_is_copied_into_the_project_and_named_in_the_script(
    layout: ProjectLayout, tmp_path: Path
) -> None:
    song = make_song(tmp_path / "My Song.mp3", 2.0)
    settings = SoundtrackSettings(start=3.0, gain_db=-4.0, loudness=LoudnessPreset.PODCAST)

    content, info = attach_soundtrack(layout, song, settings)

    assert content == _saved(layout)
    assert content.soundtrack is not None
    assert content.soundtrack.settings == settings
    copy = soundtrack_path(layout, content.soundtrack)
    assert copy.parent == layout.root and copy.suffix == ".mp3"
    assert copy.read_bytes() == song.read_bytes()
    assert info.duration == pytest.approx(2.0, abs=0.08)
    assert content.segments == garden_script(3).segments


def test_replacing_the_song_keeps_its_settings_and_the_old_file_for_undo(
    layout: ProjectLayout, tmp_path: Path
) -> None:
    first, _ = attach_soundtrack(
        layout, make_song(tmp_path / "a.wav", 1.0), SoundtrackSettings(duck_db=6.0)
    )
    assert first.soundtrack is not None
    old = soundtrack_path(layout, first.soundtrack)

    second, _ = attach_soundtrack(layout, make_song(tmp_path / "b.flac", 1.5))

    assert second.soundtrack is not None
    assert second.soundtrack.settings == SoundtrackSettings(duck_db=6.0)
    assert soundtrack_path(layout, second.soundtrack).suffix == ".flac"
    assert old.is_file()
    assert sorted(p.name for p in layout.root.glob("soundtrack-*")) == sorted(
        [first.soundtrack.file, second.soundtrack.file]
    )


def test_the_same_song_attached_twice_is_one_file(layout: ProjectLayout, tmp_path: Path) -> None:
    song = make_song(tmp_path / "a.ogg", 1.0)
    first, _ = attach_soundtrack(layout, song)
    again, _ = attach_soundtrack(layout, song, SoundtrackSettings(fade_in=1.0))
    assert first.soundtrack is not None and again.soundtrack is not None
    assert again.soundtrack.file == first.soundtrack.file
    assert soundtrack_path(layout, again.soundtrack).is_file()
    assert again.soundtrack.fade_in == 1.0


def _corrupt(tmp_path: Path) -> Path:
    path = tmp_path / "broken.mp3"
    path.write_bytes(os.urandom(8000))
    return path


def _silent(tmp_path: Path) -> Path:
    return make_song(tmp_path / "silence.wav", 1.0, silent=True)


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.m4a"
    path.touch()
    return path


@pytest.mark.parametrize(
    ("make_bad", "words"),
    [
        (_corrupt, "cannot be played as a song"),
        (_silent, "is silent from start to end"),
        (_empty, "is empty (0 bytes)"),
        (lambda tmp: tmp / "missing.mp3", "does not exist"),
    ],
)
def test_a_refused_song_leaves_the_project_unchanged(
    layout: ProjectLayout, tmp_path: Path, make_bad: Callable[[Path], Path], words: str
) -> None:
    attach_soundtrack(layout, make_song(tmp_path / "good.mp3", 1.0))
    before = _snapshot(layout)

    with pytest.raises(AudioFileError, match=re.escape(words)):
        attach_soundtrack(layout, make_bad(tmp_path), SoundtrackSettings(gain_db=5.0))

    assert _snapshot(layout) == before


def test_a_full_disk_while_saving_keeps_the_old_song_and_script(
    layout: ProjectLayout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attach_soundtrack(layout, make_song(tmp_path / "old.mp3", 1.0))
    before = _snapshot(layout)

    def disk_full(path: Path, text: str) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(soundtracks, "atomic_write_text", disk_full)
    with pytest.raises(AudioFileError, match="The disk is full"):
        attach_soundtrack(layout, make_song(tmp_path / "new.flac", 1.0))

    assert _snapshot(layout) == before


def test_a_damaged_script_is_named_and_left_alone(layout: ProjectLayout, tmp_path: Path) -> None:
    layout.content_json.write_text('{"content": {"title": ', encoding="utf-8")
    before = _snapshot(layout)

    with pytest.raises(AudioFileError, match=r"script \(content.json\) is damaged"):
        attach_soundtrack(layout, make_song(tmp_path / "song.mp3", 1.0))

    assert _snapshot(layout) == before


def test_the_mixer_gets_the_creators_settings(layout: ProjectLayout) -> None:
    settings = SoundtrackSettings(
        start=1.5,
        gain_db=-3.0,
        fade_in=0.25,
        fade_out=1.0,
        keep_clip_audio=False,
        duck_db=8.0,
        duck_attack_ms=30.0,
        duck_release_ms=500.0,
        loudness=LoudnessPreset.BROADCAST,
    )
    mix = mix_settings(settings)
    assert (mix.music_start, mix.music_gain_db, mix.fade_in, mix.fade_out) == (1.5, -3.0, 0.25, 1.0)
    assert (mix.keep_clip_audio, mix.duck_db, mix.duck_attack_ms, mix.duck_release_ms) == (
        False,
        8.0,
        30.0,
        500.0,
    )
    assert mix.loudness.integrated_lufs == -23.0
    assert mix_settings(settings, fade_out=2.4).fade_out == 2.4
    assert mix_settings(settings.model_copy(update={"ducking": False})).duck_db == 0.0


def test_a_songs_analysis_is_made_once_and_a_damaged_cache_is_made_again(
    layout: ProjectLayout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, _ = attach_soundtrack(layout, make_song(tmp_path / "a.wav", 1.0))
    assert content.soundtrack is not None
    made = MusicAnalysis(length=1.0, tempo_bpm=120.0, beat_times=(0.0, 0.5), sections=())
    calls: list[Path] = []

    def analyse(path: Path) -> MusicAnalysis:
        calls.append(path)
        return made

    monkeypatch.setattr(soundtracks, "analyse_song", analyse)
    assert song_analysis(layout, content.soundtrack) == made
    assert song_analysis(layout, content.soundtrack) == made
    assert calls == [soundtrack_path(layout, content.soundtrack)]
    (cache,) = layout.root.glob("*.beats.json")
    cache.write_text("{not json", encoding="utf-8")
    assert song_analysis(layout, content.soundtrack) == made
    assert len(calls) == 2


def test_scoring_mixes_the_projects_song_under_the_video_with_the_picture_copied(
    layout: ProjectLayout, tmp_path: Path
) -> None:
    content, _ = attach_soundtrack(
        layout,
        make_song(tmp_path / "a.wav", 3.0),
        SoundtrackSettings(loudness=LoudnessPreset.PODCAST),
    )
    video = tmp_path / "clip.mp4"
    frames = (np.full((64, 96, 3), 5 * i, np.uint8) for i in range(48))
    write_video(video, frames, 24.0, audio=np.zeros((96_000, 2), np.float32))
    out = layout.scored_video(video)

    report = score_video(layout, content, video, out)

    assert out.name == "clip_music.mp4" and out.is_file()
    assert abs(report.integrated_lufs - -16.0) <= 1.0
    assert video_packets(out) == video_packets(video)
    with pytest.raises(ValueError, match="no soundtrack"):
        score_video(layout, garden_script(3), video, out)
