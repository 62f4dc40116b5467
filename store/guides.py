"""Guides the municipalities edit: their versions, their state, and the audit of each change.

The store keeps what was written and by whom; it knows nothing of roles or of the guide
schema (`handoff/guide_desk.py` decides who may do what, `knowledge.guide` validates).
Every change writes its `audit_log` row in the same transaction as the change itself, so
there is never a change without its audit entry, nor an entry for a change that failed.

Publication and retirement raise the guide's `live_serial` above every other guide's:
`fingerprint()` (count, sum and maximum of the serials — one cheap aggregate) then
differs, which is how every gateway process notices, within a poll, that the published
set changed (`handoff/guide_sync.py`). The sum also catches two publications that took
the same serial at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store.models import AuditEntry, MunicipalGuide, MunicipalGuideVersion

FIELDS = ("title", "topic", "summary", "steps", "keywords", "url", "body", "review_by")
OPEN = ("draft", "submitted")  # versions not (yet) published
ID_BATCH = 500


class GuideStoreError(LookupError):
    """No such guide or version."""


@dataclass(frozen=True)
class GuideVersion:
    """One version: the guide's fields as written, who wrote it, who reviewed it."""

    guide_id: str
    version: int
    status: str
    fields: dict[str, Any]
    author: str
    created_at: datetime
    reviewer: str | None = None
    reviewed_at: datetime | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        f = dict(self.fields)
        f["review_by"] = f["review_by"].isoformat() if f.get("review_by") else None
        return {"guide_id": self.guide_id, "version": self.version, "status": self.status,
                **f, "author": self.author, "created_at": self.created_at.isoformat(),
                "reviewer": self.reviewer,
                "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
                "note": self.note}


