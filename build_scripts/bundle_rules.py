"""What the frozen app leaves out, and the pruning that keeps the bundle consistent.

PyInstaller's Qt hooks collect every plugin of every type a used Qt module might want, and then
every library those plugins link to: the virtual keyboard plugin drags in QtQuick and QtQml, the
PDF image format QtPdf, the GTK platform theme a whole GTK/cairo/pango stack copied from the build
machine (which then clashes with the user's own GTK). The app uses none of it — Fusion style, its
own QSS, Qt's own dialogs, PNG/JPEG/WebP/SVG images — so those files are dropped here, along with
every library that nothing kept still links to. Measured sizes are in the README.

Imported by `avpe.spec` (PyInstaller's spec files cannot be linted or typed; this module can).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path, PurePath, PurePosixPath

from PyInstaller.depend.bindepend import get_imports

TocEntry = tuple[str, str, str]
"""PyInstaller's (destination name, source path, type code)."""

EXCLUDED_MODULES = [
    # Standard-library parts only pulled in by optional code paths (PIL.ImageTk, imageio's
    # TIFF viewer, numpy's test runner, pdb/pydoc helpers).
    "tkinter",
    "_tkinter",
    "PIL.ImageTk",
    "PIL._tkinter_finder",
    "unittest",
    "doctest",
    "pdb",
    "pydoc",
    "pydoc_data",
    "lib2to3",
    # AVIF support drags in a 5 MB codec; the app accepts PNG, JPEG and WebP only.
    "PIL._avif",
    "PIL.AvifImagePlugin",
    # Developer-only parts of dependencies.
    "numpy.f2py",
    "numpy.testing",
    "pydantic.mypy",
    "httpx2._main",  # httpx's own command line (click, rich, pygments)
    "pygments",
    "pytest",
    "_pytest",
    "pytestqt",
    "secantus",  # the MongoDB test server: a dev tool, GPL, never shipped
    "IPython",
    "matplotlib",
    "scipy",
    "pandas",
    "setuptools",
    "pip",
    # Other Qt bindings (qasync supports several) and Qt modules the app does not use.
    "PyQt5",
    "PyQt6",
    "PySide2",
    "PySide6.Qt3DAnimation",
    "PySide6.Qt3DCore",
    "PySide6.Qt3DExtras",
    "PySide6.Qt3DInput",
    "PySide6.Qt3DLogic",
    "PySide6.Qt3DRender",
    "PySide6.QtAxContainer",
    "PySide6.QtBluetooth",
    "PySide6.QtCharts",
    "PySide6.QtDataVisualization",
    "PySide6.QtDesigner",
    "PySide6.QtGraphs",
    "PySide6.QtGraphsWidgets",
    "PySide6.QtHelp",
    "PySide6.QtHttpServer",
    "PySide6.QtLocation",
    "PySide6.QtNfc",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtPositioning",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuick3D",
    "PySide6.QtQuickControls2",
    "PySide6.QtQuickWidgets",
    "PySide6.QtRemoteObjects",
    "PySide6.QtScxml",
    "PySide6.QtSensors",
    "PySide6.QtSerialBus",
    "PySide6.QtSerialPort",
    "PySide6.QtSpatialAudio",
    "PySide6.QtSql",
    "PySide6.QtStateMachine",
    "PySide6.QtSvgWidgets",
    "PySide6.QtTest",
    "PySide6.QtTextToSpeech",
    "PySide6.QtUiTools",
    "PySide6.QtWebChannel",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineQuick",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebSockets",
    "PySide6.QtWebView",
]

_DROPPED_PLUGIN_TYPES = {
    "egldeviceintegrations",  # only for the eglfs platform
    "generic",  # evdev/tslib/tuio input for embedded devices
    "networkinformation",  # QNetworkInformation, unused
    "tls",  # Qt's own TLS; the app's HTTPS goes through httpx
}
_DROPPED_PLUGINS = {
    # Embedded and remote platforms; xcb, wayland, offscreen (Linux), windows and cocoa stay.
    "qeglfs",
    "qlinuxfb",
    "qminimal",
    "qminimalegl",
    "qvnc",
    "qvkkhrdisplay",
    "qdirect2d",
    "qgtk3",  # GTK theme: pulls in GTK's whole stack; the app uses Fusion and its own QSS
    "qtvirtualkeyboardplugin",  # pulls in QtQuick and QtQml
    "qpdf",  # pulls in QtPdf
    "qtiff",
    "qtga",
    "qwbmp",
}


