"""Guides edited by the municipalities: who may write, review, publish and retire them.

The rules (issue 19, CONTRACT.md §6):
- A municipality's `editor`s and `manager`s write that municipality's local guides; a
  DDH `admin` may act for any municipality. Accounts of another municipality, and
  agents, are refused (403).
- Every edit, and every restore of an old version, is a new draft version: nothing is
  changed in place, so the history is complete and any version can come back.
- A version goes live only when a second person publishes it: an editor or manager of
  the same municipality, or a DDH administrator, but never the version's author.
- Retiring takes one person: a guide that is wrong must stop being answered at once.
- National guides stay DDH's: they live in the Markdown corpus (knowledge/guides/,
  reviewed in git), and this desk holds local guides only. A guide here may not take
  the id of a corpus guide.

Validation is the corpus's own (`knowledge.guide.guide_from_mapping` and the registry
checks), so a guide published here could stand in the corpus unchanged
(`ddh knowledge export-guides`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from handoff.accounts import Account
from knowledge.export import to_markdown
from knowledge.guide import (
    NO_GUIDE_TOPIC,
    Guide,
    GuideError,
    guide_from_mapping,
    registry_problems,
    slugify,
)
from knowledge.registry import Registry
from store.guides import GuideRecord, GuideStore, GuideStoreError, GuideVersion

SOURCE = "store:guides"  # the index's source name of the guides edited here
WRITERS = ("editor", "manager")


class GuideDeskError(Exception):
    """A refused request; `status` is the HTTP status the gateway answers with."""

    status = 400

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class Forbidden(GuideDeskError):
    status = 403


class NotFound(GuideDeskError):
    status = 404


class Conflict(GuideDeskError):
    status = 409


class Invalid(GuideDeskError):
    status = 422


def may_write(account: Account, municipality: str) -> bool:
    """Editors and managers of the municipality, and DDH administrators."""
    return account.role == "admin" or (
        account.role in WRITERS and account.municipality == municipality)


def as_guide(record: GuideRecord, version: GuideVersion) -> Guide:
    """A version as the corpus's `Guide` (what is indexed, answered and exported)."""
    f = version.fields
    return guide_from_mapping({
        "id": record.id, "title": f["title"], "topic": f["topic"],
        "municipality": record.municipality, "url": f["url"], "summary": f["summary"],
        "steps": f["steps"], "keywords": f["keywords"], "body": f.get("body") or "",
        "updated": (version.reviewed_at or version.created_at).date(),
    }, source=SOURCE)


def export_extra(record: GuideRecord) -> dict[str, Any]:
    """What the export adds to the corpus front matter (kept there as extra fields)."""
    return {"owner": record.owner, "review_by": record.review_by}


@dataclass(frozen=True)
class Due:
    """A published guide whose review-by date has passed or is near."""

    record: GuideRecord
    days_left: int

    def as_dict(self) -> dict[str, Any]:
        return {**self.record.as_dict(), "days_left": self.days_left,
                "overdue": self.days_left < 0}


