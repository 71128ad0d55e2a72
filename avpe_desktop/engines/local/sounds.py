"""Creature vocalisations and a room tone, synthesised with numpy for offline clips.

Veo gives its clips a soundtrack from the prompt; an offline draft should not be mute, or a
creator cannot judge the timing of a segment. The character's creature language sets the voice
(its words, such as "high-pitched" or "deep and rumbly", pick the pitch range and loudness) and
each requested sound becomes a short voiced call shaped by its words (a purr hums, a giggle
chatters, a question rises) at the time it names, or spread along the clip. Output is
deterministic for a seed so a re-render sounds the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 48_000
CHANNELS = 2
_EDGE_FADE_S = 0.015  # no click where clips are joined


@dataclass(frozen=True)
class Voice:
    """A creature's vocal range in Hz and its loudness (0..1 of full scale)."""

    low_hz: float
    high_hz: float
    loudness: float
    attack_s: float


_HIGH_WORDS = ("high", "squeak", "tiny", "shrill", "chirp", "bird", "baby", "cute", "bright")
_LOW_WORDS = ("deep", "rumbl", "low", "growl", "bass", "gravel", "boom", "giant", "gruff")
_SOFT_WORDS = ("soft", "gentle", "quiet", "whisper", "calm", "breathy")
_LOUD_WORDS = ("loud", "boom", "shrill", "shout", "roar", "energetic")


def voice_for(language: str) -> Voice:
    """Reads the pitch range and loudness from the creature language's own words."""
    words = language.lower()
    if any(w in words for w in _LOW_WORDS):
        low, high = 70.0, 220.0
    elif any(w in words for w in _HIGH_WORDS):
        low, high = 650.0, 1700.0
    else:
        low, high = 240.0, 700.0
    loudness, attack = 0.5, 0.012
    if any(w in words for w in _SOFT_WORDS):
        loudness, attack = 0.32, 0.035
    elif any(w in words for w in _LOUD_WORDS):
        loudness, attack = 0.7, 0.006
    return Voice(low, high, loudness, attack)


_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("purr", ("purr", "hum", "rumble", "growl", "snore", "mmm")),
    ("chatter", ("giggle", "laugh", "chatter", "babble", "gibber", "trill", "hehe", "chuckle")),
    ("rise", ("question", "curious", "?", "hmm", "huh", "wonder")),
    ("fall", ("sigh", "sad", "whimper", "aww", "disappoint", "yawn", "sleep")),
    ("yip", ("gasp", "surprise", "!", "squeak", "yelp", "yip", "excite", "wow")),
)
_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:s\b|sec)")


def _kind_of(sound: str) -> str:
    text = sound.lower()
    return next((kind for kind, words in _KINDS if any(w in text for w in words)), "chirp")


def _start_of(sound: str, slot: float, duration: float) -> float:
    """When a call starts: an explicit "at 2s", else a position word, else its even slot."""
    text = sound.lower()
    if match := _SECONDS.search(text):
        return min(float(match.group(1)), duration * 0.9)
    if any(w in text for w in ("start", "begin", "open", "first")):
        return duration * 0.08
    if any(w in text for w in ("middle", "mid", "halfway")):
        return duration * 0.45
    if any(w in text for w in ("end", "final", "last", "close")):
        return duration * 0.75
    return slot


