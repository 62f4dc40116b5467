"""`ddh users`: console accounts, managed from the shell so that the first administrator
can be created before anyone can sign in to the console."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from cli.common import CLIError, setup
from ddh.settings import get_settings

if TYPE_CHECKING:
    from handoff.accounts import Accounts

app = typer.Typer(help="Console accounts: agents, municipal managers and guide editors, "
                  "administrators",
                  no_args_is_help=True)


def _accounts() -> Accounts:
    """The account store on the configured outcome database."""
    from handoff.accounts import Accounts
    from store.outcomes import open_store

    setup()
    return Accounts(open_store(get_settings()))


@app.command("add")
def users_add(
    username: str,
    name: str | None = typer.Option(None, help="Full name shown to colleagues "
                                    "(default: the username)"),
    role: str = typer.Option("agent", help="agent, manager, admin or editor (a "
                             "municipality's guide editor)"),
    municipality: str | None = typer.Option(None, help="kommunekode (member or managed)"),
    skills: str = typer.Option("", help="topic slugs, comma-separated: pas,koerekort,mitid"),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="read the password from standard input"),
    sso: bool = typer.Option(False, "--sso", help="no password: signs in by single sign-on"),
    phone: str | None = typer.Option(None, help="agent's phone (SIP) for voice handoffs"),
    capacity: int | None = typer.Option(None, help="conversations the agent has at once "
                                        "(default: DDH_AGENT_CAPACITY)"),
) -> None:
    """Add a console user (the password is asked for unless --sso)."""
    from handoff.accounts import AccountError

    password: str | None
    if sso:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        account = _accounts().add(username, name or username, role, municipality,
                                  tuple(x.strip() for x in skills.split(",") if x.strip()),
                                  password, phone, capacity)
    except AccountError as exc:
        raise CLIError(str(exc)) from None
    typer.echo(f"added {account.username} ({account.role})")


@app.command("list")
def users_list() -> None:
    """All console users."""
    for a in _accounts().list():
        typer.echo(f"{a.username:20} {a.role:8} {a.municipality or '-':5} "
                   f"{','.join(a.skills) or '-':30} {'DISABLED' if a.disabled else ''}")


@app.command("disable")
def users_disable(username: str) -> None:
    """Disable a user; their open sessions end at once."""
    if not _accounts().disable(username):
        raise CLIError(f"no user {username!r}")
    typer.echo(f"disabled {username}")
