"""The speech model: Whisper base assembled from its two PyPI packages loads and hears.

English is used for the check because Whisper base transcribes synthetic English
reliably; its Danish quality is measured in the voice benchmark, not asserted here.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from bot.stt_model import ModelError, assemble_whisper_base, model_dir, resolve_device


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
