"""What listening to a song costs: librosa's import, and the analysis of a 3-minute song.

The import is timed in fresh processes: `import librosa` alone (lazy: its submodules load on
first use) and with the submodules the analysis touches (scipy, numba). The analysis is timed
on a synthetic 3-minute drum loop encoded to OGG (so decoding is included), twice in one
fresh process: the first call also compiles (or loads from numba's cache) librosa's jitted
code, the second is what every further song costs. Ratios are seconds of song per wall second.

    .venv/bin/python bench/music_analysis.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

SONG_SECONDS = 180.0
BPM = 118
HELPERS = Path(__file__).parents[1] / "tests" / "music"

IMPORT_ONLY = "import librosa"
IMPORT_USED = "import librosa; librosa.onset; librosa.beat; librosa.feature"
ANALYSE_TWICE = """
import sys, time
from avpe_desktop.media.beats import analyse_song
for _ in range(2):
    start = time.perf_counter()
    analysis = analyse_song(sys.argv[1])
    print(time.perf_counter() - start, analysis.tempo_bpm, flush=True)
"""


def best_of(code: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    sys.path.insert(0, str(HELPERS))
    from music_helpers import drum_loop, write_song

    bare = best_of("pass")
    print(f"python start:                     {bare * 1000:7.0f} ms")
    print(f"import librosa (lazy):           +{(best_of(IMPORT_ONLY) - bare) * 1000:7.0f} ms")
    print(f"import librosa + onset/beat/feature: +{(best_of(IMPORT_USED) - bare) * 1000:5.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        _, samples = drum_loop(BPM, SONG_SECONDS)
        song = write_song(samples, Path(tmp) / "song.ogg")
        out = subprocess.run(
            [sys.executable, "-c", ANALYSE_TWICE, str(song)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    first, second, tempo = float(out[0]), float(out[2]), out[3]
    print(f"3-minute song, first in a process: {first:6.2f} s (tempo found {tempo}, true {BPM})")
    print(f"3-minute song, next ones:          {second:6.2f} s")
    print(
        f"music_analysis_realtime: {SONG_SECONDS / second:.0f} "
        f"(first in a process {SONG_SECONDS / first:.0f})"
    )


if __name__ == "__main__":
    main()
