"""What an ingestion run did, file by file: printed by ``ingest.py`` (as text or ``--json``) and shown by the
Library tab, so both read the same."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FileResult:
    """What happened to one file."""

    source: str
    doc_id: str
    action: str  # added | updated | unchanged | removed | failed
    chunks: int = 0
    pages: int = 0
    reason: str = ""
    #: One line content staff should read although the file went in (a backdated version).
    warning: str = ""



@dataclass
class IngestSummary:
    """The outcome of one run, as printed by the CLI and shown by the Library desk."""

    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for f in self.files if f.action == action)

    @property
    def chunks_written(self) -> int:
        return sum(f.chunks for f in self.files if f.action in {"added", "updated"})

    @property
    def pages(self) -> int:
        return sum(f.pages for f in self.files if f.action in {"added", "updated"})

    @property
    def failures(self) -> list[FileResult]:
        return [f for f in self.files if f.action == "failed"]

    @property
    def changed(self) -> bool:
        return any(f.action in {"added", "updated", "removed"} for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            **{a: self.count(a) for a in ("added", "updated", "unchanged", "removed", "failed")},
            "chunks_written": self.chunks_written,
            "pages": self.pages,
            "seconds": round(self.seconds, 3),
            "failures": [{"source": f.source, "reason": f.reason} for f in self.failures],
            "files": [asdict(f) for f in self.files],
        }

    def text(self) -> str:
        """Human summary: one line of counts, then one line per failure."""
        verb = "Would ingest" if self.dry_run else "Ingested"
        lines = [(
            f"{verb} {len(self.files)} file(s) in {self.seconds:.1f} s: {self.count('added')} added, "
            f"{self.count('updated')} updated, {self.count('unchanged')} unchanged, {self.count('removed')} removed, "
            f"{self.count('failed')} failed; {self.chunks_written} chunks written."
        )]
        lines += [f"FAILED {f.source}: {f.reason}" for f in self.failures]
        lines += [f"WARNING {f.source}: {f.warning}" for f in self.files if f.warning and f.action != "failed"]
        return "\n".join(lines)
