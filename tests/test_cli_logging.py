"""The CLI's logging: one line per warning on stderr, the traceback in the shared log file,
and no doubled lines when `main` runs again in the same process."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from avpe_desktop.cli import main
from avpe_desktop.log_file import LOG_FILE_NAME


@pytest.fixture
def root_handlers() -> Iterator[None]:
    """The CLI configures the root logger; what it added is taken off again afterwards."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


@pytest.mark.usefixtures("root_handlers")
def test_a_failure_is_one_line_on_stderr_and_its_traceback_goes_to_the_log_file(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):  # configured twice, as a script calling main() twice would
        assert main(["jobs", "list"]) == 0
    capsys.readouterr()
    try:
        raise RuntimeError("the clip could not be encoded")
    except RuntimeError:
        logging.getLogger("avpe_desktop.engines.local.video").exception("Segment 3 failed")

    err = capsys.readouterr().err
    assert err.splitlines() == ["ERROR avpe_desktop.engines.local.video: Segment 3 failed"]
    log = (isolated_home / "logs" / LOG_FILE_NAME).read_text()
    assert "Traceback" in log and "RuntimeError: the clip could not be encoded" in log
    assert log.count("Segment 3 failed") == 1
