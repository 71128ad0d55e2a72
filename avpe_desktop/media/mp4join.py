"""Joining MP4 clips that share their encoding by rewriting boxes: no decoding, no ffmpeg.

A merge of a render's clips is, in bytes, the clips' media data one after another plus one
index (the `moov` box) that describes all of it. So this module reads each clip's index (a few
kilobytes), checks that the clips are joinable without touching a frame (same tracks, same
media timescales, the same sample descriptions, i.e. codec parameters), concatenates the
sample tables with their numbers shifted, and writes the new index in front of the media data
(ready to stream, like `-movflags +faststart`), which the kernel copies file to file. The work
is that of copying the bytes, where an ffmpeg concat costs a process start and a parse of
every packet.

Each clip's edit list is kept, one edit per clip: an AAC track starts with priming samples that
its edit list hides, and joining the samples alone would play each clip's priming at every
join, drifting the sound a little further from the picture at each one. With one edit per clip
the result plays every clip exactly as it played alone; edits that continue one another (video
without priming) collapse into one.

Anything this does not understand (fragmented files, several `mdat` boxes, unknown sample
table boxes, truncated data) raises NotJoinableError, and the caller falls back to a re-encode,
which also reports corrupt files by name.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from avpe_desktop.media.ffmpeg import MediaError
from avpe_desktop.media.mp4index import (
    U32,
    Box,
    Edit,
    Movie,
    NotJoinableError,
    Track,
    children,
    iter_boxes,
    need,
    pack_box,
    pack_full_box,
    pack_table,
    read_movie,
)

_OFFSET_LIMIT = U32  # past it, chunk offsets and the mdat size need 64 bits


@dataclass(frozen=True)
class Join:
    """The clips, checked and ready to be written as one file."""

    movies: list[Movie]

    @property
    def duration(self) -> float:
        """Seconds the joined file plays for (its longest track)."""
        totals = [
            sum(movie.seconds(index) for movie in self.movies)
            for index in range(len(self.movies[0].tracks))
        ]
        return max(totals, default=0.0)

    def write(self, out: str | os.PathLike[str]) -> None:
        """Writes the joined file: header and index first, then every clip's media data."""
        ftyp = self.movies[0].ftyp
        lengths = [end - begin for begin, end in (movie.payload for movie in self.movies)]
        total = sum(lengths)
        if total + 8 <= _OFFSET_LIMIT:
            header = struct.pack(">I4s", total + 8, b"mdat")
        else:
            header = struct.pack(">I4sQ", 1, b"mdat", total + 16)
        # Chunk offsets are first counted from where the media data will begin; once the
        # index's length is known, they are all moved past it (and the headers) at once.
        starts = np.cumsum([0, *lengths[:-1]])
        shifts = [
            int(start - movie.payload[0]) for movie, start in zip(self.movies, starts, strict=True)
        ]
        moov = _joined_moov(self.movies, shifts, wide=self._needs_wide_offsets(total))
        moov = _moved_chunks(moov, len(ftyp) + len(moov) + len(header))
        # Unbuffered: the header goes out in one write, and the kernel copies that follow
        # move the same file position.
        try:
            with Path(out).open("wb", buffering=0) as sink:
                _write_all(sink, ftyp + moov + header)
                for movie in self.movies:
                    begin, end = movie.payload
                    with movie.path.open("rb") as source:
                        _copy_range(source, sink, begin, end - begin)
        except OSError as exc:
            raise MediaError(f"writing the merged video failed: {exc}") from exc

    def _needs_wide_offsets(self, payload: int) -> bool:
        """Whether chunk offsets may pass 4 GiB, from a bound on the index's size: the
        clips' indexes together, an edit and some headers per clip and track, and 4 bytes a
        sample in case uniform sample sizes have to be listed."""
        movies = self.movies
        samples = sum(track.samples for movie in movies for track in movie.tracks)
        tracks = sum(len(movie.tracks) for movie in movies)
        index = sum(len(movie.moov) for movie in movies) + 64 * tracks + 4 * samples
        return len(movies[0].ftyp) + index + 16 + payload > _OFFSET_LIMIT


def plan_join(paths: Sequence[str | os.PathLike[str]]) -> Join:
    """Reads every clip's index and checks that they can be joined; raises NotJoinableError."""
    movies = [read_movie(path) for path in paths]
    first = movies[0].signature()
    for movie in movies[1:]:
        if movie.signature() != first:
            raise NotJoinableError(f"{movie.path.name} is encoded differently from the first clip")
    for tracks in zip(*(movie.tracks for movie in movies), strict=True):
        if len({(t.sgpd, t.groups[0]) for t in tracks if t.groups is not None}) > 1:
            raise NotJoinableError("the clips group their samples differently")
    return Join(movies)


