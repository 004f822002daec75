"""Ingest documents into Mwalimu's index: ``python ingest.py [PATH ...] [--prune] [--dry-run] [--reset] [--json]``."""

from __future__ import annotations

import sys

from tutor.cli import ingest_main

if __name__ == "__main__":
    sys.exit(ingest_main())
