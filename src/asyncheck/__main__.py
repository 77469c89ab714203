"""``python -m asyncheck``.

``-m`` puts the current directory first on ``sys.path``, and asyncheck is usually run from
the root of the tree it analyses: a ``click.py``, ``json.py`` or ``collections.py`` there
would be imported in place of the real module, running the analysed code.  The entry is
dropped before anything else is imported (``asyncheck`` itself is imported already and finds
its own modules through its package).  ``-P``/``PYTHONSAFEPATH`` add no such entry.
"""

import os
import sys


def _drop_current_directory() -> None:
    if getattr(sys.flags, "safe_path", False) or not sys.path:
        return
    try:
        here = os.getcwd()
    except OSError:  # the directory was removed: nothing can be imported from it anyway
        here = None
    if sys.path[0] in ("", ".", here):
        del sys.path[0]


if __name__ == "__main__":
    _drop_current_directory()
    # Imported after the fix, on purpose: the command's own imports (click, json, ...).
    from asyncheck.doors.cli import main

    main()