class GuideDesk:
    """`taken(id)`: whether another source (the corpus, an import) has that guide id."""

    def __init__(self, store: GuideStore, registry: Registry,
                 taken: Callable[[str], bool] = lambda _id: False) -> None:
        self.store = store
        self.registry = registry
        self.taken = taken

    # --- checks --------------------------------------------------------------------

    def _record(self, guide_id: str) -> GuideRecord:
        record = self.store.get(guide_id)
        if record is None:
            raise NotFound(f"Vejledningen {guide_id} findes ikke")
        return record

    def _writable(self, account: Account, guide_id: str) -> GuideRecord:
        record = self._record(guide_id)
        if not may_write(account, record.municipality):
            raise Forbidden("Du kan kun redigere din egen kommunes vejledninger")
        return record

    def _municipality(self, account: Account, municipality: str | None) -> str:
        if not municipality:
            raise Invalid("municipality: en kommunes vejledning skal have en kommunekode; "
                          "landsdækkende vejledninger redigeres af DDH i korpusset")
        if municipality not in self.registry.municipalities:
            raise Invalid(f"municipality: ukendt kommunekode {municipality}")
        if not may_write(account, municipality):
            raise Forbidden("Du kan kun redigere din egen kommunes vejledninger")
        return municipality

    def validate(self, guide_id: str, municipality: str, fields: dict[str, Any]) -> Guide:
        """The fields as a corpus guide, or `Invalid` naming every problem."""
        problems = []
        if fields.get("topic") == NO_GUIDE_TOPIC:
            problems.append(f"topic: {NO_GUIDE_TOPIC} beskriver områder uden vejledning")
        try:
            guide = guide_from_mapping({**fields, "id": guide_id,
                                        "municipality": municipality}, source=SOURCE)
        except GuideError as exc:
            raise Invalid(f"Vejledningen er ikke gyldig: {exc}", [str(exc), *problems]) \
                from None
        problems += registry_problems(guide, self.registry)
        if problems:
            raise Invalid("Vejledningen er ikke gyldig: " + "; ".join(problems), problems)
        return guide

    def _new_id(self, municipality: str, title: str) -> str:
        """`<town>-<title>` like the corpus's local guides, unique across all sources."""
        town = slugify(self.registry.municipalities[municipality].name)
        base = f"{town}-{slugify(title)}"[:90].strip("-")
        guide_id, n = base, 1
        while self.taken(guide_id) or self.store.exists(guide_id):
            n += 1
            guide_id = f"{base}-{n}"
        return guide_id

    # --- writing -------------------------------------------------------------------

    def create(self, account: Account, municipality: str | None, fields: dict[str, Any],
               owner: str | None = None) -> GuideRecord:
        """A new guide; its first version is a draft."""
        code = self._municipality(account, municipality)
        guide_id = self._new_id(code, str(fields.get("title") or "vejledning"))
        self.validate(guide_id, code, fields)
        return self.store.create(guide_id, code, _stored(fields), account.username, owner)

    def edit(self, account: Account, guide_id: str, changes: dict[str, Any],
             partial: bool = True, owner: str | None = None) -> GuideVersion:
        """A new draft version: the newest version with `changes` (PATCH), or `changes`
        alone (PUT)."""
        record = self._writable(account, guide_id)
        fields = {**record.latest.fields, **changes} if partial else dict(changes)
        self.validate(guide_id, record.municipality, fields)
        return self.store.add_version(guide_id, _stored(fields), account.username,
                                      owner=owner)

    def submit(self, account: Account, guide_id: str) -> GuideVersion:
        """The newest draft is ready for a second person's review."""
        record = self._writable(account, guide_id)
        if record.pending is None:
            raise Conflict("Der er ingen kladde at sende til godkendelse")
        return self.store.submit(guide_id, record.pending.version, account.username)

    def publish(self, account: Account, guide_id: str,
                version: int | None = None) -> GuideRecord:
        """A second person makes a draft the live version."""
        record = self._writable(account, guide_id)
        number = version if version is not None else (
            record.pending.version if record.pending else None)
        if number is None:
            raise Conflict("Der er ingen kladde at udgive")
        try:
            chosen = self.store.version(guide_id, number)
        except GuideStoreError:
            raise NotFound(f"Vejledningen {guide_id} har ingen version {number}") from None
        if chosen.status not in ("draft", "submitted"):
            raise Conflict(f"Version {number} er ikke en kladde ({chosen.status}); "
                           "gendan den først")
        if chosen.author == account.username:
            raise Forbidden("En anden end forfatteren skal godkende og udgive vejledningen")
        self.validate(guide_id, record.municipality, chosen.fields)
        return self.store.publish(guide_id, number, account.username)

    def retire(self, account: Account, guide_id: str) -> GuideRecord:
        """The guide stops being answered at once (one person may do it)."""
        record = self._writable(account, guide_id)
        if record.status == "retired":
            raise Conflict("Vejledningen er allerede trukket tilbage")
        return self.store.retire(guide_id, account.username)

    def restore(self, account: Account, guide_id: str, version: int) -> GuideVersion:
        """An old version comes back as a new draft (to be reviewed like any edit)."""
        self._writable(account, guide_id)
        try:
            old = self.store.version(guide_id, version)
        except GuideStoreError:
            raise NotFound(f"Vejledningen {guide_id} har ingen version {version}") from None
        return self.store.add_version(guide_id, dict(old.fields), account.username,
                                      note=f"gendannet fra version {version}",
                                      action="guide_restore")

    # --- reading -------------------------------------------------------------------

    def listing(self, account: Account, municipality: str | None) -> list[GuideRecord]:
        """One municipality's guides; without one, the account's own (admins: all)."""
        if municipality is not None:
            if not may_write(account, municipality):
                raise Forbidden("Du kan kun se din egen kommunes vejledninger")
            return self.store.guides(municipality)
        if account.role == "admin":
            return self.store.guides()
        if account.role in WRITERS and account.municipality:
            return self.store.guides(account.municipality)
        raise Forbidden("For kommunens redaktører og ledere og DDH's administratorer")

    def guide(self, account: Account, guide_id: str) -> GuideRecord:
        return self._writable(account, guide_id)

    def history(self, account: Account, guide_id: str) -> list[GuideVersion]:
        self._writable(account, guide_id)
        return self.store.history(guide_id)

    def diff(self, account: Account, guide_id: str, old: int, new: int) -> list[str]:
        """The unified diff of two versions as Markdown files (lines, no newlines)."""
        record = self._writable(account, guide_id)
        try:
            a, b = self.store.version(guide_id, old), self.store.version(guide_id, new)
        except GuideStoreError as exc:
            raise NotFound(str(exc)) from None
        texts = [_markdown(record, v).splitlines() for v in (a, b)]
        return list(difflib.unified_diff(*texts, fromfile=f"version {old}",
                                         tofile=f"version {new}", lineterm=""))

    def due_for_review(self, today: date, within_days: int,
                       municipality: str | None = None) -> list[Due]:
        """Published guides past their review-by date or within `within_days` of it:
        the dashboard's freshness alerts, and what a reminder e-mail would list."""
        until = today + timedelta(days=within_days)
        return [Due(r, (r.review_by - today).days) for r in
                self.store.due(until, municipality) if r.review_by is not None]

    def reminders(self, today: date, within_days: int) -> dict[str, list[Due]]:
        """The same, grouped by the guide's owner (username): one e-mail per owner."""
        out: dict[str, list[Due]] = {}
        for due in self.due_for_review(today, within_days):
            out.setdefault(due.record.owner, []).append(due)
        return out


