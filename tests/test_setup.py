"""Set-up tells the truth: missing Debian packages are installed or named with the exact command, never skipped."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import system

REPO = Path(__file__).resolve().parents[1]


def test_a_missing_program_fails_its_test_unless_a_variable_asks_to_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MWALIMU_ALLOW_SKIP", raising=False)
    with pytest.raises(pytest.fail.Exception, match="chromium is not installed: .*apt-get install .*chromium"):
        system.require("chromium", False, "chromium fonts-dejavu-core")
    monkeypatch.setenv("MWALIMU_ALLOW_SKIP", "postgresql, chromium")
    with pytest.raises(pytest.skip.Exception, match="MWALIMU_ALLOW_SKIP"):
        system.require("chromium", False, "chromium fonts-dejavu-core")
    monkeypatch.setenv("MWALIMU_ALLOW_SKIP", "postgresql")
    with pytest.raises(pytest.fail.Exception):
        system.require("chromium", False, "chromium fonts-dejavu-core")
    system.require("chromium", True, "chromium")  # present: nothing happens


def test_system_deps_without_root_stops_with_the_exact_apt_get_command(tmp_path: Path) -> None:
    """A machine whose tesseract is missing (a PATH without it), for a user who is not root and has no sudo
    (an `id` that answers 1000 stands in for the ordinary user: the real script runs, apt-get is never called)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "grep", "apt-get"):
        (bin_dir / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    (bin_dir / "id").write_text("#!" + str(bin_dir / "bash") + "\necho 1000\n")
    (bin_dir / "id").chmod(0o755)
    command = [str(bin_dir / "bash"), str(REPO / "scripts" / "system-deps.sh"), "run"]
    done = subprocess.run(command, env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 1
    assert done.stderr.strip() == ("Missing Debian packages: tesseract-ocr tesseract-ocr-eng tesseract-ocr-swa. Run: "
                                   "sudo apt-get update && sudo apt-get install -y --no-install-recommends "
                                   "tesseract-ocr tesseract-ocr-eng tesseract-ocr-swa")


def test_make_test_installs_the_system_packages_before_anything_else() -> None:
    plan = subprocess.run(["make", "--no-print-directory", "-n", "-B", "test"], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout
    assert plan.splitlines()[0] == "bash scripts/system-deps.sh test"


def test_every_package_the_benchmarks_import_is_installed_by_the_dev_set_up() -> None:
    """`make bench` runs on what `make install-dev` installs. bench/realdocs.py imports its LangChain baseline
    (langchain_community's PyPDFLoader) only when it runs, so a missing package showed only at the end of a
    bench run; here every import of bench/, lazy ones included, must resolve."""
    import ast
    import importlib.util

    missing = set()
    for path in sorted((REPO / "bench").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if top != "bench" and importlib.util.find_spec(top) is None:
                    missing.add(f"{path.name}: {name}")
    assert not missing, sorted(missing)
