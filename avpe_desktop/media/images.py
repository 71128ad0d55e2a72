"""Accepting a creator's image: decode it for real, refuse what would hurt, keep its alpha.

Everything is checked before anything is written, so a refused file leaves no trace. Pillow
is imported by the functions that decode, not with the module: the library and its error
types are needed on the app's first screen, decoding is not (Pillow's import is ~50 ms).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from avpe_desktop.input_files import InputFileError, read_input_file

if TYPE_CHECKING:
    from PIL import Image

ACCEPTED_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP", "MPO": "JPEG"}
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 40_000_000
MIN_SIDE = 16
THUMBNAIL_SIDE = 256
_IMAGE_EXTENSIONS = {
    **{ext: "PNG" for ext in ("png", "apng")},
    **{ext: "JPEG" for ext in ("jpg", "jpeg", "jpe")},
    **{ext: "TIFF" for ext in ("tif", "tiff")},
    **{ext: ext.upper() for ext in ("webp", "gif", "bmp", "heic", "avif")},
}
"""Image extensions a creator would recognise, with the format each promises."""


class ImageRejectedError(InputFileError):
    """The file cannot be used as a character image; the message says why in plain words."""


@dataclass(frozen=True)
class CheckedImage:
    """A decoded, upright image and its PNG encoding (lossless, alpha kept)."""

    image: Image.Image
    png: bytes
    source_format: str

    @property
    def has_alpha(self) -> bool:
        return self.image.mode == "RGBA"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.png).hexdigest()


def check_image_file(path: str | Path) -> CheckedImage:
    path = Path(path)
    data = read_input_file(path, "an image", MAX_FILE_BYTES, ImageRejectedError)
    return check_image_bytes(data, path.name, _named_format(path))


def check_image_bytes(data: bytes, label: str = "image", named: str | None = None) -> CheckedImage:
    """`named` is the format the file's extension claims, if any: a refusal then says when
    the name and the contents disagree (a GIF renamed .png), the usual cause of confusion."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ImageRejectedError(f"'{label}' is empty (0 bytes).")
    if len(data) > MAX_FILE_BYTES:
        raise ImageRejectedError(
            f"'{label}' is {len(data) / 1_048_576:.0f} MB; images up to "
            f"{MAX_FILE_BYTES // 1_048_576} MB are accepted."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            opened = Image.open(io.BytesIO(data))
        except UnidentifiedImageError as exc:
            claim = f", whatever its name (.{named}) says" if named else ""
            raise ImageRejectedError(
                f"'{label}' is not an image that can be read{claim}; use a PNG, JPEG or WebP file."
            ) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(label) from exc
        fmt = opened.format or "?"
        if fmt not in ACCEPTED_FORMATS:
            renamed = named is not None and _IMAGE_EXTENSIONS[named] != fmt
            claim = f" renamed .{named}" if renamed else ""
            raise ImageRejectedError(
                f"'{label}' is a {fmt} image{claim}; use a PNG, JPEG or WebP file."
            )
        width, height = opened.size
        if width * height > MAX_PIXELS:
            raise _too_many_pixels(label, width, height)
        if min(width, height) < MIN_SIDE:
            raise ImageRejectedError(
                f"'{label}' is only {width}×{height} pixels; a character image needs at least "
                f"{MIN_SIDE} pixels on each side."
            )
        try:
            opened.load()
            upright = ImageOps.exif_transpose(opened)
        except (OSError, SyntaxError, ValueError) as exc:
            raise ImageRejectedError(
                f"'{label}' is damaged and cannot be decoded ({exc})."
            ) from exc
    image = _normalised_mode(upright)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return CheckedImage(image=image, png=buffer.getvalue(), source_format=ACCEPTED_FORMATS[fmt])


def _named_format(path: Path) -> str | None:
    """The image extension in the file's name, when it has one a creator would recognise."""
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in _IMAGE_EXTENSIONS else None


def thumbnail_png(image: Image.Image, side: int = THUMBNAIL_SIDE) -> bytes:
    """A square-bounded preview that keeps the aspect ratio and the transparency."""
    from PIL import Image

    thumb = image.copy()
    thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    thumb.save(buffer, format="PNG")
    return buffer.getvalue()


def _normalised_mode(image: Image.Image) -> Image.Image:
    """RGBA when the image carries any transparency (alpha band, palette or tRNS), else RGB."""
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if transparent:
        rgba = image.convert("RGBA")
        # Pillow types the result for every mode; an RGBA image has one (min, max) per band.
        extrema = cast("tuple[tuple[int, int], ...]", rgba.getextrema())
        if extrema[3][0] < 255:
            return rgba
    return image.convert("RGB")


def _too_many_pixels(label: str, width: int | None = None, height: int | None = None) -> Exception:
    dims = (
        f" is {width}×{height} pixels ({width * height / 1e6:.0f} MP)"
        if width and height
        else (" has far too many pixels")
    )
    return ImageRejectedError(
        f"'{label}'{dims}; images up to {MAX_PIXELS / 1e6:.0f} MP are accepted. "
        "Scale it down and try again."
    )


def fit_onto_canvas(png: bytes, size: tuple[int, int], background: str = "#20222a") -> bytes:
    """The image scaled to fit `size` on a plain canvas: the stand-in keyframe when painting
    fails, so a render can go on with the character itself."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGBA")
    image.thumbnail(size, Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", size, background)
    offset = ((size[0] - image.width) // 2, (size[1] - image.height) // 2)
    canvas.alpha_composite(image, offset)
    buffer = io.BytesIO()
    canvas.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()
