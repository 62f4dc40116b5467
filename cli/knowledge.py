"""`ddh knowledge`: ingest guide exports, search the index, check the corpus.

Search prints JSON on stdout (one list per query with --batch) so that scripts and the
evaluation tooling can pipe it; problems go to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import CLIError, open_knowledge, setup
from ddh.settings import get_settings

app = typer.Typer(help="Guide corpus, index and retrieval", no_args_is_help=True)

SEARCH_MODES = ("hybrid", "dense", "bm25")


@app.command("ingest")
def knowledge_ingest(
    path: Annotated[Path | None, typer.Argument(help="Guide export (folder or file)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Ingest the bundled corpus, or a guide export at PATH (Markdown, JSON or HTML)."""
    setup()
    if path is not None and not path.exists():
        raise CLIError(f"no such file or folder: {path}")
    kn = open_knowledge()
    report, sync = kn.ingest(path)
    if kn.settings.retrieval_cache:
        kn.retriever  # noqa: B018 - writes the retrieval tables, so a start only reads them
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


@app.command("search")
def knowledge_search(
    query: Annotated[str | None, typer.Argument(help="The question")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    municipality: Annotated[str | None, typer.Option(help="4-digit kommunekode")] = None,
    k: Annotated[int, typer.Option("-k", help="Number of guides", min=1, max=50)] = 5,
    batch: Annotated[bool, typer.Option("--batch", help="One query per stdin line")] = False,
    mode: Annotated[str, typer.Option(help="hybrid, dense or bm25")] = "hybrid",
) -> None:
    """Search the guides; with --batch, one JSON list per input line."""
    setup()
    if mode not in SEARCH_MODES:
        raise CLIError(f"unknown mode {mode!r} (hybrid, dense or bm25)")
    if batch == (query is not None):
        raise CLIError("give either a query or --batch")
    kn = open_knowledge()
    if municipality is not None and municipality not in kn.registry.municipalities:
        raise CLIError(f"unknown kommunekode {municipality!r}")
    if kn.index.empty():
        kn.refresh_index()
    retriever = kn.retriever
    queries = (line.rstrip("\n") for line in sys.stdin) if batch else iter([query or ""])
    for q in queries:
        hits = [h.as_dict() for h in retriever.search(q, municipality, k, mode)]  # type: ignore[arg-type]
        if as_json or batch:
            # Flush per line: a caller piping queries in waits for each answer.
            typer.echo(json.dumps(hits, ensure_ascii=False))
            sys.stdout.flush()
        else:
            for h in hits:
                typer.echo(f"{h['score']:.3f}  {h['topic']:<22} {h['title']}  <{h['url']}>")


@app.command("check")
def knowledge_check() -> None:
    """Validate the registry and the guide corpus."""
    from knowledge.check import run

    raise typer.Exit(run())


@app.command("export-guides")
def knowledge_export_guides(
    folder: Annotated[Path, typer.Argument(help="Folder to write one <id>.md per guide")],
    municipality: Annotated[str | None, typer.Option(help="4-digit kommunekode (default: "
                                                     "every municipality)")] = None,
) -> None:
    """Write the published guides municipalities edit in the admin (from the store,
    DDH_DATABASE_URL) as Markdown in the corpus format, which `ddh knowledge check`
    accepts (e.g. with DDH_EXTRA_GUIDE_SOURCES)."""
    from handoff.guide_desk import as_guide, export_extra
    from knowledge.export import write_guides
    from store.guides import GuideStore
    from store.outcomes import open_store

    setup()
    if municipality is not None and not (len(municipality) == 4 and municipality.isdigit()):
        raise CLIError(f"municipality {municipality!r} is not a 4-digit kommunekode")
    store = open_store(get_settings())
    try:
        records = [r for r in GuideStore(store.sessions).published()
                   if municipality is None or r.municipality == municipality]
        guides = [(as_guide(r, r.published), export_extra(r)) for r in records
                  if r.published is not None]
    finally:
        store.close()
    written = write_guides(guides, folder)
    typer.echo(f"{len(written)} guides written to {folder}")
