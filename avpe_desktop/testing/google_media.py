"""What the Google emulator answers with: real scripts, keyframes and clips from the offline
engine, shaped like Gemini, Imagen and Veo responses.

The Google engine writes its structured inputs as titled JSON blocks (`### BRIEF` ...), so
the emulator can read them back and answer the request the real model would have answered.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from avpe_desktop.domain import (
    AspectRatio,
    Brief,
    CharacterDetails,
    Content,
    Resolution,
)
from avpe_desktop.engines.base import FrameRequest

# The offline analyst's appearance keys, under the names the Google engine's schema asks for.
_BLOCK = re.compile(r"^### (?P<title>[A-Z_]+)\n```json\n(?P<body>.*?)\n```", re.M | re.S)
_CAPTION = re.compile(r'Render the caption text "(?P<caption>.*)" clearly')


def json_blocks(text: str) -> dict[str, Any]:
    return {m["title"]: json.loads(m["body"]) for m in _BLOCK.finditer(text)}


def sample_character() -> bytes:
    """Imagen requests carry no reference image, and the offline painter needs a character."""
    path = resources.files("avpe_desktop").joinpath("resources/characters/floof.png")
    return path.read_bytes()


def conform(value: Any, schema: dict[str, Any], name: str = "value") -> Any:
    """`value` reshaped to a response schema (OpenAPI subset or JSON Schema): missing fields
    filled, extra ones dropped, scalars coerced. The offline engine's models are close to the
    wire schemas but not identical, and a real model always answers in the schema."""
    kind = str(schema.get("type", "object")).lower()
    if kind == "object":
        props: dict[str, Any] = schema.get("properties", {})
        source = value if isinstance(value, dict) else {}
        required = set(schema.get("required", props))
        return {
            key: conform(source.get(key), sub, key)
            for key, sub in props.items()
            if key in required or source.get(key) is not None
        }
    if kind == "array":
        items = value if isinstance(value, list) else []
        return [conform(item, schema.get("items", {}), name) for item in items]
    if kind == "integer":
        return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else 0
    if kind == "number":
        return float(value) if isinstance(value, int | float) else 0.0
    if kind == "boolean":
        return bool(value)
    if value is None:
        return f"emulated {name.replace('_', ' ')}"
    if isinstance(value, dict):
        if "sound" in value:
            return str(value["sound"])
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _script_object(content: Content) -> dict[str, Any]:
    data = content.model_dump(mode="json", exclude_none=True)
    for segment in data["segments"]:
        segment["creature_sounds"] = [
            s if isinstance(s, dict) else {"sound": s} for s in segment.get("creature_sounds", [])
        ]
    return data


class OfflineMedia:
    """Answers from the offline engine (imported lazily: the emulator module itself must load
    in processes that never render)."""

    def structured(self, schema: dict[str, Any], prompt: str, images: list[bytes]) -> Any:
        props = schema.get("properties", {})
        blocks = json_blocks(prompt)
        if "segments" in props and "BRIEF" in blocks:
            return conform(_script_object(self._script(blocks)), schema)
        if "first_frame_description" in props and "CONTENT" in blocks:
            return conform(self._rewrite(blocks), schema)
        if "physical_appearance" in props and images:
            details = self._analyse(images[0], str(blocks.get("NAME", "Character")))
            data = details.model_dump(mode="json")
            appearance = props["physical_appearance"]
            local = data["physical_appearance"]
            data["physical_appearance"] = {
                key: local.get(key) for key in appearance.get("properties", {})
            }
            return conform(data, schema)
        return conform({}, schema)

    def unstructured(self, prompt: str, images: list[bytes]) -> Any:
        """JSON mode without a schema: a real model still answers JSON, shaped by what the
        prompt asks for alone, so the emulator answers the same objects as `structured`
        without conforming them (and a small object for a prompt it does not recognise)."""
        blocks = json_blocks(prompt)
        if "CONTENT" in blocks and "BRIEF" in blocks and "SEGMENT_NUMBER" in blocks:
            return self._rewrite(blocks)
        if "BRIEF" in blocks:
            return _script_object(self._script(blocks))
        if images:
            name = str(blocks.get("NAME", "Character"))
            return self._analyse(images[0], name).model_dump(mode="json")
        return {"text": "This is the Google emulator."}

    def _script(self, blocks: dict[str, Any]) -> Content:
        from avpe_desktop.engines.local.script import LocalScriptWriter

        brief = Brief.model_validate(blocks["BRIEF"])
        character = CharacterDetails.model_validate(blocks.get("CHARACTER", {}))
        return asyncio.run(LocalScriptWriter().write(brief, character))

    def _rewrite(self, blocks: dict[str, Any]) -> dict[str, Any]:
        from avpe_desktop.engines.local.script import LocalScriptWriter

        brief = Brief.model_validate(blocks["BRIEF"])
        character = CharacterDetails.model_validate(blocks.get("CHARACTER", {}))
        content = Content.model_validate(blocks["CONTENT"])
        number = int(blocks["SEGMENT_NUMBER"])
        segment = asyncio.run(
            LocalScriptWriter().rewrite_segment(brief, character, content, number)
        )
        single = Content(title=content.title, segments=[segment.model_copy(update={"segment": 1})])
        data: dict[str, Any] = _script_object(single)["segments"][0]
        data["segment"] = number
        return data

    def _analyse(self, image: bytes, name: str) -> CharacterDetails:
        from avpe_desktop.engines.local.analyst import analyse_image

        return analyse_image(image, name)

    def image(self, prompt: str, references: list[bytes], aspect_ratio: str, seed: int) -> bytes:
        from avpe_desktop.engines.local.painter import render_frame

        description = next(
            (
                line[len("Frame:") :].strip()
                for line in prompt.splitlines()
                if line.startswith("Frame:")
            ),
            prompt,
        )
        caption = _CAPTION.search(prompt)
        aspect = aspect_ratio if aspect_ratio in {a.value for a in AspectRatio} else "16:9"
        request = FrameRequest(
            description=description,
            references=tuple(references[:2]) or (sample_character(),),
            resolution=Resolution.P720,
            aspect_ratio=AspectRatio(aspect),
            caption=caption["caption"] if caption else None,
            seed=seed,
        )
        return render_frame(request)

    def video(
        self,
        first: bytes,
        last: bytes,
        *,
        duration: int,
        resolution: str,
        aspect_ratio: str,
        generate_audio: bool,
        seed: int | None,
    ) -> bytes:
        from avpe_desktop.engines.local.video import render_clip

        with tempfile.TemporaryDirectory(prefix="avpe-emulator-") as tmp:
            out = Path(tmp) / "clip.mp4"
            render_clip(
                first,
                last,
                out,
                duration=duration,
                resolution=resolution,
                aspect_ratio=aspect_ratio,
                generate_audio=generate_audio,
                seed=seed,
                preset="ultrafast",  # the emulator's clips are for checking, not watching
            )
            return out.read_bytes()
