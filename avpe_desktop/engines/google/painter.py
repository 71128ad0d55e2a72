"""Keyframes from a Gemini image model (with reference images) or from Imagen (text only)."""

from __future__ import annotations

import io
from typing import cast

from google.genai import types
from PIL import ExifTags, Image, ImageOps

from avpe_desktop.engines.base import FrameRequest, ResponseFormatError, SafetyFilteredError
from avpe_desktop.engines.google.models import image_model
from avpe_desktop.engines.google.runtime import GoogleRuntime
from avpe_desktop.workers import run_in_thread

_NO_IMAGE_REASONS_OK = {None, "STOP", "FINISH_REASON_UNSPECIFIED"}


def image_mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/png"


def fit_png(data: bytes, size: tuple[int, int]) -> bytes:
    """Exactly `size`, filled edge to edge: models return their own sizes (1024x576,
    1376x768...), and the video model needs both keyframes at the clip's pixel size.
    Cropping the overflow keeps proportions; letterboxing would paint bars into the video.

    An image that already is an upright RGB PNG of `size` is returned as it came, once it has
    decoded cleanly: every keyframe waits for the one before it, and re-encoding a PNG that
    needs no change costs several times its decoding on that critical path."""
    try:
        with Image.open(io.BytesIO(data)) as raw:
            raw.load()
            orientation = raw.getexif().get(ExifTags.Base.Orientation, 1)
            if (raw.format, raw.mode, raw.size, orientation) == ("PNG", "RGB", size, 1):
                return data
            image = ImageOps.exif_transpose(raw).convert("RGB")
    except (OSError, ValueError) as exc:
        raise ResponseFormatError(f"The image model returned an unreadable image ({exc}).") from exc
    fitted = ImageOps.fit(image, size, Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    out = io.BytesIO()
    fitted.save(out, format="PNG")
    return out.getvalue()


def frame_prompt(request: FrameRequest, with_references: bool) -> str:
    lines = [
        f"Paint one keyframe for an animated character video, aspect ratio "
        f"{request.aspect_ratio.value}, cinematic lighting, no borders.",
        f"Frame: {request.description}",
    ]
    if request.character_description:
        lines.append(f"The character: {request.character_description}")
    if with_references:
        lines.append(
            "The first attached image is the character reference: keep the character's "
            "design, colours and proportions exactly the same."
        )
        if len(request.references) > 1:
            lines.append(
                "The second attached image is the previous keyframe of the same shot: keep "
                "its setting, lighting, style and camera continuous."
            )
    if request.caption:
        lines.append(f'Render the caption text "{request.caption}" clearly, large and legible.')
    else:
        lines.append("Do not draw any text, captions or watermarks.")
    return "\n".join(lines)


class GeminiFramePainter:
    def __init__(self, runtime: GoogleRuntime) -> None:
        self.runtime = runtime

    @property
    def model(self) -> str:
        return self.runtime.models.image

    async def paint(self, request: FrameRequest) -> bytes:
        if image_model(self.model).family == "imagen":
            raw = await self._imagen(request)
        else:
            raw = await self._gemini(request)
        return await run_in_thread(fit_png, raw, request.size)

    async def _gemini(self, request: FrameRequest) -> bytes:
        parts: list[types.Part] = [
            types.Part.from_bytes(data=ref, mime_type=image_mime(ref)) for ref in request.references
        ]
        parts.append(types.Part.from_text(text=frame_prompt(request, bool(request.references))))
        config = types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio=request.aspect_ratio.value),
            seed=request.seed,
        )
        response = await self.runtime.call(
            self.model,
            lambda: self.runtime.client.aio.models.generate_content(
                model=self.model, contents=[types.Content(role="user", parts=parts)], config=config
            ),
            "keyframe",
        )
        feedback = response.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            reason = str(feedback.block_reason.value)
            raise SafetyFilteredError(
                f"The image model refused the frame description ({reason}). Rephrase "
                f"the frame: {request.description[:120]}",
                reason,
            )
        for candidate in response.candidates or []:
            for part in (candidate.content.parts if candidate.content else None) or []:
                if part.inline_data is not None and part.inline_data.data:
                    return part.inline_data.data
        reasons = {
            c.finish_reason.value if c.finish_reason else None for c in response.candidates or []
        }
        refused = sorted(r for r in reasons - _NO_IMAGE_REASONS_OK if r)
        if refused:
            reason = ", ".join(refused)
            raise SafetyFilteredError(
                f"The image model returned no image ({reason}). Rephrase the frame or use a "
                f"different reference: {request.description[:120]}",
                reason,
            )
        raise ResponseFormatError("The image model answered without an image.")

    async def _imagen(self, request: FrameRequest) -> bytes:
        """Imagen takes no reference images here, so character consistency rests on the
        character description in the prompt; Gemini image models are the better default."""
        self.runtime.client.credentials.require_imagen()
        ratio = request.aspect_ratio.value
        if ratio not in image_model(self.model).aspect_ratios:
            ratio = "3:4"  # Imagen has no 4:5; the nearest ratio crops least
        config = types.GenerateImagesConfig(
            number_of_images=1,
            aspect_ratio=ratio,
            include_rai_reason=True,
            output_mime_type="image/png",
        )
        response = await self.runtime.call(
            self.model,
            lambda: self.runtime.client.aio.models.generate_images(
                model=self.model, prompt=frame_prompt(request, False), config=config
            ),
            "keyframe",
        )
        for generated in response.generated_images or []:
            if generated.image is not None and generated.image.image_bytes:
                # The SDK's GeneratedImage.image reaches mypy untyped; it is the SDK's Image.
                return cast(bytes, generated.image.image_bytes)
        reasons = [g.rai_filtered_reason for g in response.generated_images or []]
        reason = ", ".join(r for r in reasons if r) or "RAI_FILTERED"
        raise SafetyFilteredError(
            f"Imagen filtered the frame ({reason}). Rephrase: {request.description[:120]}",
            reason,
        )
