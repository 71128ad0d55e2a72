"""Cutting a music video on the beat: where each clip ends, how much of its tail goes, how many
clips a song wants, and how the music leaves with the last cut.

Clips are as long as the model rendered them (Veo makes 4, 6 or 8 s), so a cut can only move
earlier: each clip loses the bit of its tail after the last beat it reaches, which is less than
one beat. Nothing here touches a file; the export applies the plan.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from avpe_desktop.media.beats import BEATS_PER_BAR

# Float noise in rendered durations (8.000000001 s) must not move a cut a whole beat back.
_EPSILON = 1e-6


@dataclass(frozen=True)
class BeatCutPlan:
    """The edit of a music video. `cut_times[i]` is where clip i leaves the video (with a
    crossfade, the end of its fade out; the next clip starts `crossfade` seconds earlier).
    The music fades out over the last `music_fade_out` seconds, ending with the video;
    `music_short_by` is how long the video outlasts the song (0 when the song covers it)."""

    trims: tuple[float, ...]
    cut_times: tuple[float, ...]
    video_length: float
    music_fade_out: float
    music_short_by: float


def plan_beat_cuts(
    clip_seconds: Sequence[float],
    beat_times: Sequence[float],
    song_length: float,
    crossfade: float = 0.0,
) -> BeatCutPlan:
    """Moves each clip's out point back to the last beat it reaches. A clip whose end lies
    beyond the song's last beat (by more than a beat) has no beat to meet and keeps its length.
    """
    if not clip_seconds:
        raise ValueError("a music video needs at least one clip to cut")
    if any(d <= crossfade for d in clip_seconds):
        raise ValueError(f"every clip must be longer than the {crossfade:g} s crossfade")
    beats = sorted(beat_times)
    trims: list[float] = []
    cuts: list[float] = []
    start = 0.0
    for duration in clip_seconds:
        natural_end = start + duration
        trim = _tail_after_beat(beats, natural_end, latest_trim=duration - crossfade)
        trims.append(trim)
        cuts.append(natural_end - trim)
        start = cuts[-1] - crossfade
    video_length = cuts[-1]
    return BeatCutPlan(
        trims=tuple(round(t, 4) for t in trims),
        cut_times=tuple(round(c, 4) for c in cuts),
        video_length=round(video_length, 4),
        music_fade_out=round(min(BEATS_PER_BAR * _median_period(beats), video_length), 4),
        music_short_by=round(max(0.0, video_length - song_length), 4),
    )


def segments_for_song(
    length: float, beat_period: float, clip_seconds: float, crossfade: float = 0.0
) -> int:
    """How many clips a writer should ask for so the video fits the song. The first clip may
    keep its whole length; once a cut is on a beat, every clip that follows holds a whole
    number of beats (its length less the crossfade, rounded down to beats), so at a steady
    tempo that is what each further clip adds. A song shorter than one clip still gets one."""
    if clip_seconds <= crossfade:
        raise ValueError(f"a clip must be longer than the {crossfade:g} s crossfade")
    shown = clip_seconds - crossfade
    whole_beats = math.floor(shown / beat_period + _EPSILON)
    per_clip = whole_beats * beat_period if whole_beats else shown
    return max(1, 1 + math.floor((length - clip_seconds) / per_clip + _EPSILON))


def _tail_after_beat(beats: Sequence[float], natural_end: float, latest_trim: float) -> float:
    """Seconds between the last beat at or before `natural_end` and `natural_end`, or 0 when
    that beat is more than one beat back (past the song) or would leave no clip."""
    index = bisect.bisect_right(beats, natural_end + _EPSILON) - 1
    if index < 0:
        return 0.0
    beat = beats[index]
    if index + 1 < len(beats):
        period = beats[index + 1] - beat
    elif index > 0:
        period = beat - beats[index - 1]
    else:
        return 0.0
    trim = max(0.0, natural_end - beat)
    return trim if trim <= period + _EPSILON and trim < latest_trim else 0.0


def _median_period(beats: Sequence[float]) -> float:
    intervals = sorted(b - a for a, b in itertools.pairwise(beats))
    return intervals[len(intervals) // 2] if intervals else 0.0
