"""How fast a finished video gets its soundtrack: the export that only re-encodes the audio.

Makes the demo-sized render the way `bench/merge.py` does (seven 8 s 720p clips from the app's
own encoder, each with a tone of its own, merged by stream copy) and a 70 s synthesised song
(a chord loop over a kick drum, mastered too loud on purpose so the levelling has work to do),
then times, best of 3:

- `merge_videos` on the clips: the plain merge, which is what an export without music costs;
- `mix_soundtrack` on the merged render at the default preset (Social and streaming, -14 LUFS,
  -1 dBTP): decoding the song and the clips' sound, ducking, levelling, the AAC encode with the
  video stream copied, and the measurement of what was written;
- the two one after the other: the whole export of a project with a soundtrack.

Rates are seconds of video exported per wall second.

    .venv/bin/python bench/soundtrack.py
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import wave
from pathlib import Path

import numpy as np
from merge import best_of, make_clips

from avpe_desktop.media.encode import DEFAULT_SAMPLE_RATE
from avpe_desktop.media.merge import merge_videos
from avpe_desktop.media.mix import MixReport, mix_soundtrack

GOAL = 20.0
SONG_SECONDS = 70
BEAT_SECONDS = 0.5


def write_song(path: Path) -> None:
    """A loud chord loop (A minor, F, C, G; two beats a chord) over a kick on every beat."""
    rate = DEFAULT_SAMPLE_RATE
    t = np.arange(SONG_SECONDS * rate) / rate
    chords = [(220.0, 261.6, 329.6), (174.6, 220.0, 261.6), (261.6, 329.6, 392.0), (196.0, 246.9)]
    chord = ((t // (2 * BEAT_SECONDS)) % len(chords)).astype(int)
    pad = np.zeros_like(t)
    for index, notes in enumerate(chords):
        span = chord == index
        pad[span] = sum(np.sin(2 * np.pi * f * t[span]) for f in notes) / len(notes)
    beat_phase = t % BEAT_SECONDS
    kick = np.sin(2 * np.pi * 55 * beat_phase) * np.exp(-beat_phase / 0.06)
    mono = np.tanh(1.5 * (0.5 * pad + 0.8 * kick))
    stereo = np.stack([mono, np.roll(mono, 240)], axis=1)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes((stereo * 32767).astype("<i2").tobytes())


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
        song = work / "song.wav"
        write_song(song)
        print(
            f"clips: {args.clips} x {args.seconds:g} s 1280x720, song: {SONG_SECONDS} s WAV "
            f"(made in {time.perf_counter() - began:.1f} s)"
        )
        merged = work / "merged.mp4"
        merge = best_of(args.runs, lambda: merge_videos(clips, merged))
        length = merge_videos(clips, merged).duration
        reports: list[MixReport] = []
        mix = best_of(
            args.runs, lambda: reports.append(mix_soundtrack(merged, song, work / "out.mp4"))
        )
        report = reports[-1]
        print(
            f"plain merge (stream copy, best of {args.runs}): {merge * 1000:.0f} ms, "
            f"{length / merge:.0f} s of video per s"
        )
        print(
            f"soundtrack on the merged render (best of {args.runs}): {mix * 1000:.0f} ms, "
            f"{length / mix:.1f} s of video per s; wrote {report.integrated_lufs:.1f} LUFS, "
            f"{report.true_peak_dbtp:.1f} dBTP (target {report.target.integrated_lufs:g} LUFS, "
            f"ceiling {report.target.true_peak_dbtp:g} dBTP)"
        )
        export = merge + mix
        print(f"merge + soundtrack: {export * 1000:.0f} ms for {length:.0f} s of video")
    realtime = length / export
    verdict = "ok" if realtime >= GOAL else "short"
    print(f"soundtrack_export_realtime: {realtime:.1f} (goal >= {GOAL:g}) {verdict}")


if __name__ == "__main__":
    main()
