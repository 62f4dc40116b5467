"""Warm handoff packets: what a person taking over needs to know, in five lines.

Built from redacted state only. The summary is grounded (composed from the
conversation's facts, no language model), in Danish, at most five lines: who and
where, what they need, what was already tried, why a person is needed.
"""

from __future__ import annotations

from datetime import datetime

from ddh.vocabulary import Action, Channel, HandoffReason
from knowledge.registry import Registry
from store.records import HandoffPacket, TranscriptLine

CHANNEL: dict[str, str] = {Channel.CHAT: "chat", Channel.VOICE: "telefon",
                           Channel.EMAIL: "e-mail"}


def _clip(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def summary_lines(registry: Registry, *, kind: Action, topic: str | None,
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
    if kind == Action.TICKET:
        lines.append("Borgeren venter på at blive kontaktet.")
    return lines[:5]


def build_packet(registry: Registry, *, kind: Action, target: str, topic: str | None,
                 municipality: str | None, channel: str, need: str | None,
                 guide_titles: list[str], reason_da: str, reason: str,
                 transcript: list[tuple[str, str]], at: datetime,
                 next_open: datetime | None = None,
                 reason_kind: HandoffReason | None = None) -> HandoffPacket:
    """The packet for the receiver, with its grounded five-line summary. `reason_kind`:
    why a person is needed (stored, shown to the agent, counted on the dashboard);
    `reason_da` words it for the summary's "Årsag" line."""
    lines = summary_lines(registry, kind=kind, topic=topic, municipality=municipality,
                          channel=channel, need=need, guides=guide_titles, reason=reason_da)
    return HandoffPacket(
        kind=kind, target=target, topic=topic, municipality=municipality, reason=reason,
        summary="\n".join(lines), channel=channel, created_at=at, need=need,
        guides=tuple(guide_titles),
        transcript=tuple(TranscriptLine(role, text) for role, text in transcript),
        next_open=next_open, reason_kind=reason_kind)
