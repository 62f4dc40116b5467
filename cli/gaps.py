"""`ddh gaps`: the knowledge-gap report (CONTRACT.md §7) from the outcome store.

The questions the bot could not answer in the last N days, grouped by meaning, most
asked first, each beside the guide nearest to it; `--json` prints the contract's list,
without it a table for people. The work is done in `handoff/gaps.py`, the same code the
dashboard's knowledge-gap page uses.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from cli.common import CLIError, open_knowledge, setup
from ddh.settings import get_settings

TZ = ZoneInfo("Europe/Copenhagen")


def gaps(
    json_out: Annotated[bool, typer.Option("--json", help="Print the contract's JSON "
                                           "list")] = False,
    days: Annotated[int, typer.Option(help="The period: this many days up to now (the "
                                      "trend compares the period before it)")] = 30,
    municipality: Annotated[str | None, typer.Option(
        help="Only this municipality's conversations (kommunekode)")] = None,
    limit: Annotated[int, typer.Option(help="At most this many clusters")] = 20,
    min_count: Annotated[int, typer.Option(help="Leave out clusters asked fewer times "
                                           "in the period")] = 2,
    until: Annotated[str | None, typer.Option(
        help="End the period at the start of this day (YYYY-MM-DD, Copenhagen) "
             "instead of now")] = None,
) -> None:
    """Questions the bot could not answer, clustered by meaning, most frequent first."""
    from handoff.gaps import build_report
    from store.outcomes import open_store

    if days < 1:
        raise CLIError("--days: at least 1")
    if municipality is not None and not re.fullmatch(r"\d{4}", municipality):
        raise CLIError(f"--municipality: not a kommunekode: {municipality!r}")
    if until:
        try:
            day = date.fromisoformat(until)
        except ValueError:
            raise CLIError(f"--until: not a date (YYYY-MM-DD): {until!r}") from None
        end = datetime(day.year, day.month, day.day, tzinfo=TZ)
    else:
        end = datetime.now(TZ)
    setup()
    kn = open_knowledge()
    if municipality is not None and municipality not in kn.registry.municipalities:
        raise CLIError(f"--municipality: unknown kommunekode {municipality}")
    if kn.index.empty():
        kn.refresh_index()
    store = open_store(get_settings())
    try:
        report = build_report(store, kn.embedder, kn.retriever, end, days, municipality,
                              limit=limit, min_count=min_count)
    finally:
        store.close()
    if json_out:
        typer.echo(json.dumps([c.as_json() for c in report.clusters], ensure_ascii=False))
        return
    last = (report.end - timedelta(microseconds=1)).date()
    typer.echo(f"Knowledge gaps {report.start.date()} – {last}"
               f"{' in ' + municipality if municipality else ''}: {report.questions} "
               f"unanswered questions ({report.previous_questions} the {days} days before), "
               f"{len(report.clusters)} clusters shown")
    if report.dropped:
        typer.echo(f"(sampled: {report.distinct - report.dropped} of {report.distinct} "
                   "distinct texts clustered)")
    for i, c in enumerate(report.clusters, 1):
        trend = "new" if c.trend is None else f"{c.trend:+.0%}"
        typer.echo(f"\n{i:>2}. {c.label}  ({c.count}, previous {c.previous}, {trend})")
        for e in c.examples[:3]:
            typer.echo(f"      » {e}")
        g = c.nearest_guide
        typer.echo(f"      nearest guide: {g['title']} ({g['id']}, {g['score']:.2f})"
                   if g else "      nearest guide: none")
