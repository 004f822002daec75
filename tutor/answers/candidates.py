"""A candidate sentence of the offline answer, and what makes one lean on the sentence before it.

The answerer (:mod:`tutor.answers.extractive`) scores candidates; the lead rules (:mod:`tutor.answers.lead`)
and the figures that differ by date (:mod:`tutor.answers.differ`) read them. Keeping the type here, below
all three, keeps their imports one way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage: which passage, where in it, its text and its score."""

    passage_index: int
    position: int
    text: str
    score: float = 0.0
    advice: bool = False


#: A sentence that opens like this leans on the one before it, so it cannot open an answer.
REFERS_BACK = re.compile(r"^\W*(it|its|this|that|these|those|they|their|such|he|she|his|her|there|here|both|"
                         r"also|however|but|and|so|then|thus|therefore|instead|meanwhile|similarly|likewise|"
                         r"in addition|in contrast|for example|for instance|as a result|by contrast)\b", re.IGNORECASE)
