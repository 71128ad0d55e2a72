"""The seed README's own JSON examples read into our models and come back out unchanged."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from avpe_desktop.domain import (
    Brief,
    CharacterDetails,
    Content,
    MergedVideo,
    RenderResult,
    RenderSettings,
    Segment,
    frame_size,
)

SEED_CONTENT_RESPONSE = {
    "content": {
        "title": "Floof's Mysterious Discovery",
        "segments": [
            {
                "segment": 1,
                "first_frame_description": "Floof standing in room, looking at box...",
                "last_frame_description": "Floof reaching toward box...",
                "scene": "Floof notices mysterious box",
                "action": "Steps closer cautiously",
                "creature_sounds": [
                    {"sound": "curious coo", "timing": "0-2s", "emotion": "curious"},
                    "soft squeak",
                ],
            }
        ],
    }
}

SEED_BRIEF_REQUEST = {
    "idea": "Floof discovers a mysterious box",
    "character_name": "Floof",
    "creature_language": "Soft and High-Pitched",
    "num_segments": 7,
    "allow_dialogue": False,
}

SEED_RENDER_SETTINGS = {
    "resolution": "720p",
    "aspect_ratio": "16:9",
    "duration": 8,
    "download": True,
    "auto_merge": True,
}

SEED_RENDER_RESPONSE = {
    "success_count": 7,
    "total_segments": 7,
    "video_urls": ["https://example.invalid/1.mp4", "https://example.invalid/2.mp4"],
    "merged_video": {"success": True, "output_filename": "floofs_mysterious_discovery_complete"},
}

SEED_CHARACTER_DETAILS = {
    "physical_appearance": {"body": "round", "fur": "lilac"},
    "personality": "friendly, cute",
    "video_prompt_description": "A round lilac creature with big eyes",
}


def test_content_round_trips_the_seed_response_exactly() -> None:
    content = Content.from_seed(SEED_CONTENT_RESPONSE)
    assert content.segments[0].scene == "Floof notices mysterious box"
    assert content.to_seed_dict() == SEED_CONTENT_RESPONSE
    assert json.loads(content.to_seed_json()) == SEED_CONTENT_RESPONSE


def test_content_accepts_the_bare_object_and_keeps_unknown_keys() -> None:
    bare = dict(SEED_CONTENT_RESPONSE["content"])
    bare["segments"] = [dict(bare["segments"][0], mood="tense", camera="slow push-in")]
    content = Content.from_seed(bare)
    assert content.segments[0].camera == "slow push-in"
    assert content.to_seed_dict()["content"]["segments"][0]["mood"] == "tense"


def test_optional_segment_fields_appear_only_when_set() -> None:
    segment = Segment.model_validate(SEED_CONTENT_RESPONSE["content"]["segments"][0])
    dumped = segment.model_dump(mode="json", exclude_none=True)
    assert "camera" not in dumped and "dialogue" not in dumped and "duration" not in dumped
    with_extras = segment.model_copy(update={"camera": "wide", "dialogue": "Hi!", "duration": 6})
    again = Segment.model_validate(with_extras.model_dump(mode="json"))
    assert (again.camera, again.dialogue, again.duration) == ("wide", "Hi!", 6)


def test_brief_reads_the_seed_request() -> None:
    brief = Brief.model_validate(SEED_BRIEF_REQUEST)
    assert brief.num_segments == 7 and brief.format == "daily_character"
    dumped = brief.model_dump(mode="json")
    assert {k: dumped[k] for k in SEED_BRIEF_REQUEST} == SEED_BRIEF_REQUEST


def test_render_settings_and_result_round_trip() -> None:
    settings = RenderSettings.model_validate(SEED_RENDER_SETTINGS)
    dumped = settings.model_dump(mode="json")
    assert {k: dumped[k] for k in SEED_RENDER_SETTINGS} == SEED_RENDER_SETTINGS
    result = RenderResult.model_validate(SEED_RENDER_RESPONSE)
    assert result.merged_video == MergedVideo(
        success=True, output_filename="floofs_mysterious_discovery_complete"
    )
    out = result.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    assert out == SEED_RENDER_RESPONSE


def test_character_details_read_the_seed_shape() -> None:
    details = CharacterDetails.model_validate(SEED_CHARACTER_DETAILS)
    assert details.physical_appearance["fur"] == "lilac"
    assert details.creature_language == "Soft and High-Pitched"


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (Brief, {**SEED_BRIEF_REQUEST, "num_segments": 0}, "num_segments"),
        (Brief, {**SEED_BRIEF_REQUEST, "num_segments": 21}, "num_segments"),
        (Brief, {**SEED_BRIEF_REQUEST, "idea": "   "}, "idea"),
        (Brief, {**SEED_BRIEF_REQUEST, "format": "sitcom"}, "format"),
        (RenderSettings, {"resolution": "4k"}, "resolution"),
        (RenderSettings, {"aspect_ratio": "21:9"}, "aspect_ratio"),
        (RenderSettings, {"duration": 5}, "duration"),
        (RenderSettings, {"budget_usd": -1}, "budget_usd"),
        (Segment, {**SEED_CONTENT_RESPONSE["content"]["segments"][0], "scene": ""}, "scene"),
        (Content, {"title": "", "segments": SEED_CONTENT_RESPONSE["content"]["segments"]}, "title"),
    ],
)
def test_invalid_values_name_the_field(model: type, data: dict, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    assert field in str(info.value)


def test_segments_must_be_numbered_in_order() -> None:
    first = SEED_CONTENT_RESPONSE["content"]["segments"][0]
    with pytest.raises(ValidationError, match=r"numbered 1\.\.2"):
        Content.model_validate({"title": "T", "segments": [first, {**first, "segment": 3}]})


def test_renumbered_fixes_numbers_after_a_move() -> None:
    first = Segment.model_validate(SEED_CONTENT_RESPONSE["content"]["segments"][0])
    second = first.model_copy(update={"segment": 2, "scene": "Floof opens the box"})
    content = Content(title="T", segments=[first, second])
    moved = content.renumbered([content.segments[1], content.segments[0]])
    assert [(s.segment, s.scene) for s in moved.segments] == [
        (1, "Floof opens the box"),
        (2, "Floof notices mysterious box"),
    ]


def test_from_seed_json_rejects_non_objects() -> None:
    with pytest.raises(TypeError, match="JSON object"):
        Content.from_seed_json("[1, 2]")


@pytest.mark.parametrize(
    ("resolution", "aspect", "size"),
    [
        ("720p", "16:9", (1280, 720)),
        ("1080p", "16:9", (1920, 1080)),
        ("720p", "9:16", (720, 1280)),
        ("1080p", "9:16", (1080, 1920)),
        ("720p", "1:1", (720, 720)),
        ("1080p", "4:5", (1080, 1350)),
    ],
)
def test_frame_size(resolution: str, aspect: str, size: tuple[int, int]) -> None:
    assert frame_size(resolution, aspect) == size
