"""A guard against a reference-count bug in the PySide6 we ship (6.12.0) on CPython 3.11.

Every call of a wrapped Qt method that returns nothing (`update()`, `setText()`,
`processEvents()`, ...) gives back a reference to None that it never took: 1,000 calls lower
`sys.getrefcount(None)` by 1,000. On Python 3.12 and later None is immortal and this is
harmless; on 3.11 None starts with a few thousand references, so after that many calls (a
session of clicking, every timer tick) its count reaches zero and the interpreter aborts
("Fatal Python error: none_dealloc"), taking unsaved work with it. No fixed PySide6 is
available to pin, so `protect_none` does on 3.11 what 3.12 does everywhere: it gives None a
reference count that no leak can spend.
"""

from __future__ import annotations

import ctypes
import sys

# Far beyond any session's leak (one per call), far below where a signed 64-bit count could
# overflow.
_RESERVE = 1 << 48


def protect_none() -> None:
    """Idempotent; a no-op where None is already immortal."""
    if sys.version_info >= (3, 12):
        return
    count = ctypes.c_ssize_t.from_address(id(None))
    if count.value < _RESERVE:
        count.value += _RESERVE
