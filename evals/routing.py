"""The routing suite: conversations through the real frontdesk, scored per turn.

Scenario files follow CONTRACT.md §2. Every scenario is a fresh conversation; each
turn's expectation (`action`, `topic`, `municipality`, `target`, `reply_contains`)
is checked. A file may also list crisis `notices` (municipality, title, text,
keywords, from, until) that are published in the run's throwaway store first.
Metrics: accuracy per expectation kind over the turns that state it, and the share of
scenarios whose every turn passed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.frontdesk import Frontdesk, TurnInput
from evals.suite import Item, SuiteError, SuiteReport

METRICS = ("action", "topic", "municipality", "target", "reply")


def validate(path: Path, data: dict[str, Any]) -> None:
    for i, n in enumerate(data.get("notices") or []):
        if not isinstance(n, dict) or not all(n.get(k) for k in (
                "municipality", "title", "text", "from", "until")):
            raise SuiteError(f"{path}: notice #{i + 1} needs municipality, title, text, "
                             "from and until")
    for i, s in enumerate(data["scenarios"]):
        if not isinstance(s, dict) or not s.get("id") or not isinstance(s.get("turns"), list):
            raise SuiteError(f"{path}: scenario #{i + 1} needs an id and turns")
        for j, t in enumerate(s["turns"]):
            if not isinstance(t, dict) or not isinstance(t.get("text"), str):
                raise SuiteError(f"{path}: {s['id']} turn {j + 1} needs text")


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


def run(frontdesk: Frontdesk, path: Path, data: dict[str, Any], mode: str,
        progress: Callable[[int], None] = lambda n: None) -> SuiteReport:
    """Every scenario's turns in order; one item per turn."""
    validate(path, data)
    for n in data.get("notices") or []:
        if frontdesk.notices is None:
            raise SuiteError(f"{path}: crisis notices need an outcome store")
        frontdesk.notices.publish("eval", n["municipality"], n["title"], n["text"],
                                  _parse_at(n["until"]), n.get("keywords"),
                                  at=_parse_at(n["from"]))
    items: list[Item] = []
    run_id = uuid.uuid4().hex[:8]
    for s in data["scenarios"]:
        conversation = f"eval-{run_id}-{s['id']}"
        for i, t in enumerate(s["turns"]):
            turn = TurnInput(conversation=conversation, text=t["text"],
                             channel=t.get("channel", s.get("channel", "chat")),
                             municipality=s.get("municipality") if i == 0 else None,
                             called_number=s.get("called_number") if i == 0 else None,
                             at=_parse_at(t.get("at", s.get("at"))))
            result = frontdesk.handle(turn)
            got = result.contract()
            expect = dict(t.get("expect") or {})
            failures = _check(expect, got)
            items.append(Item(f"{s['id']} #{i + 1}", not failures, {
                "scenario": s["id"], "text": t["text"], "expect": expect,
                "got": {k: got.get(k) for k in ("action", "topic", "municipality")} |
                {"target": (got.get("handoff") or {}).get("target"), "reply": got["reply"],
                 "guides": [g["id"] for g in got.get("guides") or []]},
                "failures": failures}))
        progress(1)
    return SuiteReport("routing", str(path), mode, metrics(items),
                       dict(data.get("thresholds") or {}), items)


def metrics(items: list[Item]) -> dict[str, Any]:
    out: dict[str, Any] = {"turns": len(items),
                           "scenarios": len({i.detail["scenario"] for i in items})}
    for m in METRICS:
        checked = [i for i in items if (m == "reply" and "reply_contains" in i.detail["expect"])
                   or m in i.detail["expect"]]
        if checked:
            ok = [i for i in checked if not any(f.startswith(m) for f in i.detail["failures"])]
            out[f"{m}_accuracy"] = round(len(ok) / len(checked), 4)
    by_scenario: dict[str, bool] = defaultdict(lambda: True)
    for i in items:
        by_scenario[i.detail["scenario"]] &= i.passed
    out["scenario_pass_rate"] = round(sum(by_scenario.values()) / max(len(by_scenario), 1), 4)
    return out
