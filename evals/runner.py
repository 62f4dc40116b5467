"""Scenario evaluation: conversations through the real frontdesk, scored per turn.

Scenario files follow CONTRACT.md §2. Every scenario is a fresh conversation; each
turn's expectation (`action`, `topic`, `municipality`, `target`, `reply_contains`)
is checked, and the file's thresholds decide the exit code of `ddh eval run`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bot.frontdesk import Frontdesk, TurnInput

METRICS = ("action", "topic", "municipality", "target", "reply")


@dataclass
class TurnOutcome:
    scenario: str
    index: int
    text: str
    expect: dict[str, Any]
    got: dict[str, Any]
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class SuiteResult:
    file: str
    turns: list[TurnOutcome] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)

    def accuracy(self, metric: str) -> float | None:
        checked = [t for t in self.turns if (metric == "reply" and "reply_contains" in t.expect)
                   or metric in t.expect]
        if not checked:
            return None
        ok = [t for t in checked if not any(f.startswith(metric) for f in t.failures)]
        return len(ok) / len(checked)

    def metrics(self) -> dict[str, Any]:
        out: dict[str, Any] = {"turns": len(self.turns),
                               "scenarios": len({t.scenario for t in self.turns})}
        for m in METRICS:
            acc = self.accuracy(m)
            if acc is not None:
                out[f"{m}_accuracy"] = round(acc, 4)
        by_scenario: dict[str, bool] = defaultdict(lambda: True)
        for t in self.turns:
            by_scenario[t.scenario] &= t.passed
        out["scenario_pass_rate"] = round(sum(by_scenario.values()) / max(len(by_scenario), 1), 4)
        return out

    def failed_thresholds(self) -> list[str]:
        m = self.metrics()
        out = []
        for name, minimum in self.thresholds.items():
            value = m.get(name)
            if value is None or value < float(minimum):
                out.append(f"{name} {value} < {minimum}")
        return out


class ScenarioError(ValueError):
    """A scenario file that does not follow the format."""


def load_suite(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise ScenarioError(f"{path}: needs a list under 'scenarios'")
    for i, s in enumerate(data["scenarios"]):
        if not isinstance(s, dict) or not s.get("id") or not isinstance(s.get("turns"), list):
            raise ScenarioError(f"{path}: scenario #{i + 1} needs an id and turns")
        for j, t in enumerate(s["turns"]):
            if not isinstance(t, dict) or not isinstance(t.get("text"), str):
                raise ScenarioError(f"{path}: {s['id']} turn {j + 1} needs text")
    return data


def _parse_at(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _check(expect: dict[str, Any], got: dict[str, Any]) -> list[str]:
    failures = []
    for key in ("action", "topic", "municipality"):
        if key in expect and expect[key] != got.get(key):
            failures.append(f"{key}: expected {expect[key]!r}, got {got.get(key)!r}")
    if "target" in expect:
        target = (got.get("handoff") or {}).get("target")
        if expect["target"] != target:
            failures.append(f"target: expected {expect['target']!r}, got {target!r}")
    for needle in expect.get("reply_contains") or []:
        if str(needle).lower() not in (got.get("reply") or "").lower():
            failures.append(f"reply: missing {needle!r}")
    return failures


def run_suite(frontdesk: Frontdesk, path: Path) -> SuiteResult:
    data = load_suite(path)
    result = SuiteResult(str(path), thresholds=dict(data.get("thresholds") or {}))
    run = uuid.uuid4().hex[:8]
    for s in data["scenarios"]:
        conversation = f"eval-{run}-{s['id']}"
        for i, t in enumerate(s["turns"]):
            turn = TurnInput(conversation=conversation, text=t["text"],
                             channel=t.get("channel", s.get("channel", "chat")),
                             municipality=s.get("municipality") if i == 0 else None,
                             called_number=s.get("called_number") if i == 0 else None,
                             at=_parse_at(t.get("at", s.get("at"))))
            got = frontdesk.handle(turn).contract()
            expect = dict(t.get("expect") or {})
            result.turns.append(TurnOutcome(s["id"], i + 1, t["text"], expect, got,
                                            _check(expect, got)))
    return result
