"""The words the offline painter understands, and the parser that turns a frame description
into a scene spec.

The script writer builds its descriptions from the same tables, so whatever it writes the
painter can draw: the vocabulary is the contract between the two.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

Setting = Literal[
    "studio",
    "room",
    "kitchen",
    "bedroom",
    "forest",
    "park",
    "garden",
    "beach",
    "city",
    "space",
    "mountain",
    "stage",
    "snow",
    "underwater",
    "desert",
]
TimeOfDay = Literal["morning", "day", "sunset", "night"]
Framing = Literal["close", "medium", "wide"]
Position = Literal["left", "center", "right"]
Mood = Literal["happy", "calm", "tense", "sad", "mysterious", "neutral"]
Weather = Literal["clear", "rain", "snow"]

INDOOR_SETTINGS: frozenset[str] = frozenset({"studio", "room", "kitchen", "bedroom", "stage"})

# Place nouns outrank associated words, so "holding a cake on the beach" is still a beach.
_SETTING_WORDS: dict[Setting, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "studio": (("studio", "backdrop", "photo shoot"), ()),
    "room": (
        (
            "living room",
            "room",
            "lounge",
            "home",
            "house",
            "indoors",
            "apartment",
            "library",
            "museum",
            "school",
            "classroom",
            "office",
            "attic",
            "basement",
            "castle",
            "hospital",
        ),
        ("sofa", "couch", "armchair", "carpet", "tv", "television"),
    ),
    "kitchen": (
        ("kitchen", "bakery", "restaurant", "diner"),
        (
            "bake",
            "bakes",
            "baking",
            "baked",
            "cook",
            "cooks",
            "cooking",
            "cake",
            "cookie",
            "cookies",
            "oven",
            "pancake",
            "pancakes",
            "fridge",
            "snack",
            "breakfast",
            "recipe",
        ),
    ),
    "bedroom": (
        ("bedroom", "nursery"),
        (
            "bed",
            "sleep",
            "sleeps",
            "sleeping",
            "pillow",
            "dream",
            "dreams",
            "blanket",
            "nap",
            "pajamas",
            "bedtime",
        ),
    ),
    "forest": (
        ("forest", "woods", "woodland", "jungle", "grove", "campsite", "rainforest"),
        (
            "tree",
            "trees",
            "treehouse",
            "mushroom",
            "mushrooms",
            "trail",
            "acorn",
            "owl",
            "campfire",
            "camping",
            "tent",
        ),
    ),
    "park": (
        (
            "park",
            "playground",
            "meadow",
            "zoo",
            "funfair",
            "fairground",
            "amusement park",
            "lake",
            "river",
            "riverbank",
            "farm",
            "field",
        ),
        ("picnic", "kite", "bench", "swing", "frisbee", "pond", "duck", "ducks"),
    ),
    "garden": (
        ("garden", "backyard", "greenhouse", "orchard", "allotment"),
        (
            "flower",
            "flowers",
            "seed",
            "seeds",
            "plant",
            "plants",
            "bloom",
            "blooms",
            "vegetable",
            "vegetables",
            "butterfly",
            "butterflies",
            "watering can",
        ),
    ),
    "beach": (
        ("beach", "ocean", "sea", "seaside", "shore", "coast", "island", "harbour", "harbor"),
        (
            "sand",
            "sandcastle",
            "wave",
            "waves",
            "shell",
            "seashell",
            "surf",
            "surfing",
            "swim",
            "swimming",
            "crab",
        ),
    ),
    "city": (
        (
            "city",
            "street",
            "town",
            "downtown",
            "rooftop",
            "alley",
            "market",
            "night market",
            "station",
            "train station",
            "airport",
            "mall",
        ),
        ("taxi", "traffic", "shop", "shopping", "cafe", "skyscraper", "bus", "subway"),
    ),
    "space": (
        ("space", "outer space", "galaxy", "orbit", "moon base", "spaceship"),
        ("rocket", "astronaut", "alien", "aliens", "planet", "comet", "cosmos", "night sky", "ufo"),
    ),
    "mountain": (
        ("mountain", "mountains", "peak", "summit", "cliff", "valley", "hills", "cave", "volcano"),
        ("hike", "hiking", "climb", "climbs", "climbing", "yeti"),
    ),
    "stage": (
        (
            "stage",
            "concert",
            "theater",
            "theatre",
            "spotlight",
            "disco",
            "club",
            "circus",
            "talent show",
        ),
        (
            "sing",
            "sings",
            "singing",
            "song",
            "dance",
            "dances",
            "dancing",
            "guitar",
            "microphone",
            "music",
            "band",
            "karaoke",
            "drum",
            "drums",
        ),
    ),
    "snow": (
        (
            "snowfield",
            "snowy field",
            "snow",
            "north pole",
            "south pole",
            "arctic",
            "antarctica",
            "tundra",
            "ski slope",
            "ice rink",
            "frozen lake",
        ),
        (
            "snowy",
            "snowman",
            "snowball",
            "snowballs",
            "snowflake",
            "snowflakes",
            "sled",
            "sledge",
            "sledding",
            "ski",
            "skis",
            "skiing",
            "skate",
            "skates",
            "skating",
            "igloo",
            "penguin",
            "penguins",
            "winter",
            "blizzard",
        ),
    ),
    "underwater": (
        (
            "underwater",
            "under the sea",
            "undersea",
            "seabed",
            "sea floor",
            "ocean floor",
            "bottom of the sea",
            "bottom of the ocean",
            "deep sea",
            "reef",
            "coral reef",
            "shipwreck",
            "sunken ship",
        ),
        (
            "submarine",
            "scuba",
            "snorkel",
            "snorkelling",
            "snorkeling",
            "dive",
            "dives",
            "diving",
            "mermaid",
            "octopus",
            "jellyfish",
            "coral",
            "seaweed",
            "fish",
        ),
    ),
    "desert": (
        ("desert", "dunes", "sand dunes", "oasis", "canyon", "savanna", "savannah"),
        ("camel", "camels", "cactus", "pyramid", "pyramids", "mirage"),
    ),
}

_TIME_WORDS: dict[TimeOfDay, tuple[str, ...]] = {
    "morning": ("morning", "sunrise", "dawn", "daybreak"),
    "day": ("daylight", "midday", "noon", "afternoon", "lunchtime", "sunny", "sunshine", "day"),
    "sunset": ("sunset", "dusk", "evening", "golden hour", "twilight"),
    "night": ("night", "midnight", "moonlight", "moonlit", "starry", "nighttime"),
}

# Nouns, adjectives and verbs of the weather the painter can draw; "clear" is its absence.
_WEATHER_WORDS: dict[Weather, tuple[str, ...]] = {
    "rain": (
        "rain",
        "rainy",
        "raining",
        "rains",
        "rainstorm",
        "downpour",
        "drizzle",
        "storm",
        "stormy",
        "thunderstorm",
        "puddle",
        "puddles",
    ),
    "snow": (
        "snow",
        "snowy",
        "snowing",
        "snows",
        "snowfall",
        "snowflake",
        "snowflakes",
        "blizzard",
    ),
}

_FRAMING_WORDS: dict[Framing, tuple[str, ...]] = {
    "close": ("close-up", "close up", "closeup", "extreme close", "tight shot", "face fills"),
    "wide": (
        "wide shot",
        "wide",
        "establishing",
        "long shot",
        "full shot",
        "far away",
        "distant",
        "panorama",
    ),
    "medium": ("medium shot", "medium", "mid shot", "waist"),
}

_POSITION_WORDS: dict[Position, tuple[str, ...]] = {
    "left": ("on the left", "to the left", "left side", "left of the frame", "left"),
    "right": ("on the right", "to the right", "right side", "right of the frame", "right"),
    "center": ("in the centre", "in the center", "centre", "center", "middle"),
}

_MOOD_WORDS: dict[Mood, tuple[str, ...]] = {
    "happy": (
        "happy",
        "joy",
        "joyful",
        "cheerful",
        "delighted",
        "excited",
        "triumphant",
        "proud",
        "giggling",
        "laughing",
        "beaming",
        "celebrating",
        "playful",
    ),
    "tense": (
        "scared",
        "nervous",
        "tense",
        "worried",
        "startled",
        "alarmed",
        "frantic",
        "dramatic",
        "determined",
    ),
    "sad": ("sad", "lonely", "gloomy", "tearful", "disappointed", "sulking"),
    "calm": ("calm", "peaceful", "sleepy", "cosy", "cozy", "relaxed", "content", "dreamy"),
    "mysterious": ("mysterious", "curious", "puzzled", "wondering", "suspicious", "secret"),
}

PROP_WORDS: dict[str, tuple[str, ...]] = {
    "box": ("box", "crate", "package", "parcel", "chest"),
    "gift": ("gift", "present"),
    "ball": ("ball", "beach ball"),
    "cake": ("cake", "cupcake", "pie"),
    "flower": ("flower", "flowers", "rose", "tulip", "daisy"),
    "star": ("star", "shooting star", "wish"),
    "balloon": ("balloon", "balloons"),
    "book": ("book", "map", "letter", "note"),
}


@dataclass(frozen=True)
class SceneSpec:
    """What a keyframe should show, decoded from free text."""

    setting: Setting = "studio"
    time: TimeOfDay = "day"
    framing: Framing = "medium"
    position: Position = "center"
    mood: Mood = "neutral"
    props: tuple[str, ...] = ()
    weather: Weather = "clear"

    @property
    def indoor(self) -> bool:
        return self.setting in INDOOR_SETTINGS


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


Key = TypeVar("Key", bound=str)
"""A table's key type (a Literal of names), kept through compiling and matching."""


