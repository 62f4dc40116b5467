"""Crisis notices (beredskab): a municipality tells its citizens about an incident.

A municipality's manager (or a DDH administrator) publishes a notice — contaminated
drinking water in an area, a flooded road — with a text, keywords and an expiry. While
it is live, the frontdesk answers a citizen of that municipality who asks about it
from the notice at once, on every channel (bot/frontdesk.py), and a handoff from such
a conversation gets crisis priority in the agent queues (topic `krise`).

Notices live in the outcome store, so every gateway process sees the same ones; each
process keeps the live list for `cache_s` seconds so a turn does not cost a query.
Publishing, editing, ending early and expiry each write an audit entry in the same
transaction as the change; an expiry is audited (as `system`) by the first process
that notices it.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

from knowledge.text import analyse
from store.models import AuditEntry, Conversation, CrisisNotice
from store.outcomes import OutcomeStore

KEEP_RECENT = timedelta(days=7)  # ended notices still listed on the dashboard


class NoticeError(ValueError):
    """A notice that cannot be published or changed as asked."""


@dataclass(frozen=True)
class Notice:
    id: str
    municipality: str
    title: str
    text: str
    keywords: tuple[str, ...]
    published_at: datetime
    expires_at: datetime
    # The stemmed words of each keyword (or, without keywords, of the title's longer
    # words): worked out once per notice, not on every citizen turn.
    phrases: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        phrases = [tuple(analyse(k)) for k in self.keywords] or \
            [(t,) for t in analyse(self.title) if len(t) >= 5]
        object.__setattr__(self, "phrases", tuple(p for p in phrases if p))

    def live(self, at: datetime) -> bool:
        return self.published_at <= at < self.expires_at

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "municipality": self.municipality, "title": self.title,
                "text": self.text, "keywords": list(self.keywords),
                "published_at": self.published_at.isoformat(),
                "expires_at": self.expires_at.isoformat()}


def _notice(row: CrisisNotice) -> Notice:
    return Notice(row.id, row.municipality, row.title, row.text, tuple(row.keywords),
                  row.published_at, row.expires_at)


def about(notice: Notice, text: str | set[str]) -> bool:
    """Does the citizen's text (or its stemmed words) ask about this notice? When all
    stemmed words of one of its keywords (or, without keywords, of its title's longer
    words) occur in it. Stems make "drikkevandet" match "drikkevand"; the municipality
    decides the words."""
    words = set(analyse(text)) if isinstance(text, str) else text
    return any(all(t in words for t in p) for p in notice.phrases)


class NoticeBoard:
    def __init__(self, store: OutcomeStore, cache_s: float = 5.0) -> None:
        self.store = store
        self.cache_s = cache_s
        self._cache: list[Notice] = []
        self._loaded = -1e9
        self._lock = threading.Lock()

    # --- reading (every turn) ----------------------------------------------------

    def notices(self) -> list[Notice]:
        """Live and recently ended notices (cached); sweeps expiries into the audit log."""
        with self._lock:
            if time.monotonic() - self._loaded >= self.cache_s:
                self._cache = self._load()
                self._loaded = time.monotonic()
            return self._cache

    def match(self, text: str, municipality: str | None, at: datetime) -> Notice | None:
        """The live notice the text asks about: of the citizen's municipality, or of any
        municipality when it is not known yet (newest first)."""
        live = [n for n in self.notices() if n.live(at) and
                (municipality is None or n.municipality == municipality)]
        if not live:
            return None
        words = set(analyse(text))
        found = [n for n in live if about(n, words)]
        return max(found, key=lambda n: n.published_at) if found else None

    def _load(self) -> list[Notice]:
        now = datetime.now(UTC)
        with self.store.sessions.begin() as s:
            rows = s.scalars(select(CrisisNotice)).all()  # a few a year: all of them
            for row in rows:
                if row.ended_at is None and row.expires_at <= now:
                    row.ended_at = row.expires_at
                    s.add(AuditEntry(at=now, username="system", action="notice.expired",
                                     object=row.id, detail=row.municipality))
            return [_notice(r) for r in rows]

    # --- changing (managers and administrators) -----------------------------------

    def publish(self, username: str, municipality: str, title: str, text: str,
                expires_at: datetime, keywords: list[str] | None = None,
                at: datetime | None = None) -> Notice:
        now = at or datetime.now(UTC)
        _check(title, text, expires_at, now)
        row = CrisisNotice(
            id=f"krise-{secrets.token_hex(6)}", municipality=municipality,
            title=title.strip(), text=text.strip(), keywords=_keywords(keywords),
            published_at=now, expires_at=expires_at, created_by=username, updated_at=now,
            updated_by=username)
        with self.store.sessions.begin() as s:
            s.add(row)
            s.add(AuditEntry(at=now, username=username, action="notice.publish",
                             object=row.id, detail=f"{municipality}: {row.title}"))
        self._loaded = -1e9
        return _notice(row)

    def edit(self, username: str, notice_id: str, *, title: str | None = None,
             text: str | None = None, expires_at: datetime | None = None,
             keywords: list[str] | None = None) -> Notice:
        now = datetime.now(UTC)
        with self.store.sessions.begin() as s:
            row = s.get(CrisisNotice, notice_id)
            if row is None:
                raise KeyError(notice_id)
            if row.ended_at is not None:
                raise NoticeError("the notice has ended; publish a new one")
            changed = []
            for name, value in (("title", title), ("text", text),
                                ("expires_at", expires_at)):
                if value is not None and value != getattr(row, name):
                    setattr(row, name, value.strip() if isinstance(value, str) else value)
                    changed.append(name)
            if keywords is not None and _keywords(keywords) != row.keywords:
                row.keywords = _keywords(keywords)
                changed.append("keywords")
            _check(row.title, row.text, row.expires_at, now)
            row.updated_at, row.updated_by = now, username
            s.add(AuditEntry(at=now, username=username, action="notice.edit", object=row.id,
                             detail=", ".join(changed) or "no change"))
            notice = _notice(row)
        self._loaded = -1e9
        return notice

    def end(self, username: str, notice_id: str) -> Notice:
        """End a notice now (the incident is over)."""
        now = datetime.now(UTC)
        with self.store.sessions.begin() as s:
            row = s.get(CrisisNotice, notice_id)
            if row is None:
                raise KeyError(notice_id)
            if row.ended_at is None:
                row.expires_at = min(row.expires_at, now)
                row.ended_at = now
                row.updated_at, row.updated_by = now, username
                s.add(AuditEntry(at=now, username=username, action="notice.expire",
                                 object=row.id, detail="ended early"))
            notice = _notice(row)
        self._loaded = -1e9
        return notice

    def get(self, notice_id: str) -> Notice | None:
        with self.store.sessions() as s:
            row = s.get(CrisisNotice, notice_id)
            return _notice(row) if row else None

    # --- the dashboard ------------------------------------------------------------

    def volumes(self, municipality: str | None = None,
                now: datetime | None = None) -> list[dict[str, Any]]:
        """Live and recent notices with the contacts they answered: in all, and in the
        last hour (read from the conversations as they are written: live)."""
        now = now or datetime.now(UTC)
        notices = [n for n in self.notices() if n.expires_at > now - KEEP_RECENT and
                   (municipality is None or n.municipality == municipality)]
        if not notices:
            return []
        ids = [n.id for n in notices]
        hour_ago = now - timedelta(hours=1)
        with self.store.sessions() as s:
            rows = s.execute(select(
                Conversation.notice_id, func.count(),
                func.sum(case((Conversation.started_at >= hour_ago, 1), else_=0)))
                .where(Conversation.notice_id.in_(ids)).group_by(Conversation.notice_id)).all()
        counts = {nid: (total, int(last or 0)) for nid, total, last in rows}
        out = []
        for n in sorted(notices, key=lambda n: n.published_at, reverse=True):
            total, last = counts.get(n.id, (0, 0))
            out.append({**n.as_dict(), "live": n.live(now), "contacts": total,
                        "contacts_last_hour": last})
        return out


def _keywords(keywords: list[str] | None) -> list[str]:
    return [k.strip() for k in (keywords or []) if k and k.strip()][:20]


def _check(title: str, text: str, expires_at: datetime, now: datetime) -> None:
    if not title or not title.strip():
        raise NoticeError("a notice needs a title")
    if not text or not text.strip():
        raise NoticeError("a notice needs a text for citizens")
    if len(text) > 1500:
        raise NoticeError("keep the text under 1500 characters: it is read aloud on calls")
    if expires_at.tzinfo is None:
        raise NoticeError("the expiry needs a time zone")
    if expires_at <= now:
        raise NoticeError("the expiry must be in the future")
