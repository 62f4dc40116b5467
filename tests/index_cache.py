"""The tests' full-corpus index, embedded once and kept under var/test-cache/<key>.

Embedding the corpus (~360 chunks) is the most expensive set-up in the suite, and it
gives the same index every time the inputs are the same. The key hashes every input
that can change what is indexed: each guide file's bytes, the registry files the
importers read, the indexing code (how guides are parsed, chunked and labelled), the
Chroma version, and the embedder (its name, its model file's hash and the vectors it
gives for a fixed probe text, which covers the tokenizer, the pooling and the ONNX
Runtime build too). A changed guide, model or chunker gives a new key, so a stale
index is never used; entries are never changed once written.

On a miss the index is built in a child process (so the Chroma files are complete
and closed when they are copied into the cache). When `scripts/install.sh` has
already built the install-time index (`ddh knowledge ingest` into var/chroma) that
one is copied and brought in step instead of embedding the corpus a second time
(CI starts from a clean checkout and runs the install first): the copy is accepted
only when its chunks are exactly those of the corpus (ids, texts and metadata) and a
sample of its vectors equals what this embedder gives now; otherwise it is built from
scratch. Every test session works on its own copy (tests write stores and outboxes
into the index's data directory), so the cached entry stays as it was built.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "var" / "models"
CACHE_DIR = ROOT / "var" / "test-cache"
INSTALL_CHROMA = ROOT / "var" / "chroma"  # what scripts/install.sh's ingest builds
FORMAT = "1"  # bump when what a cache entry holds changes
# The registry files that importing a guide reads (topics, municipality names and
# codes, the waste partners' municipalities); routing and postal codes do not matter.
REGISTRY_FILES = ("municipalities.csv", "topics.yaml", "ddh.yaml")
# The code that turns guide files into chunks and metadata. The embedder's own code is
# covered by its probe vectors.
INDEXING_CODE = ("knowledge/guide.py", "knowledge/index.py", "knowledge/corpus.py",
                 "knowledge/importers")
PROBE = ("Sådan bestiller du et nyt pas hos Borgerservice.",
         "passage probe: MitID, NemKonto og storskrald i Aarhus Kommune.")
SAMPLE = 24  # vectors of a seeded index compared with freshly embedded ones
KEEP = 4  # cache entries kept (newest first); older ones are removed


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def file_hash(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def embedder_id(embedder: Any) -> str:
    """What identifies the embedder's vectors: name, model file and probe vectors."""
    parts = [type(embedder).__name__, str(embedder.name)]
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        parts.append("onnxruntime " + importlib.metadata.version("onnxruntime"))
    model = getattr(getattr(embedder, "_session", None), "_model_path", None)
    if model:
        parts.append("model " + file_hash(Path(model)))
    probe = np.ascontiguousarray(embedder.passages(list(PROBE)), dtype=np.float32)
    parts.append("probe " + hashlib.sha256(probe.tobytes()).hexdigest())
    return "\n".join(parts)


def index_key(corpus: Sequence[Path], registry_dir: Path, embedder: str,
              code: Iterable[Path] | None = None) -> str:
    """The cache key of the index of `corpus` (guide files or directories, in order)
    read with the registry in `registry_dir` and embedded by `embedder`
    (`embedder_id`). Paths enter relative to their source, so a moved checkout keeps
    its cache."""
    h = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        h.update(label.encode() + b"\0" + len(data).to_bytes(8, "big") + data)

    add("format", FORMAT.encode())
    add("chromadb", importlib.metadata.version("chromadb").encode())
    add("embedder", embedder.encode())
    for i, source in enumerate(corpus):
        source = Path(source)
        add(f"source {i}", str(len(_files(source))).encode())
        for f in _files(source):
            rel = f.relative_to(source) if source.is_dir() else Path(f.name)
            add(f"corpus {i} {rel.as_posix()}", f.read_bytes())
    for name in REGISTRY_FILES:
        add(f"registry {name}", (Path(registry_dir) / name).read_bytes())
    for path in (ROOT / p for p in INDEXING_CODE) if code is None else code:
        for f in _files(path):
            add(f"code {f.relative_to(ROOT).as_posix() if f.is_relative_to(ROOT) else f.name}",
                f.read_bytes())
    return h.hexdigest()[:24]


def make_test_embedder() -> Any:
    from knowledge.embeddings import make_embedder

    e = make_embedder("onnx", cache_dir=Path(os.environ.get("DDH_MODELS_DIR", MODELS)))
    assert type(e).__name__ == "OnnxE5Embedder", "the ONNX embedder must load in tests"
    return e


def key_for(settings: Any, embedder: Any) -> str:
    from knowledge.corpus import corpus_sources
    from knowledge.registry import BUNDLED_DIR

    return index_key(corpus_sources(settings), BUNDLED_DIR, embedder_id(embedder))


