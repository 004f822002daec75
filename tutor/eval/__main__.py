"""``python -m tutor.eval``: see :mod:`tutor.eval.cli`."""

from __future__ import annotations

import sys

from tutor.eval.cli import main

if __name__ == "__main__":
    sys.exit(main())
