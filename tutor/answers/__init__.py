"""The answers: everything that turns a question into a cited answer, or a refusal.

A follow-up is rewritten to stand alone (:mod:`~tutor.answers.followup`), what it asks for is read
(:mod:`~tutor.answers.question`, :mod:`~tutor.answers.understand`), passages are retrieved
(:mod:`~tutor.answers.retrieval`), and the offline answerer (:mod:`~tutor.answers.extractive`,
:mod:`~tutor.answers.lead`) or an LLM (:mod:`~tutor.answers.llm`) writes the answer;
:class:`~tutor.answers.tutor.Tutor` wires the stage together and yields typed events.

It reads the library's index (:mod:`tutor.library`) and the shared modules, never the learning stage or the UI.
"""
