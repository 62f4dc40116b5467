"""The quality figures DDH steers by, computed from the outcome store.

Definitions (DOMAIN.md, "Quality data"); a *contact* is a conversation in the period
(filtered by municipality and channel) in which the citizen said something:
- StraksSag %: contacts resolved in the first contact, by the bot or an agent, without
  transfer or ticket (outcome `resolved_bot` or `resolved_agent`) / contacts;
- bot resolution % (containment): outcome `resolved_bot` / contacts;
- answer rate: contacts handed off that an agent answered / contacts handed off;
- transfer rate and ticket rate: outcome `transfer` / contacts, `ticket` / contacts;
- redirect share: outcome `redirect` / contacts;
- satisfaction: mean score 1–10, and response rate = scores / ended contacts;
- queue wait: median and 90th percentile (nearest rank) of the waits of answered
  handoffs, in whole seconds; service level: handoffs answered within the target wait
  / contacts handed off (an unanswered one never met it);
- handling time: mean seconds from a contact's start to its end (ended contacts);
- escalations per reason: the handoffs, transfers and tickets of the contacts, counted
  per `HandoffReason` (a contact escalated twice, say a handoff and then the agent's
  ticket, counts twice); escalations recorded before reasons were count as unknown.

Figures are read from the hourly roll-up (store/rollup.py), refreshed first, so a
period is made of whole hours: an hour belongs to it when the hour starts inside it.
Hours, days, weeks and months are those of Europe/Copenhagen (the heat map is in the
hours people live by; the roll-up's UTC hours are converted here, DST included).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from ddh.vocabulary import Action, HandoffReason
from store import rollup
from store.models import Conversation, KpiHour, KpiReason, KpiValue
from store.outcomes import OutcomeStore

TZ = ZoneInfo("Europe/Copenhagen")
SUMS = ("contacts", "resolved_bot", "resolved_agent", "transfers", "tickets", "redirects",
        "handed_off", "answered", "ended", "handling_s", "scores", "score_sum")
BY_TIME: dict[str, Callable[[datetime], Any]] = {
    "hour": lambda t: t.hour,
    "weekday": lambda t: t.weekday(),  # 0 = Monday
    "day": lambda t: t.date().isoformat(),
    "week": lambda t: "{}-W{:02d}".format(*t.isocalendar()[:2]),
    "month": lambda t: f"{t.year}-{t.month:02d}",
}
BY_COLUMN = ("municipality", "channel", "topic")


@dataclass(frozen=True)
class Filters:
    start: datetime | None = None
    end: datetime | None = None  # exclusive
    municipality: str | None = None
    channel: str | None = None

    def apply(self, q: Select) -> Select:
        """The filter on raw conversations (exports): contacts only."""
        c = Conversation
        return q.where(c.turns >= 1, *self._conditions(c.started_at, c.municipality,
                                                        c.channel))

    def on(self, table: type[KpiHour] | type[KpiValue] | type[KpiReason],
           q: Select) -> Select:
        """The same filter on a roll-up table (whose rows are contacts already)."""
        return q.where(*self._conditions(table.hour, table.municipality, table.channel))

    def _conditions(self, time: Any, municipality: Any, channel: Any) -> list[Any]:
        conds = []
        if self.start is not None:
            conds.append(time >= self.start)
        if self.end is not None:
            conds.append(time < self.end)
        if self.municipality:
            conds.append(municipality == self.municipality)
        if self.channel:
            conds.append(channel == self.channel)
        return conds


@dataclass
class Totals:
    """What the figures of one group are computed from."""

    sums: Counter[str] = field(default_factory=Counter)
    waits: Counter[int] = field(default_factory=Counter)
    scores: Counter[int] = field(default_factory=Counter)

    def add(self, other: Totals) -> Totals:
        self.sums.update(other.sums)
        self.waits.update(other.waits)
        self.scores.update(other.scores)
        return self


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def _sorted_values(dist: Counter[int]) -> list[tuple[int, int]]:
    return sorted((v, n) for v, n in dist.items() if n)


def _nth(dist: list[tuple[int, int]], rank: int) -> int:
    """The rank-th smallest value (1-based) of a distribution."""
    seen = 0
    for value, n in dist:
        seen += n
        if seen >= rank:
            return value
    raise IndexError(rank)


def median(dist: Counter[int]) -> float | None:
    values = _sorted_values(dist)
    total = sum(n for _, n in values)
    if not total:
        return None
    if total % 2:
        return float(_nth(values, total // 2 + 1))
    return (_nth(values, total // 2) + _nth(values, total // 2 + 1)) / 2


def percentile(dist: Counter[int], p: float) -> float | None:
    """Nearest-rank percentile (the value at or below which p of the values lie)."""
    values = _sorted_values(dist)
    total = sum(n for _, n in values)
    if not total:
        return None
    return float(_nth(values, max(1, math.ceil(round(total * p, 9)))))


def figures(t: Totals, sl_target_s: float = 60.0) -> dict[str, Any]:
    """Every headline figure of one group: the definitions above, in one place."""
    s = t.sums
    contacts, answered = s["contacts"], s["answered"]
    return {
        "contacts": contacts,
        "straks_sag": _ratio(s["resolved_bot"] + s["resolved_agent"], contacts),
        "bot_resolution": _ratio(s["resolved_bot"], contacts),
        "answer_rate": _ratio(answered, s["handed_off"]),
        "handoffs_offered": s["handed_off"],
        "handoffs_answered": answered,
        "transfer_rate": _ratio(s["transfers"], contacts),
        "ticket_rate": _ratio(s["tickets"], contacts),
        "redirect_share": _ratio(s["redirects"], contacts),
        "satisfaction_mean": round(s["score_sum"] / s["scores"], 2) if s["scores"] else None,
        "satisfaction_response_rate": _ratio(s["scores"], s["ended"]),
        "queue_wait_median_s": median(t.waits),
        "queue_wait_p90_s": percentile(t.waits, 0.9),
        "service_level": _ratio(sum(n for w, n in t.waits.items() if w <= sl_target_s),
                                s["handed_off"]),
        "service_level_target_s": sl_target_s,
        "handling_time_s": round(s["handling_s"] / s["ended"], 1) if s["ended"] else None,
    }


def totals(store: OutcomeStore, f: Filters = Filters(), by: str | None = None,
           refresh: bool = True) -> dict[Any, Totals]:
    """Roll-up sums and distributions per group: `by` is None (one group, key None),
    a time unit of BY_TIME (local time) or a column of BY_COLUMN."""
    if refresh:
        rollup.refresh(store)
    if by is not None and by not in BY_TIME and by not in BY_COLUMN:
        raise ValueError(f"cannot group figures by {by!r}")
    sums = [func.sum(getattr(KpiHour, n)) for n in SUMS]
    out: dict[Any, Totals] = defaultdict(Totals)

    def key(table: type[KpiHour] | type[KpiValue]) -> list[Any]:
        if by in BY_TIME:
            return [table.hour]
        return [getattr(table, by)] if by else []

    def group(raw: Any) -> Any:
        if by in BY_TIME:
            return BY_TIME[by](rollup.as_hour(raw).astimezone(TZ))
        return (raw or None) if by else None

    with store.sessions() as s:
        k = key(KpiHour)
        for row in s.execute(f.on(KpiHour, select(*k, *sums)).group_by(*k)):
            if not row[len(k)]:
                continue  # no contacts (an empty period's single row)
            g = out[group(row[0]) if k else None]
            g.sums.update({n: v or 0 for n, v in zip(SUMS, row[len(k):], strict=True)})
        k = key(KpiValue)
        for row in s.execute(f.on(KpiValue, select(*k, KpiValue.measure, KpiValue.value,
                                                   func.sum(KpiValue.n)))
                             .group_by(*k, KpiValue.measure, KpiValue.value)):
            *kv, measure, value, n = row
            g = out[group(kv[0]) if k else None]
            (g.waits if measure == "wait" else g.scores)[value] += n
    return dict(out)


def headline(store: OutcomeStore, f: Filters = Filters(), sl_target_s: float = 60.0,
             refresh: bool = True) -> dict[str, Any]:
    return figures(totals(store, f, refresh=refresh).get(None, Totals()), sl_target_s)


def breakdown(store: OutcomeStore, f: Filters = Filters(), by: str = "day",
              sl_target_s: float = 60.0, refresh: bool = True) -> list[dict[str, Any]]:
    """The headline figures per day, week, month, hour, weekday, municipality,
    channel or topic (sorted by the key)."""
    groups = totals(store, f, by, refresh)
    return [{by: k, **figures(t, sl_target_s)}
            for k, t in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))]


def per_municipality(store: OutcomeStore, f: Filters = Filters(),
                     refresh: bool = True) -> list[dict]:
    """The table DDH already reports: contacts, resolved by the bot, handed off,
    transferred and tickets, per municipality (largest first)."""
    return _municipality_table(totals(store, f, "municipality", refresh))


def _municipality_table(groups: dict[Any, Totals]) -> list[dict]:
    rows = [{"municipality": m, "contacts": t.sums["contacts"],
             "resolved_bot": t.sums["resolved_bot"], "handed_off": t.sums["handed_off"],
             "transferred": t.sums["transfers"], "tickets": t.sums["tickets"]}
            for m, t in groups.items()]
    return sorted(rows, key=lambda r: (-r["contacts"], r["municipality"] or ""))


def _hourly(store: OutcomeStore, f: Filters) -> list[tuple[datetime, int, int]]:
    """(local hour, contacts, resolved by the bot) per roll-up hour."""
    with store.sessions() as s:
        rows = s.execute(f.on(KpiHour, select(
            KpiHour.hour, func.sum(KpiHour.contacts), func.sum(KpiHour.resolved_bot)))
            .group_by(KpiHour.hour))
        return [(rollup.as_hour(h).astimezone(TZ), n or 0, b or 0) for h, n, b in rows]


def _cells(hours: list[tuple[datetime, int, int]]) -> dict[tuple[int, int], int]:
    cells: Counter[tuple[int, int]] = Counter()
    for local, n, _ in hours:
        cells[(local.weekday(), local.hour)] += n
    return dict(cells)


def _days(hours: list[tuple[datetime, int, int]]) -> list[dict]:
    days: dict[str, list[int]] = {}
    for local, n, bot in hours:
        day = days.setdefault(local.date().isoformat(), [0, 0])
        day[0] += n
        day[1] += bot
    return [{"day": d, "contacts": n, "resolved_bot": b} for d, (n, b) in sorted(days.items())]


def volume_by_hour(store: OutcomeStore, f: Filters = Filters(),
                   refresh: bool = True) -> dict[tuple[int, int], int]:
    """Contacts per (weekday 0=Monday, local hour): the heat map's cells."""
    if refresh:
        rollup.refresh(store)
    return _cells(_hourly(store, f))


