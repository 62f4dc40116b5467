"""`ddh serve` and `ddh simulate`: run the gateway, or fill its outcome store with
realistic traffic so that the dashboard and load tests have something to show."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import CLIError, open_frontdesk, open_knowledge, setup
from ddh.logging import configure_logging
from ddh.settings import get_settings


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    at: Annotated[str | None, typer.Option(
        help="Run as if it were this time (ISO 8601), the clock running on from there: "
             "for training, demos and load tests outside opening hours")] = None,
) -> None:
    """Start the gateway on the embedded default, building the index first if needed."""
    import time
    from collections.abc import Callable
    from datetime import datetime, timedelta

    import uvicorn

    from gateway.app import create_app
    from gateway.drain import DrainingServer

    settings = get_settings()
    # A long-running server logs at the configured level, unlike the one-shot commands.
    configure_logging(settings.log_level, settings.log_format)
    clock: Callable[[], datetime] | None = None
    if at:
        try:
            start, t0 = datetime.fromisoformat(at), time.monotonic()
        except ValueError:
            raise CLIError(f"--at: not an ISO 8601 time: {at!r}") from None
        if start.tzinfo is None:
            raise CLIError("--at needs a UTC offset, e.g. 2026-11-24T11:00:00+01:00")

        def shifted() -> datetime:
            return start + timedelta(seconds=time.monotonic() - t0)
        clock = shifted
    k = open_knowledge()
    sync = k.refresh_index()
    typer.echo(f"knowledge index: {sync.as_dict()}", err=True)
    app = create_app(settings, knowledge=k, clock=clock)
    config = uvicorn.Config(app, host=host or settings.host, port=port or settings.port,
                            log_config=None,
                            # chat frames are short: compressing them costs CPU and a
                            # zlib context per socket for little gain
                            ws_per_message_deflate=False)
    # SIGTERM drains first (gateway/drain.py): turns in flight finish and are delivered.
    DrainingServer(config, app.state.drain, settings.drain_timeout_s).run()


def simulate(
    days: Annotated[int, typer.Option(help="Days of traffic, ending today")] = 7,
    per_day: Annotated[int, typer.Option(help="Contacts on a weekday")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same traffic)")] = 1,
    gaps: Annotated[float, typer.Option(
        help="Share of citizens asking about a planted knowledge gap (a municipal matter "
             "no guide covers, evals/gap_themes.py), for `ddh gaps`; 0 for none")] = 0.08,
    jumpseat: Annotated[bool, typer.Option(
        help="Then replay next week's shift plan at DDH's volume with jumpseat advice "
             "(evals/jumpseat.py): the service level kept and the hours saved")] = False,
) -> None:
    """Drive realistic conversations through the real frontdesk (DDH's 2025 shape) into
    the configured outcome store, so the dashboard and load tests have data."""
    import time

    from evals.traffic import TrafficSimulator

    setup()
    desk = open_frontdesk()
    t0 = time.perf_counter()
    if not 0.0 <= gaps <= 1.0:
        raise CLIError("--gaps: a share between 0 and 1")
    report = TrafficSimulator(desk, seed, gap_share=gaps).run(days, per_day)
    if desk.store is not None:
        desk.store.flush()
    actions = ", ".join(f"{a} {n}" for a, n in report.actions.most_common())
    typer.echo(f"{report.conversations} conversations, {report.turns} turns in "
               f"{time.perf_counter() - t0:.0f} s ({actions}); handoffs answered "
               f"{report.answered_handoffs}, abandoned {report.abandoned_handoffs}")
    if report.planted:
        planted = ", ".join(f"{t} {n}" for t, n in report.planted.most_common())
        typer.echo(f"planted knowledge gaps: {planted}")
    if jumpseat:
        from datetime import datetime, timedelta

        from evals import jumpseat as replay
        from evals.traffic import TZ

        last = datetime.now(TZ).date()
        found = replay.from_store(desk, get_settings(), last - timedelta(days=days - 1), last,
                                  seed)
        for line in found.lines():
            typer.echo(line)
