"""The traffic simulator drives the real frontdesk with DDH's 2025 shape."""

from __future__ import annotations

from datetime import date

from bot.frontdesk import Frontdesk
from evals.traffic import TrafficSimulator
from handoff.backends import MemoryBackend
from handoff.desk import HandoffDesk
from store.kpi import headline, per_municipality, volume_by_hour
from store.outcomes import OutcomeStore, database_url


def test_a_week_of_traffic_fills_the_figures(knowledge, tmp_path):
    store = OutcomeStore(database_url(None, tmp_path))
    desk = Frontdesk(knowledge, store, handoffs=HandoffDesk(MemoryBackend()))
    report = TrafficSimulator(desk, seed=3).run(days=7, per_day=40,
                                                last_day=date(2026, 11, 22))  # Mon–Sun
    assert report.conversations == 5 * 40 + 2 * round(40 * 0.08)
    assert report.turns > report.conversations
    h = headline(store)
    assert h["contacts"] == report.conversations
    assert 0.2 < h["bot_resolution"] < 0.95
    assert h["satisfaction_mean"] is not None and 6.5 < h["satisfaction_mean"] < 10
    assert h["handoffs_offered"] == report.answered_handoffs + report.abandoned_handoffs
    cells = volume_by_hour(store)
    day_core = sum(n for (wd, hour), n in cells.items() if wd < 5 and 9 <= hour < 14)
    assert day_core / sum(cells.values()) > 0.6  # most contacts 09–14, as at DDH
    biggest = per_municipality(store)[0]["municipality"]
    assert biggest == "0751"  # Aarhus sends DDH the most calls
    # Nothing is left waiting or open: every simulated citizen finished.
    assert desk.handoffs.backend.waiting() == [] and len(desk.states) == 0
    store.close()
