"""Queue views for agents' consoles: whole, or as the changes since the last one.

Every change to the queues (a citizen asks for a person, an agent takes one, an SLA
turns red) re-renders the view once per kind of console (same role, queues, skills,
municipality). A console that asks for changes (`WS /api/agent/ws?view=delta`, as the
console page does) gets the whole view once and then only what differs from the view
it has: with 200 waiting citizens a whole view is about 60 KB, and sending it to 50
consoles on every change is what kept the first agent's screen from the 100 ms target
(bench/handoff.py). Consoles that do not ask keep getting whole views.

The wait shown beside an entry ticks on its own, so it is no part of what counts as a
change: entries carry `enqueued_at` and every frame the server's `now`, and the console
counts the seconds itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

# What a console has is replaced by a whole view after this many changes in one frame:
# past it, the changes would be as long as the view.
_MOST_CHANGES = 0.6


@dataclass(frozen=True)
class QueueView:
    """One rendering of the queue for one kind of console."""

    version: int
    order: tuple[str, ...]  # entry ids in service order
    entries: dict[str, dict[str, Any]]  # entry id → entry
    marks: dict[str, str]  # entry id → its JSON without the ticking wait: equal = unchanged
    elsewhere: list[dict[str, Any]]
    now: float

    @cached_property
    def whole(self) -> str:
        """The `queue` frame: every entry, in service order (made once per view)."""
        return json.dumps({"type": "queue", "now": self.now,
                           "entries": [self.entries[i] for i in self.order],
                           "elsewhere": self.elsewhere}, ensure_ascii=False)


def render(version: int, entries: Sequence[dict[str, Any]], elsewhere: list[dict[str, Any]],
           now: float) -> QueueView:
    by_id = {e["id"]: e for e in entries}
    marks = {e["id"]: json.dumps({k: v for k, v in e.items() if k != "waiting_s"},
                                 sort_keys=True, ensure_ascii=False) for e in entries}
    return QueueView(version, tuple(by_id), by_id, marks, elsewhere, now)


def changes(old: QueueView, new: QueueView) -> str | None:
    """The `queue_delta` frame that turns `old` into `new` on a console, or None when
    nothing a console shows has changed.

    A console applies it in this order: drop `remove`, then put each of `upsert` in
    place (an entry it has keeps its place, a new one goes last), then, only when the
    frame has one, sort by `order`; `elsewhere` replaces the counts when present."""
    remove = [i for i in old.order if i not in new.entries]
    upsert = [new.entries[i] for i in new.order if old.marks.get(i) != new.marks[i]]
    kept = [i for i in old.order if i in new.entries]
    expected = kept + [i for i in new.order if i not in old.entries]
    frame: dict[str, Any] = {"type": "queue_delta", "now": new.now}
    if remove:
        frame["remove"] = remove
    if upsert:
        frame["upsert"] = upsert
    if tuple(expected) != new.order:
        frame["order"] = list(new.order)
    if new.elsewhere != old.elsewhere:
        frame["elsewhere"] = new.elsewhere
    if len(frame) == 2:
        return None
    if len(upsert) + len(remove) > _MOST_CHANGES * max(len(new.order), 1) + 2:
        return new.whole
    return json.dumps(frame, ensure_ascii=False)


def apply(have: list[dict[str, Any]], frame: dict[str, Any]) -> list[dict[str, Any]]:
    """A console's side: the entries it shows after `frame` (either kind). The console
    page does the same in gateway/static/agent.js; this one serves scripts and tests."""
    if frame["type"] == "queue":
        return list(frame["entries"])
    gone = set(frame.get("remove", ()))
    shown = {e["id"]: e for e in have if e["id"] not in gone}
    for entry in frame.get("upsert", ()):
        shown[entry["id"]] = entry  # a dict, like a JS Map, keeps a known key's place
    if "order" in frame:
        return [shown[i] for i in frame["order"] if i in shown]
    return list(shown.values())
