"""Timeline edits as undoable commands.

A script is a small immutable value (`Content`), so every command simply remembers the script
before and after: undo and redo can never drift from what the edit did, whatever it was. The
helpers below compute the "after" for each kind of edit and raise a readable error when the
edit is not allowed (an empty scene, a 21st segment, deleting the only one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from avpe_desktop.domain import Content, Segment
from avpe_desktop.domain.content import MAX_SEGMENTS

if TYPE_CHECKING:
    from avpe_desktop.ui.project_document import ProjectDocument

EDITABLE_FIELDS = {
    "scene": "scene",
    "action": "action",
    "first_frame_description": "first frame",
    "last_frame_description": "last frame",
    "creature_sounds": "sounds",
    "camera": "camera",
    "dialogue": "dialogue",
}
"""Segment fields the inspector edits, with the words the Edit menu uses for them."""

_REQUIRED_FIELDS = {"scene", "action", "first_frame_description", "last_frame_description"}

_FIELD_EDIT_ID = 1


class ContentChange(QUndoCommand):
    """One edit of the script. Consecutive edits of the same field of the same segment merge
    into one undo step, so typing a sentence is undone in one go."""

    def __init__(
        self,
        document: ProjectDocument,
        before: Content,
        after: Content,
        text: str,
        merge_key: str | None = None,
    ) -> None:
        super().__init__(text)
        self._document = document
        self._before = before
        self._after = after
        self._merge_key = merge_key

    def id(self) -> int:
        return _FIELD_EDIT_ID if self._merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt API)
        if not isinstance(other, ContentChange) or other._merge_key != self._merge_key:
            return False
        self._after = other._after
        return True

    def redo(self) -> None:
        self._document.set_content(self._after)

    def undo(self) -> None:
        self._document.set_content(self._before)


def with_field(content: Content, index: int, field: str, value: Any) -> Content:
    """`value` is text from the inspector: sounds are comma-separated, and empty camera or
    dialogue means none. Sounds whose names did not change keep their timing and emotion."""
    if field not in EDITABLE_FIELDS:
        raise ValueError(f"'{field}' is not an editable segment field.")
    segment = content.segments[index]
    if field in _REQUIRED_FIELDS and not str(value).strip():
        raise ValueError(f"The {EDITABLE_FIELDS[field]} of a segment cannot be empty.")
    if field == "creature_sounds":
        names = [part.strip() for part in str(value).split(",") if part.strip()]
        known = {
            name: sound
            for name, sound in zip(segment.sound_names(), segment.creature_sounds, strict=True)
        }
        value = [known.get(name, name) for name in names]
    elif field in ("camera", "dialogue"):
        value = str(value).strip() or None
    data = segment.model_dump()
    data[field] = value
    segments = list(content.segments)
    segments[index] = Segment.model_validate(data)
    return content.renumbered(segments)


def with_segment(content: Content, index: int, segment: Segment) -> Content:
    segments = list(content.segments)
    segments[index] = segment
    return content.renumbered(segments)


def with_inserted(content: Content, index: int) -> Content:
    """A new segment at `index` that starts where the previous one ends, so frame chaining
    still holds; the creator fills in what happens."""
    if len(content.segments) >= MAX_SEGMENTS:
        raise ValueError(f"A video can have at most {MAX_SEGMENTS} segments.")
    before = content.segments[index - 1] if index > 0 else None
    after = content.segments[index] if index < len(content.segments) else None
    start = (
        before.last_frame_description
        if before
        else (after.first_frame_description if after else "The character stands in the scene.")
    )
    new = Segment(
        segment=index + 1,
        first_frame_description=start,
        last_frame_description=start,
        scene=before.scene if before else (after.scene if after else "A new scene"),
        action="Describe what happens in this segment.",
    )
    segments = list(content.segments)
    segments.insert(index, new)
    return content.renumbered(segments)


def without(content: Content, index: int) -> Content:
    if len(content.segments) <= 1:
        raise ValueError("A video needs at least one segment.")
    segments = list(content.segments)
    del segments[index]
    return content.renumbered(segments)


def moved(content: Content, index: int, offset: int) -> Content:
    target = index + offset
    if not 0 <= target < len(content.segments):
        raise ValueError("That segment cannot move further.")
    segments = list(content.segments)
    segments.insert(target, segments.pop(index))
    return content.renumbered(segments)
