"""The PySide6 desktop app: the only package that imports Qt (see DESIGN.md, Principles)."""
