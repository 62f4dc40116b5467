"""The speech model: Whisper base assembled from its two PyPI packages loads and hears.

English is used for the check because Whisper base transcribes synthetic English
reliably; its Danish quality is measured in the voice benchmark, not asserted here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.stt_model import (
    ModelError,
    assemble_whisper_base,
    bundled_parts,
    model_dir,
    resolve_device,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_assembled_whisper_base_transcribes(tmp_path):
    from faster_whisper import WhisperModel

    d = assemble_whisper_base(tmp_path / "whisper-base")
    model_bin = (d / "model.bin").stat()
    assert assemble_whisper_base(d) == d  # current: not rebuilt
    assert (d / "model.bin").stat().st_mtime_ns == model_bin.st_mtime_ns
    wav = tmp_path / "hello.wav"
    subprocess.run(["espeak-ng", "-v", "en", "-w", str(wav),
                    "hello world, this is a test of the speech model"], check=True)
    model = WhisperModel(str(d), device=resolve_device("auto"), compute_type="int8")
    segments, info = model.transcribe(str(wav), temperature=0, beam_size=1)
    text = " ".join(s.text for s in segments).lower()
    assert info.language == "en"
    assert "hello world" in text and "speech model" in text


def test_configured_model_must_be_a_model_directory(tmp_path):
    with pytest.raises(ModelError, match=r"model\.bin"):
        model_dir(tmp_path, tmp_path)
    assert resolve_device("cpu") == "cpu"


def test_processes_sharing_a_data_directory_assemble_the_model_once(tmp_path):
    """Gateway processes on one data directory start at once (the scale-out shape):
    each gets a whole model, none fails on another's half-written file."""
    dest = tmp_path / "whisper-base"
    code = ("import sys; from pathlib import Path; from bot.stt_model import "
            "assemble_whisper_base as a; print(a(Path(sys.argv[1])))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(dest)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in results]
    parts, _ = bundled_parts()
    assert (dest / "model.bin").stat().st_size == sum(p.stat().st_size for p in parts)
    assert not list(dest.glob("*.tmp"))
