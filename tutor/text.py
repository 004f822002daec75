"""Small text helpers shared by the answerers, the follow-up rewriter and the evaluator."""

from __future__ import annotations

import re
from functools import lru_cache

_ABBREVIATIONS = frozenset(("e.g.", "i.e.", "etc.", "no.", "nos.", "vs.", "art.", "arts.", "s.", "ss.", "sec.", "p.", "pp.",
                  "cap.", "dr.", "mr.", "ms.", "mrs.", "prof.", "st.", "fig.", "vol.", "ed.", "eds.", "al.", "approx.",
                  "u.s.", "u.k.", "inc.", "ltd.", "co.", "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.",
                  "sep.", "sept.", "oct.", "nov.", "dec."))
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_NUMBER_COMMAS = re.compile(r"(?<=\d),(?=\d{3}\b)")

STOPWORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once
only or other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves also may might must shall us per via within
tell explain describe mean means meant say says said give list know exactly please does do did
""".split())  # noqa: SIM905 - a word list reads best as text
PRONOUNS = frozenset("it its it's they them their theirs this that these those he she him her his there such".split())  # noqa: SIM905


_BLOCK_BREAK = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences without breaking at "e.g.", "No. 24", "p. 3" or decimals like 0.61.

    Paragraphs and list items are separate sentences (bullet markers dropped), except that a lead-in
    ending with ":" and the short list items after it become one sentence ("Six functions: Govern;
    Identify; ..."), so that a list is quoted whole rather than as fragments.
    """
    out: list[str] = []
    lead: str | None = None
    items: list[str] = []

    def close_list() -> None:
        nonlocal lead
        if lead is not None:
            out.append(f"{lead} {'; '.join(i.rstrip('.;') for i in items)}." if items else lead)
        lead = None
        items.clear()

    for block in _BLOCK_BREAK.split(text):
        is_item = bool(_BULLET.match(block))
        block = re.sub(r"\s+", " ", _BULLET.sub("", block)).strip()
        if not block:
            continue
        if lead is not None and is_item and len(block.split()) <= 25 and len(items) < 12:
            items.append(block)
            continue
        close_list()
        sentences = _split_block(block)
        if sentences and sentences[-1].endswith(":"):
            out += sentences[:-1]
            lead = sentences[-1]
        else:
            out += sentences
    close_list()
    return out


def _split_block(text: str) -> list[str]:
    if not text:
        return []
    pieces = _SENTENCE_END.split(text)
    sentences: list[str] = []
    for piece in pieces:
        last_word = sentences[-1].rsplit(" ", 1)[-1].lstrip("([\"'").lower() if sentences else ""
        if last_word in _ABBREVIATIONS:
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return [s.strip() for s in sentences if s.strip()]


def fold_thousands(text: str) -> str:
    """Fold "1,450" into "1450" so numbers match however they are written."""
    return _NUMBER_COMMAS.sub("", text)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lowercase word tokens (numbers folded: "1,450" -> "1450")."""
    return _WORD.findall(fold_thousands(text.lower()))


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning (no stopwords), in order, without repeats."""
    return list(dict.fromkeys(_stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())))


_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|prompts?|rules|above|previous|prior)\b"
    r"|\byou are (now|no longer)\b|\b(system|developer) prompt\b|\bas an ai (language )?model\b"
    r"|\b(reply|respond|answer)\b.{0,30}\b(only|always)\b.{0,30}\bwith\b",
    re.IGNORECASE,
)


def mentions_name(name: str, context: str) -> bool:
    """Does ``context`` mention ``name``: as a word, or, for an acronym ("DGI"), by the capitalised words
    it abbreviates ("Digital Government Index")? Reports spell a name out in their title and use the
    acronym in the text, and officials ask with either."""
    if re.search(rf"(?<![\w]){re.escape(name.lower())}", context.lower()):
        return True
    return name.isupper() and name in "".join(w[0] for w in re.findall(r"\b[A-Z][a-z]+", context))


def looks_like_instruction(sentence: str) -> bool:
    """True for sentences addressed to an AI ("ignore previous instructions..."): document text is data,
    and such a sentence is never useful to quote as an answer."""
    return bool(_INSTRUCTION.search(sentence))


_CITATION_WORDS = {"s.": "section", "reg.": "regulation", "para.": "paragraph", "art.": "article", "r.": "rule"}


def spell_citation(citation: str) -> str:
    """``reg. 37(1)`` -> ``regulation 37(1)``, ``s. 25`` -> ``section 25``: the words a question uses."""
    head, _, rest = citation.partition(" ")
    return f"{_CITATION_WORDS[head]} {rest}" if head in _CITATION_WORDS and rest else citation
