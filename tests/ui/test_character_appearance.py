"""The Appearance box in the character editor: headed lines in words, measurements an earlier
analyst stored kept but not shown, and edits saved back under the analyst's own keys."""

from __future__ import annotations

from avpe_desktop.ui.character_editor import appearance_text, parse_appearance

OFFLINE = {
    "body": "A tall, upright shape, noticeably taller than it is wide.",
    "colors": "Mostly dark teal, with cream and tan accents, in soft, dark tones.",
    "build": "tall",
    "primary_color": "dark teal",
    "expression": "Not judged from the image by the offline analyst — describe it here.",
}
EARLIER = {
    "primary_color": "teal",
    "palette": ["#2a6b6b", "#ece7dc"],
    "size_px": "640x768",
    "aspect_ratio": 0.833,
    "transparent_background": False,
    "distinctive_features": "a single tuft of hair",
}


def test_appearance_shows_headed_sentences_without_measurements() -> None:
    assert appearance_text(OFFLINE).splitlines() == [
        "Body: A tall, upright shape, noticeably taller than it is wide.",
        "Colours: Mostly dark teal, with cream and tan accents, in soft, dark tones.",
        "Build: tall",
        "Main colour: dark teal",
        "Expression: Not judged from the image by the offline analyst — describe it here.",
    ]
    shown = appearance_text(EARLIER)
    assert shown == "Main colour: teal\nDistinctive features: a single tuft of hair"
    assert "size_px" not in shown and "#2a6b6b" not in shown


def test_saving_untouched_keeps_everything_and_edits_go_back_to_their_keys() -> None:
    for original in (OFFLINE, EARLIER):
        assert parse_appearance(appearance_text(original), original) == original

    edited = appearance_text(OFFLINE).replace(
        "Expression: Not judged from the image by the offline analyst — describe it here.",
        "Expression: a permanent scowl that melts around cake",
    )
    parsed = parse_appearance(edited + "\nTail: short and stubby", OFFLINE)
    assert parsed["expression"] == "a permanent scowl that melts around cake"
    assert parsed["tail"] == "short and stubby"
    assert parsed["primary_color"] == "dark teal"
