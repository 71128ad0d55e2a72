"""What a broken layout looks like, found by walking the visible widgets: siblings drawn over
each other, a widget cut off by its parent, a button or label whose text does not fit."""

from __future__ import annotations

from itertools import combinations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QLabel,
    QSizePolicy,
    QToolBar,
    QWidget,
)

_DIRECT = Qt.FindChildOption.FindDirectChildrenOnly


def describe(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, QAbstractButton | QLabel) else ""
    name = widget.objectName() or type(widget).__name__
    return f"{name}{f' {text!r}' if text else ''} at {widget.geometry().getRect()}"


def _shown_children(widget: QWidget) -> list[QWidget]:
    return [
        child
        for child in widget.findChildren(QWidget, options=_DIRECT)
        if child.isVisible() and not child.isWindow() and child.width() > 0 and child.height() > 0
    ]


def _scrolled_to_fit(widget: QWidget, parent: QWidget) -> bool:
    """A scroll area's content may be larger than its viewport in the directions it scrolls
    in: that is what scrolling is. In one it does not, larger is cut off."""
    area = parent.parentWidget()
    if not isinstance(area, QAbstractScrollArea):
        return False
    off = Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    wide = widget.width() > parent.width() and area.horizontalScrollBarPolicy() is off
    tall = widget.height() > parent.height() and area.verticalScrollBarPolicy() is off
    return not wide and not tall


def _text_fits(widget: QWidget) -> bool:
    if isinstance(widget, QAbstractButton) and widget.text():
        return widget.width() >= widget.sizeHint().width()
    if isinstance(widget, QLabel) and widget.text() and widget.wordWrap():
        return widget.height() >= widget.heightForWidth(widget.width())
    if isinstance(widget, QLabel) and widget.text():
        if widget.sizePolicy().horizontalPolicy() is QSizePolicy.Policy.Ignored:
            return False  # an ignored width is how a label gets cut off ("Free · offline er")
        return widget.width() >= widget.minimumSizeHint().width()
    return True


def layout_problems(root: QWidget) -> list[str]:
    """Every visible widget under `root` (its tool bars' hidden overflow excepted, as Qt moves
    what does not fit there) against its shown siblings and its parent."""
    problems: list[str] = []
    pending = [root]
    while pending:
        parent = pending.pop()
        children = _shown_children(parent)
        pending.extend(children)
        for a, b in combinations(children, 2):
            if a.geometry().intersects(b.geometry()):
                problems.append(f"{describe(a)} overlaps {describe(b)} in {describe(parent)}")
        for child in children:
            inside = parent.rect().contains(child.geometry())
            fits = inside or _scrolled_to_fit(child, parent) or isinstance(parent, QToolBar)
            if not fits:
                problems.append(f"{describe(child)} sticks out of {describe(parent)}")
            if not _text_fits(child):
                problems.append(f"{describe(child)} is cut off (needs {child.sizeHint().width()})")
    return problems
