"""The one table of Google model ids, their limits and their prices.

Settings are validated against it before any paid call (a wrong duration should cost
nothing), and a job's cost is estimated from it before the creator commits.

Sources, checked November 2026: google-genai 3.6 types and docstrings (ids, `GenerateVideosConfig`
fields), the Gemini API deprecations page (2.5-series text ids withdrawn 12 Nov 2026,
`gemini-2.5-flash-image` shut down Oct 2026, so they are not offered), the Vertex AI Veo 3.1 model
page (veo-3.1-generate-001: text/image to video, first and last frame, reference asset images,
sound; 16:9 and 9:16; 720p and 1080p; 4, 6 or 8 s). The Gemini API Veo guide states that 1080p
and reference images need 8 s clips; `veo-3.1-lite` does not take a last frame.

PRICES ARE ESTIMATES. Google changes them often and by region; they are list prices in USD as
best known (Vertex AI pricing page; third-party price trackers for the 3.x text and image ids).
Treat `estimate_cost` as a budget guide, not an invoice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TypedDict

from avpe_desktop.domain import AspectRatio, RenderSettings, Resolution
from avpe_desktop.engines.base import RequestError


@dataclass(frozen=True)
class TextModel:
    id: str
    usd_per_m_input: float
    usd_per_m_output: float


@dataclass(frozen=True)
class ImageModel:
    id: str
    family: str  # "gemini" (generate_content) or "imagen" (generate_images, Vertex only)
    usd_per_image: float
    max_reference_images: int
    aspect_ratios: tuple[str, ...]


@dataclass(frozen=True)
class VideoModel:
    id: str
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    aspect_ratios: tuple[str, ...]
    usd_per_second_with_audio: float
    usd_per_second_silent: float
    last_frame: bool = True
    max_reference_images: int = 3
    seconds_required_for_1080p: int | None = 8
    preview: bool = False


_GEMINI_IMAGE_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
_IMAGEN_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
_VEO_RATIOS = ("16:9", "9:16")

TEXT_MODELS: dict[str, TextModel] = {
    m.id: m
    for m in (
        TextModel("gemini-3.5-flash", 0.50, 3.00),  # price uncertain (3 Flash list price)
        TextModel("gemini-3-flash-preview", 0.50, 3.00),
        TextModel("gemini-3.8-flash", 0.75, 4.50),  # input per Gemini API page; output guessed
        TextModel("gemini-3.1-flash-lite", 0.10, 0.40),  # price uncertain
        TextModel("gemini-3.1-pro-preview", 2.00, 12.00),
    )
}

IMAGE_MODELS: dict[str, ImageModel] = {
    m.id: m
    for m in (
        ImageModel("gemini-3.1-flash-image", "gemini", 0.067, 14, _GEMINI_IMAGE_RATIOS),
        ImageModel("gemini-3-pro-image", "gemini", 0.134, 14, _GEMINI_IMAGE_RATIOS),
        ImageModel("imagen-4.0-generate-001", "imagen", 0.04, 0, _IMAGEN_RATIOS),
        ImageModel("imagen-4.0-fast-generate-001", "imagen", 0.02, 0, _IMAGEN_RATIOS),
        ImageModel("imagen-4.0-ultra-generate-001", "imagen", 0.06, 0, _IMAGEN_RATIOS),
    )
}


class _VeoPrices(TypedDict):
    usd_per_second_with_audio: float
    usd_per_second_silent: float


_VEO_STANDARD: _VeoPrices = {"usd_per_second_with_audio": 0.40, "usd_per_second_silent": 0.20}
_VEO_FAST: _VeoPrices = {"usd_per_second_with_audio": 0.15, "usd_per_second_silent": 0.10}

VIDEO_MODELS: dict[str, VideoModel] = {
    m.id: m
    for m in (
        VideoModel(
            "veo-3.1-generate-001", (4, 6, 8), ("720p", "1080p"), _VEO_RATIOS, **_VEO_STANDARD
        ),
        VideoModel(
            "veo-3.1-fast-generate-001", (4, 6, 8), ("720p", "1080p"), _VEO_RATIOS, **_VEO_FAST
        ),
        VideoModel(
            "veo-3.1-generate-preview", (4, 6, 8), ("720p", "1080p"), _VEO_RATIOS,
            preview=True, **_VEO_STANDARD,
        ),
        VideoModel(
            "veo-3.1-fast-generate-preview", (4, 6, 8), ("720p", "1080p"), _VEO_RATIOS,
            preview=True, **_VEO_FAST,
        ),
        # Lite interpolates from one image only, so the app cannot use it for first-to-last
        # clips; it is listed so choosing it gives a clear refusal instead of a 400.
        VideoModel(
            "veo-3.1-lite-generate-001", (4, 6, 8), ("720p", "1080p"), _VEO_RATIOS,
            usd_per_second_with_audio=0.05, usd_per_second_silent=0.05,
            last_frame=False, max_reference_images=0,
        ),
    )
}  # fmt: skip

# Token counts behind the cost estimate: one script call, per-segment output.
_SCRIPT_INPUT_TOKENS = 3_000
_SCRIPT_OUTPUT_TOKENS_PER_SEGMENT = 450


@dataclass(frozen=True)
class GoogleModels:
    """Which model plays each role; any field can be overridden from Settings."""

    text: str = "gemini-3.5-flash"
    image: str = "gemini-3.1-flash-image"
    video: str = "veo-3.1-fast-generate-001"

    @classmethod
    def from_settings(cls, overrides: Mapping[str, str] | None) -> GoogleModels:
        """Settings store `{"text": ..., "image": ..., "video": ...}`; unknown roles are a
        typo worth reporting, empty values mean the default."""
        overrides = dict(overrides or {})
        roles = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - roles)
        if unknown:
            raise RequestError(f"Unknown model role(s) in Settings: {', '.join(unknown)}.")
        return cls(**{role: value for role, value in overrides.items() if value})


def text_model(model_id: str) -> TextModel:
    """Known ids from the table; a new id (Google ships them often) is priced like the most
    expensive flash model so estimates err high."""
    return TEXT_MODELS.get(model_id) or TextModel(model_id, 0.75, 4.50)


def image_model(model_id: str) -> ImageModel:
    if model_id in IMAGE_MODELS:
        return IMAGE_MODELS[model_id]
    family = "imagen" if model_id.startswith("imagen") else "gemini"
    ratios = _IMAGEN_RATIOS if family == "imagen" else _GEMINI_IMAGE_RATIOS
    return ImageModel(model_id, family, 0.134, 14 if family == "gemini" else 0, ratios)


def video_model(model_id: str) -> VideoModel:
    """Known ids from the table; an unknown `veo-*` id gets Veo 3.1 standard limits and
    prices; anything else is refused because it cannot be a Veo model."""
    if model_id in VIDEO_MODELS:
        return VIDEO_MODELS[model_id]
    if model_id.startswith("veo-"):
        return VideoModel(model_id, (4, 6, 8), ("720p", "1080p"), _VEO_RATIOS, **_VEO_STANDARD)
    raise RequestError(f"'{model_id}' is not a Veo video model.")


def validate_video_settings(
    model_id: str,
    *,
    duration: int,
    resolution: Resolution | str,
    aspect_ratio: AspectRatio | str,
    generate_audio: bool = True,
    seed: int | None = None,
    reference_images: int = 0,
    last_frame: bool = True,
) -> VideoModel:
    """Raise RequestError naming the first setting the model cannot honour."""
    spec = video_model(model_id)
    resolution = Resolution(resolution).value
    aspect = AspectRatio(aspect_ratio)
    if aspect.value not in spec.aspect_ratios:
        hint = ""
        if not aspect.is_generated:
            hint = f" Generate {aspect.generation_ratio.value} and reframe on export."
        raise RequestError(
            f"aspect_ratio {aspect.value} is not supported by {model_id} "
            f"(supported: {', '.join(spec.aspect_ratios)}).{hint}"
        )
    if duration not in spec.durations:
        raise RequestError(
            f"duration {duration}s is not supported by {model_id} "
            f"(supported: {', '.join(f'{d}s' for d in spec.durations)})."
        )
    if resolution not in spec.resolutions:
        raise RequestError(
            f"resolution {resolution} is not supported by {model_id} "
            f"(supported: {', '.join(spec.resolutions)})."
        )
    needed = spec.seconds_required_for_1080p
    if resolution == Resolution.P1080.value and needed and duration != needed:
        raise RequestError(f"resolution 1080p on {model_id} needs duration {needed}s.")
    if last_frame and not spec.last_frame:
        raise RequestError(
            f"model {model_id} cannot interpolate to a last frame; choose a Veo 3.1 standard "
            "or fast model."
        )
    if reference_images:
        if last_frame:
            raise RequestError("reference_images cannot be combined with a first/last frame.")
        if reference_images > spec.max_reference_images:
            raise RequestError(
                f"reference_images: {model_id} takes at most {spec.max_reference_images}."
            )
        if needed and duration != needed:
            raise RequestError(f"reference_images on {model_id} need duration {needed}s.")
    if seed is not None and not 0 <= seed <= 2**32 - 1:
        raise RequestError("seed must be between 0 and 4294967295.")
    return spec


def validate_render_settings(settings: RenderSettings, models: GoogleModels) -> None:
    """The whole render's settings, checked once before a job is queued."""
    validate_video_settings(
        models.video,
        duration=settings.duration,
        resolution=settings.resolution,
        aspect_ratio=settings.aspect_ratio.generation_ratio,
        generate_audio=settings.generate_audio,
        seed=settings.seed,
    )


def estimate_cost(
    num_segments: int,
    settings: RenderSettings,
    models: GoogleModels | None = None,
    *,
    include_script: bool = True,
) -> float:
    """USD for a whole job: the script, `num_segments + 1` keyframes (chained frames are
    painted once), a thumbnail, and one clip per segment."""
    if num_segments < 0:
        raise ValueError("num_segments must be >= 0")
    models = models or GoogleModels()
    total = 0.0
    if include_script and num_segments:
        text = text_model(models.text)
        output_tokens = _SCRIPT_OUTPUT_TOKENS_PER_SEGMENT * num_segments
        total += _SCRIPT_INPUT_TOKENS / 1e6 * text.usd_per_m_input
        total += output_tokens / 1e6 * text.usd_per_m_output
    if num_segments:
        total += (num_segments + 2) * image_model(models.image).usd_per_image
    video = video_model(models.video)
    audio = settings.generate_audio
    rate = video.usd_per_second_with_audio if audio else video.usd_per_second_silent
    total += num_segments * settings.duration * rate
    return round(total, 4)
