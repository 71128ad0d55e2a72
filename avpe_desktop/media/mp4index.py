"""What an MP4 file's index (its moov box) says about its samples, read without touching the
media data: enough for `mp4join` to join clips, and to refuse what it cannot join.

Only the boxes a joined file needs are interpreted (ISO/IEC 14496-12): the movie and track
headers, edit lists, and the sample tables (times, composition offsets, sync samples, chunks,
sizes, chunk offsets, sample groups). Anything else in a sample table, a fragmented file or a
second mdat raises NotJoinableError, as do tables that contradict each other or point past
the end of the file.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

U32 = 0xFFFF_FFFF
# Top-level boxes that carry nothing a joined file needs.
_PADDING = {b"free", b"skip", b"wide"}
# The sample table boxes read here; with any other, a table could be left out of a join. Two
# optional ones are read for what they are: sdtp (a byte of dependency flags per sample, kept
# when every clip has it) and cslg (a summary of the composition offsets, which may be left
# out and is).
_KNOWN_TABLES = {
    b"stsd",
    b"sgpd",
    b"stts",
    b"ctts",
    b"stss",
    b"stsc",
    b"stsz",
    b"stco",
    b"co64",
    b"sbgp",
    b"sdtp",
    b"cslg",
}


class NotJoinableError(Exception):
    """The clips cannot be joined by their boxes; the message says why."""


@dataclass(frozen=True)
class Box:
    kind: bytes
    start: int  # where the box begins (its size field)
    body: int  # where its content begins
    end: int


def iter_boxes(data: bytes, start: int, end: int) -> Iterator[Box]:
    pos = start
    while pos < end:
        if end - pos < 8:
            raise NotJoinableError("a box header is cut short")
        size, kind = struct.unpack_from(">I4s", data, pos)
        body = pos + 8
        if size == 1:
            if end - pos < 16:
                raise NotJoinableError("a box header is cut short")
            (size,) = struct.unpack_from(">Q", data, body)
            body += 8
        elif size == 0:
            size = end - pos
        if size < body - pos or pos + size > end:
            raise NotJoinableError(f"box {kind!r} runs past its parent")
        yield Box(kind, pos, body, pos + size)
        pos += size


def children(data: bytes, parent: Box) -> dict[bytes, Box]:
    """A container's boxes by type. The containers read here hold one of each; a second
    (say, sample groups of two kinds) is refused rather than silently dropped."""
    found: dict[bytes, Box] = {}
    for box in iter_boxes(data, parent.body, parent.end):
        if box.kind in found:
            raise NotJoinableError(f"a {parent.kind.decode()} box holds two {box.kind!r} boxes")
        found[box.kind] = box
    return found


def pack_box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def pack_full_box(kind: bytes, version: int, *parts: bytes) -> bytes:
    return pack_box(kind, struct.pack(">I", version << 24), *parts)


def _table(data: bytes, box: Box, columns: int, dtype: str, skip: int = 0) -> np.ndarray:
    """The entries of a full box laid out as [flags][extra bytes][count][count x columns]."""
    at = box.body + 4 + skip
    (count,) = struct.unpack_from(">I", data, at)
    if at + 4 + count * columns * np.dtype(dtype).itemsize > box.end:
        raise NotJoinableError(f"the {box.kind.decode()} table runs past its box")
    values = np.frombuffer(data, dtype, count * columns, at + 4).astype(np.int64)
    return values.reshape(count, columns) if columns > 1 else values


def pack_table(
    kind: bytes, values: np.ndarray, *, head: bytes = b"", version: int = 0, dtype: str = ">u4"
) -> bytes:
    """A full box laid out as [version, flags][head][count][entries]."""
    count = struct.pack(">I", len(values))
    return pack_full_box(kind, version, head, count, values.astype(dtype).tobytes())


@dataclass(frozen=True)
class Edit:
    duration: int  # in the movie's timescale
    media_time: int  # in the track's timescale; -1 for an empty edit
    rate: int  # 16.16 fixed point


@dataclass
class Track:
    handler: bytes
    timescale: int
    stsd: bytes
    sgpd: bytes | None
    stts: np.ndarray  # (count, delta)
    ctts: np.ndarray | None  # (count, offset)
    ctts_version: int
    stss: np.ndarray | None  # sync sample numbers, 1-based
    stsc: np.ndarray  # (first chunk, samples per chunk, description index)
    sizes: np.ndarray  # per sample
    offsets: np.ndarray  # per chunk, in the clip's file
    groups: tuple[bytes, np.ndarray] | None  # sbgp head and (count, group index) entries
    dependencies: bytes | None  # the sdtp flags, a byte per sample
    movie_timescale: int  # the edits' durations are in it
    edits: list[Edit]

    @property
    def samples(self) -> int:
        return len(self.sizes)

    @property
    def media_duration(self) -> int:
        return int((self.stts[:, 0] * self.stts[:, 1]).sum())

    def signature(self) -> tuple[object, ...]:
        """What must be equal for two clips' tracks to be one track. Sample groups (an AAC
        track's pre-roll) may be missing from some clips; where present they must agree."""
        offsets = (self.ctts is not None, self.ctts_version)
        return self.handler, self.timescale, _codec_key(self.stsd, self.handler), offsets


