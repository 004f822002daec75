"""The targets of issue 7, checked against ``bench/results.json``: one table at the end of ``make bench``.

Not a benchmark itself (no ``run``): ``python -m bench`` prints :func:`summary` after the others ran, and
``python -m bench.targets`` prints it for the results on disk.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from typing import Any

from bench import RESULTS

#: (key, comparison, target, what it measures)
TARGETS: list[tuple[str, str, float, str]] = [
    ("ingest_vs_encode_ratio", ">=", 0.9, "ingestion throughput / raw model.encode (float32) on the same chunks"),
    ("ingest_vs_same_precision_encode_ratio", "", 0.0,
     "the same, against model.encode in the precision ingestion used (reported)"),
    ("ingest_vs_langchain_default_ratio", ">", 1.0, "LangChain default pipeline seconds / ours (it truncates)"),
    ("ingest_vs_langchain_token_splitter_ratio", "", 0.0,
     "LangChain at equal coverage (token splitter) seconds / ours (reported)"),
    ("reingest_unchanged_s", "<=", 2.0, "re-ingest of the unchanged 2,000-chunk corpus"),
    ("retrieval_p50_ms_10k", "<=", 50.0, "hybrid retrieval, 10k chunks"),
    ("retrieval_p95_ms_10k", "", 0.0, "hybrid retrieval, 10k chunks (reported)"),
    ("retrieval_p50_ms_100k", "<=", 150.0, "hybrid retrieval, 100k chunks"),
    ("answer_p50_ms_10k", "<=", 300.0, "offline answer end to end, 10k chunks"),
    ("answer_p50_ms_10k_reports", "<=", 300.0, "offline answer end to end, 10k chunks of 160-chunk reports"),
    ("load_users", "", 0.0, "simulated users through gradio_client"),
    ("load_errors", "==", 0.0, "failed /ask calls under load"),
    ("load_p50_ms", "", 0.0, "/ask latency under load (reported)"),
    ("load_p95_ms", "<=", 3000.0, "/ask latency under load"),
    ("rss_mb", "<=", 1536.0, "the app's peak resident memory (VmHWM) under load"),
    ("audit_record_p95_ms", "<=", 5.0, "writing one answer's audit record (SQLite)"),
    ("audit_export_10k_s", "<=", 5.0, "exporting 10,000 audit records as JSON lines"),
    ("signin_first_request_ms", "<=", 50.0, "a signed-in session's first /ask over the kiosk's (sign-in excluded)"),
    ("signin_guard_ms", "<=", 5.0, "the role check every handler runs (account lookup, SQLite)"),
    ("signin_check_ms", "<=", 50.0, "checking a password: throttle + Argon2id at tutor.users.accounts.HASH_COSTS"),
    ("signin_login_ms", "", 0.0, "one sign-in over HTTP: POST /login, once per session (reported)"),
    ("signin_ask_p50_ms", "", 0.0, "/ask signed in, next to kiosk_ask_p50_ms (reported)"),
]
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "==": operator.eq,
}


def verdict(key: str, op: str, target: float, results: dict[str, Any]) -> str:
    value = results.get(key)
    if value is None:
        return "not measured"
    if not op:
        return ""
    return "met" if _OPS[op](value, target) else "MISSED"


def summary(results: dict[str, Any]) -> str:
    lines = [f"{'figure':<40} {'value':>10}  {'target':<10} {'':<12} what"]
    for key, op, target, what in TARGETS:
        value = results.get(key, "-")
        goal = f"{op} {target:g}" if op else ""
        lines.append(f"{key:<40} {value!s:>10}  {goal:<10} {verdict(key, op, target, results):<12} {what}")
    machine = results.get("machine", {})
    lines.append(f"machine: {machine.get('cores')} cores, {machine.get('cpu_model')}, {machine.get('memory_gb')} GB, "
                 f"load average {machine.get('load_average_1m')} when recorded")
    if "bench_total_s" in results:
        lines.append(f"whole suite: {results['bench_total_s']:.0f} s (limit 900 s)")
    return "\n".join(lines)


def main() -> None:
    print(summary(json.loads(RESULTS.read_text())))


if __name__ == "__main__":
    main()
