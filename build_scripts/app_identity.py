"""How the frozen app presents itself: name, version, icon, Windows version resource, macOS plist.

The version is read from the installed package's metadata, which the build took from
`avpe_desktop.__version__` (pyproject.toml's dynamic version), so the file properties, the
About box and `avpe --version` cannot disagree.

The icon is drawn from the app's own `icons/app.svg` at build time: one vector source means the
window icon and the file icon never drift apart, and no binary icon files sit in the
repository. Qt renders the SVG (painting into a QImage needs no QGuiApplication); Pillow writes
the Windows .ico and the macOS .icns from that rendering. Linux executables carry no icon.
"""

from __future__ import annotations

import io
from importlib.metadata import version
from pathlib import Path
from typing import Any

from packaging.version import Version
from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

APP_NAME = "AVPE Desktop"
DISTRIBUTION = "avpe-desktop"
GUI_EXE = "avpe-desktop"
CLI_EXE = "avpe"
BUNDLE_ID = "com.avpe.desktop"
COPYRIGHT = "AVPE"

SVG_SOURCE = (
    Path(__file__).resolve().parent.parent / "avpe_desktop" / "resources" / "icons" / "app.svg"
)
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def app_version() -> str:
    return version(DISTRIBUTION)


def _render(size: int) -> Image.Image:
    renderer = QSvgRenderer(str(SVG_SOURCE))
    if not renderer.isValid():
        raise RuntimeError(f"{SVG_SOURCE} is not a valid SVG")
    canvas = QImage(size, size, QImage.Format.Format_ARGB32)
    canvas.fill(Qt.GlobalColor.transparent)
    painter = QPainter(canvas)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    canvas.save(buffer, "PNG")
    return Image.open(io.BytesIO(buffer.data().data())).convert("RGBA")


def make_icons(out_dir: Path) -> dict[str, Path]:
    """Writes app.ico (Windows) and app.icns (macOS) into `out_dir`; returns them by suffix."""
    out_dir.mkdir(parents=True, exist_ok=True)
    image = _render(1024)
    paths = {suffix: out_dir / f"app.{suffix}" for suffix in ("ico", "icns")}
    image.save(paths["ico"], sizes=ICO_SIZES)
    image.save(paths["icns"])
    return paths


def windows_version_info(exe_name: str, description: str) -> Any:
    """The VERSIONINFO resource Explorer shows under Properties → Details.

    Imported lazily: PyInstaller's version-info classes need `pefile`, which PyInstaller
    installs on Windows only.
    """
    from PyInstaller.utils.win32 import versioninfo as vi

    text = app_version()
    numbers = (*Version(text).release, 0, 0, 0)[:4]
    strings = {
        "CompanyName": COPYRIGHT,
        "FileDescription": description,
        "FileVersion": text,
        "InternalName": exe_name,
        "LegalCopyright": f"© {COPYRIGHT}",
        "OriginalFilename": f"{exe_name}.exe",
        "ProductName": APP_NAME,
        "ProductVersion": text,
    }
    return vi.VSVersionInfo(
        ffi=vi.FixedFileInfo(filevers=numbers, prodvers=numbers),
        kids=[
            vi.StringFileInfo(
                [vi.StringTable("040904B0", [vi.StringStruct(k, v) for k, v in strings.items()])]
            ),
            vi.VarFileInfo([vi.VarStruct("Translation", [0x0409, 1200])]),
        ],
    )


def macos_info_plist() -> dict[str, Any]:
    text = app_version()
    return {
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleShortVersionString": text,
        "CFBundleVersion": text,
        "NSHumanReadableCopyright": f"© {COPYRIGHT}",
        "NSHighResolutionCapable": True,
        "LSApplicationCategoryType": "public.app-category.video",
    }
