"""``python -m tutor.audit export --out FILE [--since DATE]`` and ``python -m tutor.audit replay FILE``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

log = logging.getLogger("tutor.audit")


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m tutor.audit", description="The record of Mwalimu's answers.")
    sub = main.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="write the records as JSON lines (or CSV when FILE ends in .csv)")
    export.add_argument("--out", type=Path, required=True, help="the file to write")
    export.add_argument("--since", help="only records from this ISO date or time on")
    replay = sub.add_parser("replay", help="re-ask exported questions against today's index; report what changed")
    replay.add_argument("file", type=Path, help="an export (JSON lines or CSV)")
    replay.add_argument("--json", action="store_true", help="print the comparison as JSON")
    sub.add_parser("purge", help="delete records older than TUTOR_AUDIT_RETENTION_DAYS")
    return main


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 done (replay: nothing changed), 1 replay found changed answers, 2 bad input."""
    from tutor.settings import setup_logging

    args = parser().parse_args(argv)
    setup_logging()
    from tutor.audit.log import AuditLog, parse_since
    from tutor.settings import Settings

    settings = Settings()
    if args.command == "replay":
        return _replay(settings, args.file, args.json)
    audit = AuditLog.from_settings(settings)
    if args.command == "purge":
        sys.stdout.write(f"Purged {audit.purge()} record(s).\n")
        return 0
    try:
        since = parse_since(args.since)
    except ValueError:
        log.error("--since must be an ISO date such as 2026-01-31, not %r", args.since)
        return 2
    n = audit.export(args.out, since)
    sys.stdout.write(f"Exported {n} record(s) to {args.out}.\n")
    return 0


def _replay(settings: object, file: Path, as_json: bool) -> int:
    from tutor.answers.tutor import Tutor
    from tutor.audit.replay import read_records, replay, report
    from tutor.library.chroma import open_store
    from tutor.library.embeddings import make_embeddings

    if not file.exists():
        log.error("no such file: %s", file)
        return 2
    store = open_store(settings)  # type: ignore[arg-type]
    tutor = Tutor.from_settings(settings, store, make_embeddings(settings))  # type: ignore[arg-type]
    try:
        changes = replay(tutor, read_records(file))
    except (KeyError, ValueError) as exc:
        log.error("%s is not an audit export: %s", file, exc)
        return 2
    sys.stdout.write(report(changes, as_json) + "\n")
    return 1 if any(c.changed for c in changes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
