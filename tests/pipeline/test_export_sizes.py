"""Export sizes: every ratio comes out exactly, at the platforms' sizes unless the creator asks
for the render's own, and a same-ratio, same-size export is the merged file byte for byte.
Measured with `probe` on real files made from short synthetic renders at 720p."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_helpers import rendered_project, synthetic_clip

from avpe_desktop.domain import AspectRatio, Project
from avpe_desktop.domain.settings import ExportSize, ReframeMode
from avpe_desktop.media.probe import probe
from avpe_desktop.media.reframe import crop_size, output_size, pad_size
from avpe_desktop.pipeline.export import export_file_name, export_video
from avpe_desktop.pipeline.postprocess import export_aspect
from avpe_desktop.storage.layout import MAX_FOLDER_BYTES, ProjectLayout


@pytest.fixture(scope="module")
def landscape(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, ProjectLayout]:
    return rendered_project(tmp_path_factory.mktemp("landscape"), AspectRatio.LANDSCAPE)


@pytest.fixture(scope="module")
def portrait(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, ProjectLayout]:
    return rendered_project(tmp_path_factory.mktemp("portrait"), AspectRatio.PORTRAIT)


def _is_exactly(size: tuple[int, int], aspect: AspectRatio) -> bool:
    width, height = aspect.parts
    return size[0] * height == size[1] * width and size[0] % 2 == 0 and size[1] % 2 == 0


@pytest.mark.parametrize(
    "source", [(1280, 720), (1920, 1080), (720, 1280), (1080, 1920), (640, 360), (853, 480)]
)
@pytest.mark.parametrize("aspect", list(AspectRatio))
def test_every_computed_size_is_exactly_the_ratio_and_even(
    source: tuple[int, int], aspect: AspectRatio
) -> None:
    crop = crop_size(source, aspect)
    pad = pad_size(source, aspect)
    assert _is_exactly(crop, aspect) and _is_exactly(pad, aspect)
    assert crop[0] <= source[0] and crop[1] <= source[1]
    assert pad[0] >= source[0] and pad[1] >= source[1]
    # The largest and the smallest such: one more step of the ratio would not fit / not be
    # needed (two ratio units when one would leave an odd side).
    step = 1 if all(part % 2 == 0 for part in aspect.parts) else 2
    assert (
        crop[0] + step * aspect.parts[0] > source[0]
        or crop[1] + step * aspect.parts[1] > (source[1])
    )
    assert (
        pad[0] - step * aspect.parts[0] < source[0] or pad[1] - step * aspect.parts[1] < (source[1])
    )


def test_platform_sizes_are_what_the_platforms_ask_for() -> None:
    source = (1280, 720)
    assert output_size(source, AspectRatio.PORTRAIT, "platform", "crop") == (1080, 1920)
    assert output_size(source, AspectRatio.SQUARE, "platform", "pad") == (1080, 1080)
    assert output_size(source, AspectRatio.FEED, "platform", "crop") == (1080, 1350)
    # 16:9 keeps the render's resolution: 720p and 1080p are both what video sites take.
    assert output_size(source, AspectRatio.LANDSCAPE, "platform", "crop") == source
    assert output_size((1080, 1920), AspectRatio.LANDSCAPE, "platform", "pad") == (1920, 1080)
    assert output_size((720, 1280), AspectRatio.LANDSCAPE, "rendered", "crop") == (704, 396)
    assert output_size(source, AspectRatio.PORTRAIT, "rendered", "crop") == (396, 704)


@pytest.mark.parametrize(
    ("aspect", "size", "mode", "expected"),
    [
        (AspectRatio.PORTRAIT, "platform", "crop", (1080, 1920)),
        (AspectRatio.PORTRAIT, "platform", "pad", (1080, 1920)),
        (AspectRatio.SQUARE, "platform", "crop", (1080, 1080)),
        (AspectRatio.FEED, "platform", "pad", (1080, 1350)),
        (AspectRatio.PORTRAIT, "rendered", "crop", (396, 704)),
        (AspectRatio.SQUARE, "rendered", "pad", (1280, 1280)),
    ],
)
async def test_exports_of_a_16_9_render_come_out_at_exact_sizes(
    landscape: tuple[Project, ProjectLayout],
    tmp_path: Path,
    aspect: AspectRatio,
    size: ExportSize,
    mode: ReframeMode,
    expected: tuple[int, int],
) -> None:
    project, layout = landscape
    out = await export_video(
        project, layout, tmp_path / "out.mp4", aspect, 0.0, mode=mode, size=size
    )
    info = probe(out)
    assert info.size == expected
    assert info.audio_codec == "aac"
    assert info.duration == pytest.approx(probe(layout.merged_video).duration, abs=0.1)


@pytest.mark.parametrize(
    ("fixture", "aspect", "size"),
    [
        ("landscape", AspectRatio.LANDSCAPE, "platform"),
        ("landscape", AspectRatio.LANDSCAPE, "rendered"),
        ("portrait", AspectRatio.PORTRAIT, "rendered"),
    ],
)
async def test_a_same_ratio_same_size_export_is_the_merged_file_byte_for_byte(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    fixture: str,
    aspect: AspectRatio,
    size: ExportSize,
) -> None:
    project, layout = request.getfixturevalue(fixture)
    out = await export_video(project, layout, tmp_path / "copy.mp4", aspect, 0.0, size=size)
    assert out.read_bytes() == layout.merged_video.read_bytes()


async def test_a_720p_vertical_render_is_scaled_to_the_platform_size(
    portrait: tuple[Project, ProjectLayout], tmp_path: Path
) -> None:
    project, layout = portrait
    out = await export_video(project, layout, tmp_path / "tall.mp4", AspectRatio.PORTRAIT, 0.0)
    assert probe(out).size == (1080, 1920)
    wide = await export_video(project, layout, tmp_path / "wide.mp4", AspectRatio.LANDSCAPE, 0.0)
    assert probe(wide).size == (1280, 720)


async def test_another_crossfade_merges_again_then_sizes(
    landscape: tuple[Project, ProjectLayout], tmp_path: Path
) -> None:
    project, layout = landscape
    out = await export_video(project, layout, tmp_path / "faded.mp4", AspectRatio.SQUARE, 0.25)
    info = probe(out)
    assert info.size == (1080, 1080)
    two_clips = 2 * probe(layout.segment_video(1)).duration
    assert info.duration == pytest.approx(two_clips - 0.25, abs=0.1)


async def test_a_whole_video_older_than_a_clip_is_not_exported_as_the_current_one(
    tmp_path: Path,
) -> None:
    """An edited script rendered again (partly): its clip is newer than the old whole video."""
    project, layout = rendered_project(tmp_path / "ws", AspectRatio.LANDSCAPE)
    old = layout.merged_video.read_bytes()
    synthetic_clip(layout.segment_video(2), probe(layout.segment_video(2)).size, shade=90)

    out = await export_video(project, layout, tmp_path / "now.mp4", AspectRatio.LANDSCAPE, 0.0)

    assert out.read_bytes() != old
    assert probe(out).duration == pytest.approx(2 * probe(layout.segment_video(1)).duration, 0.1)


def test_export_names_carry_the_ratio_so_exports_never_overwrite_each_other() -> None:
    names = {export_file_name("Floof's Garden", aspect) for aspect in AspectRatio}
    assert names == {
        "Floof's Garden 16x9.mp4",
        "Floof's Garden 9x16.mp4",
        "Floof's Garden 1x1.mp4",
        "Floof's Garden 4x5.mp4",
    }
    long = export_file_name("A very long title " * 20, AspectRatio.FEED)
    assert long.endswith(" 4x5.mp4") and len(long.encode()) <= MAX_FOLDER_BYTES
    assert "/" not in export_file_name("Before/After: 1:1?", AspectRatio.SQUARE)


async def test_a_render_in_4x5_writes_its_reframed_video_at_the_platform_size(
    landscape: tuple[Project, ProjectLayout],
) -> None:
    project, layout = landscape
    settings = project.settings.model_copy(update={"aspect_ratio": AspectRatio.FEED})
    out = await export_aspect(layout, AspectRatio.FEED, settings)
    assert out.name.endswith("_complete_4x5.mp4")
    assert probe(out).size == (1080, 1350)
