from __future__ import annotations

import itertools

import pytest

from avpe_desktop.domain import Brief, CharacterDetails, Content, CreatureSound, Format
from avpe_desktop.engines.base import RequestError, ScriptWriter
from avpe_desktop.engines.local.scene import parse_description
from avpe_desktop.engines.local.script import (
    LocalScriptWriter,
    arc_phases,
    parse_idea,
    sound_profile,
    write_script,
)

FLOOF = CharacterDetails(physical_appearance={"build": "round", "primary_color": "soft pink"})


def brief(**changes: object) -> Brief:
    fields: dict[str, object] = {
        "idea": "Floof discovers a mysterious box",
        "character_name": "Floof",
        "num_segments": 7,
    }
    fields.update(changes)
    return Brief.model_validate(fields)


def sounds(content: Content) -> list[str]:
    return [
        s.sound if isinstance(s, CreatureSound) else s
        for seg in content.segments
        for s in seg.creature_sounds
    ]


def assert_chained(content: Content) -> None:
    for previous, following in zip(content.segments, content.segments[1:], strict=False):
        assert following.first_frame_description == previous.last_frame_description


def test_implements_protocol() -> None:
    assert isinstance(LocalScriptWriter(), ScriptWriter)


async def test_write_is_deterministic_for_a_brief_and_seed() -> None:
    writer = LocalScriptWriter()
    first = await writer.write(brief(seed=3), FLOOF)
    again = await writer.write(brief(seed=3), FLOOF)
    assert first == again


def test_varies_across_seeds_and_ideas() -> None:
    scripts = {write_script(brief(seed=s), FLOOF).to_seed_json() for s in range(6)}
    assert len(scripts) == 6
    other = write_script(brief(idea="Floof bakes a giant cake"), FLOOF)
    assert other.to_seed_json() != write_script(brief(), FLOOF).to_seed_json()
    assert "cake" in other.to_seed_json()


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 13, 20])
def test_segment_count_and_chain(count: int) -> None:
    content = write_script(brief(num_segments=count), FLOOF)
    assert [s.segment for s in content.segments] == list(range(1, count + 1))
    assert_chained(content)
    for segment in content.segments:
        assert segment.camera
        assert segment.creature_sounds
        assert segment.first_frame_description != segment.last_frame_description


def test_arc_phases_scale() -> None:
    assert arc_phases(1) == ["complete"]
    for count in range(4, 21):
        phases = arc_phases(count)
        assert len(phases) == count
        assert phases[0] == "setup" and phases[-1] == "resolution"
        assert "climax" in phases and "rising" in phases
        order = ["setup", "rising", "climax", "resolution"]
        assert [order.index(p) for p in phases] == sorted(order.index(p) for p in phases)


def test_title_from_idea() -> None:
    parts = parse_idea("Floof discovers a mysterious box in the attic", "Floof")
    assert (parts.thing, parts.topic, parts.deed) == (
        "the mysterious box",
        "mysterious box",
        "Discovery",
    )
    titles = {write_script(brief(seed=s), FLOOF).title for s in range(12)}
    assert "Floof's Mysterious Box Discovery" in titles
    assert all("Floof" in t and "Box" in t for t in titles)


def test_idea_without_a_verb_still_writes() -> None:
    content = write_script(brief(idea="a rainy afternoon", num_segments=3), FLOOF)
    assert len(content.segments) == 3


def test_descriptions_speak_the_painters_language() -> None:
    content = write_script(brief(num_segments=12, seed=1), FLOOF)
    specs = [parse_description(s.first_frame_description) for s in content.segments]
    specs.append(parse_description(content.segments[-1].last_frame_description))
    assert {s.framing for s in specs} >= {"wide", "close"}
    assert len({s.position for s in specs}) >= 2
    assert all(s.setting != "studio" for s in specs)
    assert len({s.time for s in specs}) >= 2
    for a, b in itertools.pairwise(specs):
        assert (a.framing, a.position) != (b.framing, b.position)


def test_setting_comes_from_the_idea() -> None:
    content = write_script(brief(idea="Floof builds a sandcastle at the beach"), FLOOF)
    assert parse_description(content.segments[0].first_frame_description).setting == "beach"


def test_formats_differ() -> None:
    scripts = {fmt: write_script(brief(format=fmt), FLOOF) for fmt in Format}
    assert len({c.title for c in scripts.values()}) == len(Format)
    assert len({c.segments[2].scene for c in scripts.values()}) == len(Format)
    assert all(c.format == fmt for fmt, c in scripts.items())
    story = scripts[Format.STORY]
    settings = {parse_description(s.last_frame_description).setting for s in story.segments}
    assert len(settings) == 2  # a story travels
    music = [
        parse_description(s.last_frame_description) for s in scripts[Format.MUSIC_VIDEO].segments
    ]
    assert all(s.time in ("sunset", "night") for s in music)


def test_dialogue_only_when_allowed() -> None:
    silent = write_script(brief(allow_dialogue=False), FLOOF)
    talky = write_script(brief(allow_dialogue=True), FLOOF)
    assert all(s.dialogue is None for s in silent.segments)
    assert all(s.dialogue for s in talky.segments)
    assert "dialogue" not in silent.to_seed_json()


def test_creature_language_shapes_sounds() -> None:
    soft = " ".join(sounds(write_script(brief(creature_language="Soft and High-Pitched"), FLOOF)))
    deep = " ".join(sounds(write_script(brief(creature_language="Deep and Rumbly"), FLOOF)))
    assert any(w in soft for w in ("squeak", "coo", "eep", "giggle", "mip"))
    assert any(w in deep for w in ("rumbl", "grumbl", "snort", "huff", "grunt", "hum", "groan"))
    assert not any(w in deep for w in ("squeak", "coo"))
    assert sound_profile("Robotic Beeps") == "robotic"
    assert sound_profile("bubbly underwater gurgles") == "bubbly"
    assert sound_profile("Klingon") == "soft"
    content = write_script(brief(creature_language="Klingon"), FLOOF)
    assert all(s.creature_sounds for s in content.segments)


def test_round_trips_through_seed_json() -> None:
    content = write_script(brief(allow_dialogue=True, num_segments=9), FLOOF)
    assert Content.from_seed_json(content.to_seed_json()) == content


@pytest.mark.parametrize("number", [1, 3, 5])
async def test_rewrite_keeps_the_chain(number: int) -> None:
    writer = LocalScriptWriter()
    b = brief(num_segments=5)
    content = await writer.write(b, FLOOF)
    new = await writer.rewrite_segment(b, FLOOF, content, number)
    old = content.segments[number - 1]
    assert new.segment == number
    assert (new.scene, new.action) != (old.scene, old.action)
    assert new.first_frame_description == old.first_frame_description
    if number < 5:
        assert new.last_frame_description == old.last_frame_description
    segments = list(content.segments)
    segments[number - 1] = new
    assert_chained(content.renumbered(segments))
    again = await writer.rewrite_segment(b, FLOOF, content, number)
    assert again == new


async def test_rewrite_rejects_a_missing_segment() -> None:
    content = write_script(brief(num_segments=2), FLOOF)
    with pytest.raises(RequestError):
        await LocalScriptWriter().rewrite_segment(brief(num_segments=2), FLOOF, content, 3)
