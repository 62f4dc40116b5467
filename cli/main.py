"""The `ddh` command line (see CONTRACT.md): serve, ask, knowledge, eval.

Every command runs on the embedded default and reports failures as one line on
stderr with a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ddh.logging import configure_logging
from ddh.settings import get_settings

app = typer.Typer(help="DDH frontdesk gateway", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
knowledge_app = typer.Typer(help="Guide corpus, index and retrieval", no_args_is_help=True)
app.add_typer(knowledge_app, name="knowledge")
eval_app = typer.Typer(help="Evaluation suites", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
voice_app = typer.Typer(help="Voice channel", no_args_is_help=True)
app.add_typer(voice_app, name="voice")


@voice_app.command("model")
def voice_model() -> None:
    """Prepare the speech-to-text model (assemble the bundled Whisper base) and print
    its directory."""
    from bot.stt_model import ModelError, model_dir

    _setup()
    settings = get_settings()
    try:
        typer.echo(str(model_dir(settings.stt_model, settings.model_cache)))
    except ModelError as exc:
        raise CLIError(str(exc)) from None


tickets_app = typer.Typer(help="Tickets to municipalities (the delivery outbox)",
                          no_args_is_help=True)
app.add_typer(tickets_app, name="tickets")


@tickets_app.command("list")
def tickets_list(status: str | None = typer.Option(None, help="pending, sent or failed"),
                 json_out: bool = typer.Option(False, "--json")) -> None:
    """Ticket deliveries, newest first (failed ones need a person to look)."""
    import json as _json

    from bot.service import open_store
    from handoff.tickets import outbox_from_settings

    _setup()
    settings = get_settings()
    rows = outbox_from_settings(open_store(settings), settings).deliveries(status)
    if json_out:
        typer.echo(_json.dumps(rows, default=str, indent=1))
        return
    for r in rows:
        typer.echo(f"{r['status']:8} {r['attempts']:2}x {r['channel']:8} {r['destination']}  "
                   f"{r['id']}  {r['last_error'] or ''}")


@tickets_app.command("send")
def tickets_send() -> None:
    """Send the tickets that are due now (the gateway does this by itself)."""
    from bot.service import open_store
    from handoff.tickets import outbox_from_settings

    _setup()
    settings = get_settings()
    counts = outbox_from_settings(open_store(settings), settings).deliver_due(limit=1000)
    typer.echo(f"{counts['sent']} sent, {counts['retry']} to retry, {counts['failed']} failed")


users_app = typer.Typer(help="Console accounts: agents, municipal managers, administrators",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")


def _accounts():
    from bot.service import open_store
    from handoff.accounts import Accounts

    _setup()
    return Accounts(open_store(get_settings()))


@users_app.command("add")
def users_add(
    username: str,
    name: str = typer.Option(..., help="Full name shown to colleagues"),
    role: str = typer.Option("agent", help="agent, manager or admin"),
    municipality: str | None = typer.Option(None, help="kommunekode (member or managed)"),
    skills: str = typer.Option("", help="topic slugs, comma-separated: pas,koerekort,mitid"),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="read the password from standard input"),
    sso: bool = typer.Option(False, "--sso", help="no password: signs in by single sign-on"),
    phone: str | None = typer.Option(None, help="agent's phone (SIP) for voice handoffs"),
) -> None:
    """Add a console user (the password is asked for unless --sso)."""
    import sys

    from handoff.accounts import AccountError

    if sso:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        account = _accounts().add(username, name, role, municipality,
                                  tuple(x.strip() for x in skills.split(",") if x.strip()),
                                  password, phone)
    except AccountError as exc:
        raise CLIError(str(exc)) from None
    typer.echo(f"added {account.username} ({account.role})")


@users_app.command("list")
def users_list() -> None:
    """All console users."""
    for a in _accounts().list():
        typer.echo(f"{a.username:20} {a.role:8} {a.municipality or '-':5} "
                   f"{','.join(a.skills) or '-':30} {'DISABLED' if a.disabled else ''}")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable a user; their open sessions end at once."""
    if not _accounts().disable(username):
        raise CLIError(f"no user {username!r}")
    typer.echo(f"disabled {username}")


