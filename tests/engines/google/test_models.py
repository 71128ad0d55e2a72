"""The model table: settings refused before any call, and a job's cost estimated."""

from __future__ import annotations

import pytest

from avpe_desktop.domain import RenderSettings
from avpe_desktop.engines.base import RequestError
from avpe_desktop.engines.google.models import (
    VIDEO_MODELS,
    GoogleModels,
    estimate_cost,
    validate_render_settings,
    validate_video_settings,
)

VEO = "veo-3.1-generate-001"


def test_every_veo_31_id_is_in_the_table() -> None:
    for model in ("veo-3.1-generate-001", "veo-3.1-fast-generate-001", "veo-3.1-generate-preview"):
        assert model in VIDEO_MODELS


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"duration": 5}, "duration"),
        ({"resolution": "1080p", "duration": 6}, "1080p"),
        ({"aspect_ratio": "1:1"}, "aspect_ratio"),
        ({"reference_images": 1}, "reference_images"),
        ({"seed": 2**33}, "seed"),
    ],
)
def test_invalid_settings_name_the_setting(kwargs: dict[str, object], setting: str) -> None:
    args = {"duration": 8, "resolution": "720p", "aspect_ratio": "16:9", **kwargs}
    with pytest.raises(RequestError, match=setting):
        validate_video_settings(VEO, **args)  # type: ignore[arg-type]


def test_valid_settings_pass_and_4_5_points_to_reframing() -> None:
    validate_video_settings(VEO, duration=8, resolution="1080p", aspect_ratio="9:16")
    validate_video_settings(VEO, duration=4, resolution="720p", aspect_ratio="16:9")
    with pytest.raises(RequestError, match="reframe"):
        validate_video_settings(VEO, duration=8, resolution="720p", aspect_ratio="4:5")
    # An export ratio is rendered from its generation ratio, so the render settings pass.
    validate_render_settings(RenderSettings(aspect_ratio="4:5"), GoogleModels(video=VEO))


def test_lite_cannot_interpolate_and_non_veo_ids_are_refused() -> None:
    with pytest.raises(RequestError, match="last frame"):
        validate_video_settings(
            "veo-3.1-lite-generate-001", duration=8, resolution="720p", aspect_ratio="16:9"
        )
    with pytest.raises(RequestError, match="not a Veo"):
        validate_video_settings(
            "imagen-4.0-generate-001", duration=8, resolution="720p", aspect_ratio="16:9"
        )


def test_estimate_cost_counts_clips_keyframes_and_script() -> None:
    models = GoogleModels(text="gemini-3.5-flash", image="gemini-3.1-flash-image", video=VEO)
    settings = RenderSettings(duration=8, generate_audio=True)
    cost = estimate_cost(7, settings, models)
    videos = 7 * 8 * 0.40
    images = 9 * 0.067
    assert videos + images < cost < videos + images + 0.05
    silent = estimate_cost(7, settings.model_copy(update={"generate_audio": False}), models)
    assert silent == pytest.approx(cost - 7 * 8 * 0.20, abs=1e-3)
    assert estimate_cost(0, settings, models) == 0


def test_models_from_settings() -> None:
    assert GoogleModels.from_settings({"video": VEO, "text": ""}).video == VEO
    assert GoogleModels.from_settings(None) == GoogleModels()
    with pytest.raises(RequestError, match="vidoe"):
        GoogleModels.from_settings({"vidoe": VEO})
