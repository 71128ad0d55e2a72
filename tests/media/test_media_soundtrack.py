"""The soundtrack mix: loudness delivered as promised, the video stream untouched, the music
ducked under the clips' own sound and back, and bad input refused in words."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from audio_helpers import video_packets
from media_helpers import MakeClip, sweep_frames

from avpe_desktop.domain.soundtrack import LoudnessTarget
from avpe_desktop.media.encode import write_video
from avpe_desktop.media.ffmpeg import MediaError
from avpe_desktop.media.loudness import PRESETS, measure_loudness
from avpe_desktop.media.mix import MixSettings, mix_soundtrack
from avpe_desktop.media.pcm import read_pcm
from avpe_desktop.media.probe import probe

RATE = 48_000
SONG_SECONDS = 12


def write_wav(path: Path, pcm: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes((np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def song(kind: str) -> np.ndarray:
    """Four songs a creator might drop: mastered far too loud, far too quiet, clipped, and
    drum hits whose peaks stand high above their loudness (the limiter's case)."""
    rng = np.random.default_rng(7)
    t = np.arange(SONG_SECONDS * RATE) / RATE
    noise = rng.standard_normal((t.size, 2))
    if kind == "loud":
        return np.tanh(2 * noise)
    if kind == "quiet":
        return 0.003 * noise
    if kind == "clipped":
        return np.clip(3 * np.sin(2 * np.pi * 110 * t)[:, None] + 0.3 * noise, -1, 1)
    hits = np.zeros(t.size)
    decay = np.arange(4800)
    for start in range(0, t.size - decay.size, RATE // 2):
        hits[start : start + decay.size] = np.sin(2 * np.pi * 60 * decay / RATE) * np.exp(
            -decay / 800
        )
    return hits[:, None] + 0.01 * noise


def sine(freq: float, t: np.ndarray, amplitude: float) -> np.ndarray:
    return np.repeat((amplitude * np.sin(2 * np.pi * freq * t))[:, None], 2, axis=1)


def video_with_bursts(path: Path, seconds: float, bursts: list[tuple[float, float]]) -> Path:
    """A video whose own sound is a 2 kHz tone in the given spans and silence elsewhere."""
    t = np.arange(round(seconds * RATE)) / RATE
    sound = np.zeros((t.size, 2), np.float32)
    for begin, end in bursts:
        span = (t >= begin) & (t < end)
        sound[span] = sine(2000, t[span], 0.2)
    write_video(path, sweep_frames(192, 108, round(seconds * 24)), 24, audio=sound)
    return path


def band_db(pcm: np.ndarray, begin: float, end: float, freq: float) -> float:
    """The level of one tone within a mix, from the spectrum of a window of it."""
    window = pcm[round(begin * RATE) : round(end * RATE)].mean(axis=1)
    taper = np.hanning(window.size)
    # Scaled by the taper's sum, so windows of different lengths read the same for one tone.
    spectrum = (np.abs(np.fft.rfft(window * taper)) / taper.sum()) ** 2
    freqs = np.fft.rfftfreq(window.size, 1 / RATE)
    power = spectrum[np.abs(freqs - freq) <= 20].sum()
    return float(10 * np.log10(power + 1e-20))


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("kind", ["loud", "quiet", "clipped", "hits"])
def test_delivered_loudness_meets_the_preset(
    tmp_path: Path, make_clip: MakeClip, kind: str, preset: str
) -> None:
    target = PRESETS[preset]
    video = make_clip("render.mp4", seconds=6.0)
    music = write_wav(tmp_path / f"{kind}.wav", song(kind))
    report = mix_soundtrack(
        video, music, tmp_path / "out.mp4", MixSettings(music_start=1.5, loudness=target)
    )
    measured = measure_loudness(tmp_path / "out.mp4")
    assert (report.integrated_lufs, report.true_peak_dbtp) == (
        measured.integrated_lufs,
        measured.peak_db,
    )
    assert abs(measured.integrated_lufs - target.integrated_lufs) <= 1.0
    assert measured.peak_db <= target.true_peak_dbtp


def test_video_stream_is_copied_bit_for_bit(tmp_path: Path, make_clip: MakeClip) -> None:
    video = make_clip("render.mp4", seconds=4.0)
    music = write_wav(tmp_path / "song.wav", song("loud"))
    mix_soundtrack(video, music, tmp_path / "out.mp4")
    assert video_packets(tmp_path / "out.mp4") == video_packets(video)
    before, after = probe(video), probe(tmp_path / "out.mp4")
    assert after.frame_count == before.frame_count
    assert after.audio_codec == "aac"
    assert abs(after.duration - before.duration) < 0.05


@pytest.mark.parametrize("duck_db", [6.0, 12.0])
def test_music_dips_under_clip_sound_and_comes_back(tmp_path: Path, duck_db: float) -> None:
    video = video_with_bursts(tmp_path / "render.mp4", 9.0, [(3.0, 6.0)])
    t = np.arange(SONG_SECONDS * RATE) / RATE
    music = write_wav(tmp_path / "song.wav", sine(200, t, 0.1))
    settings = MixSettings(fade_in=0, fade_out=0, duck_db=duck_db, duck_release_ms=300)
    mix_soundtrack(video, music, tmp_path / "out.mp4", settings)
    mixed = read_pcm(tmp_path / "out.mp4")
    before = band_db(mixed, 1.0, 2.5, 200)
    during = band_db(mixed, 3.7, 5.5, 200)
    after = band_db(mixed, 7.0, 8.5, 200)
    assert during - before == pytest.approx(-duck_db, abs=1.5)
    assert after - before == pytest.approx(0, abs=1.5)
    assert band_db(mixed, 3.7, 5.5, 2000) > during  # the clip's sound is what plays over it


def test_muted_clip_sound_leaves_the_music_alone(tmp_path: Path) -> None:
    video = video_with_bursts(tmp_path / "render.mp4", 8.0, [(3.0, 6.0)])
    t = np.arange(SONG_SECONDS * RATE) / RATE
    music = write_wav(tmp_path / "song.wav", sine(200, t, 0.1))
    settings = MixSettings(fade_in=0, fade_out=0, keep_clip_audio=False)
    report = mix_soundtrack(video, music, tmp_path / "out.mp4", settings)
    mixed = read_pcm(tmp_path / "out.mp4")
    assert not report.clip_audio
    assert band_db(mixed, 3.7, 5.5, 200) == pytest.approx(band_db(mixed, 1.0, 2.5, 200), abs=0.5)
    assert band_db(mixed, 3.7, 5.5, 2000) < band_db(mixed, 3.7, 5.5, 200) - 50


def test_video_without_sound_gets_the_music(tmp_path: Path, make_clip: MakeClip) -> None:
    video = make_clip("silent.mp4", seconds=4.0, audio=False)
    music = write_wav(tmp_path / "song.wav", song("clipped"))
    report = mix_soundtrack(video, music, tmp_path / "out.mp4")
    assert not report.clip_audio
    assert probe(tmp_path / "out.mp4").audio_codec == "aac"
    assert abs(report.integrated_lufs - report.target.integrated_lufs) <= 1.0
    assert video_packets(tmp_path / "out.mp4") == video_packets(video)


def test_music_fades_out_with_the_video(tmp_path: Path, make_clip: MakeClip) -> None:
    video = make_clip("silent.mp4", seconds=5.0, audio=False)
    t = np.arange(SONG_SECONDS * RATE) / RATE
    music = write_wav(tmp_path / "song.wav", sine(200, t, 0.1))
    mix_soundtrack(video, music, tmp_path / "out.mp4", MixSettings(fade_in=1.0, fade_out=2.0))
    mixed = read_pcm(tmp_path / "out.mp4")
    steady = band_db(mixed, 1.5, 2.9, 200)
    assert band_db(mixed, 0.0, 0.4, 200) < steady - 6
    assert band_db(mixed, 4.5, 4.95, 200) < steady - 10


def test_unreadable_song_is_refused_and_the_old_export_kept(
    tmp_path: Path, make_clip: MakeClip
) -> None:
    video = make_clip("render.mp4", seconds=2.0)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"the previous export")
    (tmp_path / "notes.mp3").write_text("not a song")
    with pytest.raises(MediaError, match=r"notes\.mp3 could not be read as audio: it is damaged"):
        mix_soundtrack(video, tmp_path / "notes.mp3", out)
    assert out.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.mp3", "out.mp4", "render.mp4"]


def test_start_past_the_end_of_the_song_is_refused(tmp_path: Path, make_clip: MakeClip) -> None:
    video = make_clip("render.mp4", seconds=2.0)
    music = write_wav(tmp_path / "song.wav", song("quiet"))
    with pytest.raises(MediaError, match=r"song\.wav ends before 30 s"):
        mix_soundtrack(video, music, tmp_path / "out.mp4", MixSettings(music_start=30))
    assert not (tmp_path / "out.mp4").exists()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"music_start": -1.0}, "before the beginning of the song"),
        ({"fade_out": -0.5}, "fades cannot be shorter than zero"),
        ({"duck_db": 60.0}, "0 to 40 dB"),
        ({"duck_attack_ms": 0.0}, "attack and release"),
        ({"music_gain_db": float("nan")}, "must be numbers"),
        ({"loudness": LoudnessTarget(-9.0, 2.0)}, "at or below 0 dBTP"),
    ],
)
def test_settings_out_of_range_are_refused_in_words(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        MixSettings(**settings)  # type: ignore[arg-type]  # the cases mix floats and a target


def test_song_shorter_than_the_video_fades_out_at_its_own_end(
    tmp_path: Path, make_clip: MakeClip
) -> None:
    video = make_clip("silent.mp4", seconds=5.0, audio=False)
    t = np.arange(3 * RATE) / RATE
    music = write_wav(tmp_path / "short.wav", sine(200, t, 0.1))
    report = mix_soundtrack(
        video, music, tmp_path / "out.mp4", MixSettings(fade_in=0, fade_out=1.0)
    )
    mixed = read_pcm(tmp_path / "out.mp4")
    steady = band_db(mixed, 0.5, 1.9, 200)
    assert band_db(mixed, 2.6, 2.95, 200) < steady - 6
    assert band_db(mixed, 3.5, 4.9, 200) < steady - 60
    assert report.duration == pytest.approx(5.0, abs=0.05)
