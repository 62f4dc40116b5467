"""Privacy evaluation: redaction recall and precision on a labelled Danish corpus.

Recall: the share of labelled personal-data spans that are gone after redaction.
Precision: the share of redactions that hit labelled personal data — measured as the
share of `keep` strings (numbers that are not personal data) that survive, and the
share of sentences without personal data that are left untouched.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.redaction import redact

CORPUS = Path(__file__).resolve().parent / "privacy" / "sentences.yaml"


@dataclass
class PrivacyScore:
    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    kept: int = 0
    keep_total: int = 0
    clean_untouched: int = 0
    clean_total: int = 0
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
