"""How well the offline script writer follows an idea: the share of ideas whose key nouns are
in the title and in at least half of the segments.

A fixed, varied set of ideas (subjects, objects, places, weather, times, actions; none of them
the samples'), each with its key nouns listed by hand here, not taken from the writer's
lexicon, so the writer cannot be tuned to the measure. Formats and segment counts rotate over
the set. A noun counts when it appears as a word, plural or adjective ("rain", "rainy"); a
segment's text is its scene, action and both frame descriptions.

    .venv/bin/python bench/offline_writer.py [--verbose]
"""

from __future__ import annotations

import argparse
import re
import time

from avpe_desktop.domain import Brief, CharacterDetails, Content, Format
from avpe_desktop.engines.local.script import write_script

GOAL = 0.9
CHARACTER = CharacterDetails(physical_appearance={"build": "small", "primary_color": "blue"})
FORMATS = list(Format)
COUNTS = (3, 4, 5, 6, 8)

IDEAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Pip tries to bake a birthday cake", ("cake",)),
    ("Mochi plays in the snow", ("snow",)),
    ("Bolt goes to the beach", ("beach",)),
    ("Tilly visits a night market in the rain", ("market", "rain")),
    ("Ziggy explores a shipwreck underwater", ("shipwreck",)),
    ("Pip flies a red kite on a windy hill", ("kite", "hill")),
    ("Mochi builds a snowman in the garden", ("snowman", "garden")),
    ("Bolt loses his umbrella in a thunderstorm", ("umbrella", "thunderstorm")),
    ("Tilly finds a tiny dragon egg in the forest", ("egg", "forest")),
    ("Ziggy learns to ride a bicycle in the park", ("bicycle", "park")),
    ("Pip rides a camel across the desert", ("camel", "desert")),
    ("Mochi paints a sunflower at dawn", ("sunflower",)),
    ("Bolt searches for a lost sock under the bed", ("sock",)),
    ("Tilly delivers a letter to the lighthouse", ("letter", "lighthouse")),
    ("Ziggy goes sledding down a snowy mountain", ("mountain",)),
    ("Pip has a picnic by the lake", ("picnic", "lake")),
    ("Mochi sings karaoke on a glittering stage", ("karaoke", "stage")),
    ("Bolt fixes a broken robot in the garage", ("robot", "garage")),
    ("Tilly catches fireflies in the meadow at night", ("fireflies", "meadow")),
    ("Ziggy waters the tomatoes in the greenhouse", ("tomatoes", "greenhouse")),
    ("Pip chases butterflies in the garden", ("butterflies", "garden")),
    ("Mochi rescues a kitten from a tall tree", ("kitten", "tree")),
    ("Bolt visits the museum", ("museum",)),
    ("Tilly climbs a volcano", ("volcano",)),
    ("Ziggy reads a spooky book in the library at midnight", ("book", "library")),
    ("Pip builds a sandcastle on the island", ("sandcastle", "island")),
    ("Mochi skates on a frozen lake", ("lake",)),
    ("Bolt goes camping in the woods", ("woods",)),
    ("Tilly feeds the ducks at the pond", ("ducks", "pond")),
    ("Ziggy launches a rocket into space", ("rocket", "space")),
    ("Pip waits for the bus in the rain", ("bus", "rain")),
    ("Mochi cooks pancakes for breakfast", ("pancakes",)),
    ("Bolt dances at a disco", ("disco",)),
    ("Tilly gets lost in a corn maze", ("maze",)),
    ("Ziggy plays the drums in the attic", ("drums", "attic")),
    ("Pip walks a puppy through a busy city", ("puppy", "city")),
    ("Mochi looks for seashells on the shore at sunset", ("seashells", "shore")),
    ("Bolt hides from a storm in a cave", ("storm", "cave")),
    ("Tilly wins a race at the school fair", ("race", "fair")),
    ("Ziggy decorates a Christmas tree in the living room", ("tree", "room")),
    ("Pip swims with dolphins at the coral reef", ("dolphins", "reef")),
    ("Mochi opens a mysterious parcel on the doorstep", ("parcel", "doorstep")),
    ("Bolt practises magic tricks for a talent show", ("tricks", "show")),
    ("Tilly trains for a marathon in the city", ("marathon", "city")),
    ("Ziggy plants sunflower seeds in the backyard", ("seeds", "backyard")),
)


def mentions(text: str, noun: str) -> bool:
    """The noun as a word, or with a plural or adjective ending ("rain" in "rainy")."""
    return re.search(rf"\b{re.escape(noun)}(?:s|es|y)?\b", text, re.IGNORECASE) is not None


def segment_texts(content: Content) -> list[str]:
    return [
        " ".join((s.scene, s.action, s.first_frame_description, s.last_frame_description))
        for s in content.segments
    ]


def missing(content: Content, nouns: tuple[str, ...]) -> list[str]:
    """The key nouns the script drops: from the title, or from more than half the segments."""
    texts = segment_texts(content)
    lost = [f"title lacks '{n}'" for n in nouns if not mentions(content.title, n)]
    for noun in nouns:
        carried = sum(mentions(t, noun) for t in texts)
        if carried * 2 < len(texts):
            lost.append(f"'{noun}' in {carried}/{len(texts)} segments")
    return lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every title")
    args = parser.parse_args()
    followed = 0
    titles: set[str] = set()
    began = time.perf_counter()
    for k, (idea, nouns) in enumerate(IDEAS):
        name = idea.split()[0]
        fmt, count = FORMATS[k % len(FORMATS)], COUNTS[k % len(COUNTS)]
        brief = Brief(idea=idea, character_name=name, num_segments=count, format=fmt, seed=k)
        content = write_script(brief, CHARACTER)
        titles.add(content.title)
        lost = missing(content, nouns)
        followed += not lost
        if lost or args.verbose:
            verdict = "; ".join(lost) if lost else "ok"
            print(f"{idea!r} ({fmt.value}, {count}) -> {content.title!r}: {verdict}")
    elapsed = time.perf_counter() - began
    print(f"ideas: {len(IDEAS)}, distinct titles: {len(titles)}, {elapsed * 1000:.0f} ms in all")
    share = followed / len(IDEAS)
    verdict = "ok" if share >= GOAL else "short"
    print(f"idea_coverage: {share:.2f} (goal >= {GOAL:g}) {verdict}")


if __name__ == "__main__":
    main()
