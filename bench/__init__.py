"""Benchmarks (not tests): speed, memory, scale and quality against baselines.

Each module exposes ``run() -> dict`` of flat, JSON-ready figures; ``python -m bench`` runs them and merges
the figures into ``bench/results.json`` together with the machine they were measured on.
"""

from __future__ import annotations

import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"
PACKAGES = ("mwalimu", "torch", "sentence-transformers", "transformers", "chromadb", "langchain-core",
            "langchain-text-splitters", "langchain-chroma", "pypdf", "python-docx", "bm25s", "openvino", "nncf")


def cpu_model() -> str:
    """The CPU model as /proc/cpuinfo names it (or the platform's guess elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """Where the figures were measured: cores, CPU, memory, load (other work on the box skews timings)."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gb = round(pages / 1024**3, 1)
    except (ValueError, OSError, AttributeError):
        memory_gb = None
    return {
        "cores": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gb": memory_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def merge_results(figures: dict[str, Any], path: Path = RESULTS) -> dict[str, Any]:
    """Update ``bench/results.json`` with ``figures``, keeping the keys other benchmarks wrote."""
    current: dict[str, Any] = {}
    if path.exists():
        try:
            current = json.loads(path.read_text())
        except json.JSONDecodeError:
            current = {}
    current.update(figures)
    path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    return current
