"""``Tutor.ask``: question (+ history) -> retrieval -> refusal check -> cited answer, as typed events.

This is the one API the web app, the ``/ask`` endpoint and the evaluator share. It owns no I/O of its
own: the store, the embedding model and the chat model are built by factories and passed in.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.embeddings import Embeddings

from tutor.answers.differ import note
from tutor.answers.extractive import ExtractiveAnswerer, ExtractiveConfig
from tutor.answers.followup import Message
from tutor.answers.lead import split_reply
from tutor.answers.llm import CitationChecker, backend_label, build_messages, stream_verified
from tutor.answers.refusal import RefusalPolicy, missing_terms, unknown_names
from tutor.answers.retrieval import HybridRetriever, Passage, RetrievalConfig
from tutor.answers.sources import (
    best_covered_first,
    by_best_sentence,
    naming_first,
    passage_states_answer,
    quotable,
    sources_block,
    to_source,
    with_marker,
)
from tutor.answers.understand import Understanding, understand
from tutor.errors import BackendError
from tutor.events import AnswerDelta, Done, Event, Notice, Source, SourcesEvent
from tutor.library import versions
from tutor.library.embeddings import embed_matrix
from tutor.library.lexical import LexicalCache
from tutor.library.store import ChunkStore
from tutor.text import content_terms, mentions_name

log = logging.getLogger(__name__)

_PLAIN_HEADINGS = {"introduction", "why it matters for your work", "sources"}
#: How much closer (cosine) a short question in a conversation must be to its own passages than to those of
#: the conversation's topic before it counts as a new subject (about the noise between MiniLM cosines).
NEW_SUBJECT_MARGIN = 0.05
#: A long document's chunks are retrieved this many times deeper than the pool takes from it, and re-ranked
#: with their best sentence's closeness to the question (:func:`by_best_sentence`) before the pool takes them.
EXPAND_SCAN = 3


class Tutor:
    """Answers questions from the library; stateless per call, so one instance serves every user."""

    def __init__(self, store: ChunkStore, embeddings: Embeddings, lexical: LexicalCache | None = None,
                 chat_model: Any = None, backend: str = "offline (extractive)",
                 retrieval: RetrievalConfig | None = None, refusal: RefusalPolicy | None = None,
                 retriever: HybridRetriever | None = None) -> None:
        self.store = store
        self.embeddings = embeddings
        self.retriever = retriever or HybridRetriever(store, embeddings, lexical, retrieval)
        self.chat_model = chat_model
        self.backend = backend if chat_model is not None else "offline (extractive)"
        self.refusal = refusal or RefusalPolicy()
        self.extractive = ExtractiveAnswerer(embeddings, sentence_vectors=self.sentence_source())
        self.expand_top_document = True
        self.expand_limit = 12

    @classmethod
    def from_settings(cls, settings: Any, store: ChunkStore, embeddings: Embeddings) -> Tutor:
        from tutor.answers.llm import make_chat_model

        return cls(store, embeddings, LexicalCache(settings.lexical_dir, store), make_chat_model(settings),
                   backend_label(settings))

    def sentence_source(self) -> Any:
        """Where the offline answerer reads the sentence vectors ingestion stored (``None``: a store without them)."""
        return getattr(self.store, "sentence_vectors", None)

    # --- the public API ------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Message] = (), filters: dict[str, str] | None = None,
            simple: bool = False, as_of: str | None = None) -> Iterator[Event]:
        """Yield answer deltas, then the cited sources, then :class:`Done`.

        ``as_of`` (an ISO date) answers from the document versions in force on that date.
        """
        as_of = (as_of or "").strip() or None
        versions.as_of_day(as_of)  # an unreadable date fails here, with a one-line reason
        timings: dict[str, float] = {}
        started = time.perf_counter()
        question = (question or "").strip()
        if not question:
            yield from self._finish("Please type a question.", (), True, question, question, timings, started)
            return
        understood = understand(question, history, self.chat_model)
        standalone = understood.standalone
        timings["rewrite_ms"] = _ms(started)
        if self.store.count() == 0:
            text = "The library is empty: run `python ingest.py` or upload documents in the Library tab first."
            yield AnswerDelta(text)
            yield from self._finish(text, (), True, question, standalone, timings, started)
            return
        t = time.perf_counter()
        understood, passages, nearby, supported = self._retrieve_understood(understood, filters, as_of)
        standalone = understood.standalone
        timings["retrieval_ms"] = _ms(t)
        if not supported:
            text = self._refusal_text(nearby)
            yield AnswerDelta(text)
            yield from self._finish(text, (), True, question, standalone, timings, started, passages,
                                    understood=understood)
            return
        t = time.perf_counter()
        notices: list[str] = []
        if self.chat_model is not None:
            try:
                body_parts: list[str] = []
                sources: tuple[Source, ...] = ()
                for delta, sources in self._llm_answer(standalone, passages, simple, understood):
                    body_parts.append(delta)
                    yield AnswerDelta(delta if len(body_parts) == 1 else " " + delta)
                if body_parts:
                    timings["answer_ms"] = _ms(t)
                    body, more, span = split_reply(" ".join(body_parts), understood)
                    body, sources = self._note_differing_figures(standalone, passages, question, understood, body,
                                                                 sources)
                    yield SourcesEvent(sources)
                    yield from self._finish(body, sources, False, question, standalone, timings, started, passages,
                                            backend=self.backend, more=more, understood=understood, span=span)
                    return
                notices.append("The language model's answer could not be checked against the library, so here is "
                               "the offline answer instead.")
            except BackendError as exc:
                log.warning("LLM backend failed: %s", exc)
                notices.append(f"The language model did not answer ({exc}); here is the offline answer instead.")
            for note in notices:
                yield Notice(note)
        body, more, sources, span = self._extractive_answer(standalone, passages, simple, focus=question,
                                                            understood=understood)
        timings["answer_ms"] = _ms(t)
        if not body:
            text = self._refusal_text(passages)
            yield AnswerDelta(text)
            yield from self._finish(text, (), True, question, standalone, timings, started, passages, notices=notices,
                                    understood=understood)
            return
        yield AnswerDelta(body)
        yield SourcesEvent(sources)
        yield from self._finish(body, sources, False, question, standalone, timings, started, passages,
                                notices=notices, more=more, understood=understood, span=span)

    def _retrieve(self, query: str, filters: dict[str, str] | None, as_of: str | None,
                  k: int | None = None) -> list[Passage]:
        """Retrieve, passing ``as_of`` only when asked (an injected retriever may not know versions)."""
        if as_of:
            return self.retriever.retrieve(query, k=k, filters=filters, as_of=as_of)
        return self.retriever.retrieve(query, k=k, filters=filters)

    def _retrieve_understood(self, understood: Understanding, filters: dict[str, str] | None, as_of: str | None,
                             ) -> tuple[Understanding, list[Passage], list[Passage], bool]:
        """Retrieve for the question; settle a reading left open; check support and the value asked for.

        Returns the understanding as settled, its passages, the passages a refusal should name as the closest
        topics, and whether the library supports an answer.
        """
        passages = self._retrieve(understood.standalone, filters, as_of)
        nearby = passages  # what a refusal names as the closest topics
        supported = self._supported(understood.standalone, passages)
        if understood.alternative and (understood.ambiguous or not supported):
            standalone, passages, nearby = self._continue_topic(understood, filters, passages, supported, as_of)
            understood = understood.resolved(standalone)
            supported = self._supported(standalone, passages)
        understood = understood.resolved(understood.standalone)
        if supported and not self._states_a_value(understood, passages):
            log.info("refused %r: no passage states the %s it asks for", understood.standalone,
                     understood.shape.entity or understood.shape.answer_type)
            supported = False
        return understood, passages, nearby, supported

    def _supported(self, question: str, passages: Sequence[Passage]) -> bool:
        """The refusal policy on the retrieved passages, or on them and the top document's chunks that name
        what they do not: a long report names the county asked about only in its table of scores, which
        retrieval's top passages, all prose about the dimension, never mention."""
        if self.refusal.supported(question, passages):
            return True
        unknown = unknown_names(question, passages)
        if not unknown:
            return False
        naming = [p for p in self._rest_of_top_document(passages, question)
                  if all(mentions_name(n, f"{p.metadata.get('title', '')} {p.text}") for n in unknown)]
        return bool(naming) and self.refusal.supported(question, [*passages, *naming])

    def _continue_topic(self, understood: Understanding, filters: dict[str, str] | None,
                        passages: list[Passage], supported: bool,
                        as_of: str | None = None) -> tuple[str, list[Passage], list[Passage]]:
        """A question in a conversation that may continue its topic: read it both ways, let the library decide.

        Called when the question is too short to tell ("How many are promised?", "What is phishing?") or
        finds no support on its own ("Can an organisation appeal?"). The reading on the previous turn's
        topic (``understood.alternative``) is possible only if the library supports it and its passages
        mention all but at most one of the user's own content words, and at least one ("How many hospitals
        use electronic medical records?" after a question on eCitizen is not, and stays refused). It wins
        unless the question alone is supported and leads to a passage clearly closer to its own words
        (cosine margin :data:`NEW_SUBJECT_MARGIN`: "What is phishing?" after the EU AI Act finds the
        cybercrimes note, 0.49 against 0.10). ``supported`` is whether the question alone is. Returns the
        question to answer, its passages, and the passages a refusal should name as the closest topics (the
        conversation's topic first).
        """
        question, retry = understood.question, understood.alternative
        if retry is None:
            return question, passages, passages
        found = self._retrieve(retry, filters, as_of)
        missing, own = missing_terms(question, found), set(content_terms(question))
        if not self.refusal.supported(retry, found) or len(missing) > 1 or (own and missing == own):
            return question, passages, [*found, *passages]
        if (supported
                and self._closeness(question, passages) >= self._closeness(question, found) + NEW_SUBJECT_MARGIN):
            return question, passages, passages  # its own words point elsewhere: a new subject
        log.info("follow-up %r read as %r", question, retry)
        return retry, found, found

    def _states_a_value(self, understood: Understanding, passages: Sequence[Passage]) -> bool:
        """For a question that asks for a value (a number, an amount, a date, a duration): does a sentence of
        the passages the answer would read (:meth:`_answer_pool`) state one beside the question's subject,
        in a passage that mentions every name and number the question gives? Other questions pass. This is
        what refuses "What fine applies under regulation 48?" when the library holds regulations 36 to 41,
        however similar they sound."""
        shape = understood.shape
        if not shape.checked:
            return True
        if any(passage_states_answer(shape, p) for p in quotable(passages)):
            return True  # the common case, without reading further in the top document
        return any(passage_states_answer(shape, p) for p in self._answer_pool(understood.standalone, passages))

    def _closeness(self, question: str, passages: Sequence[Passage]) -> float:
        """Cosine similarity of the user's own words to the passage an answer would lead with (cached)."""
        if not passages:
            return 0.0
        matrix = embed_matrix(self.embeddings, [question, passages[0].text], cached=True)
        return float(matrix[1] @ matrix[0])

    def answer(self, question: str, history: Sequence[Message] = (), filters: dict[str, str] | None = None,
               simple: bool = False, as_of: str | None = None) -> Done:
        """Run :meth:`ask` to the end and return its :class:`Done` event (scripts, API, evaluator)."""
        done = None
        for event in self.ask(question, history, filters, simple, as_of):
            if isinstance(event, Done):
                done = event
        assert done is not None
        return done

    def status(self) -> dict[str, Any]:
        """Documents, chunks and backend, for the status line."""
        return {"documents": len(self.store.records()), "chunks": self.store.count(), "backend": self.backend}

    # --- backends ------------------------------------------------------------------------------
    def _extractive_answer(self, question: str, passages: Sequence[Passage], simple: bool,
                           focus: str | None = None, understood: Understanding | None = None,
                           ) -> tuple[str, str, tuple[Source, ...], str]:
        """The lead, the rest ("more"), their sources numbered in that order, and the exact answer span."""
        passages = self._answer_pool(question, passages)
        answerer = self.extractive
        if simple:
            answerer = ExtractiveAnswerer(self.embeddings, ExtractiveConfig(max_sentences=3, max_words=70, novelty_weight=0.0),
                                          sentence_vectors=self.extractive.sentence_vectors)
        selection = answerer.answer(question, passages, focus, understood)
        numbers: dict[int, int] = {}
        cited: dict[int, list[str]] = {}
        parts: tuple[list[str], list[str]] = ([], [])
        for part, cands in zip(parts, (selection.lead, selection.more)):
            for cand in cands:
                n = numbers.setdefault(cand.passage_index, len(numbers) + 1)
                cited.setdefault(cand.passage_index, []).append(cand.text)
                part.append(with_marker(cand.text, n))
        sources = tuple(to_source(n, passages[i], cited[i]) for i, n in numbers.items())
        differ = note(selection.differ, lambda cand: numbers[cand.passage_index])  # "" unless figures differ
        return " ".join(filter(None, [differ, *parts[0]])), " ".join(parts[1]), sources, selection.span

    def _answer_pool(self, question: str, passages: Sequence[Passage]) -> list[Passage]:
        """What the offline answerer reads: the quotable passages, the covering document first, then more of it."""
        pool = best_covered_first(question, quotable(passages))
        return pool + quotable(self._rest_of_top_document(pool, question))

    def _rest_of_top_document(self, passages: Sequence[Passage], question: str = "") -> list[Passage]:
        """The other chunks of the best-matching document, so its specific sections can be quoted too.

        Retrieval often ranks a note's overview first; the figures an official wants sit in later
        sections of the same note. They join as lower-ranked candidates (no dense score of their own).
        A short document joins whole; a long report joins by its chunks' relevance to the question (their
        best sentence's, where ingestion stored sentence vectors), because the table row or subsection
        asked about sits anywhere in its hundred pages, and the per-document cap of retrieval kept it out
        of the top k.
        """
        if not passages or not self.expand_top_document:
            return []
        top = passages[0]
        record = self.store.record(top.doc_id)
        seen = {p.id for p in passages}
        ids = record.chunk_ids if record else ()
        version = top.metadata.get("version")
        if record and version and int(version) != record.version:  # an earlier version, asked for by as_of
            ids = next((tuple(old["chunk_ids"]) for old in record.history if old.get("version") == int(version)), ())
        elif question and len(ids) - len(seen) > self.expand_limit:
            ranked = self._retrieve(question, {"doc_id": top.doc_id}, None,
                                    k=EXPAND_SCAN * self.expand_limit + len(seen))
            read = self.sentence_source()
            if read is not None:
                query = embed_matrix(self.embeddings, [question], cached=True)[0]
                ranked = by_best_sentence(query, ranked, read([p.id for p in ranked]))
            ranked = naming_first(question, ranked)
            ids = tuple(p.id for p in ranked)
        rest = [cid for cid in ids if cid not in seen][: self.expand_limit]
        return [Passage(h.id, h.text, h.metadata, dense=top.dense) for h in self.store.get(rest)]

    def _llm_answer(self, question: str, passages: Sequence[Passage], simple: bool,
                    understood: Understanding | None = None) -> Iterator[tuple[str, tuple[Source, ...]]]:
        """Verified sentences, renumbered so sources run [1], [2]... in order of first citation."""
        passages = quotable(passages)
        checker = CitationChecker(self.embeddings, passages)
        numbers: dict[int, int] = {}
        cited: dict[int, list[str]] = {}
        messages = build_messages(question, passages, simple, understood.question_type if understood else "")
        for sentence in stream_verified(self.chat_model, messages, checker):
            def renumber(match: re.Match[str]) -> str:
                original = int(match.group(1))
                return f"[{numbers.setdefault(original, len(numbers) + 1)}]"

            text = re.sub(r"\[(\d+)\]", renumber, sentence)
            bare = re.sub(r"\s*\[\d+\]", "", sentence)
            for original in map(int, re.findall(r"\[(\d+)\]", sentence)):
                cited.setdefault(original, []).append(bare)
            sources = tuple(to_source(n, passages[o - 1], cited.get(o, ())) for o, n in numbers.items())
            yield text, sources

    def _note_differing_figures(self, question: str, passages: Sequence[Passage], focus: str,
                                understood: Understanding, body: str, sources: tuple[Source, ...],
                                ) -> tuple[str, tuple[Source, ...]]:
        """An LLM's lead opens with the note the offline answer gives when the library's figures differ by
        date: cut from the passages, each part cited (a passage the model did not cite joins the sources),
        so a figure the model chose is never read as the only one."""
        if understood.question_type != "number":
            return body, sources
        pool = self._answer_pool(question, passages)
        figures = self.extractive.answer(question, pool, focus, understood).differ
        if not figures:
            return body, sources
        numbers = {s.chunk_id: s.n for s in sources}
        joined = list(sources)

        def marker(cand: Any) -> int:
            passage = pool[cand.passage_index]
            if passage.id not in numbers:
                numbers[passage.id] = len(numbers) + 1
                joined.append(to_source(numbers[passage.id], passage, (cand.text,)))
            return numbers[passage.id]

        return f"{note(figures, marker)} {body}", tuple(joined)

    # --- helpers -------------------------------------------------------------------------------
    def _refusal_text(self, passages: Sequence[Passage]) -> str:
        titles = list(dict.fromkeys(str(p.metadata.get("title", "")) for p in passages if p.metadata.get("title")))[:3]
        text = "The library doesn't cover this question, so I can't answer it from the documents I have."
        if titles:
            text += " The closest topics it does cover: " + "; ".join(titles) + "."
        return text + " Try rephrasing, or ask about one of those topics."

    def _suggestions(self, sources: Sequence[Source]) -> tuple[str, ...]:
        """Up to three follow-up questions: other sections of the documents just cited."""
        out: list[str] = []
        for source in sources[:2]:
            short = re.split(r"[:(]", source.title)[0].strip() or source.title
            record = self.store.record(source.doc_id)
            headings = dict.fromkeys(section.split(" > ")[-1] for section in (record.sections if record else ()))
            for heading in headings:
                if heading and heading not in source.section and heading.lower() not in _PLAIN_HEADINGS:
                    out.append(f"{short}: what about {heading[0].lower() + heading[1:]}?")
                    break
            out.append(f"Why does {short} matter for my work?")
        return tuple(dict.fromkeys(out))[:3]

    def _finish(self, body: str, sources: Sequence[Source], refused: bool, question: str, standalone: str,
                timings: dict[str, float], started: float, passages: Sequence[Passage] = (),
                backend: str = "offline (extractive)", notices: Sequence[str] = (), more: str = "",
                understood: Understanding | None = None, span: str = "") -> Iterator[Event]:
        timings["total_ms"] = _ms(started)
        note = versions.superseded_note(sources)
        body = f"{body}\n\n{note}" if note else body
        retrieved = tuple(to_source(i, p) for i, p in enumerate(passages, start=1))
        yield Done(
            answer=body + sources_block(sources), body=body, sources=tuple(sources), retrieved=retrieved,
            refused=refused, backend=backend, question=question, standalone_question=standalone,
            timings_ms=timings, suggestions=() if refused else self._suggestions(sources), notices=tuple(notices),
            more=more, question_type=understood.question_type if understood else "", span=span,
        )


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
