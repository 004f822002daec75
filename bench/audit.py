"""The cost of the audit record (issue #11): per answer recorded, and exporting 10,000 records.

SQLite under a temporary data folder, as the app uses by default. The answers recorded have the shape of
real ones (eight retrieved passages, three cited); what is timed is :meth:`AuditLog.record` alone, which
is what an answer pays on top of answering.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tutor.audit import AuditLog
from tutor.events import Done, Source
from tutor.settings import Settings

RECORDS = 10_000
TIMED = 500


def sample_done(i: int) -> Done:
    """An answer shaped like the offline answerer's: eight retrieved passages, the first three cited."""
    sources = tuple(Source(n=n, chunk_id=f"doc-{n}:{i % 40}:0", doc_id=f"doc-{n}", title=f"Document {n}",
                           publisher="Mwalimu team", year="2025", page=None, section="Intro", url="",
                           text="A passage of about two hundred words. " * 20, score=0.61 - n / 100, version=1)
                    for n in range(1, 9))
    return Done(answer="An answer [1].", body="An answer [1].", sources=sources[:3], retrieved=sources, refused=False,
                backend="offline (extractive)", question=f"Question {i} about the eCitizen platform?",
                standalone_question=f"Question {i} about the eCitizen platform?", timings_ms={"total_ms": 120.0})


def run() -> dict[str, Any]:
    from tutor.db import make_engine

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", _env_file=None)  # type: ignore[call-arg]
        audit = AuditLog.from_settings(settings, make_engine(settings))
        times = []
        for i in range(RECORDS):
            started = time.perf_counter()
            audit.record(sample_done(i) if i < TIMED else _SHAPE, "api")
            if i < TIMED:
                times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        written = audit.export(Path(tmp) / "audit.jsonl")
        export_s = time.perf_counter() - started
        started = time.perf_counter()
        audit.export(Path(tmp) / "audit.csv")
        csv_s = time.perf_counter() - started
    times.sort()
    return {"audit_record_p50_ms": round(statistics.median(times), 2),
            "audit_record_p95_ms": round(times[int(len(times) * 0.95)], 2),
            "audit_export_10k_s": round(export_s, 2), "audit_export_10k_csv_s": round(csv_s, 2),
            "audit_export_records": written}


_SHAPE = sample_done(0)


def report(figures: dict[str, Any]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in figures.items())


if __name__ == "__main__":
    print(report(run()))
