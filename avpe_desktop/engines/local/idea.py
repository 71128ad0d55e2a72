"""Reading a one-line idea ("Grumble visits a night market in the rain") into the parts the
offline writer carries through a script: the deed, its object, the place, the weather and the
time, each in the idea's own words.

A light grammar over a small lexicon: ideas are short and follow a few shapes (subject, verb,
object, prepositional phrases), and a wrong guess only makes a draft read less well, so a
parsing library and its downloads would not earn their place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from avpe_desktop.engines.local.scene import (
    Setting,
    TimeOfDay,
    Weather,
    find_place,
    time_word,
    weather_word,
)

_ARTICLES = {"a", "an", "the", "some", "his", "her", "their", "its", "my", "your", "this", "that"}
_PREPOSITIONS = {
    "in",
    "on",
    "at",
    "to",
    "into",
    "onto",
    "inside",
    "under",
    "underneath",
    "beneath",
    "near",
    "by",
    "through",
    "across",
    "around",
    "along",
    "behind",
    "over",
    "toward",
    "towards",
    "outside",
    "up",
    "down",
    "with",
    "for",
    "from",
    "during",
    "after",
    "before",
}
_CONJUNCTIONS = {"and", "but", "while", "when", "because", "until", "then", "so"}
# Where a place can be: "to the beach" is a trip, the frames show it "on the beach".
_LOCATIVE = {"in", "on", "at", "inside", "under", "underneath", "beneath", "near", "by"}
# How a frame shows where a motion happens: "across the desert" is a shot "in the desert".
_STATIC = {
    "through": "in",
    "across": "in",
    "around": "in",
    "along": "on",
    "up": "on",
    "down": "on",
    "over": "above",
    "from": "by",
    "behind": "behind",
}
_ADVERB_PLACES = {"underwater", "outside", "outdoors", "indoors", "upstairs", "downstairs"}
_PLACE_VERBS = {"visit", "explore", "tour", "enter", "leave", "reach"}
_BARE_PLACES = {"space", "outer space", "home", "town", "school"}
_IRREGULAR_BASES = {"has": "have", "is": "be", "does": "do", "goes": "go"}
_CATENATIVES = {
    "try",
    "want",
    "learn",
    "decide",
    "hope",
    "plan",
    "attempt",
    "need",
    "start",
    "begin",
    "love",
    "like",
    "get",
}
_IRREGULAR_GERUNDS = {"be": "being", "see": "seeing", "ski": "skiing", "lie": "lying"}
_DOUBLED_FINALS = {"swim", "shop", "skip", "stop", "plan", "chat", "drop", "trip", "grab", "spin"}
_NOMINALISED = {
    "discover": "Discovery",
    "find": "Find",
    "meet": "Meeting",
    "learn": "Lesson",
    "bake": "Bake-Off",
    "go": "Trip",
    "visit": "Visit",
    "explore": "Exploration",
    "build": "Build",
    "make": "Creation",
    "lose": "Mishap",
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
    "eat": "Snack",
    "open": "Unboxing",
    "save": "Rescue",
    "rescue": "Rescue",
    "hide": "Hideout",
    "climb": "Climb",
    "travel": "Journey",
    "ride": "Ride",
    "swim": "Swim",
    "race": "Race",
    "fly": "Flight",
    "paint": "Masterpiece",
    "draw": "Drawing",
    "shop": "Shopping Trip",
    "skate": "Skate",
    "ski": "Ski Day",
    "dive": "Dive",
    "camp": "Camping Trip",
    "hike": "Hike",
    "sail": "Voyage",
    "help": "Good Deed",
    "have": "Day",
    "be": "Day",
    "grow": "Harvest",
    "plant": "Planting",
    "wash": "Bath Time",
    "clean": "Clean-Up",
    "take": "Outing",
    "watch": "Watch",
    "throw": "Party",
    "host": "Party",
    "walk": "Walk",
    "run": "Run",
    "deliver": "Delivery",
    "adopt": "New Friend",
    "feed": "Feeding Time",
}


@dataclass(frozen=True)
class Place:
    """Where the idea happens, in its words: the preposition the frames use and the phrase."""

    preposition: str
    phrase: str
    setting: Setting | None


@dataclass(frozen=True)
class IdeaParts:
    """The pieces of a one-line idea the templates need.

    `thing` is what the beats act on ("the giant cake"): the idea's object, else its place
    or weather, so "plays in the snow" still gives the beats something to be about.
    """

    name: str
    idea: str
    thing: str
    doing: str
    deed: str
    topic: str
    obj: str = ""
    place: Place | None = None
    weather: Weather | None = None
    weather_noun: str = ""
    time: TimeOfDay | None = None
    time_phrase: str = ""


@dataclass(frozen=True)
class _Chunk:
    """A run of words between prepositions: "at", "the night market"."""

    preposition: str
    words: tuple[str, ...]

    @property
    def phrase(self) -> str:
        return " ".join(self.words)

    @property
    def bare(self) -> str:
        article = bool(self.words) and self.words[0].lower() in _ARTICLES
        words = self.words[1:] if article else self.words
        return " ".join(words)


def verb_base(verb: str) -> str:
    """ "bakes" -> "bake", "tries" -> "try", "watches" -> "watch"; "" if not a verb form."""
    if verb in _IRREGULAR_BASES:
        return _IRREGULAR_BASES[verb]
    if not verb.endswith("s") or len(verb) <= 3 or verb.endswith("ss"):
        return ""
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("ches", "shes", "sses", "xes", "zzes", "oes")):
        return verb[:-2]
    return verb[:-1]


def gerund(base: str) -> str:
    """ "bake" -> "baking", "swim" -> "swimming", "visit" -> "visiting"."""
    if base in _IRREGULAR_GERUNDS:
        return _IRREGULAR_GERUNDS[base]
    if base.endswith("ie"):
        return base[:-2] + "ying"
    if base.endswith("e") and not base.endswith(("ee", "ye", "oe")):
        return base[:-1] + "ing"
    vowels = "aeiou"
    short = len(base) == 3 and base[0] not in vowels and base[1] in vowels
    if (short and base[2] not in "wxy" + vowels) or base in _DOUBLED_FINALS:
        return base + base[-1] + "ing"
    return base + "ing"


def _tokens(text: str, name: str) -> list[str]:
    words = [re.sub(r"[^\w'-]", "", w) for w in text.split()]
    words = [w for w in words if w]
    if words and words[0].lower().removesuffix("'s").removesuffix("’s") == name.lower():
        words = words[1:]
    if words and words[0].lower() in ("and", "with"):
        words = words[1:]
    return words


def _chunks(words: list[str]) -> list[_Chunk]:
    """Splits the words after the verb at prepositions and conjunctions."""
    chunks: list[_Chunk] = []
    preposition = ""
    current: list[str] = []
    for word in words:
        lowered = word.lower()
        if lowered in _ADVERB_PLACES:
            chunks += [_Chunk(preposition, tuple(current)), _Chunk("", (lowered,))]
            preposition, current = "", []
        elif lowered in _PREPOSITIONS or lowered in _CONJUNCTIONS:
            chunks.append(_Chunk(preposition, tuple(current)))
            preposition = "" if lowered in _CONJUNCTIONS else lowered
            current = []
        else:
            current.append(word)
    chunks.append(_Chunk(preposition, tuple(current)))
    return [c for c in chunks if c.words]


def _verb(words: list[str]) -> tuple[str, int]:
    """The main verb's base and the index after it: "tries to bake a cake" -> bake."""
    if not words:
        return "", 0
    base = verb_base(words[0].lower())
    if not base:
        return "", 0
    rest = [w.lower() for w in words[1:3]]
    if base in _CATENATIVES and len(rest) == 2 and rest[0] == "to":
        return rest[1], 3
    if base == "go" and rest and rest[0].endswith("ing") and len(rest[0]) > 4:
        stem = rest[0][:-3]
        known = {gerund(stem + "e"): stem + "e", gerund(stem): stem, gerund(stem[:-1]): stem[:-1]}
        return known.get(rest[0], stem), 2
    return base, 1


