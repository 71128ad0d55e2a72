"""Frozen entry point of `avpe`, the console executable in the bundle.

`freeze_support()` runs first, before the app's imports: the render pool starts its workers with
'spawn', which in a frozen app re-runs this very executable, and this call is what turns such a
child into a pool worker instead of a second copy of the CLI.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from avpe_desktop.cli import main

    sys.exit(main())