# Where a sample entry's child boxes begin, past its fixed fields (ISO/IEC 14496-12: 8 bytes
# of SampleEntry, then 70 of VisualSampleEntry or 20 of a version-0 AudioSampleEntry).
_ENTRY_FIELDS = {b"vide": 78, b"soun": 28}


def _codec_key(stsd: bytes, handler: bytes) -> bytes:
    """The sample descriptions without the bitrates a muxer notes per file (the btrt box and
    the esds figures), which differ from clip to clip of one encoder and change nothing about
    decoding. Entries laid out other than expected are compared byte for byte."""
    fields = _ENTRY_FIELDS.get(handler)
    if fields is None:
        return stsd
    key = []
    try:
        for entry in iter_boxes(stsd, 16, len(stsd)):
            key.append(stsd[entry.start : entry.body + fields])
            for child in iter_boxes(stsd, entry.body + fields, entry.end):
                own = stsd[child.start : child.end]
                if child.kind == b"esds":
                    key.append(_without_bitrates(own))
                elif child.kind != b"btrt":
                    key.append(own)
    except NotJoinableError:
        return stsd
    return b"".join(key)


def _without_bitrates(esds: bytes) -> bytes:
    """An esds box with the DecoderConfigDescriptor's buffer size and bitrates zeroed."""
    pos = 12  # box header, version and flags
    pos = _descriptor_body(esds, pos, 0x03)
    if pos < 0 or pos + 3 > len(esds):
        return esds
    flags = esds[pos + 2]
    pos += 3 + (2 if flags & 0x80 else 0) + (2 if flags & 0x20 else 0)
    if flags & 0x40:
        pos += 1 + esds[pos] if pos < len(esds) else 0
    pos = _descriptor_body(esds, pos, 0x04)
    if pos < 0 or pos + 13 > len(esds):
        return esds
    return esds[: pos + 2] + bytes(11) + esds[pos + 13 :]


def _descriptor_body(data: bytes, pos: int, tag: int) -> int:
    """Where the body of the MPEG-4 descriptor `tag` at `pos` begins, or -1."""
    if pos >= len(data) or data[pos] != tag:
        return -1
    pos += 1
    for _ in range(4):  # the length: up to four bytes of 7 bits
        if pos >= len(data):
            return -1
        pos += 1
        if not data[pos - 1] & 0x80:
            return pos
    return -1


@dataclass
class Movie:
    path: Path
    ftyp: bytes
    moov: bytes
    timescale: int
    tracks: list[Track]
    payload: tuple[int, int]  # the mdat content's byte range in the file

    def signature(self) -> tuple[object, ...]:
        return tuple(track.signature() for track in self.tracks)

    def seconds(self, track: int) -> float:
        """How long a track plays, by its edit list."""
        return sum(edit.duration for edit in self.tracks[track].edits) / self.timescale


