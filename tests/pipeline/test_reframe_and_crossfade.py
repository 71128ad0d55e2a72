"""Exports in other aspect ratios, the crossfade merge and the partial merge's name, on small
synthetic clips whose subject is known: a red disc crossing a quiet backdrop from one edge to
the other."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avpe_desktop.domain import AspectRatio, Format, RenderSettings
from avpe_desktop.media.encode import write_video
from avpe_desktop.media.merge import merge_videos
from avpe_desktop.media.probe import iter_frames, probe
from avpe_desktop.media.reframe import crop_size, reframe_video
from avpe_desktop.pipeline import postprocess
from avpe_desktop.storage.layout import ProjectLayout

WIDTH, HEIGHT, FPS = 640, 360, 24.0
SECONDS = 2.0
RADIUS = 50  # a character-sized subject: about a quarter of the frame height
FRAMES = round(SECONDS * FPS)


def _disc_x(index: int) -> float:
    """The disc crosses from 12% to 88% of the width: no fixed crop window could keep it."""
    return WIDTH * (0.12 + 0.76 * index / (FRAMES - 1))


def _frames(shade: int = 0) -> list[np.ndarray]:
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    backdrop = np.dstack([30 + 40 * yy / HEIGHT + shade, 70 + 30 * xx / WIDTH, 60 + 0 * xx]).astype(
        np.uint8
    )
    frames = []
    for i in range(FRAMES):
        frame = backdrop.copy()
        disc = (xx - _disc_x(i)) ** 2 + (yy - HEIGHT * 0.55) ** 2 <= RADIUS**2
        frame[disc] = (235, 30, 30)
        frames.append(frame)
    return frames


def _clip(path: Path, shade: int = 0) -> Path:
    tone = 0.2 * np.sin(2 * np.pi * 330 * np.arange(int(SECONDS * 48_000)) / 48_000)
    write_video(path, _frames(shade), FPS, audio=tone.astype(np.float32))
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _clip(tmp_path_factory.mktemp("reframe") / "disc.mp4")


def _disc_pixels(frame: np.ndarray) -> np.ndarray:
    red, green, blue = (frame[..., c].astype(int) for c in range(3))
    return (red > 170) & (green < 110) & (blue < 110)


@pytest.mark.parametrize(("aspect", "size"), [("1:1", (360, 360)), ("4:5", (288, 360))])
def test_crop_is_the_largest_window_and_keeps_the_moving_subject_in_frame(
    clip: Path, tmp_path: Path, aspect: str, size: tuple[int, int]
) -> None:
    assert crop_size((WIDTH, HEIGHT), aspect) == size
    out = reframe_video(clip, tmp_path / "cropped.mp4", AspectRatio(aspect), mode="crop")
    info = probe(out)
    assert info.size == size
    assert info.audio_codec == "aac" and info.duration == pytest.approx(SECONDS, abs=0.1)
    disc_area = np.pi * RADIUS**2
    frames = list(iter_frames(out, info=info))
    assert len(frames) == FRAMES
    for index in range(0, FRAMES, 6):
        inside = _disc_pixels(frames[index])
        # Nearly all of the disc is in the picture (not a sliver at an edge), centred well
        # inside it.
        assert inside.sum() >= 0.8 * disc_area, (index, int(inside.sum()))
        centre = np.nonzero(inside)[1].mean()
        assert RADIUS / 2 <= centre <= size[0] - RADIUS / 2, (index, centre)


@pytest.mark.parametrize("aspect", ["1:1", "4:5"])
def test_pad_keeps_the_whole_frame_at_the_target_aspect_with_audio(
    clip: Path, tmp_path: Path, aspect: str
) -> None:
    out = reframe_video(clip, tmp_path / "padded.mp4", AspectRatio(aspect), mode="pad")
    info = probe(out)
    width, height = (int(part) for part in aspect.split(":"))
    assert info.width / info.height == pytest.approx(width / height, abs=0.01)
    assert info.width >= WIDTH and info.height >= HEIGHT
    assert info.audio_codec == "aac" and info.duration == pytest.approx(SECONDS, abs=0.1)
    # The whole source frame sits in the middle: the disc is complete in every frame.
    first = next(iter_frames(out, info=info))
    assert _disc_pixels(first).sum() >= 0.8 * np.pi * RADIUS**2


def test_crossfade_merge_shortens_by_one_fade_per_join(tmp_path: Path, clip: Path) -> None:
    clips = [clip, _clip(tmp_path / "b.mp4", shade=40), _clip(tmp_path / "c.mp4", shade=80)]
    fade = 0.5
    report = merge_videos(clips, tmp_path / "merged.mp4", crossfade_seconds=fade)
    assert report.method == "reencode"
    expected = sum(probe(c).duration for c in clips) - (len(clips) - 1) * fade
    info = probe(report.path)
    assert info.duration == pytest.approx(expected, abs=1 / FPS)
    assert info.frame_count == pytest.approx(expected * FPS, abs=1)
    assert info.audio_codec == "aac"


async def test_a_merge_missing_segments_is_named_partial_and_gives_way_to_the_whole(
    clip: Path, tmp_path: Path
) -> None:
    layout = ProjectLayout(tmp_path, Format.DAILY_CHARACTER, "Disc").ensure()
    settings = RenderSettings(aspect_ratio="1:1")
    clips = [str(clip)] * 3

    partial = await postprocess.finish(clips[:2], 3, layout, settings)

    assert partial.success and partial.partial
    assert Path(partial.path or "") == layout.reframed_video("1:1", layout.partial_video(2, 3))
    assert layout.partial_videos() == [layout.partial_video(2, 3)]  # not its reframed copy
    assert not layout.merged_video.exists()
    assert probe(layout.partial_video(2, 3)).duration == pytest.approx(2 * SECONDS, abs=0.1)

    whole = await postprocess.finish(clips, 3, layout, settings)

    assert whole.success and not whole.partial
    assert Path(whole.path or "") == layout.reframed_video("1:1")
    assert layout.merged_video.is_file() and layout.partial_videos() == []
    assert sorted(p.name for p in layout.root.glob("*.mp4")) == [
        "disc_complete.mp4",
        "disc_complete_1x1.mp4",
    ]
