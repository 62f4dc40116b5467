"""The outcome store: migrations, exactly-once turns, retry on a locked database."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import inspect

from store.outcomes import OutcomeStore, database_url
from store.records import TurnRecord, record_as_json

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def rec(seq: int, cid: str = "c1") -> TurnRecord:
    return TurnRecord(conversation_id=cid, channel="chat", seq=seq, at=NOW,
                      citizen_text=f"spørgsmål {seq}", bot_text=f"svar {seq}", language="da",
                      action="answer", topic="pas", municipality="0615",
                      municipality_source="widget", reason="test", outcome="resolved_bot")


def test_migrations_create_the_schema(tmp_path):
    store = OutcomeStore(database_url(None, tmp_path))
    tables = set(inspect(store.engine).get_table_names())
    assert {"conversations", "turns", "decisions", "handoffs", "callback_contacts",
            "alembic_version"} <= tables
    OutcomeStore(store.url)  # a second start upgrades nothing and does not fail


def test_replayed_write_is_not_a_duplicate(tmp_path):
    store = OutcomeStore(database_url(None, tmp_path))
    assert store.record(rec(1))
    assert store.record(rec(1))  # the same turn again (a retry after a lost ack)
    conv = store.conversation("c1")
    assert len(conv["transcript"]) == 2 and len(conv["decisions"]) == 1


def test_locked_database_is_journalled_and_nothing_is_lost(tmp_path):
    url = database_url(None, tmp_path)
    store = OutcomeStore(url, retries=2, backoff_s=0.01, write_deadline_s=0.05)
    path = url.removeprefix("sqlite:///")
    blocker = sqlite3.connect(path, timeout=0.05)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        assert store.record(rec(1)) is False  # journalled on disk, the reply not held
        assert store.pending == 1
        assert store.record(rec(2)) is False  # queued behind it, in order
        assert store.pending == 2
        assert store.conversation("c1") is None  # not in the store yet
    finally:
        blocker.rollback()
        blocker.close()
    store.record(rec(3))  # after the journalled ones, in order
    assert store.flush(timeout_s=10)
    turns = store.conversation("c1")["transcript"]
    assert [t["seq"] for t in turns] == [1, 2, 3, 4, 5, 6]
    store.close()


def test_the_journal_outlives_the_process(tmp_path):
    """Journalled while the store was locked, then the process died: the next process
    on the same data writes it, once."""
    url = database_url(None, tmp_path)
    store = OutcomeStore(url, write_deadline_s=0.05)
    blocker = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.05)
    blocker.execute("BEGIN EXCLUSIVE")
    store._closed = True  # the process dies: its writer never runs again
    store._wake.set()
    assert store.record(rec(1, "dies")) is False and store.record(rec(2, "dies")) is False
    blocker.rollback()
    blocker.close()
    store.journal._lock_file.close()  # what the system does for a process that died
    again = OutcomeStore(url)  # the restarted process
    assert again.flush(timeout_s=10)
    assert [t["seq"] for t in again.conversation("dies")["transcript"]] == [1, 2, 3, 4]
    again.journal.add("record", record_as_json(rec(2, "dies")))
    assert again.flush(timeout_s=10)  # replayed again: still once
    assert len(again.conversation("dies")["decisions"]) == 2
    again.close()


def test_processes_sharing_a_directory_keep_their_own_journals(tmp_path):
    """Two live processes journal apart; neither takes the other's entries."""
    url = database_url(None, tmp_path)
    a, b = OutcomeStore(url, write_deadline_s=0.05), OutcomeStore(url, write_deadline_s=0.05)
    for s in (a, b):
        s._closed = True  # hold the entries: writers stopped
        s._wake.set()
    blocker = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.05)
    blocker.execute("BEGIN EXCLUSIVE")
    a.record(rec(1, "a"))
    b.record(rec(1, "b"))
    blocker.rollback()
    blocker.close()
    c = OutcomeStore(url)  # a third process starts while both live
    assert (len(a.journal), len(b.journal), len(c.journal)) == (1, 1, 0)
    c.close()


def test_concurrent_conversations(tmp_path):
    store = OutcomeStore(database_url(None, tmp_path))

    def worker(n: int) -> None:
        for seq in range(1, 6):
            assert store.record(rec(seq, f"conv-{n}"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - t0 < 30
    for n in range(8):
        assert store.conversation(f"conv-{n}")["turns"] == 5


def test_postgresql_store():
    """The same store and migrations on a real PostgreSQL server."""
    import pytest

    from tests.postgres import pg_bin, postgres_server

    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed")
    with postgres_server() as url:
        store = OutcomeStore(url)
        assert store.record(rec(1)) and store.record(rec(2)) and store.record(rec(2))
        conv = store.conversation("c1")
        assert conv["turns"] == 2 and [t["seq"] for t in conv["transcript"]] == [1, 2, 3, 4]
        assert store.engine.dialect.name == "postgresql"
        store.close()


def test_migrations_match_the_models(tmp_path):
    """The hand-written migrations build exactly the tables, columns and indexes the
    models declare (what Alembic's autogenerate would otherwise add)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from store.models import Base

    store = OutcomeStore(database_url(None, tmp_path))
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    store.close()
