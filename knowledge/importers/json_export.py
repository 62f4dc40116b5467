"""JSON guide exports: a list of guide objects, or an object holding one under a key.

Entries are mapped one by one: a malformed entry is reported by its position (and
id when it has one) and skipped; the others are imported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from knowledge.guide import GuideError
from knowledge.importers.common import ImportProblem, ImportReport, TopicResolver, normalise
from knowledge.importers.html_pages import html_to_text

CONTAINER_KEYS = ("guides", "items", "data", "results", "vejledninger", "articles")


def _entries(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in CONTAINER_KEYS:
            if isinstance(data.get(key), list):
                return data[key]
        if "title" in data or "name" in data:
            return [data]
    return None


def read(path: Path, *, resolver: TopicResolver, source: str) -> ImportReport:
    report = ImportReport(files=1)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        report.problems.append(ImportProblem(str(path), f"not valid JSON: {exc}"))
        return report
    entries = _entries(data)
    if entries is None:
        report.problems.append(ImportProblem(str(path), "no list of guides found"))
        return report
    for i, entry in enumerate(entries):
        where = f"{path} #{i + 1}"
        if not isinstance(entry, dict):
            report.problems.append(ImportProblem(where, "entry is not an object"))
            continue
        entry = dict(entry)
        for key in ("body", "content", "html", "text"):
            value = entry.get(key)
            if isinstance(value, str) and "<" in value and ">" in value:
                entry[key] = html_to_text(value)
        try:
            report.guides.append(
                normalise(entry, fallback_id=str(entry.get("id") or ""), resolver=resolver,
                          source=source)
            )
        except GuideError as exc:
            ident = entry.get("id") or entry.get("slug") or entry.get("title") or "?"
            report.problems.append(ImportProblem(f"{where} ({ident})", str(exc)))
    return report
