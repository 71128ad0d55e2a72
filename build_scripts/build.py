"""`python build_scripts/build.py`: the one-folder app bundle for this OS, in dist/avpe-desktop/.

Runs PyInstaller on avpe.spec (both executables, `avpe-desktop` and `avpe`, sharing one
_internal/ folder; on macOS also `AVPE Desktop.app`) and reports what a release needs to know:
where the bundle is, how big it is, its biggest parts (where any further trimming starts) and
how long the build took. The last line printed is the bundle's path.

PyInstaller comes with the `packaging` extra: `pip install -e '.[packaging]'` (add `cloud` so
the bundle can use MongoDB and Cloudinary: whatever is installed is what gets frozen).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build_scripts" / "avpe.spec"
BUNDLE_NAME = "avpe-desktop"
MACOS_APP = "AVPE Desktop.app"
MIB = 1024 * 1024


def tree_size(path: Path) -> int:
    """Bytes on disk as `du` counts them, without following symbolic links (Qt's libraries are
    linked into the bundle's top level and must not be counted twice)."""
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size
    total = 0
    for folder, _dirs, files in os.walk(path):
        total += sum((Path(folder) / name).lstat().st_size for name in files)
    return total


def largest_parts(bundle: Path, count: int = 10) -> list[tuple[str, int]]:
    """The biggest entries at the bundle's top level and inside its _internal/ folder."""
    entries = [p for p in bundle.iterdir() if p.name != "_internal"]
    internal = bundle / "_internal"
    if internal.is_dir():
        entries += list(internal.iterdir())
    sizes = [(str(p.relative_to(bundle)), tree_size(p)) for p in entries]
    return sorted(sizes, key=lambda item: item[1], reverse=True)[:count]


def run_pyinstaller(dist: Path, work: Path, clean: bool) -> None:
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level=WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        *(["--clean"] if clean else []),
        str(SPEC),
    ]
    print("+ " + " ".join(command), flush=True)
    # Not from the source tree: its stray avpe_desktop.egg-info would shadow the installed
    # package's metadata, which is what the bundle must carry.
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(command, check=True, cwd=work)


def _minutes(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="default: dist/")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="default: build/")
    parser.add_argument(
        "--clean", action="store_true", help="ignore PyInstaller's caches (a release build)"
    )
    args = parser.parse_args(argv)
    if importlib.util.find_spec("PyInstaller") is None:
        print(
            "build: PyInstaller is not installed; run: pip install -e '.[packaging]'",
            file=sys.stderr,
        )
        return 1
    started = time.monotonic()
    try:
        run_pyinstaller(args.dist.resolve(), args.work.resolve(), args.clean)
    except subprocess.CalledProcessError as exc:
        print(f"build: PyInstaller failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    bundle = args.dist.resolve() / BUNDLE_NAME
    files = sum(len(names) for _folder, _dirs, names in os.walk(bundle))
    print(f"Built {bundle} in {_minutes(elapsed)}")
    print(f"Bundle size: {tree_size(bundle) / MIB:.0f} MiB in {files} files; largest parts:")
    for name, size in largest_parts(bundle):
        print(f"  {size / MIB:7.1f} MiB  {name}")
    app = bundle.parent / MACOS_APP
    if app.is_dir():
        print(f"macOS app: {app} ({tree_size(app) / MIB:.0f} MiB)")
    print(bundle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
