"""AVPE Desktop: character videos from an idea and an image."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("avpe-desktop")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
