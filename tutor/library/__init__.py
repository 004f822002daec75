"""The library: everything that turns files into the index Mwalimu answers from.

Files are read by :mod:`~tutor.library.loaders` into sections, split into chunks by
:mod:`~tutor.library.chunking`, embedded by :mod:`~tutor.library.embeddings` (bulk embedding by the int8 copy
of :mod:`~tutor.library.int8`) and written to Chroma by :mod:`~tutor.library.store`, with the BM25 index of
:mod:`~tutor.library.lexical`; :mod:`~tutor.library.ingestion` runs it all incrementally. Versions in force
by date and the changes between two versions are :mod:`~tutor.library.versions` and :mod:`~tutor.library.diff`.

It imports only the shared modules at the top of :mod:`tutor`, never the answering or learning stages.
"""
