"""Many officials at once: simulated users ask the running app through ``gradio_client``, and its peak memory.

The app is the real one (``python app.py`` on a free port) over the starter corpus, ingested by
``python ingest.py`` into a temporary data folder. ``--users`` threads (default 20), each with its own
``gradio_client.Client``, ask the questions of ``tests/data/devset.jsonl`` (each user starting at a
different one) through ``/ask`` for ``--seconds`` (default 60), waiting for every answer before asking
the next. Every answer's latency is recorded and every exception counted as an error. ``rss_mb`` is the
app process's peak resident memory (``VmHWM`` in ``/proc/<pid>/status``) at the end of the run.

Run: ``python -m bench.load [--users 20] [--seconds 60]`` (or ``python -m bench load`` to record it).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.serving import AppProcess, start_app, subprocess_env  # the test suite's process helpers

log = logging.getLogger("bench.load")
REPO = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 3000
TARGET_RSS_MB = 1536


def questions() -> list[str]:
    """Every single-turn question of the dev set (answerable or not: refusals are traffic too)."""
    lines = (REPO / "tests" / "data" / "devset.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    return [i["question"] for i in items if not i.get("history")]


def proc_status(pid: int) -> dict[str, int]:
    """``VmRSS``/``VmHWM`` (kB) and ``Threads`` of a process, from ``/proc/<pid>/status``."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM", "Threads"}:
            out[key] = int(value.split()[0])
    return out


def wait_for_log(app: AppProcess, text: str, timeout: float) -> float:
    """Wait until the app logs ``text`` (its start-up warm-up finished); returns when (``perf_counter``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in app.log_text():
            return time.perf_counter()
        if app.process.poll() is not None:
            raise RuntimeError(f"app.py exited with {app.process.returncode}")
        time.sleep(0.5)
    log.warning("the app did not log %r within %g s; loading it anyway", text, timeout)
    return time.perf_counter()


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _user(number: int, url: str, qs: list[str], start: threading.Barrier, deadline: list[float],
          tally: Tally) -> None:
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as exc:  # noqa: BLE001 - a user who cannot connect is an error, not a crash of the bench
        with tally.lock:
            tally.errors.append(f"user {number} could not connect: {exc}")
        start.wait()
        return
    start.wait()
    turn = number * 7  # users start at different questions
    while time.monotonic() < deadline[0]:
        question = qs[turn % len(qs)]
        turn += 1
        began = time.perf_counter()
        try:
            answer, _ = client.predict(question, api_name="/ask")
            if not isinstance(answer, str) or not answer:
                raise ValueError(f"empty answer: {answer!r}")
        except Exception as exc:  # noqa: BLE001 - every failure is counted
            with tally.lock:
                tally.errors.append(f"{type(exc).__name__}: {exc}"[:300])
        else:
            with tally.lock:
                tally.latencies_ms.append((time.perf_counter() - began) * 1000)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def drive(url: str, pid: int, users: int, seconds: float) -> dict[str, Any]:
    """Run the users against ``url`` and sample the app's memory meanwhile."""
    qs = questions()
    tally = Tally()
    start = threading.Barrier(users + 1)
    deadline = [float("inf")]
    threads = [threading.Thread(target=_user, args=(n, url, qs, start, deadline, tally), daemon=True)
               for n in range(users)]
    for thread in threads:
        thread.start()
    start.wait()  # every client connected: the clock starts now
    began = time.monotonic()
    deadline[0] = began + seconds
    rss_samples = []
    while any(t.is_alive() for t in threads):
        rss_samples.append(proc_status(pid)["VmRSS"])
        time.sleep(0.5)
    wall = time.monotonic() - began
    lat = tally.latencies_ms
    return {
        "load_users": users, "load_seconds": seconds, "load_wall_s": round(wall, 1),
        "load_requests": len(lat), "load_errors": len(tally.errors), "load_error_examples": tally.errors[:3],
        "load_throughput_rps": round(len(lat) / wall, 2) if wall else 0.0,
        "load_p50_ms": round(statistics.median(lat), 1) if lat else None,
        "load_p95_ms": round(percentile(lat, 95), 1) if lat else None,
        "load_p99_ms": round(percentile(lat, 99), 1) if lat else None,
        "load_max_ms": round(max(lat), 1) if lat else None,
        "load_questions": len(qs),
        "load_rss_mb_during_max": round(max(rss_samples) / 1024, 1) if rss_samples else None,
    }


