"""Frozen entry point of `avpe-desktop`, the windowed executable in the bundle.

`freeze_support()` runs first, before Qt is imported: the render pool starts its workers with
'spawn', which in a frozen app re-runs this very executable, and this call is what turns such a
child into a pool worker instead of a second main window.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from avpe_desktop.ui.app import main

    sys.exit(main())
