"""Character images: real decode, limits, orientation and alpha; refusals name the problem."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from avpe_desktop.media.images import (
    MAX_FILE_BYTES,
    ImageRejectedError,
    check_image_bytes,
    check_image_file,
    thumbnail_png,
)


def _save(image: Image.Image, path: Path, fmt: str, **kwargs: object) -> Path:
    image.save(path, format=fmt, **kwargs)
    return path


def _rgba_character() -> Image.Image:
    image = Image.new("RGBA", (120, 80), (0, 0, 0, 0))
    for x in range(30, 90):
        for y in range(20, 60):
            image.putpixel((x, y), (240, 150, 200, 255))
    return image


def _png_with_header_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas: a decompression bomb's shape."""
    raw = io.BytesIO()
    Image.new("L", (1, 1)).save(raw, format="PNG")
    data = bytearray(raw.getvalue())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def test_png_keeps_alpha(tmp_path: Path) -> None:
    checked = check_image_file(_save(_rgba_character(), tmp_path / "c.png", "PNG"))
    assert checked.has_alpha and checked.source_format == "PNG"
    assert Image.open(io.BytesIO(checked.png)).mode == "RGBA"


def test_opaque_alpha_is_dropped(tmp_path: Path) -> None:
    opaque = Image.new("RGBA", (40, 40), (10, 20, 30, 255))
    assert not check_image_file(_save(opaque, tmp_path / "o.png", "PNG")).has_alpha


def test_jpeg_is_turned_upright_by_exif(tmp_path: Path) -> None:
    image = Image.new("RGB", (60, 30), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise: the upright picture is 30 wide, 60 tall
    checked = check_image_file(_save(image, tmp_path / "p.jpg", "JPEG", exif=exif))
    assert checked.image.size == (30, 60)
    assert checked.source_format == "JPEG" and not checked.has_alpha


def test_webp_with_alpha(tmp_path: Path) -> None:
    checked = check_image_file(_save(_rgba_character(), tmp_path / "c.webp", "WEBP"))
    assert checked.has_alpha and checked.source_format == "WebP"


def test_same_pixels_same_hash(tmp_path: Path) -> None:
    a = check_image_file(_save(_rgba_character(), tmp_path / "a.png", "PNG"))
    b = check_image_file(_save(_rgba_character(), tmp_path / "b.png", "PNG", compress_level=1))
    assert a.sha256 == b.sha256


def test_thumbnail_keeps_aspect_and_alpha() -> None:
    thumb = Image.open(io.BytesIO(thumbnail_png(_rgba_character(), side=60)))
    assert thumb.size == (60, 40) and thumb.mode == "RGBA"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty"),
        (b"hello, I am a text file", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image"),
        (_png_with_header_size(50_000, 50_000), "MP"),
        (_png_with_header_size(8, 8), "at least 16"),
    ],
)
def test_bad_bytes_are_refused(payload: bytes, message: str) -> None:
    with pytest.raises(ImageRejectedError, match=message):
        check_image_bytes(payload, "x.png")


def test_truncated_png_is_reported_damaged(tmp_path: Path) -> None:
    path = _save(Image.effect_noise((200, 200), 60).convert("RGB"), tmp_path / "n.png", "PNG")
    path.write_bytes(path.read_bytes()[:-400])
    with pytest.raises(ImageRejectedError, match="damaged"):
        check_image_file(path)


def test_gif_is_refused_by_name(tmp_path: Path) -> None:
    path = _save(Image.new("P", (32, 32)), tmp_path / "a.gif", "GIF")
    with pytest.raises(ImageRejectedError, match="GIF image"):
        check_image_file(path)


def test_missing_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(ImageRejectedError, match="does not exist"):
        check_image_file(tmp_path / "missing.png")
    big = tmp_path / "big.png"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(ImageRejectedError, match="MB"):
        check_image_file(big)