def _stored(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields as stored: texts trimmed, lists of non-empty texts."""
    def texts(value: Any) -> list[str]:
        items = value.splitlines() if isinstance(value, str) else list(value or [])
        return [str(i).strip() for i in items if str(i).strip()]

    return {"title": str(fields["title"]).strip(), "topic": str(fields["topic"]).strip(),
            "summary": " ".join(str(fields["summary"]).split()),
            "steps": texts(fields.get("steps")), "keywords": texts(fields.get("keywords")),
            "url": str(fields["url"]).strip(), "body": str(fields.get("body") or "").strip(),
            "review_by": _day(fields.get("review_by"))}


def _day(value: Any) -> date | None:
    """A review-by date as given: a date, an ISO string (a draft made elsewhere, e.g.
    from a knowledge-gap cluster) or nothing."""
    if value is None or value == "" or isinstance(value, date):
        return value or None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"review_by: {value!r} er ikke en dato (ÅÅÅÅ-MM-DD)",
                      [f"review_by: {value!r} er ikke en dato"]) from None


def _markdown(record: GuideRecord, version: GuideVersion) -> str:
    try:
        guide = as_guide(record, version)
    except GuideError:  # a version the registry no longer accepts: show it anyway
        return "\n".join(f"{k}: {v}" for k, v in version.fields.items())
    return to_markdown(guide, {"review_by": version.fields.get("review_by")})
