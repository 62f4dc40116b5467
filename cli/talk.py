"""`ddh ask --jsonl` and `ddh chat`: talk to the same frontdesk the gateway runs.

`ask` is the scriptable contract (one JSON line in, one JSON line out, in order; a bad
line gets an error object in its place rather than ending the stream); `chat` is for
developers trying things in a terminal.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import CLIError, open_frontdesk, setup

if TYPE_CHECKING:
    from bot.frontdesk import TurnInput


def turn_from_json(line: str) -> TurnInput:
    """Parse one `ddh ask` input line; ValueError with a clear message when malformed."""
    from datetime import datetime

    from bot.frontdesk import TurnInput

    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing 'text'")
    at = data.get("at")
    try:
        when = datetime.fromisoformat(at) if at else None
    except (TypeError, ValueError):
        raise ValueError(f"'at' is not an ISO 8601 time: {at!r}") from None
    muni = data.get("municipality")
    return TurnInput(conversation=str(data.get("conversation") or "default"), text=text,
                     channel=data.get("channel") or "chat",
                     municipality=str(muni) if muni is not None else None,
                     called_number=data.get("called_number"), at=when)


def ask(
    jsonl: Annotated[bool, typer.Option("--jsonl", help="JSON lines in and out")] = False,
) -> None:
    """Answer citizen turns: one JSON line in per turn, one JSON line out, in order."""
    setup()
    if not jsonl:
        raise CLIError("only --jsonl is supported; use `ddh chat` to talk interactively")
    frontdesk = open_frontdesk()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            out = frontdesk.handle(turn_from_json(line)).contract()
        except ValueError as exc:
            out = {"error": str(exc)}
        # Flush per turn: a caller writing turns one by one waits for each answer.
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    if frontdesk.store is not None:
        frontdesk.store.close()


def chat(
    municipality: Annotated[str | None, typer.Option(help="4-digit kommunekode")] = None,
    at: Annotated[str | None, typer.Option(help="Pretend the time is this (ISO 8601)")] = None,
    channel: Annotated[str, typer.Option(help="chat or voice")] = "chat",
) -> None:
    """Talk to the frontdesk in the terminal (for developers)."""
    import uuid
    from datetime import datetime

    from bot.frontdesk import TurnInput

    setup()
    when = datetime.fromisoformat(at) if at else None
    frontdesk = open_frontdesk()
    conversation = f"chat-{uuid.uuid4().hex[:8]}"
    typer.echo("Skriv til frontdesken (Ctrl-D for at stoppe).", err=True)
    first = True
    while True:
        try:
            text = input("> ")
        except EOFError:
            break
        if not text.strip():
            continue
        try:
            # The municipality goes with the first turn only, as a web widget sends it.
            r = frontdesk.handle(TurnInput(conversation, text, channel,
                                           municipality if first else None, None, when))
        except ValueError as exc:
            raise CLIError(str(exc)) from None
        first = False
        typer.echo(f"[{r.action} · {r.topic or '-'} · {r.municipality or '-'}]\n{r.reply}\n")
