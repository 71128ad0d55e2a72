"""Where a project's files live, in the seed backend's folder layout.

`<workspace>/generated_content/<format>/<Title>/` holds `videos/`, `frames/`, the thumbnail,
the merged video and the script, so folders made by the seed and by this app look alike.
Titles come from people and AI models: every name derived from one is made safe here, once.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Self

from avpe_desktop.domain import Format

GENERATED_CONTENT = "generated_content"
MAX_FOLDER_BYTES = 100
"""Short enough to leave room for the workspace, subfolders and file names on any system."""
MAX_STEM_BYTES = 48
MAX_FOLDER_ATTEMPTS = 10_000

_TO_DASH = frozenset("/\\|")
_TO_SPACE = frozenset('<>:"?*')
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
"""Control characters, lone surrogates (unencodable) and line breaks."""
_APOSTROPHES = frozenset("'’ʼ`´")
_ZWJ = "\u200d"
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{device}{n}" for device in ("COM", "LPT") for n in "123456789¹²³"}
)


def safe_folder_name(title: str, max_bytes: int = MAX_FOLDER_BYTES) -> str:
    """A readable folder name that is one harmless path component on Windows, macOS and Linux.

    Unicode is kept (NFC, so the same title always gives the same bytes); separators become
    dashes; characters Windows refuses, control and bidi-override characters become spaces.
    """
    if max_bytes < 16:
        raise ValueError(f"max_bytes must be at least 16, got {max_bytes}")
    chars: list[str] = []
    for ch in unicodedata.normalize("NFC", title):
        if ch in _TO_DASH:
            chars.append("-")
        elif (
            ch in _TO_SPACE
            or ch in _BIDI_CONTROLS
            or unicodedata.category(ch) in _UNSAFE_CATEGORIES
        ):
            chars.append(" ")
        else:
            chars.append(ch)
    name = " ".join("".join(chars).split())
    # Leading dots hide a folder (or make it "..") and a leading dash reads as an option.
    name = name.lstrip(" .-")
    name = _collapse_dot_runs(name)
    name = _cut_utf8(name, max_bytes).rstrip(" .")  # Windows drops trailing dots and spaces
    stem, dot, rest = name.partition(".")
    if stem.rstrip(" ").upper() in _WINDOWS_RESERVED:
        name = _cut_utf8(f"{stem.rstrip(' ')}_{dot}{rest}", max_bytes).rstrip(" .")
    return name or "Untitled"


def file_stem(title: str, max_bytes: int = MAX_STEM_BYTES) -> str:
    """A lowercase snake_case stem for file names, like the seed's "floofs_mysterious_discovery".

    Latin titles lose their accents ("Café" -> "cafe"); titles in other scripts keep their own
    letters rather than a guessed transliteration. Never empty.
    """
    text = "".join(ch for ch in unicodedata.normalize("NFC", title) if ch not in _APOSTROPHES)
    unaccented = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    words = _words(unaccented.casefold())
    if not all(word.isascii() for word in words):
        words = _words(text.casefold())
    stem = unicodedata.normalize("NFC", "_".join(words))
    return _cut_utf8(stem, max_bytes).strip("_") or "untitled"


@dataclass(frozen=True)
class ProjectLayout:
    """Paths of one project folder. Building one validates the folder stays in the workspace.

    File names use a stem derived from the folder name, not the title, so renaming a project
    never orphans the files already on disk.
    """

    workspace: Path
    format: Format
    folder: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "workspace", Path(self.workspace))
        object.__setattr__(self, "format", Format(self.format))
        if (
            not self.folder
            or self.folder in (".", "..")
            or any(ch in self.folder for ch in "/\\\0")
        ):
            raise ValueError(f"{self.folder!r} is not a single folder name")
        workspace = self.workspace.resolve()
        if not self.root.resolve().is_relative_to(workspace):
            raise ValueError(f"project folder {self.folder!r} would be outside {workspace}")

    @classmethod
    def from_relative(cls, workspace: str | os.PathLike[str], relative: str) -> ProjectLayout:
        """Rebuilds a layout from `Project.folder`, as written by `relative`."""
        parts = PurePosixPath(relative.replace("\\", "/")).parts
        if len(parts) != 3 or parts[0] != GENERATED_CONTENT:
            raise ValueError(
                f"{relative!r} is not a project folder ({GENERATED_CONTENT}/<format>/<title>)"
            )
        return cls(Path(workspace), Format(parts[1]), parts[2])

    @property
    def relative(self) -> str:
        """The folder relative to the workspace, with forward slashes, for `Project.folder`."""
        return f"{GENERATED_CONTENT}/{self.format.value}/{self.folder}"

    @property
    def root(self) -> Path:
        return self.workspace / GENERATED_CONTENT / self.format.value / self.folder

    @property
    def stem(self) -> str:
        return file_stem(self.folder)

    @property
    def videos_dir(self) -> Path:
        return self.root / "videos"

    @property
    def frames_dir(self) -> Path:
        return self.root / "frames"

    @property
    def thumbnail(self) -> Path:
        return self.root / f"{self.stem}_thumbnail.png"

    @property
    def merged_video(self) -> Path:
        return self.root / f"{self.stem}_complete.mp4"

    def partial_video(self, rendered: int, total: int) -> Path:
        """The merge of a render that lost segments, e.g. `..._partial_2_of_3.mp4`: named so
        that nobody takes it for the whole video."""
        return self.root / f"{self.stem}_partial_{rendered}_of_{total}.mp4"

    def partial_videos(self) -> list[Path]:
        """Partial merges on disk, newest first."""
        pattern = re.compile(re.escape(self.stem) + r"_partial_\d+_of_\d+\.mp4")
        found = [path for path in self.root.glob("*.mp4") if pattern.fullmatch(path.name)]
        return sorted(found, key=lambda path: path.stat().st_mtime, reverse=True)

    @property
    def content_json(self) -> Path:
        return self.root / "content.json"

    @property
    def steps_dir(self) -> Path:
        """Paid results by content hash; the named files in frames/ and videos/ are copies."""
        return self.root / ".steps"

    def step_result(self, key: str, suffix: str) -> Path:
        return self.steps_dir / f"{key}{suffix}"

    def reframed_video(self, aspect: str, merged: Path | None = None) -> Path:
        """A merged video (the whole one unless another is given) reframed to another aspect
        ratio beside it, e.g. `..._complete_4x5.mp4`."""
        source = merged or self.merged_video
        return source.with_name(f"{source.stem}_{aspect.replace(':', 'x')}.mp4")

    def scored_video(self, source: Path) -> Path:
        """A merged (or reframed) video with the project's soundtrack mixed in, beside it,
        e.g. `..._complete_music.mp4`: the source keeps the clips' own sound, so a new song
        is mixed from it again without a render."""
        return source.with_name(f"{source.stem}_music.mp4")

    def segment_video(self, segment: int) -> Path:
        return self.videos_dir / f"{self.stem}_segment_{_segment_number(segment)}.mp4"

    def first_frame(self, segment: int) -> Path:
        return self.frames_dir / f"first_frame_{_segment_number(segment)}.png"

    def last_frame(self, segment: int) -> Path:
        return self.frames_dir / f"last_frame_{_segment_number(segment)}.png"

    def ensure(self) -> Self:
        self.videos_dir.mkdir(parents=True, exist_ok=True)
        self.frames_dir.mkdir(parents=True, exist_ok=True)
        return self


def allocate_project_folder(
    workspace: str | os.PathLike[str], format: Format | str, title: str
) -> ProjectLayout:
    """Creates and returns a new, empty project folder named after the title.

    The folder is claimed with an exclusive mkdir, so two renders started at the same moment
    (or a case-insensitive file system) never share one; clashes get " (2)", " (3)"...
    """
    base = safe_folder_name(title)
    parent = Path(workspace) / GENERATED_CONTENT / Format(format).value
    parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, MAX_FOLDER_ATTEMPTS + 1):
        if n == 1:
            name = base
        else:
            suffix = f" ({n})"
            name = _cut_utf8(base, MAX_FOLDER_BYTES - len(suffix)).rstrip(" .") + suffix
        layout = ProjectLayout(Path(workspace), Format(format), name)
        try:
            layout.root.mkdir()
        except FileExistsError:
            continue
        return layout
    raise FileExistsError(f"no free folder name for {title!r} in {parent}")


def _segment_number(segment: int) -> int:
    if segment < 1:
        raise ValueError(f"segments are numbered from 1, got {segment}")
    return segment


def _words(text: str) -> list[str]:
    """Runs of letters, digits and their combining marks; everything else separates."""
    words: list[str] = []
    current: list[str] = []
    for ch in text:
        if unicodedata.category(ch)[0] in "LNM":
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _collapse_dot_runs(name: str) -> str:
    """ "..." becomes "…": still readable, and no ".." is left in any name."""
    out: list[str] = []
    for ch in name:
        if ch == "." and out and out[-1] in ".…":
            out[-1] = "…"
        else:
            out.append(ch)
    return "".join(out)


def _cut_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix within max_bytes that does not split a character, and where it can
    help it, not an accent from its letter or an emoji sequence (ZWJ, skin tone, flag)."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    end = size = 0
    for ch in text:
        size += len(ch.encode("utf-8"))
        if size > max_bytes:
            break
        end += 1
    cut = end
    while cut > 0 and (_extends(text[cut]) or text[cut - 1] == _ZWJ or _splits_flag(text, cut)):
        cut -= 1
    return text[: cut or end]


def _extends(ch: str) -> bool:
    """True for characters that belong to the character before them."""
    code = ord(ch)
    return (
        unicodedata.category(ch).startswith("M")
        or ch == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # emoji tag sequences
    )


def _splits_flag(text: str, cut: int) -> bool:
    """Flags are pairs of regional indicators; an odd run before the cut means a split pair."""
    run = 0
    while cut - run - 1 >= 0 and _is_regional_indicator(text[cut - run - 1]):
        run += 1
    return run % 2 == 1 and _is_regional_indicator(text[cut])


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF
