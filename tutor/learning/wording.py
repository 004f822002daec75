"""How the learning desk compares words: :func:`normalise` is the one comparison the curriculum uses
everywhere (glossary look-ups, option checks, grading, generated practice), :func:`contains` the whole-token
containment built on it."""

from __future__ import annotations

import re
import unicodedata

_ARTICLES = frozenset({"a", "an", "the"})



_TOKEN = re.compile(r"\d+(?:\.\d+)?%?|[^\W\d_]+")



_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")



def normalise(text: str) -> str:
    """Lower-case words and numbers only: no punctuation, articles or thousands separators.

    ``"The Data Protection Act, 2019"`` -> ``"data protection act 2019"``; ``"1,450"`` -> ``"1450"``;
    ``"5 per cent"`` -> ``"5%"``.
    """
    value = unicodedata.normalize("NFKC", text).translate(_DASHES).casefold()
    value = re.sub(r"(?<=\d)[,\u00a0\u202f](?=\d{3}(?!\d))", "", value)
    value = re.sub(r"(\d)\s*(?:%|per\s?cent\b)", r"\1%", value)
    value = value.replace("&", " and ")
    return " ".join(t for t in _TOKEN.findall(value) if t not in _ARTICLES)



def contains(haystack: str, needle: str) -> bool:
    """Whole-token containment of one normalised string in another."""
    return bool(needle) and f" {needle} " in f" {haystack} "
