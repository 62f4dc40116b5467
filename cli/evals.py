"""`ddh eval`: run the evaluation suites through the frontdesk and compare two runs.

Both commands exit 1 on a failed threshold or a regression, which is what CI gates on.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import CLIError, setup
from ddh.settings import get_settings

if TYPE_CHECKING:
    from evals.runner import Progress as SuiteProgress

app = typer.Typer(help="Evaluation suites", no_args_is_help=True)

_EVALS = Path(__file__).resolve().parent.parent / "evals"
# What `ddh eval run` runs without files (and CI runs): everything but the voice suite,
# which takes minutes of real-time phone calls.
FAST_SUITES = [_EVALS / "scenarios" / "routing.yaml", _EVALS / "retrieval" / "dev.yaml",
               _EVALS / "retrieval" / "holdout.yaml", _EVALS / "privacy" / "sentences.yaml",
               _EVALS / "injection" / "attempts.yaml",
               _EVALS / "out_of_corpus" / "questions.yaml"]


@app.command("run")
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

    setup()
    settings = get_settings()
    files = files or FAST_SUITES
    # Validate every file before running any, so a typo fails in seconds, not minutes.
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
    if knowledge.index.empty():
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


def _progress(enabled: bool) -> AbstractContextManager[SuiteProgress]:
    """A progress bar per suite on stderr (a terminal only; quiet in CI logs)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        return contextlib.nullcontext(lambda label, total: (lambda n: None))

    @contextlib.contextmanager
    def bars() -> Iterator[SuiteProgress]:
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                      transient=True) as p:
            def start(label: str, total: int) -> Callable[[int], None]:
                task = p.add_task(label, total=total)
                return lambda n: p.advance(task, n)
            yield start

    return bars()


@app.command("compare")
def eval_compare(
    old: Annotated[Path, typer.Argument(help="report.json of the earlier run")],
    new: Annotated[Path, typer.Argument(help="report.json of the later run")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Regressions and improvements per scenario between two runs; exit 1 on any
    regression."""
    from evals import report as reports

    setup()
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


@app.command("precedents")
def eval_precedents(
    out: Annotated[Path | None, typer.Option(
        help="Where to write (default: the bundled knowledge/data/precedents.jsonl)")] = None,
) -> None:
    """Write the precedents file from the labelled scenario sets (evals/scenarios)."""
    from evals.precedents import examples, render, scenario_files
    from knowledge.precedents import BUNDLED

    rows = examples(scenario_files())
    target = out or BUNDLED
    target.write_text(render(rows), encoding="utf-8")
    ends = sum(r["act"] == "end" for r in rows)
    topics = sum("topic" in r for r in rows)
    typer.echo(f"{len(rows)} examples ({ends} goodbyes, {topics} with a topic) → {target}")
