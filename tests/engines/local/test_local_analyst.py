from __future__ import annotations

import numpy as np
import pytest
from local_engine_helpers import png_bytes

from avpe_desktop.domain.character import appearance_lines
from avpe_desktop.engines.base import CharacterAnalyst, RequestError
from avpe_desktop.engines.local.analyst import NOT_JUDGED, LocalCharacterAnalyst, colour_name
from avpe_desktop.engines.local.cutout import alpha_from_opaque, decode_rgba


def test_implements_protocol() -> None:
    assert isinstance(LocalCharacterAnalyst(), CharacterAnalyst)


async def test_floof(floof_png: bytes) -> None:
    details = await LocalCharacterAnalyst().analyse(floof_png, "Floof")
    look = details.physical_appearance
    assert look["primary_color"] in ("soft pink", "lilac", "lavender", "pink")
    assert look["build"] == "round"
    assert look["body"].startswith("A round shape")
    assert "transparent background" in look["body"]
    assert look["colors"].startswith(f"Mostly {look['primary_color']}")
    assert details.video_prompt_description.startswith("Floof, a round ")
    assert details.creature_language == "Soft and High-Pitched"


async def test_appearance_reads_as_sentences_and_what_pixels_cannot_tell_is_left_open(
    floof_png: bytes, grumble_jpg: bytes
) -> None:
    for image, name in ((floof_png, "Floof"), (grumble_jpg, "Grumble")):
        details = await LocalCharacterAnalyst().analyse(image, name)
        look = details.physical_appearance
        for key in ("body", "colors"):
            sentence = look[key]
            assert sentence[0].isupper() and sentence.endswith("."), sentence
            assert ":" not in sentence and "#" not in sentence and "_" not in sentence
        # No measurement dressed up as a description, and no guessed character.
        assert not {"size_px", "palette", "aspect_ratio", "transparent_background"} & set(look)
        assert look["expression"] == NOT_JUDGED
        assert details.personality == NOT_JUDGED
        assert "friendly" not in details.model_dump_json().lower()
        lines = appearance_lines(look)
        assert lines[0].startswith("Body: A ") and "Expression: Not judged" in lines[-1]
        # The seed's keys of a character analysis are all there.
        assert set(details.model_dump()) >= {
            "physical_appearance",
            "personality",
            "video_prompt_description",
        }


async def test_grumble_on_an_opaque_backdrop(grumble_jpg: bytes) -> None:
    details = await LocalCharacterAnalyst().analyse(grumble_jpg, "Grumble")
    look = details.physical_appearance
    assert "plain backdrop" in look["body"]
    assert look["primary_color"] in ("teal", "dark teal", "sage green", "green")
    # The backdrop is not the character's main colour: the cut-out kept it out.
    assert look["primary_color"] not in ("beige", "cream", "white", "light grey")
    assert look["build"] == "tall"
    assert details.creature_language == "Deep and Rumbly"


async def test_tiny_synthetic_image() -> None:
    tiny = np.zeros((3, 5, 3), np.uint8)
    tiny[:] = (230, 40, 40)
    details = await LocalCharacterAnalyst().analyse(png_bytes(tiny), "Dot")
    assert details.physical_appearance["primary_color"] == "red"
    assert details.physical_appearance["colors"] == "Mostly red, in bright, medium tones."


async def test_unreadable_image_is_a_request_error() -> None:
    with pytest.raises(RequestError):
        await LocalCharacterAnalyst().analyse(b"not an image", "Nobody")


def test_colour_names() -> None:
    assert colour_name((250, 250, 250)) == "white"
    assert colour_name((30, 40, 95)) == "navy"
    assert colour_name((240, 192, 214)) == "soft pink"


def test_cut_out_keeps_the_backdrop_out(grumble_jpg: bytes) -> None:
    rgba = decode_rgba(grumble_jpg)
    alpha = alpha_from_opaque(np.ascontiguousarray(rgba[..., :3]))
    backdrop = np.array([236, 231, 220])
    is_backdrop = np.abs(rgba[..., :3].astype(int) - backdrop).max(axis=2) < 12
    kept = alpha > 128
    assert (kept & is_backdrop).sum() < 0.02 * is_backdrop.sum()
    assert 0.2 < kept.mean() < 0.6
    assert alpha[:10].max() == 0 and alpha[-10:].max() == 0
    # The eye whites are close to the backdrop colour but enclosed: they stay.
    assert kept[int(0.47 * rgba.shape[0]), rgba.shape[1] // 2]
