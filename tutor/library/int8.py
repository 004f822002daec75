"""An int8 copy of the embedding model, run by OpenVINO, for embedding document chunks in bulk.

Embedding is nearly all of an ingestion's time, and on a CPU with 8-bit dot-product instructions
(AVX512-VNNI, AMX) an int8 MiniLM runs about twice as fast as bfloat16 autocast and 3.5 times as fast
as the float32 model as shipped (2,063 chunks: 19.6 s, 38.5 s and 68.7 s on this project's 2 cores). Retrieval does not suffer: on SciFact, nDCG@10 is 0.715 hybrid and 0.685 dense
with an int8 corpus, against 0.715 and 0.683 with a float32 one. Questions are still embedded by the
float32 PyTorch model, so nothing at query time depends on this module.

The int8 model is made once per data folder and kept under ``<data>/models``: the PyTorch module is
handed to OpenVINO's PyTorch front end (not ``openvino.convert_model``, whose wrapper sends usage data
to Google Analytics unless told otherwise), then NNCF's post-training quantization calibrates it on a
sample of the first chunks embedded, i.e. on the library's own documents.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Chunks the calibration sees (evenly spread over the first call's texts); fewer cannot calibrate.
CALIBRATION_SIZE = 128
MIN_CALIBRATION = 64
#: Calibration inputs made by joining texts up to the model's full length.
PACKED_SAMPLES = 32
_prepare_lock = threading.Lock()


def available() -> bool:
    """Whether OpenVINO and NNCF are installed (both are dependencies; a trimmed install may lack them)."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("openvino", "nncf"))


def cache_folder(root: Path, model_path: str) -> Path:
    """Where the int8 model for these weights and these library versions lives under ``root``.

    The key covers the weights' bytes and the OpenVINO and NNCF versions, so an upgrade of either
    or a different model never loads a stale file.
    """
    from importlib.metadata import version

    digest = hashlib.sha256()
    for file in sorted(Path(model_path).glob("*.safetensors")) or sorted(Path(model_path).glob("*.bin")):
        digest.update(file.read_bytes())
    digest.update(f"openvino {version('openvino')} nncf {version('nncf')}".encode())
    return root / f"int8-{digest.hexdigest()[:16]}"


