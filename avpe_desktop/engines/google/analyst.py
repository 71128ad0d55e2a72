"""Character details from an image: what a creator starts from and then edits."""

from __future__ import annotations

from google.genai import types
from pydantic import BaseModel

from avpe_desktop.domain import CharacterDetails
from avpe_desktop.engines.google.painter import image_mime
from avpe_desktop.engines.google.runtime import GoogleRuntime, json_block, prompt_template


class AppearanceOut(BaseModel):
    """Named fields, because Gemini's schema subset cannot express a free-form object."""

    kind: str
    body: str
    size: str
    colors: str
    eyes: str
    distinctive_features: str


class CharacterOut(BaseModel):
    physical_appearance: AppearanceOut
    personality: str
    video_prompt_description: str


class GeminiCharacterAnalyst:
    def __init__(self, runtime: GoogleRuntime) -> None:
        self.runtime = runtime

    async def analyse(self, image: bytes, name: str) -> CharacterDetails:
        prompt = prompt_template("analyse_character").substitute(
            name=name, blocks=json_block("NAME", name)
        )
        picture = types.Part.from_bytes(data=image, mime_type=image_mime(image))

        def convert(out: CharacterOut) -> CharacterDetails:
            if not out.video_prompt_description.strip():
                raise ValueError("video_prompt_description is empty")
            return CharacterDetails(
                physical_appearance=out.physical_appearance.model_dump(),
                personality=out.personality,
                video_prompt_description=out.video_prompt_description,
            )

        return await self.runtime.structured(
            self.runtime.models.text,
            [picture, prompt],
            CharacterOut,
            convert,
            system=prompt_template("system").template,
            seed=None,
            what=f"analysis of {name}",
        )