def _place(chunks: list[_Chunk], direct: _Chunk | None, base: str) -> Place | None:
    """The first chunk that names a known place ("in the snow", "a shipwreck"); else the
    first after a place preposition, or what a visit is to, even if no set is drawn for it."""
    named = [c for c in chunks if find_place(c.phrase)]
    # "builds a spaceship in the garden" happens in the garden; "explores a shipwreck" at it.
    named.sort(key=lambda c: (c.preposition == "") != (base in _PLACE_VERBS))
    if named:
        return _as_place(named[0])
    located = [
        c
        for c in chunks
        if c.preposition in _LOCATIVE | _STATIC.keys() | {"to", "into", "onto"}
        and not time_word(c.phrase)
        and not _is_weather(c)
    ]
    if direct is not None and base in _PLACE_VERBS:
        located.insert(0, direct)
    return _as_place(located[0]) if located else None


def _as_place(chunk: _Chunk) -> Place:
    bare = chunk.bare.lower()
    if chunk.phrase in _ADVERB_PLACES:
        return Place("", chunk.phrase, find_place(chunk.phrase))
    phrase = bare if bare in _BARE_PLACES else "the " + chunk.bare
    # A visit's object is a place one is at; a trip "to" one says nothing of how it is framed.
    preposition = _STATIC.get(chunk.preposition, chunk.preposition or "at")
    preposition = preposition if preposition in _LOCATIVE | set(_STATIC.values()) else ""
    return Place(preposition, phrase, find_place(chunk.phrase))


