"""The `ddh` command line (see CONTRACT.md): the root app and its console-script entry.

The commands live one group per module (knowledge, evals, users, tickets, voice, talk,
serve); this module only assembles them and turns failures into the contract's error
shape: one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from cli import evals, gaps, knowledge, serve, talk, tickets, users, voice
from cli.common import CLIError

app = typer.Typer(help="DDH frontdesk gateway", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
# Registration order is the order `ddh --help` lists them in.
app.command()(serve.simulate)
app.command()(serve.serve)
app.command()(talk.ask)
app.command()(talk.chat)
app.command()(gaps.gaps)
app.add_typer(knowledge.app, name="knowledge")
app.add_typer(evals.app, name="eval")
app.add_typer(voice.app, name="voice")
app.add_typer(tickets.app, name="tickets")
app.add_typer(users.app, name="users")


def main() -> None:
    """Console-script entry: run Typer, turning expected failures into one stderr line."""
    from evals.suite import SuiteError
    from knowledge.guide import GuideError
    from knowledge.yaml_data import RegistryError

    try:
        # Without standalone mode click returns an Exit's code instead of raising it.
        rc = app(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (CLIError, RegistryError, GuideError, SuiteError, ValueError, OSError) as exc:
        print(f"ddh: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # click usage errors and the unexpected: still one line
        import click

        if isinstance(exc, click.ClickException):
            print(f"ddh: error: {exc.format_message()}", file=sys.stderr)
            sys.exit(exc.exit_code)
        print(f"ddh: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
