"""The PySide6 desktop app: the only package that imports Qt (see DESIGN.md, Principles).

Importing it protects None from the binding's reference leak first (`binding_guard`), so every
way into the UI (the app, its tests, the frozen build) is covered.
"""

from avpe_desktop.ui.binding_guard import protect_none

protect_none()