def is_unwanted(dest: str) -> bool:
    """True for a Qt plugin or translation the app never loads. Qt sits in PySide6/Qt/ on Linux
    and macOS and in PySide6/ on Windows, so positions are found, not assumed."""
    parts = PurePosixPath(dest.replace("\\", "/")).parts
    if not parts or parts[0] != "PySide6":
        return False
    if "translations" in parts:
        return True  # the app installs no QTranslator, so Qt's own translations are never read
    if "plugins" not in parts or len(parts) < parts.index("plugins") + 3:
        return False
    plugin_type, file_name = parts[parts.index("plugins") + 1], parts[-1]
    stem = file_name.split(".")[0].removeprefix("lib")  # libqpdf.so, libqpdf.dylib, qpdf.dll
    return plugin_type in _DROPPED_PLUGIN_TYPES or stem in _DROPPED_PLUGINS


def _linked(entry: TocEntry) -> set[str]:
    """Real paths of the libraries a binary links to (resolved the way PyInstaller does)."""
    _dest, source, kind = entry
    if kind not in ("BINARY", "EXTENSION") or not Path(source).is_file():
        return set()
    return {os.path.realpath(path) for _name, path in get_imports(source) if path}


def _closure(roots: Iterable[TocEntry], by_source: dict[str, TocEntry]) -> set[str]:
    """Real source paths of every bundled library reachable from `roots` through link-time
    dependencies."""
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        for path in _linked(pending.pop()):
            if path in by_source and path not in seen:
                seen.add(path)
                pending.append(by_source[path])
    return seen


def prune(binaries: list[TocEntry], datas: list[TocEntry]) -> tuple[list[TocEntry], list[TocEntry]]:
    """Drops unwanted plugins and translations, then every library that only they needed.

    A library goes only if a dropped plugin links to it and nothing kept does, so whatever the
    host's Qt build links differently, nothing a kept file needs can disappear.
    """
    by_source = {os.path.realpath(e[1]): e for e in binaries if e[2] in ("BINARY", "EXTENSION")}
    dropped = [entry for entry in binaries if is_unwanted(entry[0])]
    dropped_sources = {os.path.realpath(entry[1]) for entry in dropped}
    orphan_candidates = _closure(dropped, by_source) - dropped_sources
    suspects = dropped_sources | orphan_candidates
    kept_roots = [entry for entry in binaries if os.path.realpath(entry[1]) not in suspects]
    needed = _closure(kept_roots, by_source)
    gone = dropped_sources | (orphan_candidates - needed)
    gone_dests = {entry[0] for entry in binaries if os.path.realpath(entry[1]) in gone}
    # A macOS framework goes whole: its Versions/Current links and Resources would dangle.
    gone_frameworks = tuple(
        dest[: dest.index(".framework") + len(".framework") + 1]
        for dest in gone_dests
        if ".framework" in dest
    )

    def keep(entry: TocEntry) -> bool:
        # Symbolic links (PyInstaller lists them among the data files) go with their target.
        dest = entry[0]
        target = _symlink_target(entry) if entry[2] == "SYMLINK" else dest
        return not (
            {dest, target} & gone_dests
            or dest.startswith(gone_frameworks)
            or target.startswith(gone_frameworks)
            or is_unwanted(dest)
        )

    return [e for e in binaries if keep(e)], [e for e in datas if keep(e)]


def _symlink_target(entry: TocEntry) -> str:
    """The destination a SYMLINK entry points at (its source field is relative to the link)."""
    dest, target, _kind = entry
    return os.path.normpath(PurePath(dest).parent / target)


def strip_python_runtime(binaries: list[TocEntry], out_dir: Path) -> list[TocEntry]:
    """Linux: the interpreter's own libraries without their debug sections.

    A Python built from source (pyenv, the common case on build machines) keeps its debug
    information: libpython3.11 is 23 MB, 6 MB once stripped. Only the interpreter's files are
    stripped: the libraries inside wheels were rewritten by auditwheel's patchelf, and `strip`
    corrupts those ("ELF load command address/offset not page-aligned" when numpy loads), which
    is why PyInstaller's own all-or-nothing `strip` option stays off.
    """
    strip = shutil.which("strip")
    if not sys.platform.startswith("linux") or strip is None:
        return binaries
    dynload = f"python{sys.version_info.major}.{sys.version_info.minor}/lib-dynload/"
    result = []
    for dest, source, kind in binaries:
        runtime = dest.startswith(dynload) or PurePath(dest).name.startswith("libpython")
        if kind in ("BINARY", "EXTENSION") and runtime:
            stripped = out_dir / dest
            if not stripped.is_file() or stripped.stat().st_mtime < Path(source).stat().st_mtime:
                stripped.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, stripped)
                subprocess.run([strip, "--strip-debug", str(stripped)], check=True)
            source = str(stripped)
        result.append((dest, source, kind))
    return result
