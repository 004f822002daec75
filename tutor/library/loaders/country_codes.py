"""ISO 3166 alpha-3 country codes read as the names an official asks about ("KOR" -> "Korea (KOR)").

OECD tables label rows with codes; nobody asks "how did KOR score?". The table ships as package data
(data/country_codes.tsv: OECD members, accession and partner countries, and "OECD" for the OECD average).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_CODE = re.compile(r"^[A-Z]{3}[A-Z0-9]?$|^OECD$")


@cache
def country_names() -> dict[str, str]:
    """Code -> name, read once from the package's data file."""
    text = resources.files("tutor.library.loaders").joinpath("data/country_codes.tsv").read_text(encoding="utf-8")
    names = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            code, name = line.split("\t", 1)
            names[code.strip()] = name.strip()
    return names


def expand_code(label: str) -> str:
    """"KOR" -> "Korea (KOR)", "OECD" -> "OECD average (OECD)"; any other label is returned as it is."""
    code = label.strip()
    if _CODE.match(code):
        name = country_names().get(code)
        if name:
            return f"{name} ({code})"
    return label
