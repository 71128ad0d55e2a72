"""The offline script writer: format templates filled from the brief, with a story arc,
chained keyframe descriptions and creature sounds shaped by the creature language.

A script is built as N+1 keyframes and N segments between them: segment i runs from keyframe
i-1 to keyframe i, so a segment's first frame is, word for word, the previous segment's last.
The keyframe texts use the painter's vocabulary (`scene.py`), so offline drafts show what the
script says.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, cast

from avpe_desktop.domain import Brief, CharacterDetails, Content, CreatureSound, Format, Segment
from avpe_desktop.engines.base import RequestError
from avpe_desktop.engines.local.scene import (
    Framing,
    Position,
    Setting,
    TimeOfDay,
    find_setting,
    find_time,
    parse_description,
)

# (preposition, place): the painter needs the place noun, a move needs it without "in".
PLACES: dict[str, tuple[tuple[str, str], ...]] = {
    "studio": (("in", "a bright studio"), ("in", "a clean white studio")),
    "room": (("in", "a cosy living room"), ("in", "a tidy living room")),
    "kitchen": (("in", "a cosy kitchen"), ("in", "a cluttered little kitchen")),
    "bedroom": (("in", "a cosy bedroom"), ("in", "a pastel bedroom")),
    "forest": (("in", "a quiet forest"), ("deep in", "an old forest")),
    "park": (("in", "a leafy park"), ("in", "a green park")),
    "garden": (("in", "a blooming garden"), ("in", "a cottage garden")),
    "beach": (("on", "a sandy beach"), ("on", "a quiet beach")),
    "city": (("on", "a busy city street"), ("on", "a quiet city street")),
    "space": (("in", "outer space"), ("on", "a tiny moon in outer space")),
    "mountain": (("on", "a mountain meadow"), ("high on", "a mountain pass")),
    "stage": (("on", "a concert stage"), ("on", "a glittering stage")),
}
TIME_PHRASES: dict[str, str] = {
    "morning": "in soft morning light",
    "day": "in bright daylight",
    "sunset": "at golden sunset",
    "night": "at night",
}
FRAMING_PHRASES: dict[str, str] = {
    "close": "Close-up",
    "medium": "Medium shot",
    "wide": "Wide shot",
}
POSITION_PHRASES: dict[str, str] = {
    "left": "on the left of the frame",
    "center": "in the centre of the frame",
    "right": "on the right of the frame",
}
_FRAMING_ORDER = {"wide": 0, "medium": 1, "close": 2}
_STILL_CAMERAS = (
    "static shot at eye level",
    "slow orbit around {name}",
    "low-angle shot, gentle handheld sway",
    "slow pan across the scene",
    "steady shot with a subtle zoom",
)
_EMOTION_GROUPS = {
    "excited": "happy",
    "proud": "happy",
    "triumphant": "happy",
}
_NOMINALISED = {
    "discover": "Discovery",
    "find": "Find",
    "meet": "Meeting",
    "learn": "Lesson",
    "try": "Attempt",
    "bake": "Bake-Off",
    "go": "Trip",
    "visit": "Visit",
    "explore": "Exploration",
    "build": "Creation",
    "make": "Creation",
    "lose": "Lost Treasure",
    "plan": "Plan",
    "play": "Playtime",
    "sing": "Song",
    "dance": "Dance",
    "search": "Search",
    "escape": "Escape",
    "win": "Victory",
    "celebrate": "Celebration",
    "fix": "Fix",
    "chase": "Chase",
    "catch": "Catch",
    "cook": "Feast",
    "wait": "Wait",
    "get": "Surprise",
    "eat": "Snack",
    "open": "Unboxing",
    "save": "Rescue",
    "rescue": "Rescue",
    "hide": "Hideout",
    "climb": "Climb",
    "travel": "Journey",
}
_STOP_AT = {
    "in",
    "on",
    "at",
    "with",
    "from",
    "to",
    "for",
    "under",
    "into",
    "near",
    "behind",
    "during",
    "while",
    "and",
    "but",
    "because",
    "after",
    "before",
    "inside",
    "by",
}
_PROMPTS = resources.files("avpe_desktop").joinpath("resources", "prompts", "local")
_ARTICLES = {"a", "an", "the", "some", "his", "her", "their", "its", "my", "your"}


@cache
def load_template(fmt: Format) -> dict[str, Any]:
    text = _PROMPTS.joinpath(f"{fmt.value}.json").read_text(encoding="utf-8")
    return cast("dict[str, Any]", json.loads(text))  # each bundled template is one JSON object


@cache
def _languages() -> dict[str, Any]:
    text = _PROMPTS.joinpath("creature_languages.json").read_text(encoding="utf-8")
    return cast("dict[str, Any]", json.loads(text))  # the bundled table is one JSON object


def sound_profile(language: str) -> str:
    """The profile whose keywords best match the language's name ("Deep and Rumbly" ->
    deep); languages no one planned for fall back to the default rather than failing."""
    table = _languages()
    lowered = language.lower()
    scores = {
        name: sum(1 for kw in profile["keywords"] if kw in lowered)
        for name, profile in table["profiles"].items()
    }
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] > 0 else str(table["default"])


def stable_seed(*parts: str) -> int:
    """hash() is salted per process; a script must be the same tomorrow as today."""
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


@dataclass(frozen=True)
class IdeaParts:
    """The pieces of a one-line idea the templates need."""

    name: str
    idea: str
    thing: str
    noun: str
    adjective: str
    deed: str


def parse_idea(idea: str, name: str) -> IdeaParts:
    """ "Floof discovers a mysterious box" -> idea "discovers a mysterious box", thing "the
    mysterious box", adjective "Mysterious", deed "Discovery". Best effort: any idea works,
    a well-formed one just reads better."""
    text = " ".join(idea.strip().rstrip(".!?").split())
    words = text.split(" ")
    first = words[0].lower().removesuffix("'s").removesuffix("’s") if words else ""
    if first == name.lower() and len(words) > 1:
        words = words[1:]
    rest = " ".join(words)
    verb = words[0].lower()
    base = _verb_base(verb) if verb.endswith("s") and len(verb) > 3 else ""
    obj_words: list[str] = []
    for word in words[1:] if base else []:
        if word.lower() in _STOP_AT:
            break
        obj_words.append(re.sub(r"[^\w'-]", "", word))
    obj_words = [w for w in obj_words if w]
    if obj_words and obj_words[0].lower() in _ARTICLES:
        obj_words = obj_words[1:]
    if not obj_words:
        return IdeaParts(
            name,
            rest[0].lower() + rest[1:] if rest else "has a big day",
            "the surprise",
            "Surprise",
            "",
            "Big Day",
        )
    noun = obj_words[-1]
    adjective = obj_words[-2] if len(obj_words) > 1 else ""
    deed = _NOMINALISED.get(base, "Adventure")
    return IdeaParts(
        name=name,
        idea=rest[0].lower() + rest[1:],
        thing="the " + " ".join(obj_words),
        noun=noun.title(),
        adjective=adjective.title(),
        deed=deed,
    )


def _verb_base(verb: str) -> str:
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("ches", "shes", "sses", "xes", "oes")):
        return verb[:-2]
    return verb[:-1]


_SMALL_WORDS = {"a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "with", "by"}


def _title_case(text: str) -> str:
    words = text.split()
    return " ".join(
        w if (k and w.lower() in _SMALL_WORDS) or not w[:1].isalpha() else w[:1].upper() + w[1:]
        for k, w in enumerate(words)
    )


def _title(template: dict[str, Any], parts: IdeaParts, rng: random.Random) -> str:
    values = {
        "Name": parts.name,
        "Noun": parts.noun,
        "Adjective": parts.adjective,
        "Deed": parts.deed,
        "Idea": _title_case(parts.idea),
    }
    usable = [
        t for t in template["titles"] if all(values[key] for key in re.findall(r"\{(\w+)\}", t))
    ]
    chosen = rng.choice(usable) if usable else "{Name}'s {Deed}"
    title = " ".join(chosen.format(**values).split())
    return title[:200]


@dataclass(frozen=True)
class Keyframe:
    """One moment of the script; its text is both one segment's last and the next's first."""

    setting: Setting
    time: TimeOfDay
    framing: Framing
    position: Position
    pose: str
    mood: str

    def describe(self, name: str, place: str, note: str = "") -> str:
        article = "an" if self.mood[0] in "aeiou" else "a"
        return (
            f"{FRAMING_PHRASES[self.framing]} {place}, {TIME_PHRASES[self.time]}: "
            f"{article} {self.mood} {name}{note} {self.pose}, {POSITION_PHRASES[self.position]}."
        )


def arc_phases(count: int) -> list[str]:
    """Setup, rising action, climax and resolution, scaled to the number of segments."""
    if count == 1:
        return ["complete"]
    if count == 2:
        return ["setup", "climax"]
    if count == 3:
        return ["setup", "climax", "resolution"]
    setup = max(1, round(count * 0.2))
    resolution = max(1, round(count * 0.15))
    climax = 1 if count < 10 else 2
    rising = count - setup - resolution - climax
    return (
        ["setup"] * setup + ["rising"] * rising + ["climax"] * climax + ["resolution"] * resolution
    )


def _fill(text: str, parts: IdeaParts, place: str = "", capital: bool = True) -> str:
    filled = text.format(name=parts.name, thing=parts.thing, idea=parts.idea, place=place)
    return filled[:1].upper() + filled[1:] if capital else filled


def _pick(rng: random.Random, options: list[Any], used: set[int]) -> tuple[int, Any]:
    """A template not used yet in this script, until all have been used once."""
    fresh = [i for i in range(len(options)) if i not in used] or list(range(len(options)))
    index = rng.choice(fresh)
    used.add(index)
    return index, options[index]


def _frame_plan(
    phase: str, rng: random.Random, previous: Keyframe | None
) -> tuple[Framing, Position]:
    """Framing follows the arc (establish wide, climax close); each keyframe differs from the
    last in framing or position, so every clip has some movement to interpolate."""
    if previous is None:
        framing: Framing = "wide" if rng.random() < 0.7 else "medium"
    elif phase == "climax" and rng.random() < 0.7:
        framing = "close"
    elif phase == "resolution" and rng.random() < 0.5:
        framing = "wide"
    else:
        framings: list[Framing] = ["wide", "medium", "close"]
        framing = rng.choices(framings, weights=[3, 5, 3])[0]
    positions: list[Position] = ["left", "center", "right"]
    position = rng.choice(positions)
    if previous and previous.framing == framing and previous.position == position:
        position = rng.choice([p for p in positions if p != position])
    return framing, position


def _camera(first: Keyframe, last: Keyframe, name: str, rng: random.Random) -> str:
    moves: list[str] = []
    change = _FRAMING_ORDER[last.framing] - _FRAMING_ORDER[first.framing]
    if change > 0:
        moves.append(
            f"slow push-in from a {FRAMING_PHRASES[first.framing].lower()} "
            f"to a {FRAMING_PHRASES[last.framing].lower()}"
        )
    elif change < 0:
        moves.append(f"pull back to a {FRAMING_PHRASES[last.framing].lower()}")
    if first.position != last.position:
        moves.append(f"tracking {name} from {first.position} to {last.position}")
    if not moves:
        moves.append(rng.choice(_STILL_CAMERAS).format(name=name))
    text = ", ".join(moves)
    return text[:1].upper() + text[1:]


def _sounds(profile: str, moods: tuple[str, str], rng: random.Random) -> list[CreatureSound]:
    sounds = _languages()["profiles"][profile]["sounds"]
    result: list[CreatureSound] = []
    for timing, mood in zip(("start", "end"), moods, strict=True):
        emotion = _EMOTION_GROUPS.get(mood, mood)
        options = [
            o for o in sounds.get(emotion, sounds["curious"]) if all(o != r.sound for r in result)
        ]
        result.append(CreatureSound(sound=rng.choice(options), timing=timing, emotion=mood))
    return result


def _appearance_note(character: CharacterDetails) -> str:
    """ ", the round soft-pink creature," on the establishing frame, when the analyst knows."""
    look = character.physical_appearance
    build, colour = look.get("build"), look.get("primary_color")
    if isinstance(build, str) and isinstance(colour, str) and build and colour:
        return f", the {build} {colour.replace(' ', '-')} creature,"
    return ""


@dataclass
class _Plan:
    """Everything about a script that is decided before any text is written."""

    brief: Brief
    parts: IdeaParts
    template: dict[str, Any]
    rng: random.Random
    places: dict[str, tuple[str, str]]

    def place(self, setting: str) -> str:
        """Where, with its preposition; one wording per setting, so frames of a scene match."""
        return " ".join(self.wording(setting))

    def destination(self, setting: str) -> str:
        return self.wording(setting)[1]

    def wording(self, setting: str) -> tuple[str, str]:
        if setting not in self.places:
            self.places[setting] = self.rng.choice(PLACES[setting])
        return self.places[setting]


def _plan(brief: Brief, salt: str = "") -> _Plan:
    rng = random.Random(stable_seed(brief.model_dump_json(), salt))
    return _Plan(
        brief, parse_idea(brief.idea, brief.character_name), load_template(brief.format), rng, {}
    )


def _settings_for_frames(plan: _Plan, count: int) -> list[Setting]:
    template, rng = plan.template, plan.rng
    home = find_setting(plan.brief.idea) or rng.choice(template["settings"])
    changes = min(int(template["setting_changes"]), max(0, count - 2))
    others = [s for s in template["settings"] if s != home]
    rng.shuffle(others)
    sequence = [home, *others][: changes + 1]
    # Change setting during the rising action, never across the opening frame.
    cuts = sorted(rng.sample(range(2, count + 1), changes)) if changes else []
    result: list[Setting] = []
    current = 0
    for k in range(count + 1):
        if current < len(cuts) and k >= cuts[current]:
            current += 1
        result.append(sequence[min(current, len(sequence) - 1)])
    return result


def _times_for_frames(plan: _Plan, count: int) -> list[TimeOfDay]:
    fixed = find_time(plan.brief.idea)
    if fixed:
        return [fixed] * (count + 1)
    times = plan.template["times"]
    return [times[min(len(times) - 1, k * len(times) // (count + 1))] for k in range(count + 1)]


def _segment(
    plan: _Plan,
    number: int,
    beat: dict[str, Any],
    first: Keyframe,
    last: Keyframe,
    first_text: str,
    last_text: str,
) -> Segment:
    parts, brief, rng = plan.parts, plan.brief, plan.rng
    action = _fill(beat["action"], parts)
    if first.setting != last.setting:
        action += ". " + _fill(plan.template["move"], parts, plan.destination(last.setting))
    return Segment(
        segment=number,
        first_frame_description=first_text,
        last_frame_description=last_text,
        scene=_fill(beat["scene"], parts),
        action=action,
        creature_sounds=list(
            _sounds(sound_profile(brief.creature_language), (first.mood, last.mood), rng)
        ),
        camera=_camera(first, last, parts.name, rng),
        dialogue=_fill(beat["line"], parts) if brief.allow_dialogue else None,
    )


def write_script(brief: Brief, character: CharacterDetails) -> Content:
    """Synchronous and cheap; the async writer just calls it."""
    plan = _plan(brief)
    count = brief.num_segments
    phases = arc_phases(count)
    settings = _settings_for_frames(plan, count)
    times = _times_for_frames(plan, count)
    opening = plan.rng.choice(plan.template["opening"])
    framing, position = _frame_plan("setup", plan.rng, None)
    frames = [
        Keyframe(
            settings[0],
            times[0],
            framing,
            position,
            _fill(opening["pose"], plan.parts, capital=False),
            opening["mood"],
        )
    ]
    beats: list[dict[str, Any]] = []
    used: dict[str, set[int]] = {}
    for k, phase in enumerate(phases, start=1):
        _, beat = _pick(plan.rng, plan.template["beats"][phase], used.setdefault(phase, set()))
        framing, position = _frame_plan(phase, plan.rng, frames[-1])
        frames.append(
            Keyframe(
                settings[k],
                times[k],
                framing,
                position,
                _fill(beat["pose"], plan.parts, capital=False),
                beat["mood"],
            )
        )
        beats.append(beat)
    note = _appearance_note(character)
    texts = [
        f.describe(plan.parts.name, plan.place(f.setting), note if k == 0 else "")
        for k, f in enumerate(frames)
    ]
    segments = [
        _segment(plan, i, beats[i - 1], frames[i - 1], frames[i], texts[i - 1], texts[i])
        for i in range(1, count + 1)
    ]
    return Content(
        title=_title(plan.template, plan.parts, plan.rng), segments=segments, format=brief.format
    )


def _keyframe_from_text(text: str, default_mood: str) -> Keyframe:
    """Reads back a keyframe this writer (or a creator, loosely) wrote."""
    spec = parse_description(text)
    found = re.search(r":\s+an?\s+([a-z]+)\s", text)
    mood = found.group(1) if found else default_mood
    return Keyframe(spec.setting, spec.time, spec.framing, spec.position, "", mood)


def rewrite(brief: Brief, character: CharacterDetails, content: Content, number: int) -> Segment:
    """A different take on segment `number`. Its first frame and (unless it is the last
    segment) its last frame stay as they are, so the neighbours and any keyframes already
    painted stay valid; the scene, action, camera, sounds and dialogue change."""
    if not 1 <= number <= len(content.segments):
        raise RequestError(f"There is no segment {number} in this script.")
    current = content.segments[number - 1]
    plan = _plan(brief, salt=f"rewrite|{number}|{current.model_dump_json()}")
    count = len(content.segments)
    phase = arc_phases(count)[number - 1]
    options = plan.template["beats"][phase]
    taken = {i for i, b in enumerate(options) if _fill(b["scene"], plan.parts) == current.scene}
    _, beat = _pick(plan.rng, options, taken)
    first_text = (
        content.segments[number - 2].last_frame_description
        if number > 1
        else current.first_frame_description
    )
    first = _keyframe_from_text(first_text, "calm")
    plan.places[first.setting] = next(
        (p for p in PLACES[first.setting] if " ".join(p) in first_text), plan.wording(first.setting)
    )
    if number < count:
        last_text = content.segments[number].first_frame_description
        last = _keyframe_from_text(last_text, beat["mood"])
    else:
        framing, position = _frame_plan(phase, plan.rng, first)
        last = Keyframe(
            first.setting,
            first.time,
            framing,
            position,
            _fill(beat["pose"], plan.parts, capital=False),
            beat["mood"],
        )
        last_text = last.describe(plan.parts.name, plan.place(last.setting))
    segment = _segment(plan, number, beat, first, last, first_text, last_text)
    return segment.model_copy(update={"duration": current.duration})


class LocalScriptWriter:
    """ScriptWriter for the offline engine: templates, no model, milliseconds per script."""

    async def write(self, brief: Brief, character: CharacterDetails) -> Content:
        return write_script(brief, character)

    async def rewrite_segment(
        self, brief: Brief, character: CharacterDetails, content: Content, number: int
    ) -> Segment:
        return rewrite(brief, character, content, number)
