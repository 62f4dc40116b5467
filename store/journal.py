"""A durable local journal of store writes that could not be made at once.

A locked SQLite file or a PostgreSQL fail-over must neither hold a citizen's reply
nor lose what they said. So a write that does not succeed within a short deadline is
appended here — one JSON line, flushed and fsync'ed before the reply goes out — and
written to the store later, in order, by a background thread. The store's unique keys
(a turn's conversation and number, a chat event's number) make a replayed entry that
was in fact written before a no-op, never a duplicate.

Each process journals into its own file, locked (`flock`) while it lives, so that
several gateway processes may share a data directory; a process that starts adopts
the files whose owner died (their lock is free) and writes their entries.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from ddh.logging import get_logger

log = get_logger(__name__)
COMPACT_AFTER = 1000  # done markers before the file is rewritten with what still waits


class Journal:
    """Append-only JSON lines on local disk; entries leave once written to the store."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.path = directory / f"{name}.jsonl"
        self._lock_file = (directory / f"{name}.lock").open("w")
        fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)  # mine while I live
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._done = 0  # done markers in the file since it was last rewritten
        self._adopt()

    def _adopt(self) -> None:
        """Take over the journals of processes that died (their lock is free)."""
        for lock_path in sorted(self.directory.glob("*.lock")):
            if lock_path.name == Path(self._lock_file.name).name:
                continue
            with lock_path.open("a") as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # its process is alive
                orphan = lock_path.with_suffix(".jsonl")
                entries = _read(orphan)
                for entry in entries:
                    self._write_line(entry)
                self._entries += entries
                if entries:
                    log.warning("journal.adopted", entries=len(entries), path=str(orphan))
                orphan.unlink(missing_ok=True)
                lock_path.unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(self._entries)

    def _write_line(self, entry: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def add(self, kind: str, payload: dict[str, Any]) -> None:
        """Keep an entry durably (on disk before this returns)."""
        entry = {"id": uuid.uuid4().hex, "kind": kind, "payload": payload}
        with self._lock:
            self._write_line(entry)
            self._entries.append(entry)

    def first(self) -> dict[str, Any] | None:
        with self._lock:
            return self._entries[0] if self._entries else None

    def done(self, entry_id: str) -> None:
        """The entry is in the store: drop it. Marked with a line of its own (not
        synced: an entry written twice is a no-op); the file starts afresh once
        nothing waits, or is compacted when mostly done."""
        with self._lock:
            self._entries = [e for e in self._entries if e["id"] != entry_id]
            if not self._entries:
                with self.path.open("w", encoding="utf-8"):
                    pass  # empty: nothing left to replay
                self._done = 0
                return
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"done": entry_id}) + "\n")
            self._done += 1
            if self._done > COMPACT_AFTER and self._done > 4 * len(self._entries):
                self._compact()

    def _compact(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for e in self._entries:
                f.write(json.dumps(e, ensure_ascii=False, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self._done = 0

    def close(self) -> None:
        """This process stops: an empty journal leaves no file behind."""
        with self._lock:
            if not self._entries:
                self.path.unlink(missing_ok=True)
                Path(self._lock_file.name).unlink(missing_ok=True)
            self._lock_file.close()


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:  # the last line of a crash mid-write
                log.error("journal.torn_line", path=str(path))
                continue
            if "done" in entry:
                out.pop(entry["done"], None)
            else:
                out[entry["id"]] = entry
    return list(out.values())