@app.command()
def simulate(
    days: Annotated[int, typer.Option(help="Days of traffic, ending today")] = 7,
    per_day: Annotated[int, typer.Option(help="Contacts on a weekday")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same traffic)")] = 1,
) -> None:
    """Drive realistic conversations through the real frontdesk (DDH's 2025 shape) into
    the configured outcome store, so the dashboard and load tests have data."""
    import time

    from evals.traffic import TrafficSimulator

    _setup()
    desk = _frontdesk()
    t0 = time.perf_counter()
    report = TrafficSimulator(desk, seed).run(days, per_day)
    if desk.store is not None:
        desk.store.flush()
    actions = ", ".join(f"{a} {n}" for a, n in report.actions.most_common())
    typer.echo(f"{report.conversations} conversations, {report.turns} turns in "
               f"{time.perf_counter() - t0:.0f} s ({actions}); handoffs answered "
               f"{report.answered_handoffs}, abandoned {report.abandoned_handoffs}")


class CLIError(Exception):
    """An error to print as one line and exit 1."""


def _setup() -> None:
    """Quiet logging for one-shot commands unless DDH_LOG_LEVEL asks for more."""
    import os

    s = get_settings()
    configure_logging(s.log_level if "DDH_LOG_LEVEL" in os.environ else "WARNING",
                      s.log_format)


def _knowledge():
    from knowledge.service import Knowledge

    return Knowledge.open(get_settings())


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    at: Annotated[str | None, typer.Option(
        help="Run as if it were this time (ISO 8601), the clock running on from there: "
             "for training, demos and load tests outside opening hours")] = None,
) -> None:
    """Start the gateway on the embedded default, building the index first if needed."""
    import time
    from datetime import datetime, timedelta

    import uvicorn

    from gateway.app import create_app

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    clock = None
    if at:
        try:
            start, t0 = datetime.fromisoformat(at), time.monotonic()
        except ValueError:
            raise CLIError(f"--at: not an ISO 8601 time: {at!r}") from None
        if start.tzinfo is None:
            raise CLIError("--at needs a UTC offset, e.g. 2026-11-24T11:00:00+01:00")

        def clock() -> datetime:
            return start + timedelta(seconds=time.monotonic() - t0)
    k = _knowledge()
    sync = k.refresh_index()
    typer.echo(f"knowledge index: {k.index.count()} chunks ({sync.as_dict()})", err=True)
    uvicorn.run(create_app(settings, knowledge=k, clock=clock), host=host or settings.host,
                port=port or settings.port, log_config=None)


def _frontdesk():
    from bot.service import open_frontdesk

    return open_frontdesk(get_settings())


def _turn_from_json(line: str):
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


@app.command()
def ask(
    jsonl: Annotated[bool, typer.Option("--jsonl", help="JSON lines in and out")] = False,
) -> None:
    """Answer citizen turns: one JSON line in per turn, one JSON line out, in order."""
    _setup()
    if not jsonl:
        raise CLIError("only --jsonl is supported; use `ddh chat` to talk interactively")
    frontdesk = _frontdesk()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            out = frontdesk.handle(_turn_from_json(line)).contract()
        except ValueError as exc:
            out = {"error": str(exc)}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    if frontdesk.store is not None:
        frontdesk.store.close()


