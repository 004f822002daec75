"""The system programs some tests drive, and the one rule for their absence: fail, unless a variable says skip.

`make test` installs them (scripts/system-deps.sh), so a missing program means a broken set-up, which must not pass
silently as a shorter green run. `MWALIMU_ALLOW_SKIP=chromium,postgresql` (or `all`) lets a developer without
them skip those tests on purpose.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL = "make system-deps-dev (as root), or: sudo apt-get install -y --no-install-recommends"


def allowed_to_skip(name: str) -> bool:
    """True when MWALIMU_ALLOW_SKIP names this program (comma-separated) or says `all`."""
    names = {n.strip() for n in os.environ.get("MWALIMU_ALLOW_SKIP", "").split(",") if n.strip()}
    return name in names or "all" in names


def require(name: str, present: bool, packages: str) -> None:
    """Fail the test (or skip it, when asked for) if a system program it drives is not installed."""
    if present:
        return
    message = f"{name} is not installed: {INSTALL} {packages}"
    if allowed_to_skip(name):
        pytest.skip(f"{message} (skipped: MWALIMU_ALLOW_SKIP)")
    pytest.fail(f"{message}; or set MWALIMU_ALLOW_SKIP={name} to skip these tests on purpose", pytrace=False)


def has_tesseract(*languages: str) -> bool:
    """Whether Debian's tesseract runs and has the language data asked for."""
    if shutil.which("tesseract") is None:
        return False
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30,
                            check=False).stdout
    return set(languages) <= set(listed.split())


def require_chromium(path: Path) -> None:
    require("chromium", path.exists(), "chromium fonts-dejavu-core")


def require_postgresql(present: bool) -> None:
    require("postgresql", present, "postgresql")


def require_tesseract(*languages: str) -> None:
    packages = " ".join(["tesseract-ocr", *(f"tesseract-ocr-{lang}" for lang in languages)])
    require("tesseract", has_tesseract(*languages), packages)
