"""How fast the offline engine renders a segment: seconds of video per second of wall time.

Renders an 8 s 720p clip (the longest segment, at the size most drafts use) from two
synthetic keyframes in which a character crosses the frame and raises its arm while the camera
pans, end to end: keyframe decoding, motion analysis, optical flow, sound, interpolation and
H.264/AAC encoding. The best of three runs is reported, since other work on the machine only
ever slows a run down; each run also prints the CPU time of the renderer and of ffmpeg, which
load on the machine disturbs less than wall time.

    .venv/bin/python bench/offline_engine.py
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from avpe_desktop.engines.local.video import OFFLINE_PRESET, render_clip
from avpe_desktop.media.probe import probe

GOAL = 4.0


def keyframe(width: int, height: int, character_x: float, pan: float, arm: float) -> bytes:
    """A painted-looking scene: sky gradient, hills, trees, and a round character."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    sky = np.dstack(
        [90 + 60 * yy / height, 150 + 40 * np.sin((xx + pan) / width * 6), 210 - 50 * yy / height]
    )
    image = sky.astype(np.uint8)
    hills = height * 0.7 + 30 * np.sin((xx + pan) / width * 9)
    image[yy > hills] = (60, 140, 70)
    for tree_x in np.random.default_rng(7).uniform(-0.1, 1.1, 9) * width:
        x = int(tree_x - pan)
        cv2.rectangle(
            image, (x - 6, int(height * 0.55)), (x + 6, int(height * 0.75)), (90, 60, 30), -1
        )
        cv2.circle(image, (x, int(height * 0.5)), int(height * 0.08), (40, 110, 50), -1)
    s = height / 720
    cx, cy = int(width * character_x), int(height * 0.55)
    cv2.ellipse(image, (cx, cy), (int(90 * s), int(120 * s)), 0, 0, 360, (230, 120, 60), -1)
    for ex in (-35, 35):
        cv2.circle(image, (int(cx + ex * s), int(cy - 40 * s)), int(22 * s), (255, 255, 255), -1)
        cv2.circle(image, (int(cx + (ex + 6) * s), int(cy - 40 * s)), int(10 * s), (20, 20, 20), -1)
    hand = (int(cx + 155 * s * np.cos(arm)), int(cy - 70 * s * np.sin(arm)))
    cv2.line(image, (int(cx + 80 * s), cy), hand, (200, 100, 50), int(18 * s))
    return cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))[1].tobytes()


def peak_memory_mb() -> float:
    """ru_maxrss of this process plus the largest child (ffmpeg); KiB on Linux, bytes on macOS."""
    unit = 1 if sys.platform == "darwin" else 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit
    return (own + children) / 2**20


def cpu_seconds() -> tuple[float, float]:
    """User + system CPU time of this process and of its finished children (ffmpeg)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, choices=(4, 6, 8), default=8)
    parser.add_argument("--preset", default=OFFLINE_PRESET, help="x264 preset")
    args = parser.parse_args()
    first = keyframe(1280, 720, 0.3, 0.0, -0.5)
    last = keyframe(1280, 720, 0.65, 60.0, 1.2)
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    times = []
    with tempfile.TemporaryDirectory(prefix="avpe-bench-") as work:
        out = Path(work) / "clip.mp4"
        for run in range(args.runs):
            own, children = cpu_seconds()
            began = time.perf_counter()
            render_clip(
                first,
                last,
                out,
                duration=args.duration,
                preset=args.preset,
                creature_sounds=("happy chirp at the start", "giggle", "curious hum?"),
                creature_language="Soft and High-Pitched",
            )
            times.append(time.perf_counter() - began)
            speed = args.duration / times[-1]
            own_after, children_after = cpu_seconds()
            print(
                f"run {run + 1}: {args.duration} s of 720p in {times[-1]:.2f} s ({speed:.2f}x); "
                f"CPU {own_after - own:.2f} s renderer + {children_after - children:.2f} s ffmpeg"
            )
        info = probe(out)
        size_mb = out.stat().st_size / 1e6
        streams = f"{info.video_codec}/{info.audio_codec}, x264 {args.preset}"
        print(f"clip: {info.width}x{info.height}, {info.frame_count} frames, {streams}")
        print(f"clip size: {size_mb:.1f} MB")
    print(f"peak memory (self + largest child): {peak_memory_mb():.0f} MB")
    factor = args.duration / min(times)
    verdict = "ok" if factor >= GOAL else "short"
    print(f"offline_realtime_factor: {factor:.1f} (goal >= {GOAL:g}) {verdict}")


if __name__ == "__main__":
    main()
