"""Docs that cannot drift: every setting and every CLI flag is in the README, and the Quick start stays two commands."""

from __future__ import annotations

import re
from pathlib import Path

from tutor.cli import ingest_parser
from tutor.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table() -> None:
    table = README.split("<!-- settings-table -->", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(TUTOR_[A-Z0-9_]+)`", table))
    expected = {f"TUTOR_{name.upper()}" for name in Settings.model_fields}
    assert expected - documented == set(), "settings missing from the README table"
    assert documented - expected == set(), "the README documents settings that do not exist"


def test_every_ingest_flag_is_in_the_readme() -> None:
    flags = {opt for action in ingest_parser()._actions for opt in action.option_strings if opt.startswith("--")}
    missing = {flag for flag in flags - {"--help"} if f"`{flag}" not in README}
    assert not missing, f"ingest.py flags missing from the README: {sorted(missing)}"


def test_quick_start_is_exactly_run_and_test() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.MULTILINE) and re.search(r"^test:", makefile, re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_pictures_exist() -> None:
    for picture in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        assert (ROOT / picture).is_file(), picture
