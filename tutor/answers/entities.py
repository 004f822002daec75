"""Questions that ask which named things did something: "Which Kenyan counties have signed...".

A question about what has happened is answered only by a sentence that names at least one thing of that
class. Retrieval alone cannot tell: a passage on adequacy decisions is close to "Which countries has the Data
Commissioner so far declared adequate?" whether or not it names a country. A question about a rule or a
standing ("Which countries are deemed adequate?", "Which countries score best?") can be answered by a
criterion or a table, so it is not checked here. :func:`asked_class` reads the class from the question;
:func:`names_one` checks a sentence for a member of it, other than the names the question itself gives.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import cache

from tutor.library.loaders.country_codes import country_names

#: Kenya's 47 counties (Constitution of Kenya 2010, First Schedule), as officials write them.
KENYAN_COUNTIES = (
    "Mombasa", "Kwale", "Kilifi", "Tana River", "Lamu", "Taita-Taveta", "Taita Taveta", "Garissa", "Wajir",
    "Mandera", "Marsabit", "Isiolo", "Meru", "Tharaka-Nithi", "Tharaka Nithi", "Embu", "Kitui", "Machakos",
    "Makueni", "Nyandarua", "Nyeri", "Kirinyaga", "Murang'a", "Muranga", "Kiambu", "Turkana", "West Pokot",
    "Samburu", "Trans Nzoia", "Trans-Nzoia", "Uasin Gishu", "Elgeyo-Marakwet", "Elgeyo Marakwet", "Nandi",
    "Baringo", "Laikipia", "Nakuru", "Narok", "Kajiado", "Kericho", "Bomet", "Kakamega", "Vihiga", "Bungoma",
    "Busia", "Siaya", "Kisumu", "Homa Bay", "Migori", "Kisii", "Nyamira", "Nairobi",
)

#: The plural (or singular) a question uses -> the class it asks for.
_CLASSES = {
    "countries": "country", "country": "country", "nations": "country", "states": "country",
    "counties": "county", "county": "county",
    "ministries": "organisation", "ministry": "organisation", "departments": "organisation",
    "agencies": "organisation", "organisations": "organisation", "organizations": "organisation",
    "bodies": "organisation", "institutions": "organisation", "regulators": "organisation",
    "authorities": "organisation", "universities": "organisation", "companies": "organisation",
}
_ASKED = re.compile(r"^\W*(?:which|what|name|list)\s+(?:the\s+|all\s+)?"
                    r"(?:(?!(?:of|share|number|percentage|proportion|many|much|kind|type)\b)[\w'’-]+\s+){0,2}?("
                    + "|".join(_CLASSES) + r")\b", re.IGNORECASE)
#: The question asks about events (what has been done, so far), not about a rule or a ranking.
_EVENT = re.compile(r"(?<!to )\b(has|have|had)\b|\b(did|so far|already|to date|yet)\b", re.IGNORECASE)

#: A named organisation: "Ministry of ICT", "State Department for Economic Planning", "Communications Authority".
_ORGANISATION = re.compile(
    r"\b(?:Ministry|Department|Office|Council|Board|Bureau|Institute|Directorate|University)\s+(?:of|for)\s+"
    r"(?:the\s+)?[A-Z][\w&’'-]*|"
    r"\b(?:[A-Z][\w&’'-]*\s+){1,4}(?:Authority|Commission|Agency|Council|Board|Bureau|Institute|Ministry|"
    r"Regulator|Directorate|University|Company|Limited|Ltd|PLC)\b|"
    r"\b[A-Z]{2,}[a-z]?\b(?=\s*\))"  # an acronym in brackets after a name: "(KNBS)", "(ODPC)"
)


def asked_class(question: str) -> str:
    """"country", "county" or "organisation" when the question asks which ones did something; else ``""``."""
    match = _ASKED.search(question)
    return _CLASSES[match.group(1).lower()] if match and _EVENT.search(question, match.end()) else ""


@cache
def _pattern(cls: str) -> re.Pattern[str]:
    if cls == "organisation":
        return _ORGANISATION
    names = country_names().values() if cls == "country" else KENYAN_COUNTIES
    alternatives = sorted({re.escape(n) for n in names if "average" not in n.lower()}, key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])")


def names_one(cls: str, sentence: str, own_names: Collection[str]) -> bool:
    """Does ``sentence`` name a member of ``cls`` that the question does not already name?"""
    own = {n.lower() for n in own_names}
    for match in _pattern(cls).finditer(sentence):
        words = {w.lower() for w in re.findall(r"[\w’'-]+", match.group(0))}
        if not words <= own | {"of", "for", "the"}:
            return True
    return False


def class_of(word: str) -> str:
    """The class a word of a question names ("countries" -> "country", "agencies" -> "organisation"), or ""."""
    return _CLASSES.get(word.lower(), "")


def member_pattern(cls: str) -> re.Pattern[str]:
    """What names a member of ``cls`` ("country", "county", "organisation") in a sentence."""
    return _pattern(cls)
