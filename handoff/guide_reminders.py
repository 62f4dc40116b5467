"""Freshness reminders by e-mail: each municipality's published guides past, or near,
their review-by date, in one mail a day to the municipality's guide mailbox.

Why by mail as well as on the dashboard: the people who keep a municipality's guides
open the admin rarely; a guide that states last year's opening hours misleads every
citizen who asks. Once a day per municipality, whichever gateway process gets there
first: the outbox row's key is the municipality and the day, so the others find it
queued (`EmailStore.notice`), and the e-mail channel's sender delivers it with retries.
The mailbox is `DDH_GUIDES_REMINDER_ADDRESSES` (kommunekode → address), else the
municipality's ticket mailbox from the routing data.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from handoff.guide_desk import Due, GuideDesk
from knowledge.registry import Registry
from store.email import EmailStore


@dataclass(frozen=True)
class Reminder:
    municipality: str
    to: str
    subject: str
    body: str

    @property
    def key(self) -> str:
        """One a day per municipality (the outbox row's key)."""
        return f"guides:{self.municipality}"


def _line(due: Due) -> str:
    title = (due.record.published or due.record.latest).fields.get("title", due.record.id)
    when = due.record.review_by.isoformat() if due.record.review_by else "?"
    state = f"{-due.days_left} dage over" if due.days_left < 0 else \
        "i dag" if due.days_left == 0 else f"om {due.days_left} dage"
    return f"- {title} (gennemses senest {when}: {state})"


def reminders(desk: GuideDesk, registry: Registry, today: date, within_days: int,
              addresses: Mapping[str, str], link: str = "/admin/guides") -> list[Reminder]:
    """The day's reminders: one per municipality with guides due and a mailbox."""
    by_code: dict[str, list[Due]] = {}
    for due in desk.due_for_review(today, within_days):
        by_code.setdefault(due.record.municipality, []).append(due)
    out = []
    for code, dues in sorted(by_code.items()):
        to = addresses.get(code) or (registry.routing_for(code).ticket_email
                                     if code in registry.municipalities else None)
        if not to:
            continue
        name = registry.municipalities[code].name if code in registry.municipalities else code
        dues.sort(key=lambda d: d.days_left)
        body = "\n".join([
            f"Hej {name} Kommune,", "",
            f"{len(dues)} af jeres vejledninger skal gennemses, så borgerne ikke får "
            "forældede svar:", "", *(_line(d) for d in dues), "",
            f"Ret eller bekræft dem i vejledningsredigeringen: {link}", "",
            "Med venlig hilsen", "Den Digitale Hotlines frontdesk (automatisk besked)"])
        out.append(Reminder(code, to, f"{len(dues)} vejledninger skal gennemses", body))
    return out


def queue(store: EmailStore, found: list[Reminder], sender: str, today: date,
          domain: str = "ddh-frontdesk") -> int:
    """Queue the day's reminders in the e-mail outbox; returns how many were new (a
    reminder already queued today, by any process, is not queued again)."""
    new = 0
    for r in found:
        if store.notice(f"{r.key}:{today.isoformat()}", message_id=f"<{uuid.uuid4().hex}@{domain}>",
                        sender=sender, to=r.to, subject=r.subject, body=r.body,
                        municipality=r.municipality):
            new += 1
    return new
