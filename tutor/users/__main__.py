"""``python -m tutor.users``: see :mod:`tutor.users.cli`."""

from tutor.users.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
