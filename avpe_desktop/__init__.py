"""AVPE Desktop: character videos from an idea and an image.

The version is written here and read by the build (pyproject.toml's dynamic version), not
looked up in the installed metadata at run time: importlib.metadata costs the app's start-up
some 20 ms of imports for one string.
"""

__version__ = "0.1.0"