@dataclass(frozen=True)
class GuideRecord:
    """A guide's state, with its newest version and the published one (if any)."""

    id: str
    municipality: str
    status: str  # draft (never published) | published | retired
    version: int
    published_version: int | None
    owner: str
    review_by: date | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    latest: GuideVersion
    published: GuideVersion | None = None

    @property
    def pending(self) -> GuideVersion | None:
        """The newest version when it waits for review (draft or submitted)."""
        return self.latest if self.latest.status in OPEN else None

    def as_dict(self) -> dict[str, Any]:
        shown = self.published or self.latest
        pending = self.pending
        return {"id": self.id, "municipality": self.municipality, "status": self.status,
                "version": self.version, "published_version": self.published_version,
                "draft_version": pending.version if pending else None,
                "submitted": bool(pending and pending.status == "submitted"),
                "title": shown.fields["title"], "topic": shown.fields["topic"],
                "owner": self.owner,
                "review_by": self.review_by.isoformat() if self.review_by else None,
                "author": self.latest.author, "created_by": self.created_by,
                "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}


def _version(row: MunicipalGuideVersion) -> GuideVersion:
    fields = {name: getattr(row, name) for name in FIELDS}
    fields["steps"] = list(row.steps or [])
    fields["keywords"] = list(row.keywords or [])
    return GuideVersion(row.guide_id, row.version, row.status, fields, row.author,
                        row.created_at, row.reviewer, row.reviewed_at, row.note)


class GuideStore:
    """The guide tables on the outcome store's session factory."""

    def __init__(self, sessions: sessionmaker[Session],
                 clock: Callable[[], datetime] | None = None) -> None:
        self.sessions = sessions
        self.clock = clock or (lambda: datetime.now(UTC))

    # --- reading -------------------------------------------------------------------

    def _records(self, s: Session, guides: list[MunicipalGuide]) -> list[GuideRecord]:
        """The guides with their newest and published versions, in one more query."""
        if not guides:
            return []
        wanted = {(g.id, n) for g in guides for n in (g.version, g.published_version) if n}
        ids = sorted({g.id for g in guides})
        rows = {}
        for i in range(0, len(ids), ID_BATCH):  # bound the parameters of one statement
            rows.update({(v.guide_id, v.version): v for v in s.scalars(
                select(MunicipalGuideVersion).where(
                    MunicipalGuideVersion.guide_id.in_(ids[i:i + ID_BATCH])))
                if (v.guide_id, v.version) in wanted})
        out = []
        for g in guides:
            published = rows.get((g.id, g.published_version)) if g.published_version else None
            out.append(GuideRecord(
                g.id, g.municipality, g.status, g.version, g.published_version, g.owner,
                g.review_by, g.created_by, g.created_at, g.updated_at,
                _version(rows[(g.id, g.version)]),
                _version(published) if published is not None else None))
        return out

    def _record(self, s: Session, g: MunicipalGuide) -> GuideRecord:
        return self._records(s, [g])[0]

    def get(self, guide_id: str) -> GuideRecord | None:
        with self.sessions() as s:
            g = s.get(MunicipalGuide, guide_id)
            return self._record(s, g) if g is not None else None

    def exists(self, guide_id: str) -> bool:
        with self.sessions() as s:
            return s.get(MunicipalGuide, guide_id) is not None

    def guides(self, municipality: str | None = None,
             status: str | None = None) -> list[GuideRecord]:
        """Guides of one municipality (None: all), newest change first."""
        with self.sessions() as s:
            q = select(MunicipalGuide).order_by(MunicipalGuide.updated_at.desc(),
                                                MunicipalGuide.id)
            if municipality is not None:
                q = q.where(MunicipalGuide.municipality == municipality)
            if status is not None:
                q = q.where(MunicipalGuide.status == status)
            return self._records(s, list(s.scalars(q)))

    def history(self, guide_id: str) -> list[GuideVersion]:
        """Every version, oldest first."""
        with self.sessions() as s:
            rows = s.scalars(select(MunicipalGuideVersion)
                             .where(MunicipalGuideVersion.guide_id == guide_id)
                             .order_by(MunicipalGuideVersion.version))
            return [_version(r) for r in rows]

    def version(self, guide_id: str, version: int) -> GuideVersion:
        with self.sessions() as s:
            row = self._version_row(s, guide_id, version)
            return _version(row)

    def published(self) -> list[GuideRecord]:
        """The guides live now (published), each with its published version."""
        return self.guides(status="published")

    def due(self, until: date, municipality: str | None = None) -> list[GuideRecord]:
        """Published guides whose review-by date is on or before `until`, soonest first."""
        with self.sessions() as s:
            q = select(MunicipalGuide).where(MunicipalGuide.status == "published",
                                             MunicipalGuide.review_by.is_not(None),
                                             MunicipalGuide.review_by <= until)
            if municipality is not None:
                q = q.where(MunicipalGuide.municipality == municipality)
            q = q.order_by(MunicipalGuide.review_by, MunicipalGuide.id)
            return self._records(s, list(s.scalars(q)))

    def fingerprint(self) -> tuple[int, int, int]:
        """Changes whenever a guide is published or retired (see the module docstring)."""
        with self.sessions() as s:
            count, total, top = s.execute(select(
                func.count(MunicipalGuide.id),
                func.coalesce(func.sum(MunicipalGuide.live_serial), 0),
                func.coalesce(func.max(MunicipalGuide.live_serial), 0))).one()
            return int(count), int(total), int(top)

    # --- writing -------------------------------------------------------------------

    @staticmethod
    def _version_row(s: Session, guide_id: str, version: int) -> MunicipalGuideVersion:
        row = s.scalar(select(MunicipalGuideVersion).where(
            MunicipalGuideVersion.guide_id == guide_id,
            MunicipalGuideVersion.version == version))
        if row is None:
            raise GuideStoreError(f"guide {guide_id} has no version {version}")
        return row

    @staticmethod
    def _guide_row(s: Session, guide_id: str) -> MunicipalGuide:
        g = s.get(MunicipalGuide, guide_id, with_for_update=True)
        if g is None:
            raise GuideStoreError(f"no guide {guide_id}")
        return g

    def _audit(self, s: Session, who: str, action: str, guide_id: str, detail: str) -> None:
        s.add(AuditEntry(at=self.clock(), username=who, action=action, object=guide_id,
                         detail=detail))

    def _add_version(self, s: Session, g: MunicipalGuide, fields: dict[str, Any], who: str,
                     now: datetime, note: str | None) -> int:
        """A new draft version; an earlier one still waiting for review is superseded."""
        for old in s.scalars(select(MunicipalGuideVersion).where(
                MunicipalGuideVersion.guide_id == g.id,
                MunicipalGuideVersion.status.in_(OPEN))):
            old.status = "superseded"
        g.version += 1
        s.add(MunicipalGuideVersion(
            guide_id=g.id, version=g.version, status="draft", title=fields["title"],
            topic=fields["topic"], summary=fields["summary"], steps=list(fields["steps"]),
            keywords=list(fields["keywords"]), url=fields["url"], body=fields.get("body", ""),
            review_by=fields.get("review_by"), author=who, created_at=now, note=note))
        if g.published_version is None:
            g.review_by = fields.get("review_by")
        g.updated_at = now
        return g.version

    def create(self, guide_id: str, municipality: str, fields: dict[str, Any], who: str,
               owner: str | None = None) -> GuideRecord:
        """A new guide with its first version, a draft."""
        now = self.clock()
        with self.sessions.begin() as s:
            if s.get(MunicipalGuide, guide_id) is not None:
                raise GuideStoreError(f"guide {guide_id} exists")
            g = MunicipalGuide(id=guide_id, municipality=municipality, status="draft",
                               version=0, published_version=None, owner=owner or who,
                               review_by=fields.get("review_by"), created_by=who,
                               created_at=now, updated_at=now, live_serial=0)
            s.add(g)
            s.flush()
            self._add_version(s, g, fields, who, now, None)
            self._audit(s, who, "guide_create", guide_id, f"version 1: {fields['title']}")
        record = self.get(guide_id)
        assert record is not None
        return record

    def add_version(self, guide_id: str, fields: dict[str, Any], who: str,
                    note: str | None = None, action: str = "guide_edit",
                    owner: str | None = None) -> GuideVersion:
        """An edit (or a restore): always a new draft version, never a change in place."""
        now = self.clock()
        with self.sessions.begin() as s:
            g = self._guide_row(s, guide_id)
            number = self._add_version(s, g, fields, who, now, note)
            if owner:
                g.owner = owner
            self._audit(s, who, action, guide_id,
                        f"version {number}" + (f" ({note})" if note else ""))
        return self.version(guide_id, number)

    def submit(self, guide_id: str, version: int, who: str) -> GuideVersion:
        with self.sessions.begin() as s:
            row = self._version_row(s, guide_id, version)
            row.status = "submitted"
            self._guide_row(s, guide_id).updated_at = self.clock()
            self._audit(s, who, "guide_submit", guide_id, f"version {version}")
        return self.version(guide_id, version)

    def _next_serial(self, s: Session) -> int:
        return int(s.scalar(select(func.coalesce(func.max(MunicipalGuide.live_serial), 0)))
                   or 0) + 1

    def publish(self, guide_id: str, version: int, who: str) -> GuideRecord:
        """Make `version` the live one; the previously published version is superseded."""
        now = self.clock()
        with self.sessions.begin() as s:
            g = self._guide_row(s, guide_id)
            row = self._version_row(s, guide_id, version)
            if g.published_version is not None and g.published_version != version:
                old = self._version_row(s, guide_id, g.published_version)
                old.status = "superseded"
            row.status, row.reviewer, row.reviewed_at = "published", who, now
            g.status, g.published_version, g.review_by = "published", version, row.review_by
            g.updated_at = now
            g.live_serial = self._next_serial(s)
            self._audit(s, who, "guide_publish", guide_id,
                        f"version {version} by {row.author}")
        record = self.get(guide_id)
        assert record is not None
        return record

    def retire(self, guide_id: str, who: str) -> GuideRecord:
        """The guide stops being answered; its history stays."""
        now = self.clock()
        with self.sessions.begin() as s:
            g = self._guide_row(s, guide_id)
            if g.published_version is not None:
                self._version_row(s, guide_id, g.published_version).status = "retired"
            g.status, g.published_version, g.updated_at = "retired", None, now
            g.live_serial = self._next_serial(s)
            self._audit(s, who, "guide_retire", guide_id, f"version {g.version}")
        record = self.get(guide_id)
        assert record is not None
        return record

    def audit(self, who: str, action: str, guide_id: str, detail: str) -> None:
        """An audited read (a diff, an export) that changes nothing."""
        with self.sessions.begin() as s:
            self._audit(s, who, action, guide_id, detail)
