"""The evaluation desk: test sets -> answers -> metrics -> reports, and release gates.

Modules, each small and each usable on its own:

``testset``   load a Q&A test set (JSONL or CSV, the contract in DESIGN.md)
``metrics``   pure metric functions (key-fact matching, hit@k, MRR, citation precision, F1, ROUGE-L, nDCG...)
``runner``    run a test set through a :class:`~tutor.answers.tutor.Tutor` and score every answer
``report``    write ``report.json``, ``report.csv`` and a self-contained ``report.html``
``beir``      retrieval-only evaluation on a BEIR folder (dense, BM25 and hybrid in one run)
``feedback``  thumbs-down feedback -> draft test items
``cli``       ``python -m tutor.eval``

Importing this package does no I/O and loads no model.
"""

from __future__ import annotations

from tutor.eval.testset import TestItem, TestSetError, load_testset

__all__ = ["TestItem", "TestSetError", "load_testset"]
