"""Bad input named in a creator's words: folders, missing, empty, unreadable and wrong files
given where an image or a script is expected, and characters nobody added."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from PIL import Image

from avpe_desktop.cli import main
from avpe_desktop.input_files import InputFileError, read_input_file
from avpe_desktop.media.images import ImageRejectedError, check_image_file


def _image(path: Path, fmt: str) -> Path:
    Image.new("RGB", (64, 64), (200, 120, 220)).save(path, format=fmt)
    return path


def _error_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Errno" not in err and "Traceback" not in err and "codec" not in err
    return err


def _with_character(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = _image(tmp_path / "floof.png", "PNG")
    assert main(["character", "add", str(image), "--name", "Floof", "--no-analyse"]) == 0
    capsys.readouterr()


def test_a_folder_given_as_an_image_is_named_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "somefolder"
    folder.mkdir()
    err = _error_of(["character", "add", f"{folder}/", "--name", "X"], capsys)
    assert "'somefolder' is a folder, not an image" in err
    missing = _error_of(["character", "add", str(tmp_path / "gone.png"), "--name", "X"], capsys)
    assert "'gone.png' does not exist" in missing


def test_an_image_with_the_wrong_extension(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The contents decide: a JPEG named .png imports; a GIF named .png is refused and the
    message says it is a GIF whatever its name."""
    jpeg = _image(tmp_path / "photo.png", "JPEG")
    assert main(["character", "add", str(jpeg), "--name", "Photo", "--no-analyse"]) == 0
    gif = _image(tmp_path / "anim.png", "GIF")
    err = _error_of(["character", "add", str(gif), "--name", "Anim", "--no-analyse"], capsys)
    assert "'anim.png' is a GIF image renamed .png; use a PNG, JPEG or WebP file." in err
    text = tmp_path / "notes.jpg"
    text.write_text("shopping list")
    err = _error_of(["character", "add", str(text), "--name", "Notes"], capsys)
    assert "not an image that can be read, whatever its name (.jpg) says" in err


def test_an_unreadable_file_says_permission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root nothing is unreadable, so the operating system's refusal is raised for it."""
    image = _image(tmp_path / "locked.png", "PNG")

    def refuse(self: Path) -> bytes:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ImageRejectedError) as info:
        check_image_file(image)
    assert str(info.value) == (
        "'locked.png' cannot be opened: you do not have permission to use it."
    )


def test_an_empty_or_oversized_input_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.touch()
    with pytest.raises(InputFileError, match=r"'empty.json' is empty \(0 bytes\)"):
        read_input_file(empty, "a script file", 1024)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 3 * 1_048_576)
    with pytest.raises(InputFileError, match=r"'big\.json' is 3 MB, too big for a script file"):
        read_input_file(big, "a script file", 1_048_576)


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        (
            "notes.bin",
            b"\x00\x9f\x92\x96 binary",
            "'notes.bin' is not a script file: it is not text",
        ),
        ("empty.json", b"", "'empty.json' is empty (0 bytes), so it is not a script file"),
        ("blank.json", b"  \n\n", "'blank.json' holds only blank space, not a script"),
        ("settings.json", b'{"theme": "dark"}', "'settings.json' is JSON but not a script"),
        ("list.json", b"[1, 2, 3]", "'list.json' is JSON but not a script"),
        ("broken.json", b'{"content": {', "'broken.json' is not valid JSON (line 1, column 14"),
    ],
)
def test_render_names_a_file_that_is_not_a_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, payload: bytes, message: str
) -> None:
    _with_character(tmp_path, capsys)
    path = tmp_path / name
    path.write_bytes(payload)
    err = _error_of(["render", str(path), "--character", "Floof"], capsys)
    assert message in err and "avpe write" in err


def test_render_names_a_missing_script_or_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_character(tmp_path, capsys)
    missing = _error_of(["render", str(tmp_path / "nope.json"), "--character", "Floof"], capsys)
    assert "'nope.json' does not exist" in missing
    folder = _error_of(["render", str(tmp_path), "--character", "Floof"], capsys)
    assert f"'{tmp_path.name}' is a folder, not a script file" in folder


def test_a_script_with_a_bom_renders_past_the_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Windows editors save UTF-8 with a byte-order mark; that is still a script, so the
    refusal that follows is about its fields, not its encoding."""
    _with_character(tmp_path, capsys)
    path = tmp_path / "bom.json"
    script = {"content": {"title": "T", "segments": [{"segment": 1}]}}
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(script).encode())
    err = _error_of(["render", str(path), "--character", "Floof"], capsys)
    assert "segments.0.scene" in err


def test_a_character_nobody_added(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "s.json"
    script.write_text('{"content": {"title": "T", "segments": []}}')
    err = _error_of(["write", "an idea", "--character", "Ghost"], capsys)
    assert "No character called 'Ghost': the library has no characters yet" in err
    _with_character(tmp_path, capsys)
    err = _error_of(["render", str(script), "--character", "Ghost"], capsys)
    assert "No character called 'Ghost'. 'avpe character list' shows the library." in err


def test_write_to_a_folder_names_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_character(tmp_path, capsys)
    argv = ["write", "an idea", "--character", "Floof", "--segments", "1", "-o", str(tmp_path)]
    err = _error_of(argv, capsys)
    assert f"'{tmp_path.name}' is a folder, not a file." in err
