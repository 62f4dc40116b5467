"""The guide corpus that ships with the project, and the configured extra sources."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ddh.settings import Settings
from knowledge.importers.common import ImportReport
from knowledge.importers.load import load_path
from knowledge.registry import Registry

BUNDLED_GUIDES = Path(__file__).resolve().parent / "guides"


def corpus_sources(settings: Settings) -> list[Path]:
    """The bundled corpus (or `DDH_GUIDES_DIR`) followed by `DDH_EXTRA_GUIDE_SOURCES`."""
    return [settings.guides_dir or BUNDLED_GUIDES, *settings.extra_guide_sources]


def load_corpus(settings: Settings, registry: Registry) -> ImportReport:
    report = ImportReport()
    for i, path in enumerate(corpus_sources(settings)):
        report.extend(load_path(path, registry, source="corpus" if i == 0 else None))
    return report


def source_names(settings: Settings) -> set[str]:
    """The index's source names of the corpus and the configured extra sources."""
    return {"corpus"} | {p.name for p in corpus_sources(settings)[1:]}


# What turns source files into guides: a change here may change every guide.
_READING_CODE = [Path(__file__).with_name("guide.py"), Path(__file__),
                 *sorted(Path(__file__).with_name("importers").glob("*.py"))]


def sources_digest(settings: Settings) -> str:
    """A hash of every file the corpus is read from (guides, registry, the reading
    code): equal digests read to equal guides, so a start can skip reading them."""
    h = hashlib.sha256()
    registry_dir = settings.registry_dir or Path(__file__).with_name("data")
    roots = [*corpus_sources(settings), registry_dir, *_READING_CODE]
    for i, root in enumerate(roots):
        files = [root] if root.is_file() else sorted(
            p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        h.update(f"{i} {len(files)}\0".encode())
        for f in files:
            data = f.read_bytes()
            rel = f.relative_to(root).as_posix() if f != root else f.name
            h.update(f"{rel} {len(data)}\0".encode() + data)
    return h.hexdigest()[:32]


def coverage_problems(report: ImportReport, registry: Registry) -> list[str]:
    """Topics without a guide a citizen of any municipality can be given.

    Topics that exist only in some municipalities (Min Dialog in Aarhus) are covered by
    a local guide there instead of a national one.
    """
    national = {g.topic for g in report.guides if g.national}
    local = {(g.topic, c) for g in report.guides for c in g.municipalities}
    problems = []
    for t in registry.topics.values():
        if t.municipalities:
            missing = [c for c in t.municipalities if (t.slug, c) not in local]
            if missing:
                problems.append(f"topic {t.slug}: no guide for {', '.join(missing)}")
        elif t.slug not in national:
            problems.append(f"topic {t.slug}: no national guide")
    return problems
