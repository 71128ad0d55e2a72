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
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, cast

from avpe_desktop.domain import Brief, CharacterDetails, Content, CreatureSound, Format, Segment
from avpe_desktop.domain.content import MAX_TITLE
from avpe_desktop.engines.base import RequestError
from avpe_desktop.engines.local.idea import IdeaParts, parse_idea
from avpe_desktop.engines.local.scene import (
    INDOOR_SETTINGS,
    Framing,
    Position,
    Setting,
    TimeOfDay,
    find_setting,
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
    "snow": (("in", "a snowy field"), ("out in", "a snowy field")),
    "underwater": (("at", "the bottom of the sea"), ("deep", "under the sea")),
    "desert": (("in", "the sandy desert"), ("among", "the sand dunes")),
}
# The set a story travels to from each: a shipwreck story goes ashore, not into a kitchen.
NEARBY: dict[str, tuple[str, ...]] = {
    "studio": ("room", "stage"),
    "room": ("kitchen", "bedroom", "garden"),
    "kitchen": ("room", "garden"),
    "bedroom": ("room", "garden"),
    "forest": ("mountain", "park", "garden"),
    "park": ("garden", "forest", "city"),
    "garden": ("park", "forest"),
    "beach": ("underwater", "city", "forest"),
    "city": ("park", "room", "stage"),
    "space": ("mountain", "desert"),
    "mountain": ("forest", "snow"),
    "stage": ("city", "room"),
    "snow": ("mountain", "forest"),
    "underwater": ("beach",),
    "desert": ("mountain", "beach"),
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
_FRAMINGS = "|".join(re.escape(p) for p in FRAMING_PHRASES.values())
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
_PROMPTS = resources.files("avpe_desktop").joinpath("resources", "prompts", "local")


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


_SMALL_WORDS = {"a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "with", "by"}


def _title_case(text: str, first: bool = True) -> str:
    """Capitals but for small words, which stay small except first (unless `first` is off)."""
    words = text.split()
    return " ".join(
        w
        if ((k or not first) and w.lower() in _SMALL_WORDS) or not w[:1].isalpha()
        else w[:1].upper() + w[1:]
        for k, w in enumerate(words)
    )


def _title(template: dict[str, Any], parts: IdeaParts, rng: random.Random) -> str:
    """A title from the idea's own words: what it is about, and where and in what weather
    when the topic leaves those out, so two ideas never share a generic title."""
    values = {
        "Name": parts.name,
        "Topic": _title_case(parts.topic),
        "Deed": parts.deed,
        "Idea": _title_case(parts.idea),
        "Extra": _title_extra(parts),
    }
    usable = [
        t
        for t in template["titles"]
        if all(values[key] for key in re.findall(r"\{(\w+)\}", t) if key != "Extra")
    ]
    chosen = rng.choice(usable) if usable else "{Name} {Idea}"
    title = " ".join(chosen.format(**values).split())
    return title[:MAX_TITLE]


def _title_extra(parts: IdeaParts) -> str:
    """ " at the Beach", " in the Rain": the idea's place and weather the topic leaves out."""
    topic = parts.topic.lower()
    extras: list[str] = []
    place = parts.place
    if place and topic not in place.phrase.lower() and place.phrase.lower() not in topic:
        extras.append(f"{place.preposition or _preposition(place.setting)} {place.phrase}")
    noun = parts.weather_noun
    if noun and noun not in topic and not any(noun in e for e in extras):
        extras.append(f"in the {noun}")
    return "".join(" " + _title_case(e, first=False) for e in extras)


def _preposition(setting: str | None) -> str:
    return PLACES[setting][0][0] if setting else "at"


@dataclass(frozen=True)
class Keyframe:
    """One moment of the script; its text is both one segment's last and the next's first."""

    setting: Setting
    time: TimeOfDay
    framing: Framing
    position: Position
    pose: str
    mood: str

    def describe(self, name: str, place: str, when: str, note: str = "", near: str = "") -> str:
        """`when` is the time (and weather), `note` follows the name, `near` the pose."""
        article = "an" if self.mood[0] in "aeiou" else "a"
        return (
            f"{FRAMING_PHRASES[self.framing]} {place}, {when}: {article} {self.mood} {name}{note} "
            f"{self.pose}{near}, {POSITION_PHRASES[self.position]}."
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
    filled = text.format(
        name=parts.name, thing=parts.thing, idea=parts.idea, doing=parts.doing, place=place
    )
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
    home: Setting
    places: dict[str, tuple[str, str]] = field(default_factory=dict)

    def place(self, setting: str) -> str:
        """Where, with its preposition; one wording per setting, so frames of a scene match."""
        return " ".join(self.wording(setting)).strip()

    def destination(self, setting: str) -> str:
        return self.wording(setting)[1]

    def wording(self, setting: str) -> tuple[str, str]:
        """The idea's own place for its setting ("at the night market"); a set the painter
        has no name for ("the old lighthouse") is followed by the nearest one it can draw."""
        if setting not in self.places:
            stock = self.rng.choice(PLACES[setting])
            idea_place = self.parts.place
            if idea_place is None or setting != self.home:
                self.places[setting] = stock
            elif idea_place.setting is None:
                where = f"{idea_place.phrase}, {' '.join(stock)}"
                self.places[setting] = (idea_place.preposition or "at", where)
            else:
                preposition = idea_place.preposition or _preposition(setting)
                self.places[setting] = (preposition, idea_place.phrase)
        return self.places[setting]

    def when(self, frame: Keyframe) -> str:
        """The time in the idea's words if it names one, and its weather, seen from indoors
        through the window."""
        parts = self.parts
        text = parts.time_phrase if parts.time else TIME_PHRASES[frame.time]
        noun = parts.weather_noun
        if (
            not noun
            or noun in self.place(frame.setting)
            or frame.setting in ("space", "underwater")
        ):
            return text
        if frame.setting in INDOOR_SETTINGS:
            return f"{text}, with the {noun} outside the window"
        return f"{text}, in the {noun}"

    def near(self, pose: str) -> str:
        """The idea's object beside the character when the pose leaves it out, so it stays in
        every frame (and the painter draws it where it can)."""
        thing = self.parts.thing
        return f", with {thing} close by" if self.parts.obj and thing not in pose else ""


def _plan(brief: Brief, salt: str = "") -> _Plan:
    rng = random.Random(stable_seed(brief.model_dump_json(), salt))
    parts = parse_idea(brief.idea, brief.character_name)
    template = load_template(brief.format)
    found = parts.place.setting if parts.place else None
    home = found or find_setting(brief.idea)
    if home is None:
        # The bundled templates list their settings by the painter's names.
        home = cast("Setting", rng.choice(template["settings"]))
    return _Plan(brief, parts, template, rng, home)


def _settings_for_frames(plan: _Plan, count: int) -> list[Setting]:
    template, rng, home = plan.template, plan.rng, plan.home
    changes = min(int(template["setting_changes"]), max(0, count - 2))
    others = [s for s in template["settings"] if s != home]
    rng.shuffle(others)
    nearby = [s for s in NEARBY[home] if s in others] or others
    sequence = [home, *nearby][: changes + 1]
    # Change setting during the rising action, never across the opening frame, and not before
    # half the script has been spent in the place the idea names.
    first_cut = max(2, count // 2 + 1) if plan.parts.place else 2
    changes = min(changes, count + 1 - first_cut)
    cuts = sorted(rng.sample(range(first_cut, count + 1), changes)) if changes else []
    result: list[Setting] = []
    current = 0
    for k in range(count + 1):
        if current < len(cuts) and k >= cuts[current]:
            current += 1
        result.append(sequence[min(current, len(sequence) - 1)])
    return result


def _times_for_frames(plan: _Plan, count: int) -> list[TimeOfDay]:
    fixed = plan.parts.time
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
        options = plan.template["beats"][phase]
        if k == 1:
            # The opening scene says what the idea is about; later beats may wander.
            options = [b for b in options if "{doing}" in b["scene"] or "{idea}" in b["scene"]]
        _, beat = _pick(plan.rng, options, used.setdefault(phase, set()))
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
        f.describe(
            plan.parts.name,
            plan.place(f.setting),
            plan.when(f),
            note if k == 0 else "",
            plan.near(f.pose),
        )
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


def _keep_place(plan: _Plan, frame: Keyframe, text: str) -> None:
    """Reuses the place as a frame already words it (what stands between the framing and the
    time), so a rewritten segment stays where it was."""
    time = re.escape(plan.parts.time_phrase or TIME_PHRASES[frame.time])
    found = re.match(rf"^(?:{_FRAMINGS}) ((\S+) (.+?)), {time}", text)
    if found is None:
        return
    stock = [p for p in PLACES[frame.setting] if " ".join(p) == found.group(1)]
    plan.places[frame.setting] = stock[0] if stock else (found.group(2), found.group(3))


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
    _keep_place(plan, first, first_text)
    if number < count:
        last_text = content.segments[number].first_frame_description
        last = _keyframe_from_text(last_text, beat["mood"])
        _keep_place(plan, last, last_text)
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
        last_text = last.describe(
            plan.parts.name, plan.place(last.setting), plan.when(last), near=plan.near(last.pose)
        )
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