@app.command()
def chat(
    municipality: Annotated[str | None, typer.Option(help="4-digit kommunekode")] = None,
    at: Annotated[str | None, typer.Option(help="Pretend the time is this (ISO 8601)")] = None,
    channel: Annotated[str, typer.Option(help="chat or voice")] = "chat",
) -> None:
    """Talk to the frontdesk in the terminal (for developers)."""
    import uuid
    from datetime import datetime

    from bot.frontdesk import TurnInput

    _setup()
    when = datetime.fromisoformat(at) if at else None
    frontdesk = _frontdesk()
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
            r = frontdesk.handle(TurnInput(conversation, text, channel,
                                           municipality if first else None, None, when))
        except ValueError as exc:
            raise CLIError(str(exc)) from None
        first = False
        typer.echo(f"[{r.action} · {r.topic or '-'} · {r.municipality or '-'}]\n{r.reply}\n")


_EVALS = Path(__file__).resolve().parent.parent / "evals"
# What `ddh eval run` runs without files (and CI runs): everything but the voice suite,
# which takes minutes of real-time phone calls.
FAST_SUITES = [_EVALS / "scenarios" / "routing.yaml", _EVALS / "retrieval" / "dev.yaml",
               _EVALS / "retrieval" / "holdout.yaml", _EVALS / "privacy" / "sentences.yaml",
               _EVALS / "injection" / "attempts.yaml"]


@eval_app.command("run")
def eval_run(
    files: Annotated[list[Path] | None, typer.Argument(
        help="Suite files (YAML); default: the fast suites CI runs")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Write report.json, report.md and report.html here")] = None,
    compare_modes: Annotated[bool, typer.Option(
        "--compare-modes", help="Run in the grounded and the LLM mode")] = False,
    mode: Annotated[str, typer.Option(
        help="grounded, or llm (default: llm when DDH_LLM_BASE_URL is set)")] = "",
) -> None:
    """Run evaluation suites through the frontdesk; exit 1 when a threshold fails."""
    import tempfile

    from evals import report as reports
    from evals.runner import MODES, EvalContext, run_file
    from evals.suite import SuiteError, load
    from knowledge.service import Knowledge

    _setup()
    settings = get_settings()
    files = files or FAST_SUITES
    for f in files:
        if not f.is_file():
            raise CLIError(f"no such suite file: {f}")
        try:
            load(f)
        except SuiteError as exc:
            raise CLIError(str(exc)) from None
    if mode and mode not in MODES:
        raise CLIError(f"unknown mode {mode!r} (grounded or llm)")
    modes = MODES if compare_modes else (mode or ("llm" if settings.llm_base_url
                                                   else "grounded"),)
    if "llm" in modes and not settings.llm_base_url:
        raise CLIError("the LLM mode needs DDH_LLM_BASE_URL (an OpenAI-compatible endpoint)")
    knowledge = Knowledge.open(settings)
    if knowledge.index.count() == 0:
        knowledge.refresh_index()
    results = []
    with tempfile.TemporaryDirectory() as tmp, _progress(not as_json) as progress:
        ctx = EvalContext(settings, knowledge, Path(tmp))
        for f in files:
            try:
                results += run_file(ctx, f, modes, progress)
            except SuiteError as exc:
                raise CLIError(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(reports.stdout_json(results), ensure_ascii=False, default=str))
    else:
        reports.print_tables(results)
    if report is not None:
        paths = reports.write(results, report)
        typer.echo(f"report: {paths['html']}", err=True)
    failed = [f"{r.key}: {f}" for r in results for f in r.failed]
    for line in failed:
        typer.echo(f"threshold not met: {line}", err=True)
    if failed:
        raise typer.Exit(1)


def _progress(enabled: bool):
    """A progress bar per suite on stderr (a terminal only; quiet in CI logs)."""
    import contextlib

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        return contextlib.nullcontext(lambda label, total: (lambda n: None))

    @contextlib.contextmanager
    def bars():
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                      transient=True) as p:
            def start(label: str, total: int):
                task = p.add_task(label, total=total)
                return lambda n: p.advance(task, n)
            yield start

    return bars()


