"""How close the stream-copy merge comes to copying the same bytes, and what it saves over a
re-encode.

Makes seven 8 s 720p clips with the app's own encoder (`media.encode`, the codec parameters
every segment gets: H.264 yuv420p BT.709 + AAC 48 kHz), a camera pan over a detailed scene
with a character crossing it and a tone per clip, then in the same run times:

- `merge_videos` on them (the stream-copy path, chosen because the clips match), best of 3;
- a plain copy of one file as large as the seven together, best of 3, written the way the
  merge writes its result and every other output of the app: `shutil.copyfile` into a
  temporary file beside the target, flushed to disk (fsync) and renamed over it
  (`atomic_output`). That is the physical floor for putting the merged bytes safely on disk;
  the copy without the flush is printed too, for reference (the flush alone is several
  milliseconds for 7 MB, about as long as the copy from warm page cache);
- `merge_videos` with a 0.5 s crossfade, which has to re-encode through moviepy (once: it
  is slow and only shows what the copy path saves).

    .venv/bin/python bench/merge.py
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from avpe_desktop.media.encode import DEFAULT_FPS, DEFAULT_SAMPLE_RATE, write_video
from avpe_desktop.media.merge import MergeReport, merge_videos
from avpe_desktop.media.probe import probe
from avpe_desktop.storage.atomic import atomic_output

GOAL = 3.0
WIDTH, HEIGHT = 1280, 720


def scene(seed: int) -> np.ndarray:
    """A wide, detailed backdrop (textured like a painted scene) to pan across."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (HEIGHT // 8, (WIDTH + 640) // 8, 3), dtype=np.uint8)
    image = cv2.resize(coarse, (WIDTH + 640, HEIGHT), interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur(image, (0, 0), 1.5)


def frames(backdrop: np.ndarray, count: int) -> Iterator[np.ndarray]:
    for i in range(count):
        x = round(640 * i / count)
        frame = np.ascontiguousarray(backdrop[:, x : x + WIDTH])
        centre = (200 + round(880 * i / count), 420)
        cv2.ellipse(frame, centre, (90, 120), 0, 0, 360, (230, 120, 60), -1)
        cv2.circle(frame, (centre[0] - 35, 380), 22, (255, 255, 255), -1)
        cv2.circle(frame, (centre[0] + 35, 380), 22, (255, 255, 255), -1)
        yield frame


def make_clips(folder: Path, count: int, seconds: float) -> list[Path]:
    clips = []
    samples = round(seconds * DEFAULT_SAMPLE_RATE)
    time_axis = np.arange(samples, dtype=np.float32) / DEFAULT_SAMPLE_RATE
    for number in range(count):
        audio = 0.3 * np.sin(2 * np.pi * (220 + 40 * number) * time_axis)
        path = folder / f"segment_{number + 1}.mp4"
        write_video(path, frames(scene(number), round(seconds * DEFAULT_FPS)), audio=audio)
        clips.append(path)
    return clips


def best_of(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="avpe-bench-") as tmp:
        work = Path(tmp)
        began = time.perf_counter()
        clips = make_clips(work, args.clips, args.seconds)
        info = probe(clips[0])
        size = sum(clip.stat().st_size for clip in clips)
        print(
            f"clips: {args.clips} x {args.seconds:g} s {info.width}x{info.height} "
            f"{info.video_codec}/{info.audio_codec}, {size / 1e6:.1f} MB together "
            f"(made in {time.perf_counter() - began:.1f} s)"
        )
        together = work / "together.bin"
        with together.open("wb") as out:
            for clip in clips:
                out.write(clip.read_bytes())
        bare = best_of(args.runs, lambda: shutil.copyfile(together, work / "copied.bin"))
        print(
            f"plain copy of {size / 1e6:.1f} MB, not flushed (shutil.copyfile, best of "
            f"{args.runs}): {bare * 1000:.1f} ms"
        )

        def safe_copy() -> None:
            with atomic_output(work / "copied.mp4") as tmp:
                shutil.copyfile(together, tmp)

        copy = best_of(args.runs, safe_copy)
        print(
            f"plain copy of {size / 1e6:.1f} MB written like every output (atomic_output: "
            f"flushed, renamed; best of {args.runs}): {copy * 1000:.1f} ms"
        )

        reports: list[MergeReport] = []
        merge = best_of(args.runs, lambda: reports.append(merge_videos(clips, work / "merged.mp4")))
        report = reports[-1]
        print(
            f"merge_videos, {report.method} (best of {args.runs}): {merge * 1000:.0f} ms, "
            f"{report.duration:.2f} s of video"
        )
        began = time.perf_counter()
        again = merge_videos(clips, work / "crossfaded.mp4", crossfade_seconds=0.5)
        reencode = time.perf_counter() - began
        print(
            f"merge_videos, {again.method} with a 0.5 s crossfade (once): {reencode:.1f} s, "
            f"{again.duration:.2f} s of video"
        )
    print(f"re-encode / stream copy: {reencode / merge:.0f}x slower")
    print(f"stream copy / plain copy not flushed: {merge / bare:.1f}x")
    ratio = merge / copy
    verdict = "ok" if ratio <= GOAL else "short"
    print(f"merge_vs_copy: {ratio:.1f} (goal <= {GOAL:g}) {verdict}")


if __name__ == "__main__":
    main()