def read_movie(path: str | os.PathLike[str]) -> Movie:
    """Reads a clip's index and checks that every chunk lies inside its media data."""
    p = Path(path)
    try:
        with p.open("rb") as handle:
            ftyp, moov, payload = _top_level(handle, os.fstat(handle.fileno()).st_size)
        if ftyp is None or moov is None or payload is None:
            raise NotJoinableError("it lacks an ftyp, moov or mdat box")
        top = list(iter_boxes(moov, 8, len(moov)))
        mvhd = next((box for box in top if box.kind == b"mvhd"), None)
        if mvhd is None:
            raise NotJoinableError("it has no movie header")
        timescale, _ = _times(moov, mvhd, 12)
        tracks = [_read_track(moov, box, timescale) for box in top if box.kind == b"trak"]
        for track in tracks:
            _check_chunks(track, payload)
    except OSError as exc:
        raise NotJoinableError(f"{p.name} cannot be read: {exc}") from exc
    except (NotJoinableError, struct.error) as exc:
        raise NotJoinableError(f"{p.name}: {exc}") from exc
    return Movie(p, ftyp, moov, timescale, tracks, payload)


def _top_level(
    handle: BinaryIO, size: int
) -> tuple[bytes | None, bytes | None, tuple[int, int] | None]:
    """The ftyp box, the moov box (with a plain 8-byte header) and the mdat content's range,
    found by reading box headers only: the media data itself is never read."""
    ftyp = moov = payload = None
    pos = 0
    while pos < size:
        handle.seek(pos)
        header = handle.read(16)
        if len(header) < 8:
            raise NotJoinableError("the file ends inside a box header")
        length, kind = struct.unpack_from(">I4s", header)
        body = pos + 8
        if length == 1:
            if len(header) < 16:
                raise NotJoinableError("the file ends inside a box header")
            (length,) = struct.unpack_from(">Q", header, 8)
            body += 8
        elif length == 0:
            length = size - pos
        end = pos + length
        if end > size or end < body:
            raise NotJoinableError(f"the {kind.decode(errors='replace')} box runs past the end")
        if kind == b"ftyp" and ftyp is None:
            handle.seek(pos)
            ftyp = handle.read(length)
        elif kind == b"moov" and moov is None:
            handle.seek(body)
            moov = pack_box(b"moov", handle.read(end - body))
        elif kind == b"mdat" and payload is None:
            payload = (body, end)
        elif kind not in _PADDING:
            raise NotJoinableError(
                f"a top-level {kind.decode(errors='replace')} box (fragments, a second mdat) "
                "is unsupported"
            )
        pos = end
    return ftyp, moov, payload


def _times(data: bytes, box: Box, v0_offset: int) -> tuple[int, int]:
    """(timescale, duration) of an mvhd or mdhd box, version 0 or 1."""
    if data[box.body] == 1:
        return struct.unpack_from(">IQ", data, box.body + 20)
    return struct.unpack_from(">II", data, box.body + v0_offset)