@eval_app.command("compare")
def eval_compare(
    old: Annotated[Path, typer.Argument(help="report.json of the earlier run")],
    new: Annotated[Path, typer.Argument(help="report.json of the later run")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Regressions and improvements per scenario between two runs; exit 1 on any
    regression."""
    from evals import report as reports

    _setup()
    try:
        diff = reports.compare(reports.read(old), reports.read(new))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CLIError(f"cannot read the reports: {exc}") from None
    if as_json:
        typer.echo(json.dumps(diff, ensure_ascii=False))
    else:
        for s in diff["suites"]:
            if s.get("new"):
                typer.echo(f"{s['key']}: new in {new}")
                continue
            changes = ", ".join(f"{k} {v:+g}" for k, v in s["metric_changes"].items())
            typer.echo(f"{s['key']}: {len(s['regressions'])} regressed, "
                       f"{len(s['improvements'])} improved" + (f"; {changes}" if changes else ""))
            for item in s["regressions"]:
                typer.echo(f"  REGRESSED {item}")
            for item in s["improvements"]:
                typer.echo(f"  improved  {item}")
    if diff["regressions"]:
        raise typer.Exit(1)


@knowledge_app.command("ingest")
def knowledge_ingest(
    path: Annotated[Path | None, typer.Argument(help="Guide export (folder or file)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Ingest the bundled corpus, or a guide export at PATH (Markdown, JSON or HTML)."""
    _setup()
    if path is not None and not path.exists():
        raise CLIError(f"no such file or folder: {path}")
    report, sync = _knowledge().ingest(path)
    out = {"guides": len(report.guides), "files": report.files, **sync.as_dict(),
           "problems": [{"file": p.file, "message": p.message} for p in report.problems]}
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    typer.echo(f"{out['guides']} guides from {out['files']} files: {out['added']} added, "
               f"{out['updated']} updated, {out['unchanged']} unchanged, "
               f"{out['removed']} removed ({out['chunks_embedded']} chunks embedded)")
    for p in report.problems:
        typer.echo(f"skipped {p}", err=True)


@knowledge_app.command("search")
def knowledge_search(
    query: Annotated[str | None, typer.Argument(help="The question")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    municipality: Annotated[str | None, typer.Option(help="4-digit kommunekode")] = None,
    k: Annotated[int, typer.Option("-k", help="Number of guides", min=1, max=50)] = 5,
    batch: Annotated[bool, typer.Option("--batch", help="One query per stdin line")] = False,
    mode: Annotated[str, typer.Option(help="hybrid, dense or bm25")] = "hybrid",
) -> None:
    """Search the guides; with --batch, one JSON list per input line."""
    _setup()
    if mode not in ("hybrid", "dense", "bm25"):
        raise CLIError(f"unknown mode {mode!r} (hybrid, dense or bm25)")
    if batch == (query is not None):
        raise CLIError("give either a query or --batch")
    kn = _knowledge()
    if municipality is not None and municipality not in kn.registry.municipalities:
        raise CLIError(f"unknown kommunekode {municipality!r}")
    if kn.index.count() == 0:
        kn.refresh_index()
    retriever = kn.retriever
    queries = (line.rstrip("\n") for line in sys.stdin) if batch else iter([query or ""])
    for q in queries:
        hits = [h.as_dict() for h in retriever.search(q, municipality, k, mode)]  # type: ignore[arg-type]
        if as_json or batch:
            typer.echo(json.dumps(hits, ensure_ascii=False))
            sys.stdout.flush()
        else:
            for h in hits:
                typer.echo(f"{h['score']:.3f}  {h['topic']:<22} {h['title']}  <{h['url']}>")


@knowledge_app.command("check")
def knowledge_check() -> None:
    """Validate the registry and the guide corpus."""
    from knowledge.check import run

    raise typer.Exit(run())


def main() -> None:
    """Console-script entry: run Typer, turning expected failures into one stderr line."""
    from evals.suite import SuiteError
    from knowledge.guide import GuideError
    from knowledge.registry import RegistryError

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