def _joined_moov(movies: list[Movie], shifts: list[int], *, wide: bool) -> bytes:
    """The first clip's index with every track's tables replaced by the joined ones."""
    template = movies[0]
    data = template.moov
    parts = []
    durations = []
    track_index = 0
    for box in iter_boxes(data, 8, len(data)):
        if box.kind == b"trak":
            tracks = [movie.tracks[track_index] for movie in movies]
            trak, duration = _joined_track(data, box, tracks, shifts, wide=wide)
            parts.append(trak)
            durations.append(duration)
            track_index += 1
        else:
            parts.append(data[box.start : box.end])
    movie_duration = max(durations, default=0)
    moov = b"".join(parts)
    mvhd = next(box for box in iter_boxes(moov, 0, len(moov)) if box.kind == b"mvhd")
    return pack_box(b"moov", _with_duration(moov, mvhd, movie_duration, v0_at=16, v1_at=24))


def _moved_chunks(moov: bytes, by: int) -> bytes:
    """`moov` with every chunk offset moved `by` bytes."""
    moved = bytearray(moov)
    for trak in iter_boxes(moov, 8, len(moov)):
        if trak.kind != b"trak":
            continue
        mdia = need(children(moov, trak), b"mdia")
        stbl = need(children(moov, need(children(moov, mdia), b"minf")), b"stbl")
        for box in iter_boxes(moov, stbl.body, stbl.end):
            if box.kind in (b"stco", b"co64"):
                (count,) = struct.unpack_from(">I", moov, box.body + 4)
                dtype = ">u8" if box.kind == b"co64" else ">u4"
                np.frombuffer(moved, dtype, count, box.body + 8)[:] += by
    return bytes(moved)


def _with_duration(data: bytes, box: Box, duration: int, *, v0_at: int, v1_at: int) -> bytes:
    """`data` with the duration field of header box `box` set (mvhd, mdhd, tkhd)."""
    version = data[box.body]
    at = box.body + (v1_at if version == 1 else v0_at)
    if version != 1 and duration > U32:
        raise NotJoinableError("the joined clip is too long for its headers")
    field = struct.pack(">Q" if version == 1 else ">I", duration)
    return data[:at] + field + data[at + len(field) :]


def _joined_track(
    data: bytes, trak: Box, tracks: list[Track], shifts: list[int], *, wide: bool
) -> tuple[bytes, int]:
    edits = _joined_edits(tracks)
    duration = sum(edit.duration for edit in edits)
    parts = []
    for box in iter_boxes(data, trak.body, trak.end):
        if box.kind == b"tkhd":
            parts.append(
                _with_duration(
                    data[box.start : box.end], _rebased(box), duration, v0_at=20, v1_at=28
                )
            )
            parts.append(_edts(edits))
        elif box.kind == b"edts":
            continue
        elif box.kind == b"mdia":
            parts.append(_joined_mdia(data, box, tracks, shifts, wide=wide))
        else:
            parts.append(data[box.start : box.end])
    return pack_box(b"trak", *parts), duration


def _rebased(box: Box) -> Box:
    """The same box seen in a copy of its own bytes."""
    return Box(box.kind, 0, box.body - box.start, box.end - box.start)


def _joined_mdia(
    data: bytes, mdia: Box, tracks: list[Track], shifts: list[int], *, wide: bool
) -> bytes:
    parts = []
    for box in iter_boxes(data, mdia.body, mdia.end):
        own = data[box.start : box.end]
        if box.kind == b"mdhd":
            total = sum(track.media_duration for track in tracks)
            parts.append(_with_duration(own, _rebased(box), total, v0_at=16, v1_at=24))
        elif box.kind == b"minf":
            inner = []
            for child in iter_boxes(data, box.body, box.end):
                if child.kind == b"stbl":
                    inner.append(_joined_stbl(tracks, shifts, wide=wide))
                else:
                    inner.append(data[child.start : child.end])
            parts.append(pack_box(b"minf", *inner))
        else:
            parts.append(own)
    return pack_box(b"mdia", *parts)


def _runs(entries: np.ndarray) -> np.ndarray:
    """(count, value) runs with neighbours of equal value merged."""
    if len(entries) == 0:
        return entries
    values = entries[:, 1]
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    return np.column_stack([np.add.reduceat(entries[:, 0], starts), values[starts]])


