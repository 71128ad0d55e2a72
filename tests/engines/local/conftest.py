"""The bundled sample characters and small image helpers for the offline engine's tests."""

from __future__ import annotations

from importlib import resources

import pytest

CHARACTERS = resources.files("avpe_desktop").joinpath("resources", "characters")


@pytest.fixture(scope="session")
def floof_png() -> bytes:
    return CHARACTERS.joinpath("floof.png").read_bytes()


@pytest.fixture(scope="session")
def grumble_jpg() -> bytes:
    return CHARACTERS.joinpath("grumble.jpg").read_bytes()
