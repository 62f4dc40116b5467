"""Markdown guides: our own corpus format, and other platforms' Markdown exports.

A file with our front matter maps directly. A plain export without it still works:
the first `# heading` is the title, the first paragraph the summary and the first
numbered list the steps; the topic comes from a `category`/`tags` field.
"""

from __future__ import annotations

import re
from pathlib import Path

import frontmatter
import yaml

from knowledge.guide import GuideError
from knowledge.importers.common import ImportProblem, ImportReport, TopicResolver, normalise

_H1 = re.compile(r"^#\s+(.+)$", re.M)
_STEP = re.compile(r"^\s*\d+[.)]\s+(.+)$", re.M)


def read(path: Path, *, resolver: TopicResolver, source: str) -> ImportReport:
    report = ImportReport(files=1)
    try:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError) as exc:
        report.problems.append(ImportProblem(str(path), f"invalid front matter: {exc}"))
        return report
    meta = dict(post.metadata)
    codes = meta.get("municipality")
    if any(isinstance(c, int) for c in (codes if isinstance(codes, list) else [codes])):
        # YAML reads 0751 as the octal number 489: refuse rather than route to a wrong code.
        report.problems.append(ImportProblem(
            str(path), 'municipality: quote kommunekoder in front matter ("0751")'))
        return report
    body = post.content.strip()
    if "title" not in meta and (m := _H1.search(body)):
        meta["title"] = m.group(1).strip()
        body = _H1.sub("", body, count=1).strip()
    if "summary" not in meta and "description" not in meta:
        paragraph = next((p for p in re.split(r"\n\s*\n", body)
                          if p and p[0] not in "#-*0123456789"), "")
        if paragraph:
            meta["summary"] = " ".join(paragraph.split())
    if "steps" not in meta:
        steps = _STEP.findall(body)
        if steps:
            meta["steps"] = steps
    meta.setdefault("body", body)
    try:
        report.guides.append(normalise(meta, fallback_id=str(meta.get("id") or path.stem),
                                       resolver=resolver, source=source))
    except GuideError as exc:
        report.problems.append(ImportProblem(str(path), str(exc)))
    return report