def _read_track(data: bytes, trak: Box, movie_timescale: int) -> Track:
    parts = children(data, trak)
    mdia = children(data, need(parts, b"mdia"))
    timescale, media_duration = _times(data, need(mdia, b"mdhd"), 12)
    handler = data[need(mdia, b"hdlr").body + 8 : need(mdia, b"hdlr").body + 12]
    stbl = children(data, need(children(data, need(mdia, b"minf")), b"stbl"))
    unknown = set(stbl) - _KNOWN_TABLES
    if unknown:
        raise NotJoinableError(f"sample table boxes {sorted(unknown)} are unsupported")
    stsz = need(stbl, b"stsz")
    (uniform, count) = struct.unpack_from(">II", data, stsz.body + 4)
    sizes = np.full(count, uniform, np.int64) if uniform else _table(data, stsz, 1, ">u4", skip=4)
    if b"co64" in stbl:
        offsets = _table(data, stbl[b"co64"], 1, ">u8")
    else:
        offsets = _table(data, need(stbl, b"stco"), 1, ">u4")
    ctts_version = data[stbl[b"ctts"].body] if b"ctts" in stbl else 0
    if (b"sbgp" in stbl) != (b"sgpd" in stbl):
        raise NotJoinableError("sample groups come without their description, or vice versa")
    groups = None
    if b"sbgp" in stbl:
        sbgp = stbl[b"sbgp"]
        prefix = data[sbgp.body : sbgp.body + (12 if data[sbgp.body] == 1 else 8)]
        groups = (prefix, _table(data, sbgp, 2, ">u4", skip=len(prefix) - 4))
    track = Track(
        handler=handler,
        timescale=timescale,
        stsd=data[need(stbl, b"stsd").start : stbl[b"stsd"].end],
        sgpd=data[stbl[b"sgpd"].start : stbl[b"sgpd"].end] if b"sgpd" in stbl else None,
        stts=_table(data, need(stbl, b"stts"), 2, ">u4"),
        ctts=_table(data, stbl[b"ctts"], 2, ">i4" if ctts_version else ">u4")
        if b"ctts" in stbl
        else None,
        ctts_version=ctts_version,
        stss=_table(data, stbl[b"stss"], 1, ">u4") if b"stss" in stbl else None,
        stsc=_table(data, need(stbl, b"stsc"), 3, ">u4"),
        sizes=sizes,
        offsets=offsets,
        groups=groups,
        dependencies=_dependencies(data, stbl.get(b"sdtp"), count),
        movie_timescale=movie_timescale,
        edits=[],
    )
    if track.media_duration != media_duration and media_duration != 0:
        raise NotJoinableError("a track's header and its sample durations disagree")
    track.edits = _read_edits(data, parts.get(b"edts"), track)
    return track


def _dependencies(data: bytes, sdtp: Box | None, samples: int) -> bytes | None:
    if sdtp is None:
        return None
    if sdtp.end - sdtp.body - 4 != samples:
        raise NotJoinableError("the sample dependency table does not match the samples")
    return data[sdtp.body + 4 : sdtp.end]


def need(boxes: dict[bytes, Box], kind: bytes) -> Box:
    box = boxes.get(kind)
    if box is None:
        raise NotJoinableError(f"a track has no {kind.decode()} box")
    return box


def _read_edits(data: bytes, edts: Box | None, track: Track) -> list[Edit]:
    """The track's edit list; without one, the whole media plays from its start."""
    elst = children(data, edts).get(b"elst") if edts is not None else None
    if elst is None:
        duration = track.media_duration * track.movie_timescale // track.timescale
        return [Edit(duration, 0, 1 << 16)]
    version = data[elst.body]
    (count,) = struct.unpack_from(">I", data, elst.body + 4)
    layout = ">QqI" if version == 1 else ">IiI"
    step = struct.calcsize(layout)
    if elst.body + 8 + count * step > elst.end:
        raise NotJoinableError("the edit list runs past its box")
    return [Edit(*struct.unpack_from(layout, data, elst.body + 8 + i * step)) for i in range(count)]


def _check_chunks(track: Track, payload: tuple[int, int]) -> None:
    """Every chunk must lie inside the clip's media data, and the tables must agree on the
    number of samples: a clip cut short fails here instead of joining into a broken file."""
    chunks = len(track.offsets)
    first = track.stsc[:, 0] if len(track.stsc) else np.zeros(0, np.int64)
    if len(first) == 0 or first[0] != 1 or np.any(np.diff(first) <= 0) or first[-1] > chunks:
        raise NotJoinableError("the sample-to-chunk table is malformed")
    runs = np.diff(np.append(first, chunks + 1))
    per_chunk = np.repeat(track.stsc[:, 1], runs)
    if per_chunk.sum() != track.samples or int(track.stts[:, 0].sum()) != track.samples:
        raise NotJoinableError("the sample tables disagree on the number of samples")
    cumulative = np.append(0, np.cumsum(track.sizes))
    starts = np.cumsum(per_chunk) - per_chunk
    chunk_sizes = cumulative[starts + per_chunk] - cumulative[starts]
    begin, end = payload
    if np.any(track.offsets < begin) or np.any(track.offsets + chunk_sizes > end):
        raise NotJoinableError("media data is missing (the file may be cut short)")
