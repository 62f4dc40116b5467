"""The questions the bot could not answer, read from the outcome store.

Why here: the knowledge-gap report (handoff/gaps.py) clusters these by meaning; the
store only knows which turns were gaps and what the citizen asked. A turn is a gap when
its decision was
- `clarify` without a topic for a reason other than a greeting or a place given (the
  bot asked the citizen to rephrase, or could not make out a caller): kind
  `not_understood`;
- the bot's "no guide covers this" (the reason says "no guide: <area>",
  `bot/turn/answer.py`): kind `no_guide`;
- a handoff, transfer or ticket whose recorded need is `not_understood` or
  `not_helped` (the decision's reason starts with the need, `bot/turn/escalate.py`).

The question of a `not_helped` turn ("det hjalp ikke") is the citizen's question the
guide was given for: the text of the conversation's last answered turn before it. A
conversation asking the same thing twice counts once.

Text in the store is redacted when written; it is redacted again here, because rows
written before a redaction rule existed (or six digits only later known to be a CPR
number's date part) must never reach a report. The SQL is plain Core (joins,
comparisons, IN lists) and runs the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select

from ddh.redaction import redact
from ddh.vocabulary import Action, HandoffReason
from store.models import Conversation, Decision, Turn

GAP_NEEDS = (HandoffReason.NO_GUIDE, HandoffReason.NOT_UNDERSTOOD, HandoffReason.NOT_HELPED)
# Clarifications that are not a failure to understand: a greeting, a place given
# without a question, the municipality asked for before a person.
NOT_GAPS = ("greeting", "municipality given", "the municipality is needed")
# The channel had to end the conversation (a restart): not the citizen's question.
NOT_GAP_MARKS = ("the call had to end",)
_NEED = re.compile(r"\b(" + "|".join(r.value for r in HandoffReason) + r"):")
ESCALATIONS = (str(Action.HANDOFF), str(Action.TRANSFER), str(Action.TICKET))
CHUNK = 500  # ids per IN list


@dataclass(frozen=True)
class GapQuestion:
    """One unanswered question, redacted."""

    conversation_id: str
    at: datetime
    municipality: str | None
    kind: str  # no_guide | not_understood | not_helped
    topic: str | None  # the decision's topic (the routed one for escalations)
    text: str


def gap_kind(action: str, topic: str | None, reason: str) -> str | None:
    """Which kind of gap a decision is, or None when it is not one.

    "no guide: <area>" marks the turn that asked a question no guide covers, whatever
    was done next (a transfer, a ticket, or first the question which municipality); a
    later escalation of that need ("no_guide: …") answers the municipality question,
    and its text is a place, not the question, so it is not counted again."""
    if any(mark in reason for mark in NOT_GAP_MARKS):
        return None
    if "no guide:" in reason:
        return str(HandoffReason.NO_GUIDE)
    if action == Action.CLARIFY:
        if topic is None and not reason.startswith(NOT_GAPS):
            return str(HandoffReason.NOT_UNDERSTOOD)
        return None
    if action not in ESCALATIONS:
        return None
    m = _NEED.search(reason)
    if m is None:
        return None
    need = HandoffReason(m.group(1))
    return str(need) if need in (HandoffReason.NOT_UNDERSTOOD,
                                 HandoffReason.NOT_HELPED) else None


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _asked_before(sessions: Any, wanted: dict[str, list[int]]) -> dict[tuple[str, int], str]:
    """For each (conversation, seq) of a `not_helped` turn, the citizen's text of the
    last answered turn before it."""
    d, t = Decision, Turn
    answered: dict[str, list[tuple[int, str]]] = {}
    with sessions() as s:
        for ids in _chunks(sorted(wanted)):
            rows = s.execute(
                select(d.conversation_id, d.seq, t.text)
                .join(t, and_(t.conversation_id == d.conversation_id,
                              t.seq == 2 * d.seq - 1))
                .where(d.conversation_id.in_(ids), d.action == str(Action.ANSWER)))
            for cid, seq, text in rows:
                answered.setdefault(cid, []).append((seq, text))
    found: dict[tuple[str, int], str] = {}
    for cid, seqs in wanted.items():
        earlier = sorted(answered.get(cid, []))
        for seq in seqs:
            before = [text for s_, text in earlier if s_ < seq]
            if before:
                found[(cid, seq)] = before[-1]
    return found


def gap_questions(store: Any, start: datetime, end: datetime,
                  municipality: str | None = None,
                  municipalities: Iterable[str] | None = None) -> list[GapQuestion]:
    """The gaps of turns taken in [start, end), oldest first; `municipality` (or the
    set `municipalities`) keeps only conversations of that municipality. `store` is an
    OutcomeStore (anything with `sessions`)."""
    d, t, c = Decision, Turn, Conversation
    q = (select(d.conversation_id, d.seq, d.at, d.action, d.topic, d.reason, c.municipality,
                t.text)
         .join(c, c.id == d.conversation_id)
         .join(t, and_(t.conversation_id == d.conversation_id, t.seq == 2 * d.seq - 1))
         .where(d.action.in_((str(Action.CLARIFY), *ESCALATIONS)),
                d.at >= start, d.at < end,
                # the indexed start time narrows the scan; a conversation is short
                c.started_at >= start - timedelta(days=1), c.started_at < end)
         .order_by(d.at, d.conversation_id, d.seq))
    if municipality:
        q = q.where(c.municipality == municipality)
    elif municipalities is not None:
        q = q.where(c.municipality.in_(sorted(set(municipalities))))
    rows: list[tuple[str, int, datetime, str, str | None, str, str | None, str]] = []
    helped: dict[str, list[int]] = {}
    with store.sessions() as s:
        for cid, seq, at, action, topic, reason, code, text in s.execute(q):
            kind = gap_kind(action, topic, reason or "")
            if kind is None:
                continue
            rows.append((cid, seq, at, kind, topic, reason, code, text))
            if kind == HandoffReason.NOT_HELPED:
                helped.setdefault(cid, []).append(seq)
    earlier = _asked_before(store.sessions, helped) if helped else {}
    out: list[GapQuestion] = []
    seen: set[tuple[str, str]] = set()
    for cid, seq, at, kind, topic, _, code, text in rows:
        if kind == HandoffReason.NOT_HELPED:
            text = earlier.get((cid, seq), "")
        text = redact(" ".join((text or "").split())).text
        if not text or (cid, text.casefold()) in seen:
            continue
        seen.add((cid, text.casefold()))
        out.append(GapQuestion(cid, at, code, kind, topic, text))
    return out
