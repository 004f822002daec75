"""Release gates (``--fail-under METRIC=VALUE``) and comparison with a baseline report.

A gate is missed when the metric is worse than its threshold: below it for metrics where higher is
better, above it for those where lower is better (``false_refusal_rate``, latencies), so one flag reads
the same way for every metric: "fail if worse than". A metric that could not be measured (for example
``refusal_accuracy`` on a test set with no unanswerable item) misses its gate: a gate that cannot be
checked must not pass silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Gate:
    metric: str
    threshold: float
    value: float | None
    higher_is_better: bool

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False
        return self.value >= self.threshold if self.higher_is_better else self.value <= self.threshold

    def describe(self) -> str:
        op = ">=" if self.higher_is_better else "<="
        shown = "not measured" if self.value is None else f"{self.value:g}"
        return f"{'PASS' if self.passed else 'FAIL'} {self.metric} = {shown} (needs {op} {self.threshold:g})"

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "threshold": self.threshold, "value": self.value,
                "higher_is_better": self.higher_is_better, "passed": self.passed}


def parse_threshold(spec: str) -> tuple[str, float]:
    """``"hit_at_k=0.95"`` -> ``("hit_at_k", 0.95)``; raises ``ValueError`` with a readable message."""
    name, sep, value = spec.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"--fail-under expects METRIC=VALUE, got {spec!r}")
    try:
        return name.strip(), float(value)
    except ValueError as exc:
        raise ValueError(f"--fail-under {spec!r}: {value!r} is not a number") from exc


def lower_is_better(metric: str) -> bool:
    base = metric.rsplit(".", 1)[-1]
    return (base.startswith(("latency", "words_", "factoid_words_")) or base.endswith("_ms")
            or base == "false_refusal_rate")


def check_gates(summary: Mapping[str, float | None], thresholds: Sequence[tuple[str, float]]) -> list[Gate]:
    return [Gate(name, value, summary.get(name), not lower_is_better(name)) for name, value in thresholds]


# --- baseline ------------------------------------------------------------------------------------------
#: Per-question scores compared with the baseline (latency is left out: it is noise per question).
COMPARED = ("hit_at_k", "mrr", "key_fact_recall", "citation_precision", "refusal_accuracy",
            "false_refusal_rate", "token_f1", "rouge_l", "semantic_similarity")
_EPSILON = 1e-9


def compare(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> dict[str, Any]:
    """Deltas of the summary metrics and the questions that got worse (matched by ``id``)."""
    now, then = current.get("summary", {}), baseline.get("summary", {})
    deltas = {name: round(now[name] - then[name], 4) for name in now
              if isinstance(now.get(name), (int, float)) and isinstance(then.get(name), (int, float))}
    old = {q["id"]: q for q in baseline.get("questions", [])}
    worse: list[dict[str, Any]] = []
    for q in current.get("questions", []):
        before = old.get(q["id"])
        if before is None:
            continue
        changes = []
        for name in COMPARED:
            a, b = before.get("scores", {}).get(name), q.get("scores", {}).get(name)
            if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
                continue
            if (b < a - _EPSILON) if not lower_is_better(name) else (b > a + _EPSILON):
                changes.append({"metric": name, "before": a, "after": b})
        newly_failed = before.get("passed", True) and not q.get("passed", True)
        if changes or newly_failed:
            worse.append({"id": q["id"], "question": q.get("question", ""), "changes": changes,
                          "newly_failed": bool(newly_failed)})
    now_ids = {q["id"] for q in current.get("questions", [])}
    added, removed = sorted(now_ids - set(old)), sorted(set(old) - now_ids)
    return {"summary": then, "deltas": deltas, "worse": worse, "added": added, "removed": removed}
