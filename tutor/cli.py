"""Command-line entry points: parse arguments, call the package, translate errors into exit codes."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from tutor.errors import TutorError
from tutor.settings import setup_logging

log = logging.getLogger("tutor")


def ingest_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ingest.py", description="Add, update and remove documents in Mwalimu's index.")
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: TUTOR_CORPUS_DIR)")
    parser.add_argument("--prune", action="store_true",
                        help="retire documents whose files are gone from the given folders (kept for --as-of questions)")
    parser.add_argument("--purge", action="store_true",
                        help="delete documents whose files are gone, with every earlier version, for good")
    parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing, load no model")
    parser.add_argument("--reset", action="store_true", help="empty the index first, then ingest everything again")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--diff", metavar="DOC", help="show what changed between the two newest versions of DOC "
                        "(a doc_id) and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def ingest_main(argv: list[str] | None = None) -> int:
    """Exit status: 0 all good, 1 some file failed, 2 the run could not start (lock, store...)."""
    args = ingest_parser().parse_args(argv)
    setup_logging(args.verbose)
    from tutor.library.chroma import open_store
    from tutor.library.embeddings import make_embeddings
    from tutor.library.ingestion import Ingestor
    from tutor.settings import Settings

    settings = Settings()
    if args.diff:
        return _diff(settings, args.diff)
    try:
        ingestor = Ingestor(settings, open_store(settings), make_embeddings(settings))
        summary = ingestor.run(args.paths or None, prune=args.prune, dry_run=args.dry_run, reset=args.reset,
                               purge=args.purge)
    except TutorError as exc:
        log.error("%s", exc)
        return 2
    if not args.dry_run:
        _record_change(settings, summary, ", ".join(map(str, args.paths or [settings.corpus_dir])))
    if args.json:
        sys.stdout.write(json.dumps(summary.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(summary.text() + "\n")
    return 1 if summary.failures else 0


def _record_change(settings: Any, summary: Any, subject: str) -> None:
    """Name whoever ran ``ingest.py`` (their login on the server) in the staff record, as the Library tab
    names the account; only runs that changed something are recorded, and a failure only logs."""
    import getpass

    counts = {a: summary.count(a) for a in ("added", "updated", "removed")}
    if not any(counts.values()):
        return
    try:
        from tutor.db import make_engine
        from tutor.users.accounts import record_action

        detail = ", ".join(f"{n} {a}" for a, n in counts.items())
        record_action(make_engine(settings), f"cli:{getpass.getuser()}", "ingest", subject[-64:], detail)
    except Exception:  # the library changed; losing its record must not turn the run into a failure
        log.exception("could not record this ingestion in the staff record")


def _diff(settings: object, doc_id: str) -> int:
    """``ingest.py --diff DOC``: print the change between the two newest versions (no model is loaded)."""
    from tutor.library.chroma import open_store
    from tutor.library.diff import diff_versions

    try:
        report = diff_versions(open_store(settings), doc_id)  # type: ignore[arg-type]
    except TutorError as exc:
        log.error("%s", exc)
        return 2
    sys.stdout.write(report.text() + "\n")
    return 0
