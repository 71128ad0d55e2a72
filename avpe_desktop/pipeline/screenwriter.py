"""Brief -> Content through whichever engine is configured."""

from __future__ import annotations

from avpe_desktop.domain import Brief, CharacterDetails, Content
from avpe_desktop.engines.base import ScriptWriter


async def write_script(writer: ScriptWriter, brief: Brief, character: CharacterDetails) -> Content:
    """Stamps the brief's format on the script, whatever the writer returned."""
    content = await writer.write(brief, character)
    if len(content.segments) != brief.num_segments:
        content = content.renumbered(content.segments[: brief.num_segments])
    return content.model_copy(update={"format": brief.format})
