"""The dashboard as managers read it (issue 20 item 5): Danish number formats with one
rounding rule, the previous period's figures beside this period's (hand-computed on
test_kpi's fixture), quick ranges and the staffing panel on the gateway's clock, and
the drill-down to the conversations behind a figure: role-scoped and audited."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.frontdesk import Frontdesk
from gateway import dashboard_views
from gateway.app import create_app
from gateway.chart_axes import nice_ticks
from gateway.formatting import da_change, da_number, da_percent, rounded
from handoff.accounts import Accounts
from handoff.backends import MemoryBackend
from handoff.desk import HandoffDesk
from store import drilldown, kpi
from store.outcomes import OutcomeStore, database_url
from tests import test_kpi
from tests.servers import serve_app

PASSWORD = "korrekt-hest-batteri"
TZ = test_kpi.TZ
TUESDAY = kpi.Filters(datetime(2026, 11, 24, tzinfo=TZ), datetime(2026, 11, 25, tzinfo=TZ))
CLOCK = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # Tuesday 12:00 in Copenhagen


def parse(text: str) -> Decimal:
    """A Danish number back to a Decimal (the inverse of da_number)."""
    return Decimal(text.replace(".", "").replace(",", ".").replace("−", "-"))


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
       st.integers(min_value=0, max_value=3))
def test_danish_numbers_round_trip(value, decimals):
    text = da_number(value, decimals)
    pattern = r"-?\d{1,3}(\.\d{3})*" + (rf",\d{{{decimals}}}" if decimals else "")
    assert re.fullmatch(pattern, text), text  # "." between thousands, "," decimals
    assert parse(text) == rounded(value, decimals)  # what is shown is the rounding
    assert abs(parse(text) - Decimal(repr(value))) <= Decimal(5).scaleb(-decimals - 1)


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_whole_numbers_keep_every_digit(n):
    assert parse(da_number(n)) == n
    assert da_number(n).count(".") == (len(str(abs(n))) - 1) // 3


def test_examples_and_the_rounding_rule():
    assert da_number(1234.5, 1) == "1.234,5"
    assert da_number(8.22, 1) == "8,2"
    assert da_number(1234567) == "1.234.567"
    assert da_number(0.125, 2) == "0,13" and round(0.125, 2) == 0.12  # half up, not even
    assert da_number(2.675, 2) == "2,68"  # the decimal as written, not the binary float
    assert da_number(-0.4) == "0" and da_number(-1.5) == "-2"  # away from zero, no "-0"
    assert da_number(None) == "–" and da_percent(None) == "–"
    assert da_percent(0.6543) == "65 %" and da_percent(0.6543, 1) == "65,4 %"
    assert da_change(0.65, 0.6, percent=True) == {"arrow": "▲", "text": "+5 %-point",
                                                   "direction": "up"}
    assert (da_change(8.4, 8.42, decimals=1) or {})["text"] == "uændret"
    assert (da_change(10, 12) or {})["text"] == "−2"
    assert da_change(None, 3) is None


def test_scales_start_at_zero_and_cover_the_peak():
    assert nice_ticks(9) == [0, 5, 10] and nice_ticks(0) == [0, 1]
    assert nice_ticks(0.8) == [0, 0.2, 0.4, 0.6, 0.8]
    for peak in (1, 3, 7, 42, 99, 1234):
        ticks = nice_ticks(peak)
        assert ticks[0] == 0 and ticks[-1] >= peak and len(ticks) <= 7


@pytest.fixture
def store(tmp_path):
    s = OutcomeStore(database_url(None, tmp_path))
    test_kpi.fixture(s)
    s.flush()
    yield s
    s.close()


def test_the_previous_period_by_hand(store):
    """Tuesday 24 Nov has c7 only (a transfer); Monday 23 Nov, the day before, c1-c6
    and c8-c10: nine contacts, four resolved first time (c1-c3 bot, c4 agent), one
    transfer (c5), scores 9 and 7."""
    before = dashboard_views.previous(TUESDAY)
    assert (before.start, before.end) == (datetime(2026, 11, 23, tzinfo=TZ), TUESDAY.start)
    now = kpi.headline(store, TUESDAY)
    prev = kpi.headline(store, before)
    assert (now["contacts"], prev["contacts"]) == (1, 9)
    cards = {c["key"]: c for c in dashboard_views.cards(now, prev, TUESDAY)}
    c = cards["contacts"]
    assert (c["value"], c["previous"], c["change"]["text"], c["change"]["arrow"],
            c["change"]["tone"]) == ("1", "9", "−8", "▼", "bad")
    s = cards["straks_sag"]  # 0/1 against 4/9 = 44,4 %
    assert (s["value"], s["previous"], s["change"]["text"]) == ("0 %", "44 %", "−44 %-point")
    t = cards["transfer_rate"]  # 1/1 against 1/9 = 11,1 %: 88,9 points more, worse
    assert (t["value"], t["previous"], t["change"]["text"], t["change"]["tone"]) == \
        ("100 %", "11 %", "+89 %-point", "bad")
    sat = cards["satisfaction_mean"]
    assert (sat["value"], sat["previous"], sat["change"]) == ("–", "8,0", None)
    assert all(c["explain"] for c in cards.values())
    assert cards["bot_resolution"]["explain"] == "Andel af henvendelser løst uden en medarbejder."
    assert "figure=straks_sag" in s["href"] and "start=2026-11-24" in s["href"]


def test_quick_ranges_follow_the_given_day():
    today = date(2026, 3, 3)
    ranges = {r["label"]: r for r in dashboard_views.quick_ranges(
        today, date(2026, 2, 1), date(2026, 2, 28), {"channel": "chat", "municipality": ""})}
    assert list(ranges) == ["I dag", "I går", "7 dage", "30 dage", "Denne måned",
                            "Sidste måned", "I år"]
    assert ranges["I går"]["href"] == "?start=2026-03-02&end=2026-03-02&channel=chat"
    assert "start=2026-02-25&end=2026-03-03" in ranges["7 dage"]["href"]
    assert ranges["Sidste måned"]["current"] and not ranges["I dag"]["current"]
    assert "start=2026-01-01" in ranges["I år"]["href"]


def test_the_drill_down_lists_what_the_figure_counts(store):
    monday = kpi.Filters(datetime(2026, 11, 23, tzinfo=TZ), TUESDAY.start)
    rows, total = drilldown.conversations(store, monday, "straks_sag")
    assert total == 4 and {r["id"] for r in rows} == {"c1", "c2", "c3", "c4"}
    first, total = drilldown.conversations(store, monday, "contacts", page=1, per_page=4)
    last, _ = drilldown.conversations(store, monday, "contacts", page=3, per_page=4)
    assert total == 9 and len(first) == 4 and len(last) == 1  # hangup is no contact
    figures = kpi.headline(store, monday)
    for key, count in (("bot_resolution", 3), ("transfer_rate", 1), ("answer_rate", 3),
                       ("satisfaction_mean", 2), ("queue_wait_median_s", 2)):
        assert drilldown.conversations(store, monday, key)[1] == count, key
    assert figures["handoffs_offered"] == 3


@pytest.fixture
def gateway(knowledge, store):
    accounts = Accounts(store)
    accounts.add("ada", "Ada Admin", "admin", None, (), PASSWORD)
    accounts.add("vibeke", "Vibeke Viborg", "manager", "0791", (), PASSWORD)
    accounts.add("agnes", "Agnes Agent", "agent", None, (), PASSWORD)
    desk = Frontdesk(knowledge, store, handoffs=HandoffDesk(MemoryBackend()))
    with serve_app(create_app(knowledge.settings, frontdesk=desk,
                              clock=lambda: CLOCK)) as url:
        yield url, accounts


def signed_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url)
    client.post("/api/agent/login",
                json={"username": username, "password": PASSWORD}).raise_for_status()
    return client


MONDAY = {"start": "2026-11-23", "end": "2026-11-23"}


def test_the_drill_down_is_scoped_and_audited(gateway):
    url, accounts = gateway
    admin = signed_in(url, "ada")
    page = admin.get("/admin/drill", params={**MONDAY, "figure": "straks_sag"})
    assert page.status_code == 200 and '<span class="total">4</span>' in page.text
    assert page.text.count('<tr data-id="') == 4
    manager = signed_in(url, "vibeke")
    page = manager.get("/admin/drill", params={**MONDAY, "figure": "contacts"})
    ids = set(re.findall(r'<tr data-id="([^"]+)"', page.text))
    assert ids == {"c5", "c6", "c8"}  # Viborg's Monday contacts only
    assert manager.get("/admin/drill", params={**MONDAY, "figure": "straks_sag"}).text \
        .count('<tr data-id="') == 0  # c4 is Aarhus's
    other = manager.get("/admin/drill", params={**MONDAY, "municipality": "0751"})
    assert other.status_code == 403
    assert manager.get("/admin/conversations/c1").status_code == 404  # Aarhus's
    transcript = manager.get("/admin/conversations/c5")
    assert transcript.status_code == 200 and "spørgsmål" in transcript.text
    assert manager.get("/admin/drill", params={"figure": "nonsense"}).status_code == 404
    assert signed_in(url, "agnes").get("/admin/drill").status_code == 403
    log = accounts.audit_log()
    views = [(e["username"], e["action"], e["object"]) for e in log
             if e["action"] in ("view_drilldown", "view_transcript")]
    assert views.count(("vibeke", "view_drilldown", "figure:contacts")) == 1
    assert ("vibeke", "view_drilldown", "figure:straks_sag") in views
    assert ("ada", "view_drilldown", "figure:straks_sag") in views
    assert ("vibeke", "view_transcript", "conversation:c5") in views
    assert ("vibeke", "view_transcript", "conversation:c1") not in views
    detail = next(e["detail"] for e in log if e["object"] == "figure:contacts")
    assert "municipality=0791" in detail and "2026-11-23..2026-11-23" in detail


def test_the_dashboard_and_staffing_follow_the_gateways_clock(gateway):
    url, _ = gateway
    admin = signed_in(url, "ada")
    staff = admin.get("/api/admin/staffing").json()
    assert staff["now"].startswith("2026-11-24T12:00")
    history = {d["day"]: d["handoffs"] for d in staff["history"]}
    assert history["2026-11-23"] == 3 and max(history) == "2026-11-23"  # c4-c6
    page = admin.get("/admin").text
    assert "Bemanding i dag (24.11.2026)" in page
    assert 'href="?start=2026-11-24&amp;end=2026-11-24"' in page  # "I dag" by the clock
    assert "2026-10-28 – 2026-11-24" in page  # the default period ends on the clock's day
    assert 'aria-label="Overdragelser til en medarbejder pr. dag"' in page
    assert "Vis som tabel" in page and 'class="legend"' in page
    figures = admin.get("/api/admin/figures", params=MONDAY).json()
    assert figures["headline"]["straks_sag"] == 0.4444  # JSON stays machine-readable
    monday = admin.get("/admin", params=MONDAY).text
    assert '<a class="value" href="/admin/drill?start=2026-11-23&amp;end=2026-11-23&amp;' \
           'figure=straks_sag"' in monday
    assert ">44 %</a>" in monday
