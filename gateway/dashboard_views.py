"""The dashboard's headline cards, quick ranges and previous-period comparison.

Why here and not in the route: the route (gateway/api/routes/admin.py) gathers data;
this module decides how a manager reads it — a Danish label, a one-line explanation
of what each figure counts, the figure in Danish format, the same figure for the
previous period of the same length (computed by `store/kpi.py`, never by a second
copy of the definitions), and the link to the conversations behind it.

"Today" is the gateway's clock (`create_app(clock=…)`, `ddh serve --at`), not the
wall clock, so the quick ranges and the default period follow a simulated day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from gateway.formatting import da_change, da_number, da_percent
from store import kpi

TZ = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class Figure:
    key: str  # the key in kpi.figures
    label: str
    explain: str  # one line: what it counts
    kind: str = "percent"  # percent (share 0–1), count, score, seconds
    higher_is_better: bool = True


FIGURES = (
    Figure("contacts", "Henvendelser", "Samtaler hvor borgeren skrev eller sagde noget.",
           "count"),
    Figure("straks_sag", "StraksSag",
           "Andel løst i første kontakt af botten eller en medarbejder, uden omstilling "
           "eller sag."),
    Figure("bot_resolution", "Løst af botten",
           "Andel af henvendelser løst uden en medarbejder."),
    Figure("answer_rate", "Svarprocent",
           "Andel af overdragelser til en medarbejder, som en medarbejder besvarede."),
    Figure("transfer_rate", "Omstillet",
           "Andel af henvendelser omstillet til kommunens egen borgerservice.",
           higher_is_better=False),
    Figure("ticket_rate", "Sager",
           "Andel af henvendelser der endte som en sag eller et tilbageringningsønske.",
           higher_is_better=False),
    Figure("redirect_share", "Forkert sted",
           "Andel af henvendelser der hørte til en anden myndighed.",
           higher_is_better=False),
    Figure("satisfaction_mean", "Tilfredshed",
           "Gennemsnit af borgernes svar fra 1 til 10.", "score"),
    Figure("queue_wait_median_s", "Ventetid, median (s)",
           "Halvdelen af de besvarede borgere ventede højst så mange sekunder.",
           "seconds", False),
    Figure("queue_wait_p90_s", "Ventetid, 90 % (s)",
           "9 ud af 10 besvarede borgere ventede højst så mange sekunder.",
           "seconds", False),
    Figure("service_level", "Serviceniveau",
           "Andel af overdragelser besvaret inden for målet for ventetid."),
)


def now_of(clock: Callable[[], datetime] | None) -> datetime:
    """The gateway's time in Copenhagen: its clock (tests, `--at`), else now."""
    return (clock() if clock is not None else datetime.now(UTC)).astimezone(TZ)


def shown(fig: Figure, value: Any) -> str:
    """One figure in Danish format (gateway/formatting.py's rounding rule)."""
    if fig.kind == "percent":
        return da_percent(value)
    if fig.kind == "score":
        return da_number(value, 1)
    return da_number(value, 0)


def previous(f: kpi.Filters) -> kpi.Filters:
    """The period of the same length just before `f`'s (same scope)."""
    assert f.start is not None and f.end is not None
    length = f.end - f.start
    return kpi.Filters(f.start - length, f.start, f.municipality, f.channel)


def period_days(f: kpi.Filters) -> tuple[date, date]:
    """The first and last local day of a period (its end is exclusive)."""
    assert f.start is not None and f.end is not None
    return f.start.date(), (f.end - timedelta(days=1)).date()


def query(f: kpi.Filters, **extra: Any) -> str:
    """The filters as a query string (end inclusive, as the form writes it)."""
    assert f.start is not None and f.end is not None
    args = {"start": f.start.date().isoformat(),
            "end": (f.end - timedelta(days=1)).date().isoformat()}
    if f.channel:
        args["channel"] = f.channel
    if f.municipality:
        args["municipality"] = f.municipality
    return urlencode({**args, **extra})


def cards(now: dict[str, Any], before: dict[str, Any], f: kpi.Filters) -> list[dict]:
    """The headline cards: value, previous value, change (arrow, sign), whether the
    change is good, the explanation and the drill-down link."""
    out = []
    for fig in FIGURES:
        value, prev = now.get(fig.key), before.get(fig.key)
        change = da_change(value, prev, fig.kind == "percent",
                           1 if fig.kind == "score" else 0)
        if change:
            good = (change["direction"] == "up") == fig.higher_is_better
            change = {**change, "tone": "flat" if change["direction"] == "flat"
                      else "good" if good else "bad"}
        out.append({"key": fig.key, "label": fig.label, "explain": fig.explain,
                    "value": shown(fig, value), "previous": shown(fig, prev),
                    "change": change,
                    "href": f"/admin/drill?{query(f, figure=fig.key)}"})
    return out


def _month_start(d: date) -> date:
    return d.replace(day=1)


def quick_ranges(today: date, start: date, last: date,
                 keep: dict[str, str]) -> list[dict[str, Any]]:
    """I dag … I år, relative to the gateway's `today`; `keep`: channel and
    municipality, kept in each link. `current` marks the range shown now."""
    first_this = _month_start(today)
    last_prev = first_this - timedelta(days=1)
    ranges = [("I dag", today, today),
              ("I går", today - timedelta(days=1), today - timedelta(days=1)),
              ("7 dage", today - timedelta(days=6), today),
              ("30 dage", today - timedelta(days=29), today),
              ("Denne måned", first_this, today),
              ("Sidste måned", _month_start(last_prev), last_prev),
              ("I år", today.replace(month=1, day=1), today)]
    kept = {k: v for k, v in keep.items() if v}
    return [{"label": label, "current": (a, b) == (start, last),
             "href": "?" + urlencode({"start": a.isoformat(), "end": b.isoformat(), **kept})}
            for label, a, b in ranges]
