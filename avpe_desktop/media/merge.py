"""Joining segment clips into one video.

Clips from one render share their encoding (same engine, same settings), so the usual merge is
a stream copy: `mp4join` writes one index for all the clips and copies their media data after
it, in about the time a copy of the bytes takes and with no second generation of compression.
Anything else (clips of different sizes or codec settings, Veo clips mixed with offline ones,
files it cannot read, or a crossfade, which needs new pixels) is re-encoded with moviepy.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from avpe_desktop.media.encode import DEFAULT_CRF, DEFAULT_PRESET, DEFAULT_SAMPLE_RATE
from avpe_desktop.media.ffmpeg import MediaError, ffmpeg_exe
from avpe_desktop.media.mp4index import NotJoinableError
from avpe_desktop.media.mp4join import plan_join
from avpe_desktop.media.probe import VideoInfo, probe
from avpe_desktop.storage.atomic import atomic_output

MergeMethod = Literal["copy", "reencode"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MergeReport:
    path: Path
    method: MergeMethod
    duration: float
    clips: int


def merge_videos(
    paths: Sequence[str | os.PathLike[str]],
    out_path: str | os.PathLike[str],
    crossfade_seconds: float = 0.0,
) -> MergeReport:
    """Joins `paths` in order into `out_path`.

    Clips that share their encoding are joined by stream copy; the rest are re-encoded, and
    every input is then probed first, so a missing or corrupt clip fails the merge with its
    name before any work is done. `out_path` is only replaced by a complete result. A
    crossfade shortens the result by `crossfade_seconds` per join (it is capped at half the
    shortest clip, so no clip fades out entirely).
    """
    if not paths:
        raise MediaError("there are no clips to merge")
    if crossfade_seconds < 0:
        raise ValueError(f"crossfade_seconds must be >= 0, got {crossfade_seconds}")
    if crossfade_seconds == 0:
        try:
            join = plan_join(paths)
        except NotJoinableError as reason:
            logger.info("re-encoding the merge: %s", reason)
        else:
            with atomic_output(out_path) as tmp:
                join.write(tmp)
            return MergeReport(Path(out_path), "copy", join.duration, len(paths))
    # Probing reads every clip through ffmpeg: one process per clip, run side by side (the
    # work is in the subprocesses, so threads are enough). `map` still raises the first bad
    # clip in order.
    with ThreadPoolExecutor(max_workers=min(len(paths), os.cpu_count() or 1)) as pool:
        infos = list(pool.map(probe, paths))
    with atomic_output(out_path) as tmp:
        _reencode(infos, tmp, crossfade_seconds)
        result = probe(tmp)
    return MergeReport(Path(out_path), "reencode", result.duration, len(infos))


def _reencode(infos: Sequence[VideoInfo], out: Path, crossfade: float) -> None:
    # moviepy reads its ffmpeg from the environment once, on import: point it at ours.
    os.environ.setdefault("FFMPEG_BINARY", ffmpeg_exe())
    from moviepy import (
        CompositeVideoClip,
        VideoClip,
        VideoFileClip,
        afx,
        concatenate_videoclips,
        vfx,
    )

    target = (infos[0].width, infos[0].height)
    sources = [VideoFileClip(str(info.path)) for info in infos]
    try:

        def fit(clip: VideoClip) -> VideoClip:
            """Letterboxes a clip of another size into the first clip's frame."""
            if tuple(clip.size) == target:
                return clip
            scale = min(target[0] / clip.size[0], target[1] / clip.size[1])
            return CompositeVideoClip(
                [clip.resized(scale).with_position("center")], size=target, bg_color=(0, 0, 0)
            )

        clips = [fit(clip) for clip in sources]
        fade = min(crossfade, min(info.duration for info in infos) / 2)
        if fade > 0 and len(clips) > 1:
            for i in range(len(clips)):
                video_fx = [vfx.CrossFadeIn(fade)] if i > 0 else []
                audio_fx = [afx.AudioFadeIn(fade)] if i > 0 else []
                if i < len(clips) - 1:
                    audio_fx.append(afx.AudioFadeOut(fade))
                clip = clips[i].with_effects(video_fx)
                if clip.audio is not None:
                    clip = clip.with_audio(clip.audio.with_effects(audio_fx))
                clips[i] = clip
            joined = concatenate_videoclips(clips, method="compose", padding=-fade)
        else:
            joined = concatenate_videoclips(clips, method="compose")
        with tempfile.TemporaryDirectory(prefix="avpe-merge-") as work:
            joined.write_videofile(
                str(out),
                fps=max(info.fps for info in infos),
                codec="libx264",
                audio=joined.audio is not None,
                audio_codec="aac",
                audio_fps=DEFAULT_SAMPLE_RATE,
                preset=DEFAULT_PRESET,
                ffmpeg_params=[
                    "-crf",
                    str(DEFAULT_CRF),
                    "-pix_fmt",
                    "yuv420p",
                    "-movflags",
                    "+faststart",
                ],
                temp_audiofile_path=work,
                logger=None,
            )
    except (OSError, ValueError) as exc:
        raise MediaError(f"re-encoding {len(infos)} clips failed: {exc}") from exc
    finally:
        for clip in sources:
            clip.close()