class Int8Encoder:
    """Mean-pooled, unit-length sentence embeddings from an int8 OpenVINO model of a SentenceTransformer."""

    def __init__(self, xml: Path, tokenizer: Any, max_length: int, batch_size: int = 64) -> None:
        import openvino as ov

        self.xml = xml
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size
        core = ov.Core()
        self._compiled = core.compile_model(core.read_model(str(xml)), "CPU", {"PERFORMANCE_HINT": "LATENCY"})
        self._infer_lock = threading.Lock()  # one infer request per compiled model call at a time

    @classmethod
    def prepare(cls, st_model: Any, folder: Path, calibration: list[str], batch_size: int = 64) -> Int8Encoder:
        """Load the int8 model from ``folder``, making it first (convert, calibrate, save) when absent."""
        check_supported(st_model)
        xml = folder / "model.xml"
        with _prepare_lock:
            if not xml.exists():
                if len(calibration) < MIN_CALIBRATION:
                    raise ValueError(f"{len(calibration)} texts cannot calibrate an int8 model "
                                     f"(at least {MIN_CALIBRATION} are needed)")
                started = time.perf_counter()
                quantized = quantize(convert(st_model), st_model.tokenizer, calibration, st_model.max_seq_length)
                save(quantized, folder, {"calibration_texts": len(calibration),
                                         "seconds": round(time.perf_counter() - started, 1)})
                log.info("made the int8 embedding model in %.1f s (%s)", time.perf_counter() - started, folder)
        return cls(xml, st_model.tokenizer, int(st_model.max_seq_length), batch_size)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``; batches are formed from texts of similar length so little is padding."""
        out = np.zeros((len(texts), 0), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            rows = order[start: start + self.batch_size]
            batch = self.tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                   max_length=self.max_length, return_tensors="np")
            with self._infer_lock:
                vectors = self._compiled([batch["input_ids"], batch["attention_mask"]])[0]
            if out.shape[1] == 0:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        return out


def check_supported(st_model: Any) -> None:
    """The int8 graph reproduces Transformer -> mean pooling -> normalise; refuse any other stack."""
    names = [type(module).__name__ for module in st_model]
    pooling = st_model[1].get_config_dict() if len(st_model) > 1 else {}
    # sentence-transformers 6 names the mode ("pooling_mode": "mean"); older releases set flags
    mean = pooling.get("pooling_mode") == "mean" or (pooling.get("pooling_mode_mean_tokens") and not any(
        pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                 "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_lasttoken")))
    if names[:2] != ["Transformer", "Pooling"] or not mean or any(n != "Normalize" for n in names[2:]):
        raise ValueError(f"int8 embedding supports mean-pooled models only, not {' -> '.join(names)}")


def convert(st_model: Any) -> Any:
    """The float32 OpenVINO model of the SentenceTransformer, pooling and normalisation included."""
    _no_telemetry()  # the PyTorch front end imports OpenVINO's tool helpers, which import the telemetry
    import torch
    from openvino import PartialShape
    from openvino.frontend import FrontEndManager
    from openvino.frontend.pytorch.ts_decoder import TorchScriptPythonDecoder

    class Pooled(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    example = st_model.tokenizer(["an example", "a slightly longer example"], padding=True, return_tensors="pt")
    with torch.no_grad(), warnings.catch_warnings():
        # Tracing fixes two Python branches of transformers' attention-mask code, both on conditions that
        # hold for every input here (a mask is given, and it is as long as the input): harmless.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        decoder = TorchScriptPythonDecoder(Pooled(st_model[0].auto_model.eval()),
                                           example_input=(example["input_ids"], example["attention_mask"]))
    frontend = FrontEndManager().load_by_framework("pytorch")
    model = frontend.convert(frontend.load(decoder))
    model.reshape({index: PartialShape([-1, -1]) for index in range(len(model.inputs))})
    return model


def quantize(model: Any, tokenizer: Any, texts: list[str], max_length: int) -> Any:
    """NNCF post-training int8 quantization, calibrated on :func:`calibration_samples` of ``texts``."""
    _no_telemetry()
    import nncf

    nncf.set_log_level(logging.WARNING)
    for handler in logging.getLogger("nncf").handlers:  # its log lines go to stdout too
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)
    samples = calibration_samples(texts, tokenizer, max_length)
    # NNCF draws progress bars on stdout, which `ingest.py --json` keeps for its report: send them to stderr
    with contextlib.redirect_stdout(sys.stderr):
        return nncf.quantize(model, nncf.Dataset(samples), model_type=nncf.ModelType.TRANSFORMER,
                             subset_size=len(samples))


def calibration_samples(texts: list[str], tokenizer: Any, max_length: int) -> list[list[np.ndarray]]:
    """Each text on its own, then runs of them joined to the model's full length, one input at a time.

    Activation ranges grow with the input's length: a model calibrated on short texts only drifts
    on long chunks (cosine 0.977 to float32, against 0.995 when long inputs are in the sample), so
    the longest inputs the model reads are always part of the calibration.
    """
    counts = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    joined, run, length = [], [], 0
    for text, count in zip(texts, counts):
        run.append(text)
        length += count
        if length >= max_length - 2:
            joined.append(" ".join(run))
            run, length = [], 0
    if run and len(joined) < PACKED_SAMPLES:
        joined.append(" ".join(run))
    samples = []
    for text in texts + joined[:PACKED_SAMPLES]:
        encoded = tokenizer([text], truncation=True, max_length=max_length, return_tensors="np")
        samples.append([encoded["input_ids"], encoded["attention_mask"]])
    return samples


def _no_telemetry() -> None:
    """Keep NNCF from reporting usage to Google Analytics (it does unless told otherwise).

    NNCF and OpenVINO's tools fall back to a silent stub when ``openvino_telemetry`` cannot be imported,
    so it is made unimportable (a ``None`` entry in ``sys.modules``) before NNCF is first imported; that
    also spares the user's home folder the client-id files it would write. Should another library have
    imported it first, NNCF's own switch (meant for its CI) still stops the sending.
    """
    sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
    os.environ.setdefault("NNCF_CI", "1")


def save(model: Any, folder: Path, info: dict[str, Any]) -> None:
    """Write the model beside a note of how it was made; a half-written folder is never picked up."""
    import openvino as ov

    staging = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    staging.mkdir(parents=True, exist_ok=True)
    ov.save_model(model, str(staging / "model.xml"), compress_to_fp16=False)
    (staging / "made.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    try:
        staging.rename(folder)
    except OSError:  # another process made it first: theirs is as good
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
