"""The small error hierarchy of Mwalimu.

Errors are raised deep in the pipeline and translated once at the edges: the CLI turns them into a
one-line message and an exit code, the UI into a friendly notice. Every message says what to do next.
"""

from __future__ import annotations


class TutorError(Exception):
    """Base class for every error Mwalimu raises on purpose."""


class DocumentError(TutorError):
    """A file cannot be ingested (corrupt, encrypted, empty, too large, unsupported...).

    The message is the one-line reason shown to content staff; the file is skipped and nothing
    already indexed is touched.
    """


class IndexNotReadyError(TutorError):
    """The index is empty or missing: run `python ingest.py` or upload documents first."""


class IngestLockedError(TutorError):
    """Another ingestion holds the lock on the index for longer than we are willing to wait."""


class BackendError(TutorError):
    """The answer backend (an LLM server) failed; callers fall back to the extractive answer."""
