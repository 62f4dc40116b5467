"""Privacy evaluation: redaction recall and precision on a labelled Danish corpus.

Recall: the share of labelled personal-data spans that are gone after redaction.
Precision: the share of redactions that hit labelled personal data — measured as the
share of `keep` strings (numbers that are not personal data) that survive, and the
share of sentences without personal data that are left untouched.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ddh.redaction import redact
from evals.suite import Item, SuiteReport, ratio

CORPUS = Path(__file__).resolve().parent / "privacy" / "sentences.yaml"


@dataclass
class PrivacyScore:
    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    kept: int = 0
    keep_total: int = 0
    clean_untouched: int = 0
    clean_total: int = 0
    outputs: list[str] = field(default_factory=list)  # each sentence as redacted
    misses: list[tuple[str, str]] = field(default_factory=list)
    false_hits: list[tuple[str, str]] = field(default_factory=list)

    def recall(self, key: str | None = None) -> float:
        keys = [key] if key else list(self.total)
        tot = sum(self.total[k] for k in keys)
        return sum(self.found[k] for k in keys) / tot if tot else 1.0

    @property
    def keep_rate(self) -> float:
        return self.kept / self.keep_total if self.keep_total else 1.0

    @property
    def clean_rate(self) -> float:
        return self.clean_untouched / self.clean_total if self.clean_total else 1.0


def load(path: Path = CORPUS) -> list[dict]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))["sentences"]


def evaluate(sentences: list[dict]) -> PrivacyScore:
    score = PrivacyScore()
    for s in sentences:
        text = s["text"]
        out = redact(text).text
        score.outputs.append(out)
        form = s.get("form", "written")
        for p in s.get("pii") or []:
            key = f"{p['kind']}/{form}"
            score.total[key] += 1
            if p["text"] not in out:
                score.found[key] += 1
            else:
                score.misses.append((key, text))
        for k in s.get("keep") or []:
            score.keep_total += 1
            if k in out:
                score.kept += 1
            else:
                score.false_hits.append((k, text))
        if not s.get("pii"):
            score.clean_total += 1
            score.clean_untouched += out == text
    return score


def digits_of(text: str) -> str:
    """The digits a CPR was written or spoken with ("nul et to" → "012")."""
    from ddh.numbers import number_runs

    runs = number_runs(text, min_words=1)
    spoken = "".join(r.digits for r in runs)
    written = re.sub(r"\D", "", text)
    return written if len(written) >= len(spoken) else spoken


def run(path: Path, data: dict[str, Any], end_to_end: Callable[[list[dict]], dict[str, Any]]
        | None = None, progress: Callable[[int], None] = lambda n: None) -> SuiteReport:
    """Redaction recall per kind and form, precision, and (with `end_to_end`) how
    many raw CPR numbers reached the store, the logs or a language-model request."""
    sentences = data["sentences"]
    score = evaluate(sentences)
    items = []
    for i, (s, out) in enumerate(zip(sentences, score.outputs, strict=True)):
        missed = [p["text"] for p in s.get("pii") or [] if p["text"] in out]
        lost = [k for k in s.get("keep") or [] if k not in out]
        changed = not s.get("pii") and out != s["text"]
        items.append(Item(f"s{i + 1}", not (missed or lost or changed), {
            "text": s["text"], "redacted": out, "form": s.get("form", "written"),
            "missed": missed, "lost": lost, "changed_clean": changed}))
        progress(1)
    found = sum(score.found.values())
    false_hits = (score.keep_total - score.kept) + (score.clean_total - score.clean_untouched)
    metrics: dict[str, Any] = {
        "sentences": len(sentences), "recall": round(score.recall(), 4),
        "precision": ratio(found, found + false_hits),
        "keep_rate": round(score.keep_rate, 4), "clean_rate": round(score.clean_rate, 4)}
    for key in sorted(score.total):
        metrics[f"{key.replace('/', '_')}_recall"] = round(score.recall(key), 4)
    if end_to_end is not None:
        metrics |= end_to_end([s for s in sentences if any(
            p["kind"] == "cpr" for p in s.get("pii") or [])])
    return SuiteReport("privacy", str(path), "-", metrics, dict(data.get("thresholds") or {}),
                       items)


def leaks(texts: list[str], haystack: str) -> int:
    """How many of the CPR numbers (raw text, or their ten digits) occur in a text."""
    low = haystack.lower()
    squeezed = re.sub(r"[\s\-–.]", "", low)
    count = 0
    for t in texts:
        digits = digits_of(t)
        if t.lower() in low or (len(digits) == 10 and digits in squeezed):
            count += 1
    return count
