"""What every evaluation suite reports, and how a suite file says what it is.

A suite file is YAML with `thresholds` and one list that names its kind: `scenarios`
(routing, CONTRACT.md §2), `queries` (retrieval), `sentences` (privacy), `attempts`
(injection) or `questions` (voice); `suite:` may name the kind explicitly, and must
for `answerability` (out-of-corpus `questions`, evals/answerability.py). A run of
one suite in one mode gives a `SuiteReport`: its metrics, the thresholds and which
of them failed, and one `Item` per scored thing (a scenario's turn, a query, a
sentence, an attempt) so that two runs can be compared item by item
(`ddh eval compare`).

Thresholds: `name: x` means metric `name` must be at least x; `name_max: x` means
metric `name` must be at most x. A metric that is missing fails its threshold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bot.schedule import TZ

KINDS = {"scenarios": "routing", "queries": "retrieval", "sentences": "privacy",
         "attempts": "injection", "questions": "voice"}
# Kinds that share a list name with another kind and are named by `suite:` only.
NAMED_KINDS = {"answerability": "questions", "callers": "questions"}


# When a suite's turns happen unless the suite says otherwise: a weekday morning, so DDH
# is open and a request for a person is a live handoff (injection, privacy).
STAFFED = datetime(2026, 11, 24, 10, 15, tzinfo=TZ)


class SuiteError(ValueError):
    """A suite file that cannot be read or does not follow its format."""


@dataclass
class Item:
    id: str
    passed: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class SuiteReport:
    suite: str  # routing | retrieval | privacy | injection | voice | faithfulness
    file: str
    mode: str  # grounded | llm | "-" (the suite does not depend on the mode)
    metrics: dict[str, Any]
    thresholds: dict[str, float] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def key(self) -> str:
        """What identifies this report across runs (for compare)."""
        return f"{self.suite}:{Path(self.file).name}:{self.mode}"

    @property
    def failed(self) -> list[str]:
        return failed_thresholds(self.metrics, self.thresholds)

    def as_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "file": self.file, "mode": self.mode, "key": self.key,
                "metrics": self.metrics, "thresholds": self.thresholds,
                "failed_thresholds": self.failed, "seconds": round(self.seconds, 2),
                "items": [asdict(i) for i in self.items]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SuiteReport:
        return cls(d["suite"], d["file"], d["mode"], d["metrics"], d.get("thresholds") or {},
                   [Item(**i) for i in d.get("items") or []], d.get("seconds", 0.0))


def failed_thresholds(metrics: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    out = []
    for name, bound in thresholds.items():
        metric, upper = (name[:-4], True) if name.endswith("_max") else \
            (name.removesuffix("_min"), False)
        value = metrics.get(metric)
        if not isinstance(value, int | float):
            out.append(f"{metric} is missing (threshold {bound})")
        elif upper and value > float(bound):
            out.append(f"{metric} {value} > {bound}")
        elif not upper and value < float(bound):
            out.append(f"{metric} {value} < {bound}")
    return out


def load(path: Path) -> tuple[str, dict[str, Any]]:
    """(kind, data) of a suite file, or a SuiteError saying what is wrong."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SuiteError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: not a YAML mapping")
    kind = data.get("suite") or next((k for key, k in KINDS.items() if key in data), None)
    if kind not in KINDS.values() and kind not in NAMED_KINDS:
        raise SuiteError(f"{path}: no suite list ({', '.join(KINDS)})")
    listed = NAMED_KINDS.get(kind) or next(key for key, k in KINDS.items() if k == kind)
    if not isinstance(data.get(listed), list) or not data[listed]:
        raise SuiteError(f"{path}: '{listed}' must be a non-empty list")
    thresholds = data.get("thresholds") or {}
    if not isinstance(thresholds, dict) or not all(
            isinstance(v, int | float) for v in thresholds.values()):
        raise SuiteError(f"{path}: thresholds must map metric names to numbers")
    return kind, data


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None
