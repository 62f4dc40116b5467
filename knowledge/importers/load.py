"""Dispatch by file type: load every guide under a path, whatever its export format.

The one module that knows every reader; the readers themselves share only
`knowledge.importers.common`, so adding a format adds an entry here and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from knowledge.guide import GuideError
from knowledge.importers import html_pages, json_export, markdown
from knowledge.importers.common import ImportProblem, ImportReport, TopicResolver, checked
from knowledge.registry import Registry

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".json": "json",
            ".html": "html", ".htm": "html"}



class Reader(Protocol):
    """One format's reader: a file → the guides in it and the entries it skipped."""

    def __call__(self, path: Path, *, resolver: TopicResolver, source: str) -> ImportReport: ...


READERS: dict[str, Reader] = {
    "markdown": markdown.read, "json": json_export.read, "html": html_pages.read,
}


def load_path(
    path: Path, registry: Registry, *, source: str | None = None,
    topic_map: dict[str, str] | None = None,
) -> ImportReport:
    """Load every guide under `path` (a file or a folder), whatever its format."""
    resolver = TopicResolver(registry, topic_map)
    path = Path(path)
    src = source or ("corpus" if path.name == "guides" else path.name)
    report = ImportReport()
    if not path.exists():
        report.problems.append(ImportProblem(str(path), "no such file or folder"))
        return report
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    seen: dict[str, str] = {}
    for f in files:
        kind = SUFFIXES.get(f.suffix.lower())
        if kind is None or f.name.lower() == "readme.md":
            continue
        report.files += 1
        try:
            sub = READERS[kind](f, resolver=resolver, source=src)
        except (OSError, UnicodeDecodeError) as exc:
            report.problems.append(ImportProblem(str(f), f"unreadable: {exc}"))
            continue
        for guide in sub.guides:
            try:
                checked(guide, registry)
            except GuideError as exc:
                report.problems.append(ImportProblem(f"{f} [{guide.id}]", str(exc)))
                continue
            if guide.id in seen:
                report.problems.append(
                    ImportProblem(str(f), f"duplicate id {guide.id!r} (first in {seen[guide.id]})")
                )
                continue
            seen[guide.id] = str(f)
            report.guides.append(guide)
        report.problems.extend(sub.problems)
    return report
