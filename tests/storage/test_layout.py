"""Project folders: the seed's layout, names that are safe everywhere, and atomic writes."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from avpe_desktop.domain import Format
from avpe_desktop.storage.atomic import atomic_open, atomic_output, atomic_write_text
from avpe_desktop.storage.layout import (
    MAX_FOLDER_BYTES,
    ProjectLayout,
    allocate_project_folder,
    file_stem,
    safe_folder_name,
)

WINDOWS_ILLEGAL = set('<>:"/\\|?*')
RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)}

HOSTILE_TITLES = [
    "../../etc",
    "..",
    ".",
    "/abs",
    "/etc/passwd",
    "a/b\\c",
    "C:\\Windows\\System32",
    "\\\\server\\share",
    "~/.ssh",
    "-rf",
    "name\x00with\x01controls\n\t",
    "right\u202eto-left override",
    "trailing dots...",
    "trailing spaces   ",
    '<>:"|?*',
    "",
    "   ",
    "CON",
    "con.txt",
    "Lpt9",
    "AUX .mp4",
    "x" * 400,
    "猫" * 200,
    "🎉" * 100,
    "👩🏽‍🚀" * 40,
    "🇯🇵" * 40,
    "e\u0301" * 120,  # decomposed accents: NFC makes them single characters
]


def _is_one_safe_component(name: str) -> bool:
    stem = name.partition(".")[0].rstrip(" ").upper()
    return (
        bool(name)
        and name == name.strip()
        and not name.startswith((".", "-"))
        and not name.endswith(".")
        and ".." not in name
        and not WINDOWS_ILLEGAL & set(name)
        and not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name)
        and stem not in RESERVED
        and len(name.encode("utf-8")) <= MAX_FOLDER_BYTES
        and unicodedata.is_normalized("NFC", name)
    )


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_titles_become_one_safe_component(title: str, tmp_path: Path) -> None:
    name = safe_folder_name(title)
    assert _is_one_safe_component(name), name
    assert safe_folder_name(name) == name  # stable when applied again
    (tmp_path / name).mkdir()  # and the file system accepts it
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Floof's Mysterious Discovery", "Floof's Mysterious Discovery"),
        ("Floof's Café 🎉", "Floof's Café 🎉"),
        ("Floof's Cafe\u0301 🎉", "Floof's Café 🎉"),  # NFC
        ("猫の大冒険", "猫の大冒険"),
        ("../../etc", "etc"),
        ("/abs", "abs"),
        ("a/b\\c", "a-b-c"),
        ("Floof: The Return?", "Floof The Return"),
        ("Wait... what", "Wait… what"),
        ("line\nbreak\ttab", "line break tab"),
        ("CON", "CON_"),
        ("nul.mp4", "nul_.mp4"),
        ("com1", "com1_"),
        ("CONSOLE", "CONSOLE"),
        ("", "Untitled"),
        ("...", "Untitled"),
    ],
)
def test_safe_folder_name_keeps_titles_readable(title: str, expected: str) -> None:
    assert safe_folder_name(title) == expected


def test_long_titles_are_cut_on_character_boundaries() -> None:
    for title, unit in (("é" * 300, "é"), ("猫" * 300, "猫"), ("🎉" * 300, "🎉")):
        name = safe_folder_name(title)
        assert MAX_FOLDER_BYTES - len(unit.encode()) < len(name.encode()) <= MAX_FOLDER_BYTES
        assert set(name) == {unit}


def test_cutting_keeps_emoji_sequences_whole() -> None:
    astronaut = "👩🏽‍🚀"  # woman, skin tone, ZWJ, rocket: 15 bytes
    name = safe_folder_name(astronaut * 20)
    assert name == astronaut * (MAX_FOLDER_BYTES // len(astronaut.encode()))
    flags = safe_folder_name("🇯🇵" * 20)  # 8 bytes per flag: 12.5 fit
    assert flags == "🇯🇵" * 12


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Floof's Mysterious Discovery", "floofs_mysterious_discovery"),
        ("Floof’s Café 🎉", "floofs_cafe"),
        ("  Straße -- NIGHT  ", "strasse_night"),
        ("猫の大冒険", "猫の大冒険"),
        ("Кот и коробка", "кот_и_коробка"),
        ("नमस्ते दुनिया", "नमस्ते_दुनिया"),  # vowel signs kept, not stripped as accents
        ("🎉🎉🎉", "untitled"),
        ("", "untitled"),
        ("../../etc/passwd", "etc_passwd"),
        ("CON", "con"),
    ],
)
def test_file_stem(title: str, expected: str) -> None:
    assert file_stem(title) == expected


def test_file_stem_is_bounded_and_never_empty() -> None:
    for title in HOSTILE_TITLES:
        stem = file_stem(title)
        assert stem
        assert stem == stem.lower()
        assert len(stem.encode("utf-8")) <= 48
        assert not (WINDOWS_ILLEGAL | {" ", "."}) & set(stem)


def test_layout_matches_the_seed(tmp_path: Path) -> None:
    layout = ProjectLayout(tmp_path, Format.DAILY_CHARACTER, "Floof's Mysterious Discovery")
    root = tmp_path / "generated_content" / "daily_character" / "Floof's Mysterious Discovery"
    assert layout.root == root
    assert layout.videos_dir == root / "videos"
    assert layout.frames_dir == root / "frames"
    assert layout.segment_video(3) == root / "videos" / "floofs_mysterious_discovery_segment_3.mp4"
    assert layout.first_frame(1) == root / "frames" / "first_frame_1.png"
    assert layout.last_frame(7) == root / "frames" / "last_frame_7.png"
    assert layout.thumbnail == root / "floofs_mysterious_discovery_thumbnail.png"
    assert layout.merged_video == root / "floofs_mysterious_discovery_complete.mp4"
    assert layout.content_json == root / "content.json"
    assert layout.relative == "generated_content/daily_character/Floof's Mysterious Discovery"
    with pytest.raises(ValueError, match="numbered from 1"):
        layout.segment_video(0)


def test_layout_round_trips_through_project_folder(tmp_path: Path) -> None:
    layout = ProjectLayout(tmp_path, "story", "Floof's Café 🎉")  # type: ignore[arg-type]
    assert layout.format is Format.STORY  # coerced, as read back from a stored string
    assert ProjectLayout.from_relative(tmp_path, layout.relative) == layout
    assert ProjectLayout.from_relative(tmp_path, layout.relative.replace("/", "\\")) == layout
    for bad in ("Floof", "generated_content/story", "elsewhere/story/Floof", "a/b/c/d"):
        with pytest.raises(ValueError, match="is not a project folder"):
            ProjectLayout.from_relative(tmp_path, bad)


def test_ensure_creates_the_folders(tmp_path: Path) -> None:
    layout = ProjectLayout(tmp_path, Format.MEME, "Floof").ensure()
    assert layout.videos_dir.is_dir()
    assert layout.frames_dir.is_dir()
    assert layout.ensure() == layout  # idempotent


@pytest.mark.parametrize("folder", ["..", ".", "", "a/b", "..\\..\\x", "nul\x00byte"])
def test_layout_refuses_folders_that_are_not_one_name(tmp_path: Path, folder: str) -> None:
    with pytest.raises(ValueError, match="single folder name"):
        ProjectLayout(tmp_path, Format.STORY, folder)


def test_layout_refuses_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        ProjectLayout(tmp_path, "../../etc", "Floof")  # type: ignore[arg-type]


def test_layout_refuses_a_symlink_out_of_the_workspace(tmp_path: Path) -> None:
    workspace, outside = tmp_path / "workspace", tmp_path / "outside"
    (workspace / "generated_content" / "story").mkdir(parents=True)
    outside.mkdir()
    try:
        (workspace / "generated_content" / "story" / "Escape").symlink_to(outside)
    except OSError:
        pytest.skip("symlinks are not available here")
    with pytest.raises(ValueError, match="outside"):
        ProjectLayout(workspace, Format.STORY, "Escape")


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_allocated_folders_stay_in_the_workspace(tmp_path: Path, title: str) -> None:
    workspace = tmp_path / "workspace"
    layout = allocate_project_folder(workspace, Format.DAILY_CHARACTER, title)
    assert layout.root.is_dir()
    assert (
        layout.root.resolve().parent == (workspace / "generated_content/daily_character").resolve()
    )
    assert list(tmp_path.iterdir()) == [workspace]


def test_allocation_never_reuses_a_folder(tmp_path: Path) -> None:
    names = [allocate_project_folder(tmp_path, "meme", "Floof's Café 🎉").folder for _ in range(4)]
    assert names == [
        "Floof's Café 🎉",
        "Floof's Café 🎉 (2)",
        "Floof's Café 🎉 (3)",
        "Floof's Café 🎉 (4)",
    ]
    other = allocate_project_folder(tmp_path, "story", "Floof's Café 🎉")
    assert other.folder == "Floof's Café 🎉"  # formats have separate folders


def test_numbered_long_titles_still_fit(tmp_path: Path) -> None:
    first = allocate_project_folder(tmp_path, "story", "猫" * 300)
    second = allocate_project_folder(tmp_path, "story", "猫" * 300)
    assert second.folder.endswith(" (2)")
    assert second.folder.removesuffix(" (2)") == first.folder[: len(second.folder) - 4]
    assert len(second.folder.encode()) <= MAX_FOLDER_BYTES


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    layout = allocate_project_folder(tmp_path, "story", "Floof").ensure()
    atomic_write_text(layout.content_json, '{"content": "old"}')

    with pytest.raises(RuntimeError, match="encoder died"), atomic_open(layout.content_json) as out:
        out.write(b'{"content": "new, but only ha')
        raise RuntimeError("encoder died")

    assert layout.content_json.read_text() == '{"content": "old"}'
    assert sorted(p.name for p in layout.root.iterdir()) == ["content.json", "frames", "videos"]


def test_a_failed_external_writer_keeps_the_old_video(tmp_path: Path) -> None:
    layout = ProjectLayout(tmp_path, Format.STORY, "Floof").ensure()
    video = layout.segment_video(1)
    video.write_bytes(b"old video")

    with pytest.raises(OSError, match="disk full"), atomic_output(video) as tmp:
        tmp.write_bytes(b"half a vid")  # what ffmpeg had written when it failed
        raise OSError("disk full")

    assert video.read_bytes() == b"old video"
    assert [p.name for p in layout.videos_dir.iterdir()] == [video.name]