def _compile(table: Mapping[Key, tuple[str, ...]]) -> dict[Key, re.Pattern[str]]:
    return {key: _pattern(words) for key, words in table.items()}


_STRONG_SETTINGS = _compile({k: v[0] for k, v in _SETTING_WORDS.items()})
_WEAK_SETTINGS = _compile({k: v[1] for k, v in _SETTING_WORDS.items() if v[1]})
_TIMES = _compile(_TIME_WORDS)
_FRAMINGS = _compile(_FRAMING_WORDS)
_MOODS = _compile(_MOOD_WORDS)
_WEATHERS = _compile(_WEATHER_WORDS)
_PROPS = _compile(PROP_WORDS)
# Explicit phrases first, so "left" in "the left paw" loses to "on the right of the frame".
_POSITIONS_EXPLICIT = _compile({k: v[:-1] for k, v in _POSITION_WORDS.items()})
_POSITIONS_BARE = _compile({k: v[-1:] for k, v in _POSITION_WORDS.items()})


def _earliest_match(text: str, patterns: dict[Key, re.Pattern[str]]) -> tuple[Key, str] | None:
    """The key whose words appear first, and the words: descriptions name the most important
    thing first."""
    best: tuple[int, Key, str] | None = None
    for key, pattern in patterns.items():
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), key, match.group(0))
    return (best[1], best[2]) if best else None


def _earliest(text: str, patterns: dict[Key, re.Pattern[str]]) -> Key | None:
    found = _earliest_match(text, patterns)
    return found[0] if found else None


def find_setting(text: str) -> Setting | None:
    """The setting a text names or implies, or None; the writer uses it on ideas too."""
    lowered = text.lower()
    found = _earliest(lowered, _STRONG_SETTINGS) or _earliest(lowered, _WEAK_SETTINGS)
    return found


def find_place(text: str) -> Setting | None:
    """The setting a text names as a place ("the night market"), ignoring mere hints
    ("a cake"), so a writer can tell a place from an object."""
    return _earliest(text.lower(), _STRONG_SETTINGS)


def find_time(text: str) -> TimeOfDay | None:
    return _earliest(text.lower(), _TIMES)


def time_word(text: str) -> tuple[TimeOfDay, str] | None:
    """The time of day a text names and the word it uses ("dawn"), so the word can be kept."""
    return _earliest_match(text.lower(), _TIMES)


def find_weather(text: str) -> Weather | None:
    return _earliest(text.lower(), _WEATHERS)


def weather_word(text: str) -> tuple[Weather, str] | None:
    return _earliest_match(text.lower(), _WEATHERS)


def parse_description(text: str) -> SceneSpec:
    lowered = text.lower()
    setting: Setting = find_setting(lowered) or "studio"
    default_time: TimeOfDay = "night" if setting in ("space", "stage") else "day"
    weather = find_weather(lowered) or ("snow" if setting == "snow" else "clear")
    position = _earliest(lowered, _POSITIONS_EXPLICIT) or _earliest(lowered, _POSITIONS_BARE)
    props = tuple(key for key, pattern in _PROPS.items() if pattern.search(lowered))
    return SceneSpec(
        setting=setting,
        time=_earliest(lowered, _TIMES) or default_time,
        framing=_earliest(lowered, _FRAMINGS) or "medium",
        position=position or "center",
        mood=_earliest(lowered, _MOODS) or "neutral",
        props=props[:2],
        weather=weather,
    )
