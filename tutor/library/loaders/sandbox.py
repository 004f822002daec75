"""Run a parser in a child process with a time limit and a memory cap.

pypdf and python-docx parse files that may come from anywhere. A crafted file can make a parser loop
or allocate without bound; running it in a forked child that is killed after ``timeout_s`` and that
cannot grow past ``memory_mb`` turns that into a one-line reason instead of a hung or dead ingestion.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from tutor.errors import DocumentError
from tutor.library.loaders.base import LoadedDocument

log = logging.getLogger(__name__)

Loader = Callable[[Path], LoadedDocument]
_context = None


def _get_context() -> multiprocessing.context.BaseContext:
    """A forkserver context (forking a process that already runs PyTorch threads is unsafe)."""
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["tutor.library.loaders.pdf", "tutor.library.loaders.docx", "pypdf", "docx"])
        _context = ctx
    return _context


#: Parsing runs beside embedding during ingestion; at a lower priority it takes the cores the model
#: leaves idle instead of preempting its threads (a preempted thread stalls the whole matrix product).
CHILD_NICENESS = 10


def _child(loader: Loader, path: str, memory_mb: int, conn: Connection) -> None:
    os.nice(CHILD_NICENESS)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result: tuple[str, object] = ("ok", loader(Path(path)))
    except DocumentError as exc:
        result = ("error", str(exc))
    except MemoryError:
        result = ("error", f"parsing needed more than {memory_mb} MB of memory (damaged or crafted file?)")
    except RecursionError:
        result = ("error", "the file's structure nests too deeply to parse (damaged or crafted file?)")
    except Exception as exc:  # noqa: BLE001 - any parser crash becomes the file's reason
        result = ("error", f"cannot parse: {type(exc).__name__}: {exc}".splitlines()[0][:200])
    try:
        conn.send(result)
    except MemoryError:
        conn.send(("error", f"parsing needed more than {memory_mb} MB of memory (damaged or crafted file?)"))
    conn.close()


def run_bounded(loader: Loader, path: Path, timeout_s: float, memory_mb: int) -> LoadedDocument:
    """Call ``loader(path)`` in a child process; raise :class:`DocumentError` on any failure or overrun."""
    ctx = _get_context()
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(loader, str(path), memory_mb, sender), daemon=True)
    proc.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            raise DocumentError(f"parsing took longer than {timeout_s:g} s (damaged or crafted file?)")
        try:
            status, payload = receiver.recv()
        except EOFError as exc:
            raise DocumentError(
                f"the parser crashed (exit code {proc.exitcode}); damaged or crafted file?"
            ) from exc
    finally:
        receiver.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if status != "ok":
        raise DocumentError(str(payload))
    assert isinstance(payload, LoadedDocument)
    return payload
