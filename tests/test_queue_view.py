"""Queue views as changes (gateway/queue_view.py): whatever two views are, the changes
between them turn the first into the second on a console, and say nothing when nothing a
console shows has changed (the ticking wait is not a change).

Generated with hypothesis: views of up to 40 entries drawn from a small pool of ids, so
that entries are kept, dropped, added, changed and reordered in every combination.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.queue_view import apply, changes, render

IDS = [f"h{i}" for i in range(12)]


def entry(entry_id: str, topic: str, sla: str, priority: int, waited: float) -> dict:
    return {"id": entry_id, "conversation": f"c-{entry_id}", "queue": "ddh", "topic": topic,
            "municipality": "0849", "channel": "chat", "summary": f"om {topic}",
            "priority": priority, "enqueued_at": 1000.0, "waiting_s": waited,
            "reason_kind": "asked_for_person", "reason": "bad om en person", "sla": sla}


entries = st.lists(st.builds(
    entry, st.sampled_from(IDS), st.sampled_from(["mitid", "pas", "digital-post"]),
    st.sampled_from(["ok", "warning", "breached"]), st.integers(0, 1),
    st.floats(0, 600, allow_nan=False)), max_size=40, unique_by=lambda e: e["id"])
elsewhere = st.lists(st.fixed_dictionaries({"queue": st.sampled_from(["0751", "0101"]),
                                            "count": st.integers(1, 5)}), max_size=2)


def shown(items: list[dict]) -> list[dict]:
    """What a console shows of entries, the ticking wait aside."""
    return [{k: v for k, v in e.items() if k != "waiting_s"} for e in items]


@settings(max_examples=300, deadline=None)
@given(entries, entries, elsewhere, elsewhere)
def test_changes_turn_one_view_into_the_next(old, new, old_else, new_else):
    before, after = render(1, old, old_else, 10.0), render(2, new, new_else, 12.0)
    frame = changes(before, after)
    if frame is None:  # only when nothing shown differs
        assert shown(old) == shown(new) and old_else == new_else
        return
    event = json.loads(frame)
    assert event["now"] == 12.0
    assert shown(apply(list(old), event)) == shown(new)
    if event["type"] == "queue_delta":
        assert event.get("elsewhere", old_else) == new_else
        # only what changed is sent
        assert len(event.get("upsert", ())) == sum(
            1 for e in shown(new) if e not in shown(old))
    else:
        assert event["elsewhere"] == new_else


@settings(max_examples=100, deadline=None)
@given(entries, st.floats(0, 60, allow_nan=False))
def test_a_wait_that_ticks_is_no_change(items, later):
    ticked = [dict(e, waiting_s=e["waiting_s"] + later) for e in items]
    assert changes(render(1, items, [], 1.0), render(2, ticked, [], 1.0 + later)) is None


def test_one_more_citizen_among_200_costs_one_entry_not_the_whole_view():
    many = [entry(f"e{i:03d}", "mitid", "ok", 0, float(i)) for i in range(200)]
    before = render(1, many, [], 1.0)
    after = render(2, [*many, entry("e200", "pas", "ok", 0, 0.0)], [], 2.0)
    frame = changes(before, after)
    assert frame is not None and json.loads(frame)["upsert"][0]["id"] == "e200"
    assert "order" not in json.loads(frame)  # appended: no reordering to send
    assert len(frame) * 50 < len(after.whole)
    # a breached entry moved to the front: the order is sent
    bumped = [dict(many[150], sla="breached", priority=1), *many[:150], *many[151:]]
    moved = json.loads(changes(before, render(3, bumped, [], 3.0)) or "{}")
    assert moved["order"][0] == "e150" and [e["id"] for e in moved["upsert"]] == ["e150"]
