"""`ddh tickets`: look at and push the delivery outbox of tickets to municipalities.

The gateway delivers tickets by itself; these commands are for operators who need to see
what failed or to send without waiting for the next round.
"""

from __future__ import annotations

import json

import typer

from cli.common import setup
from ddh.settings import get_settings

app = typer.Typer(help="Tickets to municipalities (the delivery outbox)", no_args_is_help=True)


@app.command("list")
def tickets_list(status: str | None = typer.Option(None, help="pending, sent or failed"),
                 json_out: bool = typer.Option(False, "--json")) -> None:
    """Ticket deliveries, newest first (failed ones need a person to look)."""
    from handoff.tickets import outbox_from_settings
    from store.outcomes import open_store

    setup()
    settings = get_settings()
    rows = outbox_from_settings(open_store(settings), settings).deliveries(status)
    if json_out:
        typer.echo(json.dumps(rows, default=str, indent=1))
        return
    for r in rows:
        typer.echo(f"{r['status']:8} {r['attempts']:2}x {r['channel']:8} {r['destination']}  "
                   f"{r['id']}  {r['last_error'] or ''}")


@app.command("send")
def tickets_send() -> None:
    """Send the tickets that are due now (the gateway does this by itself)."""
    from handoff.tickets import outbox_from_settings
    from store.outcomes import open_store

    setup()
    settings = get_settings()
    counts = outbox_from_settings(open_store(settings), settings).deliver_due(limit=1000)
    typer.echo(f"{counts['sent']} sent, {counts['retry']} to retry, {counts['failed']} failed")
