"""The soundtrack check decodes the song for real: each format a creator brings is accepted
with its true facts, and every kind of bad file is refused in words."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from audio_helpers import FORMAT_ENCODERS, make_song

from avpe_desktop.media.audio_check import (
    MAX_SOUNDTRACK_SECONDS,
    AudioFileError,
    check_audio_file,
)
from avpe_desktop.media.demo_music import DEMO_MUSIC_SECONDS, demo_music
from avpe_desktop.media.ffmpeg import run_ffmpeg

EXPECTED_CODEC = {
    ".mp3": "mp3",
    ".wav": "pcm_s16le",
    ".m4a": "aac",
    ".ogg": "vorbis",
    ".opus": "opus",
    ".flac": "flac",
}


@pytest.mark.parametrize("suffix", sorted(FORMAT_ENCODERS))
def test_each_accepted_format_is_decoded_with_its_facts(tmp_path: Path, suffix: str) -> None:
    song = make_song(tmp_path / f"song{suffix}", 2.0, rate=48_000, channels=2)

    info = check_audio_file(song)

    assert info.codec == EXPECTED_CODEC[suffix]
    assert info.channels == 2
    assert info.sample_rate == 48_000
    assert info.duration == pytest.approx(2.0, abs=0.08)
    assert info.peak_dbfs == pytest.approx(-21, abs=1.5)  # the test tone, measured


def test_a_mono_song_is_reported_as_mono(tmp_path: Path) -> None:
    info = check_audio_file(make_song(tmp_path / "mono.flac", 1.0, rate=22_050, channels=1))
    assert (info.channels, info.sample_rate) == (1, 22_050)


def test_the_extension_is_not_trusted(tmp_path: Path) -> None:
    """A FLAC saved as .mp3 is a good song; it is known by what it holds."""
    song = make_song(tmp_path / "named-wrong.mp3", 1.0, codec_args=["-c:a", "flac", "-f", "flac"])
    assert check_audio_file(song).codec == "flac"


def _refusal(path: Path) -> str:
    with pytest.raises(AudioFileError) as caught:
        check_audio_file(path)
    message = str(caught.value)
    assert "Errno" not in message and "Traceback" not in message
    return message


def test_random_bytes_are_refused_as_not_a_song(tmp_path: Path) -> None:
    path = tmp_path / "holiday.mp3"
    path.write_bytes(os.urandom(20_000))
    message = _refusal(path)
    assert "'holiday.mp3' cannot be played as a song" in message
    assert "MP3, WAV" in message


def test_a_song_damaged_in_the_middle_is_refused(tmp_path: Path) -> None:
    song = make_song(tmp_path / "damaged.mp3", 3.0)
    data = bytearray(song.read_bytes())
    data[8000:13000] = os.urandom(5000)
    song.write_bytes(bytes(data))
    assert "'damaged.mp3' cannot be played as a song" in _refusal(song)


def test_a_cut_short_m4a_is_refused(tmp_path: Path) -> None:
    song = make_song(tmp_path / "cut.m4a", 3.0)
    song.write_bytes(song.read_bytes()[: song.stat().st_size // 2])
    assert "'cut.m4a' cannot be played as a song" in _refusal(song)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.touch()
    assert _refusal(path) == "'empty.wav' is empty (0 bytes), so it holds no music."


def test_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Music").mkdir()
    assert "'Music' is a folder, not a song" in _refusal(tmp_path / "Music")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert "'gone.mp3' does not exist" in _refusal(tmp_path / "gone.mp3")


def test_a_silent_song_is_refused(tmp_path: Path) -> None:
    song = make_song(tmp_path / "quiet.wav", 2.0, silent=True)
    message = _refusal(song)
    assert "'quiet.wav' is silent from start to end" in message


def test_a_file_without_sound_is_refused(tmp_path: Path) -> None:
    picture = tmp_path / "cover.png"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1", picture])
    assert "'cover.png' has no sound in it" in _refusal(picture)


def test_a_sound_format_outside_the_list_is_refused(tmp_path: Path) -> None:
    song = make_song(tmp_path / "film.ac3", 1.0, codec_args=["-c:a", "ac3"])
    message = _refusal(song)
    assert "'film.ac3' holds its sound as ac3" in message


def test_a_song_longer_than_the_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    minutes = MAX_SOUNDTRACK_SECONDS // 60 + 1
    song = make_song(
        tmp_path / "concert.wav",
        minutes * 60,
        rate=8000,
        channels=1,
        codec_args=["-c:a", "pcm_u8"],
    )
    message = _refusal(song)
    assert f"'concert.wav' lasts {minutes} min 0 s" in message
    assert "up to 30 minutes" in message


def test_the_demo_loop_is_a_good_song_of_its_stated_length(tmp_path: Path) -> None:
    info = check_audio_file(demo_music(tmp_path))
    assert info.duration == pytest.approx(DEMO_MUSIC_SECONDS, abs=0.01)
    assert (info.channels, info.codec) == (2, "pcm_s16le")
