"""Warm handoff packets: what a person taking over needs to know, in five lines.

Built from redacted state only. The summary is grounded (composed from the
conversation's facts, no language model), in Danish, at most five lines: who and
where, what they need, what was already tried, why a person is needed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from knowledge.registry import Registry

CHANNEL = {"chat": "chat", "voice": "telefon"}


def _clip(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def summary_lines(registry: Registry, *, kind: str, topic: str | None,
                  municipality: str | None, channel: str, need: str | None,
                  guides: list[str], reason: str) -> list[str]:
    where = registry.municipalities[municipality].name if municipality else "ukendt kommune"
    topic_name = registry.topics[topic].name if topic in registry.topics else "ukendt emne"
    lines = [f"Borger fra {where} ({CHANNEL.get(channel, channel)}) – emne: {topic_name}."]
    if need:
        lines.append(f"Henvendelse: \"{_clip(need)}\"")
    if guides:
        lines.append("Vejledning givet: " + "; ".join(_clip(g, 60) for g in guides[:3]) + ".")
    else:
        lines.append("Ingen vejledning givet endnu.")
    lines.append(f"Årsag: {reason}.")
    if kind == "ticket":
        lines.append("Borgeren venter på at blive kontaktet.")
    return lines[:5]


def build_packet(registry: Registry, *, kind: str, target: str, topic: str | None,
                 municipality: str | None, channel: str, need: str | None,
                 guide_titles: list[str], reason_da: str, reason: str,
                 transcript: list[tuple[str, str]], at: datetime,
                 next_open: datetime | None = None) -> dict[str, Any]:
    """The handoff object of the contract, with the full packet for the receiver."""
    lines = summary_lines(registry, kind=kind, topic=topic, municipality=municipality,
                          channel=channel, need=need, guides=guide_titles, reason=reason_da)
    summary = "\n".join(lines)
    return {
        "id": uuid.uuid4().hex,
        "kind": kind,
        "target": target,
        "topic": topic,
        "municipality": municipality,
        "reason": reason,
        "summary": summary,
        "packet": {
            "summary": summary, "channel": channel, "municipality": municipality,
            "topic": topic, "need": need, "guides": guide_titles,
            "transcript": [{"role": r, "text": t} for r, t in transcript],
            "created_at": at.isoformat(),
            "next_open": next_open.isoformat() if next_open else None,
        },
    }
