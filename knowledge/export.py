"""A guide written back as a Markdown file in the corpus format (knowledge/guides/README.md).

Used to export the guides municipalities edit in the admin (`ddh knowledge
export-guides`), so that they can be read, versioned and checked (`ddh knowledge
check`) like the corpus, and to show the difference between two versions of a guide
as the text an editor recognises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from knowledge.guide import Guide


class _Quoted(str):
    """A kommunekode: always written quoted, or YAML would read "0751" as a number."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))


def front_matter(guide: Guide, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The front matter in the corpus's field order; `extra` (owner, review-by date)
    after it, which the corpus reader keeps as extra fields."""
    codes = [_Quoted(c) for c in guide.municipalities]
    meta: dict[str, Any] = {
        "id": guide.id, "title": guide.title, "topic": guide.topic,
        "municipality": codes[0] if len(codes) == 1 else (codes or None),
        "partner": guide.partner, "url": guide.url,
        "updated": guide.updated, "summary": guide.summary,
        "steps": list(guide.steps), "keywords": list(guide.keywords),
    }
    if guide.uncertain:
        meta["uncertain"] = list(guide.uncertain)
    if guide.en is not None:
        meta["en"] = guide.en.model_dump(mode="json")
    meta.update({k: v for k, v in (extra or {}).items() if v is not None})
    return meta


def to_markdown(guide: Guide, extra: dict[str, Any] | None = None) -> str:
    """The whole file: front matter between `---` lines, then the body."""
    head = yaml.dump(front_matter(guide, extra), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=100, default_flow_style=False)
    body = guide.body.strip()
    return f"---\n{head}---\n{body}\n" if body else f"---\n{head}---\n"


def write_guides(guides: list[tuple[Guide, dict[str, Any]]], folder: Path) -> list[Path]:
    """One `<id>.md` per guide in `folder` (made if missing); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for guide, extra in guides:
        path = folder / f"{guide.id}.md"
        path.write_text(to_markdown(guide, extra), encoding="utf-8")
        written.append(path)
    return written
