"""Answerability: does the bot answer what its guides cover, and only that?

Two kinds of single questions go through the real frontdesk, each as the first turn
of a fresh conversation on a staffed weekday morning:

- out of corpus (the suite's own `questions`): ordinary municipal questions that no
  guide covers. Answering one with a guide (`answer`, or a `redirect` elsewhere) is a
  failure: the bot must say that it has no guide and route the citizen.
- in corpus (the retrieval sets named by `in_corpus`): questions a guide covers, which
  must still be answered (`answer`, or `redirect` for a national authority's topic).

The out-of-corpus questions are split in two halves by a hash of their id: `dev` may be
looked at while calibrating, `holdout` is reported separately and never tuned on.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.frontdesk import Frontdesk, TurnInput
from ddh.vocabulary import Action
from evals.retrieval import load_queries
from evals.suite import STAFFED, Item, SuiteError, SuiteReport, ratio

ANSWERED = {Action.ANSWER, Action.REDIRECT}


def half(question_id: str) -> str:
    """The calibration half of an out-of-corpus question: stable, and blind to content."""
    return "dev" if int(hashlib.sha1(question_id.encode()).hexdigest(), 16) % 2 == 0 \
        else "holdout"


def validate(path: Path, data: dict[str, Any]) -> None:
    seen: set[str] = set()
    for i, q in enumerate(data["questions"]):
        if not isinstance(q, dict) or not q.get("id") or not q.get("text"):
            raise SuiteError(f"{path}: question #{i + 1} needs id and text")
        if q["id"] in seen:
            raise SuiteError(f"{path}: duplicate question id {q['id']!r}")
        seen.add(q["id"])
    for ref in data.get("in_corpus") or []:
        if not (path.parent / ref).is_file():
            raise SuiteError(f"{path}: in_corpus set {ref!r} not found")


def run(frontdesk: Frontdesk, path: Path, data: dict[str, Any], mode: str,
        progress: Callable[[int], None] = lambda n: None) -> SuiteReport:
    validate(path, data)
    run_id = uuid.uuid4().hex[:8]
    items: list[Item] = []

    def ask(item_id: str, text: str, municipality: str | None) -> dict[str, Any]:
        result = frontdesk.handle(TurnInput(
            conversation=f"eval-{run_id}-{item_id}", text=text,
            municipality=municipality, at=STAFFED))
        return {"action": str(result.action), "topic": result.topic,
                "guides": [g["id"] for g in result.guides[:1]], "reply": result.reply}

    for q in data["questions"]:
        muni = str(q["municipality"]) if q.get("municipality") else None
        got = ask(q["id"], str(q["text"]), muni)
        items.append(Item(f"out:{q['id']}", got["action"] not in ANSWERED, {
            "set": "out", "half": half(q["id"]), "text": q["text"], "got": got}))
        progress(1)
    for ref in data.get("in_corpus") or []:
        for n, lq in enumerate(load_queries(path.parent / ref)):
            got = ask(f"{Path(ref).stem}-{n}", lq.q, lq.municipality)
            answered = got["action"] in ANSWERED
            items.append(Item(f"in:{Path(ref).stem}#{n + 1}", answered, {
                "set": "in", "half": Path(ref).stem, "text": lq.q, "topic": lq.topic,
                "style": lq.style, "got": got,
                "right": answered and got["topic"] == lq.topic}))
    return SuiteReport("answerability", str(path), mode, metrics(items),
                       dict(data.get("thresholds") or {}), items)


def metrics(items: list[Item]) -> dict[str, Any]:
    out = [i for i in items if i.detail["set"] == "out"]
    inside = [i for i in items if i.detail["set"] == "in"]
    m: dict[str, Any] = {"out_questions": len(out), "in_questions": len(inside)}
    m["out_answered"] = ratio(sum(not i.passed for i in out), len(out))
    for h in ("dev", "holdout"):
        part = [i for i in out if i.detail["half"] == h]
        m[f"out_answered_{h}"] = ratio(sum(not i.passed for i in part), len(part))
    m["in_answered"] = ratio(sum(i.passed for i in inside), len(inside))
    m["in_answered_right_topic"] = ratio(sum(bool(i.detail["right"]) for i in inside),
                                         len(inside))
    return m
