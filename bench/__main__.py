"""Run the benchmarks and merge their figures into ``bench/results.json``.

``python -m bench`` runs every module of this package that has a ``run()``; ``python -m bench ingest`` runs
only the ones named. Each benchmark's figures are written as soon as it finishes, so a long run that is
stopped still keeps what it measured.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
import time
from pathlib import Path

from bench import machine, merge_results, targets, versions

log = logging.getLogger("bench")


def available() -> list[str]:
    """Benchmark modules: every module of the package that defines ``run``."""
    names = []
    for info in pkgutil.iter_modules([str(Path(__file__).resolve().parent)]):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            names.append(info.name)
    return sorted(names)


def main(argv: list[str] | None = None) -> int:
    names = available()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(names)})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(names)}")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    results: dict[str, object] = {}
    for name in args.names or names:
        module = importlib.import_module(f"bench.{name}")
        log.info("running bench.%s", name)
        began = time.perf_counter()
        figures = module.run()
        seconds[name] = round(time.perf_counter() - began, 1)
        report = getattr(module, "report", None)
        if callable(report):
            print(report(figures))  # a benchmark's table is its output
        results = merge_results({**figures, "machine": machine(), "versions": versions()})
    previous = results.get("bench_seconds")
    timing: dict[str, object] = {"bench_seconds": {**(previous if isinstance(previous, dict) else {}), **seconds}}
    if not args.names:  # the whole suite: `make bench`
        timing["bench_total_s"] = round(time.perf_counter() - started, 1)
    results = merge_results(timing)
    print(targets.summary(results))
    log.info("figures merged into bench/results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
