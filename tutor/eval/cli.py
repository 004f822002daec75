"""``python -m tutor.eval``: run a test set, a BEIR benchmark, or export feedback as draft test items.

Exit status: 0 done (every gate met); 2 a ``--fail-under`` gate was missed; 1 the run could not be done
(unreadable test set, empty index, bad arguments...). Usage errors exit 1, not argparse's usual 2, so
that 2 always means "a quality gate failed" to a CI script.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.errors import TutorError

log = logging.getLogger("tutor.eval")

EXIT_OK, EXIT_ERROR, EXIT_GATE = 0, 1, 2

TutorFactory = Callable[[Any, Any, Any], Any]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m tutor.eval",
        description="Evaluate Mwalimu on a Q&A test set (JSONL or CSV) against the configured index "
                    "(TUTOR_DATA_DIR), write report.json, report.csv and report.html, and gate a release on "
                    "thresholds. Also: retrieval-only BEIR benchmarks and feedback export.",
        epilog="Exit status: 0 ok, 2 a --fail-under gate was missed, 1 the run could not be done.",
    )
    parser.add_argument("testset", nargs="?", type=Path, help="test set: .jsonl or .csv (see docs/evaluation.md)")
    parser.add_argument("--out", type=Path, help="folder for the reports (default: TUTOR_DATA_DIR/eval)")
    parser.add_argument("--k", type=int, default=5, help="passages retrieved per question, and the cut-off of hit@k (default 5)")
    parser.add_argument("--backend", help="answer backend for this run: extractive, openai:<model> or ollama:<model> "
                                          "(default: TUTOR_LLM)")
    parser.add_argument("--fail-under", action="append", default=[], metavar="METRIC=VALUE",
                        help="exit 2 if METRIC is worse than VALUE (below it; above it for false_refusal_rate and "
                             "latencies); repeatable")
    parser.add_argument("--baseline", type=Path, metavar="OLD/report.json",
                        help="an earlier report.json: adds deltas and lists the questions that got worse")
    parser.add_argument("--corpus", type=Path, metavar="DIR",
                        help="ingest DIR into a fresh temporary index and evaluate that instead of TUTOR_DATA_DIR")
    parser.add_argument("--beir", type=Path, metavar="DIR",
                        help="retrieval-only benchmark on a BEIR folder (corpus.jsonl, queries.jsonl, qrels/*.tsv): "
                             "nDCG@10, recall@100, MRR and hit@10 for dense, BM25 and hybrid")
    parser.add_argument("--rrf-weights", default="", metavar="D:L,...",
                        help="with --beir: also score hybrid retrieval with these dense:lexical RRF weights, "
                             "e.g. 1:1.5,1:2")
    parser.add_argument("--max-queries", type=int, help="with --beir: evaluate only the first N judged queries")
    parser.add_argument("--fp32", action="store_true",
                        help="with --beir: embed the corpus in float32 even where the int8 model or bfloat16 would be used")
    parser.add_argument("--export-feedback", type=Path, metavar="OUT.jsonl",
                        help="write thumbs-down feedback as draft test items to OUT.jsonl")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def _thresholds(parser: argparse.ArgumentParser, specs: list[str], known: set[str] | None) -> list[tuple[str, float]]:
    from tutor.eval.gates import parse_threshold

    out = []
    for spec in specs:
        try:
            name, value = parse_threshold(spec)
        except ValueError as exc:
            parser.error(str(exc))
        if known is not None and name not in known:
            parser.error(f"--fail-under: unknown metric {name!r}; choose from {', '.join(sorted(known))}")
        out.append((name, value))
    return out


def main(argv: list[str] | None = None, *, settings: Any = None, embeddings: Any = None,
         make_tutor: TutorFactory | None = None) -> int:
    """The CLI; ``settings``, ``embeddings`` and ``make_tutor(settings, store, embeddings)`` are seams for tests."""
    try:
        return _main(argv, settings, embeddings, make_tutor)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (1)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR


def _main(argv: list[str] | None, settings: Any, embeddings: Any, make_tutor: TutorFactory | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from tutor.settings import setup_logging

    setup_logging(args.verbose)
    if not (args.testset or args.beir or args.export_feedback):
        parser.error("give a TESTSET, --beir DIR or --export-feedback OUT.jsonl")
    if args.k < 1:
        parser.error("--k must be at least 1")
    from tutor.settings import Settings

    settings = settings or Settings()
    try:
        status = EXIT_OK
        if args.export_feedback:
            status = max(status, _export_feedback(args, settings))
        if args.beir:
            status = max(status, _beir(parser, args, settings, embeddings))
        if args.testset:
            status = max(status, _testset(parser, args, settings, embeddings, make_tutor))
        return status
    except TutorError as exc:
        log.error("%s", exc)
        return EXIT_ERROR


def _export_feedback(args: argparse.Namespace, settings: Any) -> int:
    from tutor.eval.feedback import export_feedback

    count = export_feedback(settings.resolved_database_url, args.export_feedback)
    sys.stdout.write(f"{count} thumbs-down record(s) written as draft test items to {args.export_feedback}\n")
    return EXIT_OK


def _beir(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Any, embeddings: Any) -> int:
    from tutor.eval.beir import BEIR_METRICS, MODES, format_table, parse_weights, run_beir
    from tutor.eval.gates import check_gates
    from tutor.library.embeddings import make_embeddings

    known = {f"{mode}.{metric}" for mode in MODES for metric in BEIR_METRICS}
    thresholds = _thresholds(parser, args.fail_under, None if args.testset else known)
    beir_gates = [(n, v) for n, v in thresholds if n in known]
    try:
        weights = parse_weights(args.rrf_weights)
    except ValueError as exc:
        parser.error(str(exc))
    result = run_beir(args.beir, settings, embeddings or make_embeddings(settings), weights=weights,
                      max_queries=args.max_queries, show_progress=False if args.no_progress else None,
                      allow_bf16=not args.fp32)
    flat = {f"{mode}.{metric}": value for mode, values in result["results"].items() for metric, value in values.items()}
    gates = check_gates(flat, beir_gates)
    result["gates"] = [g.to_dict() for g in gates]
    out = args.out or settings.data_dir / "eval"
    out.mkdir(parents=True, exist_ok=True)
    (out / "beir.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    sys.stdout.write(format_table(result) + "\n")
    for gate in gates:
        sys.stdout.write(gate.describe() + "\n")
    sys.stdout.write(f"Written: {out / 'beir.json'}\n")
    return EXIT_GATE if any(not g.passed for g in gates) else EXIT_OK


def _testset(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Any, embeddings: Any,
             make_tutor: TutorFactory | None) -> int:
    from tutor.eval.gates import check_gates, compare
    from tutor.eval.report import report_dict, summary_text, write_reports
    from tutor.eval.runner import SUMMARY_METRICS, run_testset
    from tutor.eval.testset import load_testset
    from tutor.library.chroma import open_store
    from tutor.library.embeddings import make_embeddings

    thresholds = _thresholds(parser, [s for s in args.fail_under if "." not in s.partition("=")[0]],
                             set(SUMMARY_METRICS))
    items = load_testset(args.testset)
    baseline = None
    if args.baseline:
        try:
            baseline = json.loads(args.baseline.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise TutorError(f"cannot read the baseline {args.baseline}: {exc}") from exc
    if args.backend:
        settings = settings.model_copy(update={"llm": args.backend})
    out = args.out or settings.data_dir / "eval"
    embeddings = embeddings or make_embeddings(settings)
    with tempfile.TemporaryDirectory(prefix="mwalimu-eval-") as tmp:
        run_settings = settings
        if args.corpus:
            run_settings = _fresh_index(settings, args.corpus, Path(tmp), embeddings)
        store = open_store(run_settings)
        if store.count() == 0:
            raise TutorError(f"the index in {run_settings.data_dir} is empty: run `python ingest.py` first, "
                             "or pass --corpus DIR to evaluate a fresh index of DIR")
        if make_tutor is None:
            from tutor.answers.tutor import Tutor

            make_tutor = Tutor.from_settings
        tutor = make_tutor(run_settings, store, embeddings)
        meta = {"testset": args.testset.name, "testset_path": str(args.testset),
                "index": str(args.corpus) if args.corpus else str(run_settings.chroma_url or run_settings.data_dir),
                "chunks": store.count(), "documents": len(store.records())}
        from tutor.audit import AuditLog

        run = run_testset(tutor, items, k=args.k, embeddings=embeddings,
                          show_progress=False if args.no_progress else None, meta=meta,
                          audit=AuditLog.from_settings(settings))
    gates = check_gates(run.summary, thresholds)
    comparison = compare(run.to_dict(), baseline) if baseline is not None else None
    paths = write_reports(run, out, gates, comparison)
    sys.stdout.write(summary_text(report_dict(run, gates, comparison)) + "\n")
    sys.stdout.write("Reports: " + ", ".join(str(p) for p in paths.values()) + "\n")
    return EXIT_GATE if any(not g.passed for g in gates) else EXIT_OK


def _fresh_index(settings: Any, corpus: Path, folder: Path, embeddings: Any) -> Any:
    """Ingest ``corpus`` into a new index under ``folder``; returns the settings that point at it."""
    from tutor.library.chroma import open_store
    from tutor.library.ingestion import Ingestor

    if not corpus.is_dir():
        raise TutorError(f"--corpus {corpus}: not a folder")
    fresh = settings.model_copy(update={"data_dir": folder / "data", "corpus_dir": corpus, "chroma_url": None})
    summary = Ingestor(fresh, open_store(fresh), embeddings).run([corpus])
    log.info("%s", summary.text().splitlines()[0])
    for failure in summary.failures:
        log.warning("not ingested: %s: %s", failure.source, failure.reason)
    return fresh