def cached_index(settings: Any, embedder: Any) -> Path:
    """The cached Chroma directory of the corpus `settings` names (built if missing).

    `settings` only chooses the corpus (the bundled guides unless DDH_GUIDES_DIR and
    DDH_EXTRA_GUIDE_SOURCES say otherwise); the registry is the bundled one, as in the
    `registry` fixture.
    """
    key = key_for(settings, embedder)
    entry = CACHE_DIR / key
    if (entry / "done").is_file():
        os.utime(entry)  # recently used: kept by `_prune`
        return entry / "chroma"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    work = CACHE_DIR / f".build-{key}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "tests.index_cache", str(work)], cwd=ROOT,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
            capture_output=True, text=True, timeout=900)
        if out.returncode != 0:
            raise RuntimeError(f"building the test index failed:\n{out.stderr[-4000:]}")
        built = json.loads(out.stdout.strip().splitlines()[-1])
        if built["key"] != key:  # the child saw other inputs (a guide edited meanwhile)
            raise RuntimeError(f"test index built for key {built['key']}, wanted {key}")
        (work / built["chroma"]).rename(work / "chroma")
        for leftover in ("seeded", "fresh"):
            shutil.rmtree(work / leftover, ignore_errors=True)
        (work / "built.json").write_text(json.dumps(built, indent=1), encoding="utf-8")
        (work / "done").touch()
        try:
            work.rename(entry)
        except OSError:  # another session built the same entry first: use that one
            if not (entry / "done").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _prune(keep=entry)
    return entry / "chroma"


def _prune(keep: Path) -> None:
    """Remove all but the KEEP newest entries, and builds a killed session left
    behind; never anything touched within the hour (another session may use it)."""
    dirs = [p for p in CACHE_DIR.iterdir() if p.is_dir() and p != keep]
    entries = sorted((p for p in dirs if not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [*entries[KEEP - 1:], *(p for p in dirs if p.name.startswith(".build-"))]:
        if time.time() - old.stat().st_mtime > 3600:
            shutil.rmtree(old, ignore_errors=True)


# --- the build (in a child process) --------------------------------------------------


def _copy_chroma(src: Path, dest: Path) -> None:
    """A consistent copy of a Chroma directory that a server may have open: the
    SQLite file through SQLite's backup API, the segment files as they are."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("chroma.sqlite3*"))
    with contextlib.closing(sqlite3.connect(f"file:{src / 'chroma.sqlite3'}?mode=ro",
                                            uri=True)) as s, \
            contextlib.closing(sqlite3.connect(dest / "chroma.sqlite3")) as d:
        s.backup(d)


def _expected_chunks(settings: Any, registry: Any) -> dict[str, tuple[str, dict]]:
    from knowledge.corpus import load_corpus
    from knowledge.index import chunk_metadata

    return {f"{g.id}#{i}": (text, chunk_metadata(g, i))
            for g in load_corpus(settings, registry).guides
            for i, text in enumerate(g.passages())}


def check_index(k: Any, expected: dict[str, tuple[str, dict]], sample: int = SAMPLE) -> None:
    """Raise unless the index holds exactly `expected` and a spread sample of its
    vectors equals this embedder's (to the float32 rounding of the store)."""
    chunks, vectors = k.index.chunks(with_vectors=True)
    got = {c.id: (c.text, c.metadata) for c in chunks}
    if got != expected:
        diff = sorted(set(got) ^ set(expected)) or \
            sorted(i for i in got if got[i] != expected.get(i))
        raise ValueError(f"chunks differ from the corpus: {diff[:5]}")
    order = sorted(range(len(chunks)), key=lambda i: chunks[i].id)
    picked = order[:: max(1, len(order) // sample)][:sample]
    fresh = k.embedder.passages([chunks[i].text for i in picked])
    if not np.allclose(vectors[picked], fresh, rtol=0, atol=1e-6):
        raise ValueError("vectors differ from this embedder's")


def build(work: Path) -> dict[str, Any]:
    from ddh.settings import Settings
    from knowledge.registry import load_registry
    from knowledge.service import Knowledge

    registry = load_registry()
    embedder = make_test_embedder()
    t0 = time.monotonic()
    key = key_for(Settings(data_dir=work), embedder)
    result: dict[str, Any] = {"key": key, "seeded_from": None}
    if (INSTALL_CHROMA / "chroma.sqlite3").is_file():
        settings = Settings(data_dir=work / "seeded")
        try:
            _copy_chroma(INSTALL_CHROMA, settings.chroma_path)
            k = Knowledge.open(settings, registry, embedder)
            keep = {k.index.collection.name, k.index.records.name}
            for c in k.index.client.list_collections():  # other engines' collections
                if c.name not in keep:
                    k.index.client.delete_collection(c.name)
            sync = k.refresh_index()
            check_index(k, _expected_chunks(settings, registry))
            result.update(seeded_from=str(INSTALL_CHROMA.relative_to(ROOT)),
                          sync=sync.as_dict())
        except Exception as exc:  # not the same index: build it from scratch
            result["seed_rejected"] = f"{type(exc).__name__}: {exc}"
    if result["seeded_from"] is None:
        settings = Settings(data_dir=work / "fresh")
        k = Knowledge.open(settings, registry, embedder)
        result["sync"] = k.refresh_index().as_dict()
        check_index(k, _expected_chunks(settings, registry), sample=4)
    result["seconds"] = round(time.monotonic() - t0, 2)
    result["chunks"] = k.index.count()
    # The parent moves this directory into the cache once this process has exited
    # and Chroma has closed its files.
    result["chroma"] = settings.chroma_path.relative_to(work).as_posix()
    return result


if __name__ == "__main__":
    os.environ.setdefault("DDH_MODELS_DIR", str(MODELS))
    print(json.dumps(build(Path(sys.argv[1]))))
