"""Finding the icons, theme and sample characters shipped inside the package."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from PySide6.QtGui import QIcon

_ROOT = Path(str(resources.files("avpe_desktop") / "resources"))


def resource_path(*parts: str) -> Path:
    return _ROOT.joinpath(*parts)


@cache
def icon(name: str) -> QIcon:
    """Icons are drawn once as SVG in one colour that reads on the dark theme."""
    return QIcon(str(resource_path("icons", f"{name}.svg")))


def theme_qss() -> str:
    """The stylesheet with `@ICONS@` pointing at the icon folder: QSS urls are resolved
    against the working directory, which is never the package's."""
    text = resource_path("theme", "dark.qss").read_text(encoding="utf-8")
    return text.replace("@ICONS@", resource_path("icons").as_posix())


def sample_characters() -> list[Path]:
    folder = resource_path("characters")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg"})
