"""`avpe library backup | backups | restore` end to end, on the real library under AVPE_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli import _character_image

from avpe_desktop.cli import main
from avpe_desktop.config import app_dirs


def _add(tmp_path: Path, name: str) -> None:
    image = _character_image(tmp_path / f"{name}.png", "PNG")
    assert main(["character", "add", str(image), "--name", name, "--no-analyse"]) == 0


def test_restore_brings_back_a_library_overwritten_with_garbage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add(tmp_path, "Floof")
    _add(tmp_path, "Blob")
    assert main(["demo", "--segments", "1", "--duration", "4", "--no-merge"]) == 0
    assert main(["library", "backup"]) == 0
    assert "Backed up the library to" in capsys.readouterr().out

    library = app_dirs().library_db
    library.write_bytes(b"\x00this is not a library\xff" * 300)
    assert main(["character", "list"]) == 1
    assert "`avpe library restore`" in capsys.readouterr().err
    assert main(["library", "backup"]) == 1
    assert "`avpe library restore`" in capsys.readouterr().err

    assert main(["library", "backups"]) == 0
    listing = capsys.readouterr().out
    assert "manual" in listing and "2 characters, 1 project" in listing

    assert main(["library", "restore"]) == 0
    said = capsys.readouterr().out
    assert "Restored the library from the backup of" in said
    assert "2 characters, 1 project" in said
    assert "library.sqlite3.damaged-" in said
    assert "missing" not in said
    (damaged,) = library.parent.glob("library.sqlite3.damaged-*")
    assert damaged.read_bytes().startswith(b"\x00this is not a library")

    assert main(["character", "list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == ["Blob", "Floof"]


def test_restore_names_the_files_a_restored_library_misses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add(tmp_path, "Floof")
    assert main(["library", "backup"]) == 0
    image = next(app_dirs().characters.rglob("image.png"))
    image.unlink()

    assert main(["library", "restore"]) == 0
    said = capsys.readouterr().out
    assert f"1 character's image is missing: Floof ({image})" in said


def test_restore_reports_what_it_cannot_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["library", "backups"]) == 0
    assert "No backups yet" in capsys.readouterr().out
    assert main(["library", "restore"]) == 1
    err = capsys.readouterr().err
    assert "no backups of the library" in err and "Traceback" not in err
    assert main(["library", "restore", "library-1999"]) == 1