def run(users: int = 20, seconds: float = 60) -> dict[str, Any]:
    """Ingest the starter corpus, start the app, load it, and return the figures for ``results.json``."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request from 20 clients otherwise
    with tempfile.TemporaryDirectory(prefix="mwalimu-bench-load-") as tmp:
        root = Path(tmp)
        corpus, data = root / "corpus", root / "data"
        shutil.copytree(REPO / "corpus", corpus)
        started = time.perf_counter()
        ingest = subprocess.run([sys.executable, str(REPO / "ingest.py"), "--json"], env=subprocess_env(data_dir=data, corpus_dir=corpus),
                                capture_output=True, text=True, timeout=900, check=False)
        if ingest.returncode != 0:
            raise RuntimeError(f"ingest.py failed ({ingest.returncode}): {ingest.stderr[-2000:]}")
        chunks = json.loads(ingest.stdout)["chunks_written"]
        log.info("starter corpus ingested: %d chunks in %.0f s", chunks, time.perf_counter() - started)
        started = time.perf_counter()
        app = start_app(root / "app.log", data_dir=data, corpus_dir=corpus)
        try:
            app.wait_ready(timeout=300)
            startup_s = time.perf_counter() - started
            warmup_s = wait_for_log(app, "sentence cache warmed", timeout=300) - started
            idle = proc_status(app.process.pid)
            log.info("app ready in %.0f s (%.0f MB resident); %d users for %g s", startup_s, idle["VmRSS"] / 1024,
                     users, seconds)
            figures = drive(app.url, app.process.pid, users, seconds)
            status = proc_status(app.process.pid)
        finally:
            app.stop()
        errors_in_log = [line for line in (root / "app.log").read_text(errors="replace").splitlines()
                         if " ERROR " in line or "Traceback" in line]
    return {
        **figures,
        "rss_mb": round(status["VmHWM"] / 1024, 1),
        "load_app_idle_rss_mb": round(idle["VmRSS"] / 1024, 1),
        "load_app_threads": status["Threads"],
        "load_app_startup_s": round(startup_s, 1),
        "load_app_warm_s": round(warmup_s, 1),
        "load_corpus_chunks": chunks,
        "load_app_log_errors": errors_in_log[:5],
    }


def report(figures: dict[str, Any]) -> str:
    p95_ok = figures["load_errors"] == 0 and (figures["load_p95_ms"] or 1e9) <= TARGET_P95_MS
    lines = [
        (f"load: {figures['load_users']} users x {figures['load_seconds']:g} s against python app.py "
        f"({figures['load_corpus_chunks']} chunks): {figures['load_requests']} answers, "
        f"{figures['load_throughput_rps']} answers/s"),
        f"load_errors    {figures['load_errors']:>8}  (target 0)",
        f"load_p50_ms    {figures['load_p50_ms']:>8}",
        (f"load_p95_ms    {figures['load_p95_ms']:>8}  (target <= {TARGET_P95_MS} with 0 errors: "
        f"{'met' if p95_ok else 'MISSED'})"),
        f"load_p99_ms    {figures['load_p99_ms']:>8}   max {figures['load_max_ms']}",
        (f"rss_mb         {figures['rss_mb']:>8}  (app's peak resident memory, VmHWM; target <= {TARGET_RSS_MB}: "
        f"{'met' if figures['rss_mb'] <= TARGET_RSS_MB else 'MISSED'})"),
    ]
    if figures["load_error_examples"]:
        lines.append(f"first errors: {figures['load_error_examples']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--no-record", action="store_true", help="do not write bench/results.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")
    figures = run(args.users, args.seconds)
    print(report(figures))
    if not args.no_record:
        from bench import machine, merge_results, versions

        merge_results({**figures, "machine": machine(), "versions": versions()})


if __name__ == "__main__":
    main()