def daily(store: OutcomeStore, f: Filters = Filters(), refresh: bool = True) -> list[dict]:
    """Contacts and bot-resolved contacts per local day (the trend)."""
    if refresh:
        rollup.refresh(store)
    return _days(_hourly(store, f))


def top_topics(store: OutcomeStore, f: Filters = Filters(), n: int = 10,
               refresh: bool = True) -> list[dict]:
    if refresh:
        rollup.refresh(store)
    with store.sessions() as s:
        contacts = func.sum(KpiHour.contacts)
        rows = s.execute(f.on(KpiHour, select(KpiHour.topic, contacts))
                         .where(KpiHour.topic != "").group_by(KpiHour.topic)
                         .order_by(contacts.desc(), KpiHour.topic).limit(n))
        return [{"topic": t, "contacts": c} for t, c in rows]


@dataclass(frozen=True)
class ReasonCount:
    """The escalations of one reason (None: not recorded), by kind."""

    reason: HandoffReason | None
    handoffs: int = 0
    transfers: int = 0
    tickets: int = 0

    @property
    def escalations(self) -> int:
        return self.handoffs + self.transfers + self.tickets

    def as_json(self) -> dict[str, Any]:
        return {"reason": str(self.reason) if self.reason else None,
                "escalations": self.escalations, "handoffs": self.handoffs,
                "transfers": self.transfers, "tickets": self.tickets}