def _is_weather(chunk: _Chunk) -> bool:
    found = weather_word(chunk.phrase)
    return found is not None and len(chunk.bare.split()) <= 2


def parse_idea(idea: str, name: str) -> IdeaParts:
    """ "Grumble visits a night market in the rain" -> deed "Visit", place "at the night
    market", weather "rain". Best effort: any idea works, a well-formed one reads better."""
    text = " ".join(idea.strip().rstrip(".!?").split())
    words = _tokens(text, name)
    rest = " ".join(words)
    lowered_idea = rest[:1].lower() + rest[1:] if rest else "has a big day"
    base, start = _verb(words)
    chunks = _chunks(words[start:] if base else words)
    direct = chunks[0] if base and chunks and not chunks[0].preposition else None
    place = _place(chunks, direct, base)
    spot = place.phrase if place else ""
    adverb = next((c.phrase for c in chunks if c.phrase in _ADVERB_PLACES), "")
    if place is not None and adverb and adverb != place.phrase:
        place = Place(place.preposition, f"{place.phrase} {adverb}", place.setting)
    objects = [
        c
        for c in chunks
        if c.preposition in ("", "with", "for")
        and c.phrase not in _ADVERB_PLACES
        and not find_place(c.phrase)
        and not time_word(c.phrase)
        and not _is_weather(c)
    ]
    obj = objects[0].bare if objects else ""
    weather = weather_word(text)
    time = time_word(text)
    weather_noun = _weather_noun(weather[1]) if weather else ""
    loose = " ".join(w for w in words if w.lower() not in _ARTICLES)
    thing = f"the {obj}" if obj else spot or f"the {weather_noun or 'day'}"
    topic = (obj or spot.removeprefix("the ") or weather_noun) if base else loose
    doing = " ".join([gerund(base), *words[start:]]) if base else f"enjoying {rest}"
    if base == "go" and words[start : start + 1] == ["to"]:
        doing = " ".join(["enjoying", *words[start + 1 :]])
    return IdeaParts(
        name=name,
        idea=lowered_idea,
        thing=thing,
        doing=doing if rest else "having a big day",
        deed=_NOMINALISED.get(base, "Adventure") if base else "",
        topic=topic,
        obj=obj,
        place=place,
        weather=weather[0] if weather else None,
        weather_noun=weather_noun,
        time=time[0] if time else None,
        time_phrase=_time_phrase(time[1]) if time else "",
    )


def _weather_noun(word: str) -> str:
    """ "rainy" -> "rain", "snowing" -> "snow", "thunderstorm" stays."""
    for suffix in ("ing", "y", "s"):
        if word.endswith(suffix) and word[: -len(suffix)] in ("rain", "snow", "storm"):
            return word[: -len(suffix)]
    return word


_TIME_PHRASES = {
    "day": "in bright daylight",
    "daylight": "in bright daylight",
    "sunny": "in the sunshine",
    "sunshine": "in the sunshine",
    "moonlight": "by moonlight",
    "moonlit": "by moonlight",
    "starry": "under a starry sky",
    "morning": "in the morning",
    "afternoon": "in the afternoon",
    "evening": "in the evening",
}


def _time_phrase(word: str) -> str:
    """The idea's own time words as a phrase a frame can carry: "at dawn", "in the evening"."""
    return _TIME_PHRASES.get(word, f"at {word}")