def _joined_stbl(tracks: list[Track], shifts: list[int], *, wide: bool) -> bytes:
    first = tracks[0]
    sample_base = np.cumsum([0] + [track.samples for track in tracks[:-1]])
    chunk_base = np.cumsum([0] + [len(track.offsets) for track in tracks[:-1]])
    parts = [first.stsd, pack_table(b"stts", _runs(np.vstack([t.stts for t in tracks])))]
    if first.ctts is not None:
        ctts = _runs(np.vstack([t.ctts for t in tracks if t.ctts is not None]))
        signed = ">i4" if first.ctts_version else ">u4"
        parts.append(pack_table(b"ctts", ctts, version=first.ctts_version, dtype=signed))
    if any(track.stss is not None for track in tracks):
        sync = [
            (track.stss if track.stss is not None else np.arange(1, track.samples + 1)) + base
            for track, base in zip(tracks, sample_base, strict=True)
        ]
        parts.append(pack_table(b"stss", np.concatenate(sync)))
    stsc = np.vstack([track.stsc for track in tracks])
    stsc[:, 0] += np.repeat(chunk_base, [len(track.stsc) for track in tracks])
    repeats = np.r_[False, np.all(stsc[1:, 1:] == stsc[:-1, 1:], axis=1)]
    parts.append(pack_table(b"stsc", stsc[~repeats]))
    sizes = np.concatenate([track.sizes for track in tracks])
    if len(sizes) and np.all(sizes == sizes[0]):
        parts.append(pack_full_box(b"stsz", 0, struct.pack(">II", int(sizes[0]), len(sizes))))
    else:
        parts.append(pack_table(b"stsz", sizes, head=struct.pack(">I", 0)))
    offsets = np.concatenate(
        [track.offsets + shift for track, shift in zip(tracks, shifts, strict=True)]
    )
    if wide:
        parts.append(pack_table(b"co64", offsets, dtype=">u8"))
    else:
        parts.append(pack_table(b"stco", offsets))
    if all(track.dependencies is not None for track in tracks):
        flags = b"".join(track.dependencies or b"" for track in tracks)
        parts.append(pack_full_box(b"sdtp", 0, flags))
    grouped = next((track for track in tracks if track.groups is not None), None)
    if grouped is not None and grouped.groups is not None and grouped.sgpd is not None:
        parts.append(grouped.sgpd)
        parts.append(_joined_groups(tracks, grouped.groups[0]))
    return pack_box(b"stbl", *parts)


def _joined_groups(tracks: list[Track], prefix: bytes) -> bytes:
    """The sample-to-group table; samples a clip's table leaves out (or a clip without one)
    belong to no group."""
    pieces = []
    for track in tracks:
        entries = track.groups[1] if track.groups is not None else np.zeros((0, 2), np.int64)
        missing = track.samples - int(entries[:, 0].sum())
        pieces.append(np.vstack([entries, [[missing, 0]]]) if missing > 0 else entries)
    return pack_table(b"sbgp", _runs(np.vstack(pieces)), head=prefix[4:], version=prefix[0])


def _joined_edits(tracks: list[Track]) -> list[Edit]:
    """Each clip's edits, moved to where its media now starts, in the first clip's movie
    timescale; an edit that carries on exactly where the previous one ended is merged into
    it."""
    scale = tracks[0].movie_timescale
    joined: list[Edit] = []
    base = 0
    for track in tracks:
        for edit in track.edits:
            duration = edit.duration * scale // track.movie_timescale
            start = edit.media_time + base if edit.media_time >= 0 else edit.media_time
            previous = joined[-1] if joined else None
            if (
                previous is not None
                and min(previous.media_time, start) >= 0
                and previous.rate == edit.rate
                and previous.duration * track.timescale == (start - previous.media_time) * scale
            ):
                joined[-1] = Edit(previous.duration + duration, previous.media_time, edit.rate)
            else:
                joined.append(Edit(duration, start, edit.rate))
        base += track.media_duration
    return joined


def _edts(edits: list[Edit]) -> bytes:
    wide = any(e.duration > U32 or not -(2**31) <= e.media_time < 2**31 for e in edits)
    layout = ">QqI" if wide else ">IiI"
    rows = b"".join(struct.pack(layout, e.duration, e.media_time, e.rate) for e in edits)
    elst = pack_full_box(b"elst", 1 if wide else 0, struct.pack(">I", len(edits)), rows)
    return pack_box(b"edts", elst)


def _copy_range(source: BinaryIO, sink: BinaryIO, offset: int, count: int) -> None:
    """Copies `count` bytes from `offset` in the kernel where it can (copy_file_range, which
    a copy-on-write file system may even share instead of copying)."""
    copy_file_range = getattr(os, "copy_file_range", None)
    if copy_file_range is not None:
        try:
            while count > 0:
                done = copy_file_range(source.fileno(), sink.fileno(), count, offset)
                if done == 0:
                    raise MediaError(f"{source.name} got shorter while it was being merged")
                offset += done
                count -= done
            return
        except OSError:
            pass  # e.g. across file systems on old kernels: the plain copy below goes on
    source.seek(offset)
    while count > 0:
        block = source.read(min(count, 1 << 20))
        if not block:
            raise MediaError(f"{source.name} got shorter while it was being merged")
        _write_all(sink, block)
        count -= len(block)


def _write_all(sink: BinaryIO, data: bytes) -> None:
    """An unbuffered write may take fewer bytes than it was given."""
    view = memoryview(data)
    while view:
        view = view[sink.write(view) :]