def creature_audio(
    duration: float,
    sounds: Sequence[str],
    language: str,
    *,
    seed: int,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Stereo float32 PCM of `duration` seconds: one call per sound over a soft room tone.
    With no sounds listed the creature still makes two small calls, as a Veo clip would."""
    rng = np.random.default_rng(seed)
    n = round(duration * sample_rate)
    out = _room_tone(n, sample_rate, rng)
    voice = voice_for(language)
    calls = list(sounds) or ["chirp", "curious hum?"]
    for i, sound in enumerate(calls):
        slot = duration * (i + 0.35 + 0.3 * rng.random()) / len(calls)
        start = _start_of(sound, slot, duration)
        call = _call(_kind_of(sound), voice, rng, sample_rate)
        begin = round(start * sample_rate)
        end = min(n, begin + len(call))
        if end <= begin:
            continue
        pan = rng.uniform(-0.45, 0.45)
        gains = np.array([np.cos((pan + 1) * np.pi / 4), np.sin((pan + 1) * np.pi / 4)])
        out[begin:end] += call[: end - begin, None] * gains[None, :].astype(np.float32)
    out = 0.95 * np.tanh(out / 0.95)  # a soft limit: overlapping calls never clip harshly
    return _fade_edges(out.astype(np.float32), sample_rate)


def silence(duration: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A silent track with the same layout as `creature_audio`: clips without sound still
    carry an audio stream, so every clip can be merged with the others by stream copy."""
    return np.zeros((round(duration * sample_rate), CHANNELS), dtype=np.float32)


def _call(kind: str, voice: Voice, rng: np.random.Generator, rate: int) -> np.ndarray:
    if kind == "chatter":
        parts = []
        for _ in range(int(rng.integers(3, 7))):
            parts.append(_tone("chirp", voice, rng, rate, rng.uniform(0.06, 0.11)))
            parts.append(np.zeros(round(rng.uniform(0.03, 0.06) * rate), np.float32))
        return np.concatenate(parts)
    length = {"purr": (0.6, 1.1), "yip": (0.1, 0.18), "rise": (0.3, 0.5), "fall": (0.4, 0.7)}
    low, high = length.get(kind, (0.18, 0.35))
    return _tone(kind, voice, rng, rate, rng.uniform(low, high))


def _tone(
    kind: str, voice: Voice, rng: np.random.Generator, rate: int, seconds: float
) -> np.ndarray:
    """One voiced call: a pitch contour with vibrato, a few harmonics, and an envelope."""
    n = max(1, round(seconds * rate))
    t = np.arange(n, dtype=np.float64) / rate
    u = t / seconds  # 0..1 along the call
    base = rng.uniform(voice.low_hz, voice.high_hz)
    contour = {
        "rise": 1 + 0.45 * u**1.5,
        "fall": 1.25 - 0.4 * u,
        "yip": 1 + 0.6 * np.minimum(u * 4, 1),
        "purr": np.ones_like(u),
    }.get(kind, 1 + 0.35 * np.sin(np.pi * u))  # chirp: up and back down
    vibrato = 1 + 0.025 * np.sin(2 * np.pi * rng.uniform(5, 7.5) * t + rng.uniform(0, 6.3))
    freq = base * contour * vibrato
    phase = 2 * np.pi * np.cumsum(freq) / rate
    wave = np.zeros(n)
    for harmonic, amp in ((1, 1.0), (2, 0.45), (3, 0.22), (4, 0.1)):
        if base * harmonic * 1.6 < rate / 2:
            wave += amp * np.sin(harmonic * phase)
    if kind == "purr":
        wave *= 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(22, 30) * t)
    attack = np.clip(t / voice.attack_s, 0, 1)
    release = np.clip((seconds - t) / min(0.05, seconds / 3), 0, 1)
    decay = np.exp(-1.2 * u)
    envelope = attack * release * decay
    return (voice.loudness * 0.55 * wave * envelope).astype(np.float32)


def _room_tone(n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A quiet, slowly swelling, low-passed noise bed, so a clip is never dead silent between
    calls. Shaped in the frequency domain: one FFT instead of a per-sample filter loop."""
    freqs = np.fft.rfftfreq(n, 1 / rate)
    shape = 1.0 / (1.0 + freqs / 250.0) ** 1.5
    shape[freqs < 25] = 0
    out = np.empty((n, CHANNELS), np.float32)
    common = rng.standard_normal(freqs.size) + 1j * rng.standard_normal(freqs.size)
    for ch in range(CHANNELS):
        own = rng.standard_normal(freqs.size) + 1j * rng.standard_normal(freqs.size)
        noise = np.fft.irfft((0.7 * common + 0.3 * own) * shape, n)
        out[:, ch] = noise / (np.std(noise) + 1e-12)
    t = np.arange(n) / rate
    swell = 1 + 0.3 * np.sin(2 * np.pi * 0.12 * t + rng.uniform(0, 6.3))
    return out * (0.012 * swell)[:, None].astype(np.float32)


def _fade_edges(pcm: np.ndarray, rate: int) -> np.ndarray:
    k = min(round(_EDGE_FADE_S * rate), len(pcm) // 2)
    if k:
        ramp = np.linspace(0.0, 1.0, k, dtype=np.float32)[:, None]
        pcm[:k] *= ramp
        pcm[-k:] *= ramp[::-1]
    return pcm
