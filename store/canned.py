"""Canned replies: shared answers agents insert in the console with "/" + a shortcut.

One set per queue: DDH's ("ddh") and each municipality's (its kommunekode). Who may
change which (a manager their municipality's, an administrator any) is decided by the
API (gateway/api/routes/canned.py), which also audits every change; this module keeps
the rows. A shortcut is unique within its queue.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.models import CannedReply


class CannedError(ValueError):
    """A shortcut already used in the queue."""


def _as_dict(r: CannedReply) -> dict[str, Any]:
    return {"id": r.id, "queue": r.queue, "shortcut": r.shortcut, "title": r.title,
            "text": r.text, "updated_by": r.updated_by, "updated_at": r.updated_at.isoformat()}


def replies(sessions: sessionmaker[Session],
            queues: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The replies of these queues (None: all), by queue and shortcut."""
    q = select(CannedReply).order_by(CannedReply.queue, CannedReply.shortcut)
    if queues is not None:
        q = q.where(CannedReply.queue.in_(list(queues)))
    with sessions() as s:
        return [_as_dict(r) for r in s.scalars(q)]


def reply(sessions: sessionmaker[Session], reply_id: int) -> dict[str, Any] | None:
    with sessions() as s:
        r = s.get(CannedReply, reply_id)
        return _as_dict(r) if r else None


def add(sessions: sessionmaker[Session], queue: str, shortcut: str, title: str, text: str,
        by: str, at: datetime) -> dict[str, Any]:
    try:
        with sessions.begin() as s:
            r = CannedReply(queue=queue, shortcut=shortcut, title=title, text=text,
                            updated_by=by, updated_at=at)
            s.add(r)
            s.flush()
            return _as_dict(r)
    except IntegrityError as exc:
        raise CannedError(f"/{shortcut} findes allerede i køen {queue}") from exc


def change(sessions: sessionmaker[Session], reply_id: int, by: str, at: datetime,
           shortcut: str | None = None, title: str | None = None,
           text: str | None = None) -> dict[str, Any] | None:
    """Change the given fields; None when there is no such reply."""
    try:
        with sessions.begin() as s:
            r = s.get(CannedReply, reply_id)
            if r is None:
                return None
            r.shortcut = shortcut if shortcut is not None else r.shortcut
            r.title = title if title is not None else r.title
            r.text = text if text is not None else r.text
            r.updated_by, r.updated_at = by, at
            s.flush()
            return _as_dict(r)
    except IntegrityError as exc:
        raise CannedError(f"/{shortcut} findes allerede i køen") from exc


def remove(sessions: sessionmaker[Session], reply_id: int) -> bool:
    with sessions.begin() as s:
        return bool(getattr(s.execute(delete(CannedReply).where(
            CannedReply.id == reply_id)), "rowcount", 0))