KIND_FIELD: dict[str, str] = {Action.HANDOFF: "handoffs", Action.TRANSFER: "transfers",
                              Action.TICKET: "tickets"}


def escalation_reasons(store: OutcomeStore, f: Filters = Filters(),
                       refresh: bool = True) -> list[ReasonCount]:
    """Escalations of the period's contacts per reason: every reason of the vocabulary
    in its order (zero counts included), then the unknown ones, if any."""
    if refresh:
        rollup.refresh(store)
    counts: dict[HandoffReason | None, Counter[str]] = {r: Counter() for r in HandoffReason}
    with store.sessions() as s:
        rows = s.execute(f.on(KpiReason, select(KpiReason.reason, KpiReason.kind,
                                                func.sum(KpiReason.n)))
                         .group_by(KpiReason.reason, KpiReason.kind))
        for reason, kind, n in rows:
            field_name = KIND_FIELD.get(kind)  # StrEnum keys: equal to the strings
            if field_name and n:
                counts.setdefault(HandoffReason.parse(reason), Counter())[field_name] += n
    return [ReasonCount(reason, **c) for reason, c in counts.items()
            if reason is not None or c.total()]


def satisfaction_distribution(store: OutcomeStore, f: Filters = Filters(),
                              refresh: bool = True) -> dict[int, int]:
    scores = totals(store, f, refresh=refresh).get(None, Totals()).scores
    return {score: scores.get(score, 0) for score in range(1, 11)}


def dashboard(store: OutcomeStore, f: Filters = Filters(),
              sl_target_s: float = 60.0) -> dict[str, Any]:
    """Everything the dashboard's default view shows, with one refresh and one read of
    each kind (bench/kpi.py times this)."""
    rollup.refresh(store)
    by_municipality = totals(store, f, "municipality", refresh=False)
    overall = Totals()
    for t in by_municipality.values():
        overall.add(t)
    hours = _hourly(store, f)
    return {
        "headline": figures(overall, sl_target_s),
        "municipalities": _municipality_table(by_municipality),
        "daily": _days(hours),
        "heat_map": [{"weekday": d, "hour": h, "contacts": n}
                     for (d, h), n in sorted(_cells(hours).items())],
        "topics": top_topics(store, f, refresh=False),
        "reasons": [r.as_json() for r in escalation_reasons(store, f, refresh=False)],
        "satisfaction": {score: overall.scores.get(score, 0) for score in range(1, 11)},
    }
