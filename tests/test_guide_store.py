"""The guide editing rules and their store, the same on SQLite and a real PostgreSQL:
versions are never changed in place, a second person publishes, the fingerprint every
gateway polls changes on publication and retirement only, and `ddh users add … --role
editor` makes an editor."""

from __future__ import annotations

import os
import subprocess
from datetime import date

import pytest
from sqlalchemy import select

from handoff.accounts import Account, Accounts
from handoff.guide_desk import Conflict, Forbidden, GuideDesk, Invalid, NotFound
from store.guides import GuideStore
from store.models import AuditEntry
from tests.postgres import store_on
from tests.test_guide_edits import DDH, GUIDE, PASSWORD

FIELDS = {k: v for k, v in GUIDE.items() if k != "municipality"}
FIELDS["review_by"] = date(2027, 6, 1)


def account(username: str, role: str, municipality: str | None) -> Account:
    return Account(0, username, username.title(), role, municipality, (), False)


ED, MIA = account("ed", "editor", "0751"), account("mia", "manager", "0751")
OLE, ADA = account("ole", "manager", "0615"), account("ada", "admin", None)
AGA = account("aga", "agent", None)


@pytest.fixture(params=["sqlite", "postgresql"], scope="module")
def store(request, tmp_path_factory):
    with store_on(request.param, tmp_path_factory, lambda s: None) as s:
        yield s


def test_the_rules_on_both_databases(store, registry):
    desk = GuideDesk(GuideStore(store.sessions), registry,
                     taken=lambda gid: gid == "aarhus-taget")
    guides = desk.store
    before = guides.fingerprint()
    with pytest.raises(Invalid, match="unknown topic"):
        desk.create(ED, "0751", {**FIELDS, "topic": "nope"})
    with pytest.raises(Forbidden):
        desk.create(OLE, "0751", FIELDS)
    with pytest.raises(Forbidden):
        desk.create(AGA, "0751", FIELDS)
    with pytest.raises(Invalid, match="landsdækkende"):
        desk.create(ADA, None, FIELDS)
    taken = desk.create(ED, "0751", {**FIELDS, "title": "Taget"})
    assert taken.id == "aarhus-taget-2"  # the corpus has aarhus-taget

    record = desk.create(ED, "0751", FIELDS)
    assert (record.status, record.version, record.published_version) == ("draft", 1, None)
    assert guides.fingerprint() == (before[0] + 2, before[1], before[2])  # drafts: not live
    with pytest.raises(Forbidden):
        desk.publish(ED, record.id)  # the author
    with pytest.raises(Forbidden):
        desk.publish(OLE, record.id)  # another municipality
    live = desk.publish(MIA, record.id)
    assert (live.status, live.published_version, live.review_by) == \
        ("published", 1, date(2027, 6, 1))
    first = guides.fingerprint()
    assert first != before
    with pytest.raises(Conflict):
        desk.publish(MIA, record.id)  # nothing waiting

    v2 = desk.edit(MIA, record.id, {"title": "Lørdagsåbent i Snurrebassehallen"})
    assert (v2.version, v2.status, v2.author) == (2, "draft", "mia")
    assert guides.fingerprint() == first  # an edit is not live
    v3 = desk.edit(ED, record.id, {"steps": ["Mød op."]})
    assert [v.status for v in guides.history(record.id)] == ["published", "superseded",
                                                             "draft"]
    assert v3.fields["title"] == "Lørdagsåbent i Snurrebassehallen"  # PATCH keeps the rest
    with pytest.raises(Invalid):
        desk.edit(ED, record.id, {"title": "Kun titel"}, partial=False)  # PUT needs all
    desk.publish(ADA, record.id, 3)
    assert guides.get(record.id).published.fields["steps"] == ["Mød op."]  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        desk.publish(ADA, record.id, 2)  # superseded: restore it first
    restored = desk.restore(ED, record.id, 1)
    assert (restored.version, restored.fields["title"]) == (4, FIELDS["title"])
    with pytest.raises(NotFound):
        desk.restore(ED, record.id, 9)
    diff = desk.diff(ED, record.id, 3, 4)
    assert "-- Mød op." in diff and "+- Bestil tid på aarhus.dk." in diff

    retired = desk.retire(ED, record.id)
    assert (retired.status, retired.published_version) == ("retired", None)
    assert record.id not in {r.id for r in guides.published()}
    assert guides.fingerprint() != first
    assert [g.id for g in desk.listing(MIA, None)] == [record.id, taken.id]
    assert desk.listing(OLE, None) == []
    with pytest.raises(Forbidden):
        desk.listing(OLE, "0751")

    with store.sessions() as s:
        actions = [(r.username, r.action) for r in s.scalars(
            select(AuditEntry).where(AuditEntry.object == record.id).order_by(AuditEntry.id))]
    assert actions == [("ed", "guide_create"), ("mia", "guide_publish"), ("mia", "guide_edit"),
                       ("ed", "guide_edit"), ("ada", "guide_publish"), ("ed", "guide_restore"),
                       ("ed", "guide_retire")]


def test_due_for_review(store, registry):
    desk = GuideDesk(GuideStore(store.sessions), registry)
    record = desk.create(ED, "0751", {**FIELDS, "title": "Snart forældet",
                                      "review_by": date(2027, 1, 10)})
    desk.publish(MIA, record.id)
    due = desk.due_for_review(date(2027, 1, 1), 14, "0751")
    assert [(d.record.id, d.days_left) for d in due] == [(record.id, 9)]
    assert desk.due_for_review(date(2027, 1, 1), 5, "0751") == []
    assert desk.due_for_review(date(2027, 2, 1), 0, "0615") == []
    overdue = desk.due_for_review(date(2027, 2, 1), 0)
    assert overdue[-1].as_dict()["overdue"] is True


def test_ddh_users_add_editor(tmp_path):
    env = {**os.environ, "DDH_DATA_DIR": str(tmp_path), "DDH_LOG_LEVEL": "WARNING"}

    def ddh(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([DDH, "users", *args], input=PASSWORD + "\n",
                              capture_output=True, text=True, env=env, timeout=60)

    added = ddh("add", "redaktoer", "--role", "editor", "--municipality", "0751",
                "--password-stdin")
    assert added.returncode == 0, added.stderr
    assert "added redaktoer (editor)" in added.stdout
    missing = ddh("add", "uden", "--role", "editor", "--password-stdin")
    assert missing.returncode == 1 and "municipality" in missing.stderr
    from store.outcomes import OutcomeStore, database_url

    store = OutcomeStore(database_url(None, tmp_path))
    editor = Accounts(store).get("redaktoer")
    assert editor is not None and (editor.role, editor.municipality) == ("editor", "0751")
    assert not editor.may_read("0751")  # guides only, no conversations
    store.close()
