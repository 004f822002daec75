"""Calibrate the refusal thresholds on development test sets: ``python -m tutor.answers.calibrate TESTSET [TESTSET ...]``.

For every item it retrieves as ``Tutor.ask`` would (follow-ups rewritten first) and records the support
signals the :class:`~tutor.answers.refusal.RefusalPolicy` uses: the best passage's cosine similarity and the
question's term coverage. A grid search then picks the thresholds that refuse the unanswerable items
while refusing as few answerable ones as possible (false refusals cost twice as much: an official who
is wrongly refused loses trust faster than one who gets a weak but cited answer). Run it against the
index the app uses (``TUTOR_DATA_DIR``) and copy the printed values into ``RefusalPolicy``. Several sets
are pooled (the notes' set and the real documents' set), so one policy serves both kinds of library.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from tutor.answers.followup import condense
from tutor.answers.refusal import RefusalPolicy, coverage, unknown_names
from tutor.answers.tutor import Tutor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Signal:
    id: str
    answerable: bool
    dense: float
    coverage: float
    unknown: tuple[str, ...] = ()


def collect(tutor: Tutor, items: list[dict]) -> list[Signal]:
    signals = []
    for item in items:
        question = condense(item["question"], item.get("history") or [])
        passages = tutor.retriever.retrieve(question)
        best = max((p.dense for p in passages), default=0.0)
        signals.append(Signal(item["id"], bool(item.get("answerable", True)), best, coverage(question, passages),
                              tuple(unknown_names(question, passages))))
    return signals


def score(policy: RefusalPolicy, signals: list[Signal]) -> tuple[float, float]:
    """(refusal accuracy, false refusal rate) of a policy on the collected signals."""
    def refused(s: Signal) -> bool:
        if s.dense < policy.min_dense or (s.unknown and s.dense < policy.named_dense):
            return True
        return not (s.dense >= policy.confident_dense or s.coverage >= policy.min_coverage)

    unanswerable = [s for s in signals if not s.answerable]
    answerable = [s for s in signals if s.answerable]
    accuracy = sum(refused(s) for s in unanswerable) / max(1, len(unanswerable))
    false_rate = sum(refused(s) for s in answerable) / max(1, len(answerable))
    return accuracy, false_rate


def search(signals: list[Signal]) -> tuple[RefusalPolicy, float, float]:
    """The grid point with the best (accuracy - 2 x false refusals), preferring wider margins on ties."""
    grid = itertools.product([x / 100 for x in range(20, 56)], [x / 20 for x in range(4, 17)],
                             [x / 100 for x in range(40, 76, 5)], [x / 100 for x in range(60, 91, 5)])
    best: tuple[float, float, RefusalPolicy, float, float] | None = None
    for min_dense, min_cov, confident, named in grid:
        if confident < min_dense or named < min_dense:
            continue
        policy = RefusalPolicy(min_dense, min_cov, confident, named)
        acc, false_rate = score(policy, signals)
        margin = min((min(abs(s.dense - min_dense), abs(s.dense - named) if s.unknown else 1.0) for s in signals),
                     default=0.0)
        key = (acc - 2 * false_rate, margin)
        if best is None or key > best[:2]:
            best = (*key, policy, acc, false_rate)
    assert best is not None
    return best[2], best[3], best[4]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tutor.answers.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("testsets", type=Path, nargs="+", metavar="TESTSET")
    args = parser.parse_args(argv)
    from tutor.library.chroma import open_store
    from tutor.library.embeddings import make_embeddings
    from tutor.settings import Settings, setup_logging

    setup_logging()
    settings = Settings()
    items = [json.loads(line) for path in args.testsets
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    tutor = Tutor.from_settings(settings, open_store(settings), make_embeddings(settings))
    signals = collect(tutor, items)
    for s in sorted(signals, key=lambda s: s.dense):
        sys.stdout.write(f"{s.id:8} {'answerable' if s.answerable else 'OUT-OF-SCOPE':12} dense={s.dense:.3f} "
                         f"coverage={s.coverage:.2f} unknown={','.join(s.unknown)}\n")
    policy, acc, false_rate = search(signals)
    current = score(RefusalPolicy(), signals)
    sys.stdout.write(json.dumps({"best": policy.__dict__, "refusal_accuracy": acc, "false_refusal_rate": false_rate,
                                 "current": RefusalPolicy().__dict__, "current_scores": current}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
