"""Scripts from Gemini: structured JSON in a pydantic schema, checked against the brief."""

from __future__ import annotations

from pydantic import BaseModel, Field

from avpe_desktop.domain import Brief, CharacterDetails, Content, Segment
from avpe_desktop.engines.google.runtime import GoogleRuntime, json_block, prompt_template

DIALOGUE_OFF = (
    'No spoken dialogue: leave "dialogue" empty; the character only makes creature sounds.'
)
DIALOGUE_ON = (
    'Short spoken lines are allowed in "dialogue" (at most one sentence per segment); use '
    "them sparingly and keep creature sounds too."
)


class SoundOut(BaseModel):
    """Wire schema, kept flat and fully typed: Gemini's response_schema takes an OpenAPI
    subset, so the domain models (unions, extra keys, validators) are not sent as they are."""

    sound: str
    timing: str | None = None
    emotion: str | None = None


class SegmentOut(BaseModel):
    segment: int
    first_frame_description: str
    last_frame_description: str
    scene: str
    action: str
    creature_sounds: list[SoundOut] = Field(default_factory=list)
    camera: str | None = None
    dialogue: str | None = None


class ScriptOut(BaseModel):
    title: str
    segments: list[SegmentOut]


def _segment(out: SegmentOut, allow_dialogue: bool) -> Segment:
    data = out.model_dump(exclude_none=True)
    if not allow_dialogue:
        data.pop("dialogue", None)
    return Segment.model_validate(data)


def _chain(segments: list[Segment]) -> list[Segment]:
    """The renderer reuses segment N's last keyframe as N+1's first, so their descriptions
    must agree; the model's own last-frame wording is the one that gets painted."""
    chained = segments[:1]
    for segment in segments[1:]:
        chained.append(
            segment.model_copy(
                update={"first_frame_description": chained[-1].last_frame_description}
            )
        )
    return chained


class GeminiScriptWriter:
    def __init__(self, runtime: GoogleRuntime, duration: int = 8) -> None:
        self.runtime = runtime
        self.duration = duration

    @property
    def model(self) -> str:
        return self.runtime.models.text

    def _fields(self, brief: Brief) -> dict[str, object]:
        return {
            "character_name": brief.character_name,
            "creature_language": brief.creature_language,
            "num_segments": brief.num_segments,
            "duration": self.duration,
            "idea": brief.idea,
            "dialogue_rule": DIALOGUE_ON if brief.allow_dialogue else DIALOGUE_OFF,
        }

    async def write(self, brief: Brief, character: CharacterDetails) -> Content:
        fields = self._fields(brief)
        blocks = json_block("BRIEF", brief.model_dump(mode="json")) + json_block(
            "CHARACTER", character.model_dump(mode="json")
        )
        rules = prompt_template("_rules").substitute(fields, blocks=blocks)
        prompt = prompt_template(brief.format.value).substitute(fields, rules=rules)

        def convert(out: ScriptOut) -> Content:
            if len(out.segments) != brief.num_segments:
                raise ValueError(
                    f"expected exactly {brief.num_segments} segments, got {len(out.segments)}"
                )
            segments = _chain([_segment(s, brief.allow_dialogue) for s in out.segments])
            return Content(title=out.title, segments=segments, format=brief.format)

        return await self.runtime.structured(
            self.model,
            [prompt],
            ScriptOut,
            convert,
            system=prompt_template("system").template,
            seed=brief.seed,
            what="script",
        )

    async def rewrite_segment(
        self, brief: Brief, character: CharacterDetails, content: Content, number: int
    ) -> Segment:
        if not 1 <= number <= len(content.segments):
            raise ValueError(f"segment {number} does not exist (1..{len(content.segments)})")
        fields = self._fields(brief)
        blocks = (
            json_block("BRIEF", brief.model_dump(mode="json"))
            + json_block("CHARACTER", character.model_dump(mode="json"))
            # The soundtrack's settings are the mix's business, not the writer's.
            + json_block(
                "CONTENT",
                content.model_dump(mode="json", exclude_none=True, exclude={"soundtrack"}),
            )
            + json_block("SEGMENT_NUMBER", number)
        )
        prompt = prompt_template("rewrite_segment").substitute(fields, number=number, blocks=blocks)
        before = content.segments[number - 2] if number > 1 else None
        after = content.segments[number] if number < len(content.segments) else None

        def convert(out: SegmentOut) -> Segment:
            update: dict[str, object] = {"segment": number}
            if before is not None:
                update["first_frame_description"] = before.last_frame_description
            if after is not None:
                update["last_frame_description"] = after.first_frame_description
            return _segment(out.model_copy(update=update), brief.allow_dialogue)

        return await self.runtime.structured(
            self.model,
            [prompt],
            SegmentOut,
            convert,
            system=prompt_template("system").template,
            seed=brief.seed + number,
            what=f"rewrite of segment {number}",
        )
