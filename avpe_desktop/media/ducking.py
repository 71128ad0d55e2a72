"""The gain that dips the music under the clips' own sound (a sidechain envelope).

A flat volume would keep the music low between lines too; a compressor filter dips it by an
amount that depends on how loud the speech is. The creator sets "the music dips by N dB", so
the envelope is computed here: where the clip sound is audible the music's gain moves to -N dB
over the attack time, and where it stops the gain comes back over the release time.
"""

from __future__ import annotations

import math

import numpy as np

BLOCK_SECONDS = 0.010
# Below this the clip's sound is room tone or encoder noise, not something to make room for.
AUDIBLE_DBFS = -45.0
# Pauses between words shorter than this keep the music down, so it does not pump.
HOLD_SECONDS = 0.150


def duck_gain(
    trigger: np.ndarray,
    rate: int,
    amount_db: float,
    attack_ms: float,
    release_ms: float,
) -> np.ndarray:
    """Linear gain per sample of `trigger` (the clip sound, mono or (samples, channels)) for
    the music: 1 where the trigger is silent, 10^(-amount_db/20) where it is audible."""
    samples = trigger.shape[0]
    if samples == 0 or amount_db <= 0:
        return np.ones(samples, dtype=np.float32)
    # A product with equal weights: numpy's mean across two interleaved channels is ten times
    # slower on a minute of sound.
    channels = 1 if trigger.ndim == 1 else trigger.shape[1]
    mono = trigger if trigger.ndim == 1 else trigger @ np.full(channels, 1 / channels, np.float32)
    block = max(1, round(BLOCK_SECONDS * rate))
    blocks = -(-samples // block)
    padded = np.zeros(blocks * block, dtype=np.float64)
    padded[:samples] = mono
    rms = np.sqrt(np.mean(padded.reshape(blocks, block) ** 2, axis=1))
    audible = 20 * np.log10(np.maximum(rms, 1e-10)) > AUDIBLE_DBFS
    hold = max(1, round(HOLD_SECONDS / BLOCK_SECONDS))
    held = np.convolve(audible.astype(np.int32), np.ones(hold, dtype=np.int32))[:blocks] > 0
    target = np.where(held, -amount_db, 0.0)
    down = amount_db * BLOCK_SECONDS * 1000 / max(attack_ms, BLOCK_SECONDS * 1000)
    up = amount_db * BLOCK_SECONDS * 1000 / max(release_ms, BLOCK_SECONDS * 1000)
    level = np.empty(blocks)
    current = 0.0
    for index, goal in enumerate(target.tolist()):
        step = down if goal < current else up
        current = (
            goal if abs(goal - current) <= step else current + math.copysign(step, goal - current)
        )
        level[index] = current
    centres = (np.arange(blocks) + 0.5) * block
    # Between block centres 10 ms apart, interpolating the gain or its dB is the same to the ear.
    gain = np.power(10.0, level / 20)
    return np.interp(np.arange(samples, dtype=np.float32), centres, gain).astype(np.float32)
